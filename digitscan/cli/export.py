"""`digitscan export MODEL.h5`: write the copy of a Keras model that scanning runs without TensorFlow.

Training and fine-tuning export at their end; this is for a model trained before exporting existed, or one
whose exported copy was removed. It needs the train extra (TensorFlow, and `onnx` to write the file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitscan.cli.ui import Consoles
from digitscan.errors import DataError, ExitCode, ModelError


@dataclass(frozen=True)
class ExportCommand:
    """What `digitscan export` was asked to do."""

    model: Path | None = None  # the Keras file; None: --model's default, the bundled model
    data: Path | None = None  # MNIST to measure the export on (its test split); None: $DIGITSCAN_MNIST, else samples
    precision: str | None = None  # int8 or float32; None: the model's role's (`contract.CLASSIFIER_PRECISION`)


def test_digits(data: Path | None) -> tuple[np.ndarray, str]:
    """The digits the two forms are compared on, and what they are: MNIST's test split, else the samples' crops."""
    from digitscan.training.data import DATA_ENV, load_mnist
    from digitscan.training.feed import mnist_inputs

    if data is not None or os.environ.get(DATA_ENV):
        mnist = load_mnist(data)
        return mnist_inputs(mnist.x_test, True), "MNIST test digits through to_mnist"
    from digitscan.cli.doctor import samples_folder
    from digitscan.scan.pipeline import prepare_file

    folder = samples_folder()
    if folder is None:
        raise DataError("export needs digits to compare the two forms on: give MNIST with --data mnist.npz")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    pages = [page for path in files for page in prepare_file(str(path)) if page.readings]
    images = [page.readings[0].images for page in pages if len(page.readings[0].images)]
    framings = np.concatenate(images)  # (N, framings, 28, 28): each framing is an input the classifier sees
    return framings.reshape(-1, *framings.shape[-2:]), "digit candidates cut from the bundled samples"


def test_lines(data: Path | None) -> tuple[np.ndarray, str]:
    """The lines a string reader's two forms are compared on: lines composed of MNIST's test digits, else of the
    digit candidates cut from the bundled samples (the comparison needs realistic lines, not their labels)."""
    from digitscan.scan.normalise import to_line_batch
    from digitscan.training.reader import SCORE_LINES
    from digitscan.training.strings import synthetic_lines

    digits, what = test_digits(data)
    glyphs = (np.asarray(digits).reshape(len(digits), *digits.shape[1:3]) * 255).astype(np.uint8)
    lines = synthetic_lines(SCORE_LINES, glyphs, np.zeros(len(glyphs), np.int64), seed=1).images
    return to_line_batch(lines)[..., 0], f"lines composed of {what}"


def run_export(command: ExportCommand, consoles: Consoles) -> ExitCode:
    """Export, and say where the file is and how close it is to the Keras model."""
    from digitscan._keras import keras_installed
    from digitscan.model.files import TRAIN_EXTRA, load_model, role_of

    if not keras_installed():
        raise ModelError(f"exporting reads the Keras model, which needs TensorFlow: {TRAIN_EXTRA}")
    from digitscan.model.export import export, exported_path

    role = role_of(command.model)
    loaded = load_model(command.model, role)
    images, what = test_lines(command.data) if role == "reader" else test_digits(command.data)
    with consoles.err.status(f"exporting {loaded.path}", spinner="dots"):
        entry = export(loaded.model, loaded.path, images, what, command.precision)
    consoles.err.print(
        f"{exported_path(loaded.path)}: {entry['format']}; largest score difference {entry['max_score_difference']:.2g}"
        f" on {entry['measured_on']}",
        highlight=False,
    )
    return ExitCode.ok
