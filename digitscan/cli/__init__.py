"""The `digitscan` command line (the console script's `digitscan.cli:main`)."""

from __future__ import annotations

from digitscan.cli.app import app, main

__all__ = ["app", "main"]
