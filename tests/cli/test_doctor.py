"""digitscan.cli.doctor: every problem is a row with a fix, never a traceback, and the exit code says ready or not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from digitscan.cli import app, doctor
from digitscan.cli.doctor import Check, exit_code, render, run_checks
from digitscan.errors import ExitCode
from digitscan.model import files as modelio


@pytest.fixture(autouse=True)
def no_bundled_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pin the default model to a missing file, whether or not a bundled model has been trained meanwhile."""
    missing = tmp_path / "bundled" / "digitnet.h5"
    monkeypatch.delenv(modelio.MODEL_ENV, raising=False)
    monkeypatch.setattr(modelio, "bundled_model_path", lambda: missing)
    return missing


def invoke(*args: str) -> tuple[int, dict, str]:
    """Run `digitscan doctor --json ARGS`; return the exit code, the parsed report and all output."""
    result = CliRunner().invoke(app, ["doctor", "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout), result.output


def rows(report: dict) -> dict[str, dict]:
    return {row["name"]: row for row in report["checks"]}


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_happy_path_with_model(tiny_model_path: Path) -> None:
    code, report, _ = invoke("--model", str(tiny_model_path), "--no-self-test")
    assert code == 0
    assert report["ok"] is True
    assert report["digitscan"]
    named = rows(report)
    expected = [
        "Python",
        "digitscan",
        "CPU",
        "TensorFlow",
        "Keras",
        "CUDA build",
        "GPU",
        "mixed precision",
        "XLA",
        "OpenCV",
        "OpenCV codecs",
        "Pillow",
        "Pillow codecs",
        "HEIC photos",
        "ONNX Runtime",
        "default model",
        "--model",
        "string reader",
        "page reader",
        "cell reader",
        "print detector",
        "inference speed",
    ]
    assert [row["name"] for row in report["checks"]] == expected
    for row in report["checks"]:
        assert set(row) == {"name", "status", "detail", "fix"}
        assert row["status"] in {"OK", "WARN", "FAIL"}
        assert row["status"] == "OK" or row["fix"], f"{row['name']} is not OK but has no fix"
    assert named["--model"]["status"] == "WARN"  # it scans, with Keras: it has no exported copy
    assert "lenet" in named["--model"]["detail"] and "no exported copy" in named["--model"]["detail"]
    assert named["--model"]["fix"] == f"digitscan export {tiny_model_path} (scans start faster)"
    # The missing default model is not the one in use, so it warns instead of failing the run.
    assert named["default model"]["status"] == "WARN"
    assert "not used" in named["default model"]["detail"]
    assert "digits/s" in named["inference speed"]["detail"]


def test_missing_default_model_fails_when_it_is_the_one_in_use(no_bundled_model: Path) -> None:
    checks = by_name(run_checks(model=None, self_test=True))
    row = checks["default model"]
    assert row.status == "FAIL"
    assert "model file not found" in row.detail
    assert "digitscan train --install" in row.fix
    assert checks["self-test"].status == "WARN"  # skipped: nothing to scan with
    assert "untrained" in checks["inference speed"].detail  # still measured, on a fresh network
    assert exit_code(list(checks.values())) == ExitCode.some_files_failed


def test_missing_model_file(tmp_path: Path) -> None:
    code, report, _ = invoke("--model", str(tmp_path / "nonexistent.h5"), "--no-self-test")
    assert code == 1
    assert report["ok"] is False
    row = rows(report)["--model"]
    assert row["status"] == "FAIL"
    assert "not found" in row["detail"]
    assert row["fix"]


def test_corrupt_model_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.h5"
    bad.write_bytes(b"\x00garbage, not HDF5\xff" * 64)
    code, report, output = invoke("--model", str(bad), "--no-self-test")
    assert code == 1
    row = rows(report)["--model"]
    assert row["status"] == "FAIL"
    assert "not a readable HDF5 model" in row["detail"]
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("module", "row"),
    [("cv2", "OpenCV"), ("tensorflow", "TensorFlow"), ("PIL", "Pillow"), ("keras", "Keras")],
)
def test_missing_library_is_a_fail_row(
    monkeypatch: pytest.MonkeyPatch, tiny_model_path: Path, module: str, row: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import MODULE` now raises ImportError
    checks = by_name(run_checks(model=tiny_model_path, self_test=False))
    assert checks[row].status == "FAIL"
    assert f"cannot import {module}" in checks[row].detail
    assert "Error" in checks[row].detail  # the reason: ImportError or ModuleNotFoundError
    assert checks[row].fix.startswith("pip install")
    assert exit_code(list(checks.values())) == ExitCode.some_files_failed


@pytest.mark.parametrize("module", ["tensorflow", "keras"])
def test_without_tensorflow_training_warns_and_scanning_with_an_exported_model_is_ready(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    from digitscan._files import bundled

    monkeypatch.setitem(sys.modules, module, None)
    checks = by_name(run_checks(model=bundled("models", "digitnet.h5"), self_test=False))
    assert checks["ONNX Runtime"].status == "OK"
    assert checks["--model"].status == "OK" and "ONNX Runtime in int8" in checks["--model"].detail
    row = checks[{"tensorflow": "TensorFlow", "keras": "Keras"}[module]]
    assert row.status == "WARN" and "training needs the train extra" in row.detail, row
    assert row.fix == "pip install 'digitscan[train]'"
    assert checks["GPU"].status == "WARN"  # a training row too
    assert "digits/s" in checks["inference speed"].detail
    assert exit_code(list(checks.values())) == ExitCode.ok


def test_without_onnxruntime_scanning_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from digitscan._files import bundled

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    checks = by_name(run_checks(model=bundled("models", "digitnet.h5"), self_test=False))
    assert checks["ONNX Runtime"].status == "FAIL" and "onnxruntime" in checks["ONNX Runtime"].fix
    assert exit_code(list(checks.values())) == ExitCode.some_files_failed


def test_without_pillow_heif_heic_photos_warn_and_the_rest_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    from digitscan._files import bundled

    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    checks = by_name(run_checks(model=bundled("models", "digitnet.h5"), self_test=False))
    row = checks["HEIC photos"]
    assert row.status == "WARN" and "pillow-heif is not installed" in row.detail
    assert row.fix == "pip install pillow-heif"
    assert exit_code(list(checks.values())) == ExitCode.ok


def test_a_missing_string_reader_fails_with_how_to_scan_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digitscan.scan.read

    monkeypatch.setattr(digitscan.scan.read, "bundled_reader_path", lambda: str(tmp_path / "stringnet.h5"))
    checks = by_name(run_checks(self_test=False))
    assert checks["string reader"].status == "FAIL" and "model file not found" in checks["string reader"].detail
    assert "--no-read-whole" in checks["string reader"].fix
    assert exit_code(list(checks.values())) == ExitCode.some_files_failed


def test_a_missing_print_detector_fails_with_how_to_scan_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digitscan.scan.classify

    monkeypatch.setattr(digitscan.scan.classify, "bundled_print_detector_path", lambda: str(tmp_path / "printnet.h5"))
    checks = by_name(run_checks(self_test=False))
    row = checks["print detector"]
    assert row.status == "FAIL" and "model file not found" in row.detail and "--keep-print" in row.fix


def test_a_crashing_check_becomes_a_fail_row(monkeypatch: pytest.MonkeyPatch) -> None:
    def _broken(ctx: object):
        raise RuntimeError("boom")
        yield  # pragma: no cover - makes it a generator like the real checks

    monkeypatch.setattr(doctor, "CHECKS", (doctor._python, _broken))
    checks = run_checks()
    assert [c.status for c in checks] == ["OK", "OK", "FAIL"]
    assert "RuntimeError: boom" in checks[-1].detail


def test_self_test_runs_on_the_samples(tiny_model_path: Path) -> None:
    if doctor.samples_folder() is None:
        pytest.skip("no samples/ folder (not a source checkout)")
    checks = by_name(run_checks(model=tiny_model_path, self_test=True))
    row = checks["self-test"]
    assert row.status in {"OK", "WARN"}, row.detail  # a one-epoch LeNet may misread some; the scan must not break
    assert "of 4 samples read correctly" in row.detail


def test_render_table_and_verdict() -> None:
    console = Console(record=True, width=200, color_system=None)
    checks = [Check("a", "OK", "fine"), Check("b", "WARN", "slow [really]", "buy a GPU")]
    assert render(checks, console=console) == ExitCode.ok
    text = console.export_text()
    assert "slow [really]" in text  # details are text, not rich markup
    assert "buy a GPU" in text
    assert "Ready" in text and "1 warning" in text

    console = Console(record=True, width=200, color_system=None)
    assert render([*checks, Check("c", "FAIL", "gone", "fix it")], console=console) == ExitCode.some_files_failed
    assert "Not ready: 1 failed (c)" in console.export_text()


def test_render_json() -> None:
    console = Console(record=True, width=40, color_system=None)
    checks = [Check("a", "OK", "a long detail " * 10), Check("b", "FAIL", "gone", "fix it")]
    assert render(checks, as_json=True, console=console) == ExitCode.some_files_failed
    report = json.loads(console.export_text())
    assert report["ok"] is False
    assert report["checks"][1] == {"name": "b", "status": "FAIL", "detail": "gone", "fix": "fix it"}


class FakeJax:
    """Just enough of `jax` for the doctor's GPU rows: the devices it sees and a jit that computes."""

    class Device:
        device_kind = "NVIDIA H100 80GB HBM3"
        compute_capability = "9.0"

    def __init__(self, gpus: int) -> None:
        import numpy

        self.gpus, self.numpy, self.__version__ = gpus, numpy, "0.0-fake"

    def devices(self, kind: str = "") -> list:
        if not self.gpus:
            raise RuntimeError("Unknown backend gpu")
        return [self.Device() for _ in range(self.gpus)]

    def default_backend(self) -> str:
        return "gpu" if self.gpus else "cpu"

    def jit(self, function: object) -> object:
        return function


@pytest.mark.parametrize("gpus", [0, 1])
def test_gpu_rows_under_the_jax_backend(gpus: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "_nvidia_smi_memory", lambda: ["81559 MiB"] * gpus)
    monkeypatch.setattr(doctor, "_driver_present", lambda: bool(gpus))
    ctx = doctor._Context(None, self_test=False)
    ctx.jax = FakeJax(gpus)
    checks = by_name(list(doctor._gpu(ctx)))
    if gpus:
        assert checks["CUDA build"].status == "OK" and checks["GPU"].status == "OK"
        assert checks["GPU"].detail == "NVIDIA H100 80GB HBM3, compute capability 9.0, 81559 MiB"
        assert checks["mixed precision"].status == "OK" and "tensor cores" in checks["mixed precision"].detail
        assert checks["XLA"].detail == "jit_compile works on the GPU"
    else:
        assert checks["CUDA build"].status == "OK" and checks["CUDA build"].detail.startswith("not needed")
        assert checks["GPU"].status == "WARN" and "pip install" not in checks["GPU"].fix
        assert checks["mixed precision"].detail.startswith("not applicable")
        assert checks["XLA"].status == "OK"


@pytest.mark.parametrize("driver", [False, True])
def test_a_cuda_build_is_recommended_only_where_there_is_an_nvidia_gpu(
    driver: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "_nvidia_smi_memory", lambda: [])
    monkeypatch.setattr(doctor, "_driver_present", lambda: driver)
    ctx = doctor._Context(None, self_test=False)
    ctx.jax = FakeJax(0)
    checks = by_name(list(doctor._gpu(ctx)))
    fixes = " ".join(check.fix for check in checks.values())
    assert ("pip install" in fixes) == driver
    assert checks["CUDA build"].status == ("WARN" if driver else "OK")
