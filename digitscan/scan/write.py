"""Stage 6: write results as CSV, JSON Lines, JSON or Parquet, safely.

All pages of one file are written together and flushed into a hidden partial
file beside the output (`.NAME.partial`), which replaces the output
atomically when the run ends, interrupted or not: the output is never
half-written, and a file's results are either all there or not at all.
`--resume` reads what an earlier run wrote (its output, or the partial file a
killed run left) and skips those files. Parquet (`ParquetResultWriter`, with
pyarrow: the ray extra) holds a row per page as JSON holds it; a killed run's
partial Parquet file has no footer, so `--resume` goes on from the last
finished output instead.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from digitscan._files import atomic_write
from digitscan.errors import OutputError
from digitscan.results import FileResult

FORMATS = ("csv", "jsonl", "json", "parquet")
DEFAULT_FORMAT = "csv"  # an output without --format or a known suffix, standard output (`-o -`) too
CSV_COLUMNS = [
    "file",
    "page",
    "string",
    "digits",
    "text",
    "confidence",
    "x",
    "y",
    "w",
    "h",
    "digit_confidences",
    "flagged",
    "review",
    "error",
]
EARLIER_CSV_COLUMNS = [c for c in CSV_COLUMNS if c not in ("text", "review")]  # outputs of 0.1.0 resume too
ENCODING, ERRORS = "utf-8", "surrogateescape"  # file names that are not UTF-8 round-trip unchanged


def csv_rows(result: FileResult) -> list[dict[str, Any]]:
    """One row per digit string; a page with none (or an error) gets one row with empty digits."""
    base = {"file": result.file, "page": result.page, "error": result.error or ""}
    if not result.strings:
        return [{**base, "string": "", "digits": ""}]
    rows = []
    for n, s in enumerate(result.strings):
        x, y, w, h = s.box
        rows.append(
            {
                **base,
                "string": n,
                "digits": s.text,
                "text": s.written,
                "confidence": f"{s.confidence:.4f}",
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "digit_confidences": ";".join(f"{d.confidence:.4f}" for d in s.digits),
                "flagged": ";".join(str(i) for i, d in enumerate(s.digits) if d.flagged),
                "review": int(s.review),
            }
        )
    return rows


def format_for(output: Path | None, requested: str | None) -> str:
    """The format asked for, else the output file's suffix, else CSV."""
    if requested:
        return requested
    if output is not None and output.suffix.lower().lstrip(".") in FORMATS:
        return output.suffix.lower().lstrip(".")
    return DEFAULT_FORMAT


def partial_path(output: Path) -> Path:
    """The hidden file results go to until the run ends."""
    return output.with_name(f".{output.name}.partial")


def check_writable(output: Path) -> None:
    """Raise OutputError now, before any work, if `output` cannot be written."""
    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise OutputError(f"{output}: is a folder; give a file name for --output")
    if not folder.is_dir():
        raise OutputError(f"{output}: folder {folder} does not exist")
    if output.exists() and not stat.S_ISREG(output.stat().st_mode):
        raise OutputError(f"{output}: not a regular file; leave out --output to write to the terminal")
    if not os.access(folder, os.W_OK | os.X_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise OutputError(f"{output}: not writable (permission denied)")


def open_writer(output: Path | None, fmt: str, resume: bool = False) -> ResultWriter:
    """The writer of `fmt`: Parquet's, or the text formats'."""
    if fmt == "parquet":
        return ParquetResultWriter(output, resume)
    return ResultWriter(output, fmt, resume)


class ResultWriter:
    """Writes results as they come; publishes the output atomically on close.

    `output=None` writes to stdout (JSON is still valid once closed).
    """

    def __init__(self, output: Path | None, fmt: str, resume: bool = False) -> None:
        if fmt not in FORMATS or fmt == "parquet":
            raise OutputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS[:-1])} (parquet: open_writer)")
        self.output, self.fmt = output, fmt
        self.done: set[str] = set()  # files an earlier run wrote (--resume skips them)
        self.failed: set[str] = set()  # those of them that could not be read
        self._written = 0  # records written, for the JSON separators
        self._closed = False
        self._keep_partial = False  # the earlier results came from a killed run's partial file
        self._csv_header = True
        self._partial: Path | None = None
        self._stream: IO[str]
        if output is None:
            self._stream = sys.stdout
            self._start([])
            return
        check_writable(output)
        self._partial = partial_path(output)
        earlier = self._read_earlier() if resume else []
        try:
            with atomic_write(self._partial) as fresh:  # the earlier results are never only in memory
                self._stream = fresh.open("w", newline="", encoding=ENCODING, errors=ERRORS)
                self._start(earlier)
                os.fsync(self._stream.fileno())
        except OSError as exc:
            raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None

    # -- resuming ---------------------------------------------------------------------------------------------

    def _earlier_source(self) -> tuple[Path | None, bool]:
        """The finished output, or a killed run's partial file when that is newer."""
        assert self.output is not None and self._partial is not None
        partial, output = self._partial, self.output
        if partial.is_file() and (not output.exists() or partial.stat().st_mtime >= output.stat().st_mtime):
            return partial, True
        return (output, False) if output.is_file() else (None, False)

    def _read_earlier(self) -> list[Any]:
        """What an earlier run wrote; sets `done` to the files it holds."""
        source, from_partial = self._earlier_source()
        if source is None:
            return []
        try:
            text = source.read_text(encoding=ENCODING, errors=ERRORS)
        except OSError as exc:
            raise OutputError(f"{source}: cannot read it to resume ({exc.strerror or exc})") from None
        if not text.strip():
            return []
        try:
            records = self._parse(text, complete=not from_partial)
        except (ValueError, csv.Error, KeyError, TypeError) as exc:
            kind = self.fmt.upper()
            raise OutputError(f"{source}: cannot resume, it is not a digitscan {kind} file ({exc})") from None
        if from_partial and records:
            last = records[-1]["file"]  # a killed run may have written only some of this file's rows
            while records and records[-1]["file"] == last:
                records.pop()
            self._keep_partial = bool(records)
        self.done = {r["file"] for r in records}
        self.failed = {r["file"] for r in records if r.get("error")}
        return records

    def _parse(self, text: str, complete: bool) -> list[dict[str, Any]]:
        """Records of an earlier output; an incomplete one (a killed run's) loses only its cut-off end."""
        if self.fmt == "csv":
            if not text.endswith("\n"):
                text = text[: text.rfind("\n") + 1]  # drop a row cut short by a kill
            reader = csv.DictReader(io.StringIO(text))
            if reader.fieldnames not in (CSV_COLUMNS, EARLIER_CSV_COLUMNS):
                raise ValueError(f"columns {reader.fieldnames}")
            return [dict(row) for row in reader if row.get("file")]
        if self.fmt == "jsonl":
            lines = text.splitlines()
            records = []
            for n, line in enumerate(lines):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    if n == len(lines) - 1 and not text.endswith("\n"):
                        break  # the last line, cut short by a kill
                    raise
            return _checked(records)
        if complete:
            records = json.loads(text)
            if not isinstance(records, list):
                raise ValueError("not a JSON list")
            return _checked(records)
        return _checked(_json_prefix(text))

    # -- writing ----------------------------------------------------------------------------------------------

    def _start(self, earlier: list[Any]) -> None:
        if self.fmt == "csv":
            self._put(_csv_text(earlier, header=True))
        elif self.fmt == "jsonl":
            self._put("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in earlier))
        else:
            self._put("[" + self._json_items(earlier))
        self._stream.flush()

    def _json_items(self, records: list[dict[str, Any]]) -> str:
        parts = []
        for record in records:
            body = textwrap.indent(json.dumps(record, indent=2, ensure_ascii=False), "  ")
            parts.append((",\n" if self._written else "\n") + body)
            self._written += 1
        return "".join(parts)

    def _put(self, text: str) -> None:
        """One write call, so a file's rows go out together."""
        if not text:
            return
        try:
            self._stream.write(text)
        except UnicodeEncodeError:  # a terminal that cannot show a file's name
            encoding = getattr(self._stream, "encoding", None) or "ascii"
            self._stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except OSError as exc:
            raise OutputError(f"{self.output or 'stdout'}: cannot write ({exc.strerror or exc})") from None

    def write_file(self, results: list[FileResult]) -> None:
        """Write all pages of one input file at once and flush them to disk."""
        if self.fmt == "csv":
            text = _csv_text([row for result in results for row in csv_rows(result)], header=False)
        elif self.fmt == "jsonl":
            text = "".join(json.dumps(result.to_dict(), ensure_ascii=False) + "\n" for result in results)
        else:
            text = self._json_items([result.to_dict() for result in results])
        self._put(text)
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputError(f"{self.output or 'stdout'}: cannot write ({exc.strerror or exc})") from None

    def write(self, result: FileResult) -> None:
        """Write one page's result and flush it (prefer `write_file` for all pages of a file)."""
        self.write_file([result])

    def close(self) -> None:
        """Finish the file and move it into place atomically (once; later calls do nothing)."""
        if self._closed:
            return
        self._closed = True
        if self.fmt == "json":
            self._put("\n]\n" if self._written else "]\n")
        if self._partial is None or self.output is None:
            self._stream.flush()
            return

        def finish() -> None:
            self._stream.flush()
            os.fsync(self._stream.fileno())
            self._stream.close()

        publish(finish, self._partial, self.output)

    def abort(self) -> None:
        """Stop without touching the output: for a run that failed before it did any work.

        The partial file goes too, unless it holds a killed run's results that
        a later `--resume` still needs.
        """
        if self._closed:
            return
        self._closed = True
        if self._partial is None:
            return
        with contextlib.suppress(OSError):
            self._stream.close()
        if not self._keep_partial:
            with contextlib.suppress(OSError):
                self._partial.unlink()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _csv_text(rows: list[dict[str, Any]], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _checked(records: list[Any]) -> list[dict[str, Any]]:
    if not all(isinstance(r, dict) and isinstance(r.get("file"), str) for r in records):
        raise ValueError("a record without a file name")
    return records


def _json_prefix(text: str) -> list[Any]:
    """The complete records at the start of a JSON list that was cut off."""
    decoder = json.JSONDecoder()
    start = text.find("[")
    if start < 0:
        return []
    records, pos = [], start + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        try:
            record, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return records
        records.append(record)


def publish(finish: Callable[[], None], partial: Path, output: Path) -> None:
    """Finish the partial file (`finish` writes what is held and closes it), then move it over the output
    atomically; a failure says where what was done is."""
    try:
        finish()
        os.replace(partial, output)
    except OSError as exc:
        raise OutputError(
            f"{output}: cannot finish writing ({exc.strerror or exc}); what was done is in {partial}"
        ) from None
    _sync_folder(output.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system can open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


PARQUET_ROW_GROUP_PAGES = 1024  # pages held before a row group is written: about 1 MB of typical pages in memory


def parquet_schema() -> Any:
    """A row per page, as `FileResult.to_dict` (the JSON output) holds it: the strings and digits nested."""
    import pyarrow as pa

    box = pa.list_(pa.int32())
    digit = pa.struct([("char", pa.string()), ("confidence", pa.float64()), ("box", box), ("flagged", pa.bool_())])
    string = pa.struct(
        [
            ("digits", pa.string()),
            ("text", pa.string()),
            ("confidence", pa.float64()),
            ("review", pa.bool_()),
            ("box", box),
            ("line", pa.int32()),
            ("flagged", pa.list_(pa.int32())),
            ("digit_details", pa.list_(digit)),
        ]
    )
    return pa.schema(
        [
            ("file", pa.string()),
            ("page", pa.int32()),
            ("error", pa.string()),
            ("width", pa.int32()),
            ("height", pa.int32()),
            ("strings", pa.list_(string)),
        ]
    )


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet
    except ImportError:
        from digitscan.scan.storage import RAY_EXTRA

        raise OutputError(f"Parquet output needs pyarrow: {RAY_EXTRA}") from None
    return pyarrow.parquet


class ParquetResultWriter(ResultWriter):
    """Results as Parquet, a row per page; the same partial file, atomic publishing and `--resume` as the others.

    Rows are held until `PARQUET_ROW_GROUP_PAGES` pages have gathered and then written as one row group; all
    of them are written when the writer closes, interrupted or not. File names that are not UTF-8 are stored
    with their odd bytes escaped (`surrogateescape` cannot be stored in a Parquet string).
    """

    def __init__(self, output: Path | None, resume: bool = False) -> None:
        parquet = _pyarrow_parquet()
        if output is None:
            raise OutputError("Parquet is written to a file: give --output results.parquet")
        check_writable(output)
        self.output, self.fmt = output, "parquet"
        self.done, self.failed = set(), set()
        self._closed, self._keep_partial = False, False
        self._partial = partial_path(output)
        self._rows: list[dict[str, Any]] = []
        self._schema = parquet_schema()
        earlier = self._read_earlier_table(parquet) if resume else None
        try:
            self._parquet = parquet.ParquetWriter(str(self._partial), self._schema)
            if earlier is not None and earlier.num_rows:
                self._parquet.write_table(earlier)
        except OSError as exc:
            raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None

    def _read_earlier_table(self, parquet: Any) -> Any:
        """The finished output an earlier run wrote, if any; sets `done` and `failed` from it."""
        assert self.output is not None
        if not self.output.is_file():
            return None
        try:
            table = parquet.read_table(str(self.output)).cast(self._schema)
        except (OSError, ValueError, TypeError) as exc:
            raise OutputError(f"{self.output}: cannot resume, it is not a digitscan Parquet file ({exc})") from None
        files, errors = table.column("file").to_pylist(), table.column("error").to_pylist()
        self.done = set(files)
        self.failed = {f for f, e in zip(files, errors, strict=True) if e}
        return table

    def write_file(self, results: list[FileResult]) -> None:
        """Hold all pages of one input file; a row group is written once enough pages have gathered."""
        for result in results:
            row = result.to_dict()
            row["file"] = row["file"].encode(ENCODING, ERRORS).decode(ENCODING, "backslashreplace")
            self._rows.append(row)
        if len(self._rows) >= PARQUET_ROW_GROUP_PAGES:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._rows:
            return
        try:
            self._parquet.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
        except OSError as exc:
            raise OutputError(f"{self.output}: cannot write ({exc.strerror or exc})") from None
        self._rows = []

    def close(self) -> None:
        """Write what is held, the footer, and move the file into place atomically (once)."""
        if self._closed:
            return
        self._closed = True
        assert self.output is not None and self._partial is not None

        def finish() -> None:
            self._flush()
            self._parquet.close()

        publish(finish, self._partial, self.output)

    def abort(self) -> None:
        """Stop without touching the output (a run that failed before any work): the partial file goes."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._parquet.close()
        if self._partial is not None:
            with contextlib.suppress(OSError):
                self._partial.unlink()
