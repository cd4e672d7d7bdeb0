"""Finding the input files: paths, folders (recursive), globs and lists on stdin, each once.

Links to folders are never followed, so link loops cannot make a walk run for
ever; a name that matches nothing is still yielded, so it is reported as a
failed file rather than vanishing.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from digitscan.errors import InputError

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".pgm", ".ppm", ".pbm"}
    | {".heic", ".heif", ".hif", ".avif"}  # phones' photos: HEIC (`scan.heif`), AVIF (Pillow's own)
)
INPUT_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}  # what a folder is searched for: images, and PDFs (each page rendered)


def expand_inputs(args: Iterable[str], stdin: Iterable[str] | None = None) -> Iterator[Path]:
    """Files, folders (recursive, sorted, links to folders not followed) and globs, in order, each once.

    `-` reads one path per line from `stdin`. A name that matches nothing is
    still yielded, so it is reported as a failed file rather than vanishing;
    so is a folder named like an image (`x.png/`) that holds no images, and a
    folder that cannot be listed. A path met twice is yielded once, so a
    result is never written twice.
    """
    seen: set[str] = set()
    for path in _expand(args, stdin):
        key = str(path)
        if key not in seen:
            seen.add(key)
            yield path


def _expand(args: Iterable[str], stdin: Iterable[str] | None) -> Iterator[Path]:
    for arg in args:
        if arg == "-":
            lines = stdin if stdin is not None else sys.stdin
            yield from _expand([line.rstrip("\r\n") for line in lines if line.strip()], None)
            continue
        path = Path(arg)
        if path.is_dir():
            yield from _walk(path)
        elif not _lexists(path) and glob.has_magic(arg):
            matches = _glob(path)
            for match in matches:
                yield from (_walk(match) if match.is_dir() and not match.is_symlink() else [match])
            if not matches:
                yield path
        else:
            yield path


def check_file(path: Path) -> None:
    """A regular, non-empty file that can be opened, or an `InputError` that says what it is instead.

    Here, not in `load`, so the command line can answer a file that is missing before it imports the model.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("broken symbolic link" if path.is_symlink() else "no such file") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("symbolic link loop") from None
        raise InputError(f"cannot open: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        if path.is_symlink():
            raise InputError("is a link to a folder (links to folders are not followed), not an image")
        if not os.access(path, os.R_OK | os.X_OK):
            raise InputError("folder cannot be read (permission denied)")
        raise InputError("is a folder, not an image")
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file (a device, pipe or socket)")  # opening a pipe could block forever
    if info.st_size == 0:
        raise InputError("empty file (0 bytes)")


def common_folder(paths: Iterable[str | Path]) -> Path:
    """The deepest folder that holds every one of `paths` (files): what overlays are named relative to."""
    folders = [os.path.dirname(os.path.abspath(p)) for p in paths]
    return Path(os.path.commonpath(folders)) if folders else Path.cwd()


def _glob(pattern: Path) -> list[Path]:
    """Sorted matches of a glob pattern; `**` does not follow links to folders.

    The standard `glob` module follows them, and two links back up a tree make
    it run for ever; pathlib's matching does not.
    """
    parts = pattern.parts
    first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = Path(*parts[:first]) if first else Path()
    try:
        return sorted(base.glob(str(Path(*parts[first:]))))
    except (OSError, ValueError, NotImplementedError):
        return []


def _lexists(path: Path) -> bool:
    """True for anything at `path`, a broken or looping symbolic link included."""
    return os.path.lexists(path)


def _looks_like_image(path: Path) -> bool:
    return path.suffix.lower() in INPUT_SUFFIXES


def folder_links(folder: Path) -> list[Path]:
    """The symbolic links to folders below `folder`, which the walk does not follow: what to suggest when it finds
    nothing."""
    if not folder.is_dir():
        return []
    try:
        return sorted(p for p in folder.rglob("*") if p.is_symlink() and p.is_dir())
    except OSError:
        return []


def _walk(folder: Path) -> list[Path]:
    """Image files below `folder`: each folder's files sorted, then its subfolders.

    Iterative (no recursion limit on deep trees); symbolic links to folders are
    not followed, so link loops cannot make it run forever. A subfolder that
    cannot be listed, and a folder named like an image that holds none, are
    returned themselves so they are reported instead of silently skipped.
    """
    found: list[Path] = []
    stack: list[tuple[Path, int | None]] = [(folder, None)]  # (folder, None) to list, (folder, start) to close
    while stack:
        path, start = stack.pop()
        if start is not None:
            if len(found) == start:
                found.append(path)
            continue
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            found.append(path)
            continue
        if _looks_like_image(path):
            stack.append((path, len(found)))
        subfolders = []
        for entry in entries:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                subfolders.append(Path(entry.path))
            elif _looks_like_image(Path(entry.name)):
                found.append(Path(entry.path))
        stack.extend((sub, None) for sub in reversed(subfolders))
    return found
