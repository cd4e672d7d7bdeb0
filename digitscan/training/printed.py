"""The print detector's training (`digitscan train --arch printnet --typefaces DIR`): glyphs in type and by hand.

The digit classifier learnt digits of every shape, so a page's printed numbers (a form's number, a page number) read
as handwriting. The print detector learns which glyphs are set in type, from two kinds of glyph, each normalised as
the scanner normalises a digit (`to_mnist`, in either of READ_BOXES):
- glyphs cut by the scanner from generated training pages whose print (labels, a form's number, a page number) is
  set in one of the typefaces given (`page_glyphs`): the single pieces of the handwritten numbers' words, and of
  the printed words';
- glyphs drawn apart (`drawn_glyphs`): the typefaces' digits, letters and signs, and the training writers' digits,
  both blurred, noised and thresholded alike (`_scanned`), so that their shapes alone tell them apart.
Learnt from pages alone, it took 37 % of the glyphs of typefaces it never saw (DejaVu, Pillow's Aileron) for
handwriting; with the glyphs drawn apart, 3 % (bench/README.md, fifty-fifth session).
"""

from __future__ import annotations

import multiprocessing
import os
import string
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from digitscan._keras import accelerator, import_keras
from digitscan.errors import DataError, interrupts_caught
from digitscan.model.architectures import build
from digitscan.model.contract import INPUT_SIZE, PRINT_CLASSES, PRINTED, card_input
from digitscan.model.export import export, exported_path, sha256
from digitscan.model.files import card_path, save_model
from digitscan.scan.load import load_pages
from digitscan.scan.normalise import BOX, READ_BOXES, to_mnist
from digitscan.scan.segment import segment_page
from digitscan.scan.warmup import one_opencv_thread
from digitscan.training.data import Mnist
from digitscan.training.page_words import labelled, overlap
from digitscan.training.pages import KINDS, Digits, Writer, glyph, make_page, random_conditions, save, typeface
from digitscan.training.recipe import TrainOptions
from digitscan.training.sources import Source, known_as
from digitscan.training.train import BestCheckpoint, Reporter, TrainResult

TYPEFACE_SUFFIXES = (".ttf", ".otf")  # font files Pillow sets text in
# Training pages' seeds are [PRINT_SEED, seed, page]: apart from the string readers' training pages (90,000) and
# cells (91,000), and from every bench and test set.
PRINT_SEED = 92_000
# What the typefaces draw: the digits four times over (print adds digits to a page's readings), letters and signs.
GLYPH_CHARS = string.digits * 4 + string.ascii_letters + "$#:%&()/-+=.,*@"
# Glyphs drawn apart from pages, in type and by hand: the experiment's 60,000 typeset, and MNIST's share of the
# hand (the other writers' digits all go in, once each).
TYPESET_GLYPHS = 60_000
WRITTEN_MNIST = 20_000
GLYPH_HEIGHT = (18, 64)  # pixels: a glyph drawn apart is this tall (a page's print and digits at working resolution)
SCAN_BLUR = (0.0, 1.2)  # Gaussian sigma in pixels: a photo out of focus (none under 0.2)
SCAN_NOISE = 0.06  # of the ink's level, at most: a sensor's
SCAN_LEVEL = (0.35, 1.0)  # how dark the ink is
SCAN_THRESHOLD = (0.25, 0.55)  # of the ink's level: where the scanner's threshold falls
SLANT = 0.25  # shear either way: an oblique typeface made by the printer, or a writer's slant
VALIDATION_SHARE = 0.05  # of the glyphs, held out to choose the best epoch


def find_typefaces(paths: Sequence[Path]) -> list[Path]:
    """The font files among `paths`: files, and every TrueType or OpenType file under folders."""
    found: list[Path] = []
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in TYPEFACE_SUFFIXES and p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise DataError(f"{path}: no such font file or folder (--typefaces)")
    if not found:
        raise DataError(f"no TrueType or OpenType files in {', '.join(map(str, paths)) or 'nothing'} (--typefaces)")
    return found


def _scanned(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage (0..1) as a scan gives it to the scanner: blurred, at some level, noisy, thresholded."""
    sigma = rng.uniform(*SCAN_BLUR)
    if sigma > 0.2:
        ink = cv2.GaussianBlur(ink, (0, 0), sigma)
    level = rng.uniform(*SCAN_LEVEL)
    ink = ink * level + rng.normal(0, rng.uniform(0, SCAN_NOISE), ink.shape).astype(np.float32)
    return np.where(ink > level * rng.uniform(*SCAN_THRESHOLD), ink, 0).astype(np.float32)


def _sheared(ink: np.ndarray, shear: float) -> np.ndarray:
    h, w = ink.shape
    return cv2.warpAffine(ink, np.float32([[1, -shear, shear * h / 2], [0, 1, 0]]), (w, h))


def typeset_glyph(rng: np.random.Generator, face: Path) -> np.ndarray:
    """One of GLYPH_CHARS set in `face` (a font file) as coverage, now and then slanted, rotated a little, spread or
    thinned."""
    from PIL import Image, ImageDraw

    size = int(rng.integers(*GLYPH_HEIGHT))
    font = typeface(str(face), size)
    image = Image.new("L", (size * 3, size * 3), 0)
    ImageDraw.Draw(image).text((size, size // 2), GLYPH_CHARS[rng.integers(len(GLYPH_CHARS))], fill=255, font=font)
    ink = np.asarray(image, np.float32) / 255
    if rng.random() < 0.3:
        turn = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), rng.uniform(-4, 4), 1)
        ink = cv2.warpAffine(ink, turn, ink.shape[::-1])
    if rng.random() < 0.3:
        ink = _sheared(ink, rng.uniform(-SLANT, SLANT))
    if rng.random() < 0.3:
        kernel = np.ones((2, 2), np.uint8)
        ink = cv2.dilate(ink, kernel) if rng.random() < 0.5 else cv2.erode(ink, kernel)
    return ink


def written_glyph(rng: np.random.Generator, digits: Digits) -> np.ndarray:
    """A training writer's digit as coverage: half as the page generator's pen writes it (crisp, slanted), half
    enlarged as it is."""
    height = float(rng.integers(*GLYPH_HEIGHT))
    digit = int(rng.integers(10))
    if rng.random() < 0.5:
        pen = glyph(rng, digits, digit, Writer(height, rng.uniform(-SLANT, SLANT), 0.2, 0.0), height)
        return np.pad(pen, 4)
    return enlarged(digits.pick(rng, digit), height)


def enlarged(cell: np.ndarray, height: float) -> np.ndarray:
    """A digit's cell (coverage 0..1, MNIST's framing: the digit 20 of its 28 rows) enlarged so the digit is `height`
    pixels tall."""
    side = round(height * cell.shape[0] / BOX)
    return np.clip(cv2.resize(cell, (side, side), interpolation=cv2.INTER_CUBIC), 0, 1)


def normalised(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A glyph as the print detector sees it: `to_mnist` in either of READ_BOXES, as uint8."""
    return (to_mnist(ink, READ_BOXES[int(rng.integers(len(READ_BOXES)))]) * 255).round().astype(np.uint8)


def drawn_glyphs(
    typefaces: Sequence[Path], digits: Digits, typeset: int, written: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """`typeset` glyphs in the typefaces and `written` digits by hand, drawn apart from pages, both `_scanned`."""
    rng = np.random.default_rng([PRINT_SEED, seed])
    images, labels = [], []
    for label, count in ((PRINTED, typeset), (1 - PRINTED, written)):
        for _ in range(count):
            if label == PRINTED:
                ink = typeset_glyph(rng, typefaces[rng.integers(len(typefaces))])
            else:
                ink = written_glyph(rng, digits)
            images.append(normalised(_scanned(ink, rng), rng))
            labels.append(label)
    return np.stack(images), np.asarray(labels, np.int64)


def page_glyphs(
    writers: Sequence[Digits], typefaces: Sequence[Path], seed: int, index: int
) -> list[tuple[np.ndarray, int]]:
    """The glyphs the scanner cuts out of training page `index`, its print set in a typeface of `typefaces` and
    printed numbers in its margins: each single piece of a handwritten number's word (`labelled`) and of a word in
    a printed word's box (`Page.printed`), with its label; words of neither (rules, patterns) are left out."""
    rng = np.random.default_rng([PRINT_SEED, seed, index])
    conditions = replace(
        random_conditions(rng, "small"),
        turn=0,
        printed_numbers=True,
        typeface=str(typefaces[index % len(typefaces)]),
    )
    page = make_page([PRINT_SEED, seed, index, 1], writers[index % len(writers)], KINDS[index % len(KINDS)], conditions)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("image.jpg" if conditions.jpeg else "image.png")
        save(page, path)
        (decoded,) = load_pages(path)
    words, _ = segment_page(decoded.grey, decoded.sheet, decoded.bands)
    boxes = [tuple(round(v / decoded.scale) for v in w.box) for w in words]
    texts = labelled(boxes, [(n.box, n.digits) for n in page.numbers])  # type: ignore[misc]
    found = []
    for word, box, text in zip(words, boxes, texts, strict=True):
        if text:
            label = 1 - PRINTED
        elif any(overlap(box, printed) > PRINTED_OVERLAP for printed in page.printed):  # type: ignore[arg-type]
            label = PRINTED
        else:
            continue
        inks = [word.candidates[i].ink for i in word.single_pieces()]
        found += [(normalised(ink, rng), label) for ink in inks if ink.size]
    return found


# A word is a printed word's when their boxes overlap this much (intersection over union): a printed label's box
# holds its whole line of print, which the scanner may cut into several words.
PRINTED_OVERLAP = 0.3

_WRITERS: list[Digits] = []
_TYPEFACES: list[Path] = []


def _start(writers: list[Digits], typefaces: list[Path]) -> None:
    global _WRITERS, _TYPEFACES
    _WRITERS, _TYPEFACES = writers, typefaces
    one_opencv_thread()


def _page_glyphs(seed: int, index: int) -> list[tuple[np.ndarray, int]]:
    return page_glyphs(_WRITERS, _TYPEFACES, seed, index)


def make_page_glyphs(
    writers: Sequence[Digits], typefaces: Sequence[Path], pages: int, seed: int, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The glyphs of `pages` training pages (`page_glyphs`), made in worker processes (0.35 s a page on one core)."""
    images, labels = [], []
    if pages:
        context = multiprocessing.get_context("forkserver")
        args = (list(writers), list(typefaces))
        with ProcessPoolExecutor(workers or os.cpu_count() or 1, context, _start, args) as pool:
            for found in pool.map(_page_glyphs, [seed] * pages, range(pages), chunksize=4):
                images += [image for image, _ in found]
                labels += [label for _, label in found]
    none = np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)
    return (np.stack(images) if images else none), np.asarray(labels, np.int64)


def train_printnet(
    data: Mnist, options: TrainOptions, reporter: Reporter | None = None, sources: Sequence[Source] = ()
) -> TrainResult:
    """Train the print detector on glyphs of `options.typefaces` and of the writers (MNIST's train split and
    `sources`' digits), drawn apart and cut from `options.print_pages` training pages; write it, its card and its
    export to `options.out_dir`. Scored on MNIST's test digits by hand, never trained on: the share taken for print."""
    keras = import_keras()
    recipe = options.recipe()
    typefaces = find_typefaces(options.typefaces)
    keras.utils.set_random_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    mnist = rng.permutation(len(data.x_train))[:WRITTEN_MNIST]
    pools = [(data.x_train[mnist], data.y_train[mnist]), *((s.images, s.labels) for s in sources)]
    writers = [Digits(x[y < 10], y[y < 10]) for x, y in pools]
    everyone = Digits(np.concatenate([x[y < 10] for x, y in pools]), np.concatenate([y[y < 10] for _, y in pools]))
    written = sum(int((y < 10).sum()) for _, y in pools)
    drawn = drawn_glyphs(typefaces, everyone, TYPESET_GLYPHS, written, options.seed)
    cut = make_page_glyphs(writers, typefaces, options.print_pages, options.seed)
    x = np.concatenate([drawn[0], cut[0]])[..., None].astype(np.float32) / 255
    y = np.concatenate([drawn[1], cut[1]])
    order = rng.permutation(len(x))
    held = max(1, round(len(x) * VALIDATION_SHARE))
    x_val, y_val, x, y = x[order[:held]], y[order[:held]], x[order[held:]], y[order[held:]]
    model = build("printnet")
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss="sparse_categorical_crossentropy")
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / "printnet.h5"
    best = BestCheckpoint(model_path)
    history: dict[str, list[float]] = {"loss": [], "val_accuracy": []}
    steps = -(-len(x) // recipe.batch_size)
    device = accelerator()
    if reporter is not None:
        reporter.start(recipe.epochs, steps, device)
    started = time.perf_counter()
    with interrupts_caught() as interruption:
        for epoch in range(recipe.epochs):
            shuffle = rng.permutation(len(x))
            total = 0.0
            for batch in range(steps):
                rows = shuffle[batch * recipe.batch_size : (batch + 1) * recipe.batch_size]
                total += float(model.train_on_batch(x[rows], y[rows], return_dict=True)["loss"])
                if reporter is not None:
                    reporter.batch(epoch, batch, {"loss": total / (batch + 1)})
            logs = {"loss": total / steps, "val_accuracy": _accuracy(model, x_val, y_val)}
            history["loss"].append(logs["loss"])
            history["val_accuracy"].append(logs["val_accuracy"])
            saved = best.offer(model, epoch, logs["val_accuracy"])
            if reporter is not None:
                reporter.epoch(epoch, logs, saved)
    if best.epoch == 0:
        return TrainResult(model_path=model_path, card={}, interrupted=True)
    best_model = keras.models.load_model(model_path, compile=False)
    cells = data.x_test.astype(np.float32) / 255
    test = np.stack([normalised(_scanned(enlarged(c, rng.integers(*GLYPH_HEIGHT)), rng), rng) for c in cells])
    test_printed = float((_print_probabilities(best_model, test[..., None].astype(np.float32) / 255) > 0.5).mean())
    card = {
        "architecture": "printnet",
        "role": "print detector: a glyph typeset or handwritten",
        "classes": PRINT_CLASSES,
        "input": card_input("print"),
        "parameters": int(best_model.count_params()),
        "sources": [
            {
                "name": Path(data.source).name,
                "kind": "digits",
                **known_as(data.sha256),
                "sha256": data.sha256,
                "digits": len(mnist),
            },
            *(s.describe() for s in sources),
            {"kind": "typefaces", "files": [{"name": t.name, "sha256": sha256(t)} for t in typefaces]},
            {"kind": "generated pages", "pages": options.print_pages, "seed": options.seed, "glyphs": len(cut[1])},
        ],
        "recipe": {
            "epochs": recipe.epochs,
            "batch_size": recipe.batch_size,
            "learning_rate": recipe.learning_rate,
            "typeset_glyphs": TYPESET_GLYPHS,
            "written_glyphs": written,
            "seed": options.seed,
        },
        "validation": f"{held} held-out glyphs, drawn and cut",
        "validation_accuracy": best.accuracy,
        "best_epoch": best.epoch,
        "epochs_run": len(history["loss"]),
        "test_inputs": f"{len(test)} MNIST test digits, written (never trained on)",
        "test_taken_for_print": test_printed,
        "history": history,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "device": device,
    }
    save_model(best_model, model_path, card)
    card["export"] = export(best_model, model_path, test.astype(np.float32) / 255, "MNIST test digits")
    files = [model_path, exported_path(model_path), card_path(model_path)]
    return TrainResult(model_path, card, files, interruption.happened)


def _print_probabilities(model: Any, images: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [np.asarray(model.predict_on_batch(images[i : i + 1024]))[:, PRINTED] for i in range(0, len(images), 1024)]
    )


def _accuracy(model: Any, images: np.ndarray, labels: np.ndarray) -> float:
    return float(((_print_probabilities(model, images) > 0.5) == (labels == PRINTED)).mean())
