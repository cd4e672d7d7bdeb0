"""The page generator: deterministic pages whose truth matches what is drawn, under every condition."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from digitscan.training.pages import (
    FEATURES,
    KINDS,
    SIZES,
    Conditions,
    Digits,
    lines_of,
    make_page,
    random_conditions,
    random_writer,
    schedule,
    separator,
    write,
)

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"


@pytest.fixture(scope="module")
def digits(mnist_subset_path: Path) -> Digits:
    return Digits.load(mnist_subset_path, "test")


def _ink_share(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The share of dark pixels (pen, print) inside a box of an RGB image."""
    x, y, w, h = box
    grey = image[y : y + h, x : x + w].mean(axis=2)
    return float((grey < np.median(image.mean(axis=2)) - 60).mean())


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_deterministic_and_its_truth_is_written_where_it_says(kind: str, digits: Digits) -> None:
    conditions = Conditions(ink="blue", size="small")
    page = make_page(7, digits, kind, conditions)
    again = make_page(7, digits, kind, conditions)
    other = make_page(8, digits, kind, conditions)
    assert np.array_equal(page.image, again.image) and page.numbers == again.numbers
    assert not np.array_equal(page.image, other.image)
    assert page.image.dtype == np.uint8 and page.image.shape[2] == 3
    assert max(page.image.shape[:2]) == SIZES["small"][0]
    assert page.numbers
    h, w = page.image.shape[:2]
    for n in page.numbers:
        assert n.digits == "".join(c for c in n.text if c.isdigit()) and n.digits
        x, y, bw, bh = n.box
        assert x >= 0 and y >= 0 and x + bw <= w and y + bh <= h and bw > 0 and bh > 0
        assert _ink_share(page.image, n.box) > 0.03  # ink where the truth says a number is
    assert [n.line for n in page.numbers] == sorted(n.line for n in page.numbers)


def test_a_turned_page_is_the_upright_page_turned_and_its_boxes_follow(digits: Digits) -> None:
    upright = make_page(3, digits, "note", Conditions())
    turned = make_page(3, digits, "note", Conditions(turn=90))
    assert turned.image.shape[:2] == upright.image.shape[1::-1]
    assert np.array_equal(np.rot90(upright.image, k=-1), turned.image)
    height = upright.image.shape[0]
    for a, b in zip(upright.numbers, turned.numbers, strict=True):
        x, y, w, h = a.box
        assert b.box == (height - y - h, x, h, w) and b.line == a.line


def test_separators_are_strokes_and_only_digits_are_in_digits(digits: Digits) -> None:
    rng = np.random.default_rng(0)
    for char in "/-.,$":
        cover, top = separator(rng, char, 60)
        assert cover.max() > 0.9 and -0.2 < top < 1.0
    writer = random_writer(rng, 1000)
    hand = write(rng, digits, writer, "12/05/2024", 50)
    assert hand.cover.shape[0] >= 45 and hand.cover.shape[1] > 8 * 20
    dated = make_page(5, digits, "dated", Conditions())
    assert any(n.text != n.digits for n in dated.numbers)


def test_conditions_schedule_covers_every_kind_and_feature() -> None:
    pairs = schedule(18)
    assert {k for k, _ in pairs} == set(KINDS) and {f for _, f in pairs} == set(FEATURES)
    assert len(set(pairs)) == 18
    rng = np.random.default_rng(1)
    assert abs(random_conditions(rng, feature="tilt").tilt) >= 3
    assert random_conditions(rng, feature="turn").turn in (90, 180, 270)
    assert random_conditions(rng, feature="colour").ink in ("red", "green")
    assert "perspective" in random_conditions(rng, feature="photo").tags()
    with pytest.raises(ValueError, match="no feature"):
        random_conditions(rng, feature="sepia")


def test_lines_group_boxes_that_share_a_row() -> None:
    assert lines_of([(0, 100, 50, 40), (200, 110, 50, 40), (0, 0, 50, 40), (0, 300, 50, 40)]) == [1, 1, 0, 2]


def test_the_committed_pages_are_what_the_generator_makes(digits: Digits) -> None:
    """The README's command remakes the committed truth (checked on two pages: the rest take longer)."""
    rows = list(csv.DictReader((PAGES / "truth.csv").open()))
    kinds = {r["file"]: r["kind"] for r in csv.DictReader((PAGES / "pages.csv").open())}
    assert len(kinds) >= 12 and set(kinds.values()) == set(KINDS)
    assert all((PAGES / f).is_file() for f in kinds)
    for i, (kind, feature) in enumerate(schedule(2)):
        conditions = random_conditions(np.random.default_rng([16, i, 1]), "small", feature)
        page = make_page([16, i], digits, kind, conditions)
        name = f"page-{i:03d}-{kind}.jpg"
        assert [(n.digits, n.text, str(n.line)) for n in page.numbers] == [
            (r["digits"], r["text"], r["line"]) for r in rows if r["file"] == name
        ]
