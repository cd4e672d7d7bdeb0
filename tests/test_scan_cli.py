"""`digitscan scan` (and `eval`) through typer's CliRunner: exit codes, messages, and checks made before any work."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.errors import ExitCode

runner = CliRunner()


@pytest.fixture
def pages(tmp_path: Path, digit_page: Callable[..., np.ndarray]) -> Path:
    """A folder with two pages of digits."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(2):
        Image.fromarray(digit_page(10 + n)).save(folder / f"page{n}.png")
    return folder


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the scanner (and with it the model) is ever created."""
    from digitscan import batch

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started before the error was reported")

    monkeypatch.setattr(batch, "_scanner", refuse)


def scan(*args: str) -> object:
    return runner.invoke(app, ["-q", "scan", *args])


def said(text: str, needle: str) -> bool:
    """`needle` is in `text`, whatever line wrapping rich applied to fit the terminal."""
    return "".join(needle.split()) in "".join(text.split())


def test_all_files_read_exits_0(pages: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = scan(str(pages), "-o", str(out), "--model", str(tiny_model_path))
    assert result.exit_code == ExitCode.ok, result.output
    rows = list(csv.DictReader(out.open()))
    assert {r["file"] for r in rows} == {str(pages / "page0.png"), str(pages / "page1.png")}
    assert all(r["digits"] and not r["error"] for r in rows)


def test_missing_path_exits_1_with_an_error_row(pages: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    out = tmp_path / "out.csv"
    missing = str(tmp_path / "nope.png")
    result = scan(str(pages), missing, "-o", str(out), "--model", str(tiny_model_path))
    assert result.exit_code == ExitCode.some_files_failed, result.output
    rows = {r["file"]: r for r in csv.DictReader(out.open())}
    assert rows[missing]["error"] == "no such file" and rows[missing]["digits"] == ""
    assert rows[str(pages / "page0.png")]["digits"]  # the rest is written
    assert said(result.stderr, "1 failed")


def test_missing_path_in_the_table(tmp_path: Path, tiny_model_path: Path) -> None:
    result = scan(str(tmp_path / "nope.png"), "--model", str(tiny_model_path))
    assert result.exit_code == ExitCode.some_files_failed
    assert said(result.stdout, "no such file")


def test_no_images_found_exits_2_and_leaves_the_output_alone(tmp_path: Path, no_work: None) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no pictures here")
    out = tmp_path / "out.csv"
    out.write_text("earlier results\n")
    result = scan(str(empty), "-o", str(out))
    assert result.exit_code == ExitCode.usage_error
    assert said(result.stderr, "no image files found")
    assert not said(result.stderr, "links to folders")
    assert out.read_text() == "earlier results\n" and not list(tmp_path.glob(".*"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.new("L", (40, 40), 255).save(elsewhere / "scan.png")
    (empty / "scans").symlink_to(elsewhere, target_is_directory=True)
    result = scan(str(empty), "-o", str(out))
    assert result.exit_code == ExitCode.usage_error
    assert said(result.stderr, "links to folders are not followed; name one to read it:")
    assert said(result.stderr, str(empty / "scans"))


@pytest.mark.parametrize("case", ["missing folder", "a folder", "read-only folder"])
def test_unwritable_output_exits_2_before_any_work(
    pages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_work: None, case: str
) -> None:
    output = {"missing folder": tmp_path / "no" / "out.csv", "a folder": pages, "read-only folder": tmp_path / "o.csv"}
    if case == "read-only folder":  # root writes anywhere: simulate what chmod would do
        import digitscan.write

        monkeypatch.setattr(digitscan.write.os, "access", lambda path, mode: False)
    result = scan(str(pages), "-o", str(output[case]))
    assert result.exit_code == ExitCode.usage_error, result.output
    assert said(result.stderr, f"error: {output[case]}")
    assert not (tmp_path / "o.csv").exists()


def test_missing_model_exits_2_without_touching_the_output(pages: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("earlier results\n")
    result = scan(str(pages), "-o", str(out), "--model", str(tmp_path / "missing.h5"))
    assert result.exit_code == ExitCode.usage_error
    assert said(result.stderr, "model file not found")
    assert out.read_text() == "earlier results\n" and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["--workers", "-1"], ["--format", "xml"], ["--max-pixels", "0"], ["--resume"], []],
    ids=["unknown option", "negative workers", "unknown format", "zero max pixels", "resume without output",
         "no inputs"],
)  # fmt: skip
def test_bad_options_exit_2(pages: Path, no_work: None, args: list[str]) -> None:
    result = scan(*args, *([str(pages)] if args else []))
    assert result.exit_code == ExitCode.usage_error, result.output


def test_json_to_stdout_parses(pages: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    missing = str(tmp_path / "nope.png")
    result = scan(str(pages), missing, "--format", "json", "--model", str(tiny_model_path))
    assert result.exit_code == ExitCode.some_files_failed
    records = json.loads(result.stdout)
    assert [r["file"] for r in records] == [str(pages / "page0.png"), str(pages / "page1.png"), missing]
    assert records[0]["strings"] and records[2]["error"] == "no such file"


def test_jsonl_to_stdout_and_a_list_on_stdin(pages: Path, tiny_model_path: Path) -> None:
    listing = f"{pages / 'page1.png'}\n\n{pages / 'page0.png'}\n"
    result = runner.invoke(app, ["-q", "scan", "-", "-f", "jsonl", "-m", str(tiny_model_path), "-j", "0"],
                           input=listing)  # fmt: skip
    assert result.exit_code == ExitCode.ok, result.output
    files = [json.loads(line)["file"] for line in result.stdout.splitlines()]
    assert files == [str(pages / "page1.png"), str(pages / "page0.png")]


def test_resume_skips_what_is_done(pages: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    first = scan(str(pages / "page0.png"), "-o", str(out), "-m", str(tiny_model_path))
    assert first.exit_code == ExitCode.ok
    again = runner.invoke(app, ["scan", str(pages), "-o", str(out), "-m", str(tiny_model_path), "--resume"])
    assert again.exit_code == ExitCode.ok, again.output
    assert said(again.stderr, "1 already done (--resume)")
    files = [json.loads(line)["file"] for line in out.read_text().splitlines()]
    assert files == [str(pages / "page0.png"), str(pages / "page1.png")]


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


def test_resume_with_nothing_left_loads_no_model_and_still_reports_earlier_failures(
    pages: Path, tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.csv"
    missing = str(tmp_path / "nope.png")
    first = scan(str(pages), missing, "-o", str(out), "-m", str(tiny_model_path))
    assert first.exit_code == ExitCode.some_files_failed
    before = out.read_text()
    monkeypatch.setattr("digitscan.batch._scanner", lambda *a, **k: pytest.fail("a model was loaded for nothing"))
    again = scan(str(pages), missing, "-o", str(out), "--resume", "-m", str(tmp_path / "absent.h5"))
    assert again.exit_code == ExitCode.some_files_failed, again.output
    assert said(again.stderr, "3 already done (--resume), 1 of them failed")
    assert out.read_text() == before


def test_overlays_for_every_page_and_pixel_format(
    tmp_path: Path, tiny_model_path: Path, digit_page: Callable[..., np.ndarray]
) -> None:
    page = digit_page(5)
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(page).save(folder / "x.png")
    Image.fromarray(page).save(folder / "x.jpg")  # same stem: its overlay must not replace x.png's
    Image.fromarray(page.astype(np.uint16) * 257).save(folder / "deep.tif")
    Image.fromarray(page.astype(np.float32) / 255).save(folder / "float.tif")
    rgba = np.zeros((*page.shape, 4), np.uint8)
    rgba[..., 3] = 255 - page
    Image.fromarray(rgba).save(folder / "alpha.png")
    frames = [Image.fromarray(page), Image.fromarray(page)]
    frames[0].save(folder / "multi.tif", save_all=True, append_images=frames[1:])
    overlays = tmp_path / "overlays"
    result = runner.invoke(app, ["scan", str(folder), "-o", str(tmp_path / "out.csv"), "--overlay", str(overlays),
                                 "-m", str(tiny_model_path), "-j", "0"])  # fmt: skip
    assert result.exit_code == ExitCode.ok, result.output
    assert "warning" not in result.stderr
    stem = str(folder).strip("/").replace("/", "_")
    names = sorted(p.name for p in overlays.iterdir())
    expected = ["alpha.png.p0", "deep.tif.p0", "float.tif.p0", "multi.tif.p0", "multi.tif.p1", "x.jpg.p0", "x.png.p0"]
    assert names == [f"{stem}_{name}.png" for name in expected]
    drawn = np.asarray(Image.open(overlays / f"{stem}_deep.tif.p0.png").convert("L"))
    zoom = drawn.shape[0] // page.shape[0]  # small pages are enlarged so the labels stay legible
    assert zoom >= 1 and drawn.shape == (page.shape[0] * zoom, page.shape[1] * zoom)
    assert drawn.mean() > 200  # white paper, not clipped 16-bit values
