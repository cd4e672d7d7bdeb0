"""The confidences a scan reports: the networks' probabilities calibrated once every reading is chosen."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest

from digitscan.results import Digit, DigitString
from digitscan.scan import pipeline
from digitscan.scan.calibrate import calibrated, calibrated_confidence
from digitscan.scan.options import ScanOptions

PAGES = Path(__file__).parent.parent / "data" / "pages"


def _string(*confidences: float) -> DigitString:
    digits = [Digit(str(k), p, (10 * k, 0, 10, 20)) for k, p in enumerate(confidences)]
    return DigitString(digits, (0, 0, 10 * len(digits), 20), line=3, separators={1: "."})


def test_calibration_keeps_every_reading_and_moves_only_its_confidences() -> None:
    raw = [_string(0.999, 0.9, 0.5, 0.2), _string(1.0, 0.0)]
    kept = copy.deepcopy(raw)
    out = calibrated(raw)
    assert raw == kept  # the chosen readings are not touched
    for before, after in zip(raw, out, strict=True):
        assert (after.text, after.written, after.box, after.line) == (
            before.text,
            before.written,
            before.box,
            before.line,
        )
        assert [d.box for d in after.digits] == [d.box for d in before.digits]
    sure, unsure, even, unlikely = (d.confidence for d in out[0].digits)
    assert 0.99 < sure < 0.999 and 0.8 < unsure < 0.9  # sure digits less sure: the networks claim more than they earn
    assert even == pytest.approx(0.5) and 0.2 < unlikely < 0.5  # and unlikely ones less unlikely
    assert out[0].confidence == pytest.approx(math.prod([sure, unsure, even, unlikely]))
    assert 0 < out[1].digits[1].confidence < out[1].digits[0].confidence < 1  # 0 and 1 are finite, still ordered
    grid = [k / 100 for k in range(1, 100)]
    assert [calibrated_confidence(p) for p in grid] == sorted(calibrated_confidence(p) for p in grid)


def test_a_scan_reports_calibrated_confidences_and_flags_by_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed pages, read once: what the networks chose (kept as `classify_files` calibrates it) and what the
    scan reports. The same readings; the reported confidences are the calibrated ones, and `--min-confidence` flags
    by them. (How well they fit the share read right is a bench measure: `calibrate`'s note.)"""
    raw: dict[int, list[DigitString]] = {}

    def spy(strings: list[DigitString]) -> list[DigitString]:
        out = calibrated(strings)
        raw[id(out)] = copy.deepcopy(strings)
        return out

    monkeypatch.setattr(pipeline, "calibrated", spy)
    scanner = pipeline.Scanner(options=ScanOptions(workers=0, min_confidence=0.9))
    results = list(scanner.scan(sorted(PAGES.glob("*.jpg"))))
    by_id = {id(r.strings): r for r in results}
    assert len(results) == 18 and set(by_id) == set(raw)  # every page went through the calibration once
    strings = moved = 0
    for key, before in raw.items():
        result = by_id[key]
        assert [s.written for s in result.strings] == [s.written for s in before]
        for was, now in zip(before, result.strings, strict=True):
            expected = [calibrated_confidence(d.confidence) for d in was.digits]
            assert [d.confidence for d in now.digits] == pytest.approx(expected)
            assert now.review == (now.confidence < 0.9 or any(p < 0.9 for p in expected))
            strings += 1
            moved += now.review != (was.confidence < 0.9 or any(d.confidence < 0.9 for d in was.digits))
    assert strings >= 90 and moved  # some string's flag is not what the raw confidences would have set
