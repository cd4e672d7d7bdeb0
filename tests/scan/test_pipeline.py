"""digitscan.scan.pipeline: crashing or hanging decoders and interruption never crash a batch or lose a
result; any image goes through the worker stages."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import _random_image, flaky_worker, page_with, save, threads_worker

from digitscan.model.files import bundled_model_path
from digitscan.scan import pipeline
from digitscan.scan.options import ScanOptions
from digitscan.scan.pipeline import (
    MAX_FILES_AHEAD,
    MAX_FILES_PER_TASK,
    MIN_AHEAD_PER_WORKER,
    TASK_SECONDS,
    Scanner,
    files_ahead,
    files_per_task,
)


def test_crashed_and_hung_workers_are_replaced_and_the_batch_goes_on(
    tmp_path: Path, tiny_model, digit_page: Callable[..., np.ndarray]
) -> None:
    names = ["a.png", "crash.png", "b.png", "hang.png", "c.png", "crash2.png", "d.png", "raise.png"]
    for n, name in enumerate(names):
        save(digit_page(n), tmp_path / name)
    paths = [str(tmp_path / name) for name in names]
    started = time.perf_counter()
    results = list(Scanner(tiny_model, ScanOptions(workers=2, timeout_per_file=2.0), worker=flaky_worker).scan(paths))
    assert time.perf_counter() - started < 20  # the hang is cut off at 2 s, not 60
    reference = {r.file: r for r in Scanner(tiny_model, ScanOptions(workers=0)).scan(paths[0:7:2])}
    assert [r.file for r in results] == paths
    for result in results:
        name = Path(result.file).name
        if name.startswith("crash"):
            assert result.error == "decoder crashed (worker exit code 3); worker replaced"
        elif name.startswith("hang"):
            assert result.error is not None and "timed out after 2 s (--timeout-per-file)" in result.error
        elif name.startswith("raise"):
            assert result.error == "internal error: RuntimeError: boom"
        else:
            assert result.error is None and result.text and result.text == reference[result.file].text


def test_a_task_of_many_files_that_crashes_or_hangs_is_read_again_a_file_a_task(
    tmp_path: Path, tiny_model, digit_page: Callable[..., np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fast files go many to a task; where one of them kills its worker or hangs, the others are still read and
    the bad file gets its own error, as if it had been alone."""
    monkeypatch.setattr(pipeline, "TASK_SECONDS", 1000.0)  # every task after the first file as full as it may be
    names = [f"{n:02d}.png" for n in range(10)] + ["crash.png", "10.png", "hang.png", "11.png", "raise.png", "12.png"]
    for n, name in enumerate(names):
        save(digit_page(n % 8), tmp_path / name)
    paths = [str(tmp_path / name) for name in names]
    sizes: list[int] = []
    real = pipeline.files_per_task
    monkeypatch.setattr(pipeline, "files_per_task", lambda *seen: sizes.append(real(*seen)) or sizes[-1])
    options = ScanOptions(workers=2, timeout_per_file=2.0, batch_digits=1)  # a file a batch: many seen early
    started = time.perf_counter()
    results = list(Scanner(tiny_model, options, worker=flaky_worker).scan(paths))
    assert time.perf_counter() - started < 30  # the hang cut off at 2 s twice (in its task, then alone), not 60
    assert [r.file for r in results] == paths
    errors = {Path(r.file).name: r.error for r in results if r.error}
    assert errors.pop("crash.png") == "decoder crashed (worker exit code 3); worker replaced"
    assert "timed out after 2 s (--timeout-per-file)" in errors.pop("hang.png")
    assert errors.pop("raise.png") == "internal error: RuntimeError: boom"
    assert not errors and all(r.strings for r in results if r.error is None)
    assert max(sizes) == MAX_FILES_PER_TASK  # the bad files were read in tasks of many
    reference = {r.file: r.text for r in Scanner(tiny_model, ScanOptions(workers=0)).scan(paths[:8])}
    assert all(r.text == reference[r.file] for r in results[:8])


def test_a_pool_task_reads_about_task_seconds_of_files_at_the_pace_seen_so_far() -> None:
    assert files_per_task(0, 0.0) == 1  # nothing seen yet: a file a task
    assert files_per_task(100, 0.5) == int(TASK_SECONDS / 0.005)  # crops of 5 ms
    assert files_per_task(10, 2.0) == 1  # pages of 0.2 s: a file a task
    assert files_per_task(1000, 0.001) == MAX_FILES_PER_TASK  # files that read nearly nothing: bounded


@pytest.mark.parametrize(
    ("interrupt", "raised"), [("ctrlc", KeyboardInterrupt), ("cinterrupt", SystemError), ("aftermath", RuntimeError)]
)
def test_without_workers_a_failing_file_is_reported_and_ctrl_c_keeps_finished_work(
    tmp_path: Path, tiny_model, digit_page: Callable[..., np.ndarray], interrupt: str, raised: type[BaseException]
) -> None:
    names = ["a.png", "raise.png", "b.png", f"{interrupt}.png", "never.png"]
    for n, name in enumerate(names):
        save(digit_page(n), tmp_path / name)
    scanner = Scanner(tiny_model, ScanOptions(workers=0, batch_digits=10_000), worker=flaky_worker)  # one batch
    got = []
    with pytest.raises(raised):
        for results in scanner.scan_files([str(tmp_path / name) for name in names]):
            got.extend(results)
    assert [Path(r.file).name for r in got] == ["a.png", "raise.png", "b.png"]  # decoded before Ctrl-C: still read
    assert got[0].strings and got[2].strings and got[1].error == "internal error: RuntimeError: boom"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["noise_u8", "noise_float", "noise_u16", "blank", "black", "lines", "blobs"]),
    height=st.integers(1, 300),
    width=st.integers(1, 300),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_image_goes_through_the_worker_stages(kind: str, height: int, width: int, seed: int) -> None:
    """No exception; every box on the page (as the pipeline reports it, in the file's pixels: a small crop is read
    enlarged, a check's amount scanned large shrunk, its writing no shorter than AMOUNT_DIGIT); every 28x28 digit
    finite, in [0, 1]."""
    from digitscan.scan.load import AMOUNT_DIGIT, prepare
    from digitscan.scan.normalise import to_mnist
    from digitscan.scan.pipeline import clip_box
    from digitscan.scan.segment import segment
    from digitscan.scan.straighten import scaled_box

    page = prepare(_random_image(kind, height, width, seed))
    assert page.grey.shape == (round(height * page.scale), round(width * page.scale))
    assert page.scale >= min(1.0, AMOUNT_DIGIT / height)
    assert page.grey.dtype == np.float32 and page.original_size == (width, height)
    assert np.isfinite(page.grey).all() and page.grey.min() >= 0 and page.grey.max() <= 1
    for word in segment(page.grey):
        for box in [word.box, *(c.box for c in word.candidates)]:
            x, y, w, h = scaled_box(box, page.scale)
            assert w >= 1 and h >= 1 and x < width and y < height and x + w > 0 and y + h > 0, (box, width, height)
            cx, cy, cw, ch = clip_box(box, width, height)
            assert cx >= 0 and cy >= 0 and cw >= 1 and ch >= 1 and cx + cw <= width and cy + ch <= height
        for candidate in word.candidates:
            digit = to_mnist(candidate.ink)
            assert digit.shape == (28, 28) and np.isfinite(digit).all()
            assert digit.min() >= 0 and digit.max() <= 1


def test_the_readme_example_runs_verbatim_as_an_unguarded_script(tmp_path: Path) -> None:
    """The README's Python example, saved as a file without a __main__ guard, reads the samples through workers."""
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    api = (root / "README.md").read_text(encoding="utf-8").split("## Python API", 1)[1]
    example = re.search(r"```python\n(.*?)```", api, re.S)
    assert example is not None and "__main__" not in example.group(1)
    script = tmp_path / "example.py"
    script.write_text(example.group(1), encoding="utf-8")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=root, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "error" not in done.stdout.replace("None", "")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("samples/check.png [('1480'") and lines[0].endswith("None")
    assert lines[1].startswith("samples/photo.jpg [('8675309'") and lines[1].endswith("None")


def test_workers_run_this_process_code_even_from_a_folder_holding_another_digitscan(tmp_path: Path) -> None:
    """Run from a folder with a `digitscan/` of its own (a checkout, an older copy), the workers still cut digits
    with the package this process imported: Python 3.11's fork server put the current folder first on its path."""
    import subprocess
    import sys

    shadow = tmp_path / "digitscan" / "scan"
    shadow.mkdir(parents=True)
    (tmp_path / "digitscan" / "__init__.py").write_text("", encoding="utf-8")
    (shadow / "__init__.py").write_text("", encoding="utf-8")
    (shadow / "pipeline.py").write_text(
        "def prepare_file(path, max_pixels=0):\n    raise RuntimeError('the other digitscan ran')\n", encoding="utf-8"
    )
    image = tmp_path / "page.png"
    save(np.full((60, 160), 255, np.uint8), image)
    script = tmp_path / "elsewhere" / "scan_one.py"
    script.parent.mkdir()
    script.write_text(
        "import sys\n"
        "from digitscan.scan.options import ScanOptions\n"
        "from digitscan.scan.pipeline import Scanner\n"
        "options = ScanOptions(workers=1, read_whole=False)\n"
        "print([r.error for r in Scanner(options=options).scan([sys.argv[1]])])\n",
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, str(script), str(image)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[None]", done.stdout


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts a process's threads in /proc")
def test_a_workers_numpy_runs_on_one_thread(tmp_path: Path, tiny_model) -> None:
    """A worker's BLAS starts no threads of its own: there is a worker per core, and OpenBLAS's threads (one per
    core in every worker) spin on the other workers' cores."""
    image = tmp_path / "page.png"
    save(np.full((60, 160), 255, np.uint8), image)
    (result,) = Scanner(tiny_model, ScanOptions(workers=1), worker=threads_worker).scan([str(image)])
    assert result.error == "internal error: RuntimeError: 1 threads"


def test_scanning_frames_each_digit_in_the_read_box_and_in_the_training_box(digits: dict[int, np.ndarray]) -> None:
    """Each candidate goes to the classifier fitted into each of READ_BOXES (18 px, then MNIST's 20)."""
    from digitscan.scan.normalise import BOX, READ_BOX, READ_BOXES
    from digitscan.scan.pipeline import _reading
    from digitscan.scan.segment import segment

    assert READ_BOXES == (READ_BOX, BOX) and READ_BOX < BOX
    page = np.zeros((120, 200), np.float32)
    page[20:104, 30:114] = np.kron(digits[0], np.ones((3, 3))).astype(np.float32) / 255  # one 84 px tall zero
    images = _reading(segment(page)).images
    assert images.ndim == 4 and len(images) >= 1 and images.shape[1:] == (2, 28, 28)
    for framings in images:
        for image, box in zip(framings, READ_BOXES, strict=True):
            rows, cols = np.flatnonzero(image.max(axis=1) > 0.05), np.flatnonzero(image.max(axis=0) > 0.05)
            assert box - 1 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= box + 1


def test_lines_are_numbered_from_0_over_the_lines_that_hold_a_string() -> None:
    from digitscan.results import DigitString
    from digitscan.scan.pipeline import number_lines

    strings = [DigitString(digits=[], box=(0, 0, 1, 1), line=line) for line in (1, 1, 3, 4)]
    assert [s.line for s in number_lines(strings)] == [0, 0, 1, 2]
    assert number_lines([]) == []


def test_workers_run_two_batches_ahead_by_the_files_seen_so_far() -> None:
    least = MIN_AHEAD_PER_WORKER * 2
    assert files_ahead(2, 512, 0, 0) == least  # nothing seen yet
    assert files_ahead(2, 512, 60, 576) == 106  # crops of about ten candidates: 1,024 candidates ahead
    assert files_ahead(2, 512, 3, 800) == least  # pages of hundreds: never fewer than the floor
    assert files_ahead(2, 512, 1000, 10) == MAX_FILES_AHEAD  # files that read nearly nothing: bounded


@pytest.mark.skipif(not bundled_model_path().exists(), reason="no bundled model in this checkout")
def test_a_page_that_reads_nothing_the_likelier_way_up_is_read_turned_only_where_that_is_sure() -> None:
    """An empty register cell scanned large reads nothing upright, and upside down its printed footer reads as seven
    unsure digits: nothing is kept. A reading turned that is sure (`TURNED_ALONE`) is kept, and where the likelier
    turn read something the surer reading wins as before, however unsure both are."""
    from digitscan.results import Digit, DigitString
    from digitscan.scan.assemble import orientation_evidence
    from digitscan.scan.pipeline import TURNED_ALONE, surer_route

    def read(confidence: float, cut: int = 0) -> tuple[int, tuple[float, float, int], list[DigitString]]:
        strings = [DigitString([Digit(c, confidence, (0, 0, 1, 1)) for c in "9597744"], (0, 0, 7, 1), 0)]
        return cut, orientation_evidence(strings), strings

    nothing = (0, orientation_evidence([]), [])
    junk, sure = read(0.1), read(0.9)
    assert junk[1][0] < TURNED_ALONE <= sure[1][0]
    assert surer_route({0: [nothing, junk]}) == []
    assert surer_route({0: [nothing, read(0.1, cut=1)]}) == []
    assert surer_route({0: [nothing, junk, sure]}) == sure[2]
    worse = read(0.05)
    assert surer_route({0: [worse, junk]}) == junk[2]


@pytest.mark.skipif(not bundled_model_path().exists(), reason="no bundled model in this checkout")
def test_a_sticky_note_photographed_sideways_with_two_numbers_on_it_is_read_turned() -> None:
    """Its five digit-sized blobs are too few to be sure which way its writing runs (`straighten.QUARTER_MIN_BLOBS`):
    it is cut both ways, turned first (each blob's nearest neighbour lies below it), and the cut along its writing
    is kept (`assemble.quarter_evidence`). Read only as given, its numbers were cut across ("51")."""
    import csv

    folder = Path(__file__).resolve().parents[1] / "data" / "other_pages"
    path = folder / "turned-sticky-note.jpg"
    with open(folder / "truth.csv", newline="") as f:
        truth = sorted(row["digits"] for row in csv.DictReader(f) if row["file"] == path.name)
    (result,) = Scanner(options=ScanOptions(workers=0)).scan([path])
    assert sorted(s.text for s in result.strings) == truth == ["415", "91"]


def test_two_ways_up_read_about_as_surely_are_told_apart_by_the_way_their_print_stands() -> None:
    """Upside down, a page's 0, 1, 6, 8 and 9 stay digits, and the readers may be a little surer of it than of the
    page upright. Within PRINT_TIE the way up its print stands decides, where PRINT_WAY glyphs or more tell; beyond
    it, or with fewer, the readers do."""
    from digitscan.results import Digit, DigitString
    from digitscan.scan.assemble import PRINT_TIE, PRINT_WAY, orientation_evidence, print_upright
    from digitscan.scan.classify import Scores
    from digitscan.scan.pipeline import surer_route

    def read(text: str, confidence: float, print_way: int) -> tuple[int, tuple[float, float, int], list[DigitString]]:
        strings = [DigitString([Digit(c, confidence, (0, 0, 1, 1)) for c in text], (0, 0, len(text), 1), 0)]
        return 0, orientation_evidence(strings, None, print_way), strings

    upright, turned = read("2622", 0.9, PRINT_WAY), read("2292", 0.95, -PRINT_WAY)
    assert 0 < turned[1][0] - upright[1][0] < PRINT_TIE
    assert surer_route({0: [turned, upright]}) == upright[2]
    assert surer_route({0: [read("2292", 0.95, 0), read("2622", 0.9, PRINT_WAY - 1)]})[0].text == "2292"
    far = read("2622", 0.6, PRINT_WAY)  # beyond the tie
    assert turned[1][0] - far[1][0] > PRINT_TIE and surer_route({0: [turned, far]}) == turned[2]

    printed = np.array([0.95, 0.9, 0.99, 0.2, np.nan, 0.95], np.float32)
    turned_half = np.array([0.1, 0.3, 0.2, 0.97, np.nan, 0.7], np.float32)
    scores = Scores(np.zeros((6, 10), np.float32), np.zeros(6, np.float32), printed, turned_half)
    assert print_upright(scores) == 3 - 1  # the last glyph reads as print either way: no evidence
    assert print_upright(Scores(np.zeros((6, 10), np.float32), np.zeros(6, np.float32))) == 0


def test_a_crop_read_both_as_a_crop_and_as_a_window_keeps_the_surer_reading() -> None:
    """A crop that may be a window cut close around its number or a check's amount of faint strokes is read both
    ways (`load.WINDOW_UNSURE_SHARE`): each way's own choice first (its way up), then the surer of the two; the crop's
    reading, the first, wins a tie, and a way that read nothing loses to one that read something."""
    from digitscan.results import Digit, DigitString
    from digitscan.scan.assemble import orientation_evidence
    from digitscan.scan.pipeline import surer_route

    def read(text: str, confidence: float) -> tuple[int, tuple[float, float, int], list[DigitString]]:
        strings = [DigitString([Digit(c, confidence, (0, 0, 1, 1)) for c in text], (0, 0, len(text), 1), 0)]
        return 0, orientation_evidence(strings), strings

    crop, window = read("6126161818171", 0.6), read("6266887", 0.95)
    assert surer_route({0: [crop], 1: [window]}) == window[2]
    assert surer_route({0: [read("40880", 0.9)], 1: [read("08808", 0.5), read("40880", 0.7)]})[0].text == "40880"
    assert surer_route({0: [window], 1: [read("1111111", 0.95)]}) == window[2]  # a tie: the first way
    assert surer_route({0: [(0, orientation_evidence([]), [])], 1: [crop]}) == crop[2]


def test_a_page_whose_quarter_turn_is_unsure_is_cut_both_ways_and_read_along_its_writing(
    digits: dict[int, np.ndarray], tmp_path: Path
) -> None:
    """Three lines of digits close together, most of them joined in wide pairs: as many blobs have their nearest
    neighbour in the line below as beside them, so the quarter is unsure (`straighten.UNSURE_SHARE`). Cut both
    ways, the cut along its lines is read, not three strings down the page."""
    from digitscan.model.files import load_for_scanning
    from digitscan.scan.load import load_pages
    from digitscan.scan.segment import orientations

    lines = [
        ([3, 5, 4, 7, 2], [40, 70, 160, 190, 280]),  # 35 and 47 joined pairs, 2 alone
        ([6, 8, 9, 3, 4], [60, 90, 180, 210, 300]),
        ([2, 7, 5, 0, 6, 8], [50, 80, 170, 200, 290, 320]),
    ]
    rows = [page_with([digits[d] for d in ds], xs, height=90, width=600, y=17) for ds, xs in lines]
    blank = np.ones((60, 600), np.float32)
    path = save((np.vstack([blank, *rows, blank]) * 255).astype(np.uint8), tmp_path / "pairs.png")
    assert orientations(load_pages(path)[0].grey) == [0, 2, 1, 3]

    (result,) = Scanner(load_for_scanning(None), ScanOptions(workers=0)).scan([path])
    truth = ["35", "47", "2", "68", "93", "4", "27", "50", "68"]
    assert [s.line for s in result.strings] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert all(s.box[3] < 70 for s in result.strings)  # each within its line, none down the page
    assert sum(s.text == t for s, t in zip(result.strings, truth, strict=True)) >= 7, [s.text for s in result.strings]


def test_a_scan_reads_each_word_with_its_kinds_reader_a_cells_a_tight_crops_a_pages(
    tmp_path: Path, digits: dict[int, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A register cell (a crop `EDGE_RULE_MIN` tall or more) goes to the cell reader, a check's amount cut tight to
    the crop reader, a page's words to the page reader; `--cell-reader` names the first."""
    from digitscan.scan.read import StringReader, bundled_reader_path
    from digitscan.scan.segment import EDGE_RULE_MIN

    seen: list[str] = []
    read = StringReader.read

    def spy(self: StringReader, lines: list[np.ndarray], kinds: list[str] | None = None) -> list:
        seen.extend(kinds or [])
        return read(self, lines, kinds)

    monkeypatch.setattr(StringReader, "read", spy)
    glyphs = [digits[2], digits[7]]
    files = {
        "cell": page_with(glyphs, [60, 112], height=EDGE_RULE_MIN + 30, y=30),
        "crop": page_with(glyphs, [10, 62], height=EDGE_RULE_MIN - 6, width=140, y=4),
        "page": page_with(glyphs, [300, 352], height=900, width=1200, y=400),
    }
    scanner = Scanner(options=ScanOptions(workers=0))
    for kind, image in files.items():
        seen.clear()
        (result,) = scanner.scan([save((image * 255).astype(np.uint8), tmp_path / f"{kind}.png")])
        assert result.text == "27" and set(seen) == {kind}, (kind, result.text, seen)
    named = StringReader.for_options(ScanOptions(cell_reader_model=bundled_reader_path()))
    assert named is not None and named.cell_loaded.path == named.loaded.path
    assert StringReader.for_options(ScanOptions(read_whole=False)) is None
