"""Named CNN architectures, written against Keras 3 so any backend trains them.

`lenet` is the tutorial's network, kept exactly as the baseline every figure is
compared with. `digitnet` is the default: still small and fast on a CPU, with
batch normalisation and two more outputs: "not a digit", which lets the scanner
drop dots, dashes, letters and fragments instead of reading them as 1s and 7s,
and "several digits", which tells it that a blob of touching digits must be cut.
`printnet` is the print detector: a glyph in, typeset or handwritten out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from digitscan._keras import import_keras
from digitscan.errors import DigitscanError
from digitscan.model.contract import CLASSES, DIGITS, INPUT_SHAPE, LINE_SHAPE, PRINT_CLASSES, READER_CLASSES

DEFAULT_ARCH = "digitnet"


def build_lenet() -> Any:
    """The tutorial's LeNet-style network: 61,706 parameters, 10 outputs."""
    keras = import_keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(16, 5, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(DIGITS, activation="softmax", dtype="float32"),
        ],
        name="lenet",
    )


def build_digitnet() -> Any:
    """Three conv blocks with batch norm, dropout; 12 outputs: digits, "not a digit", "several digits"."""
    keras = import_keras()
    layers = keras.layers

    def block(filters: int, kernel: int) -> list[Any]:
        return [
            layers.Conv2D(filters, kernel, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling2D(),
        ]

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *block(32, 5),
            *block(64, 3),
            *block(128, 3),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(len(CLASSES), activation="softmax", dtype="float32"),
        ],
        name="digitnet",
    )


def build_stringnet() -> Any:
    """The string reader: a whole line (LINE_HEIGHT x any width) to per-column scores of blank and the ten digits.

    Convolutions only, so any width runs and the export stays plain: five blocks pool the 32 rows to one, the
    columns by four (`LINE_STRIDE`), then two 1x3 convolutions look along the line. The scores are logits (CTC
    takes them so); the scanner applies the softmax.
    """
    keras = import_keras()
    layers = keras.layers

    def block(filters: int, pool: tuple[int, int], kernel: tuple[int, int] = (3, 3)) -> list[Any]:
        return [
            layers.Conv2D(filters, kernel, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            *([layers.MaxPooling2D(pool)] if pool != (1, 1) else []),
        ]

    return keras.Sequential(
        [
            keras.Input(LINE_SHAPE),
            *block(16, (2, 2)),
            *block(32, (2, 2)),
            *block(64, (2, 1)),
            *block(96, (2, 1)),
            *block(128, (2, 1)),
            *block(128, (1, 1), (1, 3)),
            *block(128, (1, 1), (1, 3)),
            layers.Dropout(0.2),
            layers.Conv2D(len(READER_CLASSES), 1, dtype="float32"),
            layers.Reshape((-1, len(READER_CLASSES))),
        ],
        name="stringnet",
    )


def build_printnet() -> Any:
    """The print detector: three small convolutions and a dense layer, 32,674 parameters; 2 outputs, PRINT_CLASSES.
    A typeface shows in a glyph's strokes (even width, straight runs, serifs), not in what digit it is, so a network
    a seventh of digitnet's size tells them apart (bench/README.md, fifty-fifth session)."""
    keras = import_keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(len(PRINT_CLASSES), activation="softmax", dtype="float32"),
        ],
        name="printnet",
    )


ARCHITECTURES: dict[str, Callable[[], Any]] = {
    "lenet": build_lenet,
    "digitnet": build_digitnet,
    "stringnet": build_stringnet,
    "printnet": build_printnet,
}


def build(arch: str) -> Any:
    """Build a named architecture (a fresh, untrained model)."""
    try:
        return ARCHITECTURES[arch]()
    except KeyError:
        raise DigitscanError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}") from None
