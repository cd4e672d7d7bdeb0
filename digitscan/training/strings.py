"""Training lines for the string reader: whole written numbers, synthetic and real, through `to_line`.

The digit classifier sees one cut-out digit at a time, so every wrong cut is a
wrong reading; the string reader sees the whole number and learns where the
digits are (CTC). Synthetic lines are composed from the training writers'
digits the way people write amounts: touching or spaced, slanted, with dots
between thousands, a "$" or "#" before, a dash after, an underline or a box
edge beside. Real lines are the labelled documents' images, cut as the
scanner cuts a crop. Both go through the scanner's `to_line`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitscan.scan.normalise import to_line
from digitscan.training.augment import CANVAS, _mark, distort

# How numbers are written, drawn per line. The ranges were set by looking at CVL strings and ORAND amounts before
# any reader was trained, and not tuned since.
LENGTHS = (1, 9)  # digits per line, uniform over [low, high): ORAND amounts hold 1 to 8, forms up to 9
DIGIT_HEIGHT = 40  # canvas pixels a digit's ink is tall (distorted MNIST digits at twice their size)
SIZE_JITTER = (0.85, 1.12)  # each digit's height around the writer's
GAP = (-0.12, 0.35)  # a writer's mean blank between digits, of the digit height (negative: they run together)
GAP_JITTER = 0.08  # each gap around the writer's mean
BASELINE_JITTER = 0.05  # of the digit height
SLANT = 0.3  # the steepest shear of a whole line, either way
THOUSANDS = 0.3  # lines of four digits or more with a dot (or comma) between each group of three
PREFIX = 0.35  # lines with a "$", "#" or "*" before the number
SUFFIX = 0.2  # lines with a dash, equals sign or dot after it
RULED = 0.2  # lines with a rule under, above or beside them (the box of a check's amount)
PREFIXES = "$$$#*"


@dataclass(frozen=True)
class Lines:
    """Reader training lines: each image (LINE_HEIGHT, W) float32 and its digits."""

    images: list[np.ndarray]
    texts: list[str]


def _tight(img: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(img.max(axis=1) > 0.1), np.flatnonzero(img.max(axis=0) > 0.1)
    if rows.size == 0:
        return img[:1, :1] * 0
    return img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _scaled(img: np.ndarray, height: float) -> np.ndarray:
    h, w = img.shape
    factor = height / max(h, 1)
    return cv2.resize(img, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)


def _symbol(rng: np.random.Generator, char: str, height: float) -> np.ndarray:
    """A "$", "#" or "*" drawn with a pen-like Hershey font, as tall as the digits or a little less."""
    canvas = np.zeros((CANVAS, CANVAS), np.uint8)
    font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_PLAIN]))
    cv2.putText(canvas, char, (8, 44), font, rng.uniform(1.2, 1.8), 255, int(rng.integers(2, 5)), cv2.LINE_AA)
    return _scaled(_tight(canvas.astype(np.float32) / 255.0), height * rng.uniform(0.7, 1.05))


def _dot(rng: np.random.Generator, height: float) -> np.ndarray:
    size = max(3, round(height * rng.uniform(0.08, 0.16)))
    img = np.zeros((size * 3, size + 2), np.float32)
    cv2.ellipse(img, (size // 2 + 1, size // 2), (size // 2, size // 2), 0, 0, 360, 1.0, -1)
    if rng.random() < 0.4:  # a comma's tail
        cv2.line(img, (size // 2 + 1, size // 2), (0, size * 2), 1.0, max(1, size // 3))
    return img


class _Canvas:
    """A strip the parts of one line are laid on left to right, each at its own height and baseline."""

    def __init__(self, length: int) -> None:
        self.ink = np.zeros((DIGIT_HEIGHT * 3, DIGIT_HEIGHT * (length + 4) * 2), np.float32)
        self.x = DIGIT_HEIGHT // 2
        self.baseline = DIGIT_HEIGHT * 2

    def put(self, part: np.ndarray, gap: float, lift: float = 0.0) -> None:
        h, w = part.shape
        x = max(0, self.x + round(gap))
        y = max(0, min(self.ink.shape[0] - h, round(self.baseline - h - lift)))
        w = min(w, self.ink.shape[1] - x)
        if w <= 0:
            return
        region = self.ink[y : y + h, x : x + w]
        np.maximum(region, part[:, :w], out=region)
        self.x = x + w


def synthetic_line(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, str]:
    """One composed number: its ink (bright on dark, any size, not yet `to_line`) and its digits."""
    length = int(rng.integers(*LENGTHS))
    picks = rng.integers(0, len(digits), length)
    text = "".join(str(int(labels[i])) for i in picks)
    gap_mean = rng.uniform(*GAP) * DIGIT_HEIGHT
    canvas = _Canvas(length)
    if rng.random() < PREFIX:
        canvas.put(_symbol(rng, str(rng.choice(list(PREFIXES))), DIGIT_HEIGHT), 0, 0)
        canvas.x += round(rng.uniform(0.1, 0.6) * DIGIT_HEIGHT)
    thousands = length >= 4 and rng.random() < THOUSANDS
    for n, i in enumerate(picks):
        if thousands and n and (length - n) % 3 == 0:
            canvas.put(_dot(rng, DIGIT_HEIGHT), rng.uniform(0.0, 0.15) * DIGIT_HEIGHT, -0.1 * DIGIT_HEIGHT)
        glyph = _scaled(_tight(distort(digits[i], rng)), DIGIT_HEIGHT * rng.uniform(*SIZE_JITTER))
        gap = (gap_mean + rng.normal(0, GAP_JITTER) * DIGIT_HEIGHT) if n else 0.0
        canvas.put(glyph, gap, rng.normal(0, BASELINE_JITTER) * DIGIT_HEIGHT)
    if rng.random() < SUFFIX:
        mark = _scaled(_tight(_mark(rng)), DIGIT_HEIGHT * rng.uniform(0.15, 0.5))
        canvas.put(mark, rng.uniform(0.1, 0.4) * DIGIT_HEIGHT, rng.uniform(0.1, 0.5) * DIGIT_HEIGHT)
    ink = canvas.ink[:, : canvas.x + DIGIT_HEIGHT // 2]
    if rng.random() < RULED:
        ink = _ruled(rng, ink)
    return _slanted(rng, ink), text


def _ruled(rng: np.random.Generator, ink: np.ndarray) -> np.ndarray:
    """A rule under or over the number, or a box edge beside it, as a crop of a form or check keeps."""
    ink = ink.copy()
    rows = np.flatnonzero(ink.max(axis=1) > 0.1)
    if rows.size == 0:
        return ink
    thick = int(rng.integers(1, 4))
    where = rng.random()
    if where < 0.5:
        y = min(ink.shape[0] - 1, rows[-1] + int(rng.integers(0, 8)))
        cv2.line(ink, (0, y), (ink.shape[1] - 1, y + int(rng.integers(-3, 4))), 1.0, thick)
    elif where < 0.7:
        y = max(0, rows[0] - int(rng.integers(0, 8)))
        cv2.line(ink, (0, y), (ink.shape[1] - 1, y), 1.0, thick)
    else:
        x = int(rng.integers(0, 4)) if rng.random() < 0.5 else ink.shape[1] - 1 - int(rng.integers(0, 4))
        cv2.line(ink, (x, rows[0] - 10), (x, rows[-1] + 10), 1.0, thick)
    return ink


def _slanted(rng: np.random.Generator, ink: np.ndarray) -> np.ndarray:
    """The whole line sheared by the writer's slant and turned a little, blurred as a scan blurs."""
    h, w = ink.shape
    shear = rng.uniform(-SLANT, SLANT)
    turn = np.deg2rad(rng.uniform(-3, 3))
    m = np.array([[1, shear, -shear * h / 2], [0, 1, 0]], np.float32)
    m[1, 0] = np.tan(turn)
    m[1, 2] = -np.tan(turn) * w / 2
    out = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.2))
    return out


def synthetic_lines(count: int, digits: np.ndarray, labels: np.ndarray, seed: int) -> Lines:
    """`count` synthetic lines through `to_line`, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    images, texts = [], []
    for _ in range(count):
        ink, text = synthetic_line(rng, digits, labels)
        images.append(to_line(ink))
        texts.append(text)
    return Lines(images, texts)
