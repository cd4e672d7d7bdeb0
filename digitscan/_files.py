"""Files written safely, and folders made ready, in one place.

A file digitscan writes (a model, its card, an overlay, a cases CSV, an
installed model) is written beside its target under a hidden temporary name
and then renamed over it: a reader sees the old file or the whole new one,
never half of one, even when the run is killed mid-write.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from digitscan.errors import OutputError


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; it replaces `path` when the block ends, and is removed if it fails.

    The temporary name keeps the suffix, so writers that choose the format by
    it (Keras, OpenCV) write the right one.
    """
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_json(path: Path, data: Any) -> None:
    """Write JSON so the file is either the old one or the whole new one."""
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")


def ensure_folder(folder: Path) -> Path:
    """Create `folder` (and its parents) if need be; an OutputError now, before any work, if it cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create folder ({exc.strerror or exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: folder is not writable")
    return folder


def bundled(*parts: str) -> Path:
    """A resource shipped with digitscan: inside the installed package, or beside it in a source checkout.

    The path in the checkout when it is in neither (so a message can name where it belongs).
    """
    package = Path(__file__).resolve().parent
    for root in (package, package.parent):
        if root.joinpath(*parts).exists():
            return root.joinpath(*parts)
    return package.parent.joinpath(*parts)
