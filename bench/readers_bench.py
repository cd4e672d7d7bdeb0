"""Which network reads a page's lines: the digit classifier alone, the string reader alone, or the two together.

For each true line of a page set, the word of the reading the scanner keeps that covers it most is read three
ways: the classifier's best cut (`assemble_word` without the reader), the string reader's text, and the
scanner's choice between them. The table splits the lines by writer: `page_bench.py` and the thirtieth session's
`mk.py` write page i of each kind with writer set i mod 2, MNIST test (even; no bundled network learnt those
writers) and CVL valid (odd; the bundled classifier learnt them with the rest of CVL, so its figures there are
no measure). Run from the repository root::

    python bench/readers_bench.py PAGES_FOLDER [PAGES_FOLDER ...]   # folders with truth.csv (page_bench.py --keep)

Where both networks are wrong, a better choice cannot help; where one is right and the choice lost it, it can.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from page_bench import WRITERS  # noqa: E402

from digitscan.training.pages import FEATURES  # noqa: E402

COVERED = 0.3  # of the smaller box: a word covers a true line this much to be its reading


def overlap(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return max(0, x1 - x0) * max(0, y1 - y0) / max(1, min(a[2] * a[3], b[2] * b[3]))


def page_words(path: Path, classifier: Any, reader: Any) -> list[tuple[tuple[int, ...], str, str, str]]:
    """Each word of the reading the scanner keeps: (box on the page, the classifier's text, the reader's, the
    chosen one), read as `pipeline.classify_files` reads a page."""
    from digitscan.scan import pipeline
    from digitscan.scan.assemble import assemble, assemble_word, orientation_evidence
    from digitscan.scan.read import line_kind
    from digitscan.scan.straighten import scaled_box

    words = []
    for item in pipeline.prepare_file(str(path)):
        routes: dict[int, list[pipeline.Choice]] = {}
        kept = {}
        for reading in item.readings:
            scores = classifier.scores(reading.images)
            lines = reader.read(reading.lines, [line_kind(w) for w in reading.words])
            strings = assemble(reading.words, scores, reading.scale, lines)
            routes.setdefault(reading.route, []).append((reading.cut, orientation_evidence(strings, lines), strings))
            offsets = [sum(len(w.candidates) for w in reading.words[:n]) for n in range(len(reading.words))]
            kept[id(strings)] = [
                (
                    scaled_box(word.box, reading.scale),
                    getattr(assemble_word(word, scores, offset, reading.scale), "text", ""),
                    line.text,
                    getattr(assemble_word(word, scores, offset, reading.scale, line), "text", ""),
                )
                for word, offset, line in zip(reading.words, offsets, lines, strict=True)
            ]
        if routes:
            words += kept[id(pipeline.surer_route(routes))]
    return words


def page_writers(folder: Path, names: list[str], cross_writers: bool) -> dict[str, str]:
    """Each page's writer: from the writers.csv `page_bench.py --keep` writes, or else from its index as page_bench
    gave it out (`cross_writers`: the writers turn over once a round of conditions too)."""
    if (folder / "writers.csv").is_file():
        with open(folder / "writers.csv", newline="") as f:
            return {row["file"]: row["writer"] for row in csv.DictReader(f)}
    indices = {name: int(re.search(r"-(\d+)\.\w+$", name).group(1)) for name in names}
    turn = len(FEATURES) if cross_writers else None
    return {name: WRITERS[(i + (i // turn if turn else 0)) % len(WRITERS)] for name, i in indices.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="page sets, each with truth.csv")
    parser.add_argument(
        "--cross-writers", action="store_true", help="sets without writers.csv were made with --cross-writers"
    )
    args = parser.parse_args(argv)
    from digitscan.scan.classify import Classifier
    from digitscan.scan.read import StringReader

    classifier, reader = Classifier(), StringReader()
    print(
        "| set | writers | lines | classifier alone | reader alone | chosen | both wrong | one right, lost "
        "| of which the classifier's |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for folder in args.folders:
        truth: dict[str, list[dict[str, str]]] = {}
        with open(folder / "truth.csv", newline="") as f:
            for row in csv.DictReader(f):
                truth.setdefault(row["file"], []).append(row)
        counts = {writer: Counter() for writer in WRITERS}
        writers = page_writers(folder, list(truth), args.cross_writers)
        for name, rows in sorted(truth.items()):
            words = page_words(folder / name, classifier, reader)
            count = counts[writers[name]]
            for row in rows:
                box = tuple(int(row[k]) for k in "xywh")
                share, word = max(((overlap(box, w[0]), w) for w in words), key=lambda c: c[0], default=(0.0, None))
                cls, read, chosen = word[1:] if word is not None and share >= COVERED else ("", "", "")
                digits = row["digits"]
                count.update(
                    lines=1,
                    cls=cls == digits,
                    read=read == digits,
                    chosen=chosen == digits,
                    both=cls != digits and read != digits,
                    lost=chosen != digits and digits in (cls, read),
                    lost_cls=chosen != digits and cls == digits,
                )
        for writers, c in counts.items():
            n = max(1, c["lines"])
            cells = [f"{c[k]} ({c[k] / n:.1%})" for k in ("cls", "read", "chosen", "both", "lost", "lost_cls")]
            print(f"| {folder.name} | {writers} | {c['lines']} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
