"""digitscan.cli.ui: progress that reports on a terminal and off it, with an ETA from the whole run's rate."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from support import said
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.cli.ui import ScanProgress, clock_text, eta_seconds


def test_the_eta_is_the_whole_runs_average_not_a_bursts() -> None:
    assert eta_seconds(0, 500, 3.0) is None
    assert eta_seconds(11, 500, 5.0) == pytest.approx(489 * 5 / 11)  # 11 files in 5 s: 222 s left, not 1 s
    assert eta_seconds(500, 500, 60.0) == 0
    assert clock_text(None) == "-:--:--" and clock_text(222.3) == "0:03:42" and clock_text(3725) == "1:02:05"


def test_off_a_terminal_a_progress_line_every_few_seconds() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = ScanProgress(Console(file=stream, width=200), total=500, every=5.0, clock=lambda: now[0])
    progress.start()
    for done, at in [(1, 1.0), (11, 5.0), (12, 6.0), (30, 10.5)]:
        now[0] = at
        progress.update(done, digits=3 * done)
    progress.stop()
    assert stream.getvalue().splitlines() == [
        "scanning: 11/500 files · 33 digits · 2.2 files/s · ETA 0:03:42",
        "scanning: 30/500 files · 90 digits · 2.9 files/s · ETA 0:02:44",
    ]


def test_a_redirected_scan_reports_progress_on_stderr(
    pages: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitscan.cli import ui

    monkeypatch.setattr(ui, "PROGRESS_EVERY", 0.0)
    result = CliRunner().invoke(app, ["scan", str(pages), "-f", "csv", "-m", str(tiny_model_path), "-j", "0"])
    assert result.exit_code == 0, result.output
    assert said(result.stderr, "scanning: 1/2 files ·") and "files/s · ETA 0:00:" in result.stderr
    assert "scanning" not in result.stdout
