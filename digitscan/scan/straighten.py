"""Before segmentation: turn a page upright and level, so its lines of writing and its ruling run straight across.

Ruled lines, ledger rules and lines of digits are all found as horizontal
structures; a page photographed 3 degrees off loses them all (a ruled line
becomes a staircase of short runs, a line of digits drifts out of its band).
The tilt is the angle at which the ink's row profile is sharpest (rules and
lines of writing pile up into few rows), searched coarse then fine within
`MAX_TILT`; the page is rotated back about its centre on a canvas that holds
it whole, and every box found on it is mapped back to the page as given.

A page turned a quarter (no EXIF tag says so) is told by its digit-sized
blobs: each one's nearest lies above or below it, not beside it, as a
number's digits stand side by side along its line (`quarter_turns`); which way up it reads, and
whether an upright page is upside down, only the classifier can tell: the
scanner reads both ways and keeps the reading it is surer of
(`scan.assemble.orientation_evidence`). Where the blobs leave even the quarter
unsure, the page is cut both ways and read all four.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from digitscan.scan.ink import components_with_stats, ink_pixels

# Tuning numbers, set by hand on pages of the page generator (digitscan.training.pages, tests/data/pages) and
# checked on the samples; crops like ORAND's (at most 293 x 108 px) are below MIN_SIDE and never turned.
MAX_TILT = 15.0  # degrees either way: the range for a photographed page; beyond, lines are ambiguous
COARSE_STEP = 0.5  # degrees between the angles tried first,
FINE_STEP = 0.1  # then this step within one coarse step of the best
MAX_RULE_LEAN = 6.0  # degrees either way that a levelled page's upright rules may lean (perspective)
MIN_TILT = 0.4  # degrees: a smaller tilt is left alone (lines and rules still fit their bands; no resampling)
MIN_GAIN = 1.15  # the best angle's sharpness must beat the level page's by this factor (else the ink has no lines)
MIN_SIDE = 300  # working pixels: a smaller image is a crop of one field, whose few digits give no reliable profile
# Digit-sized blobs needed to tell a page turned a quarter surely. With fewer, from QUARTER_FEW_BLOBS on, a page is
# cut both ways, the likelier by its blobs first (turned first where it is ruled down its length,
# `segment._ruled_down`: a notebook turned a quarter with three short numbers on it was read across, its digits'
# lines cut sideways, "7 5 00" of three lines; forty-third session), and the readers choose
# (`assemble.quarter_evidence`); with one blob, nothing tells: as given. Till the sixty-fourth session such pages
# were read only as given, and a sticky note photographed sideways with two numbers (4-7 blobs) was read across its
# writing: the other generator's notes (`bench/other_pages.py --tilt 15 --quarters`, seed 6) 47.1 -> 76.5 % of
# lines; of 35 other sets' 18,540 lines, an upright note of seed 3 read turned ("470 807" as "05 04 410") and a
# turned notebook read (+1 -1), the rest as before. Told by their blobs alone, so few blobs misled on notebooks and
# dated pages whose digits had joined their rules: 21 lines of 6 pages lost (bench/README.md, sixty-fourth session).
QUARTER_MIN_BLOBS = 8
QUARTER_FEW_BLOBS = 2
# A number's digits stand side by side along its line, closer than the lines stand apart: the share of digit-sized
# blobs whose nearest neighbour lies more across than down (`across_share`) is high on a page upright or upside
# down, low on one turned a quarter. On 1,104 generated pages (seeds 120000-153000, 8 such blobs or more): upright
# 0.65 to 1.0, turned a quarter 0 to 0.33. The share of blobs taller than wide, which said it before, was fooled by a
# writer of wide, slanted digits (0.18 on an upright note, read across) and by digits joined to a turned notebook's
# rules (0.56 on a turned one): 11 of those pages cut the wrong way first, 3 only the wrong way, 63 cut both ways.
ACROSS_SHARE = 0.5
# A share within UNSURE_SHARE of ACROSS_SHARE leaves the quarter unsure: the page is cut both ways and read all four,
# the readers' evidence choosing (`segment.page_cuts`). None of the 1,104 fell within it.
UNSURE_SHARE = 0.15
# On a page ruled down its length (`segment._ruled_down`) whose writing seems to run across, the quarter is unsure
# within RULED_DOWN_UNSURE_SHARE: a notebook turned a quarter and written in pencil as dark as its ruling had its
# digits broken in halves along the rules erased through them, and the halves, side by side, ran across (0.72); read
# only across, its five numbers came out as forty single digits. Upright pages run 0.65-1.0 (above); every line of
# the 24 kept page sets reads as before (fifty-third session); 120 pencil pages of seed 173000 (`bench/page_bench.py
# --ink pencil`) +2 lines, spurious strings 1.44 -> 1.16 a page.
RULED_DOWN_UNSURE_SHARE = 0.3
NEIGHBOUR_QUERIES = 300  # blobs whose nearest neighbours are looked for at most (a ledger has 100-400; noise 4,000)
BLOB_SIDES = (14, 300)  # working pixels: the longer side of a blob that may be a digit
MAX_ELONGATION = 3  # a blob longer than this many times its width is a 1, a rule or a dash: no clue either way
MAX_POINTS = 60_000  # ink pixels sampled for the profiles (a page has millions; the profile needs a few thousand)
BIN = 2  # pixels: the row profile's bin (a thin rule spans one or two)


@dataclass(frozen=True)
class Turn:
    """How a page was turned: `matrix` (2 x 3) maps page pixels to the turned page; `inverse` maps back."""

    matrix: np.ndarray
    inverse: np.ndarray
    page_shape: tuple[int, int]  # (height, width) of the page as given

    @classmethod
    def of(cls, matrix: np.ndarray, page_shape: tuple[int, ...]) -> Turn:
        return cls(matrix, cv2.invertAffineTransform(matrix), (int(page_shape[0]), int(page_shape[1])))

    def then(self, matrix: np.ndarray) -> Turn:
        """This turn followed by `matrix` (2 x 3, on the turned page)."""
        first = np.vstack([self.matrix, [0.0, 0.0, 1.0]])
        second = np.vstack([matrix, [0.0, 0.0, 1.0]])
        return Turn.of((second @ first)[:2], self.page_shape)

    def box_on_page(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box on the level page, as the smallest upright box around it on the page as given (clipped)."""
        x, y, w, h = box
        corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64)
        return box_around(corners @ self.inverse.T, self.page_shape)


def scaled_box(box: tuple[int, int, int, int], scale: float) -> tuple[int, int, int, int]:
    """A box (x, y, w, h) in pixels `scale` times the size, brought back: working pixels to a file's, a crop cut
    larger to the crop's."""
    if scale == 1.0:
        return box
    x, y, w, h = box
    return round(x / scale), round(y / scale), max(1, round(w / scale)), max(1, round(h / scale))


def union_box(boxes: Sequence[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The smallest box (x, y, w, h) holding every box given (at least one)."""
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def box_around(points: np.ndarray, page_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The smallest upright box (x, y, w, h) around (x, y) points, clipped to a page of `page_shape`."""
    height, width = page_shape[:2]
    x0, y0 = max(0, int(np.floor(points[:, 0].min()))), max(0, int(np.floor(points[:, 1].min())))
    x1, y1 = min(width, int(np.ceil(points[:, 0].max()))), min(height, int(np.ceil(points[:, 1].max())))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def is_crop(shape: tuple[int, ...]) -> bool:
    """Whether an image of this shape is a crop of one field (a check amount, a register cell), not a page."""
    return min(shape[:2]) < MIN_SIDE


def sharpness(xs: np.ndarray, ys: np.ndarray, degrees: float) -> float:
    """How concentrated the ink's rows are once the page is turned by `degrees` (sum of squared bin counts)."""
    angle = np.deg2rad(degrees)
    rows = ys * np.cos(angle) - xs * np.sin(angle)  # the row of each ink pixel on the page turned by -degrees
    counts = np.bincount(((rows - rows.min()) / BIN).astype(np.int64))
    return float((counts.astype(np.float64) ** 2).sum())


def ink_points(binary: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """The columns and rows (float) of up to `MAX_POINTS` of a page's ink pixels, drawn at random: what its
    profiles are made of; None for a crop smaller than a page or a page with almost no ink."""
    if is_crop(binary.shape):
        return None
    ys, xs = ink_pixels(binary)
    if xs.size < 2 * MIN_SIDE:
        return None
    if xs.size > MAX_POINTS:
        pick = np.random.default_rng(seed).choice(xs.size, MAX_POINTS, replace=False)
        xs, ys = xs[pick], ys[pick]
    return xs.astype(np.float64), ys.astype(np.float64)


def estimate_tilt(binary: np.ndarray, seed: int = 0) -> float:
    """The turn that levels the page, in degrees (OpenCV's: counter-clockwise positive), or 0.0 when the page is
    level, small, or has no lines to tell."""
    points = ink_points(binary, seed)
    if points is None:
        return 0.0
    xs, ys = points
    coarse = np.arange(-MAX_TILT, MAX_TILT + COARSE_STEP / 2, COARSE_STEP)
    scores = [sharpness(xs, ys, a) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - COARSE_STEP, best + COARSE_STEP + FINE_STEP / 2, FINE_STEP)
    fine_scores = [sharpness(xs, ys, a) for a in fine]
    best = float(fine[int(np.argmax(fine_scores))])
    if abs(best) < MIN_TILT or max(fine_scores) < MIN_GAIN * sharpness(xs, ys, 0.0):
        return 0.0
    return best


def quarter_turn(image: np.ndarray, quarters: int) -> tuple[np.ndarray, np.ndarray]:
    """`image` turned by `quarters` x 90 degrees counter-clockwise (exactly, no resampling) and the 2 x 3 matrix that
    maps its boxes there (on pixel edges: the edge x of the image is the edge width - x once turned a quarter)."""
    height, width = image.shape[:2]
    quarters %= 4
    matrix = {
        0: [[1, 0, 0], [0, 1, 0]],
        1: [[0, 1, 0], [-1, 0, width]],
        2: [[-1, 0, width], [0, -1, height]],
        3: [[0, -1, height], [1, 0, 0]],
    }[quarters]
    return np.ascontiguousarray(np.rot90(image, quarters)), np.array(matrix, np.float64)


def quarter_turns(strokes: np.ndarray, ruled_down: bool = False) -> list[int]:
    """The quarter turns to cut a page in, the likelier first: [0] where its writing runs across, [1] where it runs
    down (`across_share` under ACROSS_SHARE), both where the share is within UNSURE_SHARE of it, or where the page
    has too few digit-sized blobs to tell surely (`QUARTER_MIN_BLOBS`): turned first where it is ruled down its
    length (`ruled_down`), else the likelier first; [0] with fewer than QUARTER_FEW_BLOBS. Pen strokes with the
    ruling erased (`segment.clear_rules`) in, uint8 0/1."""
    _, _, stats = components_with_stats(strokes, connectivity=8)
    x, y, w, h = (stats[1:, k].astype(np.float64) for k in range(4))
    longer, shorter = np.maximum(w, h), np.minimum(w, h)
    digit_sized = (longer >= BLOB_SIDES[0]) & (longer <= BLOB_SIDES[1]) & (longer <= MAX_ELONGATION * shorter + 1)
    blobs = int(digit_sized.sum())
    if ruled_down and blobs < QUARTER_MIN_BLOBS:
        return [1, 0]
    if blobs < QUARTER_FEW_BLOBS:
        return [0]
    share = across_share((x + w / 2)[digit_sized], (y + h / 2)[digit_sized])
    first = 0 if share >= ACROSS_SHARE else 1
    if blobs < QUARTER_MIN_BLOBS:
        return [first, 1 - first]
    unsure = RULED_DOWN_UNSURE_SHARE if ruled_down and first == 0 else UNSURE_SHARE
    return [first, 1 - first] if abs(share - ACROSS_SHARE) < unsure else [first]


def across_share(xs: np.ndarray, ys: np.ndarray) -> float:
    """The share of points (blob centres, two or more) whose nearest other point lies more across than down; on
    many points, of every k-th (at most NEIGHBOUR_QUERIES of them), each against them all."""
    queries = np.arange(0, len(xs), max(1, -(-len(xs) // NEIGHBOUR_QUERIES)))
    xs, ys = xs.astype(np.float32), ys.astype(np.float32)
    dx = xs[queries, None] - xs[None, :]
    dy = ys[queries, None] - ys[None, :]
    distance = dx * dx + dy * dy
    rows = np.arange(len(queries))
    distance[rows, queries] = np.inf  # not itself
    nearest = distance.argmin(axis=1)
    return float(np.mean(np.abs(dx[rows, nearest]) > np.abs(dy[rows, nearest])))


def upright_lean(binary: np.ndarray, seed: int = 0) -> float:
    """How far a levelled page's upright rules lean (columns per row, right going down), or 0.0.

    On a photographed page, levelling the rows leaves the columns leaning the
    other way (perspective: a notebook's margin, a ledger's column rules).
    The lean is the shear within `MAX_RULE_LEAN` that makes the ink's column
    profile sharpest, taken only where it beats the unsheared page by `MIN_GAIN`.
    """
    points = ink_points(binary, seed)
    if points is None:
        return 0.0
    xs, ys = points

    def sharp(lean: float) -> float:
        counts = np.bincount(((xs - lean * ys - (xs - lean * ys).min()) / BIN).astype(np.int64))
        return float((counts.astype(np.float64) ** 2).sum())

    leans = np.tan(np.deg2rad(np.arange(-MAX_RULE_LEAN, MAX_RULE_LEAN + FINE_STEP / 2, COARSE_STEP)))
    scores = [sharp(lean) for lean in leans]
    best = float(leans[int(np.argmax(scores))])
    if abs(np.degrees(np.arctan(best))) < MIN_TILT or max(scores) < MIN_GAIN * sharp(0.0):
        return 0.0
    return best


def level(grey: np.ndarray, degrees: float) -> tuple[np.ndarray, Turn]:
    """The page (paper ~1) turned by `degrees` about its centre, on a canvas that holds all of it (paper outside)."""
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos))
    matrix[0, 2] += (new_width - width) / 2
    matrix[1, 2] += (new_height - height) / 2
    turned = cv2.warpAffine(
        grey, matrix, (new_width, new_height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=1.0
    )
    return turned, Turn.of(matrix, (height, width))
