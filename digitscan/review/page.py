"""The review page: one self-contained HTML file built from a `Review`.

Everything is inside the file (crops as PNG data URIs, the script, the
styles), so it opens from disk in any browser, with no server and no network.
Whatever a results file holds (file names, readings) reaches the page only as
JSON inside a `<script type="application/json">` block, with `<`, `>` and `&`
written as JSON escapes, and is put on screen as text, never as markup; the
page's Content-Security-Policy runs only the script that carries its nonce.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from digitscan._files import atomic_write
from digitscan.errors import OutputError
from digitscan.review.entries import Review

TEMPLATE = "page.html"  # package data beside this module: the page's markup, styles and script
PLACEHOLDER = re.compile(r"\{\{(NONCE|TITLE|DATA)\}\}")
CONFIDENCE_DIGITS = 4  # decimals kept of each confidence (the results files hold four)


def page_data(review: Review, source: str) -> dict[str, Any]:
    """What the page's script reads: the entries in review order and, per file, the strings its export labels."""
    ids = {id(entry.reading): n for n, entry in enumerate(review.entries)}
    entries = [
        {
            "id": n,
            "file": e.reading.file,
            "name": e.name,
            "page": e.reading.page,
            "index": e.reading.index,
            "digits": e.reading.digits,
            "confidence": round(e.reading.confidence, CONFIDENCE_DIGITS),
            "dc": [round(c, CONFIDENCE_DIGITS) for c in e.reading.digit_confidences],
            "fd": list(e.reading.flagged_digits),
            "flagged": e.reading.flagged,
            "crop": "data:image/png;base64," + base64.b64encode(e.crop).decode("ascii") if e.crop else None,
            "note": e.note,
        }
        for n, e in enumerate(review.entries)
    ]
    names = {e.reading.file: e.name for e in review.entries}
    files = [
        {
            "name": names[file],
            "file": file,
            "strings": [
                {
                    "text": r.digits,
                    "boxes": [list(b) for b in r.digit_boxes] if r.digit_boxes is not None else None,
                    "flagged": r.flagged,
                    "entry": ids.get(id(r)),
                }
                for r in readings
            ],
        }
        for file, readings in review.files.items()
    ]
    key = hashlib.sha256(json.dumps([source, [e["file"] for e in entries]]).encode("utf-8", "surrogateescape"))
    return {
        "source": source,
        "key": key.hexdigest()[:16],  # keeps a reload's progress (localStorage) apart from another review's
        "folder": str(review.folder),
        "digitBoxes": review.digit_boxes,
        "notes": review.notes,
        "entries": entries,
        "files": files,
    }


def script_json(data: Any) -> str:
    """JSON that cannot end or break out of the `<script>` block it is put in (`</script>`, `<!--`)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(review: Review, source: str) -> str:
    """The whole HTML page as text."""
    template = resources.files("digitscan.review").joinpath(TEMPLATE).read_text(encoding="utf-8")
    values = {
        "NONCE": secrets.token_urlsafe(18),
        "TITLE": html.escape(_printable(source)),
        "DATA": script_json(page_data(review, _printable(source))),
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)  # one pass: data is never read as a placeholder


def write_page(review: Review, source: str, out: Path) -> None:
    """Write the page atomically; an OutputError when it cannot be written."""
    text = render_page(review, source)
    try:
        with atomic_write(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the review page ({exc.strerror or exc})") from None


def _printable(text: str) -> str:
    """A name that may hold bytes that are not UTF-8, with those written as escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
