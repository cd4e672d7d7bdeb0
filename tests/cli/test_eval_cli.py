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
