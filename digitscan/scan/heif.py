"""HEIC/HEIF photos (what iPhones and many Android phones save by default), for the loader (stage 1).

Pillow reads AVIF itself but not HEVC-coded HEIF; pillow-heif (libheif's bindings) adds that as a Pillow
plugin. It is registered only when a file that Pillow cannot identify turns out to be HEIF, so other inputs
never import it. libheif applies the photo's rotation and mirror (`irot`, `imir`) while decoding and pillow-heif
then sets the EXIF orientation to 1, so the loader's `exif_transpose` never turns such a photo twice.
"""

from __future__ import annotations

from pathlib import Path

# ISO base media files start with an `ftyp` box: its size, b"ftyp", a major brand and compatible brands (4 bytes
# each). These brands mark HEVC-coded HEIF images and sequences (ISO/IEC 23008-12); AVIF's ("avif", "avis") are
# Pillow's own. The structural brands ("mif1", "msf1") alone say only "some HEIF": AVIF files carry them too.
HEVC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
FTYP_MAX = 64  # bytes of the box read: room for a dozen compatible brands
HEIF_FIX = "pip install pillow-heif"


def brands(path: Path) -> set[bytes]:
    """The major and compatible brands of the file's `ftyp` box; empty where it has none."""
    try:
        with path.open("rb") as f:
            head = f.read(FTYP_MAX)
    except OSError:
        return set()
    if len(head) < 12 or head[4:8] != b"ftyp":
        return set()
    size = min(int.from_bytes(head[:4], "big"), len(head))
    return {head[8:12]} | {head[i : i + 4] for i in range(16, size - 3, 4)}


def is_hevc_heif(path: Path) -> bool:
    """Whether the file is an HEVC-coded HEIF image (HEIC), by its content (never its suffix)."""
    return bool(brands(path) & HEVC_BRANDS)


def register() -> bool:
    """Teach Pillow to open HEIC/HEIF (once per process; a second call costs nothing). False where pillow-heif is
    not installed or cannot load its library."""
    try:
        import pillow_heif
    except Exception:  # noqa: BLE001 - missing, or its bundled libheif fails to load: either way no HEIF
        return False
    pillow_heif.register_heif_opener()
    return True
