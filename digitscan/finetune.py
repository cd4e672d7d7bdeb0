"""Fine-tune a model on labelled crops of a user's own documents.

The folder holds images, `labels.csv` (`file,digits`) and optionally
`boxes.csv` (`file,digit,x,y,w,h`): the layout of the ORAND development set.
Each labelled digit is cut out, inked and normalised exactly as the scanner
does it. Without boxes, the base model's own reading supplies them wherever it
found as many digits as the label has. MNIST digits (made as in training) are
mixed in so the model keeps what it knew.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from digitscan._keras import accelerator, import_keras
from digitscan.augment import REJECT_FRACTION, SEVERAL, augmented_epoch, extra_samples, light
from digitscan.data import Mnist
from digitscan.errors import DataError, is_interrupt
from digitscan.evaluate import locate, read_truth
from digitscan.load import load_pages
from digitscan.modelio import load_model, save_model
from digitscan.normalise import to_mnist
from digitscan.segment import binarise
from digitscan.train import BestCheckpoint, Reporter, _evaluate, train_epoch


@dataclass
class Crops:
    """Normalised 28x28 digits cut from the user's images, with their labels and source files."""

    images: np.ndarray  # (N, 28, 28) float32
    labels: np.ndarray  # (N,)
    files: list[str]


def read_boxes(path: Path) -> dict[str, list[tuple[int, int, int, int, int]]]:
    """boxes.csv: per file, (digit, x, y, w, h) rows left to right."""
    boxes: dict[str, list[tuple[int, int, int, int, int]]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                boxes.setdefault(row["file"], []).append(
                    (int(row["digit"]), int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"]))
                )
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path}: expected a CSV with columns file,digit,x,y,w,h ({exc})") from None
    return boxes


def cut_digit(grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The inked, normalised digit inside a box of a flattened page (as the scanner would see it)."""
    x, y, w, h = box
    crop = (1.0 - grey[max(0, y) : y + h, max(0, x) : x + w]).clip(0, 1)
    if crop.size == 0:
        return np.zeros((28, 28), np.float32)
    return to_mnist(crop * binarise(crop))


def collect_crops(folder: Path, labels_file: Path | None = None, model: Any = None) -> Crops:
    """Every labelled digit of a folder in the ORAND layout, normalised to 28x28."""
    truth = read_truth(labels_file or folder / "labels.csv")
    boxes_file = folder / "boxes.csv"
    boxes = read_boxes(boxes_file) if boxes_file.exists() else {}
    paths = locate(folder, truth)
    images, labels, files = [], [], []
    scanner = None
    for name, digits in truth.items():
        digits = digits.replace(" ", "")
        try:
            page = load_pages(paths[name])[0]
        except Exception as exc:  # an unreadable training image is skipped, not fatal
            if is_interrupt(exc):
                raise
            continue
        rows = boxes.get(name)
        if rows is None:
            if scanner is None:
                from digitscan.pipeline import Scanner

                scanner = Scanner(model, workers=0)
            result = next(iter(scanner.scan([str(paths[name])])))
            found = [d.box for s in result.strings for d in s.digits]
            if len(found) != len(digits):
                continue  # the reading cannot be aligned with the label
            rows = [(int(c), *box) for c, box in zip(digits, found, strict=True)]
        for digit, x, y, w, h in rows:
            s = page.scale
            images.append(cut_digit(page.grey, (round(x * s), round(y * s), round(w * s), round(h * s))))
            labels.append(digit)
            files.append(name)
    if not images:
        raise DataError(f"{folder}: no labelled digits could be cut out (check labels.csv and boxes.csv)")
    return Crops(np.stack(images), np.array(labels, np.int64), files)


def _light_copies(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.stack([to_mnist(light((img * 255).astype(np.uint8), rng)) for img in images])


def finetune(
    crops: Crops, base: str | Path | None, out: Path, *, mnist: Mnist | None = None, epochs: int = 6,
    batch_size: int = 64, learning_rate: float = 3e-4, seed: int = 1, reporter: Reporter | None = None,
) -> tuple[Path, dict[str, Any]]:  # fmt: skip
    """Fine-tune `base` on the crops (10% of files held out); returns the model path and its card."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    loaded = load_model(base)
    model = loaded.model
    files = sorted(set(crops.files))
    held = set(rng.choice(files, size=max(1, len(files) // 10), replace=False))
    is_val = np.array([f in held for f in crops.files])
    x_user, y_user = crops.images[~is_val], crops.labels[~is_val]
    x_val, y_val = crops.images[is_val][..., None], crops.labels[is_val]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    path = out / "finetuned.h5"
    before = _evaluate(model, x_val, y_val)["val_accuracy"]
    save_model(model, path)  # the base model stays unless an epoch beats it on the held-out files
    best, started = BestCheckpoint(path, accuracy=before), time.perf_counter()
    mixed = mnist is not None and loaded.num_outputs > 10
    n_reject, n_several = extra_samples(len(x_user), REJECT_FRACTION)
    known_several = n_several if loaded.num_outputs > SEVERAL else 0  # an 11-output model has no "several digits"
    per_epoch = len(x_user) + (len(x_user) + n_reject + known_several if mixed else 0)  # user digits (+ MNIST)
    steps = -(-per_epoch // batch_size)
    if reporter is not None:
        reporter.start(epochs, steps, accelerator())
    for epoch in range(epochs):
        x_epoch, y_epoch = _light_copies(x_user, rng), y_user
        if mixed:
            pick = rng.choice(len(mnist.x_train), size=len(x_user), replace=False)
            x_m, y_m = augmented_epoch(mnist.x_train[pick], mnist.y_train[pick], rng, REJECT_FRACTION)
            known = y_m < loaded.num_outputs  # an 11-output model has no "several digits" class
            x_m, y_m = x_m[known], y_m[known]
            x_epoch = np.concatenate([x_epoch[..., None], x_m])
            y_epoch = np.concatenate([y_epoch, y_m])
        else:
            x_epoch = x_epoch[..., None]
        train_epoch(model, (x_epoch, y_epoch), (x_val, y_val), batch_size, epoch, rng, best, reporter)
    card = {
        **{k: v for k, v in loaded.card.items() if k in ("architecture", "parameters", "input", "output", "classes")},
        "base_model": str(loaded.path),
        "finetune_data": {"digits": len(crops.labels), "files": len(files), "held_out_files": len(held)},
        "held_out_digit_accuracy_before": round(before, 5),
        "held_out_digit_accuracy_after": round(best.accuracy, 5),
        "best_epoch": best.epoch,
        "epochs_run": epochs,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "mixed_with_mnist": mixed,
    }
    best_model = load_model(path)
    save_model(best_model.model, path, card)
    return path, card
