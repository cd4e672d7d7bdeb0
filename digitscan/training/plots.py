"""Training figures as PNG files (matplotlib's Agg backend: no window, no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from digitscan.model.contract import INPUT_SIZE


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


AUGMENTED_NOTE = (
    "Validation can sit above training: training digits are distorted (augmented), validation digits are not, "
    "and dropout is off when validating."
)


def history_figure(history: dict[str, list[float]]) -> Any:
    """Loss and accuracy per epoch, training against validation, on axes that make sense even for one epoch.

    Every epoch is a marker (one epoch is one dot per series, not an empty line); accuracy runs up to 1 and
    loss down to 0, so one value is not centred on a ±4 % axis of its own. When validation beats training,
    a note says why.
    """
    plt = _pyplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for ax, key, title in ((axes[0], "loss", "Cross-entropy loss"), (axes[1], "accuracy", "Accuracy")):
        values = [*history[key], *history[f"val_{key}"]]
        ax.plot(epochs, history[key], marker="o", label="training")
        ax.plot(epochs, history[f"val_{key}"], marker="o", label="validation")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_xlim(0.5, len(epochs) + 0.5)
        ax.set_xticks(epochs if len(epochs) <= 12 else np.linspace(1, len(epochs), 7).round().astype(int))
        if key == "accuracy":
            low = min(values)
            ax.set_ylim(max(0.0, low - max(0.01, (1 - low) * 0.5)), 1.0 + (1 - low) * 0.05 + 1e-3)
        else:
            ax.set_ylim(0.0, max(values) * 1.1 or 1.0)
        ax.grid(alpha=0.3)
        ax.legend()
    if any(v > t for v, t in zip(history["val_accuracy"], history["accuracy"], strict=True)):
        fig.text(0.5, 0.01, AUGMENTED_NOTE, ha="center", va="bottom", fontsize=8, color="dimgray")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        fig.tight_layout()
    return fig


def plot_history(history: dict[str, list[float]], path: Path) -> None:
    """`curves.png`: the figure of `history_figure`."""
    plt = _pyplot()
    fig = history_figure(history)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(matrix: np.ndarray, classes: list[str], path: Path) -> None:
    """Test confusion matrix: rows are true digits, columns the model's answer."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    ax.set_xticks(range(matrix.shape[1]), classes[: matrix.shape[1]], rotation=45)
    ax.set_yticks(range(matrix.shape[0]), classes[: matrix.shape[0]])
    for (i, j), value in np.ndenumerate(matrix):
        if value:
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color="black" if i != j else "white")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Test confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


MISCLASSIFIED_LABEL = "true → predicted"  # what each digit's title means


def misclassified_figure(images: np.ndarray, true: np.ndarray, predicted: list[str]) -> Any:
    """A grid of the misclassified test digits, each titled true → predicted, as the figure's title says."""
    plt = _pyplot()
    count = min(len(images), 48)
    cols = 8
    rows = max(1, -(-count // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.5 + 0.4), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < count:
            ax.imshow(images[k].reshape(INPUT_SIZE, INPUT_SIZE), cmap="gray")
            ax.set_title(f"{true[k]} → {predicted[k]}", fontsize=8)
    fig.suptitle(f"Misclassified test digits, each {MISCLASSIFIED_LABEL} ({len(images)} in all, first {count} shown)")
    fig.tight_layout()
    return fig


def plot_misclassified(images: np.ndarray, true: np.ndarray, predicted: list[str], path: Path) -> None:
    """`misclassified.png`: the figure of `misclassified_figure`."""
    plt = _pyplot()
    fig = misclassified_figure(images, true, predicted)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_reader_history(history: dict[str, list[float]], path: Path) -> None:
    """The string reader's training: CTC loss per epoch, and the validation lines it read exactly."""
    plt = _pyplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for ax, key, title in ((axes[0], "loss", "CTC loss (training)"), (axes[1], "val_accuracy", "Lines read exactly")):
        ax.plot(epochs, history[key], marker="o")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs)
        ax.set_ylim(0.0, 1.0 if key == "val_accuracy" else max(history[key]) * 1.1 or 1.0)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
