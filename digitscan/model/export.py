"""The exported copy of a model that scanning runs: an ONNX graph written from the Keras model's weights.

Training keeps the Keras HDF5 file as its format and the source of truth; at the end of every training, fine-tuning
and `digitscan export`, the model is written again beside it (`digitnet.h5` -> `digitnet.onnx`) for ONNX Runtime,
so that `scan` never imports TensorFlow. The graph is built here, layer by layer, from the weights of the known
layer types (anything else is refused): no converter from a model hub, no tracing of TensorFlow graphs, and the
same file on every TensorFlow and Keras version. Batch normalisation is folded first (`fold.py`), so the file holds
the scanner's inference copy. The graph is measured against the Keras model on test digits and refused when the
scores differ by more than `PARITY_TOLERANCE`. A classifier is then quantized to 8 bits (`contract`'s precisions),
ONNX Runtime's static quantization: standard QuantizeLinear/DequantizeLinear pairs around each convolution and dense
layer but the last, which the runtime runs as integer arithmetic at about twice the speed. The 8-bit file is
measured again and kept only when it chooses as the Keras model does (`INT8_MOST_DIFFERENT`), else the float32 graph
is written. The card records the runtime, the opset, the precision, the sha256 of both files and the differences
measured.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from digitscan import __version__
from digitscan._files import atomic_write, write_json
from digitscan.errors import ModelError
from digitscan.model.contract import (
    CLASSIFIER_PRECISION,
    INPUT_SHAPE,
    LINE_SHAPE,
    PRECISIONS,
    PRINT_CLASSES,
    PRINT_PRECISION,
    READER_PRECISION,
)

EXPORT_SUFFIX = ".onnx"
RUNTIME = "onnxruntime"
# ONNX opset of the written graph: 13 has every operator used here with Softmax over the last axis, and is run by
# every ONNX Runtime since 1.8 (2021); nothing newer is needed.
OPSET = 13
IR_VERSION = 7  # the ONNX file format of opset 13 (onnx 1.8); runtimes read older formats, not always newer ones
INPUT_NAME, OUTPUT_NAME = "digits", "scores"  # the graph's one input (N, 28, 28, 1) and one output (N, K)
# The string reader's graph: a line (N, 32, W, 1) in, scores per column step (N, W/4, K) out.
LINE_DIMS, STEP_DIMS = ["batch", LINE_SHAPE[0], "width", 1], ["batch", "steps"]
# The most a score may differ between the Keras model and its export on the test digits (issue #21; float32
# rounding of a reordered sum is about 1e-6): more than this and the export is refused, not written.
PARITY_TOLERANCE = 1e-4
PARITY_BATCH = 1024  # test digits per predict call while measuring
ACTIVATIONS = ("linear", "relu", "softmax")  # what a Conv2D, Dense or Activation layer may apply
# The exported file's precision (`contract`'s, by role). int8: weights per output channel and activations in 8 bits;
# on this project's 2-core CPU (AVX-512 VNNI, ONNX Runtime 1.32, one thread) digitnet classifies 13,600 candidates/s
# against 7,100 in float32 and the string reader 2,760 lines/s against 1,530; `digitscan scan` reads 290 ORAND crops/s
# against 235, and readings move by a few either way where two classes nearly tie (bench/README.md, thirty-eighth
# session). On one without VNNI (AVX2 alone: AMD EPYC, Zen 3) digitnet 7,100 a second against 5,200 (sixtieth).
# Activation ranges are set on every other test image (at most this many), the 99.999th percentile of each tensor's
# values (a stray extreme does not stretch a range); the other half measures the 8-bit file. On the scanner's own
# candidates (ORAND crops and pages: non-digits, both framings) no calibration set or method chosen among MNIST
# train, MNIST test and page candidates, by min-max or percentile (every layer in 8 bits), changed the argmax of more
# or fewer than 0.6-1.0 % of candidates: nearly all near ties between a digit and "not a digit".
CALIBRATION_IMAGES = 1024
# 8-bit weights are kept to 7 bits (ONNX Runtime's `reduce_range`: -64 to 64). An x86 CPU without VNNI (AVX2 alone)
# multiplies 8-bit activations by 8-bit weights in pairs whose sums it holds in 16 bits: 255 x 127 x 2 overflows
# them, 255 x 64 x 2 does not. In full 8 bits the bundled classifier read MNIST test at 99.26 % on such a CPU (AMD
# EPYC, Zen 3) against its float32 graph's 99.42 %, 33 of 5,000 argmaxes otherwise than Keras (on VNNI: 2) and 10
# of 600 ORAND crops otherwise than TensorFlow; in 7 bits 99.42 %, 0 argmaxes, 1 crop, at the same speed, and every
# CPU sums the same numbers (bench/README.md, sixtieth session).
REDUCE_RANGE = True
CALIBRATION_BATCH = 128  # the percentile calibrator needs batches of one size
# The 8-bit file is kept when at most this share of its argmaxes (digits, or a reader's column steps) differ from
# the Keras model's beyond a tie: measured 0.04 % of MNIST test digits (bundled digitnet) and 0.12-0.19 % of the
# bundled readers' steps on lines of MNIST test digits; more is a broken calibration, not rounding (a barely
# trained model's near-even scores fall back to float32 this way: a LeNet of one epoch, 1.2 %).
INT8_MOST_DIFFERENT = 0.005


def _reads_lines(model: Any) -> bool:
    """Whether the Keras model is a string reader (lines in), not a classifier (digits in)."""
    return tuple(model.input_shape[1:]) == LINE_SHAPE


def _role_precision(model: Any) -> str:
    """The precision a model's role is exported at: a string reader's, a print detector's (PRINT_CLASSES outputs;
    a classifier has ten or more) or a classifier's."""
    if _reads_lines(model):
        return READER_PRECISION
    return PRINT_PRECISION if model.output_shape[-1] == len(PRINT_CLASSES) else CLASSIFIER_PRECISION


def exported_path(model_path: Path) -> Path:
    """Where the exported copy of a Keras model file lives: beside it, `.onnx` for its suffix."""
    return model_path.with_suffix(EXPORT_SUFFIX)


def sha256(path: Path) -> str:
    """The file's SHA-256, as the card records it."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def onnx_bytes(model: Any) -> bytes:
    """The ONNX file of a Sequential Keras model built from the layer types scanning knows; ModelError otherwise."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from digitscan._keras import import_keras
    from digitscan.model.fold import fold_batch_norm

    keras = import_keras()
    if not isinstance(model, keras.Sequential):
        raise ModelError(f"cannot export {type(model).__name__} {model.name!r}: only Sequential models are exported")
    shape = tuple(model.input_shape[1:])
    if shape not in (INPUT_SHAPE, LINE_SHAPE):
        raise ModelError(f"cannot export a model whose input is {shape}, not {INPUT_SHAPE} or {LINE_SHAPE}")
    reader = _reads_lines(model)
    graph = _Graph(numpy_helper.from_array, helper.make_node)
    for layer in fold_batch_norm(model).layers:
        graph.add(layer)
    graph.finish(3 if reader else 2)
    outputs = int(model.output_shape[-1])
    dims = LINE_DIMS if reader else ["batch", *INPUT_SHAPE]
    inputs = [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, dims)]
    result = [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [*STEP_DIMS, outputs][3 - graph.rank :])]
    onnx_graph = helper.make_graph(graph.nodes, model.name, inputs, result, initializer=graph.weights)
    exported = helper.make_model(
        onnx_graph,
        producer_name="digitscan",
        producer_version=__version__,
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    exported.ir_version = IR_VERSION
    onnx.checker.check_model(exported, full_check=True)
    return exported.SerializeToString()


class _Graph:
    """ONNX nodes for Keras layers in order, tracking the layout: NCHW while 4-D (ONNX's convolutions), else 2-D."""

    def __init__(self, tensor: Callable[..., Any], node: Callable[..., Any]) -> None:
        self._tensor, self._node = tensor, node
        self.nodes: list[Any] = []
        self.weights: list[Any] = []
        self.last = INPUT_NAME
        self.rank = 4
        self._emit("Transpose", [self.last], perm=[0, 3, 1, 2])  # NHWC (the contract) -> NCHW

    def _emit(self, op: str, inputs: list[str], **attributes: Any) -> None:
        output = f"{op.lower()}_{len(self.nodes)}"
        self.nodes.append(self._node(op, inputs, [output], name=output, **attributes))
        self.last = output

    def _weight(self, name: str, value: np.ndarray, dtype: type = np.float32) -> str:
        name = f"{name}_{len(self.weights)}"
        self.weights.append(self._tensor(np.ascontiguousarray(value, dtype), name))
        return name

    def add(self, layer: Any) -> None:
        kind, config = type(layer).__name__, layer.get_config()
        weights = [w.numpy() for w in layer.weights]
        if kind in ("InputLayer", "Dropout"):
            return
        if kind == "Conv2D" and self.rank == 4:
            self._conv(config, weights)
        elif kind == "MaxPooling2D" and self.rank == 4 and config.get("data_format") in (None, "channels_last"):
            self._emit("MaxPool", [self.last], **_window(config["pool_size"], config["strides"], config["padding"]))
        elif kind == "Flatten" and self.rank == 4:
            self._emit("Transpose", [self.last], perm=[0, 2, 3, 1])  # Keras flattens NHWC order
            self._emit("Flatten", [self.last], axis=1)
            self.rank = 2
        elif kind == "Reshape" and self.rank == 4 and len(config["target_shape"]) == 2:
            # (N, 1, T, K) -> (N, T, K): the reader's column steps; Keras reshapes in NHWC order
            self._emit("Transpose", [self.last], perm=[0, 2, 3, 1])
            shape = self._weight("shape", np.array([0, *config["target_shape"]]), np.int64)
            self._emit("Reshape", [self.last, shape])
            self.rank = 3
        elif kind == "Dense" and self.rank == 2:
            bias = weights[1] if config.get("use_bias", True) else np.zeros(config["units"], np.float32)
            self._emit("Gemm", [self.last, self._weight("kernel", weights[0]), self._weight("bias", bias)])
            self._activation(config.get("activation"), layer)
        elif kind == "BatchNormalization" and config.get("axis") in (-1, self.rank - 1, [-1], [self.rank - 1]):
            self._batch_norm(config, {w.path.rsplit("/", 1)[-1]: w.numpy() for w in layer.weights})
        elif kind == "ReLU" and not any(config.get(k) for k in ("max_value", "negative_slope", "threshold")):
            self._emit("Relu", [self.last])
        elif kind == "Activation":
            self._activation(config.get("activation"), layer)
        elif kind == "Softmax" and config.get("axis") in (-1, self.rank - 1):
            self._activation("softmax", layer)
        else:
            raise ModelError(f"cannot export layer {layer.name!r} ({kind}) as it is configured: not a known layer")

    def _conv(self, config: dict[str, Any], weights: list[np.ndarray]) -> None:
        if config.get("data_format") not in (None, "channels_last") or config.get("groups", 1) != 1:
            raise ModelError(f"cannot export convolution {config.get('name')!r}: channels-last, ungrouped only")
        kernel = weights[0].transpose(3, 2, 0, 1)  # Keras HWIO -> ONNX OIHW
        bias = weights[1] if config.get("use_bias", True) else np.zeros(config["filters"], np.float32)
        window = _window(config["kernel_size"], config["strides"], config["padding"])
        window["dilations"] = list(config.get("dilation_rate", (1, 1)))
        window["kernel_shape"] = window.pop("kernel_shape")
        self._emit("Conv", [self.last, self._weight("kernel", kernel), self._weight("bias", bias)], **window)
        self._activation(config.get("activation"), None)

    def _batch_norm(self, config: dict[str, Any], values: dict[str, np.ndarray]) -> None:
        mean, variance = values["moving_mean"], values["moving_variance"]
        gamma, beta = values.get("gamma", np.ones_like(mean)), values.get("beta", np.zeros_like(mean))
        names = [self._weight(n, v) for n, v in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", variance))]
        self._emit("BatchNormalization", [self.last, *names], epsilon=float(config["epsilon"]))

    def _activation(self, name: Any, layer: Any) -> None:
        if name not in ACTIVATIONS:
            raise ModelError(f"cannot export activation {name!r}{f' of {layer.name!r}' if layer else ''}")
        if name == "relu":
            self._emit("Relu", [self.last])
        elif name == "softmax":
            self._emit("Softmax", [self.last], axis=1 if self.rank == 4 else -1)  # channels: axis 1 in NCHW

    def finish(self, rank: int) -> None:
        if self.rank != rank:
            raise ModelError("cannot export a model whose output is not (N, K) scores, or (N, T, K) for a reader")
        self.nodes.append(self._node("Identity", [self.last], [OUTPUT_NAME], name=OUTPUT_NAME))


def _window(size: Any, strides: Any, padding: str) -> dict[str, Any]:
    """Kernel, strides and padding of a Keras 2-D window as ONNX attributes ('same' pads at the end, as Keras)."""
    size = [size, size] if isinstance(size, int) else list(size)
    strides = size if strides is None else ([strides, strides] if isinstance(strides, int) else list(strides))
    attributes: dict[str, Any] = {"kernel_shape": size, "strides": strides}
    if padding == "same":
        attributes["auto_pad"] = "SAME_UPPER"
    elif padding != "valid":
        raise ModelError(f"cannot export padding {padding!r}")
    return attributes


def _inputs(images: np.ndarray) -> np.ndarray:
    """Digits (N, 28, 28) or lines (N, 32, W), with or without their channel, as the graph's float32 input."""
    x = np.asarray(images, np.float32)
    return x.reshape(-1, *INPUT_SHAPE) if x.shape[1:3] == INPUT_SHAPE[:2] else x.reshape(*x.shape[:3], 1)


def parity(model: Any, data: bytes, images: np.ndarray) -> tuple[float, int, int]:
    """The largest score difference between the Keras model and the exported file, how many argmaxes differ
    (`disagreements`), and of how many (digits (N, 28, 28): one each; a reader's lines (N, 32, W) of one width:
    one per column step)."""
    from digitscan._keras import full_precision
    from digitscan.model.runtime import onnx_session

    session = onnx_session(data)
    largest, disagree, argmaxes = 0.0, 0, 0
    with full_precision():  # the exported file computes in full float32 (a GPU's TF32 would differ)
        for start in range(0, len(images), PARITY_BATCH):
            x = _inputs(images[start : start + PARITY_BATCH])
            expected = np.asarray(model.predict_on_batch(x))
            got = session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
            largest = max(largest, float(np.abs(expected - got).max(initial=0.0)))
            disagree += disagreements(expected, got)
            argmaxes += expected[..., 0].size
    return largest, disagree, argmaxes


def disagreements(expected: np.ndarray, got: np.ndarray) -> int:
    """How many of the exported file's argmaxes differ from the Keras model's beyond a tie: the class it chose scores,
    by the Keras model, more than `PARITY_TOLERANCE` under the Keras model's choice. Two classes within float
    rounding of each other (a barely trained reader's blank and digit, 5e-8 apart) are a tie either may break."""
    chosen = np.take_along_axis(expected, got.argmax(axis=-1)[..., None], axis=-1)[..., 0]
    return int((chosen < expected.max(axis=-1) - PARITY_TOLERANCE).sum())


def quantized(data: bytes, calibration: np.ndarray) -> bytes:
    """The float32 graph `data` in 8 bits (QDQ, weights per output channel), its activation ranges set on
    `calibration` (images as `parity` takes them)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    graph = onnx.load_from_string(data)
    weighted = [node.name for node in graph.graph.node if node.op_type in ("Conv", "Gemm")]
    # The scores' own layer and the softmax stay float32: in 8 bits a probability moves in steps of 1/255, and a
    # 4-digit amount read at 0.999 a digit came out at 0.98 (ORAND crops read at 0.99 or more: 239 -> 109 of 600)
    in_float = weighted[-1:] + [node.name for node in graph.graph.node if node.op_type == "Softmax"]
    x = _inputs(calibration)
    batch = min(CALIBRATION_BATCH, len(x))
    batches = iter([{INPUT_NAME: x[i : i + batch]} for i in range(0, len(x) - batch + 1, batch)])

    class Batches(CalibrationDataReader):
        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(batches, None)

    with tempfile.TemporaryDirectory(prefix="digitscan-int8-") as tmp, _quietly():
        target = Path(tmp) / "int8.onnx"
        quantize_static(
            graph,
            target,
            Batches(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            nodes_to_exclude=in_float,
            reduce_range=REDUCE_RANGE,
        )
        return target.read_bytes()


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """ONNX Runtime's quantizer prints its progress and logs advice on the root logger: kept out of a command's
    output."""
    before = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(before)


def export(
    model: Any, model_path: Path, images: np.ndarray, measured_on: str, precision: str | None = None
) -> dict[str, Any]:
    """Write `model` (already saved at `model_path`, with its card) as ONNX beside it, and record it in the card.

    `images` (N, 28, 28) or (N, 28, 28, 1) in [0, 1] are the test digits the two forms are compared on;
    `measured_on` says what they are. Returns the card's `export` entry. Refused (ModelError, nothing written)
    when the float32 graph's scores differ by more than `PARITY_TOLERANCE` or an argmax differs beyond a tie
    (`disagreements`). At `precision` int8 (None: the role's, `contract.CLASSIFIER_PRECISION`,
    `READER_PRECISION` or `PRINT_PRECISION`) the 8-bit file is written where it passes `INT8_MOST_DIFFERENT` on the
    half of `images` it was not calibrated on; the card says why where it did not.
    """
    import onnx
    import onnxruntime

    if precision is None:
        precision = _role_precision(model)
    if precision not in PRECISIONS:
        raise ModelError(f"no export precision {precision!r}: one of {', '.join(PRECISIONS)}")
    if len(images) == 0:
        raise ModelError(f"{model_path}: no test digits to measure the export on")
    data = onnx_bytes(model)
    largest, disagree, _ = parity(model, data, images)
    if largest > PARITY_TOLERANCE or disagree:
        raise ModelError(
            f"{model_path}: export refused: its scores differ from the Keras model's by up to {largest:.2e} "
            f"(tolerance {PARITY_TOLERANCE:g}) and {disagree} of {len(images)} readings differ"
        )
    written, measured, kept = data, len(images), {"precision": "float32"}
    if precision == "int8" and len(images) >= 2:
        held_out = images[1::2]
        try:
            int8 = quantized(data, images[0::2][:CALIBRATION_IMAGES])
        except Exception as exc:  # noqa: BLE001 - the 8-bit copy only speeds scanning up; float32 serves without it
            kept["int8_refused"] = f"the quantizer failed: {type(exc).__name__}: {exc}"
        else:
            largest8, disagree8, argmaxes = parity(model, int8, held_out)
            if disagree8 <= INT8_MOST_DIFFERENT * argmaxes:
                kept = {"precision": "int8", "float32_max_score_difference": float(f"{largest:.3g}")}
                written, measured, largest, disagree = int8, len(held_out), largest8, disagree8
            else:
                refused = f"{disagree8} of {argmaxes} argmaxes differ (at most {INT8_MOST_DIFFERENT:.1%})"
                kept["int8_refused"] = refused
    target = exported_path(model_path)
    with atomic_write(target) as tmp:
        tmp.write_bytes(written)
    entry = {
        "runtime": RUNTIME,
        "file": target.name,
        "format": f"ONNX opset {OPSET}, batch normalisation folded, {kept['precision']}",
        "opset": OPSET,
        **kept,
        "versions": {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "sha256": {model_path.name: sha256(model_path), target.name: hashlib.sha256(written).hexdigest()},
        "max_score_difference": float(f"{largest:.3g}"),
        "argmax_differences": disagree,
        "measured_on": f"{measured} {measured_on}",
    }
    from digitscan.model.files import card_path

    card_file = card_path(model_path)
    try:
        card = json.loads(card_file.read_text()) if card_file.exists() else {}
    except (OSError, ValueError):
        card = {}
    card["export"] = entry
    write_json(card_file, card)
    return entry
