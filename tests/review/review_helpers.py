"""Results records and files for the review tests, shaped as `digitscan scan` writes them."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOWNLOAD_WAIT_S = 15.0  # a download a test waits for before it fails (a Blob download lands in well under a second)


@dataclass
class Browser:
    """The driver and the folder its downloads land in."""

    driver: Any
    downloads: Path

    def open(self, page: Path) -> None:
        """Open a page from disk, with no download of an earlier test left over."""
        for old in self.downloads.iterdir():
            old.unlink()
        self.driver.get(page.resolve().as_uri())

    def downloaded(self, name: str) -> Path:
        """The downloaded file once it is complete; fails after `DOWNLOAD_WAIT_S`."""
        path, deadline = self.downloads / name, time.monotonic() + DOWNLOAD_WAIT_S
        while time.monotonic() < deadline:
            if path.is_file() and not any(p.suffix == ".crdownload" for p in self.downloads.iterdir()):
                return path
            time.sleep(0.05)
        held = sorted(p.name for p in self.downloads.iterdir())
        raise AssertionError(f"{name} was not downloaded; the folder holds {held}")


def page_record(file: str, strings: list[tuple[str, float, list[int]]], page: int = 0) -> dict[str, Any]:
    """A JSONL page record as `digitscan scan` writes it: (digits, confidence, flagged positions) per string,
    each digit 20x30 pixels, strings one under another."""
    out = []
    for n, (digits, confidence, flagged) in enumerate(strings):
        y = 10 + 50 * n
        details = [
            {"char": c, "confidence": 0.5 if i in flagged else 0.99, "box": [10 + 24 * i, y, 20, 30]}
            | {"flagged": i in flagged}
            for i, c in enumerate(digits)
        ]
        out.append(
            {
                "digits": digits,
                "confidence": confidence,
                "box": [10, y, 24 * len(digits), 30],
                "line": n,
                "flagged": flagged,
                "digit_details": details,
            }
        )
    return {"file": file, "page": page, "error": None, "width": 400, "height": 300, "strings": out}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
