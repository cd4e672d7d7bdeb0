"""Page words: generated training pages cut out by the scanner, each word labelled with the number written there."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitscan.model.contract import LINE_HEIGHT
from digitscan.training.page_words import (
    CELL_SEED,
    _made,
    labelled,
    make_cell_words,
    make_page_words,
    overlap,
    words_of_cell,
)
from digitscan.training.pages import Digits, make_register

MNIST_SUBSET = Path(__file__).parent.parent / "data" / "mnist_subset.npz"


def test_overlap_is_intersection_over_union() -> None:
    assert overlap((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert overlap((0, 0, 10, 10), (5, 0, 10, 10)) == 50 / 150
    assert overlap((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0


def test_a_word_takes_the_number_it_matches_one_to_one_and_print_reads_as_nothing() -> None:
    numbers = [((100, 100, 80, 30), "1234"), ((300, 100, 60, 30), "56")]
    words = [
        (102, 98, 78, 32),  # the first number, cut a little differently
        (300, 100, 20, 30),  # a third of the second: neither its digits nor nothing
        (500, 400, 90, 20),  # print far from any number
        (104, 100, 70, 30),  # the first number again, but a worse match than the first word
    ]
    assert labelled(words, numbers) == ["1234", None, "", None]
    assert labelled(words[2:3], []) == [""]


def test_a_word_that_holds_one_number_with_print_beside_it_is_that_number() -> None:
    numbers = [((200, 100, 120, 30), "120524"), ((500, 100, 60, 30), "56")]
    words = [
        (100, 95, 225, 40),  # "DATE 12/05/24": the label cut out with the first number
        (450, 95, 80, 40),  # print with half of the second number: neither its digits nor nothing
        (100, 300, 460, 40),  # a rule under both: neither
    ]
    assert labelled(words, numbers) == ["120524", None, ""]
    both = [(100, 95, 480, 40)]  # both numbers run together: no one number's
    assert labelled(both, numbers) == [None]
    taken = [(200, 100, 120, 30), (100, 95, 225, 40)]  # the number has its own word: the larger one teaches nothing
    assert labelled(taken, numbers[:1]) == ["120524", None]


def test_training_pages_give_labelled_reader_lines_the_same_every_time() -> None:
    data = np.load(MNIST_SUBSET)
    writers = [Digits(data["x_train"], data["y_train"])]
    words = make_page_words(writers, pages=3, seed=5, workers=1)
    again = make_page_words(writers, pages=3, seed=5, workers=2)
    assert words.lines.texts == again.lines.texts
    assert all(np.array_equal(a, b) for a, b in zip(words.lines.images, again.lines.images, strict=True))
    assert any(words.lines.texts) and all(text == "" or text.isdigit() for text in words.lines.texts)
    assert all(line.shape[0] == LINE_HEIGHT and line.max() > 0 for line in words.lines.images)
    described = words.describe()
    assert described["pages"] == 3 and described["numbers"] == sum(map(bool, words.lines.texts))


def test_training_register_cells_give_their_numbers_and_their_print_as_reader_lines() -> None:
    data = np.load(MNIST_SUBSET)
    writers = [Digits(data["x_train"], data["y_train"])]
    numbers = [make_register([CELL_SEED, 5, i], writers[0]).number.digits for i in range(8)]
    cut = [words_of_cell(writers, 5, i) for i in range(8)]
    found = sum(number in [text for _, text in words] for number, words in zip(numbers, cut, strict=True))
    assert found >= 6  # a number the cutting splits in two is left out, not mislabelled
    assert all(text in ("", number) for number, words in zip(numbers, cut, strict=True) for _, text in words)
    words = make_cell_words(writers, cells=8, seed=5, workers=2)
    assert words.lines.texts == [text for found in cut for _, text in found]
    described = words.describe()
    assert described["name"] == "cell words" and described["kind"] == "generated register cells"
    assert described["cells"] == 8 and described["numbers"] == found
    assert "empty_cells" not in described


def test_training_cells_left_empty_give_only_words_read_as_nothing() -> None:
    """A register's blank rows: whatever the scanner cuts out of an empty cell (a sliver, a rule's stub, a footer)
    is learnt as nothing, from cells of a stream of their own."""
    data = np.load(MNIST_SUBSET)
    writers = [Digits(data["x_train"], data["y_train"])]
    cut = [words_of_cell(writers, 5, i, empty=True) for i in range(12)]
    assert sum(map(len, cut)) >= 3 and all(text == "" for words in cut for _, text in words)
    words = make_cell_words(writers, cells=2, seed=5, workers=2, empty=12)
    blank = [line for found in cut for line, _ in found]
    assert words.lines.texts[-len(blank) :] == [""] * len(blank)
    assert all(np.array_equal(a, b) for a, b in zip(words.lines.images[-len(blank) :], blank, strict=True))
    assert words.describe()["empty_cells"] == 12 and words.describe()["cells"] == 2


def _opencv_threads(seed: int, index: int) -> list[tuple[np.ndarray, str]]:
    import cv2

    return [(np.zeros((LINE_HEIGHT, 8), np.float32), str(cv2.getNumThreads()))]


def test_training_words_are_cut_by_worker_processes_with_one_opencv_thread() -> None:
    writers = [Digits(np.zeros((10, 28, 28), np.uint8), np.arange(10))]
    lines = _made(_opencv_threads, writers, count=4, seed=5, workers=2, chunk=1)
    assert lines.texts == ["1"] * 4
