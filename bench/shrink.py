"""A folder of images as photographed from afar or scanned at a lower resolution: every image shrunk by a factor.

Run from the repository root::

    python bench/shrink.py ../shared/datasets/orand-car-a-dev/images /tmp/orand-half/images 2
    python bench/shrink.py DEV_CELLS /tmp/cells-half 2          # a folder from `archive_bench.py --keep`
    python bench/shrink.py DEV_PAGES /tmp/pages-third 3         # a folder from `page_bench.py --keep`

Each image (also in sub-folders, kept as they are) is shrunk by `FACTOR` with area averaging, as a camera's or a
scanner's coarser pixels would (a factor under 1 enlarges, with cubic interpolation: 0.5 as scanned at twice the
resolution), and written again as JPEG (quality 92) or PNG as it was; every other file (a
`truth.csv`, `labels.csv`, `cells.csv`) is copied alongside. Boxes in the truth keep the original's pixels, which
`digitscan eval` does not read: it scores crops by their strings and pages by their lines' strings. The
thirty-sixth session's figures for small pages, amounts and cells were read from such folders (bench/README.md).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
JPEG_QUALITY = 92


def shrink_folder(source: Path, target: Path, factor: float) -> int:
    """Write `source`'s images shrunk `factor` times into `target` (the same layout); returns how many."""
    import cv2

    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            shutil.copyfile(path, out)
            continue
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise SystemExit(f"{path}: not an image OpenCV can read")
        size = (max(1, int(image.shape[1] / factor)), max(1, int(image.shape[0] / factor)))
        resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor >= 1 else cv2.INTER_CUBIC)
        jpeg = path.suffix.lower() in {".jpg", ".jpeg"}
        cv2.imwrite(str(out), resized, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if jpeg else [])
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument(
        "factor", type=float, help="2: half the width and height, 3: a third, 1.5: two thirds; 0.5: twice the size"
    )
    args = parser.parse_args()
    if args.factor <= 0:
        parser.error("the factor is over 0")
    print(f"{shrink_folder(args.source, args.target, args.factor)} images written to {args.target}")


if __name__ == "__main__":
    main()
