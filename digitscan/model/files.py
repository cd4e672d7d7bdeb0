"""Saving and the one safe loader for model files.

Model files are untrusted input. Before Keras deserialises anything, the
architecture stored in the file is read as plain JSON and checked against an
allowlist of built-in layers; `Lambda` layers and custom objects are refused,
so no code embedded in a model ever runs. Keras then loads it in safe mode and
the result is checked against the model contract the scanner relies on
(`digitscan.model.contract`).

Scanning runs the exported copy beside the Keras file (`digitnet.onnx`, see `export.py`) through ONNX Runtime,
without TensorFlow: `load_for_scanning` checks it against its card (sha256 of both files, the contract) and
refuses one that does not match; it falls back to the Keras file only where there is no exported copy and
TensorFlow is installed.
"""

from __future__ import annotations

import hashlib
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
from digitscan._keras import import_keras, keras_installed
from digitscan.errors import ModelError, is_interrupt
from digitscan.model.contract import LINE_SHAPE, PRINT_CLASSES, Role, check_role, class_names

MODEL_ENV = "DIGITSCAN_MODEL"
DEFAULT_MODEL_NAME = "digitnet.h5"
SUFFIXES = (".h5", ".hdf5", ".keras")  # Keras files: training's format and the source of truth
EXPORTED_SUFFIX = ".onnx"  # the exported copy scanning runs (export.EXPORT_SUFFIX; not imported: it needs numpy)
TRAIN_EXTRA = "pip install 'digitscan[train]'"  # what brings TensorFlow and the exporter

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

    model: Any  # a Keras model, or for runtime "onnxruntime" a `runtime.OnnxModel` (folded already)
    path: Path
    card: dict[str, Any] = field(default_factory=dict)
    runtime: str = "keras"  # what runs it: "keras" (TensorFlow) or "onnxruntime" (the exported file)

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


def holds_reader(path: str | Path | None) -> bool:
    """Whether a Keras model file is a string reader (its input a line of any width), from its stored architecture."""
    path = model_file(path)
    if path.suffix == EXPORTED_SUFFIX:
        return False
    shape = _input_shape(read_architecture(path))
    return shape is not None and tuple(shape[1:]) == LINE_SHAPE


def role_of(path: str | Path | None) -> Role:
    """What a Keras model file is: a string reader by its stored input, a print detector by its card's classes,
    else a classifier (each is then held to its role's contract)."""
    if holds_reader(path):
        return "reader"
    return "print" if read_card(model_file(path)).get("classes") == PRINT_CLASSES else "classifier"


def _input_shape(config: Any) -> list[Any] | None:
    """The first input shape stored in an architecture (`batch_shape`, or Keras 2's `batch_input_shape`)."""
    if isinstance(config, dict):
        for key in ("batch_shape", "batch_input_shape"):
            if isinstance(config.get(key), list):
                return config[key]
        config = list(config.values())
    if isinstance(config, list):
        for item in config:
            if (found := _input_shape(item)) is not None:
                return found
    return None


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
    if path.is_dir() or path.suffix.lower() not in (*SUFFIXES, EXPORTED_SUFFIX):
        raise ModelError(f"{path}: not a model file (expected {', '.join((*SUFFIXES, EXPORTED_SUFFIX))})")
    if path.suffix not in (*SUFFIXES, EXPORTED_SUFFIX):
        raise ModelError(f"{path}: rename it with a lower-case suffix ({path.suffix.lower()}); Keras reads no other")
    return path


def load_model(path: str | Path | None = None, role: Role = "classifier") -> LoadedModel:
    """Load a Keras model file safely and check it against the contract of its `role` (training's side: needs
    TensorFlow)."""
    path = model_file(path)
    if path.suffix == EXPORTED_SUFFIX:
        keras_file = _keras_beside(path)
        hint = f": use {keras_file}" if keras_file else ""
        raise ModelError(f"{path}: an exported model runs only in scanning; this needs the Keras file{hint}")
    check_architecture(read_architecture(path), path)
    keras = import_keras()
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True, custom_objects={})
    except Exception as exc:  # any failure inside Keras is a bad file
        if is_interrupt(exc):
            raise
        raise ModelError(f"{path}: cannot load model ({type(exc).__name__}: {exc})") from None
    check_role(model, path, role)
    return LoadedModel(model=model, path=path, card=read_card(path))


def read_card(path: Path) -> dict[str, Any]:
    """The card beside a model file; {} when there is none or it is not JSON."""
    if card_path(path).exists():
        try:
            card = json.loads(card_path(path).read_text())
        except (OSError, ValueError):
            return {}
        return card if isinstance(card, dict) else {}
    return {}


def exported_file(path: Path) -> Path:
    """The exported copy of a model file (itself when it is one): `digitnet.h5` -> `digitnet.onnx`."""
    return path.with_suffix(EXPORTED_SUFFIX)


def _keras_beside(path: Path) -> Path | None:
    """The Keras file an exported one was made from, when it is beside it."""
    return next((path.with_suffix(s) for s in SUFFIXES if path.with_suffix(s).is_file()), None)


def load_for_scanning(path: str | Path | None = None, role: Role = "classifier") -> LoadedModel:
    """The model scanning runs: the exported file through ONNX Runtime, checked against its card.

    A Keras file without an exported copy is loaded with Keras where TensorFlow is installed, else refused with
    how to export it. An exported file that does not match its card (a changed file, or a Keras file changed
    since the export) is refused, never run.
    """
    path = model_file(path)
    exported = exported_file(path)
    if exported.is_file():
        return load_exported(exported, source=None if path == exported else path, role=role)
    if keras_installed():
        return load_model(path, role)
    raise ModelError(
        f"{path}: there is no exported {exported.name} beside it, and without TensorFlow scanning runs only "
        f"exported models: export it with `digitscan export {path}` where the train extra is installed "
        f"({TRAIN_EXTRA})"
    )


def load_exported(path: Path, source: Path | None = None, role: Role = "classifier") -> LoadedModel:
    """Load an exported (ONNX) model after checking it against its card: contract, and sha256 of both files."""
    from digitscan.model.runtime import open_onnx, read_onnx

    card = read_card(path)
    export = card.get("export")
    source = source or _keras_beside(path)
    redo = f"re-export it with `digitscan export {source or path.with_suffix('.h5')}` ({TRAIN_EXTRA})"
    if not isinstance(export, dict) or not isinstance(export.get("sha256"), dict):
        raise ModelError(f"{path}: refused, its card ({card_path(path).name}) records no export of it; {redo}")
    data = read_onnx(path)
    sums = export["sha256"]
    if sums.get(path.name) != hashlib.sha256(data).hexdigest():
        raise ModelError(f"{path}: refused, it does not match its card (sha256 differs: changed since export); {redo}")
    if source is not None and source.name in sums:
        from digitscan.model.export import sha256

        if sums[source.name] != sha256(source):
            raise ModelError(f"{path}: refused, {source.name} has changed since it was exported; {redo}")
    model = open_onnx(data, path)
    check_role(model, path, role)
    classes = card.get("classes")
    if isinstance(classes, list) and len(classes) != model.output_shape[-1]:
        raise ModelError(f"{path}: model has {model.output_shape[-1]} outputs, its card names {len(classes)} classes")
    return LoadedModel(model=model, path=path, card=card, runtime="onnxruntime")


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
    if path.suffix in SUFFIXES and exported_file(path).exists():
        exported_file(path).unlink()  # an export of the model this file replaced; `export.export` writes the new one


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
    pairs += [(exported_file(model_path), exported_file(target))]
    pairs += [(p, target.parent / p.name) for p in extras if p.suffix in (".png", ".csv")]
    # An exported copy made from the model being replaced goes too, when the new model comes without one.
    stale = [exported_file(target)] if exported_file(target).exists() and not exported_file(model_path).exists() else []
    pairs = [(source, dest) for source, dest in pairs if source.exists()]
    replaced = [dest for _, dest in pairs if dest.exists()] + stale
    backup = None
    if replaced:
        backup = target.parent / REPLACED_FOLDER / time.strftime("%Y%m%d-%H%M%S")
        while backup.exists():  # two installs in one second
            backup = backup.with_name(backup.name + "-1")
        backup.mkdir(parents=True)
        for dest in replaced:
            shutil.copy2(dest, backup / dest.name)
    for dest in stale:
        dest.unlink()
    for source, dest in pairs:
        with atomic_write(dest) as tmp:
            shutil.copyfile(source, tmp)
    return Installed(target, backup)
