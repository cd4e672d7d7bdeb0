import cv2
import numpy as np
import pytest

from digitscan.scan.ink import (
    SPARSE_FROM_PIXELS,
    at_least,
    components_with_stats,
    ink_pixels,
    level_counts,
    long_runs,
    only_labels,
)


def opencv(binary: np.ndarray, connectivity: int) -> tuple[int, np.ndarray, np.ndarray]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=connectivity)
    return count, labels, stats


def strokes(shape: tuple[int, int], count: int, seed: int) -> np.ndarray:
    """Sparse ink: random lines and dots, some touching the image's edges."""
    rng = np.random.default_rng(seed)
    binary = np.zeros(shape, np.uint8)
    height, width = shape
    for _ in range(count):
        x0, x1 = rng.integers(-20, width + 20, 2)
        y0, y1 = rng.integers(-20, height + 20, 2)
        cv2.line(binary, (int(x0), int(y0)), (int(x1 % (width // 8) + x0), int(y1)), 1, int(rng.integers(1, 4)))
    binary[rng.random(shape) < 0.002] = 1
    return binary


@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("shape", [(400, 300), (1000, 700)])
def test_sparse_ink_gives_opencvs_labels_boxes_and_areas(shape: tuple[int, int], connectivity: int) -> None:
    binary = strokes(shape, shape[0] * shape[1] // 8000, seed=sum(shape) + connectivity)
    assert binary.size >= SPARSE_FROM_PIXELS and 0 < binary.mean() < 0.15  # the fast path is the one under test
    count, labels, stats = components_with_stats(binary, connectivity)
    want_count, want_labels, want_stats = opencv(binary, connectivity)
    assert count == want_count > 15
    np.testing.assert_array_equal(labels, want_labels)
    np.testing.assert_array_equal(stats[1:], want_stats[1:])


def test_blank_dense_and_small_images_give_opencvs_components() -> None:
    blank = np.zeros((300, 300), np.uint8)
    count, labels, stats = components_with_stats(blank)
    assert count == 1 and not labels.any() and stats.shape == (1, 5)
    dense = (np.indices((300, 300)).sum(axis=0) % 3 == 0).astype(np.uint8)  # a third inked: OpenCV's own pass
    small = strokes((40, 100), 5, seed=1)
    for binary in (dense, small):
        count, labels, stats = components_with_stats(binary)
        want_count, want_labels, want_stats = opencv(binary, 8)
        assert count == want_count
        np.testing.assert_array_equal(labels, want_labels)
        np.testing.assert_array_equal(stats, want_stats)


def test_the_same_pixels_labelled_again_get_the_same_result_and_changed_ones_a_new_one() -> None:
    binary = strokes((400, 300), 20, seed=5)
    first = components_with_stats(binary)
    again = components_with_stats(binary.copy())
    assert again[1] is first[1] and again[2] is first[2]  # found again, not labelled anew
    with pytest.raises(ValueError):
        first[1][0, 0] = 7  # shared between callers: read-only
    moved = binary.copy()
    ys, xs = np.nonzero(moved)
    moved[ys[0], xs[0]], moved[0, 0] = 0, 1  # as much ink, one pixel elsewhere
    assert cv2.countNonZero(moved) == cv2.countNonZero(binary) and moved[0, 0] != binary[0, 0]
    binary[:] = 0  # the caller's image changed after the call: what was kept is a copy
    for image, connectivity in ((moved, 8), (binary, 8), (strokes((400, 300), 20, seed=5), 4)):
        count, labels, stats = components_with_stats(image, connectivity)
        want_count, want_labels, want_stats = opencv(image, connectivity)
        assert count == want_count
        np.testing.assert_array_equal(labels, want_labels)
        np.testing.assert_array_equal(stats[1:], want_stats[1:])


def test_histogram_threshold_and_kept_labels_match_numpys() -> None:
    rng = np.random.default_rng(3)
    grey = (rng.random((400, 300)) ** 3 * 255).astype(np.uint8)  # mostly dark, as a page's ink levels are
    np.testing.assert_array_equal(level_counts(grey), np.bincount(grey.ravel(), minlength=256))
    for level in (0.0, 12.0, 12.5, 200.01, 255.0, 300.0):
        np.testing.assert_array_equal(at_least(grey, level), (grey >= level).astype(np.uint8))
    binary = strokes((400, 300), 15, seed=4)
    count, labels = cv2.connectedComponents(binary)
    keep = rng.random(count) < 0.5
    keep[0] = False
    assert binary.size >= SPARSE_FROM_PIXELS and 0 < keep.sum() < count - 1
    np.testing.assert_array_equal(only_labels(binary, labels, keep), keep[labels].astype(np.uint8))
    rows, cols = ink_pixels(binary)
    want_rows, want_cols = np.nonzero(binary)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(cols, want_cols)


@pytest.mark.parametrize("length", [1, 2, 7, 40, 41, 300])
def test_long_runs_are_opencvs_opening_by_a_row_segment(length: int) -> None:
    rng = np.random.default_rng(length)
    rows = (rng.random((60, 1000)) < 0.2).astype(np.uint8)
    rows = cv2.morphologyEx(rows, cv2.MORPH_CLOSE, np.ones((1, 9), np.uint8))  # runs of every length, at the edges too
    rows[:5] = 1  # whole rows of ink
    rows[5:10] = 0
    assert rows.size >= SPARSE_FROM_PIXELS
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    want = cv2.morphologyEx(rows, cv2.MORPH_OPEN, kernel)
    assert 0 < want.sum() < rows.sum() or length == 1
    np.testing.assert_array_equal(long_runs(rows, length), want)
