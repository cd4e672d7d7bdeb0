"""Help that reads well: no type placeholders on the declared typer range, one example per line, `-q`/`-v`
after the command, the table's limit stated, and a warning when `-o` and `-f` disagree."""

from __future__ import annotations

import csv
import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from support import said
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.cli.scan import TABLE_LIMIT, format_mismatch
from digitscan.errors import ExitCode

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [[], ["scan"], ["eval"], ["train"], ["doctor"]]


def help_of(command: list[str]) -> str:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_installed_typer_is_in_the_declared_and_bounded_range() -> None:
    declared = re.search(r'^\s*"(typer[^"]*)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert declared, "pyproject.toml declares no typer dependency"
    typer = Requirement(declared.group(1))
    assert any(spec.operator == "<" for spec in typer.specifier), "the help is only checked on a bounded range"
    assert typer.specifier.contains(version("typer"))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "digitscan")
def test_help_shows_no_type_placeholders(command: list[str]) -> None:
    text = help_of(command)
    assert not re.search(r"<[a-z][a-z |\[\]]*>", text), text  # <bool>, <path>, <list[str]>, <int range>
    assert "{" not in text and "list[" not in text, text  # {inputs}...
    assert "·" not in text  # examples are not run together on one line


def test_scan_help_has_one_example_per_line_with_overlay_and_resume() -> None:
    lines = [line.strip() for line in help_of(["scan"]).splitlines()]
    assert "Usage: digitscan scan [OPTIONS] INPUTS..." in lines
    examples = [line for line in lines if line.startswith(("digitscan scan ", "find "))]
    assert "digitscan scan checks/ -o results.csv --overlay overlays/" in examples
    assert "digitscan scan big-folder/ -o results.csv --resume" in examples
    assert len(examples) == 5


def test_scan_help_states_the_table_limit() -> None:
    assert said(help_of(["scan"]), f"up to {TABLE_LIMIT} files are shown as one table")


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_is_accepted_after_the_command_too(pages: Path, tiny_model_path: Path, where: str) -> None:
    args = ["scan", str(pages), "-m", str(tiny_model_path), "-f", "csv", "-j", "0"]
    result = runner.invoke(app, ["-q", *args] if where == "before" else [*args, "-q"])
    assert result.exit_code == ExitCode.ok, result.output
    assert "files ·" not in result.stderr and "scanning" not in result.stderr  # no summary, no progress
    assert len(list(csv.DictReader(result.stdout.splitlines()))) >= 2


def test_verbose_is_accepted_after_the_command(pages: Path, tiny_model_path: Path) -> None:
    result = runner.invoke(app, ["scan", str(pages), "-m", str(tiny_model_path), "-f", "csv", "-j", "0", "-v"])
    assert result.exit_code == ExitCode.ok, result.output
    assert re.search(r"\d+\.\d s", result.stderr)  # the summary is printed


def test_a_suffix_and_a_format_that_disagree_are_warned_of(pages: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    args = ["scan", str(pages), "-m", str(tiny_model_path), "-j", "0", "-o", str(out), "-f", "jsonl"]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.ok, result.output
    assert said(result.stderr, f"warning: {out} is written as jsonl (--format jsonl), not as its suffix says")
    assert json.loads(out.read_text().splitlines()[0])["file"]  # -f wins, as the warning says


def test_format_mismatch_cases() -> None:
    assert format_mismatch(Path("a.csv"), "csv") is None
    assert format_mismatch(Path("a.CSV"), None) is None
    assert format_mismatch(Path("a.txt"), "json") is None  # no suffix that names a format: nothing disagrees
    assert format_mismatch(None, "jsonl") is None
    assert "a.json is written as jsonl" in (format_mismatch(Path("a.json"), "jsonl") or "")
    assert "a.jsonl is written as jsonl, by its suffix" in (format_mismatch(Path("a.jsonl"), "table") or "")


@pytest.mark.parametrize(("option", "kind"), [("--workers", "int"), ("--min-confidence", "float")])
def test_a_value_that_is_no_number_is_told_what_it_should_be(option: str, kind: str) -> None:
    """A bounded option's type is named as the number it takes, not "int range" (typer 0.28's name for it)."""
    result = runner.invoke(app, ["scan", "x.png", option, "abc"], env={"COLUMNS": "200"})
    assert result.exit_code == ExitCode.usage_error, result.output
    assert f"'abc' is not a valid {kind}." in result.output and "range" not in result.output
