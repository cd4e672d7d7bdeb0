"""Rich rendering for the CLI: the consoles, progress bars, result tables and summaries."""

from __future__ import annotations

import time
from collections.abc import Callable
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


# What an epoch's line shows, of what the training reported (the string reader reports no accuracy per batch).
EPOCH_METRICS = (("loss", "loss"), ("accuracy", "acc"), ("val_loss", "val_loss"), ("val_accuracy", "val_acc"))


def _metrics(logs: dict[str, float], names: tuple[tuple[str, str], ...]) -> str:
    return "  ".join(f"{name} {logs[key]:.4f}" for key, name in names if key in logs)


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
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.task = self.progress.add_task(
            "train", total=epochs * batches_per_epoch, epoch=1, epochs=epochs, metrics=""
        )
        self.progress.start()

    def batch(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        if self.progress is not None:
            self.progress.update(
                self.task,
                completed=epoch * self.steps + batch + 1,
                epoch=epoch + 1,
                metrics=_metrics(logs, (("loss", "loss"), ("accuracy", "acc"))),
            )

    def epoch(self, epoch: int, logs: dict[str, float], saved: bool) -> None:
        mark = "  [green]best so far, saved[/]" if saved else ""
        self.console.print(f"epoch {epoch + 1:>2}/{self.epochs}: {_metrics(logs, EPOCH_METRICS)}{mark}")

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


PROGRESS_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal (a log, a pipe, CI)


def eta_seconds(done: int, total: int, elapsed: float) -> float | None:
    """Time left at the run's average rate so far (None before the first file).

    The whole run's average, not a recent window: files come out in bursts
    (workers start, then a batch of files is classified and released at once),
    and a burst's rate promised 500 files in a second.
    """
    if done <= 0 or elapsed <= 0:
        return None
    return max(0, total - done) * elapsed / done


def clock_text(seconds: float | None) -> str:
    """H:MM:SS, or -:--:-- when not known yet."""
    if seconds is None:
        return "-:--:--"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ScanProgress:
    """Files done of the total, digits, rate and ETA: a live bar on a terminal, else a line every few seconds.

    A run whose stderr is a log or a pipe would otherwise say nothing until the end.
    """

    def __init__(
        self, console: Console, total: int, every: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.console, self.total, self.clock = console, total, clock
        self.every = PROGRESS_EVERY if every is None else every
        self.started = self.last = clock()
        self.bar: Progress | None = None
        if console.is_terminal:
            self.bar = Progress(
                TextColumn("[bold]scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files"),
                TextColumn("{task.fields[digits]} digits"),
                TextColumn("{task.fields[rate]:.1f} files/s"),
                TimeElapsedColumn(),
                TextColumn("ETA {task.fields[eta]}"),
                console=console,
                transient=True,
            )
            self.task = self.bar.add_task("scan", total=total, digits=0, rate=0.0, eta=clock_text(None))

    def start(self) -> None:
        self.started = self.last = self.clock()
        if self.bar is not None:
            self.bar.start()

    def update(self, done: int, digits: int) -> None:
        now = self.clock()
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = clock_text(eta_seconds(done, self.total, elapsed))
        if self.bar is not None:
            self.bar.update(self.task, completed=done, digits=digits, rate=rate, eta=eta)
        elif now - self.last >= self.every and done < self.total:
            self.last = now
            self.console.print(
                f"scanning: {done}/{self.total} files · {digits} digits · {rate:.1f} files/s · ETA {eta}",
                highlight=False,
                markup=False,
            )

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
