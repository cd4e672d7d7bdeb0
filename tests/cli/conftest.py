"""Fixtures of the command-line tests: pages to scan, and a guard that no work starts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def pages(tmp_path: Path, digit_page: Callable[..., np.ndarray]) -> Path:
    """A folder with two pages of digits."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(2):
        Image.fromarray(digit_page(10 + n)).save(folder / f"page{n}.png")
    return folder


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the scanner (and with it the model) is ever created."""
    from digitscan.cli import scan as batch

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started before the error was reported")

    monkeypatch.setattr(batch, "make_scanner", refuse)
