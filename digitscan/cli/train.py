"""`digitscan train` as the command line runs it: train on MNIST, or fine-tune on the user's documents."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from digitscan._files import ensure_folder
from digitscan.cli.ui import Consoles, TrainProgress
from digitscan.errors import DataError, ExitCode, ModelError
from digitscan.training.recipe import FinetuneOptions, TrainOptions

if TYPE_CHECKING:
    from digitscan.scan.evaluate import Report
    from digitscan.training.data import Mnist
    from digitscan.training.train import TrainResult


@dataclass(frozen=True)
class TrainCommand:
    """What `digitscan train` was asked to do: where MNIST is, how to train, and whether to install the result."""

    # MNIST (.npz or IDX folder; none given: $DIGITSCAN_MNIST or Keras's download), other writers' digits (.npz)
    # and labelled documents (folders, labels CSVs), in any order (`training.data.split_data`)
    data: tuple[Path, ...] = ()
    install: bool = False  # make the result the bundled default model (if it passes `install_model`'s checks)
    force: bool = False  # install even a model that scores lower on the self-test or has no "not a digit" output
    train: TrainOptions = field(default_factory=TrainOptions)


@dataclass(frozen=True)
class FinetuneCommand:
    """What `digitscan train --finetune FOLDER` was asked to do."""

    finetune: FinetuneOptions
    data: tuple[Path, ...] = ()  # MNIST to mix in (found among them); none: $DIGITSCAN_MNIST if set, else no MNIST


def run_train(command: TrainCommand, consoles: Consoles) -> ExitCode:
    """Train, render the summary, install if asked; returns the exit code (interrupted: the best model is kept)."""
    from digitscan.training.data import load_mnist, split_data
    from digitscan.training.sources import load_source
    from digitscan.training.train import train

    options = command.train
    made = options.page_words or options.cell_words or options.empty_cells
    if options.arch != "stringnet" and (options.start_from is not None or made):
        raise DataError(
            "--start-from, --page-words, --cell-words and --empty-cells train the string reader: add --arch stringnet"
        )
    if options.arch == "stringnet" and command.install:
        raise DataError("--install makes a digit classifier the default; a string reader is used with --reader PATH")
    if options.arch == "printnet" and (command.install or not options.typefaces):
        raise DataError("--arch printnet needs --typefaces (font files or folders of them) and makes no default model")
    if options.arch != "printnet" and options.typefaces:
        raise DataError("--typefaces set the print the print detector learns: add --arch printnet")
    if options.start_from is not None and not options.start_from.is_file():
        raise DataError(f"{options.start_from}: no such reader to start from (--start-from)")
    if options.average:
        if options.arch != "stringnet" or len(options.average) < 2 or options.start_from is not None or made:
            raise DataError("--average takes two readers or more, with --arch stringnet, and nothing to train on")
        if missing := [str(path) for path in options.average if not path.is_file()]:
            raise DataError(f"{', '.join(missing)}: no such reader to average (--average)")
    mnist_path, source_paths = split_data(command.data)
    mnist = load_mnist(mnist_path)
    ensure_folder(options.out_dir)
    if options.average:
        return _run_average_readers(command, consoles, mnist)
    if options.arch == "stringnet":
        return _run_train_reader(command, consoles, mnist, source_paths)
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
        if options.arch == "printnet":
            from digitscan.training.printed import train_printnet

            result = train_printnet(mnist, options, reporter, sources)
        else:
            result = train(mnist, command.train, reporter, sources)
    finally:
        reporter.stop()
    if result.interrupted and not result.card:
        consoles.err.print("[bold red]error:[/] interrupted before the first epoch finished; nothing was saved")
        return ExitCode.interrupted
    if options.arch == "printnet":
        card = result.card
        consoles.err.print(
            f"printnet: validation accuracy {card['validation_accuracy']:.2%}; MNIST test digits taken for print "
            f"{card['test_taken_for_print']:.2%}; saved {result.model_path}",
            highlight=False,
        )
        return ExitCode.interrupted if result.interrupted else ExitCode.ok
    _render_training(consoles, result)
    if command.install:
        install_model(result.model_path, result.outputs, command.force, consoles)
    return ExitCode.interrupted if result.interrupted else ExitCode.ok


def _run_train_reader(
    command: TrainCommand, consoles: Consoles, mnist: Mnist, source_paths: tuple[Path, ...]
) -> ExitCode:
    """Train the string reader: digit sources feed its synthetic lines, documents give it real ones."""
    from digitscan.training.reader import Documents, load_documents, train_reader
    from digitscan.training.sources import Source, load_source

    sources: list[Source] = []
    documents: list[Documents] = []
    for path in source_paths:
        with consoles.err.status(f"loading {path}", spinner="dots"):
            if path.is_dir() or path.suffix.lower() == ".csv":
                documents.append(load_documents(path))
                entry = f"{len(documents[-1].files):,} labelled lines"
            else:
                sources.append(load_source(path))
                entry = f"{int((sources[-1].labels < 10).sum()):,} digits"
        consoles.err.print(f"{path}: {entry}", highlight=False)
    made = (
        ("page words", command.train.page_words, "pages"),
        ("cell words", command.train.cell_words, "register cells"),
        ("empty cells", command.train.empty_cells, "register cells left empty"),
    )
    for name, count, what in made:
        if count:
            consoles.err.print(
                f"{name}: writing {count:,} training {what} and cutting their words out first", highlight=False
            )
    reporter = TrainProgress(consoles.err, quiet=consoles.quiet)
    try:
        result = train_reader(mnist, command.train, reporter, sources, documents)
    finally:
        reporter.stop()
    if result.interrupted and not result.card:
        consoles.err.print("[bold red]error:[/] interrupted before the first epoch finished; nothing was saved")
        return ExitCode.interrupted
    card = result.card
    for source in card["sources"]:
        unit = {"generated pages": "pages", "generated register cells": "cells"}.get(source["kind"])
        if unit:
            consoles.err.print(
                f"{source['name']}: {source['numbers']:,} numbers and {source['nothing']:,} words of print or "
                f"pattern from {source[unit]:,} {unit}",
                highlight=False,
            )
    consoles.out.print(
        f"stringnet: {card['validation_string_accuracy']:.2%} of {card['validation']} read exactly "
        f"(epoch {card['best_epoch']}); {card['test_string_accuracy']:.2%} of {card['test_inputs']}; "
        f"{card['wall_time_s']:.0f} s on {card['device']}",
        highlight=False,
    )
    for path in result.outputs:
        consoles.out.print(f"written: {path}", highlight=False)
    return ExitCode.interrupted if result.interrupted else ExitCode.ok


def _run_average_readers(command: TrainCommand, consoles: Consoles, mnist: Mnist) -> ExitCode:
    """Average readers continued from one into one (`training.reader.average_readers`); MNIST scores it."""
    from digitscan.training.reader import average_readers

    with consoles.err.status("averaging the readers", spinner="dots"):
        result = average_readers(mnist, command.train)
    card = result.card
    consoles.out.print(
        f"stringnet: {len(card['averaged_from'])} readers averaged; "
        f"{card['test_string_accuracy']:.2%} of {card['test_inputs']}",
        highlight=False,
    )
    for path in result.outputs:
        consoles.out.print(f"written: {path}", highlight=False)
    return ExitCode.ok


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


def install_model(model_path: Path, extras: list[Path], force: bool, consoles: Consoles) -> None:
    """Make a model the bundled default, unless it would read worse than the one it replaces (then: `--force`).

    Refused without `force`: a model without the "not a digit" output (it reads printed words and marks as
    digits), and one that reads the bundled samples (`samples/expected.csv`, the self-test) worse than the
    installed model, by string or by digit accuracy. The replaced files are kept in `models/replaced/DATE-TIME/`.
    """
    from digitscan.model.contract import reject_outputs
    from digitscan.model.files import bundled_model_path, install_bundled, load_model
    from digitscan.scan.evaluate import self_test

    err = consoles.err
    new = load_model(model_path)
    problems = []
    if not reject_outputs(new.classes):
        problems.append('it has no "not a digit" output, so printed words and marks would be read as digits')
    with err.status("self-test: reading samples/ with the new model", spinner="dots"):
        new_score = self_test(new)
    if new_score is None:
        problems.append("there is no self-test to score it on here (samples/expected.csv: a source checkout)")
    elif bundled_model_path().exists():
        try:
            installed = load_model(bundled_model_path())
        except ModelError as exc:
            err.print(f"[yellow]warning:[/] the installed model is not compared: {exc}", highlight=False)
        else:
            with err.status("self-test: reading samples/ with the installed model", spinner="dots"):
                old_score = self_test(installed)
            assert old_score is not None  # the samples are there: the new model was scored on them
            scores = f"{_score(new_score)} against the installed model's {_score(old_score)}"
            err.print(f"self-test on samples/: {scores}", highlight=False)
            worse = new_score.string_accuracy < old_score.string_accuracy
            if worse or new_score.digit_accuracy < old_score.digit_accuracy:
                problems.append(f"it reads the self-test (samples/) worse: {scores}")
    if problems and not force:
        raise ModelError(
            f"not installed: {'; '.join(problems)}. The model is kept at {model_path}; --force installs it anyway"
        )
    for problem in problems:
        err.print(f"[yellow]warning:[/] installed anyway (--force): {problem}", highlight=False)
    installed_at = install_bundled(model_path, extras)
    err.print(f"installed as the default model: {installed_at.model}", highlight=False)
    if installed_at.backup is not None:
        err.print(f"the model it replaced is kept in {installed_at.backup}", highlight=False)


def _score(report: Report) -> str:
    return f"{report.string_accuracy:.1%} of strings, {report.digit_accuracy:.1%} of digits"


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
