"""Start-up benchmark (issue #21): the exported model on ONNX Runtime against the TensorFlow path, in one run.

Run from the repository root::

    python bench/startup_bench.py                          # full run
    python bench/startup_bench.py --repeats 2 --many 300   # smoke test

Both paths are the command line (`python -m digitscan scan ...` of this tree, a new process each time). The
ONNX path is the bundled model as it ships (`models/digitnet.h5` with `digitnet.onnx` beside it); the
TensorFlow path is the same `digitnet.h5` and card copied to a folder without the exported file, so the scanner
falls back to Keras, as every scan did before the export. Measured:

- one image (`samples/check.png`) from the command line, wall time, median of `--repeats` runs;
- `digitscan --version`, median of `--repeats` runs;
- every ORAND-CAR-A development crop (the shared set has 600 of the issue's 608), whole process, median of 3;
- steady state: the same crops through the library's `Scanner` with the model loaded and the pool warm, crops/s,
  and whether every crop reads the same on both paths (digits and every digit's confidence);
- peak memory of a large scan (`--many` small images, written here from MNIST test digits): the peak RSS of
  every process of the run (main, fork server, resource tracker, workers) summed, sampled from /proc;
- Tesseract 5 where installed (`--psm 7`, digits whitelist, 2 processes at a time) on the same crops.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import scan_bench  # noqa: E402 - the helpers of the scan benchmark: memory sampling, synthetic images, Tesseract

DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_ORAND = DATASETS / "orand-car-a-dev" / "images"
DEFAULT_DATA = DATASETS / "mnist.npz"
ONE_IMAGE = ROOT / "samples" / "check.png"


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}  # the digitscan of this tree (a clean checkout to bench, say)


def digitscan(*args: str) -> list[str]:
    """The command line as a user runs it, from this tree's package (`python -m digitscan`)."""
    return [sys.executable, "-m", "digitscan", *args]


def wall(command: list[str], repeats: int) -> dict[str, Any]:
    """Median and range of a command's wall time over `repeats` runs (one unmeasured run first, for the disk cache)."""
    subprocess.run(command, capture_output=True, check=False, cwd=ROOT, env=ENV)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False, cwd=ROOT, env=ENV)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} exited with {done.returncode}: {done.stderr.decode()[-500:]}")
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": len(times)}


def tree_peak(command: list[str]) -> dict[str, Any]:
    """Wall time and the summed peak RSS of every process of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with scan_bench.TreeMemory(process.pid, interval=0.05) as tree:
        main_peak = 0
        while process.poll() is None:
            main_peak = max(main_peak, scan_bench._peak_rss_kib(process.pid) * 1024)
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    helpers = sorted(tree.peaks.values(), reverse=True)
    return {
        "seconds": seconds,
        "main_peak_bytes": main_peak,
        "helpers_peak_bytes": helpers,
        "summed_peak_bytes": main_peak + sum(helpers),
    }


STEADY = """
import json, sys, time
from digitscan.model.files import load_for_scanning, load_model
from digitscan.scan.pipeline import Scanner, ScanOptions
model, workers, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
figures = {}
for name, load in (("onnx", load_for_scanning), ("tensorflow", load_model)):  # ONNX first: before TF is imported
    loaded = load(model)
    scanner = Scanner(loaded, ScanOptions(workers=workers))
    list(scanner.scan(paths[:20]))  # warm-up: the fork server, the model, caches
    started = time.perf_counter()
    results = list(scanner.scan(paths))
    seconds = time.perf_counter() - started
    readings = {r.file: [[s.text, [d.confidence for d in s.digits]] for s in r.strings] for r in results}
    figures[name] = {"runtime": loaded.runtime, "seconds": seconds, "readings": readings}
print(json.dumps(figures))
"""


def steady_state(model: Path, paths: list[Path], workers: int) -> dict[str, Any]:
    """Crops/s of both paths through a loaded model (each scan starts its pool), and every crop's reading.

    Both run in one subprocess, so that they read the crops with the same code (the fork server imports it once).
    """
    command = [sys.executable, "-c", STEADY, str(model), str(workers), *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, env=ENV)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for entry in figures.values():
        entry["crops_per_s"] = len(paths) / entry["seconds"]
    return figures


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """How many crops read the same digits on both paths, and the largest difference of a digit's confidence."""
    same, largest = 0, 0.0
    for file, strings in a.items():
        other = b.get(file)
        texts = [s[0] for s in strings]
        if other is not None and texts == [s[0] for s in other]:
            same += 1
            for (_, conf), (_, conf_b) in zip(strings, other, strict=True):
                largest = max([largest, *(abs(x - y) for x, y in zip(conf, conf_b, strict=True))])
    return {"crops": len(a), "same_reading": same, "largest_confidence_difference": largest}


def orand_truth(folder: Path) -> dict[str, str]:
    return scan_bench.orand_truth(folder)


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": scan_bench.machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    crops = sorted(p for p in args.orand.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if args.limit:
        crops = crops[: args.limit]
    results["crops"] = len(crops)
    with tempfile.TemporaryDirectory(prefix="startup_bench_") as tmp:
        work = Path(tmp)
        keras_only = work / "keras-only"
        keras_only.mkdir()
        for name in ("digitnet.h5", "digitnet.card.json"):
            shutil.copy(ROOT / "models" / name, keras_only / name)
        models = {"onnx": ROOT / "models" / "digitnet.h5", "tensorflow": keras_only / "digitnet.h5"}
        many = work / "many"
        many.mkdir()
        scan_bench.make_many(many, args.many, scan_bench.load_test_digits(args.data), args.seed)
        results["version"] = wall(digitscan("--version"), args.repeats)
        for name, model in models.items():
            print(f"[{name}] one image, whole ORAND set, steady state, memory ...", file=sys.stderr, flush=True)
            path_results: dict[str, Any] = {}
            path_results["one_image"] = wall(
                digitscan("scan", str(ONE_IMAGE), "-f", "csv", "-m", str(model)), args.repeats
            )
            out = work / f"{name}.csv"
            orand = digitscan("scan", str(args.orand), "-o", str(out), "-m", str(model), "-q")
            if args.limit:
                orand = digitscan("scan", *map(str, crops), "-o", str(out), "-m", str(model), "-q")
            path_results["orand_whole_process"] = wall(orand, 3)
            many_out = work / f"{name}-many.csv"
            path_results["many"] = tree_peak(digitscan("scan", str(many), "-o", str(many_out), "-m", str(model), "-q"))
            path_results["many"]["images"] = args.many
            results[name] = path_results
        steady = steady_state(models["onnx"], crops, args.workers)
        for name in models:
            results[name]["steady"] = steady[name]
        readings = {name: results[name]["steady"].pop("readings") for name in models}
        results["same_readings"] = compare(readings["onnx"], readings["tensorflow"])
    results["tesseract"] = scan_bench.tesseract(crops, 2, orand_truth(args.orand))
    return results


def seconds(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f} s"


def row(*cells: str) -> None:
    print("| " + " | ".join(cells) + " |")


def report(results: dict[str, Any]) -> None:
    onnx, tf, tess = results["onnx"], results["tensorflow"], results.get("tesseract")
    crops = results["crops"]
    print(f"\nmachine: {results['machine']}\n")
    row("measure", "ONNX Runtime path", "TensorFlow path", "target")
    row("---", "---", "---", "---")
    one = "one_image"
    row("one image, CLI (median)", seconds(onnx[one]["median_s"]), seconds(tf[one]["median_s"]), "<= 1.0 s")
    row("`digitscan --version` (median)", seconds(results["version"]["median_s"]), "(same)", "<= 0.3 s")
    whole = {k: results[k]["orand_whole_process"]["median_s"] for k in ("onnx", "tensorflow")}
    row(f"{crops} ORAND crops, whole process (median of 3)", seconds(whole["onnx"]), seconds(whole["tensorflow"]), "")
    if tess:
        tess_s = tess["seconds"] * crops / tess["images"]
        row(f"Tesseract, the same {tess['images']} crops, 2 processes", seconds(tess["seconds"]), "", "")
        row("Tesseract's time / digitscan's", *(f"{tess_s / whole[k]:.1f}x" for k in whole), ">= 15x")
    steady = [f"{results[k]['steady']['crops_per_s']:.0f}" for k in ("onnx", "tensorflow")]
    row("steady state, crops/s (loaded model, warm pool)", *steady, ">= 500")
    same = results["same_readings"]
    agree = f"{same['same_reading']} of {same['crops']}"
    row(
        "crops read the same on both paths",
        agree,
        f"confidences within {same['largest_confidence_difference']:.1e}",
        "all",
    )
    many = onnx["many"]["images"]
    peaks = [f"{results[k]['many']['summed_peak_bytes'] / 1e9:.2f} GB" for k in ("onnx", "tensorflow")]
    row(f"{many} images: peak RSS summed over every process", *peaks, "<= 0.6 GB")
    row(f"{many} images: wall time", seconds(onnx["many"]["seconds"]), seconds(tf["many"]["seconds"]), "")
    if tess:
        print(f"\nTesseract read {tess['strings_correct']} of {tess['strings_expected']} crops exactly.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orand", type=Path, default=DEFAULT_ORAND, help=f"ORAND images folder ({DEFAULT_ORAND})")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"MNIST for the many images ({DEFAULT_DATA})")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each short command (default: 5)")
    parser.add_argument("--many", type=int, default=10_000, help="small images for the memory case (default: 10000)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N ORAND crops (smoke tests)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="workers for the steady state")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic images")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
