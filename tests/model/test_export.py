"""digitscan.model.export and the exported form's loader: the same scores as Keras, and nothing else runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from digitscan.errors import ModelError
from digitscan.model.contract import CLASSIFIER_PRECISION, PRINT_PRECISION, READER_PRECISION, REJECT
from digitscan.model.export import (
    INT8_MOST_DIFFERENT,
    OUTPUT_NAME,
    PARITY_TOLERANCE,
    disagreements,
    export,
    exported_path,
    onnx_bytes,
    sha256,
)
from digitscan.model.files import bundled_model_path, card_path, load_for_scanning, load_model


def _test_digits(mnist_subset) -> np.ndarray:
    """The subset's test digits as the scanner feeds them (through to_mnist)."""
    from digitscan.training.feed import mnist_inputs

    return mnist_inputs(mnist_subset.x_test, True)


def _widest_eight_bit_weight(path: Path) -> int:
    """The largest magnitude of the file's 8-bit weights (0 for a float32 file)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    weights = [numpy_helper.to_array(w) for w in graph.initializer if w.data_type == onnx.TensorProto.INT8]
    return max((int(np.abs(w.astype(np.int16)).max()) for w in weights), default=0)


# An 8-bit weight the CPUs without VNNI cannot overflow on (`export.REDUCE_RANGE`): 255 x 64 x 2 < 32,767.
SEVEN_BITS = 64


def _same_scores(keras_model, exported, x: np.ndarray) -> None:
    expected = np.asarray(keras_model.predict_on_batch(x))
    got = exported.predict_on_batch(x)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.argmax(axis=1), expected.argmax(axis=1))
    assert np.abs(got - expected).max() <= PARITY_TOLERANCE


def test_the_bundled_model_ships_in_both_forms_that_read_every_digit_alike(mnist_subset) -> None:
    """The committed digitnet.onnx is digitnet.h5 in 8 bits: the same argmax on the test digits, scores within a
    few hundredths; and its float32 graph had matched the Keras model's scores within 1e-4 before it was quantized."""
    h5 = bundled_model_path()
    keras_model = load_model(h5).model
    exported = load_for_scanning(h5)
    assert exported.runtime == "onnxruntime" and exported.path == exported_path(h5)
    x = _test_digits(mnist_subset)
    expected, got = np.asarray(keras_model.predict_on_batch(x)), exported.model.predict_on_batch(x)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.995
    assert np.abs(got - expected).max() <= 0.1
    blank = np.zeros((4, 28, 28, 1), np.float32)
    np.testing.assert_array_equal(exported.model.predict_on_batch(blank).argmax(1), np.full(4, REJECT))
    entry = json.loads(card_path(h5).read_text())["export"]
    assert entry["sha256"] == {h5.name: sha256(h5), exported.path.name: sha256(exported.path)}
    assert entry["precision"] == "int8" and entry["float32_max_score_difference"] <= PARITY_TOLERANCE
    assert entry["argmax_differences"] <= INT8_MOST_DIFFERENT * int(entry["measured_on"].split()[0])
    assert 0 < _widest_eight_bit_weight(exported.path) <= SEVEN_BITS  # the same sums on every CPU


def test_the_bundled_classifier_is_in_eight_bits_and_the_readers_and_print_detector_in_float32() -> None:
    """Each committed ONNX file is in its role's precision, as its card says: the classifier's holds 8-bit weights
    (QuantizeLinear/DequantizeLinear pairs), the string readers' and the print detector's none."""
    import onnx

    for card_file in sorted(bundled_model_path().parent.glob("*.card.json")):
        entry = json.loads(card_file.read_text())["export"]
        graph = onnx.load(str(card_file.parent / entry["file"])).graph
        int8 = any(w.data_type == onnx.TensorProto.INT8 for w in graph.initializer)
        quantizing = {"QuantizeLinear", "DequantizeLinear"} & {node.op_type for node in graph.node}
        expected = {"digitnet": CLASSIFIER_PRECISION, "printnet": PRINT_PRECISION}.get(
            card_file.name.split(".")[0], READER_PRECISION
        )
        assert entry["precision"] == expected and int8 == bool(quantizing) == (expected == "int8"), card_file.name


def _trained_like_digitnet():
    """A digitnet with batch-norm statistics far from a fresh one's identity, as a trained model has."""
    from digitscan._keras import import_keras
    from digitscan.model.architectures import build

    keras = import_keras()
    model = build("digitnet")
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            stats = [rng.uniform(0.5, 2, n), rng.normal(0, 0.5, n), rng.normal(0, 0.5, n), rng.uniform(0.2, 3, n)]
            layer.set_weights([s.astype(np.float32) for s in stats])
    return model


@pytest.mark.parametrize("arch", ["lenet", "digitnet"])
def test_export_writes_the_file_beside_the_model_and_records_it_in_the_card(
    arch, tmp_path, mnist_subset, tiny_model_path
):
    from digitscan.model.files import save_model

    if arch == "lenet":
        path = tmp_path / "lenet.h5"
        shutil.copy(tiny_model_path, path)
        shutil.copy(card_path(tiny_model_path), card_path(path))
        model = load_model(path).model
    else:
        model, path = _trained_like_digitnet(), tmp_path / "digitnet.h5"
        save_model(model, path, {"architecture": "digitnet", "test_accuracy": 0.5})
    x = _test_digits(mnist_subset)
    entry = export(model, path, x, "test digits", precision="float32")
    card = json.loads(card_path(path).read_text())
    assert card["export"] == entry
    assert card["architecture"] == arch  # the rest of the card is kept
    assert entry["runtime"] == "onnxruntime" and entry["opset"] == 13 and entry["precision"] == "float32"
    assert entry["sha256"] == {path.name: sha256(path), f"{arch}.onnx": sha256(exported_path(path))}
    loaded = load_for_scanning(path)
    assert loaded.runtime == "onnxruntime"
    _same_scores(model, loaded.model, x)


def test_an_eight_bit_export_is_measured_on_digits_it_was_not_calibrated_on_and_scanning_runs_it(
    exported_copy, mnist_subset
) -> None:
    """A trained classifier (the bundled one; a LeNet of one epoch has too many near ties) in 8 bits."""
    path = exported_copy
    model, x = load_model(path).model, _test_digits(mnist_subset)
    entry = export(model, path, x, "test digits")  # the default precision
    assert entry["precision"] == "int8" and entry["format"].endswith("int8")
    assert entry["measured_on"] == f"{len(x) // 2} test digits"  # every other digit set the ranges
    assert entry["float32_max_score_difference"] <= PARITY_TOLERANCE
    assert entry["argmax_differences"] <= INT8_MOST_DIFFERENT * (len(x) // 2)
    assert 0 < _widest_eight_bit_weight(exported_path(path)) <= SEVEN_BITS  # no CPU's 16-bit pair sums overflow
    loaded = load_for_scanning(path)
    expected, got = np.asarray(model.predict_on_batch(x)), loaded.model.predict_on_batch(x)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.98
    assert 0 < np.abs(got - expected).max() <= 0.2  # 8-bit arithmetic, not the float32 graph


def test_an_eight_bit_file_that_chooses_otherwise_than_the_model_is_not_kept(
    tmp_path, mnist_subset, tiny_model_path, monkeypatch
) -> None:
    import digitscan.model.export as export_module

    monkeypatch.setattr(export_module, "INT8_MOST_DIFFERENT", -1.0)  # no difference is small enough
    path = tmp_path / "lenet.h5"
    shutil.copy(tiny_model_path, path)
    model, x = load_model(path).model, _test_digits(mnist_subset)
    entry = export(model, path, x, "test digits")
    assert entry["precision"] == "float32" and "argmaxes differ" in entry["int8_refused"]
    assert entry["max_score_difference"] <= PARITY_TOLERANCE and entry["measured_on"] == f"{len(x)} test digits"
    _same_scores(model, load_for_scanning(path).model, x)


def test_a_quantizer_that_fails_leaves_the_float32_file_and_says_why(
    tmp_path, mnist_subset, tiny_model_path, monkeypatch
) -> None:
    import digitscan.model.export as export_module

    def broken(data, calibration):
        raise ValueError("no calibration ranges")

    monkeypatch.setattr(export_module, "quantized", broken)
    path = tmp_path / "lenet.h5"
    shutil.copy(tiny_model_path, path)
    model, x = load_model(path).model, _test_digits(mnist_subset)
    entry = export(model, path, x, "test digits", precision="int8")
    assert entry["precision"] == "float32" and "ValueError: no calibration ranges" in entry["int8_refused"]
    _same_scores(model, load_for_scanning(path).model, x)


def test_the_keras_side_of_the_parity_check_computes_in_full_float32(mnist_subset, tiny_model_path) -> None:
    """A GPU multiplies float32 in TF32 unless told not to (scores 1e-3 off the exported file's: a model trained on an
    H200 was refused its export); the check turns that off around the Keras model's scores, and back on after."""
    import tensorflow as tf

    from digitscan.model.export import parity

    class Recording:
        def __init__(self, model) -> None:
            self.model, self.tf32 = model, []

        def predict_on_batch(self, x):
            self.tf32.append(tf.config.experimental.tensor_float_32_execution_enabled())
            return self.model.predict_on_batch(x)

    model = load_model(tiny_model_path).model
    recording = Recording(model)
    assert tf.config.experimental.tensor_float_32_execution_enabled()  # TensorFlow's default
    largest, disagree, _ = parity(recording, onnx_bytes(model), _test_digits(mnist_subset))
    assert recording.tf32 and not any(recording.tf32)
    assert tf.config.experimental.tensor_float_32_execution_enabled()
    assert largest <= PARITY_TOLERANCE and disagree == 0


def test_an_argmax_counts_as_changed_unless_the_two_classes_are_tied_within_the_tolerance() -> None:
    expected = np.array([[0.1, 0.6, 0.3], [0.45, 0.45 + 5e-8, 0.1], [0.2, 0.3, 0.5]], np.float32)
    assert disagreements(expected, expected) == 0
    tie_broken_the_other_way = np.array([[0.1, 0.6, 0.3], [0.45 + 5e-8, 0.45, 0.1], [0.2, 0.3, 0.5]], np.float32)
    assert disagreements(expected, tie_broken_the_other_way) == 0
    changed = np.array([[0.1, 0.3, 0.6], [0.45, 0.45, 0.1], [0.5, 0.3, 0.2]], np.float32)
    assert disagreements(expected, changed) == 2
    # a reader's scores, (N, steps, classes), alike
    assert disagreements(expected[None], changed[None]) == 2


def test_a_layer_the_exporter_does_not_know_is_refused() -> None:
    from digitscan._keras import import_keras

    keras = import_keras()
    layers = keras.layers
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), layers.Conv2D(4, 3), layers.LeakyReLU(), layers.Flatten(), layers.Dense(10)]
    )
    with pytest.raises(ModelError, match="LeakyReLU"):
        onnx_bytes(model)


def test_saving_a_model_removes_the_export_of_the_one_it_replaces(tmp_path, tiny_model_path) -> None:
    from digitscan.model.files import save_model

    path = tmp_path / "m.h5"
    exported_path(path).write_bytes(b"an old export")
    save_model(load_model(tiny_model_path).model, path, {})
    assert not exported_path(path).exists()


@pytest.fixture
def exported_copy(tmp_path) -> Path:
    """A copy of the bundled model in both forms, with its card."""
    h5 = bundled_model_path()
    for source in (h5, exported_path(h5), card_path(h5)):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path / h5.name


def _refused(path: Path) -> str:
    with pytest.raises(ModelError) as info:
        load_for_scanning(path)
    return str(info.value)


def test_an_exported_file_changed_after_export_is_refused(exported_copy) -> None:
    onnx_file = exported_path(exported_copy)
    data = bytearray(onnx_file.read_bytes())
    data[-10] ^= 0x01  # one bit of a weight
    onnx_file.write_bytes(bytes(data))
    assert "does not match its card" in _refused(exported_copy)


def test_an_export_of_another_keras_file_is_refused(exported_copy, tiny_model_path) -> None:
    shutil.copy(tiny_model_path, exported_copy)  # the h5 replaced behind the export's back
    assert "has changed since it was exported" in _refused(exported_copy)


def test_an_export_without_its_record_in_the_card_is_refused(exported_copy) -> None:
    card = json.loads(card_path(exported_copy).read_text())
    del card["export"]
    card_path(exported_copy).write_text(json.dumps(card))
    message = _refused(exported_copy)
    assert "records no export" in message and "digitscan export" in message


def test_an_exported_file_can_be_named_directly(exported_copy) -> None:
    loaded = load_for_scanning(exported_path(exported_copy))
    assert loaded.runtime == "onnxruntime" and loaded.classes[-1] == "several-digits"
    with pytest.raises(ModelError, match="needs the Keras file"):
        load_model(exported_path(exported_copy))


def _with_card(tmp_path: Path, model) -> Path:
    """`model` (an onnx ModelProto) saved as x.onnx with a card that records its sha256, as an export would."""
    path = tmp_path / "x.onnx"
    path.write_bytes(model.SerializeToString())
    card_path(path).write_text(json.dumps({"export": {"sha256": {path.name: sha256(path)}}}))
    return path


def _graph(nodes, initializers=(), opset_domain: str = ""):
    from onnx import TensorProto, helper

    inputs = [helper.make_tensor_value_info("digits", TensorProto.FLOAT, ["batch", 28, 28, 1])]
    outputs = [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", 10])]
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    opsets = [helper.make_opsetid("", 13)] + ([helper.make_opsetid(opset_domain, 1)] if opset_domain else [])
    return helper.make_model(graph, opset_imports=opsets)


def test_an_operator_the_exporter_never_writes_is_refused_before_the_runtime_sees_it(tmp_path) -> None:
    from onnx import helper

    nodes = [helper.make_node("Shape", ["digits"], [OUTPUT_NAME])]
    assert "operator 'Shape'" in _refused(_with_card(tmp_path, _graph(nodes)))


def test_a_custom_operator_domain_is_refused(tmp_path) -> None:
    from onnx import helper

    nodes = [helper.make_node("Relu", ["digits"], [OUTPUT_NAME], domain="com.example")]
    assert "custom code" in _refused(_with_card(tmp_path, _graph(nodes, opset_domain="com.example")))


def test_weights_stored_in_another_file_are_refused(tmp_path) -> None:
    """External data would make the runtime read whatever path the file names."""
    from onnx import TensorProto, helper

    weight = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    weight.data_location = TensorProto.EXTERNAL
    weight.ClearField("float_data")
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "/etc/passwd"
    nodes = [helper.make_node("Identity", ["digits"], [OUTPUT_NAME])]
    assert "external data" in _refused(_with_card(tmp_path, _graph(nodes, [weight])))


def test_a_file_that_is_not_onnx_is_refused(tmp_path) -> None:
    path = tmp_path / "x.onnx"
    path.write_bytes(b"\xff\xff\xff\xff not protobuf")
    card_path(path).write_text(json.dumps({"export": {"sha256": {path.name: sha256(path)}}}))
    assert "not" in _refused(path)


def test_without_an_export_scanning_uses_keras_where_installed_and_says_how_to_export_where_not(
    tiny_model_path, monkeypatch
) -> None:
    import digitscan.model.files as files

    assert load_for_scanning(tiny_model_path).runtime == "keras"
    monkeypatch.setattr(files, "keras_installed", lambda: False)
    message = _refused(tiny_model_path)
    assert "digitscan export" in message and "digitscan[train]" in message
