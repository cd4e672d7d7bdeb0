"""`digitscan review` as the command line runs it: a scan's results in, one self-contained HTML page out.

`scan ... --review PAGE` calls `write_review` with the records it just wrote,
so both ways give the same page.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from digitscan.cli.ui import Consoles
from digitscan.errors import ExitCode, OutputError
from digitscan.scan.options import ScanOptions

if TYPE_CHECKING:
    from digitscan.review.entries import Results


@dataclass(frozen=True)
class ReviewCommand:
    """What `digitscan review` was asked to do: which results, where the page goes, how many entries at most."""

    results: Path  # a scan's JSONL, JSON or CSV output; its images are found from the paths in it
    out: Path = Path("review.html")
    limit: int | None = None  # entries on the page at most (flagged and least sure first); None: all
    max_pixels: int = ScanOptions.max_pixels  # images larger than this are not decoded for their crops


def check_page_writable(out: Path) -> None:
    """An OutputError now, before any work, when the page cannot be written there."""
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give a file name for the review page")
    if not folder.is_dir():
        raise OutputError(f"{out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise OutputError(f"{out}: not writable (permission denied)")


def run_review(command: ReviewCommand, consoles: Consoles) -> ExitCode:
    """Read the results, cut the crops, write the page; exit 1 when some images could not give their crops."""
    from digitscan.review.entries import read_results

    check_page_writable(command.out)
    results = read_results(command.results)
    missing = write_review(
        results,
        command.out,
        consoles.err,
        source=str(command.results),
        results_folder=command.results.parent,
        limit=command.limit,
        max_pixels=command.max_pixels,
    )
    return ExitCode.some_files_failed if missing else ExitCode.ok


def review_records(records: Iterable[dict[str, Any]], out: Path, err: Console, source: str, limit: int | None) -> int:
    """The page of a scan just run, from its JSON records (`FileResult.to_dict`); how many entries lack a crop."""
    from digitscan.review.entries import from_records

    return write_review(from_records(records), out, err, source=source, limit=limit)


def write_review(
    results: Results,
    out: Path,
    err: Console,
    *,
    source: str,
    results_folder: Path | None = None,
    limit: int | None = None,
    max_pixels: int = ScanOptions.max_pixels,
) -> int:
    """Build and write the page of `results` (a `Results`), say what it holds; how many entries lack a crop."""
    from digitscan.review.entries import build_review
    from digitscan.review.page import write_page

    with err.status(f"cutting {min(len(results.readings), limit or len(results.readings))} crops", spinner="dots"):
        review = build_review(results, results_folder, limit, max_pixels)
    write_page(review, source, out)
    flagged = sum(e.reading.flagged for e in review.entries)
    missing = [e for e in review.entries if e.crop is None]
    err.print(f"review page: {out} ({len(review.entries)} entries, {flagged} flagged)", highlight=False)
    for entry in missing[:3]:
        note = escape(entry.note or "")
        err.print(f"[yellow]warning:[/] no crop for {escape(entry.reading.file)}: {note}", highlight=False)
    if len(missing) > 3:
        err.print(f"[yellow]warning:[/] {len(missing)} entries in all have no crop (each says why on the page)")
    return len(missing)
