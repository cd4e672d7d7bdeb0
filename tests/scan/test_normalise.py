"""digitscan.scan.normalise: digits to MNIST's 28x28 representation."""

from __future__ import annotations

import numpy as np

from digitscan.scan.normalise import to_mnist, to_mnist_batch


def test_to_mnist_matches_mnist_geometry(digits: dict[int, np.ndarray]) -> None:
    out = to_mnist(digits[3])
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    ys, xs = np.nonzero(out > 0.05)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) <= 21  # fits the 20x20 box (+ anti-aliasing)
    total = out.sum()
    cy, cx = (np.indices(out.shape) * out).sum(axis=(1, 2)) / total
    assert abs(cy - 14) < 1 and abs(cx - 14) < 1  # centred by centre of mass, as MNIST was


def test_to_mnist_is_scale_invariant(digits: dict[int, np.ndarray]) -> None:
    import cv2

    small = to_mnist(digits[5])
    big = to_mnist(cv2.resize(digits[5], (112, 112), interpolation=cv2.INTER_CUBIC))
    assert np.abs(small - big).mean() < 0.05


def test_to_mnist_blank_and_degenerate_inputs() -> None:
    for ink in (np.zeros((5, 5)), np.zeros((0, 0)), np.full((3, 3), np.nan), np.ones((1, 50))):
        out = to_mnist(ink)
        assert out.shape == (28, 28) and np.isfinite(out).all() and out.max() <= 1
    assert to_mnist_batch([]).shape == (0, 28, 28)
