"""Reviewing a scan's doubtful readings: one self-contained HTML page whose corrections become training data.

`entries` reads a scan's results and cuts each string's crop; `page` writes the page (`page.html` is its template).
"""
