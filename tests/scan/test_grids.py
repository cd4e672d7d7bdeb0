"""digitscan.scan.grids: a squared page's grid is found and divided out of its ink; other pages are left alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitscan.scan.grids import pitch, without_dots, without_squares

LINE = 0.3  # a grid line's ink: pale blue or grey print
PEN = 0.9


def ink_page(rows: list[int], columns: list[int], width: int = 2) -> np.ndarray:
    """A 1000 x 1400 page's ink (0 = paper) ruled at these rows and columns, with the darkening of print."""
    ink = np.zeros((1000, 1400), np.float32)
    for y in rows:
        ink[y : y + width] = LINE
    for x in columns:
        ink[:, x : x + width] = LINE
    return ink


def with_pen(ink: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A pen stroke over the page: ink where it crosses a line darkens both (1 - (1 - pen)(1 - line))."""
    x, y, w, h = box
    out = ink.copy()
    out[y : y + h, x : x + w] = 1 - (1 - PEN) * (1 - ink[y : y + h, x : x + w])
    return out


SQUARES = list(range(10, 1400, 26))


@pytest.mark.parametrize("pen_box", [(300, 200, 5, 48), (600, 400, 34, 5)], ids=["a 1", "a 7's bar"])
def test_a_grid_goes_and_a_digits_stroke_across_it_stays_as_dark_as_it_was(pen_box: tuple[int, int, int, int]) -> None:
    grid = ink_page([y for y in SQUARES if y < 1000], SQUARES)
    page = with_pen(grid, pen_box)
    clean = without_squares(page)
    assert clean is not None
    x, y, w, h = pen_box
    stroke = np.zeros(page.shape, bool)
    stroke[y : y + h, x : x + w] = True
    assert clean[~stroke].max() < 0.1  # every line, and its crossings, gone
    assert clean[stroke].min() > 0.75  # the stroke kept, also where it crossed a line


def test_a_lined_page_a_ledger_and_a_blank_page_have_no_grid() -> None:
    lined = ink_page(list(range(120, 1000, 40)), [160])  # ruled lines and a margin rule
    ledger = ink_page(list(range(120, 1000, 40)), [100, 260, 610, 780, 1150, 1300])  # a few uneven columns
    oblong = ink_page(list(range(10, 1000, 78)), SQUARES)  # rows three times as far apart as the columns
    for page in (lined, ledger, oblong, np.zeros((1000, 1400), np.float32)):
        assert without_squares(page) is None


def test_pitch_is_the_spacing_of_even_lines_and_none_of_uneven_ones() -> None:
    profile = np.zeros(900, np.float32)
    profile[10::30] = 40.0  # grey levels
    assert pitch(profile) == pytest.approx(30.0)
    uneven = np.zeros(900, np.float32)
    uneven[np.cumsum(np.random.default_rng(0).integers(8, 80, 12))] = 40.0
    assert pitch(uneven) is None
    assert pitch(np.zeros(900, np.float32)) is None


@pytest.mark.parametrize(
    ("kind", "seed", "conditions"),
    [
        ("notebook", 2, {}),
        ("notebook", 3, {"tilt": 6.0}),
        ("notebook", 1, {"tilt": 0.08, "ink": "green", "paper": "grey"}),
        ("dated", 3, {"tilt": 0.08, "ink": "green", "paper": "grey"}),
    ],
    ids=["level", "tilted", "a row's step", "a dated page"],
)
def test_a_squared_page_is_read_number_by_number(
    mnist_subset_path: Path, tmp_path: Path, kind: str, seed: int, conditions: dict[str, object]
) -> None:
    """Generated pages on squared paper. Its upright lines were a ledger's columns that ended a number at each
    ("96945" and "1" for "969451": 3 of 5 read, 7 strings); tilted, its grid turned the page a quarter (13 strings,
    none right); tilted a twelfth of a degree, its rows' one-pixel steps were a curled page's bow (`page_bow`), and
    the page, unbowed, lost its level grid (2 of 5 and 1 of 5 read). Now one string a number, every one read."""
    from digitscan.scan.pipeline import Scanner, ScanOptions
    from digitscan.training.pages import Conditions, Digits, make_page, save

    digits = Digits.load(mnist_subset_path, "test")
    settings = {"ink": "blue", "jpeg": 85, **conditions}
    page = make_page(seed, digits, kind, Conditions(ruling="squared", **settings))  # type: ignore[arg-type]
    save(page, tmp_path / "page.jpg")
    (result,) = Scanner(options=ScanOptions(workers=0)).scan([tmp_path / "page.jpg"])
    read = ["".join(ch for ch in s.text if ch.isdigit()) for s in result.strings]
    truth = [n.digits for n in page.numbers]
    assert len(read) == len(truth), (read, truth)
    assert all(number in read for number in truth), (read, truth)


def dotted_strokes(points: list[tuple[int, int]]) -> np.ndarray:
    """A 1000 x 1400 page's strokes: a dot grid's 2 x 2 dots every 30 px (as much of it as a threshold keeps: every
    other row), two digit-sized blobs and whatever small marks `points` place (3 x 3)."""
    strokes = np.zeros((1000, 1400), np.uint8)
    for y in range(15, 1000, 60):
        for x in range(15, 1400, 30):
            strokes[y : y + 2, x : x + 2] = 1
    strokes[400:440, 500:506] = 1  # a 1
    strokes[400:440, 540:566] = 1  # a blob of another digit
    for x, y in points:
        strokes[y : y + 3, x : x + 3] = 1
    return strokes


def test_a_dot_grids_dots_go_and_a_written_point_between_two_digits_stays() -> None:
    point = (521, 437)  # off the lattice: 26 px past one column, 2 px below one row
    clean = without_dots(dotted_strokes([point]))
    assert clean[400:440, 500:506].all() and clean[400:440, 540:566].all()
    assert clean[point[1] : point[1] + 3, point[0] : point[0] + 3].all()
    clean[400:440, 500:566] = 0
    clean[point[1] : point[1] + 3, point[0] : point[0] + 3] = 0
    assert not clean.any()  # every dot of the grid gone


def test_specks_off_any_lattice_are_no_dot_grid() -> None:
    rng = np.random.default_rng(3)
    strokes = np.zeros((1000, 1400), np.uint8)
    for x, y in zip(rng.integers(0, 1397, 300), rng.integers(0, 997, 300), strict=True):
        strokes[y : y + 2, x : x + 2] = 1
    assert without_dots(strokes) is strokes
