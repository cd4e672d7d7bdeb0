"""digitscan.scan.read: decoding the string reader's column scores, and the reader run through ONNX Runtime."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from digitscan.errors import ModelError
from digitscan.model.contract import READER_CLASSES
from digitscan.scan.read import StringReader, ctc_log_likelihood, decode, softmax


def _scores(path: list[int], sure: float = 0.9) -> np.ndarray:
    """Column scores whose best class per step follows `path` (0: blank, d + 1: digit d)."""
    out = np.full((len(path), len(READER_CLASSES)), (1 - sure) / (len(READER_CLASSES) - 1), np.float32)
    out[np.arange(len(path)), path] = sure
    return out


def test_decode_drops_blanks_and_repeats_but_keeps_a_digit_written_twice() -> None:
    read = decode(_scores([0, 2, 2, 0, 2, 0, 0, 8, 8, 8, 0]))  # "1", "1" (a blank between), then "7"
    assert read.text == "117"
    assert read.columns == [8.0, 18.0, 34.0]  # the middle of each run of steps, in line pixels (4 a step)
    assert read.confidences == pytest.approx([0.9, 0.9, 0.9])
    assert read.confidence == pytest.approx(0.9**3)


def test_decode_of_only_blanks_reads_nothing_with_no_confidence() -> None:
    read = decode(_scores([0, 0, 0]))
    assert read.text == "" and read.confidence == 0.0


def _by_every_path(scores: np.ndarray, text: str) -> float:
    """log P(text): every path of classes over the steps enumerated, decoded as the scanner decodes, summed."""
    total = 0.0
    for path in itertools.product(range(scores.shape[1]), repeat=len(scores)):
        if decode(_scores(list(path))).text == text:
            total += float(np.prod(scores[np.arange(len(scores)), path]))
    return math.log(total) if total else -math.inf


@pytest.mark.parametrize("text", ["", "1", "11", "12", "121", "2222"])
def test_the_likelihood_of_a_reading_sums_every_alignment_of_it(text: str) -> None:
    rng = np.random.default_rng(len(text))
    scores = np.zeros((5, len(READER_CLASSES)), np.float64)
    scores[:, :4] = rng.dirichlet(np.ones(4), size=5)  # blank and the digits 0-2 only, to enumerate 4**5 paths
    assert ctc_log_likelihood(scores, text) == pytest.approx(_by_every_path(scores[:, :4], text), abs=1e-9)


def test_the_likelihoods_of_every_text_a_line_can_hold_sum_to_one() -> None:
    scores = np.zeros((4, len(READER_CLASSES)), np.float64)
    scores[:, :3] = np.random.default_rng(7).dirichlet(np.ones(3), size=4)  # blank, 0 and 1 only
    texts = {"".join(t) for n in range(5) for t in itertools.product("01", repeat=n)}
    assert sum(math.exp(ctc_log_likelihood(scores, t)) for t in texts) == pytest.approx(1.0, abs=1e-9)


def test_a_reading_keeps_its_scores_to_weigh_other_texts() -> None:
    read = decode(_scores([0, 2, 0, 2, 0], sure=0.9))
    assert read.text == "11" and read.scores.shape == (5, len(READER_CLASSES))
    assert read.log_likelihood("11") > read.log_likelihood("1") > read.log_likelihood("7")
    assert read.log_likelihood("1111") == -math.inf  # four 1s need a blank between each two: seven steps, not five


def test_softmax_is_a_distribution_over_the_last_axis() -> None:
    p = softmax(np.array([[[1000.0, 0.0, -5.0], [1.0, 1.0, 1.0]]], np.float32))
    assert np.allclose(p.sum(axis=-1), 1.0) and np.isfinite(p).all()


def test_the_bundled_reader_reads_composed_lines_of_unseen_digits(mnist_subset) -> None:
    """The bundled reader, through ONNX Runtime, reads lines made of the committed MNIST subset's digits (not
    digits it trained on: these are of MNIST's test split)."""
    from digitscan.scan.normalise import to_line
    from digitscan.training.strings import synthetic_line

    x, y = mnist_subset.x_test, mnist_subset.y_test
    rng = np.random.default_rng(5)
    lines, texts = [], []
    for _ in range(40):
        ink, text = synthetic_line(rng, x, y)
        lines.append(to_line(ink))
        texts.append(text)
    reader = StringReader()
    assert reader.loaded.runtime == "onnxruntime"
    read = reader.read(lines)
    right = sum(r.text == t for r, t in zip(read, texts, strict=True))
    # its card: 62.75 % of 2,000 such lines read exactly (faint, squeezed and touching digits among them); a
    # reader that had learned nothing would read next to none of 40
    assert right >= 22, [(r.text, t) for r, t in zip(read, texts, strict=True)]
    assert all(r.width == line.shape[1] for r, line in zip(read, lines, strict=True))


def test_a_reader_file_that_is_a_classifier_is_refused() -> None:
    from digitscan.model.files import bundled_model_path

    with pytest.raises(ModelError, match="string reader"):
        StringReader(str(bundled_model_path()))


def test_each_line_goes_to_its_kinds_reader_crops_cells_and_pages_words(mnist_subset) -> None:
    """Each line is read by its own reader alone, whatever lines share the call; a reader given alone reads all."""
    from digitscan.scan.normalise import to_line
    from digitscan.scan.read import bundled_reader_path
    from digitscan.training.strings import synthetic_line

    rng = np.random.default_rng(7)
    lines = [to_line(synthetic_line(rng, mnist_subset.x_test, mnist_subset.y_test)[0]) for _ in range(9)]
    reader = StringReader()
    kinds = ("crop", "cell", "page")
    alone = {kind: reader.read(lines, [kind] * len(lines)) for kind in kinds}
    mixed = reader.read(lines, [kinds[i % 3] for i in range(len(lines))])
    for i, read in enumerate(mixed):
        assert np.array_equal(read.scores, alone[kinds[i % 3]][i].scores)
    assert all(np.array_equal(c.scores, x.scores) for c, x in zip(reader.read(lines), alone["crop"], strict=True))
    for a, b in (("crop", "cell"), ("crop", "page"), ("cell", "page")):
        assert not all(np.array_equal(x.scores, y.scores) for x, y in zip(alone[a], alone[b], strict=True))
    one = StringReader(bundled_reader_path())
    assert one.page_loaded is one.loaded and one.cell_loaded is one.loaded
