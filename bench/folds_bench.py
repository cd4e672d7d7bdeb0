"""Five-fold ORAND and CVL-valid figures of a training recipe: the project's protocol for reporting accuracy.

Run from the repository root (about an hour on a 2-core CPU: five trainings)::

    python bench/folds_bench.py                        # the many-writers recipe, folds 1-5
    python bench/folds_bench.py --folds 3 --epochs 2   # a quick look at one fold

The 600 ORAND development files, sorted by name, are cut into five runs of 120. For each fold the recipe is
trained through the command line (`digitscan train --data ...`) on MNIST's train split, CVL's *train* split
(its valid writers are the measure), USPS, Swiss numbers and the other four folds (a folder of copies of their
images, with their labels and boxes), then scored: the held-out fold by `digitscan eval --truth`, CVL valid by
the classifier on its digits framed as the scanner frames a digit to read it (`training.sources.without_paper`
in each of `READ_BOXES`, the scores averaged). Nothing scored was trained on; nothing is chosen here. Prints each
fold, the mean and the range; `--json OUT` saves them.

With `--reader`, each fold trains the string reader (`--arch stringnet`) on the same sources instead, and scores
the fold with the fold's classifier from an earlier run (`--classifiers DIR`, as `--keep` left them:
DIR/fold-N/digitnet.h5) twice in one run: the classifier alone (`--no-read-whole`) and with the reader::

    python bench/folds_bench.py --keep runs/folds                                      # classifiers
    python bench/folds_bench.py --reader --classifiers runs/folds --keep runs/readers  # readers beside them
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

FOLDS = 5
SHARED = Path("../shared/datasets")


def folds(labels: Path) -> list[list[dict[str, str]]]:
    rows = sorted(csv.DictReader(labels.open(newline="")), key=lambda row: row["file"])
    return [rows[k * len(rows) // FOLDS : (k + 1) * len(rows) // FOLDS] for k in range(FOLDS)]


def write_labels(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "digits"])
        writer.writerows([row["file"], row["digits"]] for row in rows)


def training_folder(orand: Path, rows: list[dict[str, str]], into: Path) -> Path:
    """A folder in the ORAND layout holding only these files (copies: the shared set stays read-only)."""
    (into / "images").mkdir(parents=True)
    write_labels(rows, into / "labels.csv")
    shutil.copy(orand / "boxes.csv", into / "boxes.csv")
    for row in rows:
        shutil.copy(orand / "images" / row["file"], into / "images" / row["file"])
    return into


def eval_figures(output: str) -> tuple[float, float]:
    strings = re.search(r"string accuracy \(exact\)\s*\S\s*([\d.]+)%", output)
    digits = re.search(r"digit accuracy \(1 - CER\)\s*\S\s*([\d.]+)%", output)
    if not strings or not digits:
        raise SystemExit(f"could not read digitscan eval's output:\n{output}")
    return float(strings.group(1)), float(digits.group(1))


def score(orand: Path, truth: Path, options: list[str], keep: Path) -> tuple[float, float]:
    """`digitscan eval` of the held-out fold with these options: (strings, digits) in per cent."""
    scored = subprocess.run(
        [sys.executable, "-m", "digitscan", "eval", str(orand), "--truth", str(truth), *options],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=True,
    )
    keep.write_text(scored.stdout)
    return eval_figures(scored.stdout)


def score_reader(orand: Path, truth: Path, classifier: Path, out: Path) -> dict[str, float]:
    """The fold read by its classifier alone, and with the fold's string reader beside it."""
    alone = score(orand, truth, ["-m", str(classifier), "--no-read-whole"], out / "eval-classifier.txt")
    both = score(orand, truth, ["-m", str(classifier), "--reader", str(out / "stringnet.h5")], out / "eval.txt")
    return {"classifier_strings": alone[0], "classifier_digits": alone[1], "strings": both[0], "digits": both[1]}


def cvl_valid(model: Path, cvl: Path) -> float:
    from digitscan.model.files import load_model
    from digitscan.scan.normalise import READ_BOXES
    from digitscan.training.sources import without_paper

    # Not `Classifier.scores`, which keeps ten digits' scores and "not a digit": the measure since the first
    # many-writers run is the network's twelve-way choice, where "several digits" for one digit counts as wrong
    # (11 of the 7,000 for fold 5's 40-epoch classifier; bench/README.md, twenty-third session)
    data, network = np.load(cvl), load_model(model).model
    probs = []
    for box in READ_BOXES:  # framed each way the scanner frames a digit to read it, their scores averaged
        x = np.stack([without_paper(cell, box) for cell in data["x_valid"]]).astype(np.float32)[..., None] / 255
        probs.append(network.predict(x, batch_size=1024, verbose=0))
    return float((np.mean(probs, axis=0).argmax(axis=1) == data["y_valid"]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="the shared datasets folder")
    parser.add_argument("--folds", type=int, nargs="*", default=list(range(1, FOLDS + 1)), help="which (1-5)")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs (a quick look)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep each fold's model and eval output here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--reader", action="store_true", help="train and score the string reader instead")
    parser.add_argument("--classifiers", type=Path, help="with --reader: DIR/fold-N/digitnet.h5 of an earlier run")
    args = parser.parse_args()
    if args.reader and not args.classifiers:
        parser.error("--reader needs --classifiers DIR: the fold classifiers it is scored beside")
    orand, cvl = args.data / "orand-car-a-dev", args.data / "cvl-digits.npz"
    parts = folds(orand / "labels.csv")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cvl_train = work / "cvl-train.npz"  # CVL's train writers only: its valid writers are the measure
        with np.load(cvl) as data:
            np.savez(cvl_train, x_train=data["x_train"], y_train=data["y_train"])
        for number in args.folds:
            held = parts[number - 1]
            train_rows = [row for k, part in enumerate(parts) if k != number - 1 for row in part]
            folder = training_folder(orand, train_rows, work / f"orand-train-{number}")
            truth = work / f"fold-{number}.csv"
            write_labels(held, truth)
            out = (args.keep or work) / f"fold-{number}"
            train = [sys.executable, "-m", "digitscan", "--quiet", "train", "--seed", str(args.seed), "--out", str(out)]
            train += ["--arch", "stringnet"] if args.reader else []
            for source in (args.data / "mnist.npz", cvl_train, args.data / "usps.npz", args.data / "swiss-numbers.npz"):
                train += ["--data", str(source)]
            train += ["--data", str(folder)] + (["--epochs", str(args.epochs)] if args.epochs else [])
            subprocess.run(train, check=True)
            if args.reader:
                results.append(score_reader(orand, truth, args.classifiers / f"fold-{number}" / "digitnet.h5", out))
                results[-1]["fold"] = number
                print(f"fold {number}: {results[-1]}", flush=True)
                continue
            model = out / "digitnet.h5"
            strings, digits = score(orand, truth, ["-m", str(model)], out / "eval.txt")
            results.append({"fold": number, "strings": strings, "digits": digits, "cvl_valid": cvl_valid(model, cvl)})
            figures = f"ORAND strings {strings:.2f} %, digits {digits:.2f} %, CVL valid {results[-1]['cvl_valid']:.2%}"
            print(f"fold {number}: {figures}", flush=True)
    for key in [k for k in results[0] if k != "fold"] if results else []:
        values = [r[key] for r in results]
        print(f"{key}: mean {statistics.mean(values):.4g}, range {min(values):.4g}-{max(values):.4g}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
