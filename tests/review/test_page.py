"""The page's HTML: data embedded so nothing in a results file can end the script or become markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

from review_helpers import page_record, write_jsonl

from digitscan.review.entries import build_review, read_results
from digitscan.review.page import page_data, render_page, script_json

HOSTILE = ["</script><script>alert(1)</script>.png", "<!--<script>.png", "{{NONCE}}&{{DATA}}.png", "a\u2028b.png"]


def _review(tmp_path: Path, names: list[str]):
    records = [page_record(name, [("12", 0.9, [1]), ("3", 0.99, [])]) for name in names]
    return build_review(read_results(write_jsonl(tmp_path / "out.jsonl", records)), tmp_path)


def test_script_json_has_no_markup_characters_and_reads_back() -> None:
    data = {"names": HOSTILE, "n": [1, 2.5, None, True]}
    text = script_json(data)
    assert not set(text) & {"<", ">", "&", "\u2028"}
    assert json.loads(text) == data


def test_file_names_cannot_end_the_script_or_fill_a_placeholder(tmp_path: Path) -> None:
    html = render_page(_review(tmp_path, HOSTILE), "</title><script>alert(2)</script>")
    assert len(re.findall(r"<script\b", html)) == 2 and html.count("</script>") == 2  # the data block and ours
    assert "<title>digitscan review: &lt;/title&gt;&lt;script&gt;" in html
    nonce = re.search(r"script-src 'nonce-([^']+)'", html).group(1)
    assert f'<script nonce="{nonce}">' in html and html.count(nonce) == 2  # the name's {{NONCE}} is not filled in
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))
    assert sorted({e["file"] for e in data["entries"]}) == sorted(HOSTILE)  # every name whole, none filled in


def test_each_file_lists_its_strings_in_reading_order_with_their_entries(tmp_path: Path) -> None:
    data = page_data(_review(tmp_path, ["a.png", "b.png"]), "out.jsonl")
    assert [e["digits"] for e in data["entries"]] == ["12", "12", "3", "3"]  # flagged first
    for f in data["files"]:
        assert [s["text"] for s in f["strings"]] == ["12", "3"]
        for s in f["strings"]:
            entry = data["entries"][s["entry"]]
            assert (entry["file"], entry["digits"]) == (f["file"], s["text"])
            assert len(s["boxes"]) == len(s["text"])
    assert data["digitBoxes"] and data["entries"][0]["fd"] == [1]
    assert data["entries"][0]["crop"] is None and "image not found" in data["entries"][0]["note"]
