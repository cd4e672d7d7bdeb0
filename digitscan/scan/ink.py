"""Whole-image steps of segmentation done on the ink pixels alone: exactly what the NumPy or OpenCV pass over every
pixel gives, faster on a page, whose ink is a few per cent of it.

A 2000x1500 working page with 4 % ink (2-core CPU, OpenCV 5.0, NumPy 2.4): connected components with their
boxes and areas 18.5 -> 6.8 ms a call (six or more calls a page); the ink's coordinates 8.7 -> 1.9 ms
(`cv2.findNonZero` against `np.nonzero`); the grey levels' histogram 6.3 -> 3.0 ms (`cv2.calcHist` against
`np.bincount`); the opening of a page's inked rows by a long segment 5.0-6.8 -> 2.0-4.0 ms (`long_runs`: four calls
a page). Crops are small enough that OpenCV's own passes stay (`SPARSE_FROM_PIXELS`).
"""

from __future__ import annotations

import math
import threading
from collections import deque

import cv2
import numpy as np

# Below this many pixels OpenCV's own statistics are faster (29 vs 58 us on a 44x108 ORAND crop; even at
# 150x400, 359 vs 290 us); above this share of ink, the per-pixel work here outgrows OpenCV's pass over the image
# (17 % ink on a page: 18.9 vs 16.4 ms; a photographed page's bright paper mask is most of the page).
SPARSE_FROM_PIXELS = 40_000
SPARSE_INK_SHARE = 0.15
EXACT_HISTOGRAM_PIXELS = 1 << 24  # `cv2.calcHist` counts in float32: exact up to 2**24 pixels a level
# Labelling is about a quarter of a page's cutting, and stages apart label the very same strokes: the grid's dots
# and the box frames, the bowed and the aslant rules, a crop's slivers and its words (30 pages of seed 120000: 6.3
# of 20.4 calls a page; 200 ORAND crops: 1.6 of 6.4). The last LABELLED_KEPT results are kept and given again for
# exactly the same pixels. Four, as a repeat comes most often one call or three after its first (2.33 and 1.90 a
# page): a 12-megapixel photo read 16 % faster for 76 MB more at its process's peak; two kept, 11 % for 40 MB
# (bench/README.md, fifty-ninth session).
LABELLED_KEPT = 4

Labelled = tuple[int, np.ndarray, np.ndarray]
"""(count, labels, stats) of a binary image, as `components_with_stats` gives them."""


def ink_pixels(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the non-zero pixels of a uint8 image, row by row as `np.nonzero` orders them."""
    points = cv2.findNonZero(binary)
    if points is None:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    points = points.reshape(-1, 2)  # (N, 1, 2) or (N, 2), as the OpenCV version has it
    return points[:, 1], points[:, 0]


def level_counts(grey: np.ndarray) -> np.ndarray:
    """How many pixels of a uint8 image have each of the 256 levels: `np.bincount(grey.ravel(), minlength=256)`."""
    if grey.size >= EXACT_HISTOGRAM_PIXELS:
        return np.bincount(grey.ravel(), minlength=256)
    return cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel().astype(np.int64)


def at_least(grey: np.ndarray, level: float) -> np.ndarray:
    """uint8 0/1: the pixels of a uint8 image at `level` or above, `(grey >= level).astype(np.uint8)`."""
    return cv2.threshold(grey, math.ceil(level) - 1, 1, cv2.THRESH_BINARY)[1]  # OpenCV keeps those above it


def only_labels(
    binary: np.ndarray, labels: np.ndarray, keep: np.ndarray, pixels: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """uint8 0/1: the pixels of the components whose `keep` (bool per label, label 0 False) is set; `binary` is the
    image the labels were found in, `pixels` its `ink_pixels` where the caller has them already.
    `keep[labels].astype(np.uint8)`, looked up at the ink pixels only."""
    if binary.size < SPARSE_FROM_PIXELS:
        return keep[labels].astype(np.uint8)
    out = np.zeros(binary.shape, np.uint8)
    rows, cols = ink_pixels(binary) if pixels is None else pixels
    kept = keep[labels[rows, cols]]
    out[rows[kept], cols[kept]] = 1
    return out


def components_with_stats(binary: np.ndarray, connectivity: int = 8) -> Labelled:
    """(count, labels, stats) of `binary` (uint8, non-zero is ink), as `cv2.connectedComponentsWithStats` returns
    them less the centroids. stats[i] is left, top, width, height, area (`cv2.CC_STAT_*`) of component i; the
    background's (label 0) are left zero where the ink alone is looked at: no caller reads them. The arrays are
    read-only: the same ones are given again for the same pixels (`LABELLED_KEPT`)."""
    ink = cv2.countNonZero(binary)
    found = _LABELLED.find(binary, connectivity, ink)
    if found is not None:
        return found
    if binary.size < SPARSE_FROM_PIXELS or ink > SPARSE_INK_SHARE * binary.size:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=connectivity)
    else:
        count, labels, stats = _sparse_components(binary, connectivity)
    return _LABELLED.keep(binary, connectivity, ink, (count, labels, stats))


def _sparse_components(binary: np.ndarray, connectivity: int) -> Labelled:
    """`components_with_stats` of an image of little ink: the labels from OpenCV, the boxes and areas from the ink's
    own pixels."""
    count, labels = cv2.connectedComponents(binary, connectivity=connectivity)
    stats = np.zeros((count, 5), np.int32)
    ys, xs = ink_pixels(binary)
    of = labels[ys, xs]
    left, top = np.full(count, np.iinfo(np.int32).max, np.int32), np.full(count, np.iinfo(np.int32).max, np.int32)
    right, bottom = np.full(count, -1, np.int32), np.full(count, -1, np.int32)
    np.minimum.at(left, of, xs)
    np.maximum.at(right, of, xs)
    np.minimum.at(top, of, ys)
    np.maximum.at(bottom, of, ys)
    stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP] = left[1:], top[1:]
    stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT] = (right - left + 1)[1:], (bottom - top + 1)[1:]
    stats[:, cv2.CC_STAT_AREA] = np.bincount(of, minlength=count)
    return count, labels, stats


class _Recent:
    """The last few images labelled and their results, found again only where every pixel is the same."""

    def __init__(self, size: int) -> None:
        self._entries: deque[tuple[np.ndarray, int, int, Labelled]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def find(self, binary: np.ndarray, connectivity: int, ink: int) -> Labelled | None:
        with self._lock:
            entries = tuple(self._entries)
        for image, conn, count, result in entries:  # the ink's count first: a full comparison only where it agrees
            if conn == connectivity and count == ink and image.shape == binary.shape and np.array_equal(image, binary):
                return result
        return None

    def keep(self, binary: np.ndarray, connectivity: int, ink: int, result: Labelled) -> Labelled:
        """`result`, its arrays made read-only (callers share them), kept with a copy of the pixels it is of."""
        for array in result[1:]:
            array.flags.writeable = False
        with self._lock:
            self._entries.append((binary.copy(), connectivity, ink, result))
        return result


_LABELLED = _Recent(LABELLED_KEPT)


def long_runs(rows: np.ndarray, length: int) -> np.ndarray:
    """The opening of `rows` (uint8 0/1) by a 1 x `length` segment, as `cv2.morphologyEx(rows, cv2.MORPH_OPEN,
    cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))` gives it: the runs of ink at least `length` long.

    OpenCV's erosion counts the outside as ink and its dilation as paper, and both take the window of `length`
    pixels from `length // 2` left of a pixel (for an even length the opening keeps a run shifted one pixel right).
    Here each run becomes that interval at once, painted by a running sum: OpenCV's cost grows with `length`.
    """
    if rows.size < SPARSE_FROM_PIXELS:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
        return cv2.morphologyEx(rows, cv2.MORPH_OPEN, kernel)
    count, width = rows.shape
    before = length // 2  # the window's pixels left of its anchor
    stride = width + 1  # a blank column after each row keeps runs from joining across rows
    laid = np.zeros((count, stride), np.int8)
    laid[:, :width] = rows
    steps = np.diff(laid.ravel(), prepend=np.int8(0))
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)  # a run is [start, end)
    row = starts // stride
    start, end = starts - row * stride, ends - row * stride
    far = 1 << 30  # a run at the row's edge goes on outside it, for the erosion
    start, end = np.where(start == 0, -far, start), np.where(end == width, far, end)
    eroded_from, eroded_to = np.maximum(0, start + before), np.minimum(width - 1, end - length + before)
    kept = eroded_from <= eroded_to
    first = np.maximum(0, eroded_from + before - length + 1)[kept]
    last = np.minimum(width - 1, eroded_to + before)[kept]
    at = row[kept] * stride
    marks = np.zeros(count * stride + 1, np.int32)
    np.add.at(marks, at + first, 1)
    np.add.at(marks, at + last + 1, -1)
    return (np.cumsum(marks[:-1]).reshape(count, stride)[:, :width] > 0).astype(np.uint8)
