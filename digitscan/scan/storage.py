"""Object storage (`s3://`, `gs://`) for inputs and outputs, through pyarrow's filesystems.

Credentials and endpoints come from the environment as pyarrow reads them (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`; for Google Cloud Storage the application
default credentials), or from the URI's query (`s3://bucket/prefix/?endpoint_override=host:port&scheme=http`).
An object is decoded as a local file would be: it is copied to a temporary file first (`fetched`), so every
decoder, PDFs included, reads it unchanged. An output in object storage is written to a local file and uploaded
when the run ends (`staged_output`). pyarrow comes with the ray extra and is imported only when a URI is used.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from digitscan.errors import InputError, OutputError
from digitscan.scan.options import ScanOptions

if TYPE_CHECKING:
    from digitscan.scan.pipeline import Prepared

SCHEMES = ("s3://", "gs://", "gcs://")  # what pyarrow's `FileSystem.from_uri` opens besides local paths
RAY_EXTRA = "pip install 'digitscan[ray]'"  # Ray, Ray Data and pyarrow (object storage, Parquet)


def is_uri(text: str | os.PathLike[str]) -> bool:
    """Whether `text` names an object in storage rather than a local path."""
    return isinstance(text, str) and text.lower().startswith(SCHEMES)


def _pyarrow_fs() -> Any:
    try:
        import pyarrow.fs
    except ImportError:
        raise OutputError(f"object storage (s3://, gs://) needs pyarrow: {RAY_EXTRA}") from None
    return pyarrow.fs


def open_uri(uri: str, error: type[InputError | OutputError] = InputError) -> tuple[Any, str, str]:
    """(filesystem, path inside it, scheme) for `uri`; `error` (an input's or an output's) if it cannot be opened."""
    fs_module = _pyarrow_fs()
    try:
        fs, path = fs_module.FileSystem.from_uri(uri)
    except (ValueError, OSError) as exc:
        raise error(f"{uri}: cannot open ({exc})") from None
    scheme = uri.split("://", 1)[0]
    return fs, path, scheme


def _rebuild(scheme: str, path: str, query: str) -> str:
    return f"{scheme}://{path}" + (f"?{query}" if query else "")


def list_uri(uri: str) -> list[str]:
    """The image and PDF objects under a prefix (recursive, sorted), the object itself, or a glob's matches.

    As for local inputs, a URI that matches nothing is returned itself, so it is reported as a failed file.
    """
    from digitscan.scan.inputs import INPUT_SUFFIXES

    base_uri, _, query = uri.partition("?")
    fs, path, scheme = open_uri(uri)
    fs_module = _pyarrow_fs()
    pattern = None
    if glob.has_magic(path):
        parts = PurePosixPath(path).parts
        first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
        pattern, path = path, str(PurePosixPath(*parts[:first]))
    try:
        info = fs.get_file_info(path.rstrip("/"))
        if info.type == fs_module.FileType.File and pattern is None:
            return [uri]
        if info.type == fs_module.FileType.NotFound and not base_uri.endswith("/") and pattern is None:
            return [uri]
        listed = fs.get_file_info(fs_module.FileSelector(path.rstrip("/"), recursive=True, allow_not_found=True))
    except OSError as exc:
        raise InputError(f"{uri}: cannot list ({exc})") from None
    found = sorted(
        f.path
        for f in listed
        if f.type == fs_module.FileType.File
        and PurePosixPath(f.path).suffix.lower() in INPUT_SUFFIXES
        and (pattern is None or fnmatch.fnmatchcase(f.path, pattern))
    )
    return [_rebuild(scheme, p, query) for p in found] or [uri]


def expand_any(args: Iterable[str], stdin: Iterable[str] | None = None) -> Iterator[str]:
    """`inputs.expand_inputs` for local paths and object-storage URIs alike, in order, each once (as strings)."""
    from digitscan.scan.inputs import expand_inputs

    seen: set[str] = set()
    for arg in args:
        if arg == "-":
            lines = [line.rstrip("\r\n") for line in (stdin or []) if line.strip()]
            found: Iterable[str] = expand_any(lines, None)
        elif is_uri(arg):
            found = list_uri(arg)
        else:
            found = (str(p) for p in expand_inputs([arg]))
        for name in found:
            if name not in seen:
                seen.add(name)
                yield name


@contextlib.contextmanager
def fetched(uri: str) -> Iterator[Path]:
    """The object copied to a temporary local file (same suffix, so it is decoded by its kind); removed after."""
    fs, path, _ = open_uri(uri)
    suffix = PurePosixPath(path).suffix
    handle, name = tempfile.mkstemp(prefix="digitscan-", suffix=suffix)
    try:
        try:
            with fs.open_input_stream(path) as source, os.fdopen(handle, "wb") as target:
                while chunk := source.read(COPY_CHUNK):
                    target.write(chunk)
        except FileNotFoundError:
            raise InputError("no such object") from None
        except OSError as exc:
            raise InputError(f"cannot read from object storage ({exc})") from None
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


COPY_CHUNK = 1 << 20  # bytes per read when an object is copied: large enough for few round trips, small in memory


def prepare_any(path: str, max_pixels: int = ScanOptions.max_pixels) -> list[Prepared]:
    """`pipeline.prepare_file` for a local path or an object-storage URI (copied to a temporary file first).

    The worker both engines run where inputs may be in object storage (module level: it is pickled by name).
    """
    from digitscan.scan.pipeline import failed, prepare_file

    if not is_uri(path):
        return prepare_file(path, max_pixels)
    try:
        with fetched(path) as local:
            prepared = prepare_file(str(local), max_pixels)
    except InputError as exc:
        return [failed(path, str(exc))]
    for item in prepared:
        item.result.file = path
    return prepared


@contextlib.contextmanager
def staged_output(uri: str, resume: bool) -> Iterator[Path]:
    """A local file to write an object-storage output to, uploaded when the block ends, interrupted or not.

    With `resume`, the object written before is downloaded first, so the writer skips its files as it does for a
    local output. A run killed outright uploads nothing: `--resume` then goes on from the last upload.
    """
    fs, path, _ = open_uri(uri, OutputError)
    name = PurePosixPath(path).name
    if not name:
        raise OutputError(f"{uri}: give an object name for --output, not a prefix")
    fs_module = _pyarrow_fs()
    with tempfile.TemporaryDirectory(prefix="digitscan-out-") as folder:
        local = Path(folder) / name
        try:
            if resume and fs.get_file_info(path).type == fs_module.FileType.File:
                _download(fs, path, local)
            _check_bucket(fs, path, uri)
        except OSError as exc:
            raise OutputError(f"{uri}: cannot use it for the results ({exc})") from None
        try:
            yield local
        finally:
            if local.is_file():
                try:
                    _upload(local, fs, path)
                except OSError as exc:
                    kept = _keep_locally(local)
                    raise OutputError(f"{uri}: cannot upload the results ({exc}); they are in {kept}") from None


def _check_bucket(fs: Any, path: str, uri: str) -> None:
    """The bucket exists: an OutputError now rather than after the whole scan."""
    bucket = path.split("/", 1)[0]
    if fs.get_file_info(bucket).type == _pyarrow_fs().FileType.NotFound:
        raise OutputError(f"{uri}: bucket {bucket} does not exist")


def _keep_locally(local: Path) -> Path:
    """Where results that could not be uploaded are kept: the working folder, under a name not yet taken."""
    target, n = Path.cwd() / local.name, 1
    while target.exists():
        target, n = Path.cwd() / f"{local.stem}-{n}{local.suffix}", n + 1
    shutil.copyfile(local, target)
    return target


def _download(fs: Any, path: str, local: Path) -> None:
    with fs.open_input_stream(path) as source, local.open("wb") as target:
        while chunk := source.read(COPY_CHUNK):
            target.write(chunk)


def _upload(local: Path, fs: Any, path: str) -> None:
    with local.open("rb") as source, fs.open_output_stream(path) as target:
        while chunk := source.read(COPY_CHUNK):
            target.write(chunk)
