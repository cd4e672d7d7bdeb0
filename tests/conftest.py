"""Shared fixtures: the committed MNIST subset and one tiny trained model."""

from __future__ import annotations

import csv
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # plain `pytest` from anywhere, without an installed package
    sys.path.insert(0, str(ROOT))

DATA_DIR = ROOT / "tests" / "data"
MNIST_SUBSET = DATA_DIR / "mnist_subset.npz"


@pytest.fixture(scope="session")
def mnist_subset_path() -> Path:
    """The committed MNIST subset: 2000 train and 500 test digits (see tests/data/README.md)."""
    assert MNIST_SUBSET.is_file(), f"missing test data {MNIST_SUBSET}"
    return MNIST_SUBSET


@pytest.fixture
def mnist_subset(mnist_subset_path: Path):
    """The subset loaded and validated by digitscan.training.data.load_mnist (fresh arrays per test)."""
    from digitscan.training.data import load_mnist

    return load_mnist(mnist_subset_path)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory, mnist_subset_path: Path) -> Path:
    """A LeNet trained for one epoch on the subset, saved as lenet.h5 with its card."""
    from digitscan._keras import import_keras
    from digitscan.model.architectures import build
    from digitscan.model.contract import class_names
    from digitscan.model.files import save_model
    from digitscan.training.data import load_mnist

    keras = import_keras()
    keras.utils.set_random_seed(0)
    data = load_mnist(mnist_subset_path)
    model = build("lenet")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = (data.x_train.astype(np.float32) / 255.0)[..., None]
    model.fit(x, data.y_train.astype(np.int64), batch_size=64, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("tiny_model") / "lenet.h5"
    card = {
        "architecture": "lenet",
        "classes": class_names(10),
        "parameters": int(model.count_params()),
        "training_data": {"source": data.source, "sha256": data.sha256, "train_images": len(data.x_train)},
        "epochs_run": 1,
    }
    save_model(model, path, card)
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path: Path):
    """The tiny model loaded once (a LoadedModel), for scanning in this process."""
    from digitscan.model.files import load_model

    return load_model(tiny_model_path)


@pytest.fixture(scope="session")
def digit_page(mnist_subset_path: Path):
    """A function (seed, count=4) -> uint8 page: `count` MNIST test digits, dark on white, ~40 px, spaced apart.

    Clearly written and well separated, so the scanner finds each one; the
    same seed always gives the same page.
    """
    import cv2

    with np.load(mnist_subset_path) as data:
        digits = data["x_test"]

    def make(seed: int, count: int = 4, size: int = 40, gap: int = 16, margin: int = 24) -> np.ndarray:
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(digits), count, replace=False)
        page = np.full((2 * margin + size, 2 * margin + count * size + (count - 1) * gap), 255, np.uint8)
        for k, index in enumerate(chosen):
            x0 = margin + k * (size + gap)
            page[margin : margin + size, x0 : x0 + size] = 255 - cv2.resize(digits[index], (size, size))
        return page

    return make


@pytest.fixture(autouse=True)
def _keep_signal_handlers() -> Iterator[None]:
    """The CLI turns SIGTERM into Ctrl-C; keep that out of the test process."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.fixture(scope="session")
def digits() -> dict[int, np.ndarray]:
    """One clear MNIST test digit per label (white on black, uint8)."""
    data = np.load(MNIST_SUBSET)
    return {d: data["x_test"][np.flatnonzero(data["y_test"] == d)[0]] for d in range(10)}


@pytest.fixture(scope="session")
def labelled_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six images of three-digit strings, dark on light, with labels.csv and boxes.csv; a dot after the first digit
    of the first image (outside every box)."""
    import cv2

    data = np.load(MNIST_SUBSET)
    x, y = data["x_test"], data["y_test"]
    folder = tmp_path_factory.mktemp("mine")
    (folder / "images").mkdir()
    rng = np.random.default_rng(0)
    with (folder / "labels.csv").open("w", newline="") as lf, (folder / "boxes.csv").open("w", newline="") as bf:
        labels, boxes = csv.writer(lf), csv.writer(bf)
        labels.writerow(["file", "digits"])
        boxes.writerow(["file", "digit", "x", "y", "w", "h"])
        for n in range(6):
            page = np.full((70, 160), 235, np.uint8)
            picks = rng.integers(0, len(x), 3)
            name = f"img{n}.png"
            for k, i in enumerate(picks):
                glyph = cv2.resize(x[i], (42, 42))
                left = 10 + 48 * k
                page[14:56, left : left + 42] = np.minimum(page[14:56, left : left + 42], 255 - glyph)
                boxes.writerow([name, int(y[i]), left + 4, 16, 34, 38])
            if n == 0:
                cv2.circle(page, (55, 52), 3, 20, -1)
            labels.writerow([name, "".join(str(int(y[i])) for i in picks)])
            cv2.imwrite(str(folder / "images" / name), page)
    return folder
