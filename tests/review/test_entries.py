"""The data a review page is built from: results read in every format, review order, crops, missing images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from review_helpers import page_record, write_jsonl

from digitscan.errors import DataError
from digitscan.results import Digit, DigitString, FileResult, flag_below
from digitscan.review.entries import (
    CROP_MAX_HEIGHT,
    CROP_MIN_MARGIN,
    build_review,
    cut_crop,
    read_results,
    review_order,
)
from digitscan.scan.write import ResultWriter


def _results() -> list[FileResult]:
    """Two files: a.png with a flagged string and a sure one, b.png with nothing found, c.png that failed."""
    sure = DigitString([Digit("4", 0.99, (10, 10, 20, 30)), Digit("2", 0.98, (34, 10, 20, 30))], (10, 10, 44, 30), 0)
    unsure = DigitString([Digit("7", 0.4, (10, 60, 20, 30))], (10, 60, 20, 30), 1)
    return [
        FileResult("a.png", 0, flag_below([sure, unsure], 0.5), size=(200, 100)),
        FileResult("b.png", 0, [], size=(200, 100)),
        FileResult("c.png", 0, error="not an image"),
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_every_output_format_reads_back_the_same_readings(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    with ResultWriter(out, fmt) as writer:
        writer.write_file(_results())
    results = read_results(out)
    assert (results.pages, results.empty_pages, results.failed_pages, results.bad_records) == (3, 1, 1, 0)
    assert [(r.file, r.index, r.digits, r.box, r.flagged) for r in results.readings] == [
        ("a.png", 0, "42", (10, 10, 44, 30), False),
        ("a.png", 1, "7", (10, 60, 20, 30), True),
    ]
    assert results.readings[0].digit_confidences == (0.99, 0.98)
    boxes = results.readings[0].digit_boxes
    assert boxes == (None if fmt == "csv" else ((10, 10, 20, 30), (34, 10, 20, 30)))  # CSV has no digit boxes


def test_the_strings_review_key_decides_when_present(tmp_path: Path) -> None:
    records = [page_record("a.png", [("12", 0.9, [1]), ("34", 0.3, []), ("56", 0.99, [])])]
    records[0]["strings"][0]["review"] = False  # flagged digit, yet not for review: the key wins
    records[0]["strings"][1]["review"] = True  # no flagged digit, but the string as a whole is unsure
    results = read_results(write_jsonl(tmp_path / "out.jsonl", records))
    assert [r.flagged for r in results.readings] == [False, True, False]


def test_records_that_are_not_results_are_counted_and_skipped(tmp_path: Path) -> None:
    good = json.dumps(page_record("a.png", [("12", 0.9, [])]))
    bad = ['{"file": 3}', "not json", '{"file": "x.png", "strings": [{"digits": "1<2", "box": [0, 0, 1, 1]}]}']
    path = tmp_path / "out.jsonl"
    path.write_text("\n".join([good, *bad]) + "\n")
    results = read_results(path)
    assert [r.digits for r in results.readings] == ["12"] and results.bad_records == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such results file"), ("hello\nworld\n", "not a digitscan results file"), ("[1,", "not valid JSON")],
)
def test_a_file_that_is_not_results_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / ("out.json" if content == "[1," else "out.txt")
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_results(path)


def test_flagged_first_then_the_others_each_least_sure_first(tmp_path: Path) -> None:
    records = [page_record("a.png", [("1", 0.9, []), ("2", 0.6, [0]), ("3", 0.2, []), ("4", 0.8, [0])])]
    ordered = review_order(read_results(write_jsonl(tmp_path / "out.jsonl", records)).readings)
    assert [r.digits for r in ordered] == ["2", "4", "3", "1"]


def test_a_crop_holds_the_box_and_a_margin_in_working_pixels() -> None:
    grey = np.ones((400, 600), np.float32)
    grey[100:140, 200:300] = 0.0  # the string's ink, in working pixels
    crop = cut_crop(grey, 0.5, (400, 200, 200, 80))  # the box in original pixels: half scale
    margin = 0.3 * 40
    assert crop.shape == (round(40 + 2 * margin), round(100 + 2 * margin))
    assert crop.dtype == np.uint8 and crop.min() == 0 and crop[0, 0] == 255  # ink inside, paper in the margin
    flat = cut_crop(grey, 1.0, (200, 100, 100, 2))
    assert flat.shape[0] == 2 + 2 * CROP_MIN_MARGIN


def test_a_tall_crop_is_shrunk_and_a_box_off_the_page_is_refused() -> None:
    grey = np.ones((1000, 1000), np.float32)
    assert cut_crop(grey, 1.0, (100, 100, 300, 600)).shape[0] == CROP_MAX_HEIGHT
    with pytest.raises(ValueError, match="outside its page"):
        cut_crop(grey, 1.0, (2000, 2000, 10, 10))


def _write_image(path: Path, pages: list[np.ndarray]) -> Path:
    images = [Image.fromarray(p) for p in pages]
    images[0].save(path, save_all=len(images) > 1, append_images=images[1:])
    return path


def test_crops_come_from_the_right_page_and_a_missing_image_gets_a_note(tmp_path: Path) -> None:
    blank, inked = np.full((200, 300), 255, np.uint8), np.full((200, 300), 255, np.uint8)
    inked[14:38, 16:19] = inked[14:38, 40:43] = 0  # two pen strokes inside the string's box (10, 10, 48, 30)
    _write_image(tmp_path / "two.tif", [blank, inked])
    records = [
        page_record(str(tmp_path / "two.tif"), [("11", 0.9, [])], page=0),
        page_record(str(tmp_path / "two.tif"), [("22", 0.5, [0])], page=1),
        page_record(str(tmp_path / "two.tif"), [("33", 0.5, [0])], page=7),
        page_record(str(tmp_path / "gone.png"), [("44", 0.1, [0])]),
    ]
    review = build_review(read_results(write_jsonl(tmp_path / "out.jsonl", records)), tmp_path)
    by_digits = {e.reading.digits: e for e in review.entries}
    assert [e.reading.digits for e in review.entries] == ["44", "22", "33", "11"]
    assert by_digits["44"].crop is None and "image not found" in (by_digits["44"].note or "")
    assert by_digits["33"].crop is None and "no page 7" in (by_digits["33"].note or "")

    def darkest(entry) -> int:
        import cv2

        return int(cv2.imdecode(np.frombuffer(entry.crop, np.uint8), cv2.IMREAD_GRAYSCALE).min())

    assert darkest(by_digits["22"]) < 100 < darkest(by_digits["11"])  # page 1 holds the ink, page 0 is blank
    assert "2 entries have no crop" in " ".join(review.notes)


def test_images_are_found_beside_the_results_and_named_relative_to_their_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "run"
    (folder / "scans" / "sub").mkdir(parents=True)
    for name in ("scans/a.png", "scans/sub/b.png"):
        _write_image(folder / name, [np.full((100, 100), 255, np.uint8)])
    records = [page_record("scans/a.png", [("1", 0.9, [])]), page_record("scans/sub/b.png", [("2", 0.9, [])])]
    results = read_results(write_jsonl(folder / "out.jsonl", records))
    monkeypatch.chdir(tmp_path)  # the results' paths are relative to `run/`, not to here
    review = build_review(results, folder)
    assert all(e.crop is not None for e in review.entries)
    assert review.folder == (folder / "scans").resolve()
    assert sorted(e.name for e in review.entries) == ["a.png", "sub/b.png"]


def test_limit_keeps_the_first_in_review_order_and_every_string_of_their_files(tmp_path: Path) -> None:
    records = [
        page_record("a.png", [("1", 0.2, [0]), ("2", 0.99, [])]),
        page_record("b.png", [("3", 0.95, [])]),
    ]
    review = build_review(read_results(write_jsonl(tmp_path / "out.jsonl", records)), tmp_path, limit=1)
    assert [e.reading.digits for e in review.entries] == ["1"] and review.total == 3
    assert any("--limit 1: 2 of 3 strings are not listed" in n for n in review.notes)
    assert [r.digits for r in review.files["a.png"]] == ["1", "2"]  # a.png's label needs its unlisted string too
    assert "b.png" not in review.files and review.digit_boxes
