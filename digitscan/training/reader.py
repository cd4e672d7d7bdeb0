"""Training the string reader (`stringnet`): CTC on synthetic lines of every writer's digits and on real documents.

Each epoch composes fresh synthetic lines (`strings.synthetic_line`) from the
digits of MNIST's train split and the other digit sources, and adds every
labelled document's line `READER_DOCUMENT_REPEATS` times, lightly stretched,
and the words of generated training pages and register cells where asked
(`page_words`). A trained reader can be taken further (`--start-from`: the
READER_CONTINUE_* recipe). A tenth of the documents' files (or, without
documents, synthetic lines of MNIST's held-out digits) choose the best epoch;
synthetic lines of MNIST's test digits are scored once at the end, and the
export is checked on them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from digitscan._keras import accelerator, import_keras
from digitscan.errors import DataError, ModelError, interrupts_caught
from digitscan.model.architectures import build
from digitscan.model.contract import READER_CLASSES, card_input
from digitscan.model.export import export, exported_path, sha256
from digitscan.model.files import LoadedModel, card_path, load_model, save_model
from digitscan.scan.evaluate import read_truth
from digitscan.scan.normalise import LINE_STRIDE, MAX_LINE_WIDTH, to_line, to_line_batch
from digitscan.scan.read import decode, softmax
from digitscan.scan.segment import page_ink, segment_page
from digitscan.training.data import Mnist
from digitscan.training.feed import EpochFeed
from digitscan.training.finetune import held_out_files, labelled_pages
from digitscan.training.page_words import make_cell_words, make_page_words
from digitscan.training.pages import Digits
from digitscan.training.plots import plot_reader_history
from digitscan.training.recipe import (
    READER_CONTINUE_DOCUMENT_REPEATS,
    READER_CONTINUE_LINES,
    READER_DOCUMENT_REPEATS,
    READER_LINES,
    READER_MNIST,
    READER_PAGE_WORD_REPEATS,
    READER_STRETCH,
    TrainOptions,
)
from digitscan.training.sources import Source, documents_sha256, known_as
from digitscan.training.strings import Lines, synthetic_line, synthetic_lines
from digitscan.training.train import BestCheckpoint, Reporter, TrainResult

MAX_DIGITS = 16  # label slots per line: longer readings are cut (no training line is this long)
SCORE_LINES = 2000  # synthetic lines of held-out or test digits, when they score a model


@dataclass(frozen=True)
class Documents:
    """A labelled documents folder as reader lines: each file's line, cut as the scanner cuts it, and its digits."""

    path: Path
    sha256: str
    lines: Lines
    files: list[str]

    def describe(self) -> dict[str, object]:
        return {
            "name": self.path.name,
            "kind": "documents",
            **known_as(self.sha256),
            "sha256": self.sha256,
            "lines": len(self.files),
        }


def document_line(grey: np.ndarray) -> np.ndarray:
    """The line a labelled document's image gives the reader: as the scanner gives it a crop that holds one word,
    and all of the image's pen strokes where the segmenter finds several words or none."""
    words, _ = segment_page(grey)
    if len(words) == 1 and words[0].ink.size:
        return to_line(words[0].ink)
    ink, strokes = page_ink(grey)
    return to_line(ink if strokes is None else ink * strokes)


def load_documents(path: Path) -> Documents:
    """A folder in the ORAND layout (its labels.csv), or a labels CSV inside one: each image's line and digits."""
    path = Path(path).expanduser()
    folder, labels_file = (path, path / "labels.csv") if path.is_dir() else (path.parent, path)
    images, texts, files = [], [], []
    for name, digits, _, page in labelled_pages(folder, read_truth(labels_file)):
        images.append(document_line(page.grey))
        texts.append(digits)
        files.append(name)
    if not images:
        raise DataError(f"{path}: no labelled images could be read")
    return Documents(path, documents_sha256(folder, labels_file), Lines(images, texts), files)


def stretched(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A real line a little wider or narrower (`READER_STRETCH`): a few hundred lines go further."""
    width = round(line.shape[1] * rng.uniform(*READER_STRETCH) / LINE_STRIDE) * LINE_STRIDE
    width = int(np.clip(width, 2 * LINE_STRIDE, MAX_LINE_WIDTH))
    return cv2.resize(line, (width, line.shape[0]), interpolation=cv2.INTER_LINEAR)


def encode(texts: Sequence[str]) -> np.ndarray:
    """CTC targets: each digit as its reader class (blank is 0), padded with blanks."""
    y = np.zeros((len(texts), MAX_DIGITS), np.int32)
    for i, text in enumerate(texts):
        for j, char in enumerate(text[:MAX_DIGITS]):
            y[i, j] = READER_CLASSES.index(char)
    return y


def reader_epoch(
    digits: np.ndarray,
    labels: np.ndarray,
    real: Lines,
    lines: int,
    repeats: int,
    words: Lines,
    seed: int,
    epoch: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Epoch `epoch`: `lines` synthetic lines, the real ones `repeats` times and the page words
    READER_PAGE_WORD_REPEATS times, shuffled; (N, 32, MAX_LINE_WIDTH, 1) and targets. A pure function of its
    arguments (epochs can be made ahead, in other processes)."""
    rng = np.random.default_rng(seed * 1000 + epoch)
    images, texts = [], []
    for _ in range(lines):
        ink, text = synthetic_line(rng, digits, labels)
        images.append(to_line(ink))
        texts.append(text)
    for source, times in ((real, repeats), (words, READER_PAGE_WORD_REPEATS)):
        for _ in range(times):
            images += [stretched(line, rng) for line in source.images]
            texts += source.texts
    order = rng.permutation(len(images))
    return to_line_batch([images[i] for i in order], MAX_LINE_WIDTH), encode([texts[i] for i in order])


def string_accuracy(model: Any, lines: Lines) -> float:
    """The share of lines the model reads exactly (greedy decoding, as the scanner reads)."""
    right = 0
    for start in range(0, len(lines.images), 256):
        batch = to_line_batch(lines.images[start : start + 256], MAX_LINE_WIDTH)
        scores = softmax(np.asarray(model.predict_on_batch(batch), np.float32))
        right += sum(decode(s).text == t for s, t in zip(scores, lines.texts[start : start + 256], strict=True))
    return right / max(1, len(lines.images))


def train_reader(
    data: Mnist,
    options: TrainOptions,
    reporter: Reporter | None = None,
    sources: Sequence[Source] = (),
    documents: Sequence[Documents] = (),
    lines: int | None = None,
) -> TrainResult:
    """Train the string reader and write it, its card, its export and its loss curve to `options.out_dir`;
    `lines`: synthetic lines an epoch (None: the recipe's). `options.start_from` continues a trained reader;
    `options.page_words` and `options.cell_words` add that many training pages' and register cells' words
    (`page_words`), written by the same writers, `options.empty_cells` the words of cells left empty."""
    keras = import_keras()
    recipe = options.recipe()
    base = load_model(options.start_from, role="reader") if options.start_from else None
    lines = lines or (READER_CONTINUE_LINES if base else READER_LINES)
    repeats = READER_CONTINUE_DOCUMENT_REPEATS if base else READER_DOCUMENT_REPEATS
    keras.utils.set_random_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    held = held_out_files([f for d in documents for f in d.files], rng) if documents else set()
    real, validation = Lines([], []), Lines([], [])
    for doc in documents:
        for image, text, name in zip(doc.lines.images, doc.lines.texts, doc.files, strict=True):
            target = validation if name in held else real
            target.images.append(image)
            target.texts.append(text)
    pick = rng.permutation(len(data.x_train))
    val_digits, mnist = pick[: options.validation_size], pick[options.validation_size :][:READER_MNIST]
    if not documents:
        validation = synthetic_lines(SCORE_LINES, data.x_train[val_digits], data.y_train[val_digits], options.seed)
    pool = [data.x_train[mnist], *(s.images[s.labels < 10] for s in sources)]
    pool_labels = [data.y_train[mnist], *(s.labels[s.labels < 10] for s in sources)]
    digits, labels = np.concatenate(pool), np.concatenate(pool_labels).astype(np.int64)
    made = []  # page words, cell words
    if options.page_words or options.cell_words or options.empty_cells:
        writers = [Digits(x, y) for x, y in zip(pool, pool_labels, strict=True)]
        if options.page_words:
            made.append(make_page_words(writers, options.page_words, options.seed))
        if options.cell_words or options.empty_cells:
            made.append(make_cell_words(writers, options.cell_words, options.seed, empty=options.empty_cells))
    word_lines = Lines([i for w in made for i in w.lines.images], [t for w in made for t in w.lines.texts])
    per_epoch = lines + repeats * len(real.images) + READER_PAGE_WORD_REPEATS * len(word_lines.images)
    steps = -(-per_epoch // recipe.batch_size)
    model = base.model if base else build(options.arch)
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps * recipe.epochs, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.CTC())
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / f"{options.arch}.h5"
    best = BestCheckpoint(model_path)
    history: dict[str, list[float]] = {"loss": [], "val_accuracy": []}
    device = accelerator()
    if reporter is not None:
        reporter.start(recipe.epochs, steps, device)
    started = time.perf_counter()
    feed = EpochFeed(
        digits,
        labels,
        recipe,
        options.seed,
        make=reader_epoch,
        args=(digits, labels, real, lines, repeats, word_lines, options.seed),
    )
    with interrupts_caught() as interruption:
        try:
            for epoch in range(recipe.epochs):
                x, y = feed.get(epoch)
                total = 0.0
                for batch, start in enumerate(range(0, len(x), recipe.batch_size)):
                    logs = model.train_on_batch(
                        x[start : start + recipe.batch_size], y[start : start + recipe.batch_size], return_dict=True
                    )
                    total += float(logs["loss"])
                    if reporter is not None:
                        reporter.batch(epoch, batch, {"loss": total / (batch + 1)})
                epoch_logs = {"loss": total / max(1, batch + 1), "val_accuracy": string_accuracy(model, validation)}
                history["loss"].append(epoch_logs["loss"])
                history["val_accuracy"].append(epoch_logs["val_accuracy"])
                saved = best.offer(model, epoch, epoch_logs["val_accuracy"])
                if reporter is not None:
                    reporter.epoch(epoch, epoch_logs, saved)
        finally:
            feed.close()
    wall = time.perf_counter() - started
    if best.epoch == 0:
        return TrainResult(model_path=model_path, card={}, interrupted=True)
    best_model = keras.models.load_model(model_path, compile=False)
    test = synthetic_lines(SCORE_LINES, data.x_test, data.y_test, options.seed + 1)
    card = {
        **_card_head(options.arch, best_model),
        "sources": [
            {
                "name": Path(data.source).name,
                "kind": "digits",
                **known_as(data.sha256),
                "sha256": data.sha256,
                "digits": len(mnist),
            },
            *(s.describe() for s in sources),
            *(d.describe() for d in documents),
            *(w.describe() for w in made),
        ],
        "recipe": {
            "epochs": recipe.epochs,
            "batch_size": recipe.batch_size,
            "learning_rate": recipe.learning_rate,
            "synthetic_lines_per_epoch": lines,
            "document_repeats": repeats,
            "page_word_repeats": READER_PAGE_WORD_REPEATS if made else 0,
            "seed": options.seed,
        },
        **({"continued_from": _continued_from(base)} if base else {}),
        "validation": f"{len(validation.images)} "
        + ("held-out document lines" if documents else "synthetic lines of held-out MNIST train digits"),
        "validation_string_accuracy": best.accuracy,
        "best_epoch": best.epoch,
        "epochs_run": len(history["loss"]),
        "test_inputs": f"{len(test.images)} synthetic lines of MNIST test digits",
        "test_string_accuracy": string_accuracy(best_model, test),
        "history": history,
        "wall_time_s": round(wall, 1),
        "device": device,
    }
    save_model(best_model, model_path, card)
    plot = out / "history.png"
    plot_reader_history(history, plot)
    card["export"] = _export_on(test, best_model, model_path)
    files = [model_path, exported_path(model_path), card_path(model_path), plot]
    return TrainResult(model_path, card, files, interruption.happened)


def average_readers(data: Mnist, options: TrainOptions) -> TrainResult:
    """One reader whose weights are the mean of `options.average`'s, written with its card and export like a
    trained one. Readers continued from one reader on different words lie close enough in weight space that their
    mean reads better than either, at one reader's cost (a "model soup"; the forty-seventh session's page reader:
    its third and fourth steps averaged read dev pages +14 -11 lines, eighteen kept page sets +125 -79, where the
    fourth alone read the dev pages and four of those -4). Readers of different shapes are refused."""
    readers = [load_model(path, role="reader") for path in options.average]
    each = [reader.model.get_weights() for reader in readers]
    shapes = [[w.shape for w in weights] for weights in each]
    if any(shape != shapes[0] for shape in shapes[1:]):
        raise ModelError("--average: the readers are built differently; only readers continued from one average")
    model = readers[0].model
    model.set_weights([np.mean(weights, axis=0) for weights in zip(*each, strict=True)])
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / f"{options.arch}.h5"
    test = synthetic_lines(SCORE_LINES, data.x_test, data.y_test, options.seed + 1)
    sources = [s for r in readers for s in r.card.get("sources", [])]
    card = {
        **_card_head(options.arch, model),
        "sources": [s for n, s in enumerate(sources) if s not in sources[:n]],
        "averaged_from": [_continued_from(reader) for reader in readers],
        "test_inputs": f"{len(test.images)} synthetic lines of MNIST test digits",
        "test_string_accuracy": string_accuracy(model, test),
    }
    save_model(model, model_path, card)
    card["export"] = _export_on(test, model, model_path)
    return TrainResult(model_path, card, [model_path, exported_path(model_path), card_path(model_path)])


def _export_on(test: Lines, model: Any, model_path: Path) -> dict[str, Any]:
    """The reader's export beside `model_path`, its parity checked on the test lines (its card's `export`)."""
    width = max(line.shape[1] for line in test.images)
    return export(model, model_path, to_line_batch(test.images, width)[..., 0], "synthetic lines")


def _card_head(arch: str, model: Any) -> dict[str, Any]:
    """What a reader's card opens with, trained or averaged: what it is, its classes and input, its size."""
    return {
        "architecture": arch,
        "role": "string reader: whole words, CTC",
        "classes": READER_CLASSES,
        "input": card_input("reader"),
        "parameters": int(model.count_params()),
    }


def _continued_from(base: LoadedModel) -> dict[str, Any]:
    """What a continued or averaged reader came from: its file and what that one learnt (its card's sources and
    recipe), and where that one came from in turn (continued from a reader, or itself readers averaged), so a
    card holds the whole lineage."""
    card = base.card
    return {
        "file": base.path.name,
        "sha256": sha256(base.path),
        "sources": card.get("sources", []),
        "recipe": card.get("recipe", {}),
        **{key: card[key] for key in ("continued_from", "averaged_from") if key in card},
    }
