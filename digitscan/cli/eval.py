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
from digitscan.scan.evaluate import Report, locate, read_truth
from digitscan.scan.inputs import common_folder
from digitscan.scan.options import ScanOptions
from digitscan.scan.write import check_writable


@dataclass(frozen=True)
class EvalCommand:
    """What `digitscan eval` was asked to do: the labelled folder, where its truth is, what to show and write."""

    path: Path
    truth: Path | None = None  # the file,digits CSV; None: PATH/labels.csv, else PATH/expected.csv
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
    labels = read_truth(truth_path)
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
    report, started, failed, digits_read = Report(), time.perf_counter(), 0, 0
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
    _render_report(out, report, worst, seconds)
    if output is not None:
        _write_cases(output, report)
    if overlay is not None:
        base = common_folder(list(names_of))
        for case in report.worst(worst):
            if case.failure is None:
                scan_cli.overlay_or_warn(results[case.file], overlay, err, base, truth=case.truth)
        err.print(f"overlays of the worst cases: {overlay}")
    if interrupted:
        return ExitCode.interrupted
    return ExitCode.some_files_failed if failed else ExitCode.ok


def _render_report(out: Console, report: Report, worst: int, seconds: float) -> None:
    table = Table(title=f"evaluation on {len(report.cases)} images ({seconds:.1f} s)", show_header=False)
    table.add_row("string accuracy (exact)", f"[bold]{report.string_accuracy:.2%}[/]")
    table.add_row("digit accuracy (1 - CER)", f"[bold]{report.digit_accuracy:.2%}[/]")
    for length, (count, accuracy) in report.by_length().items():
        table.add_row(f"  strings of {length} digits", f"{accuracy:.2%} of {count}")
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
