"""`digitscan train` as the command line runs it: train on MNIST, or fine-tune on the user's documents."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from digitscan._files import ensure_folder
from digitscan.cli.ui import Consoles, TrainProgress
from digitscan.errors import DataError, ExitCode
from digitscan.training.recipe import FinetuneOptions, TrainOptions

if TYPE_CHECKING:
    from digitscan.training.train import TrainResult


@dataclass(frozen=True)
class TrainCommand:
    """What `digitscan train` was asked to do: where MNIST is, how to train, and whether to install the result."""

    # MNIST (.npz or IDX folder; none given: $DIGITSCAN_MNIST or Keras's download), other writers' digits (.npz)
    # and labelled documents (folders, labels CSVs), in any order (`training.data.split_data`)
    data: tuple[Path, ...] = ()
    install: bool = False  # make the result the bundled default model
    train: TrainOptions = field(default_factory=TrainOptions)


@dataclass(frozen=True)
class FinetuneCommand:
    """What `digitscan train --finetune FOLDER` was asked to do."""

    finetune: FinetuneOptions
    data: tuple[Path, ...] = ()  # MNIST to mix in (found among them); none: $DIGITSCAN_MNIST if set, else no MNIST


def run_train(command: TrainCommand, consoles: Consoles) -> ExitCode:
    """Train, render the summary, install if asked; returns the exit code (interrupted: the best model is kept)."""
    from digitscan.model.files import install_bundled
    from digitscan.training.data import load_mnist, split_data
    from digitscan.training.sources import load_source
    from digitscan.training.train import train

    mnist_path, source_paths = split_data(command.data)
    mnist = load_mnist(mnist_path)
    ensure_folder(command.train.out_dir)
    sources = []
    for path in source_paths:
        with consoles.err.status(f"loading {path}", spinner="dots"):
            sources.append(load_source(path))
        entry = sources[-1].describe()
        consoles.err.print(
            f"{path}: {entry['digits']:,} digits, {entry['marks']:,} marks, {entry['pairs']:,} touching pairs "
            f"({entry['title']})",
            highlight=False,
        )
    reporter = TrainProgress(consoles.err, quiet=consoles.quiet)
    try:
        result = train(mnist, command.train, reporter, sources)
    finally:
        reporter.stop()
    if result.interrupted and not result.card:
        consoles.err.print("[bold red]error:[/] interrupted before the first epoch finished; nothing was saved")
        return ExitCode.interrupted
    _render_training(consoles, result)
    if command.install:
        consoles.err.print(f"installed as the default model: {install_bundled(result.model_path, result.outputs)}")
    return ExitCode.interrupted if result.interrupted else ExitCode.ok


def run_finetune(command: FinetuneCommand, consoles: Consoles) -> ExitCode:
    """Cut the labelled digits out, fine-tune, and say how the held-out digits fared."""
    from digitscan.model.contract import REJECT, SEVERAL
    from digitscan.training.data import DATA_ENV, load_mnist, split_data
    from digitscan.training.finetune import collect_crops, finetune

    options, err = command.finetune, consoles.err
    if not options.folder.is_dir():
        raise DataError(f"{options.folder}: not a folder of labelled images")
    ensure_folder(options.out)
    crops = collect_crops(options.folder, options.labels, options.base)
    err.print(
        f"{int(crops.digits.sum())} labelled digits from {len(set(crops.files))} images in {options.folder}, "
        f"{crops.count(REJECT)} marks and {crops.count(SEVERAL)} neighbour pairs around them"
    )
    mnist_path, others = split_data(command.data)
    if others:
        raise DataError(f"fine-tuning mixes in MNIST only; {', '.join(map(str, others))} is not MNIST")
    mnist = load_mnist(mnist_path) if mnist_path or os.environ.get(DATA_ENV) else None
    if mnist is None:
        err.print("[yellow]no --data: fine-tuning on your digits only (MNIST mixed in keeps the model general)[/]")
    reporter = TrainProgress(err, quiet=consoles.quiet)
    try:
        path, card = finetune(crops, options, mnist=mnist, reporter=reporter)
    finally:
        reporter.stop()
    err.print(
        f"held-out digit accuracy {card['held_out_digit_accuracy_before']:.2%} -> "
        f"{card['held_out_digit_accuracy_after']:.2%}; model: {path}"
    )
    return ExitCode.ok


def _render_training(consoles: Consoles, result: TrainResult) -> None:
    from rich.table import Table

    card = result.card
    if result.interrupted:
        consoles.err.print(f"[yellow]interrupted:[/] the best model so far (epoch {card['best_epoch']}) is kept")
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
    for path in result.outputs:
        table.add_row("written", str(path))
    consoles.out.print(table)
