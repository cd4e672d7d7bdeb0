"""Saving and the one safe loader for model files.

Model files are untrusted input. Before Keras deserialises anything, the
architecture stored in the file is read as plain JSON and checked against an
allowlist of built-in layers; `Lambda` layers and custom objects are refused,
so no code embedded in a model ever runs. Keras then loads it in safe mode and
the result is checked against the model contract the scanner relies on
(`digitscan.model.contract`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digitscan._files import atomic_write, bundled, write_json
from digitscan._keras import import_keras
from digitscan.errors import ModelError, is_interrupt
from digitscan.model.contract import check_contract, class_names

MODEL_ENV = "DIGITSCAN_MODEL"
DEFAULT_MODEL_NAME = "digitnet.h5"
SUFFIXES = (".h5", ".hdf5", ".keras")

SAFE_LAYERS = frozenset(
    {
        "InputLayer",
        "Conv2D",
        "DepthwiseConv2D",
        "SeparableConv2D",
        "Dense",
        "MaxPooling2D",
        "AveragePooling2D",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
        "Flatten",
        "Dropout",
        "SpatialDropout2D",
        "BatchNormalization",
        "LayerNormalization",
        "ReLU",
        "LeakyReLU",
        "Activation",
        "Softmax",
        "Reshape",
        "Rescaling",
        "Add",
        "Concatenate",
        "ZeroPadding2D",
        "Sequential",
        "Functional",
        "Model",
    }
)


SAFE_OBJECTS = frozenset({"DTypePolicy", "FloatDTypePolicy"})
# Where Keras records its built-ins (None: layers in HDF5 files); anything else is foreign code.
SAFE_MODULES = frozenset(
    {
        None,
        "keras",
        "keras.layers",
        "keras.models",
        "keras.initializers",
        "keras.regularizers",
        "keras.constraints",
        "keras.activations",
    }
)
LAYER_MODULES = frozenset({None, "keras", "keras.layers", "keras.models"})


@dataclass
class LoadedModel:
    """A model that passed the safety and contract checks, with its card."""

    model: Any
    path: Path
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def num_outputs(self) -> int:
        return int(self.model.output_shape[-1])

    @property
    def classes(self) -> list[str]:
        return list(self.card.get("classes") or class_names(self.num_outputs))


def card_path(model_path: Path) -> Path:
    """The JSON model card that sits beside a model file."""
    return model_path.with_suffix(".card.json")


def bundled_model_path() -> Path:
    """The default model: in the installed wheel, or in the source checkout."""
    return bundled("models", DEFAULT_MODEL_NAME)


def resolve_model_path(path: str | Path | None) -> Path:
    """`--model`, else $DIGITSCAN_MODEL, else the bundled model."""
    if path:
        return Path(path).expanduser()
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV]).expanduser()
    return bundled_model_path()


def read_architecture(path: Path) -> dict[str, Any]:
    """Read the stored architecture as plain JSON, without deserialising it."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        import h5py

        with h5py.File(path, "r") as h5:
            raw = h5.attrs.get("model_config")
            if raw is None:
                raise ModelError(f"{path}: HDF5 file holds weights only, not a model")
            if isinstance(raw, bytes):
                raw = raw.decode()
            if not isinstance(raw, str):
                raise ModelError(f"{path}: not a readable HDF5 model (its architecture is not JSON text)")
            return json.loads(raw)
    except ModelError:
        raise
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        kind = "Keras archive" if suffix == ".keras" else "HDF5 model"
        raise ModelError(f"{path}: not a readable {kind} ({exc})") from None


def check_architecture(config: Any, path: Path) -> None:
    """Refuse anything but built-in layers: no Lambda, no custom objects."""
    if isinstance(config, list):
        for item in config:
            check_architecture(item, path)
        return
    if not isinstance(config, dict):
        return
    name = config.get("class_name")
    module = config.get("module")
    if isinstance(name, str):
        if "Lambda" in name:
            raise ModelError(f"{path}: refused, it contains a {name} layer (embedded code)")
        if module not in SAFE_MODULES:
            raise ModelError(f"{path}: refused, it needs custom object {name!r} from {module!r}")
        registered = config.get("registered_name")
        if isinstance(registered, str) and ">" in registered:
            raise ModelError(f"{path}: refused, it needs custom object {registered!r}")
        inner = config.get("config")
        is_layer = module in LAYER_MODULES and isinstance(inner, dict) and "name" in inner
        if is_layer and name not in SAFE_LAYERS | SAFE_OBJECTS:
            raise ModelError(f"{path}: refused, layer type {name!r} is not allowed")
    for value in config.values():
        check_architecture(value, path)


def model_file(path: str | Path | None = None) -> Path:
    """The model file that `load_model` would read, checked to be there and named as a model, without Keras.

    A command checks it before listing its inputs, so a wrong `--model` is said at once.
    """
    path = resolve_model_path(path)
    if not path.exists():
        hint = " (train one with `digitscan train`, or pass --model)" if path == bundled_model_path() else ""
        raise ModelError(f"{path}: model file not found{hint}")
    if path.is_dir() or path.suffix.lower() not in SUFFIXES:
        raise ModelError(f"{path}: not a model file (expected {', '.join(SUFFIXES)})")
    if path.suffix not in SUFFIXES:
        raise ModelError(f"{path}: rename it with a lower-case suffix ({path.suffix.lower()}); Keras reads no other")
    return path


def load_model(path: str | Path | None = None) -> LoadedModel:
    """Load a model file safely and check it against the model contract."""
    path = model_file(path)
    check_architecture(read_architecture(path), path)
    keras = import_keras()
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True, custom_objects={})
    except Exception as exc:  # any failure inside Keras is a bad file
        if is_interrupt(exc):
            raise
        raise ModelError(f"{path}: cannot load model ({type(exc).__name__}: {exc})") from None
    check_contract(model, path)
    card: dict[str, Any] = {}
    if card_path(path).exists():
        try:
            card = json.loads(card_path(path).read_text())
        except (OSError, ValueError):
            card = {}
    return LoadedModel(model=model, path=path, card=card)


COPY_KEYWORD_WARNING = r"__array__ implementation doesn't accept a copy keyword"  # numpy 2, of Keras variables


def save_model(model: Any, path: Path, card: dict[str, Any] | None = None) -> None:
    """Save a model (HDF5 or .keras by suffix) and its card, each atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as tmp, warnings.catch_warnings():
        # Keras's HDF5 writer turns each weight into an array with np.array(variable), and KerasVariable.__array__
        # takes no `copy` argument (keras/src/backend/common/variables.py, Keras 3.15 still; keras-team/keras#21288),
        # so numpy 2 warns once per weight. The values written are right: only that warning, only here, is silenced.
        warnings.filterwarnings("ignore", COPY_KEYWORD_WARNING, DeprecationWarning)
        model.save(tmp)
    if card is not None:
        write_json(card_path(path), card)
    elif card_path(path).exists():
        card_path(path).unlink()  # a stale card would describe another model


REPLACED_FOLDER = "replaced"  # beside the bundled model: each install keeps what it replaced in a dated folder here


@dataclass(frozen=True)
class Installed:
    """Where `install_bundled` put the model, and where the model it replaced was kept (None: there was none)."""

    model: Path
    backup: Path | None


def install_bundled(model_path: Path, extras: list[Path]) -> Installed:
    """Copy a model, its card and its figures (`extras`: history and plots) over the bundled model's.

    Every file about to be replaced is first copied to `models/replaced/DATE-TIME/`, so an install can be undone
    by copying them back.
    """
    target = bundled_model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    pairs = [(model_path, target), (card_path(model_path), card_path(target))]
    pairs += [(p, target.parent / p.name) for p in extras if p.suffix in (".png", ".csv")]
    pairs = [(source, dest) for source, dest in pairs if source.exists()]
    replaced = [dest for _, dest in pairs if dest.exists()]
    backup = None
    if replaced:
        backup = target.parent / REPLACED_FOLDER / time.strftime("%Y%m%d-%H%M%S")
        while backup.exists():  # two installs in one second
            backup = backup.with_name(backup.name + "-1")
        backup.mkdir(parents=True)
        for dest in replaced:
            shutil.copy2(dest, backup / dest.name)
    for source, dest in pairs:
        with atomic_write(dest) as tmp:
            shutil.copyfile(source, tmp)
    return Installed(target, backup)
