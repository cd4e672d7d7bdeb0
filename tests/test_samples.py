"""The bundled model reads every bundled sample correctly, end to end through the CLI's pipeline."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from digitscan import Scanner, ScanOptions
from digitscan.model.files import bundled_model_path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def expected() -> dict[str, str]:
    with (SAMPLES / "expected.csv").open(newline="") as f:
        return {row["file"]: row["digits"] for row in csv.DictReader(f)}


def test_samples_are_complete() -> None:
    truth = expected()
    assert len(truth) >= 4
    for name in truth:
        assert (SAMPLES / name).is_file(), name


@pytest.mark.skipif(not bundled_model_path().exists(), reason="no bundled model in this checkout")
def test_bundled_model_reads_every_sample() -> None:
    truth = expected()
    results = list(Scanner(options=ScanOptions(workers=0)).scan([str(SAMPLES / name) for name in truth]))
    read = {Path(r.file).name: " ".join(s.text for s in r.strings) for r in results}
    assert read == truth
    assert all(r.error is None for r in results)
    for r in results:
        for s in r.strings:
            width, height = r.size
            x, y, w, h = s.box
            assert x >= 0 and y >= 0 and x + w <= width and y + h <= height
