"""The Ray engine reads as the local engine does: same results, a killed worker retried, a bad file an error row,
inputs from and Parquet output to object storage (a local S3 server), and the Dataset entry point.

One local Ray instance (2 CPUs, no dashboard) for the module; skipped where Ray is not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'digitscan[ray]')")
pytest.importorskip("ray.data")

from digitscan.scan.options import ScanOptions  # noqa: E402
from digitscan.scan.pipeline import Prepared, Scanner, prepare_file  # noqa: E402
from digitscan.scan.ray_engine import RayScanner, scan_dataset  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(str(p) for p in (ROOT / "samples").iterdir() if p.suffix in (".png", ".jpg"))
PAGES = [str(ROOT / "tests" / "data" / "pages" / name) for name in ("page-001-check.jpg", "page-002-note.jpg")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """Where the local S3 server will listen, with test credentials, in the environment before Ray starts (Ray's
    workers inherit the environment they are started with, as on a cluster's nodes)."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            patch.setenv(key, value)
        yield endpoint


@pytest.fixture(scope="module")
def local_ray(s3_endpoint: str) -> Iterator[None]:
    """A local Ray instance for the module: 2 CPUs, no dashboard; shut down after."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the stand-in workers below, in Ray's workers
    ray.init(num_cpus=2, include_dashboard=False, address="local", log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The samples, two generated pages, a corrupt image and a missing file."""
    folder = tmp_path_factory.mktemp("inputs")
    bad = folder / "corrupt.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    return [*SAMPLES, *PAGES, str(bad), str(folder / "missing.png")]


@pytest.fixture(scope="module")
def local_results(inputs: list[str]) -> list[list[dict]]:
    """What the local engine reads from `inputs`."""
    return records(Scanner(options=ScanOptions(workers=0)).scan_files(inputs))


def records(scanned: Iterator[list]) -> list[list[dict]]:
    return [[result.to_dict() for result in results] for results in scanned]


def test_reads_as_the_local_engine(local_ray: None, inputs: list[str], local_results: list[list[dict]]) -> None:
    read = records(RayScanner().scan_files(inputs))
    assert read == local_results
    assert sum(bool(r["strings"]) for results in read for r in results) >= len(SAMPLES) + len(PAGES) - 1
    errors = {results[0]["file"]: results[0]["error"] for results in read if results[0]["error"]}
    assert set(errors) == set(inputs[-2:])  # the corrupt and the missing file: an error row each, the job goes on
    assert "not an image" in errors[inputs[-2]] and "no such file" in errors[inputs[-1]]


def dies_once(path: str, max_pixels: int) -> list[Prepared]:
    """`prepare_file`, but the worker reading a `die-once*` file kills its own process the first time."""
    name = Path(path)
    if name.name.startswith("die-once"):
        marker = name.with_suffix(".killed")
        if not marker.exists():
            marker.touch()
            os._exit(9)
    if name.name.startswith("die-always"):
        os._exit(9)
    return prepare_file(path, max_pixels)


def test_killed_workers(local_ray: None, tmp_path: Path, local_results: list[list[dict]], inputs: list[str]) -> None:
    """A worker killed mid-run: its task is retried, nothing lost or written twice; a file that kills every worker
    that reads it is read again by the local pool and gets an error row."""
    once = tmp_path / "die-once.png"
    always = tmp_path / "die-always.png"
    shutil.copyfile(SAMPLES[0], once)
    shutil.copyfile(SAMPLES[0], always)
    paths = [*SAMPLES, str(once), str(always)]
    told: list[str] = []
    scanner = RayScanner(worker=dies_once, say=told.append)
    read = records(scanner.scan_files(paths))
    assert (once.with_suffix(".killed")).exists()  # it did die once
    assert [results[0]["file"] for results in read] == paths  # each file once, in order
    assert read[: len(SAMPLES)] == local_results[: len(SAMPLES)]
    assert read[len(SAMPLES)][0]["strings"] == local_results[0][0]["strings"]
    assert read[-1][0]["error"] and "crashed" in read[-1][0]["error"]
    assert scanner.rescanned and str(always) in scanner.rescanned and told


@pytest.fixture
def s3(s3_endpoint: str) -> Iterator[str]:
    """A local S3 server (moto) at `s3_endpoint` with a bucket `scans`; stopped after the test."""
    pytest.importorskip("moto", reason="moto[server] is not installed")
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    port = int(s3_endpoint.rsplit(":", 1)[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="scans")
    try:
        yield s3_endpoint
    finally:
        server.stop()


def test_object_storage_in_and_parquet_out(
    local_ray: None, s3: str, tmp_path: Path, local_results: list[list[dict]]
) -> None:
    """`digitscan scan s3://scans/in/ --engine ray -o s3://scans/out/results.parquet`: the local engine's reading of
    the same files, in the bucket; `--resume` with one more file reads only that one."""
    import boto3
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from digitscan.cli import app

    client = boto3.client("s3", endpoint_url=s3)
    for path in SAMPLES:
        client.upload_file(path, "scans", f"in/sub/{Path(path).name}")
    client.put_object(Bucket="scans", Key="in/notes.txt", Body=b"not an image")
    uris = [f"s3://scans/in/sub/{Path(p).name}" for p in SAMPLES]
    out = "s3://scans/out/results.parquet"
    first = CliRunner().invoke(app, ["scan", *uris[:-1], "--engine", "ray", "-o", out, "-q"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, ["scan", "s3://scans/in/", "--engine", "ray", "-o", out, "--resume"])
    assert again.exit_code == 0, again.output
    assert again.stderr.startswith("1 files · 1 pages") and "3 already done (--resume)" in again.stderr
    copy = tmp_path / "results.parquet"
    copy.write_bytes(client.get_object(Bucket="scans", Key="out/results.parquet")["Body"].read())
    rows = pq.read_table(copy).to_pylist()
    expected = [r for results in local_results[: len(SAMPLES)] for r in results]
    assert [row["file"] for row in rows] == uris  # every file once: the earlier ones kept, the new one added
    assert [{**row, "file": ""} for row in rows] == [{**r, "file": ""} for r in expected]


def test_dataset_entry_point(local_ray: None, local_results: list[list[dict]]) -> None:
    """A Dataset of image bytes in, a Dataset of page rows out, as the local engine reads them."""
    items = [{"path": Path(p).name, "bytes": Path(p).read_bytes()} for p in SAMPLES]
    rows = scan_dataset(ray.data.from_items(items)).take_all()
    expected = {Path(r["file"]).name: r for results in local_results[: len(SAMPLES)] for r in results}
    assert sorted(row["file"] for row in rows) == sorted(expected)
    for row in rows:
        assert _plain(row) == {**expected[row["file"]], "file": row["file"]}


def _plain(value: object) -> object:
    """Ray's rows hold numpy arrays and scalars where the JSON form holds lists and numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
