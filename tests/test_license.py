"""The package's licence: the LICENSE file says what pyproject.toml declares."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_license_file_is_the_mit_license_pyproject_declares() -> None:
    declared = re.search(r'^license = \{ text = "(\w+)" \}', (ROOT / "pyproject.toml").read_text(), re.M)
    assert declared is not None
    text = (ROOT / "LICENSE").read_text()
    assert declared.group(1) == "MIT" and text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
