"""digitscan.model.contract: what each output means."""

from __future__ import annotations

from digitscan.model.contract import DIGIT_CLASSES, EXTRA_CLASSES, class_names


def test_class_names():
    assert class_names(10) == DIGIT_CLASSES == [str(d) for d in range(10)]
    assert class_names(11) == [*DIGIT_CLASSES, "not-a-digit"]
    assert class_names(12) == [*DIGIT_CLASSES, *EXTRA_CLASSES] == [*DIGIT_CLASSES, "not-a-digit", "several-digits"]


def test_each_role_is_held_to_its_own_contract(tmp_path) -> None:
    """A print detector (a glyph in, two outputs) passes the print contract and neither other; a classifier fails
    the print contract."""
    import pytest

    from digitscan.errors import ModelError
    from digitscan.model.architectures import build
    from digitscan.model.contract import check_role

    detector, classifier = build("printnet"), build("lenet")
    check_role(detector, tmp_path, "print")
    check_role(classifier, tmp_path, "classifier")
    with pytest.raises(ModelError, match="expected"):
        check_role(detector, tmp_path, "classifier")
    with pytest.raises(ModelError, match="a string reader's input"):
        check_role(detector, tmp_path, "reader")
    with pytest.raises(ModelError, match="a print detector's output is"):
        check_role(classifier, tmp_path, "print")
