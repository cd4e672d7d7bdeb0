"""The print detector: a page's printed numbers (a form's number, a page number) are left out, its handwriting read."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitscan.errors import ModelError
from digitscan.scan.classify import PrintDetector, bundled_print_detector_path
from digitscan.scan.options import ScanOptions
from digitscan.training.page_words import overlap


def _read(path: Path, drop_print: bool) -> list[tuple[str, tuple[int, int, int, int]]]:
    from digitscan.scan.pipeline import Scanner

    (result,) = Scanner(options=ScanOptions(workers=0, drop_print=drop_print)).scan([path])
    return [("".join(ch for ch in s.text if ch.isdigit()), s.box) for s in result.strings]


@pytest.mark.parametrize("kind, seed", [("form", 4), ("check", 2), ("note", 5)])
def test_printed_numbers_in_a_typeface_it_never_learnt_are_left_out_and_the_handwriting_read(
    mnist_subset_path: Path, tmp_path: Path, kind: str, seed: int
) -> None:
    """A page with a form number and a page number set in Pillow's own typeface (Aileron: not among the typefaces
    the bundled detector learnt). Read as handwriting before ("No. 58208" as "058208", "PAGE 2 OF 5" as "25");
    now every string read is a handwritten number, and `--keep-print` reads the print again."""
    from digitscan.training.pages import Conditions, Digits, make_page, save

    digits = Digits.load(mnist_subset_path, "test")
    page = make_page(seed, digits, kind, Conditions(printed_numbers=True, typeface="", ink="blue", jpeg=90))
    save(page, tmp_path / "page.jpg")
    truth = [n.digits for n in page.numbers]

    def on_print(box: tuple[int, int, int, int]) -> bool:
        return any(overlap(box, printed) > 0.1 for printed in page.printed)

    dropped, kept = _read(tmp_path / "page.jpg", True), _read(tmp_path / "page.jpg", False)
    assert any(on_print(box) for _, box in kept), kept  # the print is read as handwriting without the detector
    assert not any(on_print(box) for _, box in dropped), dropped
    assert [text for text, _ in dropped if text in truth] == [text for text, _ in kept if text in truth]
    assert sum(text in truth for text, _ in dropped) >= len(truth) - 1, (dropped, truth)


def test_the_detector_is_the_options_and_holds_to_its_contract(tiny_model_path: Path) -> None:
    assert PrintDetector.for_options(ScanOptions(drop_print=False)) is None
    bundled = PrintDetector.for_options(ScanOptions())
    assert bundled is not None and str(bundled.loaded.path).endswith("printnet.onnx")
    assert Path(bundled_print_detector_path()).name == "printnet.h5"
    with pytest.raises(ModelError, match="print detector's output"):
        PrintDetector(str(tiny_model_path))  # a digit classifier is no print detector


def test_each_page_glyph_is_looked_at_as_it_stands_and_turned_half_a_turn(mnist_subset) -> None:
    """The detector's probabilities for a page word's single pieces, as they stand and turned (a number printed
    the other way up from the writing, `assemble.TURNED_GLYPHS`); nothing for a piece pair or a crop's pieces."""
    import numpy as np
    from support import _word

    from digitscan.scan.classify import PRINT_FRAMING
    from digitscan.scan.normalise import to_mnist_framings
    from digitscan.scan.pipeline import _print_probabilities

    page, crop = _word(3, [(0, 1), (0, 2), (1, 2), (2, 3)]), _word(2, [(0, 1), (1, 2)])
    crop.crop = True
    images = to_mnist_framings(list(mnist_subset.x_test[:6]))
    detector = PrintDetector()
    printed, turned = _print_probabilities(detector, images, [page, crop])
    glyphs = images[[0, 2, 3], PRINT_FRAMING]
    np.testing.assert_allclose(printed[[0, 2, 3]], detector.printed(glyphs), atol=1e-6)
    np.testing.assert_allclose(turned[[0, 2, 3]], detector.printed(glyphs[:, ::-1, ::-1].copy()), atol=1e-6)
    assert np.isnan(printed[[1, 4, 5]]).all() and np.isnan(turned[[1, 4, 5]]).all()
    assert not np.allclose(printed[[0, 2, 3]], turned[[0, 2, 3]])  # a digit turned is another glyph to it
