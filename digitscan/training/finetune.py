"""Fine-tune a model on labelled crops of a user's own documents.

The folder holds images, `labels.csv` (`file,digits`) and optionally
`boxes.csv` (`file,digit,x,y,w,h`): the layout of the ORAND development set.
Each labelled digit is cut out, inked, deskewed and normalised by the
scanner's own code (`digitscan.scan.segment.page_ink` and `cut_digit`), so
the two cannot drift apart. Without boxes, the base model's own reading
supplies them wherever it found as many digits as the label has. The boxes also give the user's own
"not a digit" and "several digits" samples: the marks drawn outside every box
(dots, commas, dashes) and each pair of neighbours cut as one, so the scanner
learns to drop that writer's punctuation and to cut that writer's touching
digits. MNIST digits (made as in training) are mixed in so the model keeps
what it knew.
"""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from digitscan._keras import accelerator, import_keras
from digitscan.errors import DataError, is_interrupt
from digitscan.model.contract import DIGITS, REJECT, SEVERAL
from digitscan.model.files import LoadedModel, load_model, save_model
from digitscan.scan.evaluate import locate, read_truth
from digitscan.scan.load import Page, load_pages
from digitscan.scan.normalise import to_mnist
from digitscan.scan.options import ScanOptions
from digitscan.scan.segment import cut_digit, estimate_slant, page_ink
from digitscan.scan.straighten import union_box
from digitscan.training.augment import augmented_epoch, copies, extra_samples
from digitscan.training.data import Mnist
from digitscan.training.recipe import REJECT_FRACTION, FinetuneOptions
from digitscan.training.train import BestCheckpoint, Reporter, evaluate, train_epoch

Box = tuple[int, int, int, int]


@dataclass
class Crops:
    """Normalised 28x28 samples cut from the user's images, with their labels and source files.

    Labels 0-9 are the labelled digits; REJECT and SEVERAL are the marks and
    the neighbour pairs found around them.
    """

    images: np.ndarray  # (N, 28, 28) float32
    labels: np.ndarray  # (N,)
    files: list[str]

    @property
    def digits(self) -> np.ndarray:
        """Which samples are labelled digits."""
        return self.labels < DIGITS

    def count(self, label: int) -> int:
        """How many samples have this label."""
        return int((self.labels == label).sum())


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


def _ink_and_strokes(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page's ink and pen strokes as the scanner finds them (no strokes on a page that is mostly ink)."""
    ink, strokes = page_ink(grey)
    return ink, strokes if strokes is not None else np.zeros(ink.shape, np.uint8)


def _slant(strokes: np.ndarray, boxes: list[Box]) -> float:
    """The slant of the string the boxes hold, as the scanner estimates a line's before cutting it."""
    if not boxes:
        return 0.0
    x, y, w, h = union_box(boxes)
    region = strokes[max(0, y) : y + h, max(0, x) : x + w]
    return estimate_slant(region) if region.any() else 0.0


def page_samples(grey: np.ndarray, digits: list[tuple[int, Box]]) -> list[tuple[np.ndarray, int]]:
    """A labelled string's samples: each (label, box) digit cut as the scanner cuts it, then `marks_and_pairs`."""
    ink, strokes = _ink_and_strokes(grey)
    boxes = [box for _, box in digits]
    slant = _slant(strokes, boxes)
    samples = [(cut_digit(ink, strokes, box, slant), label) for label, box in digits]
    return samples + _marks_and_pairs(ink, strokes, boxes, slant)


def marks_and_pairs(grey: np.ndarray, boxes: list[Box]) -> list[tuple[np.ndarray, int]]:
    """The non-digits around a string's digit boxes (left to right): each pair of neighbours cut as one
    ("several digits"), and every blob of ink outside all boxes, a speck or a ruling line aside ("not a digit")."""
    ink, strokes = _ink_and_strokes(grey)
    return _marks_and_pairs(ink, strokes, boxes, _slant(strokes, boxes))


def _marks_and_pairs(
    ink: np.ndarray, strokes: np.ndarray, boxes: list[Box], slant: float
) -> list[tuple[np.ndarray, int]]:
    samples = []
    for (x0, y0, w0, h0), (x1, y1, w1, h1) in itertools.pairwise(boxes):
        left, top = min(x0, x1), min(y0, y1)
        right, bottom = max(x0 + w0, x1 + w1), max(y0 + h0, y1 + h1)
        samples.append((cut_digit(ink, strokes, (left, top, right - left, bottom - top), slant), SEVERAL))
    if not boxes:
        return samples
    in_a_box = np.zeros_like(strokes)
    for x, y, w, h in boxes:
        in_a_box[max(0, y) : y + h, max(0, x) : x + w] = 1
    digit_height = float(np.median([h for *_, h in boxes]))
    count, blobs, stats, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < 12 or max(w, h) > 1.5 * digit_height:
            continue
        blob = blobs[y : y + h, x : x + w] == i
        if in_a_box[y : y + h, x : x + w][blob].mean() > 0.1:
            continue  # part of a digit
        samples.append((to_mnist(ink[y : y + h, x : x + w] * blob), REJECT))
    return samples


def labelled_pages(folder: Path, truth: dict[str, str]) -> Iterator[tuple[str, str, Path, Page]]:
    """Each labelled image's name, digits (spaces taken out), path and first page; an image that cannot be read
    is skipped, not fatal (training on the rest)."""
    paths = locate(folder, truth)
    for name, digits in truth.items():
        try:
            page = load_pages(paths[name])[0]
        except Exception as exc:
            if is_interrupt(exc):
                raise
            continue
        yield name, digits.replace(" ", ""), paths[name], page


def collect_crops(folder: Path, labels_file: Path | None = None, model: LoadedModel | Path | None = None) -> Crops:
    """Every labelled digit of a folder in the ORAND layout, and the marks and pairs around them, normalised."""
    truth = read_truth(labels_file or folder / "labels.csv")
    boxes_file = folder / "boxes.csv"
    boxes = read_boxes(boxes_file) if boxes_file.exists() else {}
    images, labels, files = [], [], []
    scanner = None
    for name, digits, path, page in labelled_pages(folder, truth):
        rows = boxes.get(name)
        if rows is None:
            if scanner is None:
                from digitscan.scan.pipeline import Scanner

                scanner = Scanner(model, ScanOptions(workers=0))
            result = next(iter(scanner.scan([str(path)])))
            found = [d.box for s in result.strings for d in s.digits]
            if len(found) != len(digits):
                continue  # the reading cannot be aligned with the label
            rows = [(int(c), *box) for c, box in zip(digits, found, strict=True)]
        s = page.scale
        scaled = [(label, (round(x * s), round(y * s), round(w * s), round(h * s))) for label, x, y, w, h in rows]
        for image, label in page_samples(page.grey, scaled):
            images.append(image)
            labels.append(label)
            files.append(name)
    if not images:
        raise DataError(f"{folder}: no labelled digits could be cut out (check labels.csv and boxes.csv)")
    return Crops(np.stack(images), np.array(labels, np.int64), files)


def held_out_files(files: list[str], rng: np.random.Generator) -> set[str]:
    """The files (a tenth, at least one) whose digits choose the best epoch and are never trained on."""
    ordered = sorted(set(files))
    return set(rng.choice(ordered, size=max(1, len(ordered) // 10), replace=False))


def finetune(
    crops: Crops, options: FinetuneOptions, *, mnist: Mnist | None = None, reporter: Reporter | None = None
) -> tuple[Path, dict[str, Any]]:
    """Fine-tune `options.base` on the crops (10% of files held out); returns the model path and its card."""
    keras = import_keras()
    keras.utils.set_random_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    loaded = load_model(options.base)
    model = loaded.model
    files = sorted(set(crops.files))
    held = held_out_files(crops.files, rng)
    is_val = np.array([f in held for f in crops.files])
    usable = crops.labels < loaded.num_outputs  # a 10-output model has no "not a digit", an 11-output no "several"
    x_user, y_user = crops.images[~is_val & usable], crops.labels[~is_val & usable]
    x_val, y_val = crops.images[is_val & crops.digits][..., None], crops.labels[is_val & crops.digits]
    model.compile(
        optimizer=keras.optimizers.Adam(options.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    out, epochs, batch_size = options.out, options.epochs, options.batch_size
    out.mkdir(parents=True, exist_ok=True)
    path = out / "finetuned.h5"
    before = evaluate(model, x_val, y_val)["val_accuracy"]
    save_model(model, path)  # the base model stays unless an epoch beats it on the held-out files
    best, started = BestCheckpoint(path, accuracy=before), time.perf_counter()
    mixed = mnist is not None and loaded.num_outputs > DIGITS
    n_reject, n_several = extra_samples(len(x_user), REJECT_FRACTION)
    known_several = n_several if loaded.num_outputs > SEVERAL else 0  # an 11-output model has no "several digits"
    per_epoch = len(x_user) + (len(x_user) + n_reject + known_several if mixed else 0)  # user digits (+ MNIST)
    steps = -(-per_epoch // batch_size)
    if reporter is not None:
        reporter.start(epochs, steps, accelerator())
    for epoch in range(epochs):
        x_epoch, y_epoch = copies((x_user * 255).astype(np.uint8), rng), y_user
        if mixed:
            pick = rng.choice(len(mnist.x_train), size=min(len(x_user), len(mnist.x_train)), replace=False)
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
        "finetune_data": {
            "digits": int(crops.digits.sum()),
            "files": len(files),
            "held_out_files": len(held),
            "held_out": sorted(str(f) for f in held),  # chose the best epoch: score the model on the others
            "trained_on": {
                "digits": int((y_user < REJECT).sum()),
                "marks": int((y_user == REJECT).sum()),
                "pairs": int((y_user == SEVERAL).sum()),
            },
        },
        "held_out_digit_accuracy_before": round(before, 5),
        "held_out_digit_accuracy_after": round(best.accuracy, 5),
        "best_epoch": best.epoch,
        "epochs_run": epochs,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "mixed_with_mnist": mixed,
    }
    best_model = load_model(path)
    save_model(best_model.model, path, card)
    from digitscan.model.export import export

    card["export"] = export(best_model.model, path, crops.images, "of the fine-tuning crops (digits, marks, pairs)")
    return path, card
