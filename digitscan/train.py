"""Training: fit a named architecture on MNIST and write the model, card and plots.

Each epoch's augmented data is made ahead while earlier epochs train (the input
pipeline's prefetch): in a background thread on a small machine, in worker
processes where there are cores to spare (a GPU machine). The best model by
validation accuracy is written to disk as soon as it appears, so an interrupted
run keeps it. The validation part comes from the train split; the test split is
scored once, at the end, and never used to choose anything. Validation and test
digits go through `to_mnist`, as scanned digits do.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import platform
import shutil
import signal
import sys
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from digitscan import __version__
from digitscan._keras import accelerator, import_keras
from digitscan.augment import REJECT_FRACTION, extra_samples, training_epoch
from digitscan.data import Mnist
from digitscan.errors import is_interrupt
from digitscan.modelio import bundled_model_path, card_path, save_model
from digitscan.models import build, class_names
from digitscan.normalise import to_mnist_batch


@dataclass
class Recipe:
    """How to train; each architecture has its own defaults (see RECIPES)."""

    epochs: int
    batch_size: int
    learning_rate: float
    augment: bool
    reject_fraction: float
    cosine: bool
    normalise: bool  # digits through to_mnist, as scanning prepares them (the tutorial used raw pixels)


# fmt: off
RECIPES = {
    # The tutorial, exactly: plain Adam, batch 16, 5 epochs, no augmentation, raw MNIST pixels.
    "lenet": Recipe(epochs=5, batch_size=16, learning_rate=1e-3, augment=False, reject_fraction=0.0, cosine=False,
                    normalise=False),
    "digitnet": Recipe(epochs=24, batch_size=128, learning_rate=3e-3, augment=True, reject_fraction=REJECT_FRACTION,
                       cosine=True, normalise=True),
}
# fmt: on


@dataclass
class TrainConfig:
    arch: str = "digitnet"
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 1
    out: Path = Path("runs/digitnet")
    validation_size: int = 5000
    augment: bool | None = None

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


class Reporter(Protocol):
    """What training tells its caller; the CLI renders it with rich."""

    def start(self, epochs: int, batches_per_epoch: int, device: str) -> None: ...
    def batch(self, epoch: int, batch: int, logs: dict[str, float]) -> None: ...
    def epoch(self, epoch: int, logs: dict[str, float], saved: bool) -> None: ...


@dataclass
class TrainResult:
    model_path: Path
    card: dict[str, Any]
    outputs: list[Path] = field(default_factory=list)
    interrupted: bool = False


def split_validation(data: Mnist, size: int, seed: int) -> tuple[np.ndarray, ...]:
    """Hold out `size` training digits for model selection (never the test split)."""
    order = np.random.default_rng(seed).permutation(len(data.x_train))
    size = min(size, len(order) // 5)
    val, train = order[:size], order[size:]
    return data.x_train[train], data.y_train[train], data.x_train[val], data.y_train[val]


def mnist_inputs(x: np.ndarray, normalise: bool) -> np.ndarray:
    """Network inputs for MNIST digits: through `to_mnist` as scanning prepares its crops, or raw pixels / 255."""
    if normalise:
        return to_mnist_batch(list(x))[..., None]
    return (x.astype(np.float32) / 255.0)[..., None]


def _make_epoch(x: np.ndarray, y: np.ndarray, recipe: Recipe, seed: int, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's inputs and labels (the same every epoch without augmentation)."""
    if not recipe.augment:
        return mnist_inputs(x, recipe.normalise), y.astype(np.int64)
    return training_epoch(x, y, seed, epoch, recipe.reject_fraction)


_WORKER_ARGS: tuple[Any, ...] = ()


def _start_worker(*args: Any) -> None:
    global _WORKER_ARGS
    _WORKER_ARGS = args
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's to handle


def _worker_epoch(epoch: int) -> tuple[np.ndarray, np.ndarray]:
    return _make_epoch(*_WORKER_ARGS, epoch)


class EpochFeed:
    """Makes epochs ahead of training: one thread on a small machine, worker processes where cores are spare.

    On a 2-core CPU the network needs both cores and one epoch ahead is enough;
    on a GPU machine the augmentation is the slow part, so several processes
    make several epochs at once.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, recipe: Recipe, seed: int, workers: int | None = None) -> None:
        if workers is None:
            workers = max(0, min(8, (os.cpu_count() or 1) - 2)) if recipe.augment else 0
        self.pool: Executor
        if workers:
            context = multiprocessing.get_context("forkserver")
            self.pool = ProcessPoolExecutor(workers, context, _start_worker, (x, y, recipe, seed))
            self.make: Any = _worker_epoch
        else:
            self.pool = ThreadPoolExecutor(1)
            self.make = lambda epoch: _make_epoch(x, y, recipe, seed, epoch)
        self.ahead = max(1, workers)
        self.epochs = recipe.epochs if recipe.augment else 1
        self.pending: dict[int, Future] = {}

    def get(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """Epoch `epoch`'s data (waiting for it if need be), with the next ones started."""
        epoch = min(epoch, self.epochs - 1)
        for ahead in range(epoch, min(self.epochs, epoch + 1 + self.ahead)):
            if ahead not in self.pending:
                self.pending[ahead] = self.pool.submit(self.make, ahead)
        data = self.pending[epoch].result()
        if self.epochs > 1:
            del self.pending[epoch]
        return data

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _evaluate(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
    """Loss and accuracy on held-out data, batch by batch."""
    probs = np.concatenate(
        [np.asarray(model.predict_on_batch(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    )
    picked = probs[np.arange(len(y)), y].clip(1e-7, 1.0)
    return {"val_loss": float(-np.log(picked).mean()), "val_accuracy": float((probs.argmax(axis=1) == y).mean())}


def _fit_epoch(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    epoch: int,
    reporter: Reporter | None,
    rng: np.random.Generator,
) -> dict[str, float]:
    """One pass over the data with train_on_batch: backend-neutral, and no iterator to tear down."""
    order = rng.permutation(len(x))
    total_loss = total_correct = seen = 0.0
    for batch, start in enumerate(range(0, len(x), batch_size)):
        index = order[start : start + batch_size]
        logs = model.train_on_batch(x[index], y[index], return_dict=True)
        n = len(index)
        total_loss += float(logs["loss"]) * n
        total_correct += float(logs["accuracy"]) * n
        seen += n
        if reporter is not None:
            reporter.batch(epoch, batch, {"loss": total_loss / seen, "accuracy": total_correct / seen})
    return {"loss": total_loss / seen, "accuracy": total_correct / seen}


@dataclass
class BestCheckpoint:
    """Keeps the model with the best validation accuracy on disk as soon as it appears (so Ctrl-C loses nothing)."""

    path: Path
    accuracy: float = -1.0
    epoch: int = 0

    def offer(self, model: Any, epoch: int, accuracy: float) -> bool:
        if accuracy <= self.accuracy:
            return False
        self.accuracy, self.epoch = accuracy, epoch + 1
        save_model(_float32(model), self.path)
        return True


def _float32(model: Any) -> Any:
    """The model itself, or under mixed precision a float32 copy: a saved model must run on any CPU."""
    keras = import_keras()
    policy = keras.mixed_precision.global_policy()
    if policy.name == "float32":
        return model
    keras.mixed_precision.set_global_policy("float32")
    try:
        copy = build(model.name)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    copy.set_weights(model.get_weights())
    return copy


def train_epoch(
    model: Any, data: tuple[np.ndarray, np.ndarray], validation: tuple[np.ndarray, np.ndarray], batch_size: int,
    epoch: int, rng: np.random.Generator, best: BestCheckpoint, reporter: Reporter | None,
) -> dict[str, float]:  # fmt: skip
    """Fit one epoch, validate, keep the best checkpoint, tell the reporter; returns the epoch's logs."""
    logs = _fit_epoch(model, *data, batch_size, epoch, reporter, rng)
    logs.update(_evaluate(model, *validation))
    saved = best.offer(model, epoch, logs["val_accuracy"])
    if reporter is not None:
        reporter.epoch(epoch, logs, saved)
    return logs


def train(data: Mnist, config: TrainConfig, reporter: Reporter | None = None) -> TrainResult:
    """Train, evaluate on the test split once, and write every output to `config.out`."""
    keras = import_keras()
    recipe = config.recipe()
    keras.utils.set_random_seed(config.seed)
    device = accelerator()
    on_gpu = device.startswith("GPU")
    if on_gpu:
        keras.mixed_precision.set_global_policy("mixed_float16")
    model = build(config.arch)
    x_train, y_train, x_val, y_val = split_validation(data, config.validation_size, config.seed)
    extra = sum(extra_samples(len(x_train), recipe.reject_fraction)) if recipe.augment else 0
    steps = -(-(len(x_train) + extra) // recipe.batch_size)  # digits, non-digits, several digits
    lr: Any = recipe.learning_rate
    if recipe.cosine:
        lr = keras.optimizers.schedules.CosineDecay(
            recipe.learning_rate * 0.1,
            steps * recipe.epochs,
            warmup_target=recipe.learning_rate,
            warmup_steps=steps // 2,
        )
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=on_gpu,
    )
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / f"{config.arch}.h5"
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    best, interrupted = BestCheckpoint(model_path), False
    validation = (mnist_inputs(x_val, recipe.normalise), y_val.astype(np.int64))
    shuffle = np.random.default_rng(config.seed)
    started = time.perf_counter()
    if reporter is not None:
        reporter.start(recipe.epochs, steps, device)
    feed = EpochFeed(x_train, y_train, recipe, config.seed)
    try:
        for epoch in range(recipe.epochs):
            logs = train_epoch(model, feed.get(epoch), validation, recipe.batch_size, epoch, shuffle, best, reporter)
            for key in history:
                history[key].append(logs[key])
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        interrupted = True
    finally:
        feed.close()
    wall = time.perf_counter() - started
    if best.epoch == 0:
        return TrainResult(model_path=model_path, card={}, interrupted=True)
    best_model = keras.models.load_model(model_path, compile=False)
    card, outputs = _evaluate_and_write(best_model, data, config, recipe, history, best, wall, device, out, len(x_val))
    save_model(best_model, model_path, card)
    return TrainResult(model_path, card, [model_path, card_path(model_path), *outputs], interrupted)


def _evaluate_and_write(
    model: Any,
    data: Mnist,
    config: TrainConfig,
    recipe: Recipe,
    history: dict[str, list[float]],
    best: BestCheckpoint,
    wall: float,
    device: str,
    out: Path,
    validation_images: int,
) -> tuple[dict[str, Any], list[Path]]:
    """Score the test split once; write the card's figures, the history and the plots."""
    from digitscan import plots

    probs = model.predict(mnist_inputs(data.x_test, recipe.normalise), batch_size=1024, verbose=0)
    raw_pixels = probs if not recipe.normalise else model.predict(mnist_inputs(data.x_test, False), 1024, 0)
    predicted = probs.argmax(axis=1)
    classes = class_names(probs.shape[1])
    correct = predicted == data.y_test
    matrix = np.zeros((10, probs.shape[1]), np.int64)
    np.add.at(matrix, (data.y_test.astype(int), predicted), 1)
    per_class = {str(d): float(correct[data.y_test == d].mean()) for d in range(10) if (data.y_test == d).any()}
    history_csv = out / "history.csv"
    with history_csv.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *history])
        for i in range(len(history["loss"])):
            writer.writerow([i + 1, *(f"{history[k][i]:.6f}" for k in history)])
    curves, confusion, wrong = out / "curves.png", out / "confusion.png", out / "misclassified.png"
    plots.plot_history(history, curves)
    plots.plot_confusion(matrix, classes, confusion)
    miss = np.flatnonzero(~correct)
    plots.plot_misclassified(data.x_test[miss], data.y_test[miss], [classes[p] for p in predicted[miss]], wrong)
    card = {
        "format": "digitscan-model-card/1",
        "architecture": config.arch,
        "parameters": int(model.count_params()),
        "input": {
            "shape": [None, 28, 28, 1],
            "dtype": "float32",
            "range": [0.0, 1.0],
            "polarity": "white digit on black, MNIST normalisation (digitscan.normalise.to_mnist)",
        },
        "output": {"shape": [None, len(classes)], "meaning": "softmax probabilities, one per class"},
        "classes": classes,
        "training_data": {
            "source": data.source,
            "sha256": data.sha256,
            "train_images": len(data.x_train) - validation_images,
            "validation_images": validation_images,
            "test_images": len(data.x_test),
        },
        "recipe": asdict(recipe),
        "epochs_run": len(history["loss"]),
        "best_epoch": best.epoch,
        "seed": config.seed,
        "validation_accuracy": round(best.accuracy, 5),
        "test_accuracy": round(float(correct.mean()), 5),
        "test_inputs": "to_mnist" if recipe.normalise else "raw pixels / 255",
        "test_accuracy_raw_pixels": round(float((raw_pixels.argmax(axis=1) == data.y_test).mean()), 5),
        "per_class_test_accuracy": {k: round(v, 5) for k, v in per_class.items()},
        "wall_time_s": round(wall, 1),
        "device": device,
        "versions": _versions(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return card, [history_csv, curves, confusion, wrong]


def _versions() -> dict[str, str]:
    import cv2

    keras = import_keras()
    versions = {
        "digitscan": __version__,
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }
    for name in ("tensorflow", "jax"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    return versions


def install(result: TrainResult) -> Path:
    """Copy a trained model, its card, history and plots over the bundled model's."""
    target = bundled_model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    pairs = [(result.model_path, target), (card_path(result.model_path), card_path(target))]
    pairs += [(p, target.parent / p.name) for p in result.outputs if p.suffix in (".png", ".csv")]
    for source, dest in pairs:
        tmp = dest.with_name(f".{dest.name}.tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(dest)
    return target
