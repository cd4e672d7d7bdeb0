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
