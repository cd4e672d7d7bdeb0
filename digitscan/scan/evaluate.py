"""Score scan results against a ground truth (`file,digits` CSV).

String accuracy is the share of files read exactly; digit accuracy is one
minus the character error rate (edit distance over the true digits).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from digitscan._files import bundled
from digitscan.errors import DataError
from digitscan.results import FileResult
from digitscan.scan.inputs import INPUT_SUFFIXES

if TYPE_CHECKING:
    from digitscan.model.files import LoadedModel


def read_truth(path: Path) -> dict[str, str]:
    """`file,digits` rows; spaces in `digits` separate strings of one image."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"file", "digits"} <= set(reader.fieldnames):
                raise DataError(f"{path}: expected a CSV with columns file,digits")
            truth = {row["file"]: (row["digits"] or "").strip() for row in reader}
    except OSError as exc:
        raise DataError(f"{path}: cannot read ground truth ({exc.strerror or exc})") from None
    except csv.Error as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from None
    if not truth:
        raise DataError(f"{path}: no rows")
    bad = [f for f, d in truth.items() if not all(c.isdigit() or c == " " for c in d)]
    if bad:
        raise DataError(f"{path}: digits must hold only 0-9 and spaces (first bad row: {bad[0]})")
    return truth


def locate(folder: Path, truth: dict[str, str]) -> dict[str, Path]:
    """Find each truth file below `folder`, by relative path or by name."""
    index: dict[str, Path] = {}
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.suffix.lower() in INPUT_SUFFIXES:
                index.setdefault(path.name, path)
    found = {}
    for name in truth:
        direct = folder / name
        found[name] = direct if direct.is_file() else index.get(Path(name).name, direct)
    return found


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def reading(result: FileResult, truth: str) -> str:
    """What was read, shaped like the truth: strings joined by spaces only if the truth has them."""
    return (" " if " " in truth else "").join(s.text for s in result.strings)


@dataclass
class Case:
    file: str
    truth: str
    read: str
    errors: int
    failure: str | None = None
    confidence: float = 0.0  # that the whole reading is right: the product of its digits' confidences


# Confidence thresholds the report gives coverage and accuracy for: where to draw the line between readings
# accepted as they are and readings a person checks.
THRESHOLDS = (0.99, 0.95, 0.9, 0.8, 0.5)


@dataclass
class Report:
    cases: list[Case] = field(default_factory=list)

    def add(self, name: str, truth: str, result: FileResult) -> Case:
        read = reading(result, truth)
        confidence = math.prod(s.confidence for s in result.strings) if result.strings else 0.0
        errors = edit_distance(read.replace(" ", ""), truth.replace(" ", ""))
        case = Case(name, truth, read, errors, result.error, confidence)
        self.cases.append(case)
        return case

    @property
    def string_accuracy(self) -> float:
        return _read_right(self.cases)

    @property
    def digit_accuracy(self) -> float:
        digits = sum(len(c.truth.replace(" ", "")) for c in self.cases)
        return max(0.0, 1 - sum(c.errors for c in self.cases) / max(1, digits))

    def by_length(self) -> dict[int, tuple[int, float]]:
        """Per true string length: (how many true strings, the share of them read exactly).

        Each string of an image counts on its own (`note.png`'s 4-, 5- and 3-digit strings, not one of 12): a
        true string is read right when one of the strings read from its image is it (each read string matches
        one true string at most).
        """
        groups: dict[int, list[bool]] = defaultdict(list)
        for c in self.cases:
            read = c.read.split() if c.failure is None else []
            for string in c.truth.split():
                groups[len(string)].append(string in read)
                if string in read:
                    read.remove(string)
        return {n: (len(g), sum(g) / len(g)) for n, g in sorted(groups.items())}

    def by_confidence(self, thresholds: tuple[float, ...] = THRESHOLDS) -> dict[float, tuple[int, float]]:
        """Per threshold: how many readings are at least that confident, and the string accuracy among them."""
        table = {}
        for t in thresholds:
            kept = [c for c in self.cases if c.confidence >= t]
            table[t] = (len(kept), _read_right(kept))
        return table

    def worst(self, count: int) -> list[Case]:
        wrong = [c for c in self.cases if c.read != c.truth]
        return sorted(wrong, key=lambda c: (-c.errors, c.file))[:count]


def _read_right(cases: list[Case]) -> float:
    """The share of cases read exactly right (0 for none)."""
    return sum(c.read == c.truth for c in cases) / max(1, len(cases))


def samples_truth() -> Path | None:
    """The bundled samples' ground truth (`samples/expected.csv`), if this installation has it (a source checkout)."""
    expected = bundled("samples", "expected.csv")
    return expected if expected.is_file() else None


def self_test(model: LoadedModel) -> Report | None:
    """A model's score on the bundled samples, read by the whole scanner (None: no samples here).

    What `train --install` compares a new model with the installed one on: the samples hold handwritten strings
    beside printed words and ruling, so a model that reads marks as digits, or misreads digits, scores lower.
    """
    from digitscan.scan.options import ScanOptions
    from digitscan.scan.pipeline import Scanner

    truth_path = samples_truth()
    if truth_path is None:
        return None
    truth = read_truth(truth_path)
    found = locate(truth_path.parent, truth)
    names = list(truth)
    report = Report()
    read = Scanner(model, ScanOptions(workers=0)).scan_files([found[n] for n in names])
    for name, pages in zip(names, read, strict=True):
        report.add(name, truth[name], pages[0])  # as eval: the truth is about the first page
    return report
