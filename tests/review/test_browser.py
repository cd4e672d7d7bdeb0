"""The review page in a real headless Chromium: order, keyboard, export, escaping, lazy rendering, screenshot."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from review_helpers import Browser, page_record, write_jsonl

from digitscan.review.entries import build_review, read_results
from digitscan.review.page import write_page

SCREENSHOT_ENV = "DIGITSCAN_SCREENSHOT"  # also save the screenshot here (docs/review.png is made so)


def _image(path: Path) -> Path:
    page = np.full((300, 400), 255, np.uint8)
    page[20:160:50, 10:200] = 0  # a few strokes, so crops are not blank
    Image.fromarray(page).save(path)
    return path


def _page(tmp_path: Path, records: list[dict]) -> Path:
    results = write_jsonl(tmp_path / "out.jsonl", records)
    out = tmp_path / "review.html"
    write_page(build_review(read_results(results), tmp_path), str(results), out)
    return out


@pytest.fixture
def three_files(tmp_path: Path) -> Path:
    """a.png: one flagged string; b.png: a flagged string and a sure one; c.png: a sure one."""
    for name in "abc":
        _image(tmp_path / f"{name}.png")
    records = [
        page_record(str(tmp_path / "c.png"), [("555", 0.97, [])]),
        page_record(str(tmp_path / "a.png"), [("123", 0.41, [2])]),
        page_record(str(tmp_path / "b.png"), [("4242", 0.30, [0, 1]), ("90", 0.93, [])]),
    ]
    return _page(tmp_path, records)


def _rows(browser: Browser) -> list:
    """The rendered rows in the page's order (they are placed by their `top`)."""
    rows = browser.driver.find_elements("css selector", ".row")
    return sorted(rows, key=lambda row: float(row.value_of_css_property("top").removesuffix("px")))


def _count(browser: Browser) -> str:
    return browser.driver.find_element("id", "count").text


def _keys(browser: Browser, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser.driver).send_keys(*keys).perform()


def test_every_entry_is_listed_flagged_first_least_sure_first(browser: Browser, three_files: Path) -> None:
    browser.open(three_files)
    rows = _rows(browser)
    readings = [row.find_element("css selector", ".reading").text for row in rows]
    assert readings == ["4242", "123", "90", "555"]  # flagged 0.30, 0.41; then sure 0.93, 0.97
    assert ["flagged" in row.get_attribute("class") for row in rows] == [True, True, False, False]
    assert all(
        row.find_element("css selector", ".crop img").get_attribute("src").startswith("data:image/png;base64,")
        for row in rows
    )
    assert _count(browser).startswith("reviewed 0 of 4")
    browser.driver.find_element("css selector", "input[name=filter][value=flagged]").click()
    assert [row.find_element("css selector", ".reading").text for row in _rows(browser)] == ["4242", "123"]


def test_typing_replaces_enter_accepts_arrows_move_and_export_saves_labels_and_boxes(
    browser: Browser, three_files: Path
) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.open(three_files)
    _keys(browser, "4", "2", "4", "7", Keys.ENTER)  # the first entry (b.png's 4242) corrected to 4247
    assert _count(browser).startswith("reviewed 1 of 4 · corrected 1")
    _keys(browser, Keys.ARROW_DOWN, Keys.ARROW_UP)  # to a.png's 90... and back to a.png's 123
    current = browser.driver.find_element("css selector", ".row.current")
    assert current.find_element("css selector", ".reading").text == "123"
    _keys(browser, Keys.ENTER)  # accepted as read
    assert _count(browser).startswith("reviewed 2 of 4 · corrected 1 · flagged left 0")
    browser.driver.find_element("id", "export").click()
    labels = list(csv.DictReader(io.StringIO(browser.downloaded("labels.csv").read_text())))
    # b.png's sure string goes in as read; c.png has nothing reviewed and is left out
    assert sorted((row["file"], row["digits"]) for row in labels) == [("a.png", "123"), ("b.png", "4247 90")]
    boxes = list(csv.DictReader(io.StringIO(browser.downloaded("boxes.csv").read_text())))
    b_rows = [(row["digit"], int(row["x"]), int(row["y"])) for row in boxes if row["file"] == "b.png"]
    assert b_rows == [("4", 10, 10), ("2", 34, 10), ("4", 58, 10), ("7", 82, 10), ("9", 10, 60), ("0", 34, 60)]
    assert "2 files exported" in browser.driver.find_element("id", "status").text


def test_a_file_waits_for_its_other_flagged_readings(browser: Browser, three_files: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.open(three_files)
    _keys(browser, Keys.ARROW_DOWN, Keys.ENTER)  # only a.png's 123; b.png's flagged 4242 is not reviewed
    browser.driver.find_element("id", "export").click()
    labels = list(csv.DictReader(io.StringIO(browser.downloaded("labels.csv").read_text())))
    assert [(row["file"], row["digits"]) for row in labels] == [("a.png", "123")]


def test_the_review_is_kept_across_a_reload(browser: Browser, three_files: Path) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.open(three_files)
    _keys(browser, "1", Keys.ENTER)
    driver = browser.driver
    WebDriverWait(driver, 10).until(lambda _: _count(browser).startswith("reviewed 1"))
    # Kept in the page's address as well as in localStorage: headless Chromium gave a page opened from disk an empty
    # store of its own now and then (a quarter of 60 reloads under two CPU hogs), and the review was lost.
    assert "#review=" in driver.current_url
    driver.refresh()
    WebDriverWait(driver, 30).until(lambda _: _count(browser).startswith("reviewed 1"))
    assert _count(browser).startswith("reviewed 1 of 4 · corrected 1")
    assert _rows(browser)[0].find_element("css selector", "input.answer").get_attribute("value") == "1"


def test_script_in_a_results_file_does_not_run(browser: Browser, tmp_path: Path) -> None:
    names = [
        "<script>window.pwned = 1</script>.png",
        "</script><script>window.pwned = 2</script>.png",
        '<img src=x onerror="window.pwned = 3">.png',
        "{{DATA}} & <!-- .png",
    ]
    records = [page_record(name, [("7", 0.9, [])]) for name in names]
    page = _page(tmp_path, records)
    browser.open(page)
    assert browser.driver.execute_script("return window.pwned") is None
    shown = sorted(row.find_element("css selector", ".where").text for row in _rows(browser))
    assert shown == sorted(f"{name} · page 0" for name in names)  # shown as text, whole
    assert "image not found" in _rows(browser)[0].find_element("css selector", ".crop").text


def test_five_thousand_entries_are_rendered_lazily(browser: Browser, tmp_path: Path) -> None:
    _image(tmp_path / "big.png")
    strings = [(str(n % 1000).zfill(3), round(1 - n / 10000, 4), []) for n in range(5000)]
    page = _page(tmp_path, [page_record(str(tmp_path / "big.png"), strings)])
    browser.open(page)
    assert _count(browser).startswith("reviewed 0 of 5000")
    assert _rows(browser)[0].find_element("css selector", ".reading").text == "999"  # the least sure
    assert len(_rows(browser)) < 60  # the screen's rows and a few beyond, not 5,000
    browser.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    browser.driver.execute_script("return new Promise((done) => requestAnimationFrame(() => done()))")
    last = _rows(browser)[-1]
    assert last.find_element("css selector", ".reading").text == "000"  # the surest, listed last
    assert len(_rows(browser)) < 60


def test_round_trip_scan_review_correct_export_finetune(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scan the samples, let three readings be misread, correct them on the page, export, fine-tune on it."""
    import json

    from selenium.webdriver.common.keys import Keys
    from typer.testing import CliRunner

    from digitscan.cli.app import app
    from digitscan.model.files import bundled_model_path

    if not bundled_model_path().exists():
        pytest.skip("no bundled model in this checkout")
    samples = Path(__file__).resolve().parents[2] / "samples"
    monkeypatch.chdir(tmp_path)  # the results name the images relative to here, as a user's scan would
    folder = Path("checks")
    folder.mkdir()
    for image in ("check.png", "form.png", "photo.jpg"):
        shutil.copy(samples / image, folder / image)
    results = Path("results.jsonl")
    runner = CliRunner()
    scanned = runner.invoke(app, ["scan", str(folder), "-o", str(results), "--workers", "0", "-q"])
    assert scanned.exit_code == 0, scanned.output
    records = [json.loads(line) for line in results.read_text().splitlines()]
    truth = {}
    for record in records:  # the first string of each file misread in its last digit, and flagged
        first = record["strings"][0]
        truth[Path(record["file"]).name] = first["digits"]
        wrong = first["digits"][:-1] + str((int(first["digits"][-1]) + 1) % 10)
        first.update(digits=wrong, confidence=0.2, flagged=[len(wrong) - 1], review=True)
        first["digit_details"][-1].update(char=wrong[-1], confidence=0.2, flagged=True)
    write_jsonl(results, records)
    page = Path("review.html")
    reviewed = runner.invoke(app, ["review", str(results), "--out", str(page)])
    assert reviewed.exit_code == 0, reviewed.output
    browser.open(page)
    shown = {}
    for _ in range(3):  # the three flagged entries come first: type each one's truth, Enter
        row = browser.driver.find_element("css selector", ".row.current")
        name = Path(row.find_element("css selector", ".where").text.split(" · ")[0]).name
        shown[name] = row.find_element("css selector", ".reading").text
        _keys(browser, *truth[name], Keys.ENTER)
    assert sorted(shown) == sorted(truth) and all(shown[n] != truth[n] for n in truth)
    assert _count(browser).startswith("reviewed 3 of ")
    _save_screenshot(browser, tmp_path)
    browser.driver.find_element("id", "export").click()
    for name in ("labels.csv", "boxes.csv"):
        shutil.copy(browser.downloaded(name), folder / name)
    labels = {row["file"]: row["digits"] for row in csv.DictReader((folder / "labels.csv").open())}
    assert {name: digits.split(" ")[0] for name, digits in labels.items()} == truth
    out = tmp_path / "finetuned"
    args = ["train", "--finetune", str(folder), "--labels", str(folder / "labels.csv"), "--epochs", "1"]
    trained = runner.invoke(app, [*args, "--out", str(out), "-q"])
    assert trained.exit_code == 0, trained.output
    card = json.loads((out / "finetuned.card.json").read_text())
    data = card["finetune_data"]
    digits = sum(len(d.replace(" ", "")) for d in labels.values())
    assert data["files"] == 3 and data["digits"] == digits  # every corrected file, every digit of its label
    assert set(data["held_out"]) <= set(truth)


def _save_screenshot(browser: Browser, tmp_path: Path) -> None:
    """The page as a reader sees it: in the test's folder, and where $DIGITSCAN_SCREENSHOT says (docs/review.png)."""
    shot = tmp_path / "review.png"
    browser.driver.execute_script("window.scrollTo(0, 0)")
    assert browser.driver.save_screenshot(str(shot)) and shot.stat().st_size > 0
    if os.environ.get(SCREENSHOT_ENV):
        shutil.copy(shot, os.environ[SCREENSHOT_ENV])
