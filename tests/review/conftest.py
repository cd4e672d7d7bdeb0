"""A headless Chromium driven by Selenium, one per test module, and review pages to open in it.

The browser tests skip, saying why, where Selenium, Chromium or its driver is
missing (`.ci/run` installs them: `apt-get install chromium chromium-driver`).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DOWNLOAD_WAIT_S = 15.0  # a download a test waits for before it fails (a Blob download lands in well under a second)
CHROMIUM_FLAGS = (  # headless, offline, in a container as root: no sandbox, no GPU, no calls home
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,800",
)


@dataclass
class Browser:
    """The driver and the folder its downloads land in."""

    driver: Any
    downloads: Path

    def open(self, page: Path) -> None:
        """Open a page from disk, with no download of an earlier test left over."""
        for old in self.downloads.iterdir():
            old.unlink()
        self.driver.get(page.resolve().as_uri())

    def downloaded(self, name: str) -> Path:
        """The downloaded file once it is complete; fails after `DOWNLOAD_WAIT_S`."""
        path, deadline = self.downloads / name, time.monotonic() + DOWNLOAD_WAIT_S
        while time.monotonic() < deadline:
            if path.is_file() and not any(p.suffix == ".crdownload" for p in self.downloads.iterdir()):
                return path
            time.sleep(0.05)
        held = sorted(p.name for p in self.downloads.iterdir())
        raise AssertionError(f"{name} was not downloaded; the folder holds {held}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for the module's tests, downloading into a fresh folder without asking."""
    try:
        from selenium import webdriver
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("Chromium and its driver are not installed (apt-get install chromium chromium-driver)")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "profile.default_content_setting_values.automatic_downloads": 1,
        },
    )
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        yield Browser(driver, downloads)
    finally:
        driver.quit()


def page_record(file: str, strings: list[tuple[str, float, list[int]]], page: int = 0) -> dict[str, Any]:
    """A JSONL page record as `digitscan scan` writes it: (digits, confidence, flagged positions) per string,
    each digit 20x30 pixels, strings one under another."""
    out = []
    for n, (digits, confidence, flagged) in enumerate(strings):
        y = 10 + 50 * n
        details = [
            {"char": c, "confidence": 0.5 if i in flagged else 0.99, "box": [10 + 24 * i, y, 20, 30]}
            | {"flagged": i in flagged}
            for i, c in enumerate(digits)
        ]
        out.append(
            {
                "digits": digits,
                "confidence": confidence,
                "box": [10, y, 24 * len(digits), 30],
                "line": n,
                "flagged": flagged,
                "digit_details": details,
            }
        )
    return {"file": file, "page": page, "error": None, "width": 400, "height": 300, "strings": out}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
