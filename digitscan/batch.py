"""A scan or eval run as the CLI performs it: inputs, writer, overlays, progress, summary.

Kept apart from `cli.py` so the option parsing stays thin, and apart from the
pipeline so the library has no terminal in it.
"""

from __future__ import annotations

import contextlib
import csv
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from digitscan.errors import DataError, ExitCode, OutputError, is_interrupt
from digitscan.load import expand_inputs, folder_links
from digitscan.results import FileResult
from digitscan.ui import results_table, scan_progress
from digitscan.write import ResultWriter, check_writable, format_for

if TYPE_CHECKING:
    from digitscan.pipeline import Scanner

TABLE_LIMIT = 200  # larger runs print a line per file instead of one table


@dataclass
class Tally:
    """What a run has read so far, for the summary line."""

    files: int = 0
    pages: int = 0
    strings: int = 0
    digits: int = 0
    flagged: int = 0
    failed: int = 0

    def add_file(self, results: list[FileResult]) -> None:
        """Count one input file and all its pages."""
        self.files += 1
        for result in results:
            self.add(result)

    def add(self, result: FileResult) -> None:
        self.pages += 1
        self.failed += result.error is not None
        self.strings += len(result.strings)
        self.digits += sum(len(s.digits) for s in result.strings)
        self.flagged += sum(d.flagged for s in result.strings for d in s.digits)


def _scanner(model: Path | None, **options: object) -> Scanner:
    """The pipeline, imported late: it loads Keras, which `--help` must not wait for."""
    from digitscan.pipeline import Scanner

    return Scanner(model, **options)  # type: ignore[arg-type]


def run_scan(
    inputs: list[str], *, model: Path | None, fmt: str | None, output: Path | None, overlay: Path | None,
    min_confidence: float, workers: int | None, batch_size: int, max_pixels: int, timeout_per_file: float,
    resume: bool, quiet: bool, out: Console, err: Console,
) -> ExitCode:  # fmt: skip
    """Scan, write and render; returns the exit code.

    Everything that can make the run pointless (an unwritable output or
    overlay folder, no inputs, a bad model) fails before the first file is
    read, without touching an existing output. Ctrl-C or SIGTERM stops the
    run: every file finished so far is in the output, which is complete and
    valid, and `--resume` goes on from there.
    """
    table_mode = (fmt in (None, "table")) and output is None
    writer = None if table_mode else ResultWriter(output, format_for(output, None if fmt == "table" else fmt), resume)
    try:
        if overlay is not None:
            _check_folder(overlay)
        paths = [str(p) for p in expand_inputs(inputs, sys.stdin if "-" in inputs else None)]
        skipped = failed_before = 0
        if writer is not None and writer.done:
            skipped = sum(p in writer.done for p in paths)
            failed_before = sum(p in writer.failed for p in paths)
            paths = [p for p in paths if p not in writer.done]
        if not paths and not skipped:
            links = [link for arg in inputs for link in folder_links(Path(arg))]
            hint = f" (links to folders are not followed; name one to read it: {links[0]})" if links else ""
            raise DataError(f"no image files found in {' '.join(inputs)}{hint}")
        scanner = _scanner(model, workers=workers, batch_size=batch_size, min_confidence=min_confidence,
                           max_pixels=max_pixels, timeout_per_file=timeout_per_file) if paths else None  # fmt: skip
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    tally, shown, started = Tally(), [], time.perf_counter()
    interrupted = False
    progress = None if quiet else scan_progress(err)
    task = progress.add_task("scan", total=len(paths), digits=0, rate=0.0) if progress else None
    try:
        if progress:
            progress.start()
        for results in scanner.scan_files(paths) if scanner else ():
            with interrupts_deferred():  # a file's results are written whole, and counted once
                if writer is not None:
                    writer.write_file(results)
                tally.add_file(results)
            for result in results:
                if writer is None and len(paths) <= TABLE_LIMIT:
                    shown.append(_displayable(result))
                elif writer is None:
                    _print_line(out, result)
                if overlay is not None and result.error is None:
                    _overlay(result, overlay, err)
            if progress:
                elapsed = time.perf_counter() - started
                progress.update(task, completed=tally.files, digits=tally.digits, rate=tally.files / elapsed)
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        interrupted = True
    finally:
        if progress:
            progress.stop()
        if writer is not None:
            with interrupts_deferred():
                writer.close()
    if shown:
        out.print(results_table(shown))
    _summary(err, tally, len(paths), (skipped, failed_before), time.perf_counter() - started, output, interrupted,
             quiet)  # fmt: skip
    if interrupted:
        return ExitCode.interrupted
    return ExitCode.some_files_failed if tally.failed or failed_before else ExitCode.ok


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block is done, then raise KeyboardInterrupt.

    Used around writing one file's results, so a signal never leaves a file's
    rows half in the output or the counts out of step with it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # what the caller ignores stays ignored
            previous[signum] = signal.signal(signum, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    if received:
        raise KeyboardInterrupt


def _displayable(result: FileResult) -> FileResult:
    """The result with a file name any terminal can show (names that are not UTF-8 are escaped)."""
    try:
        result.file.encode("utf-8")
    except UnicodeEncodeError:
        return replace(result, file=result.file.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
    return result


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
    result = _displayable(result)
    out.print(f"{result.file}\t{result.page}\t{text}", highlight=False, markup=False, soft_wrap=True)


def _summary(err: Console, tally: Tally, total: int, earlier: tuple[int, int], seconds: float, output: Path | None,
             interrupted: bool, quiet: bool) -> None:  # fmt: skip
    """One line: how far the run got and what it found; `earlier` is (files done before, of which failed)."""
    skipped, failed_before = earlier
    if quiet and not tally.failed and not failed_before and not interrupted:
        return
    head = f"[yellow]interrupted after {tally.files} of {total} files[/]" if interrupted else f"{tally.files} files"
    parts = [head, f"{tally.pages} pages", f"{tally.strings} strings", f"{tally.digits} digits",
             f"{tally.flagged} flagged", f"[{'red' if tally.failed else 'green'}]{tally.failed} failed[/]",
             f"{seconds:.1f} s"]  # fmt: skip
    if skipped:
        failed_note = f", {failed_before} of them failed" if failed_before else ""
        parts.append(f"{skipped} already done (--resume){failed_note}")
    err.print(" · ".join(parts))
    if output is not None:
        err.print(f"results: {output}" + (" (run again with --resume to finish)" if interrupted else ""))


def run_eval(
    path: Path, *, truth: Path | None, model: Path | None, overlay: Path | None, worst: int, workers: int | None,
    output: Path | None, quiet: bool, out: Console, err: Console,
) -> ExitCode:  # fmt: skip
    """Scan the files of a ground truth and print the scores.

    An unwritable `--output` or overlay folder fails before any work. Ctrl-C
    or SIGTERM stops the scan and reports on the files read so far.
    """
    from digitscan.evaluate import Report, locate, read_truth

    truth_path = truth or path / "labels.csv"
    if not truth_path.exists():
        raise DataError(f"{truth_path}: ground truth not found (give --truth labels.csv)")
    if output is not None:
        check_writable(output)
    if overlay is not None:
        _check_folder(overlay)
    labels = read_truth(truth_path)
    files = locate(path, labels)
    names_of: dict[str, list[str]] = {}  # two truth rows may name the same file
    for name, file in files.items():
        names_of.setdefault(str(file), []).append(name)
    scanner = _scanner(model, workers=workers)
    report, started, failed, interrupted = Report(), time.perf_counter(), 0, False
    results: dict[str, FileResult] = {}
    progress = None if quiet else scan_progress(err)
    task = progress.add_task("eval", total=len(names_of), digits=0, rate=0.0) if progress else None
    try:
        if progress:
            progress.start()
        for n, pages in enumerate(scanner.scan_files(names_of), 1):
            result = pages[0]  # the truth is about the first page
            for name in names_of[result.file]:
                report.add(name, labels[name], result)
                failed += result.error is not None
                results[name] = result
            if progress:
                progress.update(task, completed=n, rate=n / (time.perf_counter() - started))
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        interrupted = True
    finally:
        if progress:
            progress.stop()
    seconds = time.perf_counter() - started
    if interrupted:
        err.print(f"[yellow]interrupted after {len(results)} of {len(files)} images[/]; the scores cover those only")
    _render_report(out, report, worst, seconds)
    if output is not None:
        _write_cases(output, report)
    if overlay is not None:
        for case in report.worst(worst):
            if case.failure is None:
                _overlay(results[case.file], overlay, err)
        err.print(f"overlays of the worst cases: {overlay}")
    if interrupted:
        return ExitCode.interrupted
    return ExitCode.some_files_failed if failed else ExitCode.ok


def _render_report(out: Console, report: object, worst: int, seconds: float) -> None:
    r = report  # digitscan.evaluate.Report
    table = Table(title=f"evaluation on {len(r.cases)} images ({seconds:.1f} s)", show_header=False)  # type: ignore[attr-defined]
    table.add_row("string accuracy (exact)", f"[bold]{r.string_accuracy:.2%}[/]")  # type: ignore[attr-defined]
    table.add_row("digit accuracy (1 - CER)", f"[bold]{r.digit_accuracy:.2%}[/]")  # type: ignore[attr-defined]
    for length, (count, accuracy) in r.by_length().items():  # type: ignore[attr-defined]
        table.add_row(f"  strings of {length} digits", f"{accuracy:.2%} of {count}")
    for threshold, (count, accuracy) in r.by_confidence().items():  # type: ignore[attr-defined]
        share = count / max(1, len(r.cases))  # type: ignore[attr-defined]
        table.add_row(f"  read at confidence ≥ {threshold:g}", f"{accuracy:.2%} of {count} ({share:.0%} of images)")
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
    """Every case as CSV, written atomically."""
    tmp = output.with_name(f".{output.name}.partial")
    try:
        with tmp.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "truth", "read", "errors", "confidence", "error"])
            for c in report.cases:  # type: ignore[attr-defined]
                writer.writerow([c.file, c.truth, c.read, c.errors, round(c.confidence, 4), c.failure or ""])
        tmp.replace(output)
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None
