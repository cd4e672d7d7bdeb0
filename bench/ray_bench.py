"""Ray benchmark: the local engine against the Ray engine on this machine, in one run, and a two-node cluster.

Run from the repository root (the ray extra installed)::

    python bench/ray_bench.py                 # 10,000 small images
    python bench/ray_bench.py --count 500     # smoke test

The images are `scan_bench.make_many`'s: a few PNG crops of handwritten strings (MNIST *test* digits) written
under many names. Each case runs in its own subprocess through the library, the model loaded as a scan loads it:

(a) local: `Scanner(options=ScanOptions())`, a worker per core;
(b) ray: `RayScanner()`, which starts a local Ray instance (all cores);
(c) two nodes: `ray start --head --num-cpus 1` and `ray start --address HEAD --num-cpus 1` on this machine, then
    `RayScanner(address=HEAD)`; each file's worker records the Ray node it ran on, to show both nodes worked.

Start-up (pool or Ray instance, model) is timed apart from the scan; images/s is the scan's. Peak memory is the
sum of the peak RSS of the subprocess and every process below it (Ray's own processes included), sampled by
`scan_bench.TreeMemory`: an upper bound, as shared pages count once per process. For the two nodes, started by
`ray start`, Ray's processes are not below the subprocess: only the driver's memory is counted there. Every
case's results are compared with the local engine's, file by file (a digest of the JSON form, in input order).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

DEFAULT_COUNT = 10_000  # the figure
TARGET_RATIO = 0.8  # the target: Ray at least 0.8 times the local engine's images/s on this machine
DATA = ROOT.parent / "shared" / "datasets" / "mnist.npz"
SUBSET = ROOT / "tests" / "data" / "mnist_subset.npz"  # where the shared data sets are missing: its test split


def record_node(path: str, max_pixels: int, folder: str) -> Any:
    """`storage.prepare_any`, noting in `folder` the Ray node that read the file (one empty file per node and pid)."""
    import ray

    from digitscan.scan.storage import prepare_any

    node = ray.get_runtime_context().get_node_id()
    Path(folder, f"{node}-{os.getpid()}").touch()
    return prepare_any(path, max_pixels)


def child(args: argparse.Namespace) -> None:
    """One case, in this subprocess: start, scan every image, write the figures and a digest of the results."""
    from scan_bench import peak_rss_bytes

    from digitscan.scan.inputs import expand_inputs
    from digitscan.scan.options import ScanOptions

    paths = [str(p) for p in expand_inputs([args.folder])]
    started = time.perf_counter()
    if args.case == "local":
        from digitscan.scan.pipeline import Scanner

        scanner: Any = Scanner(options=ScanOptions())
    else:
        import ray

        from digitscan.scan.ray_engine import RayScanner

        nodes = Path(args.nodes)
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        worker = functools.partial(record_node, folder=str(nodes))
        scanner = RayScanner(address=args.address, worker=worker)
    ready = time.perf_counter()
    digest = hashlib.sha256()
    files = errors = 0
    for results in scanner.scan_files(paths):
        files += 1
        errors += any(r.error for r in results)
        digest.update(json.dumps([r.to_dict() for r in results], sort_keys=True).encode())
    done = time.perf_counter()
    figures = {
        "case": args.case,
        "images": len(paths),
        "files": files,
        "errors": errors,
        "start_s": ready - started,
        "scan_s": done - ready,
        "images_per_s": len(paths) / (done - ready),
        "digest": digest.hexdigest(),
        "peak_rss_bytes": peak_rss_bytes(),
    }
    if args.case != "local":
        import ray

        figures["nodes_in_cluster"] = sum(1 for n in ray.nodes() if n.get("Alive"))
        figures["nodes_that_read"] = len({p.name.split("-")[0] for p in Path(args.nodes).iterdir()})
        scanner.close()
    Path(args.result).write_text(json.dumps(figures))


def run_case(
    case: str, folder: Path, work: Path, address: str | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    from scan_bench import TreeMemory

    result, nodes = work / f"{case}.json", work / f"nodes-{case}"
    nodes.mkdir(exist_ok=True)
    command = [sys.executable, __file__, "--child", case, "--folder", str(folder), "--result", str(result)]
    command += ["--nodes", str(nodes)] + (["--address", address] if address else [])
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    with TreeMemory(process.pid) as tree:
        code = process.wait()
    if code or not result.exists():
        return {"case": case, "error": f"exit code {code}"}
    figures = json.loads(result.read_text())
    figures["peak_tree_bytes"] = figures["peak_rss_bytes"] + sum(tree.peaks.values())
    return figures


def two_nodes(folder: Path, work: Path) -> dict[str, Any]:
    """Case (c): a head and a second node on this machine, one CPU each; stopped after."""
    ray_cli = str(Path(sys.executable).with_name("ray"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "RAY_ADDRESS": "", "RAY_AUTH_MODE": "token"}  # every node and the driver: the same token
    try:
        subprocess.run(
            [ray_cli, "start", "--head", "--num-cpus", "1", "--port", str(port), "--include-dashboard=false"],
            check=True,
            env=env,
            capture_output=True,
        )
        second = [ray_cli, "start", "--address", address, "--num-cpus", "1"]
        subprocess.run(second, check=True, env=env, capture_output=True)
        return run_case("two-nodes", folder, work, address, env)
    finally:
        subprocess.run([ray_cli, "stop", "--force"], env=env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="images to scan")
    parser.add_argument("--no-cluster", action="store_true", help="skip the two-node case")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--nodes", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.case = args.child
        child(args)
        return
    from scan_bench import load_test_digits, make_many

    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    try:
        folder = work / "many"
        make_many(folder, args.count, load_test_digits(DATA if DATA.exists() else SUBSET), seed=17)
        cases = [run_case("local", folder, work), run_case("ray", folder, work)]
        if not args.no_cluster:
            cases.append(two_nodes(folder, work))
        report(cases, os.cpu_count() or 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(cases: list[dict[str, Any]], cores: int) -> None:
    local = cases[0]
    print(f"\n{local.get('images')} images, {cores} cores\n")
    print("| engine | start s | scan s | images/s | vs local | peak memory (tree) | same results | nodes that read |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for case in cases:
        if "error" in case:
            print(f"| {case['case']} | failed: {case['error']} |")
            continue
        ratio = case["images_per_s"] / local["images_per_s"]
        same = "yes" if case["digest"] == local["digest"] else "NO"
        nodes = f"{case['nodes_that_read']} of {case['nodes_in_cluster']}" if "nodes_in_cluster" in case else "-"
        print(
            f"| {case['case']} | {case['start_s']:.1f} | {case['scan_s']:.1f} | {case['images_per_s']:.0f} | "
            f"{ratio:.2f} | {case['peak_tree_bytes'] / 1e9:.2f} GB | {same} | {nodes} |"
        )
    ray = next((c for c in cases if c.get("case") == "ray" and "error" not in c), None)
    if ray:
        ratio = ray["images_per_s"] / local["images_per_s"]
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"\nRay / local images/s: {ratio:.2f} (target >= {TARGET_RATIO}: {verdict})")


if __name__ == "__main__":
    main()
