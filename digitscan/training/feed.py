"""Each epoch's training data, made ahead of the training that uses it.

In a background thread on a small machine, in worker processes where there
are cores to spare (a GPU machine): the input pipeline's prefetch.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from digitscan.scan.normalise import to_mnist_batch
from digitscan.scan.warmup import one_opencv_thread
from digitscan.training.augment import training_epoch
from digitscan.training.recipe import Recipe

if TYPE_CHECKING:
    from digitscan.training.sources import Mixture


def mnist_inputs(x: np.ndarray, normalise: bool) -> np.ndarray:
    """Network inputs for MNIST digits: through `to_mnist` as scanning prepares its crops, or raw pixels / 255."""
    if normalise:
        return to_mnist_batch(list(x))[..., None]
    return (x.astype(np.float32) / 255.0)[..., None]


def _make_epoch(
    x: np.ndarray, y: np.ndarray, recipe: Recipe, seed: int, mixture: Mixture | None, epoch: int
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's inputs and labels (the same every epoch without augmentation)."""
    if not recipe.augment:
        return mnist_inputs(x, recipe.normalise), y.astype(np.int64)
    return training_epoch(x, y, seed, epoch, recipe.reject_fraction, mixture)


_WORKER_ARGS: tuple[Any, ...] = ()


def _start_worker(*args: Any) -> None:
    global _WORKER_ARGS
    _WORKER_ARGS = args
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's to handle
    one_opencv_thread()


def _worker_epoch(epoch: int) -> tuple[Any, ...]:
    make, *args = _WORKER_ARGS
    return make(*args, epoch)


class EpochFeed:
    """Makes epochs ahead of training: one thread on a small machine, worker processes where cores are spare.

    On a 2-core CPU the network needs both cores and one epoch ahead is enough;
    on a GPU machine the augmentation is the slow part, so several processes
    make several epochs at once.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        recipe: Recipe,
        seed: int,
        mixture: Mixture | None = None,
        workers: int | None = None,
        make: Callable[..., tuple[Any, ...]] | None = None,
        args: tuple[Any, ...] | None = None,
    ) -> None:
        """Epochs of `make(*args, epoch)`: by default the classifier's (`_make_epoch` of x, y, the recipe, seed and
        mixture); the string reader passes its own (a module-level function, so worker processes can run it)."""
        if workers is None:
            workers = max(0, min(8, (os.cpu_count() or 1) - 2)) if recipe.augment else 0
        make = make or _make_epoch
        args = (x, y, recipe, seed, mixture) if args is None else args
        self.pool: Executor
        if workers:
            context = multiprocessing.get_context("forkserver")
            self.pool = ProcessPoolExecutor(workers, context, _start_worker, (make, *args))
            self.make: Any = _worker_epoch
        else:
            self.pool = ThreadPoolExecutor(1)
            self.make = lambda epoch: make(*args, epoch)
        self.ahead = max(1, workers)
        self.epochs = recipe.epochs if recipe.augment else 1
        self.pending: dict[int, Future] = {}

    def get(self, epoch: int) -> tuple[Any, ...]:
        """Epoch `epoch`'s data (waiting for it if need be), with the next ones started."""
        epoch = min(epoch, self.epochs - 1)
        for ahead in range(epoch, min(self.epochs, epoch + 1 + self.ahead)):
            if ahead not in self.pending:
                self.pending[ahead] = self.pool.submit(self.make, ahead)
        data = self.pending[epoch].result()
        if self.epochs > 1:
            del self.pending[epoch]
        return data

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
