"""Rich rendering for the CLI: the consoles, progress bars, result tables and summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from digitscan.results import FileResult


@dataclass
class Consoles:
    """Where a command writes (results to `out`, progress and messages to `err`) and how much it says.

    Made once per run by the global options (`--quiet`, `--verbose`) and handed
    to every command's `run_*` function.
    """

    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))
    quiet: bool = False  # only results and errors: no progress
    verbose: bool = False  # tracebacks of internal errors, TensorFlow's logs, the run's time


def confidence_style(value: float) -> str:
    return "green" if value >= 0.9 else "yellow" if value >= 0.5 else "red"


class TrainProgress:
    """Renders training as one rich progress bar over every batch of every epoch."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console, self.quiet = console, quiet
        self.progress: Progress | None = None
        self.task: Any = None
        self.epochs = 0
        self.steps = 0

    def start(self, epochs: int, batches_per_epoch: int, device: str) -> None:
        self.epochs, self.steps = epochs, batches_per_epoch
        self.console.print(f"Training on [bold]{device}[/]: {epochs} epochs of {batches_per_epoch} batches")
        if self.quiet:
            return
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}  acc {task.fields[acc]:.4f}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.task = self.progress.add_task(
            "train", total=epochs * batches_per_epoch, epoch=1, epochs=epochs, loss=0.0, acc=0.0
        )
        self.progress.start()

    def batch(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        if self.progress is not None:
            self.progress.update(
                self.task,
                completed=epoch * self.steps + batch + 1,
                epoch=epoch + 1,
                loss=logs.get("loss", 0.0),
                acc=logs.get("accuracy", 0.0),
            )

    def epoch(self, epoch: int, logs: dict[str, float], saved: bool) -> None:
        mark = "  [green]best so far, saved[/]" if saved else ""
        self.console.print(
            f"epoch {epoch + 1:>2}/{self.epochs}: loss {logs['loss']:.4f} acc {logs['accuracy']:.4f}  "
            f"val_loss {logs['val_loss']:.4f} val_acc {logs['val_accuracy']:.4f}{mark}"
        )

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def results_table(results: list[FileResult]) -> Table:
    """File -> strings with confidences; '?' marks digits below --min-confidence."""
    table = Table(title="digitscan results", show_lines=False)
    table.add_column("file", overflow="fold")
    table.add_column("page", justify="right")
    table.add_column("digits")
    table.add_column("confidence", justify="right")
    for result in results:
        if result.error:
            table.add_row(result.file, str(result.page), f"[red]error: {result.error}[/]", "")
        elif not result.strings:
            table.add_row(result.file, str(result.page), "[dim](no digits found)[/]", "")
        for n, s in enumerate(result.strings):
            style = confidence_style(s.confidence)
            table.add_row(
                result.file if n == 0 else "",
                str(result.page) if n == 0 else "",
                s.shown(),
                f"[{style}]{s.confidence:.2f}[/]",
            )
    return table


def scan_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TextColumn("{task.fields[digits]} digits"),
        TextColumn("{task.fields[rate]:.1f} files/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
