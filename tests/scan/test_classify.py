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


def test_a_digit_framed_several_ways_scores_the_mean_of_its_framings(tiny_model) -> None:
    from digitscan.scan.classify import Classifier

    images = np.random.default_rng(1).random((40, 2, 28, 28), dtype=np.float32)
    classifier = Classifier(tiny_model)
    both, first, second = classifier.scores(images), classifier.scores(images[:, 0]), classifier.scores(images[:, 1])
    np.testing.assert_allclose(both.digits, (first.digits + second.digits) / 2, atol=1e-6)
    np.testing.assert_allclose(both.reject, (first.reject + second.reject) / 2, atol=1e-6)
    assert classifier.scores(np.zeros((0, 2, 28, 28), np.float32)).digits.shape == (0, 10)


def test_a_digit_its_first_framing_is_sure_of_is_scored_once(tiny_model, monkeypatch) -> None:
    from digitscan.scan import classify

    images = np.random.default_rng(2).random((30, 2, 28, 28), dtype=np.float32)
    classifier = classify.Classifier(tiny_model)
    first = classifier.scores(images[:, 0])
    monkeypatch.setattr(classify, "FRAMING_SURE", float(np.median(first.digits.max(axis=1))))
    sure = np.maximum(first.digits.max(axis=1), first.reject) >= classify.FRAMING_SURE
    both = classifier.scores(images)
    assert 0 < sure.sum() < len(images)
    np.testing.assert_array_equal(both.digits[sure], first.digits[sure])
    mean = (first.digits + classifier.scores(images[:, 1]).digits) / 2
    np.testing.assert_allclose(both.digits[~sure], mean[~sure], atol=1e-6)
