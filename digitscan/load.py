"""Stage 1: find the input files and load each page as a flattened grey image.

Decoding goes through Pillow, which reads the header before any pixels: an
image over the pixel limit (a decompression bomb) is refused before it is
decoded. Every page comes out as float32 grey in [0, 1], paper near 1, with
the illumination flattened (shadows and gradients of a phone photo divided
out) and at a working resolution the segmenter is tuned for.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError

from digitscan.errors import InputError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".pgm", ".ppm", ".pbm"})
DEFAULT_MAX_PIXELS = 120_000_000  # about 11,000 x 11,000; --max-pixels changes it
WORKING_MAX_SIDE = 2000  # larger pages are shrunk to this before segmentation

Image.MAX_IMAGE_PIXELS = None  # our own, settable limit applies instead (see open_image)
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass
class Page:
    """One page of one input file, ready for segmentation."""

    grey: np.ndarray  # float32, paper ~1, ink ~0, working resolution
    scale: float  # working pixels per original pixel
    index: int  # page number in a multi-page file, from 0
    original_size: tuple[int, int]  # (width, height) in the file's pixels


def expand_inputs(args: Iterable[str], stdin: Iterable[str] | None = None) -> Iterator[Path]:
    """Files, folders (recursive, sorted, links to folders not followed) and globs, in order.

    `-` reads one path per line from `stdin`. A name that matches nothing is
    still yielded, so it is reported as a failed file rather than vanishing.
    """
    for arg in args:
        if arg == "-":
            lines = stdin if stdin is not None else sys.stdin
            yield from expand_inputs([line.rstrip("\r\n") for line in lines if line.strip()])
            continue
        path = Path(arg)
        if path.is_dir():
            yield from _walk(path)
        elif not path.exists() and glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            for match in matches:
                yield from (_walk(Path(match)) if Path(match).is_dir() else [Path(match)])
            if not matches:
                yield path
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path]:
    """Image files below `folder`; symbolic links to folders are not followed (no loops)."""
    for root, dirs, files in os.walk(folder, followlinks=False, onerror=None):
        dirs.sort()
        for name in sorted(files):
            if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(root) / name


def open_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open (not decode) an image file, with specific errors for what can go wrong."""
    if path.is_dir():
        raise InputError("is a folder, not an image")
    if not path.exists():
        raise InputError("no such file")
    try:
        if path.stat().st_size == 0:
            raise InputError("empty file (0 bytes)")
        image = Image.open(path)
    except InputError:
        raise
    except PermissionError:
        raise InputError("permission denied") from None
    except UnidentifiedImageError:
        raise InputError("not an image, or an image format that cannot be read") from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise InputError(f"image is {width}x{height} = {width * height:,} pixels, over the limit of {max_pixels:,} "
                         "(--max-pixels)")  # fmt: skip
    return image


def load_pages(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[Page]:
    """Decode every page of an image file into flattened grey pages."""
    image = open_image(path, max_pixels)
    pages = []
    try:
        with image:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                grey = to_grey(ImageOps.exif_transpose(frame) if index == 0 else frame)
                pages.append(prepare(grey, index))
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"corrupt or truncated image: {exc}") from None
    except MemoryError:
        raise InputError("not enough memory to decode this image") from None
    if not pages:
        raise InputError("image has no pages")
    return pages


def to_grey(frame: Image.Image) -> np.ndarray:
    """Any Pillow mode (16-bit, float, CMYK, palette, alpha) to uint8 grey; transparency becomes white paper."""
    mode = frame.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(frame, dtype=np.float64)
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        low, high = float(values.min()), float(values.max())
        if high <= low:
            return np.full(values.shape, 255, np.uint8)
        return ((values - low) * (255.0 / (high - low))).astype(np.uint8)
    if "A" in mode or (mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(paper, rgba).convert("L"))
    return np.asarray(frame.convert("L"))


def prepare(grey: np.ndarray, index: int = 0) -> Page:
    """Shrink to the working resolution and flatten the illumination."""
    height, width = grey.shape
    scale = min(1.0, WORKING_MAX_SIDE / max(height, width))
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    return Page(grey=flatten_illumination(grey), scale=scale, index=index, original_size=(width, height))


def flatten_illumination(grey: np.ndarray) -> np.ndarray:
    """Divide out the paper's brightness so shadows and gradients vanish.

    The background is estimated with a grey-level closing (which erases dark
    strokes thinner than the kernel) on a reduced copy, then smoothed.
    """
    img = grey.astype(np.float32) / 255.0
    height, width = img.shape
    if min(height, width) < 8:
        return img
    factor = max(1, min(height, width) // 200)
    small = cv2.resize(img, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    size = max(15, min(small.shape) // 6) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.GaussianBlur(background, (0, 0), size / 3)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    return (img / np.maximum(background, 0.05)).clip(0, 1).astype(np.float32)
