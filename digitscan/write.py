"""Stage 6: write results as CSV, JSON Lines or JSON, safely.

Rows are flushed file by file into a hidden partial file beside the output,
which replaces the output atomically when the run ends, interrupted or not:
the output is never half-written. `--resume` reads what an earlier run wrote
(its output, or the partial file a killed run left) and skips those files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from digitscan.errors import OutputError
from digitscan.results import FileResult

FORMATS = ("csv", "jsonl", "json")
CSV_COLUMNS = ["file", "page", "string", "digits", "confidence", "x", "y", "w", "h",
               "digit_confidences", "flagged", "error"]  # fmt: skip


def csv_rows(result: FileResult) -> list[dict[str, Any]]:
    """One row per digit string; a page with none gets one row with empty digits."""
    base = {"file": result.file, "page": result.page, "error": result.error or ""}
    if not result.strings:
        return [{**base, "string": "", "digits": ""}]
    rows = []
    for n, s in enumerate(result.strings):
        x, y, w, h = s.box
        rows.append({**base, "string": n, "digits": s.text, "confidence": f"{s.confidence:.4f}",
                     "x": x, "y": y, "w": w, "h": h,
                     "digit_confidences": ";".join(f"{d.confidence:.4f}" for d in s.digits),
                     "flagged": ";".join(str(i) for i, d in enumerate(s.digits) if d.flagged)})  # fmt: skip
    return rows


def format_for(output: Path | None, requested: str | None) -> str:
    """The format asked for, else the output file's suffix, else CSV."""
    if requested:
        return requested
    if output is not None and output.suffix.lower().lstrip(".") in FORMATS:
        return output.suffix.lower().lstrip(".")
    return "csv"


class ResultWriter:
    """Writes results as they come; publishes the output atomically on close."""

    def __init__(self, output: Path | None, fmt: str, resume: bool = False) -> None:
        if fmt not in FORMATS:
            raise OutputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.output, self.fmt = output, fmt
        self.done: set[str] = set()
        self._records: list[dict[str, Any]] = []
        self._stream: IO[str]
        self._csv: csv.DictWriter | None = None
        if output is None:
            self._stream, self._partial = sys.stdout, None
        else:
            self._partial = output.with_name(f".{output.name}.partial")
            self._check_writable(output)
            earlier = self._read_earlier() if resume else []
            try:
                self._stream = self._partial.open("w", newline="", encoding="utf-8")
            except OSError as exc:
                raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None
            self._start(earlier)
            return
        self._start([])

    @staticmethod
    def _check_writable(output: Path) -> None:
        folder = output.parent if str(output.parent) else Path(".")
        if output.is_dir():
            raise OutputError(f"{output}: is a folder; give a file name for --output")
        if not folder.is_dir():
            raise OutputError(f"{output}: folder {folder} does not exist")
        if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
            raise OutputError(f"{output}: not writable (permission denied)")

    def _read_earlier(self) -> list[Any]:
        """What an earlier run wrote: the finished output, else a killed run's partial file."""
        assert self.output is not None and self._partial is not None
        source = self.output if self.output.exists() else self._partial if self._partial.exists() else None
        if source is None:
            return []
        text = source.read_text(encoding="utf-8", errors="replace")
        if self.fmt == "csv":
            if not text.endswith("\n"):
                text = text[: text.rfind("\n") + 1]  # drop a row cut short by a kill
            rows = list(csv.DictReader(io.StringIO(text)))
            self.done = {r["file"] for r in rows if r.get("file")}
            return rows
        if self.fmt == "jsonl":
            records = []
            for line in text.splitlines():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    break  # a line cut short by a kill, and nothing after it
            self.done = {r["file"] for r in records}
            return records
        try:
            records = json.loads(text) if source == self.output else []
        except ValueError:
            raise OutputError(f"{source}: cannot resume, it is not valid JSON") from None
        self.done = {r["file"] for r in records}
        return records

    def _start(self, earlier: list[Any]) -> None:
        if self.fmt == "csv":
            self._csv = csv.DictWriter(self._stream, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
            self._csv.writeheader()
            self._csv.writerows(earlier)
        elif self.fmt == "jsonl":
            for record in earlier:
                self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self._records.extend(earlier)
        self._stream.flush()

    def write(self, result: FileResult) -> None:
        """Write one page's result and flush it to disk."""
        if self.fmt == "csv":
            assert self._csv is not None
            self._csv.writerows(csv_rows(result))
        elif self.fmt == "jsonl":
            self._stream.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            self._records.append(result.to_dict())
            return
        self._stream.flush()

    def write_all(self, results: Iterable[FileResult]) -> None:
        for result in results:
            self.write(result)

    def close(self) -> None:
        """Finish the file and move it into place atomically."""
        if self.fmt == "json":
            json.dump(self._records, self._stream, indent=2, ensure_ascii=False)
            self._stream.write("\n")
        self._stream.flush()
        if self._partial is None or self.output is None:
            return
        os.fsync(self._stream.fileno())
        self._stream.close()
        os.replace(self._partial, self.output)

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
