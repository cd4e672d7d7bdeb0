"""Generate the sample images in this folder and their ground truth, ``expected.csv``.

Four realistic test images with handwritten digit strings are made:

* ``check.png``: a bank check with a security pattern, printed text and a boxed courtesy amount;
* ``form.png``: a form with two fields written one digit per comb box;
* ``note.png``: a note on ruled paper with three strings on different lines;
* ``photo.jpg``: a phone photo of a page (perspective, shadow, sensor noise) with two strings.

Every handwritten digit is a random instance of its label from the MNIST *test* split (never the training split),
inverted to dark ink on paper, scaled and placed with clear gaps. MNIST is by Yann LeCun, Corinna Cortes and
Christopher J.C. Burges, made available under CC BY-SA 3.0.

The output is deterministic (fixed seeds). Run ``python samples/make_samples.py [--data mnist.npz] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = os.environ.get("DIGITSCAN_MNIST", str(HERE.parent.parent / "shared" / "datasets" / "mnist.npz"))
SEED = 2024
FONT = cv2.FONT_HERSHEY_SIMPLEX
# Colours are BGR, as OpenCV writes them.
INK = (70, 40, 30)  # blue-black
PRINT = (55, 55, 55)  # printed text and lines

Digits = tuple[np.ndarray, dict[int, np.ndarray]]


def load_test_digits(path: str | Path) -> Digits:
    """The MNIST test images (white on black) and, per label, the indices of its clearly written instances.

    An instance qualifies if its stroke is one connected piece and it is at least as close to the mean image of its
    label as the median instance: this leaves out broken strokes and the most unusual shapes.
    """
    with np.load(path) as data:
        x, y = data["x_test"], data["y_test"]
    pools = {}
    for label in range(10):
        idx = np.flatnonzero(y == label)
        flat = x[idx].reshape(len(idx), -1).astype(np.float32)
        flat -= flat.mean(1, keepdims=True)
        mean = flat.mean(0)
        corr = flat @ mean / (np.linalg.norm(flat, axis=1) * np.linalg.norm(mean))
        whole = np.array([cv2.connectedComponents((x[i] >= 90).astype(np.uint8))[0] == 2 for i in idx])
        pools[label] = idx[whole & (corr >= np.median(corr))]
    return x, pools


def glyph(rng: np.random.Generator, mnist: Digits, label: int, height: int, max_width: int | None = None) -> np.ndarray:
    """A random test instance of ``label`` as ink coverage (0..1), cropped tight and scaled to ``height`` px."""
    x, pools = mnist
    img = x[rng.choice(pools[label])].astype(np.float32) / 255.0
    rows, cols = np.flatnonzero(img.max(1) > 0), np.flatnonzero(img.max(0) > 0)
    img = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = height / img.shape[0]
    if max_width is not None:
        scale = min(scale, max_width / img.shape[1])
    size = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    img = cv2.resize(img, size, interpolation=cv2.INTER_CUBIC)
    img = np.clip((img - 0.15) / 0.55, 0.0, 1.0)  # crisper, pen-like strokes
    rows, cols = np.flatnonzero(img.max(1) > 0), np.flatnonzero(img.max(0) > 0)
    return img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def write_string(
    rng: np.random.Generator, canvas: np.ndarray, mnist: Digits, text: str, x: int, bottom: int, height: int
) -> int:
    """Write digits left to right from ``x`` with their bottoms near ``bottom``; returns the right edge."""
    for i, ch in enumerate(text):
        if i:
            x += int(rng.integers(4, 9))  # gap between digits: never touching
        g = glyph(rng, mnist, int(ch), height)
        put_ink(canvas, g, x, bottom - g.shape[0] + int(rng.integers(-2, 3)))
        x += g.shape[1]
    return x


def put_ink(canvas: np.ndarray, cover: np.ndarray, x: int, y: int, ink: tuple[int, int, int] = INK) -> None:
    """Blend ink coverage onto the canvas at (x, y); the darker of ink and paper wins."""
    h, w = cover.shape
    layer = 255.0 - cover[..., None] * (255.0 - np.array(ink, np.float32))
    region = canvas[y : y + h, x : x + w]
    np.minimum(region, layer.astype(np.uint8), out=region)


def paper(rng: np.random.Generator, h: int, w: int, colour: tuple[int, int, int], grain: float = 1.5) -> np.ndarray:
    """A page of the given colour with faint, smooth paper texture."""
    texture = cv2.resize(rng.normal(0.0, grain, (h // 8 + 1, w // 8 + 1)).astype(np.float32), (w, h))
    page = np.array(colour, np.float32) + texture[..., None]
    return np.clip(np.round(page), 0, 255).astype(np.uint8)


def text(canvas: np.ndarray, s: str, x: int, y: int, scale: float = 0.6, font: int = FONT, thick: int = 1) -> int:
    """Print ``s`` with its baseline at ``y``; returns its right edge."""
    cv2.putText(canvas, s, (x, y), font, scale, PRINT, thick, cv2.LINE_AA)
    return x + cv2.getTextSize(s, font, scale, thick)[0][0]


def make_check(rng: np.random.Generator, mnist: Digits) -> tuple[np.ndarray, list[str]]:
    h, w = 600, 1400
    img = paper(rng, h, w, (228, 236, 222))  # pale green
    xs = np.arange(0, w + 8, 8)
    for i in range(-2, h // 14 + 3):  # guilloche-like security pattern
        for amp, period, phase in ((9, 260, 0.35 * i), (6, 170, 1.7 + 0.5 * i)):
            ys = i * 14 + amp * np.sin(2 * np.pi * xs / period + phase)
            pts = np.stack([xs, ys], 1).round().astype(np.int32)
            cv2.polylines(img, [pts], False, (212, 224, 206), 1, cv2.LINE_AA)
    cv2.rectangle(img, (14, 14), (w - 15, h - 15), (120, 130, 110), 2)
    text(img, "BANK OF EXAMPLE", 50, 75, 1.1, cv2.FONT_HERSHEY_TRIPLEX, 2)
    text(img, "MAIN STREET BRANCH, ANYTOWN", 52, 110, 0.55)  # no printed digits: the amount is the only number
    text(img, "DATE", 1020, 125, 0.55)
    cv2.line(img, (1080, 128), (1340, 128), PRINT, 1)
    box = (980, 175, 1340, 295)  # courtesy amount box
    cv2.rectangle(img, box[:2], box[2:], (40, 40, 40), 2)
    amount = "1480"
    glyphs = [glyph(rng, mnist, int(c), 62) for c in amount]
    gaps = [int(rng.integers(4, 9)) for _ in glyphs[1:]]
    x = (box[0] + box[2] - sum(g.shape[1] for g in glyphs) - sum(gaps)) // 2
    for g, gap in zip(glyphs, [0, *gaps], strict=True):
        x += gap
        put_ink(img, g, x, (box[1] + box[3]) // 2 + 33 - g.shape[0] + int(rng.integers(-2, 3)))
        x += g.shape[1]
    right = text(img, "PAY TO THE ORDER OF", 50, 375, 0.65)
    cv2.line(img, (right + 20, 380), (1340, 380), PRINT, 1)
    cv2.line(img, (50, 460), (1180, 460), PRINT, 1)
    text(img, "DOLLARS", 1200, 458, 0.65)
    right = text(img, "MEMO", 50, 545, 0.6)
    cv2.line(img, (right + 15, 548), (560, 548), PRINT, 1)
    cv2.line(img, (860, 548), (1340, 548), PRINT, 1)
    return img, [amount]


def make_form(rng: np.random.Generator, mnist: Digits) -> tuple[np.ndarray, list[str]]:
    h, w = 500, 1200
    img = paper(rng, h, w, (246, 247, 248))
    text(img, "CUSTOMER REQUEST FORM", 60, 70, 1.0, cv2.FONT_HERSHEY_DUPLEX, 2)
    cv2.line(img, (60, 90), (w - 60, 90), PRINT, 1)
    box_w, box_h, margin = 80, 100, 10
    fields = [("ACCOUNT", "305127", 150), ("CODE", "7692", 320)]
    for label, digits, top in fields:
        text(img, label, 60, top + box_h // 2 + 8, 0.8, thick=2)
        left = 340  # >= 60 px right of the longest label
        for i, ch in enumerate(digits):
            x0 = left + i * box_w
            cv2.rectangle(img, (x0, top), (x0 + box_w, top + box_h), (90, 90, 90), 2)
            g = glyph(rng, mnist, int(ch), int(rng.integers(58, 66)), box_w - 2 * margin - 4)
            free_x, free_y = box_w - 2 * margin - g.shape[1], box_h - 2 * margin - g.shape[0]
            gx = x0 + margin + int(rng.integers(0, free_x + 1))
            gy = top + margin + int(rng.integers(0, free_y + 1))
            put_ink(img, g, gx, gy)
    text(img, "SIGNATURE", 60, 465, 0.6)
    cv2.line(img, (190, 468), (620, 468), PRINT, 1)
    return img, [digits for _, digits, _ in fields]


def make_note(rng: np.random.Generator, mnist: Digits) -> tuple[np.ndarray, list[str]]:
    h, w = 700, 1000
    img = paper(rng, h, w, (238, 246, 250))
    rules = list(range(110, h - 20, 75))
    for y in rules:
        cv2.line(img, (0, y), (w, y), (225, 195, 160), 2)  # light blue
    cv2.line(img, (90, 0), (90, h), (190, 190, 240), 1)  # pink margin
    strings = [("2024", 1, 130, 55), ("31415", 3, 260, 60), ("609", 5, 180, 52)]
    for digits, line, x, height in strings:
        write_string(rng, img, mnist, digits, x, rules[line] - 1, height)
    return img, [s[0] for s in strings]


def make_photo(rng: np.random.Generator, mnist: Digits) -> tuple[np.ndarray, list[str]]:
    h, w = 1200, 1600
    ph, pw = 940, 1300
    page = paper(rng, ph, pw, (244, 247, 249))
    strings = ["8675309", "42"]
    write_string(rng, page, mnist, strings[0], 170, 330, 80)
    write_string(rng, page, mnist, strings[1], 250, 620, 80)
    desk = paper(rng, h, w, (72, 98, 128), grain=6.0)  # brown desk
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    base = np.float32([[150, 130], [1450, 130], [1450, 1070], [150, 1070]])
    dst = base + rng.uniform(-1, 1, (4, 2)).astype(np.float32) * np.float32([0.06 * w, 0.06 * h])
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(page, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    img = warped * mask + desk * (1 - mask)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.hypot(xx - w, yy - h) / np.hypot(w, h)  # shadow over the bottom-right corner
    light = 1.0 - 0.4 * np.clip(1.0 - d / 0.9, 0.0, 1.0) ** 1.5 - 0.04 * xx / w
    img = cv2.GaussianBlur(img * light[..., None], (0, 0), 0.8)
    img += rng.normal(0.0, 2.5, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), strings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="mnist.npz with x_test and y_test")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args()
    mnist = load_test_digits(args.data)
    args.out.mkdir(parents=True, exist_ok=True)
    makers = [("check.png", make_check), ("form.png", make_form), ("note.png", make_note), ("photo.jpg", make_photo)]
    rows = []
    for i, (name, make) in enumerate(makers):
        img, strings = make(np.random.default_rng(SEED + i), mnist)
        params = [cv2.IMWRITE_JPEG_QUALITY, 90] if name.endswith(".jpg") else [cv2.IMWRITE_PNG_COMPRESSION, 9]
        cv2.imwrite(str(args.out / name), img, params)
        rows.append((name, " ".join(strings)))
    with open(args.out / "expected.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([("file", "digits"), *rows])


if __name__ == "__main__":
    main()
