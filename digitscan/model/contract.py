"""The model contract: what every digitscan model takes and gives, and the one place that knows it.

Input: (N, 28, 28, 1) float32 in [0, 1], a white digit on black, normalised
the MNIST way (`digitscan.scan.normalise.to_mnist`). Output: (N, K) softmax
probabilities, K >= 10; the first ten are the digits 0-9, then "not a digit"
(marks, printed letters, fragments: the scanner drops them) and "several
digits" (touching digits: the scanner must cut them). Every other module
takes the input size and the class list from here, so adding a class or
changing the size is a change to this file (and a retrained model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from digitscan.errors import ModelError

INPUT_SIZE = 28  # pixels per side: MNIST's
INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 1)  # one grey channel

# The precision of the files scanning runs (`export.py`). The classifier's is 8 bits (7-bit weights, so that every CPU
# sums alike: `export.REDUCE_RANGE`): `digitscan scan` reads 290 ORAND crops/s against 235 in float32, and 599 of the
# 600 as through TensorFlow (the other a near tie). The string readers' stays float32:
# in 8 bits they took 0.2 ms less a crop, within the crops/s runs' spread, and read one ORAND crop otherwise than
# TensorFlow does, which issue #21 rules out (bench/README.md, thirty-eighth session).
PRECISIONS = ("int8", "float32")
CLASSIFIER_PRECISION, READER_PRECISION = "int8", "float32"
PRINT_PRECISION = "float32"  # the print detector's: its probabilities meet a threshold (`assemble.PRINTED_WORD`)

DIGIT_CLASSES = [str(d) for d in range(10)]
NOT_A_DIGIT = "not-a-digit"
SEVERAL_DIGITS = "several-digits"
EXTRA_CLASSES = [NOT_A_DIGIT, SEVERAL_DIGITS]
CLASSES = [*DIGIT_CLASSES, *EXTRA_CLASSES]  # the outputs of the default architecture, in order
DIGITS = len(DIGIT_CLASSES)  # the first outputs of every model are the digits
REJECT = CLASSES.index(NOT_A_DIGIT)  # the label of "not a digit" samples
SEVERAL = CLASSES.index(SEVERAL_DIGITS)  # the label of "several digits" samples

# The string reader's contract: a line from `to_line`, (N, LINE_HEIGHT, W, 1) with W a multiple of 4, to (N, W/4,
# 11) scores per column step: CTC's blank first (Keras counts it as label 0), then the digits 0-9 as labels 1-10.
LINE_HEIGHT = 32  # rows of a line: MNIST's 28 and room for a descender or a mark above
LINE_SHAPE = (LINE_HEIGHT, None, 1)
BLANK = "blank"
READER_CLASSES = [BLANK, *DIGIT_CLASSES]

# The print detector's contract: a glyph as the classifier takes it (`to_mnist`), to (N, 2) probabilities, written by
# hand or printed. The classifier learnt digits of every shape, so a page's printed numbers (a form's number, a page
# number) read as handwriting; the print detector tells a typeface from a pen, and a page's word whose glyphs are
# print is left out (`assemble.PRINTED_WORD`).
PRINT_CLASSES = ["handwritten", "printed"]
PRINTED = PRINT_CLASSES.index("printed")

Role = Literal["classifier", "reader", "print"]  # what a model file is to the scanner: its contract


def class_names(num_outputs: int) -> list[str]:
    """What each output means: digits 0-9, then the extra classes a model has (any further output: not a digit)."""
    extra = num_outputs - DIGITS
    return DIGIT_CLASSES + EXTRA_CLASSES[:extra] + [NOT_A_DIGIT] * max(0, extra - len(EXTRA_CLASSES))


def reject_outputs(classes: list[str]) -> list[int]:
    """The outputs past the digits that mean "not a digit" (their probabilities add up to the reject score)."""
    return [i for i, name in enumerate(classes) if i >= DIGITS and name == NOT_A_DIGIT]


def card_input(role: Role = "classifier") -> dict[str, Any]:
    """The input as a model card describes it: a classifier's or print detector's (a glyph), or a string reader's."""
    if role == "reader":
        shape, polarity = LINE_SHAPE, "white ink on black, one word (digitscan.scan.normalise.to_line), width 4k"
    else:
        shape, polarity = INPUT_SHAPE, "white digit on black, MNIST normalisation (digitscan.scan.normalise.to_mnist)"
    return {"shape": [None, *shape], "dtype": "float32", "range": [0.0, 1.0], "polarity": polarity}


def check_contract(model: Any, path: Path) -> None:
    """The scanner feeds (N, 28, 28, 1) and reads (N, K>=10) probabilities."""
    try:
        inputs, outputs = model.input_shape, model.output_shape
    except (AttributeError, ValueError) as exc:
        raise ModelError(f"{path}: model has no single input and output ({exc})") from None
    if not _is_shape(inputs) or not _is_shape(outputs):
        raise ModelError(f"{path}: expected a single input and a single output")
    inputs, outputs = tuple(inputs), tuple(outputs)
    if inputs[1:] != INPUT_SHAPE:
        raise ModelError(f"{path}: model input is {inputs[1:]}, expected {INPUT_SHAPE}")
    if len(outputs) != 2 or outputs[1] is None or outputs[1] < DIGITS:
        raise ModelError(f"{path}: model output is {outputs[1:]}, expected (K,) with K >= {DIGITS}")


def _is_shape(shape: object) -> bool:
    return isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in shape)


def _shapes(model: Any, path: Path) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """A model's input and output shapes; a model without a single one of each is refused."""
    try:
        return tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ModelError(f"{path}: model has no single input and output ({exc})") from None


def check_role(model: Any, path: Path, role: Role) -> None:
    """The contract of a model's role, checked (`check_contract`, `check_reader_contract`, `check_print_contract`)."""
    {"classifier": check_contract, "reader": check_reader_contract, "print": check_print_contract}[role](model, path)


def check_print_contract(model: Any, path: Path) -> None:
    """A print detector takes what the classifier takes and gives (N, 2) probabilities: PRINT_CLASSES."""
    inputs, outputs = _shapes(model, path)
    if inputs[1:] != INPUT_SHAPE:
        raise ModelError(f"{path}: a print detector's input is {INPUT_SHAPE}, this model's is {inputs[1:]}")
    if len(outputs) != 2 or outputs[1] != len(PRINT_CLASSES):
        raise ModelError(f"{path}: a print detector's output is ({len(PRINT_CLASSES)},), not {outputs[1:]}")


def check_reader_contract(model: Any, path: Path) -> None:
    """A string reader takes (N, LINE_HEIGHT, W, 1) lines and gives (N, W/4, 11) column scores."""
    inputs, outputs = _shapes(model, path)
    if inputs[1:] != LINE_SHAPE:
        raise ModelError(f"{path}: a string reader's input is {LINE_SHAPE}, this model's is {inputs[1:]}")
    if len(outputs) != 3 or outputs[2] != len(READER_CLASSES):
        raise ModelError(f"{path}: a string reader's output is (steps, {len(READER_CLASSES)}), not {outputs[1:]}")
