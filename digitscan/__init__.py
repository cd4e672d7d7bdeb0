"""digitscan: batch OCR of handwritten digits in photos and scans."""

from __future__ import annotations

__version__ = "0.1.0"
