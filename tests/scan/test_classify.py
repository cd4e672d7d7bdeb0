"""digitscan.scan.classify: batched scoring."""

from __future__ import annotations

import numpy as np


def test_batches_are_padded_to_a_few_shapes_and_padding_never_changes_a_score(tiny_model) -> None:
    from digitscan.scan.classify import Classifier, bucket

    assert [bucket(n, 512) for n in (1, 32, 33, 97, 300, 512)] == [32, 32, 64, 128, 512, 512]
    assert bucket(200, 100) == 100  # never past the largest batch
    images = np.random.default_rng(0).random((97 + 512, 28, 28), dtype=np.float32)
    reference = np.asarray(tiny_model.model.predict_on_batch(images[..., None]))  # one unpadded batch
    scores = Classifier(tiny_model, batch_size=512).scores(images)
    np.testing.assert_allclose(scores.digits, reference[:, :10], atol=1e-5)
