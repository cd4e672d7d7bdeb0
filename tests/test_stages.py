"""Each scan stage on constructed images: segmentation, normalisation, assembly, batching."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from digitscan.assemble import assemble_word
from digitscan.classify import Scores
from digitscan.normalise import to_mnist, to_mnist_batch
from digitscan.segment import Candidate, Word, remove_lines, segment


@pytest.fixture(scope="module")
def digits() -> dict[int, np.ndarray]:
    """One clear MNIST test digit per label (white on black, uint8)."""
    data = np.load(__import__("conftest").MNIST_SUBSET)
    return {d: data["x_test"][np.flatnonzero(data["y_test"] == d)[0]] for d in range(10)}


def page_with(glyphs: list[np.ndarray], xs: list[int], height: int = 120, width: int = 400, y: int = 30) -> np.ndarray:
    """Dark ink on white paper (float, paper 1): each glyph scaled x2 and drawn at its x."""
    import cv2

    ink = np.zeros((height, width), np.float32)
    for glyph, x in zip(glyphs, xs, strict=True):
        big = cv2.resize(glyph.astype(np.float32) / 255.0, (56, 56), interpolation=cv2.INTER_LINEAR)
        region = ink[y : y + 56, x : x + 56]
        np.maximum(region, big[: region.shape[0], : region.shape[1]], out=region)
    return 1.0 - ink


def ink_columns(glyph: np.ndarray, x: int) -> tuple[int, int]:
    cols = np.flatnonzero(glyph.max(axis=0) > 30)
    return x + 2 * int(cols[0]), x + 2 * int(cols[-1]) + 2


def test_to_mnist_matches_mnist_geometry(digits: dict[int, np.ndarray]) -> None:
    out = to_mnist(digits[3])
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    ys, xs = np.nonzero(out > 0.05)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) <= 21  # fits the 20x20 box (+ anti-aliasing)
    total = out.sum()
    cy, cx = (np.indices(out.shape) * out).sum(axis=(1, 2)) / total
    assert abs(cy - 14) < 1 and abs(cx - 14) < 1  # centred by centre of mass, as MNIST was


def test_to_mnist_is_scale_invariant(digits: dict[int, np.ndarray]) -> None:
    import cv2

    small = to_mnist(digits[5])
    big = to_mnist(cv2.resize(digits[5], (112, 112), interpolation=cv2.INTER_CUBIC))
    assert np.abs(small - big).mean() < 0.05


def test_to_mnist_blank_and_degenerate_inputs() -> None:
    for ink in (np.zeros((5, 5)), np.zeros((0, 0)), np.full((3, 3), np.nan), np.ones((1, 50))):
        out = to_mnist(ink)
        assert out.shape == (28, 28) and np.isfinite(out).all() and out.max() <= 1
    assert to_mnist_batch([]).shape == (0, 28, 28)


def test_segment_finds_separate_digits_at_their_boxes(digits: dict[int, np.ndarray]) -> None:
    xs = [40, 92, 144]
    words = segment(page_with([digits[4], digits[7], digits[2]], xs))
    assert len(words) == 1
    boxes = [c.box for c in words[0].candidates]
    for glyph, x in zip([digits[4], digits[7], digits[2]], xs, strict=True):
        left, right = ink_columns(glyph, x)
        # boxes are taken around the deskewed digit, so a slanted digit's box is a little wider
        assert any(abs(bx - left) <= 8 and abs(bx + bw - right) <= 8 for bx, _, bw, _ in boxes), (left, right, boxes)


def test_blobs_side_by_side_with_space_between_are_never_one_digit(digits: dict[int, np.ndarray]) -> None:
    """A "1" and an "8" a few pixels apart are two candidates, never one "8" (a gap of about a third of the
    height); a "0" broken by a hairline (a few percent of the height) still has a candidate that holds it whole."""
    apart = segment(page_with([digits[1], digits[8]], [60, 104]))
    (one_left, one_right), (eight_left, eight_right) = ink_columns(digits[1], 60), ink_columns(digits[8], 104)
    assert 10 <= eight_left - one_right <= 25  # the blank space between them, on a line about 45 px high
    assert len(apart) == 1
    boxes = [c.box for c in apart[0].candidates]
    assert any(abs(bx - one_left) <= 8 and abs(bx + bw - one_right) <= 8 for bx, _, bw, _ in boxes)
    assert any(abs(bx - eight_left) <= 8 and abs(bx + bw - eight_right) <= 8 for bx, _, bw, _ in boxes)
    assert not any(bx < one_right and bx + bw > eight_left for bx, _, bw, _ in boxes), boxes

    zero = digits[0].copy()
    cols = np.flatnonzero(zero.max(axis=0) > 30)
    zero[:, (cols[0] + cols[-1]) // 2] = 0  # a one-pixel break, two pixels on the page
    broken = segment(page_with([zero], [60]))
    assert len(broken) == 1 and broken[0].pieces == 2
    assert any(c.start == 0 and c.end == 2 for c in broken[0].candidates)


@pytest.mark.parametrize("surround", ["desk on 4 sides", "desk on 3 sides", "thin frame touching a digit"])
def test_a_dark_surround_is_not_ink(digits: dict[int, np.ndarray], surround: str) -> None:
    """A page photographed on a dark desk, or a crop with the thin box of a check amount: only the digits are read."""
    glyphs, xs = [digits[4], digits[7], digits[2]], [40, 92, 144]
    framed = np.pad(page_with(glyphs, xs), 30, constant_values=0.1)
    shift = 30
    if surround == "desk on 3 sides":
        framed, shift = framed[:, 30:], 0
    elif surround == "thin frame touching a digit":
        framed, shift = page_with(glyphs, xs, height=116), 0
        framed[:3], framed[-3:], framed[:, :3], framed[:, -3:] = 0.1, 0.1, 0.1, 0.1
        framed[70:113, 170:173] = 0.1  # a stroke from the 2 down into the frame
    words = segment(framed)
    assert len(words) == 1
    boxes = [c.box for c in words[0].candidates]
    for glyph, x in zip(glyphs, xs, strict=True):
        left, right = ink_columns(glyph, x)
        left, right = left + shift, right + shift
        assert any(abs(bx - left) <= 8 and abs(bx + bw - right) <= 8 for bx, _, bw, _ in boxes), (left, right, boxes)


@pytest.mark.parametrize("layout", ["two-tone check", "page on a desk"])
def test_load_drops_a_desk_but_not_a_darker_band_of_the_paper(digits: dict[int, np.ndarray], layout: str) -> None:
    """A check printed in two tones has its amount on the darker band: that band is paper, and its ink is kept.
    A page photographed on a desk has a dark surround with no writing on it: that is dropped."""
    from digitscan.load import prepare

    written = page_with([digits[2], digits[3], digits[1]], [40, 110, 180], height=120, width=300)  # paper 1, ink 0
    if layout == "two-tone check":
        grey = written * 0.55  # the amount sits on a grey band...
        grey[:25] = np.maximum(grey[:25], 0.85)  # ...under a light strip across the top
        ink = written < 0.3
        ink[:25] = False
    else:
        grey = np.full((240, 420), 0.2, np.float32)  # a dark desk around the page, on all sides
        grey[60:180, 60:360] = written * 0.9
        ink = np.zeros(grey.shape, bool)
        ink[60:180, 60:360] = written < 0.3
    flat = prepare((grey * 255).astype(np.uint8)).grey
    assert ink.sum() > 200
    kept = float((flat[ink] < 0.6).mean())
    assert kept > 0.9, kept  # the digits' strokes are still there to read
    if layout == "page on a desk":
        assert (flat[:40] == 1.0).all() and (flat[:, :40] == 1.0).all()  # the desk became blank paper


def test_segment_splits_a_touching_pair_where_they_touch(digits: dict[int, np.ndarray]) -> None:
    _a_left, a_right = ink_columns(digits[0], 60)
    b_x = a_right - 8 - 2 * int(np.flatnonzero(digits[0].max(axis=0) > 60)[0])  # overlap the strokes by a few px
    page = page_with([digits[0], digits[0]], [60, b_x])
    words = segment(page)
    assert len(words) == 1
    word = words[0]
    assert word.pieces >= 2
    b_left, _ = ink_columns(digits[0], b_x)
    junction = (a_right + b_left) / 2
    cuts = {c.box[0] + c.box[2] for c in word.candidates if c.start == 0 and c.end < word.pieces}
    assert any(abs(cut - junction) <= 8 for cut in cuts), (cuts, junction)


def test_ink_extent_is_low_where_round_digits_touch_not_inside_a_loop() -> None:
    import cv2

    from digitscan.segment import ink_extent

    mask = np.zeros((30, 60), np.uint8)
    cv2.ellipse(mask, (15, 15), (12, 12), 0, 0, 360, 1, 2)  # a "0" over columns 2-28
    cv2.ellipse(mask, (42, 15), (12, 12), 0, 0, 360, 1, 2)  # another, touching it at columns 28-29
    extent = ink_extent(mask.astype(bool))
    assert extent[0] == 0 and extent[-1] == 0
    assert extent[8:22].min() >= 20 and extent[35:49].min() >= 20  # the top and the bottom arc of each loop
    assert extent[26:31].min() <= 10  # where they touch


def test_a_wide_zero_is_not_cut_inside_its_loop() -> None:
    """A zero written wide stays one piece: between its sides its ink spans its full height in every column
    (counting ink pixels instead finds its thin top and bottom arcs and cuts it there)."""
    import cv2

    page = np.ones((140, 200), np.float32)
    cv2.ellipse(page, (100, 70), (38, 26), 0, 0, 360, 0.0, 5)  # 1.45 times as wide as tall
    words = segment(page)
    assert len(words) == 1 and words[0].pieces == 1


def test_small_digits_after_big_ones_are_digits_not_marks(digits: dict[int, np.ndarray]) -> None:
    """Amounts often end in zeros written smaller ("16700" with the zeros at 40 % of the 1's height): each small
    zero is a candidate of its own, not a mark to drop."""
    import cv2

    page = page_with([digits[1], digits[6]], [40, 90], height=140, width=320, y=30)
    small = cv2.resize(digits[0].astype(np.float32) / 255.0, (24, 24), interpolation=cv2.INTER_AREA)
    for x in (150, 176):  # on the same baseline as the big digits (their ink ends near row 80)
        region = page[56:80, x : x + 24]
        np.minimum(region, 1.0 - small, out=region)
    words = segment(page)
    assert len(words) == 1
    boxes = [c.box for c in words[0].candidates if c.end - c.start == 1]
    cols = np.flatnonzero(small.max(axis=0) > 0.1)
    for x in (150, 176):
        left, right = x + int(cols[0]), x + int(cols[-1])
        assert any(abs(bx - left) <= 4 and abs(bx + bw - 1 - right) <= 4 for bx, _, bw, _ in boxes), (
            left,
            right,
            boxes,
        )


def test_remove_lines_erases_ruling_but_keeps_a_one(digits: dict[int, np.ndarray]) -> None:
    page = page_with([digits[1], digits[8]], [60, 160])
    binary = (page < 0.5).astype(np.uint8)
    binary[86:89, :] = 1  # a ruled line the digits sit on
    cleaned = remove_lines(binary)
    assert cleaned[86:89, 300:].sum() == 0  # the line is gone where there is no writing
    assert cleaned[:80].sum() >= 0.9 * binary[:80].sum()  # the digits above it are kept


def test_dots_and_dashes_are_not_candidates(digits: dict[int, np.ndarray]) -> None:
    import cv2

    page = page_with([digits[2], digits[5]], [40, 92])
    cv2.circle(page, (98, 80), 2, 0.0, -1)  # a dot on the baseline, between the digits
    cv2.line(page, (150, 60), (175, 60), 0.0, 4)  # a dash after the amount
    words = segment(page)
    assert len(words) == 1
    boxes = [c.box for c in words[0].candidates]
    assert all(bx + bw < 148 for bx, _, bw, _ in boxes)  # the dash is no part of any candidate
    assert not any(bx >= 94 and bx + bw <= 103 for bx, _, bw, _ in boxes)  # nor is the dot one on its own


def test_blank_noise_and_black_pages_give_no_absurd_output() -> None:
    rng = np.random.default_rng(0)
    assert segment(np.ones((200, 300), np.float32)) == []
    assert segment(np.zeros((200, 300), np.float32)) == []
    noise = rng.random((200, 300)).astype(np.float32)
    assert sum(w.pieces for w in segment(noise)) < 60


def _word(pieces: int, spans: list[tuple[int, int]]) -> Word:
    word = Word(line=0, pieces=pieces, box=(0, 0, 10, 10))
    word.candidates = [Candidate(a, b, (a * 10, 0, (b - a) * 10, 10), np.zeros((0, 0))) for a, b in spans]
    return word


def test_assemble_prefers_two_confident_digits_over_one_merged() -> None:
    word = _word(2, [(0, 1), (0, 2), (1, 2)])
    digits = np.full((3, 10), 0.01, np.float32)
    digits[0, 0], digits[1, 8], digits[2, 0] = 0.95, 0.40, 0.95
    reject = np.array([0.0, 0.5, 0.0], np.float32)
    read = assemble_word(word, Scores(digits, reject), offset=0, scale=1.0, min_confidence=0.5)
    assert read is not None and read.text == "00"
    assert [d.box[0] for d in read.digits] == [0, 10]


def test_assemble_drops_a_mark_and_flags_low_confidence() -> None:
    word = _word(3, [(0, 1), (1, 2), (2, 3)])
    digits = np.full((3, 10), 0.01, np.float32)
    digits[0, 4], digits[1, 1], digits[2, 7] = 0.97, 0.02, 0.40
    reject = np.array([0.01, 0.95, 0.1], np.float32)
    read = assemble_word(word, Scores(digits, reject), offset=0, scale=1.0, min_confidence=0.5)
    assert read is not None and read.text == "47"
    assert read.shown() == "4?"
    assert read.digits[1].flagged and not read.digits[0].flagged


def test_assemble_maps_boxes_back_to_original_pixels() -> None:
    word = _word(1, [(0, 1)])
    digits = np.zeros((1, 10), np.float32)
    digits[0, 3] = 1.0
    read = assemble_word(word, Scores(digits, np.zeros(1, np.float32)), offset=0, scale=0.5, min_confidence=0.5)
    assert read is not None and read.digits[0].box == (0, 0, 20, 20)


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_large_jpeg_decoded_at_reduced_scale_keeps_the_page_geometry(tmp_path, orientation: int) -> None:
    """JPEG draft decoding (1/2 scale here) gives the page a full decode would, boxes still in the file's pixels."""
    from PIL import Image, ImageOps

    from digitscan.load import load_pages, prepare, to_grey

    rng = np.random.default_rng(0)
    pixels = np.full((1200, 4400, 3), 235, np.uint8)
    pixels[300:900, 1000:1400] = 20  # a dark block to find again
    pixels = (pixels.astype(np.int16) + rng.integers(-8, 8, pixels.shape)).clip(0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    Image.fromarray(pixels).save(path, quality=92, exif=exif)

    (page,) = load_pages(path)
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image)
        full = prepare(to_grey(upright))  # decoded in full, then shrunk
    expected_size = (4400, 1200) if orientation == 1 else (1200, 4400)
    assert page.original_size == full.original_size == expected_size
    assert page.scale == pytest.approx(full.scale) and page.grey.shape == full.grey.shape
    assert np.abs(page.grey - full.grey).mean() < 0.02  # the same picture, within JPEG scaling differences
    dark = np.argwhere(page.grey < 0.5)
    centre = dark.mean(axis=0) / page.scale  # (row, column) in the file's upright pixels
    assert centre == pytest.approx((600, 1200) if orientation == 1 else (1200, 600), abs=6)


def test_batches_are_padded_to_a_few_shapes_and_padding_never_changes_a_score(tiny_model) -> None:
    from digitscan.classify import Classifier, bucket

    assert [bucket(n, 512) for n in (1, 32, 33, 97, 300, 512)] == [32, 32, 64, 128, 512, 512]
    assert bucket(200, 100) == 100  # never past the largest batch
    images = np.random.default_rng(0).random((97 + 512, 28, 28), dtype=np.float32)
    reference = np.asarray(tiny_model.model.predict_on_batch(images[..., None]))  # one unpadded batch
    scores = Classifier(tiny_model, batch_size=512).scores(images)
    np.testing.assert_allclose(scores.digits, reference[:, :10], atol=1e-5)


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
    from digitscan.classify import fold_batch_norm
    from digitscan.models import build

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


@given(
    pixels=hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=60)),
    q=st.floats(0, 100),
)
@settings(max_examples=200, deadline=None)
def test_the_histogram_percentile_equals_numpys(pixels: np.ndarray, q: float) -> None:
    from digitscan.load import percentile_uint8

    assert percentile_uint8(pixels, q) == pytest.approx(float(np.percentile(pixels, q)), abs=1e-9)


@given(
    runs=st.lists(st.tuples(st.integers(0, 39), st.integers(-20, 119), st.integers(1, 120)), max_size=12),
    length=st.integers(2, 60),
    noise=st.floats(0, 0.3),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=200, deadline=None)
def test_long_runs_equal_the_opening(runs: list[tuple[int, int, int]], length: int, noise: float, seed: int) -> None:
    """Opening only the rows with enough ink gives the whole image's opening, runs at the edges included."""
    import cv2

    from digitscan.segment import horizontal_runs

    binary = (np.random.default_rng(seed).random((40, 100)) < noise).astype(np.uint8)
    for row, start, size in runs:
        binary[row, max(0, start) : start + size] = 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    np.testing.assert_array_equal(horizontal_runs(binary, length), cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel))
