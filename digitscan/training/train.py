"""Training: fit a named architecture on MNIST and write the model, card and plots.

Each epoch's augmented data is made ahead while earlier epochs train
(`feed.EpochFeed`). The best model by validation accuracy is written to disk as
soon as it appears, so an interrupted run keeps it. The validation part comes
from the train split; the test split is scored once, at the end, and never used
to choose anything (`card.score_and_write`). Validation and test digits go
through `to_mnist`, as scanned digits do.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from digitscan._keras import accelerator, import_keras
from digitscan.errors import DataError, interrupts_caught
from digitscan.model.architectures import build
from digitscan.model.export import export, exported_path
from digitscan.model.files import card_path, save_model
from digitscan.training.augment import extra_samples
from digitscan.training.card import score_and_write
from digitscan.training.data import Mnist
from digitscan.training.feed import EpochFeed, mnist_inputs
from digitscan.training.recipe import TrainOptions
from digitscan.training.sources import Mixture, Source


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


def evaluate(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
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
    model: Any,
    data: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    batch_size: int,
    epoch: int,
    rng: np.random.Generator,
    best: BestCheckpoint,
    reporter: Reporter | None,
) -> dict[str, float]:
    """Fit one epoch, validate, keep the best checkpoint, tell the reporter; returns the epoch's logs."""
    logs = _fit_epoch(model, *data, batch_size, epoch, reporter, rng)
    logs.update(evaluate(model, *validation))
    saved = best.offer(model, epoch, logs["val_accuracy"])
    if reporter is not None:
        reporter.epoch(epoch, logs, saved)
    return logs


def train(
    data: Mnist, options: TrainOptions, reporter: Reporter | None = None, sources: Sequence[Source] = ()
) -> TrainResult:
    """Train, evaluate on the test split once, and write every output to `options.out_dir`.

    `sources` (other writers' digits, labelled documents) are mixed into
    every epoch with MNIST's train split (`Mixture`); MNIST's held-out
    digits still choose the best epoch and its test split is still scored.

    On a GPU the model trains in mixed precision; the process's precision
    policy is restored when training ends, however it ends.
    """
    keras = import_keras()
    policy = keras.mixed_precision.global_policy()
    try:
        return _train(keras, data, options, reporter, sources)
    finally:
        keras.mixed_precision.set_global_policy(policy)


def _train(
    keras: Any, data: Mnist, options: TrainOptions, reporter: Reporter | None, sources: Sequence[Source]
) -> TrainResult:
    recipe = options.recipe(mixed=bool(sources))
    if sources and not recipe.augment:
        raise DataError("other sources than MNIST need an augmenting recipe (digitnet, without --no-augment)")
    keras.utils.set_random_seed(options.seed)
    device = accelerator()
    on_gpu = device.startswith("GPU")
    if on_gpu:
        keras.mixed_precision.set_global_policy("mixed_float16")
    model = build(options.arch)
    x_train, y_train, x_val, y_val = split_validation(data, options.validation_size, options.seed)
    mixture = Mixture.of(sources, recipe.mnist_per_epoch, recipe.document_repeats) if sources else None
    digits, real_others = mixture.epoch_size(len(x_train)) if mixture else (len(x_train), 0)
    extra = sum(extra_samples(digits, recipe.reject_fraction)) if recipe.augment else 0
    steps = -(-(digits + extra + real_others) // recipe.batch_size)  # digits, non-digits, several digits
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
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / f"{options.arch}.h5"
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    best = BestCheckpoint(model_path)
    validation = (mnist_inputs(x_val, recipe.normalise), y_val.astype(np.int64))
    shuffle = np.random.default_rng(options.seed)
    started = time.perf_counter()
    if reporter is not None:
        reporter.start(recipe.epochs, steps, device)
    feed = EpochFeed(x_train, y_train, recipe, options.seed, mixture)
    with interrupts_caught() as interruption:
        try:
            for epoch in range(recipe.epochs):
                data_epoch = feed.get(epoch)
                logs = train_epoch(model, data_epoch, validation, recipe.batch_size, epoch, shuffle, best, reporter)
                for key in history:
                    history[key].append(logs[key])
        finally:
            feed.close()
    wall = time.perf_counter() - started
    if best.epoch == 0:
        return TrainResult(model_path=model_path, card={}, interrupted=True)
    best_model = keras.models.load_model(model_path, compile=False)
    card, outputs = score_and_write(
        best_model, data, options, recipe, history, best, wall, device, out, len(x_val), sources
    )
    save_model(best_model, model_path, card)
    what = "MNIST test digits" + (" through to_mnist" if recipe.normalise else ", raw pixels / 255")
    card["export"] = export(best_model, model_path, mnist_inputs(data.x_test, recipe.normalise), what)
    files = [model_path, exported_path(model_path), card_path(model_path), *outputs]
    return TrainResult(model_path, card, files, interruption.happened)
