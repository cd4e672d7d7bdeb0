"""`digitscan scan` as the command line runs it: inputs, writer, overlays, progress, summary.

Kept apart from the typer signature (`app.py`) so the option parsing stays
thin, and apart from the pipeline so the library has no terminal in it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from digitscan._files import ensure_folder
from digitscan.cli.review import check_page_writable, review_records
from digitscan.cli.signals import interrupts_deferred
from digitscan.cli.ui import Consoles, ScanProgress, results_table
from digitscan.errors import DataError, DigitscanError, ExitCode, InputError, interrupts_caught
from digitscan.model.files import model_file
from digitscan.results import FileResult
from digitscan.scan.inputs import check_file, common_folder, expand_inputs, folder_links
from digitscan.scan.options import ScanOptions
from digitscan.scan.storage import expand_any, is_uri, prepare_any
from digitscan.scan.write import FORMATS, format_for, open_writer

if TYPE_CHECKING:
    from digitscan.model.files import LoadedModel
    from digitscan.scan.pipeline import Scanner
    from digitscan.scan.ray_engine import RayScanner
    from digitscan.scan.warmup import EarlyModel

TABLE_LIMIT = 200  # on a terminal, larger runs print a line per page as it is read instead of one table at the end


@dataclass(frozen=True)
class ScanCommand:
    """What `digitscan scan` was asked to do: the inputs, where the results go, and how to scan them."""

    inputs: tuple[str, ...]
    model: Path | None = None
    fmt: str | None = None  # table, csv, jsonl, json; None: a table on the terminal, else by the output's suffix
    output: Path | None = None
    overlay: Path | None = None  # a folder for copies of the images with what was read drawn on
    resume: bool = False  # skip the files already in `output`, append the rest
    review: Path | None = None  # an HTML page to check the doubtful readings, written when the scan ends
    scan: ScanOptions = field(default_factory=ScanOptions)
    output_uri: str | None = None  # an output in object storage (s3://, gs://): written locally, uploaded at the end
    engine: str = "local"  # local: this machine's worker pool; ray: a Ray cluster (`scan/ray_engine.py`)
    ray_address: str | None = None  # with engine ray: the cluster to join; None: a new local Ray instance


@dataclass
class Tally:
    """What a run has read so far, for the summary line."""

    files: int = 0
    pages: int = 0
    strings: int = 0
    digits: int = 0
    flagged: int = 0
    to_review: int = 0  # strings flagged as a whole (`DigitString.review`)
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
        self.to_review += sum(s.review for s in result.strings)


def for_inputs(options: ScanOptions, inputs: list[str]) -> ScanOptions:
    """The scan options for these inputs: one image file, with no `--workers` asked for, is read in this process.

    Starting worker processes for one image costs more than reading it (`bench/startup_bench.py`: one image from
    the command line in about 1.1-1.4 s with a worker, 0.8 s without); without a worker, `--timeout-per-file`
    does not apply, as with `--workers 0`.
    """
    if options.workers is None and len(inputs) == 1 and not is_uri(inputs[0]) and Path(inputs[0]).is_file():
        return replace(options, workers=0)
    return options


def make_scanner(model: LoadedModel | Path | None, options: ScanOptions, err: Console, **kwargs: Any) -> Scanner:
    """The pipeline, imported late: `--help` must not wait for OpenCV and the model's runtime.

    Says once, on `err`, what a model without the "not a digit" output will get wrong.
    """
    from digitscan.model.contract import reject_outputs
    from digitscan.scan.pipeline import Scanner

    scanner = Scanner(model, options, **kwargs)
    loaded = scanner.classifier.loaded
    if not reject_outputs(loaded.classes):
        err.print(
            f'[yellow]warning:[/] {loaded.path} has no "not a digit" output: printed words, marks and ruling '
            "will be read as digits",
            highlight=False,
        )
    return scanner


def make_ray_scanner(model: LoadedModel, command: ScanCommand, err: Console) -> RayScanner:
    """The Ray engine (`scan/ray_engine.py`), joined to `command.ray_address` or a new local instance."""
    from digitscan.scan.ray_engine import RayScanner

    def say(message: str) -> None:
        err.print(f"[yellow]warning:[/] {message}", highlight=False)

    return RayScanner(model, command.scan, address=command.ray_address, say=say)  # Scanner's scan_files


def run_scan(command: ScanCommand, consoles: Consoles) -> ExitCode:
    """Scan, write and render; returns the exit code (an object-storage output is staged here, then uploaded)."""
    if command.output_uri is None:
        return _run_scan(command, consoles)
    from digitscan.scan.storage import staged_output

    with staged_output(command.output_uri, command.resume) as local:
        return _run_scan(replace(command, output=local), consoles)


def _run_scan(command: ScanCommand, consoles: Consoles) -> ExitCode:
    """Scan, write and render; returns the exit code.

    Everything that can make the run pointless (an unwritable output or
    overlay folder, no inputs, a missing model) fails before any model is
    loaded, without touching an existing output; a file that is missing or
    cannot be opened gets its error row without it too. From the first file
    that will be read, the model loads on a thread and the workers' server
    starts while the rest of the inputs are listed (`scan/warmup.py`).
    Ctrl-C or SIGTERM stops the run: every file finished so far is in the
    output, which is complete and valid, and `--resume` goes on from there.
    """
    inputs, output, overlay, fmt = list(command.inputs), command.output, command.overlay, command.fmt
    out, err, quiet = consoles.out, consoles.err, consoles.quiet
    if command.resume and output is None:
        raise DigitscanError("--resume needs --output (the file to continue)")
    if command.engine == "ray":
        from digitscan.scan.ray_engine import import_ray

        import_ray()  # without the extra: how to install it, before any work
    if command.review is not None:
        check_page_writable(command.review)
    mismatch = format_mismatch(output, fmt)
    if mismatch:
        err.print(f"[yellow]warning:[/] {mismatch}", highlight=False)
    table_mode = (fmt in (None, "table")) and output is None
    requested = None if fmt == "table" else fmt
    writer = None if table_mode else open_writer(output, format_for(output, requested), command.resume)
    early: EarlyModel | None = None
    options = for_inputs(command.scan, inputs)
    try:
        if overlay is not None:
            ensure_folder(overlay)
        paths: list[str] = []
        unreadable: dict[str, str] = {}  # a file that cannot be opened: its error, known without the model
        skipped = failed_before = 0
        remote = any(is_uri(arg) for arg in inputs)  # object storage (s3://, gs://): listed by `scan/storage.py`
        stdin = sys.stdin if "-" in inputs else None
        listed = expand_any(inputs, stdin) if remote else (str(p) for p in expand_inputs(inputs, stdin))
        for path in listed:
            if writer is not None and path in writer.done:
                skipped += 1
                failed_before += path in writer.failed
                continue
            paths.append(path)
            try:
                if not is_uri(path):
                    check_file(Path(path))
            except InputError as exc:
                unreadable[path] = str(exc)
                continue
            if early is None:  # the first file to read: the model and the workers will be needed
                from digitscan.scan.warmup import start_early

                model_file(command.model)
                early = start_early(command.model, 0 if command.engine == "ray" else options.workers)
        if not paths and not skipped:
            links = [link for arg in inputs for link in folder_links(Path(arg))]
            hint = f" (links to folders are not followed; name one to read it: {links[0]})" if links else ""
            raise DataError(f"no image or PDF files found in {' '.join(inputs)}{hint}")
        if early is None:
            scanner = None
        elif command.engine == "ray":
            scanner = make_ray_scanner(early.wait(), command, err)
        else:
            worker = {"worker": prepare_any} if remote else {}  # objects are copied to a temporary file first
            scanner = make_scanner(early.wait(), options, err, **worker)
    except BaseException:
        if early is not None:
            early.finish()  # stderr is silenced while TensorFlow is imported (no exported model): errors must show
        if writer is not None:
            writer.abort()
        raise
    base = common_folder(paths) if overlay is not None else None  # overlays are named relative to it
    tally, shown, started = Tally(), [], time.perf_counter()
    records: list[dict[str, Any]] = []  # every page read, for the review page
    progress = None if quiet else ScanProgress(err, len(paths))
    with interrupts_caught() as interruption:
        try:
            if progress:
                progress.start()
            for results in _read(paths, unreadable, scanner):
                with interrupts_deferred():  # a file's results are written whole, and counted once
                    if writer is not None:
                        writer.write_file(results)
                    tally.add_file(results)
                    if command.review is not None:
                        records.extend(result.to_dict() for result in results)
                for result in results:
                    if writer is None and len(paths) <= TABLE_LIMIT:
                        shown.append(_displayable(result))
                    elif writer is None:
                        _print_line(out, result)
                    if overlay is not None and result.error is None:
                        overlay_or_warn(result, overlay, err, base)
                if progress:
                    progress.update(tally.files, tally.digits)
        finally:
            if progress:
                progress.stop()
            if writer is not None:
                with interrupts_deferred():
                    writer.close()
    interrupted = interruption.happened
    if shown:
        out.print(results_table(shown))
    earlier = Earlier(skipped, failed_before)
    _summary(err, tally, len(paths), earlier, time.perf_counter() - started, output, interrupted, quiet)
    if command.review is not None:
        review_records(records, command.review, err, source=str(output or "digitscan scan"), limit=None)
    if interrupted:
        return ExitCode.interrupted
    return ExitCode.some_files_failed if tally.failed or failed_before else ExitCode.ok


def _read(
    paths: list[str], unreadable: dict[str, str], scanner: Scanner | RayScanner | None
) -> Iterator[list[FileResult]]:
    """Each file's results, in input order: those that cannot be opened from `unreadable`, the rest scanned."""
    scanned = scanner.scan_files([p for p in paths if p not in unreadable]) if scanner else iter(())
    with contextlib.closing(scanned) if scanner else contextlib.nullcontext():
        for path in paths:
            yield [FileResult(file=path, error=unreadable[path])] if path in unreadable else next(scanned)


def format_mismatch(output: Path | None, fmt: str | None) -> str | None:
    """What to say when `-o`'s suffix names one format and `-f` another: a reader would trust the suffix."""
    if output is None or fmt is None:
        return None
    written = format_for(output, None if fmt == "table" else fmt)
    if fmt == "table":
        return f"--format table is for the terminal; {output} is written as {written}, by its suffix"
    suffix = output.suffix.lower().lstrip(".")
    if suffix in FORMATS and suffix != fmt:
        return f"{output} is written as {fmt} (--format {fmt}), not as its suffix says"
    return None


def _displayable(result: FileResult) -> FileResult:
    """The result with a file name any terminal can show (names that are not UTF-8 are escaped)."""
    try:
        result.file.encode("utf-8")
    except UnicodeEncodeError:
        return replace(result, file=result.file.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
    return result


def overlay_or_warn(
    result: FileResult, folder: Path, err: Console, base: Path | None = None, truth: str | None = None
) -> None:
    """Draw what was read onto a copy of the page; a page that cannot be drawn is a warning, not a failure.

    `base` is the folder the overlay's name is relative to (`common_folder` of the inputs); `truth`, what eval
    says the page holds, is written beside the reading.
    """
    from digitscan.scan.overlay import write_overlay

    try:
        write_overlay(result, folder, base, truth)
    except (OSError, ValueError, StopIteration) as exc:
        err.print(f"[yellow]warning:[/] no overlay for {result.file}: {exc}")


def _print_line(out: Console, result: FileResult) -> None:
    text = f"error: {result.error}" if result.error else " ".join(s.shown() for s in result.strings)
    result = _displayable(result)
    out.print(f"{result.file}\t{result.page}\t{text}", highlight=False, markup=False, soft_wrap=True)


@dataclass(frozen=True)
class Earlier:
    """What an earlier run did that `--resume` skips: how many files, and how many of them failed."""

    skipped: int = 0
    failed: int = 0


def _summary(
    err: Console,
    tally: Tally,
    total: int,
    earlier: Earlier,
    seconds: float,
    output: Path | None,
    interrupted: bool,
    quiet: bool,
) -> None:
    """One line: how far the run got and what it found."""
    if quiet and not tally.failed and not earlier.failed and not interrupted:
        return
    head = f"[yellow]interrupted after {tally.files} of {total} files[/]" if interrupted else f"{tally.files} files"
    parts = [
        head,
        f"{tally.pages} pages",
        f"{tally.strings} strings",
        f"{tally.digits} digits",
        f"{tally.flagged} flagged",
        f"{tally.to_review} strings to review",
        f"[{'red' if tally.failed else 'green'}]{tally.failed} failed[/]",
        f"{seconds:.1f} s",
    ]
    if earlier.skipped:
        failed_note = f", {earlier.failed} of them failed" if earlier.failed else ""
        parts.append(f"{earlier.skipped} already done (--resume){failed_note}")
    err.print(" · ".join(parts))
    if output is not None:
        err.print(f"results: {output}" + (" (run again with --resume to finish)" if interrupted else ""))
