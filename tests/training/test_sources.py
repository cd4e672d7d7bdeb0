"""Training sources of other writers: each loader's shapes, polarity and paper level, the mixture, a mixed run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from digitscan.errors import DataError
from digitscan.model.contract import DIGITS, INPUT_SIZE, REJECT, SEVERAL
from digitscan.model.files import card_path
from digitscan.training.augment import extra_samples, training_epoch
from digitscan.training.recipe import MIXED_EPOCHS, TrainOptions
from digitscan.training.sources import KNOWN_SOURCES, Mixture, Source, load_source, without_paper

DATA = Path(__file__).resolve().parent.parent / "data"
SUBSETS = ("cvl_subset.npz", "usps_subset.npz", "swiss_subset.npz")


def _centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(img.shape)
    total = float(img.sum())
    return float((ys * img).sum() / total), float((xs * img).sum() / total)


@pytest.mark.parametrize("name", SUBSETS)
def test_each_source_comes_out_as_the_scanner_sees_a_digit(name: str) -> None:
    source = load_source(DATA / name)
    raw = np.load(DATA / name)
    count = sum(len(raw[k]) for k in raw.files if k.startswith("y"))
    assert source.kind == "digits" and source.images.shape == (count, INPUT_SIZE, INPUT_SIZE)
    assert source.images.dtype == np.uint8 and sorted(set(source.labels.tolist())) == list(range(DIGITS))
    for img in source.images:
        # White ink on black, no paper left: the field is mostly black, the border (outside MNIST's 20x20 box,
        # which the centring may nudge ink into) nearly all of it, and the ink's core is bright.
        border = np.concatenate([img[:3].ravel(), img[-3:].ravel(), img[:, :3].ravel(), img[:, -3:].ravel()])
        assert np.median(img) < 10 and (border < 30).mean() > 0.9 and img.max() > 200
        cy, cx = _centre_of_mass(img.astype(np.float32))
        assert abs(cy - INPUT_SIZE / 2) < 2 and abs(cx - INPUT_SIZE / 2) < 2


def test_the_paper_level_is_taken_off() -> None:
    """A CVL-like cell: a digit on paper of level 25. Left on, the paper would fill the frame; taken off, it's gone."""
    cell = np.full((28, 28), 25, np.uint8)
    cell[6:22, 12:15] = 200  # a "1"
    out = without_paper(cell)
    assert out[0, 0] == 0 and out[:, :4].max() == 0  # no paper left
    cols = np.flatnonzero(out.max(axis=0) > 0)
    assert cols.size < 12  # a narrow 1, not the whole 28-wide cell scaled into the box


def test_a_bad_source_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(DataError, match=r"bad\.npz.*x_train"):
        load_source(bad)
    labels = tmp_path / "labels.npz"
    np.savez(labels, x=np.zeros((2, 8, 8), np.uint8), y=np.array([3, 12]))
    with pytest.raises(DataError, match=r"digits 0\.\.9"):
        load_source(labels)
    with pytest.raises(DataError, match="no such file"):
        load_source(tmp_path / "missing.npz")


def test_the_card_entry_names_known_sets_and_counts(tmp_path: Path) -> None:
    source = load_source(DATA / "usps_subset.npz")
    entry = source.describe()
    assert entry["name"] == "usps_subset.npz" and entry["digits"] == len(source.images)
    assert entry["marks"] == entry["pairs"] == 0 and entry["terms"] == "the user's own"  # a subset: not the known file
    known = Source(Path("usps.npz"), "digits", next(k for k, v in KNOWN_SOURCES.items() if "USPS" in v[0]),
                   source.images, source.labels)  # fmt: skip
    assert "USPS" in known.describe()["title"] and known.describe()["terms"] == "research use"


def test_documents_give_digits_marks_and_pairs(labelled_folder: Path) -> None:
    source = load_source(labelled_folder)
    assert source.kind == "documents"
    assert (source.labels < DIGITS).sum() == 18 and (source.labels == SEVERAL).sum() == 12
    assert (source.labels == REJECT).sum() == 1  # the dot after the first digit
    subset = labelled_folder / "first-two.csv"
    subset.write_text("file,digits\n" + "".join((labelled_folder / "labels.csv").read_text().splitlines(True)[1:3]))
    assert (load_source(subset).labels < DIGITS).sum() == 6  # a labels CSV in the folder: just those files


def test_the_mixture_repeats_documents_and_keeps_marks_apart(labelled_folder: Path) -> None:
    docs, digits = load_source(labelled_folder), load_source(DATA / "usps_subset.npz")
    mixture = Mixture.of([digits, docs], mnist_per_epoch=100, document_repeats=3)
    assert len(mixture.digits) == len(digits.images) + 3 * 18
    assert len(mixture.others) == 3 * 13 and set(mixture.other_labels.tolist()) == {REJECT, SEVERAL}
    assert mixture.epoch_size(2000) == (100 + len(mixture.digits), len(mixture.others))
    x = np.load(DATA / "mnist_subset.npz")["x_train"]
    y = np.load(DATA / "mnist_subset.npz")["y_train"]
    images, labels = training_epoch(x, y, seed=1, epoch=0, reject_fraction=0.12, mixture=mixture)
    digit_count, other_count = mixture.epoch_size(len(x))
    n_reject, n_several = extra_samples(digit_count, 0.12)
    assert len(images) == len(labels) == digit_count + n_reject + n_several + other_count
    assert images.shape[1:] == (INPUT_SIZE, INPUT_SIZE, 1) and images.min() >= 0 and images.max() <= 1
    assert (labels == SEVERAL).sum() >= 3 * 12  # the documents' own pairs are all there


def test_a_mixed_run_trains_and_its_card_names_every_source(
    tmp_path: Path, mnist_subset, labelled_folder: Path
) -> None:
    from digitscan.training.train import train

    sources = [load_source(DATA / name) for name in SUBSETS] + [load_source(labelled_folder)]
    options = TrainOptions(epochs=3, validation_size=400, out=tmp_path, seed=2)
    assert options.recipe(mixed=True).epochs == 3 and TrainOptions().recipe(mixed=True).epochs == MIXED_EPOCHS
    result = train(mnist_subset, options, sources=sources)
    card = json.loads(card_path(result.model_path).read_text())
    named = [entry["name"] for entry in card["training_data"]["sources"]]
    assert named == [*SUBSETS, labelled_folder.name]
    assert card["training_data"]["sources"][-1]["pairs"] == 12
    assert card["training_data"]["mnist"]["sha256"] == mnist_subset.sha256
    assert card["recipe"]["mnist_per_epoch"] > 0
    # It learns the mixture: the training loss falls epoch by epoch and the last epoch is right far above chance
    # (0.1). (Held-out figures of a network this young mean little: batch norm's running statistics lag it.)
    history = list(csv.DictReader((tmp_path / "history.csv").open()))
    losses, accuracy = [float(row["loss"]) for row in history], float(history[-1]["accuracy"])
    assert losses[0] > losses[1] > losses[2] and accuracy > 0.5, (losses, accuracy)


def test_every_bundled_models_card_names_each_data_set_it_learnt_from() -> None:
    """The bundled models' cards give each digits set and documents folder they learnt from its title and terms,
    those of readers they were continued from or averaged from too: none is the user's own."""
    import json

    from digitscan.model.files import bundled_model_path
    from digitscan.training.sources import UNKNOWN_SOURCE

    def sources(entry: object) -> list[dict]:
        if isinstance(entry, dict):
            own = [entry] if entry.get("kind") in ("digits", "documents") else []
            return own + [s for value in entry.values() for s in sources(value)]
        return [s for value in entry for s in sources(value)] if isinstance(entry, list) else []

    cards = sorted(bundled_model_path().parent.glob("*.card.json"))
    assert len(cards) >= 5
    for card in cards:
        found = sources(json.loads(card.read_text()))
        assert found, card.name
        assert all(s["title"] != UNKNOWN_SOURCE[0] and s["terms"] for s in found), card.name
