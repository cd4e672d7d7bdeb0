"""Two trees of digitscan side by side in one process: CPU time of the scan's stages, file by file, and whether they
read every file alike.

Run from the repository root, with another checkout to compare with (a worktree of the commit before a change)::

    git worktree add /tmp/base HEAD~3
    python bench/stages_ab.py --base /tmp/base ../shared/datasets/orand-car-a-dev/images
    python bench/stages_ab.py --base /tmp/base --limit 20 PAGES_FOLDER

The machine's speed drifts by a fifth within minutes, so two separate runs cannot tell 5 % apart. Here both trees
are imported into this one process and take turns on each file (the first of the pair alternating): the worker's
stages (`pipeline.prepare_file`: load, segment, normalise) and then the classifying process's (`classify_files`:
classify, read whole, assemble, for batches of `--batch` files as a scan gathers them), each timed by the
process's CPU clock. Each tree reads with its own code and the bundled models; a file whose strings differ
between the two is counted and named.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pdf"}


def import_tree(root: Path) -> ModuleType:
    """`digitscan.scan.pipeline` of the tree at `root`, imported afresh (the modules of another tree set aside)."""
    for name in [name for name in sys.modules if name == "digitscan" or name.startswith("digitscan.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        pipeline = importlib.import_module("digitscan.scan.pipeline")
    finally:
        sys.path.remove(str(root))
    if not Path(pipeline.__file__).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"{root}: imported {pipeline.__file__} instead; is it a digitscan checkout?")
    return pipeline


def images_in(folders: list[Path], limit: int | None) -> list[str]:
    paths = sorted(str(p) for folder in folders for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return paths[:limit] if limit else paths


def readings(results: list[list[Any]]) -> list[tuple[Any, ...]]:
    """Each file's strings to the last bit: text, box, confidence, and every digit's character, box and confidence."""
    return [
        tuple(
            (s.text, s.box, s.confidence, tuple((d.char, d.box, d.confidence) for d in s.digits))
            for page in pages
            for s in page.strings
        )
        for pages in results
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of images (searched recursively)")
    parser.add_argument("--base", type=Path, required=True, help="the other checkout's root")
    parser.add_argument("--limit", type=int, help="the first N images only")
    parser.add_argument("--batch", type=int, default=53, help="files classified together (a scan's 512 digits)")
    parser.add_argument("--repeats", type=int, default=1, help="passes over the files")
    args = parser.parse_args(argv)
    paths = images_in(args.folders, args.limit)
    if not paths:
        raise SystemExit("no images found")
    import cv2

    cv2.setNumThreads(1)  # as in a worker
    trees = {"base": import_tree(args.base), "this": import_tree(ROOT)}
    scanners = {name: tree.Scanner(options=tree.ScanOptions(workers=0)) for name, tree in trees.items()}
    worker = dict.fromkeys(trees, 0.0)
    classifying = dict.fromkeys(trees, 0.0)
    results: dict[str, list[list[Any]]] = {name: [] for name in trees}
    for name, tree in trees.items():  # warm-up: the models' first runs, the file cache
        tree.classify_files([tree.prepare_file(paths[0])], scanners[name].classifier, 0.5, scanners[name].reader)
    clock = time.process_time
    turn = 0
    for repeat in range(args.repeats):
        for start in range(0, len(paths), args.batch):
            prepared: dict[str, list[Any]] = {name: [] for name in trees}
            for path in paths[start : start + args.batch]:
                turn += 1
                for name in sorted(trees, reverse=bool(turn % 2)):
                    began = clock()
                    prepared[name].append(trees[name].prepare_file(path))
                    worker[name] += clock() - began
            for name in sorted(trees, reverse=bool(start // args.batch % 2)):
                scanner, began = scanners[name], clock()
                done = trees[name].classify_files(prepared[name], scanner.classifier, 0.5, scanner.reader)
                classifying[name] += clock() - began
                if repeat == 0:
                    results[name].extend(done)
    files = len(paths) * args.repeats
    print(f"{len(paths)} files x {args.repeats}; CPU ms a file (this process's clock, both trees taking turns)")
    print(f"{'stages':<22}{'base':>10}{'this':>10}{'this/base':>11}")
    for label, times in (("worker (load..norm.)", worker), ("classifying process", classifying)):
        base, this = times["base"] / files * 1000, times["this"] / files * 1000
        print(f"{label:<22}{base:>10.3f}{this:>10.3f}{this / base:>11.3f}")
    differ = [p for p, a, b in zip(paths, readings(results["base"]), readings(results["this"]), strict=True) if a != b]
    print(f"files read differently: {len(differ)} of {len(paths)}" + (f" (first: {differ[:5]})" if differ else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
