"""Notebook grids: squared paper's lines (school and maths notebooks, graph paper) and a dot grid's dots (bullet
journals), found and taken off a page.

Squared paper crosses every digit with two or three rules. The rule finders (`segment.clear_rules`) took its
upright lines for a ledger's columns and ended a number at each, its faint lines broke into dashes that read as
1s and 4s, and its crossings, a lattice, led `straighten.estimate_tilt` to 14 degrees (atan 1/4, where a
lattice's points also line up). A grid is found where the ink, eroded along each axis by a run longer than any
digit's stroke, holds evenly spaced lines both ways at about the same spacing; its lines are then divided out of
the ink, as the paper's print darkens the pen's strokes where they cross it. A page without one (lined, plain,
a ledger, a form) is left as it is: of the 3,711 kept generated pages of every kind, none has one.

A dot grid's dots that the threshold keeps were decimal points beside the digits they lie next to ("25.7" for 257).
They are small blobs on one lattice: each has six or more others within four pitches at whole multiples of the
pitch both ways, which a written point or comma, off the lattice, has not.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitscan.scan.ink import components_with_stats

# First values, not tuned (bench/README.md, fifty-fourth session): squared pages of seed 174000 (`bench/page_bench.py
# --ruling squared`) read 57.5 -> 86.6 % of their lines, their lined twins 84.7 %; fresh ones of seed 176000 87.9 %.
SQUARES_RUN = 0.1  # of the page's shorter side: a grid line runs straight this far; a digit's stroke (digits are
# 3.5-5.5 % of it tall) runs less
SQUARES_RUN_MIN = 61  # working pixels: the run's least
SQUARES_BLUR = 1.0  # pixels, Gaussian sigma: noise and JPEG break a light rule into dashes an opening would lose;
# smoothed, its lines are opened whole (and a clean scan's crisp lines, unsmoothed)
SQUARES_PEAK = 0.5  # a column holds a line where its mean eroded ink is over this share of
SQUARES_PERCENTILE = 90  # this percentile of the columns' (a photographed grid's lines fill 10-25 % of them, and a
# margin rule's one strong peak sets no bar)
SQUARES_PEAK_MIN = 1.0  # grey levels of 255, and over this: a clean scan's thin lines fill fewer columns than 10 %,
# its paper none
SQUARES_LINES = 8  # lines at least, each way (a ledger has fewer columns)
SQUARES_EVEN = 0.15  # of the spacing: how far a gap between two lines may differ from their median gap
SQUARES_REGULAR = 0.7  # the share of gaps that must be that even
SQUARES_ASPECT = 0.25  # of the larger: how far the spacing across may differ from the spacing down (squares; a
# ledger's rows lie far closer than its columns)


def pitch(profile: np.ndarray) -> float | None:
    """The spacing of the evenly spaced lines whose ink a profile across them holds, or None."""
    on = np.flatnonzero(profile > max(SQUARES_PEAK * np.percentile(profile, SQUARES_PERCENTILE), SQUARES_PEAK_MIN))
    if len(on) < SQUARES_LINES:
        return None
    breaks = np.flatnonzero(np.diff(on) > 1)
    centres = (np.r_[on[0], on[breaks + 1]] + np.r_[on[breaks], on[-1]]) / 2
    if len(centres) < SQUARES_LINES:
        return None
    gaps = np.diff(centres)
    spacing = float(np.median(gaps))
    if np.mean(np.abs(gaps - spacing) <= SQUARES_EVEN * spacing) < SQUARES_REGULAR:
        return None
    return spacing


def without_squares(ink: np.ndarray) -> np.ndarray | None:
    """A level page's ink (0 = paper, float32) with its squared grid divided out, or None where it has none.

    The grid is looked for at half size (its averaging also smooths a light rule that noise broke into dashes),
    upright lines first: most pages have none, and cost one erosion.
    """
    height, width = ink.shape
    run = max(SQUARES_RUN_MIN, round(SQUARES_RUN * min(height, width)))
    dark = (ink * 255).astype(np.uint8)
    half = cv2.resize(dark, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    across_pitch = _spacing(cv2.erode(half, _run(1, run // 2)), 0)
    if across_pitch is None:
        return None
    down_pitch = _spacing(cv2.erode(half, _run(run // 2, 1)), 1)
    if down_pitch is None or abs(down_pitch - across_pitch) > SQUARES_ASPECT * max(down_pitch, across_pitch):
        return None
    smooth = cv2.GaussianBlur(dark, (0, 0), SQUARES_BLUR)
    runs = (_run(1, run), _run(run, 1))
    lines = [cv2.morphologyEx(image, cv2.MORPH_OPEN, kernel) for image in (dark, smooth) for kernel in runs]
    grid = np.maximum.reduce(lines).astype(np.float32) / 255
    return np.clip((ink - grid) / (1 - grid), 0, 1)  # pen over a line: 1 - (1 - pen)(1 - line), solved for pen


def _spacing(lines: np.ndarray, axis: int) -> float | None:
    """The spacing of the lines that run along `axis` of an image of them (0: upright lines), found alike in both
    halves of the page: a grid's lines run across the whole sheet, a form's comb ticks stand in one field."""
    spacings = [pitch(half.mean(axis=axis)) for half in np.array_split(lines, 2, axis=axis)]
    if None in spacings or abs(spacings[0] - spacings[1]) > SQUARES_EVEN * max(spacings):
        return None
    return float(np.mean(spacings))


def _run(width: int, height: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (width, height))


# First values, not tuned (bench/README.md, fifty-fourth session): dotted pages of seeds 174000 and 176000 read
# 76.88 -> 77.96 % and 79.18 -> 80.98 % of their lines with their separators (82.5 % lined), by digits 83.06 -> 82.53
# and 84.32 % both; of the 3,791 kept pages, one (squared, whose grid is taken off first) has such a lattice.
DOTS_SIDE = 8  # working pixels: a dot is at most this wide and tall
DOTS_BLOBS = (60, 4000)  # so many dots or none: fewer are no grid, more are noise (and the pairs cost too much)
DOTS_QUERIES = 300  # dots whose nearest neighbours set the pitch, at most
DOTS_EVEN = 0.15  # of the pitch: how far a nearest neighbour may be off it
DOTS_AXIS = 0.2  # of the distance: how far off the axes a nearest neighbour may lie
DOTS_REGULAR = 0.6  # the share of nearest neighbours that must be that even and upright or level
DOTS_REACH = 2  # working pixels: how far a fellow dot may be off a whole multiple of the pitch, each way
DOTS_RADIUS = 4  # pitches: how far away fellow dots are counted
DOTS_FELLOWS = 6  # a dot with this many fellows is the grid's
DOTS_CHUNK = 256  # dots whose fellows are counted at once (4,000 dots: 8 MB a pair array, not 128)


def without_dots(binary: np.ndarray) -> np.ndarray:
    """A page's strokes (uint8 0/1) without a dot grid's dots, or the same array where it has no dot grid."""
    count, labels, stats = components_with_stats(binary, connectivity=8)
    small = np.flatnonzero((stats[:, 2] <= DOTS_SIDE) & (stats[:, 3] <= DOTS_SIDE))
    small = small[small > 0]
    if not DOTS_BLOBS[0] <= len(small) <= DOTS_BLOBS[1]:
        return binary
    xs = stats[small, 0] + stats[small, 2] / 2
    ys = stats[small, 1] + stats[small, 3] / 2
    queries = np.arange(0, len(small), max(1, -(-len(small) // DOTS_QUERIES)))
    dx, dy = xs[queries, None] - xs[None, :], ys[queries, None] - ys[None, :]
    distance = np.hypot(dx, dy)
    rows = np.arange(len(queries))
    distance[rows, queries] = np.inf
    nearest = distance.argmin(axis=1)
    gap = distance[rows, nearest]
    spacing = float(np.median(gap))
    axial = np.minimum(np.abs(dx[rows, nearest]), np.abs(dy[rows, nearest])) <= DOTS_AXIS * gap
    if spacing <= 0 or np.mean((np.abs(gap - spacing) <= DOTS_EVEN * spacing) & axial) < DOTS_REGULAR:
        return binary
    fellows = np.concatenate(
        [
            _fellows(xs[i : i + DOTS_CHUNK], ys[i : i + DOTS_CHUNK], xs, ys, spacing)
            for i in range(0, len(xs), DOTS_CHUNK)
        ]
    )
    keep = np.ones(count, np.uint8)
    keep[small[fellows >= DOTS_FELLOWS]] = 0
    return binary & keep[labels]


def _fellows(x: np.ndarray, y: np.ndarray, xs: np.ndarray, ys: np.ndarray, spacing: float) -> np.ndarray:
    """How many of the dots (`xs`, `ys`) besides itself lie on each dot's lattice (`x`, `y`) within DOTS_RADIUS
    pitches: a few hundred dots at a time, so that a page of thousands never holds millions of pairs at once."""
    ax, ay = x[:, None] - xs[None, :], y[:, None] - ys[None, :]
    on_lattice = (np.abs(ax - spacing * np.round(ax / spacing)) <= DOTS_REACH) & (
        np.abs(ay - spacing * np.round(ay / spacing)) <= DOTS_REACH
    )
    return (on_lattice & (np.hypot(ax, ay) <= DOTS_RADIUS * spacing)).sum(axis=1) - 1  # not itself
