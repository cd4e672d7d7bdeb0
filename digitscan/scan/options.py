"""How to scan: the one options object the scan and eval commands build and `Scanner` takes.

Kept free of heavy imports, so the command line can show these defaults in
`--help` without loading OpenCV or Keras. Every default is stated here only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScanOptions:
    """Options of a scan; `ScanOptions()` is what `digitscan scan` does without options."""

    workers: int | None = None  # worker processes that decode and segment; None: one per core; 0: in this process
    batch_digits: int = 512  # candidate digits gathered across files before they are classified and released
    # the most images per predict call (the model's batch). ONNX Runtime's scores are the same, bit for bit, in any
    # batch; 64-128 images at a time stay in the cache: digitnet on one thread, 7,300 images/s against 6,800 at 512
    # (2-core CPU, ONNX Runtime 1.32; 4,096 images, best of three)
    predict_batch: int = 128
    min_confidence: float = 0.5  # digits below this are flagged for review; applied after the reading is chosen
    max_pixels: int = 120_000_000  # about 11,000 x 11,000: larger images are refused from their header (bombs)
    timeout_per_file: float | None = 120.0  # seconds before a file's worker is stopped and replaced
    read_whole: bool = True  # read each word whole with the string reader too; both weigh both readings
    reader_model: str | None = None  # the string reader's file; None: the bundled one (models/stringnet.h5)
    # pages' words' string reader; None: the bundled page reader (models/stringnet-pages.h5), or reader_model's
    page_reader_model: str | None = None
    # register cells' string reader; None: the bundled cell reader (models/stringnet-cells.h5), or reader_model's
    cell_reader_model: str | None = None
    # leave out a page's words whose glyphs the print detector finds printed (a form's number, a page number)
    drop_print: bool = True
    print_model: str | None = None  # the print detector's file; None: the bundled one (models/printnet.h5)

    def __post_init__(self) -> None:
        if self.batch_digits < 1 or self.predict_batch < 1:
            raise ValueError("batch_digits and predict_batch must be at least 1")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError("min_confidence must be between 0 and 1")
