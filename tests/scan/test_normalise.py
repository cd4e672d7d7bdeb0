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


def test_to_line_frames_a_number_as_the_reader_expects(digits: dict[int, np.ndarray]) -> None:
    from digitscan.model.contract import LINE_HEIGHT
    from digitscan.scan.normalise import LINE_INK, LINE_PAD, LINE_STRIDE, to_line

    ink = np.zeros((60, 200), np.float32)
    ink[10:38, 20:48] = digits[3] / 255.0
    ink[14:42, 60:88] = digits[7] / 255.0
    line = to_line(ink * 0.4)  # faint ink is brought to full strength, as `to_mnist` does
    assert line.shape[0] == LINE_HEIGHT and line.shape[1] % LINE_STRIDE == 0 and line.dtype == np.float32
    rows = np.flatnonzero(line.max(axis=1) > 0.05)
    assert rows[-1] - rows[0] + 1 <= LINE_INK and line.max() == 1.0
    cols = np.flatnonzero(line.max(axis=0) > 0.05)
    assert cols[0] >= LINE_PAD and line.shape[1] - cols[-1] > LINE_PAD  # blank columns either side


def test_to_line_squeezes_a_long_line_and_survives_blank_input() -> None:
    from digitscan.scan.normalise import MAX_LINE_WIDTH, to_line, to_line_batch

    assert to_line(np.ones((10, 2000), np.float32)).shape[1] <= MAX_LINE_WIDTH
    for ink in (np.zeros((5, 5)), np.zeros((0, 0)), np.full((3, 3), np.nan)):
        line = to_line(ink)
        assert line.shape[0] == 32 and not line.any()
    batch = to_line_batch([np.ones((32, 8), np.float32), np.ones((32, 16), np.float32)])
    assert batch.shape == (2, 32, 16, 1) and batch[0, :, 8:].sum() == 0  # padded with blank on the right
