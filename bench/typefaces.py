"""Gather the typefaces the bundled print detector learnt into one folder (links), for `--typefaces`.

    apt-get install fonts-urw-base35 fonts-freefont-ttf fonts-liberation fonts-crosextra-carlito \
        fonts-crosextra-caladea fonts-cantarell fonts-texgyre
    python bench/typefaces.py runs/typefaces
    digitscan train --arch printnet --typefaces runs/typefaces ...

Debian's free text faces: URW's 35 (Nimbus, C059, P052, URW Bookman, URW Gothic), GNU FreeFont, Liberation,
Carlito, Caladea, Cantarell and TeX Gyre, 105 files. Left out: faces that are not text (URW's Z003, a calligraphic
script like handwriting; its symbols and dingbats; TeX Gyre Chorus, also a script) and DejaVu and Pillow's own
Aileron, which the bench sets its pages' print in to measure the detector on typefaces it never saw.
"""

from __future__ import annotations

import argparse
from pathlib import Path

FOLDERS = (
    "/usr/share/fonts/opentype/urw-base35",
    "/usr/share/fonts/truetype/freefont",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/crosextra",
    "/usr/share/fonts/opentype/cantarell",
    "/usr/share/texmf/fonts/opentype/public/tex-gyre",
)
NOT_TEXT = ("Z003", "StandardSymbols", "D050000L", "chorus")  # scripts, symbols, dingbats


def typefaces() -> list[Path]:
    found = [p for folder in FOLDERS for p in sorted(Path(folder).glob("*")) if p.suffix in (".ttf", ".otf")]
    return [p for p in found if not any(name in p.name for name in NOT_TEXT)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to link them into")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    faces = typefaces()
    for face in faces:
        link = out / face.name
        if not link.exists():
            link.symlink_to(face)
    print(f"{len(faces)} typefaces in {out}")


if __name__ == "__main__":
    main()
