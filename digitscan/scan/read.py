"""Stage 4b: the string reader reads each word whole, beside the digit classifier's cut-by-cut reading.

The classifier reads one cut-out digit at a time, so a wrong cut (touching
digits, a stroke left on its neighbour) is a wrong reading; the reader (a
convolutional network trained with CTC, `model.architectures.build_stringnet`)
sees the whole word as one line (`normalise.to_line`) and says, column step by
column step, which digit it sees or none. Lines of many files are read in
batches of like widths. Each reading keeps, per digit, its probability and
the column it was read at, which `assemble` uses to give it a box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from digitscan._files import bundled
from digitscan.model.contract import BLANK, READER_CLASSES
from digitscan.model.files import LoadedModel, load_for_scanning
from digitscan.scan.normalise import LINE_STRIDE, to_line_batch

if TYPE_CHECKING:
    from digitscan.scan.options import ScanOptions
    from digitscan.scan.segment import Word

READER_NAME = "stringnet.h5"  # the bundled reader, beside the bundled classifier in models/
# The bundled page reader: the reader taken further on the words of generated pages, which reads pages' words
# better and crops worse (bench/README.md, sixteenth session), so each reads what it reads best.
PAGE_READER_NAME = "stringnet-pages.h5"
# The bundled cell reader: the crop reader taken further on 108,000 more training register cells, 15,000 empty.
# More cells read cells better and check amounts worse (ORAND fold 3, its fold reader taken 12,000 cells further:
# 78.33 -> 75.00 %; bench/README.md, thirty-fourth session), so a register's cells have a reader of their own.
CELL_READER_NAME = "stringnet-cells.h5"
# Which reader reads a line: a tight crop's (a check's amount), a cell's (`segment.is_cell`) or a page's word
LineKind = Literal["crop", "cell", "page"]
LINES_PER_CALL = 256  # lines per predict call: like-width lines batched, as the classifier batches digits
# Each line is padded on the right to the next multiple of this many columns, and read with lines of that width
# only. Padding changes the scores near a line's end (a convolution's bias fills the blank), so a line's width in
# the batch must depend on the line alone, or a file would read differently beside other files (the engines
# disagreed). Training pads every line to MAX_LINE_WIDTH, so the reader knows blank on the right. The five ORAND
# folds read the same at 64, 32 and 16 columns; 16 pads least (0.61 -> 0.48 ms a line, all 600 crops' lines).
WIDTH_BUCKET = 16
# Steps between rescalings of the CTC forward pass: four of the smallest float32 probabilities (1e-45) multiplied
# stay within float64 (1e-308).
RESCALE_STEPS = 4


@dataclass
class LineReading:
    """What the reader read on one line: its digits, each one's probability and its column (line pixels)."""

    text: str = ""
    confidences: list[float] = field(default_factory=list)
    columns: list[float] = field(default_factory=list)
    width: int = 0  # the line's width (pixels of `to_line`), to place the columns on the word
    # The line's (steps, classes) probabilities, to weigh readings other than its own (`log_likelihood`)
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0, len(READER_CLASSES)), np.float32))

    @property
    def confidence(self) -> float:
        """The product of its digits' probabilities: the chance that the whole reading is right (0: nothing)."""
        return float(np.prod(self.confidences)) if self.text else 0.0

    def log_likelihood(self, text: str) -> float:
        """log P(text | line): the reader's probability of `text`, summed over every way of placing its digits
        and blanks on the line's steps (CTC's forward pass); -inf where the line is too short to hold it."""
        return ctc_log_likelihood(self.scores, text)


def bundled_reader_path() -> str:
    """The bundled string reader: in the installed wheel, or in the source checkout."""
    return str(bundled("models", READER_NAME))


def bundled_page_reader_path() -> str:
    """The bundled page reader (pages' words), beside the bundled string reader (crops)."""
    return str(bundled("models", PAGE_READER_NAME))


def bundled_cell_reader_path() -> str:
    """The bundled cell reader (register cells' words), beside the bundled string reader (crops)."""
    return str(bundled("models", CELL_READER_NAME))


def line_kind(word: Word) -> LineKind:
    """Which reader reads a word: a page's, a cell's (a crop with room around its number) or a tight crop's."""
    return "page" if not word.crop else "cell" if word.cell else "crop"


def decode(scores: np.ndarray) -> LineReading:
    """Greedy CTC decoding of one line's (T, K) probabilities: the best class per step, repeats and blanks
    dropped. A digit's probability is its best step's; its column is the middle of its run of steps."""
    best = scores.argmax(axis=1)
    reading = LineReading()
    blank = READER_CLASSES.index(BLANK)
    start = 0
    for t in range(1, len(best) + 1):
        if t < len(best) and best[t] == best[start]:
            continue
        label = int(best[start])
        if label != blank:
            reading.text += READER_CLASSES[label]
            reading.confidences.append(float(scores[start:t, label].max()))
            reading.columns.append((start + t) / 2 * LINE_STRIDE)
        start = t
    reading.scores = scores
    return reading


def ctc_log_likelihood(scores: np.ndarray, text: str) -> float:
    """log P(text) under one line's (T, K) probabilities: the CTC forward pass over `text` with a blank before,
    between and after its digits (a doubled digit needs a blank between its two). In probabilities, one small
    matrix product a step, rescaled every RESCALE_STEPS steps (the logs of the scales summed)."""
    blank = READER_CLASSES.index(BLANK)
    labels = [blank]
    for char in text:
        labels += [READER_CLASSES.index(char), blank]
    if len(scores) == 0:
        return 0.0 if not text else -np.inf
    probs = np.asarray(scores, np.float64)[:, labels]  # (T, S): each step's probability of each label
    size = len(labels)
    # From one step to the next a path stays on its label, moves to the next, or skips a blank between two
    # different digits.
    move = np.eye(size) + np.eye(size, k=-1)
    for i in range(2, size):
        move[i, i - 2] = labels[i] != blank and labels[i] != labels[i - 2]
    alpha = np.zeros(size)
    alpha[:2] = probs[0, :2]
    log_scale = 0.0
    for t in range(1, len(probs)):
        alpha = (move @ alpha) * probs[t]
        if t % RESCALE_STEPS == 0:
            total = alpha.sum()
            if total <= 0:
                return -np.inf
            log_scale += math.log(total)
            alpha /= total
    end = alpha[-2:].sum() if size > 1 else alpha[-1]
    return log_scale + math.log(end) if end > 0 else -np.inf


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis (the reader gives logits: CTC trains on them)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


class StringReader:
    """Loaded string readers behind a batched `read` call: one each for crops, cells and pages' words.

    With no files given, the bundled three; a reader given alone reads all, as a user who names a reader expects.
    """

    def __init__(
        self,
        model: LoadedModel | str | None = None,
        page_model: LoadedModel | str | None = None,
        cell_model: LoadedModel | str | None = None,
        batch_size: int = LINES_PER_CALL,
    ) -> None:
        self.loaded = _loaded(bundled_reader_path() if model is None else model)
        if page_model is None:
            page_model = bundled_page_reader_path() if model is None else self.loaded
        if cell_model is None:
            cell_model = bundled_cell_reader_path() if model is None else self.loaded
        self.page_loaded = _loaded(page_model)
        self.cell_loaded = _loaded(cell_model)
        self.batch_size = batch_size

    @classmethod
    def for_options(cls, options: ScanOptions) -> StringReader | None:
        """The readers a scan's options name (None where it reads with the classifier alone)."""
        if not options.read_whole:
            return None
        return cls(options.reader_model, options.page_reader_model, options.cell_reader_model)

    def read(self, lines: list[np.ndarray], kinds: Sequence[LineKind] | None = None) -> list[LineReading]:
        """Read lines from `to_line` ((LINE_HEIGHT, W) each; an empty array reads nothing); one reading per line,
        in order. `kinds`: each line's reader (`line_kind`); a crop's by default."""
        readings = [LineReading() for _ in lines]
        kinds = list(kinds) if kinds is not None else ["crop"] * len(lines)
        for loaded, kind in ((self.loaded, "crop"), (self.cell_loaded, "cell"), (self.page_loaded, "page")):
            mine = [i for i, of in enumerate(kinds) if of == kind]
            for i, reading in zip(mine, self._read(loaded, [lines[i] for i in mine]), strict=True):
                readings[i] = reading  # a line reads the same in any batch (WIDTH_BUCKET): split as we like
        return readings

    def _read(self, loaded: LoadedModel, lines: list[np.ndarray]) -> list[LineReading]:
        readings = [LineReading() for _ in lines]
        by_width: dict[int, list[int]] = {}
        for i, line in enumerate(lines):
            if line.size:  # an empty line is a word not to be read whole: it reads nothing
                by_width.setdefault(-(-line.shape[1] // WIDTH_BUCKET) * WIDTH_BUCKET, []).append(i)
        for width, members in sorted(by_width.items()):
            for start in range(0, len(members), self.batch_size):
                chunk = members[start : start + self.batch_size]
                batch = to_line_batch([lines[i] for i in chunk], width)
                scores = softmax(np.asarray(loaded.model.predict_on_batch(batch), np.float32))
                for i, row in zip(chunk, scores, strict=True):
                    steps = -(-lines[i].shape[1] // LINE_STRIDE)  # the steps of its own width, not the padding's
                    readings[i] = decode(row[:steps])
                    readings[i].width = lines[i].shape[1]
        return readings


def _loaded(model: LoadedModel | str) -> LoadedModel:
    return model if isinstance(model, LoadedModel) else load_for_scanning(model, role="reader")
