"""The scan pipeline: load -> segment -> normalise in workers, classify -> assemble here.

Worker processes decode and segment files in parallel; the candidates of many
files are then classified together in one batch in this process. Results come
out in input order, file by file, as soon as each is complete, so a caller can
write them as it goes. A file that fails (unreadable, a crashed or hung
decoder) becomes a result with an error and the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, TimeoutError
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitscan.assemble import assemble
from digitscan.classify import Classifier, Scores
from digitscan.errors import InputError
from digitscan.load import DEFAULT_MAX_PIXELS, expand_inputs, load_pages
from digitscan.modelio import LoadedModel
from digitscan.normalise import to_mnist_batch
from digitscan.results import FileResult
from digitscan.segment import Word, segment


@dataclass
class Prepared:
    """One page after the worker stages: geometry plus the normalised candidates."""

    result: FileResult
    words: list[Word] = field(default_factory=list)
    images: np.ndarray = field(default_factory=lambda: np.zeros((0, 28, 28), np.float32))
    scale: float = 1.0


def prepare_file(path: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[Prepared]:
    """Load, segment and normalise every page of one file (runs in a worker)."""
    started = time.perf_counter()
    try:
        pages = load_pages(Path(path), max_pixels)
    except InputError as exc:
        return [Prepared(FileResult(file=path, error=str(exc)))]
    prepared = []
    for page in pages:
        words = segment(page.grey)
        inks = [c.ink for w in words for c in w.candidates]
        for word in words:
            for cand in word.candidates:
                cand.ink = np.zeros((0, 0), np.float32)  # not needed past this stage; keep IPC small
        result = FileResult(file=path, page=page.index, size=page.original_size)
        prepared.append(Prepared(result, words, to_mnist_batch(inks), page.scale))
    elapsed = time.perf_counter() - started
    for item in prepared:
        item.result.seconds = elapsed / len(prepared)
    return prepared


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops them cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Scanner:
    """Read digit strings from image files: `for result in Scanner().scan(paths): ...`."""

    def __init__(
        self,
        model: LoadedModel | str | Path | None = None,
        *,
        workers: int | None = None,
        batch_size: int = 512,
        min_confidence: float = 0.5,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        timeout_per_file: float | None = 120.0,
    ) -> None:
        self.classifier = Classifier(model if isinstance(model, LoadedModel) else (str(model) if model else None),
                                     batch_size=batch_size)  # fmt: skip
        self.workers = os.cpu_count() or 1 if workers is None else max(0, workers)
        self.batch_size = batch_size
        self.min_confidence = min_confidence
        self.max_pixels = max_pixels
        self.timeout = timeout_per_file

    def scan(self, inputs: Iterable[str | Path]) -> Iterator[FileResult]:
        """Results for every page of every input, in input order."""
        paths = [str(p) for p in inputs]
        pending: list[Prepared] = []
        waiting = 0
        for prepared in self._prepared(paths):
            pending.extend(prepared)
            waiting += sum(len(p.images) for p in prepared)
            if waiting >= self.batch_size:
                yield from self._finish(pending)
                pending, waiting = [], 0
        yield from self._finish(pending)

    def _prepared(self, paths: list[str]) -> Iterator[list[Prepared]]:
        if self.workers == 0 or len(paths) < 3:
            for path in paths:
                yield _safely(prepare_file, path, self.max_pixels)
            return
        yield from self._prepared_in_pool(paths)

    def _prepared_in_pool(self, paths: list[str]) -> Iterator[list[Prepared]]:
        from pebble import ProcessExpired, ProcessPool

        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        context = multiprocessing.get_context(method)
        window = 4 * self.workers
        with ProcessPool(max_workers=self.workers, initializer=_ignore_sigint, context=context) as pool:
            queue: deque[tuple[str, Future]] = deque()
            remaining = iter(paths)
            try:
                while True:
                    while len(queue) < window:
                        path = next(remaining, None)
                        if path is None:
                            break
                        queue.append((path, pool.schedule(prepare_file, (path, self.max_pixels), timeout=self.timeout)))
                    if not queue:
                        return
                    path, future = queue.popleft()
                    try:
                        yield future.result()
                    except TimeoutError:
                        yield [Prepared(FileResult(file=path, error=f"timed out after {self.timeout:g} s "
                                                   "(--timeout-per-file)"))]  # fmt: skip
                    except ProcessExpired as exc:
                        yield [Prepared(FileResult(file=path, error=f"decoder crashed (worker exit code {exc.exitcode})"))]
                    except Exception as exc:  # noqa: BLE001 - one file's failure never stops the batch
                        yield [Prepared(FileResult(file=path, error=f"internal error: {type(exc).__name__}: {exc}"))]
            finally:
                pool.stop()

    def _finish(self, pending: list[Prepared]) -> Iterator[FileResult]:
        """Classify all pending candidates in one batch, then assemble each page."""
        if not pending:
            return
        images = [p.images for p in pending if len(p.images)]
        stacked = np.concatenate(images) if images else np.zeros((0, 28, 28), np.float32)
        scores = self.classifier.scores(stacked)
        offset = 0
        for item in pending:
            count = len(item.images)
            if item.result.error is None:
                page_scores = Scores(scores.digits[offset : offset + count], scores.reject[offset : offset + count])
                item.result.strings = assemble(item.words, page_scores, item.scale, self.min_confidence)
            offset += count
            yield item.result


def _safely(function: Callable[..., list[Prepared]], path: str, max_pixels: int) -> list[Prepared]:
    try:
        return function(path, max_pixels)
    except Exception as exc:  # noqa: BLE001 - one file's failure never stops the batch
        return [Prepared(FileResult(file=path, error=f"internal error: {type(exc).__name__}: {exc}"))]


def scan(paths: Iterable[str | Path], model: LoadedModel | str | Path | None = None, **options: object) -> list[FileResult]:
    """Scan files, folders or globs and return every page's result (a convenience over Scanner)."""
    expanded = list(expand_inputs([str(p) for p in paths]))
    return list(Scanner(model, **options).scan(expanded))  # type: ignore[arg-type]
