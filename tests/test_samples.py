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


@pytest.mark.skipif(not bundled_model_path().exists(), reason="no bundled model in this checkout")
def test_printed_labels_cut_as_crops_read_no_digits(tmp_path: Path) -> None:
    """An empty form field's label, cut out alone, is print: no digits, whatever the font (the string reader
    alone reads some of these as digits; the classifier's print test must keep deciding)."""
    import cv2
    import numpy as np

    fonts = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX]
    fonts.append(cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)
    paths = []
    for word in ["ZIP", "AMOUNT", "DATE", "TOTAL", "Name", "PAY", "No.", "SIGN", "ACCOUNT"]:
        for n, font in enumerate(fonts):
            crop = np.full((80, 260), 255, np.uint8)
            cv2.putText(crop, word, (10, 55), font, 1.4, 0, 2, cv2.LINE_AA)
            paths.append(tmp_path / f"{word.strip('.')}-{n}.png")
            cv2.imwrite(str(paths[-1]), crop)
    results = list(Scanner(options=ScanOptions(workers=0)).scan([str(p) for p in paths]))
    read = {Path(r.file).name: [s.text for s in r.strings] for r in results if r.strings}
    assert read == {}
