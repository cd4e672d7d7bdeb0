"""Import Keras lazily and quietly.

`--help` must answer at once, so only commands that need a model import Keras
(and with it TensorFlow). The environment variables must be set before the
first import to keep TensorFlow's C++ log lines off the terminal.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

_importing = threading.Lock()  # one import at a time: the early one of `import_keras_early`, or the caller's


def quiet_environment() -> None:
    """Silence TensorFlow's C++ logging unless the user asked for it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")


def keras_installed() -> bool:
    """Whether Keras and its backend (TensorFlow unless $KERAS_BACKEND says otherwise) can be imported, unimported.

    Scanning needs neither (it runs the exported model); training and the Keras fallback of a model without an
    exported copy need both: the `train` extra.
    """
    if "keras" in sys.modules:
        return True
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("keras", backend))
    except (ImportError, ValueError):
        return False


def import_keras() -> Any:
    """Return the keras module, imported with TensorFlow's noise turned down.

    Waits for an import that `import_keras_early` started, rather than racing it.
    """
    with _importing:
        return _import_keras()


def _import_keras() -> Any:
    if "keras" in sys.modules:
        return sys.modules["keras"]
    quiet_environment()
    with _stderr_silenced(os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "3"):
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe logs here, once
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return keras


class EarlyImport:
    """Keras (and TensorFlow) being imported on a thread while the caller does something else.

    While it runs, file descriptor 2 may point at /dev/null (TensorFlow's C++ logs): `wait()` before printing
    anything to stderr, and before ending the process.
    """

    def __init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="import keras", daemon=True)

    @staticmethod
    def _run() -> None:
        try:
            import_keras()
        except BaseException:  # noqa: BLE001 - the caller's own import_keras() meets it again, in its thread
            return

    def start(self) -> EarlyImport:
        self._thread.start()
        return self

    def wait(self) -> None:
        """Until the import has finished (stderr is the terminal again); its errors are left to `import_keras()`."""
        if self._thread.ident is not None:
            self._thread.join()


def import_keras_early() -> EarlyImport:
    """Start importing Keras on a thread, so that a command's listing of its inputs and the import overlap."""
    return EarlyImport().start()


@contextlib.contextmanager
def full_precision() -> Iterator[None]:
    """Float32 matrix products and convolutions computed in full float32 while the block runs.

    On NVIDIA GPUs from Ampere on, TensorFlow and JAX multiply float32 in TF32 (a 10-bit mantissa) by default: a
    model's scores then differ from a CPU's by about 1e-3, ten times the export's parity tolerance (an H200 on JAX:
    up to 1.6e-3 for the classifier, 3.6e-2 for the string reader). A CPU computes the same either way.
    """
    backend = import_keras().backend.backend()
    if backend == "jax":
        import jax

        with jax.default_matmul_precision("float32"):
            yield
    elif backend == "tensorflow":
        import tensorflow as tf

        was = tf.config.experimental.tensor_float_32_execution_enabled()
        tf.config.experimental.enable_tensor_float_32_execution(False)
        try:
            yield
        finally:
            tf.config.experimental.enable_tensor_float_32_execution(was)
    else:
        yield


@contextlib.contextmanager
def _stderr_silenced(enabled: bool) -> Iterator[None]:
    """Point file descriptor 2 at /dev/null: C++ logs bypass Python's sys.stderr."""
    if not enabled:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def accelerator() -> str:
    """Name the device Keras computes on: 'GPU: <name>' or 'CPU'."""
    keras = import_keras()
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"GPU: {details.get('device_name', gpus[0].name)}"
        elif backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform == "gpu":
                return f"GPU: {device.device_kind}"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"GPU: {torch.cuda.get_device_name(0)}"
    except Exception:  # noqa: BLE001 - a broken GPU stack means we compute on the CPU
        return "CPU"
    return "CPU"
