"""digitscan.scan.inputs: finding input files without following links to folders."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from support import save

from digitscan.errors import InputError


def test_link_loops_in_a_folder_or_a_glob_end_the_walk(tmp_path: Path) -> None:
    from digitscan.scan.inputs import expand_inputs
    from digitscan.scan.load import load_pages

    (tmp_path / "a" / "b").mkdir(parents=True)
    save(np.full((9, 9), 255, np.uint8), tmp_path / "a" / "b" / "page.png")
    os.symlink(tmp_path, tmp_path / "a" / "b" / "root")
    os.symlink("..", tmp_path / "a" / "b" / "parent")  # two loops: glob.glob's `**` would run for ever
    os.symlink("../..", tmp_path / "a" / "b" / "up.png")  # a folder link named like an image
    os.symlink("self.png", tmp_path / "a" / "self.png")
    found = [p.relative_to(tmp_path).as_posix() for p in expand_inputs([str(tmp_path), str(tmp_path / "a")])]
    assert found == ["a/self.png", "a/b/page.png", "a/b/up.png"]  # each once, links to folders not followed
    started = time.perf_counter()
    globbed = [p.relative_to(tmp_path).as_posix() for p in expand_inputs([str(tmp_path / "**" / "*.png")])]
    assert sorted(globbed) == sorted(found) and time.perf_counter() - started < 5  # glob.glob would never end
    with pytest.raises(InputError, match="link to a folder"):
        load_pages(tmp_path / "a" / "b" / "up.png")
    with pytest.raises(InputError, match="symbolic link loop"):
        load_pages(tmp_path / "a" / "self.png")


def test_folders_include_pdfs(tmp_path: Path) -> None:
    from digitscan.scan.inputs import expand_inputs

    for name in ("a.pdf", "b.PDF", "c.png", "d.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in expand_inputs([str(tmp_path)])] == ["a.pdf", "b.PDF", "c.png"]
