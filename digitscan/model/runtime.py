"""The exported model as scanning runs it: an ONNX file, checked, then run by ONNX Runtime (no TensorFlow).

An ONNX file is untrusted input like any model file. Before ONNX Runtime sees it, its bytes are walked as plain
protobuf (no `onnx` package needed) and refused unless every node is one of the operators the exporter writes
(`export.py`), in the standard domain, with no subgraphs, no functions, no training info and no weights stored
in other files (external data would make the runtime read any path the file names). ONNX has no embedded code,
and no custom operator library is ever registered. The session is made from the bytes that were checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from digitscan.errors import ModelError

# The operators `export.py` writes; any other is refused (checked on the file's bytes, before the runtime parses it).
ALLOWED_OPS = frozenset({"Transpose", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "BatchNormalization"})
ALLOWED_OPS |= {"Softmax", "Identity", "Reshape"}
ALLOWED_OPS |= {"QuantizeLinear", "DequantizeLinear"}  # an 8-bit export's (`contract.CLASSIFIER_PRECISION`)
STANDARD_DOMAINS = ("", "ai.onnx")
# Threads per ONNX Runtime session: one. Classification runs in the main process while a worker per core cuts
# digits, so a second thread only takes a core from them; alone, on the 2-core machine (digitnet, batches of 512
# MNIST test digits, ONNX Runtime 1.32), one thread read 6,000 digits/s and two 4,600.
SESSION_THREADS = 1

# Protobuf field numbers of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto).
_MODEL_GRAPH, _MODEL_OPSET, _MODEL_TRAINING, _MODEL_FUNCTIONS = 7, 8, 20, 25
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE = 1, 5, 15
_NODE_OP, _NODE_ATTRIBUTE, _NODE_DOMAIN = 4, 5, 7
_ATTR_TENSOR, _ATTR_GRAPH, _ATTR_TENSORS, _ATTR_GRAPHS, _ATTR_SPARSE, _ATTR_SPARSES = 5, 6, 10, 11, 22, 23
_TENSOR_EXTERNAL, _TENSOR_LOCATION = 13, 14
_OPSET_DOMAIN = 1


def _fields(data: bytes | memoryview, path: Path) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of one protobuf message; a value is an int or the bytes of a message."""
    data = memoryview(data)
    out, i, end = [], 0, len(data)

    def varint() -> int:
        nonlocal i
        value = shift = 0
        while True:
            if i >= end or shift > 63:
                raise ModelError(f"{path}: not a readable ONNX file (truncated)")
            byte = data[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while i < end:
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            out.append((number, wire, varint()))
        elif wire == 2:
            size = varint()
            if i + size > end:
                raise ModelError(f"{path}: not a readable ONNX file (truncated)")
            out.append((number, wire, data[i : i + size]))
            i += size
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            out.append((number, wire, None))
        else:
            raise ModelError(f"{path}: not a readable ONNX file (protobuf wire type {wire})")
    if i != end:
        raise ModelError(f"{path}: not a readable ONNX file (truncated)")
    return out


def _text(value: Any) -> str:
    return bytes(value).decode("utf-8", "replace")


def check_onnx(data: bytes, path: Path) -> None:
    """Refuse an ONNX file that holds anything but the exporter's operators and weights stored in it."""
    fields = _fields(data, path)
    graphs = [v for n, w, v in fields if n == _MODEL_GRAPH and w == 2]
    if len(graphs) != 1:
        raise ModelError(f"{path}: not an ONNX model (it has {len(graphs)} graphs)")
    if any(n in (_MODEL_TRAINING, _MODEL_FUNCTIONS) for n, _, _ in fields):
        raise ModelError(f"{path}: refused, it holds functions or training steps (only plain operators are run)")
    for n, w, value in fields:
        if n == _MODEL_OPSET and w == 2:
            domain = next((_text(v) for k, t, v in _fields(value, path) if k == _OPSET_DOMAIN and t == 2), "")
            if domain not in STANDARD_DOMAINS:
                raise ModelError(f"{path}: refused, it needs operators from {domain!r} (custom code)")
    nodes = 0
    for n, w, value in _fields(graphs[0], path):
        if n == _GRAPH_SPARSE:
            raise ModelError(f"{path}: refused, sparse weights are not something digitscan writes")
        if n == _GRAPH_INITIALIZER and w == 2:
            _check_tensor(value, path)
        if n == _GRAPH_NODE and w == 2:
            nodes += 1
            _check_node(value, path)
    if not nodes:
        raise ModelError(f"{path}: not an ONNX model (its graph is empty)")


def _check_node(data: Any, path: Path) -> None:
    fields = _fields(data, path)
    op = next((_text(v) for n, w, v in fields if n == _NODE_OP and w == 2), "")
    domain = next((_text(v) for n, w, v in fields if n == _NODE_DOMAIN and w == 2), "")
    if domain not in STANDARD_DOMAINS:
        raise ModelError(f"{path}: refused, operator {op!r} from domain {domain!r} is custom code")
    if op not in ALLOWED_OPS:
        raise ModelError(f"{path}: refused, operator {op!r} is not one digitscan exports")
    for n, w, value in fields:
        if n != _NODE_ATTRIBUTE or w != 2:
            continue
        for k, t, inner in _fields(value, path):
            if k in (_ATTR_GRAPH, _ATTR_GRAPHS, _ATTR_SPARSE, _ATTR_SPARSES):
                raise ModelError(f"{path}: refused, operator {op!r} carries a subgraph or sparse tensor")
            if k in (_ATTR_TENSOR, _ATTR_TENSORS) and t == 2:
                _check_tensor(inner, path)


def _check_tensor(data: Any, path: Path) -> None:
    for n, w, value in _fields(data, path):
        if n == _TENSOR_EXTERNAL or (n == _TENSOR_LOCATION and w == 0 and value != 0):
            raise ModelError(f"{path}: refused, its weights are stored in another file (external data)")


def onnx_session(data: bytes, threads: int = SESSION_THREADS) -> Any:
    """An ONNX Runtime session on the CPU for model bytes (checked first by the caller)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: warnings about unused initialisers are not the user's business
    return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])


class OnnxModel:
    """An exported model behind the part of the Keras interface the scanner uses (`predict_on_batch`, shapes)."""

    def __init__(self, session: Any, path: Path) -> None:
        self.session = session
        self.path = path
        inputs, outputs = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError(f"{path}: expected a single input and a single output")
        self.input_name, self.output_name = inputs[0].name, outputs[0].name
        self.input_shape = _shape(inputs[0].shape)
        self.output_shape = _shape(outputs[0].shape)
        for what, arg in (("input", inputs[0]), ("output", outputs[0])):
            if arg.type != "tensor(float)":
                raise ModelError(f"{path}: model {what} is {arg.type}, expected tensor(float)")
        self.name = path.stem

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray:
        return self.session.run([self.output_name], {self.input_name: np.ascontiguousarray(x, np.float32)})[0]


def _shape(dims: list[Any]) -> tuple[int | None, ...]:
    return tuple(d if isinstance(d, int) else None for d in dims)


def read_onnx(path: Path) -> bytes:
    """The bytes of an exported file (checksummed by the caller, then given to `open_onnx`)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from None


def open_onnx(data: bytes, path: Path) -> OnnxModel:
    """Check model bytes and open them in ONNX Runtime: the session is made from exactly the bytes checked."""
    check_onnx(data, path)
    try:
        session = onnx_session(data)
    except Exception as exc:  # noqa: BLE001 - any failure inside the runtime is a bad file
        raise ModelError(f"{path}: cannot load model ({type(exc).__name__}: {str(exc).strip()[:300]})") from None
    return OnnxModel(session, path)
