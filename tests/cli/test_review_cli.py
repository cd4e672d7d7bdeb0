"""`digitscan review` and `scan --review`: the page written, clear errors, and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from support import said
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.errors import ExitCode

runner = CliRunner()


def _page_data(page: Path) -> dict:
    html = page.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))


def _scan_jsonl(pages: Path, tmp_path: Path, model: Path, *extra: str) -> object:
    out = tmp_path / "out.jsonl"
    args = ["-q", "scan", str(pages), "-o", str(out), "--model", str(model), "--workers", "0", *extra]
    return runner.invoke(app, args), out


def test_review_writes_one_page_with_every_string_and_its_crop(pages: Path, tmp_path: Path, tiny_model_path: Path):
    scanned, results = _scan_jsonl(pages, tmp_path, tiny_model_path, "--min-confidence", "0.99")
    assert scanned.exit_code == 0, scanned.output
    strings = [s for line in results.read_text().splitlines() for s in json.loads(line)["strings"]]
    page = tmp_path / "review.html"
    result = runner.invoke(app, ["review", str(results), "--out", str(page)])
    assert result.exit_code == ExitCode.ok, result.output
    data = _page_data(page)
    assert sorted(e["digits"] for e in data["entries"]) == sorted(s["digits"] for s in strings)
    assert all(e["crop"].startswith("data:image/png;base64,") for e in data["entries"])
    flags = [e["flagged"] for e in data["entries"]]
    assert flags == sorted(flags, reverse=True)  # flagged first
    assert said(result.output, f"review page: {page} ({len(strings)} entries")


def test_limit_caps_the_page(pages: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    _, results = _scan_jsonl(pages, tmp_path, tiny_model_path)
    page = tmp_path / "review.html"
    result = runner.invoke(app, ["review", str(results), "-o", str(page), "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert len(_page_data(page)["entries"]) == 1


def test_scan_review_writes_the_page_of_the_scan(pages: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    page = tmp_path / "review.html"
    args = ["scan", str(pages), "--model", str(tiny_model_path), "--workers", "0", "--review", str(page)]
    result = runner.invoke(app, ["-q", *args])
    assert result.exit_code == 0, result.output
    data = _page_data(page)
    assert data["entries"] and {Path(e["file"]).name for e in data["entries"]} <= {"page0.png", "page1.png"}
    assert all(e["crop"] for e in data["entries"])


def test_a_moved_image_gives_its_entries_a_note_and_exit_1(pages: Path, tmp_path: Path, tiny_model_path: Path):
    _, results = _scan_jsonl(pages, tmp_path, tiny_model_path)
    (pages / "page0.png").unlink()
    page = tmp_path / "review.html"
    result = runner.invoke(app, ["review", str(results), "-o", str(page)])
    assert result.exit_code == ExitCode.some_files_failed, result.output
    assert said(result.output, "no crop for") and said(result.output, "image not found")
    gone = [e for e in _page_data(page)["entries"] if e["file"].endswith("page0.png")]
    assert gone and all(e["crop"] is None for e in gone)


def test_missing_results_and_unwritable_page_are_clear_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == ExitCode.usage_error and said(result.output, "no such results file")
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["review", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "no" / "r.html")])
    assert result.exit_code == ExitCode.usage_error and said(result.output, "does not exist")


def test_scan_review_to_a_missing_folder_fails_before_any_work(pages: Path, tmp_path: Path, no_work: None) -> None:
    result = runner.invoke(app, ["scan", str(pages), "--review", str(tmp_path / "no" / "r.html")])
    assert result.exit_code == ExitCode.usage_error and said(result.output, "does not exist")
