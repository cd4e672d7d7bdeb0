"""The `digitscan` command line: typer signatures that build each command's options and run it.

Each command here only parses its options into one frozen object and hands it,
with the consoles, to its `run_*` function (`scan.py`, `eval.py`, `train.py`,
`doctor.py`). Library errors become one-line messages and exit codes in
`errors_to_exit_codes`, the one place that does so. Defaults are the options
objects' own (`ScanOptions`, `TrainOptions`, ...), shown here, not restated.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from digitscan import __version__
from digitscan.cli.doctor import DoctorCommand
from digitscan.cli.eval import EvalCommand
from digitscan.cli.help import Command as PlainHelpCommand
from digitscan.cli.help import Group as PlainHelpGroup
from digitscan.cli.review import ReviewCommand
from digitscan.cli.scan import ScanCommand
from digitscan.cli.signals import terminate_as_interrupt
from digitscan.cli.train import FinetuneCommand, TrainCommand
from digitscan.cli.ui import Consoles
from digitscan.errors import DigitscanError, ExitCode, is_interrupt
from digitscan.scan.options import ScanOptions
from digitscan.scan.storage import is_uri
from digitscan.scan.write import DEFAULT_FORMAT
from digitscan.training.recipe import FinetuneOptions, TrainOptions

Command = TypeVar("Command")

app = typer.Typer(
    name="digitscan",
    help="Read handwritten digit strings from photos and scans, in batches.\n\n"
    "Examples:\ndigitscan scan samples/\ndigitscan scan 'scans/**/*.jpg' -o results.csv\n"
    "digitscan eval samples/\ndigitscan review results.jsonl\ndigitscan train --data mnist.npz\ndigitscan doctor",
    cls=PlainHelpGroup,
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
    pretty_exceptions_enable=False,
)

ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model", "-m", envvar="DIGITSCAN_MODEL", help="Model file (.h5/.keras); default: the bundled model."
    ),
]
ReadWholeOption = Annotated[
    bool,
    typer.Option(
        "--read-whole/--no-read-whole",
        help="Also read each number whole with the string reader; the reading both networks find likelier wins.",
    ),
]
ReaderOption = Annotated[
    Path | None,
    typer.Option(
        "--reader",
        metavar="PATH",
        help="The string reader's model file; default: the bundled one. Reads pages' words and register cells too,"
        " unless --page-reader, --cell-reader.",
    ),
]
PageReaderOption = Annotated[
    Path | None,
    typer.Option(
        "--page-reader",
        metavar="PATH",
        help="The string reader for pages' words (not crops'); default: the bundled page reader, or --reader.",
    ),
]
CellReaderOption = Annotated[
    Path | None,
    typer.Option(
        "--cell-reader",
        metavar="PATH",
        help="The string reader for register cells (crops tall enough to be a ruled sheet's cell, not an amount cut"
        " tight); default: the bundled cell reader, or --reader.",
    ),
]

DropPrintOption = Annotated[
    bool,
    typer.Option(
        "--drop-print/--keep-print",
        help="Leave out a page's numbers that the print detector finds printed (a form's number, a page number).",
    ),
]
PrintModelOption = Annotated[
    Path | None,
    typer.Option("--print-detector", metavar="PATH", help="The print detector's model file; default: the bundled one."),
]


QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Only results and errors; no progress.")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="More detail, TensorFlow's logs too.")]


def _fail(consoles: Consoles, message: str, code: ExitCode) -> NoReturn:
    from rich.markup import escape

    # A message is plain text: paths and `pip install 'digitscan[train]'` hold brackets rich would take as markup.
    consoles.err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(int(code))


@contextlib.contextmanager
def errors_to_exit_codes(consoles: Consoles) -> Iterator[None]:
    """The one place library errors become messages and exit codes (no tracebacks)."""
    try:
        yield
    except DigitscanError as exc:
        _fail(consoles, str(exc), exc.exit_code)
    except (typer.Exit, typer.Abort):
        raise
    except BaseException as exc:
        if is_interrupt(exc):
            consoles.err.print("[yellow]interrupted[/]")
            raise typer.Exit(int(ExitCode.interrupted)) from None
        if not isinstance(exc, Exception):
            raise  # SystemExit and the like are not errors
        if consoles.verbose:
            consoles.err.print_exception()
        message = f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details, and please report it)"
        _fail(consoles, message, ExitCode.usage_error)


def _say_how_much(consoles: Consoles, quiet: bool, verbose: bool) -> None:
    """`-q`/`-v`, given before the command or after it (either place turns it on)."""
    consoles.quiet, consoles.verbose = consoles.quiet or quiet, consoles.verbose or verbose
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")


def _run(
    ctx: typer.Context,
    run: Callable[[Command, Consoles], ExitCode],
    command: Command,
    quiet: bool = Consoles.quiet,
    verbose: bool = Consoles.verbose,
) -> NoReturn:
    """Run a command's `run_*` function with the consoles; its exit code ends the process."""
    consoles = ctx.ensure_object(Consoles)
    _say_how_much(consoles, quiet, verbose)
    with errors_to_exit_codes(consoles):
        terminate_as_interrupt()
        code = run(command, consoles)
    raise typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        Consoles().out.print(f"digitscan {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    quiet: QuietOption = Consoles.quiet,
    verbose: VerboseOption = Consoles.verbose,
) -> None:
    _say_how_much(ctx.ensure_object(Consoles), quiet, verbose)


class Arch(str, Enum):
    digitnet = "digitnet"
    lenet = "lenet"
    stringnet = "stringnet"
    printnet = "printnet"


DEFAULT_ARCH = Arch(TrainOptions.arch)


@app.command(cls=PlainHelpCommand)
def train(
    ctx: typer.Context,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            envvar="DIGITSCAN_MNIST",
            help="Training data, repeatable: MNIST (.npz or IDX folder) and other writers' digits (.npz: x_train/"
            "y_train or x/y) or labelled documents (a folder with labels.csv, or a labels CSV in one).",
        ),
    ] = None,
    arch: Annotated[
        Arch,
        typer.Option(
            help="Network: digitnet (default), lenet (the tutorial baseline), stringnet (the string reader) or "
            "printnet (the print detector)."
        ),
    ] = DEFAULT_ARCH,
    epochs: Annotated[int | None, typer.Option(min=1, help="Epochs (default: the recipe's; 15 to fine-tune).")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Batch size (default: the recipe's).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed, for reproducible runs.")] = TrainOptions.seed,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder (default: runs/ARCH).")] = None,
    validation: Annotated[
        int, typer.Option(min=100, help="Training digits held out for validation.")
    ] = TrainOptions.validation_size,
    augment: Annotated[bool | None, typer.Option("--augment/--no-augment", help="Synthetic distortions.")] = None,
    install: Annotated[
        bool,
        typer.Option(
            help="Install the result as the bundled default model (the old one is kept in models/replaced/), "
            "unless it reads the samples worse or has no 'not a digit' output."
        ),
    ] = TrainCommand.install,
    force: Annotated[
        bool, typer.Option(help="With --install: install even a model that fails those checks.")
    ] = TrainCommand.force,
    finetune: Annotated[
        Path | None, typer.Option(help="Fine-tune --model on this folder of labelled images instead (labels.csv).")
    ] = None,
    labels: Annotated[Path | None, typer.Option(help="With --finetune: the file,digits CSV to use.")] = None,
    start_from: Annotated[
        Path | None,
        typer.Option(help="With --arch stringnet: continue training this reader (2 epochs at a lower rate)."),
    ] = TrainOptions.start_from,
    page_words: Annotated[
        int,
        typer.Option(
            min=0, help="With --arch stringnet: also learn the words the scanner cuts out of this many training pages."
        ),
    ] = TrainOptions.page_words,
    cell_words: Annotated[
        int,
        typer.Option(
            min=0,
            help="With --arch stringnet: also learn the words the scanner cuts out of this many training register "
            "cells (scanned archives' crops).",
        ),
    ] = TrainOptions.cell_words,
    empty_cells: Annotated[
        int,
        typer.Option(
            min=0,
            help="With --arch stringnet: also learn as nothing the words the scanner cuts out of this many training "
            "register cells left empty (a register's blank rows).",
        ),
    ] = TrainOptions.empty_cells,
    average: Annotated[
        list[Path] | None,
        typer.Option(
            help="With --arch stringnet: average these readers' weights into one instead of training (two or more, "
            "each continued from the same reader)."
        ),
    ] = None,
    typefaces: Annotated[
        list[Path] | None,
        typer.Option(
            help="With --arch printnet: font files (TrueType, OpenType), or folders of them, the print it learns is "
            "set in; repeatable."
        ),
    ] = None,
    print_pages: Annotated[
        int,
        typer.Option(
            min=0, help="With --arch printnet: training pages set in them whose glyphs, cut by the scanner, it learns."
        ),
    ] = TrainOptions.print_pages,
    model: ModelOption = None,
    quiet: QuietOption = Consoles.quiet,
    verbose: VerboseOption = Consoles.verbose,
) -> None:
    """Train a CNN on MNIST and other writers' digits; write the HDF5 model, its card and plots. Or fine-tune one.

    Examples:
    [bold]digitscan train --data mnist.npz[/]
    [bold]digitscan train --data mnist.npz --data cvl-digits.npz --data usps.npz --data checks/[/]
    [bold]digitscan train --arch lenet --epochs 5 --batch-size 16[/]
    [bold]digitscan train --data mnist.npz --install[/]
    [bold]digitscan train --finetune my-forms/ --data mnist.npz --out runs/mine[/]
    [bold]digitscan train --arch stringnet --average a/stringnet.h5 --average b/stringnet.h5 --data mnist.npz[/]
    [bold]digitscan train --arch printnet --typefaces /usr/share/fonts/truetype/ --data mnist.npz[/]
    """
    from digitscan.cli.train import run_finetune, run_train

    given = tuple(data or ())
    if finetune is not None:
        options = FinetuneOptions(
            folder=finetune,
            labels=labels,
            base=model,
            out=out_dir or FinetuneOptions.out,
            epochs=epochs or FinetuneOptions.epochs,
            batch_size=batch_size or FinetuneOptions.batch_size,
            seed=seed,
        )
        _run(ctx, run_finetune, FinetuneCommand(options, data=given), quiet, verbose)
    options = TrainOptions(
        arch=arch.value,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        out=out_dir,
        validation_size=validation,
        augment=augment,
        start_from=start_from,
        page_words=page_words,
        cell_words=cell_words,
        empty_cells=empty_cells,
        average=tuple(average or ()),
        typefaces=tuple(typefaces or ()),
        print_pages=print_pages,
    )
    _run(ctx, run_train, TrainCommand(data=given, install=install, force=force, train=options), quiet, verbose)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"
    json = "json"
    parquet = "parquet"


class Precision(str, Enum):
    int8 = "int8"
    float32 = "float32"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


DEFAULT_ENGINE = Engine(ScanCommand.engine)


@app.command(cls=PlainHelpCommand)
def scan(
    ctx: typer.Context,
    inputs: Annotated[
        list[str],
        typer.Argument(help="Image files, folders (recursive), globs, or - for a list on stdin.", show_default=False),
    ],
    model: ModelOption = None,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="table (default on a terminal), csv, jsonl, json, parquet."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write results here (format from the suffix); - for stdout (CSV unless --format); s3://, gs:// too.",
        ),
    ] = None,
    overlay: Annotated[
        Path | None, typer.Option(help="Folder for copies of the images with what was read drawn on.")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Flag digits below this for review ('?').")
    ] = ScanOptions.min_confidence,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=0, help="Worker processes (default: cores; 0: none).")
    ] = ScanOptions.workers,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Digits gathered across files and classified together.")
    ] = ScanOptions.batch_digits,
    max_pixels: Annotated[
        int, typer.Option(min=1, help="Refuse images larger than this many pixels.")
    ] = ScanOptions.max_pixels,
    timeout_per_file: Annotated[
        float, typer.Option(min=0.1, help="Seconds before a file's worker is stopped (not with --workers 0).")
    ] = ScanOptions.timeout_per_file,
    read_whole: ReadWholeOption = ScanOptions.read_whole,
    reader: ReaderOption = None,
    page_reader: PageReaderOption = None,
    cell_reader: CellReaderOption = None,
    drop_print: DropPrintOption = ScanOptions.drop_print,
    print_detector: PrintModelOption = None,
    resume: Annotated[bool, typer.Option(help="Skip files already in --output, append the rest.")] = ScanCommand.resume,
    review: Annotated[
        Path | None, typer.Option(help="Also write a review page of the doubtful readings here (HTML).")
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="local: this machine's workers; ray: a Ray cluster (the ray extra).")
    ] = DEFAULT_ENGINE,
    ray_address: Annotated[
        str | None,
        typer.Option(
            envvar="RAY_ADDRESS",
            metavar="ADDRESS",
            help="With --engine ray: the cluster (auto, HOST:6379, ray://HOST:10001); default: a new local one.",
        ),
    ] = ScanCommand.ray_address,
    quiet: QuietOption = Consoles.quiet,
    verbose: VerboseOption = Consoles.verbose,
) -> None:
    """Read the digit strings in images and PDFs.

    Examples:
    [bold]digitscan scan samples/[/]
    [bold]digitscan scan 'scans/**/*.jpg' -o results.csv[/]
    [bold]find . -name '*.png' | digitscan scan - -f jsonl > results.jsonl[/]
    [bold]digitscan scan checks/ -o results.csv --overlay overlays/[/]
    [bold]digitscan scan big-folder/ -o results.csv --resume[/]

    On a terminal, up to 200 files are shown as one table; a larger run prints a line per page as it goes.
    """
    from digitscan.cli.scan import run_scan

    options = ScanOptions(
        workers=workers,
        batch_digits=batch_size,
        min_confidence=min_confidence,
        max_pixels=max_pixels,
        timeout_per_file=timeout_per_file,
        read_whole=read_whole,
        reader_model=str(reader) if reader else None,
        page_reader_model=str(page_reader) if page_reader else None,
        cell_reader_model=str(cell_reader) if cell_reader else None,
        drop_print=drop_print,
        print_model=str(print_detector) if print_detector else None,
    )
    remote = output is not None and is_uri(output)  # object storage: staged locally, uploaded at the end
    stdout = output == "-"  # as for the inputs, "-" names the standard stream: results there, not in a file "-"
    command = ScanCommand(
        inputs=tuple(inputs),
        model=model,
        fmt=fmt.value if fmt else DEFAULT_FORMAT if stdout else None,
        output=Path(output) if output is not None and not remote and not stdout else None,
        overlay=overlay,
        resume=resume,
        review=review,
        scan=options,
        output_uri=output if remote else None,
        engine=engine.value,
        ray_address=ray_address,
    )
    _run(ctx, run_scan, command, quiet, verbose)


@app.command("eval", cls=PlainHelpCommand)
def evaluate(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder of images (searched recursively).", show_default=False)],
    truth: Annotated[
        Path | None, typer.Option(help="file,digits CSV (default: PATH/labels.csv, else PATH/expected.csv).")
    ] = None,
    model: ModelOption = None,
    overlay: Annotated[Path | None, typer.Option(help="Draw the worst cases into this folder.")] = None,
    worst: Annotated[int, typer.Option(min=0, help="How many of the worst cases to list.")] = EvalCommand.worst,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=0, help="Worker processes.")
    ] = ScanOptions.workers,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write every case as CSV.")] = None,
    read_whole: ReadWholeOption = ScanOptions.read_whole,
    reader: ReaderOption = None,
    page_reader: PageReaderOption = None,
    cell_reader: CellReaderOption = None,
    drop_print: DropPrintOption = ScanOptions.drop_print,
    print_detector: PrintModelOption = None,
    quiet: QuietOption = Consoles.quiet,
    verbose: VerboseOption = Consoles.verbose,
) -> None:
    """Scan a labelled folder and score it: string and digit accuracy, by length, worst cases.

    Examples:
    [bold]digitscan eval samples/[/]
    [bold]digitscan eval ../shared/datasets/orand-car-a-dev/[/]
    [bold]digitscan eval photos/ --truth truth.csv --overlay worst/ --worst 20 -o cases.csv[/]
    """
    from digitscan.cli.eval import run_eval

    command = EvalCommand(
        path=path,
        truth=truth,
        model=model,
        overlay=overlay,
        worst=worst,
        output=output,
        scan=ScanOptions(
            workers=workers,
            read_whole=read_whole,
            reader_model=str(reader) if reader else None,
            page_reader_model=str(page_reader) if page_reader else None,
            cell_reader_model=str(cell_reader) if cell_reader else None,
            drop_print=drop_print,
            print_model=str(print_detector) if print_detector else None,
        ),
    )
    _run(ctx, run_eval, command, quiet, verbose)


@app.command(cls=PlainHelpCommand)
def review(
    ctx: typer.Context,
    results: Annotated[
        Path,
        typer.Argument(help="A scan's JSONL, JSON or CSV output (its images are found from it).", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML page to write.")] = ReviewCommand.out,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many entries (flagged, then least sure, first).")
    ] = ReviewCommand.limit,
    quiet: QuietOption = Consoles.quiet,
    verbose: VerboseOption = Consoles.verbose,
) -> None:
    """Write one HTML page to check the doubtful readings, flagged first; its export is fine-tuning data.

    Examples:
    [bold]digitscan review results.jsonl[/]
    [bold]digitscan review results.csv --out review.html --limit 500[/]

    The page's Export saves labels.csv (and boxes.csv, from JSON results) for train --finetune.
    """
    from digitscan.cli.review import run_review

    _run(ctx, run_review, ReviewCommand(results=results, out=out, limit=limit), quiet, verbose)


@app.command(cls=PlainHelpCommand)
def doctor(
    ctx: typer.Context,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = DoctorCommand.as_json,
    self_test: Annotated[
        bool, typer.Option("--self-test/--no-self-test", help="Scan the bundled samples.")
    ] = DoctorCommand.self_test,
    quiet: QuietOption = Consoles.quiet,
    verbose: VerboseOption = Consoles.verbose,
) -> None:
    """Check that this machine can train and scan, and say how to fix what is missing.

    Examples:
    [bold]digitscan doctor[/]
    [bold]digitscan doctor --json > report.json[/]
    """
    from digitscan.cli.doctor import run_doctor

    _run(ctx, run_doctor, DoctorCommand(model=model, as_json=as_json, self_test=self_test), quiet, verbose)


@app.command(cls=PlainHelpCommand)
def export(
    ctx: typer.Context,
    model: Annotated[
        Path | None,
        typer.Argument(help="Keras model file (.h5/.keras); default: the bundled model.", show_default=False),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="MNIST (.npz or IDX folder): the export is measured on its test split.")
    ] = None,
    precision: Annotated[
        Precision | None,
        typer.Option(
            help="int8: twice as fast, kept where it reads as the Keras model does (else float32); "
            "default: int8 for a classifier, float32 for a string reader.",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOption = Consoles.quiet,
    verbose: VerboseOption = Consoles.verbose,
) -> None:
    """Write the copy of a Keras model that scanning runs without TensorFlow (MODEL.onnx beside it).

    Training and fine-tuning do this at their end; it needs the train extra.

    Examples:
    [bold]digitscan export runs/digitnet/digitnet.h5 --data mnist.npz[/]
    """
    from digitscan.cli.export import ExportCommand, run_export

    command = ExportCommand(model=model, data=data, precision=precision.value if precision else None)
    _run(ctx, run_export, command, quiet, verbose)


def main() -> None:
    """Console-script entry point."""
    consoles = Consoles()
    started = time.perf_counter()
    try:
        app(obj=consoles)
    finally:
        if consoles.verbose:
            consoles.err.print(f"[dim]{time.perf_counter() - started:.1f} s[/]")
