"""`digitscan eval` as the command line runs it: scan a labelled folder, score it, render the report."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from digitscan._files import atomic_write, ensure_folder
from digitscan._keras import import_keras_early
from digitscan.cli import scan as scan_cli
from digitscan.cli.ui import Consoles, ScanProgress
from digitscan.errors import DataError, ExitCode, OutputError, interrupts_caught
from digitscan.model.files import model_file
from digitscan.results import FileResult
from digitscan.scan.evaluate import PageReport, PageScore, Report, is_page_truth, locate, read_page_truth, read_truth
from digitscan.scan.inputs import common_folder
from digitscan.scan.options import ScanOptions
from digitscan.scan.write import check_writable


@dataclass(frozen=True)
class EvalCommand:
    """What `digitscan eval` was asked to do: the labelled folder, where its truth is, what to show and write."""

    path: Path
    truth: Path | None = None  # file,digits or, by lines, file,line,digits,text; None: PATH/labels.csv, expected.csv
    model: Path | None = None
    overlay: Path | None = None  # a folder to draw the worst cases into
    worst: int = 15  # how many of the worst cases to list
    output: Path | None = None  # every case as CSV
    scan: ScanOptions = field(default_factory=ScanOptions)


TRUTH_NAMES = ("labels.csv", "expected.csv")  # a folder's own ground truth: ORAND's name, then the samples'


def default_truth(folder: Path) -> Path:
    """The folder's `labels.csv`, else its `expected.csv` (as `samples/` ships); the first name when neither is."""
    for name in TRUTH_NAMES:
        if (folder / name).is_file():
            return folder / name
    return folder / TRUTH_NAMES[0]


def run_eval(command: EvalCommand, consoles: Consoles) -> ExitCode:
    """Scan the files of a ground truth and print the scores.

    A missing truth or model, an unwritable `--output` or overlay folder fail before TensorFlow is imported; Keras
    is imported while the folder is searched. Ctrl-C
    or SIGTERM stops the scan and reports on the files read so far.
    """
    path, output, overlay, worst = command.path, command.output, command.overlay, command.worst
    out, err = consoles.out, consoles.err
    truth_path = command.truth or default_truth(path)
    if not truth_path.exists():
        hint = "" if command.truth else f" (nor {path / 'expected.csv'}; give --truth FILE.csv)"
        raise DataError(f"{truth_path}: ground truth not found{hint}")
    if output is not None:
        check_writable(output)
    if overlay is not None:
        ensure_folder(overlay)
    by_lines = is_page_truth(truth_path)  # a row per handwritten number: pages scored by lines
    labels: dict = read_page_truth(truth_path) if by_lines else read_truth(truth_path)
    model_file(command.model)
    keras_import = import_keras_early()  # while the folder is searched
    try:
        files = locate(path, labels)
        names_of: dict[str, list[str]] = {}  # two truth rows may name the same file
        for name, file in files.items():
            names_of.setdefault(str(file), []).append(name)
    finally:
        keras_import.wait()  # stderr is silenced while TensorFlow is imported
    scanner = scan_cli.make_scanner(command.model, command.scan, err)  # one seam for both commands
    report: Report | PageReport = PageReport() if by_lines else Report()
    started, failed, digits_read = time.perf_counter(), 0, 0
    results: dict[str, FileResult] = {}
    progress = None if consoles.quiet else ScanProgress(err, len(names_of))
    with interrupts_caught() as interruption:
        try:
            if progress:
                progress.start()
            for n, pages in enumerate(scanner.scan_files(names_of), 1):
                result = pages[0]  # the truth is about the first page
                for name in names_of[result.file]:
                    report.add(name, labels[name], result)
                    failed += result.error is not None
                    results[name] = result
                digits_read += sum(len(s.digits) for s in result.strings)
                if progress:
                    progress.update(n, digits_read)
        finally:
            if progress:
                progress.stop()
    interrupted = interruption.happened
    seconds = time.perf_counter() - started
    if interrupted:
        err.print(f"[yellow]interrupted after {len(results)} of {len(files)} images[/]; the scores cover those only")
    if isinstance(report, PageReport):
        _render_pages(out, report, worst, seconds)
        if output is not None:
            _write_pages(output, report)
    else:
        _render_report(out, report, worst, seconds)
        if output is not None:
            _write_cases(output, report)
    if overlay is not None:
        base = common_folder(list(names_of))
        for case in report.worst(worst):
            if case.failure is None:
                truth = case.truth if isinstance(case.truth, str) else " ".join(case.truth_text)
                scan_cli.overlay_or_warn(results[case.file], overlay, err, base, truth=truth)
        err.print(f"overlays of the worst cases: {overlay}")
    if interrupted:
        return ExitCode.interrupted
    return ExitCode.some_files_failed if failed else ExitCode.ok


def _render_report(out: Console, report: Report, worst: int, seconds: float) -> None:
    table = Table(title=f"evaluation on {len(report.cases)} images ({seconds:.1f} s)", show_header=False)
    table.add_row("string accuracy (exact)", f"[bold]{report.string_accuracy:.2%}[/]")
    table.add_row("digit accuracy (1 - CER)", f"[bold]{report.digit_accuracy:.2%}[/]")
    for length, (count, accuracy) in report.by_length().items():
        table.add_row(f"  strings of {_digits(length)}", f"{accuracy:.2%} of {count}")
    for threshold, (count, accuracy) in report.by_confidence().items():
        share = count / max(1, len(report.cases))
        table.add_row(f"  read at confidence ≥ {threshold:g}", f"{accuracy:.2%} of {count} ({share:.0%} of images)")
    out.print(table)
    cases = report.worst(worst)
    if cases:
        bad = Table(title=f"worst {len(cases)} cases")
        for column in ("file", "truth", "read", "errors"):
            bad.add_column(column)
        for c in cases:
            bad.add_row(c.file, c.truth, c.read if c.failure is None else f"[red]{c.failure}[/]", str(c.errors))
        out.print(bad)


def _digits(count: int) -> str:
    """A length as both kinds of truth's tables say it: 1 digit, 4 digits."""
    return f"{count} digit{'s' * (count != 1)}"


def _write_cases(output: Path, report: Report) -> None:
    """Every case as CSV, written atomically."""
    try:
        with atomic_write(output) as tmp, tmp.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "truth", "read", "errors", "confidence", "error"])
            for c in report.cases:
                writer.writerow([c.file, c.truth, c.read, c.errors, round(c.confidence, 4), c.failure or ""])
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None


def _render_pages(out: Console, report: PageReport, worst: int, seconds: float) -> None:
    """Pages by lines: lines read exactly, spurious strings per page, in all and per kind."""
    total = report.score()
    table = Table(title=f"evaluation on {total.pages} pages, {total.lines} lines ({seconds:.1f} s)", show_header=False)
    table.add_row("lines read exactly", f"[bold]{total.read:.2%}[/]")
    table.add_row("spurious strings per page", f"[bold]{total.spurious:.2f}[/]")
    table.add_row("digit accuracy (1 - CER, each line with its closest string)", f"{total.digit_accuracy:.2%}")
    if report.texts_carried:
        table.add_row("lines read exactly, with separators", f"{total.text_read:.2%}")
        table.add_row("spurious strings per page, with separators", f"{total.text_spurious:.2f}")
    for length, (count, accuracy) in report.by_length().items():
        table.add_row(f"  lines of {_digits(length)}", f"{accuracy:.2%} of {count}")
    strings = sum(len(c.read) for c in report.cases)
    for threshold, (count, accuracy) in report.by_confidence().items():
        share = count / max(1, strings)
        table.add_row(f"  strings at confidence ≥ {threshold:g}", f"{accuracy:.2%} right of {count} ({share:.0%})")
    out.print(table)
    kinds = report.by_kind()
    if kinds:
        by_kind = Table(title="by kind of page")
        columns = ["kind", "pages", "lines", "read exactly", "spurious / page", "digits (1 - CER)"]
        columns += ["read, with separators"] * report.texts_carried
        for column in columns:
            by_kind.add_column(column, justify="left" if column == "kind" else "right")
        for kind, score in kinds.items():
            by_kind.add_row(kind, *_page_cells(score, report.texts_carried))
        out.print(by_kind)
    cases = report.worst(worst)
    if cases:
        bad = Table(title=f"worst {len(cases)} pages")
        for column in ("file", "missed", "spurious", "truth", "read"):
            bad.add_column(column)
        for c in cases:
            read = c.reading if c.failure is None else f"[red]{c.failure}[/]"
            bad.add_row(c.file, str(c.misses), str(c.spurious), " ".join(c.truth_text), read)
        out.print(bad)


def _page_cells(score: PageScore, texts: bool) -> list[str]:
    cells = [str(score.pages), str(score.lines), f"{score.read:.1%}", f"{score.spurious:.2f}"]
    return [*cells, f"{score.digit_accuracy:.1%}"] + [f"{score.text_read:.1%}"] * texts


def _write_pages(output: Path, report: PageReport) -> None:
    """Every page with its truth, its reading and its counts, as CSV, written atomically."""
    try:
        with atomic_write(output) as tmp, tmp.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "kind", "truth", "read", "lines", "read_exactly", "spurious", "error"])
            for c in report.cases:
                truth, read = " ".join(c.truth_text), c.reading
                writer.writerow([c.file, c.kind, truth, read, len(c.truth), c.hits, c.spurious, c.failure or ""])
    except OSError as exc:
        raise OutputError(f"{output}: cannot write ({exc.strerror or exc})") from None
