"""digitscan.scan.assemble: the best reading of a string from its scored candidates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import _word

from digitscan.model.contract import READER_CLASSES
from digitscan.results import Digit, DigitString, flag_below, unwritten, written_with
from digitscan.scan.assemble import (
    PRINT_KIN_HEIGHT,
    PRINT_KIN_WORDS,
    PRINTED_GLYPHS,
    PRINTED_WORD,
    TURNED_GLYPHS,
    _date_completed,
    _edges,
    _lattice_reading,
    _printed,
    _separators_settled,
    _slash_beside_one,
    _text_log_likelihood,
    _without_lone_point,
    as_date,
    assemble,
    assemble_word,
    date_valid,
    height_across,
    orientation_evidence,
    quarter_evidence,
)
from digitscan.scan.classify import Scores
from digitscan.scan.normalise import LINE_PAD, LINE_STRIDE
from digitscan.scan.read import LineReading, decode
from digitscan.scan.segment import Candidate, Word


def test_assemble_prefers_two_confident_digits_over_one_merged() -> None:
    word = _word(2, [(0, 1), (0, 2), (1, 2)])
    digits = np.full((3, 10), 0.01, np.float32)
    digits[0, 0], digits[1, 8], digits[2, 0] = 0.95, 0.40, 0.95
    reject = np.array([0.0, 0.5, 0.0], np.float32)
    read = assemble_word(word, Scores(digits, reject), offset=0, scale=1.0)
    assert read is not None and read.text == "00"
    assert [d.box[0] for d in read.digits] == [0, 10]


def test_assemble_drops_a_mark_and_flags_low_confidence() -> None:
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    digits = np.full((3, 10), 0.01, np.float32)
    digits[0, 4], digits[1, 1], digits[2, 7] = 0.97, 0.02, 0.40
    reject = np.array([0.01, 0.95, 0.1], np.float32)
    read = assemble_word(word, Scores(digits, reject), offset=0, scale=1.0)
    assert read is not None and read.text == "47"
    assert read.shown() == "47"  # flags are the display threshold's, set after the reading is chosen
    flag_below([read], 0.5)
    assert read.shown() == "4?"
    assert read.digits[1].flagged and not read.digits[0].flagged


def test_assemble_maps_boxes_back_to_original_pixels() -> None:
    word = _word(1, [(0, 1)])
    digits = np.zeros((1, 10), np.float32)
    digits[0, 3] = 1.0
    read = assemble_word(word, Scores(digits, np.zeros(1, np.float32)), offset=0, scale=0.5)
    assert read is not None and read.digits[0].box == (0, 0, 20, 20)


def test_a_string_unsure_as_a_whole_is_for_review_though_no_digit_is_flagged() -> None:
    """Five digits at 0.8 each pass the threshold one by one, but the reading is right about a third of the time."""
    word = _word(5, [(i, i + 1) for i in range(5)])
    digits = np.full((5, 10), 0.02, np.float32)
    digits[np.arange(5), [1, 2, 3, 4, 5]] = 0.8
    read = assemble_word(word, Scores(digits, np.zeros(5, np.float32)), offset=0, scale=1.0)
    assert read is not None and read.text == "12345"
    flag_below([read], 0.5)
    assert not any(d.flagged for d in read.digits)
    assert read.review and read.confidence < 0.5
    flag_below([read], 0.3)
    assert not read.review


def test_separators_go_between_the_digits_read_and_never_at_the_ends() -> None:
    """A separator stands after the pieces left of it; one before the first or after the last digit read (its
    neighbour dropped as a mark) is not written."""
    word = _word(4, [(i, i + 1) for i in range(4)])
    word.separators = [(1, "/"), (2, "."), (3, ",")]
    digits = np.full((4, 10), 0.01, np.float32)
    digits[0, 1], digits[1, 2], digits[2, 5] = 0.95, 0.95, 0.95
    reject = np.array([0.0, 0.0, 0.0, 0.99], np.float32)  # the last piece is a mark
    read = assemble_word(word, Scores(digits, reject), offset=0, scale=1.0)
    assert read is not None
    assert (read.text, read.written, read.separators) == ("125", "1/2.5", {0: "/", 1: "."})


def test_the_reading_the_right_way_up_is_the_surer_on_average_not_the_longer() -> None:
    """Upside down, junk adds sure 1s and 0s among unsure digits; the mean log-confidence still prefers the
    upright reading, and a page with nothing read never wins."""

    def read(*confidences: float) -> list[DigitString]:
        digits = [Digit("1", c, (0, 0, 1, 1)) for c in confidences]
        return [DigitString(digits, box=(0, 0, 1, 1), line=0)]

    upright = read(0.99, 0.98, 0.97, 0.99)
    upside_down = read(0.99, 0.99, 0.99, 0.99, 0.4, 0.5, 0.99, 0.3, 0.6)
    assert orientation_evidence(upright) > orientation_evidence(upside_down)
    assert orientation_evidence([]) < orientation_evidence(upside_down)


def test_a_page_cut_across_its_writing_loses_to_the_cut_along_it_though_its_digits_read_surer() -> None:
    """Cut a quarter off, a page's lines run down and each string read is a digit or two, some of them sure (0s, 1s
    and 8s look alike turned); the cut along its writing reads strings of several digits, one of them unsure."""

    def read(*strings: tuple[str, float]) -> list[DigitString]:
        return [DigitString([Digit(c, p, (0, 0, 1, 1)) for c in text], box=(0, 0, 1, 1), line=0) for text, p in strings]

    along = read(("83", 0.99), ("7787", 0.98), ("3756614994", 0.35), ("61980", 0.97))
    across = read(("8", 0.99), ("0", 0.99), ("1", 0.95), ("08", 0.6), ("1", 0.99), ("91", 0.5), ("0", 0.99))
    assert orientation_evidence(across) > orientation_evidence(along)  # the digits alone would keep the junk
    assert quarter_evidence(orientation_evidence(along), along) > quarter_evidence(orientation_evidence(across), across)
    assert quarter_evidence(orientation_evidence([]), []) == -math.inf


def test_the_string_readers_surety_of_its_words_decides_the_turn_before_the_digits_kept() -> None:
    """Upside down, the classifier can be surer of the few digits it keeps while the reader, seeing each word
    whole, is unsure of them; words the reader reads as nothing do not count either way."""
    digits = [DigitString([Digit("6", 0.99, (0, 0, 1, 1))], box=(0, 0, 1, 1), line=0)]
    unsure = [DigitString([Digit("9", 0.9, (0, 0, 1, 1))], box=(0, 0, 1, 1), line=0)]
    upright = [_line("154", 0.95), _line("", 0.0), _line("705", 0.9)]
    upside_down = [_line("451", 0.6), _line("502", 0.7)]
    assert orientation_evidence(unsure, upright) > orientation_evidence(digits, upside_down)
    assert orientation_evidence(unsure, []) < orientation_evidence(digits, [])  # no reader: the digits decide


def _line(
    text: str, confidence: float, width: int = 48, doubt: dict[int, tuple[str, float]] | None = None
) -> LineReading:
    """The reader's reading of `text` as decoding a line gives it: each digit sure to `confidence` at one step,
    blanks (0.99) between; `doubt` {step: (class, p)} moves p of a blank step to another class ("" is blank)."""
    steps = width // LINE_STRIDE
    scores = np.full((steps, len(READER_CLASSES)), 0.01 / (len(READER_CLASSES) - 1), np.float32)
    scores[:, 0] = 0.99
    at = [round((LINE_PAD + (i + 0.5) * (width - 2 * LINE_PAD) / len(text)) / LINE_STRIDE) for i in range(len(text))]
    for step, char in zip(at, text, strict=True):
        scores[step] = (1 - confidence) / (len(READER_CLASSES) - 1)
        scores[step, READER_CLASSES.index(char)] = confidence
    for step, (char, p) in (doubt or {}).items():
        scores[step, 0] -= p
        scores[step, READER_CLASSES.index(char) if char else 0] += p
    line = decode(scores)
    line.width = width
    return line


def test_the_reading_both_readers_find_likelier_wins_and_keeps_the_classifiers_boxes() -> None:
    word = _word(2, [(0, 1), (1, 2)])
    word.crop = True  # the two count alike in a crop (on a page, see test_on_a_page_the_reader_counts_more)
    digits = np.full((2, 10), 0.01, np.float32)
    digits[0, 1], digits[1, 7], digits[1, 4] = 0.6, 0.8, 0.05  # "17", 16 times likelier than "14" (its second)
    scores = Scores(digits, np.zeros(2, np.float32))
    read = assemble_word(word, scores, 0, 1.0, _line("14", 0.9))  # "14" 90 times likelier than "17" to the reader
    assert read is not None and read.text == "14" and read.confidence == pytest.approx(0.81, abs=1e-3)
    assert [d.box for d in read.digits] == [(0, 0, 10, 10), (10, 0, 10, 10)]
    kept = assemble_word(word, scores, 0, 1.0, _line("14", 0.5))  # only 10 times likelier: the classifier's
    assert kept is not None and kept.text == "17"
    alone = assemble_word(word, scores, 0, 1.0, _line("", 0.0))  # the reader saw no digit: the classifier's
    assert alone is not None and alone.text == "17"


def test_a_digit_the_reader_half_saw_is_kept_though_its_own_reading_is_surer() -> None:
    """ "100" whose two 0s the reader's greedy path runs together: its reading "10" is surer digit by digit (the
    old rule took it), but summed over its alignments the reader finds "100" nearly as likely, and no cut of the
    classifier reads "10"."""
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    word.crop = True  # ORAND's crops, where the rule was chosen (a page's weighs the classifier at half)
    digits = np.full((3, 10), 0.001, np.float32)
    digits[0, 1], digits[1, 0], digits[2, 0] = 0.99, 0.99, 0.99
    scores = Scores(digits, np.full(3, 0.001, np.float32))
    line = _line("10", 0.999, width=48, doubt={7: ("0", 0.45)})  # between the 0 at step 9 and the blank before
    assert line.text == "10" and line.confidence > 0.99**3
    read = assemble_word(word, scores, 0, 1.0, line)
    assert read is not None and read.text == "100"


def test_a_reading_of_another_length_takes_shares_of_the_word_box_and_keeps_its_separators_in_place() -> None:
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    word.box = (0, 0, 30, 10)
    word.separators = [(1, ".")]
    digits = np.full((3, 10), 0.01, np.float32)
    digits[0, 1], digits[2, 7] = 0.5, 0.5
    reject = np.array([0.0, 0.9, 0.0], np.float32)  # the classifier drops the middle piece as a mark: "17"
    read = assemble_word(word, Scores(digits, reject), 0, 1.0, _line("123", 0.95))
    assert read is not None and read.text == "123"
    lefts = [d.box[0] for d in read.digits]
    assert lefts == sorted(set(lefts)) and lefts[0] >= 0 and lefts[-1] + 10 <= 30  # a digit's width each, in order
    assert all(d.box[2] == 10 for d in read.digits)
    assert read.written == "1.23"  # the dot stood between the classifier's two digits: after the first here


def _turned(word: Word, width: int, way: tuple[float, float]) -> Word:
    """The same word on a page turned so that it reads backwards along x (`way` (-1, 0)) or down along y (0, 1):
    each box of a line `width` px long moved to where that page holds it."""

    def moved(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        x, y, w, h = box
        return (width - x - w, y, w, h) if way == (-1.0, 0.0) else (y, x, h, w)

    word.box, word.direction = moved(word.box), way
    for cand in word.candidates:
        cand.box = moved(cand.box)
    return word


@pytest.mark.parametrize("way", [(-1.0, 0.0), (0.0, 1.0)])
def test_a_turned_pages_reading_of_another_length_lays_its_digits_and_separators_along_the_way_it_reads(
    way: tuple[float, float],
) -> None:
    """Upside down a word's first digit stands at the page's right; a quarter turned, at its top. The reader's
    digits take their shares of the box in that order, and the dot stays after the first of them."""
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    word.box = (0, 0, 30, 10)
    word.separators = [(1, ".")]
    word = _turned(word, 30, way)
    digits = np.full((3, 10), 0.01, np.float32)
    digits[0, 1], digits[2, 7] = 0.5, 0.5
    reject = np.array([0.0, 0.9, 0.0], np.float32)
    read = assemble_word(word, Scores(digits, reject), 0, 1.0, _line("123", 0.95))
    assert read is not None and read.written == "1.23"
    starts = [d.box[0] if way[0] else d.box[1] for d in read.digits]
    assert starts == (sorted(starts, reverse=True) if way[0] < 0 else sorted(starts)) and len(set(starts)) == 3
    assert all((d.box[2] if way[0] else d.box[3]) == 10 for d in read.digits)


@pytest.mark.parametrize("way", [(-1.0, 0.0), (0.0, 1.0)])
def test_a_label_before_a_number_on_a_turned_page_is_left_out(way: tuple[float, float]) -> None:
    """ "DATE 42" read from a page turned half a turn (the label right of the number on the page) or a quarter (the
    label above it): the space after the label is measured the way the word reads, against its size across."""
    from digitscan.scan.segment import LABEL_GAP

    word, scores = _labelled(space=round(LABEL_GAP * 40) + 2)
    word = _turned(word, word.box[2], way)
    word.box = (word.box[0] + 300, word.box[1] + 300, word.box[2], word.box[3])  # far from the page's corner
    for cand in word.candidates:
        cand.box = (cand.box[0] + 300, cand.box[1] + 300, cand.box[2], cand.box[3])
    read = assemble_word(word, scores, offset=0, scale=1.0)
    assert read is not None and read.text == "42"
    tight, scores = _labelled(space=round(LABEL_GAP * 40) - 3)
    assert assemble_word(_turned(tight, tight.box[2], way), scores, offset=0, scale=1.0) is None


def _every_reading(word, edges) -> dict[str, float]:
    """Each text a word's lattice can read, with its best path's score: every path enumerated."""
    found: dict[str, float] = {}

    def walk(at: int, text: str, marks: int, score: float) -> None:
        if at == word.pieces:
            if 2 * marks <= len(text):
                found[text] = max(found.get(text, -np.inf), score)
            return
        for edge in (e for e in edges if e.start == at):
            for digit in range(10):
                walk(edge.end, text + str(digit), marks, score + float(edge.digit_logs[digit]))
            walk(edge.end, text, marks + edge.counted, score + edge.mark_log)

    walk(0, "", 0, 0.0)
    return found


def test_the_classifiers_likelihood_of_a_text_is_its_best_path_reading_that_text() -> None:
    word = _word(3, [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)])
    word.cuts = [True, False]
    rng = np.random.default_rng(3)
    scores = Scores(rng.dirichlet(np.ones(10), size=5).astype(np.float32), 0.05 * rng.random(5).astype(np.float32))
    edges = _edges(word, scores, 0)
    every = _every_reading(word, edges)
    for text in ["", "1", "12", "123", "1234", *sorted(every, key=every.get)[-20:]]:
        assert _text_log_likelihood(word.pieces, edges, text) == pytest.approx(every.get(text, -np.inf))
    best = _lattice_reading(word, edges, scores, 0, 1.0)
    assert best is not None and every[best.text] == pytest.approx(max(every.values()))


def _crop_word(heights: list[int], crop: bool) -> Word:
    """A word of one-piece candidates side by side, each `heights[k]` tall, in a 60-pixel-tall word box."""
    word = Word(line=0, pieces=len(heights), box=(0, 0, 20 * len(heights), 60), crop=crop)
    word.candidates = [Candidate(k, k + 1, (20 * k, 60 - h, 20, h), np.zeros((0, 0))) for k, h in enumerate(heights)]
    return word


@pytest.mark.parametrize("crop", [True, False], ids=["crop", "page"])
def test_in_a_crop_small_marks_beside_a_number_do_not_make_it_print(crop: bool) -> None:
    """ "7." with its crossbar apart: one digit, two marks. In a crop (cut around one number) the marks are small
    beside the digit and the 7 is read; on a page a word of more marks than digits is print and is dropped."""
    word = _crop_word([8, 55, 10], crop)  # the crossbar, the 7's stem, the full stop
    digits = np.full((3, 10), 0.01, np.float32)
    digits[1, 7] = 0.95
    scores = Scores(digits, np.array([0.95, 0.02, 0.95], np.float32))
    read = assemble_word(word, scores, offset=0, scale=1.0)
    assert (read.text if read else None) == ("7" if crop else None)
    tall = _crop_word([40, 55, 45], crop)  # marks as tall as letters: print, in a crop too
    assert assemble_word(tall, scores, offset=0, scale=1.0) is None


def test_on_a_page_small_marks_make_a_number_print_unless_the_reader_surely_reads_it() -> None:
    """A page's "7." with its crossbar apart is dropped as print, unless the string reader reads "7" at least
    PAGE_AGREEMENT surely; its unsure reading, or another number, leaves it dropped."""
    word = _crop_word([8, 55, 10], crop=False)
    digits = np.full((3, 10), 0.01, np.float32)
    digits[1, 7] = 0.95
    scores = Scores(digits, np.array([0.95, 0.02, 0.95], np.float32))
    read = assemble_word(word, scores, offset=0, scale=1.0, line=_line("7", 0.97))
    assert read is not None and read.text == "7"
    assert assemble_word(word, scores, offset=0, scale=1.0, line=_line("7", 0.6)) is None
    assert assemble_word(word, scores, offset=0, scale=1.0, line=_line("1", 0.6)) is None


def test_a_page_word_taken_for_print_is_read_by_the_reader_alone_when_it_is_sure() -> None:
    """A page's number in one word with a label's letters, no space between (three marks, two digits: print to the
    classifier): the string reader's "42" at PAGE_READER_ALONE or surer is read, each digit in its share of the
    word; an unsure reader, a reading of one digit (print's S as a 5), or a crop leaves it dropped."""
    from digitscan.scan.assemble import PAGE_READER_ALONE

    word, scores = _labelled(space=0)
    assert assemble_word(word, scores, offset=0, scale=1.0) is None
    sure = _line("42", PAGE_READER_ALONE**0.5 + 0.01, width=112)
    read = assemble_word(word, scores, offset=0, scale=1.0, line=sure)
    assert read is not None and read.text == "42" and read.confidence >= PAGE_READER_ALONE
    assert all(d.box[0] >= 0 and d.box[0] + d.box[2] <= word.box[2] for d in read.digits)
    assert read.digits[0].box[0] < read.digits[1].box[0]
    unsure = _line("42", PAGE_READER_ALONE**0.5 - 0.05, width=112)
    assert assemble_word(word, scores, offset=0, scale=1.0, line=unsure) is None
    assert assemble_word(word, scores, offset=0, scale=1.0, line=_line("4", 0.99, width=112)) is None  # one digit
    word.crop = True
    assert assemble_word(word, scores, offset=0, scale=1.0, line=sure) is None


def test_a_word_the_reader_reads_alone_keeps_its_separators_between_the_digits_either_side() -> None:
    """ "TOTAL 4.2" cut as one word, the classifier taking it all for print: the reader's "42" is read, and the point
    written between the 4's piece and the 2's stands between the digits the reader read either side of it."""
    from digitscan.scan.assemble import PAGE_READER_ALONE

    word, scores = _labelled(space=0)
    word.separators = [(4, ".")]  # after the label's three pieces and the 4's
    line = _line("42", PAGE_READER_ALONE**0.5 + 0.01, width=112)
    ink = line.width - 2 * LINE_PAD
    line.columns = [LINE_PAD + x / word.box[2] * ink for x in (76, 98)]  # where the 4 and the 2 stand
    read = assemble_word(word, scores, offset=0, scale=1.0, line=line)
    assert read is not None and read.written == "4.2"
    word.separators = [(1, ".")]  # between two of the label's letters: before any digit read, never written
    read = assemble_word(word, scores, offset=0, scale=1.0, line=line)
    assert read is not None and read.written == "42"


@pytest.mark.parametrize(
    ("cell", "side", "sure", "kept"),
    [(True, False, True, "7"), (True, False, False, None), (True, True, True, None), (False, False, True, None)],
    ids=["cell", "cell-unsure-reader", "cell-side", "amount"],
)
def test_a_cells_number_the_classifier_took_for_a_mark_is_read_by_the_cell_reader_alone_when_it_is_sure(
    cell: bool, side: bool, sure: bool, kept: str | None
) -> None:
    """A register cell's 7, crossed and underlined in one stroke, that the classifier takes for a mark: the cell
    reader's "7" at CELL_READER_ALONE or surer is the reading, in the word's box. An unsure reader leaves it dropped,
    and so does a word at the cell's side (a neighbour's sliver) or one in a check's amount (no cell)."""
    from digitscan.scan.assemble import CELL_READER_ALONE

    word = _crop_word([55], crop=True)
    word.cell, word.side = cell, side
    digits = np.full((1, 10), 0.005, np.float32)
    digits[0, 7] = 0.03
    scores = Scores(digits, np.full(1, 0.95, np.float32))
    assert assemble_word(word, scores, offset=0, scale=1.0) is None
    confidence = CELL_READER_ALONE + 0.01 if sure else CELL_READER_ALONE - 0.05
    read = assemble_word(word, scores, offset=0, scale=1.0, line=_line("7", confidence, width=20))
    assert (read.text if read else None) == kept
    if read is not None:
        assert read.confidence >= CELL_READER_ALONE
        assert read.digits[0].box[0] >= 0 and read.digits[0].box[0] + read.digits[0].box[2] <= word.box[2]


@pytest.mark.parametrize(("cell", "kept"), [(True, "19"), (False, "14")], ids=["cell", "amount"])
def test_in_a_cell_the_cell_reader_outweighs_a_classifier_that_cannot_read_its_digit(cell: bool, kept: str) -> None:
    """The classifier reads "14" and gives a 9 in the second place 1e-4; the reader reads "19", 7.6 nats surer of
    it than of "14". In a register cell, whose reader learnt cells, the classifier counts CELL_CLASSIFIER_WEIGHT
    and at worst CELL_LATTICE_FLOOR: the reader's "19" is read. In a check's amount it counts fully down to
    LATTICE_FLOOR: its "14" stays."""
    word = _crop_word([55, 55], crop=True)
    word.cell = cell
    digits = np.full((2, 10), 1e-5, np.float32)
    digits[0, 1], digits[1, 4], digits[1, 9] = 0.95, 0.95, 1e-4
    line = _line("19", 0.995, width=40)
    assert 7 < line.log_likelihood("19") - line.log_likelihood("14") < 8
    read = assemble_word(word, Scores(digits, np.full(2, 0.01, np.float32)), 0, 1.0, line)
    assert read is not None and read.text == kept


def test_a_cells_printed_word_stays_dropped_however_surely_the_cell_reader_reads_a_digit_in_it() -> None:
    """A printed label cut as a cell ("DATE": four letters, each a tall mark to the classifier) that the cell
    reader reads as "0", surely: no cut of it reads one digit among three marks (a number has at most one mark for
    every two digits), so it stays print."""
    word = _crop_word([40, 42, 40, 41], crop=True)
    word.cell = True
    digits = np.full((4, 10), 0.005, np.float32)
    digits[1, 0] = 0.04  # the D
    scores = Scores(digits, np.full(4, 0.95, np.float32))
    assert assemble_word(word, scores, offset=0, scale=1.0, line=_line("0", 0.99, width=80)) is None


def test_in_a_crop_the_likelihood_of_a_text_counts_only_the_tall_marks() -> None:
    """The likelihood search allows what the reading allows: small marks of a crop do not count."""
    word = _crop_word([10, 50, 12, 48, 9], crop=True)
    rng = np.random.default_rng(5)
    scores = Scores(rng.dirichlet(np.ones(10), size=5).astype(np.float32), rng.random(5).astype(np.float32))
    edges = _edges(word, scores, 0)
    every = _every_reading(word, edges)
    assert "" not in every and any(len(t) == 2 for t in every)  # two digits among three small marks: a reading
    for text in ["1", "12", *sorted(every, key=every.get)[-20:]]:
        assert _text_log_likelihood(word.pieces, edges, text) == pytest.approx(every.get(text, -np.inf))


def _labelled(space: int, sign: bool = False) -> tuple[Word, Scores]:
    """A page's word: a printed label of three letters (marks to the classifier), `space` pixels of blank, then
    the two digits "42" written after it, with a written "$" before them if `sign` (a 5 to the classifier at 0.6,
    a mark at 0.3); every piece its own candidate, 40 px tall."""
    lefts = [0, 22, 44] + [66 + space + 22 * k for k in range(2 + sign)]
    word = Word(line=0, pieces=len(lefts), box=(0, 0, lefts[-1] + 20, 40))
    word.candidates = [Candidate(k, k + 1, (x, 0, 20, 40), np.zeros((0, 0))) for k, x in enumerate(lefts)]
    digits = np.full((len(lefts), 10), 0.01, np.float32)
    digits[-2, 4] = digits[-1, 2] = 0.95
    reject = np.array([0.9, 0.9, 0.9] + [0.3] * sign + [0.02, 0.02], np.float32)
    if sign:
        digits[3, 5] = 0.6
    return word, Scores(digits, reject)


def test_a_number_written_after_a_printed_label_is_read_without_it() -> None:
    """ "DATE 42" cut as one word: three marks and two digits is print and would be dropped whole; the digits after
    the label's letters and a space are read. Without the space the letters and digits are one printed word."""
    from digitscan.scan.segment import LABEL_GAP

    word, scores = _labelled(space=round(LABEL_GAP * 40) + 2)
    read = assemble_word(word, scores, offset=0, scale=1.0, line=_line("11142", 0.9))
    assert read is not None and read.text == "42" and read.box[0] == 66 + round(LABEL_GAP * 40) + 2
    tight, scores = _labelled(space=round(LABEL_GAP * 40) - 3)
    assert assemble_word(tight, scores, offset=0, scale=1.0) is None
    crop, scores = _labelled(space=20)
    crop.crop = True  # a crop is cut around its number: no label in it
    assert assemble_word(crop, scores, offset=0, scale=1.0) is None


def test_a_number_after_a_printed_label_is_print_only_where_its_own_glyphs_are() -> None:
    """ "TOTAL $ 11" cut as one word: the label's letters make the word print (its 1s left out, as ever), which
    dropped the handwritten 11 after it whole. The number read after the label is judged on its own glyphs, 1s and
    all: kept where the detector surely takes each for a pen's (`PEN_GLYPH`), else dropped with the label (a
    printed "No. 11"; a printed page number's digit the detector gave 0.09)."""
    from digitscan.scan.segment import LABEL_GAP

    for number, read in (((0.05, 0.0), ["11"]), ((0.95, 0.95), []), ((0.05, 0.5), [])):
        word, scores = _labelled(space=round(LABEL_GAP * 40) + 2)
        scores.digits[-2:] = 0.01
        scores.digits[-2:, 1] = 0.95
        scores.printed = np.array([0.95, 0.95, 0.95, *number], np.float32)
        assert _printed(word, scores, offset=0)  # the word as a whole
        assert [s.text for s in assemble([word], scores, scale=1.0)] == read


def test_a_label_with_one_letter_read_as_a_digit_is_still_a_label() -> None:
    """ "DATE 42" whose "D" the classifier reads as a sure 0 among the other letters' marks: the 0 and the marks
    after it are the label, and the number after its space is read without them. With no space between, the word
    is print, as before."""
    from digitscan.scan.segment import LABEL_GAP

    word, scores = _labelled(space=round(LABEL_GAP * 40) + 2)
    scores.digits[0, 0], scores.reject[0] = 0.95, 0.02
    read = assemble_word(word, scores, offset=0, scale=1.0)
    assert read is not None and read.text == "42"
    tight, scores = _labelled(space=0)
    scores.digits[0, 0], scores.reject[0] = 0.95, 0.02
    assert assemble_word(tight, scores, offset=0, scale=1.0) is None


def test_a_first_digit_the_string_reader_reads_too_is_no_letter_of_a_label() -> None:
    """Marks before a number and a space after its first digit: a label whose last letter was read as a digit, or
    a written number after some marks ("11.07.07" after "DATE")? The reader, which learnt print as nothing, reads
    a label's letter as nothing; where it reads that digit too, the digit is the number's."""
    from digitscan.scan.segment import LABEL_GAP

    word, scores = _labelled(space=round(LABEL_GAP * 40) + 2, sign=True)  # "$" read as a 5 after the space
    scores.digits[2, 1], scores.reject[2] = 0.95, 0.02  # the third blob read as a sure 1
    assert assemble_word(word, scores, offset=0, scale=1.0, line=_line("542", 0.95)).text == "542"
    assert assemble_word(word, scores, offset=0, scale=1.0, line=_line("1542", 0.95)).text == "1542"


def test_a_number_after_a_label_is_weighed_against_the_string_reader() -> None:
    """ "TOTAL $ 42": the classifier reads the written "$" after the label as a 5 where the string reader is sure of
    "42"; the two weigh each other from the label's end, as they do on any word, and "42" is read."""
    from digitscan.scan.segment import LABEL_GAP

    word, scores = _labelled(space=round(LABEL_GAP * 40) + 2, sign=True)
    alone = assemble_word(word, scores, offset=0, scale=1.0)
    assert alone is not None and alone.text == "542"
    read = assemble_word(word, scores, offset=0, scale=1.0, line=_line("42", 0.99))
    assert read is not None and read.text == "42"


def test_a_page_word_the_reader_surely_reads_as_nothing_is_dropped() -> None:
    """A printed "MEMO" whose strokes the classifier reads as 1111: the string reader reads nothing, and gives 1111
    under READER_BLANK; on a page the word is dropped, in a crop (one number, cut around it) it is kept."""
    from digitscan.scan.assemble import READER_BLANK

    word = _word(4, [(k, k + 1) for k in range(4)])
    digits = np.full((4, 10), 0.01, np.float32)
    digits[:, 1] = 0.95
    scores = Scores(digits, np.full(4, 0.02, np.float32))
    blank = _line("", 0.0)
    assert blank.text == "" and blank.log_likelihood("1111") < READER_BLANK
    assert assemble_word(word, scores, 0, 1.0, blank) is None
    doubtful = _line("", 0.0, doubt={k: ("1", 0.45) for k in range(1, 12, 3)})  # four 1s likely, not decoded
    assert doubtful.text == "" and doubtful.log_likelihood("1111") > READER_BLANK
    kept = assemble_word(word, scores, 0, 1.0, doubtful)
    assert kept is not None and kept.text == "1111"
    word.crop = True
    crop = assemble_word(word, scores, 0, 1.0, blank)
    assert crop is not None and crop.text == "1111"


def test_on_a_page_the_reader_counts_more() -> None:
    """A page's word: the classifier's log-likelihood counts PAGE_CLASSIFIER_WEIGHT; "14", 10 times likelier than
    "17" to the reader, wins over the classifier's 16 to 1 for "17" (in a crop it would not)."""
    from digitscan.scan.assemble import PAGE_CLASSIFIER_WEIGHT

    assert 16**PAGE_CLASSIFIER_WEIGHT < 10
    word = _word(2, [(0, 1), (1, 2)])
    digits = np.full((2, 10), 0.01, np.float32)
    digits[0, 1], digits[1, 7], digits[1, 4] = 0.6, 0.8, 0.05
    read = assemble_word(word, Scores(digits, np.zeros(2, np.float32)), 0, 1.0, _line("14", 0.5))
    assert read is not None and read.text == "14"
    word.crop = True
    read = assemble_word(word, Scores(digits, np.zeros(2, np.float32)), 0, 1.0, _line("14", 0.5))
    assert read is not None and read.text == "17"


@pytest.mark.parametrize(("width", "kept"), [(3, "510"), (10, "50")])
def test_a_thin_one_the_page_reader_left_out_is_kept(width: int, kept: str) -> None:
    """On a page the reader drops a thin 1 beside its neighbour ("510" read "50"): where the classifier read the 1
    from a stroke of the digits' height at most THIN_ONE as wide, its reading stands; a wide stroke read as 1 (a
    mark, a blot) is left to the two readers' sum, which here takes the reader's "50"."""
    from digitscan.scan.assemble import THIN_ONE

    assert width <= THIN_ONE * 10 or kept == "50"
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    word.candidates[1].box = (10, 0, width, 10)
    digits = np.full((3, 10), 0.001, np.float32)
    digits[0, 5], digits[1, 1], digits[2, 0] = 0.99, 0.6, 0.99
    scores = Scores(digits, np.array([0.001, 0.3, 0.001], np.float32))  # the 1 might be a mark
    read = assemble_word(word, scores, 0, 1.0, _line("50", 0.99))
    assert read is not None and read.text == kept


@pytest.mark.parametrize(("cell", "kept"), [(True, "27"), (False, "127")])
def test_a_bar_the_crop_reader_leaves_out_at_a_cells_number_is_a_rules_remnant(cell: bool, kept: str) -> None:
    """A rule's remnant in line beside a register cell's "27", as tall as its digits, is a 1 to the classifier
    ("127"); the crop reader, which learnt cells' words, reads "27". In a cell the bar goes and the other digits
    keep the classifier's boxes; in a check's amount, cut tight, a first 1 standing apart is a 1 (the two readers'
    sum decides, here the classifier's surer "127")."""
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    word.crop, word.cell = True, cell
    word.candidates[0].box = (0, 0, 2, 10)  # a bar
    word.candidates[1].box, word.candidates[2].box = (10, 0, 7, 10), (20, 0, 7, 10)
    digits = np.full((3, 10), 0.001, np.float32)
    digits[0, 1], digits[1, 2], digits[2, 7] = 0.999, 0.99, 0.99
    scores = Scores(digits, np.full(3, 1e-4, np.float32))  # surely no mark to the classifier
    read = assemble_word(word, scores, 0, 1.0, _line("27", 0.9))
    assert read is not None and read.text == kept
    if cell:
        assert [d.box for d in read.digits] == [(10, 0, 7, 10), (20, 0, 7, 10)]
        assert read.box == (10, 0, 17, 10)


@pytest.mark.parametrize(("width", "cell", "kept"), [(2, True, "2"), (6, True, None), (2, False, None)])
def test_a_rules_remnant_the_classifier_drops_beside_a_cells_one_digit_leaves_that_digit(
    width: int, cell: bool, kept: str | None
) -> None:
    """A column's rule beside a register cell's "2", cut as the word's first piece, is no digit to the classifier:
    dropped, it was one mark to one digit, as print is, and the cell read nothing. A bar at a cell's number's end
    (`CELL_END_BAR`) is a rule's remnant and does not count; a wider mark, or a bar beside a check's amount, does."""
    word = _word(2, [(0, 1), (1, 2)])
    word.crop, word.cell = True, cell
    word.candidates[0].box = (0, 0, width, 12)  # as tall as the digit
    word.candidates[1].box = (10, 0, 8, 12)
    digits = np.full((2, 10), 0.001, np.float32)
    digits[0, 1], digits[1, 2] = 0.05, 0.99
    scores = Scores(digits, np.array([0.9, 1e-4], np.float32))  # the bar: surely no digit
    read = assemble_word(word, scores, 0, 1.0)
    assert (read.text if read else None) == kept


@pytest.mark.parametrize(("height", "cell", "kept"), [(4, True, "84"), (9, True, "841"), (4, False, "841")])
def test_a_short_mark_the_classifier_read_at_a_cells_number_end_goes_with_the_crop_reader(
    height: int, cell: bool, kept: str
) -> None:
    """ "84," in a register cell: the classifier reads the tall comma as a 1 ("841"), the crop reader, which learnt
    cells with their marks, reads "84". A last digit under SHORT_END of the others' height is such a mark, and the
    reader's reading stands with the classifier's boxes; a digit nearly as tall as the rest, or a check's amount,
    is left to the two readers' sum (here the classifier's surer "841")."""
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    word.crop, word.cell = True, cell
    word.candidates[2].box = (20, 10 - height, 6, height)  # of digits 10 px tall; too wide for a rule remnant
    digits = np.full((3, 10), 0.001, np.float32)
    digits[0, 8], digits[1, 4], digits[2, 1] = 0.99, 0.99, 0.999
    scores = Scores(digits, np.full(3, 1e-4, np.float32))  # surely no mark to the classifier
    read = assemble_word(word, scores, 0, 1.0, _line("84", 0.9))
    assert read is not None and read.text == kept
    if kept == "84":
        assert [d.box for d in read.digits] == [(0, 0, 10, 10), (10, 0, 10, 10)]


@pytest.mark.parametrize(("cell", "side", "kept"), [(True, True, None), (True, False, "7"), (False, True, "7")])
def test_a_cells_word_at_its_side_that_the_crop_reader_reads_as_nothing_is_none(
    cell: bool, side: bool, kept: str | None
) -> None:
    """An empty register cell: a band's ragged edge or the next cell's sliver at its side is a 7 to the classifier,
    nothing to the crop reader, which learnt cells' words (slivers, rules' ends and footers as nothing). There it is
    no number. Inside the cell the classifier's reading stays, as it does in a check's amount, cut tight."""
    word = _word(1, [(0, 1)])
    word.crop, word.cell, word.side = True, cell, side
    digits = np.full((1, 10), 0.01, np.float32)
    digits[0, 7] = 0.9
    read = assemble_word(word, Scores(digits, np.full(1, 0.01, np.float32)), 0, 1.0, _line("", 0.0))
    assert (read.text if read else None) == kept


def test_in_a_crop_the_reader_may_read_a_tail_the_cut_dropped() -> None:
    """ "25.000" whose small touching zeros the cut dropped as a flourish: the classifier's word holds "25" only,
    so no cut reads "25000". The reader, sure of all five digits, finds "25" some e^10 to e^20 times less likely:
    over LATTICE_FLOOR (-10) it now wins; at the earlier floor (-20) the classifier's "25" stood."""
    from digitscan.scan.assemble import LATTICE_FLOOR

    word = _word(2, [(0, 1), (1, 2)])
    word.crop = True
    digits = np.full((2, 10), 0.001, np.float32)
    digits[0, 2], digits[1, 5] = 0.99, 0.99
    scores = Scores(digits, np.full(2, 0.001, np.float32))
    line = _line("25000", 0.97, width=80)
    assert _text_log_likelihood(2, _edges(word, scores, 0), "25000") == -np.inf
    assert -20 < line.log_likelihood("25") - line.log_likelihood("25000") < -10
    read = assemble_word(word, scores, 0, 1.0, line)
    assert read is not None and read.text == "25000"
    unsure = _line("25000", 0.6, width=80)  # a reader this unsure of the tail does not outweigh the cut
    assert LATTICE_FLOOR < unsure.log_likelihood("25") - unsure.log_likelihood("25000") < 0
    read = assemble_word(word, scores, 0, 1.0, unsure)
    assert read is not None and read.text == "25"


def test_on_a_page_the_reader_may_read_a_digit_no_cut_holds() -> None:
    """ "112" whose two 1s touch and were never cut apart: no path of the classifier reads it. On a page the
    classifier's weighed log-likelihood counts PAGE_LATTICE_FLOOR at the least, so the reader, sure of its "112",
    wins over the classifier's "12"; in a crop the floor is far lower (LATTICE_FLOOR) and the classifier's stands."""
    from digitscan.scan.assemble import LATTICE_FLOOR, PAGE_LATTICE_FLOOR

    word = _word(2, [(0, 1), (1, 2)])
    digits = np.full((2, 10), 0.001, np.float32)
    digits[0, 1], digits[1, 2] = 0.99, 0.99
    scores = Scores(digits, np.full(2, 0.001, np.float32))
    line = _line("112", 0.99)
    assert _text_log_likelihood(2, _edges(word, scores, 0), "112") == -np.inf
    assert LATTICE_FLOOR < line.log_likelihood("12") - line.log_likelihood("112") < PAGE_LATTICE_FLOOR
    read = assemble_word(word, scores, 0, 1.0, line)
    assert read is not None and read.text == "112"
    word.crop = True
    read = assemble_word(word, scores, 0, 1.0, line)
    assert read is not None and read.text == "12"


@pytest.mark.parametrize(("more", "kept"), [("1", "152"), ("8", "52")])
def test_on_a_page_a_1_the_reader_reads_beside_the_classifiers_digits_is_given_more_room(more: str, kept: str) -> None:
    """ "152" whose thin 1 is joined to the 5 and cut with it: no cut reads it, the classifier reads "52". The reader
    finds "52" e^4.5 times less likely than its "152": over ONE_MORE_FLOOR (the classifier's blind spot, a 1 more)
    it wins; another digit more ("852") is weighed with PAGE_LATTICE_FLOOR, where the classifier's "52" stands."""
    from digitscan.scan.assemble import ONE_MORE_FLOOR, PAGE_LATTICE_FLOOR

    word = _word(2, [(0, 1), (1, 2)])
    digits = np.full((2, 10), 0.001, np.float32)
    digits[0, 5], digits[1, 2] = 0.99, 0.99
    scores = Scores(digits, np.full(2, 0.001, np.float32))
    line = _line(more + "52", 0.9)
    assert _text_log_likelihood(2, _edges(word, scores, 0), more + "52") == -np.inf
    assert PAGE_LATTICE_FLOOR < line.log_likelihood("52") - line.log_likelihood(more + "52") < ONE_MORE_FLOOR
    read = assemble_word(word, scores, 0, 1.0, line)
    assert read is not None and read.text == kept


@pytest.mark.parametrize(
    ("written", "valid"),
    [
        ("12/05/2024", True),
        ("05/12/24", True),
        ("31.12.1899", True),
        ("16.06.1094", False),
        ("7-13-92", True),  # m/d/y
        ("10/06/2806", False),
        ("12-72-1999", False),
        ("32/13/20", False),
        ("00/06/2006", False),
        ("1,234.56", None),
        ("12/05-2024", None),  # unlike separators
        ("123/4/56", None),
        ("12052024", None),
    ],
)
def test_a_string_written_as_a_date_is_checked_against_the_calendar(written: str, valid: bool | None) -> None:
    assert date_valid(written) is valid


def _date_word(sure: float) -> tuple[Word, Scores]:
    """ "10/06/2806" cut in eight pieces, one digit each, its 8 read at `sure` and 0 as the next likeliest."""
    word = _word(8, [(i, i + 1) for i in range(8)])
    word.separators = [(2, "/"), (4, "/")]
    digits = np.full((8, 10), 1e-6, np.float32)
    digits[np.arange(8), [1, 0, 0, 6, 2, 8, 0, 6]] = 0.999
    digits[5, 8], digits[5, 0] = sure, 1.0 - sure
    return word, Scores(digits, np.zeros(8, np.float32))


def test_a_date_read_as_none_of_the_calendar_is_the_likeliest_date_one_digit_away_and_flagged() -> None:
    word, scores = _date_word(sure=0.6)
    read = assemble_word(word, scores, offset=0, scale=1.0)
    assert read is not None and read.written == "10/06/2006"
    assert read.digits[5].confidence == pytest.approx(0.4, abs=1e-3)  # the two texts' share
    assert all(d.confidence > 0.99 for k, d in enumerate(read.digits) if k != 5)
    flag_below([read], 0.5)
    assert read.shown() == "10/06/2?06"


def test_a_surely_read_non_date_and_a_code_no_date_is_near_stay_as_read() -> None:
    word, scores = _date_word(sure=0.99999)  # the 0 over 11 nats less likely: past DATE_MARGIN
    read = assemble_word(word, scores, offset=0, scale=1.0)
    assert read is not None and read.written == "10/06/2806"
    code = DigitString(
        digits=[Digit(c, 0.6, (10 * i, 0, 10, 10)) for i, c in enumerate("404784")],
        box=(0, 0, 60, 10),
        line=0,
        separators={1: "-", 3: "-"},
    )
    assert as_date(code, lambda text: 0.0).written == "40-47-84"  # a sort code: no date one digit away


@pytest.mark.parametrize(
    ("read", "likeliest", "expected"),
    [
        ("13.2.199", "1321995", "13.2.1995"),  # a year's last digit lost
        ("24/6/996", "2461996", "24/6/1996"),  # its first
        ("14.3.077", "14307", "14.3.07"),  # a mark read as a digit
        ("24/12/20266", "24122026", "24/12/2026"),
        ("211/12/1996", "21121996", "21/12/1996"),  # a day's digit too many
    ],
)
def test_a_date_read_a_digit_short_or_long_is_the_likeliest_date_one_digit_added_or_left_out(
    read: str, likeliest: str, expected: str
) -> None:
    found = _evenly(read)
    recounted = as_date(found, lambda text: -1.0 if text == likeliest else -3.0)
    assert recounted.written == expected
    added = [d for d in recounted.digits if all(d is not old for old in found.digits)]
    if len(expected) > len(read):  # the added digit stands in its neighbour's box, flagged by the two texts' share
        assert len(added) == 1 and added[0].box in [d.box for d in found.digits]
        assert added[0].confidence == pytest.approx(1 / (1 + math.exp(-2.0)))
    else:
        assert added == []
    unlikely = as_date(_evenly(read), lambda text: -3.0 if text == found.text else -20.0)
    assert unlikely.written == read  # every date past the margin
    assert as_date(_evenly("18/1/119"), lambda text: 0.0).written == "18/1/119"  # a slash beside its 1: settled later


@pytest.mark.parametrize("written", ["24/12/2026", "1,234.56", "0", "12-5"])
def test_a_written_string_parts_into_its_digits_and_separators_and_back(written: str) -> None:
    digits, separators = unwritten(written)
    assert digits == "".join(c for c in written if c.isdigit())
    assert written_with(digits, separators) == written


def _string(text: str, lefts: list[int], separators: dict[int, str]) -> DigitString:
    digits = [Digit(c, 0.99, (x, 0, 24, 28)) for c, x in zip(text, lefts, strict=True)]
    return DigitString(digits=digits, box=(0, 0, lefts[-1] + 24, 28), line=0, separators=separators)


def _evenly(read: str) -> DigitString:
    """A string read as `read` ("19/12/99"), its digits evenly spaced."""
    text, separators = unwritten(read)
    return _string(text, [30 * i for i in range(len(text))], separators)


def test_a_date_read_with_one_separator_gets_the_second_where_its_digits_stand_apart() -> None:
    """ "19-10-18" read "19-1018": its second dash lost (faint, or joined to a digit), the 0 and the 1 after it
    still stand as far apart as the found dash sets its digits; the only date its digits make with a second dash
    is 19-10-18. Evenly spaced there, or month and year ("7/2019"), the string stays as read."""
    spaced = _string("191018", [0, 30, 80, 110, 160, 190], {1: "-"})
    assert _date_completed(spaced).written == "19-10-18"
    even = _string("191018", [0, 30, 80, 110, 140, 170], {1: "-"})
    assert _date_completed(even).written == "19-1018"
    month_year = _string("72019", [0, 50, 80, 110, 140], {0: "/"})
    assert _date_completed(month_year).written == "7/2019"


@pytest.mark.parametrize(
    ("read", "lefts", "written"),
    [
        ("24.92017", [0, 30, 80, 130, 160, 190, 220], "24.9.2017"),  # the 9 and the 2 apart: the second point lost
        ("24.92017", [0, 30, 80, 110, 140, 170, 200], "2492017"),  # evenly spaced: a lone point, a speck
        ("85.90", [0, 30, 80, 130], "85.90"),  # an amount's point: never a date's, however its digits stand
        ("1.2345", [0, 50, 80, 110, 140], "12345"),  # no date with a second point: a speck
    ],
)
def test_a_date_read_with_one_point_gets_the_second_only_where_no_amount_could_have_it(
    read: str, lefts: list[int], written: str
) -> None:
    """A lone point (four digits or more after it) is no amount's: where its digits make one date with a second
    point and stand apart there, the date's lost point is given back, as a dash or slash is; otherwise the point
    is a speck and left out. An amount's point ("85.90") is never completed into a date ("8.5.90")."""
    at = read.index(".") - 1
    text = read.replace(".", "")
    assert _separators_settled(_string(text, lefts, {at: "."})).written == written


@pytest.mark.parametrize(
    ("read", "written"),
    [
        ("06105124", "06/05/24"),  # its slashes read as 1s: a day and month with leading zeros
        ("101912003", "10/9/2003"),  # a four-digit year
        ("717192", "717192"),  # 7/7/92 is a date, but a ledger's number as likely
        ("12111990", "12111990"),  # no two 1s make a date of it
        ("111145", "111145"),  # 1/1/45 and 11/1/45...: not one date
        ("06/05/24", "06/05/24"),  # a date as read
    ],
)
def test_a_dates_slashes_read_as_ones_are_its_slashes_where_the_date_is_unmistakable(read: str, written: str) -> None:
    """Slashes standing as steep as the writer's 1s are read as 1s; two 1s that, taken for slashes, make exactly
    one date of the calendar with a four-digit year or a leading zero are those slashes, and no digits."""
    settled = _separators_settled(_evenly(read))
    assert settled.written == written
    assert len(settled.digits) == len(settled.text) == sum(c.isdigit() for c in written)


@pytest.mark.parametrize(
    ("read", "written"),
    [
        ("57.3.1", "57.31"),  # a speck read as a point inside an amount's decimals
        ("87,73.6.34", "87,736.34"),
        ("16/11/202.1", "16/11/2021"),  # inside a date's year
        ("1.3.23", "1.3.23"),  # a date as written
        ("12,345,678.90", "12,345,678.90"),  # an amount as written
        ("1.234,56", "1.234,56"),  # a European amount: no one point or comma less makes a shape: as read
        ("14.3.077", "14.3.077"),  # neither way a date or an amount: as read
    ],
)
def test_a_point_that_makes_a_string_no_date_nor_amount_is_a_speck_where_it_alone_does(read: str, written: str) -> None:
    assert _separators_settled(_evenly(read)).written == written


@pytest.mark.parametrize(
    ("written", "kept"),
    [("5.1696", "51696"), ("85.90", "85.90"), ("1,234", "1,234"), ("7.2023", "7.2023"), ("7.1696", "71696")],
)
def test_a_lone_point_with_four_digits_after_it_is_a_speck(written: str, kept: str) -> None:
    text = written.replace(".", "").replace(",", "")
    at = next(i for i, c in enumerate(written) if not c.isdigit()) - 1
    string = _string(text, [30 * i for i in range(len(text))], {at: written[at + 1]})
    assert _without_lone_point(string).written == kept


@pytest.mark.parametrize(
    ("read", "written"),
    [
        ("191/2/99", "19/12/99"),  # the slash read as the 1 of 12, and that 1 as the slash
        ("18/1/119", "18/11/19"),
        ("51/2/99", "5/12/99"),  # a date's groups, but no day 51
        ("21/2/2022", "21/2/2022"),  # 2/12/2022 too, and either is a date: it stays as read
        ("12/05/2024", "12/05/2024"),  # a date already
        ("1/10/101", "1/10/101"),  # no one move makes a date
        ("12/345/6", "12/345/6"),  # no 1 beside a slash
    ],
)
def test_a_slash_taken_on_the_1_beside_it_moves_across_that_1_and_the_digits_stay(read: str, written: str) -> None:
    moved = _slash_beside_one(_evenly(read))
    assert moved.written == written and moved.text == "".join(c for c in read if c.isdigit())


def _three_digits(first: int, printed: list[float], crop: bool = False) -> tuple[Word, Scores]:
    """A word of three single pieces read `first`, 4, 5, each with the print detector's probability `printed`."""
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    word.crop = crop
    digits = np.full((3, 10), 0.01, np.float32)
    digits[0, first], digits[1, 4], digits[2, 5] = 0.97, 0.97, 0.97
    return word, Scores(digits, np.full(3, 0.01, np.float32), np.asarray(printed, np.float32))


def test_a_page_word_is_print_when_its_glyphs_look_printed_leaving_out_its_ones() -> None:
    """Whole-word print: the mean over its glyphs against PRINTED_WORD, on PRINTED_GLYPHS of them at least; a 1 (a
    bar in type or by hand) counts for nothing either way, a crop is never print, and without the detector's scores
    nothing is."""
    assert PRINTED_GLYPHS == 2  # the cases below are written for it
    over, under = PRINTED_WORD + 0.2, PRINTED_WORD - 0.2
    assert _printed(*_three_digits(7, [over, over, over]), offset=0)
    assert not _printed(*_three_digits(7, [over, under, under]), offset=0)
    assert _printed(*_three_digits(1, [0.0, over, over]), offset=0)  # the 1's low score left out
    assert not _printed(*_three_digits(1, [1.0, under, under]), offset=0)  # and its high one
    assert not _printed(*_three_digits(7, [np.nan, over, np.nan]), offset=0)  # one glyph: too often a pen's too
    assert not _printed(*_three_digits(7, [over, over, over], crop=True), offset=0)
    word, scores = _three_digits(7, [over, over, over])
    assert not _printed(word, Scores(scores.digits, scores.reject), offset=0)
    nan = _three_digits(7, [np.nan, np.nan, np.nan])
    assert not _printed(*nan, offset=0)


def _page_words(written: list[tuple[str, list[int], float]]) -> tuple[list[Word], Scores]:
    """Page words of single pieces read as `text`, their glyphs `heights` tall, each printed by the detector with
    the word's one probability."""
    words, digits, printed = [], [], []
    for n, (text, heights, likeness) in enumerate(written):
        x = 400 * n
        word = Word(line=0, pieces=len(text), box=(x, 0, 30 * len(text), max(heights)))
        word.candidates = [Candidate(k, k + 1, (x + 30 * k, 0, 20, h), np.zeros((0, 0))) for k, h in enumerate(heights)]
        words.append(word)
        for char in text:
            row = np.full(10, 0.003, np.float32)
            row[int(char)] = 0.97
            digits.append(row)
            printed.append(likeness)
    rows = len(digits)
    return words, Scores(np.array(digits), np.full(rows, 0.01, np.float32), np.array(printed, np.float32))


def test_a_word_is_print_where_print_as_tall_stands_beside_it_and_its_glyphs_are_one_height_and_look_printed() -> None:
    """A receipt's price of three 1s ("11.41": too few glyphs left for `_printed`) is print beside PRINT_KIN_WORDS
    prices as tall that are; a handwritten number as tall is not where its glyphs range in height
    (PRINT_KIN_SPREAD) or look a pen's (PRINT_KIN_MEAN), nor is one of another height, nor that price with fewer
    printed words beside it."""
    assert PRINT_KIN_WORDS == 3 and PRINT_KIN_HEIGHT >= 0.05  # the cases below are written for them
    prices = [("4419", [40] * 4, 0.99), ("2151", [40, 40, 41, 40], 0.99), ("2440", [39] * 4, 0.99)]
    ones = ("1141", [40] * 4, 0.99)
    hands = [("7020", [40, 46, 35, 41], 0.65), ("3862", [40] * 4, 0.2), ("85", [70, 72], 0.6)]
    words, scores = _page_words([*prices, ones, *hands])
    assert not _printed(words[3], scores, offset=12)  # its 1s left out, one glyph is too few
    assert [s.text for s in assemble(words, scores, 1.0)] == ["7020", "3862", "85"]
    words, scores = _page_words([*prices[:2], ones, *hands])
    assert [s.text for s in assemble(words, scores, 1.0)] == ["1141", "7020", "3862", "85"]
    words, scores = _page_words([*prices, ("1141", [60] * 4, 0.99)])  # print of another size
    assert [s.text for s in assemble(words, scores, 1.0)] == ["1141"]


def _on_turned_page(box: tuple[int, int, int, int], degrees: float) -> tuple[int, int, int, int]:
    """The upright box around `box` turned by `degrees` (counterclockwise on the page, y down) about the origin."""
    x, y, w, h = box
    turn = np.deg2rad(degrees)
    rotation = np.array([[math.cos(turn), math.sin(turn)], [-math.sin(turn), math.cos(turn)]])
    corners = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]], float) @ rotation.T
    low, high = corners.min(axis=0), corners.max(axis=0)
    return round(low[0]), round(low[1]), round(high[0] - low[0]), round(high[1] - low[1])


def test_a_glyphs_height_is_measured_across_its_line_on_a_page_turned_a_quarter() -> None:
    """A glyph 20 wide and 40 tall on its line stands 40 tall across it whichever way up its page was photographed:
    a turned cut's boxes are the upright boxes around it on the page as given (`segment`), 40 wide there."""
    for degrees in (0, 90, 180, 270, 86, 265):
        turn = np.deg2rad(degrees)
        box = _on_turned_page((300, 200, 20, 40), degrees)
        assert height_across(box, (math.cos(turn), -math.sin(turn))) == pytest.approx(40, abs=4)


def test_print_by_its_kin_on_a_page_turned_a_quarter_is_told_by_its_glyphs_heights_across_its_lines() -> None:
    """The kin rule's page (above) photographed turned a quarter (and a few degrees more): its boxes on the page are
    upright boxes around turned ones, whose heights are the glyphs' widths (all 20: the handwritten numbers' glyphs
    then looked one height, as tall as the prices, and "7020" and "85" were left out as print). Measured across the
    lines, the verdicts stay."""
    prices = [("4419", [40] * 4, 0.99), ("2151", [40, 40, 41, 40], 0.99), ("2440", [39] * 4, 0.99)]
    hands = [("1141", [40] * 4, 0.99), ("7020", [40, 46, 35, 41], 0.65), ("3862", [40] * 4, 0.2), ("85", [70, 72], 0.6)]
    for degrees in (90, 270, 84, 276):
        words, scores = _page_words([*prices, *hands])
        turn = np.deg2rad(degrees)
        for word in words:
            word.box = _on_turned_page(word.box, degrees)
            word.direction = (math.cos(turn), -math.sin(turn))
            for cand in word.candidates:
                cand.box = _on_turned_page(cand.box, degrees)
        assert sorted(s.text for s in assemble(words, scores, 1.0)) == ["3862", "7020", "85"]


def test_a_long_word_is_print_too_where_its_glyphs_turned_half_a_turn_look_printed() -> None:
    """A form's number printed along the edge the other way up from the page's writing: the detector takes its
    glyphs for a pen's as they stand, for type turned. A word of TURNED_GLYPHS glyphs or more is print either way;
    a shorter one only as it stands (a short handwritten number turned looks printed too often)."""
    for length, printed in ((TURNED_GLYPHS, True), (TURNED_GLYPHS - 1, False)):
        word = _word(length, [(k, k + 1) for k in range(length)])
        digits = np.full((length, 10), 0.01, np.float32)
        digits[:, 7] = 0.97
        scores = Scores(digits, np.full(length, 0.01, np.float32), np.full(length, 0.2, np.float32))
        assert not _printed(word, scores, offset=0)
        scores.printed_turned = np.full(length, PRINTED_WORD + 0.2, np.float32)
        assert _printed(word, scores, offset=0) == printed
        assert _printed(word, scores.rows(0, length), offset=0) == printed  # the turned scores kept with the rows
        scores.printed, scores.printed_turned = scores.printed_turned, scores.printed
        assert _printed(word, scores, offset=0)  # as it stands, whatever its length


def test_assemble_leaves_out_a_printed_word_and_keeps_a_written_one() -> None:
    printed, written = _three_digits(7, [0.99, 0.99, 0.99]), _three_digits(7, [0.1, 0.2, 0.1])
    for cand in written[0].candidates:
        cand.box = (cand.box[0], 100, cand.box[2], cand.box[3])
    words = [printed[0], written[0]]
    scores = Scores(
        np.concatenate([printed[1].digits, written[1].digits]),
        np.concatenate([printed[1].reject, written[1].reject]),
        np.concatenate([printed[1].printed, written[1].printed]),
    )
    strings = assemble(words, scores, scale=1.0)
    assert [s.text for s in strings] == ["745"]
    assert strings[0].box[1] == 100
