"""The data a review page is built from: every string of a scan, ordered for review, with its crop.

A scan's JSONL, JSON or CSV output (or the records of a scan just run) is
read into `Reading`s; `build_review` orders them (flagged strings first, each
group least sure first), caps them, finds each string's image from the path
in the results, and cuts the string out of the right page with a margin, as
PNG bytes. A missing or unreadable image leaves its entries without a crop
and with a note: a review is never stopped by one file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from digitscan.errors import DataError, DigitscanError, is_interrupt
from digitscan.scan.inputs import common_folder
from digitscan.scan.load import DEFAULT_MAX_PIXELS, load_pages

Box = tuple[int, int, int, int]  # x, y, w, h in the original image's pixels

# How a crop is cut and shown. Set by hand on the samples and ORAND check amounts so a string and its neighbours
# read at a glance in a list of thousands; none is tuned on any score.
CROP_MARGIN = 0.3  # of the string box's height, added on every side: the ink around it, to judge a cut or a miss
CROP_MIN_MARGIN = 6  # working-resolution pixels: the margin of a very flat string (a dash-like "1") is at least this
CROP_MAX_HEIGHT = 72  # pixels: taller crops are shrunk to this (the row height of the page is made for it)
CROP_MAX_WIDTH = 560  # pixels: wider crops are shrunk to this (a long line of digits stays on screen)
RESULT_SUFFIXES = {".jsonl": "jsonl", ".json": "json", ".csv": "csv"}
TRUE_WORDS = {"1", "true", "yes"}  # a CSV `review` cell that means the string is flagged


@dataclass(frozen=True)
class Reading:
    """One string of one page as a scan's results give it."""

    file: str  # the path as the results hold it
    page: int
    index: int  # the string's place on its page, in reading order
    digits: str
    confidence: float
    box: Box | None
    digit_confidences: tuple[float, ...] = ()
    digit_boxes: tuple[Box, ...] | None = None  # JSON outputs have them, CSV does not
    flagged_digits: tuple[int, ...] = ()  # positions of digits below --min-confidence
    flagged: bool = False  # the string is for review: its `review` key, else any digit flagged


@dataclass
class Results:
    """What a results file holds: its readings and how many pages gave none."""

    readings: list[Reading] = field(default_factory=list)
    pages: int = 0
    empty_pages: int = 0  # read, but no digit string on them
    failed_pages: int = 0  # the scan could not read them
    bad_records: int = 0  # lines or rows that are not a digitscan result (skipped)


@dataclass(frozen=True)
class Entry:
    """A reading on the review page: with its crop (PNG) or a note why there is none."""

    reading: Reading
    crop: bytes | None
    note: str | None  # why there is no crop
    name: str  # the file's name in the export: relative to the folder that holds every image


@dataclass
class Review:
    """Everything the page shows: the entries in review order, and what was left out."""

    entries: list[Entry]
    folder: Path  # the deepest folder holding every image: `train --finetune` is pointed at it
    results: Results
    total: int  # readings before --limit
    digit_boxes: bool  # every reading has its digits' boxes: the export can write boxes.csv
    # the first-page strings of each exported file, listed or not: a file's label holds all of them
    files: dict[str, list[Reading]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- reading a results file ------------------------------------------------------------------------------------


def read_results(path: Path) -> Results:
    """A scan's JSONL, JSON or CSV output (by the suffix, else by its first character)."""
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        raise DataError(f"{path}: no such results file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; give a scan's JSONL, JSON or CSV output") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    fmt = RESULT_SUFFIXES.get(path.suffix.lower()) or _sniff(text)
    if fmt == "csv":
        results = _from_csv(text)
    elif fmt == "json":
        try:
            records = json.loads(text)
        except ValueError as exc:
            raise DataError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(records, list):
            raise DataError(f"{path}: not a digitscan JSON output (a list of pages)")
        results = from_records(records)
    else:
        results = from_records(_jsonl_records(text))
    if results.pages == 0:
        raise DataError(f"{path}: not a digitscan results file (JSONL, JSON or CSV from `digitscan scan`)")
    return results


def _sniff(text: str) -> str:
    start = text.lstrip()[:1]
    return "json" if start == "[" else "jsonl" if start == "{" else "csv"


def _jsonl_records(text: str) -> Iterable[Any]:
    for line in text.splitlines():
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError:
                yield None  # counted as a bad record


def from_records(records: Iterable[Any]) -> Results:
    """Readings from JSON page records (`FileResult.to_dict`); a record that is not one is counted and skipped."""
    results = Results()
    for record in records:
        try:
            file, page = _text(record["file"]), int(record.get("page") or 0)
            strings = record.get("strings") or []
            readings = [_json_reading(file, page, n, s) for n, s in enumerate(strings)]
        except (TypeError, KeyError, ValueError, AttributeError):
            results.bad_records += 1
            continue
        _add_page(results, readings, failed=bool(record.get("error")))
    return results


def _json_reading(file: str, page: int, index: int, s: dict[str, Any]) -> Reading:
    digits = _digits(s["digits"])
    details = s.get("digit_details") or []
    flagged_digits = tuple(int(i) for i in s.get("flagged") or ())
    boxes = tuple(_box(d["box"]) for d in details) if details and len(details) == len(digits) else None
    confidences = tuple(float(d["confidence"]) for d in details) if boxes else ()
    review = s.get("review")
    return Reading(
        file=file,
        page=page,
        index=index,
        digits=digits,
        confidence=float(s.get("confidence", 0.0)),
        box=_box(s["box"]) if s.get("box") else None,
        digit_confidences=confidences,
        digit_boxes=boxes,
        flagged_digits=flagged_digits,
        flagged=bool(review) if isinstance(review, bool) else bool(flagged_digits),
    )


def _from_csv(text: str) -> Results:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"file", "page", "digits"} <= set(reader.fieldnames):
        return Results()
    results, pages = Results(), {}  # (file, page) -> (readings, failed), in the order they come
    for row in reader:
        try:
            key = (_text(row["file"]), int(row["page"] or 0))
            readings, failed = pages.setdefault(key, ([], False))
            if row.get("error"):
                pages[key] = (readings, True)
            if row["digits"]:
                readings.append(_csv_reading(key, len(readings), row))
        except (TypeError, KeyError, ValueError):
            results.bad_records += 1
    for readings, failed in pages.values():
        _add_page(results, readings, failed)
    return results


def _csv_reading(key: tuple[str, int], index: int, row: dict[str, str]) -> Reading:
    digits = _digits(row["digits"])
    box = _box([row[k] for k in "xywh"]) if all(row.get(k) for k in "xywh") else None
    confidences = tuple(float(c) for c in (row.get("digit_confidences") or "").split(";") if c)
    flagged_digits = tuple(int(i) for i in (row.get("flagged") or "").split(";") if i)
    review = (row.get("review") or "").strip().lower()
    return Reading(
        file=key[0],
        page=key[1],
        index=int(row["string"]) if row.get("string") else index,
        digits=digits,
        confidence=float(row.get("confidence") or 0.0),
        box=box,
        digit_confidences=confidences if len(confidences) == len(digits) else (),
        flagged_digits=flagged_digits,
        flagged=review in TRUE_WORDS if review else bool(flagged_digits),
    )


def _add_page(results: Results, readings: list[Reading], failed: bool) -> None:
    results.pages += 1
    results.failed_pages += failed
    results.empty_pages += not failed and not readings
    results.readings.extend(readings)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("a file name must be text")
    return value


def _digits(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise ValueError("a reading must be digits 0-9")
    return value


def _box(value: Any) -> Box:
    x, y, w, h = (int(v) for v in value)
    if w <= 0 or h <= 0:
        raise ValueError("a box must have a size")
    return x, y, w, h


# -- ordering, finding the images, cutting the crops ---------------------------------------------------------


def review_order(readings: list[Reading]) -> list[Reading]:
    """Flagged strings first, then the others; each group least sure first (ties: the results' order)."""
    return sorted(readings, key=lambda r: (not r.flagged, r.confidence))


def locate_image(file: str, results_folder: Path | None) -> Path | None:
    """The image a results path names: as written (from the working folder), else beside the results file."""
    path = Path(file)
    candidates = [path] if path.is_absolute() else [path, *([results_folder / path] if results_folder else [])]
    return next((c for c in candidates if c.is_file()), None)


def cut_crop(grey: np.ndarray, scale: float, box: Box) -> np.ndarray:
    """The string's box, with a margin, from a working-resolution page (paper 1, ink 0): uint8, at most
    `CROP_MAX_HEIGHT` x `CROP_MAX_WIDTH`."""
    x, y, w, h = (v * scale for v in box)
    margin = max(CROP_MIN_MARGIN, CROP_MARGIN * h)
    rows, cols = grey.shape[:2]
    top, bottom = max(0, int(y - margin)), min(rows, int(np.ceil(y + h + margin)))
    left, right = max(0, int(x - margin)), min(cols, int(np.ceil(x + w + margin)))
    if bottom <= top or right <= left:
        raise ValueError("the box lies outside its page")
    crop = (np.clip(grey[top:bottom, left:right], 0.0, 1.0) * 255).astype(np.uint8)
    shrink = min(1.0, CROP_MAX_HEIGHT / crop.shape[0], CROP_MAX_WIDTH / crop.shape[1])
    if shrink < 1.0:
        size = (max(1, round(crop.shape[1] * shrink)), max(1, round(crop.shape[0] * shrink)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return crop


def png_bytes(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("the crop could not be encoded as PNG")
    return encoded.tobytes()


def _crops(
    file: str, readings: list[Reading], results_folder: Path | None, max_pixels: int
) -> dict[Reading, tuple[bytes | None, str | None]]:
    """Each reading of one file with its crop, or the note that says why it has none."""
    path = locate_image(file, results_folder)
    if path is None:
        where = f" (nor in {results_folder})" if results_folder else ""
        return dict.fromkeys(readings, (None, f"image not found: {file}{where}"))
    try:
        pages = {p.index: p for p in load_pages(path, max_pixels)}
    except DigitscanError as exc:
        return dict.fromkeys(readings, (None, f"image not readable: {exc}"))
    except Exception as exc:  # a decoder's own error: this file has no crops, the page still comes
        if is_interrupt(exc):
            raise
        return dict.fromkeys(readings, (None, f"image not readable: {type(exc).__name__}: {exc}"))
    out: dict[Reading, tuple[bytes | None, str | None]] = {}
    for reading in readings:
        page = pages.get(reading.page)
        if page is None:
            out[reading] = (None, f"the image has no page {reading.page}")
        elif reading.box is None:
            out[reading] = (None, "the results give no box for this string")
        else:
            try:
                out[reading] = (png_bytes(cut_crop(page.grey, page.scale, reading.box)), None)
            except ValueError as exc:
                out[reading] = (None, str(exc))
    return out


def build_review(
    results: Results,
    results_folder: Path | None = None,
    limit: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Review:
    """The page's entries: `results` in review order, the first `limit` of them, each with its crop.

    Images are looked up from the working folder, then from `results_folder`
    (the results file's own folder); each file is decoded once.
    """
    ordered = review_order(results.readings)
    listed = ordered if limit is None else ordered[:limit]
    by_file: dict[str, list[Reading]] = {}
    for reading in listed:
        by_file.setdefault(reading.file, []).append(reading)
    crops: dict[Reading, tuple[bytes | None, str | None]] = {}
    for file, readings in by_file.items():
        crops.update(_crops(file, readings, results_folder, max_pixels))
    located = {f: locate_image(f, results_folder) for f in by_file}
    found = [p for p in located.values() if p is not None]
    folder = common_folder(found) if found else Path.cwd()
    names = {f: _export_name(p, folder) if p is not None else f for f, p in located.items()}
    entries = [Entry(r, *crops[r], names[r.file]) for r in listed]
    files: dict[str, list[Reading]] = {}
    for reading in results.readings:  # every first-page string of a file with an entry, in reading order
        if reading.file in by_file and reading.page == 0:
            files.setdefault(reading.file, []).append(reading)
    notes = []
    if limit is not None and len(ordered) > limit:
        notes.append(f"--limit {limit}: {len(ordered) - limit} of {len(ordered)} strings are not listed")
    if results.failed_pages or results.empty_pages:
        notes.append(
            f"not listed: {results.empty_pages} pages where no digits were found, "
            f"{results.failed_pages} the scan could not read"
        )
    if results.bad_records:
        notes.append(f"{results.bad_records} records of the results file are not digitscan results (skipped)")
    missing = sum(1 for e in entries if e.crop is None)
    if missing:
        notes.append(f"{missing} entries have no crop (each says why)")
    digit_boxes = bool(results.readings) and all(r.digit_boxes is not None for r in results.readings)
    return Review(entries, folder, results, len(ordered), digit_boxes, files, notes)


def _export_name(path: Path, folder: Path) -> str:
    """The image's path relative to `folder`, with forward slashes: how `labels.csv` names it."""
    return Path(os.path.relpath(os.path.abspath(path), folder)).as_posix()
