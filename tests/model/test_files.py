"""digitscan.model.files: saving, the safe loader, the model contract on load, model paths."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from digitscan._keras import import_keras
from digitscan.errors import ModelError
from digitscan.model import files as modelio
from digitscan.model.architectures import build
from digitscan.model.contract import DIGIT_CLASSES, EXTRA_CLASSES, class_names
from digitscan.model.files import (
    MODEL_ENV,
    LoadedModel,
    card_path,
    check_architecture,
    load_model,
    resolve_model_path,
    save_model,
)

keras = import_keras()
layers = keras.layers


# --- helpers ---------------------------------------------------------------------------------------------------------


def small_model(*middle, input_shape=(28, 28, 1), outputs: int = 10):
    """Input -> MIDDLE layers -> Flatten -> Dense(OUTPUTS, softmax): quick to build and save."""
    return keras.Sequential(
        [keras.Input(input_shape), *middle, layers.Flatten(), layers.Dense(outputs, activation="softmax")]
    )


def model_error(path) -> str:
    """load_model(PATH) must raise ModelError; return its message."""
    with pytest.raises(ModelError) as info:
        load_model(path)
    return str(info.value)


def digits(mnist, n: int = 8) -> np.ndarray:
    return (mnist.x_test[:n].astype(np.float32) / 255.0)[..., None]


def predict(model, x: np.ndarray) -> np.ndarray:
    return keras.ops.convert_to_numpy(model(x, training=False))


@pytest.fixture(scope="module")
def valid_h5(tmp_path_factory) -> Path:
    """A small valid model saved as HDF5 (no card)."""
    path = tmp_path_factory.mktemp("valid") / "small.h5"
    save_model(small_model(layers.Conv2D(2, 3)), path)
    return path


# --- architectures ---------------------------------------------------------------------------------------------------


# --- save + load round trip ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".h5", ".hdf5", ".keras"])
def test_round_trip_with_card(tmp_path, mnist_subset, suffix):
    keras.utils.set_random_seed(1)
    model = build("lenet")
    card = {"architecture": "lenet", "classes": class_names(10), "note": "round trip", "nested": {"a": [1, 2]}}
    path = tmp_path / "out" / f"lenet{suffix}"  # save_model creates the folder
    save_model(model, path, card)
    assert path.is_file()
    assert card_path(path) == tmp_path / "out" / "lenet.card.json"
    assert json.loads(card_path(path).read_text()) == card
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, "lenet.card.json"])  # no temp files

    loaded = load_model(path)
    assert isinstance(loaded, LoadedModel)
    assert loaded.path == path
    assert loaded.card == card
    assert loaded.num_outputs == 10
    assert loaded.classes == class_names(10)
    assert loaded.model.count_params() == 61_706
    x = digits(mnist_subset)
    np.testing.assert_array_equal(predict(loaded.model, x), predict(model, x))


def test_round_trip_digitnet_without_card(tmp_path, mnist_subset):
    model = build("digitnet")
    path = tmp_path / "digitnet.h5"
    save_model(model, path)
    assert not card_path(path).exists()
    loaded = load_model(path)
    assert loaded.card == {}
    assert loaded.num_outputs == 12
    assert loaded.classes == [*DIGIT_CLASSES, *EXTRA_CLASSES]
    x = digits(mnist_subset, 4)
    np.testing.assert_array_equal(predict(loaded.model, x), predict(model, x))


def test_save_overwrites_model_and_card(tmp_path):
    path = tmp_path / "m.h5"
    save_model(small_model(), path, {"version": 1})
    second = small_model(outputs=11)
    save_model(second, path, {"version": 2})
    loaded = load_model(path)
    assert loaded.card == {"version": 2}
    assert loaded.num_outputs == 11


def test_unreadable_card_is_ignored(tmp_path):
    path = tmp_path / "m.h5"
    save_model(small_model(), path)
    card_path(path).write_text("{not json")
    loaded = load_model(path)
    assert loaded.card == {}
    assert loaded.classes == DIGIT_CLASSES


def test_tiny_model_fixture(tiny_model_path, mnist_subset):
    assert tiny_model_path.name == "lenet.h5"
    loaded = load_model(tiny_model_path)
    assert loaded.card["architecture"] == "lenet"
    assert loaded.classes == DIGIT_CLASSES
    probs = predict(loaded.model, (mnist_subset.x_test.astype(np.float32) / 255.0)[..., None])
    assert probs.shape == (500, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    accuracy = float((probs.argmax(axis=1) == mnist_subset.y_test).mean())
    assert accuracy > 0.5, f"one epoch on 2000 digits should beat chance by far, got {accuracy:.3f}"


# --- refused: embedded code and non-allowlisted layers -------------------------------------------------------------


@pytest.fixture(scope="module")
def lambda_models(tmp_path_factory):
    """A model with a Lambda whose function, when it runs, appends to a marker file."""
    folder = tmp_path_factory.mktemp("lambda")
    marker = str(folder / "lambda-ran.txt")
    model = small_model(layers.Lambda(lambda x: (open(marker, "a").write("ran\n"), x)[1]))  # noqa: SIM115
    assert Path(marker).exists(), "building the model calls the lambda once"
    paths = {}
    for suffix in (".h5", ".keras"):
        paths[suffix] = folder / f"evil{suffix}"
        save_model(model, paths[suffix])
    Path(marker).unlink()
    return paths, Path(marker)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_lambda_layer_is_refused_without_running_it(lambda_models, suffix):
    paths, marker = lambda_models
    assert not marker.exists()
    message = model_error(paths[suffix])
    assert str(paths[suffix]) in message
    assert "refused" in message and "Lambda" in message
    assert not marker.exists(), "the Lambda's code ran while the model was being refused"


def test_lambda_marker_positive_control(lambda_models):
    """Keras in unsafe mode does run the embedded code, so the marker would have caught it."""
    paths, marker = lambda_models
    try:
        keras.models.load_model(paths[".h5"], compile=False, safe_mode=False)
        assert marker.exists()
    finally:
        marker.unlink(missing_ok=True)


def test_custom_layer_is_refused(tmp_path):
    @keras.saving.register_keras_serializable(package="digitscan_tests")
    class Doubler(layers.Layer):
        def call(self, x):
            return x * 2

    for suffix in (".h5", ".keras"):
        path = tmp_path / f"custom{suffix}"
        save_model(small_model(Doubler()), path)
        message = model_error(path)
        assert str(path) in message and "refused" in message and "Doubler" in message


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_builtin_layer_outside_allowlist_is_refused(tmp_path, suffix):
    path = tmp_path / f"noise{suffix}"
    save_model(small_model(layers.GaussianNoise(0.1)), path)
    message = model_error(path)
    assert str(path) in message and "layer type 'GaussianNoise' is not allowed" in message


def test_allowlist_cannot_be_skipped_by_renaming_the_module(tmp_path):
    path = tmp_path / "crafted.h5"
    save_model(small_model(layers.GaussianNoise(0.1)), path)
    with h5py.File(path, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "GaussianNoise":
                layer["module"] = "keras.src.layers"
        h5.attrs["model_config"] = json.dumps(config)
    model_error(path)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {}}]}}, "Lambda layer"),
        ([{"a": [{"class_name": "Lambda"}]}], "Lambda layer"),
        ({"class_name": "Evil", "module": "evil.module", "config": {"name": "x"}}, "custom object 'Evil'"),
        ({"class_name": "Dense", "module": "keras.layers", "registered_name": "pkg>Dense", "config": {}}, "pkg>Dense"),
        ({"class_name": "TFSMLayer", "module": "keras.layers", "config": {"name": "sm"}}, "'TFSMLayer' is not allowed"),
        ({"class_name": "TorchModuleWrapper", "config": {"name": "t"}}, "'TorchModuleWrapper' is not allowed"),
    ],
    ids=["lambda", "deep-lambda", "foreign-module", "registered-name", "tfsm-layer", "torch-wrapper"],
)
def test_check_architecture_refuses(config, expected):
    with pytest.raises(ModelError, match=r"^crafted\.h5: refused") as info:
        check_architecture(config, Path("crafted.h5"))
    assert expected in str(info.value)


def test_check_architecture_accepts_the_shipped_architectures(tmp_path):
    for arch in ("lenet", "digitnet"):
        path = tmp_path / f"{arch}.keras"
        save_model(build(arch), path)
        check_architecture(modelio.read_architecture(path), path)


# --- refused: breaks the model contract ------------------------------------------------------------------------------


def test_wrong_input_shape(tmp_path):
    path = tmp_path / "big-input.h5"
    save_model(small_model(input_shape=(32, 32, 1)), path)
    message = model_error(path)
    assert str(path) in message and "model input is (32, 32, 1), expected (28, 28, 1)" in message


def test_rgb_input(tmp_path):
    path = tmp_path / "rgb.h5"
    save_model(small_model(input_shape=(28, 28, 3)), path)
    assert "model input is (28, 28, 3)" in model_error(path)


def test_too_few_outputs(tmp_path):
    path = tmp_path / "five.h5"
    save_model(small_model(outputs=5), path)
    message = model_error(path)
    assert str(path) in message and "model output is (5,), expected (K,) with K >= 10" in message


def test_output_not_a_vector(tmp_path):
    path = tmp_path / "map.h5"
    save_model(keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(10, 3)]), path)
    message = model_error(path)
    assert str(path) in message and "model output is (26, 26, 10)" in message


def test_two_outputs(tmp_path):
    inputs = keras.Input((28, 28, 1))
    flat = layers.Flatten()(inputs)
    model = keras.Model(inputs, [layers.Dense(10)(flat), layers.Dense(10)(flat)])
    path = tmp_path / "two-heads.h5"
    save_model(model, path)
    message = model_error(path)
    assert str(path) in message and "output" in message


def test_two_inputs(tmp_path):
    a, b = keras.Input((28, 28, 1)), keras.Input((28, 28, 1))
    model = keras.Model([a, b], layers.Dense(10)(layers.Flatten()(layers.Add()([a, b]))))
    path = tmp_path / "two-inputs.h5"
    save_model(model, path)
    message = model_error(path)
    assert str(path) in message and "single input" in message


# --- refused: not a model file ---------------------------------------------------------------------------------------


def test_truncated_h5(tmp_path, valid_h5):
    path = tmp_path / "truncated.h5"
    path.write_bytes(valid_h5.read_bytes()[:500])
    message = model_error(path)
    assert str(path) in message and "not a readable HDF5 model" in message


def test_text_file_named_h5(tmp_path):
    path = tmp_path / "model.h5"
    path.write_text("definitely not HDF5\n")
    message = model_error(path)
    assert str(path) in message and "not a readable HDF5 model" in message


def test_empty_file_named_h5(tmp_path):
    path = tmp_path / "empty.h5"
    path.write_bytes(b"")
    assert "not a readable HDF5 model" in model_error(path)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.h5"
    message = model_error(path)
    assert str(path) in message and "model file not found" in message
    assert "digitscan train" not in message  # the hint is for the bundled model only


def test_missing_bundled_model_hints_at_training(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    bundled = tmp_path / "models" / "digitnet.h5"
    monkeypatch.setattr(modelio, "bundled_model_path", lambda: bundled)
    message = model_error(None)
    assert str(bundled) in message and "model file not found" in message
    assert "digitscan train" in message and "--model" in message


def test_folder_named_h5(tmp_path):
    path = tmp_path / "x.h5"
    path.mkdir()
    message = model_error(path)
    assert str(path) in message and "not a model file (expected .h5, .hdf5, .keras, .onnx)" in message


@pytest.mark.parametrize("name", ["model.txt", "model.pb", "model"])
def test_unsupported_suffix(tmp_path, valid_h5, name):
    path = tmp_path / name
    path.write_bytes(valid_h5.read_bytes())  # a real model, but not under a name the loader accepts
    message = model_error(path)
    assert str(path) in message and "not a model file (expected .h5, .hdf5, .keras, .onnx)" in message


def test_upper_case_suffix_gets_a_clear_error(tmp_path, valid_h5):
    path = tmp_path / "MODEL.H5"
    path.write_bytes(valid_h5.read_bytes())
    message = model_error(path)
    assert str(path) in message and "lower-case suffix" in message


def test_weights_only_h5(tmp_path):
    import warnings

    weights = tmp_path / "small.weights.h5"
    with warnings.catch_warnings():  # Keras's weights writer meets the warning save_model silences (files.py)
        warnings.filterwarnings("ignore", modelio.COPY_KEYWORD_WARNING, DeprecationWarning)
        small_model().save_weights(weights)
    path = weights.rename(tmp_path / "small.h5")
    message = model_error(path)
    assert str(path) in message and "holds weights only" in message


def test_h5_with_broken_architecture_json(tmp_path, valid_h5):
    path = tmp_path / "bad-json.h5"
    path.write_bytes(valid_h5.read_bytes())
    with h5py.File(path, "r+") as h5:
        h5.attrs["model_config"] = "{not json"
    message = model_error(path)
    assert str(path) in message and "not a readable HDF5 model" in message


def test_h5_with_non_string_architecture(tmp_path, valid_h5):
    path = tmp_path / "numeric-config.h5"
    path.write_bytes(valid_h5.read_bytes())
    with h5py.File(path, "r+") as h5:
        h5.attrs["model_config"] = 5
    assert "not a readable HDF5 model" in model_error(path)


def test_h5_architecture_keras_cannot_build(tmp_path, valid_h5):
    path = tmp_path / "nonsense.h5"
    path.write_bytes(valid_h5.read_bytes())
    with h5py.File(path, "r+") as h5:
        h5.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": "nonsense"}})
    message = model_error(path)
    assert str(path) in message and "cannot load model" in message


@pytest.mark.parametrize("kind", ["garbage", "no-config", "bad-json"])
def test_unreadable_keras_archive(tmp_path, kind):
    path = tmp_path / "model.keras"
    if kind == "garbage":
        path.write_text("not a zip")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("metadata.json", "{}")
            if kind == "bad-json":
                archive.writestr("config.json", "{oops")
    message = model_error(path)
    assert str(path) in message and "not a readable Keras archive" in message


# --- which model: --model, $DIGITSCAN_MODEL, bundled -----------------------------------------------------------------


def test_resolve_explicit_path_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "env.h5"))
    assert resolve_model_path(tmp_path / "explicit.h5") == tmp_path / "explicit.h5"
    assert resolve_model_path(str(tmp_path / "explicit.h5")) == tmp_path / "explicit.h5"


def test_resolve_expands_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_model_path("~/m.h5") == tmp_path / "m.h5"


def test_resolve_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "env.h5"))
    assert resolve_model_path(None) == tmp_path / "env.h5"
    assert resolve_model_path("") == tmp_path / "env.h5"


def test_resolve_bundled(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    bundled = resolve_model_path(None)
    assert bundled == modelio.bundled_model_path()
    assert bundled.name == "digitnet.h5"
    assert bundled.parent.name == "models"
    monkeypatch.setenv(MODEL_ENV, "")
    assert resolve_model_path(None) == bundled


def test_load_model_honours_env_var(tiny_model_path, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(tiny_model_path))
    loaded = load_model()
    assert loaded.path == tiny_model_path
    assert loaded.card["architecture"] == "lenet"


def test_saving_shows_no_numpy_copy_warning_and_lets_others_through(tmp_path, monkeypatch):
    """Keras's HDF5 writer calls np.array on its variables (numpy 2 warns, once per weight): that warning alone is
    silenced, and only while saving."""
    import warnings

    model = build("lenet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_model(model, tmp_path / "m.h5")
        elsewhere = "__array__ implementation doesn't accept a copy keyword (elsewhere)"
        warnings.warn(elsewhere, DeprecationWarning, stacklevel=1)
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == [elsewhere]
    assert load_model(tmp_path / "m.h5").model.count_params() == model.count_params()
