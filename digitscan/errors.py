"""The few exception types digitscan raises, and the exit codes they map to.

Every error a user can cause (bad data, bad model, unreadable input, unwritable
output) is one of these, so the CLI can turn it into one clear line and an exit
code in one place instead of a traceback.
"""

from __future__ import annotations

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
