"""Fine-tuning on a folder in the ORAND layout (labels.csv + boxes.csv), built from MNIST digits."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from digitscan.errors import DataError
from digitscan.model.architectures import build
from digitscan.model.contract import REJECT, SEVERAL
from digitscan.model.files import load_model, save_model
from digitscan.training.finetune import collect_crops, finetune, marks_and_pairs
from digitscan.training.recipe import FinetuneOptions


def test_collect_crops_with_boxes(labelled_folder: Path) -> None:
    crops = collect_crops(labelled_folder)
    assert crops.images.shape[1:] == (28, 28) and len(crops.images) == len(crops.labels) == len(crops.files)
    assert crops.images.min() >= 0 and crops.images.max() <= 1
    truth = "".join(row["digits"] for row in csv.DictReader((labelled_folder / "labels.csv").open()))
    assert "".join(str(d) for d in crops.labels[crops.digits]) == truth
    assert crops.count(SEVERAL) == 6 * 2  # each image's two neighbour pairs
    marks = np.flatnonzero(crops.labels == REJECT)
    assert len(marks) == 1 and crops.files[marks[0]] == "img0.png"  # the dot, and nothing of the digits
    pairs = crops.images[crops.labels == SEVERAL]
    assert (pairs.sum(axis=(1, 2)) > 0).all()


def test_marks_and_pairs_of_a_constructed_string() -> None:
    """Two boxed blobs, a dash outside both, a speck and a long rule: one pair, one mark."""
    grey = np.ones((60, 200), np.float32)
    cv2.rectangle(grey, (20, 10), (40, 40), 0.0, 3)
    cv2.rectangle(grey, (60, 10), (80, 40), 0.0, 3)
    cv2.line(grey, (95, 30), (110, 30), 0.0, 3)  # a dash
    grey[50, 150] = 0.0  # a speck
    cv2.line(grey, (0, 55), (199, 55), 0.0, 2)  # a rule under the amount
    samples = marks_and_pairs(grey, [(18, 8, 25, 35), (58, 8, 25, 35)])
    assert sorted(label for _, label in samples) == [REJECT, SEVERAL]
    dash = next(image for image, label in samples if label == REJECT)
    ys, xs = np.nonzero(dash > 0.5)
    assert np.ptp(xs) > 3 * np.ptp(ys)  # the dash, normalised: wide and flat


def test_finetune_writes_a_loadable_model_with_a_card(labelled_folder: Path, tiny_model_path: Path, tmp_path: Path):
    crops = collect_crops(labelled_folder)
    path, card = finetune(
        crops, FinetuneOptions(labelled_folder, base=tiny_model_path, out=tmp_path, epochs=2, batch_size=8)
    )
    loaded = load_model(path)
    assert loaded.num_outputs == 10
    data = card["finetune_data"]
    assert data["digits"] == 18 and data["held_out_files"] >= 1
    assert data["trained_on"]["marks"] == data["trained_on"]["pairs"] == 0  # a 10-output model has neither class
    assert 0 <= card["held_out_digit_accuracy_after"] <= 1
    held = np.array([f in data["held_out"] for f in crops.files]) & crops.digits
    assert held.sum() == 3 * data["held_out_files"]  # three digits per held-out image
    predicted = loaded.model.predict(crops.images[held][..., None], verbose=0).argmax(axis=1)
    # the card's figure is the saved model's own on the held-out digits (not the last epoch's, not the base's)
    assert card["held_out_digit_accuracy_after"] == round(float((predicted == crops.labels[held]).mean()), 5)


def test_a_twelve_output_model_learns_the_users_marks_and_pairs(labelled_folder: Path, tmp_path: Path) -> None:
    base = tmp_path / "digitnet.h5"
    save_model(build("digitnet"), base)
    crops = collect_crops(labelled_folder)
    _, card = finetune(
        crops, FinetuneOptions(labelled_folder, base=base, out=tmp_path / "out", epochs=1, batch_size=16)
    )
    trained, held = card["finetune_data"]["trained_on"], card["finetune_data"]["held_out_files"]
    assert held == 1  # of six files
    assert trained["digits"] == 15 and trained["pairs"] == 10  # those of the five files not held out
    assert trained["marks"] in (0, 1)  # the dot, unless its file is the one held out


def test_folder_without_labels_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"labels\.csv"):
        collect_crops(tmp_path)
