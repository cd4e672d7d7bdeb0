"""Fast failures: inputs, outputs and the model file are checked before any model is loaded, a run that needs the
model loads it while its inputs are listed, and scanning never imports TensorFlow or Keras."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import said
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.cli import scan as scan_cli
from digitscan.errors import ExitCode

runner = CliRunner()

REPORT_IMPORTS = """
import sys
from digitscan.cli import main
sys.argv = ["digitscan", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print("imported:", sorted({"keras", "tensorflow"} & set(sys.modules)), "exit:", code, file=sys.stderr)
"""


def run_fresh(*args: str) -> subprocess.CompletedProcess[str]:
    """`digitscan ARGS` in a new interpreter that says, at the end, whether Keras or TensorFlow was imported."""
    return subprocess.run(
        [sys.executable, "-c", REPORT_IMPORTS, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_missing_file_is_answered_without_importing_tensorflow(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist.png"
    done = run_fresh("scan", str(missing), "-f", "csv")
    assert "imported: [] exit: 1" in done.stderr, done.stderr
    rows = list(csv.DictReader(done.stdout.splitlines()))
    assert [(r["file"], r["error"]) for r in rows] == [(str(missing), "no such file")]


def test_a_missing_model_is_said_before_tensorflow_is_imported(pages: Path, tmp_path: Path) -> None:
    done = run_fresh("scan", str(pages), "-m", str(tmp_path / "absent.h5"))
    assert "imported: [] exit: 2" in done.stderr, done.stderr
    assert said(done.stderr, "absent.h5: model file not found")


def test_files_that_cannot_be_opened_get_their_rows_in_order_without_the_model(tmp_path: Path, no_work: None) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    missing = tmp_path / "nope.png"
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["-q", "scan", str(missing), str(empty), "-o", str(out)])
    assert result.exit_code == ExitCode.some_files_failed, result.output
    rows = [(r["file"], r["error"]) for r in csv.DictReader(out.open())]
    assert rows == [(str(missing), "no such file"), (str(empty), "empty file (0 bytes)")]


def test_unreadable_rows_keep_their_place_among_scanned_ones(pages: Path, tmp_path: Path, tiny_model_path: Path):
    missing = str(tmp_path / "nope.png")
    first, second = str(pages / "page0.png"), str(pages / "page1.png")
    out = tmp_path / "out.csv"
    args = ["-q", "scan", first, missing, second, "-o", str(out), "-m", str(tiny_model_path), "-j", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.some_files_failed, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(dict.fromkeys(r["file"] for r in rows)) == [first, missing, second]
    assert all(r["digits"] for r in rows if r["file"] != missing)


def test_the_model_loads_while_the_inputs_are_listed(
    pages: Path, tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitscan.scan import warmup

    events: list[str] = []
    real_start = warmup.start_early

    def listing(args: object, stdin: object) -> Iterator[Path]:
        events.append("listing")
        yield tmp_path / "nope.png"  # missing: no model needed for it
        events.append("listed a missing file")
        yield pages / "page0.png"
        events.append("listed a readable file")
        yield pages / "page1.png"
        events.append("listing done")

    def start_early(model: Path | None, workers: int | None) -> object:
        events.append("loading started")
        return real_start(model, workers)

    monkeypatch.setattr(scan_cli, "expand_inputs", listing)
    monkeypatch.setattr(warmup, "start_early", start_early)
    result = runner.invoke(app, ["-q", "scan", "x", "-f", "csv", "-m", str(tiny_model_path), "-j", "0"])
    assert result.exit_code == ExitCode.some_files_failed, result.output
    assert events == ["listing", "listed a missing file", "loading started", "listed a readable file", "listing done"]


def test_scanning_with_the_bundled_model_never_imports_tensorflow_or_keras() -> None:
    """The bundled model runs as its exported copy through ONNX Runtime: a whole scan, workers and all."""
    from digitscan._files import bundled

    check = bundled("samples", "check.png")
    done = run_fresh("scan", str(check), "-f", "csv")
    assert "imported: [] exit: 0" in done.stderr, done.stderr
    assert [r["digits"] for r in csv.DictReader(done.stdout.splitlines())] == ["1480"]


PROBE_WORKER = """
import sys

from digitscan.scan.pipeline import failed, prepare_file


def heavy_modules(path, max_pixels):
    prepare_file(path, max_pixels)
    heavy = {"keras", "tensorflow", "onnxruntime"} & set(sys.modules)
    return [failed(path, "worker imported: " + ",".join(sorted(heavy)))]
"""

SCAN_WITH_PROBE = """
import sys

sys.path.insert(0, sys.argv[1])
from probe_worker import heavy_modules

from digitscan.scan.pipeline import Scanner, ScanOptions

for result in Scanner(options=ScanOptions(workers=1), worker=heavy_modules).scan([sys.argv[2]]):
    print(result.error)
print("main imported:", ",".join(sorted({"keras", "tensorflow"} & set(sys.modules))))
"""


def test_workers_import_neither_tensorflow_nor_the_model_runtime(tmp_path: Path) -> None:
    """A worker cuts digits: it imports OpenCV and Pillow, never Keras, TensorFlow or ONNX Runtime."""
    from digitscan._files import bundled

    (tmp_path / "probe_worker.py").write_text(PROBE_WORKER)
    args = [sys.executable, "-c", SCAN_WITH_PROBE, str(tmp_path), str(bundled("samples", "check.png"))]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.splitlines() == ["worker imported: ", "main imported: "], done.stdout + done.stderr


def test_eval_checks_its_model_before_tensorflow(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("file,digits\na.png,12\n")
    done = run_fresh("eval", str(tmp_path), "-m", str(tmp_path / "absent.h5"))
    assert "imported: [] exit: 2" in done.stderr, done.stderr
    assert said(done.stderr, "model file not found")
