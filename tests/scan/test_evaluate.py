"""Scoring against a ground truth: accuracies, and how accuracy follows the readings' confidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitscan.errors import DataError
from digitscan.results import Digit, DigitString, FileResult
from digitscan.scan.evaluate import (
    PageReport,
    PageTruth,
    Report,
    TruthNumber,
    edit_distance,
    is_page_truth,
    read_page_truth,
)


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


class Written(DigitString):
    """A string read with its separators, as results that carry them report it (`written`)."""

    def __init__(self, string: DigitString, text: str) -> None:
        super().__init__(string.digits, string.box, string.line)
        self._written = text

    @property
    def written(self) -> str:
        return self._written


def strings_read(*texts: str) -> FileResult:
    """A page read as these strings (separators as `written` where the results carry them)."""
    result = FileResult(file="page.png")
    for line, text in enumerate(texts):
        digits = [c for c in text if c.isdigit()]
        string = read_as("".join(digits), *[0.9] * len(digits)).strings[0]
        string.line = line
        result.strings.append(string if text == string.text else Written(string, text))
    return result


def page_truth(*texts: str, kind: str = "") -> PageTruth:
    numbers = tuple(TruthNumber(i, "".join(c for c in t if c.isdigit()), t) for i, t in enumerate(texts))
    return PageTruth(numbers, kind)


def test_pages_are_scored_by_lines_one_to_one_with_spurious_strings() -> None:
    report = PageReport()
    case = report.add("a.png", page_truth("2024", "31415", "2024", kind="note"), strings_read("2024", "31415", "77"))
    assert (case.hits, case.misses, case.spurious) == (2, 1, 1)  # one 2024 read: it matches one true 2024 only
    report.add("b.png", page_truth("609", kind="ledger"), strings_read("609", "609", "1"))
    report.add("c.png", page_truth("12", kind="ledger"), FileResult(file="c.png", error="cannot open"))
    score = report.score()
    assert (score.pages, score.lines) == (3, 5)
    assert score.read == pytest.approx(3 / 5)
    assert score.spurious == pytest.approx((1 + 2 + 0) / 3)
    assert score.digit_accuracy == pytest.approx(1 - (4 + 2) / 18)  # the second 2024 is closest to 77; 12 unread
    kinds = report.by_kind()
    assert set(kinds) == {"note", "ledger"} and kinds["ledger"].read == pytest.approx(1 / 2)
    assert [c.file for c in report.worst(3)] == ["a.png", "b.png", "c.png"]  # 1 + 1 and 0 + 2 wrong, then 1
    lengths = report.by_length()  # each true line once: one of the two 2024s read; the unreadable page's 12 missed
    assert lengths == {2: (1, 0.0), 3: (1, 1.0), 4: (2, 0.5), 5: (1, 1.0)}
    assert sum(count * share for count, share in lengths.values()) == pytest.approx(score.read * score.lines)


def test_pages_strings_are_scored_by_confidence_each_number_matched_once_surest_first() -> None:
    report = PageReport()
    page = FileResult(file="a.png")
    for text, p in (("2024", 0.999), ("2024", 0.95), ("77", 0.92), ("31415", 0.6)):
        page.strings.append(read_as(text, *[p ** (1 / len(text))] * len(text)).strings[0])
    case = report.add("a.png", page_truth("2024", "31415"), page)
    assert case.right() == [True, False, False, True]  # one 2024 written: the surer string is it, the other spurious
    assert sum(case.right()) == case.hits and case.spurious == 2
    report.add("b.png", page_truth("609"), FileResult(file="b.png", error="cannot open"))  # nothing read: no strings
    table = report.by_confidence((0.99, 0.9, 0.5))
    assert table[0.99] == (1, 1.0)
    assert table[0.9][0] == 3 and table[0.9][1] == pytest.approx(1 / 3)
    assert table[0.5][0] == 4 and table[0.5][1] == pytest.approx(2 / 4)


def test_separators_are_scored_when_the_results_carry_them() -> None:
    report = PageReport()
    report.add("a.png", page_truth("12/05/2024", "1,234.56"), strings_read("12052024", "123456"))
    assert not report.texts_carried
    score = report.score()
    assert score.read == 1.0 and score.text_read == 0.0  # the digits are right; without separators the text is not
    report.add("b.png", page_truth("3-7-99", "87.50"), strings_read("3-7-99", "8750"))
    assert report.texts_carried
    assert report.score().text_read == pytest.approx(1 / 4) and report.score().read == 1.0


def test_a_page_truth_is_told_from_a_file_digits_truth_and_checked(tmp_path: Path) -> None:
    plain = tmp_path / "labels.csv"
    plain.write_text("file,digits\na.png,12 34\n")
    pages = tmp_path / "truth.csv"
    pages.write_text(
        "file,kind,line,digits,text\na.png,dated,0,12052024,12/05/2024\na.png,dated,1,87,87\nb.png,,0,5,5\n"
    )
    assert not is_page_truth(plain) and is_page_truth(pages)
    truth = read_page_truth(pages)
    assert truth["a.png"].kind == "dated" and [n.text for n in truth["a.png"].numbers] == ["12/05/2024", "87"]
    assert truth["b.png"] == PageTruth((TruthNumber(0, "5", "5"),), "")
    for row, message in (
        ("a.png,0,12a,12a", "digits must be"),
        ("a.png,0,12,1/3", "text must be the digits"),
        ("a.png,x,12,12", "line must be"),
    ):
        pages.write_text(f"file,line,digits,text\n{row}\n")
        with pytest.raises(DataError, match=message):
            read_page_truth(pages)
