"""Helpers shared by the test files: generated inputs, stand-in workers, readers of outputs."""

from __future__ import annotations

import csv
import json
import os
import struct
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitscan.scan.pipeline import Prepared, prepare_file
from digitscan.scan.segment import Candidate, Word

_SCRIPT = Path(sys.executable).with_name("digitscan")


DIGITSCAN = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "digitscan"]


def png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height but holds one row of pixels: a bomb, made in microseconds."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    pixels = zlib.compress(b"\x00" + b"\xff" * width)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def save(array: np.ndarray, path: Path, **options: object) -> Path:
    Image.fromarray(array).save(path, **options)
    return path


def build_corpus(folder: Path, digit_page: Callable[..., np.ndarray]) -> tuple[list[Path], dict[str, str], list[str]]:
    """Generate the corpus: (good files, bad name -> words its error must hold, names of pages with no writing)."""
    folder.mkdir()
    page0, page1, page2 = digit_page(0), digit_page(1), digit_page(2)
    good = [
        save(page0, folder / "good0.png"),
        save(page1, folder / "good1.png"),
        save(page2, folder / "disguised.jpg", format="PNG"),  # content decides, not the suffix
        save(page1, folder / "with space ü 数字.png"),
        save(page2, folder / "-dash.png"),
        save(page0.astype(np.uint16) * 257, folder / "sixteen.tif"),
        save(page0.astype(np.float32) / 255.0, folder / "float.tif"),
    ]
    Image.fromarray(page1).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    good.append(folder / "cmyk.jpg")
    rgba = np.zeros((*page0.shape, 4), np.uint8)
    rgba[..., 3] = 255 - page0  # black ink painted with alpha on a transparent sheet
    good.append(save(rgba, folder / "alpha.png"))
    frames = [Image.fromarray(p) for p in (page0, page1, page2)]
    frames[0].save(folder / "multi.tif", save_all=True, append_images=frames[1:])
    good.append(folder / "multi.tif")

    png = (folder / "good1.png").read_bytes()
    jpg = (folder / "cmyk.jpg").read_bytes()
    (folder / "empty.png").write_bytes(b"")
    (folder / "truncated.png").write_bytes(png[: len(png) // 2])
    (folder / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    (folder / "text.jpg").write_text("this is not a picture\n")
    (folder / "x.png").mkdir()  # a folder named like an image
    png_header_only(folder / "bomb.png", 20_000, 20_000)
    os.symlink("loop_b.png", folder / "loop_a.png")
    os.symlink("loop_a.png", folder / "loop_b.png")
    os.symlink("nowhere.png", folder / "broken.png")
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "up")  # a link back up: walking it would never end
    bad = {
        "empty.png": "empty file",
        "truncated.png": "truncated",
        "truncated.jpg": "truncated",
        "text.jpg": "not an image",
        "x.png": "is a folder",
        "bomb.png": "--max-pixels",
        "loop_a.png": "symbolic link loop",
        "loop_b.png": "symbolic link loop",
        "broken.png": "broken symbolic link",
    }

    rng = np.random.default_rng(7)
    low = (128 + (page2.astype(np.int16) - 255) // 40).astype(np.uint8)  # digits 6 grey levels under the paper
    blank = {
        "one.png": np.zeros((1, 1), np.uint8),
        "thin.png": np.full((3, 3000), 200, np.uint8),
        "tall.png": np.full((3000, 3), 90, np.uint8),
        "black.png": np.zeros((300, 300), np.uint8),
        "white.png": np.full((300, 300), 255, np.uint8),
        "noise.png": rng.integers(0, 256, (300, 300), dtype=np.uint8),
        "lowcontrast.png": low,
    }
    for name, array in blank.items():
        save(array, folder / name)
    return good, bad, list(blank)


def results_by_file(text: str) -> dict[tuple[str, int], dict]:
    records = [json.loads(line) for line in text.splitlines()]
    keyed = {(r["file"], r["page"]): r for r in records}
    assert len(keyed) == len(records), "a page was written twice"
    return keyed


def same_reading(a: dict, b: dict) -> None:
    """Same strings, digits, boxes and error; confidences equal to float noise."""
    assert a["error"] == b["error"]
    assert (a["width"], a["height"]) == (b["width"], b["height"])
    assert [(s["digits"], s["box"]) for s in a["strings"]] == [(s["digits"], s["box"]) for s in b["strings"]]
    for sa, sb in zip(a["strings"], b["strings"], strict=True):
        assert sa["confidence"] == pytest.approx(sb["confidence"], abs=2e-3)


def flaky_worker(path: str, max_pixels: int) -> list[Prepared]:
    """Stands in for `prepare_file` in the worker, by file name.

    `crash*` kills the worker, `hang*` never ends, `raise*` raises, `ctrlc*`
    is a Ctrl-C, `cinterrupt*` one that C code wrapped and `aftermath*` an error
    raised while one unwound (only in-process), anything else is read as usual.
    """
    name = os.path.basename(path)
    if name.startswith("crash"):
        os._exit(3)
    if name.startswith("hang"):
        time.sleep(60)
    if name.startswith("raise"):
        raise RuntimeError("boom")
    if name.startswith("ctrlc"):
        raise KeyboardInterrupt
    if name.startswith("cinterrupt"):
        raise interrupt_in_c_code()
    if name.startswith("aftermath"):
        raise error_after_interrupt()
    return prepare_file(path, max_pixels)


def threads_worker(path: str, max_pixels: int) -> list[Prepared]:
    """Reports, as its error, how many threads its process runs once numpy has multiplied two matrices (OpenBLAS
    starts its own threads on the first large product)."""
    square = np.ones((512, 512))
    for _ in range(5):
        square = square @ square / 512
    raise RuntimeError(f"{len(os.listdir('/proc/self/task'))} threads")


def _random_image(kind: str, height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "noise_u8":
        return rng.integers(0, 256, (height, width), dtype=np.uint8)
    if kind == "noise_float":
        return rng.random((height, width)) * rng.uniform(0.5, 3.0) - rng.uniform(0.0, 1.0)  # out of range too
    if kind == "noise_u16":
        return rng.integers(0, 65536, (height, width), dtype=np.uint16)
    if kind in ("blank", "black"):
        return np.full((height, width), 255 if kind == "blank" else 0, np.uint8)
    image = np.full((height, width), 255, np.uint8)
    import cv2

    for _ in range(int(rng.integers(1, 12))):
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        if kind == "lines":
            p2 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            cv2.line(image, p1, p2, int(rng.integers(0, 128)), int(rng.integers(1, 6)))
        else:
            axes = (int(rng.integers(1, max(2, width // 3))), int(rng.integers(1, max(2, height // 3))))
            cv2.ellipse(image, p1, axes, float(rng.uniform(0, 180)), 0, 360, int(rng.integers(0, 128)), -1)
    return image


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames is not None and reader.fieldnames[0] == "file"
        return list(reader)


def _digits_by_page(rows: list[dict[str, str]]) -> dict[tuple[str, str], list[str]]:
    pages: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        pages.setdefault((row["file"], row["page"]), []).append(row["digits"])
    return pages


def _data_rows(path: Path) -> int:
    try:
        return max(0, path.read_text(encoding="utf-8").count("\n") - 1)
    except FileNotFoundError:
        return 0


def error_after_interrupt() -> RuntimeError:
    """An error raised while a Ctrl-C unwound (a cleanup it cut short): it carries the KeyboardInterrupt as its
    context, and is the user's interrupt all the same."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        try:
            raise RuntimeError("cleanup cut short")
        except RuntimeError as error:
            return error


def interrupt_in_c_code() -> SystemError:
    """What CPython raises when a signal's KeyboardInterrupt lands in Python code called from C (numpy's __array__)."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        error = SystemError("<built-in method __array__> returned a result with an exception set")
        error.__cause__ = interrupt
        return error


def page_with(glyphs: list[np.ndarray], xs: list[int], height: int = 120, width: int = 400, y: int = 30) -> np.ndarray:
    """Dark ink on white paper (float, paper 1): each glyph scaled x2 and drawn at its x."""
    import cv2

    ink = np.zeros((height, width), np.float32)
    for glyph, x in zip(glyphs, xs, strict=True):
        big = cv2.resize(glyph.astype(np.float32) / 255.0, (56, 56), interpolation=cv2.INTER_LINEAR)
        region = ink[y : y + 56, x : x + 56]
        np.maximum(region, big[: region.shape[0], : region.shape[1]], out=region)
    return 1.0 - ink


def ink_columns(glyph: np.ndarray, x: int) -> tuple[int, int]:
    cols = np.flatnonzero(glyph.max(axis=0) > 30)
    return x + 2 * int(cols[0]), x + 2 * int(cols[-1]) + 2


def _word(pieces: int, spans: list[tuple[int, int]]) -> Word:
    word = Word(line=0, pieces=pieces, box=(0, 0, 10, 10))
    word.candidates = [Candidate(a, b, (a * 10, 0, (b - a) * 10, 10), np.zeros((0, 0))) for a, b in spans]
    return word


def said(text: str, needle: str) -> bool:
    """`needle` is in `text`, whatever line wrapping rich applied to fit the terminal."""
    return "".join(needle.split()) in "".join(text.split())


def save_pdf(pages: list[np.ndarray], path: Path) -> Path:
    """A PDF with one page per grey image, at 300 dpi: rendered at 300 dpi, each page is that image again."""
    from PIL import Image

    first, *rest = [Image.fromarray(page) for page in pages]
    first.save(path, save_all=True, append_images=rest, resolution=300)
    return path


def encrypted_pdf(path: Path) -> Path:
    """A one-page PDF protected by a user password (the standard security handler; nothing opens it without one)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    data, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        b"33" * 16,
        b"33" * 16,
    )
    data += b"startxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(data)
    return path
