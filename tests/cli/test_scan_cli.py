"""`digitscan scan`: exit codes, outputs, resuming, and bad input, crashing decoders and signals never
crashing a batch or losing a result."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support import (
    DIGITSCAN,
    _data_rows,
    _digits_by_page,
    _rows,
    build_corpus,
    error_after_interrupt,
    interrupt_in_c_code,
    results_by_file,
    said,
    same_reading,
    save,
)
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.errors import ExitCode
from digitscan.scan.options import ScanOptions
from digitscan.scan.pipeline import Scanner

runner = CliRunner()


def scan(*args: str) -> object:
    return runner.invoke(app, ["-q", "scan", *args])


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
    assert said(result.stderr, "no image or PDF files found")
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
        import digitscan.scan.write

        monkeypatch.setattr(digitscan.scan.write.os, "access", lambda path, mode: False)
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


def test_a_print_detector_that_is_none_exits_2_and_keep_print_never_loads_one(
    pages: Path, tmp_path: Path, tiny_model_path: Path
) -> None:
    """`--print-detector` names the print detector (a digit classifier is refused, as a usage error, before any work);
    `--keep-print` reads print like handwriting and loads none."""
    out = tmp_path / "out.csv"
    refused = scan(str(pages), "-o", str(out), "--print-detector", str(tiny_model_path))
    assert refused.exit_code == ExitCode.usage_error and said(refused.stderr, "a print detector's output is")
    kept = scan(str(pages), "-o", str(out), "--print-detector", str(tiny_model_path), "--keep-print")
    assert kept.exit_code == ExitCode.ok, kept.output
    assert out.is_file()


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["--workers", "-1"], ["--format", "xml"], ["--max-pixels", "0"], ["--resume"], []],
    ids=[
        "unknown option",
        "negative workers",
        "unknown format",
        "zero max pixels",
        "resume without output",
        "no inputs",
    ],
)
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


def test_output_dash_is_stdout_as_csv_and_no_file(
    pages: Path, tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-o -` names standard output, as `-` does for the inputs: CSV there (unless --format), no file called "-"."""
    monkeypatch.chdir(tmp_path)
    result = scan(str(pages), "-o", "-", "-m", str(tiny_model_path), "-j", "0")
    assert result.exit_code == ExitCode.ok, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["file"] for r in rows] == [str(pages / "page0.png"), str(pages / "page1.png")]
    assert not (tmp_path / "-").exists()
    as_jsonl = scan(str(pages / "page0.png"), "-o", "-", "-f", "jsonl", "-m", str(tiny_model_path), "-j", "0")
    assert json.loads(as_jsonl.stdout.splitlines()[0])["file"] == str(pages / "page0.png")
    resumed = scan(str(pages), "-o", "-", "--resume", "-m", str(tiny_model_path))
    assert resumed.exit_code == ExitCode.usage_error and "--resume needs --output" in resumed.output


def test_jsonl_to_stdout_and_a_list_on_stdin(pages: Path, tiny_model_path: Path) -> None:
    listing = f"{pages / 'page1.png'}\n\n{pages / 'page0.png'}\n"
    result = runner.invoke(
        app, ["-q", "scan", "-", "-f", "jsonl", "-m", str(tiny_model_path), "-j", "0"], input=listing
    )
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


def test_resume_with_nothing_left_loads_no_model_and_still_reports_earlier_failures(
    pages: Path, tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.csv"
    missing = str(tmp_path / "nope.png")
    first = scan(str(pages), missing, "-o", str(out), "-m", str(tiny_model_path))
    assert first.exit_code == ExitCode.some_files_failed
    before = out.read_text()
    monkeypatch.setattr(
        "digitscan.cli.scan.make_scanner", lambda *a, **k: pytest.fail("a model was loaded for nothing")
    )
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
    result = runner.invoke(
        app,
        [
            "scan",
            str(folder),
            "-o",
            str(tmp_path / "out.csv"),
            "--overlay",
            str(overlays),
            "-m",
            str(tiny_model_path),
            "-j",
            "0",
        ],
    )
    assert result.exit_code == ExitCode.ok, result.output
    assert "no overlay" not in result.stderr
    names = sorted(p.name for p in overlays.iterdir())  # named relative to the folder given, not its whole path
    expected = ["alpha.png.p0", "deep.tif.p0", "float.tif.p0", "multi.tif.p0", "multi.tif.p1", "x.jpg.p0", "x.png.p0"]
    assert names == [f"{name}.png" for name in expected]
    drawn = np.asarray(Image.open(overlays / "deep.tif.p0.png").convert("L"))
    zoom = drawn.shape[1] // page.shape[1]  # small pages are enlarged so the labels stay legible
    band = drawn.shape[0] - page.shape[0] * zoom  # the header above the page
    assert zoom >= 1 and drawn.shape[1] == page.shape[1] * zoom and 0 < band < page.shape[0] * zoom
    assert drawn[band:].mean() > 200  # white paper, not clipped 16-bit values


def test_mixed_corpus_reads_good_files_as_a_clean_run_and_names_each_bad_one(
    tmp_path: Path, tiny_model_path: Path, digit_page: Callable[..., np.ndarray]
) -> None:
    corpus = tmp_path / "corpus"
    good, bad, blank = build_corpus(corpus, digit_page)
    missing = str(corpus / "missing.png")
    mixed_out, clean_out = tmp_path / "mixed.jsonl", tmp_path / "clean.jsonl"

    started = time.perf_counter()
    mixed = runner.invoke(
        app,
        ["-q", "scan", str(corpus), missing, "-o", str(mixed_out), "--model", str(tiny_model_path), "--workers", "2"],
    )
    clean = runner.invoke(
        app, ["-q", "scan", *map(str, good), "-o", str(clean_out), "--model", str(tiny_model_path), "--workers", "0"]
    )
    assert time.perf_counter() - started < 40

    assert mixed.exit_code == ExitCode.some_files_failed, mixed.output
    assert clean.exit_code == ExitCode.ok, clean.output
    read, reference = results_by_file(mixed_out.read_text()), results_by_file(clean_out.read_text())
    for key, expected in reference.items():
        same_reading(read[key], expected)
    assert {k for k in reference if k[0].endswith("multi.tif")} == {(str(corpus / "multi.tif"), p) for p in range(3)}

    for name, reason in bad.items():
        record = read[(str(corpus / name), 0)]
        assert reason in (record["error"] or ""), (name, record["error"])
        assert "\n" not in record["error"] and record["strings"] == []
    assert "no such file" in read[(missing, 0)]["error"]
    for name in blank:
        record = read[(str(corpus / name), 0)]
        assert record["error"] is None, (name, record["error"])
        assert sum(len(s["digits"]) for s in record["strings"]) <= 8, (name, record["strings"])
    assert len(read) == len(reference) + len(bad) + 1 + len(blank)  # nothing else, nothing twice (the link loop)
    for record in read.values():
        for s in record["strings"]:
            for x, y, w, h in [s["box"], *(d["box"] for d in s["digit_details"])]:
                assert x >= 0 and y >= 0 and x + w <= record["width"] and y + h <= record["height"], record

    # other encodings of page 0 read exactly as its plain PNG does
    def page0(name: str) -> list[str]:
        return [s["digits"] for s in read[(str(corpus / name), 0)]["strings"]]

    assert page0("good0.png") and page0("sixteen.tif") == page0("float.tif") == page0("alpha.png") == page0("good0.png")


def test_folder_named_like_an_image_and_leading_dash_names_on_the_command_line(
    tmp_path: Path, tiny_model_path: Path, digit_page: Callable[..., np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.png").mkdir()
    save(digit_page(3), tmp_path / "-x.png")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        ["-q", "scan", "-o", str(out), "--model", str(tiny_model_path), "-j", "0", "--", "x.png", "-x.png", "./-x.png"],
    )
    assert result.exit_code == ExitCode.some_files_failed, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["file"] for r in rows if r["error"]] == ["x.png"] and "is a folder" in rows[0]["error"]
    dash = [r for r in rows if r["file"] == "-x.png"]
    assert dash and all(r["digits"] and not r["error"] for r in dash)  # ./-x.png is the same file: read once


def test_a_file_that_disappears_mid_batch_is_reported(
    tmp_path: Path, tiny_model_path: Path, digit_page: Callable[..., np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitscan.cli import scan as batch
    from digitscan.scan import inputs as load

    for n in range(3):
        save(digit_page(n), tmp_path / f"page{n}.png")
    doomed = tmp_path / "page1.png"

    def expand_then_delete(*args: object, **kwargs: object) -> Iterator[Path]:
        paths = list(load.expand_inputs(*args, **kwargs))  # type: ignore[arg-type]
        doomed.unlink()
        return iter(paths)

    monkeypatch.setattr(batch, "expand_inputs", expand_then_delete)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["-q", "scan", str(tmp_path), "-o", str(out), "--model", str(tiny_model_path)])
    assert result.exit_code == ExitCode.some_files_failed, result.output
    read = results_by_file(out.read_text())
    assert read[(str(doomed), 0)]["error"].startswith("no such file")
    assert all(read[(str(tmp_path / f"page{n}.png"), 0)]["strings"] for n in (0, 2))


def _signals_by_default() -> None:
    """The child's Ctrl-C and SIGTERM as a terminal gives them. A shell starts a background job (`pytest &`) with
    SIGINT ignored, the child inherits that, and digitscan rightly leaves a signal its caller ignores ignored: the
    scan then ran to its end and this test failed whenever the suite was run in the background."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_scan_cleanly_and_resume_finishes_it(
    tmp_path: Path, tiny_model_path: Path, tiny_model, digit_page: Callable[..., np.ndarray], signum: int
) -> None:
    count = 150  # files enough that the scan is still running when the signal lands, however fast it gets
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(count):
        save(digit_page(n, count=2 + n % 3), folder / f"p{n:03d}.png")
    out = tmp_path / "out.csv"
    args = ["scan", str(folder), "-o", str(out), "--workers", "2", "--batch-size", "8", "--model", str(tiny_model_path)]
    command = [*DIGITSCAN, "-q", *args]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_signals_by_default
    )
    partial = out.with_name(f".{out.name}.partial")
    deadline = time.monotonic() + 60
    while _data_rows(partial) < 6 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.interrupted, stderr
    assert not partial.exists()

    first = _rows(out)
    done = {r["file"] for r in first}
    assert 0 < len(done) < count, "the signal came too late or too early to test anything"
    assert f"interrupted after {len(done)} of {count} files" in stderr
    assert "--resume" in stderr
    reference = _digits_by_page(_rows_of_clean_run(tiny_model, sorted(map(str, folder.iterdir())), tmp_path))
    keys = [(r["file"], r["page"], r["string"]) for r in first]
    assert len(keys) == len(set(keys)), "a row was written twice"
    interrupted_pages = _digits_by_page(first)
    assert all(interrupted_pages[page] == reference[page] for page in interrupted_pages)  # each file whole

    resumed = runner.invoke(app, ["-q", *args, "--resume"])
    assert resumed.exit_code == ExitCode.ok, resumed.output
    final = _rows(out)
    keys = [(r["file"], r["page"], r["string"]) for r in final]
    assert len(keys) == len(set(keys))
    assert _digits_by_page(final) == reference
    assert final[: len(first)] == first  # what was done is kept as it was, not redone


def _rows_of_clean_run(tiny_model, paths: list[str], tmp_path: Path) -> list[dict[str, str]]:
    from digitscan.scan.write import ResultWriter

    out = tmp_path / "reference.csv"
    with ResultWriter(out, "csv") as writer:
        for results in Scanner(tiny_model, ScanOptions(workers=0, batch_digits=8)).scan_files(paths):
            writer.write_file(results)
    return _rows(out)


@pytest.mark.parametrize("interruption", [interrupt_in_c_code, error_after_interrupt])
def test_a_signal_landing_inside_c_code_stops_the_scan_as_an_interrupt(
    tmp_path: Path,
    digit_page: Callable[..., np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
    interruption: Callable[[], BaseException],
) -> None:
    """The SIGTERM test's rare failures: exit 2, "internal error: SystemError", instead of 130 and a resumable file;
    and, where an error was raised while the interrupt unwound, a bare "interrupted" without the summary that says
    how many files were done and to run again with --resume."""
    from digitscan.cli import scan as batch
    from digitscan.results import FileResult

    names = [tmp_path / f"p{n}.png" for n in range(3)]
    for n, name in enumerate(names):
        save(digit_page(n), name)

    class Interrupted:
        def scan_files(self, paths: list[str]) -> Iterator[list[FileResult]]:
            yield [FileResult(file=paths[0])]
            raise interruption()

    monkeypatch.setattr(batch, "make_scanner", lambda *args, **kwargs: Interrupted())
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["scan", str(tmp_path), "-o", str(out)])
    assert result.exit_code == ExitCode.interrupted, result.output
    assert "internal error" not in result.output and "--resume" in result.output
    assert "interrupted after 1 of 3 files" in result.output
    assert [row["file"] for row in csv.DictReader(out.open())] == [str(names[0])]


def test_scan_warns_once_about_a_model_without_not_a_digit(pages: Path, tiny_model_path: Path) -> None:
    result = CliRunner().invoke(app, ["scan", str(pages), "--model", str(tiny_model_path), "-j", "0"])
    assert result.exit_code == 0, result.output
    assert " ".join(result.output.split()).count('has no "not a digit" output') == 1


def test_a_folder_of_pdfs_is_read_page_by_page_and_a_locked_pdf_gets_an_error_row(
    tmp_path: Path, tiny_model_path: Path, digit_page: Callable[..., np.ndarray]
) -> None:
    from support import encrypted_pdf, save_pdf

    folder = tmp_path / "pdfs"
    folder.mkdir()
    pngs = [save(digit_page(20 + n), tmp_path / f"p{n}.png") for n in range(2)]
    save_pdf([digit_page(20), digit_page(21)], folder / "statement.pdf")
    encrypted_pdf(folder / "locked.pdf")
    out = tmp_path / "out.csv"
    overlays = tmp_path / "overlays"
    args = ["scan", str(folder), "-o", str(out), "-m", str(tiny_model_path), "-j", "0", "--overlay", str(overlays)]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.some_files_failed, result.output
    assert "no overlay" not in result.stderr and len(list(overlays.glob("*statement.pdf.p[01].png"))) == 2
    rows = list(csv.DictReader(out.open()))
    locked = [r for r in rows if r["file"].endswith("locked.pdf")]
    assert len(locked) == 1 and locked[0]["error"].startswith("encrypted PDF")
    pdf_rows = [r for r in rows if r["file"].endswith("statement.pdf")]
    assert {r["page"] for r in pdf_rows} == {"0", "1"} and all(not r["error"] for r in pdf_rows)
    reference = runner.invoke(app, ["scan", *map(str, pngs), "-f", "csv", "-m", str(tiny_model_path), "-j", "0"])
    png_rows = list(csv.DictReader(reference.stdout.splitlines()))
    per_page = [
        "".join(r["digits"] for r in pdf_rows if r["page"] == str(n)) for n in range(2)
    ]  # rendering resamples the ink a little: strings may group differently, the digits are the same
    assert per_page == ["".join(r["digits"] for r in png_rows if r["file"] == str(png)) for png in pngs]
    assert all(len(digits) == 4 for digits in per_page)


def test_the_summary_counts_the_strings_to_review(pages: Path, tiny_model_path: Path) -> None:
    """At --min-confidence 1.0 every string is for review (`review` in the output), and the summary says how many."""
    result = runner.invoke(
        app, ["scan", str(pages), "--format", "jsonl", "--min-confidence", "1.0", "--model", str(tiny_model_path)]
    )
    assert result.exit_code == ExitCode.ok, result.output
    strings = [s for line in result.stdout.splitlines() for s in json.loads(line)["strings"]]
    assert strings and all(s["review"] for s in strings)
    assert f"{len(strings)} strings to review" in " ".join(result.stderr.split())


def test_one_image_is_read_in_this_process_unless_workers_are_asked_for(pages: Path) -> None:
    """Starting worker processes for one image costs more than reading it; a folder, several files or an explicit
    --workers keep the pool."""
    from digitscan.cli.scan import for_inputs
    from digitscan.scan.options import ScanOptions

    one = str(pages / "page0.png")
    assert for_inputs(ScanOptions(), [one]).workers == 0
    assert for_inputs(ScanOptions(), [str(pages)]).workers is None
    assert for_inputs(ScanOptions(), [one, str(pages / "page1.png")]).workers is None
    assert for_inputs(ScanOptions(workers=2), [one]).workers == 2
