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


def plot_history(history: dict[str, list[float]], path: Path) -> None:
    """Loss and accuracy per epoch, training against validation."""
    plt = _pyplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in ((axes[0], "loss", "Cross-entropy loss"), (axes[1], "accuracy", "Accuracy")):
        ax.plot(epochs, history[key], marker="o", label="training")
        ax.plot(epochs, history[f"val_{key}"], marker="o", label="validation")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
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


def plot_misclassified(images: np.ndarray, true: np.ndarray, predicted: list[str], path: Path) -> None:
    """A grid of the misclassified test digits, each titled true -> predicted."""
    plt = _pyplot()
    count = min(len(images), 48)
    cols = 8
    rows = max(1, -(-count // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.5), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < count:
            ax.imshow(images[k].reshape(INPUT_SIZE, INPUT_SIZE), cmap="gray")
            ax.set_title(f"{true[k]} → {predicted[k]}", fontsize=8)
    fig.suptitle(f"Misclassified test digits ({len(images)} in all, first {count} shown)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
