"""digitscan.model.contract: what each output means."""

from __future__ import annotations

from digitscan.model.contract import DIGIT_CLASSES, EXTRA_CLASSES, class_names


def test_class_names():
    assert class_names(10) == DIGIT_CLASSES == [str(d) for d in range(10)]
    assert class_names(11) == [*DIGIT_CLASSES, "not-a-digit"]
    assert class_names(12) == [*DIGIT_CLASSES, *EXTRA_CLASSES] == [*DIGIT_CLASSES, "not-a-digit", "several-digits"]
