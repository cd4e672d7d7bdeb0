"""Scoring against a ground truth: accuracies, and how accuracy follows the readings' confidence."""

from __future__ import annotations

import pytest

from digitscan.results import Digit, DigitString, FileResult
from digitscan.scan.evaluate import Report, edit_distance


def read_as(text: str, *confidences: float) -> FileResult:
    digits = [Digit(c, p, (10 * i, 0, 10, 20)) for i, (c, p) in enumerate(zip(text, confidences, strict=True))]
    return FileResult(file="x.png", strings=[DigitString(digits=digits, box=(0, 0, 10 * len(text), 20), line=0)])


def test_edit_distance() -> None:
    assert edit_distance("1480", "1480") == 0
    assert edit_distance("148", "1480") == 1
    assert edit_distance("1980", "1480") == 1
    assert edit_distance("", "123") == 3


def test_report_scores_strings_digits_and_confidence() -> None:
    report = Report()
    report.add("a", "12", read_as("12", 0.999, 0.999))  # right, sure
    report.add("b", "34", read_as("35", 0.99, 0.97))  # wrong, fairly sure (0.96)
    report.add("c", "56", read_as("56", 0.9, 0.9))  # right, unsure (0.81)
    report.add("d", "78", FileResult(file="d.png", error="no such file"))
    assert report.string_accuracy == pytest.approx(2 / 4)
    assert report.digit_accuracy == pytest.approx(1 - 3 / 8)
    assert report.cases[1].confidence == pytest.approx(0.99 * 0.97)
    assert report.cases[3].confidence == 0.0  # nothing read is never confident
    table = report.by_confidence((0.99, 0.95, 0.8, 0.5))
    assert table[0.99] == (1, 1.0)
    assert table[0.95] == (2, 0.5)
    assert table[0.8] == (3, pytest.approx(2 / 3))
    assert table[0.5] == (3, pytest.approx(2 / 3))


def test_accuracy_by_length_counts_each_string_of_an_image() -> None:
    note = FileResult(
        file="note.png",
        strings=[read_as(text, *[0.9] * len(text)).strings[0] for text in ("2024", "31415", "600")],
    )
    report = Report()
    report.add("note.png", "2024 31415 609", note)  # three strings: 4 and 5 digits right, the 3-digit one wrong
    report.add("check.png", "1480", read_as("1480", *[0.9] * 4))
    assert report.by_length() == {3: (1, 0.0), 4: (2, 1.0), 5: (1, 1.0)}
