"""Draw what was read onto a copy of the image, for a person to check by eye."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence

from digitscan._files import atomic_write
from digitscan.results import FileResult
from digitscan.scan.load import is_numeric, on_white, pillow_limits_ours, to_grey
from digitscan.scan.pdf import is_pdf, render_pages


def overlay_name(result: FileResult) -> str:
    """A flat file name for the overlay of one page.

    The input's suffix stays in it, so `x.png` and `x.jpg` do not overwrite
    each other's overlay; folders become underscores, so no name escapes the
    overlay folder.
    """
    stem = re.sub(r"[^\w.-]+", "_", str(Path(result.file)).strip("/\\.")) or "image"
    return f"{stem}.p{result.page}.png"


def draw(result: FileResult) -> np.ndarray:
    """The page in colour with each string's box and each digit's box, value and confidence."""
    bgr = page_bgr(result)
    zoom = max(1, -(-600 // max(bgr.shape[:2])))  # small crops are enlarged so the labels stay legible
    if zoom > 1:
        bgr = cv2.resize(bgr, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
    thick = max(1, round(max(bgr.shape[:2]) / 800))
    for s in result.strings:
        x, y, w, h = (v * zoom for v in s.box)
        cv2.rectangle(bgr, (x - 2, y - 2), (x + w + 2, y + h + 2), (255, 120, 0), thick)
        for n, d in enumerate(s.digits):
            dx, dy, dw, dh = (v * zoom for v in d.box)
            colour = (0, 0, 255) if d.flagged else (0, 160, 0)
            cv2.rectangle(bgr, (dx, dy), (dx + dw, dy + dh), colour, thick)
            scale = min(max(0.4, dh / 70), 2.0)
            label = f"{d.char} {d.confidence:.2f}"
            # alternate labels above and below the boxes so neighbours' labels do not overlap
            y_text = max(12, dy - 4) if n % 2 == 0 else min(bgr.shape[0] - 4, dy + dh + int(22 * scale))
            cv2.putText(bgr, label, (dx, y_text), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)
    return bgr


def page_bgr(result: FileResult) -> np.ndarray:
    """The result's page of its file in colour: decoded again, or rendered again from a PDF."""
    path = Path(result.file)
    if is_pdf(path):
        grey = next(g for i, g in render_pages(path, lambda size: None) if i == result.page)
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    with pillow_limits_ours(), Image.open(path) as image:  # the scan has checked its size already
        frame = next(f for i, f in enumerate(ImageSequence.Iterator(image)) if i == result.page)
        return to_bgr(ImageOps.exif_transpose(frame) if result.page == 0 else frame)


def to_bgr(frame: Image.Image) -> np.ndarray:
    """The page in colour as the scanner saw it: 16-bit and float pages stretched, transparency as white."""
    if is_numeric(frame):
        return cv2.cvtColor(to_grey(frame), cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(np.asarray(on_white(frame).convert("RGB")), cv2.COLOR_RGB2BGR)


def write_overlay(result: FileResult, folder: Path) -> Path:
    """Write the overlay PNG atomically into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / overlay_name(result)
    image = draw(result)
    with atomic_write(target) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise OSError(f"cannot write {tmp}")
    return target
