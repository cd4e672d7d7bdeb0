"""Check-amount crops written by MNIST's test writers, whom no bundled model learnt: a scale the readers never saw.

Run from the repository root::

    python bench/amounts.py ../shared/datasets/mnist.npz /tmp/amounts --seed 7 --count 400
    digitscan eval /tmp/amounts/x1 --truth /tmp/amounts/x1/labels.csv -j 2
    digitscan eval /tmp/amounts/x2 --truth /tmp/amounts/x2/labels.csv -j 2

Each crop holds 3 to 7 digits of MNIST's test split, cut to their ink, 0.75 to 0.95 of the crop's height (40 to
60 px, about ORAND's), side by side with gaps of -2 to 9 px (some touching), on plain paper with a little noise.
`x1` holds them as made; `x2` and `x3` the same crops enlarged twice and three times with cubic interpolation, as
scanned at a higher resolution (the forty-third session's figures, bench/README.md). ORAND's amounts are the
readers' training data; these are not, so they measure what scale does to an amount the readers never learnt.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

DIGITS = (3, 8)  # digits an amount holds: 3 to 7
HEIGHT = (40, 60)  # px: the crop's height, ORAND's own (every ORAND crop 35 px or taller, its median 54)
DIGIT_SHARE = (0.75, 0.95)  # of the crop's height: each digit's
GAP = (-2, 10)  # px between digits (negative: they touch or overlap)
SCALES = (1, 2, 3)


def amount(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, str]:
    """One crop (uint8 grey, dark on light) and its digits."""
    import cv2

    chosen = rng.choice(len(images), int(rng.integers(*DIGITS)), replace=False)
    height = int(rng.integers(*HEIGHT))
    pad = int(rng.integers(2, 8))
    glyphs = []
    for index in chosen:
        image = images[index]
        rows, cols = np.flatnonzero(image.max(axis=1) > 30), np.flatnonzero(image.max(axis=0) > 30)
        ink = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        tall = int(height * rng.uniform(*DIGIT_SHARE))
        wide = max(2, int(ink.shape[1] * tall / ink.shape[0]))
        glyphs.append(cv2.resize(ink, (wide, tall), interpolation=cv2.INTER_AREA).astype(np.float32) / 255)
    gaps = [int(rng.integers(*GAP)) for _ in glyphs]
    width = sum(g.shape[1] for g in glyphs) + sum(max(0, gap) for gap in gaps) + 2 * pad + 10
    ink = np.zeros((height, width), np.float32)
    x = pad
    for glyph, gap in zip(glyphs, gaps, strict=True):
        top = int(rng.integers(0, height - glyph.shape[0] + 1))
        region = ink[top : top + glyph.shape[0], x : x + glyph.shape[1]]
        np.maximum(region, glyph[:, : region.shape[1]], out=region)
        x += glyph.shape[1] + gap
    ink = ink[:, : x + pad]
    paper, pen = rng.uniform(0.8, 0.95), rng.uniform(0.05, 0.3)
    grey = paper - ink * (paper - pen) + rng.normal(0, 0.02, ink.shape)
    return (grey.clip(0, 1) * 255).astype(np.uint8), "".join(str(labels[i]) for i in chosen)


def main() -> None:
    import cv2

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mnist", type=Path, help="mnist.npz (its test split is used)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=400)
    args = parser.parse_args()
    with np.load(args.mnist) as data:
        images, labels = data["x_test"], data["y_test"]
    rng = np.random.default_rng(args.seed)
    rows = []
    for k in range(args.count):
        crop, digits = amount(rng, images, labels)
        name = f"amount-{k:04d}.png"
        for scale in SCALES:
            folder = args.out / f"x{scale}"
            folder.mkdir(parents=True, exist_ok=True)
            size = (crop.shape[1] * scale, crop.shape[0] * scale)
            image = crop if scale == 1 else cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
            cv2.imwrite(str(folder / name), image)
        rows.append((name, digits))
    for scale in SCALES:
        with open(args.out / f"x{scale}" / "labels.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "digits"])
            writer.writerows(rows)
    print(f"{args.count} amounts at {', '.join(f'x{s}' for s in SCALES)} written to {args.out}")


if __name__ == "__main__":
    main()
