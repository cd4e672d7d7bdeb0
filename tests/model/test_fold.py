"""digitscan.model.fold: batch normalisation folded into the layer before it."""

from __future__ import annotations

import numpy as np
import pytest


def _other_foldable_model():
    """Separable and dense layers before batch norm, and a capped ReLU that must stay a layer of its own."""
    from digitscan._keras import import_keras

    keras = import_keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.SeparableConv2D(8, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(max_value=6.0),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(16),
            layers.BatchNormalization(),
            layers.Dense(12, activation="softmax"),
        ]
    )


@pytest.mark.parametrize("which", ["digitnet", "separable and dense"])
def test_batch_norm_folded_into_the_layer_before_it_gives_the_same_scores(which: str) -> None:
    from digitscan._keras import import_keras
    from digitscan.model.architectures import build
    from digitscan.model.fold import fold_batch_norm

    keras = import_keras()
    model = build("digitnet") if which == "digitnet" else _other_foldable_model()
    rng = np.random.default_rng(0)
    for layer in model.layers:  # statistics like a trained model's, far from the identity a fresh one has
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            stats = [rng.uniform(0.5, 2, n), rng.normal(0, 0.5, n), rng.normal(0, 0.5, n), rng.uniform(0.2, 3, n)]
            layer.set_weights([s.astype(np.float32) for s in stats])
    folded = fold_batch_norm(model)
    kinds = [type(layer).__name__ for layer in folded.layers]
    assert "BatchNormalization" not in kinds and "Dropout" not in kinds
    assert ("ReLU" in kinds) == (which != "digitnet")  # a plain ReLU is fused into the convolution, a capped one not
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(folded.predict_on_batch(x), model.predict_on_batch(x), atol=1e-5)
    lenet = build("lenet")
    assert fold_batch_norm(lenet) is lenet  # nothing to fold


def test_folding_turns_variables_into_arrays_without_numpy_2s_copy_warning() -> None:
    """`np.array(variable)` warns under numpy 2 (Keras variables' `__array__` takes no `copy`); `.numpy()` does not."""
    import warnings

    from digitscan.model.architectures import build
    from digitscan.model.fold import fold_batch_norm

    model = build("digitnet")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        folded = fold_batch_norm(model)
    assert folded is not model
