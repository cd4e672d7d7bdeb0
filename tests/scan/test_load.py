"""digitscan.scan.load: decoding pages, the pixel limit, unreadable files, the desk around a page."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image
from support import interrupt_in_c_code, page_with, png_header_only, save

from digitscan.errors import InputError, is_interrupt


@pytest.mark.parametrize("layout", ["two-tone check", "page on a desk"])
def test_load_drops_a_desk_but_not_a_darker_band_of_the_paper(digits: dict[int, np.ndarray], layout: str) -> None:
    """A check printed in two tones has its amount on the darker band: that band is paper, and its ink is kept.
    A page photographed on a desk has a dark surround with no writing on it: that is dropped."""
    import cv2

    from digitscan.scan.load import prepare

    written = page_with([digits[2], digits[3], digits[1]], [40, 110, 180], height=120, width=300)  # paper 1, ink 0
    if layout == "two-tone check":
        grey = written * 0.55  # the amount sits on a grey band...
        grey[:25] = np.maximum(grey[:25], 0.85)  # ...under a light strip across the top
        ink = written < 0.3
        ink[:25] = False
    else:
        grey = np.full((240, 420), 0.2, np.float32)  # a dark desk around the page, on all sides
        grey[60:180, 60:360] = written * 0.9
        ink = np.zeros(grey.shape, bool)
        ink[60:180, 60:360] = written < 0.3
    flat = prepare((grey * 255).astype(np.uint8)).grey
    zoom = flat.shape[0] / grey.shape[0]  # a small photo of a page on a desk is a window: enlarged, read as a page
    ink = cv2.resize(ink.view(np.uint8), flat.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
    assert ink.sum() > 200
    kept = float((flat[ink] < 0.6).mean())
    assert kept > 0.9, kept  # the digits' strokes are still there to read
    if layout == "page on a desk":
        desk = round(40 * zoom)
        assert (flat[:desk] == 1.0).all() and (flat[:, :desk] == 1.0).all()  # the desk became blank paper


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_large_jpeg_decoded_at_reduced_scale_keeps_the_page_geometry(tmp_path, orientation: int) -> None:
    """JPEG draft decoding (1/2 scale here) gives the page a full decode would, boxes still in the file's pixels."""
    from PIL import Image, ImageOps

    from digitscan.scan.load import load_pages, prepare, to_grey

    rng = np.random.default_rng(0)
    pixels = np.full((1200, 4400, 3), 235, np.uint8)
    pixels[300:900, 1000:1400] = 20  # a dark block to find again
    pixels = (pixels.astype(np.int16) + rng.integers(-8, 8, pixels.shape)).clip(0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    Image.fromarray(pixels).save(path, quality=92, exif=exif)

    (page,) = load_pages(path)
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image)
        full = prepare(to_grey(upright))  # decoded in full, then shrunk
    expected_size = (4400, 1200) if orientation == 1 else (1200, 4400)
    assert page.original_size == full.original_size == expected_size
    assert page.scale == pytest.approx(full.scale) and page.grey.shape == full.grey.shape
    assert np.abs(page.grey - full.grey).mean() < 0.02  # the same picture, within JPEG scaling differences
    dark = np.argwhere(page.grey < 0.5)
    centre = dark.mean(axis=0) / page.scale  # (row, column) in the file's upright pixels
    assert centre == pytest.approx((600, 1200) if orientation == 1 else (1200, 600), abs=6)


@given(
    pixels=hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=60)),
    q=st.floats(0, 100),
)
@settings(max_examples=200, deadline=None)
def test_the_histogram_percentile_equals_numpys(pixels: np.ndarray, q: float) -> None:
    from digitscan.scan.load import percentile_uint8

    assert percentile_uint8(pixels, q) == pytest.approx(float(np.percentile(pixels, q)), abs=1e-9)


def test_bomb_is_refused_from_the_header_fast_and_the_limit_is_settable(tmp_path: Path) -> None:
    from digitscan.scan.load import load_pages

    bomb = tmp_path / "bomb.png"
    png_header_only(bomb, 20_000, 20_000)
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"20000x20000 = 400,000,000 pixels.*--max-pixels"):
        load_pages(bomb)
    assert time.perf_counter() - started < 0.5
    small = save(np.full((100, 100), 255, np.uint8), tmp_path / "small.png")
    assert load_pages(small, max_pixels=10_000)
    with pytest.raises(InputError, match="over the limit of 9,999"):
        load_pages(small, max_pixels=9_999)
    frames = [Image.new("L", (50, 50), 255), Image.new("L", (500, 500), 255)]  # only page 2 is too large
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match="500x500"):
        load_pages(tmp_path / "pages.tif", max_pixels=100_000)


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads everything, so the denial is simulated there; elsewhere chmod does it for real."""
    from digitscan.scan import load

    path = save(np.full((20, 20), 255, np.uint8), tmp_path / "secret.png")
    if os.geteuid() == 0:

        def denied(*args: object, **kwargs: object) -> Image.Image:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(load.Image, "open", denied)
    else:
        path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        load.load_pages(path)


def test_every_page_of_a_pdf_is_rendered_at_300_dpi_as_a_page_of_the_file(tmp_path: Path) -> None:
    from support import save_pdf

    from digitscan.scan.load import load_pages

    page = np.full((200, 600), 255, np.uint8)
    page[50:150, 100:120] = 0  # a bar near the left edge; the second page has it near the right
    pdf = save_pdf([page, page[:, ::-1]], tmp_path / "statement.pdf")
    first, second = load_pages(pdf)
    assert (first.index, second.index) == (0, 1)
    assert first.original_size == second.original_size == (600, 200)  # 2 x 2/3 inch at 300 dpi
    assert first.grey[100, 110] < 0.2 and first.grey[100, 490] > 0.8
    assert second.grey[100, 110] > 0.8 and second.grey[100, 490] < 0.2


def test_a_pdf_page_over_max_pixels_is_refused_and_a_broken_or_encrypted_pdf_is_named(tmp_path: Path) -> None:
    from support import encrypted_pdf, save_pdf

    from digitscan.scan.load import load_pages

    pdf = save_pdf([np.full((200, 600), 255, np.uint8)], tmp_path / "big.pdf")
    with pytest.raises(InputError, match=r"page 0 at 300 dpi: image is 600x200 = 120,000 pixels, over the limit"):
        load_pages(pdf, max_pixels=100_000)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    with pytest.raises(InputError, match=r"^broken PDF: "):
        load_pages(broken)
    with pytest.raises(InputError, match=r"^encrypted PDF \(it needs a password\)"):
        load_pages(encrypted_pdf(tmp_path / "locked.pdf"))
    (tmp_path / "notes.png").write_text("plain text\n")
    with pytest.raises(InputError, match=r"^not an image"):
        load_pages(tmp_path / "notes.png")


def test_an_interrupt_inside_the_decoder_is_not_taken_for_an_unreadable_file(
    tmp_path: Path, digit_page: Callable[..., np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from digitscan.scan import load

    save(digit_page(0), tmp_path / "p.png")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise interrupt_in_c_code()

    monkeypatch.setattr(load.Image, "open", interrupted)
    with pytest.raises(SystemError) as raised:
        load.load_pages(tmp_path / "p.png")
    assert is_interrupt(raised.value)
    monkeypatch.setattr(load.Image, "open", lambda *args, **kwargs: 1 / 0)  # a real failure is still the file's
    with pytest.raises(InputError):
        load.load_pages(tmp_path / "p.png")


def test_pillows_bomb_guard_is_left_as_it_was(tmp_path: Path) -> None:
    """digitscan applies its own pixel limit while it reads a file, and leaves Pillow's settings as it found them."""
    from PIL import Image, ImageFile

    from digitscan.scan.load import load_pages

    before = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    assert before[0] is not None  # importing digitscan did not switch Pillow's guard off
    assert load_pages(save(np.full((30, 30), 255, np.uint8), tmp_path / "page.png"), max_pixels=10_000)
    with pytest.raises(InputError):
        load_pages(tmp_path / "missing.png")
    assert before == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)


@pytest.mark.parametrize("seed", [0, 4, 10, 14])
def test_a_scanned_register_cells_dark_border_is_blanked_and_its_number_kept(
    mnist_subset_path: Path, seed: int
) -> None:
    """A dark scanner border or gutter on one or two sides of a scan (issue #20) is not paper: blanked before the
    illumination is flattened, so it is neither ink nor a dark patch the flattening divides the paper by; the page
    keeps where it was (`Page.bands`), for the segmenter."""
    import cv2

    from digitscan.scan.load import dark_bands, prepare
    from digitscan.training.pages import BAND_RAGGED, BAND_SLOPE, Digits, make_register

    cell = make_register([20, seed], Digits.load(mnist_subset_path, "test"))
    grey = cv2.cvtColor(cell.image, cv2.COLOR_RGB2GRAY)
    x, y, w, h = cell.number.box
    ink = np.zeros(grey.shape, bool)
    ink[y : y + h, x : x + w] = grey[y : y + h, x : x + w] < np.median(grey) - 40
    assert ink.sum() > 20
    page = prepare(grey)
    flat = page.grey
    for side, depth in cell.borders:
        solid = depth - math.ceil(
            (BAND_RAGGED + BAND_SLOPE) * (grey.shape[1] if side in ("left", "right") else grey.shape[0])
        )
        d = max(1, solid - 1)  # where the band is, however its edge wanders
        band = {"left": flat[:, :d], "right": flat[:, -d:], "top": flat[:d], "bottom": flat[-d:]}[side]
        assert (band == 1.0).all(), side  # the band is blank paper: nothing there to take for ink
    assert float((flat[ink] < 0.75).mean()) > 0.8  # the number's strokes are still ink
    found = dark_bands(grey)
    assert found is not None and not found[ink].any()
    assert page.bands is not None and (page.bands == found).all()  # kept for the segmenter: a stub ends there
    edges = {"left": found[:, 0], "right": found[:, -1], "top": found[0], "bottom": found[-1]}
    assert {side for side, line in edges.items() if line.mean() > 0.5} == {side for side, _ in cell.borders}


def test_dark_edges_that_are_no_scanner_border_are_left_alone() -> None:
    """A printed box's thin border along a crop's edge, a dark surround on three sides (a photographed page, for
    paper_mask), a page without any: no band."""
    from digitscan.scan.load import BAND_MIN_DEPTH, dark_bands

    page = np.full((120, 300), 210, np.uint8)
    page[40:80, 100:104] = 30  # a stroke
    assert dark_bands(page) is None
    boxed = page.copy()
    boxed[:, : BAND_MIN_DEPTH - 1] = 20
    assert dark_bands(boxed) is None
    banded = page.copy()
    banded[:, :30] = 25
    assert dark_bands(banded) is not None and dark_bands(banded)[:, :30].all()
    assert not dark_bands(banded)[:, 60:].any()
    three = banded.copy()
    three[:20], three[-20:] = 25, 25
    assert dark_bands(three) is None


def _hard_shadow_page() -> tuple[np.ndarray, np.ndarray]:
    """A page 1400 x 1000 whose right part lies in a hard shadow (its edge sharp and aslant, the paper 0.45 as
    bright), a pen stroke on each side of the edge in three rows; and where the shadow is."""
    grey = np.full((1400, 1000), 225, np.float32)
    yy, xx = np.mgrid[0:1400, 0:1000]
    shade = xx + 0.3 * yy > 700
    grey[shade] *= 0.45
    for y in (300, 700, 1100):
        for x in (150, 850):
            grey[y : y + 60, x : x + 4] *= 0.25
    return grey.round().astype(np.uint8), shade


def test_a_hard_shadows_edge_leaves_no_dark_ridge_on_the_flattened_page() -> None:
    """The smoothed background brightens the shaded side of a sharp shadow's edge: the paper there came out a
    grey ridge along the edge (61 % of it under 0.8 within 60 px of it), which the segmenter took for one stroke
    across the page. Where the smoothing brightened the closed background (`SHADOW_STEP`), the closed one stands:
    the shaded paper is paper up to the edge, the strokes on both sides still ink."""
    import cv2

    from digitscan.scan.load import flatten_illumination

    grey, shade = _hard_shadow_page()
    flat = flatten_illumination(grey)
    by_the_edge = shade & ~cv2.erode(shade.astype(np.uint8), np.ones((121, 121), np.uint8)).astype(bool)
    paper = by_the_edge & (grey > 60)
    assert float((flat[paper] < 0.8).mean()) < 0.05
    assert float(flat[shade & (grey > 60)].min()) > 0.5
    for y in (300, 700, 1100):
        assert flat[y : y + 60, 850:854].max() < 0.3 and flat[y : y + 60, 150:154].max() < 0.3


def test_a_pages_side_in_a_hard_shadow_is_paper_and_a_bare_dark_side_a_band() -> None:
    """A dark side of a page (not a crop) with writing in it is paper in a hard shadow: it is not blanked as a
    scan's dark band (`SHADED_WRITING`), and its strokes stay ink; the same side with nothing written in it is a
    band, as on a register cell."""
    from digitscan.scan.load import prepare

    assert prepare(_hard_shadow_page()[0]).bands is None
    page = np.full((1400, 1000), 225, np.uint8)
    page[:, 650:] = 100  # the right third shaded, its edge upright along the side, as a scanner's band's is
    bare = page.copy()
    for y in (300, 700, 1100):
        page[y : y + 60, 800:804] = 25
        page[y : y + 60, 200:204] = 55
    shaded = prepare(page)
    assert shaded.bands is None
    assert shaded.grey[300:360, 800:804].max() < 0.4
    banded = prepare(bare)
    assert banded.bands is not None and banded.bands[:, 700:].all()


def test_a_scanners_black_band_with_specks_beside_bare_paper_is_a_band_not_shaded_paper(tmp_path: Path) -> None:
    """An empty register cell scanned large: bare paper beside a near-black, grainy scanner border. The grain's
    specks flatten into strokes, and with no writing on the paper they passed `SHADED_WRITING`: the border was kept
    as paper in a hard shadow, and its grain read as a column of digits. A band as dark as a scanner's background
    (`BLACK_BAND`) is a band; the scan finds nothing."""
    import cv2

    from digitscan.model.files import load_for_scanning
    from digitscan.scan.load import BLACK_BAND, PAPER_PERCENTILE, percentile_uint8, prepare
    from digitscan.scan.options import ScanOptions
    from digitscan.scan.pipeline import Scanner

    rng = np.random.default_rng(0)
    grey = rng.normal(205, 4, (900, 1200))
    grey[:, :260] = rng.normal(30, 14, (900, 260))  # the scanner's lid: black, grainy
    grey = cv2.GaussianBlur(np.clip(grey, 0, 255).astype(np.uint8), (3, 3), 0)
    assert np.median(grey[:, :260]) < BLACK_BAND * percentile_uint8(grey, PAPER_PERCENTILE)
    page = prepare(grey)
    assert page.bands is not None and page.bands[:, :250].all() and not page.bands[:, 300:].any()
    path = save(grey, tmp_path / "cell.png")
    (result,) = Scanner(load_for_scanning(None), ScanOptions(workers=0)).scan([path])
    assert result.error is None and result.strings == []


def test_a_written_page_in_a_shadow_as_dark_as_a_scanners_band_is_paper(digits: dict[int, np.ndarray]) -> None:
    """A ruled table photographed under a hard shadow over a soft one: the shaded top, its edge aslant, is as dark as
    a scanner's background (under `BLACK_BAND` of the paper), so it was blanked as a band with the half of the table
    in it. It is written as densely as the rest of the page (`BLACK_WRITTEN`, the rest `PAGE_WRITTEN` or more):
    paper, its strokes kept as ink."""
    import cv2

    from digitscan.scan.load import BLACK_BAND, PAPER_PERCENTILE, percentile_uint8, prepare

    page = np.full((1000, 1400), 215, np.float32)
    for y in range(50, 1000, 100):  # the table's rules, two pixels thick
        page[y : y + 2, :] = 60
    for x in range(70, 1400, 140):
        page[:, x : x + 2] = 60
    for row in range(10):
        for col in range(10):
            y, x = 100 * row + 2, 140 * col + 80
            glyph = cv2.resize(digits[(row + col) % 10], (44, 44)).astype(np.float32) / 255
            page[y : y + 44, x : x + 44] *= 1 - 0.8 * glyph
    yy, xx = np.mgrid[0:1000, 0:1400]
    shade = yy + 0.3 * xx < 600
    page[shade] *= 0.27
    grey = page.round().astype(np.uint8)
    assert np.median(grey[shade]) < BLACK_BAND * percentile_uint8(grey, PAPER_PERCENTILE)
    prepared = prepare(grey)
    assert prepared.bands is None
    assert prepared.grey[2:46, 80:124].min() < 0.4  # a digit in the shadow is still ink


def test_a_bare_hard_shadow_down_a_pages_side_is_band_up_to_its_slanting_edge() -> None:
    """A hard shadow over a page's right side with nothing written in it is a band; its edge slants, so the band's
    solid depth and ragged reach (`load.BAND_RAGGED`) stopped short of it at the foot, and the wedge past them stayed
    dark (6 % of the shadow under 0.6 flattened), a solid blob the segmenter gathered three dated lines into. The
    band is grown over the dark area it is part of (`load.with_shade`): none of the shadow is left dark, and the
    strokes in the light are still ink."""
    from digitscan.scan.load import prepare

    grey = np.full((1400, 1000), 225, np.float32)
    yy, xx = np.mgrid[0:1400, 0:1000]
    shade = xx + 0.3 * yy > 800
    grey[shade] *= 0.45
    for y in (500, 900, 1200):
        grey[y : y + 60, 150:154] *= 0.25
    page = prepare(grey.round().astype(np.uint8))
    assert page.bands is not None and page.bands[shade].all()
    assert not (page.grey[shade] < 0.6).any()
    for y in (500, 900, 1200):
        assert page.grey[y : y + 60, 150:154].max() < 0.3


def test_a_sheet_on_a_desk_has_its_corners_and_one_running_off_the_frame_has_none() -> None:
    """A bright sheet in perspective on a dark desk: its four corners, in order (tl, tr, br, bl). The same sheet
    running off the frame's edge has no fourth side against the desk: no corners, read as it stands."""
    import cv2

    from digitscan.scan.load import prepare

    def photo(corners: list[tuple[int, int]]) -> np.ndarray:
        image = np.full((1000, 1400), 60, np.uint8)
        cv2.fillConvexPoly(image, np.array(corners, np.int32), 230)
        return image

    drawn = [(200, 150), (1250, 100), (1200, 900), (150, 860)]
    page = prepare(photo(drawn))
    assert page.sheet is not None
    assert np.abs(page.sheet - np.array(drawn)).max() < 12
    assert prepare(photo([(200, 150), (1500, 100), (1500, 900), (150, 860)])).sheet is None


def test_a_sheet_on_a_desk_half_in_shade_is_found_whole_and_its_shaded_writing_kept() -> None:
    """A soft shadow over the lower right of the frame darkens sheet and desk alike: the shaded paper (120) is darker
    than the lit desk (110-135), so one threshold found no sheet at all, and the desk's grain stayed to be read as
    writing. Measured against the brightest paper near it (`load.SHADE_PAPER`), the shaded part joins the lit one:
    the sheet has its four corners, the desk is blanked, and the strokes in the shade are still ink."""
    import cv2

    from digitscan.scan.load import prepare

    drawn = [(200, 150), (1250, 100), (1200, 900), (150, 860)]
    strokes = [(250, 300), (700, 1050), (780, 1120), (780, 900)]
    image = np.full((1000, 1400), 110, np.float32)
    image[::7] = 135  # the desk's grain
    cv2.fillConvexPoly(image, np.array(drawn, np.int32), 235)
    for y, x in strokes:
        image[y : y + 60, x : x + 5] = 40
    yy, xx = np.mgrid[0:1000, 0:1400].astype(np.float32)
    image *= 1 - 0.5 / (1 + np.exp(-(xx + yy - 1500) / 150))
    page = prepare(image.round().astype(np.uint8))
    assert page.sheet is not None
    assert np.abs(page.sheet - np.array(drawn)).max() < 12
    assert page.grey[:60].min() == 1.0 and page.grey[950:, 1300:].min() == 1.0  # the desk, lit and shaded
    assert all(page.grey[y : y + 60, x : x + 5].max() < 0.3 for y, x in strokes)


def test_a_sparse_sheet_on_a_grained_desk_is_a_sheet_not_paper_in_two_tones() -> None:
    """A sheet with one number on a desk whose dark grain is thin as pen strokes: the desk held more "writing" per
    pixel than half the sheet's, so it was taken for paper in two tones (`load.WRITTEN_ON`) and kept, grain and
    all. A bright part with its four corners against the surround is a sheet on a desk: the desk is blanked."""
    import cv2

    from digitscan.scan.load import prepare

    drawn = [(200, 150), (1250, 100), (1200, 900), (150, 860)]
    image = np.full((1000, 1400), 120, np.float32)
    image[::9] = 70  # the desk's grain
    cv2.fillConvexPoly(image, np.array(drawn, np.int32), 235)
    image[400:460, 600:604] = 40
    page = prepare(image.round().astype(np.uint8))
    assert page.sheet is not None
    assert page.grey[:60].min() == 1.0 and page.grey[950:].min() == 1.0
    assert page.grey[400:460, 600:604].max() < 0.3


def test_a_twelve_megapixel_sheet_on_a_desk_has_its_corners() -> None:
    """The sheet is found on a copy 400 px long, so on a 12-megapixel photo (read at 2000 px) its hull's sides stand
    up to 10 px inside the sheet's edge, and a shaded side's edge, looked for 6 px either side of it, showed no step:
    no corners, the page read unsquared (6 of 6 such pages of seed 124000). The edge is looked for as far as the
    shrunk copy is sure of it (`load.SHEET_EDGE_SHRUNK`)."""
    import cv2

    from digitscan.scan.load import prepare

    drawn = [(600, 450), (3750, 300), (3600, 2700), (450, 2580)]
    image = np.full((3000, 4000), 110, np.float32)
    image[::20] = 135
    cv2.fillConvexPoly(image, np.array(drawn, np.int32), 235)
    yy = np.mgrid[0:3000, 0:4000][0].astype(np.float32)
    image *= 1 - 0.4 / (1 + np.exp(-(yy - 2300) / 200))  # a soft shadow over the bottom
    page = prepare(cv2.GaussianBlur(image, (0, 0), 4).round().astype(np.uint8))
    assert page.scale == 0.5 and page.sheet is not None
    assert np.abs(page.sheet - np.array(drawn) * page.scale).max() < 15


def _written_page(digits: dict[int, np.ndarray], size: int, height: int, width: int) -> np.ndarray:
    """uint8 paper with rows of MNIST digits, each drawn in a `size` px square (its ink about 0.7 of that tall)."""
    import cv2

    page = np.full((height, width), 255, np.uint8)
    for n, (y, x) in enumerate(
        (y, x) for y in range(size, height - 2 * size, 2 * size) for x in range(size, 9 * size, size)
    ):
        page[y : y + size, x : x + size] = 255 - cv2.resize(digits[n % 10], (size, size))
    return page


def test_a_page_written_small_is_enlarged_until_its_writing_stands_the_target_height(
    digits: dict[int, np.ndarray],
) -> None:
    """Digits about 17 px tall (a page photographed from afar) are enlarged, at most MAX_WRITING_ZOOM times and to
    MAX_ENLARGED_SIDE; the page's scale says so, so boxes still map onto the file's pixels. Digits of the usual
    size, and a crop however small its digits, stay as they are."""
    from digitscan.scan.load import MAX_ENLARGED_SIDE, MAX_WRITING_ZOOM, WRITING_TARGET, prepare

    small = prepare(_written_page(digits, 24, 500, 700))
    assert small.scale == pytest.approx(MAX_WRITING_ZOOM) and small.grey.shape == (1000, 1400)
    assert small.original_size == (700, 500)
    near = prepare(_written_page(digits, 40, 500, 700))  # ink about 28 px: enlarged less, to the target
    assert 1.0 < near.scale < MAX_WRITING_ZOOM
    assert near.scale * 28 == pytest.approx(WRITING_TARGET, abs=3)
    wide = prepare(_written_page(digits, 24, 1200, 2000))
    assert max(wide.grey.shape) == MAX_ENLARGED_SIDE
    usual = prepare(_written_page(digits, 60, 500, 700))  # ink about 42 px
    assert usual.scale == 1.0 and usual.grey.shape == (500, 700)
    crop = prepare(_written_page(digits, 24, 96, 400))
    assert crop.scale == 1.0 and crop.grey.shape == (96, 400)


def test_a_crop_shorter_than_any_check_amount_is_enlarged_and_a_register_cell_is_not() -> None:
    from digitscan.scan.load import CROP_TARGET, MAX_CROP_ZOOM, SMALL_CROP, crop_zoom, prepare

    assert crop_zoom(20) == pytest.approx(CROP_TARGET / 20) and crop_zoom(10) == MAX_CROP_ZOOM
    assert crop_zoom(SMALL_CROP) == 1.0 and crop_zoom(150) == 1.0
    amount = np.full((20, 120), 255, np.uint8)
    amount[3:17, 50:54] = 0  # a 1 as tall as an amount's digits are in their crop
    small = prepare(amount)
    assert small.grey.shape == (54, 324) and small.scale == pytest.approx(2.7) and small.original_size == (120, 20)


def test_a_short_crop_whose_number_is_small_in_it_is_a_cell_scanned_small_and_an_amount_is_not(
    digits: dict[int, np.ndarray],
) -> None:
    """Under a cell's height, a crop whose digits fill most of it is a check amount and stays as it is; one whose
    number is small in it, or with a scan's dark band along it, is a register cell scanned small: enlarged twice."""
    import cv2

    from digitscan.scan.load import flatten_illumination, is_small_cell, prepare

    amount = np.full((60, 300), 255, np.uint8)
    for k in range(5):  # digits about 36 px tall
        amount[5:55, 10 + 55 * k : 60 + 55 * k] = 255 - cv2.resize(digits[k], (50, 50))
    assert not is_small_cell(flatten_illumination(amount)) and prepare(amount).scale == 1.0
    cell = np.full((60, 200), 255, np.uint8)
    for k in range(2):  # digits about 12 px tall
        cell[25:41, 60 + 18 * k : 76 + 18 * k] = 255 - cv2.resize(digits[3 + k], (16, 16))
    assert is_small_cell(flatten_illumination(cell))
    enlarged = prepare(cell)
    assert enlarged.scale == 2.0 and enlarged.grey.shape == (120, 400)
    banded = amount.copy()
    banded[:, 280:] = 30  # a scan's dark border along the crop's right side
    page = prepare(banded)
    assert page.bands is not None and page.scale == 2.0  # banded: a cell


def test_a_crop_whose_number_stands_small_in_it_with_no_band_is_a_window_read_as_a_page(
    digits: dict[int, np.ndarray],
) -> None:
    """A crop WINDOW_MIN_HEIGHT tall or more, no scan's band along it, its number small in it (a form's field cut out
    with some page around it) is a window: enlarged to MIN_SIDE and read as a page. With a band along it, it is a
    register cell; specks alone, or a shorter crop, leave it a crop as it is."""
    import cv2

    from digitscan.scan.load import CELL_WRITING_SHARE, WINDOW_MIN_HEIGHT, flatten_illumination, prepare, window_share
    from digitscan.scan.straighten import MIN_SIDE

    window = np.full((200, 400), 255, np.uint8)
    for k in range(3):  # digits about 36 px tall in a crop 200 px tall
        window[80:120, 150 + 40 * k : 190 + 40 * k] = 255 - cv2.resize(digits[4 + k], (40, 40))
    assert window_share(flatten_illumination(window)) < CELL_WRITING_SHARE
    page = prepare(window)
    assert page.grey.shape == (MIN_SIDE, 2 * MIN_SIDE) and page.other is None  # surely a window: read as a page only
    banded = window.copy()
    banded[:, 380:] = 30  # a scan's dark border along its right side: a cell, read as the crop it is
    page = prepare(banded)
    assert page.bands is not None and window_share(page.grey, page.bands) is None and page.grey.shape == (200, 400)
    specks = np.full((200, 400), 255, np.uint8)
    specks[100:104, 100:104] = 0
    assert window_share(flatten_illumination(specks)) is None
    short = window[100 - WINDOW_MIN_HEIGHT // 2 + 10 : 100 + WINDOW_MIN_HEIGHT // 2 - 10]
    assert window_share(flatten_illumination(short)) is None


@pytest.mark.parametrize("tilt", [0.0, 4.0])
def test_a_window_whose_number_stands_in_a_box_is_measured_without_the_box(tilt: float) -> None:
    """A form's field cut out with its box, straight or photographed aslant: the box's frame is one blob as tall as
    the box, taller than any digit. Measured with its long straight strokes taken out (`_writing_off_lines`) and its
    sides (thin upright bars, `WINDOW_BAR`) left aside, the window's writing is its digits, and the crop is a window,
    not a check's amount with a box read as digits."""
    import cv2

    from digitscan.scan.load import CELL_WRITING_SHARE, _tallest_writing, flatten_illumination, window_share

    window = np.full((240, 480), 255, np.uint8)
    cv2.rectangle(window, (60, 50), (420, 190), 0, 3)  # the field's box, 140 px tall
    for k, x in enumerate(range(120, 360, 60)):  # four strokes of writing 44 px tall inside it
        cv2.ellipse(window, (x, 120), (14, 22), 0, 0, 360, 0, 4 + k % 2)
    turn = cv2.getRotationMatrix2D((240, 120), tilt, 1.0)
    window = cv2.warpAffine(window, turn, (480, 240), flags=cv2.INTER_LINEAR, borderValue=255)
    flat = flatten_illumination(window)
    assert _tallest_writing(flat) >= 140  # measured whole: the box
    share = window_share(flat)
    assert share is not None and 44 / 240 <= share < CELL_WRITING_SHARE


def test_a_crop_that_may_be_a_window_or_an_amount_is_prepared_both_ways(digits: dict[int, np.ndarray]) -> None:
    """A crop whose number stands from CELL_WRITING_SHARE to under WINDOW_UNSURE_SHARE of its height may be a window
    cut close around it or a check's amount: it is prepared as a crop, as before, with the same image prepared as a
    window beside it (`Page.other`, enlarged to MIN_SIDE); a number standing higher is a crop alone. The same crop
    enlarged to a page's size is prepared as it would be cut small: a page at MIN_SIDE, the crop beside it."""
    import cv2

    from digitscan.scan.load import CELL_WRITING_SHARE, WINDOW_UNSURE_SHARE, flatten_illumination, prepare, window_share
    from digitscan.scan.straighten import MIN_SIDE

    def crop(digit_height: int) -> np.ndarray:
        image = np.full((120, 400), 255, np.uint8)
        top = (120 - digit_height) // 2
        for k in range(4):
            image[top : top + digit_height, 80 + 50 * k : 120 + 50 * k] = 255 - cv2.resize(
                digits[3 + k], (40, digit_height)
            )
        return image

    close = crop(58)
    share = window_share(flatten_illumination(close))
    assert CELL_WRITING_SHARE <= share < WINDOW_UNSURE_SHARE
    page = prepare(close)
    assert page.grey.shape == (120, 400) and page.other is not None and page.other.grey.shape == (MIN_SIDE, 1000)
    assert page.other.other is None
    tight = prepare(crop(90))
    assert tight.other is None and tight.grey.shape == (120, 400)
    large = cv2.resize(close, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)  # the same photographed large: a page
    page = prepare(large)  # a close-up (`_close_up`): read as that crop is, as a page at MIN_SIDE and as the crop
    assert page.grey.shape == (MIN_SIDE, 1000) and page.other is not None and page.other.grey.shape[0] < MIN_SIDE


def test_a_small_page_keeps_its_image_to_be_prepared_again_as_a_crop_and_a_large_one_does_not() -> None:
    """A page whose image is small enough to be a register cell scanned large keeps it (`Page.decoded`) and gives it
    prepared as a cell scanned small (`Page.as_cell`): its shorter side CELL_SIDE, a scan's dark band along it
    blanked and kept as a band, its size against the page's; a page's image over LARGE_CELL_SIDE is not kept."""
    from digitscan.scan.load import CELL_SIDE, LARGE_CELL_SIDE, prepare

    scan = np.full((400, 800), 230, np.uint8)
    scan[:, 760:] = 20  # a scanner's dark border along the right side
    scan[150:250, 300:330] = 40  # a stroke
    page = prepare(scan)
    assert page.decoded is not None and page.scale == 1.0
    grey, bands, zoom = page.as_cell()
    assert grey.shape == (CELL_SIDE, 2 * CELL_SIDE) and zoom == CELL_SIDE / 400
    assert bands is not None and bands[:, -10:].all() and (grey[bands] == 1.0).all()
    assert grey[int(200 * zoom), int(315 * zoom)] < 0.5  # the stroke, at its place on the crop
    assert prepare(np.full((LARGE_CELL_SIDE + 1, 1500), 230, np.uint8)).decoded is None
    # whether the crop has a band is told without preparing it, and as preparing it tells
    unbanded = scan.copy()
    unbanded[:, 760:] = 230
    assert page.cell_banded() and prepare(scan).cell_banded() and not prepare(unbanded).cell_banded()
    assert prepare(unbanded).as_cell()[1] is None
    # a scanner's black band (under BLACK_BAND of the paper), not a grey one such as a hard shadow leaves
    shaded = scan.copy()
    shaded[:, 760:] = 100  # 0.43 of the paper: a band, not black
    assert page.scanner_banded() and prepare(shaded).cell_banded() and not prepare(shaded).scanner_banded()
    assert not prepare(unbanded).scanner_banded()


def test_a_margin_rules_pieces_and_a_ruled_lines_dashes_do_not_say_how_tall_the_writing_is() -> None:
    """A low page's writing, 15 px tall, is enlarged however a notebook's margin rule lies in pieces beside it (each
    taller than the writing: before, its pieces made the writing 50 px tall and the page stayed as it was), and
    writing 45 px tall is left as it is among a shadowed ruling's many short dashes (before: 3 px writing, enlarged
    twice)."""
    import cv2

    from digitscan.scan.load import MAX_WRITING_ZOOM, writing_zoom

    def page(text_height: int) -> np.ndarray:
        ink = np.zeros((700, 500), np.uint8)
        scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, text_height, 2)
        for row in range(6):
            cv2.putText(ink, "8305", (120, 120 + row * 90), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 2)
        return ink

    small = page(15)
    assert writing_zoom(1.0 - small / 255.0) == MAX_WRITING_ZOOM
    for top in range(0, 700, 100):  # a margin rule broken into pieces 60-90 px long, 2-3 px wide
        small[top + 5 : top + 65 + top % 30, 60 : 62 + top % 2] = 255
    assert writing_zoom(1.0 - small / 255.0) == MAX_WRITING_ZOOM

    large = page(45)
    assert writing_zoom(1.0 - large / 255.0) == 1.0
    for row in range(20, 700, 25):  # a ruling that the shadow broke into dashes 3 px tall, 8 px long
        for left in range(20, 480, 14):
            large[row : row + 3, left : left + 8] = 255
    assert writing_zoom(1.0 - large / 255.0) == 1.0


def test_a_score_sheet_in_pencil_is_read_as_a_page_not_as_a_close_up_of_one_field() -> None:
    """A page in pencil, lighter than WRITING_LEVEL, with too few dark blobs to be a page by them (its printed head's
    letters) is a page by its faint ones (FAINT_WRITING_LEVEL): read at its size, its 13 numbers read (cut to
    MIN_SIDE as a close-up of one field, 5 were)."""
    import csv

    from digitscan.scan.load import FAINT_WRITING_LEVEL, MIN_BLOBS, load_pages, page_writing
    from digitscan.scan.pipeline import Scanner, ScanOptions

    folder = Path(__file__).resolve().parents[1] / "data" / "other_pages"
    path = folder / "pencil-score-sheet.jpg"
    (page,) = load_pages(path)
    assert len(page_writing(page.grey)) < MIN_BLOBS <= len(page_writing(page.grey, FAINT_WRITING_LEVEL))
    assert page.grey.shape == (1190, 1729) and page.other is None
    with open(folder / "truth.csv", newline="") as f:
        truth = sorted(row["digits"] for row in csv.DictReader(f) if row["file"] == path.name)
    (result,) = Scanner(options=ScanOptions(workers=0)).scan([path])
    read = [s.text for s in result.strings]
    assert len(truth) == 13 and sum(t in read for t in truth) >= 12
