"""The string reader's training: synthetic lines, real documents' lines, epochs, and a short real run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from digitscan.model.contract import LINE_HEIGHT
from digitscan.scan.normalise import MAX_LINE_WIDTH, to_line
from digitscan.training.recipe import (
    READER_CONTINUE_LEARNING_RATE,
    READER_DOCUMENT_REPEATS,
    READER_PAGE_WORD_REPEATS,
    TrainOptions,
)
from digitscan.training.strings import LENGTHS, Lines, synthetic_line

MNIST_SUBSET = Path(__file__).parent.parent / "data" / "mnist_subset.npz"


@pytest.fixture(scope="module")
def pool() -> tuple[np.ndarray, np.ndarray]:
    data = np.load(MNIST_SUBSET)
    return data["x_train"], data["y_train"]


def test_a_synthetic_line_holds_its_digits_and_normalises(pool: tuple[np.ndarray, np.ndarray]) -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        ink, text = synthetic_line(rng, *pool)
        assert text.isdigit() and LENGTHS[0] <= len(text) < LENGTHS[1]
        assert ink.ndim == 2 and ink.max() > 0.2
        line = to_line(ink)
        assert line.shape[0] == LINE_HEIGHT and 0 < line.shape[1] <= MAX_LINE_WIDTH and line.max() == 1.0


def test_an_epoch_is_reproducible_and_repeats_the_real_lines(pool: tuple[np.ndarray, np.ndarray]) -> None:
    from digitscan.training.reader import encode, reader_epoch

    real = Lines([np.ones((LINE_HEIGHT, 40), np.float32)], ["905"])
    words = Lines([np.ones((LINE_HEIGHT, 56), np.float32)] * 2, ["", "31"])  # print, and a number, off a page
    x, y = reader_epoch(*pool, real, 20, READER_DOCUMENT_REPEATS, words, seed=1, epoch=2)
    again, same = reader_epoch(*pool, real, 20, READER_DOCUMENT_REPEATS, words, seed=1, epoch=2)
    assert x.shape == (20 + READER_DOCUMENT_REPEATS + 2 * READER_PAGE_WORD_REPEATS, LINE_HEIGHT, MAX_LINE_WIDTH, 1)
    assert np.array_equal(x, again) and np.array_equal(y, same)
    assert (y == encode(["905"])[0]).all(axis=1).sum() >= READER_DOCUMENT_REPEATS
    assert (y == 0).all(axis=1).sum() >= READER_PAGE_WORD_REPEATS  # a word of print: all blank
    assert not np.array_equal(x, reader_epoch(*pool, real, 20, 1, words, seed=1, epoch=3)[0])
    assert encode(["905"])[0, :4].tolist() == [10, 1, 6, 0]  # blank is 0, digit d is d + 1, padded with blanks


def test_documents_give_one_labelled_line_per_image(labelled_folder: Path) -> None:
    from digitscan.training.reader import load_documents

    documents = load_documents(labelled_folder)
    assert len(documents.files) == 6 and all(len(t) == 3 for t in documents.lines.texts)
    assert all(line.shape[0] == LINE_HEIGHT and np.isclose(line.max(), 1.0) for line in documents.lines.images)
    assert documents.describe()["lines"] == 6


def test_a_short_run_writes_a_reader_that_scanning_loads(tmp_path: Path, labelled_folder: Path) -> None:
    from digitscan.model.files import card_path
    from digitscan.scan.read import StringReader
    from digitscan.training.data import load_mnist
    from digitscan.training.reader import load_documents, train_reader

    options = TrainOptions(arch="stringnet", epochs=1, validation_size=100, out=tmp_path, seed=2)
    result = train_reader(load_mnist(MNIST_SUBSET), options, documents=[load_documents(labelled_folder)], lines=64)
    assert result.model_path == tmp_path / "stringnet.h5" and not result.interrupted
    card = json.loads(card_path(result.model_path).read_text())
    assert card["architecture"] == "stringnet" and card["classes"][0] == "blank"
    assert card["export"]["argmax_differences"] == 0 and card["export"]["max_score_difference"] <= 1e-4
    assert [s["kind"] for s in card["sources"]] == ["digits", "documents"]
    assert all(path.exists() for path in result.outputs)
    reader = StringReader(str(result.model_path))
    assert reader.loaded.runtime == "onnxruntime"
    assert len(reader.read([to_line(np.eye(20, dtype=np.float32))])) == 1


def test_readers_averaged_hold_the_mean_of_their_weights_and_name_both(tmp_path: Path) -> None:
    """`--average`: two readers continued from one (the bundled crop and cell readers) make one whose every weight
    is the mean of theirs; its card names both with their sources, its export is checked against it and scans."""
    from digitscan.model.export import sha256
    from digitscan.model.files import load_for_scanning, load_model
    from digitscan.scan.read import bundled_cell_reader_path, bundled_reader_path
    from digitscan.training.data import load_mnist
    from digitscan.training.reader import average_readers

    paths = (Path(bundled_reader_path()), Path(bundled_cell_reader_path()))
    options = TrainOptions(arch="stringnet", out=tmp_path / "soup", average=paths)
    result = average_readers(load_mnist(MNIST_SUBSET), options)
    a, b = (load_model(path, role="reader").model.get_weights() for path in paths)
    mean = load_model(result.model_path, role="reader").model.get_weights()
    assert all(np.allclose(m, (x + y) / 2, atol=1e-6) for m, x, y in zip(mean, a, b, strict=True))
    assert any(not np.allclose(x, y) for x, y in zip(a, b, strict=True))
    card = result.card
    assert [entry["sha256"] for entry in card["averaged_from"]] == [sha256(path) for path in paths]
    assert card["averaged_from"][1]["sources"] == load_model(paths[1], role="reader").card["sources"]
    assert all(source in card["sources"] for source in load_model(paths[0], role="reader").card["sources"])
    assert 0.0 < card["test_string_accuracy"] <= 1.0
    assert load_for_scanning(result.model_path, role="reader").runtime == "onnxruntime"


def test_a_soup_averaged_again_keeps_its_own_parents_in_the_card(tmp_path: Path) -> None:
    """The bundled page reader is itself readers averaged: averaged (or continued) again, the new card holds its
    parents too, not only its sources, so the lineage is never cut short."""
    from digitscan.model.files import load_model
    from digitscan.scan.read import bundled_page_reader_path, bundled_reader_path
    from digitscan.training.data import load_mnist
    from digitscan.training.reader import average_readers

    soup = Path(bundled_page_reader_path())
    parents = load_model(soup, role="reader").card["averaged_from"]
    options = TrainOptions(arch="stringnet", out=tmp_path / "again", average=(soup, Path(bundled_reader_path())))
    card = average_readers(load_mnist(MNIST_SUBSET), options).card
    assert card["averaged_from"][0]["averaged_from"] == parents
    assert [entry["sha256"] for entry in parents] and "averaged_from" not in card["averaged_from"][1]


def test_a_reader_continued_starts_from_its_weights_and_says_what_it_learnt(tmp_path: Path) -> None:
    """`start_from` takes a trained reader further at the continuing rate: its weights move a little from the base,
    not from a fresh start, and the card names the base with its sources, and the page words."""
    from digitscan.model.architectures import build
    from digitscan.model.export import sha256
    from digitscan.model.files import card_path, load_model
    from digitscan.training.data import load_mnist
    from digitscan.training.reader import train_reader

    mnist = load_mnist(MNIST_SUBSET)
    first = TrainOptions(arch="stringnet", epochs=1, validation_size=100, out=tmp_path / "base", seed=3)
    base = train_reader(mnist, first, lines=64).model_path
    options = TrainOptions(
        arch="stringnet",
        epochs=1,
        validation_size=100,
        out=tmp_path / "more",
        seed=4,
        start_from=base,
        page_words=2,
        cell_words=1,
    )
    result = train_reader(mnist, options, lines=32)
    card = json.loads(card_path(result.model_path).read_text())
    assert card["recipe"]["learning_rate"] == READER_CONTINUE_LEARNING_RATE
    assert card["continued_from"]["sha256"] == sha256(base)
    assert card["continued_from"]["sources"] == json.loads(card_path(base).read_text())["sources"]
    [words] = [s for s in card["sources"] if s["kind"] == "generated pages"]
    assert words["pages"] == 2 and words["numbers"] + words["nothing"] > 0
    [cells] = [s for s in card["sources"] if s["kind"] == "generated register cells"]
    assert cells["cells"] == 1 and cells["numbers"] + cells["nothing"] > 0
    before, after = load_model(base, role="reader").model, load_model(result.model_path, role="reader").model
    fresh = build("stringnet")
    moved = max(float(np.abs(a - b).max()) for a, b in zip(after.get_weights(), before.get_weights(), strict=True))
    apart = max(float(np.abs(f - b).max()) for f, b in zip(fresh.get_weights(), before.get_weights(), strict=True))
    assert 0 < moved < apart / 10
