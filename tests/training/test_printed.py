"""The print detector's training: glyphs in type and by hand, each as the scanner normalises it; a short run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from digitscan.errors import DataError
from digitscan.model.contract import PRINT_CLASSES, PRINTED
from digitscan.training import printed
from digitscan.training.pages import Digits

# A typeface a fresh Debian machine has (fonts-dejavu-core; `.ci/run` installs it); the tests that set print skip
# without it.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_typeface = pytest.mark.skipif(not DEJAVU.is_file(), reason="no DejaVu font (apt install fonts-dejavu-core)")


def test_typefaces_are_font_files_and_those_in_folders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.ttf", "sub/b.OTF", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert printed.find_typefaces([tmp_path]) == [tmp_path / "a.ttf", tmp_path / "sub" / "b.OTF"]
    assert printed.find_typefaces([tmp_path / "notes.txt"]) == [tmp_path / "notes.txt"]  # named: taken as given
    with pytest.raises(DataError, match="no such font file or folder"):
        printed.find_typefaces([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no TrueType or OpenType files"):
        printed.find_typefaces([tmp_path / "empty"])


@needs_typeface
def test_glyphs_drawn_apart_are_normalised_digits_of_both_kinds(mnist_subset_path: Path) -> None:
    digits = Digits.load(mnist_subset_path, "train")
    images, labels = printed.drawn_glyphs([DEJAVU], digits, typeset=30, written=20, seed=1)
    assert images.shape == (50, 28, 28) and images.dtype == np.uint8
    assert (labels == PRINTED).sum() == 30 and (labels == 1 - PRINTED).sum() == 20
    assert (images.reshape(50, -1).max(axis=1) > 150).all()  # each a glyph, none blank
    again, _ = printed.drawn_glyphs([DEJAVU], digits, typeset=30, written=20, seed=1)
    assert np.array_equal(images, again)


@needs_typeface
def test_a_training_pages_glyphs_are_its_handwriting_and_its_print(mnist_subset_path: Path) -> None:
    """The scanner's cuts of a page set in the typeface: pieces of its handwritten numbers, and of its print."""
    digits = Digits.load(mnist_subset_path, "train")
    found = printed.page_glyphs([digits], [DEJAVU], seed=1, index=0)
    labels = [label for _, label in found]
    assert labels.count(PRINTED) >= 10 and labels.count(1 - PRINTED) >= 10
    assert all(image.shape == (28, 28) and image.dtype == np.uint8 for image, _ in found)


@needs_typeface
def test_a_short_run_writes_a_print_detector_its_card_and_its_export(
    mnist_subset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitscan.model.files import card_path, load_for_scanning, role_of
    from digitscan.training.recipe import TrainOptions

    monkeypatch.setattr(printed, "TYPESET_GLYPHS", 300)
    monkeypatch.setattr(printed, "WRITTEN_MNIST", 300)
    options = TrainOptions(arch="printnet", epochs=2, out=tmp_path, typefaces=(DEJAVU,), print_pages=2)
    mnist_subset = replace(mnist_subset, x_test=mnist_subset.x_test[:100], y_test=mnist_subset.y_test[:100])
    result = printed.train_printnet(mnist_subset, options)
    card = json.loads(card_path(result.model_path).read_text())
    assert card["classes"] == PRINT_CLASSES and card["architecture"] == "printnet"
    kinds = [source["kind"] for source in card["sources"]]
    assert kinds == ["digits", "typefaces", "generated pages"]
    assert card["sources"][1]["files"][0]["name"] == DEJAVU.name and card["sources"][2]["glyphs"] > 0
    assert card["export"]["precision"] == "float32" and 0 <= card["test_taken_for_print"] <= 1
    assert role_of(result.model_path) == "print"
    loaded = load_for_scanning(result.model_path, role="print")
    assert loaded.runtime == "onnxruntime" and loaded.model.output_shape[-1] == len(PRINT_CLASSES)
