"""Scan benchmark: throughput of the scan pipeline, time per stage, and peak memory on a large folder.

Run from the repository root::

    python bench/scan_bench.py                                   # full run
    python bench/scan_bench.py --limit 20 --pages 2 --many 200   # smoke test

Cases, each through the library's ``Scanner(model, ScanOptions(workers=W)).scan(paths)`` with the model loaded once,
before any timing:

(a) the ORAND-CAR-A development crops (600 JPEG files, about 150x45);
(b) full-page phone-photo-sized pages (3000x4000 JPEG, quality 90) generated here from MNIST *test* digits;
(c) a folder of many small images (10,000 by default; a few encoded PNG crops written under many names), run
    in a subprocess so that its peak memory is its own.

Before timing, one small warm-up scan starts the forkserver and traces the model's predict function; every
timed scan still includes starting its own worker pool. For (a) and (b) the time of each stage is also measured
in this process alone (no workers) by calling the stage functions directly. Where ``tesseract`` is on PATH it
reads a subset of the ORAND crops in the same run, with as many processes at a time as digitscan has workers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_ORAND = DATASETS / "orand-car-a-dev" / "images"
DEFAULT_DATA = DATASETS / "mnist.npz"
TARGET_ORAND_PER_S = 300.0
TARGET_PAGES_PER_S = 5.0
TARGET_MANY_BYTES = 1.5e9  # 1.5 GB (10^9 bytes)
STAGES = ("load", "segment", "normalise", "classify", "read whole", "assemble")
Mnist = tuple[np.ndarray, dict[int, np.ndarray]]  # MNIST test images, and the indices of each label


# --- memory --------------------------------------------------------------------------------------------------------


def peak_rss_bytes() -> int:
    """This process's peak resident set size.

    On Linux this is VmHWM: ru_maxrss survives exec, so a subprocess started
    from a big parent would report the parent's peak as its own. Elsewhere
    ru_maxrss (KiB on Linux, bytes on macOS).
    """
    hwm = _peak_rss_kib(os.getpid())
    if hwm:
        return hwm * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _descendants(root: int) -> list[int]:
    """`root` and every process below it (the forkserver and the workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _peak_rss_kib(pid: int) -> int:
    """Peak resident set size so far (VmHWM) of one process; 0 if it has gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """Samples the peak RSS (VmHWM) of every process below `pid` (the forkserver and the workers) while it runs."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, int] = {}  # pid -> peak RSS in bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in _descendants(self.pid):
                if pid != self.pid:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_rss_kib(pid) * 1024)


# --- synthetic images -----------------------------------------------------------------------------------------------


def load_test_digits(path: Path) -> Mnist:
    """MNIST *test* images (never the training split) and the indices of each label."""
    with np.load(path) as data:
        x, y = data["x_test"], data["y_test"]
    return x, {d: np.flatnonzero(y == d) for d in range(10)}


def glyph(rng: np.random.Generator, mnist: Mnist, label: int, height: int) -> np.ndarray:
    """One test instance of `label` as ink coverage in [0, 1], cropped tight and scaled to `height` pixels."""
    x, by_label = mnist
    img = x[rng.choice(by_label[label])].astype(np.float32) / 255.0
    rows, cols = np.flatnonzero(img.max(1) > 0), np.flatnonzero(img.max(0) > 0)
    img = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = height / img.shape[0]
    img = cv2.resize(img, (max(1, round(img.shape[1] * scale)), height), interpolation=cv2.INTER_CUBIC)
    return np.clip((img - 0.15) / 0.55, 0.0, 1.0)


def write_string(
    rng: np.random.Generator, cover: np.ndarray, mnist: Mnist, text: str, x: int, bottom: int, height: int
) -> int:
    """Add the digits of `text` to the ink coverage, left to right from `x`; returns the right edge."""
    for i, ch in enumerate(text):
        if i:
            x += int(rng.integers(max(2, height // 12), max(3, height // 5)))
        g = glyph(rng, mnist, int(ch), int(height * rng.uniform(0.92, 1.0)))
        y = bottom - g.shape[0] + int(rng.integers(-height // 20, height // 20 + 1))
        region = cover[y : y + g.shape[0], x : x + g.shape[1]]
        np.maximum(region, g[: region.shape[0], : region.shape[1]], out=region)
        x += g.shape[1]
    return x


def digits_text(rng: np.random.Generator, low: int, high: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(low, high + 1))))


def make_page(
    rng: np.random.Generator, mnist: Mnist, width: int = 3000, height: int = 4000
) -> tuple[np.ndarray, list[str]]:
    """A phone photo of a page: off-white paper, a shadow gradient, lines of handwritten digit strings, noise."""
    cover = np.zeros((height, width), np.float32)
    strings: list[str] = []
    top = int(rng.integers(300, 450))
    while True:
        size = int(rng.integers(80, 151))
        if top + size > height - 300:
            break
        x = int(rng.integers(150, 400))
        for _ in range(int(rng.integers(1, 4))):
            text = digits_text(rng, 3, 8)
            if x + len(text) * int(1.25 * size) > width - 150:  # a digit and its gap: at most 1.25 x its height
                break
            x = write_string(rng, cover, mnist, text, x, top + size, size) + int(rng.integers(2 * size, 4 * size))
            strings.append(text)
        top += size + int(rng.integers(110, 240))
    ink = np.array([95, 50, 35], np.float32) / 255.0  # BGR blue-black
    paper_colour = np.array([222, 230, 236], np.float32)
    texture = cv2.resize(rng.normal(0.0, 2.0, (height // 16, width // 16)).astype(np.float32), (width, height))
    # shadow: a smooth darkening towards one corner, up to 45 %, computed small and scaled up
    sy, sx = np.mgrid[0:1:64j, 0:1:48j].astype(np.float32)
    corner = [(sx, sy), (1 - sx, sy), (sx, 1 - sy), (1 - sx, 1 - sy)][int(rng.integers(0, 4))]
    ramp = np.clip((corner[0] + corner[1] - 0.7) / 1.3, 0, 1) ** 1.5
    shade = cv2.resize(1.0 - 0.45 * ramp, (width, height), interpolation=cv2.INTER_LINEAR)
    page = (paper_colour[None, None, :] + texture[..., None]) * (1.0 - cover[..., None] * (1.0 - ink))
    page *= shade[..., None]
    page += rng.standard_normal((height, width), dtype=np.float32)[..., None] * 3.0
    return np.clip(page, 0, 255).astype(np.uint8), strings


def make_pages(folder: Path, count: int, mnist: Mnist, seed: int) -> tuple[list[Path], dict[str, list[str]]]:
    """Write `count` page photos as JPEG (quality 90); returns the paths and each page's strings."""
    rng = np.random.default_rng(seed)
    paths, truth = [], {}
    for i in range(count):
        page, strings = make_page(rng, mnist)
        path = folder / f"page_{i:03d}.jpg"
        cv2.imwrite(str(path), page, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
        truth[str(path)] = strings
    return paths, truth


def make_crop(rng: np.random.Generator, mnist: Mnist) -> tuple[np.ndarray, str]:
    """A small grey crop (about 150x50) holding one handwritten digit string."""
    size = int(rng.integers(30, 37))
    text = digits_text(rng, 4, 6)
    cover = np.zeros((size + 20, 12 + len(text) * (size + size // 5) + 12), np.float32)
    right = write_string(rng, cover, mnist, text, 12, size + 10, size)
    cover = cover[:, : right + 12]
    paper = float(rng.integers(215, 245))
    return np.clip(paper * (1.0 - 0.8 * cover) + rng.normal(0, 2.0, cover.shape), 0, 255).astype(np.uint8), text


def make_many(folder: Path, count: int, mnist: Mnist, seed: int, distinct: int = 8) -> None:
    """Write `count` small PNG images: a few encoded crops, each written under many names."""
    rng = np.random.default_rng(seed)
    encoded = [cv2.imencode(".png", make_crop(rng, mnist)[0])[1].tobytes() for _ in range(distinct)]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"crop_{i:05d}.png").write_bytes(encoded[i % distinct])


# --- measurements ---------------------------------------------------------------------------------------------------


def warm_up(loaded: Any, workers: int, folder: Path, mnist: Mnist) -> float:
    """Start the forkserver and trace the predict function once, with a 3-file scan; returns its seconds."""
    from digitscan.scan.pipeline import Scanner, ScanOptions

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        path = folder / f"warm_{i}.png"
        cv2.imwrite(str(path), make_crop(rng, mnist)[0])
        paths.append(path)
    started = time.perf_counter()
    list(Scanner(loaded, ScanOptions(workers=workers)).scan(paths))
    scanner = Scanner(loaded, ScanOptions(workers=0))
    for n in (1, 7, 33, scanner.options.predict_batch):  # a few batch shapes, as a scan's batches have
        scanner.classifier.scores(np.zeros((n, 28, 28), np.float32))
    return time.perf_counter() - started


def normalised(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def throughput(
    loaded: Any, paths: list[Path], workers: int, truth: dict[str, Any] | None = None, read_whole: bool = True
) -> dict[str, Any]:
    """Images per second of Scanner.scan over `paths` (results consumed as they come, as the CLI does);
    `read_whole`: with the string reader (the default), else the classifier alone."""
    from digitscan.scan.pipeline import Scanner, ScanOptions

    scanner = Scanner(loaded, ScanOptions(workers=workers, read_whole=read_whole))
    started = time.perf_counter()
    first = None
    results = []
    for result in scanner.scan(paths):
        first = first if first is not None else time.perf_counter() - started
        results.append(result)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "images": len(paths),
        "workers": workers,
        "seconds": seconds,
        "images_per_s": len(paths) / seconds,
        "first_result_s": first,
        "errors": sum(r.error is not None for r in results),
        "strings": sum(len(r.strings) for r in results),
    }
    if truth:
        out.update(score(results, truth))
    return out


def score(results: list[Any], truth: dict[str, Any]) -> dict[str, Any]:
    """A sanity figure only: strings read exactly right (the benchmark measures speed, `digitscan eval` accuracy)."""
    correct = expected = 0
    for result in results:
        want = truth.get(result.file)
        if want is None:
            continue
        if isinstance(want, str):  # one string per crop (ORAND)
            expected += 1
            correct += normalised(result.text) == want
        else:  # several per page: multiset intersection
            expected += len(want)
            correct += sum((Counter(s.text for s in result.strings) & Counter(want)).values())
    return {"strings_expected": expected, "strings_correct": correct}


def stage_times(loaded: Any, paths: list[Path]) -> dict[str, Any]:
    """Milliseconds per image of each stage, in this process alone, calling the stage functions directly."""
    from digitscan.scan.assemble import assemble
    from digitscan.scan.classify import Classifier
    from digitscan.scan.load import load_pages
    from digitscan.scan.normalise import to_line, to_mnist_framings
    from digitscan.scan.read import StringReader
    from digitscan.scan.segment import segment

    totals = dict.fromkeys(STAGES, 0.0)
    prepared = []
    for path in paths:
        t0 = time.perf_counter()
        pages = load_pages(Path(path))
        totals["load"] += time.perf_counter() - t0
        for page in pages:
            t1 = time.perf_counter()
            words = segment(page.grey)
            t2 = time.perf_counter()
            images = to_mnist_framings([c.ink for w in words for c in w.candidates])
            lines = [to_line(w.ink) if w.ink.size else w.ink for w in words]
            t3 = time.perf_counter()
            totals["segment"] += t2 - t1
            totals["normalise"] += t3 - t2
            prepared.append((words, images, page.scale, lines))
    classifier = Classifier(loaded)
    stacked = np.concatenate([p[1] for p in prepared]) if prepared else np.zeros((0, 28, 28), np.float32)
    reader = StringReader()
    t4 = time.perf_counter()
    scores = classifier.scores(stacked)
    t5 = time.perf_counter()
    read = reader.read([line for p in prepared for line in p[3]])  # one batch of every file's lines, as a scan
    t6 = time.perf_counter()
    offset = line_offset = 0
    for words, images, scale, lines in prepared:
        n = len(images)
        assemble(words, scores.rows(offset, offset + n), scale, read[line_offset : line_offset + len(lines)])
        offset += n
        line_offset += len(lines)
    totals["classify"] = t5 - t4
    totals["read whole"] = t6 - t5
    totals["assemble"] = time.perf_counter() - t6
    count = max(1, len(paths))
    return {
        "images": len(paths),
        "candidates": len(stacked),
        "ms_per_image": {k: 1000 * v / count for k, v in totals.items()},
        "ms_per_image_total": 1000 * sum(totals.values()) / count,
    }


def tesseract(paths: list[Path], workers: int, truth: dict[str, Any]) -> dict[str, Any] | None:
    """Tesseract, digits only, one line per image, `workers` processes at a time; None if not installed."""
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def read(path: Path) -> tuple[str, str]:
        command = [exe, str(path), "stdout", "--psm", "7", "-c", "tessedit_char_whitelist=0123456789"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        return str(path), done.stdout

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outputs = list(pool.map(read, paths))
    seconds = time.perf_counter() - started
    correct = sum(normalised(text) == truth.get(path) for path, text in outputs)
    return {
        "images": len(paths),
        "processes": max(1, workers),
        "seconds": seconds,
        "images_per_s": len(paths) / seconds,
        "strings_expected": sum(p in truth for p, _ in outputs),
        "strings_correct": correct,
        "executable": exe,
    }


def orand_truth(folder: Path) -> dict[str, str]:
    """file path -> digits from labels.csv beside or above the images folder, if there is one."""
    for candidate in (folder / "labels.csv", folder.parent / "labels.csv"):
        if candidate.is_file():
            with candidate.open(newline="") as f:
                return {str(folder / row["file"]): row["digits"] for row in csv.DictReader(f)}
    return {}


def many_child(args: argparse.Namespace) -> None:
    """Case (c) inside the subprocess: load the model, scan the folder, write the figures as JSON."""
    from digitscan.model.files import load_for_scanning
    from digitscan.scan.inputs import expand_inputs
    from digitscan.scan.pipeline import Scanner, ScanOptions

    loaded = load_for_scanning(args.model)
    Scanner(loaded, ScanOptions(workers=0)).classifier.scores(
        np.zeros((1, 28, 28), np.float32)
    )  # trace, as model loading
    paths = list(expand_inputs([str(args.child_many)]))
    started = time.perf_counter()
    count = errors = 0
    for result in Scanner(loaded, ScanOptions(workers=args.workers)).scan(paths):
        count += 1
        errors += result.error is not None
    seconds = time.perf_counter() - started
    figures = {
        "images": len(paths),
        "results": count,
        "errors": errors,
        "workers": args.workers,
        "seconds": seconds,
        "images_per_s": len(paths) / seconds,
        "peak_rss_bytes": peak_rss_bytes(),
    }
    Path(args.result_file).write_text(json.dumps(figures))


def run_many(folder: Path, model_path: Path, workers: int) -> dict[str, Any]:
    """Case (c) in its own subprocess, sampling the memory of its whole process tree while it runs."""
    result_file = folder.parent / "many_result.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child-many",
        str(folder),
        "--model",
        str(model_path),
        "--workers",
        str(workers),
        "--result-file",
        str(result_file),
    ]
    process = subprocess.Popen(command, cwd=ROOT)
    with TreeMemory(process.pid) as tree:
        code = process.wait()
    if code != 0 or not result_file.exists():
        return {"error": f"subprocess exited with code {code}"}
    figures = json.loads(result_file.read_text())
    figures["helpers_peak_rss_bytes"] = sorted(tree.peaks.values(), reverse=True)
    figures["tree_peak_rss_upper_bytes"] = figures["peak_rss_bytes"] + sum(tree.peaks.values()) if tree.peaks else None
    return figures


# --- report ---------------------------------------------------------------------------------------------------------


def gb(n: float | None) -> str:
    return "-" if n is None else f"{n / 1e9:.2f} GB"


def verdict(ok: bool | None) -> str:
    return "[dim]n/a[/]" if ok is None else "[green]met[/]" if ok else "[red]missed[/]"


def report(results: dict[str, Any]) -> None:
    """Print throughput, stage times, memory and the targets."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    console.print(
        f"model: {results['model']}  ·  workers: {results['workers']}  ·  "
        f"warm-up scan (forkserver start, first predict): {results['warm_up_s']:.2f} s"
    )
    table = Table(title="scan throughput (model load excluded)")
    for column in ("case", "images", "seconds", "images/s", "1st result", "errors", "read right", "target", ""):
        table.add_column(column, justify="left" if column == "case" else "right")
    targets = {"orand": TARGET_ORAND_PER_S, "pages": TARGET_PAGES_PER_S}
    names = {
        "orand": "(a) ORAND crops",
        "orand_alone": "(a) the same, classifier alone (--no-read-whole)",
        "pages": "(b) 3000x4000 pages",
        "many": "(c) many small images",
    }
    for key in ("orand", "orand_alone", "pages", "many"):
        r = results.get(key)
        if r is None:
            continue
        if "error" in r:
            table.add_row(names[key], "", "", f"[red]{r['error']}[/]", "", "", "", "", "")
            continue
        right = f"{r['strings_correct']}/{r['strings_expected']}" if "strings_expected" in r else "-"
        first = f"{r['first_result_s']:.2f} s" if r.get("first_result_s") is not None else "-"
        target = targets.get(key)
        table.add_row(
            names[key],
            f"{r['images']:,}",
            f"{r['seconds']:.2f}",
            f"{r['images_per_s']:.1f}",
            first,
            str(r["errors"]),
            right,
            f"≥ {target:g}/s" if target else "",
            verdict(r["images_per_s"] >= target) if target else "",
        )
    tess = results.get("tesseract")
    if tess:
        right = f"{tess['strings_correct']}/{tess['strings_expected']}"
        table.add_row(
            f"tesseract on (a), {tess['processes']} processes",
            str(tess["images"]),
            f"{tess['seconds']:.2f}",
            f"{tess['images_per_s']:.1f}",
            "",
            "",
            right,
            "",
            "",
        )
    console.print(table)
    if tess and "orand" in results and "images_per_s" in results["orand"]:
        ratio = results["orand"]["images_per_s"] / tess["images_per_s"]
        console.print(f"digitscan / tesseract images per second on ORAND crops: [bold]{ratio:.2f}x[/]")
    elif "tesseract" in results:
        console.print("tesseract: not on PATH, comparison skipped")
    stages = Table(title="time per stage, one process, no workers (ms per image)")
    stages.add_column("stage")
    keys = [k for k in ("orand", "pages") if f"{k}_stages" in results]
    for key in keys:
        stages.add_column(names[key], justify="right")
    for stage in STAGES:
        stages.add_row(stage, *(f"{results[f'{k}_stages']['ms_per_image'][stage]:.2f}" for k in keys))
    stages.add_row("[bold]total[/]", *(f"{results[f'{k}_stages']['ms_per_image_total']:.2f}" for k in keys))
    stages.add_row(
        "candidates per image",
        *(f"{results[f'{k}_stages']['candidates'] / max(1, results[f'{k}_stages']['images']):.1f}" for k in keys),
    )
    console.print(stages)
    many = results.get("many")
    if many and "error" not in many:
        memory = Table(title=f"peak memory, (c) {many['images']:,} images in a subprocess")
        for column in ("measure", "value", "target", ""):
            memory.add_column(column, justify="left" if column == "measure" else "right")
        rss, tree = many["peak_rss_bytes"], many.get("tree_peak_rss_upper_bytes")
        helpers = many.get("helpers_peak_rss_bytes", [])
        memory.add_row("scanning process, peak RSS (VmHWM)", gb(rss), "< 1.50 GB", verdict(rss < TARGET_MANY_BYTES))
        memory.add_row(
            f"forkserver and workers, each one's peak RSS ({len(helpers)} processes)",
            ", ".join(gb(b) for b in helpers) or "-",
            "",
            "",
        )
        memory.add_row(
            "upper bound for all together: sum of every process's peak (shared pages counted per process)",
            gb(tree),
            "< 1.50 GB",
            verdict(None if tree is None else tree < TARGET_MANY_BYTES),
        )
        console.print(memory)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the bundled models/digitnet.h5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    parser.add_argument("--orand", type=Path, default=DEFAULT_ORAND, help=f"ORAND images folder ({DEFAULT_ORAND})")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"MNIST for synthetic images ({DEFAULT_DATA})")
    parser.add_argument("--pages", type=int, default=20, help="full-page photos to generate (default: 20)")
    parser.add_argument("--many", type=int, default=10_000, help="small images for the memory case (default: 10000)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N ORAND crops (smoke tests)")
    parser.add_argument("--tesseract-limit", type=int, default=100, help="ORAND crops for tesseract (default: 100)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic images")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    parser.add_argument("--child-many", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_many:
        many_child(args)
        return 0
    from digitscan.model.files import load_for_scanning
    from digitscan.scan.inputs import expand_inputs

    loaded = load_for_scanning(args.model)  # as `digitscan scan` loads it: its exported copy where there is one
    mnist = load_test_digits(args.data)
    results: dict[str, Any] = {"model": str(loaded.path), "workers": args.workers}
    orand = sorted(expand_inputs([str(args.orand)]))[: args.limit] if args.orand.is_dir() else []
    with tempfile.TemporaryDirectory(prefix="digitscan-scan-bench-") as tmp:
        folder = Path(tmp)
        print(f"generating {args.pages} pages and {args.many:,} small images in {folder} ...", flush=True)
        pages, page_truth = make_pages(folder, args.pages, mnist, args.seed)
        make_many(folder / "many", args.many, mnist, args.seed)
        results["warm_up_s"] = warm_up(loaded, args.workers, folder / "warm", mnist)
        if orand:
            truth = orand_truth(args.orand)
            print(f"(a) {len(orand)} ORAND crops ...", flush=True)
            results["orand"] = throughput(loaded, orand, args.workers, truth)
            results["orand_alone"] = throughput(loaded, orand, args.workers, truth, read_whole=False)
            results["orand_stages"] = stage_times(loaded, orand)
            if args.tesseract_limit > 0:
                results["tesseract"] = tesseract(orand[: args.tesseract_limit], args.workers, truth)
        else:
            print(f"(a) skipped: no images folder {args.orand}", flush=True)
        if pages:
            print(f"(b) {len(pages)} pages ...", flush=True)
            results["pages"] = throughput(loaded, pages, args.workers, page_truth)
            results["pages_stages"] = stage_times(loaded, pages)
        if args.many:
            print(f"(c) {args.many:,} small images, in a subprocess ...", flush=True)
            results["many"] = run_many(folder / "many", loaded.path, args.workers)
    print()
    report(results)
    if args.json:
        payload = {
            "benchmark": "scan",
            "machine": machine(),
            "options": {k: str(v) for k, v in vars(args).items()},
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if any(isinstance(r, dict) and "error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
