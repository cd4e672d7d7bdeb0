"""Loading and validating MNIST for training and benchmarks.

Three ways to give the data, in order: `--data PATH`, `$DIGITSCAN_MNIST`, or
Keras's own downloader (cached after the first connected run). A PATH is a
Keras-style `.npz` or a folder with the four IDX files, gzipped or not.
Everything loaded is validated, so a bad file fails here with its name and
what is wrong, not deep inside training.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitscan.errors import DataError, is_interrupt
from digitscan.model.contract import DIGITS, INPUT_SIZE

DATA_ENV = "DIGITSCAN_MNIST"
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
HOW_TO_GIVE = (
    "give MNIST with --data PATH (a .npz with x_train, y_train, x_test, y_test, or a folder "
    f"of the four IDX files), or set ${DATA_ENV}, or connect to the internet once so Keras "
    "can download and cache it"
)


@dataclass
class Mnist:
    """The four arrays, validated, plus where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    sha256: str


def load_mnist(path: str | Path | None = None) -> Mnist:
    """Load MNIST from PATH, $DIGITSCAN_MNIST, or Keras's cached download."""
    if path is None and os.environ.get(DATA_ENV):
        path = os.environ[DATA_ENV]
    if path is None:
        return _load_keras_download()
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; {HOW_TO_GIVE}")
    arrays = _load_idx_folder(path) if path.is_dir() else _load_npz(path)
    validate(arrays, path)
    return Mnist(**arrays, source=str(path), sha256=_sha256(path))


def is_mnist(path: Path) -> bool:
    """Whether a `--data` path is MNIST (an .npz with a test split, or a folder of IDX files), not another source."""
    path = Path(path).expanduser()
    if path.is_dir():
        return not (path / "labels.csv").exists() and any(path.glob("train-images*"))
    if path.suffix.lower() != ".npz" or not path.is_file():
        return False
    try:
        with open_npz(path) as npz:
            return {"x_test", "y_test"} <= set(npz.files)
    except DataError:
        return False  # not readable as MNIST: loading it as a source says what is wrong


def split_data(paths: tuple[Path, ...]) -> tuple[Path | None, tuple[Path, ...]]:
    """`--data` paths as (MNIST or None, the other sources in their order)."""
    for path in paths:
        if not Path(path).expanduser().exists():
            raise DataError(f"{path}: no such file or folder; {HOW_TO_GIVE}")
    mnist = [path for path in paths if is_mnist(path)]
    if len(mnist) > 1:
        raise DataError(f"MNIST is given twice ({', '.join(map(str, mnist))}): give it once")
    return (mnist[0] if mnist else None), tuple(path for path in paths if path not in mnist)


@contextlib.contextmanager
def open_npz(path: Path) -> Iterator[np.lib.npyio.NpzFile]:
    """An .npz opened without pickles: whatever makes it unreadable (its arrays too) is a DataError naming it."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise DataError(f"{path}: a single .npy array, not an .npz archive of arrays")
            yield npz
    except DataError:
        raise
    except (OSError, ValueError, TypeError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc})") from None


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with open_npz(path) as npz:
        missing = [k for k in IDX_NAMES if k not in npz.files]
        if missing:
            raise DataError(f"{path}: missing arrays {', '.join(missing)} (has {', '.join(npz.files)})")
        return {k: npz[k] for k in IDX_NAMES}


def _find_idx(folder: Path, stem: str) -> Path:
    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    raise DataError(f"{folder}: missing IDX file {stem} (or {stem}.gz)")


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (gzipped or not) of unsigned bytes."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise DataError(f"{path}: IDX element type {raw[2]:#x} is not unsigned byte")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(f"{path}: truncated or padded, {len(raw) - header} bytes of data for shape {shape}")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def _load_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    return {key: read_idx(_find_idx(folder, stem)) for key, stem in IDX_NAMES.items()}


def _load_keras_download() -> Mnist:
    from digitscan._keras import import_keras

    keras = import_keras()
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # offline, proxy, corrupt cache...
        if is_interrupt(exc):
            raise
        raise DataError(f"no MNIST data: Keras could not download it ({type(exc).__name__}); {HOW_TO_GIVE}") from None
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    validate(arrays, Path("keras.datasets.mnist"))
    return Mnist(**arrays, source="keras.datasets.mnist", sha256="")


def validate(arrays: dict[str, np.ndarray], source: Path) -> None:
    """Shapes, dtypes, label range and split sizes, each with its own message."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (INPUT_SIZE, INPUT_SIZE):
            raise DataError(f"{source}: x_{split} has shape {x.shape}, expected (N, {INPUT_SIZE}, {INPUT_SIZE})")
        if y.ndim != 1:
            raise DataError(f"{source}: y_{split} has shape {y.shape}, expected (N,)")
        if len(x) != len(y):
            raise DataError(f"{source}: x_{split} has {len(x)} images but y_{split} has {len(y)} labels")
        if len(x) == 0:
            raise DataError(f"{source}: the {split} split is empty")
        if not np.issubdtype(x.dtype, np.integer) or x.min() < 0 or x.max() > 255:
            raise DataError(f"{source}: x_{split} must hold integers 0..255 (dtype {x.dtype})")
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= DIGITS:
            raise DataError(f"{source}: y_{split} must hold labels 0..{DIGITS - 1}")
    if len(arrays["x_train"]) < 100:
        raise DataError(f"{source}: only {len(arrays['x_train'])} training images, need at least 100")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
