"""Synthetic photographed pages of handwritten numbers, with their truth: the yardstick of whole-page reading.

A page is drawn upright (paper, print, rules, then handwriting made of the digit images given), then
"photographed": tilted, put in perspective on a desk, shaded, turned a quarter or half turn (no EXIF), blurred and
noisy. Everything follows from one seed. The digit images are the caller's, so test and bench pages are written by
writers the string readers never learn from (the MNIST *test* split, which no model learns; CVL *valid* writers,
whom only the bundled classifier learnt, with the rest of CVL) and training pages by others.

    python -m digitscan.training.pages --out DIR --count 18 --seed 16 --digits tests/data/mnist_subset.npz --split test

writes the pages, `truth.csv` (one row per handwritten number: `file,kind,line,digits,text,x,y,w,h`, what
`digitscan eval` scores pages by) and `pages.csv` (each page's kind and conditions).
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from digitscan.scan.straighten import union_box
from digitscan.training.data import open_npz

Box = tuple[int, int, int, int]  # x, y, w, h in the page image's pixels
RGB = tuple[int, int, int]

KINDS = ("form", "check", "note", "notebook", "ledger", "dated")
LANDSCAPE = frozenset({"form", "check", "ledger"})  # drawn wider than tall, as these documents are; the rest portrait
SIZES = {  # long x short side of the image, pixels
    "low": (700, 500),  # a page photographed from afar, or sent on at low resolution: digits of 17-28 px
    "small": (1400, 1000),  # the committed test pages: small enough to keep in git, large enough to read
    "medium": (2000, 1500),  # the scanner's working resolution (load.WORKING_MAX_SIDE): no shrinking before segmenting
    "photo": (4000, 3000),  # a 12-megapixel phone photo, as bench/scan_bench.py times
}
INKS: dict[str, RGB] = {  # ballpoint and felt-pen colours, RGB
    "black": (30, 30, 38),
    "blue": (35, 55, 155),
    "red": (180, 35, 40),
    "green": (30, 115, 60),
    "pencil": (150, 150, 155),  # graphite, as light as a notebook's ruling; never drawn by `random_conditions`
}
PAPERS = ("white", "grey", "tinted", "gradient")
# cream, green, blue and pink paper
TINTS: tuple[RGB, ...] = ((246, 240, 214), (226, 238, 222), (222, 232, 244), (244, 226, 228))
PRINT: RGB = (45, 45, 50)  # printed words and borders: near-black toner
RULING: RGB = (140, 175, 225)  # a notebook's pale blue lines
MARGIN_RULE: RGB = (225, 105, 120)  # a notebook's red margin
# A notebook's paper: ruled lines; squares (Europe's school and maths notebooks, graph paper: 5 mm, the digits a
# square or two tall, every stroke crossed); a dot grid (bullet journals). Squared and dotted paper are never drawn
# by `random_conditions`, so the pages of a seed stay as they were; `bench/page_bench.py --ruling` asks for them.
RULINGS = ("lined", "squared", "dotted")
RULED_KINDS = ("notebook", "dated")  # the kinds written on a notebook's paper, whose ruling `Conditions.ruling` picks
DOT: RGB = (150, 150, 158)  # a dot grid's grey
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX)  # print varies between pages
FONT_CAP = 22.0  # pixels: the cap height of OpenCV's Hershey fonts at scale 1
SEPARATORS = "/-.,"  # drawn as pen strokes; kept in a number's `text`, left out of its `digits`

# Handwriting, in fractions of the page's short side or of the digit height.
DIGIT_HEIGHT = (0.035, 0.055)  # of the short side: 5-8 mm on an A4 sheet, the usual size of handwritten digits
HEIGHT_JITTER = 0.08  # each digit's height varies this much around its writer's: nobody writes them all alike
SLANT = 0.25  # the steepest writer slant, a shear either way (about 14 degrees), as in CVL and ORAND
GAP = (0.08, 0.3)  # of the digit height: the blank a writer leaves between digits (narrow to generous)
TOUCH = (0.05, 0.25)  # per writer: the chance that two neighbouring digits touch (ORAND amounts touch often)
TOUCH_OVERLAP = 0.06  # of the digit height: how far touching digits run into each other
SEPARATOR_GAP = 0.12  # of the digit height: the blank around a separator
STROKE = 0.1  # of the digit height: a separator's pen width, MNIST's own stroke width at that size
BASELINE_JITTER = 0.04  # of the digit height: how far a digit's foot wanders off its line
INK_LEVEL = 0.1  # coverage below this is no ink when a glyph is cropped (MNIST's faint anti-aliasing)

# Layout and photo conditions.
MARGIN = 0.07  # of each side: print and writing stay this far from the sheet's edge (tilt keeps them in frame)
MAX_TILT = 15.0  # degrees: the steepest tilt (issue #16)
SMALL_TILT = 1.0  # degrees: the tilt of a page laid down with care
TILTED = 3.0  # degrees: from here a page counts as tilted (the scanner read nothing from 3 degrees on)
PERSPECTIVE = 0.05  # of the frame: how far each corner of a sheet photographed at an angle moves
SHEET_ON_DESK = (0.78, 0.9)  # of the frame: the size of a sheet photographed on a desk
SHADOW = (0.25, 0.5)  # the darkest a soft shadow (a hand, a phone) makes the paper
HARD_SHADOW = (0.45, 0.65)  # the same of a hard one: a phone or a hand between a single lamp and the sheet
HARD_PENUMBRA = 0.002  # of the page's long side: how wide a hard shadow's edge is (a soft one's: 0.05 to 0.2)
CURL = (0.02, 0.04)  # of the sheet's height: how far a curled page (a notebook held open) bows its lines
HARD_EDGE_SHIFT = 0.15  # of the page's long side: a hard shadow's edge lies this much nearer the middle (across the
# writing, where a soft one's may shade a margin only)
BLUR = (0.7, 1.6)  # Gaussian sigma per 1000 pixels of the short side: a photo slightly out of focus
NOISE = (2.0, 7.0)  # grey levels of sensor noise
JPEG = (45, 92)  # quality of the JPEG the page is saved as: a phone's, down to a messaging app's recompression
FEATURES = ("plain", "tilt", "turn", "photo", "colour", "rough")  # one condition stressed per page of a schedule


@dataclass(frozen=True)
class Conditions:
    """How a page is printed and photographed."""

    ink: str = "black"
    ruling: str = "lined"  # a notebook's paper (RULINGS), for RULED_KINDS
    # a printed form number in the header and a page number at the foot (`_print_numbers`)
    printed_numbers: bool = False
    # a font file (TrueType or OpenType) all of the page's print is set in; None: OpenCV's Hershey faces (FONTS)
    typeface: str | None = None
    paper: str = "white"
    tilt: float = 0.0  # degrees, anticlockwise
    turn: int = 0  # degrees clockwise: 0, 90, 180 or 270, with no EXIF tag saying so
    perspective: float = 0.0  # 0: a flat scan; else the sheet lies on a desk, corners moved by this share of the frame
    shadow: float = 0.0  # how much darker the shaded part of the page is
    hard_shadow: bool = False  # its edge sharp (HARD_PENUMBRA) and running nearer the middle, as under one lamp
    curl: float = 0.0  # of the sheet's height: how far its lines bow, the page curled (0: flat)
    writing: float = 1.0  # the writer's digits this many times DIGIT_HEIGHT (0.5: 2.5-4 mm; a form's fill its fields)
    blur: float = 0.0  # Gaussian sigma in pixels
    noise: float = 0.0  # grey levels
    jpeg: int | None = 90  # the quality it is saved at; None: PNG
    size: str = "small"

    def tags(self) -> list[str]:
        """The conditions this page stresses, as the bench groups pages."""
        tags = ["tilt"] if abs(self.tilt) >= TILTED else []
        tags += ["turn"] * bool(self.turn) + ["perspective"] * bool(self.perspective) + ["shadow"] * bool(self.shadow)
        tags += ["hard shadow"] * (bool(self.shadow) and self.hard_shadow)
        tags += ["curl"] * bool(self.curl) + ["small writing"] * (self.writing < 1)
        tags += ["colour ink"] * (self.ink in ("red", "green")) + ["pencil"] * (self.ink == "pencil")
        tags += [f"{self.ruling} paper"] * (self.ruling != "lined") + ["printed numbers"] * self.printed_numbers
        tags += ["paper"] * (self.paper != "white")
        tags += ["blur/noise/jpeg"] * (self.blur > 0 or (self.jpeg or 100) < 70)
        return tags or ["plain"]


@dataclass(frozen=True)
class Number:
    """One handwritten number's truth."""

    digits: str  # digits only, as `digitscan scan` reports them
    text: str  # with its separators: 12/05/2024, 1,234.56
    box: Box
    line: int  # the number's line on the upright page, from 0, top to bottom


@dataclass
class Page:
    image: np.ndarray  # RGB uint8
    numbers: list[Number]
    kind: str
    conditions: Conditions
    seed: int = 0
    printed: list[Box] = field(default_factory=list)  # where each printed word lies on the image, as numbers' boxes


class Digits:
    """Digit images to write with: white ink on black, any size, each with its paper level taken off."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        ink = images.astype(np.float32)
        ink -= np.median(ink.reshape(len(ink), -1), axis=1)[:, None, None]  # CVL's paper sits at 5-30, not 0
        ink /= np.maximum(ink.reshape(len(ink), -1).max(axis=1), 1.0)[:, None, None]
        self.images = np.clip(ink, 0.0, 1.0)
        self.by_label = [np.flatnonzero(labels == d) for d in range(10)]
        missing = [d for d, idx in enumerate(self.by_label) if not len(idx)]
        if missing:
            raise ValueError(f"no images of the digits {missing}")

    @classmethod
    def load(cls, path: Path, split: str) -> Digits:
        """`x_SPLIT`/`y_SPLIT` of an .npz (or `x`/`y` when it has no splits)."""
        with open_npz(Path(path)) as npz:
            x, y = (f"x_{split}", f"y_{split}") if f"x_{split}" in npz.files else ("x", "y")
            return cls(npz[x], npz[y].astype(np.int64))

    def pick(self, rng: np.random.Generator, digit: int) -> np.ndarray:
        return self.images[rng.choice(self.by_label[digit])]


@dataclass(frozen=True)
class Writer:
    """One hand: its size, slant, spacing and how often its digits touch."""

    height: float  # pixels
    slant: float  # shear: positive leans right
    gap: float  # of the height
    touch: float  # chance


def random_writer(rng: np.random.Generator, short_side: int) -> Writer:
    return Writer(
        height=short_side * rng.uniform(*DIGIT_HEIGHT),
        slant=rng.uniform(-SLANT, SLANT),
        gap=rng.uniform(*GAP),
        touch=rng.uniform(*TOUCH),
    )


def _tight(cover: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(cover.max(1) > INK_LEVEL), np.flatnonzero(cover.max(0) > INK_LEVEL)
    if not len(rows):
        return cover[:1, :1] * 0
    return cover[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def glyph(rng: np.random.Generator, digits: Digits, digit: int, writer: Writer, height: float) -> np.ndarray:
    """One written digit as ink coverage (0..1), cropped tight: scaled to `height`, slanted as the writer slants."""
    img = _tight(digits.pick(rng, digit))
    h = max(4.0, height * (1 + rng.uniform(-HEIGHT_JITTER, HEIGHT_JITTER)))
    scale = h / img.shape[0]
    img = cv2.resize(img, (max(1, round(img.shape[1] * scale)), max(1, round(h))), interpolation=cv2.INTER_CUBIC)
    shear = writer.slant + rng.uniform(-0.05, 0.05)
    pad = int(abs(shear) * img.shape[0]) + 2
    m = np.float32([[1, -shear, pad + (shear * img.shape[0] if shear > 0 else 0) - pad * (shear > 0)], [0, 1, 0]])
    img = cv2.warpAffine(img, m, (img.shape[1] + pad, img.shape[0]), flags=cv2.INTER_LINEAR)
    return _tight(np.clip((img - 0.15) / 0.55, 0.0, 1.0))  # crisper, pen-like edges


def _pen(size: tuple[int, int], draw: Callable[[np.ndarray], None]) -> np.ndarray:
    """A coverage patch (h, w) drawn at 4x and shrunk: anti-aliased strokes of any width."""
    big = np.zeros((size[0] * 4, size[1] * 4), np.uint8)
    draw(big)
    return cv2.resize(big, (size[1], size[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _curve(
    points: Sequence[tuple[float, float]], w: int, h: int, rng: np.random.Generator, wobble: float
) -> np.ndarray:
    """Unit-box points jittered by `wobble`, as 4x pixel coordinates for `_pen`."""
    pts = np.array(points, np.float32) + rng.uniform(-wobble, wobble, (len(points), 2))
    return (pts * np.float32([w * 4, h * 4])).round().astype(np.int32)


def separator(rng: np.random.Generator, char: str, height: float) -> tuple[np.ndarray, float]:
    """A separator written by hand: its coverage and where its top sits, in digit heights below the digits' top.

    Shapes vary as people's do: a slash leans and bends, a dash tilts, a comma's tail curls.
    """
    h = max(6, round(height))
    width = max(1, round(STROKE * h * rng.uniform(0.8, 1.3))) * 4
    if char == "/":
        w = max(3, round(h * rng.uniform(0.35, 0.55)))
        pts = _curve([(0.1, 0.97), (0.5 + rng.uniform(-0.1, 0.1), 0.5), (0.9, 0.03)], w, h, rng, 0.04)
        return _pen((h, w), lambda c: cv2.polylines(c, [pts], False, 255, width, cv2.LINE_AA)), 0.0
    if char == "-":
        w, ph = max(3, round(h * rng.uniform(0.3, 0.55))), max(3, round(h * 0.25))
        pts = _curve([(0.08, 0.5 + rng.uniform(-0.2, 0.2)), (0.92, 0.5 + rng.uniform(-0.2, 0.2))], w, ph, rng, 0.03)
        top = rng.uniform(0.42, 0.58) - 0.125
        return _pen((ph, w), lambda c: cv2.polylines(c, [pts], False, 255, width, cv2.LINE_AA)), top
    if char == ".":
        side = max(3, round(h * rng.uniform(0.14, 0.2)))
        return _pen((side, side), lambda c: cv2.circle(c, (side * 2, side * 2), side * 2 - 2, 255, -1, cv2.LINE_AA)), (
            1.0 - side / h + rng.uniform(-0.03, 0.03)
        )
    if char == ",":
        w, ph = max(3, round(h * 0.2)), max(4, round(h * rng.uniform(0.28, 0.38)))
        r = w * 2 - 2
        tail = _curve([(0.55, 0.35), (0.5, 0.7), (0.15, 0.97)], w, ph, rng, 0.05)

        def comma(c: np.ndarray) -> None:
            cv2.circle(c, (w * 2, r), r, 255, -1, cv2.LINE_AA)
            cv2.polylines(c, [tail], False, 255, width, cv2.LINE_AA)

        return _pen((ph, w), comma), 1.0 - 0.45 * ph / h
    if char == "$":
        w, ph = max(4, round(h * rng.uniform(0.5, 0.65))), round(h * 1.15)
        s = [(0.85, 0.25), (0.55, 0.12), (0.2, 0.22), (0.25, 0.42), (0.6, 0.55), (0.82, 0.75), (0.55, 0.9), (0.15, 0.8)]
        curve, bar = _curve(s, w, ph, rng, 0.03), _curve([(0.5, 0.02), (0.5, 0.98)], w, ph, rng, 0.04)

        def dollar(c: np.ndarray) -> None:
            cv2.polylines(c, [curve], False, 255, width, cv2.LINE_AA)
            cv2.polylines(c, [bar], False, 255, width, cv2.LINE_AA)

        return _pen((ph, w), dollar), -0.075
    raise ValueError(f"no separator {char!r}")


@dataclass
class Handwriting:
    cover: np.ndarray  # ink coverage 0..1
    baseline: int  # the row the digits stand on


def write(rng: np.random.Generator, digits: Digits, writer: Writer, text: str, height: float) -> Handwriting:
    """A number as the writer writes it: digits `height` tall, separators between them, sometimes touching."""
    pieces: list[tuple[np.ndarray, int, int]] = []  # cover, x, top (relative to the digits' top)
    x, previous = 0, ""
    for char in text:
        if char == " ":
            x += round(height * rng.uniform(0.4, 0.7))
            previous = ""
            continue
        if char.isdigit():
            cover = glyph(rng, digits, int(char), writer, height)
            top = round(height - cover.shape[0] + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER) * height)
        else:
            cover, offset = separator(rng, char, height)
            top = round(offset * height)
        if previous:
            both = previous.isdigit() and char.isdigit()
            if both and rng.random() < writer.touch:
                x -= round(TOUCH_OVERLAP * height)
            else:
                gap = writer.gap if both else SEPARATOR_GAP
                x += round(gap * height * rng.uniform(0.6, 1.4))
        pieces.append((cover, x, top))
        x += cover.shape[1]
        previous = char
    top = min(t for _, _, t in pieces)
    bottom = max(t + c.shape[0] for c, _, t in pieces)
    canvas = np.zeros((bottom - top, max(px + c.shape[1] for c, px, _ in pieces)), np.float32)
    for cover, px, t in pieces:
        region = canvas[t - top : t - top + cover.shape[0], px : px + cover.shape[1]]
        np.maximum(region, cover, out=region)
    return Handwriting(canvas, round(height) - top)


class Sheet:
    """The upright page being drawn: paper (RGB floats), what is printed on it (RGB, white where nothing is: it
    darkens the paper by its colour) and the pen's ink coverage, kept apart."""

    def __init__(self, paper: np.ndarray, font: int, ruling: str = "lined", typeface: str | None = None) -> None:
        self.paper = paper
        self.ruling = ruling
        self.printed = np.full(paper.shape, 255, np.uint8)  # OpenCV draws anti-aliased print on 8-bit images only
        self.ink = np.zeros(paper.shape[:2], np.float32)
        self.font = font
        self.typeface = typeface  # a font file set in place of `font` (`Conditions.typeface`)
        self.written: list[tuple[str, Box]] = []
        self.printed_boxes: list[Box] = []  # each printed word's box

    @property
    def size(self) -> tuple[int, int]:
        return self.printed.shape[1], self.printed.shape[0]

    def rule(self, rows: np.ndarray, square: float, width: int) -> None:
        """A notebook's paper (`ruling`): lines at `rows`; or squares of side `square`, or dots at their corners, the
        grid lying on those rows. Squares are ruled thinner than lines, as squared paper is."""
        w, h = self.size
        if self.ruling == "lined":
            for y in rows:
                self.line((0, y), (w, y), RULING, width)
            return
        ys, xs = np.arange(rows[0] % square, h, square), np.arange(square / 2, w, square)
        if self.ruling == "squared":
            for y in ys:
                self.line((0, y), (w, y), RULING, max(1, width - 1))
            for x in xs:
                self.line((x, 0), (x, h), RULING, max(1, width - 1))
            return
        for y in ys:
            for x in xs:
                cv2.circle(self.printed, (round(x), round(y)), max(1, width // 2), DOT, -1, cv2.LINE_AA)

    def print(self, text: str, x: float, baseline: float, cap: float, thick: int = 1) -> int:
        """Print `text` with caps `cap` pixels tall; returns its right edge."""
        if self.typeface is not None:
            return self._set(text, x, baseline, cap)
        scale = cap / FONT_CAP
        thick = max(1, round(thick * cap / 20))
        cv2.putText(self.printed, text, (round(x), round(baseline)), self.font, scale, PRINT, thick, cv2.LINE_AA)
        (width, height), below = cv2.getTextSize(text, self.font, scale, thick)
        self.printed_boxes.append((round(x), round(baseline) - height, width, height + below))
        return round(x) + width

    def _set(self, text: str, x: float, baseline: float, cap: float) -> int:
        """Print `text` in the sheet's typeface with Pillow, its capitals `cap` pixels tall."""
        from PIL import Image, ImageDraw

        font = typeface_at(self.typeface, cap)
        image = Image.fromarray(self.printed)
        draw = ImageDraw.Draw(image)
        left, top, right, bottom = draw.textbbox((x, baseline), text, font=font, anchor="ls")
        draw.text((x, baseline), text, fill=PRINT, font=font, anchor="ls")
        self.printed[:] = np.asarray(image)
        self.printed_boxes.append((round(left), round(top), round(right - left), round(bottom - top)))
        return round(right)

    def line(self, p0: tuple[float, float], p1: tuple[float, float], colour: RGB = PRINT, width: float = 1) -> None:
        a, b = (round(p0[0]), round(p0[1])), (round(p1[0]), round(p1[1]))
        cv2.line(self.printed, a, b, colour, max(1, round(width)), cv2.LINE_AA)

    def rect(self, x0: float, y0: float, x1: float, y1: float, width: float = 1, colour: RGB = PRINT) -> None:
        p0, p1 = (round(x0), round(y0)), (round(x1), round(y1))
        cv2.rectangle(self.printed, p0, p1, colour, max(1, round(width)), cv2.LINE_AA)

    def stamp(self, hand: Handwriting, x: float, baseline: float) -> Box:
        """Put handwriting with its baseline at `baseline`; returns the box of its ink on the sheet."""
        h, w = hand.cover.shape
        x0, y0 = round(x), round(baseline) - hand.baseline
        sx, sy = max(0, -x0), max(0, -y0)
        ex, ey = max(sx, min(w, self.size[0] - x0)), max(sy, min(h, self.size[1] - y0))  # wholly off: nothing
        region = self.ink[y0 + sy : y0 + ey, x0 + sx : x0 + ex]
        np.maximum(region, hand.cover[sy:ey, sx:ex], out=region)
        return x0 + sx, y0 + sy, ex - sx, ey - sy

    def number(self, text: str, hand: Handwriting, x: float, baseline: float) -> Box:
        """Write a number and keep it as truth."""
        box = self.stamp(hand, x, baseline)
        self.written.append((text, box))
        return box


@dataclass
class Pen:
    """What a layout writes with: the page's random generator, digit images and writer."""

    rng: np.random.Generator
    digits: Digits
    writer: Writer

    def write(self, text: str, height: float | None = None, max_width: float | None = None) -> Handwriting:
        hand = write(self.rng, self.digits, self.writer, text, height or self.writer.height)
        if max_width is not None and hand.cover.shape[1] > max_width:  # squeezed into its box, as a writer would
            f = max_width / hand.cover.shape[1]
            size = (max(1, int(max_width)), max(1, round(hand.cover.shape[0] * f)))
            hand = Handwriting(cv2.resize(hand.cover, size, interpolation=cv2.INTER_AREA), round(hand.baseline * f))
        return hand


# --- numbers -------------------------------------------------------------------------------------------------------


def digit_string(rng: np.random.Generator, low: int, high: int) -> str:
    n = int(rng.integers(low, high + 1))
    return str(rng.integers(1, 10)) + "".join(str(d) for d in rng.integers(0, 10, n - 1))


def date(rng: np.random.Generator) -> str:
    """A date as people write them: 12/05/2024, 3-7-99, 05.11.21."""
    sep = str(rng.choice(["/", "/", "-", "."]))
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    year = int(rng.integers(1990, 2030))
    pad = rng.random() < 0.5
    parts = [f"{day:02d}" if pad else str(day), f"{month:02d}" if pad else str(month)]
    parts.append(str(year) if rng.random() < 0.5 else f"{year % 100:02d}")
    return sep.join(parts)


def amount(rng: np.random.Generator) -> str:
    """An amount: 1,234.56, 87.50, 2,500, 640."""
    units = int(rng.choice([rng.integers(1, 100), rng.integers(100, 1000), rng.integers(1000, 100000)]))
    whole = f"{units:,}" if rng.random() < 0.7 else str(units)
    return whole + (f".{rng.integers(0, 100):02d}" if rng.random() < 0.6 else "")


# --- layouts: each draws one kind of page on the sheet and writes its numbers ----------------------------------------


def draw_form(sheet: Sheet, pen: Pen) -> None:
    """Printed labels beside comb-box fields (one digit per cell) and plain boxes."""
    rng, (w, h) = pen.rng, sheet.size
    left, top = MARGIN * w, MARGIN * h
    sheet.print(str(rng.choice(["APPLICATION FORM", "ORDER FORM", "CUSTOMER REQUEST"])), left, top + 0.05 * h, 0.04 * h)
    sheet.line((left, top + 0.08 * h), (w - left, top + 0.08 * h))
    fields = [("ACCOUNT", 6, 8), ("ZIP", 5, 5), ("DATE", 6, 8), ("AMOUNT", 3, 6)]
    keep = sorted(rng.choice(len(fields), int(rng.integers(3, 5)), replace=False))
    pitch = (h * (1 - 2 * MARGIN) - 0.14 * h) / len(keep)
    cell_h = min(0.1 * h, 0.65 * pitch)  # room between fields for the labels' print
    field_x = left + 0.26 * w  # right of the longest label
    for row, index in enumerate(keep):
        label, low, high = fields[index]
        y = top + 0.14 * h + row * pitch
        sheet.print(label, left, y + 0.6 * cell_h, 0.032 * h, 2)
        number = digit_string(rng, low, high)
        if label == "AMOUNT" or rng.random() < 0.2:
            _plain_box(sheet, pen, number, field_x, y, 0.4 * w, cell_h)
        else:
            _comb(sheet, pen, number, field_x, y, cell_h)
    sheet.print("SIGNATURE", left, h - top, 0.025 * h)
    sheet.line((left + 0.2 * w, h - top), (left + 0.55 * w, h - top))


def _plain_box(sheet: Sheet, pen: Pen, number: str, x: float, y: float, width: float, height: float) -> None:
    sheet.rect(x, y, x + width, y + height, 0.003 * sheet.size[1])
    hand = pen.write(number, height * pen.rng.uniform(0.5, 0.7), width * 0.9)
    free = width - hand.cover.shape[1]
    sheet.number(number, hand, x + free * pen.rng.uniform(0.05, 0.6), y + height * pen.rng.uniform(0.75, 0.85))


def _comb(sheet: Sheet, pen: Pen, number: str, x: float, y: float, cell_h: float) -> None:
    """A comb field: one cell per digit, as boxes or as ticks on a baseline; each digit placed in its cell."""
    rng = pen.rng
    cell_w = cell_h * rng.uniform(0.7, 0.9)
    ticks = rng.random() < 0.4
    width = 0.003 * sheet.size[1]
    for i in range(len(number) + 1):
        cx = x + i * cell_w
        sheet.line((cx, y + (0.65 * cell_h if ticks else 0)), (cx, y + cell_h), width=width)
    sheet.line((x, y + cell_h), (x + len(number) * cell_w, y + cell_h), width=width)
    if not ticks:
        sheet.line((x, y), (x + len(number) * cell_w, y), width=width)
    boxes = []
    for i, char in enumerate(number):
        hand = pen.write(char, cell_h * rng.uniform(0.55, 0.75), cell_w * 0.8)
        free_x = cell_w - hand.cover.shape[1]
        bottom = y + cell_h * rng.uniform(0.82, 0.95)
        if rng.random() < 0.12:  # written down onto the cell's border
            bottom = y + cell_h + 0.03 * cell_h
        boxes.append(sheet.stamp(hand, x + i * cell_w + free_x * rng.uniform(0.15, 0.85), bottom))
    sheet.written.append((number, union_box(boxes)))


def draw_check(sheet: Sheet, pen: Pen) -> None:
    """A bank check: wavy guilloche pattern on tinted paper, printed lines, "$" and the amount box."""
    rng, (w, h) = pen.rng, sheet.size
    _guilloche(sheet, rng)
    sheet.rect(0.02 * w, 0.03 * h, 0.98 * w, 0.97 * h, 0.003 * h, (110, 120, 110))
    left = MARGIN * w
    bank = str(rng.choice(["BANK OF EXAMPLE", "FIRST EXAMPLE BANK", "EXAMPLE SAVINGS"]))
    sheet.print(bank, left, 0.15 * h, 0.05 * h, 2)
    sheet.print("MAIN STREET BRANCH, ANYTOWN", left, 0.21 * h, 0.025 * h)
    date_x = 0.62 * w
    right = sheet.print("DATE", date_x, 0.25 * h, 0.028 * h)
    sheet.line((right + 0.01 * w, 0.255 * h), (0.93 * w, 0.255 * h))
    if rng.random() < 0.6:
        text = date(rng)
        hand = pen.write(text, 0.06 * h, 0.93 * w - right - 0.03 * w)
        sheet.number(text, hand, right + 0.02 * w, 0.25 * h)
    box = (0.7 * w, 0.33 * h, 0.93 * w, 0.5 * h)
    sheet.print("$", box[0] - 0.045 * w, 0.46 * h, 0.06 * h, 2)
    sheet.rect(*box, 0.004 * h)
    text = digit_string(rng, 2, 5) if rng.random() < 0.6 else amount(rng)
    hand = pen.write(text, 0.1 * h * rng.uniform(0.8, 1.1), (box[2] - box[0]) * 0.9)
    free = box[2] - box[0] - hand.cover.shape[1]
    sheet.number(text, hand, box[0] + free * rng.uniform(0.1, 0.7), box[3] - 0.04 * h)
    right = sheet.print("PAY TO THE ORDER OF", left, 0.46 * h, 0.03 * h)
    sheet.line((right + 0.01 * w, 0.465 * h), (box[0] - 0.06 * w, 0.465 * h))
    sheet.line((left, 0.64 * h), (0.8 * w, 0.64 * h))
    sheet.print("DOLLARS", 0.82 * w, 0.635 * h, 0.03 * h)
    right = sheet.print("MEMO", left, 0.86 * h, 0.028 * h)
    sheet.line((right + 0.01 * w, 0.865 * h), (0.45 * w, 0.865 * h))
    sheet.line((0.58 * w, 0.865 * h), (0.93 * w, 0.865 * h))


def _guilloche(sheet: Sheet, rng: np.random.Generator) -> None:
    """Two families of crossing sine waves a shade darker than the paper, as on security paper."""
    w, h = sheet.size
    colour = (round(255 * rng.uniform(0.8, 0.92)),) * 3  # a shade of the paper's own tint
    pitch = h * rng.uniform(0.012, 0.02)
    xs = np.arange(0, w + 8, max(2, w // 400))
    thick = max(1, round(h / 700))
    for family in range(2):
        amp, period, drift = pitch * rng.uniform(0.6, 1.5), w * rng.uniform(0.1, 0.3), rng.uniform(0.2, 0.6)
        for i in range(-3, int(h / pitch) + 4):
            ys = i * pitch + amp * np.sin(2 * np.pi * xs / period + drift * i + 1.7 * family)
            pts = np.stack([xs, ys], 1).round().astype(np.int32)
            cv2.polylines(sheet.printed, [pts], False, colour, thick, cv2.LINE_AA)


def draw_note(sheet: Sheet, pen: Pen) -> None:
    """Free numbers on plain paper: a few lines, one or two numbers each, anywhere across the page."""
    rng, (w, h) = pen.rng, sheet.size
    rows = _rows(rng, h, pen.writer.height * 2.2, int(rng.integers(3, 6)))
    for y in rows:
        height = pen.writer.height * rng.uniform(0.85, 1.2)
        x = w * rng.uniform(MARGIN, 0.35)
        for _ in range(1 if rng.random() < 0.7 else 2):
            text = digit_string(rng, 2, 7)
            hand = pen.write(text, height)
            if x + hand.cover.shape[1] > w * (1 - MARGIN):
                break
            sheet.number(text, hand, x, y)
            x += hand.cover.shape[1] + height * rng.uniform(2.0, 4.0)


def _rows(rng: np.random.Generator, h: int, pitch: float, count: int) -> list[float]:
    """`count` distinct baselines at least `pitch` apart, between the margins."""
    slots = np.arange(MARGIN * h + pitch, (1 - MARGIN) * h, pitch)
    chosen = np.sort(rng.choice(len(slots), min(count, len(slots)), replace=False))
    return [float(slots[i]) for i in chosen]


def draw_notebook(sheet: Sheet, pen: Pen) -> None:
    """Blue ruling and a red margin rule; numbers on the lines, some touching the rules."""
    rng, (w, h) = pen.rng, sheet.size
    pitch = pen.writer.height * rng.uniform(1.35, 1.7)
    width = max(1, round(h * rng.uniform(0.001, 0.0025)))
    lines = np.arange(0.12 * h, h - 0.02 * h, pitch)
    sheet.rule(lines, pitch / 2, width)  # squares half the pitch: the writing's rows on every second grid line
    margin_x = 0.12 * w
    sheet.line((margin_x, 0), (margin_x, h), MARGIN_RULE, width + 1)
    count = int(rng.integers(3, 7))
    start = int(rng.integers(1, max(2, len(lines) - count - 1)))
    chosen = sorted({start + i for i in range(count)} if rng.random() < 0.4 else set(rng.choice(len(lines), count)))
    for line in chosen:
        if line >= len(lines) or lines[line] > (1 - MARGIN) * h:
            continue
        text = digit_string(rng, 2, 7)
        hand = pen.write(text)
        baseline = lines[line] - pen.writer.height * rng.uniform(0.0, 0.1)
        if rng.random() < 0.35:  # written through the line
            baseline = lines[line] + pen.writer.height * rng.uniform(0.05, 0.15)
        x = margin_x - 0.1 * pen.writer.height if rng.random() < 0.2 else w * rng.uniform(0.15, 0.5)
        if x + hand.cover.shape[1] < w * (1 - MARGIN):
            sheet.number(text, hand, x, baseline)


LEDGER_HEADS = ("ITEM", "QTY", "UNIT", "PRICE", "TOTAL", "REF", "CODE", "PAID")


def draw_ledger(sheet: Sheet, pen: Pen) -> None:
    """A table: full-height column rules, printed column heads, one number per cell (some cells empty)."""
    rng, (w, h) = pen.rng, sheet.size
    x0, x1, y0, y1 = MARGIN * w, (1 - MARGIN) * w, MARGIN * h + 0.03 * h, (1 - MARGIN) * h
    columns = int(rng.integers(3, 6))
    shares = rng.uniform(0.7, 1.3, columns)
    edges = x0 + np.concatenate([[0], np.cumsum(shares) / shares.sum()]) * (x1 - x0)
    head = 0.08 * h
    rows = int(rng.integers(6, 10))
    pitch = (y1 - y0 - head) / rows
    width = max(1, round(h * 0.002))
    grid = rng.random() < 0.6
    for x in edges:
        sheet.line((x, y0), (x, y1), width=width)
    sheet.line((x0, y0), (x1, y0), width=width)
    sheet.line((x0, y0 + head), (x1, y0 + head), width=width * 2)
    for r in range(1, rows + 1):
        y = y0 + head + r * pitch
        sheet.line((x0, y), (x1, y), PRINT if grid else (150, 190, 160), width)
    for c, name in enumerate(rng.choice(LEDGER_HEADS, columns, replace=False)):
        sheet.print(str(name), edges[c] + 0.01 * w, y0 + 0.65 * head, min(0.035 * h, head * 0.45))
    height = min(pen.writer.height, 0.62 * pitch)
    for r in range(rows):
        for c in range(columns):
            if rng.random() < 0.25:
                continue
            cell_w = edges[c + 1] - edges[c]
            longest = int(max(1, min(7, cell_w / (0.85 * height))))
            text = digit_string(rng, 1, longest)
            hand = pen.write(text, height, cell_w * 0.9)
            free = cell_w - hand.cover.shape[1]
            x = edges[c] + free * (rng.uniform(0.6, 0.9) if rng.random() < 0.6 else rng.uniform(0.05, 0.3))
            baseline = y0 + head + (r + 1) * pitch - pitch * rng.uniform(0.12, 0.3)
            sheet.number(text, hand, x, baseline)


def draw_dated(sheet: Sheet, pen: Pen) -> None:
    """Dates and amounts with their separators drawn by hand (12/05/2024, 3-7-99, 1,234.56, $ 87.50)."""
    rng, (w, h) = pen.rng, sheet.size
    if rng.random() < 0.5 or sheet.ruling != "lined":
        pitch = pen.writer.height * 2.2
        sheet.rule(np.arange(0.12 * h, h, pitch), pitch / 3, max(1, round(h * 0.0012)))
    labels = rng.random() < 0.5
    for y in _rows(rng, h, pen.writer.height * 2.2, int(rng.integers(3, 7))):
        x = w * rng.uniform(MARGIN, 0.2)
        dated = rng.random() < 0.5
        entries = [date(rng)] if dated else []
        entries += [amount(rng)] if not dated or rng.random() < 0.4 else []
        if labels:
            x = sheet.print("DATE" if dated else "TOTAL", x, y, 0.6 * pen.writer.height) + 0.03 * w
        for n, text in enumerate(entries):
            if (n or not dated) and rng.random() < 0.4:  # "$ 87.50": the sign is written, but is not the number's
                cover, offset = separator(rng, "$", pen.writer.height)
                sign = Handwriting(cover, round(pen.writer.height * (1 - offset)))
                x += sheet.stamp(sign, x, y)[2] + pen.writer.height * rng.uniform(0.2, 0.5)
            hand = pen.write(text)
            if x + hand.cover.shape[1] > (1 - MARGIN) * w:
                break
            sheet.number(text, hand, x, y)
            x += hand.cover.shape[1] + pen.writer.height * rng.uniform(2.0, 4.0)


LAYOUTS: dict[str, Callable[[Sheet, Pen], None]] = {
    "form": draw_form,
    "check": draw_check,
    "note": draw_note,
    "notebook": draw_notebook,
    "ledger": draw_ledger,
    "dated": draw_dated,
}


# --- paper, photo and the whole page -------------------------------------------------------------------------------


def paper(rng: np.random.Generator, kind: str, name: str, w: int, h: int) -> np.ndarray:
    """The sheet's colour with a faint smooth grain; checks are always tinted, as check paper is."""
    colour = np.array((246, 245, 240), np.float32)
    if name == "grey":
        colour = np.full(3, rng.uniform(195, 220), np.float32)
    if name == "tinted" or kind == "check":
        colour = np.array(TINTS[int(rng.integers(len(TINTS)))], np.float32)
    grain = cv2.resize(rng.normal(0.0, 2.0, (h // 8 + 1, w // 8 + 1)).astype(np.float32), (w, h))
    sheet = np.broadcast_to(colour, (h, w, 3)) + grain[..., None]
    if name == "gradient":  # light falling off across the sheet in one direction
        angle = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h) * rng.uniform(0.15, 0.3)
        sheet = sheet * (1 - (ramp - ramp.min()))[..., None]
    return np.ascontiguousarray(sheet, np.float32)


def lines_of(boxes: Sequence[Box]) -> list[int]:
    """Each box's line, from 0 top to bottom: boxes whose vertical extents overlap by half the shorter share one."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][1] + boxes[i][3] / 2)
    line_of, current, extent = [0] * len(boxes), -1, (0, 0)
    for i in order:
        y0, y1 = boxes[i][1], boxes[i][1] + boxes[i][3]
        overlap = min(y1, extent[1]) - max(y0, extent[0])
        if current < 0 or overlap < 0.5 * min(y1 - y0, extent[1] - extent[0]):
            current, extent = current + 1, (y0, y1)
        else:
            extent = (min(extent[0], y0), max(extent[1], y1))
        line_of[i] = current
    return line_of


def _desk(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A wooden or grey desk: darker than paper, with streaky grain."""
    colour = np.array([(120, 88, 60), (95, 95, 100), (150, 120, 90)][int(rng.integers(3))], np.float32)
    streaks = cv2.resize(rng.normal(0, 10, (h // 4 + 1, 4)).astype(np.float32), (w, h))
    return colour + streaks[..., None]


def typeface(path: str, points: int) -> Any:
    """A font file at `points` ("" names Pillow's own, Aileron). Read anew each time (35 us): a cache would hold a
    file open for each face and size."""
    from PIL import ImageFont

    return ImageFont.load_default(points) if not path else ImageFont.truetype(path, points)


def typeface_at(path: str, cap: float) -> Any:
    """A font file at the size whose capitals stand `cap` pixels tall ("" names Pillow's own, Aileron)."""
    top, bottom = typeface(path, 100).getbbox("H", anchor="ls")[1::2]
    return typeface(path, max(4, round(100 * cap / max(1, bottom - top))))


def photograph(
    rng: np.random.Generator, sheet: np.ndarray, boxes: list[Box], c: Conditions
) -> tuple[np.ndarray, list[Box]]:
    """Tilt (and, on a desk, perspective), shade and turn the sheet; the boxes follow. Blur and noise last."""
    h, w = sheet.shape[:2]
    if c.curl:
        sheet, boxes = _curled(rng, sheet, boxes, c.curl)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    centre = np.float32([w / 2, h / 2])
    t = np.deg2rad(c.tilt)
    cw, ch = w * (1 - 2 * MARGIN), h * (1 - 2 * MARGIN)  # what must stay in frame: the written area
    fit = min(1.0, w / (cw * abs(np.cos(t)) + ch * abs(np.sin(t))), h / (cw * abs(np.sin(t)) + ch * abs(np.cos(t))))
    if c.perspective:
        fit *= rng.uniform(*SHEET_ON_DESK)
    rotation = np.float32([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])  # anticlockwise on screen
    dst = (corners - centre) @ rotation.T * fit + centre
    dst += rng.uniform(-1, 1, (4, 2)).astype(np.float32) * np.float32([w, h]) * c.perspective
    m = cv2.getPerspectiveTransform(corners, dst.astype(np.float32))
    lid = np.full((h, w, 3), rng.uniform(225, 250), np.float32)  # a scanner's lid around a tilted sheet
    background = _desk(rng, w, h) if c.perspective else lid
    warped = cv2.warpPerspective(sheet, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    image = warped * mask + background * (1 - mask)
    boxes = [_warp_box(m, b, w, h) for b in boxes]
    if c.shadow:
        image *= _shadow(rng, w, h, c.shadow, c.hard_shadow)[..., None]
    for _ in range(c.turn // 90):
        image, boxes = np.ascontiguousarray(np.rot90(image, k=-1)), [_quarter(b, image.shape[0]) for b in boxes]
    if c.blur:
        image = cv2.GaussianBlur(image, (0, 0), c.blur)
    if c.noise:
        image = image + rng.normal(0.0, c.noise, image.shape[:2])[..., None] + rng.normal(0, c.noise / 3, image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8), boxes


def _curled(rng: np.random.Generator, sheet: np.ndarray, boxes: list[Box], curl: float) -> tuple[np.ndarray, list[Box]]:
    """The sheet curled (a notebook held open, a page lifting off the desk): each column moved up or down, along
    part of a sine across the page, by up to `curl` of its height; the boxes move with their middle column."""
    h, w = sheet.shape[:2]
    span, start = rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.4)  # how much of a half wave the page bows over
    rise = curl * h * np.sin(np.pi * (start + span * np.arange(w, dtype=np.float32) / w))
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    curled = cv2.remap(
        sheet, xs, (ys + rise[None, :]).astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    moved = [(x, max(0, round(y - rise[min(w - 1, x + bw // 2)])), bw, bh) for x, y, bw, bh in boxes]
    return curled, moved


def _warp_box(m: np.ndarray, box: Box, w: int, h: int) -> Box:
    x, y, bw, bh = box
    pts = np.float32([[[x, y]], [[x + bw, y]], [[x + bw, y + bh]], [[x, y + bh]]])
    out = cv2.perspectiveTransform(pts, m)[:, 0]
    x0, y0 = max(0, int(np.floor(out[:, 0].min()))), max(0, int(np.floor(out[:, 1].min())))
    x1, y1 = min(w, int(np.ceil(out[:, 0].max()))), min(h, int(np.ceil(out[:, 1].max())))
    return x0, y0, x1 - x0, y1 - y0


def _quarter(box: Box, height: int) -> Box:
    """A box after the image (`height` rows tall) is turned a quarter clockwise."""
    x, y, w, h = box
    return height - (y + h), x, h, w


def _shadow(rng: np.random.Generator, w: int, h: int, depth: float, hard: bool = False) -> np.ndarray:
    """A shadow over part of the page (a hand or a phone between the lamp and the sheet): soft, or `hard`, its
    edge sharp and through the middle part of the page, where the writing is (a hard one draws no penumbra)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    side = (np.cos(angle) * (xx - w / 2) + np.sin(angle) * (yy - h / 2)) / max(w, h)
    edge = rng.uniform(0.0, 0.3) - HARD_EDGE_SHIFT * hard  # where the shadow starts, from the centre
    soft = HARD_PENUMBRA if hard else rng.uniform(0.05, 0.2)  # how wide its penumbra is
    shade = 1 / (1 + np.exp(np.clip(-(side - edge) / soft, -60, 60)))  # (clipped: a hard edge's far side, exactly)
    return (1 - depth * shade).astype(np.float32)


PRINTED_NUMBERS_SEED = 4  # appended to a page's seed: its printed numbers change nothing else of it


def _print_numbers(sheet: Sheet, rng: np.random.Generator) -> None:
    """Numbers printed on a page, in its margins (nothing else is there): a form or check number at the top right,
    a page number at the foot. Real forms carry both, and only handwritten numbers are a page's truth. Never drawn
    by `random_conditions`, so a seed's pages stay as they were; `bench/page_bench.py --printed-numbers` asks."""
    w, h = sheet.size
    cap = h * rng.uniform(0.014, 0.022)
    number = f"No. {rng.integers(100, 1_000_000)}"
    sheet.print(number, w * rng.uniform(0.62, 0.72), MARGIN * h * rng.uniform(0.55, 0.8), cap)
    sheet.print(
        f"PAGE {rng.integers(1, 4)} OF {rng.integers(4, 10)}", w * rng.uniform(0.4, 0.5), h * (1 - MARGIN * 0.35), cap
    )


def make_page(seed: int | Sequence[int], digits: Digits, kind: str, conditions: Conditions) -> Page:
    """One page of `kind` written with `digits` and photographed under `conditions`; the same seed, the same page."""
    if kind not in LAYOUTS:
        raise ValueError(f"no page kind {kind!r} (one of {', '.join(KINDS)})")
    if conditions.ruling not in RULINGS:
        raise ValueError(f"no ruling {conditions.ruling!r} (one of {', '.join(RULINGS)})")
    rng = np.random.default_rng(seed)
    long, short = SIZES[conditions.size]
    w, h = (long, short) if kind in LANDSCAPE else (short, long)
    blank = paper(rng, kind, conditions.paper, w, h)
    sheet = Sheet(blank, FONTS[int(rng.integers(len(FONTS)))], conditions.ruling, conditions.typeface)
    writer = random_writer(rng, short)
    pen = Pen(rng, digits, replace(writer, height=writer.height * conditions.writing))
    LAYOUTS[kind](sheet, pen)
    if conditions.printed_numbers:
        _print_numbers(sheet, np.random.default_rng([*np.atleast_1d(seed), PRINTED_NUMBERS_SEED]))
    ink = np.float32(INKS[conditions.ink]) / 255.0
    # print and ink each darken the paper by their colour
    drawn = sheet.paper * (sheet.printed / np.float32(255)) * (1 - sheet.ink[..., None] * (1 - ink))
    texts = [text for text, _ in sheet.written]
    written = [box for _, box in sheet.written]
    image, boxes = photograph(rng, drawn, written + sheet.printed_boxes, conditions)
    boxes, printed = boxes[: len(written)], boxes[len(written) :]
    lines = lines_of([box for _, box in sheet.written])  # lines of the upright page, before tilt and turn
    numbers = [
        Number("".join(ch for ch in text if ch.isdigit()), text, box, line)
        for text, box, line in zip(texts, boxes, lines, strict=True)
    ]
    order = sorted(range(len(numbers)), key=lambda i: (numbers[i].line, i))  # within a line, as written: left to right
    return Page(image, [numbers[i] for i in order], kind, conditions, int(np.atleast_1d(seed)[-1]), printed)


def random_conditions(rng: np.random.Generator, size: str = "small", feature: str | None = None) -> Conditions:
    """Photo conditions: with a `feature` (one of FEATURES), that condition stressed and the rest mild; without, each
    condition drawn on its own (for training pages)."""
    if feature is not None and feature not in FEATURES:
        raise ValueError(f"no feature {feature!r} (one of {', '.join(FEATURES)})")
    on = (lambda name, p: feature == name) if feature else (lambda name, p: rng.random() < p)
    colour = on("colour", 0.3)
    tilt = rng.uniform(TILTED, MAX_TILT) * rng.choice([-1, 1]) if on("tilt", 0.3) else rng.uniform(-1, 1) * SMALL_TILT
    photo, rough = on("photo", 0.3), on("rough", 0.3)
    short = SIZES[size][1] / 1000
    return Conditions(
        ink=str(rng.choice(["red", "green"] if colour else ["black", "blue"])),
        paper=str(rng.choice(["grey", "tinted", "gradient"])) if colour or rough else "white",
        tilt=round(float(tilt), 2),
        turn=int(rng.choice([90, 180, 270])) if on("turn", 0.2) else 0,
        perspective=round(float(rng.uniform(0.3, 1.0) * PERSPECTIVE), 4) if photo else 0.0,
        shadow=round(float(rng.uniform(*SHADOW)), 3) if photo or (rough and rng.random() < 0.5) else 0.0,
        blur=round(float(rng.uniform(*BLUR) * short), 2) if rough else 0.0,
        noise=round(float(rng.uniform(*NOISE)), 2) if rough or photo else 0.0,  # a flat scan: only the paper grain
        jpeg=int(rng.integers(JPEG[0], 65)) if rough else int(rng.integers(75, JPEG[1] + 1)),
        size=size,
    )


def schedule(count: int, kinds: Sequence[str] = KINDS) -> list[tuple[str, str]]:
    """(kind, feature) per page: kinds in turn, and each kind stressed by a different feature each round."""
    return [(kinds[i % len(kinds)], FEATURES[(i + i // len(kinds)) % len(FEATURES)]) for i in range(count)]


def generate(
    out: Path, digits: Digits, count: int, seed: int, size: str = "small", kinds: Sequence[str] = KINDS
) -> list[tuple[str, Page]]:
    """Write `count` pages, `truth.csv` and `pages.csv` into `out`; returns (file name, page) pairs."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (kind, feature) in enumerate(schedule(count, kinds)):
        conditions = random_conditions(np.random.default_rng([seed, i, 1]), size, feature)
        page = make_page([seed, i], digits, kind, conditions)
        name = f"page-{i:03d}-{kind}.{'jpg' if conditions.jpeg else 'png'}"
        save(page, out / name)
        written.append((name, page))
    write_truth(out, written)
    return written


def save(page: Page, path: Path) -> None:
    bgr = cv2.cvtColor(page.image, cv2.COLOR_RGB2BGR)
    q = page.conditions.jpeg
    params = [cv2.IMWRITE_JPEG_QUALITY, q] if q else [cv2.IMWRITE_PNG_COMPRESSION, 9]
    if not cv2.imwrite(str(path), bgr, params):
        raise OSError(f"{path}: cannot write")


TRUTH_COLUMNS = ("file", "kind", "line", "digits", "text", "x", "y", "w", "h")


def write_truth(out: Path, pages: Sequence[tuple[str, Page]]) -> None:
    """`truth.csv`: a row per handwritten number (what `digitscan eval` scores); `pages.csv`: a row per page."""
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f, lineterminator="\n")
        rows.writerow(TRUTH_COLUMNS)
        for name, page in pages:
            for n in page.numbers:
                rows.writerow([name, page.kind, n.line, n.digits, n.text, *n.box])
    with (out / "pages.csv").open("w", newline="", encoding="utf-8") as f:
        fields = list(asdict(Conditions()))
        rows = csv.writer(f, lineterminator="\n")
        rows.writerow(["file", "kind", "seed", *fields, "tags"])
        for name, page in pages:
            c = asdict(page.conditions)
            rows.writerow([name, page.kind, page.seed, *(c[k] for k in fields), " ".join(page.conditions.tags())])


# --- register cells (issue #20): crops of a scanned 19th-century register --------------------------------------------

REGISTER = "register"  # not one of KINDS: a cell is a crop of a scan, not a photographed page
CELL_WIDTH = (150, 400)  # pixels: real register crops (issue #20's row-number cells) are about this wide...
CELL_HEIGHT = (80, 200)  # ...and this tall
SIDES = ("left", "right", "top", "bottom")
BAND = (0.06, 0.28)  # of the side across it: how deep a scanner border or gutter band reaches into the cell
BAND_GREY = (8, 70)  # grey levels: black scanner background to a dark grey gutter
BAND_RAGGED = 0.02  # of the side across it: how far a ragged band edge wanders (a torn or curled page edge)
BAND_SLOPE = 0.02  # of the side across it: how far a band's edge leans over the cell (the page lay a little askew)
BAND_CLEAR = 3  # pixels between a band's deepest reach and anything written
NEIGHBOUR_EDGE = 0.3  # chance a band shows the neighbouring page's edge: a thin pale strip inside the dark
YELLOWED: RGB = (226, 208, 168)  # old rag paper, yellowed; each cell's paper varies around it
IRON_GALL: tuple[RGB, RGB] = ((48, 36, 28), (118, 88, 58))  # iron-gall ink, from fresh black-brown to faded brown
INK_STRENGTH = (0.45, 0.95)  # how much of its colour faded ink still lays down (low contrast at the low end)
INK_THIN = (0.0, 0.45)  # coverage under this is lost: a thin, dry pen
INK_GAPS = (0.0, 0.3)  # share of a stroke missing where the scan or the ink broke it
RULE_INK: tuple[RGB, ...] = ((62, 50, 44), (70, 62, 58), (150, 82, 70))  # printed column rules: black-brown or red
NUMBER_HEIGHT = (0.32, 0.6)  # of the cell's free height: the usual row number
ODD_SIZE = ((0.18, 0.3), (0.62, 0.8))  # a number written smaller or larger than usual, 15 % of cells each
MIN_NUMBER_HEIGHT = 14  # pixels: smaller numbers are not legible on a real scan either
FOOTER_WORDS = ("Trykt for", "Trykt hos", "Trykt i")  # the printer's line at a register page's foot
FOOTER_NAMES = ("Kirkedepartementet", "Grøndahl & Søn", "Steenske Bogtrykkeri", "Fabritius")
SCAN_BLUR = (0.3, 0.8)  # Gaussian sigma, pixels: a flatbed scan at 300 dpi, slightly soft
SCAN_NOISE = (1.5, 4.0)  # grey levels
SCAN_JPEG = (72, 90)  # quality: archive derivatives are JPEG at middling quality


@dataclass(frozen=True)
class Register:
    """One register cell and its truth."""

    image: np.ndarray  # RGB uint8
    number: Number  # the row number; `text` leaves out a trailing dot or comma
    borders: tuple[tuple[str, int], ...]  # (side, depth in pixels) of each dark band
    features: tuple[str, ...]  # what else the cell holds: rules, footer, slivers, mark, flourish, small, large
    seed: int
    jpeg: int | None = SCAN_JPEG[1]  # the quality it is saved at; None: PNG


def _aged_paper(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Yellowed paper: a tint varying cell to cell, fine grain and a few soft brown stains (foxing)."""
    colour = np.float32(YELLOWED) + rng.uniform(-14, 10) + rng.uniform(-5, 5, 3).astype(np.float32)
    grain = cv2.resize(rng.normal(0.0, 3.0, (h // 3 + 1, w // 3 + 1)).astype(np.float32), (w, h))
    stains = cv2.resize(rng.normal(0.0, 1.0, (4, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    sheet = colour + grain[..., None] - np.float32([6, 9, 14]) * np.clip(stains, 0, None)[..., None]
    return np.ascontiguousarray(sheet, np.float32)


def _broken(rng: np.random.Generator, cover: np.ndarray, thin: float, gaps: float) -> np.ndarray:
    """Old ink: the faint edges of strokes lost (thin) and pieces of strokes missing (gaps in the scan)."""
    cover = np.clip((cover - thin) / (1 - thin), 0.0, 1.0)
    if gaps <= 0 or cover.size == 0:
        return cover
    h, w = cover.shape
    noise = cv2.resize(rng.random((h // 4 + 2, w // 4 + 2)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return cover * np.where(noise < gaps, np.float32(0.1), np.float32(1.0))


def _flourish(rng: np.random.Generator, width: int, height: float) -> np.ndarray:
    """An underline or a looping flourish under a number, as clerks drew them."""
    h = max(4, round(height * rng.uniform(0.15, 0.3)))
    pen = max(1, round(height * STROKE * rng.uniform(0.6, 1.0))) * 4
    if rng.random() < 0.5:
        pts = _curve([(0.02, 0.5), (0.5, 0.5 + rng.uniform(-0.3, 0.3)), (0.98, 0.5)], width, h, rng, 0.1)
    else:
        pts = _curve([(0.0, 0.3), (0.3, 0.9), (0.55, 0.2), (0.75, 0.85), (1.0, 0.4)], width, h, rng, 0.08)
    return _pen((h, max(3, width)), lambda c: cv2.polylines(c, [pts], False, 255, pen, cv2.LINE_AA))


def _band(rng: np.random.Generator, w: int, h: int, side: str, depth: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A dark band along `side` (coverage 0..1, ragged edge) and, sometimes, the neighbour page's pale edge in it."""
    across, along = (w, h) if side in ("left", "right") else (h, w)
    knots = rng.normal(0, 0.5, (max(4, along // 25), 1)).astype(np.float32)
    walk = np.clip(cv2.resize(knots, (1, along), interpolation=cv2.INTER_CUBIC)[:, 0], -1, 1)
    lean = rng.uniform(-1, 1) * np.linspace(-1, 1, along, dtype=np.float32)
    edge = depth + (walk * BAND_RAGGED + lean * BAND_SLOPE) * across
    depth_of = np.clip(edge, 2, across - 2)[:, None]  # per position along the side
    inward = np.arange(across, dtype=np.float32)[None, :]
    band = np.clip(depth_of - inward + 0.5, 0.0, 1.0)  # 1 inside the band, soft by a pixel at its edge
    strip = None
    if rng.random() < NEIGHBOUR_EDGE and depth > 10:
        at = depth_of * rng.uniform(0.3, 0.6)
        strip = (np.abs(inward - at) < rng.uniform(1.0, 2.5)).astype(np.float32)
    flip = side in ("right", "bottom")
    band, strip = (a if a is None or not flip else a[:, ::-1] for a in (band, strip))
    if side in ("top", "bottom"):
        band, strip = band.T, None if strip is None else strip.T
    return np.ascontiguousarray(band), None if strip is None else np.ascontiguousarray(strip)


def _sides(rng: np.random.Generator) -> list[str]:
    """One side (a gutter, the scanner's edge) or two (a corner of the scan, or both page edges of a narrow crop)."""
    if rng.random() < 0.6:
        return [str(rng.choice(["left", "right", "left", "right", "top", "bottom"]))]
    pairs = [("left", "top"), ("left", "bottom"), ("right", "top"), ("right", "bottom"), ("left", "right")]
    return list(pairs[int(rng.integers(len(pairs)))])


def make_register(seed: int | Sequence[int], digits: Digits, empty: bool = False) -> Register:
    """One register cell: a row number in old ink on yellowed paper, with a dark scanner border or gutter on one or
    two sides, printed column rules, and sometimes a trailing dot or comma, a flourish, neighbours' slivers and a
    printed footer. The same seed, the same cell. `empty`: the same cell left empty, its number, mark and
    flourish drawn in no ink (its rules, bands, footer and slivers as they were): what it holds is no number."""
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(CELL_WIDTH[0], CELL_WIDTH[1] + 1)), int(rng.integers(CELL_HEIGHT[0], CELL_HEIGHT[1] + 1))
    h = min(h, round(w * 0.85))
    sheet = Sheet(_aged_paper(rng, w, h), int(rng.choice([cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX])))
    depth = {side: max(6, round(rng.uniform(*BAND) * (w if side in ("left", "right") else h))) for side in _sides(rng)}
    reach = BAND_RAGGED + BAND_SLOPE  # how far past its depth a band's edge may come
    left = depth.get("left", 0) + math.ceil(reach * w) + BAND_CLEAR if "left" in depth else BAND_CLEAR
    right = w - (depth.get("right", 0) + math.ceil(reach * w) + BAND_CLEAR if "right" in depth else BAND_CLEAR)
    top = depth.get("top", 0) + math.ceil(reach * h) + BAND_CLEAR if "top" in depth else BAND_CLEAR
    bottom = h - (depth.get("bottom", 0) + math.ceil(reach * h) + BAND_CLEAR if "bottom" in depth else BAND_CLEAR)
    features: list[str] = ["empty"] if empty else []
    footer = rng.random() < 0.15 and bottom - top > 60
    if footer:
        features.append("footer")
        cap = rng.uniform(7, 10)
        text = f"{rng.choice(FOOTER_WORDS)} {rng.choice(FOOTER_NAMES)}".replace("ø", "o")  # Hershey has no ø
        sheet.print(text, left + rng.uniform(0, 0.3) * (right - left), bottom - 2, cap)
        bottom -= round(cap * 1.8)
    free_w, free_h = right - left, bottom - top
    size = rng.random()
    share = ODD_SIZE[0] if size < 0.15 else ODD_SIZE[1] if size > 0.85 else NUMBER_HEIGHT
    features += ["small"] * (size < 0.15) + ["large"] * (size > 0.85)
    height = max(MIN_NUMBER_HEIGHT, free_h * rng.uniform(*share))
    writer = Writer(height, rng.uniform(-SLANT, SLANT), rng.uniform(*GAP), rng.uniform(*TOUCH))
    text = digit_string(rng, 1, 3)

    def ink(cover: np.ndarray) -> np.ndarray:  # an empty cell's number, mark and flourish: laid out, drawn in no ink
        return np.zeros_like(cover) if empty else cover

    hand = write(rng, digits, writer, text, height)
    hand = Handwriting(ink(hand.cover), hand.baseline)
    if hand.cover.shape[1] > free_w * 0.8:  # squeezed into the cell, as the clerk would
        f = free_w * 0.8 / hand.cover.shape[1]
        size_px = (max(1, int(free_w * 0.8)), max(1, round(hand.cover.shape[0] * f)))
        hand = Handwriting(cv2.resize(hand.cover, size_px, interpolation=cv2.INTER_AREA), round(hand.baseline * f))
    mark = str(rng.choice([".", ","])) if rng.random() < 0.35 else ""
    mark_cover, mark_top = separator(rng, mark, height) if mark else (None, 0.0)
    mark_cover = None if mark_cover is None else ink(mark_cover)
    extra = (mark_cover.shape[1] + round(SEPARATOR_GAP * height)) if mark_cover is not None else 0
    x = left + (free_w - hand.cover.shape[1] - extra) * rng.uniform(0.1, 0.9)
    baseline = top + hand.baseline + (free_h - hand.cover.shape[0]) * rng.uniform(0.2, 0.8)
    box = sheet.stamp(hand, x, baseline)
    if mark_cover is not None:
        features.append("mark")
        mx = box[0] + box[2] + round(SEPARATOR_GAP * height * rng.uniform(0.5, 1.2))
        sheet.stamp(Handwriting(mark_cover, round(height * (1 - mark_top))), mx, baseline)
    if rng.random() < 0.25:
        features.append("flourish")
        under = ink(_flourish(rng, box[2] + round(extra * 0.8), height))
        sheet.stamp(Handwriting(under, 0), box[0] + rng.uniform(-0.1, 0.05) * box[2], baseline + 0.04 * height)
    features += _rules(rng, sheet, box, (left, top, right, bottom))
    features += _slivers(rng, sheet, digits, writer, height, box, set(depth))
    image, jpeg = _scan(rng, sheet, depth)
    text = "" if empty else text
    number = Number(text, text, box, 0)  # a trailing dot or comma is not the number's: row numbers have none inside
    borders = tuple((side, d) for side, d in depth.items())
    return Register(image, number, borders, tuple(features), int(np.atleast_1d(seed)[-1]), jpeg)


def _rules(rng: np.random.Generator, sheet: Sheet, box: Box, free: tuple[int, int, int, int]) -> list[str]:
    """Printed column rules through the cell: beside the number or touching it, full length or cut short by the
    cell's edge; sometimes the row's ruled line under or over it."""
    (w, h), (left, top, right, bottom) = sheet.size, free
    colour, width = RULE_INK[int(rng.integers(len(RULE_INK)))], int(rng.integers(1, 4))
    tags = ["rules"]
    for _ in range(int(rng.choice([1, 1, 2]))):
        touching = rng.random() < 0.3
        if touching:  # on the number's first or last stroke
            x = box[0] - rng.uniform(-1, 2) if rng.random() < 0.5 else box[0] + box[2] + rng.uniform(-1, 2)
        else:
            spaces = [(left, box[0] - 4), (box[0] + box[2] + 4, right)]
            a, b = spaces[int(rng.integers(2))]
            if b - a < 2:
                continue
            x = rng.uniform(a, b)
        y0, y1 = 0.0, float(h)
        if rng.random() < 0.3:  # the crop caught the rule's end
            (y0, y1) = (rng.uniform(0.2, 0.6) * h, float(h)) if rng.random() < 0.5 else (0.0, rng.uniform(0.4, 0.8) * h)
            tags.append("rule cut short")
        sheet.line((x, y0), (x + rng.uniform(-1.5, 1.5), y1), colour, width)
        tags += ["rule touching"] * touching
    if rng.random() < 0.5:
        below = rng.random() < 0.6
        y = box[1] + box[3] + rng.uniform(-2, 0.15 * (bottom - box[1] - box[3])) if below else rng.uniform(top, box[1])
        x0, x1 = (0.0, float(w)) if rng.random() < 0.7 else (rng.uniform(0.1, 0.5) * w, float(w))
        sheet.line((x0, y), (x1, y + rng.uniform(-1, 1)), colour, width)
    return list(dict.fromkeys(tags))


def _slivers(
    rng: np.random.Generator, sheet: Sheet, digits: Digits, writer: Writer, height: float, box: Box, bands: set[str]
) -> list[str]:
    """Slivers of the neighbouring cells' writing cut by the crop's edges (sides without a band), clear of the
    number."""
    if rng.random() >= 0.4:
        return []
    w, h = sheet.size
    tags = []
    for _ in range(int(rng.integers(1, 3))):
        side = str(rng.choice([s for s in SIDES if s not in bands]))
        cover = glyph(rng, digits, int(rng.integers(10)), writer, height * rng.uniform(0.8, 1.2))
        gh, gw = cover.shape
        inside = rng.uniform(0.15, 0.4)
        if side in ("left", "right"):
            x = -gw * (1 - inside) if side == "left" else w - gw * inside
            y = rng.uniform(-0.3 * gh, h - 0.7 * gh)
        else:
            x = rng.uniform(0, max(0.0, w - gw))  # a glyph wider than a narrow cell overhangs its right edge
            y = -gh * (1 - inside) if side == "top" else h - gh * inside
        x0, y0 = max(0.0, x), max(0.0, y)
        x1, y1 = min(float(w), x + gw), min(float(h), y + gh)
        if x0 < box[0] + box[2] + 2 and box[0] - 2 < x1 and y0 < box[1] + box[3] + 2 and box[1] - 2 < y1:
            continue  # it would touch the number: that is another case
        sheet.stamp(Handwriting(cover, 0), x, y)
        tags = ["slivers"]
    return tags


def _scan(rng: np.random.Generator, sheet: Sheet, depth: dict[str, int]) -> tuple[np.ndarray, int]:
    """Old ink on the paper, the dark bands over it, then the scanner's blur, noise and JPEG quality."""
    h, w = sheet.ink.shape
    fade = rng.random()
    ink = (np.float32(IRON_GALL[0]) * (1 - fade) + np.float32(IRON_GALL[1]) * fade) / 255.0
    cover = _broken(rng, sheet.ink, rng.uniform(*INK_THIN), rng.uniform(*INK_GAPS))
    strength = rng.uniform(*INK_STRENGTH)
    image = sheet.paper * (sheet.printed / np.float32(255)) * (1 - (cover * strength)[..., None] * (1 - ink))
    for side, d in depth.items():
        band, strip = _band(rng, w, h, side, d)
        if rng.random() < 0.5:  # the gutter's shadow on the paper beside the band
            shade = cv2.GaussianBlur(band, (0, 0), max(1.0, d * rng.uniform(0.15, 0.4)))
            image *= (1 - rng.uniform(0.1, 0.3) * shade)[..., None]
        grey = rng.uniform(*BAND_GREY)
        colour = np.float32([grey + 4, grey + 2, grey]) + rng.normal(0, 3, (h, w, 1)).astype(np.float32)
        image = image * (1 - band[..., None]) + colour * band[..., None]
        if strip is not None:
            image = image * (1 - strip[..., None]) + np.float32(YELLOWED) * 0.8 * strip[..., None]
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(*SCAN_BLUR))
    image = image + rng.normal(0.0, rng.uniform(*SCAN_NOISE), (h, w, 1))
    return np.clip(np.round(image), 0, 255).astype(np.uint8), int(rng.integers(SCAN_JPEG[0], SCAN_JPEG[1] + 1))


def generate_registers(out: Path, digits: Digits, count: int, seed: int) -> list[tuple[str, Register]]:
    """Write `count` register cells into `out` with `labels.csv` (`file,digits`: what `digitscan eval` reads) and
    `cells.csv` (each cell's number, box, bands and features)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(count):
        cell = make_register([seed, i], digits)
        name = f"cell-{i:03d}.jpg"
        save_register(cell, out / name)
        written.append((name, cell))
    write_register_truth(out, written)
    return written


def save_register(cell: Register, path: Path) -> None:
    params = [cv2.IMWRITE_JPEG_QUALITY, cell.jpeg] if cell.jpeg else [cv2.IMWRITE_PNG_COMPRESSION, 9]
    if not cv2.imwrite(str(path), cv2.cvtColor(cell.image, cv2.COLOR_RGB2BGR), params):
        raise OSError(f"{path}: cannot write")


CELL_COLUMNS = ("file", "digits", "text", "x", "y", "w", "h", "borders", "features", "seed")


def write_register_truth(out: Path, cells: Sequence[tuple[str, Register]]) -> None:
    """`labels.csv`: `file,digits`, a string per cell, as `digitscan eval FOLDER` scores crops; `cells.csv`: the rest
    of each cell's truth (box, bands as `side:depth`, features)."""
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f, lineterminator="\n")
        rows.writerow(["file", "digits"])
        rows.writerows([name, cell.number.digits] for name, cell in cells)
    with (out / "cells.csv").open("w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f, lineterminator="\n")
        rows.writerow(CELL_COLUMNS)
        for name, cell in cells:
            n, borders = cell.number, " ".join(f"{side}:{d}" for side, d in cell.borders)
            rows.writerow([name, n.digits, n.text, *n.box, borders, " ".join(cell.features), cell.seed])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the pages, truth.csv and pages.csv")
    parser.add_argument("--count", type=int, default=18, help="how many pages (kinds in turn)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--digits", type=Path, required=True, help=".npz of digit images, white on black")
    parser.add_argument("--split", default="test", help="which split of --digits: x_SPLIT/y_SPLIT (test, valid, train)")
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help=f"comma-separated page kinds, or {REGISTER} alone: register cells"
    )
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    if REGISTER in kinds:
        if kinds != [REGISTER]:
            parser.error(f"--kinds {REGISTER} makes register cells: give it alone")
        cells = generate_registers(args.out, Digits.load(args.digits, args.split), args.count, args.seed)
        print(f"{len(cells)} register cells -> {args.out}")
        return
    written = generate(args.out, Digits.load(args.digits, args.split), args.count, args.seed, args.size, kinds)
    print(f"{len(written)} pages, {sum(len(p.numbers) for _, p in written)} numbers -> {args.out}")


if __name__ == "__main__":
    main()
