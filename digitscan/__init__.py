"""digitscan: batch OCR of handwritten digits in photos and scans.

The public API is importable from here (`from digitscan import Scanner`) and
loaded on first use, so `import digitscan` stays cheap (no OpenCV, no Keras).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "Scanner": "digitscan.scan.pipeline",
    "ScanOptions": "digitscan.scan.options",
    "scan": "digitscan.scan.pipeline",
    "load_model": "digitscan.model.files",
}
__all__ = ["ScanOptions", "Scanner", "__version__", "load_model", "scan"]

if TYPE_CHECKING:
    from digitscan.model.files import load_model
    from digitscan.scan.options import ScanOptions
    from digitscan.scan.pipeline import Scanner, scan


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'digitscan' has no attribute {name!r}")
