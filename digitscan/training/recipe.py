"""How to train: each architecture's recipe, and the options of `digitscan train` and of fine-tuning.

Kept free of heavy imports, so the command line can show these defaults in
`--help` without loading Keras. Every default is stated here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REJECT_FRACTION = 0.12  # "not a digit" samples per digit in an epoch (and half as many "several digits")
# With other sources than MNIST (`digitscan train --data mnist.npz --data cvl.npz ...`). MNIST_PER_EPOCH and
# DOCUMENT_REPEATS were set before any figure was seen, not tuned: the five ORAND folds and CVL valid measured them
# (bench/README.md, "many writers"). Each epoch ~68k samples on the shared sets.
MIXED_EPOCHS = 40  # chosen on the protocol's data: fold 5's classifier (no CVL valid, no fold 5) for 40 against 20
# epochs: CVL valid 97.91 -> 97.96 %, MNIST test 99.39 -> 99.46 %, fold 5 with a fold-5 string reader 80.83 -> 84.17 %
# (75.83 -> 76.67 % alone); the shipped one read the dev pages +8 lines of 1,518 (bench/README.md, twenty-third
# session). 20 against 8 before: CVL valid 96.93 -> 97.60 % (twenty-first session). Each doubling doubles the time.
MNIST_PER_EPOCH = 15_000  # MNIST digits drawn each epoch: about a quarter of the ~56k digits, the rest real writers
DOCUMENT_REPEATS = 3  # labelled documents' digits, marks and pairs seen thrice an epoch: closest to scans, fewest
# The string reader (`--arch stringnet`). Set on ORAND fold 5 and CVL-train-only pools before the shipped run, from
# the first prototype (bench/README.md, "string reader"): 6 epochs of ~45k lines fit the CPU in about half an hour.
# 15 epochs (the twenty-fifth session, worn ink in the lines as now) read fold 5 no better with fold 5's classifier:
# 81.67 / 95.25 % of strings / digits against 83.33 / 95.93 % for the 6-epoch reader, MNIST test lines 75.4 / 75.7 %.
READER_EPOCHS = 6
READER_LINES = 40_000  # synthetic lines composed each epoch
READER_MNIST = 20_000  # MNIST train digits in the pool lines are composed from (the other sources' digits all go in)
READER_DOCUMENT_REPEATS = 8  # each labelled document's line, stretched anew each time: the closest to scans, fewest
READER_STRETCH = (0.85, 1.15)  # how much wider or narrower a real line is drawn each time it is repeated
# Continuing a trained reader (`--start-from`), as the tenth session's page-words trial did, unchanged since: a
# lower rate and fewer synthetic lines an epoch, so that the reader keeps what it knew (bench/README.md, "page words")
READER_CONTINUE_EPOCHS = 2
READER_CONTINUE_LEARNING_RATE = 3e-4
READER_CONTINUE_LINES = 12_000  # synthetic lines composed each epoch
READER_CONTINUE_DOCUMENT_REPEATS = 4
READER_PAGE_WORD_REPEATS = 2  # each page or cell word (`--page-words`, `--cell-words`) an epoch, stretched anew
# The print detector's training pages: the count first tried, not tuned (121,000 glyphs, half print; 4 minutes here)
PRINT_PAGES = 1_500
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
    mnist_per_epoch: int | None = None  # with other sources: MNIST digits drawn each epoch (None: all, no mixing)
    document_repeats: int = DOCUMENT_REPEATS  # with other sources: how often each labelled document sample is seen


RECIPES = {
    # The tutorial, exactly: plain Adam, batch 16, 5 epochs, no augmentation, raw MNIST pixels.
    "lenet": Recipe(
        epochs=5, batch_size=16, learning_rate=1e-3, augment=False, reject_fraction=0.0, cosine=False, normalise=False
    ),
    "stringnet": Recipe(
        epochs=READER_EPOCHS,
        batch_size=64,
        learning_rate=1e-3,
        augment=True,
        reject_fraction=0.0,
        cosine=True,
        normalise=True,
    ),
    # The print detector: glyphs drawn and cut anew for each run, fitted as one set. 8 epochs first (its held-out glyphs
    # still rising: 95.70 %); 16: 96.59 %, and on pages with print numbers in faces it never learnt (Hershey) 0.17-0.26
    # fewer spurious strings a page, 3 of 3,245 lines lost elsewhere (bench/README.md, sixtieth session).
    "printnet": Recipe(
        epochs=16, batch_size=128, learning_rate=1e-3, augment=False, reject_fraction=0.0, cosine=False, normalise=True
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
    start_from: Path | None = None  # with stringnet: a trained reader to continue (READER_CONTINUE_* recipe)
    page_words: int = 0  # with stringnet: training pages whose words, cut by the scanner, the reader learns too
    cell_words: int = 0  # with stringnet: training register cells whose words, cut by the scanner, it learns too
    empty_cells: int = 0  # with stringnet: training register cells left empty, whose words it learns as nothing
    average: tuple[Path, ...] = ()  # with stringnet: readers continued from one, averaged into one instead of training
    typefaces: tuple[Path, ...] = ()  # with printnet: font files, or folders of them, the print it learns is set in
    print_pages: int = PRINT_PAGES  # with printnet: training pages set in them, whose glyphs the scanner cuts out

    @property
    def out_dir(self) -> Path:
        return self.out or Path("runs") / self.arch

    def recipe(self, mixed: bool = False) -> Recipe:
        """The architecture's recipe with this run's overrides; `mixed`: other sources than MNIST are given."""
        base = RECIPES.get(self.arch, RECIPES["digitnet"])
        augment = base.augment if self.augment is None else self.augment
        continuing = self.arch == "stringnet" and self.start_from is not None
        epochs = READER_CONTINUE_EPOCHS if continuing else MIXED_EPOCHS if mixed else base.epochs
        return Recipe(
            epochs=self.epochs or epochs,
            batch_size=self.batch_size or base.batch_size,
            learning_rate=READER_CONTINUE_LEARNING_RATE if continuing else base.learning_rate,
            augment=augment,
            reject_fraction=base.reject_fraction,
            cosine=base.cosine,
            normalise=base.normalise or augment,  # augmented digits always go through to_mnist
            mnist_per_epoch=MNIST_PER_EPOCH if mixed else None,
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
