"""Stage 4: classify normalised digits in large batches, in one place; and tell a page's printed glyphs from its
handwritten ones (`PrintDetector`).

Digits from many images are stacked and sent through the model together:
one predict call per digit or per image would spend its time in overhead.
The model is the exported copy run by ONNX Runtime (`model.files.load_for_scanning`), without TensorFlow; a
Keras model (no exported copy, or one given as a `LoadedModel`) runs folded, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitscan._files import bundled
from digitscan.model.contract import DIGITS, INPUT_SHAPE, PRINTED, reject_outputs
from digitscan.model.files import LoadedModel, load_for_scanning
from digitscan.scan.normalise import BOX, READ_BOXES
from digitscan.scan.options import ScanOptions

# A digit framed several ways (`normalise.READ_BOXES`) has its other framings scored only when its first leaves it
# under this sure (its best digit or "not a digit"): at 0.99 every reading of the dev pages, dev cells, ORAND fold 5
# and 216 printed crops is the one all framings give, and 59 % of ORAND's candidates need them (46 % at 0.9, where
# readings change; bench/README.md, twenty-second session).
FRAMING_SURE = 0.99


@dataclass
class Scores:
    """Per candidate: probabilities of digits 0-9 and of "not a digit" (the rest, e.g. "several digits", is neither)."""

    digits: np.ndarray  # (N, 10): the digit outputs
    reject: np.ndarray  # (N,)
    # (N,): the print detector's probability that the candidate is printed; NaN where it did not look (`PrintDetector`)
    printed: np.ndarray | None = None
    # (N,): the same for the glyph turned half a turn: print standing the other way up from the page's reading (a
    # form's number printed along its other edge) is print too (`assemble._printed`)
    printed_turned: np.ndarray | None = None

    def rows(self, start: int, stop: int) -> Scores:
        """The scores of candidates [start, stop)."""
        printed = None if self.printed is None else self.printed[start:stop]
        turned = None if self.printed_turned is None else self.printed_turned[start:stop]
        return Scores(self.digits[start:stop], self.reject[start:stop], printed, turned)


class Classifier:
    """A loaded model behind a batched `scores` call."""

    def __init__(self, model: LoadedModel | str | None = None, batch_size: int = ScanOptions.predict_batch) -> None:
        self.loaded = model if isinstance(model, LoadedModel) else load_for_scanning(model)
        self.batch_size = batch_size  # the most images per predict call
        self.padded = self.loaded.runtime == "keras"  # Keras traces a graph per batch shape; ONNX Runtime does not
        if self.padded:
            from digitscan.model.fold import fold_batch_norm

            self.model = fold_batch_norm(self.loaded.model)
        else:
            self.model = self.loaded.model  # folded when it was exported

    def scores(self, images: np.ndarray) -> Scores:
        """Score (N, size, size) images in [0, 1] (the contract's input size); N may be 0. Given (N, K, size, size),
        each digit framed K ways (`normalise.to_mnist_framings`), see `_framed_scores`."""
        if images.ndim == 4:
            return self._framed_scores(images)
        outputs = self.loaded.num_outputs
        probs = np.zeros((len(images), outputs), np.float32)
        for start in range(0, len(images), self.batch_size):
            chunk = images[start : start + self.batch_size, ..., None].astype(np.float32)
            size = len(chunk)
            padded = bucket(size, self.batch_size) if self.padded else size
            if padded > size:
                chunk = np.concatenate([chunk, np.zeros((padded - size, *INPUT_SHAPE), np.float32)])
            probs[start : start + size] = np.asarray(self.model.predict_on_batch(chunk))[:size]
        rejects = reject_outputs(self.loaded.classes)
        reject = probs[:, rejects].sum(axis=1) if rejects else np.zeros(len(probs), np.float32)
        return Scores(digits=probs[:, :DIGITS], reject=reject)

    def _framed_scores(self, images: np.ndarray) -> Scores:
        """A digit's scores are the mean of its K framings', unless its first framing is FRAMING_SURE of it."""
        k = images.shape[1]
        scores = self.scores(images[:, 0])
        unsure = np.flatnonzero(np.maximum(scores.digits.max(axis=1, initial=0), scores.reject) < FRAMING_SURE)
        if len(unsure) and k > 1:
            rest = self.scores(images[unsure, 1:].reshape(-1, *images.shape[2:]))
            digits = rest.digits.reshape(len(unsure), k - 1, DIGITS).sum(axis=1)
            scores.digits[unsure] = (scores.digits[unsure] + digits) / k
            scores.reject[unsure] = (scores.reject[unsure] + rest.reject.reshape(len(unsure), k - 1).sum(axis=1)) / k
        return scores


def bucket(size: int, largest: int, smallest: int = 32) -> int:
    """The batch shape to run `size` images as: the next power of two, between `smallest` and `largest`.

    A handful of shapes keeps the model from being traced again for every new
    batch size, while padding wastes at most half a batch, not a whole one.
    """
    return min(largest, max(smallest, 1 << max(0, size - 1).bit_length()))


# The framing the print detector reads a glyph in: MNIST's box (it learnt both of READ_BOXES, drawn at random).
PRINT_FRAMING = READ_BOXES.index(BOX)
PRINT_DETECTOR_NAME = "printnet.h5"  # the bundled print detector, beside the bundled classifier in models/


def bundled_print_detector_path() -> str:
    """The bundled print detector: in the installed wheel, or in the source checkout."""
    return str(bundled("models", PRINT_DETECTOR_NAME))


class PrintDetector:
    """A loaded print detector (`contract.PRINT_CLASSES`) behind a batched `printed` call."""

    def __init__(self, model: LoadedModel | str | None = None, batch_size: int = ScanOptions.predict_batch) -> None:
        model = bundled_print_detector_path() if model is None else model
        self.loaded = model if isinstance(model, LoadedModel) else load_for_scanning(model, role="print")
        self.batch_size = batch_size

    @classmethod
    def for_options(cls, options: ScanOptions) -> PrintDetector | None:
        """The print detector a scan's options name (None where printed numbers are read like handwriting)."""
        return cls(options.print_model, options.predict_batch) if options.drop_print else None

    def printed(self, images: np.ndarray) -> np.ndarray:
        """(N,) probabilities that (N, 28, 28) glyphs from `to_mnist` are printed."""
        out = np.zeros(len(images), np.float32)
        for start in range(0, len(images), self.batch_size):
            chunk = images[start : start + self.batch_size, ..., None].astype(np.float32)
            out[start : start + len(chunk)] = np.asarray(self.loaded.model.predict_on_batch(chunk))[:, PRINTED]
        return out
