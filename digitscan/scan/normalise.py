"""Stage 3: one digit image to a 28x28 MNIST-style array (the model contract's input).

This is the one place the MNIST normalisation lives; training augmentation,
scanning and evaluation all call it, so the classifier always sees digits
prepared the same way. MNIST was made by fitting each digit into a 20x20 box
(keeping its aspect ratio, anti-aliased) and centring its centre of mass in a
28x28 field; white ink on black.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitscan.model.contract import INPUT_SIZE

SIZE = INPUT_SIZE  # the field the digit is centred in: the model's input
BOX = 20  # MNIST's box: each digit is fitted into 20x20 pixels of the 28x28 field, keeping its aspect ratio


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """Return the 28x28 float32 image in [0, 1] of one digit.

    `ink` is a 2-D array of any size and numeric type, ink bright on a dark
    background (0 = no ink). Blank input gives a blank output.
    """
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        return np.zeros((SIZE, SIZE), np.float32)
    peak = float(ink.max())
    if not np.isfinite(peak):
        ink = np.nan_to_num(ink, nan=0.0, posinf=0.0, neginf=0.0)
        peak = float(ink.max())
    if peak <= 0:
        return np.zeros((SIZE, SIZE), np.float32)
    ink = (ink * (1.0 / peak)).clip(0, 1)
    strokes = ink[ink > 0.05]
    if strokes.size > 8:  # pen strokes scanned grey get MNIST's solid core: scale by their bright end, not one pixel
        ink = (ink * (1.0 / max(_percentile80(strokes), 0.2))).clip(0, 1)
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    cols = np.flatnonzero(ink.max(axis=0) > 0.05)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = ink.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink, (nw, nh), interpolation=interpolation)
    small *= 1.0 / max(float(small.max()), 1e-6)  # thin strokes shrunk to faint grey get MNIST's full-ink core back
    m = cv2.moments(small)
    if m["m00"] <= 0:
        return np.zeros((SIZE, SIZE), np.float32)
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    shift = np.float32([[1, 0, SIZE / 2 - cx], [0, 1, SIZE / 2 - cy]])
    out = cv2.warpAffine(small, shift, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderValue=0)
    return out.clip(0, 1).astype(np.float32)


def _percentile80(values: np.ndarray) -> float:
    """np.percentile(values, 80) exactly (linear interpolation), by partial sort: several times faster."""
    rank = 0.8 * (values.size - 1)
    low = int(rank)
    high = min(low + 1, values.size - 1)
    part = np.partition(values, (low, high))
    return float(part[low] + (part[high] - part[low]) * (rank - low))


def to_mnist_batch(inks: list[np.ndarray]) -> np.ndarray:
    """Normalise many digits into one (N, 28, 28) float32 array."""
    out = np.zeros((len(inks), SIZE, SIZE), np.float32)
    for i, ink in enumerate(inks):
        out[i] = to_mnist(ink)
    return out
