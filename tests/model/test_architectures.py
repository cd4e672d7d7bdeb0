"""digitscan.model.architectures: the named networks."""

from __future__ import annotations

import pytest

from digitscan._keras import import_keras
from digitscan.errors import DigitscanError
from digitscan.model.architectures import build

keras = import_keras()


layers = keras.layers


def test_lenet_is_the_tutorial_network():
    model = build("lenet")
    assert model.count_params() == 61_706
    assert tuple(model.input_shape) == (None, 28, 28, 1)
    assert tuple(model.output_shape) == (None, 10)
    assert model.name == "lenet"


def test_digitnet_has_reject_and_several_outputs():
    model = build("digitnet")
    assert tuple(model.input_shape) == (None, 28, 28, 1)
    assert tuple(model.output_shape) == (None, 12)
    assert any(isinstance(layer, layers.BatchNormalization) for layer in model.layers)


def test_unknown_architecture():
    with pytest.raises(DigitscanError, match=r"unknown architecture 'resnet'; choose one of lenet, digitnet"):
        build("resnet")
