"""Pages of another generator: kinds, paper, pens and cameras that `digitscan.training.pages` never makes.

Run from the repository root::

    python bench/other_pages.py /tmp/other --seed 1 --per-kind 20 --mnist ../shared/datasets/mnist.npz \\
        --cvl ../shared/datasets/cvl-digits.npz
    digitscan eval /tmp/other --truth /tmp/other/truth.csv -j 2

The page bench's pages (`page_bench.py`) come from the generator the page reader's training pages come from, so
its figures can flatter whatever that generator does its own way. These pages share nothing with it but the digit
images: sticky notes written with a marker, receipts with printed prices and a handwritten tip and total, score
sheets (a printed grid, numbers written in its cells), index cards (a red rule over blue ones), plain sheets of
numbers of several sizes and calendars (a printed number in every day's corner, numbers written in some days), each
laid on a desk, turned up to `--tilt` degrees (6 unless asked), and photographed (perspective, a lamp's fall-off,
blur, noise, JPEG), with `--quarters` the camera held any of the four ways (`pages.csv` says which). Digits are
drawn with a pen of their own here (`_stroke`): thresholded from the enlarged image and thickened, not
`pages.glyph`'s. The writers are those no bundled page reader learnt: MNIST's test split (even pages) and CVL's
valid writers, one writer a page (odd pages). The truth is one row a handwritten number, as `page_bench.py` writes
it (`file,kind,line,digits,text,x,y,w,h`); printed digits are never in it.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

KINDS = ("sticky", "receipt", "scores", "index", "plain", "calendar")
INKS = {  # BGR: ballpoint blue and black, a felt tip's red and green, pencil
    "blue": (150, 60, 20),
    "black": (30, 30, 30),
    "red": (40, 40, 190),
    "green": (60, 120, 30),
    "pencil": (95, 95, 95),
}
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_COMPLEX)
WORDS = ("COFFEE", "BREAD", "MILK", "TAX", "ITEM", "QTY", "SUBTOTAL", "CASH", "CARD", "TEAM", "ROUND", "TOTAL")


class Hands:
    """The digit images of one source, and each page's writer: one CVL writer's digits, or MNIST's test digits."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, writers: np.ndarray | None) -> None:
        self.images, self.labels, self.writers = images, labels.astype(np.int64), writers

    def writer(self, rng: np.random.Generator) -> Callable[[int], np.ndarray]:
        """A function giving one image of a digit, every one of the same writer where the source knows writers."""
        pool = np.arange(len(self.labels))
        if self.writers is not None:
            names = np.unique(self.writers)
            pool = np.flatnonzero(self.writers == names[rng.integers(len(names))])
        by_digit = [pool[self.labels[pool] == d] for d in range(10)]
        everyone = [np.flatnonzero(self.labels == d) for d in range(10)]
        return lambda d: self.images[rng.choice(by_digit[d] if len(by_digit[d]) else everyone[d])]


def load_hands(mnist: Path, cvl: Path | None) -> list[Hands]:
    with np.load(mnist) as npz:
        hands = [Hands(npz["x_test"], npz["y_test"], None)]
    if cvl is not None and cvl.is_file():
        with np.load(cvl) as npz:
            hands.append(Hands(npz["x_valid"], npz["y_valid"], npz["writer_valid"]))
    return hands


def _stroke(image: np.ndarray, height: int, weight: int, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 digit as pen coverage (0..1) `height` pixels tall, cropped to its ink: enlarged, thresholded, made
    `weight` pixels bolder (never thinner: MNIST's thin strokes would break into dashes no pen leaves), slightly
    turned."""
    ink = image.astype(np.float32) / max(1.0, float(image.max()))
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.2), np.flatnonzero(ink.max(axis=0) > 0.2)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = height / ink.shape[0]
    big = cv2.resize(ink, (max(2, round(ink.shape[1] * scale)), height), interpolation=cv2.INTER_LINEAR)
    big = cv2.GaussianBlur(big, (0, 0), max(0.6, height / 60))
    cover = np.clip((big - 0.15) / 0.35, 0.0, 1.0)  # low enough that faint joins stay joined
    if weight:
        cover = cv2.dilate(cover, np.ones((weight + 1, weight + 1), np.uint8))
    pad = height // 4
    cover = cv2.copyMakeBorder(cover, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    turn = cv2.getRotationMatrix2D((cover.shape[1] / 2, cover.shape[0] / 2), rng.uniform(-6, 6), 1.0)
    cover = cv2.warpAffine(cover, turn, cover.shape[::-1], flags=cv2.INTER_LINEAR)
    rows, cols = np.flatnonzero(cover.max(axis=1) > 0.1), np.flatnonzero(cover.max(axis=0) > 0.1)
    return cover[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


@dataclass
class Sheet:
    """A page being made: its colour image (float BGR) and the handwritten numbers on it (text, box)."""

    image: np.ndarray
    rng: np.random.Generator
    numbers: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    font: int | None = None  # the typeface of all its print (None: any, each time)

    def ink(self, cover: np.ndarray, x: int, y: int, colour: tuple[int, int, int], strength: float = 0.9) -> None:
        h, w = self.image.shape[:2]
        x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + cover.shape[1]), min(h, y + cover.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        c = cover[y0 - y : y1 - y, x0 - x : x1 - x, None] * strength
        self.image[y0:y1, x0:x1] = self.image[y0:y1, x0:x1] * (1 - c) + np.float32(colour) * c

    def write(
        self,
        text: str,
        x: int,
        baseline: int,
        height: int,
        draw: Callable[[int], np.ndarray],
        pen: Pen,
        room: int | None = None,
    ) -> int:
        """Handwrite `text` from x with its foot on `baseline`, written smaller where it would not fit in `room`
        pixels; returns the x after it. Recorded as a number."""
        glyphs = [
            (
                _stroke(draw(int(c)), max(8, round(height * self.rng.uniform(0.88, 1.08))), pen.weight, self.rng),
                round(height * self.rng.uniform(pen.gap - 0.08, pen.gap + 0.08)),
            )
            for c in text
        ]
        width = sum(g.shape[1] + gap for g, gap in glyphs)
        if room is not None and width > room and height > 8:
            return self.write(text, x, baseline, max(8, int(height * room / width)), draw, pen, room)
        left, top, bottom = x, baseline, baseline
        for cover, gap in glyphs:
            y = baseline + round(self.rng.uniform(-0.06, 0.06) * height) - cover.shape[0]
            self.ink(cover, x, y, pen.colour, pen.strength)
            top, bottom = min(top, y), max(bottom, y + cover.shape[0])
            x += cover.shape[1] + gap
        self.numbers.append((text, (left, top, x - left, bottom - top)))
        return x

    def print(self, text: str, x: int, baseline: int, scale: float, thickness: int = 1) -> int:
        """Print `text` (never a handwritten number); returns the x after it."""
        font = FONTS[int(self.rng.integers(len(FONTS)))] if self.font is None else self.font
        (w, _), _ = cv2.getTextSize(text, font, scale, thickness)
        canvas = np.zeros(self.image.shape[:2], np.uint8)
        cv2.putText(canvas, text, (x, baseline), font, scale, 255, thickness, cv2.LINE_AA)
        self.ink(canvas.astype(np.float32) / 255, 0, 0, (35, 35, 35), 0.95)
        return x + w

    def rule(self, p0: tuple[int, int], p1: tuple[int, int], colour: tuple[int, int, int], width: int) -> None:
        canvas = np.zeros(self.image.shape[:2], np.uint8)
        cv2.line(canvas, p0, p1, 255, width, cv2.LINE_AA)
        self.ink(canvas.astype(np.float32) / 255, 0, 0, colour, 0.8)


@dataclass(frozen=True)
class Pen:
    colour: tuple[int, int, int]
    weight: int  # pixels bolder than the thresholded digit
    gap: float  # of the digits' height between two digits
    strength: float


def _pen(rng: np.random.Generator, height: int, marker: bool = False) -> Pen:
    name = list(INKS)[int(rng.integers(len(INKS)))] if not marker else ("black", "blue", "red")[int(rng.integers(3))]
    weight = round(height * (rng.uniform(0.02, 0.05) if marker else rng.uniform(0.0, 0.03)))
    strength = 0.6 if name == "pencil" else rng.uniform(0.8, 0.97)
    return Pen(INKS[name], weight, rng.uniform(0.05, 0.3), strength)


def _digits(rng: np.random.Generator, low: int, high: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(low, high + 1))))


def _paper(rng: np.random.Generator, w: int, h: int, colour: tuple[float, float, float]) -> np.ndarray:
    grain = cv2.resize(rng.normal(0, 3, (h // 4 + 1, w // 4 + 1)).astype(np.float32), (w, h))
    return np.float32(colour) + grain[..., None] + np.zeros((h, w, 3), np.float32)


def sticky(rng: np.random.Generator, draw: Callable[[int], np.ndarray]) -> Sheet:
    """A square note in a light colour, one to three numbers written large with a marker."""
    side = int(rng.integers(700, 1000))
    colour = [(150, 240, 250), (200, 230, 255), (190, 250, 200), (245, 220, 200)][int(rng.integers(4))]
    sheet = Sheet(_paper(rng, side, side, colour), rng)
    count = int(rng.integers(1, 4))
    height = int(side * rng.uniform(0.1, 0.16) * (3 / (count + 2)) ** 0.5)
    pen = _pen(rng, height, marker=True)
    pitch = height * rng.uniform(1.5, 1.9)
    top = (side - pitch * (count - 1)) / 2 + height / 2
    for i in range(count):  # each number fits the note
        x = int(side * rng.uniform(0.06, 0.12))
        sheet.write(_digits(rng, 2, 5), x, int(top + i * pitch), height, draw, pen, int(side * 0.9) - x)
    return sheet


def receipt(rng: np.random.Generator, draw: Callable[[int], np.ndarray]) -> Sheet:
    """A till receipt: printed items and prices (print, never read), a handwritten tip and total beside them."""
    w, h = int(rng.integers(560, 720)), int(rng.integers(1300, 1700))
    sheet = Sheet(_paper(rng, w, h, (243, 243, 240)), rng)
    sheet.font = FONTS[int(rng.integers(len(FONTS)))]
    scale = rng.uniform(0.8, 1.1)
    y = int(h * 0.08)
    sheet.print("RECEIPT " + _digits(rng, 4, 6), int(w * 0.2), y, scale * 1.2, 2)
    for _ in range(int(rng.integers(4, 8))):
        y += int(46 * scale)
        sheet.print(WORDS[int(rng.integers(len(WORDS)))], int(w * 0.07), y, scale)
        sheet.print(f"{rng.integers(1, 99)}.{rng.integers(0, 100):02d}", int(w * 0.68), y, scale)
    pen, height = _pen(rng, 50), int(rng.integers(40, 70))
    for label in ("TIP", "TOTAL"):
        y += int(height * rng.uniform(2.0, 2.6))
        x = sheet.print(label, int(w * 0.07), y, scale) + int(w * 0.08)
        sheet.rule((x, y + 6), (int(w * 0.93), y + 6), (60, 60, 60), 1)
        sheet.write(_digits(rng, 2, 4), x + int(rng.integers(10, 40)), y, height, draw, pen)
    return sheet


def scores(rng: np.random.Generator, draw: Callable[[int], np.ndarray]) -> Sheet:
    """A score sheet: a printed grid with a printed head row, numbers written in some of its cells."""
    w, h = int(rng.integers(1100, 1500)), int(rng.integers(800, 1100))
    sheet = Sheet(_paper(rng, w, h, (245, 245, 242)), rng)
    cols, rows = int(rng.integers(3, 6)), int(rng.integers(4, 8))
    x0, y0, x1, y1 = int(w * 0.06), int(h * 0.08), int(w * 0.94), int(h * 0.92)
    cw, ch = (x1 - x0) / cols, (y1 - y0) / rows
    width = int(rng.integers(1, 4))
    for c in range(cols + 1):
        sheet.rule((round(x0 + c * cw), y0), (round(x0 + c * cw), y1), (50, 50, 50), width)
    for r in range(rows + 1):
        sheet.rule((x0, round(y0 + r * ch)), (x1, round(y0 + r * ch)), (50, 50, 50), width)
    for c in range(cols):
        sheet.print(WORDS[8 + c % 4] if c < 4 else "ROUND", round(x0 + c * cw + cw * 0.1), round(y0 + ch * 0.65), 0.8)
    pen = _pen(rng, int(ch * 0.45))
    for r in range(1, rows):
        for c in range(cols):
            if rng.random() < 0.6:  # the number fits its cell
                height = int(ch * rng.uniform(0.4, 0.6))
                start = rng.uniform(0.08, 0.3)
                x = round(x0 + c * cw + cw * start)
                baseline = round(y0 + (r + 1) * ch - ch * rng.uniform(0.15, 0.3))
                sheet.write(_digits(rng, 1, 4), x, baseline, height, draw, pen, round(cw * (0.9 - start)))
    return sheet


def index(rng: np.random.Generator, draw: Callable[[int], np.ndarray]) -> Sheet:
    """An index card: a red rule under its head, blue rules below, numbers written on the blue rules."""
    w, h = int(rng.integers(1200, 1500)), int(rng.integers(720, 900))
    sheet = Sheet(_paper(rng, w, h, (235, 248, 252)), rng)
    pitch = int(h * rng.uniform(0.085, 0.11))
    head = int(h * 0.16)
    sheet.rule((0, head), (w, head), (70, 70, 210), 2)
    rules = list(range(head + pitch, h - pitch // 2, pitch))
    for y in rules:
        sheet.rule((0, y), (w, y), (215, 170, 120), 1)
    pen = _pen(rng, int(pitch * 0.6))
    for y in rules:
        if rng.random() < 0.55:
            height = int(pitch * rng.uniform(0.5, 0.7))
            x = int(w * rng.uniform(0.05, 0.3))
            while x < w * 0.6 and rng.random() < 0.8:
                x = sheet.write(_digits(rng, 2, 7), x, y - int(pitch * 0.06), height, draw, pen) + int(height * 1.8)
    return sheet


def plain(rng: np.random.Generator, draw: Callable[[int], np.ndarray]) -> Sheet:
    """A plain sheet with numbers of several sizes here and there, each in its own hand's slope."""
    w, h = int(rng.integers(1000, 1300)), int(rng.integers(1300, 1700))
    sheet = Sheet(_paper(rng, w, h, (244, 244, 244)), rng)
    pen = _pen(rng, 60)
    y = int(h * rng.uniform(0.08, 0.14))
    while y < h * 0.9:
        height = int(rng.choice([35, 50, 70, 100]))
        y += int(height * rng.uniform(1.6, 3.0))
        if y > h * 0.93:
            break
        sheet.write(_digits(rng, 1, 8), int(w * rng.uniform(0.05, 0.45)), y, height, draw, pen)
    return sheet


def calendar(rng: np.random.Generator, draw: Callable[[int], np.ndarray]) -> Sheet:
    """A month's page: a printed grid of days, each day's printed number in its corner (print, never read), hours or
    amounts written larger in some of them."""
    w, h = int(rng.integers(1300, 1600)), int(rng.integers(1000, 1200))
    sheet = Sheet(_paper(rng, w, h, (246, 246, 243)), rng)
    sheet.font = FONTS[int(rng.integers(len(FONTS)))]
    x0, y0, x1, y1 = int(w * 0.04), int(h * 0.12), int(w * 0.96), int(h * 0.95)
    sheet.print(("MARCH", "APRIL", "JUNE", "OCTOBER")[int(rng.integers(4))] + " 2026", x0, int(h * 0.08), 1.4, 2)
    cw, ch = (x1 - x0) / 7, (y1 - y0) / 5
    for c in range(8):
        sheet.rule((round(x0 + c * cw), y0), (round(x0 + c * cw), y1), (60, 60, 60), 2)
    for r in range(6):
        sheet.rule((x0, round(y0 + r * ch)), (x1, round(y0 + r * ch)), (60, 60, 60), 2)
    start, pen, scale = int(rng.integers(0, 7)), _pen(rng, int(ch * 0.35)), rng.uniform(0.6, 0.9)
    for day in range(1, 32):
        r, c = divmod(start + day - 1, 7)
        if r >= 5:
            break
        left, top = x0 + c * cw, y0 + r * ch
        sheet.print(str(day), round(left + cw * 0.07), round(top + ch * 0.25), scale)
        if rng.random() < 0.4:
            height = int(ch * rng.uniform(0.3, 0.42))
            x = round(left + cw * rng.uniform(0.25, 0.4))
            baseline = round(top + ch * rng.uniform(0.75, 0.88))
            sheet.write(_digits(rng, 1, 3), x, baseline, height, draw, pen, round(left + cw * 0.92) - x)
    return sheet


MAKERS: dict[str, Callable[[np.random.Generator, Callable[[int], np.ndarray]], Sheet]] = {
    "sticky": sticky,
    "receipt": receipt,
    "scores": scores,
    "index": index,
    "plain": plain,
    "calendar": calendar,
}


TILT = 6.0  # degrees: a sheet laid on a desk by hand, photographed square (`--tilt` asks for more)


def photograph(
    sheet: Sheet, rng: np.random.Generator, tilt: float = TILT, quarters: bool = False
) -> tuple[np.ndarray, list[tuple[str, tuple[int, ...]]], tuple[float, int]]:
    """The sheet laid on a desk turned up to `tilt` degrees and photographed: its corners moved, a lamp's fall-off,
    blur, noise; with `quarters`, the camera held any of the four ways (the photo saved as taken: no EXIF turn). The
    numbers' boxes are mapped onto the photo; the sheet's turn on the desk (degrees) and the camera's (quarters,
    counterclockwise) come with them."""
    h, w = sheet.image.shape[:2]
    margin = rng.uniform(0.06, 0.18)
    W, H = int(w * (1 + 2 * margin)), int(h * (1 + 2 * margin))
    desk = cv2.resize(rng.normal(0, 12, (H // 40 + 2, W // 40 + 2)).astype(np.float32), (W, H), cv2.INTER_CUBIC)
    tone = np.float32([(70, 90, 120), (60, 60, 60), (110, 120, 130), (40, 55, 80)][int(rng.integers(4))])
    photo = tone + desk[..., None] + np.zeros((H, W, 3), np.float32)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.05, 0.05, (4, 2)) * np.float32([w, h])
    dst = src + np.float32([w * margin, h * margin]) + jitter
    degrees = rng.uniform(-tilt, tilt)
    angle = np.deg2rad(degrees)
    centre = dst.mean(axis=0)
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (dst - centre) @ rot.T + centre
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(sheet.image, matrix, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, (W, H), flags=cv2.INTER_LINEAR)[..., None]
    photo = photo * (1 - mask) + warped * mask
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    lx, ly = rng.uniform(0, W), rng.uniform(0, H)
    fall = 1 - rng.uniform(0.1, 0.35) * np.hypot(xx - lx, yy - ly) / np.hypot(W, H)
    photo *= fall[..., None] * rng.uniform(0.85, 1.05)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.3, 1.2))
    photo += rng.normal(0, rng.uniform(1.5, 5), photo.shape).astype(np.float32)
    boxes = []
    for text, (x, y, bw, bh) in sheet.numbers:
        corners = np.float32([[[x, y]], [[x + bw, y]], [[x + bw, y + bh]], [[x, y + bh]]])
        mapped = cv2.perspectiveTransform(corners, matrix)[:, 0]
        (mx, my), (Mx, My) = mapped.min(axis=0), mapped.max(axis=0)
        boxes.append((text, (int(mx), int(my), int(Mx - mx), int(My - my))))
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    turns = int(rng.integers(4)) if quarters else 0
    for _ in range(turns):  # a quarter turn counterclockwise: (x, y) goes to (y, width - x)
        width = photo.shape[1]
        photo = np.ascontiguousarray(np.rot90(photo))
        boxes = [(text, (y, width - x - bw, bh, bw)) for text, (x, y, bw, bh) in boxes]
    return photo, boxes, (float(degrees), turns)


def generate(
    folder: Path, hands: list[Hands], per_kind: int, seed: int, tilt: float = TILT, quarters: bool = False
) -> int:
    """`per_kind` photos of each kind in `folder/KIND/`, with `folder/truth.csv` and how each was photographed in
    `folder/pages.csv`; returns the lines written."""
    rows, pages = [], []
    for k, kind in enumerate(KINDS):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_kind):
            rng = np.random.default_rng([seed, k, i])
            sheet = MAKERS[kind](rng, hands[i % len(hands)].writer(rng))
            photo, boxes, (degrees, turns) = photograph(sheet, rng, tilt, quarters)
            name = f"{kind}/{kind}-{i:03d}.jpg"
            cv2.imwrite(str(folder / name), photo, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 95))])
            rows += [(name, kind, n, text, text, *box) for n, (text, box) in enumerate(boxes)]
            pages.append((name, kind, round(degrees, 2), 90 * turns))
    with open(folder / "truth.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["file", "kind", "line", "digits", "text", "x", "y", "w", "h"])
        out.writerows(rows)
    with open(folder / "pages.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["file", "kind", "tilt", "turn"])
        out.writerows(pages)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-kind", type=int, default=20)
    parser.add_argument("--mnist", type=Path, default=Path("../shared/datasets/mnist.npz"))
    parser.add_argument("--cvl", type=Path, default=Path("../shared/datasets/cvl-digits.npz"))
    parser.add_argument("--tilt", type=float, default=TILT, help="the most a sheet is turned on its desk, in degrees")
    parser.add_argument("--quarters", action="store_true", help="photos taken any of the four ways up, no EXIF")
    args = parser.parse_args()
    hands = load_hands(args.mnist, args.cvl)
    lines = generate(args.folder, hands, args.per_kind, args.seed, args.tilt, args.quarters)
    print(f"{args.per_kind * len(KINDS)} pages, {lines} lines in {args.folder}")


if __name__ == "__main__":
    main()
