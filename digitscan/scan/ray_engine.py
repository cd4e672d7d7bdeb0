"""The Ray engine: the local engine's stages as a streaming Ray Data pipeline, on one machine or a cluster.

    files (paths or s3:// / gs:// URIs)
      -> prepare tasks (CPU, up to `FILES_PER_TASK` files each): `pipeline.prepare_file`, load, segment, normalise
      -> classifying actors (each loads the model once; a GPU each where the cluster has GPUs):
         `pipeline.classify_files`, the local engine's classify, choose the reading, assemble and flag
      -> each file's results back to this process in input order -> the writer

The stages are the local engine's own functions, so both engines read alike. Ray Data streams: a few blocks are
in flight at a time, so memory stays flat in the number of files. A worker process that dies is retried by Ray
(tasks `TASK_RETRIES` times, actors without limit); results reach the writer only from finished tasks, in order,
once each. A file whose task failed every try (a decoder that kills its process) is read again here by the local
engine's crash-proof pool, which gives it an error row: one bad file never fails the job.

`RayScanner` is the engine `digitscan scan --engine ray` runs (the same `scan_files` as `pipeline.Scanner`);
`scan_dataset` is the entry point for pipelines that already hold a Ray Dataset.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import socket
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from digitscan.errors import DigitscanError
from digitscan.model.files import LoadedModel, load_for_scanning
from digitscan.results import FileResult
from digitscan.scan.options import ScanOptions
from digitscan.scan.pipeline import Scanner, Worker, _safely, classify_files
from digitscan.scan.storage import RAY_EXTRA, is_uri, prepare_any

__all__ = ["RayScanner", "connect", "import_ray", "scan_dataset"]

FILES_PER_TASK = 128  # the most files a prepare task reads: on 2 cores, 800 crops ran at 31/s with 8 a task, 63/s with
# 64, 50/s with 128 (local engine 69/s; a shared machine); on the quiet machine, 10,000 crops (bench/ray_bench.py
# --no-cluster) ran at 0.79 and 0.82 of the local engine with 64, 0.87 and 0.84 with 128, 0.87 with 256; a retry
# reads a task's files again
TASKS_PER_CPU = 4  # fewer files a task where a run is small, so every CPU of the cluster gets this many tasks
CLASSIFY_FILES = 64  # files an actor classifies in one batch: ~512 crop candidates, as the local engine's batch_digits
TASK_RETRIES = 3  # a prepare task whose worker dies is run again this often (Ray's default for tasks; Ray Data's own,
# without limit, would retry a file that kills every worker for ever), then its files are read by the local pool here
BYTES_NAME = "<bytes>"  # the file name of an image given as bytes without a `path` beside it
LOCAL_ADDRESS = "local"  # ray.init's address that starts a new local instance (no --ray-address)
GCS_PORT, CLIENT_PORT = 6379, 10001  # Ray's default ports: a head node's GCS (HOST), its Ray Client server (ray://)
CONNECT_TIMEOUT = 10.0  # seconds to wait for a cluster's address to answer before saying it cannot be reached

Say = Callable[[str], None]


def import_ray() -> Any:
    """Ray, or a `DigitscanError` (exit 2) that says how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise DigitscanError(f"--engine ray needs Ray: {RAY_EXTRA}") from None
    return ray


def connect(address: str | None = None) -> bool:
    """Join the Ray cluster at `address` (`auto`, `host:6379`, `ray://host:10001`), or start a local instance.

    Returns whether this call connected (False: this process was connected already, by its caller). A cluster
    that cannot be reached is a one-line `DigitscanError` (exit 2).
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    try:
        if address in (None, "", LOCAL_ADDRESS):
            ray.init(address=LOCAL_ADDRESS, include_dashboard=False, **quiet)
        else:
            _probe(address)
            ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DigitscanError(f"cannot reach the Ray cluster at {address}: {reason}") from None
    return True


def _probe(address: str) -> None:
    """A TCP connection to the cluster's address, or a `ConnectionError` within `CONNECT_TIMEOUT` seconds.

    `ray.init` itself retries an address nobody answers on for minutes, printing a warning every few seconds.
    """
    if address == "auto":
        return  # the address of a cluster started on this machine, found by Ray (it fails at once when there is none)
    client = address.startswith("ray://")
    host_port = address.removeprefix("ray://").rstrip("/")
    host, _, port = host_port.rpartition(":") if ":" in host_port else (host_port, "", "")
    try:
        number = int(port) if port else (CLIENT_PORT if client else GCS_PORT)
    except ValueError:
        raise ConnectionError(f"no port number in {address!r} (HOST:PORT or ray://HOST:PORT)") from None
    try:
        socket.create_connection((host.strip("[]"), number), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ConnectionError(exc.strerror or str(exc) or type(exc).__name__) from None


def _quiet_data_context(ray: Any) -> Any:
    """Ray Data's context for our datasets: input order kept, no progress bars of its own (the command has one),
    blocks whose tasks failed every retry skipped (their files are read again here, see `RayScanner`)."""
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    context.max_errored_blocks = -1
    for name in ("print_on_execution_start", "enable_operator_progress_bars"):
        if hasattr(context, name):
            setattr(context, name, False)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "progress bars disabled", each run
    return context


def _classify_options(ray: Any) -> dict[str, Any]:
    """Where the classifying actors run: a GPU each where the cluster has GPUs (one actor per GPU), else one per
    node, asking for no CPU, so the prepare tasks keep every core (the local engine classifies in its main
    process beside its workers in the same way)."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return {"compute": ray.data.ActorPoolStrategy(min_size=1, max_size=gpus), "num_gpus": 1}
    nodes = max(1, sum(1 for node in ray.nodes() if node.get("Alive")))
    return {"compute": ray.data.ActorPoolStrategy(min_size=1, max_size=nodes), "num_cpus": 0}


# -- the stages, as Ray runs them ---------------------------------------------------------------------------------


def _prepare_batch(batch: dict[str, np.ndarray], worker: Worker, max_pixels: int) -> dict[str, np.ndarray]:
    """A prepare task: each file's pages (`Prepared`), pickled, named as the caller named the file."""
    out = []
    for name, path in zip(batch.get("name", batch["path"]), batch["path"], strict=True):
        prepared = _safely(worker, str(path), max_pixels)
        for item in prepared:
            item.result.file = str(name)
        out.append(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
    return _with_index(batch, {"prepared": _objects(out)})


def _prepare_bytes(batch: dict[str, np.ndarray], worker: Worker, max_pixels: int) -> dict[str, np.ndarray]:
    """A prepare task over image bytes: each written to a temporary file (named like its `path`, if any) first."""
    names = batch["path"] if "path" in batch else [BYTES_NAME] * len(batch["bytes"])
    out = []
    for name, data in zip(names, batch["bytes"], strict=True):
        suffix = PurePosixPath(str(name)).suffix
        handle, local = tempfile.mkstemp(prefix="digitscan-", suffix=suffix)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(bytes(data))
            prepared = _safely(worker, local, max_pixels)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(local)
        for item in prepared:
            item.result.file = str(name)
        out.append(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
    return _with_index(batch, {"prepared": _objects(out)})


class _Classify:
    """A classifying actor: the model loaded once (as `pipeline.Scanner` loads it), then batches of files."""

    def __init__(self, model: str, options: ScanOptions) -> None:
        from digitscan.scan.classify import Classifier, PrintDetector
        from digitscan.scan.read import StringReader

        self.classifier = Classifier(model, batch_size=options.predict_batch)
        self.reader = StringReader.for_options(options)
        self.detector = PrintDetector.for_options(options)
        self.min_confidence = options.min_confidence

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        pending = [pickle.loads(data) for data in batch["prepared"]]
        read = classify_files(pending, self.classifier, self.min_confidence, self.reader, self.detector)
        results = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in read]
        return _with_index(batch, {"results": _objects(results)})


def _with_index(batch: dict[str, np.ndarray], columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`columns`, with the batch's `index` (input order, for `RayScanner`) where it has one."""
    return {"index": batch["index"], **columns} if "index" in batch else columns


def _objects(items: list[bytes]) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def _pipeline(
    ds: Any,
    prepare: Callable[..., dict[str, np.ndarray]],
    model: str,
    options: ScanOptions,
    worker: Worker,
    per_task: int = FILES_PER_TASK,
) -> Any:
    """`ds` (rows with `index` and the prepare function's columns) through both stages, `per_task` files a task."""
    ray = import_ray()
    with warnings.catch_warnings():  # Ray 2.60 calls a retry count a deprecated "remote arg" and has no other way
        warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")
        prepared = ds.map_batches(
            prepare,
            batch_size=per_task,
            fn_kwargs={"worker": worker, "max_pixels": options.max_pixels},
            max_retries=TASK_RETRIES,
        )
    return prepared.map_batches(
        _Classify,
        batch_size=CLASSIFY_FILES,
        fn_constructor_kwargs={"model": model, "options": options},
        **_classify_options(ray),
    )


def _model_path(model: LoadedModel | str | Path | None) -> tuple[LoadedModel, str]:
    """The model, loaded here (its errors before any cluster work), and the absolute path the actors load it from.

    On a cluster the path must exist on every node: the bundled model does (it is in the package); another model
    must be at the same path everywhere (a shared folder, or the same image).
    """
    loaded = model if isinstance(model, LoadedModel) else load_for_scanning(str(model) if model else None)
    return loaded, str(Path(loaded.path).resolve())


# -- the engine ---------------------------------------------------------------------------------------------------


class RayScanner:
    """`pipeline.Scanner` on Ray: `for results in RayScanner(address="auto").scan_files(paths): ...`.

    Connects (or starts a local instance) on creation, unless this process is connected already. `worker`
    replaces the function run on each file, as for `Scanner` (tests kill workers with it); `say` is told when
    files are read again here after their Ray task failed every try.
    """

    def __init__(
        self,
        model: LoadedModel | str | Path | None = None,
        options: ScanOptions | None = None,
        *,
        address: str | None = None,
        worker: Worker = prepare_any,
        say: Say | None = None,
    ) -> None:
        self.options = options or ScanOptions()
        self.loaded, self.model_path = _model_path(model)
        self.worker = worker
        self.say = say
        self.started = connect(address)
        self.rescanned: list[str] = []  # files whose Ray task failed every try, read again here
        self._fallback: Scanner | None = None

    @property
    def classifier(self) -> Any:
        """What the command line checks the model's outputs on (the actors load the same model)."""
        from types import SimpleNamespace

        return SimpleNamespace(loaded=self.loaded)

    def scan(self, inputs: Iterable[str | Path]) -> Iterator[FileResult]:
        """Results for every page of every input, in input order."""
        for results in self.scan_files(inputs):
            yield from results

    def scan_files(self, inputs: Iterable[str | Path]) -> Iterator[list[FileResult]]:
        """The results of each input file together (one per page), in input order, each file once."""
        ray = import_ray()
        names = [str(p) for p in inputs]
        if not names:
            return
        _quiet_data_context(ray)
        items = [
            {"index": i, "name": name, "path": name if is_uri(name) else os.path.abspath(name)}
            for i, name in enumerate(names)
        ]
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        per_task = max(1, min(FILES_PER_TASK, -(-len(items) // (TASKS_PER_CPU * cpus))))
        ds = ray.data.from_items(items, override_num_blocks=-(-len(items) // per_task))
        rows = _pipeline(ds, _prepare_batch, self.model_path, self.options, self.worker, per_task).iter_rows()
        expected = 0
        for row in rows:
            index = int(row["index"])
            if index < expected:
                continue  # already yielded: never written twice
            yield from self._rescan(names[expected:index])  # files whose block failed every try
            yield pickle.loads(row["results"])
            expected = index + 1
        yield from self._rescan(names[expected:])

    def _rescan(self, names: list[str]) -> Iterator[list[FileResult]]:
        """Files whose Ray task failed every try, read here by the local engine's pool, each in its own process."""
        if not names:
            return
        self.rescanned.extend(names)
        if self.say is not None:
            self.say(f"{len(names)} files whose Ray task failed {TASK_RETRIES + 1} times are read again here")
        if self._fallback is None:
            options = ScanOptions(
                workers=1,
                batch_digits=self.options.batch_digits,
                predict_batch=self.options.predict_batch,
                min_confidence=self.options.min_confidence,
                max_pixels=self.options.max_pixels,
                timeout_per_file=self.options.timeout_per_file,
            )
            self._fallback = Scanner(self.loaded, options, worker=self.worker)
        yield from self._fallback.scan_files(names)

    def close(self) -> None:
        """Leave the Ray instance this scanner started (one it joined is left running)."""
        if self.started:
            import_ray().shutdown()
            self.started = False


def scan_dataset(
    ds: Any,
    model: str | Path | None = None,
    options: ScanOptions | None = None,
    *,
    worker: Worker = prepare_any,
) -> Any:
    """A Ray Dataset of results from a Dataset of files: the entry point for pipelines that already hold one.

    `ds` has a `path` column (local paths every node can read, or `s3://`/`gs://` URIs) or a `bytes` column
    (encoded images; a `path` column beside it names them, else they are `item-N`). The result has a row per page
    as the Parquet output has it (`write.parquet_schema`: file, page, error, width, height, strings); order is
    Ray Data's. Connect first (`ray.init` or `connect`).
    """
    import_ray()
    options = options or ScanOptions()
    _, model_path = _model_path(model)
    columns = ds.columns() or []
    if "bytes" in columns:
        prepare: Callable[..., dict[str, np.ndarray]] = _prepare_bytes
    elif "path" in columns:
        prepare = _prepare_batch
    else:
        raise DigitscanError(f"scan_dataset needs a 'path' or a 'bytes' column; the dataset has {columns}")
    return _pipeline(ds, prepare, model_path, options, worker).flat_map(_page_rows)


def _page_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [result.to_dict() for result in pickle.loads(row["results"])]
