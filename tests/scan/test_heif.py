"""Phones' photo formats: HEIC (through pillow-heif, `digitscan.scan.heif`) and AVIF (Pillow's own)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image, features

from digitscan.errors import InputError

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _turned_copy(path: Path, fmt: str) -> None:
    """samples/photo.jpg stored sideways with EXIF orientation 6, as a phone held upright saves it."""
    exif = Image.Exif()
    exif[0x0112] = 6
    with Image.open(SAMPLES / "photo.jpg") as photo:
        photo.transpose(Image.Transpose.ROTATE_90).save(path, format=fmt, exif=exif.tobytes(), quality=90)


def test_a_phones_heic_and_avif_photos_read_as_its_jpeg_does_turned_upright(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    if not features.check("avif"):
        pytest.skip("this Pillow was built without AVIF")
    from digitscan.scan import heif
    from digitscan.scan.inputs import expand_inputs
    from digitscan.scan.pipeline import Scanner, ScanOptions

    assert heif.register()
    _turned_copy(tmp_path / "IMG_0001.HEIC", "HEIF")
    _turned_copy(tmp_path / "IMG_0002.avif", "AVIF")
    (tmp_path / "IMG_0003.jpg").write_bytes((SAMPLES / "photo.jpg").read_bytes())
    assert heif.is_hevc_heif(tmp_path / "IMG_0001.HEIC") and not heif.is_hevc_heif(tmp_path / "IMG_0002.avif")
    paths = list(expand_inputs([str(tmp_path)]))  # a folder of phone photos: none left out
    assert [p.name for p in paths] == ["IMG_0001.HEIC", "IMG_0002.avif", "IMG_0003.jpg"]
    results = list(Scanner(options=ScanOptions(workers=0)).scan(paths))
    assert [r.error for r in results] == [None] * 3
    assert [r.size for r in results] == [(1600, 1200)] * 3  # turned upright once, never twice
    texts = [[s.text for s in r.strings] for r in results]
    assert texts[0] == texts[1] == texts[2] == ["8675309", "42"]


def test_a_heic_photo_without_pillow_heif_names_what_it_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digitscan.scan.load import load_pages

    # A HEIC file's start: an ftyp box with HEIC brands, then nothing Pillow knows.
    path = tmp_path / "IMG_0004.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # `import pillow_heif` now fails
    with pytest.raises(InputError, match=r"HEIC/HEIF photo: reading it needs pillow-heif \(pip install pillow-heif\)"):
        load_pages(path)


def test_a_broken_heic_file_is_a_corrupt_image_not_a_crash(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    from digitscan.scan.load import load_pages

    path = tmp_path / "cut.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    with pytest.raises(InputError, match="corrupt or truncated HEIC/HEIF image"):  # not "needs pillow-heif"
        load_pages(path)
