"""`digitscan scan --engine ray` where Ray is missing or the cluster cannot be reached, and Parquet output with
`--resume` (the Ray engine's own runs are in tests/scan/test_ray_engine.py)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digitscan.cli import app
from digitscan.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(str(p) for p in (ROOT / "samples").iterdir() if p.suffix in (".png", ".jpg"))

runner = CliRunner()


def test_without_ray_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_work: None) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where the extra is not installed
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["scan", *SAMPLES, "--engine", "ray", "-o", str(out)])
    assert result.exit_code == ExitCode.usage_error, result.output
    assert "pip install 'digitscan[ray]'" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_a_cluster_that_cannot_be_reached_is_one_line_and_exit_2(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    if ray.is_initialized():
        pytest.skip("this process is connected to Ray already")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "out.csv"
    address = f"127.0.0.1:{port}"
    result = runner.invoke(app, ["scan", SAMPLES[0], "--engine", "ray", "--ray-address", address, "-o", str(out)])
    assert result.exit_code == ExitCode.usage_error, result.output
    said = " ".join(result.stderr.split())  # the terminal may wrap the line
    assert said.startswith(f"error: cannot reach the Ray cluster at {address}:") and "Traceback" not in result.output
    assert not out.exists() and not (tmp_path / ".out.csv.partial").exists()


def test_parquet_output_and_resume(tmp_path: Path) -> None:
    """A row per page as JSON Lines holds it; `--resume` keeps the earlier rows and adds only the new files."""
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the ray extra) is not installed")
    import json

    out, reference = tmp_path / "out.parquet", tmp_path / "reference.jsonl"
    first = runner.invoke(app, ["scan", *SAMPLES[:2], "-o", str(out), "-j", "0"])
    assert first.exit_code == ExitCode.ok, first.output
    again = runner.invoke(app, ["scan", *SAMPLES, "-o", str(out), "-j", "0", "--resume"])
    assert again.exit_code == ExitCode.ok, again.output
    assert f"{len(SAMPLES) - 2} files" in again.stderr and "2 already done (--resume)" in again.stderr
    whole = runner.invoke(app, ["scan", *SAMPLES, "-o", str(reference), "-j", "0"])
    assert whole.exit_code == ExitCode.ok, whole.output
    expected = [json.loads(line) for line in reference.read_text().splitlines()]
    assert pq.read_table(out).to_pylist() == expected
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    refused = runner.invoke(app, ["scan", SAMPLES[0], "-o", str(broken), "--resume"])
    assert refused.exit_code == ExitCode.usage_error and "not a digitscan Parquet file" in refused.stderr
