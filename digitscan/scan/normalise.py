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

from digitscan.model.contract import INPUT_SIZE, LINE_HEIGHT

SIZE = INPUT_SIZE  # the field the digit is centred in: the model's input
BOX = 20  # MNIST's box: each training digit is fitted into 20x20 pixels of the 28x28 field, keeping its aspect ratio
# Scanning frames each digit twice, fitted into READ_BOX and into BOX, and the classifier's scores of the two are
# averaged. Real digits framed a little smaller read better: training digits are blurred, thickened and resampled
# before they are fitted, and their faint edges count in the box, so their solid ink (above half) spans 18.4 px
# against 19.4 for CVL's digits (a classifier trained with that edge left out of the box still read better at 18-19:
# a measured choice, not a derived one). Framed at 18 alone, printed letters read as digits more often ("PAY" as 94);
# the mean of both keeps print as print and most of the gain. Chosen on CVL valid and ORAND fold 5 with fold 5's
# classifier, and on the dev pages (bench/README.md, twenty-second session): CVL valid 97.60 -> 97.91 % (97.94 at 18
# alone), fold 5 read by the classifier alone 71.67 -> 75.83 %, dev pages +8 lines of 1,518 (+14 at 18 alone).
READ_BOX = 18
READ_BOXES = (READ_BOX, BOX)


def to_mnist(ink: np.ndarray, box: float = BOX) -> np.ndarray:
    """Return the 28x28 float32 image in [0, 1] of one digit, fitted into `box` pixels.

    `ink` is a 2-D array of any size and numeric type, ink bright on a dark
    background (0 = no ink). Blank input gives a blank output.
    """
    solid = _solid_ink(ink)
    return np.zeros((SIZE, SIZE), np.float32) if solid is None else _fitted(solid, box)


def to_mnist_batch(inks: list[np.ndarray]) -> np.ndarray:
    """Normalise many digits into one (N, 28, 28) float32 array, as training does."""
    out = np.zeros((len(inks), SIZE, SIZE), np.float32)
    for i, ink in enumerate(inks):
        out[i] = to_mnist(ink)
    return out


def to_mnist_framings(inks: list[np.ndarray]) -> np.ndarray:
    """Each digit fitted into each of READ_BOXES, as scanning reads it: (N, len(READ_BOXES), 28, 28) float32."""
    out = np.zeros((len(inks), len(READ_BOXES), SIZE, SIZE), np.float32)
    for i, ink in enumerate(inks):
        solid = _solid_ink(ink)
        if solid is not None:
            for j, box in enumerate(READ_BOXES):
                out[i, j] = _fitted(solid, box)
    return out


def _solid_ink(ink: np.ndarray) -> np.ndarray | None:
    """The digit's ink brought to MNIST's full-ink core and cut to its box; None when there is none."""
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        return None
    peak = float(ink.max())
    if not np.isfinite(peak):
        ink = np.nan_to_num(ink, nan=0.0, posinf=0.0, neginf=0.0)
        peak = float(ink.max())
    if peak <= 0:
        return None
    ink = _unit(ink * (1.0 / peak))
    strokes = ink[ink > 0.05]
    if strokes.size > 8:  # pen strokes scanned grey get MNIST's solid core: scale by their bright end, not one pixel
        ink = _unit(ink * (1.0 / max(_percentile80(strokes), 0.2)))
    x, y, w, h = cv2.boundingRect((ink > 0.05).view(np.uint8))  # the peak is 1 now: never empty
    return ink[y : y + h, x : x + w]


def _unit(values: np.ndarray) -> np.ndarray:
    """`values.clip(0, 1)`, in place, by the bare ufuncs: a digit is normalised some thirty times a crop."""
    return np.minimum(np.maximum(values, 0, out=values), 1, out=values)


def _fitted(ink: np.ndarray, box: float) -> np.ndarray:
    """Ink cut to its box, scaled to fit `box` pixels and centred by its centre of mass in the 28x28 field."""
    h, w = ink.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink, (nw, nh), interpolation=interpolation)
    small *= 1.0 / max(float(small.max()), 1e-6)  # thin strokes shrunk to faint grey get MNIST's full-ink core back
    m = cv2.moments(small)
    if m["m00"] <= 0:
        return np.zeros((SIZE, SIZE), np.float32)
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    shift = np.float32([[1, 0, SIZE / 2 - cx], [0, 1, SIZE / 2 - cy]])
    return _unit(cv2.warpAffine(small, shift, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderValue=0))


def _percentile80(values: np.ndarray) -> float:
    """np.percentile(values, 80) exactly (linear interpolation), by partial sort: several times faster."""
    rank = 0.8 * (values.size - 1)
    low = int(rank)
    high = min(low + 1, values.size - 1)
    part = np.partition(values, (low, high))
    return float(part[low] + (part[high] - part[low]) * (rank - low))


# The string reader's input: a whole written number, not one digit. Its ink's box is scaled to LINE_INK rows and
# centred in the contract's LINE_HEIGHT, so a line is framed as tightly as MNIST frames a digit (20 of 28 rows
# there, 24 of 32 here, the spare rows for a descender or a mark above). A line wider than MAX_LINE_WIDTH is
# squeezed to fit: 192 columns hold ten digits at 24 rows high with the gaps handwriting leaves (CVL and ORAND
# digits are about 0.6 times as wide as tall). LINE_PAD blank columns each side let the reader see a string's
# first and last strokes whole.
LINE_INK = 24
MAX_LINE_WIDTH = 192
LINE_PAD = 4
LINE_STRIDE = 4  # the reader's columns per output step: widths are padded to a multiple of it


def to_line(ink: np.ndarray) -> np.ndarray:
    """Return the (LINE_HEIGHT, W) float32 image in [0, 1] of one written number, for the string reader.

    `ink` is bright on dark (0 = no ink), as for `to_mnist`; the strokes are
    brought to full ink the same way. Blank input gives a blank line of the
    narrowest width.
    """
    ink = np.nan_to_num(np.asarray(ink, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    blank = np.zeros((LINE_HEIGHT, 2 * LINE_PAD + LINE_STRIDE), np.float32)
    if ink.ndim != 2 or ink.size == 0 or float(ink.max()) <= 0:
        return blank
    ink = ink * (1.0 / float(ink.max()))
    strokes = ink[ink > 0.05]
    if strokes.size > 8:
        ink = ink * (1.0 / max(_percentile80(strokes), 0.2))
    ink = ink.clip(0, 1)
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    cols = np.flatnonzero(ink.max(axis=0) > 0.05)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = ink.shape
    scale = LINE_INK / h
    nw = min(MAX_LINE_WIDTH - 2 * LINE_PAD, max(1, round(w * scale)))
    small = cv2.resize(ink, (nw, LINE_INK), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    width = -(-(nw + 2 * LINE_PAD) // LINE_STRIDE) * LINE_STRIDE
    out = np.zeros((LINE_HEIGHT, width), np.float32)
    top = (LINE_HEIGHT - LINE_INK) // 2
    out[top : top + LINE_INK, LINE_PAD : LINE_PAD + nw] = small
    return out.clip(0, 1)


def to_line_batch(lines: list[np.ndarray], width: int | None = None) -> np.ndarray:
    """Lines from `to_line` padded on the right to one width (the widest, or `width`): (N, LINE_HEIGHT, W, 1)."""
    width = width or max((line.shape[1] for line in lines), default=LINE_STRIDE)
    out = np.zeros((len(lines), LINE_HEIGHT, width, 1), np.float32)
    for i, line in enumerate(lines):
        out[i, :, : min(width, line.shape[1]), 0] = line[:, :width]
    return out
