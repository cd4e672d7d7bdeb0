"""Close-ups of page sets: each page of a `page_bench.py --keep` folder cut to a window around its first number.

Run from the repository root::

    python bench/page_bench.py --per-kind 20 --seed 120000 --cross-writers --keep /tmp/pages
    python bench/windows.py /tmp/pages /tmp/windows                  # as cut: most are crops under 300 px
    python bench/windows.py /tmp/pages /tmp/windows-x2 --zoom 2      # a close-up photo: the writing twice as large
    python bench/windows.py /tmp/pages /tmp/windows-close --margin 0.75  # cut close: the number 0.4 of its height
    digitscan eval /tmp/windows --truth /tmp/windows/truth.csv -j 2

A window is what a person crops out of a scanned form or photographs up close: one number with `--margin` times
its height of page around it on every side (its box and label, the ends of the numbers beside it, the rules),
enlarged `--zoom` times (cubic) and written as JPEG (quality 92). Its truth is every line of the page that lies
wholly inside it (its boxes in the window's pixels). The fifty-first and fifty-second sessions' window figures were
read from such folders (bench/README.md).
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

JPEG_QUALITY = 92


def cut_windows(source: Path, target: Path, margin: float, zoom: float) -> tuple[int, int]:
    """Write a window of every page of `source` (its `truth.csv`) into `target` with its truth; (pages, lines)."""
    import cv2

    lines: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (source / "truth.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            lines[row["file"]].append(row)
    kept: list[dict[str, str | int]] = []
    for name, rows in lines.items():
        page = cv2.imread(str(source / name))
        if page is None:
            raise SystemExit(f"{source / name}: not an image OpenCV can read")
        x, y, w, h = (int(rows[0][k]) for k in "xywh")
        pad = int(margin * h)
        left, top = max(0, x - pad), max(0, y - pad)
        right, bottom = min(page.shape[1], x + w + pad), min(page.shape[0], y + h + pad)
        window = cv2.resize(page[top:bottom, left:right], None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        out = target / name
        out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out), window, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        for row in rows:
            a, b, c, d = (int(row[k]) for k in "xywh")
            if left <= a and top <= b and a + c <= right and b + d <= bottom:
                box = {"x": round((a - left) * zoom), "y": round((b - top) * zoom), "w": round(c * zoom)}
                kept.append({**row, **box, "h": round(d * zoom)})
    with (target / "truth.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(kept[0]) if kept else ["file"])
        writer.writeheader()
        writer.writerows(kept)
    return len(lines), len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a folder from `page_bench.py --keep`")
    parser.add_argument("target", type=Path)
    parser.add_argument("--margin", type=float, default=1.5, help="page kept around the number, in its heights")
    parser.add_argument("--zoom", type=float, default=1.0, help="how much each window is enlarged (cubic)")
    args = parser.parse_args()
    if args.margin < 0 or args.zoom <= 0:
        parser.error("the margin is 0 or more, the zoom over 0")
    pages, kept = cut_windows(args.source, args.target, args.margin, args.zoom)
    print(f"{pages} windows, {kept} lines wholly inside them, written to {args.target}")


if __name__ == "__main__":
    main()
