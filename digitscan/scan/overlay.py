"""Draw what was read onto a copy of the image, for a person to check by eye."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence

from digitscan._files import atomic_write
from digitscan.results import FileResult
from digitscan.scan.load import is_numeric, on_white, pillow_limits_ours, to_grey
from digitscan.scan.pdf import is_pdf, render_pages

FONT = cv2.FONT_HERSHEY_SIMPLEX
INK_LEVEL = 128  # a page pixel darker than this is ink a label must not cover
MIN_SIDE = 600  # smaller pages are enlarged (whole times) to at least this, so the labels stay legible
GAP = 3  # pixels between a label and what it labels


@dataclass(frozen=True)
class Label:
    """A text drawn on the overlay: where (its box on the canvas, top-left corner) and in which colour."""

    text: str
    x: int
    y: int
    w: int
    h: int
    colour: tuple[int, int, int]
    scale: float  # OpenCV's font scale

    def overlaps(self, x: int, y: int, w: int, h: int) -> bool:
        return self.x < x + w and x < self.x + self.w and self.y < y + h and y < self.y + self.h


def overlay_name(result: FileResult, base: Path | None = None) -> Path:
    """The overlay's path inside the overlay folder: the input's path relative to `base`, page appended.

    Relative to the inputs given (`inputs.common_folder`), so `scan scans/` draws `scans/a/x.png` as `a/x.png.p0.png`,
    not as the whole flattened path. The input's suffix stays in it, so `x.png` and `x.jpg` do not overwrite each
    other's overlay; each part is made a safe file name, and none is `..`, so no name escapes the folder.
    """
    path = Path(os.path.abspath(result.file))
    try:
        parts = path.relative_to(base).parts if base is not None else (path.name,)
    except ValueError:
        parts = (path.name,)
    safe = [re.sub(r"[^\w.-]+", "_", part).strip(".") or "_" for part in parts] or ["image"]
    return Path(*safe[:-1], f"{safe[-1]}.p{result.page}.png")


def draw(result: FileResult, truth: str | None = None) -> np.ndarray:
    """The page in colour with each string's and digit's box, each digit's value and confidence, and a header.

    Labels go where they cover neither ink nor a digit's box nor another label, near their digit; those with no
    room on the page go to a band above it, in their digit's column. The header says what was read (and, given
    `truth`, what should have been), or that nothing was found.
    """
    bgr = page_bgr(result)
    zoom = max(1, -(-MIN_SIDE // max(bgr.shape[:2])))
    if zoom > 1:
        bgr = cv2.resize(bgr, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
    ink = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) < INK_LEVEL
    header, labels, band = layout(result, ink, zoom, truth)
    thick = max(1, round(max(bgr.shape[:2]) / 800))
    for s in result.strings:
        x, y, w, h = (v * zoom for v in s.box)
        cv2.rectangle(bgr, (x - 2, y - 2), (x + w + 2, y + h + 2), (255, 120, 0), thick)
        for d in s.digits:
            dx, dy, dw, dh = (v * zoom for v in d.box)
            cv2.rectangle(bgr, (dx, dy), (dx + dw, dy + dh), _colour(d.flagged), thick)
    canvas = np.full((bgr.shape[0] + band, bgr.shape[1], 3), 255, np.uint8)
    canvas[band:] = bgr
    cv2.line(canvas, (0, band - 1), (canvas.shape[1], band - 1), (200, 200, 200), 1)
    for label in [header, *labels]:
        baseline_y = label.y + label.h - cv2.getTextSize(label.text, FONT, label.scale, 1)[1]
        cv2.putText(canvas, label.text, (label.x, baseline_y), FONT, label.scale, label.colour, 1, cv2.LINE_AA)
    return canvas


def layout(result: FileResult, ink: np.ndarray, zoom: int, truth: str | None = None) -> tuple[Label, list[Label], int]:
    """The header, the digits' labels and the height of the band above the page, in canvas pixels.

    `ink` is the (zoomed) page's ink mask. A label placed on the page covers no ink, no digit box and no other
    label, and lies inside the page; one that finds no such place goes to the band, where labels do not overlap
    either. The page is drawn below the band, so its labels are moved down by the band's height.
    """
    height, width = ink.shape
    scale = max(0.45, max(height, width) / 1600)
    boxes = [tuple(v * zoom for v in d.box) for s in result.strings for d in s.digits]
    on_page: list[Label] = []
    homeless: list[tuple[str, int, tuple[int, int, int]]] = []  # (text, x of its digit, colour)
    for s in result.strings:
        for d in s.digits:
            dx, dy, dw, dh = (v * zoom for v in d.box)
            text, colour = f"{d.char} {d.confidence:.2f}", _colour(d.flagged)
            w, h = _text_size(text, scale)
            spot = _free_spot(ink, boxes, on_page, (dx, dy, dw, dh), w, h)
            if spot is None:
                homeless.append((text, dx, colour))
            else:
                on_page.append(Label(text, spot[0], spot[1], w, h, colour, scale))
    header_text = _header(result, truth)
    header_scale = scale
    hw, hh = _text_size(header_text, header_scale)
    if hw > width - 2 * GAP:  # a long reading is written smaller rather than cut off
        header_scale *= (width - 2 * GAP) / hw
        hw, hh = _text_size(header_text, header_scale)
    in_band: list[Label] = []
    row_top = hh + 2 * GAP
    for text, x, colour in homeless:
        w, h = _text_size(text, scale)
        x = min(max(0, x), max(0, width - w))
        y = row_top
        while any(label.overlaps(x, y, w, h + GAP) for label in in_band):
            y += h + GAP
        in_band.append(Label(text, x, y, w, h, colour, scale))
    band = max([hh + 2 * GAP, *(label.y + label.h + GAP for label in in_band)]) + 1
    header = Label(header_text, GAP, GAP, hw, hh, (0, 0, 0) if result.strings else (0, 0, 200), header_scale)
    moved = [replace(label, y=label.y + band) for label in on_page]
    return header, [*moved, *in_band], band


def _free_spot(
    ink: np.ndarray, boxes: list[tuple[int, ...]], placed: list[Label], box: tuple[int, int, int, int], w: int, h: int
) -> tuple[int, int] | None:
    """The nearest place for a w×h label just above or below `box` that covers no ink, box or label."""
    height, width = ink.shape
    dx, dy, dw, dh = box
    for step in range(6):
        for y in (dy - GAP - h - step * (h + GAP), dy + dh + GAP + step * (h + GAP)):
            for x in (dx, dx + dw - w, dx - w // 2, dx + dw // 2):
                if not (0 <= x <= width - w and 0 <= y <= height - h):
                    continue
                if ink[y : y + h, x : x + w].any():
                    continue
                if any(_intersect((x, y, w, h), other) for other in boxes):
                    continue
                if any(label.overlaps(x, y, w, h) for label in placed):
                    continue
                return x, y
    return None


def _intersect(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a[0] < b[0] + b[2] + 1 and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] + 1 and b[1] < a[1] + a[3]


def _header(result: FileResult, truth: str | None) -> str:
    read = " ".join(s.text for s in result.strings)
    if truth is not None:
        verdict = "right" if read == truth else "wrong"
        return f"read: {read or '(nothing)'}   true: {truth}   ({verdict})"
    return f"read: {read}" if read else "no digits found on this page"


def _colour(flagged: bool) -> tuple[int, int, int]:
    return (0, 0, 255) if flagged else (0, 140, 0)


def _text_size(text: str, scale: float) -> tuple[int, int]:
    """Width and height (descenders included) of `text` at `scale`."""
    (w, h), baseline = cv2.getTextSize(text, FONT, scale, 1)
    return w, h + baseline


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


def write_overlay(result: FileResult, folder: Path, base: Path | None = None, truth: str | None = None) -> Path:
    """Write the overlay PNG atomically into `folder` (named as `overlay_name` says) and return its path."""
    target = folder / overlay_name(result, base)
    target.parent.mkdir(parents=True, exist_ok=True)
    image = draw(result, truth)
    with atomic_write(target) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise OSError(f"cannot write {tmp}")
    return target
