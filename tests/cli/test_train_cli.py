"""`digitscan train`: training and fine-tuning from the command line, and bad data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digitscan.cli import app


def test_cli_train_lenet(mnist_subset_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--data",
            str(mnist_subset_path),
            "--arch",
            "lenet",
            "--epochs",
            "1",
            "--batch-size",
            "64",
            "--validation",
            "400",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.output
    assert (tmp_path / "lenet.h5").is_file() and (tmp_path / "lenet.card.json").is_file()
    card = json.loads((tmp_path / "lenet.card.json").read_text())
    assert card["parameters"] == 61706 and card["recipe"]["batch_size"] == 64
    assert card["test_inputs"] == "raw pixels / 255" and card["test_accuracy"] > 0.6  # chance is 0.1


def test_cli_train_without_data_offline_names_the_three_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    def offline() -> None:
        raise OSError("network is unreachable")

    monkeypatch.delenv("DIGITSCAN_MNIST", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    result = CliRunner().invoke(app, ["train"])
    assert result.exit_code == 2
    assert "--data" in result.output and "DIGITSCAN_MNIST" in result.output
    assert "Traceback" not in result.output


def test_cli_train_bad_data_file(tmp_path: Path) -> None:
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"not a zip file")
    result = CliRunner().invoke(app, ["train", "--data", str(bad)])
    assert result.exit_code == 2 and "mnist.npz" in result.output and "Traceback" not in result.output


def test_cli_finetune(labelled_folder: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--finetune",
            str(labelled_folder),
            "--model",
            str(tiny_model_path),
            "--epochs",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "finetuned.h5").is_file() and (tmp_path / "finetuned.card.json").is_file()


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary copy of the bundled model's folder, standing in for it: no test replaces the real one."""
    import shutil

    from digitscan.model import files as modelio

    real = modelio.bundled_model_path()
    if not real.exists():
        pytest.skip("no bundled model in this checkout")
    folder = tmp_path / "models"
    shutil.copytree(real.parent, folder, ignore=shutil.ignore_patterns("replaced"))
    monkeypatch.setattr(modelio, "bundled_model_path", lambda: folder / real.name)
    return folder / real.name


def _lenet_args(mnist_subset_path: Path, out: Path) -> list[str]:
    return ["train", "--data", str(mnist_subset_path), "--arch", "lenet", "--epochs", "1", "--out", str(out)]


def test_install_refuses_a_model_without_not_a_digit_unless_forced_and_keeps_the_replaced_one(
    mnist_subset_path: Path, tmp_path: Path, installed: Path
) -> None:
    before = {p.name: p.read_bytes() for p in installed.parent.iterdir() if p.is_file()}
    refused = CliRunner().invoke(app, [*_lenet_args(mnist_subset_path, tmp_path / "run"), "--install"])
    assert refused.exit_code == 2, refused.output
    assert 'no "not a digit" output' in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output and (tmp_path / "run" / "lenet.h5").is_file()
    assert {p.name: p.read_bytes() for p in installed.parent.iterdir() if p.is_file()} == before

    forced = CliRunner().invoke(app, [*_lenet_args(mnist_subset_path, tmp_path / "run"), "--install", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "installed anyway (--force)" in forced.output
    assert installed.read_bytes() == (tmp_path / "run" / "lenet.h5").read_bytes()
    (backup,) = (installed.parent / "replaced").iterdir()
    kept = {p.name: p.read_bytes() for p in backup.iterdir()}
    assert kept[installed.name] == before[installed.name] and kept["curves.png"] == before["curves.png"]
    assert set(kept) <= set(before) and {installed.name, "digitnet.card.json", "history.csv"} <= set(kept)


def test_install_refuses_a_model_that_reads_the_samples_worse(tmp_path: Path, installed: Path) -> None:
    from digitscan.cli.train import install_model
    from digitscan.cli.ui import Consoles
    from digitscan.errors import ModelError
    from digitscan.model.architectures import build
    from digitscan.model.contract import CLASSES
    from digitscan.model.files import save_model

    untrained = tmp_path / "untrained.h5"
    save_model(build("digitnet"), untrained, {"classes": CLASSES})  # has "not a digit", reads nothing right
    before = installed.read_bytes()
    with pytest.raises(ModelError, match=r"reads the self-test \(samples/\) worse: .* against the installed"):
        install_model(untrained, [], force=False, consoles=Consoles())
    assert installed.read_bytes() == before and not (installed.parent / "replaced").exists()


def test_cli_trains_the_string_reader_on_digits_and_documents(
    mnist_subset_path: Path, labelled_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digitscan.training.reader

    monkeypatch.setattr(digitscan.training.reader, "READER_LINES", 64)  # a few lines an epoch, not 40,000
    args = ["train", "--arch", "stringnet", "--data", str(mnist_subset_path), "--data", str(labelled_folder)]
    result = CliRunner().invoke(app, [*args, "--epochs", "1", "--validation", "100", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "6 labelled lines" in result.stderr and "held-out document lines" in result.stdout
    card = json.loads((tmp_path / "stringnet.card.json").read_text())
    assert card["epochs_run"] == 1 and card["export"]["file"] == "stringnet.onnx"
    refused = CliRunner().invoke(app, [*args, "--install", "--out", str(tmp_path / "again")])
    assert refused.exit_code != 0 and "--reader PATH" in refused.output

    monkeypatch.setattr(digitscan.training.reader, "READER_CONTINUE_LINES", 32)
    further = [
        *args,
        "--start-from",
        str(tmp_path / "stringnet.h5"),
        "--page-words",
        "2",
        "--cell-words",
        "2",
        "--out",
        str(tmp_path / "more"),
    ]
    result = CliRunner().invoke(app, [*further, "--epochs", "1", "--validation", "100"])
    assert result.exit_code == 0, result.output
    assert "writing 2 training pages" in result.stderr and "words of print or pattern from 2 pages" in result.stderr
    assert "cell words: writing 2 training register cells" in result.stderr and "from 2 cells" in result.stderr
    card = json.loads((tmp_path / "more" / "stringnet.card.json").read_text())
    assert card["continued_from"]["file"] == "stringnet.h5"
    assert [s["kind"] for s in card["sources"][-2:]] == ["generated pages", "generated register cells"]


def test_cli_reader_options_are_checked_before_any_work(tmp_path: Path) -> None:
    """--start-from, --page-words, --cell-words and --empty-cells belong to the string reader; a reader to start
    from must exist."""
    digits_only = CliRunner().invoke(app, ["train", "--page-words", "5", "--data", str(tmp_path / "none.npz")])
    assert digits_only.exit_code == 2 and "--arch stringnet" in " ".join(digits_only.output.split())
    cells = CliRunner().invoke(app, ["train", "--cell-words", "5", "--data", str(tmp_path / "none.npz")])
    assert cells.exit_code == 2 and "--arch stringnet" in " ".join(cells.output.split())
    empty = CliRunner().invoke(app, ["train", "--empty-cells", "5", "--data", str(tmp_path / "none.npz")])
    assert empty.exit_code == 2 and "--arch stringnet" in " ".join(empty.output.split())
    missing = tmp_path / "missing.h5"
    result = CliRunner().invoke(app, ["train", "--arch", "stringnet", "--start-from", str(missing)])
    assert result.exit_code == 2 and "missing.h5: no such reader" in " ".join(result.output.split())
    assert "Traceback" not in digits_only.output + result.output
    average = ["train", "--arch", "stringnet", "--average", str(missing)]
    one = CliRunner().invoke(app, average)
    assert one.exit_code == 2 and "two readers or more" in " ".join(one.output.split())
    absent = CliRunner().invoke(app, [*average, "--average", str(missing)])
    assert absent.exit_code == 2 and "no such reader to average" in " ".join(absent.output.split())
    untyped = CliRunner().invoke(app, ["train", "--arch", "printnet", "--data", str(tmp_path / "none.npz")])
    assert untyped.exit_code == 2 and "needs --typefaces" in " ".join(untyped.output.split())
    typed = CliRunner().invoke(app, ["train", "--typefaces", str(tmp_path), "--data", str(tmp_path / "none.npz")])
    assert typed.exit_code == 2 and "add --arch printnet" in " ".join(typed.output.split())


def test_python_dash_m_runs_the_command_line_once_and_its_workers_never() -> None:
    """Imported under any other name (as worker processes import a script's main module: `__mp_main__`),
    `digitscan.__main__` starts no command line; run as the main module it does."""
    import runpy

    runpy.run_module("digitscan.__main__", run_name="__mp_main__")  # returns without running anything
    with pytest.raises(SystemExit) as stopped:
        runpy.run_module("digitscan.__main__", run_name="__main__")  # no arguments: the usage, exit 2
    assert stopped.value.code == 2
