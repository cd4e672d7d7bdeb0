"""digitscan.training.data: loading MNIST from .npz, IDX folders, $DIGITSCAN_MNIST or Keras, and validating it."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from digitscan.errors import DataError
from digitscan.training import data as data_mod
from digitscan.training.data import DATA_ENV, IDX_NAMES, load_mnist, read_idx

KEYS = ("x_train", "y_train", "x_test", "y_test")


# --- helpers ---------------------------------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray, *, type_code: int = 0x08) -> bytes:
    """An IDX file: magic 0x0000TTNN (TT element type, NN dimensions), big-endian dims, then the data."""
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray], *, gz: bool = False, dotted: bool = False) -> Path:
    """Write the four IDX files (optionally gzipped, optionally named train-images.idx3-ubyte style)."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in IDX_NAMES.items():
        name = stem.replace("-idx", ".idx") if dotted else stem
        raw = idx_bytes(arrays[key])
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw, mtime=0))
        else:
            (folder / name).write_bytes(raw)
    return folder


def arrays_of(mnist) -> dict[str, np.ndarray]:
    return {k: getattr(mnist, k) for k in KEYS}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez_compressed(path, **arrays)
    return path


def data_error(path) -> str:
    """Load PATH, expect a DataError, return its message."""
    with pytest.raises(DataError) as info:
        load_mnist(path)
    return str(info.value)


def file_sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(p.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def arrays(mnist_subset) -> dict[str, np.ndarray]:
    return arrays_of(mnist_subset)


@pytest.fixture
def keras_mnist(monkeypatch):
    """keras.datasets.mnist, so tests can replace its load_data (never touching the network)."""
    from digitscan._keras import import_keras

    monkeypatch.delenv(DATA_ENV, raising=False)
    return import_keras().datasets.mnist


# --- the committed subset --------------------------------------------------------------------------------------------


def test_load_npz_subset(mnist_subset_path):
    data = load_mnist(mnist_subset_path)
    assert data.x_train.shape == (2000, 28, 28) and data.y_train.shape == (2000,)
    assert data.x_test.shape == (500, 28, 28) and data.y_test.shape == (500,)
    for key in KEYS:
        assert getattr(data, key).dtype == np.uint8
    assert np.bincount(data.y_train).tolist() == [200] * 10
    assert np.bincount(data.y_test).tolist() == [50] * 10
    # original MNIST order is kept within the subset
    assert data.y_train[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    assert data.y_test[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]
    assert data.x_train.max() == 255 and data.x_train.min() == 0
    assert data.source == str(mnist_subset_path)
    assert data.sha256 == file_sha256(mnist_subset_path)
    assert len(data.sha256) == 64


def test_load_accepts_str_and_home_relative_path(mnist_subset_path, tmp_path, monkeypatch):
    target = tmp_path / "mnist.npz"
    target.write_bytes(mnist_subset_path.read_bytes())
    monkeypatch.setenv("HOME", str(tmp_path))
    data = load_mnist("~/mnist.npz")
    assert data.source == str(target)
    assert load_mnist(str(target)).sha256 == data.sha256


# --- IDX folders -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
@pytest.mark.parametrize("dotted", [False, True], ids=["dash-idx", "dot-idx"])
def test_idx_folder(tmp_path, arrays, gz, dotted):
    folder = write_idx_folder(tmp_path / "mnist", arrays, gz=gz, dotted=dotted)
    data = load_mnist(folder)
    for key in KEYS:
        loaded = getattr(data, key)
        assert loaded.dtype == np.uint8
        np.testing.assert_array_equal(loaded, arrays[key])
    assert data.source == str(folder)
    assert data.sha256 == file_sha256(*sorted(folder.iterdir()))


def test_idx_folder_sha256_follows_content(tmp_path, arrays):
    first = load_mnist(write_idx_folder(tmp_path / "a", arrays)).sha256
    again = load_mnist(write_idx_folder(tmp_path / "b", arrays)).sha256
    changed = dict(arrays, y_test=np.roll(arrays["y_test"], 1))
    other = load_mnist(write_idx_folder(tmp_path / "c", changed)).sha256
    assert first == again != other


def test_read_idx_single_file(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_bytes(labels))
    np.testing.assert_array_equal(read_idx(path), labels)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
@pytest.mark.parametrize("change", [-100, +7], ids=["truncated", "padded"])
def test_idx_truncated_or_padded(tmp_path, arrays, gz, change):
    folder = write_idx_folder(tmp_path / "mnist", arrays)
    victim = folder / IDX_NAMES["x_train"]
    raw = victim.read_bytes()
    raw = raw[:change] if change < 0 else raw + b"\0" * change
    if gz:
        victim.unlink()
        victim = victim.with_name(victim.name + ".gz")
        victim.write_bytes(gzip.compress(raw))
    else:
        victim.write_bytes(raw)
    message = data_error(folder)
    assert str(victim) in message
    assert "truncated or padded" in message
    assert "(2000, 28, 28)" in message


def test_idx_truncated_labels(tmp_path, arrays):
    folder = write_idx_folder(tmp_path / "mnist", arrays)
    victim = folder / IDX_NAMES["y_test"]
    victim.write_bytes(victim.read_bytes()[:-1])
    message = data_error(folder)
    assert str(victim) in message and "truncated" in message and "(500,)" in message


def test_idx_truncated_header(tmp_path, arrays):
    folder = write_idx_folder(tmp_path / "mnist", arrays)
    victim = folder / IDX_NAMES["x_test"]
    victim.write_bytes(victim.read_bytes()[:10])  # magic says 3 dims (16 header bytes), only 10 there
    message = data_error(folder)
    assert str(victim) in message and "truncated IDX header" in message


@pytest.mark.parametrize(
    "head",
    [b"\x01\x02\x08\x03", b"PK\x03\x04", b"\x00", b""],
    ids=["wrong-magic", "zip-magic", "one-byte", "empty"],
)
def test_idx_bad_magic(tmp_path, arrays, head):
    folder = write_idx_folder(tmp_path / "mnist", arrays)
    victim = folder / IDX_NAMES["y_train"]
    body = victim.read_bytes()[4:] if len(head) == 4 else b""
    victim.write_bytes(head + body)
    message = data_error(folder)
    assert str(victim) in message and "bad magic number" in message


def test_idx_not_unsigned_bytes(tmp_path, arrays):
    folder = write_idx_folder(tmp_path / "mnist", arrays)
    victim = folder / IDX_NAMES["y_train"]
    victim.write_bytes(idx_bytes(arrays["y_train"], type_code=0x0D))  # 0x0D: float32
    message = data_error(folder)
    assert str(victim) in message and "0xd" in message and "not unsigned byte" in message


@pytest.mark.parametrize("key", KEYS)
def test_idx_missing_file(tmp_path, arrays, key):
    folder = write_idx_folder(tmp_path / "mnist", arrays)
    (folder / IDX_NAMES[key]).unlink()
    message = data_error(folder)
    assert str(folder) in message
    assert f"missing IDX file {IDX_NAMES[key]}" in message


def test_idx_empty_folder(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    message = data_error(folder)
    assert str(folder) in message and "missing IDX file" in message


@pytest.mark.parametrize(
    "content",
    [b"this is not gzip", b"\x1f\x8b\x08\x00"],
    ids=["garbage", "cut-stream"],
)
def test_idx_unreadable_gzip(tmp_path, arrays, content):
    folder = write_idx_folder(tmp_path / "mnist", arrays, gz=True)
    victim = folder / (IDX_NAMES["x_train"] + ".gz")
    if content.startswith(b"\x1f\x8b"):  # a real gzip stream, cut half way
        full = victim.read_bytes()
        content = full[: len(full) // 2]
    victim.write_bytes(content)
    message = data_error(folder)
    assert str(victim) in message and "cannot read" in message


def test_idx_labels_where_images_belong(tmp_path, arrays):
    """A well-formed IDX file of the wrong kind fails validation, naming the array."""
    swapped = dict(arrays, y_train=arrays["x_train"])
    folder = write_idx_folder(tmp_path / "mnist", swapped)
    message = data_error(folder)
    assert str(folder) in message
    assert "y_train has shape (2000, 28, 28), expected (N,)" in message


def test_idx_corrupt_gzip_deflate_stream(tmp_path, arrays):
    folder = write_idx_folder(tmp_path / "mnist", arrays, gz=True)
    victim = folder / (IDX_NAMES["x_train"] + ".gz")
    raw = bytearray(victim.read_bytes())
    raw[10] = 0x07  # first deflate block header: BFINAL=1, BTYPE=11 (reserved) -> "invalid block type"
    victim.write_bytes(bytes(raw))
    message = data_error(folder)
    assert str(victim) in message and "cannot read" in message


# --- .npz files ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [("y_test",), ("x_train", "y_train")])
def test_npz_missing_key(tmp_path, arrays, missing):
    path = write_npz(tmp_path / "partial.npz", {k: v for k, v in arrays.items() if k not in missing})
    message = data_error(path)
    assert str(path) in message
    assert f"missing arrays {', '.join(missing)}" in message
    assert "(has " in message


def test_npz_with_other_names(tmp_path, arrays):
    path = tmp_path / "renamed.npz"
    np.savez_compressed(path, images=arrays["x_train"], labels=arrays["y_train"])
    message = data_error(path)
    assert str(path) in message
    assert "missing arrays x_train, y_train, x_test, y_test" in message
    assert "has images, labels" in message


@pytest.mark.parametrize("split", ["train", "test"])
def test_npz_wrong_image_shape(tmp_path, arrays, split):
    n = len(arrays[f"x_{split}"])
    big = dict(arrays, **{f"x_{split}": np.zeros((n, 32, 32), np.uint8)})
    path = write_npz(tmp_path / "big.npz", big)
    message = data_error(path)
    assert str(path) in message
    assert f"x_{split} has shape ({n}, 32, 32), expected (N, 28, 28)" in message


def test_npz_images_missing_a_dimension(tmp_path, arrays):
    flat = dict(arrays, x_train=arrays["x_train"].reshape(2000, 784))
    path = write_npz(tmp_path / "flat.npz", flat)
    message = data_error(path)
    assert str(path) in message and "x_train has shape (2000, 784)" in message


def test_npz_labels_not_1d(tmp_path, arrays):
    path = write_npz(tmp_path / "onehot.npz", dict(arrays, y_test=arrays["y_test"][:, None]))
    message = data_error(path)
    assert str(path) in message and "y_test has shape (500, 1), expected (N,)" in message


@pytest.mark.parametrize(
    "labels",
    [
        lambda y: np.where(np.arange(len(y)) == 3, 12, y).astype(np.uint8),
        lambda y: np.where(np.arange(len(y)) == 0, -1, y).astype(np.int8),
        lambda y: y.astype(np.float32),
    ],
    ids=["label-12", "label-minus-1", "float-labels"],
)
def test_npz_labels_out_of_range(tmp_path, arrays, labels):
    path = write_npz(tmp_path / "labels.npz", dict(arrays, y_train=labels(arrays["y_train"])))
    message = data_error(path)
    assert str(path) in message and "y_train must hold labels 0..9" in message


@pytest.mark.parametrize(
    "images",
    [
        lambda x: x.astype(np.uint16) + 100,
        lambda x: x.astype(np.float32) / 255.0,
        lambda x: x.astype(np.int16) - 1,
    ],
    ids=["above-255", "float-pixels", "negative"],
)
def test_npz_pixels_out_of_range(tmp_path, arrays, images):
    path = write_npz(tmp_path / "pixels.npz", dict(arrays, x_test=images(arrays["x_test"])))
    message = data_error(path)
    assert str(path) in message and "x_test must hold integers 0..255" in message


@pytest.mark.parametrize("split", ["train", "test"])
def test_npz_mismatched_lengths(tmp_path, arrays, split):
    n = len(arrays[f"x_{split}"])
    path = write_npz(tmp_path / "short.npz", dict(arrays, **{f"y_{split}": arrays[f"y_{split}"][:-1]}))
    message = data_error(path)
    assert str(path) in message
    assert f"x_{split} has {n} images but y_{split} has {n - 1} labels" in message


def test_npz_empty_split(tmp_path, arrays):
    empty = dict(arrays, x_test=arrays["x_test"][:0], y_test=arrays["y_test"][:0])
    path = write_npz(tmp_path / "empty.npz", empty)
    message = data_error(path)
    assert str(path) in message and "the test split is empty" in message


def test_npz_too_few_training_images(tmp_path, arrays):
    few = dict(arrays, x_train=arrays["x_train"][:50], y_train=arrays["y_train"][:50])
    path = write_npz(tmp_path / "few.npz", few)
    message = data_error(path)
    assert str(path) in message and "only 50 training images, need at least 100" in message


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda raw: raw[: len(raw) // 2],
        lambda raw: raw[:100],
        lambda raw: b"",
        lambda raw: b"this is not a zip archive\n" * 20,
        lambda raw: raw[:-22],  # end-of-central-directory record cut off
    ],
    ids=["half", "first-100-bytes", "empty", "garbage", "no-central-directory"],
)
def test_npz_unreadable(tmp_path, mnist_subset_path, corrupt):
    path = tmp_path / "broken.npz"
    path.write_bytes(corrupt(mnist_subset_path.read_bytes()))
    message = data_error(path)
    assert str(path) in message and "not a readable .npz file" in message


def test_npz_bad_crc(tmp_path, arrays):
    path = tmp_path / "crc.npz"
    np.savez(path, **arrays)  # stored, not deflated: flipping a pixel byte only breaks the CRC
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    message = data_error(path)
    assert str(path) in message and "not a readable .npz file" in message


class _Touch:
    """Unpickling this writes a marker file: proves whether pickled data was ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "unpickled"))


def test_npz_with_pickled_objects_is_refused_without_unpickling(tmp_path, arrays):
    marker = tmp_path / "unpickled.txt"
    objects = np.empty(2000, dtype=object)
    objects[:] = [_Touch(marker)] * 2000
    path = tmp_path / "pickled.npz"
    np.savez(path, **dict(arrays, y_train=objects))
    assert not marker.exists()
    message = data_error(path)
    assert str(path) in message and "not a readable .npz file" in message
    assert not marker.exists(), "load_mnist unpickled data from the file"
    # positive control: the marker does fire when the file is unpickled
    with np.load(path, allow_pickle=True) as npz:
        npz["y_train"]
    assert marker.exists()


def _deflate_offset(path: Path, member: str) -> int:
    """Where the compressed bytes of one zip member start."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    raw = path.read_bytes()
    start = info.header_offset
    name_len = int.from_bytes(raw[start + 26 : start + 28], "little")
    extra_len = int.from_bytes(raw[start + 28 : start + 30], "little")
    return start + 30 + name_len + extra_len


def test_npz_corrupt_deflate_stream(tmp_path, mnist_subset_path):
    path = tmp_path / "corrupt.npz"
    raw = bytearray(mnist_subset_path.read_bytes())
    raw[_deflate_offset(mnist_subset_path, "x_train.npy")] = 0x07  # BTYPE=11: "invalid block type"
    path.write_bytes(bytes(raw))
    message = data_error(path)
    assert str(path) in message and "not a readable .npz file" in message


def test_npy_named_npz(tmp_path, arrays):
    path = tmp_path / "x_train.npz"
    with path.open("wb") as f:
        np.save(f, arrays["x_train"])
    message = data_error(path)
    assert str(path) in message and "not a readable .npz file" in message


def test_path_does_not_exist(tmp_path):
    path = tmp_path / "nowhere" / "mnist.npz"
    message = data_error(path)
    assert str(path) in message
    assert "no such file or folder" in message
    assert "--data" in message and DATA_ENV in message


# --- $DIGITSCAN_MNIST and the Keras downloader ----------------------------------------------------------------------


def test_env_var_is_honoured(mnist_subset_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(mnist_subset_path))
    data = load_mnist()
    assert data.source == str(mnist_subset_path)
    assert data.x_train.shape == (2000, 28, 28)


def test_env_var_idx_folder(tmp_path, arrays, monkeypatch):
    folder = write_idx_folder(tmp_path / "mnist", arrays, gz=True)
    monkeypatch.setenv(DATA_ENV, str(folder))
    assert load_mnist().source == str(folder)


def test_explicit_path_beats_env_var(mnist_subset_path, tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "does-not-exist.npz"))
    assert load_mnist(mnist_subset_path).source == str(mnist_subset_path)


def test_env_var_pointing_nowhere(tmp_path, monkeypatch):
    missing = tmp_path / "gone.npz"
    monkeypatch.setenv(DATA_ENV, str(missing))
    message = data_error(None)
    assert str(missing) in message and "no such file or folder" in message


def test_keras_download_failure(keras_mnist, monkeypatch):
    calls = []

    def offline(*args, **kwargs):
        calls.append(1)
        raise OSError("URL fetch failure: no network")

    monkeypatch.setattr(keras_mnist, "load_data", offline)
    message = data_error(None)
    assert calls == [1]
    assert "could not download" in message and "OSError" in message
    assert "--data" in message and DATA_ENV in message


def test_empty_env_var_falls_back_to_keras(keras_mnist, mnist_subset, monkeypatch):
    subset = arrays_of(mnist_subset)
    monkeypatch.setenv(DATA_ENV, "")
    monkeypatch.setattr(
        keras_mnist,
        "load_data",
        lambda *a, **k: ((subset["x_train"], subset["y_train"]), (subset["x_test"], subset["y_test"])),
    )
    data = load_mnist()
    assert data.source == "keras.datasets.mnist"
    assert data.sha256 == ""
    np.testing.assert_array_equal(data.y_test, subset["y_test"])


def test_keras_download_is_validated(keras_mnist, mnist_subset, monkeypatch):
    subset = arrays_of(mnist_subset)
    bad = (subset["x_train"], subset["y_train"][:-1])
    monkeypatch.setattr(keras_mnist, "load_data", lambda *a, **k: (bad, (subset["x_test"], subset["y_test"])))
    message = data_error(None)
    assert "keras.datasets.mnist" in message and "y_train has 1999 labels" in message


def test_validate_directly_names_source(arrays):
    data_mod.validate(arrays, Path("ok.npz"))  # the subset itself is valid
    with pytest.raises(DataError, match=r"^somewhere\.npz: y_test must hold labels 0\.\.9$"):
        data_mod.validate(dict(arrays, y_test=arrays["y_test"] + 10), Path("somewhere.npz"))
