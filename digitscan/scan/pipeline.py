"""The scan pipeline: load -> segment -> normalise in workers, classify -> assemble -> calibrate -> flag here.

Worker processes decode and segment files in parallel; the candidates of many
files are then classified together in one batch in this process. Results come
out in input order, file by file, as soon as each is complete, so a caller can
write them as it goes. A file that fails (unreadable, a crashed or hung
decoder) becomes a result with an error and the batch goes on: a worker that
crashes or runs past `timeout_per_file` is replaced by a fresh one.
"""

from __future__ import annotations

import functools
import io
import itertools
import multiprocessing
import multiprocessing.context
import multiprocessing.process
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

from digitscan.errors import InputError, is_interrupt
from digitscan.model.contract import INPUT_SIZE
from digitscan.model.files import LoadedModel
from digitscan.results import Box, DigitString, FileResult, flag_below
from digitscan.scan.assemble import (
    Evidence,
    assemble,
    orientation_evidence,
    print_upright,
    quarter_evidence,
    surer_way,
)
from digitscan.scan.calibrate import calibrated
from digitscan.scan.classify import PRINT_FRAMING, Classifier, PrintDetector
from digitscan.scan.inputs import expand_inputs
from digitscan.scan.load import Page, load_pages
from digitscan.scan.normalise import READ_BOXES, to_line, to_mnist_framings
from digitscan.scan.options import ScanOptions
from digitscan.scan.read import StringReader, line_kind
from digitscan.scan.segment import Word, page_cuts, upside_down
from digitscan.scan.warmup import one_opencv_thread, start_worker_server

__all__ = ["ScanOptions", "Scanner", "scan"]

# Files the workers may decode ahead of the classifying process (`files_ahead`). A fixed 4 per worker left them idle
# while each batch of about 53 ORAND crops was classified: 175 -> 205 crops/s once 128 files ran ahead (600 ORAND
# crops, 2 workers on 2 cores, five runs of each alternating). The floor is that old window (pages: two or three
# fill a batch); the ceiling bounds what waits in memory when a folder of tiny images reads nearly nothing.
MIN_AHEAD_PER_WORKER = 4
MAX_FILES_AHEAD = 256
# Seconds between the worker pool's own checks (pebble's `CONSTS.sleep_unit`, 0.1 by default): a pool is shut down
# only at its manager's next check, so every scan ended 0.03-0.1 s after its last file was decoded, and a one-file
# scan took 0.11 s against 0.06 at 0.01 (the 600 ORAND crops: that wait 0.03-0.05 -> 0.007-0.015 s; thirty-eighth
# session). The checks cost the classifying process next to nothing.
POOL_TICK = 0.01
# Work a pool task is given, in seconds of the files seen so far (at most `MAX_FILES_PER_TASK` files): every task costs
# two messages each way between processes and a thread switch here, about 1.5 ms of each worker's time a file, as much
# as a third of what an ORAND crop takes to prepare. 600 ORAND crops, 2 workers, medians of four alternating runs:
# 295 crops/s a file a task, 308 with 2, 309 with 4, 311 with 8 or 12 (thirty-ninth session). Pages (0.1 s and more)
# stay one a task, so a slow file never holds fast ones back.
TASK_SECONDS = 0.02
MAX_FILES_PER_TASK = 16


def _no_images() -> np.ndarray:
    return np.zeros((0, len(READ_BOXES), INPUT_SIZE, INPUT_SIZE), np.float32)


@dataclass
class Reading:
    """One way to read a page (as `segment.page_cuts` turned it, or upside down): its words and candidates."""

    words: list[Word] = field(default_factory=list)
    images: np.ndarray = field(default_factory=_no_images)  # (N, framings, 28, 28): `to_mnist_framings`
    lines: list[np.ndarray] = field(default_factory=list)  # per word: its line for the string reader, or empty
    cut: int = 0  # which of `segment.page_cuts` it reads: the likelier quarter turn's (0) or the other's (1)
    route: int = 0  # which way the page was prepared: as first (0) or the other way (1, `load.Page.other`)
    scale: float = 1.0  # working pixels per original pixel of the page as this reading's route prepared it


@dataclass
class Prepared:
    """One page after the worker stages: the readings to choose from, each with its normalised candidates."""

    result: FileResult
    readings: list[Reading] = field(default_factory=list)

    @property
    def candidates(self) -> int:
        return sum(len(r.images) for r in self.readings)


Worker = Callable[[str, int], list[Prepared]]
"""What runs in a worker process: (path, max_pixels) -> one `Prepared` per page.

Must be a module-level function (it is pickled by name). `prepare_file` is the
real one; tests pass their own to simulate crashing or hanging decoders.
"""


def prepare_file(path: str, max_pixels: int = ScanOptions.max_pixels) -> list[Prepared]:
    """Load, segment and normalise every page of one file (runs in a worker).

    A page the segmenter fails on becomes that page's error; the file's other
    pages are still read.
    """
    started = time.perf_counter()
    try:
        pages = load_pages(Path(path), max_pixels)
    except InputError as exc:
        return [failed(path, str(exc))]
    prepared = []
    for page in pages:
        result = FileResult(file=path, page=page.index, size=page.original_size)
        try:
            readings = _readings(page)
            if page.other is not None:  # a window or an amount: read both ways (`load.WINDOW_UNSURE_SHARE`)
                readings += _readings(page.other, route=1)
        except Exception as exc:  # one page's failure never stops the file or the batch
            if is_interrupt(exc):
                raise
            result.error = f"internal error reading this page: {type(exc).__name__}: {exc}"
            prepared.append(Prepared(result))
            continue
        prepared.append(Prepared(result, readings))
    elapsed = time.perf_counter() - started
    for item in prepared:
        item.result.seconds = elapsed / len(prepared)
    return prepared


def _readings(page: Page, route: int = 0) -> list[Reading]:
    """Every way one prepared page is to be read: each of its cuts (`segment.page_cuts`), upside down too where
    unsure."""
    cuts, both_ways = page_cuts(page.grey, page.sheet, page.bands, cell=page if page.decoded is not None else None)
    readings = []
    for cut, words in enumerate(cuts):  # the likelier quarter turn first; the other where it is unsure
        readings.append(_reading(words, cut, route, page.scale))
        if both_ways:  # the other way up, from the same cut (`segment.upside_down`)
            readings.append(_upside_down(words, readings[-1]))
    return readings


def _reading(words: list[Word], cut: int = 0, route: int = 0, scale: float = 1.0) -> Reading:
    images = to_mnist_framings([c.ink for w in words for c in w.candidates])
    lines = [to_line(w.ink) if w.ink.size else w.ink for w in words]  # no ink: a word not read whole
    for word in words:
        word.ink = np.zeros((0, 0), np.float32)  # not needed past this stage; keep IPC small
        for cand in word.candidates:
            cand.ink = np.zeros((0, 0), np.float32)
    return Reading(words, images, lines, cut, route, scale)


def _upside_down(words: list[Word], first: Reading) -> Reading:
    """The reading of the same words the other way up: their candidates' images and lines turned half a turn,
    in the order of `segment.upside_down`'s words (the last word first)."""
    images = first.images
    ends = np.cumsum([len(w.candidates) for w in words])
    spans = [images[end - len(w.candidates) : end] for w, end in zip(words, ends, strict=True)]
    turned = [np.rot90(span, 2, axes=(-2, -1)) for span in reversed(spans)]
    stacked = np.ascontiguousarray(np.concatenate(turned)) if turned else images[:0]
    lines = [np.ascontiguousarray(np.rot90(line, 2)) for line in reversed(first.lines)]
    return Reading(upside_down(words), stacked, lines, first.cut, first.route, first.scale)


def failed(path: str, reason: str) -> Prepared:
    """A file that produced no pages, with the one-line reason."""
    return Prepared(FileResult(file=path, error=reason))


def _worker_context() -> multiprocessing.context.BaseContext:
    """Fresh worker processes that do not inherit this one's TensorFlow threads, and never run `__main__`.

    On Linux a fork server that has already imported this module forks each
    worker, so a worker (a replacement for a crashed one too) is ready at once;
    a worker still starting when a run is stopped is what makes multiprocessing
    print a stray traceback, so the shorter that window the better. Workers are
    not given the main module to import: a script without an
    `if __name__ == "__main__":` guard would otherwise make every worker run the
    whole script again (and fail to start), and the worker function lives in an
    importable module anyway.
    """
    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    start_worker_server()  # importing this module, on this process's path (no effect once the server runs)
    return _MainFreeContext()


class _MainFreeProcess(multiprocessing.process.BaseProcess):
    """A fork-server process that is not given the parent's `__main__` to import (Linux only)."""

    _start_method = "forkserver"

    @staticmethod
    def _Popen(process_obj: multiprocessing.process.BaseProcess) -> object:
        return _main_free_popen()(process_obj)


class _MainFreeContext(multiprocessing.context.BaseContext):
    """The fork-server context, its processes `_MainFreeProcess`."""

    _name = "forkserver"
    Process = _MainFreeProcess


@functools.cache
def _main_free_popen() -> type:
    """The standard library's fork-server Popen, with the usual preparation data less the main module."""
    from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
    from multiprocessing.context import set_spawning_popen

    class Popen(popen_forkserver.Popen):
        def _launch(self, process_obj: multiprocessing.process.BaseProcess) -> None:  # the standard one, less main
            prep_data = spawn.get_preparation_data(process_obj._name)
            prep_data.pop("init_main_from_path", None)
            prep_data.pop("init_main_from_name", None)
            buf = io.BytesIO()
            set_spawning_popen(self)
            try:
                reduction.dump(prep_data, buf)
                reduction.dump(process_obj, buf)
            finally:
                set_spawning_popen(None)
            self.sentinel, w = forkserver.connect_to_new_process(self._fds)
            parent_w = os.dup(w)  # the child's sentinel of this process, as the standard library keeps it
            self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)

    return Popen


def _start_worker() -> None:
    """Workers leave Ctrl-C to the main process, which stops them cleanly, and use one OpenCV thread each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    one_opencv_thread()


class Scanner:
    """Read digit strings from image files: `for result in Scanner().scan(paths): ...`.

    `options` (a `ScanOptions`) say how; `ScanOptions(workers=0)` reads every
    file in this process: no pool start-up, but also no protection from a
    decoder that crashes or hangs, and no time limit. `worker` replaces the
    function run on each file (tests simulate crashing decoders with it).
    """

    def __init__(
        self,
        model: LoadedModel | str | Path | None = None,
        options: ScanOptions | None = None,
        *,
        worker: Worker = prepare_file,
    ) -> None:
        self.options = options or ScanOptions()
        loaded = model if isinstance(model, LoadedModel) else (str(model) if model else None)
        self.classifier = Classifier(loaded, batch_size=self.options.predict_batch)
        self.reader = StringReader.for_options(self.options)
        self.detector = PrintDetector.for_options(self.options)
        workers = self.options.workers
        self.workers = (os.cpu_count() or 1) if workers is None else max(0, workers)
        self.worker = worker

    def scan(self, inputs: Iterable[str | Path]) -> Iterator[FileResult]:
        """Results for every page of every input, in input order."""
        for results in self.scan_files(inputs):
            yield from results

    def scan_files(self, inputs: Iterable[str | Path]) -> Iterator[list[FileResult]]:
        """The results of each input file together (one per page), in input order.

        Files are released once `batch_digits` candidates have gathered and been
        classified together (and at the end). A caller that writes a file's pages in one go never leaves a file half
        written. On Ctrl-C the files already decoded are still classified and
        yielded before the KeyboardInterrupt goes on, so no finished work is lost.
        """
        paths = [str(p) for p in inputs]
        pending: list[list[Prepared]] = []
        ready: deque[list[FileResult]] = deque()
        waiting = 0
        prepared_files = self._prepared(paths)
        try:
            for prepared in prepared_files:
                pending.append(prepared)
                waiting += sum(p.candidates for p in prepared)
                if waiting >= self.options.batch_digits:
                    ready.extend(self._classify(pending))
                    pending, waiting = [], 0
                while ready:
                    yield ready.popleft()
            ready.extend(self._classify(pending))
            pending = []
        except BaseException as exc:  # Ctrl-C, or an error raised because of it (`is_interrupt`)
            if not is_interrupt(exc):
                raise
            prepared_files.close()  # stops the workers first
            queued = {id(results[0]) for results in ready if results}  # in case it struck between two lines above
            ready.extend(self._classify([p for p in pending if p and id(p[0].result) not in queued]))
            while ready:
                yield ready.popleft()
            raise
        finally:
            prepared_files.close()
        while ready:
            yield ready.popleft()

    def _prepared(self, paths: list[str]) -> Iterator[list[Prepared]]:
        if self.workers == 0 or not paths:
            for path in paths:
                yield _safely(self.worker, path, self.options.max_pixels)
            return
        yield from self._prepared_in_pool(paths)

    def _prepared_in_pool(self, paths: list[str]) -> Iterator[list[Prepared]]:
        """Run the worker on every path in a pool that survives crashing and hanging workers.

        Fast files go a few to a task (`files_per_task`); a task that crashes its worker or runs past the time limit
        is run again a file a task, so each file gets its own result or error (a file that hangs is then stopped
        after up to twice `timeout_per_file`).
        """
        import pebble
        from pebble import ProcessPool

        pebble.CONSTS.sleep_unit = POOL_TICK  # process-wide, as pebble has it; set where a pool is about to start
        context = _worker_context()
        max_pixels, timeout = self.options.max_pixels, self.options.timeout_per_file
        workers = min(self.workers, len(paths))
        seen_files = seen_candidates = queued = 0
        seen_seconds = 0.0
        with ProcessPool(max_workers=workers, initializer=_start_worker, context=context) as pool:

            def schedule(files: list[str]) -> tuple[list[str], Future]:
                return files, pool.schedule(prepare_files, (self.worker, files, max_pixels), timeout=timeout)

            queue: deque[tuple[list[str], Future]] = deque()
            remaining = iter(paths)
            try:
                while True:
                    size = files_per_task(seen_files, seen_seconds)
                    while queued < files_ahead(workers, self.options.batch_digits, seen_files, seen_candidates):
                        files = list(itertools.islice(remaining, size))
                        if not files:
                            break
                        queue.append(schedule(files))
                        queued += len(files)
                    if not queue:
                        return
                    files, future = queue.popleft()
                    queued -= len(files)
                    try:
                        done = future.result()
                    except Exception as exc:  # noqa: BLE001 - one file's failure never stops the batch
                        if len(files) > 1:  # which of them? each again, alone, ahead of the rest
                            queue.extendleft(reversed([schedule([path]) for path in files]))
                            queued += len(files)
                            continue
                        yield [failed(files[0], _task_failure(exc, timeout))]
                        continue
                    for prepared, seconds in done:
                        seen_files += 1
                        seen_seconds += seconds
                        seen_candidates += sum(p.candidates for p in prepared)
                        yield prepared
            finally:
                pool.stop()

    def _classify(self, pending: list[list[Prepared]]) -> list[list[FileResult]]:
        """Classify all pending candidates in one batch, then assemble each page."""
        return classify_files(pending, self.classifier, self.options.min_confidence, self.reader, self.detector)


def prepare_files(worker: Worker, paths: list[str], max_pixels: int) -> list[tuple[list[Prepared], float]]:
    """One pool task: each file's `Prepared` pages (or its error) and the seconds it took, in the order given."""
    done = []
    for path in paths:
        started = time.perf_counter()
        prepared = _safely(worker, path, max_pixels)
        done.append((prepared, time.perf_counter() - started))
    return done


def _task_failure(exc: BaseException, timeout: float | None) -> str:
    """The error of a file whose task (that file alone) failed as a whole."""
    from pebble import ProcessExpired

    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s (--timeout-per-file); worker replaced"
    if isinstance(exc, ProcessExpired):
        return f"decoder crashed (worker exit code {exc.exitcode}); worker replaced"
    return _internal_error(exc)


def _internal_error(exc: BaseException) -> str:
    """A file's error where something other than its decoding failed (a bug to report, not a bad file)."""
    return f"internal error: {type(exc).__name__}: {exc}"


def files_per_task(files: int, seconds: float) -> int:
    """How many files the next pool task reads: `TASK_SECONDS` of work at the pace of the files seen so far (one
    until a file has been seen)."""
    if not files or seconds <= 0:
        return 1
    return max(1, min(MAX_FILES_PER_TASK, int(TASK_SECONDS * files / seconds)))


def files_ahead(workers: int, batch_digits: int, files: int, candidates: int) -> int:
    """How many files the workers may run ahead of this process: two batches' worth of candidates, by the files
    seen so far, so workers prepare the next batch while this one is classified, yet a folder of large pages holds
    few of them in memory (at least `MIN_AHEAD_PER_WORKER`, at most `MAX_FILES_AHEAD`)."""
    least = MIN_AHEAD_PER_WORKER * workers
    if not candidates:
        return least
    return int(min(MAX_FILES_AHEAD, max(least, 2 * batch_digits * files / candidates)))


def classify_files(
    pending: list[list[Prepared]],
    classifier: Classifier,
    min_confidence: float,
    reader: StringReader | None = None,
    detector: PrintDetector | None = None,
) -> list[list[FileResult]]:
    """The stages after the workers', for the pages of many files at once: every candidate classified in one batch,
    every word read whole by the string reader (when there is one), a page's glyphs looked at by the print detector
    (when there is one), each page's reading chosen, assembled, its confidences calibrated (`calibrate`) and flagged.
    Each file's results, in the order given.

    One function for both engines (`Scanner` here, the Ray engine's classifying actors), so they read alike.
    """
    if not pending:
        return []
    pages = [p for prepared in pending for p in prepared]
    images = [r.images for p in pages for r in p.readings if len(r.images)]
    stacked = np.concatenate(images) if images else _no_images()
    scores = classifier.scores(stacked)
    words = [word for p in pages for r in p.readings for word in r.words]
    if detector is not None:
        scores.printed, scores.printed_turned = _print_probabilities(detector, stacked, words)
    kinds = [line_kind(word) for word in words]
    lines = reader.read([line for p in pages for r in p.readings for line in r.lines], kinds) if reader else []
    offset = line_offset = 0
    for item in pages:
        routes: dict[int, list[Choice]] = {}
        for reading in item.readings:
            count, words = len(reading.images), len(reading.lines)
            read = lines[line_offset : line_offset + words] if reader else None
            rows = scores.rows(offset, offset + count)
            strings = assemble(reading.words, rows, reading.scale, read)
            evidence = orientation_evidence(strings, read, print_upright(rows))
            routes.setdefault(reading.route, []).append((reading.cut, evidence, strings))
            offset += count
            line_offset += words
        if item.result.error is None and routes:
            strings = number_lines(on_page(surer_route(routes), item.result.size))
            item.result.strings = flag_below(calibrated(strings), min_confidence)
    return [[item.result for item in prepared] for prepared in pending]


def _print_probabilities(
    detector: PrintDetector, images: np.ndarray, words: list[Word]
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate row of `images` (the words' candidates in order), the print detector's probability that it is
    printed, for the single pieces of a page's words (a crop is cut around one handwritten number), as it stands
    and turned half a turn (`Scores.printed_turned`); NaN elsewhere."""
    printed, turned = np.full(len(images), np.nan, np.float32), np.full(len(images), np.nan, np.float32)
    rows, offset = [], 0
    for word in words:
        if not word.crop:
            rows += [offset + i for i in word.single_pieces()]
        offset += len(word.candidates)
    if rows:
        glyphs = images[rows, PRINT_FRAMING]
        printed[rows] = detector.printed(glyphs)
        turned[rows] = detector.printed(np.ascontiguousarray(np.rot90(glyphs, 2, axes=(-2, -1))))
    return printed, turned


# A page that reads nothing the likelier way up (the first reading) is read another way only where that reading is
# sure (`orientation_evidence` TURNED_ALONE or more): an empty register cell scanned large read upside down had its
# printed footer, a rule's stub or its border read as digits. Such readings scored -4.4 to -1.7 (or -inf: the reader
# read nothing), 19 of 23 on empty cells of seed 95800 enlarged three times; the turned pages kept on the seeds
# 120000 and 156000 scored -0.39 or more (26 pages), and none of 480 kept pages (seeds 120000, 143000, 148000,
# 134000) read nothing the likelier way up.
TURNED_ALONE = -1.0


Choice = tuple[int, Evidence, list[DigitString]]
"""One reading of a page assembled: its cut, its `orientation_evidence`, its strings."""


def surer_route(routes: dict[int, list[Choice]]) -> list[DigitString]:
    """The strings of the reading kept, of each route's choices (`Reading.route`): each route's own (`_chosen`),
    then, where a crop was prepared both as a crop and as a window, the surer of the two by `orientation_evidence`
    (the first route wins a tie)."""
    kept = [_chosen(choices) for _, choices in sorted(routes.items())]
    return max(kept, key=lambda chosen: chosen[0])[1]


def _chosen(choices: list[Choice]) -> tuple[Evidence, list[DigitString]]:
    """The evidence and strings of the reading kept, of (cut, evidence, strings): each cut's surer way up
    (`orientation_evidence`; within PRINT_TIE, the way its print stands: `assemble.surer_way`), then, where the page was
    cut at two quarter turns, the cut along its writing (`quarter_evidence`). The first (the likelier turn) wins a
    tie; where it read nothing, only a sure reading (TURNED_ALONE) replaces it."""
    if not choices[0][2]:
        choices = choices[:1] + [choice for choice in choices[1:] if choice[1][0] >= TURNED_ALONE]
    best: dict[int, tuple[Evidence, list[DigitString]]] = {}
    for cut, evidence, strings in choices:
        if cut not in best or surer_way(evidence, best[cut][0]):
            best[cut] = (evidence, strings)
    if len(best) == 1:
        return next(iter(best.values()))
    return max(best.values(), key=lambda chosen: quarter_evidence(*chosen))


def clip_box(box: Box, width: int, height: int) -> Box:
    """The part of `box` on a width x height page (at least 1x1, at the nearest edge if it was all off)."""
    x, y, w, h = box
    x0, y0 = min(max(0, x), width - 1), min(max(0, y), height - 1)
    x1, y1 = max(x0 + 1, min(width, x + w)), max(y0 + 1, min(height, y + h))
    return (x0, y0, x1 - x0, y1 - y0)


def on_page(strings: list[DigitString], size: tuple[int, int] | None) -> list[DigitString]:
    """Keep every reported box inside the image.

    Boxes are mapped back from the deskewed, shrunk working page, and that
    rounding can reach a pixel or more past the image's edge.
    """
    if size is None:
        return strings
    width, height = size
    for s in strings:
        s.box = clip_box(s.box, width, height)
        for d in s.digits:
            d.box = clip_box(d.box, width, height)
    return strings


def number_lines(strings: list[DigitString]) -> list[DigitString]:
    """Number the lines that hold a string from 0, top to bottom, on every page alike.

    The segmenter numbers every line of ink it found, printed words and ruling included; the strings of a line
    dropped whole would otherwise leave a gap (a page's first line read as line 1).
    """
    numbers = {line: n for n, line in enumerate(sorted({s.line for s in strings}))}
    for s in strings:
        s.line = numbers[s.line]
    return strings


def _safely(function: Worker, path: str, max_pixels: int) -> list[Prepared]:
    try:
        return function(path, max_pixels)
    except Exception as exc:  # one file's failure never stops the batch
        if is_interrupt(exc):
            raise
        return [failed(path, _internal_error(exc))]


def scan(
    paths: Iterable[str | Path], model: LoadedModel | str | Path | None = None, options: ScanOptions | None = None
) -> list[FileResult]:
    """Scan files, folders or globs and return every page's result (a convenience over Scanner)."""
    expanded = list(expand_inputs([str(p) for p in paths]))
    return list(Scanner(model, options).scan(expanded))
