"""The old home of the scan pipeline, kept so `from digitscan.pipeline import Scanner` still works.

New code imports from `digitscan` (or `digitscan.scan.pipeline`).
"""

from __future__ import annotations

from digitscan.scan.pipeline import Scanner, ScanOptions, scan

__all__ = ["ScanOptions", "Scanner", "scan"]
