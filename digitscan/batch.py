"""A scan or eval run as the CLI performs it: inputs, writer, overlays, progress, summary.

Kept apart from `cli.py` so the option parsing stays thin, and apart from the
pipeline so the library has no terminal in it.
"""

from __future__ import annotations

import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from digitscan.errors import DataError, ExitCode, OutputError
from digitscan.load import expand_inputs
from digitscan.results import FileResult
from digitscan.ui import results_table, scan_progress
from digitscan.write import ResultWriter, format_for

TABLE_LIMIT = 200  # larger runs print a line per file instead of one table


@dataclass
class Tally:
    files: int = 0
    pages: int = 0
    strings: int = 0
    digits: int = 0
    flagged: int = 0
    failed: int = 0

    def add(self, result: FileResult) -> None:
        self.pages += 1
        self.failed += result.error is not None
        self.strings += len(result.strings)
        self.digits += sum(len(s.digits) for s in result.strings)
        self.flagged += sum(d.flagged for s in result.strings for d in s.digits)


def _scanner(model: Path | None, **options: object):  # noqa: ANN202
    from digitscan.pipeline import Scanner

    return Scanner(model, **options)  # type: ignore[arg-type]


def run_scan(
    inputs: list[str], *, model: Path | None, fmt: str | None, output: Path | None, overlay: Path | None,
    min_confidence: float, workers: int | None, batch_size: int, max_pixels: int, timeout_per_file: float,
    resume: bool, quiet: bool, out: Console, err: Console,
) -> ExitCode:  # fmt: skip
    """Scan, write and render; returns the exit code."""
    table_mode = (fmt in (None, "table")) and output is None
    writer = None if table_mode else ResultWriter(output, format_for(output, None if fmt == "table" else fmt), resume)
    if overlay is not None:
        _check_folder(overlay)
    paths = [str(p) for p in expand_inputs(inputs, sys.stdin if "-" in inputs else None)]
    skipped = 0
    if writer is not None and writer.done:
        skipped = sum(p in writer.done for p in paths)
        paths = [p for p in paths if p not in writer.done]
    if not paths and not skipped:
        if writer is not None:
            writer.close()
        raise DataError(f"no image files found in {' '.join(inputs)}")
    scanner = _scanner(model, workers=workers, batch_size=batch_size, min_confidence=min_confidence,
                       max_pixels=max_pixels, timeout_per_file=timeout_per_file)  # fmt: skip
    tally, shown, started = Tally(), [], time.perf_counter()
    done_files: set[str] = set()
    interrupted = False
    progress = None if quiet else scan_progress(err)
    task = progress.add_task("scan", total=len(paths), digits=0, rate=0.0) if progress else None
    try:
        if progress:
            progress.start()
        for result in scanner.scan(paths):
            tally.add(result)
            done_files.add(result.file)
            if writer is not None:
                writer.write(result)
            elif len(paths) <= TABLE_LIMIT:
                shown.append(result)
            else:
                _print_line(out, result)
            if overlay is not None and result.error is None:
                _overlay(result, overlay, err)
            if progress:
                elapsed = time.perf_counter() - started
                progress.update(task, completed=len(done_files), digits=tally.digits, rate=len(done_files) / elapsed)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if progress:
            progress.stop()
        if writer is not None:
            writer.close()
    tally.files = len(done_files)
    if shown:
        out.print(results_table(shown))
    _summary(err, tally, len(paths), skipped, time.perf_counter() - started, output, interrupted, quiet)
    if interrupted:
        return ExitCode.interrupted
    return ExitCode.some_files_failed if tally.failed else ExitCode.ok


def _check_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create folder ({exc.strerror or exc})") from None


def _overlay(result: FileResult, folder: Path, err: Console) -> None:
    from digitscan.overlay import write_overlay

    try:
        write_overlay(result, folder)
    except (OSError, ValueError, StopIteration) as exc:
        err.print(f"[yellow]warning:[/] no overlay for {result.file}: {exc}")


def _print_line(out: Console, result: FileResult) -> None:
    text = f"error: {result.error}" if result.error else " ".join(s.shown() for s in result.strings)
    out.print(f"{result.file}\t{result.page}\t{text}", highlight=False, markup=False, soft_wrap=True)


def _summary(err: Console, tally: Tally, total: int, skipped: int, seconds: float, output: Path | None,
             interrupted: bool, quiet: bool) -> None:  # fmt: skip
    if quiet and not tally.failed and not interrupted:
        return
    head = f"[yellow]interrupted after {tally.files} of {total} files[/]" if interrupted else f"{tally.files} files"
    parts = [head, f"{tally.pages} pages", f"{tally.strings} strings", f"{tally.digits} digits",
             f"{tally.flagged} flagged", f"[{'red' if tally.failed else 'green'}]{tally.failed} failed[/]",
             f"{seconds:.1f} s"]  # fmt: skip
    if skipped:
        parts.append(f"{skipped} already done (--resume)")
    err.print(" · ".join(parts))
    if output is not None:
        err.print(f"results: {output}" + (" (run again with --resume to finish)" if interrupted else ""))


def run_eval(
    path: Path, *, truth: Path | None, model: Path | None, overlay: Path | None, worst: int, workers: int | None,
    output: Path | None, quiet: bool, out: Console, err: Console,
) -> ExitCode:  # fmt: skip
    """Scan the files of a ground truth and print the scores."""
    from digitscan.evaluate import Report, locate, read_truth

    truth_path = truth or path / "labels.csv"
    if not truth_path.exists():
        raise DataError(f"{truth_path}: ground truth not found (give --truth labels.csv)")
    labels = read_truth(truth_path)
    files = locate(path, labels)
    by_path = {str(p): name for name, p in files.items()}
    scanner = _scanner(model, workers=workers)
    report, started, failed = Report(), time.perf_counter(), 0
    results: dict[str, FileResult] = {}
    progress = None if quiet else scan_progress(err)
    task = progress.add_task("eval", total=len(files), digits=0, rate=0.0) if progress else None
    try:
        if progress:
            progress.start()
        for n, result in enumerate(scanner.scan(str(p) for p in files.values()), 1):
            if result.page:
                continue
            name = by_path[result.file]
            report.add(name, labels[name], result)
            failed += result.error is not None
            results[name] = result
            if progress:
                progress.update(task, completed=n, rate=n / (time.perf_counter() - started))
    finally:
        if progress:
            progress.stop()
    seconds = time.perf_counter() - started
    _render_report(out, report, worst, seconds)
    if output is not None:
        _write_cases(output, report)
    if overlay is not None:
        _check_folder(overlay)
        for case in report.worst(worst):
            if case.failure is None:
                _overlay(results[case.file], overlay, err)
        err.print(f"overlays of the worst cases: {overlay}")
    return ExitCode.some_files_failed if failed else ExitCode.ok


def _render_report(out: Console, report: object, worst: int, seconds: float) -> None:
    r = report  # digitscan.evaluate.Report
    table = Table(title=f"evaluation on {len(r.cases)} images ({seconds:.1f} s)", show_header=False)  # type: ignore[attr-defined]
    table.add_row("string accuracy (exact)", f"[bold]{r.string_accuracy:.2%}[/]")  # type: ignore[attr-defined]
    table.add_row("digit accuracy (1 - CER)", f"[bold]{r.digit_accuracy:.2%}[/]")  # type: ignore[attr-defined]
    for length, (count, accuracy) in r.by_length().items():  # type: ignore[attr-defined]
        table.add_row(f"  strings of {length} digits", f"{accuracy:.2%} of {count}")
    out.print(table)
    cases = r.worst(worst)  # type: ignore[attr-defined]
    if cases:
        bad = Table(title=f"worst {len(cases)} cases")
        for column in ("file", "truth", "read", "errors"):
            bad.add_column(column)
        for c in cases:
            bad.add_row(c.file, c.truth, c.read if c.failure is None else f"[red]{c.failure}[/]", str(c.errors))
        out.print(bad)


def _write_cases(output: Path, report: object) -> None:
    tmp = output.with_name(f".{output.name}.partial")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "truth", "read", "errors", "error"])
        for c in report.cases:  # type: ignore[attr-defined]
            writer.writerow([c.file, c.truth, c.read, c.errors, c.failure or ""])
    tmp.replace(output)

