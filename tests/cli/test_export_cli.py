"""`digitscan export`, and what scanning says of a model it cannot run without TensorFlow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import said
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.errors import ExitCode
from digitscan.model.files import card_path

runner = CliRunner()


@pytest.fixture
def keras_only(tmp_path: Path, tiny_model_path: Path) -> Path:
    """A copy of the tiny model and its card, with no exported copy beside it."""
    path = tmp_path / "lenet.h5"
    shutil.copy(tiny_model_path, path)
    shutil.copy(card_path(tiny_model_path), card_path(path))
    return path


def test_export_writes_the_copy_scanning_runs(keras_only: Path, mnist_subset_path: Path, pages: Path) -> None:
    result = runner.invoke(app, ["export", str(keras_only), "--data", str(mnist_subset_path)])
    assert result.exit_code == ExitCode.ok, result.output
    assert keras_only.with_suffix(".onnx").is_file()
    assert said(result.output, "largest score difference")
    scanned = runner.invoke(
        app, ["-q", "scan", str(pages / "page0.png"), "-f", "csv", "-m", str(keras_only), "-j", "0"]
    )
    assert scanned.exit_code == ExitCode.ok, scanned.output


@pytest.mark.parametrize("precision", ["int8", "float32", None])
def test_export_writes_the_precision_asked_for(precision: str | None, tmp_path: Path, mnist_subset_path: Path) -> None:
    """A trained classifier (a copy of the bundled one) in the precision asked for; by default in 8 bits."""
    import json

    from digitscan.model.files import bundled_model_path

    path = tmp_path / "digitnet.h5"
    shutil.copy(bundled_model_path(), path)
    shutil.copy(card_path(bundled_model_path()), card_path(path))
    asked = ["--precision", precision] if precision else []
    result = runner.invoke(app, ["export", str(path), "--data", str(mnist_subset_path), *asked])
    assert result.exit_code == ExitCode.ok, result.output
    assert said(result.output, f"folded, {precision or 'int8'}")
    assert json.loads(card_path(path).read_text())["export"]["precision"] == (precision or "int8")


def test_without_tensorflow_a_model_without_export_is_refused_with_how_to_export_it(
    keras_only: Path, pages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digitscan.model.files as files

    monkeypatch.setattr(files, "keras_installed", lambda: False)
    result = runner.invoke(app, ["scan", str(pages / "page0.png"), "-m", str(keras_only), "-j", "0"])
    assert result.exit_code == ExitCode.usage_error  # as for any bad model
    assert said(result.output, f"digitscan export {keras_only}")
    assert said(result.output, "pip install 'digitscan[train]'")  # brackets kept, not taken as markup


def test_export_without_tensorflow_says_what_to_install(keras_only: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import digitscan._keras as keras_module

    monkeypatch.setattr(keras_module, "keras_installed", lambda: False)
    result = runner.invoke(app, ["export", str(keras_only)])
    assert result.exit_code == ExitCode.usage_error
    assert said(result.output, "pip install 'digitscan[train]'")


@pytest.mark.parametrize("kind", ["classifier", "reader"])
def test_export_measures_on_the_bundled_samples_without_mnist(
    kind: str, keras_only: Path, tmp_path: Path, pages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --data, a classifier is measured on the samples' digit candidates and a string reader on lines
    composed of them; the reader's export is then what `scan --reader` runs."""
    from digitscan.scan.read import bundled_reader_path

    monkeypatch.delenv("DIGITSCAN_MNIST", raising=False)
    path = keras_only
    if kind == "reader":
        path = tmp_path / "reader" / "stringnet.h5"
        path.parent.mkdir()
        shutil.copy(bundled_reader_path(), path)
        shutil.copy(card_path(Path(bundled_reader_path())), card_path(path))
    result = runner.invoke(app, ["export", str(path)])
    assert result.exit_code == ExitCode.ok, result.output
    assert said(result.output, "lines composed of digit" if kind == "reader" else "digit candidates cut from the")
    if kind == "reader":  # a string reader stays float32 unless asked otherwise
        assert said(result.output, "folded, float32")
    assert said(result.output, "bundled samples")
    if kind == "reader":
        scanned = runner.invoke(app, ["-q", "scan", str(pages / "page0.png"), "-f", "csv", "--reader", str(path)])
        assert scanned.exit_code == ExitCode.ok, scanned.output
