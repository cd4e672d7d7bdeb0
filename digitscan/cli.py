"""The `digitscan` command line: parse options, call the library, render with rich.

All real work lives in the library modules; this file only maps options to
calls, renders results, and turns `DigitscanError`s into one-line messages and
exit codes (in `errors_to_exit_codes`, the one place that does so).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from digitscan import __version__
from digitscan.errors import DigitscanError, ExitCode, is_interrupt

app = typer.Typer(
    name="digitscan",
    help="Read handwritten digit strings from photos and scans, in batches.\n\n"
    "Examples:\n\n  digitscan scan samples/\n\n  digitscan scan 'scans/**/*.jpg' -o results.csv\n\n"
    "  digitscan train --data mnist.npz\n\n  digitscan doctor",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
    pretty_exceptions_enable=False,
)


class State:
    quiet = False
    verbose = False


out = Console()
err = Console(stderr=True)
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model", "-m", envvar="DIGITSCAN_MODEL", help="Model file (.h5/.keras); default: the bundled model."
    ),
]


def fail(message: str, code: ExitCode = ExitCode.usage_error) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(int(code))


@contextlib.contextmanager
def errors_to_exit_codes() -> Iterator[None]:
    """The one place library errors become messages and exit codes (no tracebacks)."""
    try:
        yield
    except DigitscanError as exc:
        fail(str(exc), exc.exit_code)
    except (typer.Exit, typer.Abort):
        raise
    except BaseException as exc:
        if is_interrupt(exc):
            err.print("[yellow]interrupted[/]")
            raise typer.Exit(int(ExitCode.interrupted)) from None
        if not isinstance(exc, Exception):
            raise  # SystemExit and the like are not errors
        if State.verbose:
            err.print_exception()
        fail(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details, and please report it)")


def _terminate_as_interrupt() -> None:
    """SIGTERM stops a run as cleanly as Ctrl-C does."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, handler)


def _version(value: bool) -> None:
    if value:
        out.print(f"digitscan {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only results and errors; no progress.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail, TensorFlow's logs too.")] = False,
) -> None:
    State.quiet, State.verbose = quiet, verbose
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")


class Arch(str, Enum):
    digitnet = "digitnet"
    lenet = "lenet"


@app.command()
def train(
    data: Annotated[
        Path | None, typer.Option(envvar="DIGITSCAN_MNIST", help="MNIST .npz or folder of IDX files.")
    ] = None,
    arch: Annotated[
        Arch, typer.Option(help="Network: digitnet (default) or lenet (the tutorial baseline).")
    ] = Arch.digitnet,
    epochs: Annotated[int | None, typer.Option(min=1, help="Epochs (default: the recipe's; 15 to fine-tune).")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Batch size (default: the recipe's).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed, for reproducible runs.")] = 1,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder (default: runs/ARCH).")] = None,
    validation: Annotated[int, typer.Option(min=100, help="Training digits held out for validation.")] = 5000,
    augment: Annotated[bool | None, typer.Option("--augment/--no-augment", help="Synthetic distortions.")] = None,
    install: Annotated[bool, typer.Option(help="Install the result as the bundled default model.")] = False,
    finetune: Annotated[
        Path | None, typer.Option(help="Fine-tune --model on this folder of labelled images instead (labels.csv).")
    ] = None,
    labels: Annotated[Path | None, typer.Option(help="With --finetune: the file,digits CSV to use.")] = None,
    model: ModelOption = None,
) -> None:
    """Train a CNN on MNIST; write the HDF5 model, its card and plots. Or fine-tune one on your documents.

    Examples: [bold]digitscan train --data mnist.npz[/] ·
    [bold]digitscan train --arch lenet --epochs 5 --batch-size 16[/] ·
    [bold]digitscan train --data mnist.npz --install[/] ·
    [bold]digitscan train --finetune my-forms/ --data mnist.npz --out runs/mine[/]
    """
    from digitscan.ui import TrainProgress

    if finetune is not None:
        _finetune(finetune, labels, model, data, epochs, batch_size, seed, out_dir)
        return
    with errors_to_exit_codes():
        from digitscan.data import load_mnist
        from digitscan.train import TrainConfig
        from digitscan.train import install as install_model
        from digitscan.train import train as run_training

        mnist = load_mnist(data)
        config = TrainConfig(
            arch=arch.value,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            out=out_dir or Path("runs") / arch.value,
            validation_size=validation,
            augment=augment,
        )
        _check_out_dir(config.out)
        _terminate_as_interrupt()
        reporter = TrainProgress(err, quiet=State.quiet)
        try:
            result = run_training(mnist, config, reporter)
        finally:
            reporter.stop()
        if result.interrupted and not result.card:
            fail("interrupted before the first epoch finished; nothing was saved", ExitCode.interrupted)
        _render_training(result)
        if install:
            err.print(f"installed as the default model: {install_model(result)}")
        if result.interrupted:
            raise typer.Exit(int(ExitCode.interrupted))


def _finetune(
    folder: Path, labels: Path | None, model: Path | None, data: Path | None, epochs: int | None,
    batch_size: int | None, seed: int, out_dir: Path | None,
) -> None:  # fmt: skip
    from digitscan.ui import TrainProgress

    with errors_to_exit_codes():
        from digitscan.augment import REJECT, SEVERAL
        from digitscan.data import load_mnist
        from digitscan.finetune import FINETUNE_EPOCHS, collect_crops, finetune

        if not folder.is_dir():
            fail(f"{folder}: not a folder of labelled images")
        out = out_dir or Path("runs") / "finetuned"
        _check_out_dir(out)
        crops = collect_crops(folder, labels, model)
        err.print(
            f"{int(crops.digits.sum())} labelled digits from {len(set(crops.files))} images in {folder}, "
            f"{crops.count(REJECT)} marks and {crops.count(SEVERAL)} neighbour pairs around them"
        )
        mnist = load_mnist(data) if data or os.environ.get("DIGITSCAN_MNIST") else None
        if mnist is None:
            err.print("[yellow]no --data: fine-tuning on your digits only (MNIST mixed in keeps the model general)[/]")
        _terminate_as_interrupt()
        reporter = TrainProgress(err, quiet=State.quiet)
        try:
            path, card = finetune(
                crops, model, out, mnist=mnist, epochs=epochs or FINETUNE_EPOCHS, batch_size=batch_size or 64,
                seed=seed, reporter=reporter,
            )  # fmt: skip
        finally:
            reporter.stop()
        err.print(
            f"held-out digit accuracy {card['held_out_digit_accuracy_before']:.2%} -> "
            f"{card['held_out_digit_accuracy_after']:.2%}; model: {path}"
        )


def _check_out_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{folder}: cannot create output folder ({exc.strerror or exc})")
    if not os.access(folder, os.W_OK):
        fail(f"{folder}: output folder is not writable")


def _render_training(result: object) -> None:
    from rich.table import Table

    card = result.card  # type: ignore[attr-defined]
    if result.interrupted:  # type: ignore[attr-defined]
        err.print(f"[yellow]interrupted:[/] the best model so far (epoch {card['best_epoch']}) is kept")
    table = Table(title=f"{card['architecture']}: training summary", show_header=False)
    table.add_row("test accuracy", f"[bold]{card['test_accuracy']:.4%}[/] (inputs: {card['test_inputs']})")
    if card["recipe"]["normalise"]:  # scored through to_mnist: give the raw-pixel figure too
        table.add_row("on raw MNIST pixels", f"{card['test_accuracy_raw_pixels']:.4%}")
    table.add_row("validation accuracy", f"{card['validation_accuracy']:.4%} (epoch {card['best_epoch']})")
    table.add_row(
        "per-class test accuracy", "  ".join(f"{k}: {v:.3f}" for k, v in card["per_class_test_accuracy"].items())
    )
    table.add_row("parameters", f"{card['parameters']:,}")
    table.add_row("epochs run", str(card["epochs_run"]))
    table.add_row("wall time", f"{card['wall_time_s']:.1f} s")
    table.add_row("device", card["device"])
    for path in result.outputs:  # type: ignore[attr-defined]
        table.add_row("written", str(path))
    out.print(table)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"
    json = "json"


@app.command()
def scan(
    inputs: Annotated[
        list[str],
        typer.Argument(help="Image files, folders (recursive), globs, or - for a list on stdin.", show_default=False),
    ],
    model: ModelOption = None,
    fmt: Annotated[
        Format | None, typer.Option("--format", "-f", help="table (default on a terminal), csv, jsonl, json.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write results here (format from the suffix).")
    ] = None,
    overlay: Annotated[
        Path | None, typer.Option(help="Folder for copies of the images with what was read drawn on.")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Flag digits below this for review ('?').")
    ] = 0.5,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=0, help="Worker processes (default: cores; 0: none).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Digits classified per batch.")] = 512,
    max_pixels: Annotated[int, typer.Option(min=1, help="Refuse images larger than this many pixels.")] = 120_000_000,
    timeout_per_file: Annotated[
        float, typer.Option(min=0.1, help="Seconds before a file's worker is stopped (not with --workers 0).")
    ] = 120.0,
    resume: Annotated[bool, typer.Option(help="Skip files already in --output, append the rest.")] = False,
) -> None:
    """Read the digit strings in images.

    Examples: [bold]digitscan scan samples/[/] ·
    [bold]digitscan scan 'scans/**/*.jpg' -o results.csv[/] ·
    [bold]find . -name '*.png' | digitscan scan - -f jsonl[/] ·
    [bold]digitscan scan checks/ -o out.jsonl --resume[/]
    """
    from digitscan.batch import run_scan

    with errors_to_exit_codes():
        if resume and output is None:
            fail("--resume needs --output (the file to continue)")
        _terminate_as_interrupt()
        code = run_scan(
            inputs,
            model=model,
            fmt=fmt.value if fmt else None,
            output=output,
            overlay=overlay,
            min_confidence=min_confidence,
            workers=workers,
            batch_size=batch_size,
            max_pixels=max_pixels,
            timeout_per_file=timeout_per_file,
            resume=resume,
            quiet=State.quiet,
            out=out,
            err=err,
        )
        raise typer.Exit(int(code))


@app.command("eval")
def evaluate(
    path: Annotated[Path, typer.Argument(help="Folder of images (searched recursively).", show_default=False)],
    truth: Annotated[Path | None, typer.Option(help="file,digits CSV (default: PATH/labels.csv).")] = None,
    model: ModelOption = None,
    overlay: Annotated[Path | None, typer.Option(help="Draw the worst cases into this folder.")] = None,
    worst: Annotated[int, typer.Option(min=0, help="How many of the worst cases to list.")] = 15,
    workers: Annotated[int | None, typer.Option("--workers", "-j", min=0, help="Worker processes.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write every case as CSV.")] = None,
) -> None:
    """Scan a labelled folder and score it: string and digit accuracy, by length, worst cases.

    Example: [bold]digitscan eval ../shared/datasets/orand-car-a-dev/[/]
    """
    from digitscan.batch import run_eval

    with errors_to_exit_codes():
        _terminate_as_interrupt()
        code = run_eval(
            path,
            truth=truth,
            model=model,
            overlay=overlay,
            worst=worst,
            workers=workers,
            output=output,
            quiet=State.quiet,
            out=out,
            err=err,
        )
        raise typer.Exit(int(code))


@app.command()
def doctor(
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    self_test: Annotated[bool, typer.Option("--self-test/--no-self-test", help="Scan the bundled samples.")] = True,
) -> None:
    """Check that this machine can train and scan, and say how to fix what is missing.

    Examples: [bold]digitscan doctor[/] · [bold]digitscan doctor --json > report.json[/]
    """
    from digitscan.doctor import render, run_checks

    with errors_to_exit_codes():
        checks = run_checks(model=model, self_test=self_test)
        code = render(checks, as_json=as_json, console=out)
        raise typer.Exit(int(code))


def main() -> None:
    """Console-script entry point."""
    started = time.perf_counter()
    try:
        app()
    finally:
        if State.verbose:
            err.print(f"[dim]{time.perf_counter() - started:.1f} s[/]")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
