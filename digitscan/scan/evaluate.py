"""Score scan results against a ground truth: a `file,digits` CSV (a string per image), or pages by lines.

String accuracy is the share of files read exactly; digit accuracy is one
minus the character error rate (edit distance over the true digits).

A page truth (`file,line,digits,text[,kind]`, a row per handwritten number, as the page generator
`digitscan.training.pages` writes it) is scored by lines: a number is read when one string read from its page
equals it exactly, each string matching one number at most; strings that match none are spurious.
"""

from __future__ import annotations

import contextlib
import csv
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from digitscan._files import bundled
from digitscan.errors import DataError
from digitscan.results import DigitString, FileResult
from digitscan.scan.inputs import INPUT_SUFFIXES

if TYPE_CHECKING:
    from digitscan.model.files import LoadedModel


def read_truth(path: Path) -> dict[str, str]:
    """`file,digits` rows; spaces in `digits` separate strings of one image."""
    with truth_rows(path, ("file", "digits")) as reader:
        truth = {row["file"]: (row["digits"] or "").strip() for row in reader}
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
        """Per true string length: (how many true strings, the share of them read exactly); each string of an
        image counts on its own (`note.png`'s 4-, 5- and 3-digit strings, not one of 12), see `read_by_length`."""
        return read_by_length((c.truth.split(), c.read.split() if c.failure is None else []) for c in self.cases)

    def by_confidence(self, thresholds: tuple[float, ...] = THRESHOLDS) -> dict[float, tuple[int, float]]:
        """Per threshold: how many readings are at least that confident, and the string accuracy among them."""
        return right_by_confidence([(c.confidence, c.read == c.truth) for c in self.cases], thresholds)

    def worst(self, count: int) -> list[Case]:
        wrong = [c for c in self.cases if c.read != c.truth]
        return sorted(wrong, key=lambda c: (-c.errors, c.file))[:count]


def read_by_length(images: Iterable[tuple[list[str], list[str]]]) -> dict[int, tuple[int, float]]:
    """Per length of the true strings (digits): how many there are and the share read exactly, from each image's
    (true strings, strings read). A true string is read when one of its image's strings read is it, each string
    read matching one true string at most. Long numbers fail more (n digits read right about p^n of the time when
    each digit is read right p of it): the table shows where a reading's errors add up."""
    groups: dict[int, list[bool]] = defaultdict(list)
    for truth, read in images:
        left = list(read)
        for string in truth:
            groups[len(string)].append(string in left)
            if string in left:
                left.remove(string)
    return {n: (len(g), sum(g) / len(g)) for n, g in sorted(groups.items())}


def right_by_confidence(
    readings: list[tuple[float, bool]], thresholds: tuple[float, ...]
) -> dict[float, tuple[int, float]]:
    """From (confidence, right) per reading: per threshold, how many are at least that confident and the share of
    them right (0 for none)."""
    table = {}
    for t in thresholds:
        kept = [right for confidence, right in readings if confidence >= t]
        table[t] = (len(kept), sum(kept) / max(1, len(kept)))
    return table


def _read_right(cases: list[Case]) -> float:
    """The share of cases read exactly right (0 for none)."""
    return sum(c.read == c.truth for c in cases) / max(1, len(cases))


def samples_truth() -> Path | None:
    """The bundled samples' ground truth (`samples/expected.csv`), if this installation has it (a source checkout)."""
    expected = bundled("samples", "expected.csv")
    return expected if expected.is_file() else None


def self_test(model: LoadedModel) -> Report | None:
    """A classifier's score on the bundled samples, read by the scanner with the classifier alone (None: no samples
    here).

    What `train --install` compares a new model with the installed one on: the samples hold handwritten strings
    beside printed words and ruling, so a model that reads marks as digits, or misreads digits, scores lower. The
    string readers are left out: they read the samples whole, and an untrained classifier beside them scored as
    well as the bundled one.
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
    read = Scanner(model, ScanOptions(workers=0, read_whole=False)).scan_files([found[n] for n in names])
    for name, pages in zip(names, read, strict=True):
        report.add(name, truth[name], pages[0])  # as eval: the truth is about the first page
    return report


# --- whole pages, scored by lines ----------------------------------------------------------------------------------

PAGE_COLUMNS = frozenset({"file", "line", "digits", "text"})  # a truth with these is a page truth, scored by lines
SEPARATOR_CHARS = frozenset("/-.,")  # what `text` may hold besides digits


@dataclass(frozen=True)
class TruthNumber:
    line: int
    digits: str
    text: str


@dataclass(frozen=True)
class PageTruth:
    numbers: tuple[TruthNumber, ...]
    kind: str = ""  # the truth's `kind` column, if it has one: the report is given per kind too


def is_page_truth(path: Path) -> bool:
    """Whether a truth CSV is by lines (has `line`, `digits` and `text` columns)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return set(next(csv.reader(f), [])) >= PAGE_COLUMNS
    except (OSError, UnicodeDecodeError, csv.Error):
        return False  # read_truth says what is wrong with it


@contextlib.contextmanager
def truth_rows(path: Path, columns: Collection[str]) -> Iterator[csv.DictReader]:
    """The rows of a truth CSV that has at least these columns; what cannot be read is a `DataError`."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not set(reader.fieldnames) >= set(columns):
                names = columns if isinstance(columns, tuple) else sorted(columns)
                raise DataError(f"{path}: expected a CSV with columns {','.join(names)}")
            yield reader
    except OSError as exc:
        raise DataError(f"{path}: cannot read ground truth ({exc.strerror or exc})") from None
    except csv.Error as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from None


def read_page_truth(path: Path) -> dict[str, PageTruth]:
    """`file,line,digits,text[,kind]` rows, a row per handwritten number; a file's rows together."""
    rows: dict[str, list[TruthNumber]] = defaultdict(list)
    kinds: dict[str, str] = {}
    with truth_rows(path, PAGE_COLUMNS) as reader:
        for n, row in enumerate(reader, 2):
            digits, text = (row["digits"] or "").strip(), (row["text"] or "").strip()
            if not digits.isdigit() or not digits.isascii():
                raise DataError(f"{path}, row {n}: digits must be one string of 0-9 (got {digits!r})")
            if not set(text) <= SEPARATOR_CHARS | set("0123456789") or _only_digits(text) != digits:
                raise DataError(f"{path}, row {n}: text must be the digits with . , / - between them")
            try:
                line = int(row["line"])
            except (TypeError, ValueError):
                raise DataError(f"{path}, row {n}: line must be a whole number") from None
            rows[row["file"]].append(TruthNumber(line, digits, text))
            kinds.setdefault(row["file"], (row.get("kind") or "").strip())
    if not rows:
        raise DataError(f"{path}: no rows")
    return {name: PageTruth(tuple(numbers), kinds[name]) for name, numbers in rows.items()}


def _only_digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def written(string: DigitString) -> str:
    """A string's text with its separators (`written`, where results carry it; else its digits)."""
    value = getattr(string, "written", None)
    return value if isinstance(value, str) and value else string.text


def matched(truth: list[str], read: list[str]) -> int:
    """How many true strings one of the strings read equals, each read string matching one at most."""
    return sum((Counter(truth) & Counter(read)).values())


@dataclass
class PageCase:
    file: str
    kind: str
    truth: list[str]  # the numbers' digits
    truth_text: list[str]  # with their separators
    read: list[str]  # the strings read: digits
    read_text: list[str]  # with separators
    failure: str | None = None
    errors: int = 0  # edit distance over the page's numbers, each paired with its closest string read (or none)
    confidences: list[float] = field(default_factory=list)  # each string read's, in the order of `read`

    def right(self) -> list[bool]:
        """Per string read (in `read`'s order): whether it is one of the page's numbers, each number matched by one
        string at most, the surest strings first."""
        left = list(self.truth)
        right = [False] * len(self.read)
        for i in sorted(range(len(self.read)), key=lambda i: -self.confidences[i]):
            if self.read[i] in left:
                left.remove(self.read[i])
                right[i] = True
        return right

    @property
    def hits(self) -> int:
        return matched(self.truth, self.read)

    @property
    def text_hits(self) -> int:
        return matched(self.truth_text, self.read_text)

    @property
    def spurious(self) -> int:
        """Strings read that equal no true number."""
        return len(self.read) - self.hits

    @property
    def text_spurious(self) -> int:
        return len(self.read_text) - self.text_hits

    @property
    def misses(self) -> int:
        return len(self.truth) - self.hits

    @property
    def reading(self) -> str:
        return " ".join(self.read_text)


@dataclass(frozen=True)
class PageScore:
    """Figures of a set of pages."""

    pages: int
    lines: int
    read: float  # share of the true lines read exactly (digits)
    spurious: float  # strings read that match no true line, per page
    text_read: float  # the same with separators
    text_spurious: float
    digit_accuracy: float  # 1 - CER over the lines, each paired with its closest string read


@dataclass
class PageReport:
    """Pages scored by lines; `add` has `Report.add`'s shape, so `digitscan eval` runs either."""

    cases: list[PageCase] = field(default_factory=list)
    texts_carried: bool = False  # some string read has separators: the text figures mean something

    def add(self, name: str, truth: PageTruth, result: FileResult) -> PageCase:
        strings = [s for s in result.strings if s.text] if result.error is None else []
        read, read_text = [s.text for s in strings], [written(s) for s in strings]
        self.texts_carried |= read != read_text
        digits = [n.digits for n in truth.numbers]
        case = PageCase(name, truth.kind, digits, [n.text for n in truth.numbers], read, read_text, result.error)
        case.errors = _paired_errors(digits, read)
        case.confidences = [s.confidence for s in strings]
        self.cases.append(case)
        return case

    def score(self, cases: list[PageCase] | None = None) -> PageScore:
        cases = self.cases if cases is None else cases
        lines = sum(len(c.truth) for c in cases)
        pages = max(1, len(cases))
        digits = sum(len(t) for c in cases for t in c.truth)
        return PageScore(
            pages=len(cases),
            lines=lines,
            read=sum(c.hits for c in cases) / max(1, lines),
            spurious=sum(c.spurious for c in cases) / pages,
            text_read=sum(c.text_hits for c in cases) / max(1, lines),
            text_spurious=sum(c.text_spurious for c in cases) / pages,
            digit_accuracy=max(0.0, 1 - sum(c.errors for c in cases) / max(1, digits)),
        )

    def by_kind(self) -> dict[str, PageScore]:
        """Per page kind (the truth's `kind` column; empty when it has none)."""
        kinds: dict[str, list[PageCase]] = defaultdict(list)
        for c in self.cases:
            if c.kind:
                kinds[c.kind].append(c)
        return {k: self.score(v) for k, v in sorted(kinds.items())}

    def by_length(self) -> dict[int, tuple[int, float]]:
        """Per length of the true lines (digits): how many there are and the share read exactly (`read_by_length`)."""
        return read_by_length((c.truth, c.read) for c in self.cases)

    def by_confidence(self, thresholds: tuple[float, ...] = THRESHOLDS) -> dict[float, tuple[int, float]]:
        """Per threshold: how many strings read are at least that confident, and the share of them that are one of
        their page's numbers (`PageCase.right`): where to set `--min-confidence` for such pages."""
        strings = [(p, ok) for c in self.cases for p, ok in zip(c.confidences, c.right(), strict=True)]
        return right_by_confidence(strings, thresholds)

    def worst(self, count: int) -> list[PageCase]:
        """The pages with the most lines missed and strings made up."""
        bad = [c for c in self.cases if c.misses or c.spurious or c.failure]
        return sorted(bad, key=lambda c: (-(c.misses + c.spurious), c.file))[:count]


def _paired_errors(truth: list[str], read: list[str]) -> int:
    """Edit distance summed over the true lines: exact matches first, then each remaining line with the closest
    remaining string read (greedily, longest lines first); a line left without one counts all its digits."""
    left = list(read)
    rest = []
    for t in truth:
        if t in left:
            left.remove(t)
        else:
            rest.append(t)
    errors = 0
    for t in sorted(rest, key=len, reverse=True):
        if not left:
            errors += len(t)
            continue
        best = min(left, key=lambda r: edit_distance(r, t))
        errors += min(len(t), edit_distance(best, t))
        left.remove(best)
    return errors
