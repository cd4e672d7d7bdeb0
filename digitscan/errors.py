"""The few exception types digitscan raises, and the exit codes they map to.

Every error a user can cause (bad data, bad model, unreadable input, unwritable
output) is one of these, so the CLI can turn it into one clear line and an exit
code in one place instead of a traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    ok = 0
    some_files_failed = 1
    usage_error = 2
    interrupted = 130


class DigitscanError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code: ExitCode = ExitCode.usage_error


class DataError(DigitscanError):
    """Training or evaluation data is missing or malformed."""


class ModelError(DigitscanError):
    """A model file is missing, unsafe, corrupt or breaks the model contract."""


class InputError(DigitscanError):
    """One input image could not be read; the batch goes on without it."""

    exit_code = ExitCode.some_files_failed


class OutputError(DigitscanError):
    """An output file or folder cannot be written."""


def is_interrupt(exc: BaseException | None) -> bool:
    """Whether `exc` is Ctrl-C or SIGTERM: a KeyboardInterrupt, or an error raised because of one.

    A signal lands between any two bytecodes. When that is inside Python code
    that C code called (numpy's `__array__` under TensorFlow), the
    KeyboardInterrupt comes out as a SystemError caused by it: still the
    user's interrupt, not a bug.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class Interruption:
    """Whether the block of `interrupts_caught` was stopped by Ctrl-C or SIGTERM."""

    happened = False


@contextlib.contextmanager
def interrupts_caught() -> Iterator[Interruption]:
    """Stop the block at Ctrl-C or SIGTERM and go on after it, as a run that keeps what it finished does.

    `with interrupts_caught() as interruption: ...`, then `interruption.happened`
    says whether the block was cut short. Any other error goes on as it was.
    """
    interruption = Interruption()
    try:
        yield interruption
    except BaseException as exc:  # an error raised because of the interrupt (a pool's cleanup cut short) too
        if not is_interrupt(exc):
            raise
        interruption.happened = True
