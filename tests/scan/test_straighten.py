"""digitscan.scan.straighten: a tilted page is found tilted, levelled, and its boxes map back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digitscan.scan.straighten import MIN_SIDE, estimate_tilt, level, quarter_turns


def ruled_page(degrees: float) -> np.ndarray:
    """A 600 x 800 page of ruled lines, turned by `degrees` (OpenCV's sense) about its centre."""
    page = np.ones((800, 600), np.float32)
    for y in range(100, 760, 40):
        page[y : y + 2, 50:550] = 0.0
    matrix = cv2.getRotationMatrix2D((300, 400), degrees, 1.0)
    return cv2.warpAffine(page, matrix, (600, 800), borderValue=1.0)


@pytest.mark.parametrize("degrees", [-12.0, -3.0, 2.5, 8.0])
def test_the_tilt_found_undoes_the_turn_and_the_levelled_page_is_level(degrees: float) -> None:
    page = ruled_page(degrees)
    tilt = estimate_tilt((page < 0.5).astype(np.uint8))
    assert tilt == pytest.approx(-degrees, abs=0.2)
    levelled, _ = level(page, tilt)
    assert estimate_tilt((levelled < 0.5).astype(np.uint8)) == 0.0


def test_a_level_page_and_a_small_crop_are_left_alone() -> None:
    assert estimate_tilt((ruled_page(0.0) < 0.5).astype(np.uint8)) == 0.0
    crop = (ruled_page(6.0)[: MIN_SIDE - 1] < 0.5).astype(np.uint8)
    assert estimate_tilt(crop) == 0.0
    assert estimate_tilt(np.zeros((800, 600), np.uint8)) == 0.0  # a blank page has no lines to tell


def test_a_box_on_the_levelled_page_maps_back_around_the_same_ink() -> None:
    mark = np.ones((800, 600), np.float32)
    mark[310:330, 280:300] = 0.0  # a mark between two rules
    turn_by = cv2.getRotationMatrix2D((300, 400), 5.0, 1.0)
    turned = np.minimum(ruled_page(5.0), cv2.warpAffine(mark, turn_by, (600, 800), borderValue=1.0))
    turned_mark = cv2.warpAffine(mark, turn_by, (600, 800), borderValue=1.0) < 0.5
    levelled, turn = level(turned, estimate_tilt((turned < 0.5).astype(np.uint8)))
    count, _, stats, _ = cv2.connectedComponentsWithStats((levelled < 0.5).astype(np.uint8))
    [found] = [stats[i, :4] for i in range(1, count) if stats[i, 2] < 40 and stats[i, 4] > 200]
    x, y, w, h = turn.box_on_page(tuple(int(v) for v in found))
    ys, xs = np.nonzero(turned_mark)
    assert x <= xs.min() + 1 and y <= ys.min() + 1 and x + w >= xs.max() and y + h >= ys.max()
    assert w <= 1.5 * np.ptp(xs) and h <= 1.5 * np.ptp(ys)


def test_upright_rules_leaning_after_levelling_are_measured_and_a_plain_page_is_not() -> None:
    """A ledger's column rules leaning 3 degrees (right going down): the lean is found; without them, none."""
    from digitscan.scan.straighten import upright_lean

    page = np.zeros((800, 600), np.uint8)
    lean = np.tan(np.deg2rad(3.0))
    for x0 in (100, 300, 500):
        for y in range(50, 750):
            page[y, int(x0 + lean * (y - 400)) : int(x0 + lean * (y - 400)) + 2] = 1
    assert upright_lean(page) == pytest.approx(lean, abs=0.01)
    assert upright_lean((ruled_page(0.0) < 0.5).astype(np.uint8)) == 0.0


def test_a_writers_wide_digits_side_by_side_run_across_and_stacked_run_down() -> None:
    """Digits wider than tall (a wide, slanted hand; pairs joined) side by side along three lines are writing across,
    however wide each blob is; the same page turned a quarter, its digits stacked down, is writing down. The share
    of blobs taller than wide, which told the quarter before, took the upright page for turned."""
    strokes = np.zeros((800, 600), np.uint8)
    for top in (100, 350, 600):
        for left in range(60, 540, 80):
            strokes[top : top + 40, left : left + 60] = 1  # 60 wide, 40 tall, 20 apart; lines 250 apart
    assert quarter_turns(strokes) == [0]
    assert quarter_turns(strokes, ruled_down=True) == [0]  # rules running down do not outweigh the writing
    assert quarter_turns(np.ascontiguousarray(strokes.T)) == [1]


def test_blobs_whose_neighbours_lie_as_often_down_as_across_leave_the_quarter_unsure() -> None:
    """Pairs of blobs side by side and pairs stacked: the share of blobs whose nearest neighbour lies across gives
    both quarter turns near ACROSS_SHARE, the likelier first, and one where it is clear; with too few blobs to be
    sure (a sticky note's two numbers), both ways, the likelier first, or turned first where it is ruled down its
    length; with one, as given; a page ruled down its length is unsure further from ACROSS_SHARE
    (RULED_DOWN_UNSURE_SHARE) when its writing seems to run across."""

    def strokes(across: int, pairs: int = 8) -> np.ndarray:
        page = np.zeros((1600, 600), np.uint8)
        for n in range(pairs):
            top = 40 + 190 * n
            page[top : top + 30, 100:120] = 1
            if n < across:
                page[top : top + 30, 130:150] = 1  # beside it
            else:
                page[top + 40 : top + 70, 100:120] = 1  # below it
        return page

    assert quarter_turns(strokes(3)) == [1, 0]  # 0.375: under ACROSS_SHARE by less than UNSURE_SHARE
    assert quarter_turns(strokes(4)) == [0, 1]  # 0.5
    assert quarter_turns(strokes(7)) == [0]
    assert quarter_turns(strokes(6)) == [0]  # 0.75
    # ruled down its length, yet writing across by 0.75: a turned notebook in pencil, its digits broken in halves
    # where its rules were erased through them, or a page ruled down and written across; both ways, across first
    assert quarter_turns(strokes(6), ruled_down=True) == [0, 1]
    assert quarter_turns(strokes(7), ruled_down=True) == [0]  # 0.875: sure
    assert quarter_turns(strokes(1)) == [1]
    assert quarter_turns(strokes(2, pairs=3)) == [0, 1]  # 6 blobs: too few to be sure, both ways, likelier first
    assert quarter_turns(strokes(0, pairs=2)) == [1, 0]  # two numbers of two digits, each stacked: turned first
    assert quarter_turns(strokes(2, pairs=3), ruled_down=True) == [1, 0]  # ruled down: both ways, turned first
    assert quarter_turns(strokes(1, pairs=1)[:, :125]) == [0]  # one blob: nothing to tell by, read as given
