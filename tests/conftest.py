"""Shared fixtures: the committed MNIST subset and one tiny trained model."""

from __future__ import annotations

import os
import sys
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
    """The subset loaded and validated by digitscan.data.load_mnist (fresh arrays per test)."""
    from digitscan.data import load_mnist

    return load_mnist(mnist_subset_path)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory, mnist_subset_path: Path) -> Path:
    """A LeNet trained for one epoch on the subset, saved as lenet.h5 with its card."""
    from digitscan._keras import import_keras
    from digitscan.data import load_mnist
    from digitscan.modelio import save_model
    from digitscan.models import build, class_names

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
