"""Page and cell words for the string readers: generated training pages and register cells, cut out by the scanner.

A synthetic line is one number on clean paper. A word the scanner cuts out
of a page carries what the page leaves on it: print beside the number, a
rule's remains, a neighbour's stroke, a tilt undone. Training pages
(`training.pages`) are written with the training writers' digits only, saved
and decoded as a scan would be, segmented by `segment.segment_page`, and each
word is matched to the number written there by box overlap. Words that match
no number (print, guilloche patterns, rules) are labelled with no digits, so
the reader learns to read them as blank. Register cells (`pages.make_register`:
a scanned archive's crops, with dark borders, rules, faded ink, neighbours'
slivers and footers) go through the same cutting and labelling, as crops.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from digitscan.results import Box
from digitscan.scan.load import load_pages
from digitscan.scan.normalise import to_line
from digitscan.scan.segment import segment_page
from digitscan.scan.warmup import one_opencv_thread
from digitscan.training.pages import (
    KINDS,
    Digits,
    Number,
    make_page,
    make_register,
    random_conditions,
    save,
    save_register,
)
from digitscan.training.strings import Lines

# A word is a number's when their boxes overlap at least this much (intersection over union), each the other's best
# match; half is the usual detection criterion. A word that overlaps every number less than NOTHING_OVERLAP is
# print, a pattern or a rule; words in between (half a number, two numbers run together) teach nothing clear and
# are left out. The same rules made the words the tenth session measured (bench/README.md, "page words").
MATCH_OVERLAP = 0.5
NOTHING_OVERLAP = 0.05
# A word that holds this much of one number's box and nothing of any other is that number with print beside it
# (a label, a "$"): 8 % of training pages' numbers were cut out so (dated pages: a fifth), and were left out
# before (bench/README.md, sixteenth session).
HOLDS = 0.9
# Training pages' seeds are [PAGE_SEED, seed, page]: apart from every bench and test page set, whose seeds are small;
# training register cells' are [CELL_SEED, seed, cell], apart from the pages' and the bench and test cells'.
PAGE_SEED = 90_000
CELL_SEED = 91_000


@dataclass(frozen=True)
class PageWords:
    """Labelled words of generated training pages or register cells, as reader lines; "" is a word read as nothing."""

    lines: Lines
    pages: int  # pages or cells
    seed: int
    writers: int  # how many digit sets wrote the pages, a page each in turn
    cells: bool = False  # register cells (`make_cell_words`), not pages
    empty: int = 0  # of which left empty (a register's blank rows: every word in them read as nothing)

    def describe(self) -> dict[str, object]:
        numbers = sum(bool(text) for text in self.lines.texts)
        name, unit, what = ("cell words", "cells", "register cells") if self.cells else ("page words", "pages", "pages")
        return {
            "name": name,
            "kind": f"generated {what}",
            "title": f"training {what} written with the digit sources above, cut out by the scanner",
            unit: self.pages,
            "seed": self.seed,
            "writer_sets": self.writers,
            "numbers": numbers,
            "nothing": len(self.lines.texts) - numbers,
        } | ({"empty_cells": self.empty} if self.empty else {})


def _intersection(a: Box, b: Box) -> int:
    """The area two (x, y, w, h) boxes share."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    inter = _intersection(a, b)
    return inter / max(1, a[2] * a[3] + b[2] * b[3] - inter)


def covered(word: Box, number: Box) -> float:
    """The share of `number`'s box inside `word`'s."""
    return _intersection(word, number) / max(1, number[2] * number[3])


def labelled(words: Sequence[Box], numbers: Sequence[tuple[Box, str]]) -> list[str | None]:
    """Each word's digits: its number's where both are each other's best match and overlap by MATCH_OVERLAP, or
    where the word holds that one number whole (HOLDS) and touches no other, as a printed label or a "$" cut out
    with the number ("DATE 12/05/24": the reader learns to read the print as nothing); "" where it overlaps no
    number by NOTHING_OVERLAP; None (left out) otherwise."""
    table = np.array([[overlap(w, box) for box, _ in numbers] for w in words]).reshape(len(words), len(numbers))
    texts: list[str | None] = []
    for i, word in enumerate(words):
        k = int(table[i].argmax()) if len(numbers) else -1
        best = float(table[i, k]) if k >= 0 else 0.0
        inside = [covered(word, box) for box, _ in numbers]
        held = [j for j, share in enumerate(inside) if share >= HOLDS]
        if best >= MATCH_OVERLAP and table[:, k].argmax() == i:
            texts.append(numbers[k][1])
        elif best < NOTHING_OVERLAP:
            texts.append("")
        elif (
            len(held) == 1
            and table[:, held[0]].max() < MATCH_OVERLAP  # no word of its own
            and all(share < NOTHING_OVERLAP for j, share in enumerate(inside) if j != held[0])
        ):
            texts.append(numbers[held[0]][1])
        else:
            texts.append(None)
    return texts


_WRITERS: list[Digits] = []


def _start(writers: list[Digits]) -> None:
    global _WRITERS
    _WRITERS = writers
    one_opencv_thread()


def words_of_page(writers: Sequence[Digits], seed: int, index: int) -> list[tuple[np.ndarray, str]]:
    """The labelled reader lines of training page `index`: upright (the scanner turns a page before reading its
    words), written by writer set `index` mod their count, saved and decoded as a file."""
    rng = np.random.default_rng([PAGE_SEED, seed, index])
    kind = KINDS[index % len(KINDS)]
    conditions = replace(random_conditions(rng, "small"), turn=0)
    page = make_page([PAGE_SEED, seed, index, 1], writers[index % len(writers)], kind, conditions)
    return _cut_and_labelled(lambda path: save(page, path), bool(conditions.jpeg), page.numbers)


def words_of_cell(
    writers: Sequence[Digits], seed: int, index: int, empty: bool = False
) -> list[tuple[np.ndarray, str]]:
    """The labelled reader lines of training register cell `index`, written by writer set `index` mod their count,
    saved and decoded as a file: the number's word, and the footers, slivers and rules cut out as words of their own
    (read as nothing). `empty`: an empty cell of a stream of its own, whose every word is read as nothing."""
    key = [CELL_SEED, seed, index, 1] if empty else [CELL_SEED, seed, index]
    cell = make_register(key, writers[index % len(writers)], empty)
    return _cut_and_labelled(lambda path: save_register(cell, path), bool(cell.jpeg), [cell.number])


def _cut_and_labelled(
    save_to: Callable[[Path], None], jpeg: bool, numbers: Sequence[Number]
) -> list[tuple[np.ndarray, str]]:
    """The words the scanner cuts out of an image once saved and decoded as a file, each labelled (`labelled`)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("image.jpg" if jpeg else "image.png")
        save_to(path)
        (decoded,) = load_pages(path)
    words, _ = segment_page(decoded.grey, decoded.sheet, decoded.bands)  # as `pipeline.prepare_file` cuts it first
    words = [w for w in words if w.ink.size]
    boxes = [tuple(round(v / decoded.scale) for v in w.box) for w in words]
    texts = labelled(boxes, [(n.box, n.digits) for n in numbers])  # type: ignore[misc]
    return [(to_line(w.ink), text) for w, text in zip(words, texts, strict=True) if text is not None]


def _words_of_page(seed: int, index: int) -> list[tuple[np.ndarray, str]]:
    return words_of_page(_WRITERS, seed, index)


def _words_of_cell(seed: int, index: int) -> list[tuple[np.ndarray, str]]:
    return words_of_cell(_WRITERS, seed, index)


def _words_of_empty_cell(seed: int, index: int) -> list[tuple[np.ndarray, str]]:
    return words_of_cell(_WRITERS, seed, index, empty=True)


def make_page_words(writers: Sequence[Digits], pages: int, seed: int, workers: int | None = None) -> PageWords:
    """The words of `pages` training pages, made in worker processes (a page takes about 0.3 s on one core)."""
    return PageWords(_made(_words_of_page, writers, pages, seed, workers, chunk=4), pages, seed, len(writers))


def make_cell_words(
    writers: Sequence[Digits], cells: int, seed: int, workers: int | None = None, empty: int = 0
) -> PageWords:
    """The words of `cells` training register cells and `empty` more left empty, made in worker processes (about
    15 ms a cell on one core)."""
    lines = _made(_words_of_cell, writers, cells, seed, workers, chunk=16)
    blank = _made(_words_of_empty_cell, writers, empty, seed, workers, chunk=16)
    lines = Lines(lines.images + blank.images, lines.texts + blank.texts)
    return PageWords(lines, cells, seed, len(writers), cells=True, empty=empty)


def _made(
    words_of: Callable[[int, int], list[tuple[np.ndarray, str]]],
    writers: Sequence[Digits],
    count: int,
    seed: int,
    workers: int | None,
    chunk: int,
) -> Lines:
    workers = workers or os.cpu_count() or 1
    lines = Lines([], [])
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, context, _start, (list(writers),)) as pool:
        for found in pool.map(words_of, [seed] * count, range(count), chunksize=chunk):
            for line, text in found:
                lines.images.append(line)
                lines.texts.append(text)
    return lines
