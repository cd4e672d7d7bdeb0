"""PDF pages rendered to grey images, for the loader (stage 1).

PDFium (through pypdfium2) renders each page at `PDF_DPI`, the resolution
scanners save at and the segmenter's pixel sizes suit. A page's size is known
from its page box before it is rendered, so `--max-pixels` refuses a huge
page without spending the memory. pypdfium2 is imported only when a PDF is
read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from digitscan.errors import InputError

PDF_DPI = 300  # pixels per inch a page is rendered at; PDF sizes are in points of 1/72 inch
PDF_MAGIC = b"%PDF-"


def is_pdf(path: Path) -> bool:
    """Whether the file starts as a PDF does (its content decides, never its suffix)."""
    try:
        with path.open("rb") as f:
            return f.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError:
        return False


def render_pages(path: Path, check_size: Callable[[tuple[int, int]], None]) -> Iterator[tuple[int, np.ndarray]]:
    """(page index, uint8 grey page at PDF_DPI) for every page; `check_size((w, h))` refuses a page before it is
    rendered. An encrypted or broken PDF is an `InputError`."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise InputError("encrypted PDF (it needs a password): save an unprotected copy to read it") from None
        raise InputError(f"broken PDF: {reason}") from None
    scale = PDF_DPI / 72
    try:
        if len(document) == 0:
            raise InputError("PDF has no pages")
        for index in range(len(document)):
            page = document[index]
            try:
                width, height = page.get_size()
                try:
                    check_size((max(1, round(width * scale)), max(1, round(height * scale))))
                except InputError as exc:
                    raise InputError(f"page {index} at {PDF_DPI} dpi: {exc}") from None
                bitmap = page.render(scale=scale, grayscale=True)
                grey = np.array(bitmap.to_numpy(), dtype=np.uint8)  # a copy: the bitmap's buffer is freed below
                bitmap.close()
            except pdfium.PdfiumError as exc:
                raise InputError(f"broken PDF: page {index}: {exc}") from None
            finally:
                page.close()
            yield index, grey.reshape(grey.shape[:2])
    finally:
        document.close()
