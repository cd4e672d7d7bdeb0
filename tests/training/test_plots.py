"""digitscan.training.plots: curves that read right after one epoch, labelled grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitscan.training import plots

ONE_EPOCH = {"loss": [0.31], "val_loss": [0.12], "accuracy": [0.905], "val_accuracy": [0.982]}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plots._pyplot().close("all")


def test_one_epoch_shows_a_marker_per_series_on_a_sensible_axis() -> None:
    fig = plots.history_figure(ONE_EPOCH)
    loss, accuracy = fig.axes
    for ax in (loss, accuracy):
        assert [line.get_marker() for line in ax.get_lines()] == ["o", "o"]
        assert list(ax.get_xticks()) == [1]
    low, high = accuracy.get_ylim()
    assert low < 0.905 and 1.0 <= high <= 1.01  # not 0.96-1.04 around one value: up to 1, down past the lowest
    assert loss.get_ylim()[0] == 0.0 and loss.get_ylim()[1] > 0.31


def test_validation_above_training_is_explained_on_the_figure() -> None:
    texts = [t.get_text() for t in plots.history_figure(ONE_EPOCH).texts]
    assert plots.AUGMENTED_NOTE in texts
    below = {**ONE_EPOCH, "val_accuracy": [0.9]}
    assert plots.AUGMENTED_NOTE not in [t.get_text() for t in plots.history_figure(below).texts]


def test_many_epochs_keep_readable_ticks(tmp_path: Path) -> None:
    history = {key: list(np.linspace(0.5, 0.99, 24)) for key in ONE_EPOCH}
    fig = plots.history_figure(history)
    assert len(fig.axes[1].get_xticks()) <= 12
    plots.plot_history(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_misclassified_grid_says_true_then_predicted(tmp_path: Path) -> None:
    images = np.zeros((3, 28, 28, 1), np.float32)
    fig = plots.misclassified_figure(images, np.array([4, 7, 9]), ["9", "1", "not-a-digit"])
    assert "true → predicted" in fig._suptitle.get_text()
    assert [ax.get_title() for ax in fig.axes[:3]] == ["4 → 9", "7 → 1", "9 → not-a-digit"]
    plots.plot_misclassified(images, np.array([4, 7, 9]), ["9", "1", "x"], tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 0
