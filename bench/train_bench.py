"""Training benchmark: the tutorial's LeNet recipe against `digitscan train`'s default, side by side.

Run from the repository root::

    python bench/train_bench.py                      # full run: both configurations, full MNIST
    python bench/train_bench.py --limit 2000 --epochs-default 1   # smoke test

Each configuration runs in its own subprocess (this script again, with a hidden ``--child``), so its peak memory
(``VmHWM``: unlike ``ru_maxrss``, it does not carry the parent's peak over) is its own. Measured per configuration:
wall time, test accuracy, peak RSS; for the default recipe also the test accuracy after every epoch, to find when it
first reaches the tutorial's test accuracy. Those per-epoch test figures are taken by the benchmark only (it wraps
``digitscan.training.train.train_epoch`` and scores the best checkpoint on disk after each epoch); the library never
sees them, and their cost is subtracted from the default recipe's times.

Timing: MNIST loading is excluded from both. The tutorial's time covers preprocessing, build, compile, ``fit``
(``verbose=2``: a log line per epoch instead of a progress bar; the recipe is unchanged) and the test evaluation.
The default's covers the whole ``digitscan.training.train.train`` call (validation each epoch, checkpoints, the final
test evaluation, plots) minus the benchmark's own per-epoch test evaluations.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "mnist.npz"
CONFIGS = ("lenet", "default")
TARGET_TIME_RATIO = 1 / 3  # default time-to-tutorial-accuracy / tutorial wall time
TARGET_ACCURACY = 0.995  # default recipe's final test accuracy
TARGET_PEAK_BYTES = 3e9  # 3 GB (10^9 bytes) peak RSS


def peak_rss_bytes() -> int:
    """This process's peak resident set size.

    On Linux this is VmHWM: ru_maxrss survives exec, so a subprocess started
    from a big parent would report the parent's peak as its own. Elsewhere
    ru_maxrss (KiB on Linux, bytes on macOS).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def test_accuracy(model: Any, x: np.ndarray, y: np.ndarray, chunk: int = 1024) -> float:
    """Top-1 accuracy: argmax over all outputs (a reject output counts as wrong), in chunks via predict_on_batch."""
    probs = np.concatenate([np.asarray(model.predict_on_batch(x[i : i + chunk])) for i in range(0, len(x), chunk)])
    return float((probs.argmax(axis=1) == y).mean())


def load_data(path: Path, limit: int | None) -> Any:
    """MNIST through the library's loader, optionally cut to the first `limit` training digits."""
    from digitscan.training.data import Mnist, load_mnist

    data = load_mnist(path)
    if limit:
        data = Mnist(data.x_train[:limit], data.y_train[:limit], data.x_test, data.y_test, data.source, data.sha256)
    return data


def run_lenet(data: Any) -> dict[str, Any]:
    """The tutorial exactly: LeNet, Adam (default lr), batch 16, 5 epochs, plain fit on NumPy arrays."""
    from digitscan._keras import accelerator, import_keras
    from digitscan.model.architectures import build

    keras = import_keras()
    keras.utils.set_random_seed(1)
    x_test = (data.x_test.astype("float32") / 255).reshape(-1, 28, 28, 1)
    started = time.perf_counter()
    x_train = (data.x_train.astype("float32") / 255).reshape(-1, 28, 28, 1)
    model = build("lenet")
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, data.y_train, batch_size=16, epochs=5, verbose=2)  # verbose=2: a log line per epoch, no bar
    fitted = time.perf_counter()
    accuracy = test_accuracy(model, x_test, data.y_test)
    wall = time.perf_counter() - started
    return {
        "config": "lenet",
        "epochs": 5,
        "train_images": len(x_train),
        "wall_s": wall,
        "fit_s": fitted - started,
        "test_accuracy": accuracy,
        "device": accelerator(),
    }


class EpochClock:
    """A training reporter that records the wall-clock time at the end of every epoch."""

    def __init__(self) -> None:
        self.started = 0.0
        self.epochs = 0
        self.device = ""
        self.ends: list[tuple[float, dict[str, float], bool]] = []

    def start(self, epochs: int, batches_per_epoch: int, device: str) -> None:
        self.started, self.epochs, self.device = time.perf_counter(), epochs, device
        print(f"default recipe on {device}: {epochs} epochs of {batches_per_epoch} batches", flush=True)

    def batch(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        pass

    def epoch(self, epoch: int, logs: dict[str, float], saved: bool) -> None:
        self.ends.append((time.perf_counter(), dict(logs), saved))
        print(
            f"epoch {epoch + 1}/{self.epochs}: loss {logs['loss']:.4f} val_acc {logs['val_accuracy']:.4f}"
            f"{'  (saved)' if saved else ''}",
            flush=True,
        )


class TestProbe:
    """Wraps `train_epoch`: after each epoch, scores the best checkpoint on disk on the test split.

    The checkpoint is what a user has at that moment; it is scored in the
    recipe's input representation (`to_mnist` for the default), and the time the
    scoring takes is kept so it can be subtracted.
    """

    def __init__(self, original: Callable[..., dict[str, float]], data: Any, normalise: bool) -> None:
        from digitscan.training.feed import mnist_inputs

        self.original, self.y_test = original, data.y_test.astype(np.int64)
        self.x_test = mnist_inputs(data.x_test, normalise)
        self.accuracy: list[float] = []
        self.overhead_through: list[float] = []  # cumulative probe seconds up to and including each epoch
        self.overhead = 0.0

    def __call__(
        self, model: Any, data: Any, validation: Any, batch_size: int, epoch: int, rng: Any, best: Any, reporter: Any
    ) -> dict[str, float]:
        saved_before = best.epoch
        logs = self.original(model, data, validation, batch_size, epoch, rng, best, reporter)
        started = time.perf_counter()
        if best.epoch != saved_before or not self.accuracy:
            from digitscan.model.files import load_model

            self.accuracy.append(test_accuracy(load_model(best.path).model, self.x_test, self.y_test))
        else:
            self.accuracy.append(self.accuracy[-1])  # the checkpoint on disk did not change
        self.overhead += time.perf_counter() - started
        self.overhead_through.append(self.overhead)
        print(
            f"    test accuracy of the checkpoint after epoch {epoch + 1}: {self.accuracy[-1]:.4%} (benchmark probe)",
            flush=True,
        )
        return logs


def run_default(data: Any, epochs: int | None) -> dict[str, Any]:
    """`digitscan train` with its defaults, through the library, with the benchmark's per-epoch test probe."""
    import digitscan.training.train as train_module
    from digitscan.training.recipe import TrainOptions

    clock = EpochClock()
    original = train_module.train_epoch
    config = TrainOptions(epochs=epochs)
    probe = TestProbe(original, data, config.recipe().normalise)
    train_module.train_epoch = probe  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory(prefix="digitscan-train-bench-") as out:
            started = time.perf_counter()
            result = train_module.train(data, dataclasses.replace(config, out=Path(out)), clock)
            wall = time.perf_counter() - started
    finally:
        train_module.train_epoch = original
    per_epoch = [
        {
            "epoch": i + 1,
            "elapsed_s": end - started - probe.overhead_through[i],
            "test_accuracy": probe.accuracy[i],
            "val_accuracy": logs["val_accuracy"],
            "loss": logs["loss"],
            "saved": saved,
        }
        for i, (end, logs, saved) in enumerate(clock.ends)
    ]
    card = result.card
    train_images = len(data.x_train) - min(config.validation_size, len(data.x_train) // 5)  # as split_validation
    return {
        "config": "default",
        "arch": config.arch,
        "epochs": len(per_epoch),
        "recipe": card.get("recipe"),
        "train_images": train_images,
        "wall_s": wall - probe.overhead,
        "probe_overhead_s": probe.overhead,
        "loop_wall_s_card": card.get("wall_time_s"),
        "test_accuracy": card.get("test_accuracy"),
        "test_inputs": card.get("test_inputs"),
        "test_accuracy_raw_pixels": card.get("test_accuracy_raw_pixels"),
        "best_epoch": card.get("best_epoch"),
        "per_epoch": per_epoch,
        "device": clock.device,
        "interrupted": result.interrupted,
    }


def child(args: argparse.Namespace) -> None:
    """Run one configuration in this process and write its figures (with peak RSS) as JSON."""
    data = load_data(args.data, args.limit)
    result = run_lenet(data) if args.child == "lenet" else run_default(data, args.epochs_default)
    result["peak_rss_bytes"] = peak_rss_bytes()
    Path(args.result_file).write_text(json.dumps(result, indent=2))


def run_in_subprocess(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """This script again, with --child NAME; its output streams through; its figures come back as JSON."""
    with tempfile.TemporaryDirectory(prefix="digitscan-train-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            name,
            "--result-file",
            str(result_file),
            "--data",
            str(args.data),
        ]
        if args.limit:
            command += ["--limit", str(args.limit)]
        if args.epochs_default:
            command += ["--epochs-default", str(args.epochs_default)]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        code = subprocess.run(command, cwd=ROOT, check=False).returncode
        if code != 0 or not result_file.exists():
            return {"config": name, "error": f"subprocess exited with code {code}"}
        return json.loads(result_file.read_text())


def summarise(results: dict[str, dict[str, Any]], tutorial_accuracy: float | None) -> dict[str, Any]:
    """The ratios quoted against the targets."""
    lenet, default = results.get("lenet", {}), results.get("default", {})
    target = lenet.get("test_accuracy", tutorial_accuracy)
    summary: dict[str, Any] = {"tutorial_accuracy": target}
    if "per_epoch" in default and target is not None:
        reached = next((e for e in default["per_epoch"] if e["test_accuracy"] >= target), None)
        summary["default_epoch_reaching_tutorial_accuracy"] = reached["epoch"] if reached else None
        summary["default_time_to_tutorial_accuracy_s"] = reached["elapsed_s"] if reached else None
    if "wall_s" in lenet and "wall_s" in default:
        summary["full_time_ratio"] = default["wall_s"] / lenet["wall_s"]
        if summary.get("default_time_to_tutorial_accuracy_s") is not None:
            summary["time_to_accuracy_ratio"] = summary["default_time_to_tutorial_accuracy_s"] / lenet["wall_s"]
    return summary


def gb(n: float | None) -> str:
    return "-" if n is None else f"{n / 1e9:.2f} GB"


def verdict(ok: bool | None) -> str:
    return "[dim]n/a[/]" if ok is None else "[green]met[/]" if ok else "[red]missed[/]"


def report(results: dict[str, dict[str, Any]], summary: dict[str, Any]) -> None:
    """Print the per-configuration table and the ratios against the targets."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    table = Table(title="training: tutorial LeNet vs digitscan train default")
    for column in ("config", "epochs", "train digits", "wall time", "test accuracy", "peak RSS", "device"):
        table.add_column(column, justify="left" if column in ("config", "device") else "right")
    table.caption = (
        "tutorial: lenet, Adam, batch 16, 5 epochs, model.fit; default: digitscan.training.train.train defaults"
    )
    names = {"lenet": "tutorial", "default": "default"}
    for name, r in results.items():
        if "error" in r:
            table.add_row(names[name], "", "", "", f"[red]{r['error']}[/]", "", "")
            continue
        table.add_row(
            names[name],
            str(r["epochs"]),
            f"{r['train_images']:,}",
            f"{r['wall_s']:.1f} s",
            f"{r['test_accuracy']:.2%}",
            gb(r["peak_rss_bytes"]),
            r["device"],
        )
    console.print(table)
    default = results.get("default", {})
    if "per_epoch" in default:
        epochs = Table(title="default recipe per epoch (test accuracy of the checkpoint, from the benchmark's probe)")
        for column in ("epoch", "elapsed", "val accuracy", "test accuracy", "saved"):
            epochs.add_column(column, justify="right")
        for e in default["per_epoch"]:
            epochs.add_row(
                str(e["epoch"]),
                f"{e['elapsed_s']:.1f} s",
                f"{e['val_accuracy']:.2%}",
                f"{e['test_accuracy']:.2%}",
                "yes" if e["saved"] else "",
            )
        console.print(epochs)
        console.print(
            f"benchmark probe time subtracted: {default['probe_overhead_s']:.1f} s; the final test accuracy "
            f"is the card's (best-validation checkpoint, epoch {default['best_epoch']})"
        )
    ratios = Table(title="against the targets")
    for column in ("measure", "value", "target", ""):
        ratios.add_column(column, justify="left" if column == "measure" else "right")
    tta, target = summary.get("time_to_accuracy_ratio"), summary.get("tutorial_accuracy")
    reached = summary.get("default_epoch_reaching_tutorial_accuracy")
    label = f"default time to {target:.2%} / tutorial time" if target is not None else "time-to-accuracy ratio"
    reached_s = summary.get("default_time_to_tutorial_accuracy_s")
    met: bool | None = None
    if tta is not None:
        value, met = f"{tta:.3f} (epoch {reached}, {reached_s:.1f} s)", tta <= TARGET_TIME_RATIO
    elif reached_s is not None:
        value = f"{reached_s:.1f} s (epoch {reached}); no tutorial time to divide by"
    elif "default_epoch_reaching_tutorial_accuracy" in summary:
        value, met = "not reached", False
    else:
        value = "-"
    ratios.add_row(label, value, "≤ 0.333", verdict(met))
    full = summary.get("full_time_ratio")
    ratios.add_row("default full time / tutorial time", "-" if full is None else f"{full:.3f}", "", "")
    acc, raw = default.get("test_accuracy"), default.get("test_accuracy_raw_pixels")
    ratios.add_row(
        f"default final test accuracy ({default.get('test_inputs', '?')})",
        "-" if acc is None else f"{acc:.2%}",
        "≥ 99.50%",
        verdict(None if acc is None else acc >= TARGET_ACCURACY),
    )
    ratios.add_row("default final test accuracy (raw pixels / 255)", "-" if raw is None else f"{raw:.2%}", "", "")
    peak = default.get("peak_rss_bytes")
    ratios.add_row(
        "default peak RSS", gb(peak), "< 3.00 GB", verdict(None if peak is None else peak < TARGET_PEAK_BYTES)
    )
    lenet_peak = results.get("lenet", {}).get("peak_rss_bytes")
    if lenet_peak is not None:
        ratios.add_row("tutorial peak RSS", gb(lenet_peak), "", "")
    console.print(ratios)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"MNIST .npz or IDX folder ({DEFAULT_DATA})")
    parser.add_argument("--epochs-default", type=int, default=None, help="epochs of the default recipe (its own)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training digits (smoke tests)")
    parser.add_argument("--only", choices=CONFIGS, default=None, help="run only this configuration")
    parser.add_argument(
        "--tutorial-accuracy",
        type=float,
        default=None,
        help="tutorial's test accuracy, for time-to-accuracy with --only default",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    parser.add_argument("--child", choices=CONFIGS, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.data = args.data.expanduser().resolve()
    if args.child:
        child(args)
        return 0
    results = {name: run_in_subprocess(name, args) for name in CONFIGS if args.only in (None, name)}
    summary = summarise(results, args.tutorial_accuracy)
    print()
    report(results, summary)
    if args.json:
        payload = {
            "benchmark": "train",
            "machine": machine(),
            "options": {k: str(v) for k, v in vars(args).items()},
            "results": results,
            "summary": summary,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
