"""Five-fold ORAND and CVL-valid figures of a training recipe: the project's protocol for reporting accuracy.

Run from the repository root::

    python bench/folds_bench.py --reader --keep runs/folds     # classifier and string reader, folds 1-5
    python bench/folds_bench.py --folds 3 --epochs 2           # a quick look at one fold's classifier

The 600 ORAND development files, sorted by name, are cut into five runs of 120. For each fold the recipe is
trained through the command line (`digitscan train --data ...`) on MNIST's train split, CVL's *train* split
(its valid writers are the measure), USPS, Swiss numbers and the other four folds (a folder of copies of their
images, with their labels and boxes), then scored: the held-out fold by `digitscan eval --truth` with the fold's
classifier alone (`--no-read-whole`; never with the bundled reader, which learnt every fold), and CVL valid by
the classifier on its digits framed as the scanner frames a digit to read it (`training.sources.without_paper`
in each of `READ_BOXES`, the scores averaged). Nothing scored was trained on; nothing is chosen here. Prints each
fold, the mean and the range; `--json OUT` saves them.

With `--reader`, each fold's string reader (`--arch stringnet`) is trained on the same sources too, and the fold
is also read by both networks together. `--classifiers DIR` takes the fold classifiers of an earlier run
(DIR/fold-N/digitnet.h5, as `--keep` left them) instead of training them.

`--jobs N` runs N trainings at once. On a 2-core CPU one at a time (a classifier about 70 minutes, a reader about
25); on a GPU machine all of them: the four trainings of folds 3 and 4 took 7 minutes together on an H200 with 16
cores (JAX; bench/README.md, twenty-seventh session), where the epochs' augmentation on the cores is the slow part.
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
import threading
from concurrent.futures import ThreadPoolExecutor
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


def train_command(args: argparse.Namespace, sources: list[Path], arch: str, out: Path) -> list[str]:
    """`digitscan train` of one network of one fold."""
    command = [sys.executable, "-m", "digitscan", "--quiet", "train", "--seed", str(args.seed), "--out", str(out)]
    command += ["--arch", arch]
    for source in sources:
        command += ["--data", str(source)]
    return command + (["--epochs", str(args.epochs)] if args.epochs else [])


def run_trainings(commands: list[tuple[list[str], Path]], jobs: int) -> None:
    """Each command with its output in its log file, `jobs` at a time; a failure starts no more of them."""
    env = dict(os.environ)
    if jobs > 1:  # JAX takes three quarters of a GPU's memory per process unless told to take what it needs
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

    failed = threading.Event()

    def run(command: list[str], log: Path) -> None:
        if failed.is_set():
            return
        with log.open("w") as f:
            done = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=env)
        if done.returncode:
            failed.set()
            raise SystemExit(f"training failed (exit {done.returncode}), see {log}: {' '.join(command)}")
        print(f"trained: {log.parent.name}/{log.stem}", flush=True)

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for future in [pool.submit(run, command, log) for command, log in commands]:
            future.result()  # after a failure the running ones finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="the shared datasets folder")
    parser.add_argument("--folds", type=int, nargs="*", default=list(range(1, FOLDS + 1)), help="which (1-5)")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs (a quick look)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep each fold's models, logs and eval output here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--reader", action="store_true", help="also train each fold's string reader and read with it")
    parser.add_argument("--classifiers", type=Path, help="DIR/fold-N/digitnet.h5 of an earlier run: not trained again")
    parser.add_argument("--jobs", type=int, default=1, help="trainings at once (a GPU machine: all of them)")
    args = parser.parse_args()
    orand, cvl = args.data / "orand-car-a-dev", args.data / "cvl-digits.npz"
    parts = folds(orand / "labels.csv")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cvl_train = work / "cvl-train.npz"  # CVL's train writers only: its valid writers are the measure
        with np.load(cvl) as data:
            np.savez(cvl_train, x_train=data["x_train"], y_train=data["y_train"])
        commands, truths, outs = [], {}, {}
        archs = ([] if args.classifiers else ["digitnet"]) + (["stringnet"] if args.reader else [])
        writers = [args.data / "mnist.npz", cvl_train, args.data / "usps.npz", args.data / "swiss-numbers.npz"]
        for number in args.folds:
            held = parts[number - 1]
            train_rows = [row for k, part in enumerate(parts) if k != number - 1 for row in part]
            folder = training_folder(orand, train_rows, work / f"orand-train-{number}")
            truths[number] = work / f"fold-{number}.csv"
            write_labels(held, truths[number])
            out = outs[number] = (args.keep or work) / f"fold-{number}"
            out.mkdir(parents=True, exist_ok=True)  # its eval output, also where nothing is trained (--classifiers)
            sources = [*writers, folder]
            commands += [(train_command(args, sources, arch, out), out / f"train-{arch}.log") for arch in archs]
        run_trainings(commands, args.jobs)
        for number in args.folds:
            out = outs[number]
            model = (args.classifiers / f"fold-{number}" if args.classifiers else out) / "digitnet.h5"
            alone = score(orand, truths[number], ["-m", str(model), "--no-read-whole"], out / "eval-classifier.txt")
            result = {"fold": number, "strings": alone[0], "digits": alone[1]}
            if args.reader:
                with_reader = ["-m", str(model), "--reader", str(out / "stringnet.h5")]
                both = score(orand, truths[number], with_reader, out / "eval.txt")
                result |= {"reader_strings": both[0], "reader_digits": both[1]}
            result["cvl_valid"] = cvl_valid(model, cvl)
            results.append(result)
            print(f"fold {number}: {json.dumps({k: round(v, 4) for k, v in result.items()})}", flush=True)
    for key in [k for k in results[0] if k != "fold"] if results else []:
        values = [r[key] for r in results]
        print(f"{key}: mean {statistics.mean(values):.4g}, range {min(values):.4g}-{max(values):.4g}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
