"""How to train: each architecture's recipe, and the options of `digitscan train` and of fine-tuning.

Kept free of heavy imports, so the command line can show these defaults in
`--help` without loading Keras. Every default is stated here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REJECT_FRACTION = 0.12  # "not a digit" samples per digit in an epoch (and half as many "several digits")
FINETUNE_EPOCHS = 15  # on ORAND half 1, 6 epochs read half 2 at 63.0-68.7 % of strings (three seeds), 15 at 69.0-70.7 %


@dataclass(frozen=True)
class Recipe:
    """How to train; each architecture has its own defaults (see RECIPES)."""

    epochs: int
    batch_size: int
    learning_rate: float
    augment: bool
    reject_fraction: float
    cosine: bool
    normalise: bool  # digits through to_mnist, as scanning prepares them (the tutorial used raw pixels)


RECIPES = {
    # The tutorial, exactly: plain Adam, batch 16, 5 epochs, no augmentation, raw MNIST pixels.
    "lenet": Recipe(
        epochs=5, batch_size=16, learning_rate=1e-3, augment=False, reject_fraction=0.0, cosine=False, normalise=False
    ),
    "digitnet": Recipe(
        epochs=24,
        batch_size=128,
        learning_rate=3e-3,
        augment=True,
        reject_fraction=REJECT_FRACTION,
        cosine=True,
        normalise=True,
    ),
}


@dataclass(frozen=True)
class TrainOptions:
    """Options of `digitscan train`; None takes the architecture's recipe."""

    arch: str = "digitnet"
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 1
    out: Path | None = None  # the output folder; None: runs/ARCH
    validation_size: int = 5000  # training digits held out to choose the best epoch
    augment: bool | None = None

    @property
    def out_dir(self) -> Path:
        return self.out or Path("runs") / self.arch

    def recipe(self) -> Recipe:
        base = RECIPES.get(self.arch, RECIPES["digitnet"])
        augment = base.augment if self.augment is None else self.augment
        return Recipe(
            epochs=self.epochs or base.epochs,
            batch_size=self.batch_size or base.batch_size,
            learning_rate=base.learning_rate,
            augment=augment,
            reject_fraction=base.reject_fraction,
            cosine=base.cosine,
            normalise=base.normalise or augment,  # augmented digits always go through to_mnist
        )


@dataclass(frozen=True)
class FinetuneOptions:
    """Options of `digitscan train --finetune FOLDER`: a model fitted to labelled images of the user's documents."""

    folder: Path
    labels: Path | None = None  # the file,digits CSV; None: FOLDER/labels.csv
    base: Path | None = None  # the model to start from; None: the bundled model
    out: Path = Path("runs/finetuned")
    epochs: int = FINETUNE_EPOCHS
    batch_size: int = 64
    learning_rate: float = 3e-4
    seed: int = 1
