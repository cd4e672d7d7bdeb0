"""The model card and the figures of a training run: the test split scored once, history, plots."""

from __future__ import annotations

import csv
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digitscan import __version__
from digitscan._keras import import_keras
from digitscan.model.contract import DIGITS, card_input, class_names
from digitscan.training.feed import mnist_inputs
from digitscan.training.sources import known_as

if TYPE_CHECKING:
    from digitscan.training.data import Mnist
    from digitscan.training.recipe import Recipe, TrainOptions
    from digitscan.training.sources import Source
    from digitscan.training.train import BestCheckpoint


def score_and_write(
    model: Any,
    data: Mnist,
    options: TrainOptions,
    recipe: Recipe,
    history: dict[str, list[float]],
    best: BestCheckpoint,
    wall: float,
    device: str,
    out: Path,
    validation_images: int,
    sources: Sequence[Source] = (),
) -> tuple[dict[str, Any], list[Path]]:
    """Score the test split once; write the card's figures, the history and the plots."""
    from digitscan.training import plots

    probs = model.predict(mnist_inputs(data.x_test, recipe.normalise), batch_size=1024, verbose=0)
    raw_pixels = probs if not recipe.normalise else model.predict(mnist_inputs(data.x_test, False), 1024, 0)
    predicted = probs.argmax(axis=1)
    classes = class_names(probs.shape[1])
    correct = predicted == data.y_test
    matrix = np.zeros((DIGITS, probs.shape[1]), np.int64)
    np.add.at(matrix, (data.y_test.astype(int), predicted), 1)
    per_class = {str(d): float(correct[data.y_test == d].mean()) for d in range(DIGITS) if (data.y_test == d).any()}
    history_csv = out / "history.csv"
    with history_csv.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *history])
        for i in range(len(history["loss"])):
            writer.writerow([i + 1, *(f"{history[k][i]:.6f}" for k in history)])
    curves, confusion, wrong = out / "curves.png", out / "confusion.png", out / "misclassified.png"
    plots.plot_history(history, curves)
    plots.plot_confusion(matrix, classes, confusion)
    miss = np.flatnonzero(~correct)
    plots.plot_misclassified(data.x_test[miss], data.y_test[miss], [classes[p] for p in predicted[miss]], wrong)
    card = {
        "format": "digitscan-model-card/1",
        "architecture": options.arch,
        "parameters": int(model.count_params()),
        "input": card_input(),
        "output": {"shape": [None, len(classes)], "meaning": "softmax probabilities, one per class"},
        "classes": classes,
        "training_data": {
            "mnist": {
                "source": data.source,
                **known_as(data.sha256),
                "sha256": data.sha256,
                "train_images": len(data.x_train) - validation_images,
                "validation_images": validation_images,
                "test_images": len(data.x_test),
            },
            "sources": [source.describe() for source in sources],
            "synthetic": "distortions, marks, printed letters and touching digits made from the digits above",
        },
        "recipe": asdict(recipe),
        "epochs_run": len(history["loss"]),
        "best_epoch": best.epoch,
        "seed": options.seed,
        "validation_accuracy": round(best.accuracy, 5),
        "test_accuracy": round(float(correct.mean()), 5),
        "test_inputs": "to_mnist" if recipe.normalise else "raw pixels / 255",
        "test_accuracy_raw_pixels": round(float((raw_pixels.argmax(axis=1) == data.y_test).mean()), 5),
        "per_class_test_accuracy": {k: round(v, 5) for k, v in per_class.items()},
        "wall_time_s": round(wall, 1),
        "device": device,
        "versions": _versions(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return card, [history_csv, curves, confusion, wrong]


def _versions() -> dict[str, str]:
    import cv2

    keras = import_keras()
    versions = {
        "digitscan": __version__,
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }
    for name in ("tensorflow", "jax"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    return versions
