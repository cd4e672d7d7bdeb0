"""The page generator: deterministic pages whose truth matches what is drawn, under every condition."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from digitscan.training.page_words import overlap
from digitscan.training.pages import (
    BAND_RAGGED,
    BAND_SLOPE,
    CELL_HEIGHT,
    CELL_WIDTH,
    FEATURES,
    KINDS,
    RULINGS,
    SIZES,
    Conditions,
    Digits,
    lines_of,
    main,
    make_page,
    make_register,
    random_conditions,
    random_writer,
    schedule,
    separator,
    write,
)

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
REGISTERS = PAGES.parent / "registers"


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


def test_a_hard_shadow_has_a_sharp_edge_through_the_page_and_a_soft_one_a_wide_penumbra(digits: Digits) -> None:
    """A hard shadow (a phone under one lamp) darkens its side of the page by its depth, with an edge a few pixels
    wide; a soft one of the same depth fades in over a tenth of the page or so. The draws are the same either way,
    so the pages after a soft shadow's stay as they were."""
    import dataclasses

    plain = make_page(7, digits, "note", Conditions(jpeg=None))
    soft = make_page(7, digits, "note", Conditions(shadow=0.55, jpeg=None))
    hard = make_page(7, digits, "note", dataclasses.replace(soft.conditions, hard_shadow=True))
    assert "hard shadow" in hard.conditions.tags() and "hard shadow" not in soft.conditions.tags()
    assert [n.digits for n in hard.numbers] == [n.digits for n in plain.numbers]

    def ratio(page: np.ndarray) -> np.ndarray:  # the paper's brightness against the unshaded page's, by pixel
        return _grey(page) / np.maximum(_grey(plain.image), 1)

    paper = _grey(plain.image) > 200
    hard_ratio, soft_ratio = ratio(hard.image)[paper], ratio(soft.image)[paper]

    def between(r: np.ndarray) -> float:  # the share of the paper neither lit nor fully shaded: the penumbra
        return float(((r > 0.5) & (r < 0.95)).mean())

    assert float((hard_ratio < 0.5).mean()) > 0.1 and float((hard_ratio > 0.98).mean()) > 0.1
    assert between(hard_ratio) < 0.03 and between(soft_ratio) > 0.2


def test_a_curled_pages_lines_bow_and_its_boxes_follow_the_numbers(digits: Digits) -> None:
    """A curled page (`Conditions.curl`): its ruled lines bow by about the curl's share of the page's height, and
    each number's box moves with it, around the number's ink."""
    flat = make_page(3, digits, "notebook", Conditions(jpeg=None))
    curled = make_page(3, digits, "notebook", Conditions(curl=0.03, jpeg=None))
    assert "curl" in curled.conditions.tags() and [n.digits for n in curled.numbers] == [n.digits for n in flat.numbers]
    assert not np.array_equal(flat.image, curled.image)
    for number in curled.numbers:
        assert _ink_share(curled.image, number.box) > 0.25, number  # the flat page's boxes hold 0.1 to 0.19
    moved = [abs(a.box[1] - b.box[1]) for a, b in zip(curled.numbers, flat.numbers, strict=True)]
    assert max(moved) > 0.01 * flat.image.shape[0]


def test_a_page_written_small_holds_the_same_numbers_half_as_tall(digits: Digits) -> None:
    """`Conditions.writing` scales the writer's digits on a note: the same numbers, their boxes about half as tall
    (a form's or a check's digits fill its printed fields, whatever the writer's size)."""
    usual = make_page(5, digits, "note", Conditions(jpeg=None))
    small = make_page(5, digits, "note", Conditions(writing=0.5, jpeg=None))
    assert "small writing" in small.conditions.tags() and "small writing" not in usual.conditions.tags()
    assert [n.digits for n in small.numbers] == [n.digits for n in usual.numbers]
    ratio = np.median([b.box[3] / a.box[3] for a, b in zip(usual.numbers, small.numbers, strict=True)])
    assert 0.4 < ratio < 0.6


@pytest.mark.parametrize("kind", ["notebook", "dated"])
def test_a_squared_or_dotted_page_is_its_lined_twin_on_other_paper(digits: Digits, kind: str) -> None:
    """`Conditions.ruling` changes a notebook's paper only: the same numbers in the same boxes, a grid's upright
    lines (or its dots) where the lined page has paper."""
    lined, squared, dotted = (make_page(3, digits, kind, Conditions(ruling=r, jpeg=None)) for r in RULINGS)
    assert "squared paper" in squared.conditions.tags() and "dotted paper" in dotted.conditions.tags()
    for other in (squared, dotted):
        assert [(n.digits, n.box) for n in other.numbers] == [(n.digits, n.box) for n in lined.numbers]
    grey = [page.image.mean(axis=2) for page in (lined, squared, dotted)]
    darker = [(g < grey[0] - 20).mean() for g in grey[1:]]  # the grid's lines and dots, where the lined page is paper
    assert darker[0] > 0.02 and 0.0005 < darker[1] < darker[0]
    with pytest.raises(ValueError, match="no ruling"):
        make_page(3, digits, kind, Conditions(ruling="hexagonal"))


def test_printed_numbers_are_print_in_the_margins_and_change_nothing_else(digits: Digits) -> None:
    """`Conditions.printed_numbers` prints a form number and a page number where nothing else is (the margins): the
    handwritten numbers, the page's truth, stay as they were."""
    plain = make_page(4, digits, "form", Conditions(jpeg=None))
    printed = make_page(4, digits, "form", Conditions(printed_numbers=True, jpeg=None))
    assert "printed numbers" in printed.conditions.tags() and "printed numbers" not in plain.conditions.tags()
    assert [(n.digits, n.box) for n in printed.numbers] == [(n.digits, n.box) for n in plain.numbers]
    changed = np.abs(printed.image.astype(int) - plain.image.astype(int)).max(axis=2) > 40
    rows = np.flatnonzero(changed.any(axis=1))
    height = plain.image.shape[0]
    assert rows.size and all(y < 0.07 * height or y > 0.93 * height for y in rows)


def test_a_pages_print_set_in_a_typeface_changes_its_print_only_and_each_printed_word_has_its_box(
    digits: Digits,
) -> None:
    """`Conditions.typeface`: the page's labels and printed numbers set in a font file ("" is Pillow's own) instead of
    the Hershey faces; the handwritten numbers stay as they were. `Page.printed` boxes every printed word, on the
    photographed page (turned here) as the numbers' boxes are."""
    hershey = make_page(4, digits, "form", Conditions(printed_numbers=True, jpeg=None, turn=90))
    typeset = make_page(4, digits, "form", Conditions(printed_numbers=True, jpeg=None, turn=90, typeface=""))
    assert [(n.digits, n.box) for n in typeset.numbers] == [(n.digits, n.box) for n in hershey.numbers]
    assert len(typeset.printed) == len(hershey.printed) >= 6  # a title, four labels, a form number, a page number
    assert not np.array_equal(typeset.image, hershey.image)
    grey = typeset.image.mean(axis=2)
    for x, y, w, h in typeset.printed:
        assert (grey[y : y + h, x : x + w] < 128).mean() > 0.03, (x, y, w, h)  # print inside each box
    for n in typeset.numbers:
        assert all(overlap(n.box, box) < 0.1 for box in typeset.printed)  # and none over the handwriting


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


def _grey(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32).mean(axis=2)


def _band_strip(grey: np.ndarray, side: str, depth: int) -> np.ndarray:
    """The outer quarter of a band's depth along `side`: dark wherever the band is."""
    d = max(1, depth // 4)
    return {"left": grey[:, :d], "right": grey[:, -d:], "top": grey[:d], "bottom": grey[-d:]}[side]


def _free_edge(grey: np.ndarray, side: str, bands: dict[str, int]) -> np.ndarray:
    """The outermost 2 pixels of a side without a band, between the bands on the sides next to it."""
    h, w = grey.shape
    reach = BAND_RAGGED + BAND_SLOPE
    x0, x1 = bands.get("left", -w) + (reach * w + 2), w - bands.get("right", -w) - (reach * w + 2)
    y0, y1 = bands.get("top", -h) + (reach * h + 2), h - bands.get("bottom", -h) - (reach * h + 2)
    x0, x1, y0, y1 = max(0, round(x0)), min(w, round(x1)), max(0, round(y0)), min(h, round(y1))
    return {"left": grey[y0:y1, :2], "right": grey[y0:y1, -2:], "top": grey[:2, x0:x1], "bottom": grey[-2:, x0:x1]}[
        side
    ]


@pytest.mark.parametrize("seed", range(12))
def test_a_register_cell_is_deterministic_with_its_number_in_the_box_and_its_bands_where_it_says(
    seed: int, digits: Digits
) -> None:
    cell = make_register([20, seed], digits)
    again = make_register([20, seed], digits)
    assert np.array_equal(cell.image, again.image) and cell.number == again.number and cell.borders == again.borders
    assert not np.array_equal(cell.image, make_register([21, seed], digits).image)
    h, w = cell.image.shape[:2]
    assert CELL_WIDTH[0] <= w <= CELL_WIDTH[1] and CELL_HEIGHT[0] // 2 <= h <= CELL_HEIGHT[1]
    n = cell.number
    assert n.digits.isdigit() and 1 <= len(n.digits) <= 3 and n.text == n.digits and n.digits[0] != "0"
    grey = _grey(cell.image)
    paper = float(np.median(grey))
    x, y, bw, bh = n.box
    assert x >= 0 and y >= 0 and x + bw <= w and y + bh <= h
    ink = grey[y : y + bh, x : x + bw] < paper - 30
    assert ink.mean() > 0.05  # pen strokes where the truth says the number is...
    assert ink.any(axis=1).mean() > 0.6 and ink.any(axis=0).mean() > 0.5  # ...across the box, not one rule through it
    bands = dict(cell.borders)
    assert 1 <= len(bands) <= 2
    for side, depth in bands.items():
        assert float(np.median(_band_strip(grey, side, depth))) < 100, side  # black to dark grey
        assert {"left": x, "top": y, "right": w - x - bw, "bottom": h - y - bh}[side] > depth  # the number is clear
    for side in set(("left", "right", "top", "bottom")) - set(bands):
        assert float(np.median(_free_edge(grey, side, bands))) > paper - 40, side  # paper reaches that edge


def test_an_empty_register_cell_is_its_cell_without_the_numbers_ink(digits: Digits) -> None:
    """A cell left empty (a register's blank row) is the same cell, rules, bands, footer and slivers alike, with no
    number, mark or flourish: it differs only where those were, and its truth is no number."""
    for seed in range(4):
        cell, empty = make_register([20, seed], digits), make_register([20, seed], digits, empty=True)
        assert empty.number.digits == empty.number.text == "" and "empty" in empty.features
        assert empty.borders == cell.borders and cell.image.shape == empty.image.shape
        darker = _grey(cell.image).astype(int) < _grey(empty.image).astype(int) - 40  # the number's ink, gone
        x, y, w, h = cell.number.box
        assert darker[y : y + h, x : x + w].sum() > 0.5 * darker.sum() > 0


def test_register_cells_vary_as_real_crops_do(digits: Digits) -> None:
    """Over a few dozen cells every feature of issue #20 turns up: bands on one and on two sides, rules touching the
    number and cut short, trailing marks, flourishes, slivers, footers, odd sizes."""
    cells = [make_register([5, i], digits) for i in range(60)]
    features = {f for c in cells for f in c.features}
    assert features >= {"rules", "rule touching", "rule cut short", "mark", "flourish", "slivers", "footer"}
    assert features & {"small", "large"}
    assert {len(c.borders) for c in cells} == {1, 2}
    assert {side for c in cells for side, _ in c.borders} == {"left", "right", "top", "bottom"}


def test_the_committed_register_cells_are_what_the_generator_makes(
    digits: Digits, tmp_path: Path, mnist_subset_path: Path
) -> None:
    """The README's command remakes the committed cells' truth (checked on three cells) and eval's labels.csv."""
    rows = list(csv.DictReader((REGISTERS / "cells.csv").open()))
    labels = {r["file"]: r["digits"] for r in csv.DictReader((REGISTERS / "labels.csv").open())}
    assert len(rows) == len(labels) >= 25 and all((REGISTERS / f).is_file() for f in labels)
    assert {r["file"]: r["digits"] for r in rows} == labels
    for i in range(3):
        cell = make_register([20, i], digits)
        row = rows[i]
        assert row["file"] == f"cell-{i:03d}.jpg" and row["digits"] == cell.number.digits
        assert tuple(int(row[k]) for k in "xywh") == cell.number.box
        assert row["borders"] == " ".join(f"{side}:{d}" for side, d in cell.borders)
    args = ["--out", str(tmp_path), "--count", "2", "--seed", "20", "--digits", str(mnist_subset_path)]
    main([*args, "--kinds", "register"])
    assert (tmp_path / "labels.csv").read_text().splitlines() == ["file,digits"] + [
        f"{f},{d}" for f, d in list(labels.items())[:2]
    ]
    with pytest.raises(SystemExit):
        main([*args, "--kinds", "register,note"])  # cells and pages are not made in one go


def test_handwriting_stamped_past_the_sheets_edge_is_cut_there_or_left_out() -> None:
    """A "$" drawn after the last number of a row can land past the right edge (a dated page of training seed 4
    did): what is on the sheet is drawn, what is off it is not, and nothing fails."""
    from digitscan.training.pages import Handwriting, Sheet

    sheet = Sheet(np.ones((100, 200, 3), np.float32), font=0)
    hand = Handwriting(np.ones((20, 30), np.float32), baseline=20)
    assert sheet.stamp(hand, 185, 50) == (185, 30, 15, 20)  # half on the sheet
    assert sheet.ink[30:50, 185:].all() and sheet.ink.sum() == 15 * 20
    for x, y in ((210, 50), (-40, 50), (50, 150)):  # wholly off: right, left, below
        assert sheet.stamp(hand, x, y)[2:] in {(0, 20), (30, 0), (0, 0)}
    assert sheet.ink.sum() == 15 * 20


def test_a_sliver_wider_than_a_narrow_cell_is_drawn_not_an_error(digits: Digits) -> None:
    """`--cell-words 24000 --seed 6` stopped on one cell whose neighbour's digit, cut by its top or bottom edge, was
    wider than the cell ("high - low < 0"): such a sliver overhangs instead."""
    import cv2

    from digitscan.training.pages import Sheet, Writer, _slivers

    inked = 0
    for seed in range(40):  # only the top and bottom edges are free: a 60 px digit is wider than the 24 px cell
        sheet = Sheet(np.ones((100, 24, 3), np.float32), cv2.FONT_HERSHEY_SIMPLEX)
        tags = _slivers(
            np.random.default_rng(seed), sheet, digits, Writer(60, 0, 0.2, 0), 60, (0, 45, 8, 8), {"left", "right"}
        )
        inked += sheet.ink[:30].any() or sheet.ink[70:].any()
        assert tags in ([], ["slivers"]) and not sheet.ink[30:70].any()  # at the edges, clear of the number
    assert inked >= 5
