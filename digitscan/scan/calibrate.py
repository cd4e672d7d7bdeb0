"""The confidences a scan reports, made to mean what they say: of the strings reported at 0.9, about nine in ten right.

The networks' probabilities are surer than their record on hands they never learnt: of the dev pages' strings read
at 0.90-0.95, 80 % were right; of the register cells read there, 67 %. Once every reading of a page is chosen (the
surer cut, the surer way up, the surer of a window's two readings: all decided on the networks' own probabilities),
each digit's confidence p is reported as sigmoid(CONFIDENCE_TEMPERATURE * logit(p)), and a string's as the product of
its digits' (`DigitString.confidence`). What is read never changes; the numbers shown, written and used for
`--min-confidence`'s review flags do.
"""

from __future__ import annotations

import math
from dataclasses import replace

from digitscan.results import DigitString

# One temperature for every digit a scan reports, fitted by the strings' log-loss on the dev pages (ledgers of seed
# 182000, pages 120000 / 143000; 3,039 strings, read with a twin of the classifier that never saw their CVL writers):
# 1.0 (the networks' own) 0.226, 0.9 0.215, 0.8 0.207, 0.7 0.204, 0.6 0.211, 0.5 0.233. The gap between confidence
# and the share read right over bins at 0.5 / 0.8 / 0.9 / 0.95 / 0.99 / 0.999 (expected calibration error), before
# -> after at 0.7, on sets it was not fitted on: the 28 kept page sets (22,456 strings) 0.049 -> 0.008 (strings at
# 0.90-0.95: 80 % right before, 92 % after), 360 pages written by 30 CVL writers no network learnt and MNIST's test
# writers 0.042 -> 0.014, register cells of seeds 3000 / 9500 0.081 / 0.061 -> 0.046 / 0.030, 400 check amounts
# 0.060 -> 0.038 (fifty-eighth session, bench/README.md).
CONFIDENCE_TEMPERATURE = 0.7
SURE = 1e-7  # a probability of exactly 0 or 1 is read as this far from it (its logit is otherwise infinite)


def calibrated_confidence(p: float) -> float:
    """A digit's probability as its network gave it, as the share of such digits read right."""
    p = min(max(p, SURE), 1.0 - SURE)
    return 1.0 / (1.0 + math.exp(-CONFIDENCE_TEMPERATURE * math.log(p / (1.0 - p))))


def calibrated(strings: list[DigitString]) -> list[DigitString]:
    """The same readings, each digit's confidence calibrated (new `Digit`s: the chosen readings are not touched)."""
    return [
        replace(s, digits=[replace(d, confidence=calibrated_confidence(d.confidence)) for d in s.digits])
        for s in strings
    ]
