"""The result writer: the documented schemas, atomic publication and resuming after a kill."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from digitscan.errors import OutputError
from digitscan.results import Digit, DigitString, FileResult
from digitscan.scan.write import CSV_COLUMNS, ResultWriter, check_writable, format_for, partial_path


def two_strings(file: str = "a.png", page: int = 0) -> FileResult:
    first = DigitString(
        [Digit("4", 0.99, (10, 5, 8, 12)), Digit("2", 0.4, (20, 5, 8, 12), flagged=True)],
        box=(10, 5, 18, 12),
        line=0,
        separators={0: "."},
        review=True,
    )
    second = DigitString([Digit("7", 0.9, (50, 40, 9, 14))], box=(50, 40, 9, 14), line=1)
    return FileResult(file=file, page=page, strings=[first, second], size=(100, 60))


def nothing(file: str = "blank.png") -> FileResult:
    return FileResult(file=file, size=(30, 30))


def failure(file: str = "bad.png") -> FileResult:
    return FileResult(file=file, error="empty file (0 bytes)")


def write(path: Path, fmt: str, files: list[list[FileResult]], resume: bool = False) -> ResultWriter:
    with ResultWriter(path, fmt, resume) as writer:
        for results in files:
            writer.write_file(results)
    return writer


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == CSV_COLUMNS
        return list(reader)


def test_csv_schema(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    write(out, "csv", [[two_strings()], [nothing()], [failure()]])
    header = "file,page,string,digits,text,confidence,x,y,w,h,digit_confidences,flagged,review,error"
    assert out.read_text().splitlines()[0] == header
    rows = read_csv(out)
    assert rows[0] == {
        "file": "a.png",
        "page": "0",
        "string": "0",
        "digits": "42",
        "text": "4.2",
        "confidence": "0.3960",
        "x": "10",
        "y": "5",
        "w": "18",
        "h": "12",
        "digit_confidences": "0.9900;0.4000",
        "flagged": "1",
        "review": "1",
        "error": "",
    }
    assert (rows[1]["string"], rows[1]["digits"], rows[1]["text"], rows[1]["flagged"], rows[1]["review"]) == (
        "1",
        "7",
        "7",
        "",
        "0",
    )
    empty = dict.fromkeys(CSV_COLUMNS, "")
    assert rows[2] == {**empty, "file": "blank.png", "page": "0"}  # no digits: still one row
    assert rows[3] == {**empty, "file": "bad.png", "page": "0", "error": "empty file (0 bytes)"}
    assert len(rows) == 4


def test_csv_keeps_leading_zeros_and_awkward_names(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = FileResult(
        file='dir, with "quotes"\nand a newline ü.png',
        strings=[DigitString([Digit("0", 0.9, (0, 0, 1, 1)), Digit("7", 0.9, (1, 0, 1, 1))], box=(0, 0, 2, 1), line=0)],
    )
    write(out, "csv", [[result]])
    [row] = read_csv(out)
    assert (row["file"], row["digits"]) == (result.file, "07")


def test_jsonl_schema(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    write(out, "jsonl", [[two_strings(), two_strings(page=1)], [nothing()], [failure()]])
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["file"], r["page"]) for r in records] == [("a.png", 0), ("a.png", 1), ("blank.png", 0), ("bad.png", 0)]
    first = records[0]
    assert set(first) == {"file", "page", "error", "width", "height", "strings"}
    assert (first["error"], first["width"], first["height"]) == (None, 100, 60)
    assert first["strings"][0] == {
        "digits": "42",
        "text": "4.2",
        "confidence": 0.396,
        "review": True,
        "box": [10, 5, 18, 12],
        "line": 0,
        "flagged": [1],
        "digit_details": [
            {"char": "4", "confidence": 0.99, "box": [10, 5, 8, 12], "flagged": False},
            {"char": "2", "confidence": 0.4, "box": [20, 5, 8, 12], "flagged": True},
        ],
    }
    assert records[2]["strings"] == [] and records[2]["error"] is None
    assert records[3]["error"] == "empty file (0 bytes)" and records[3]["width"] is None


def test_json_is_one_valid_list(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    write(out, "json", [[two_strings()], [nothing()], [failure()]])
    records = json.loads(out.read_text())
    assert [r["file"] for r in records] == ["a.png", "blank.png", "bad.png"]
    assert records[0] == json.loads(json.dumps(two_strings().to_dict()))
    empty = tmp_path / "empty.json"
    write(empty, "json", [])
    assert json.loads(empty.read_text()) == []


def test_json_to_stdout_parses(capsys: pytest.CaptureFixture[str]) -> None:
    write(None, "json", [[two_strings()], [failure()]])  # type: ignore[arg-type]
    assert [r["file"] for r in json.loads(capsys.readouterr().out)] == ["a.png", "bad.png"]


def test_format_from_option_then_suffix_then_csv() -> None:
    assert format_for(Path("x.JSONL"), None) == "jsonl"
    assert format_for(Path("x.json"), "csv") == "csv"
    assert format_for(Path("x.txt"), None) == format_for(None, None) == "csv"
    with pytest.raises(OutputError, match="unknown format"):
        ResultWriter(None, "xml")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_output_appears_only_when_finished_and_results_are_flushed_as_they_come(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    out.write_text("the previous run's results\n")
    writer = ResultWriter(out, fmt)
    partial = partial_path(out)
    assert partial.name == f".out.{fmt}.partial"
    writer.write_file([two_strings(), two_strings(page=1)])
    assert "a.png" in partial.read_text()  # on disk already, both pages
    assert out.read_text() == "the previous run's results\n"  # untouched until the end
    writer.write_file([failure()])
    writer.close()
    writer.close()  # twice is harmless
    assert not partial.exists()
    assert "bad.png" in out.read_text()
    assert not list(tmp_path.glob(".*"))  # nothing left behind


def test_abort_leaves_the_old_output_alone(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    writer = ResultWriter(out, "csv")
    writer.abort()
    assert out.read_text() == "old\n" and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_resume_from_a_finished_output_skips_its_files_and_keeps_them(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    write(out, fmt, [[two_strings("a.png"), two_strings("a.png", page=1)], [failure("b.png")]])
    before = out.read_text()
    writer = write(out, fmt, [[nothing("c.png")]], resume=True)
    assert writer.done == {"a.png", "b.png"}
    again = ResultWriter(out, fmt, resume=True)
    assert again.done == {"a.png", "b.png", "c.png"}
    again.abort()
    if fmt == "json":
        assert [r["file"] for r in json.loads(out.read_text())] == ["a.png", "a.png", "b.png", "c.png"]
    else:
        assert out.read_text().startswith(before)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_resume_after_a_kill_redoes_only_the_last_file(tmp_path: Path, fmt: str) -> None:
    """A killed run leaves its partial file, perhaps cut mid-row: whole files before the last one are kept."""
    out = tmp_path / f"out.{fmt}"
    writer = ResultWriter(out, fmt)
    for results in ([two_strings("a.png")], [failure("b.png")], [two_strings("c.png"), two_strings("c.png", 1)]):
        writer.write_file(results)
    writer._stream.flush()
    partial = partial_path(out)
    text = partial.read_text()
    partial.write_text(text[: len(text) - 25])  # the kill cut the last row short
    del writer  # never closed: as if killed

    resumed = ResultWriter(out, fmt, resume=True)
    assert resumed.done == {"a.png", "b.png"}  # c.png may be incomplete: done again
    resumed.write_file([two_strings("c.png"), two_strings("c.png", 1)])
    resumed.close()
    text = out.read_text()
    if fmt == "csv":
        files = [r["file"] for r in read_csv(out)]
    elif fmt == "jsonl":
        files = [json.loads(line)["file"] for line in text.splitlines()]
    else:
        files = [r["file"] for r in json.loads(text)]
    rows_per_page = 2 if fmt == "csv" else 1  # CSV: a row per string
    assert files == ["a.png"] * rows_per_page + ["b.png"] + ["c.png"] * 2 * rows_per_page


def test_resume_from_a_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("name,value\nx,1\n")
    with pytest.raises(OutputError, match="cannot resume"):
        ResultWriter(out, "csv", resume=True)
    assert out.read_text() == "name,value\nx,1\n"
    bad_json = tmp_path / "out.json"
    bad_json.write_text("{not json")
    with pytest.raises(OutputError, match="cannot resume"):
        ResultWriter(bad_json, "json", resume=True)


def test_names_that_are_not_utf8_survive_a_resume(tmp_path: Path) -> None:
    name = b"caf\xe9.png".decode("utf-8", "surrogateescape")  # a Latin-1 name on a UTF-8 system
    out = tmp_path / "out.csv"
    write(out, "csv", [[nothing(name)]])
    assert ResultWriter(out, "csv", resume=True).done == {name}


def test_unwritable_outputs_are_refused_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        check_writable(tmp_path / "missing" / "out.csv")
    with pytest.raises(OutputError, match="is a folder"):
        check_writable(tmp_path)
    check_writable(tmp_path / "out.csv")
    import digitscan.scan.write

    monkeypatch.setattr(
        digitscan.scan.write.os, "access", lambda path, mode: False
    )  # a read-only folder, even for root
    with pytest.raises(OutputError, match="not writable"):
        ResultWriter(tmp_path / "out.csv", "csv")
    assert not list(tmp_path.iterdir())


def test_stdout_that_cannot_show_a_name_still_gets_the_row() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    writer = ResultWriter(None, "csv")
    writer._stream = stream
    writer.write_file([nothing("ü.png")])
    stream.flush()
    assert b"\\xfc.png" in stream.buffer.getvalue()  # type: ignore[attr-defined]


def test_resume_from_a_csv_without_the_text_and_review_columns(tmp_path: Path) -> None:
    """Outputs of 0.1.0 (no `text`, no `review`) resume; the rewritten output has every column."""
    out = tmp_path / "out.csv"
    old_columns = [c for c in CSV_COLUMNS if c not in ("text", "review")]
    out.write_text(",".join(old_columns) + "\na.png,0,0,42,0.9,1,2,3,4,0.9;0.9,,\n")
    writer = ResultWriter(out, "csv", resume=True)
    assert writer.done == {"a.png"}
    writer.write_file([nothing("b.png")])
    writer.close()
    rows = read_csv(out)
    assert [(r["file"], r["digits"], r["text"]) for r in rows] == [("a.png", "42", ""), ("b.png", "", "")]
