"""Peer benchmark: digitscan against a third-party OCR (RapidOCR's PP-OCR recogniser) on the same labelled crops.

Run from the repository root with digitscan's own Python::

    .venv/bin/python bench/peer_bench.py                          # ../shared/datasets/orand-car-a-dev, 600 crops
    .venv/bin/python bench/peer_bench.py --limit 20               # smoke test
    .venv/bin/python bench/peer_bench.py --truth fold0.csv --json bench/peer_results.json

The data is a folder in the ORAND layout: ``labels.csv`` (``file,digits``; digits left to right, punctuation left
out) and the images in it or any sub-folder. Both systems read every crop once, after their model is loaded and
warmed up on two crops; crops/s is measured over that reading loop only, with the same number of processes
(``--workers``, default 1). Both are scored the same way: a reading is the digits of what was read (NFKC, then
0-9 only); string accuracy is the share read exactly; digit accuracy is 1 - CER (edit distance summed over all
images / label digits, floored at 0).

Why the peer runs in its own virtual environment: it is a yardstick, not a dependency. RapidOCR pulls in
onnxruntime, its own OpenCV and NumPy pins; installed into digitscan's environment they could change what digitscan
itself runs on (and so the figures being compared). So the script creates ``--peer-venv`` (default
``bench/.venv-peer``, git-ignored) with pinned versions once, and runs a small reader there by subprocess,
which answers in JSON lines. Without network the first run cannot install it: the peer is then reported as not
installed, digitscan's figures are still printed, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import queue
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "orand-car-a-dev"
DEFAULT_PEER_VENV = ROOT / "bench" / ".venv-peer"
PEER_PINS = {"rapidocr": "3.10.0", "onnxruntime": "1.32.0"}  # verified on CPython 3.11, Linux x86-64, offline
PEER_REPORTED = (*PEER_PINS, "numpy", "opencv-python-headless", "opencv-python")
WARMUP_FILES = 2
PEER_READY_TIMEOUT_S = 600.0  # model load and warm-up of one reader process

# The reader, run as `python -I -c READER` with the peer venv's Python. First stdin line: {"files", "warmup", "mode"}.
# It loads the model, warms up, says {"event": "ready"}, waits for "go" on stdin, then prints one line per file:
# {"file", "text", "seconds"[, "error"]}, and {"event": "done", "seconds"} after the loop.
READER = r'''
import json
import sys
import time

FLAGS = {
    "rec": {"use_det": False, "use_cls": False, "use_rec": True},  # the whole crop is one text line
    "det+rec": {"use_det": True, "use_cls": False, "use_rec": True},
}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def text_of(out, mode):
    """All recognised text; with detection, the boxes' texts joined left to right."""
    txts = getattr(out, "txts", None)
    if txts is None:
        return ""
    txts = [str(t) for t in txts]
    boxes = getattr(out, "boxes", None)
    if mode == "det+rec" and boxes is not None and len(boxes) == len(txts):
        lefts = [min(float(p[0]) for p in box) for box in boxes]
        txts = [t for _, t in sorted(zip(lefts, txts), key=lambda pair: pair[0])]
    return "".join(txts)


def model_name(engine):
    try:
        rec = engine.cfg.Rec
        parts = [getattr(v, "value", v) for v in (rec.ocr_version, rec.model_type, rec.lang_type)]
        return "{} rec {} ({})".format(*parts)
    except Exception:
        return "PP-OCR"


def main():
    config = json.loads(sys.stdin.readline())
    started = time.perf_counter()
    from rapidocr import RapidOCR

    try:
        engine = RapidOCR(params={"Global.log_level": "error"})
    except TypeError:
        engine = RapidOCR()
    mode, note = config["mode"], None
    if mode == "auto":
        try:  # recognition only, if this version can
            mode = "rec" if hasattr(engine(config["warmup"][0], **FLAGS["rec"]), "txts") else "det+rec"
        except Exception as exc:
            mode, note = "det+rec", "recognition only failed ({}: {})".format(type(exc).__name__, exc)
    for path in config["warmup"]:  # loads the (lazily loaded) models
        engine(path, **FLAGS[mode])
    emit({"event": "ready", "mode": mode, "note": note, "model": model_name(engine),
          "load_seconds": time.perf_counter() - started})
    if sys.stdin.readline().strip() != "go":
        return
    loop = time.perf_counter()
    for path in config["files"]:
        t = time.perf_counter()
        line = {"file": path}
        try:
            line["text"] = text_of(engine(path, **FLAGS[mode]), mode)
        except Exception as exc:
            line["text"], line["error"] = "", "{}: {}".format(type(exc).__name__, exc)
        line["seconds"] = time.perf_counter() - t
        emit(line)
    emit({"event": "done", "seconds": time.perf_counter() - loop})


main()
'''


class BenchError(Exception):
    """A problem with the inputs: reported in one line, exit status 2."""


class PeerError(Exception):
    """The peer could not be installed or run: reported in one line, digitscan's figures still printed."""


# --- data and scoring ----------------------------------------------------------------------------------------------


def digits_only(text: str) -> str:
    """The ASCII digits of `text`, after NFKC (full-width digits count as digits)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if "0" <= c <= "9")


def read_truth(path: Path) -> dict[str, str]:
    """`file,digits` rows read as `digitscan eval` reads them, each label's strings joined (digits only)."""
    from digitscan.errors import DataError
    from digitscan.scan.evaluate import read_truth as eval_truth

    try:
        return {name: digits_only(digits) for name, digits in eval_truth(path).items()}
    except DataError as exc:
        raise BenchError(str(exc)) from None


def locate(folder: Path, names: list[str]) -> tuple[dict[str, Path], list[str]]:
    """Each labelled file's path, found as `digitscan eval` finds it; and the names not found."""
    from digitscan.scan.evaluate import locate as locate_truth

    paths = locate_truth(folder, dict.fromkeys(names, ""))
    missing = [name for name, path in paths.items() if not path.is_file()]
    return {name: path for name, path in paths.items() if name not in missing}, missing


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, as `digitscan eval` scores."""
    from digitscan.scan.evaluate import edit_distance as distance

    return distance(a, b)


@dataclass
class Reading:
    file: str
    truth: str
    read: str  # digits only
    raw: str  # what the system returned
    errors: int  # edit distance to the truth
    seconds: float = 0.0
    error: str | None = None


@dataclass
class SystemRun:
    system: str
    mode: str
    processes: int
    load_seconds: float = 0.0  # model load and warm-up, not timed
    loop_seconds: float = 0.0  # the timed reading loop
    readings: list[Reading] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def images(self) -> int:
        return len(self.readings)

    @property
    def string_accuracy(self) -> float:
        return sum(r.read == r.truth for r in self.readings) / max(1, self.images)

    @property
    def digit_accuracy(self) -> float:
        digits = sum(len(r.truth) for r in self.readings)
        return max(0.0, 1 - sum(r.errors for r in self.readings) / max(1, digits))

    @property
    def crops_per_s(self) -> float:
        return self.images / self.loop_seconds if self.loop_seconds > 0 else 0.0

    @property
    def failed(self) -> int:
        return sum(r.error is not None for r in self.readings)

    def summary(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "mode": self.mode,
            "processes": self.processes,
            "images": self.images,
            "string_accuracy": round(self.string_accuracy, 6),
            "digit_accuracy": round(self.digit_accuracy, 6),
            "crops_per_s": round(self.crops_per_s, 3),
            "loop_seconds": round(self.loop_seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
            "files_failed": self.failed,
            "versions": self.versions,
            "notes": self.notes,
        }


def reading(name: str, truth: str, raw: str, seconds: float = 0.0, error: str | None = None) -> Reading:
    read = digits_only(raw)
    return Reading(name, truth, read, raw, edit_distance(read, truth), seconds, error)


# --- digitscan, in this process ------------------------------------------------------------------------------------


def import_digitscan() -> tuple[Any, Any]:
    """`Scanner` and `ScanOptions` from the public API, else from the module they lived in before."""
    try:
        from digitscan import Scanner, ScanOptions
    except ImportError:
        from digitscan.pipeline import Scanner, ScanOptions
    return Scanner, ScanOptions


def run_digitscan(truth: dict[str, str], paths: dict[str, Path], model: str | None, workers: int) -> SystemRun:
    """Load the model, warm up on a few crops, then time one `scan` over every crop."""
    try:
        import digitscan

        Scanner, ScanOptions = import_digitscan()
    except ImportError as exc:
        raise BenchError(f"cannot import digitscan's Scanner ({exc}): run this with digitscan's own Python") from None
    # One process means the library reads in this process (workers=0); N > 1: N decode workers, classifying here.
    options = ScanOptions(workers=0 if workers == 1 else workers)
    names = list(paths)
    files = [str(paths[n]) for n in names]
    started = time.perf_counter()
    try:
        scanner = Scanner(model, options)
    except Exception as exc:  # noqa: BLE001 - any load failure is the user's to fix (path, format, contract)
        raise BenchError(f"digitscan could not load its model: {exc}") from None
    list(scanner.scan(files[:WARMUP_FILES]))  # traces the predict function (and starts the pool's server)
    loaded = getattr(getattr(scanner, "classifier", None), "loaded", None)
    model_name = Path(loaded.path).name if loaded is not None else (Path(model).name if model else "bundled model")
    run = SystemRun(
        system=f"digitscan {getattr(digitscan, '__version__', '?')}",
        mode=f"{model_name}, " + ("in-process, 1 proc" if workers == 1 else f"{workers} decode workers"),
        processes=workers,
        load_seconds=time.perf_counter() - started,
        versions=versions("digitscan", "tensorflow", "keras", "numpy", "opencv-python-headless"),
    )
    if workers > 1:
        run.notes.append(
            f"{workers} decode worker processes, classifying in the main one; the timed scan starts its pool"
        )
    start = time.perf_counter()
    results = list(scanner.scan(files))
    run.loop_seconds = time.perf_counter() - start

    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for result in results:  # one result per page: a multi-page file's pages are read in order
        texts[result.file] = texts.get(result.file, "") + "".join(s.text for s in result.strings)
        seconds[result.file] = seconds.get(result.file, 0.0) + float(getattr(result, "seconds", 0.0) or 0.0)
        if result.error:
            errors[result.file] = result.error
    for name, file in zip(names, files, strict=True):
        error = errors.get(file) or (None if file in texts else "no result")
        run.readings.append(reading(name, truth[name], texts.get(file, ""), seconds.get(file, 0.0), error))
    if run.failed:
        run.notes.append(f"{run.failed} file(s) not read (first: {next(r.error for r in run.readings if r.error)})")
    return run


def versions(*names: str) -> dict[str, str]:
    found = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


# --- the peer, in its own venv -------------------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def clean_env() -> dict[str, str]:
    """This environment without what would make the peer's Python see digitscan's packages."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def peer_versions(python: Path) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        "def v(n):\n"
        "    try:\n"
        "        return m.version(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        f"print(json.dumps({{n: v(n) for n in {list(PEER_REPORTED)!r}}}))\n"
    )
    out = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, env=clean_env(), check=True)
    found = json.loads(out.stdout)
    found["python"] = subprocess.run(
        [str(python), "-I", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    ).stdout.strip()
    return {k: v for k, v in found.items() if v}


def ensure_peer_venv(venv: Path) -> tuple[Path, dict[str, str]]:
    """The peer venv's Python, with the pinned packages (created and installed if missing), and its versions."""
    python = venv_python(venv)
    if not python.exists():
        print(f"creating the peer's venv at {venv} ...", flush=True)
        done = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
        if done.returncode != 0 or not python.exists():
            raise PeerError(f"could not create a venv at {venv}: {last_line(done.stderr or done.stdout)}")
    try:
        found = peer_versions(python)
    except (subprocess.CalledProcessError, json.JSONDecodeError) as exc:
        raise PeerError(f"the peer's venv at {venv} does not run ({exc}); remove it to have it rebuilt") from None
    if any(found.get(name) != pin for name, pin in PEER_PINS.items()):
        pins = [f"{name}=={pin}" for name, pin in PEER_PINS.items()]
        print(f"installing {' '.join(pins)} into {venv} ...", flush=True)
        command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"]
        command += ["--timeout", "60", "--retries", "2", *pins]  # offline: fail in minutes, not in a quarter hour
        done = subprocess.run(command, capture_output=True, text=True, env=clean_env())
        if done.returncode != 0:
            raise PeerError(f"pip install {' '.join(pins)} failed: {last_line(done.stderr or done.stdout)}")
        found = peer_versions(python)
    return python, found


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


class Reader:
    """One reader process in the peer's venv, its output gathered by threads (so no pipe ever fills)."""

    def __init__(self, python: Path, files: list[str], warmup: list[str], mode: str) -> None:
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stderr: list[str] = []
        self.process = subprocess.Popen(
            [str(python), "-I", "-c", READER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=clean_env(),
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.send(json.dumps({"files": files, "warmup": warmup, "mode": mode}))

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                self.stderr.append(line.rstrip())  # a library printing to stdout: kept for the error message
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr.extend(line.rstrip() for line in self.process.stderr)

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(text + "\n")
            self.process.stdin.flush()
        except OSError:  # it has already stopped: `next` says why
            pass

    def next(self, timeout: float | None = None) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise PeerError(f"the peer's reader said nothing for {timeout:.0f} s") from None
        if line is None:
            self.process.wait()
            raise PeerError(f"the peer's reader stopped (exit {self.process.returncode}): {self.last_error()}")
        return line

    def last_error(self) -> str:
        return last_line("\n".join(self.stderr))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def run_peer(
    truth: dict[str, str], paths: dict[str, Path], python: Path, found: dict[str, str], workers: int, mode: str
) -> SystemRun:
    """Start the readers, wait until each has loaded and warmed up, then time their reading loops together."""
    names = list(paths)
    files = [str(paths[n]) for n in names]
    started = time.perf_counter()
    shards = [files[i::workers] for i in range(workers) if files[i::workers]]
    readers = [Reader(python, shard, files[:WARMUP_FILES], mode) for shard in shards]
    try:
        ready = [r.next(timeout=PEER_READY_TIMEOUT_S) for r in readers]
        load_seconds = time.perf_counter() - started
        start = time.perf_counter()
        for r in readers:
            r.send("go")
        texts: dict[str, dict[str, Any]] = {}
        for r in readers:
            while (line := r.next(timeout=PEER_READY_TIMEOUT_S)).get("event") != "done":
                texts[line["file"]] = line
        loop_seconds = time.perf_counter() - start
    finally:
        for r in readers:
            r.stop()
    used = ready[0]["mode"]
    mode_text = "rec only" if used == "rec" else "det+rec (boxes left to right)"
    run = SystemRun(
        system=f"RapidOCR {found.get('rapidocr', '?')}",
        mode=f"{mode_text}, {ready[0].get('model', 'PP-OCR')}, {len(readers)} proc",
        processes=len(readers),
        load_seconds=load_seconds,
        loop_seconds=loop_seconds,
        versions=found,
    )
    run.notes += sorted({r["note"] for r in ready if r.get("note")})
    for name, file in zip(names, files, strict=True):
        line = texts.get(file, {"text": "", "error": "no result"})
        run.readings.append(
            reading(name, truth[name], line.get("text", ""), line.get("seconds", 0.0), line.get("error"))
        )
    if run.failed:
        run.notes.append(f"{run.failed} file(s) not read (first: {next(r.error for r in run.readings if r.error)})")
    return run


# --- report --------------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_average": load_average(),
    }


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def print_report(runs: list[SystemRun], info: dict[str, Any], peer_error: str | None) -> None:
    headers = ["system", "mode", "images", "strings exact %", "digits (1−CER) %", "crops/s", "wall s"]
    rows = [
        [
            r.system,
            r.mode,
            str(r.images),
            f"{100 * r.string_accuracy:.1f}",
            f"{100 * r.digit_accuracy:.1f}",
            f"{r.crops_per_s:.1f}",
            f"{r.loop_seconds:.2f}",
        ]
        for r in runs
    ]
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="digitscan vs peer OCR")
        for i, h in enumerate(headers):
            table.add_column(h, justify="right" if i >= 2 else "left")
        for row in rows:
            table.add_row(*row)
        Console(width=None if sys.stdout.isatty() else 160).print(table)  # a log file gets the whole table
    except ImportError:
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
        for row in (headers, *rows):
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print("crops/s and wall s: the reading loop only (model load, warm-up and venv set-up excluded)")
    for r in runs:
        print(f"{r.system}: {r.processes} process(es), model load + warm-up {r.load_seconds:.1f} s (not timed)")
        for note in r.notes:
            print(f"  note: {note}")
    if peer_error:
        print(f"peer not measured: {peer_error}; digitscan's figures above stand alone")
    print(f"machine: {info['platform']}, {info['cpu'] or 'cpu ?'}, {info['cpu_count']} cpus, python {info['python']}")
    print(f"load average (1/5/15 min): at start {info['load_start']}, at end {info['load_end']}")
    for r in runs:
        print(f"versions ({r.system.split()[0]}): " + ", ".join(f"{k} {v}" for k, v in r.versions.items()))


# --- main ----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with labels.csv and the images")
    parser.add_argument("--truth", type=Path, help="file,digits CSV to measure instead of DATA/labels.csv")
    parser.add_argument("--limit", type=int, help="only the first N labelled files")
    parser.add_argument("--model", help="digitscan model (default: the bundled one)")
    parser.add_argument("--workers", "--peer-workers", type=int, default=1, help="processes per system (default 1)")
    parser.add_argument("--peer-venv", type=Path, default=DEFAULT_PEER_VENV, help="the peer's venv (made if missing)")
    parser.add_argument(
        "--peer-mode", choices=("auto", "rec", "det+rec"), default="auto", help="default: rec if it runs"
    )
    parser.add_argument("--json", type=Path, help="also write the figures and every reading here")
    return parser.parse_args(argv)


def load_data(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, Path], list[str]]:
    if not args.data.is_dir():
        raise BenchError(f"data folder not found: {args.data}")
    truth_file = args.truth or args.data / "labels.csv"
    if not truth_file.is_file():
        raise BenchError(f"labels not found: {truth_file}")
    truth = read_truth(truth_file)
    if args.limit is not None:
        if args.limit < 1:
            raise BenchError("--limit must be at least 1")
        truth = dict(list(truth.items())[: args.limit])
    paths, missing = locate(args.data, list(truth))
    if not paths:
        raise BenchError(f"none of the {len(truth)} labelled files is under {args.data}")
    return {n: truth[n] for n in paths}, paths, missing


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    info = machine()
    info["load_start"] = info.pop("load_average")
    try:
        truth, paths, missing = load_data(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if missing:
        print(f"warning: {len(missing)} labelled file(s) not found, left out (first: {missing[0]})", file=sys.stderr)
    print(f"{len(paths)} labelled crops from {args.data}", flush=True)

    peer_error: str | None = None
    try:  # before digitscan loads TensorFlow: an install must not overlap anything timed
        python, found = ensure_peer_venv(args.peer_venv)
        print("peer venv: " + ", ".join(f"{k} {v}" for k, v in found.items()), flush=True)
    except PeerError as exc:
        peer_error = f"the peer could not be installed ({exc})"

    runs: list[SystemRun] = []
    try:
        print("digitscan: loading the model and reading ...", flush=True)
        runs.append(run_digitscan(truth, paths, args.model, args.workers))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if peer_error is None:
        try:
            print("peer: loading the model and reading ...", flush=True)
            runs.append(run_peer(truth, paths, python, found, args.workers, args.peer_mode))
        except PeerError as exc:
            peer_error = f"the peer failed to run ({exc})"

    info["load_end"] = load_average()
    print()
    print_report(runs, info, peer_error)
    if args.json:
        report = {
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "data": str(args.data),
            "truth": str(args.truth or args.data / "labels.csv"),
            "missing_files": missing,
            "machine": info,
            "peer_pins": PEER_PINS,
            "peer_error": peer_error,
            "systems": [r.summary() for r in runs],
            "readings": {r.system: [asdict(x) for x in r.readings] for r in runs},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 1 if peer_error else 0


if __name__ == "__main__":
    sys.exit(main())
