"""digitscan.scan.overlay: labels a person can check at a glance, a header that says what was read (and what
should have been), and names relative to the inputs given."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.results import Digit, DigitString, FileResult
from digitscan.scan import overlay
from digitscan.scan.inputs import common_folder
from digitscan.scan.overlay import draw, layout, overlay_name

runner = CliRunner()


def crop_with_digits(tmp_path: Path) -> tuple[FileResult, np.ndarray]:
    """A small, ORAND-sized crop whose five touching digits fill it from edge to edge, each box full of ink."""
    page = np.full((48, 150), 230, np.uint8)
    digits = []
    for n, x in enumerate(range(2, 147, 29)):
        box = (x, 1, 27, 46)
        page[4:44, x + 6 : x + 20] = 20  # ink inside the box, as a stroke
        digits.append(Digit(str(n), 0.40 + n / 10, box, flagged=n < 2))
    path = tmp_path / "crop.png"
    Image.fromarray(page).save(path)
    return FileResult(file=str(path), strings=[DigitString(digits, (2, 1, 146, 46), 0)], size=(150, 48)), page


def rects_meet(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_labels_cover_no_ink_no_box_no_other_label_and_stay_on_the_image(tmp_path: Path) -> None:
    result, page = crop_with_digits(tmp_path)
    zoom = -(-overlay.MIN_SIDE // max(page.shape))
    ink = np.kron(page < overlay.INK_LEVEL, np.ones((zoom, zoom), bool))
    header, labels, band = layout(result, ink, zoom)
    height, width = band + ink.shape[0], ink.shape[1]
    assert len(labels) == 5
    rects = [(lb.x, lb.y, lb.w, lb.h) for lb in [header, *labels]]
    for rect in rects:
        x, y, w, h = rect
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height, rect  # not clipped at an edge
        if y + h > band:  # on the page: no ink under it, and no digit's box
            assert y >= band and not ink[y - band : y - band + h, x : x + w].any(), rect
            for d in result.strings[0].digits:
                box = tuple(v * zoom for v in d.box)
                assert not rects_meet(rect, (box[0], box[1] + band, box[2], box[3])), rect
    for i, a in enumerate(rects):
        assert not any(rects_meet(a, b) for b in rects[i + 1 :]), a  # labels do not cover each other
    assert sorted(lb.text for lb in labels) == [f"{n} {0.40 + n / 10:.2f}" for n in range(5)]


def test_the_drawn_overlay_has_a_band_above_the_page_for_what_was_read(tmp_path: Path) -> None:
    result, page = crop_with_digits(tmp_path)
    image = draw(result)
    zoom = image.shape[1] // page.shape[1]
    band = image.shape[0] - page.shape[0] * zoom
    assert band > 0 and image[:band].min() < 100  # the header is written in it
    assert layout(result, np.zeros((48, 150), bool), 1)[0].text == "read: 01234"


def test_eval_overlays_put_the_truth_beside_the_reading(tmp_path: Path) -> None:
    result, _ = crop_with_digits(tmp_path)
    header = layout(result, np.zeros((48, 150), bool), 1, truth="01284")[0]
    assert header.text == "read: 01234   true: 01284   (wrong)"
    assert "(right)" in layout(result, np.zeros((48, 150), bool), 1, truth="01234")[0].text


def test_a_page_where_nothing_was_found_says_so(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(path)
    result = FileResult(file=str(path), size=(40, 40))
    header, labels, band = layout(result, np.zeros((600, 600), bool), 15)
    assert header.text == "no digits found on this page" and not labels
    image = draw(result)
    assert (image[:band, :, 2] > 150).any() and (image[:band, :, 0] < 100).any()  # red words on the white band


def test_overlay_names_are_relative_to_the_inputs_given(tmp_path: Path) -> None:
    files = [str(tmp_path / "scans" / "a" / "x.png"), str(tmp_path / "scans" / "b" / "x.png")]
    base = common_folder(files)
    assert base == tmp_path / "scans"
    assert [overlay_name(FileResult(file=f, page=1), base) for f in files] == [
        Path("a/x.png.p1.png"),
        Path("b/x.png.p1.png"),
    ]
    assert overlay_name(FileResult(file=str(tmp_path / "one.jpg")), common_folder([tmp_path / "one.jpg"])) == Path(
        "one.jpg.p0.png"
    )


def test_scan_writes_overlays_in_the_inputs_own_layout(
    tmp_path: Path, tiny_model_path: Path, digit_page: object
) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(digit_page(1)).save(folder / "top.png")
    Image.fromarray(digit_page(2)).save(folder / "sub" / "deep.png")
    overlays = tmp_path / "overlays"
    args = ["-q", "scan", str(folder), "-o", str(tmp_path / "o.csv"), "--overlay", str(overlays)]
    result = runner.invoke(app, [*args, "-m", str(tiny_model_path), "-j", "0"])
    assert result.exit_code == 0, result.output
    found = sorted(str(p.relative_to(overlays)) for p in overlays.rglob("*.png"))
    assert found == ["sub/deep.png.p0.png", "top.png.p0.png"]


def test_eval_draws_the_truth_on_its_worst_cases(
    tmp_path: Path, tiny_model_path: Path, digit_page: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "labelled"
    folder.mkdir()
    Image.fromarray(digit_page(3)).save(folder / "a.png")
    with (folder / "labels.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["file", "digits"], ["a.png", "99999"]])
    drawn: list[str | None] = []
    real_draw = overlay.draw
    monkeypatch.setattr(overlay, "draw", lambda result, truth=None: drawn.append(truth) or real_draw(result, truth))
    args = ["-q", "eval", str(folder), "--overlay", str(tmp_path / "worst"), "-m", str(tiny_model_path), "-j", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert drawn == ["99999"] and (tmp_path / "worst" / "a.png.p0.png").exists()
