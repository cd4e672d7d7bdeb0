"""Training data of many writers: every source brought to the scanner's 28x28 normalisation.

MNIST is one population of writers; real documents come from others. Each
further source is a file or folder given on the command line (nothing is
downloaded), and each arrives looking different: CVL digits sit on grey
paper, USPS digits are stretched to fill a 16x16 frame, the Swiss form cells
are small, faint and off-centre, and a folder of labelled documents holds
whole strings. Each is turned into what the classifier sees at scan time:
the paper level taken off, then `to_mnist`; documents are cut by the
scanner's own code (`finetune.collect_crops`), marks and touching pairs
included. `Mixture` then holds what every epoch draws on besides MNIST.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitscan.errors import DataError
from digitscan.model.contract import DIGITS, REJECT, SEVERAL
from digitscan.scan.normalise import BOX, to_mnist
from digitscan.training.data import open_npz

# What the card says of the data sets this project knows, by the sha256 of their files (../shared/datasets).
KNOWN_SOURCES = {
    "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64": (
        "MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges), train split only",
        "CC BY-SA 3.0",
    ),
    "982cb05c123450762abd6bf3bc45fa1a6689a1461c8fa93c6b1338ffd33b47bf": (
        "CVL Single Digit (Computer Vision Lab, TU Wien; Diem et al., ICDAR 2013 competition)",
        "research use",
    ),
    "e5580ba19057d58bf2b19627b524f5ab7a32a7c4be31d492e88d7bd83e3efc65": (
        "USPS zip-code digits (as distributed with The Elements of Statistical Learning)",
        "research use",
    ),
    "847a739980f40e4f8ec0be58f445ddfab1e6a18e3e033b05036f9f5cd70d7e29": (
        "Swiss numbers (kensanata/numbers)",
        "MIT",
    ),
    # CVL's train writers alone (x_train/y_train of cvl-digits.npz, as `bench/folds_bench.py` writes them), for models
    # measured on its valid writers: the files the bundled readers and print detector learnt from. np.savez stamps
    # each writing's zip entries with its time, so a file written anew hashes otherwise (the user's own, then).
    **dict.fromkeys(
        (
            "59d5013a40f5e2f0497e5d622cc1fd690b99833d07251a9322139c8b7237fa2a",
            "d2c2d790adb617b994ef4e736cc65150fda34d3ee164468ba1e522c037c091fe",
            "fd64e2ec67fbdb8cde43c114bf71249e46c39a1cff84cd37c077db5f41402031",
        ),
        (
            "CVL Single Digit (Computer Vision Lab, TU Wien; Diem et al., ICDAR 2013 competition), train writers only",
            "research use",
        ),
    ),
    # A documents folder's hash is that of its labels.csv and boxes.csv (its images are not hashed).
    "29a1519d4cb40479becfcc75053c5e31bf5845f8fb717d70fe3c9c8a698d7b0b": (
        "ORAND-CAR-A development set (ICFHR 2014 competition), 600 bank-check amounts",
        "research and development; the images are never shipped",
    ),
}
UNKNOWN_SOURCE = ("given by the user", "the user's own")
DIGIT_SPLITS = (("x_train", "y_train"), ("x_valid", "y_valid"), ("x", "y"))  # every split of a digits .npz trains


@dataclass(frozen=True)
class Source:
    """One source's samples, normalised: its digits, and (documents only) its marks and touching pairs."""

    path: Path
    kind: str  # "digits" (an .npz of single digits) or "documents" (a folder of labelled strings)
    sha256: str
    images: np.ndarray  # (N, 28, 28) uint8, white on black, through to_mnist
    labels: np.ndarray  # (N,) int64: 0-9, REJECT or SEVERAL

    def describe(self) -> dict[str, object]:
        """The card's entry: what it is, its terms, and how many samples of each kind it gave."""
        return {
            "name": self.path.name,
            "kind": self.kind,
            **known_as(self.sha256),
            "sha256": self.sha256,
            "digits": int((self.labels < DIGITS).sum()),
            "marks": int((self.labels == REJECT).sum()),
            "pairs": int((self.labels == SEVERAL).sum()),
        }


def known_as(sha256: str) -> dict[str, str]:
    """The title and terms a card gives a data set: a known one's, else the user's own."""
    title, terms = KNOWN_SOURCES.get(sha256, UNKNOWN_SOURCE)
    return {"title": title, "terms": terms}


def without_paper(cell: np.ndarray, box: float = BOX) -> np.ndarray:
    """A white-on-black digit cell as the scanner's ink: the paper level (the cell's median) taken off, normalised.

    CVL's paper sits at 5-30 of 255; left on, `to_mnist` would frame the
    whole cell instead of the digit. `box` is BOX to train; each of READ_BOXES to score as scanning reads.
    """
    ink = np.clip(cell.astype(np.float32) - float(np.median(cell)), 0, None)
    return (to_mnist(ink, box) * 255).round().astype(np.uint8)


def load_source(path: Path, model: Path | None = None) -> Source:
    """A digits `.npz` (x_train/y_train, x_valid/y_valid or x/y), or documents: a folder (its labels.csv) or a
    labels CSV in such a folder (a subset); `model` reads documents that have no boxes.csv."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir() or path.suffix.lower() == ".csv":
        return _documents(path, model)
    images, labels = _digit_arrays(path)
    normalised = np.stack([without_paper(cell) for cell in images])
    return Source(path, "digits", _sha256(path), normalised, labels)


def _digit_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open_npz(path) as npz:
        splits = [(npz[x], npz[y]) for x, y in DIGIT_SPLITS if x in npz.files and y in npz.files]
        files = npz.files
    if not splits:
        raise DataError(f"{path}: expected arrays x_train and y_train (or x and y), found {', '.join(files)}")
    for x, y in splits:
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or len(x) == 0:
            raise DataError(f"{path}: expected images (N, H, W) and labels (N,), got {x.shape} and {y.shape}")
        if not np.issubdtype(x.dtype, np.integer) or x.min() < 0 or x.max() > 255:
            raise DataError(f"{path}: images must hold integers 0..255, white ink on black (dtype {x.dtype})")
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= DIGITS:
            raise DataError(f"{path}: labels must be digits 0..9")
    if len({x.shape[1:] for x, _ in splits}) > 1:
        raise DataError(f"{path}: its splits hold images of different sizes")
    return np.concatenate([x for x, _ in splits]), np.concatenate([y for _, y in splits]).astype(np.int64)


def _documents(path: Path, model: Path | None) -> Source:
    from digitscan.training.finetune import collect_crops

    folder, labels_file = (path, None) if path.is_dir() else (path.parent, path)
    crops = collect_crops(folder, labels_file, model)
    images = (crops.images * 255).round().astype(np.uint8)
    return Source(path, "documents", documents_sha256(folder, labels_file), images, crops.labels)


def documents_sha256(folder: Path, labels_file: Path | None = None) -> str:
    """What a card records of a documents folder: the sha256 of its labels CSV and boxes.csv (images not hashed),
    by which `KNOWN_SOURCES` knows a data set."""
    hashed = [labels_file or folder / "labels.csv", folder / "boxes.csv"]
    return _sha256(*[p for p in hashed if p.exists()])


def _sha256(*files: Path) -> str:
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Mixture:
    """What every epoch draws on besides MNIST: real writers' digits, and documents' marks and pairs.

    Documents are repeated `document_repeats` times: they are the closest to
    what is scanned but the fewest. Each epoch takes `mnist_per_epoch` MNIST
    digits at random, so MNIST stays about a quarter of the digits.
    """

    digits: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray
    others: np.ndarray  # (M, 28, 28) uint8: marks ("not a digit") and touching pairs ("several digits")
    other_labels: np.ndarray
    mnist_per_epoch: int

    @classmethod
    def of(cls, sources: list[Source], mnist_per_epoch: int, document_repeats: int) -> Mixture:
        images, labels = [], []
        for source in sources:
            repeats = document_repeats if source.kind == "documents" else 1
            images += [source.images] * repeats
            labels += [source.labels] * repeats
        x, y = np.concatenate(images), np.concatenate(labels)
        digit = y < DIGITS
        return cls(x[digit], y[digit], x[~digit], y[~digit], mnist_per_epoch)

    def epoch_size(self, mnist_digits: int) -> tuple[int, int]:
        """(digits, marks and pairs) an epoch holds, before the synthetic non-digits."""
        return min(mnist_digits, self.mnist_per_epoch) + len(self.digits), len(self.others)
