"""The scanner made ready while a command lists its inputs: the model loaded on a thread, the workers' server started.

For one image, start-up is most of the run: the fork server that workers are forked from imports the worker's
stages (OpenCV, Pillow, numpy) in its own process, and the model (ONNX Runtime, or Keras where there is no
exported copy) loads on a thread here, both while the inputs are listed and checked. Nothing is started before
the first file that will be read is found, so a run that fails on its arguments pays for neither.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitscan.model.files import LoadedModel

WORKER_MODULE = "digitscan.scan.pipeline"  # what the fork server imports once for every worker (`prepare_file`'s)
# The workers' numpy on one BLAS thread, as their OpenCV: OpenBLAS's own threads (one per core, in every worker)
# spin on the other workers' cores (a page's cutting alone: 191 against 168 ms of CPU; a whole `eval` of 60 pages:
# 2.5 % less CPU; bench/README.md, 35th and 36th sessions).
WORKER_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


_SERVER_START = threading.Lock()


def one_opencv_thread() -> None:
    """A worker process's OpenCV on one thread: there is a worker per core already, and OpenCV's own threads (one
    per core in every worker) only wait for each other on images this small. Training's workers took twice the CPU
    for the same wall time without it (an epoch's 4,600 samples: 374-392 against 183-188 us a sample, the same
    samples to the bit; bench/README.md, twenty-ninth session)."""
    import cv2

    cv2.setNumThreads(1)


def start_worker_server() -> None:
    """Start the fork server the workers will be forked from, without waiting for it (Linux; elsewhere a no-op).

    It imports `WORKER_MODULE` in its own process, on the other core, while this one goes on; the pool
    (`pipeline._worker_context`, the same server) then forks ready workers from it.

    The server imports it from this process's module path. Python's own start (`python -c`) puts the current
    folder first and ignores the path it is sent (3.11): run from a folder that holds another `digitscan/` (a
    checkout, an older copy), the workers cut digits with that folder's code while this process classified them
    with its own. So the server is started with this path as its PYTHONPATH, and PYTHONSAFEPATH set so that
    nothing is put before it. Python 3.10 has no PYTHONSAFEPATH: there the server imports nothing ahead, and each
    worker imports the stages itself, on the path it is sent (slower to start, the same code). The server's
    environment also holds `WORKER_ENVIRONMENT`, read by numpy's BLAS when the server (or a worker) imports it.
    """
    if not sys.platform.startswith("linux"):
        return
    import multiprocessing.forkserver

    with _SERVER_START:
        server_environment = {
            "PYTHONPATH": os.pathsep.join(entry or os.getcwd() for entry in sys.path),
            "PYTHONSAFEPATH": "1",
            **WORKER_ENVIRONMENT,
        }
        saved = {name: os.environ.get(name) for name in server_environment}
        os.environ.update(server_environment)
        try:
            if sys.version_info >= (3, 11):
                multiprocessing.forkserver.set_forkserver_preload([WORKER_MODULE])
            multiprocessing.forkserver.ensure_running()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class EarlyModel:
    """The scanning model being loaded on a thread (and the worker server starting) while the caller goes on.

    Where the model is a Keras file without an exported copy, TensorFlow is imported on the thread and file
    descriptor 2 may point at /dev/null meanwhile (its C++ logs): `wait()` before printing anything to stderr,
    and before ending the process.
    """

    def __init__(self, model: Path | None, workers: int | None) -> None:
        self._model = model
        self._workers = workers
        self._loaded: LoadedModel | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="load model", daemon=True)

    def start(self) -> EarlyModel:
        if self._workers != 0:
            start_worker_server()
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            from digitscan.model.files import load_for_scanning

            self._loaded = load_for_scanning(self._model)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread by `wait`
            self._error = exc

    def wait(self) -> LoadedModel:
        """The loaded model, once the thread is done; its error, raised here, if loading failed."""
        if self._thread.ident is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        if self._loaded is None:
            raise RuntimeError("EarlyModel.wait() before start()")
        return self._loaded

    def finish(self) -> None:
        """Wait for the thread without asking for its result (on the way out of a failed run)."""
        if self._thread.ident is not None:
            self._thread.join()


def start_early(model: Path | None, workers: int | None) -> EarlyModel:
    """Start loading the scanning model on a thread, and the worker server where there will be workers."""
    return EarlyModel(model, workers).start()
