"""`digitscan doctor`: can this machine train and scan, and how to fix what is missing.

Every check is one row: OK, WARN (works, but slower or with less) or FAIL
(something training or scanning needs is broken). Heavy libraries are imported
inside the checks, so a missing or broken TensorFlow, OpenCV, Pillow or model
file becomes a FAIL row with its reason instead of a traceback: a doctor that
crashes on the problem it should diagnose is no use. `run_checks` never raises.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from digitscan import __version__
from digitscan._files import bundled
from digitscan.errors import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from digitscan.cli.ui import Consoles
    from digitscan.model.files import LoadedModel

Status = Literal["OK", "WARN", "FAIL"]
STATUS_STYLE = {"OK": "bold green", "WARN": "bold yellow", "FAIL": "bold red"}

MIN_PYTHON = (3, 10)
# Each library's minimum version and pip package, as in pyproject.toml.
REQUIREMENTS = {
    "TensorFlow": ((2, 16), "tensorflow"),
    "Keras": ((3, 3), "keras"),
    "OpenCV": ((4, 8), "opencv-python-headless"),
    "Pillow": ((10, 0), "pillow"),
}
SPEED_BATCH = 2048  # random digits per timed predict call: big enough to amortise overhead, well under a second
GPU_FIX = "install tensorflow[and-cuda] on a machine with an NVIDIA GPU (pip install 'tensorflow[and-cuda]')"
JAX_GPU_FIX = "install JAX's CUDA build on a machine with an NVIDIA GPU (pip install 'jax[cuda12]')"
TRAIN_FIX = "train one with `digitscan train --install` or pass --model"
TRAIN_EXTRA_FIX = "pip install 'digitscan[train]'"  # TensorFlow, Keras and the exporter: training's side
ONNXRUNTIME_FIX = "pip install 'onnxruntime>=1.19'"


@dataclass(frozen=True)
class DoctorCommand:
    """What `digitscan doctor` was asked to do."""

    model: Path | None = None  # a model to check besides the default one
    as_json: bool = False  # the report as JSON, for scripts and bug reports
    self_test: bool = True  # scan the bundled samples


@dataclass
class Check:
    """One row of the report; `fix` says in one line what to do when it is not OK."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def _ok(name: str, detail: str) -> Check:
    return Check(name, "OK", detail)


def _warn(name: str, detail: str, fix: str) -> Check:
    return Check(name, "WARN", detail, fix)


def _fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, "FAIL", detail, fix)


def _reason(exc: BaseException) -> str:
    """An exception as one line: its type and first line of message."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _version_tuple(version: str) -> tuple[int, ...]:
    """'2.21.0-rc1' -> (2, 21, 0): enough to compare with a minimum, without a packaging dependency."""
    parts = []
    for part in version.split(".")[:3]:
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _pip(library: str, upgrade: bool = False) -> str:
    """The install command for a library at the version digitscan needs."""
    (major, minor), package = REQUIREMENTS[library]
    return f"pip install {'-U ' if upgrade else ''}'{package}>={major}.{minor}'"


def _too_old(library: str, version: str, detail: str) -> Check | None:
    """A FAIL row when `library` is older than digitscan needs, else None."""
    minimum = REQUIREMENTS[library][0]
    found = _version_tuple(version)
    if not found or found >= minimum:
        return None
    return _fail(library, f"{detail}: digitscan needs {minimum[0]}.{minimum[1]} or newer", _pip(library, upgrade=True))


class _Context:
    """What later checks reuse from earlier ones (modules, GPUs, loaded models)."""

    def __init__(self, model: Path | None, self_test: bool) -> None:
        self.model_arg = model
        self.self_test = self_test
        self.keras: Any = None
        self.tf: Any = None
        self.jax: Any = None  # set instead of tf when KERAS_BACKEND=jax
        self.gpus: list[dict[str, Any]] = []  # name, compute_capability, memory
        self.loaded: LoadedModel | None = None  # the model that `digitscan scan` would use, if it loaded
        self.training_rows: set[str] = set()  # rows failed only because training's libraries are not installed


# --- checks --------------------------------------------------------------------------------------------------------


def _python(ctx: _Context) -> Iterator[Check]:
    version = platform.python_version()
    if sys.version_info[:2] < MIN_PYTHON:
        yield _fail("Python", f"{version} ({sys.executable})", "install Python 3.10 or newer")
    else:
        yield _ok("Python", f"{version} ({sys.executable})")
    yield _ok("digitscan", f"{__version__} ({Path(__file__).resolve().parent.parent})")


def _cpu(ctx: _Context) -> Iterator[Check]:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    detail = f"{cores} cores" + (f" ({usable} usable by this process)" if usable != cores else "")
    yield _ok("CPU", f"{detail}, {platform.machine() or 'unknown architecture'}")


def _backend(ctx: _Context) -> Iterator[Check]:
    """Keras and the library it computes with: TensorFlow by default, JAX where KERAS_BACKEND=jax."""
    from digitscan._keras import import_keras

    keras_error: BaseException | None = None
    try:
        ctx.keras = import_keras()  # first: it imports TensorFlow with its C++ logs silenced
        if ctx.keras is None:  # an earlier failed import left None in sys.modules
            import keras  # noqa: F401 - raises the ImportError that says why
    except Exception as exc:  # noqa: BLE001 - a broken install is what we are here to report
        keras_error = exc
    backend = ctx.keras.backend.backend() if ctx.keras is not None else os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        yield _jax(ctx)
    else:
        yield _tensorflow(ctx)
    if keras_error is not None or ctx.keras is None:
        reason = _reason(keras_error) if keras_error else "not importable"
        ctx.keras = None
        if isinstance(keras_error, ImportError) or keras_error is None:
            ctx.training_rows |= {"Keras", "TensorFlow", "GPU"}
        yield _fail("Keras", f"cannot import keras ({reason})", "pip install 'keras>=3.3' 'tensorflow>=2.16'")
        return
    version = getattr(ctx.keras, "__version__", "?")
    detail = f"{version}, backend {backend}"
    if too_old := _too_old("Keras", version, detail):
        yield too_old
    elif backend not in ("tensorflow", "jax"):
        yield _warn(
            "Keras",
            f"{detail}: digitscan is built and tested on the tensorflow and jax backends",
            "set KERAS_BACKEND=tensorflow",
        )
    else:
        yield _ok("Keras", detail)


def _tensorflow(ctx: _Context) -> Check:
    try:
        import tensorflow as tf
    except Exception as exc:  # noqa: BLE001
        if isinstance(exc, ImportError):
            ctx.training_rows |= {"TensorFlow", "GPU"}
        return _fail("TensorFlow", f"cannot import tensorflow ({_reason(exc)})", _pip("TensorFlow"))
    ctx.tf = tf
    version = getattr(tf, "__version__", "?")
    detail = f"{version} (git {tf.version.GIT_VERSION})"
    return _too_old("TensorFlow", version, detail) or _ok("TensorFlow", detail)


def _jax(ctx: _Context) -> Check:
    try:
        import jax
    except Exception as exc:  # noqa: BLE001
        return _fail(
            "JAX",
            f"KERAS_BACKEND=jax but jax does not import ({_reason(exc)})",
            "pip install jax, or unset KERAS_BACKEND to use TensorFlow",
        )
    ctx.jax = jax
    return _ok("JAX", f"{jax.__version__}, default device {jax.default_backend()}")


def _driver_present() -> bool:
    """An NVIDIA driver on this machine (so a missing GPU is a software problem)."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def _nvidia_smi_memory() -> list[str]:
    """Total memory of each GPU by nvidia-smi (TensorFlow reports it only after allocating)."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        done = subprocess.run(
            [exe, "--query-gpu=memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def _tensorflow_gpus(tf: Any) -> tuple[Check, list[dict[str, Any]]]:
    """TensorFlow's CUDA build row, and the GPUs it sees."""
    info = dict(tf.sysconfig.get_build_info())
    if tf.test.is_built_with_cuda():
        cuda, cudnn = info.get("cuda_version", "?"), info.get("cudnn_version", "?")
        caps = info.get("cuda_compute_capabilities") or []
        built_for = f" (built for {', '.join(caps)})" if caps else ""
        build = _ok("CUDA build", f"yes: CUDA {cuda}, cuDNN {cudnn}{built_for}")
    else:
        build = _warn("CUDA build", "no: this TensorFlow runs on the CPU only", GPU_FIX)
    gpus = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device) or {}
        except Exception:  # noqa: BLE001 - details are a nicety; the device is still usable
            details = {}
        gpus.append(
            {"name": details.get("device_name", device.name), "compute_capability": details.get("compute_capability")}
        )
    return build, gpus


def _jax_gpus(jax: Any) -> tuple[Check, list[dict[str, Any]]]:
    """JAX's CUDA plugin row, and the GPUs it sees."""
    try:
        devices = jax.devices("gpu")
    except RuntimeError:  # no GPU backend: a CPU-only jaxlib
        devices = []
    if not devices:
        return _warn("CUDA build", "no: this JAX runs on the CPU only", JAX_GPU_FIX), []
    gpus = []
    for device in devices:
        capability = str(getattr(device, "compute_capability", "") or "")
        parsed = tuple(int(part) for part in capability.split(".") if part.isdigit()) or None
        gpus.append({"name": device.device_kind, "compute_capability": parsed})
    return _ok("CUDA build", f"yes: JAX's CUDA backend ({jax.default_backend()})"), gpus


def _gpu(ctx: _Context) -> Iterator[Check]:
    """CUDA build, visible GPUs, mixed precision and XLA: what makes training fast."""
    if ctx.jax is not None:
        build, gpus = _jax_gpus(ctx.jax)
    elif ctx.tf is not None:
        build, gpus = _tensorflow_gpus(ctx.tf)
    else:
        yield _fail("GPU", "not checked: neither TensorFlow nor JAX imported", "fix the row above first")
        return
    library = "JAX" if ctx.jax is not None else "TensorFlow"
    nvidia = bool(gpus) or _driver_present()
    if not nvidia:  # a CUDA build would not help: recommend it only where there is an NVIDIA GPU to use
        build = _ok("CUDA build", f"not needed: no NVIDIA GPU on this machine ({library} runs on the CPU)")
    yield build
    memory = _nvidia_smi_memory()
    rows = []
    for index, gpu in enumerate(gpus):
        gpu["memory"] = memory[index] if len(memory) == len(gpus) else None
        ctx.gpus.append(gpu)
        text = gpu["name"]
        if gpu["compute_capability"]:
            text += f", compute capability {'.'.join(map(str, gpu['compute_capability']))}"
        if gpu["memory"]:
            text += f", {gpu['memory']}"
        rows.append(text)
    if rows:
        yield _ok("GPU", "; ".join(rows))
    elif nvidia:
        yield _warn(
            "GPU",
            f"an NVIDIA driver is installed but {library} sees no GPU; training runs on the CPU",
            f"install {library}'s CUDA build and check nvidia-smi",
        )
    else:
        yield _warn(
            "GPU",
            "none: training runs on the CPU (slower); scanning is fine on the CPU",
            "to train faster, train on a machine with an NVIDIA GPU",
        )

    # `digitscan train` switches to mixed_float16 on any GPU: fast only with tensor cores (compute capability >= 7.0).
    # On the CPU it is never used, so there is nothing to fix: OK, marked not applicable.
    if not ctx.gpus:
        yield _ok("mixed precision", "not applicable: no GPU, training runs in float32 on the CPU")
    else:
        caps = [tuple(g["compute_capability"]) for g in ctx.gpus if g["compute_capability"]]
        if caps and min(caps) >= (7, 0):
            yield _ok("mixed precision", "available: float16 on tensor cores (compute capability >= 7.0)")
        elif caps:
            low = ".".join(map(str, min(caps)))
            yield _warn(
                "mixed precision",
                f"compute capability {low} < 7.0: mixed_float16 training gains little",
                "use a GPU with compute capability 7.0 or newer (Volta, Turing, Ampere, ...)",
            )
        else:
            yield _warn(
                "mixed precision",
                f"unknown: {library} did not report the GPU's compute capability",
                "check the GPU with nvidia-smi",
            )
    yield _xla(ctx, on_gpu=bool(ctx.gpus))


def _xla(ctx: _Context, on_gpu: bool) -> Check:
    """Compile a tiny function with XLA; `digitscan train` uses jit_compile on a GPU, so there it is needed."""
    try:
        if ctx.jax is not None:
            value = ctx.jax.jit(lambda x: x * 2.0 + 1.0)(ctx.jax.numpy.array([1.0, 2.0])).tolist()
        else:
            double = ctx.tf.function(lambda x: x * 2.0 + 1.0, jit_compile=True)
            value = double(ctx.tf.constant([1.0, 2.0])).numpy().tolist()
        if value != [3.0, 5.0]:
            raise RuntimeError(f"computed {value}, expected [3.0, 5.0]")
    except Exception as exc:  # noqa: BLE001
        if on_gpu:
            return _fail(
                "XLA",
                f"jit_compile fails ({_reason(exc)}); GPU training compiles with XLA",
                "reinstall the CUDA build so its CUDA libraries match",
            )
        return _warn(
            "XLA",
            f"jit_compile fails ({_reason(exc)}); not used for CPU training",
            "reinstall tensorflow if you move to a GPU",
        )
    return _ok("XLA", f"jit_compile works on the {'GPU' if on_gpu else 'CPU'}")


def _roundtrip(encode: Callable[[Any], bytes], decode: Callable[[bytes], Any]) -> str | None:
    """Encode and decode a tiny gradient; None if it came back, else why not."""
    import numpy as np

    image = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))
    try:
        back = decode(encode(image))
    except Exception as exc:  # noqa: BLE001 - a missing codec raises whatever the library raises
        return _reason(exc)
    if back is None or getattr(back, "shape", None) is None or tuple(back.shape[:2]) != image.shape:
        return "decoded to nothing"
    return None


CODECS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tiff", "WebP": ".webp"}


def _opencv(ctx: _Context) -> Iterator[Check]:
    """OpenCV does the segmentation; it also decodes images in other tools, so report its codecs."""
    try:
        import cv2
    except Exception as exc:  # noqa: BLE001
        yield _fail("OpenCV", f"cannot import cv2 ({_reason(exc)})", _pip("OpenCV"))
        return
    version = getattr(cv2, "__version__", "?")
    yield _too_old("OpenCV", version, version) or _ok("OpenCV", version)

    def encode(suffix: str) -> Callable[[Any], bytes]:
        def run(image: Any) -> bytes:
            ok, buffer = cv2.imencode(suffix, image)
            if not ok:
                raise RuntimeError("imencode failed")
            return buffer.tobytes()

        return run

    def decode(data: bytes) -> Any:
        import numpy as np

        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)

    missing = {name: why for name, suffix in CODECS.items() if (why := _roundtrip(encode(suffix), decode))}
    if missing:
        # digitscan decodes its inputs with Pillow, so OpenCV's codecs are a warning, not a failure.
        yield _warn(
            "OpenCV codecs",
            "cannot read " + ", ".join(f"{k} ({v})" for k, v in missing.items()),
            "pip install --force-reinstall opencv-python-headless (its wheels bundle every codec)",
        )
    else:
        yield _ok("OpenCV codecs", "reads " + ", ".join(CODECS))


# Pillow's feature names: PNG needs zlib, compressed TIFF needs libtiff.
PIL_FEATURES = {"JPEG": "jpg", "PNG": "zlib", "TIFF": "libtiff", "WebP": "webp", "AVIF": "avif"}
PIL_REQUIRED = ("JPEG", "PNG")  # the formats of photos and scans; without them scanning is broken


def _pillow_encoder(fmt: str) -> Callable[[Any], bytes]:
    """An image's bytes in `fmt`, as Pillow writes them (TIFF deflated, which exercises libtiff)."""

    def run(image: Any) -> bytes:
        from PIL import Image

        buffer = io.BytesIO()
        extra = {"compression": "tiff_deflate"} if fmt == "TIFF" else {}
        Image.fromarray(image).save(buffer, format=fmt, **extra)
        return buffer.getvalue()

    return run


def _pillow_decode(data: bytes) -> Any:
    """An image's bytes decoded by Pillow (with whatever plugins it has), as grey."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"))


def _pillow(ctx: _Context) -> Iterator[Check]:
    """Pillow decodes every input image, so its codecs decide what `digitscan scan` can read."""
    try:
        import PIL
        from PIL import features
    except Exception as exc:  # noqa: BLE001
        yield _fail("Pillow", f"cannot import PIL ({_reason(exc)})", _pip("Pillow"))
        return
    version = getattr(PIL, "__version__", "?")
    yield _too_old("Pillow", version, version) or _ok("Pillow", version)

    problems: dict[str, str] = {}
    for name, feature in PIL_FEATURES.items():
        try:
            present = bool(features.check(feature))
        except Exception:  # noqa: BLE001 - an unknown feature name in some Pillow version: rely on the round trip
            present = True
        why = _roundtrip(_pillow_encoder(name.upper()), _pillow_decode)
        if not present or why:
            problems[name] = why or f"built without {feature}"
    if not problems:
        yield _ok("Pillow codecs", "reads " + ", ".join(PIL_FEATURES))
        return
    text = "cannot read " + ", ".join(f"{k} ({v})" for k, v in problems.items())
    fix = "pip install --force-reinstall pillow (the PyPI wheels include every codec)"
    if any(name in problems for name in PIL_REQUIRED):
        yield _fail("Pillow codecs", text, fix)
    else:
        yield _warn("Pillow codecs", text + "; such inputs fail, the rest scan", fix)


def _heif(ctx: _Context) -> Iterator[Check]:
    """Phones save their photos as HEIC; pillow-heif decodes them (`scan.heif`), and without it they fail alone."""
    from digitscan.scan import heif

    missing = "HEIC/HEIF photos (phones' default) fail, the rest scan"
    if not heif.register():
        yield _warn("HEIC photos", f"pillow-heif is not installed: {missing}", heif.HEIF_FIX)
        return
    import pillow_heif

    info = pillow_heif.libheif_info()
    if not info.get("decoders"):
        yield _warn("HEIC photos", f"pillow-heif's libheif has no HEVC decoder: {missing}", heif.HEIF_FIX)
        return
    # A build with an HEVC encoder (PyPI's wheels) is checked by a round trip; one without, by its decoder's name.
    why = _roundtrip(_pillow_encoder("HEIF"), _pillow_decode) if info.get("HEIF") else None
    if why:
        yield _warn("HEIC photos", f"pillow-heif cannot round-trip an image ({why}): {missing}", heif.HEIF_FIX)
    else:
        yield _ok("HEIC photos", f"pillow-heif {pillow_heif.__version__} (libheif {info.get('libheif')}) reads them")


def _load(path: Path) -> LoadedModel:
    """The model as `digitscan scan` loads it: its exported copy where there is one."""
    from digitscan.model.files import load_for_scanning

    return load_for_scanning(path)


def _onnxruntime(ctx: _Context) -> Iterator[Check]:
    """The runtime scanning runs the exported models with (no TensorFlow needed)."""
    try:
        import onnxruntime
    except Exception as exc:  # noqa: BLE001
        yield _fail("ONNX Runtime", f"cannot import onnxruntime ({_reason(exc)}): scanning needs it", ONNXRUNTIME_FIX)
        return
    yield _ok("ONNX Runtime", f"{onnxruntime.__version__}, runs the exported models for scanning")


def _describe(loaded: LoadedModel) -> str:
    """A model's card in a few words: architecture, test accuracy, training date."""
    card = loaded.card or {}
    parts = [str(card.get("architecture") or "unknown architecture")]
    accuracy = card.get("test_accuracy")
    if isinstance(accuracy, (int, float)):
        parts.append(f"test accuracy {accuracy:.2%}")
    if card.get("date"):
        parts.append(f"trained {card['date']}")
    if not card:
        parts.append("no model card")
    parts.append(f"{loaded.num_outputs} outputs")
    runs = "runs with Keras (no exported copy)"
    if loaded.runtime == "onnxruntime":  # an export before 8-bit exports was float32 and says nothing
        runs = f"runs through ONNX Runtime in {(card.get('export') or {}).get('precision', 'float32')}"
    return f"{loaded.path}: " + ", ".join(parts) + f"; {runs}"


def _model_row(name: str, path: Path, *, in_use: bool, given: bool) -> tuple[Check, LoadedModel | None]:
    """Find and load one model with the safe loader; a model that is not in use cannot fail the run."""
    from digitscan.errors import DigitscanError

    loaded = None
    if not path.exists():
        detail = f"model file not found: {path}"
        fix = "check the --model path (or $DIGITSCAN_MODEL)" if given else TRAIN_FIX
    else:
        try:
            loaded = _load(path)
        except DigitscanError as exc:
            detail, fix = (
                str(exc),
                "pass a model saved by `digitscan train` (.h5 or .keras)"
                if given
                else ("retrain it with `digitscan train --install`, or pass --model"),
            )
        except Exception as exc:  # noqa: BLE001 - a broken h5py or Keras is a failed check too
            detail, fix = f"{path}: cannot load ({_reason(exc)})", "pip install --force-reinstall h5py keras"
        else:
            if loaded.runtime == "keras":  # scans, but every scan imports TensorFlow: seconds of start-up
                return _warn(name, _describe(loaded), f"digitscan export {path} (scans start faster)"), loaded
            return _ok(name, _describe(loaded)), loaded
    if not in_use:
        return _warn(name, f"{detail} (not used: --model given)", fix), None
    return _fail(name, detail, fix), None


def _models(ctx: _Context) -> Iterator[Check]:
    """The default model, and the --model one if given; the one `digitscan scan` would use decides the exit code."""
    from digitscan.model.files import resolve_model_path

    default = resolve_model_path(None)
    given = resolve_model_path(ctx.model_arg) if ctx.model_arg else None
    if given is not None and given.resolve() == default.resolve():
        given = None  # --model names the default model (e.g. from $DIGITSCAN_MODEL): one row
    row, loaded = _model_row("default model", default, in_use=given is None, given=False)
    yield row
    if given is None:
        ctx.loaded = loaded
        return
    row, ctx.loaded = _model_row("--model", given, in_use=True, given=True)
    yield row


def _reader(ctx: _Context) -> Iterator[Check]:
    """The bundled string readers (crops', pages' words', register cells'), which `scan` runs beside the classifier
    unless told `--no-read-whole`."""
    from digitscan.errors import DigitscanError
    from digitscan.scan.read import (
        StringReader,
        bundled_cell_reader_path,
        bundled_page_reader_path,
        bundled_reader_path,
    )

    try:
        reader = StringReader()
    except DigitscanError as exc:
        fix = "reinstall digitscan, or scan with --no-read-whole (the classifier alone)"
        yield _fail("string reader", str(exc), fix)
        return
    for name, path, loaded in (
        ("string reader", bundled_reader_path(), reader.loaded),
        ("page reader", bundled_page_reader_path(), reader.page_loaded),
        ("cell reader", bundled_cell_reader_path(), reader.cell_loaded),
    ):
        card = loaded.card or {}
        accuracy = card.get("validation_string_accuracy")
        read = f", {accuracy:.1%} of its held-out lines read exactly" if isinstance(accuracy, (int, float)) else ""
        yield _ok(name, f"{path}: {card.get('architecture', 'no model card')}{read}; {loaded.runtime}")


def _print_detector(ctx: _Context) -> Iterator[Check]:
    """The bundled print detector, which `scan` runs on pages' glyphs unless told `--keep-print`."""
    from digitscan.errors import DigitscanError
    from digitscan.scan.classify import PrintDetector, bundled_print_detector_path

    try:
        detector = PrintDetector()
    except DigitscanError as exc:
        yield _fail("print detector", str(exc), "reinstall digitscan, or scan with --keep-print (print read too)")
        return
    card = detector.loaded.card or {}
    taken = card.get("test_taken_for_print")
    said = f", {taken:.1%} of MNIST's test digits taken for print" if isinstance(taken, (int, float)) else ""
    path = bundled_print_detector_path()
    yield _ok("print detector", f"{path}: {card.get('architecture', 'no model card')}{said}; {detector.loaded.runtime}")


def samples_folder() -> Path | None:
    """The bundled samples: inside the package when installed, beside it in a source checkout."""
    expected = bundled("samples", "expected.csv")
    return expected.parent if expected.is_file() else None


def _self_test(ctx: _Context) -> Iterator[Check]:
    """Scan the bundled samples end to end: the one check that exercises every stage together."""
    if not ctx.self_test:
        return
    name = "self-test"
    if ctx.loaded is None:
        yield _warn(name, "skipped: no model loaded", "fix the model row first")
        return
    folder = samples_folder()
    if folder is None:
        yield _warn(
            name,
            "skipped: no samples/expected.csv (not a source checkout)",
            "run it from a source checkout of digitscan",
        )
        return
    try:
        with (folder / "expected.csv").open(newline="") as f:
            expected = {row["file"]: row["digits"].strip() for row in csv.DictReader(f)}
        from digitscan.scan.pipeline import Scanner, ScanOptions

        paths = [folder / file for file in expected]
        read: dict[str, list[str]] = {}
        errors: dict[str, str] = {}
        for result in Scanner(ctx.loaded, ScanOptions(workers=0)).scan(paths):
            key = Path(result.file).name
            if result.error:
                errors[key] = result.error
            read.setdefault(key, []).append(" ".join(s.text for s in result.strings))
    except Exception as exc:  # noqa: BLE001 - the scan itself broke: that is the finding
        yield _fail(name, f"the scan raised {_reason(exc)}", "run `digitscan -v scan samples/` to see where it fails")
        return
    wrong = []
    for file, digits in expected.items():
        got = " ".join(t for t in read.get(file, []) if t)
        if file in errors:
            wrong.append(f"{file}: {errors[file]}")
        elif got != digits:
            shown = got if len(got) <= 40 else got[:39] + "…"  # a bad model can read long noise
            wrong.append(f"{file}: read {shown or 'nothing'!r}, expected {digits!r}")
    detail = f"{len(expected) - len(wrong)} of {len(expected)} samples read correctly"
    if not wrong:
        yield _ok(name, detail)
    else:
        yield _warn(
            name,
            f"{detail} ({'; '.join(wrong)})",
            "the model misreads samples: retrain with `digitscan train --install`",
        )


def _speed(ctx: _Context) -> Iterator[Check]:
    """Digits per second through the model as the scanner runs it: the figure that sizes a batch job."""
    name = "inference speed"
    try:
        import numpy as np

        from digitscan._keras import accelerator
        from digitscan.model.contract import INPUT_SHAPE
        from digitscan.model.fold import fold_batch_norm

        if ctx.loaded is not None and ctx.loaded.runtime == "onnxruntime":
            model = ctx.loaded.model
            batch = np.random.default_rng(0).random((SPEED_BATCH, *INPUT_SHAPE), dtype=np.float32)
            model.predict_on_batch(batch)
            started = time.perf_counter()
            model.predict_on_batch(batch)
            seconds = max(time.perf_counter() - started, 1e-9)
            yield _ok(name, f"{SPEED_BATCH / seconds:,.0f} digits/s on the CPU (ONNX Runtime, as scanning runs it)")
            return
        if ctx.loaded is not None:
            model, what = ctx.loaded.model, ""
        elif ctx.keras is not None:
            from digitscan.model.architectures import build

            model, what = build("digitnet"), " (an untrained digitnet: no model loaded)"
        else:
            yield _fail(name, "not measured: Keras did not import", "fix the Keras row first")
            return
        model = fold_batch_norm(model)
        batch = np.random.default_rng(0).random((SPEED_BATCH, *INPUT_SHAPE), dtype=np.float32)
        model.predict_on_batch(batch)  # warm-up: tracing and graph building are not inference
        started = time.perf_counter()
        model.predict_on_batch(batch)
        seconds = max(time.perf_counter() - started, 1e-9)
        device = accelerator()
    except Exception as exc:  # noqa: BLE001
        yield _fail(name, f"predict failed ({_reason(exc)})", "run `digitscan -v doctor` to see TensorFlow's log")
        return
    yield _ok(name, f"{SPEED_BATCH / seconds:,.0f} digits/s on {device}{what}")


CHECKS: tuple[Callable[[_Context], Iterator[Check]], ...] = (
    _python,
    _cpu,
    _backend,
    _gpu,
    _opencv,
    _pillow,
    _heif,
    _onnxruntime,
    _models,
    _reader,
    _print_detector,
    _self_test,
    _speed,
)


def run_checks(model: Path | None = None, self_test: bool = True) -> list[Check]:
    """Run every check in order; never raises (a check that crashes becomes a FAIL row)."""
    ctx = _Context(Path(model) if model else None, self_test)
    checks: list[Check] = []
    for check in CHECKS:
        try:
            checks.extend(check(ctx))
        except Exception as exc:  # noqa: BLE001 - the doctor reports problems, it does not have them
            label = check.__name__.strip("_").replace("_", " ")
            checks.append(
                _fail(
                    label,
                    f"the check itself failed ({_reason(exc)})",
                    "please report this with `digitscan doctor --json`",
                )
            )
    scanning_works = ctx.loaded is not None and ctx.loaded.runtime == "onnxruntime"
    for c in checks:  # scanning needs no TensorFlow: its absence only costs training
        if scanning_works and c.name in ctx.training_rows and c.status == "FAIL":
            c.status, c.detail, c.fix = "WARN", f"{c.detail}; training needs the train extra", TRAIN_EXTRA_FIX
    return checks


def exit_code(checks: list[Check]) -> ExitCode:
    """0 when the machine can train and scan (warnings allowed), 1 when anything failed."""
    return ExitCode.some_files_failed if any(c.status == "FAIL" for c in checks) else ExitCode.ok


def render(checks: list[Check], as_json: bool = False, console: Console | None = None) -> ExitCode:
    """Print the report (a table, or JSON for scripts) and return the exit code."""
    from rich.console import Console as RichConsole
    from rich.table import Table
    from rich.text import Text

    console = console or RichConsole()
    code = exit_code(checks)
    if as_json:
        payload = {"ok": code == ExitCode.ok, "checks": [asdict(c) for c in checks], "digitscan": __version__}
        console.print_json(data=payload, default=str)
        return code
    table = Table(title="digitscan doctor", title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")  # fold, not ellipsis: paths must stay whole
    table.add_column("fix", style="cyan", overflow="fold")
    for c in checks:
        # Text, not markup: details hold paths and error messages with brackets.
        table.add_row(Text(c.name), Text(c.status, style=STATUS_STYLE[c.status]), Text(c.detail), Text(c.fix))
    console.print(table)
    failed = [c.name for c in checks if c.status == "FAIL"]
    warned = sum(c.status == "WARN" for c in checks)
    if failed:
        verdict = Text(f"Not ready: {len(failed)} failed ({', '.join(failed)}); see the fix column.", style="bold red")
    else:
        note = f" ({warned} warning{'s' * (warned != 1)})" if warned else ""
        if any(c.fix == TRAIN_EXTRA_FIX for c in checks):
            verdict = Text(
                f"Ready to scan{note}; training needs the train extra: {TRAIN_EXTRA_FIX}.", style="bold green"
            )
        else:
            verdict = Text(f"Ready: this machine can train and scan{note}.", style="bold green")
    console.print(verdict)
    return code


def run_doctor(command: DoctorCommand, consoles: Consoles) -> ExitCode:
    """Run every check and print the report; 0 when this machine can train and scan."""
    checks = run_checks(model=command.model, self_test=command.self_test)
    return render(checks, as_json=command.as_json, console=consoles.out)
