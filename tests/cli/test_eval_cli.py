"""`digitscan eval`: outputs checked before work, failures reported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from support import said
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.errors import ExitCode

runner = CliRunner()


def test_eval_checks_its_output_before_work_and_reports_failures(
    pages: Path, tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pages / "labels.csv").write_text("file,digits\npage0.png,1234\npage1.png,5678\ngone.png,9\n")
    unwritable = str(tmp_path / "no" / "c.csv")
    result = runner.invoke(app, ["-q", "eval", str(pages), "-m", str(tiny_model_path), "-o", unwritable])
    assert result.exit_code == ExitCode.usage_error and said(result.stderr, "does not exist")
    cases = tmp_path / "cases.csv"
    result = runner.invoke(app, ["-q", "eval", str(pages), "-m", str(tiny_model_path), "-o", str(cases), "-j", "0"])
    assert result.exit_code == ExitCode.some_files_failed, result.output
    rows = {r["file"]: r for r in csv.DictReader(cases.open())}
    assert set(rows) == {"page0.png", "page1.png", "gone.png"}
    assert rows["gone.png"]["error"] == "no such file" and not rows["page0.png"]["error"]
    assert float(rows["gone.png"]["confidence"]) == 0 and 0 < float(rows["page0.png"]["confidence"]) <= 1
    assert "read at confidence ≥ 0.99" in result.stdout


def test_eval_reads_the_samples_expected_csv_when_there_is_no_labels_csv(
    pages: Path, tiny_model_path: Path, tmp_path: Path
) -> None:
    (pages / "expected.csv").write_text("file,digits\npage0.png,1234\npage1.png,5678\n")
    result = runner.invoke(app, ["-q", "eval", str(pages), "-m", str(tiny_model_path), "-j", "0"])
    assert result.exit_code == ExitCode.ok, result.output
    assert "evaluation on 2 images" in result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["-q", "eval", str(empty), "-m", str(tiny_model_path)])
    assert result.exit_code == ExitCode.usage_error
    assert said(result.stderr, "labels.csv: ground truth not found") and said(result.stderr, "expected.csv")


PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"


class ReadsAs:
    """A stand-in scanner: each file read as the strings given for its name."""

    def __init__(self, readings: dict[str, list[str]]) -> None:
        self.readings = readings

    def scan_files(self, paths: object) -> object:
        from digitscan.results import Digit, DigitString, FileResult

        for path in paths:
            strings = [
                DigitString([Digit(c, 0.9, (0, 0, 1, 1)) for c in text], (0, 0, 1, 1), line)
                for line, text in enumerate(self.readings[Path(path).name])
            ]
            yield [FileResult(file=path, strings=strings, size=(100, 100))]


def test_eval_scores_pages_by_lines_with_a_page_truth(
    pages: Path, tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitscan.cli import scan as scan_cli

    truth = tmp_path / "truth.csv"
    truth.write_text(
        "file,kind,line,digits,text\n"
        "page0.png,note,0,1234,1234\npage0.png,note,1,77,77\n"
        "page1.png,dated,0,12052024,12/05/2024\n"
    )
    readings = {"page0.png": ["1234", "9", "8"], "page1.png": ["12052024"]}
    monkeypatch.setattr(scan_cli, "make_scanner", lambda *args: ReadsAs(readings))
    cases = tmp_path / "pages.csv"
    result = runner.invoke(
        app, ["-q", "eval", str(pages), "--truth", str(truth), "-m", str(tiny_model_path), "-o", str(cases)]
    )
    assert result.exit_code == ExitCode.ok, result.output
    assert "evaluation on 2 pages, 3 lines" in result.stdout
    assert said(result.stdout, "lines read exactly") and "66.67%" in result.stdout  # 1234 and 12052024 of 3
    assert "1.00" in result.stdout  # spurious strings per page: 9 and 8 on two pages
    assert "with separators" not in result.stdout  # the stand-in reads no separators
    assert said(result.stdout, "by kind of page") and "dated" in result.stdout
    by_length = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.stdout.splitlines()
        if "lines of" in line
    }
    assert by_length == {
        "lines of 2 digits": "0.00% of 1",
        "lines of 4 digits": "100.00% of 1",
        "lines of 8 digits": "100.00% of 1",
    }  # 77 missed; 1234 and 12052024 read
    rows = {r["file"]: r for r in csv.DictReader(cases.open())}
    assert rows["page0.png"]["truth"] == "1234 77" and rows["page0.png"]["read"] == "1234 9 8"
    assert (rows["page0.png"]["read_exactly"], rows["page0.png"]["spurious"]) == ("1", "2")
    assert (rows["page1.png"]["kind"], rows["page1.png"]["read_exactly"]) == ("dated", "1")


def test_eval_reads_the_committed_pages_by_lines(tmp_path: Path, tiny_model_path: Path) -> None:
    """Two of the committed pages, through the real scanner: every truth line is accounted for."""
    rows = [r for r in csv.DictReader((PAGES / "truth.csv").open()) if r["file"] < "page-002"]
    truth = tmp_path / "truth.csv"
    with truth.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cases = tmp_path / "pages.csv"
    args = ["-q", "eval", str(PAGES), "--truth", str(truth), "-m", str(tiny_model_path), "-o", str(cases), "-j", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.ok, result.output
    assert f"evaluation on 2 pages, {len(rows)} lines" in result.stdout
    written = list(csv.DictReader(cases.open()))
    assert sorted(r["file"] for r in written) == sorted({r["file"] for r in rows})
    assert sum(int(r["lines"]) for r in written) == len(rows)
    assert all(0 <= int(r["read_exactly"]) <= int(r["lines"]) for r in written)
