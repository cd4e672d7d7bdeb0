"""Synthetic training data: style edits put their strokes where the habit puts them; epochs are reproducible."""

from __future__ import annotations

import cv2
import numpy as np

from digitscan.model.contract import REJECT, SEVERAL
from digitscan.training.augment import _worn, cross_seven, flag_one, training_epoch


def _seven() -> np.ndarray:
    """A bare MNIST-like 7 on 28x28: a bar at row 5 from x=8 to 20, then a stem down to (12, 23)."""
    img = np.zeros((28, 28), np.uint8)
    cv2.line(img, (8, 5), (20, 5), 255, 2)
    cv2.line(img, (20, 5), (12, 23), 255, 2)
    return img


def _one() -> np.ndarray:
    img = np.zeros((28, 28), np.uint8)
    cv2.line(img, (14, 4), (14, 23), 255, 3)
    return img


def _added(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the ink an edit added."""
    return np.nonzero((np.asarray(after) > 128) & (before <= 128))


def test_flag_one_adds_an_upstroke_to_the_left_of_the_top() -> None:
    one = _one()
    for seed in range(5):
        ys, xs = _added(one, flag_one(one, np.random.default_rng(seed)))
        assert ys.size > 5
        assert xs.min() < 11 and xs.mean() < 13  # going left from the stem (x=14)
        assert ys.max() < 15  # in the upper half


def test_cross_seven_adds_a_bar_across_the_middle_of_the_stem() -> None:
    seven = _seven()
    for seed in range(5):
        ys, xs = _added(seven, cross_seven(seven, np.random.default_rng(seed)))
        assert ys.size > 5
        assert 10 <= ys.mean() <= 18
        assert xs.min() < 14 < xs.max()  # on both sides of the stem


def test_edits_leave_an_empty_image_alone() -> None:
    blank = np.zeros((28, 28), np.uint8)
    rng = np.random.default_rng(0)
    for edit in (flag_one, cross_seven):
        assert not np.asarray(edit(blank, rng)).any()


def test_worn_ink_fades_a_stroke_unevenly_breaks_it_at_times_and_adds_none() -> None:
    """Old or faint ink (`_worn`): a stroke keeps its place, fades unevenly along its length (parts of it at under
    half its ink), is broken right across now and then, and nothing is drawn where there was no ink."""
    stroke = np.zeros((56, 56), np.float32)
    cv2.line(stroke, (28, 6), (28, 50), 1.0, 5)
    inked, broken = stroke > 0, 0
    for seed in range(20):
        worn = _worn(stroke, np.random.default_rng(seed))
        assert worn.shape == stroke.shape and worn.min() >= 0 and (worn <= stroke).all()
        assert (worn[inked] > 0.05).mean() > 0.7  # most of it left
        assert np.percentile(worn[inked], 10) < 0.75 and worn[inked].std() > 0.05  # faded, unevenly
        broken += bool((worn[6:51, 26:31].max(axis=1) < 0.05).any())  # a gap right across it
    assert 1 <= broken <= 10


def test_an_epoch_is_reproducible_and_holds_every_class(mnist_subset) -> None:
    x, y = mnist_subset.x_train[:400], mnist_subset.y_train[:400]
    a_x, a_y = training_epoch(x, y, seed=5, epoch=4, reject_fraction=0.12)
    b_x, b_y = training_epoch(x, y, seed=5, epoch=4, reject_fraction=0.12)
    np.testing.assert_array_equal(a_x, b_x)
    np.testing.assert_array_equal(a_y, b_y)
    assert a_x.shape == (400 + 48 + 24, 28, 28, 1) and a_x.dtype == np.float32
    assert a_x.min() >= 0.0 and a_x.max() <= 1.0
    counts = np.bincount(a_y, minlength=12)
    assert counts[REJECT] == 48 and counts[SEVERAL] == 24
    np.testing.assert_array_equal(counts[:10], np.bincount(y, minlength=10))
