"""The records a scan produces, shared by the assembling, writing and evaluation stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Box = tuple[int, int, int, int]  # x, y, w, h in the original image's pixels


def written_with(digits: str, separators: dict[int, str]) -> str:
    """Digits with each separator written after the digit it follows (`DigitString.separators`' places)."""
    return "".join(c + separators.get(i, "") for i, c in enumerate(digits))


def unwritten(written: str) -> tuple[str, dict[int, str]]:
    """A written string's digits and its separators, each after the digit it follows: `written_with`'s inverse."""
    digits, separators = "", {}
    for char in written:
        if char.isdigit():
            digits += char
        else:
            separators[len(digits) - 1] = char
    return digits, separators


@dataclass
class Digit:
    char: str
    confidence: float
    box: Box
    flagged: bool = False  # below --min-confidence: a person should check it (set by `flag_below`)


@dataclass
class DigitString:
    digits: list[Digit]
    box: Box
    line: int
    separators: dict[int, str] = field(default_factory=dict)  # after digit i: ".", ",", "/" or "-" written there
    review: bool = False  # a person should check the string (set by `flag_below`)

    @property
    def text(self) -> str:
        """The digits only: what `digits` holds in every output."""
        return "".join(d.char for d in self.digits)

    @property
    def written(self) -> str:
        """The digits with the separators written between them (`12/05/2024`, `1,234.56`): the outputs' `text`."""
        return written_with(self.text, self.separators)

    @property
    def confidence(self) -> float:
        """Probability that every digit is right (the product of their confidences)."""
        value = 1.0
        for d in self.digits:
            value *= d.confidence
        return value

    def shown(self) -> str:
        """The written text with digits below the confidence threshold shown as '?'."""
        return "".join(("?" if d.flagged else d.char) + self.separators.get(i, "") for i, d in enumerate(self.digits))


def flag_below(strings: list[DigitString], min_confidence: float) -> list[DigitString]:
    """Flag what a person should check: digits less sure than `min_confidence`, and strings that are.

    A string is for review when any digit is flagged or when the string as a
    whole (the product of its digits' confidences) is under the threshold:
    five digits at 0.8 each are each passable, but the reading is right only
    a third of the time. A display threshold, applied to readings already
    chosen: it never changes what is read.
    """
    for s in strings:
        for d in s.digits:
            d.flagged = d.confidence < min_confidence
        s.review = s.confidence < min_confidence or any(d.flagged for d in s.digits)
    return strings


@dataclass
class FileResult:
    """Everything read from one page of one input file, or why it could not be read."""

    file: str
    page: int = 0
    strings: list[DigitString] = field(default_factory=list)
    error: str | None = None
    size: tuple[int, int] | None = None  # (width, height)
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.strings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form documented in the README."""
        return {
            "file": self.file,
            "page": self.page,
            "error": self.error,
            "width": self.size[0] if self.size else None,
            "height": self.size[1] if self.size else None,
            "strings": [
                {
                    "digits": s.text,
                    "text": s.written,
                    "confidence": round(s.confidence, 4),
                    "review": s.review,
                    "box": list(s.box),
                    "line": s.line,
                    "flagged": [i for i, d in enumerate(s.digits) if d.flagged],
                    "digit_details": [
                        {**asdict(d), "confidence": round(d.confidence, 4), "box": list(d.box)} for d in s.digits
                    ],
                }
                for s in self.strings
            ],
        }
