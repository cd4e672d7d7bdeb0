"""Stage 1: load each page of an image file as a flattened grey image.

Decoding goes through Pillow, which reads the header before any pixels: an
image over the pixel limit (a decompression bomb) is refused before it is
decoded. Every page comes out as float32 grey in [0, 1], paper near 1, with
the illumination flattened (shadows and gradients of a phone photo divided
out) and at a working resolution the segmenter is tuned for.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps, ImageSequence, UnidentifiedImageError

from digitscan.errors import InputError, is_interrupt
from digitscan.scan import heif
from digitscan.scan.ink import components_with_stats
from digitscan.scan.inputs import check_file
from digitscan.scan.options import ScanOptions
from digitscan.scan.pdf import is_pdf, render_pages
from digitscan.scan.segment import CellCrop, is_cell, rim
from digitscan.scan.straighten import MIN_SIDE, is_crop

DEFAULT_MAX_PIXELS = ScanOptions.max_pixels
# Tuning numbers. Unless a line says otherwise, a number was set by hand when its step was first written (the
# illumination in eca93b1, the desk around a photographed page in 7a52349) on the samples and synthetic photos,
# and has not been tuned on ORAND since; what each controls is said.
WORKING_MAX_SIDE = 2000  # larger pages are shrunk to this before segmentation (segment's pixel sizes assume it)
# A page (not a crop) written small in working pixels (photographed from afar, sent on at low resolution: its
# writing's height, the WRITING_PERCENTILE of its blobs' heights, under SMALL_WRITING) is enlarged so that the
# writing stands WRITING_TARGET tall, at most MAX_WRITING_ZOOM times and to MAX_ENLARGED_SIDE: segment's pixel sizes
# were set on writing 30-60 px tall (the generator's pages; 15-35 px on the same pages halved). Chosen on the dev
# pages of seed 43000 halved (410 lines) and the generator's low pages of seed 113000 (`page_bench.py --size low`),
# lines read: as they are 80.98 / 75.38 %; target 36, 40, 43, 46, 50: 86.83 / 82.42, 87.56 / 83.30, 85.61 / 82.86,
# 85.61 / 84.40, 87.32 / 84.18 %; SMALL_WRITING 30 as 34 on both. 34 enlarged two ordinary pages of the fresh seed
# 115000 by 1.22 (each lost a decimal point); at 30 those read as before, and the fresh pages of seeds 116000 (60,
# ordinary) and 117000 (60, low) made after read 86.54 -> 86.54 % and 75.06 -> 83.68 % (bench/README.md, 36th).
SMALL_WRITING = 30  # working pixels
WRITING_TARGET = 40  # working pixels
WRITING_PERCENTILE = 90  # of the blobs' heights: the digits, not the separators, dots and pieces below them
MAX_WRITING_ZOOM = 2.0
MAX_ENLARGED_SIDE = 3000  # working pixels: 2.25 times a working page's area at most
MIN_BLOB_AREA = 8  # pixels: smaller specks are the paper's grain or the JPEG's, not writing
MIN_BLOBS = 10  # a page with fewer blobs gives no writing height, and stays as it is
# Pencil and faint ink (a grey of 0.6-0.7 of the paper, as light as a notebook's ruling) are lighter than
# WRITING_LEVEL: a score sheet written in pencil showed MIN_BLOBS less one blob, its printed head's letters, and was
# read as a close-up of one field cut to MIN_SIDE (`_close_up`), 5 of its 13 numbers read (bench/other_pages.py). A
# page whose blobs darker than this are MIN_BLOBS or more is no close-up. Not for how tall the writing stands: at
# this level a squared page's grid swallows its dark digits and leaves its crossings (a notebook of seed 208000,
# enlarged twice, read "15 7 111 30 7" for "2551 1611"). Of about 2,700 pages of the page bench's sets, none is
# such a close-up either way, nor does any of 720 windows cut from them change (bench/README.md, sixty-third session).
FAINT_WRITING_LEVEL = 0.75
# A page's blob of writing is between these many times as wide as tall: a piece of a notebook's margin rule (cut by
# the ruling crossing it) is thinner and a ruled line's dash (a line broken under a shadow) flatter, and either
# one, taken for writing, said how tall the writing stands (a margin's pieces 50-130 px tall on a low page written
# 15 px tall, left as it was; a shadowed page's dashes 2-4 px tall, enlarged twice). Chosen on 3,250 lines of dev
# low and shadowed pages (seeds 135000-148000): (0.1, 2) read 2,820, (1/6, 2) 2,818, (0.1, 1.5) 2,805, (0.1, 3)
# 2,813, every blob 2,795 (bench/README.md, forty-third session).
WRITING_SHAPE = (0.1, 2.0)
RULE_SHARE = 0.2  # of the page's side: a blob this tall or wide is a rule or a border, not writing
# A crop shorter than SMALL_CROP (every ORAND crop is 35 px or taller, its median 54 px: the crops that segment's
# pixel sizes were set on) is enlarged to CROP_TARGET, at most MAX_CROP_ZOOM times: digits under MIN_DIGIT_HEIGHT were
# dropped as marks. ORAND's crops halved and in thirds (17-33 and 12-22 px), read with a fold's own GPU-trained
# classifier and reader (`digitscan eval --truth foldN.csv`): fold 3 (chosen on) halved 52.50 % of strings as they
# are, target 44 / 48 / 54 / 60 / 66: 75.00 / 75.83 / 75.83 / 75.00 / 75.00 %; in thirds 5.83 %, at most 2 / 3 times
# 70.00 / 74.17 %. Fold 4, read once: halved 55.83 -> 75.00 %, thirds 6.67 -> 75.00 % (full size: 80.83 %).
SMALL_CROP = 34  # working pixels
CROP_TARGET = 54  # working pixels
MAX_CROP_ZOOM = 3.0
# A crop from SMALL_CROP up to a cell's height whose tallest blob is under CELL_WRITING_SHARE of its height (or with a
# scan's dark band along it: `is_small_cell`) is a register cell scanned small, not a check amount (its number has room
# around it): enlarged SMALL_CELL_ZOOM times, it is read as a cell (`segment.is_cell`). Blobs CROP_BLOB_HEIGHT of the
# crop tall, or CROP_BLOB_WIDTH of it wide and under CROP_RULE_THIN of it tall, are the cell's rules. Dev register cells
# of seeds 3000 / 7000 halved (40-100 px tall), read exactly; ORAND's amounts of folds 3 / 4 with their own GPU pair and
# of folds 1 / 2 / 5 with their own classifiers (thirtieth session's, alone): as they are 49.00 / 52.67 %. The 90th
# percentile of blobs narrower than half the crop under 0.3 of its height: 63.17 / 66.33 %, but amounts whose digits run
# into an underline kept only their pieces: folds +1 -1 -1 -2 -1 amounts. The tallest blob, rules by their thinness,
# under 0.3 / 0.4 / 0.5 of the crop: 59.67 / 61.00, 61.33 / 63.00, 63.67 / 64.00 %; amounts +1, -1, -2 (fold 5 read
# otherwise in 2 to 4). At 0.3, a crop with a scan's dark band along it a cell too: 73.00 / 74.33 % (76.33 / 74.50 % at
# full size), amounts as before (no ORAND crop has such a band). A crop with an upright rule through it a cell too:
# 61.33 / 61.83 % without the band, the same with it, but 10 of ORAND's 600 crops cut as cells (their CPU 4x): left out.
CELL_WRITING_SHARE = 0.3
SMALL_CELL_ZOOM = 2.0
# A crop WINDOW_MIN_HEIGHT working px tall or more, with no scan's band along it, whose tallest blob of writing (not a
# rule) stands WINDOW_MIN_WRITING px or taller and yet under CELL_WRITING_SHARE of its height, is a window cut from a
# page around a number (a form's field with its box and label, a check's date line, a close-up photo): enlarged to
# MIN_SIDE it is read as the page it is (`window_share`). Read as a crop, its label, box and cut neighbours became
# digits ("506/108/107" for "06/08/07"). Windows cut from the dev pages of seed 120000 around a line (1.5 lines'
# heights of margin; 72 of 120 under MIN_SIDE) 64.86 -> 77.03 % of their lines (checked on seeds 143000 / 161000:
# 59.57 / 60.00 -> 74.47 / 79.33 %). Without the two floors (from
# SMALL_CROP up, any writing) five of ORAND's 600 amounts were windows (a security pattern's blobs measured as the
# writing; four read wrong) and three dev cells of seed 3000 (bands not found; 81.00 -> 80.50 %); with them no ORAND
# crop, two of those cells (80.67 %; bench/README.md, fifty-first session).
WINDOW_MIN_HEIGHT = 100
WINDOW_MIN_WRITING = 16
# A crop whose writing stands from CELL_WRITING_SHARE to under WINDOW_UNSURE_SHARE of its height may be either: a
# window cut close around its number (0.75 of its height of margin gives 0.4) or a check's amount of faint, broken
# strokes (its digits measured in pieces). It is read both ways, as a window and as a crop, and the surer reading kept
# (`Page.other`, `pipeline.surer_route`). Windows of the dev pages of seeds 120000 / 143000 cut with 0.75 of margin
# (`bench/windows.py --margin 0.75`; 164 of their 240 in that band) read 95 of those lines as crops, 136 as windows,
# 139 the surer way; ORAND's amounts enlarged two and three times (24 of 1,200 in the band) 19 / 5 / 17; from 0.4 to
# 0.45, 1 window and 20 amounts (13 / 5 / 14): left to the crop (bench/README.md, fifty-second session).
WINDOW_UNSURE_SHARE = 0.4
# The same holds for a close-up at a page's size (such a window photographed or scanned large; `_close_up`): fewer
# than MIN_BLOBS blobs of writing and its writing in that band. Read at its own size, its print and boxes became
# digits ("542554" for "$ 42554", "74055242" for "7405042"); it is read as such a window cut small is, as a page at
# MIN_SIDE and as a crop, the surer kept. The close windows of seeds 120000 / 143000 enlarged twice 76.92 / 74.40 ->
# 81.54 / 78.40 % (80.00 / 81.60 % as cut); the crop beside the page at its own size only 76.92 / 76.80 %. With its
# writing 0.3 or more of its height alone, five tilted notebook pages of 3,000 were close-ups (their rules one blob
# across the page); with the band's top, none (bench/README.md, fifty-second session).
CROP_BLOB_HEIGHT = 0.9
CROP_BLOB_WIDTH = 0.5
CROP_RULE_THIN = 0.25
# A window's writing is also measured with its long straight strokes taken out (`_writing_off_lines`): a level one
# WINDOW_LINE_ALONG of the crop's height long or longer (straight, or within WINDOW_LINE_TILT degrees, found by a Hough
# transform), an upright one WINDOW_LINE_UP of it tall (a field's box, a notebook's rules and margin joined to a digit),
# and thin upright bars (WINDOW_BAR: a tilted box's sides) left aside. Measured whole, a box's frame was the crop's
# tallest writing and the window was read as a check's amount (shrunk, its box and label read as digits): 9 of the 72
# windows of seed 120000 under MIN_SIDE (the dev set; its windows' lines 77.03 -> 83.11 %), 6 and 4 of seeds 143000 /
# 161000. The smaller of the two measures is kept, as a rule left in pieces makes the second taller. Aslant boxes then
# gave 5 lines more over the windows of seeds 120000 / 143000 / 161000 (1.5 and 0.75 of margin), one ORAND amount
# enlarged three times fewer; with the upright strokes found aslant too, 8 more and 4 fewer (their 1s taken for
# lines). No ORAND crop as it is (under WINDOW_MIN_HEIGHT) or dev cell (seed 3000, banded) changes route
# (bench/README.md, fifty-second session).
WINDOW_LINE_ALONG = 0.5
WINDOW_LINE_UP = 0.4
WINDOW_LINE_TILT = 15  # degrees: a field photographed aslant (the page bench tilts pages up to 15)
WINDOW_BAR = 0.12  # a blob narrower than this share of its height is a box's side or a rule, drawn aslant or not
WINDOW_LINE_GAP = 3  # px: a line broken by the JPEG or a digit's touch is still one line
# A crop a cell's height or taller (`segment.is_cell`) with no scan's band along it whose tallest blob of writing (not
# a rule) stands LARGE_AMOUNT_SHARE of its height or more, and LARGE_AMOUNT_MIN px or more, is a check's amount scanned
# large, not a register cell (whose number has room around it): shrunk until that blob stands AMOUNT_DIGIT tall, it is
# read as an amount of the size the segmenter's pixel sizes were set on. Amounts by MNIST's test writers
# (`bench/amounts.py`, 400, writing 35-51 px as made) at twice / three times their size read 73.50 / 74.50 %; shrunk
# to 36 / 40 / 44 / 50 px: 91.00 / 90.75, 91.00 / 91.50, 89.50 / 89.50, 86.75 / 88.00 %. ORAND's own tall crops
# mostly hold writing of 46-63 px (20 of 27; the others up to 110) and read best as they are (models that learnt them
# at that size): with no floor, 4 of the 27 were lost (92.33 -> 91.83 %); with the floor no reading of ORAND's 600
# changes, and ORAND enlarged 1.5 / 2 times reads 91.67 / 89.17 -> 90.50 / 89.17 % (a floor of 72: 91.17 / 88.17 %,
# MNIST amounts at twice 90.00 %). Register cells of seeds 3000, 7000, 9500, as made and enlarged twice, read byte for
# byte as before (bench/README.md, forty-fourth session).
LARGE_AMOUNT_SHARE = 0.6
AMOUNT_DIGIT = 40  # working pixels
LARGE_AMOUNT_MIN = 64  # working pixels: 1.6 times AMOUNT_DIGIT
# A page whose decoded image's shorter side is LARGE_CELL_SIDE px or less keeps that image (`Page.decoded`) for the
# segmenter to have it prepared as a crop, should it be a register cell scanned large (a larger page is never taken
# for one): the generator's cells (80-200 px tall) scanned at five times their size stand under it; a page's own
# image is 0.5 to 4 MB more while it is read.
LARGE_CELL_SIDE = 1000
# A register cell scanned large (`segment._large_cell`) is shrunk to CELL_SIDE px on its shorter side and prepared as
# a cell scanned small is (`prepare`: enlarged up to SMALL_CELL_ZOOM times), the size the cell's pixel sizes were set
# on (the generator's cells stand 80-200 px tall, median 140). Before, it was prepared just under MIN_SIDE and shrunk
# further until its digits stood 65 px tall at most: its strokes, sharper and noisier than a small cell's enlarged,
# broke and ran otherwise, and a rule through a digit made the digits look taller than they were. Dev cells of seed
# 3000 enlarged three / two times 77.50 / 81.00 -> 80.00 / 81.67 % (CELL_SIDE 120: 78.00 / 80.50; 180: 79.67 /
# 80.67; kept at 150 and shrunk further for the digits as before: 79.33 / 81.17; only blurred to 150 and back before
# being prepared just under MIN_SIDE: 78.83 / 81.17); checked on seed 9500 (bench/README.md, fifty-first session).
CELL_SIDE = 150
EXIF_ORIENTATION = 0x0112  # the EXIF tag of a photo's orientation; values 5-8 turn it a quarter
QUARTER_TURNS = (5, 6, 7, 8)

# -- flattening the illumination (flatten_illumination)
MIN_FLATTEN_SIDE = 8  # pixels: smaller images are left as they are
BACKGROUND_SIDE = 200  # pixels: the background is estimated on a copy shrunk by whole steps to about this short side
CLOSING_MIN = 15  # pixels: the grey-level closing that erases strokes is at least this big, or
CLOSING_FRACTION = 6  # a sixth of the shrunk copy's short side (odd): wider than any pen stroke
BLUR_FRACTION = 3  # the closed background is smoothed by a Gaussian of a third of the closing's size
MIN_BACKGROUND = 0.05  # the darkest paper brightness divided by (a black border is not amplified to white)
# Where the smoothed background is this many times the closed one, the closing kept a step that the smoothing blurred:
# the edge of a hard shadow (a phone or a hand under one lamp). The closed level stands there; else the shaded side
# keeps a dark ridge along the edge, which the segmenter takes for a stroke across the page. Pages under a hard
# shadow (`bench/page_bench.py --hard-shadows --seed 105000 --per-kind 8`, 319 lines), lines read: never 35.74 %;
# 1.3 44.83, 1.2 79.62, 1.15 84.01, 1.1 84.64, 1.05 84.95, 1.0 84.64 %. At 1.0 (the closed level wherever it is the
# lower) pages and cells without such a shadow read otherwise both ways (dev pages of seed 43000 +4 -2 lines, 60000
# +1 -4; dev cells 3000 +8 -3, 7000 +5 -8); at 1.1 the dev pages (seeds 43000, 60000, 53000) read as before.
SHADOW_STEP = 1.1

# -- the desk around a photographed page (paper_mask, pen_strokes)
MIN_PAPER_SIDE = 20  # pixels: smaller images (and shrunk copies) are all paper
BORDER_BRIGHT = 0.8  # of the 90th percentile: a border this bright is paper reaching the edges (no desk)
PAPER_PERCENTILE = 90  # the paper's brightness is this percentile of the page
PAPER_SIDE = 400  # pixels: the sheet is found on a copy shrunk to at most this long side
PAPER_BLUR = 5  # pixels: the blur before Otsu's threshold splits bright paper from the desk
SHEET_SHARE = (0.15, 0.9)  # of the frame: a sheet filling less or more is no page on a desk
DESK_DARKER = 0.7  # of the sheet's brightness: the surround must be darker than this to be a desk
SHEET_ERODE = 5  # pixels (of the shrunk copy): the sheet's edge is pulled in by this much (its shadow, its edge)
# A shaded part of the sheet is paper where it is at least SHADE_PAPER of the brightest pixel within SHADE_REACH
# (pixels of the shrunk copy) and joins the lit part (`_shaded_too`): the desk beside the sheet is darker than 0.7 of
# it (DESK_DARKER), shade or not. Chosen on the 60 pages on a desk of seed 120000 (bench/README.md, thirty-seventh
# session): lines read 62.94 -> 89.04 % (SHADE_PAPER 0.7 / 0.75 / 0.85: 89.91 / 89.47 / 88.82 %; SHADE_REACH 9 / 21 /
# 31: 89.69 / 88.82 / 89.04 %); of 72 such pages of four seeds, 27 -> 67 sheets found their corners.
SHADE_PAPER = 0.8
SHADE_REACH = 15
# A bright region whose hull holds SHEET_OFF_FRAME or more of the frame's rim runs off the frame; its "desk" is the
# page's side in a hard shadow when, flattened, it is within SHADED_PAPER_FLAT of the region's median level: shaded
# paper is -0.001 to 0.018 under it, the desk beside a photographed sheet 0.099 or more (pages of seeds 120000 and
# 127000, bench/README.md, thirty-seventh session).
SHEET_OFF_FRAME = 0.1
SHADED_PAPER_FLAT = 0.05
# A part of the sheet beyond a hard shadow's edge (SHADED_PART of the shrunk frame or more, clear of the frame's edge,
# which a desk reaches) is paper when it flattens within SHADED_PAPER_FLAT of the lit part (`_shaded_too`): pages on
# a desk under a hard shadow of seed 127000 88.48 -> 91.94 % of lines, photographed pages of seed 120000 as before.
SHADED_PART = 0.01
# A photographed sheet whose hull is a near-rectangle in perspective is read squared (`sheet_corners`,
# `segment.square_sheet`): its rules then run level and upright, each table's too. The hull reduced to four corners
# (SHEET_CORNER_FIT of its perimeter), opposite sides within SHEET_SIDE_RATIO of each other, corners within
# SHEET_SQUARE (cosine, about 15 degrees) of square, and along each side the grey SHEET_EDGE_REACH pixels inside
# brighter than as far outside by SHEET_EDGE_CONTRAST of the paper's level (median of SHEET_EDGE_SAMPLES points): a
# shaded corner the bright region left out moves a corner inward, and the squared page came out skewed (a dev ledger
# lost 6 of its 14 numbers; two pages of seed 13000 all of theirs before the shape test). Dev pages, seeds 5000 /
# 7000 / 9000 / committed: 86.12 / 83.44 / 82.90 / 88.99 -> 86.12 / 83.74 / 83.16 / 89.91 % of lines; seeds 11000 /
# 1600 / 13000 / 17000 / 19000 (looked at while the tests were set) 87.89 / 83.27 / 83.93 / 82.28 / 86.25 -> 88.84 /
# 83.64 / 84.09 / 82.87 / 86.09 %; seed 21000, made before and read once after: 83.70 -> 84.47 %. Of 40 ledgers
# generated at perspective 0.045, 7 read as one word as large as the page before, 1 since.
SHEET_CORNER_FIT = 0.02
SHEET_SIDE_RATIO = 0.85
SHEET_SQUARE = 0.25
SHEET_EDGE_CONTRAST = 0.15
SHEET_EDGE_SAMPLES = 41
SHEET_EDGE_REACH = 6  # working pixels
# The hull is found on the shrunk copy (PAPER_SIDE), so it is sure of the sheet's edge to SHEET_EDGE_SHRUNK of its
# pixels: on a larger page the step is looked for that far (10 px at 2000): the 12-megapixel photos of seed 124000 had
# corners 0 -> 6 of 6 times (lines 83.56 -> 84.93 %), the 1400 px pages on a desk of four seeds 67 -> 71 of 72.
SHEET_EDGE_SHRUNK = 2
WRITTEN_ON = 0.5  # of the sheet's writing per pixel: a darker band holding this much is paper too (79ce139:
# two-tone checks lost their amount; ORAND digits 84.85 -> 85.10 %)
# A dark band along a page's edge (not a crop's) holding this much of the rest's writing per pixel is paper in a
# hard shadow, not a scan's border: it stays. The same pages under a hard shadow (seed 105000), lines read: never
# 58.31 %; 0.5 (as WRITTEN_ON) and 0.25 84.01, 0.1 and 0.05 84.64 %. No dev or check page without such a shadow has
# a dark band at all; a crop's band (a register cell's) is not weighed.
SHADED_WRITING = 0.1
# A band darker than BLACK_BAND of the paper (its median grey against the page's PAPER_PERCENTILE) is a scanner's
# background or a book's gutter, never paper in a hard shadow, whatever specks its flattening turns into strokes: an
# empty register cell scanned large has no writing beside its band, so a few specks passed SHADED_WRITING and the band
# was read as digits. The generator's bands are grey 8-70 on paper of about 210 (0.04-0.33), its hard shadows leave
# 0.45-0.65 of the light (`training.pages.HARD_SHADOW`); measured, the bands of empty cells (seed 95800 enlarged three
# times) lie at 0.06-0.18, the shadows of hard-shadowed pages (seeds 141000, 142000) at 0.36-0.49: 0.3 lies between.
# Empty cells enlarged three / two times given a number 100 -> 62 / 52 -> 34 of 300; those pages as before; dev cells
# (seeds 3000, 9500) enlarged twice +10 -3, +6 -2, three times +16 -14, +18 -12 (a few that the specks had got taken
# for a cell, through the page's zoom, now read as pages: a footer's words as tall as a number stop it being one).
BLACK_BAND = 0.3
# Unless it is written as a page is: strokes BLACK_WRITTEN as dense in it as in the rest of the page, the rest holding
# PAGE_WRITTEN of its pixels in strokes or more. A hard shadow over a soft one leaves 0.45 x 0.65 of the light: a
# ledger of ten-digit numbers (seed 171000, `--hard-shadows`) was blanked over half its height (0.29 of the paper,
# strokes 0.049 in it, 0.058 beside it) and read one string of 37 lines. Of the dev cells scanned large with a black
# band (seeds 3000 and 9500, two and three times; 300 empty ones of 95800), two empty ones pass (bench/README.md,
# fifty-second session).
BLACK_WRITTEN = 0.5
PAGE_WRITTEN = 0.03
# -- dark bands along one or two edges of a scan (dark_bands): scanner background, a book's gutter. Set on the
# register cells of training/pages.py (issue #20) and checked to leave ORAND (434/600) and the samples as they were.
BAND_DARK = 0.5  # of the paper's brightness (PAPER_PERCENTILE): darker is band (a faded brown band is ~0.35)
BAND_COVER = 0.8  # of a line along the edge: a line this dark throughout is band (pen strokes cross it, never fill it)
BAND_MIN_DEPTH = 4  # working pixels: a thinner dark edge is a printed box's border or a cut stroke, left as it is
BAND_MAX_DEPTH = 0.45  # of the side across: a band reaches no deeper (deeper is a dark page, not a border)
BAND_GAP = (8, 0.04)  # working pixels, or this share of the side across if more: a pale strip this narrow inside a
# band (the next page's edge, a few pixels and its blur) is band too
BAND_RAGGED = 0.06  # of the side across: how far a ragged band edge may reach past the band's solid part
BAND_MARGIN = 2  # working pixels: the blurred edge of a band and its shadow, blanked with it
BAND_SAMPLE = 4  # the paper's brightness from every 4th pixel of every 4th row: 3.3 -> 0.7 ms a 2000x1500 page
BAND_SIDES_MAX = 2  # a dark surround on more sides is a photographed page on a desk (paper_mask's case)
WRITING_LEVEL = 0.6  # flattened grey below this, and darker than its surroundings by 1 - this, is a pen stroke
STROKE_MAX = 9  # working pixels: pen strokes are thinner (a desk's edge or a shadow is not)


@dataclass
class Page:
    """One page of one input file, ready for segmentation."""

    grey: np.ndarray  # float32, paper ~1, ink ~0, working resolution
    scale: float  # working pixels per original pixel
    index: int  # page number in a multi-page file, from 0
    original_size: tuple[int, int]  # (width, height) in the file's pixels
    sheet: np.ndarray | None = None  # a photographed sheet's corners, tl, tr, br, bl (working pixels; `sheet_corners`)
    bands: np.ndarray | None = None  # a scan's dark bands, blanked in `grey` (`dark_bands`; working pixels)
    # The image as decoded (uint8 grey), kept for a page small enough to be a register cell scanned large: the
    # segmenter may ask for it prepared as a crop (`as_cell`)
    decoded: np.ndarray | None = field(default=None, repr=False)
    # The same image prepared the other way, for a crop, or a close-up at a page's size (`_close_up`), that may be a
    # window or an amount (WINDOW_UNSURE_SHARE): both are read and the surer reading kept
    other: Page | None = field(default=None, repr=False)

    def cell_banded(self) -> bool:
        """Whether this page prepared as a crop (`as_cell`) has a scan's dark band along it: a crop's bands are
        `dark_bands` of its grey as shrunk (2.5 ms on a 1000 x 1400 page, against 22 ms for preparing it whole)."""
        return self._cell_banding[1] is not None

    def scanner_banded(self) -> bool:
        """Whether this page prepared as a crop (`as_cell`) has a scanner's black band along it (`is_black`): a
        register cell scanned large, whatever is written in it; paper in a hard shadow is lighter."""
        grey, bands = self._cell_banding
        return bands is not None and is_black(grey, bands, percentile_uint8(grey, PAPER_PERCENTILE))

    @cached_property
    def _cell_banding(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The page's grey shrunk to a crop's size and its dark bands there, found once for both questions."""
        grey = _at_scale(self._decoded(), self._cell_scale(), self.original_size)
        return grey, dark_bands(grey)

    def as_cell(self) -> CellCrop:
        """This page prepared anew as a register cell: its image shrunk to CELL_SIDE on its shorter side and
        prepared as such a crop is (`prepare`), its grey, its dark bands and its size against the page's
        (`segment.page_cuts`' `as_cell`). Prepared as a crop, a scan's band is blanked whole; prepared as a page, a
        band with marks in it was taken for paper in a hard shadow and kept (dev cells of seed 3000 enlarged twice
        and taken for cells: 72.39 % read so, 80.98 % as a crop)."""
        small = CELL_SIDE / min(self.original_size)
        cell = prepare(_at_scale(self._decoded(), small, self.original_size), self.index)
        return cell.grey, cell.bands, cell.scale * small / self.scale

    def _cell_scale(self) -> float:
        """The scale of the file's pixels that makes this page a crop: its shorter side just under MIN_SIDE."""
        return (MIN_SIDE - 1) / min(self.original_size)

    def _decoded(self) -> np.ndarray:
        """The image as decoded, kept for a page small enough to be a register cell scanned large."""
        if self.decoded is None:
            raise ValueError("the decoded image was not kept for this page")
        return self.decoded


@contextlib.contextmanager
def pillow_limits_ours() -> Iterator[None]:
    """Pillow's own decompression-bomb limit off, and truncated files refused, while the block opens and decodes.

    `check_size` applies digitscan's limit (settable with --max-pixels) to
    every page from its header instead. Pillow's settings are process-wide,
    so they are restored when the block ends: a program that imports
    digitscan keeps Pillow's guard for its own images.
    """
    saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = None, False
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def open_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open (not decode) an image file, with specific errors for what can go wrong.

    Only the header is read here, so the pixel limit refuses a decompression
    bomb before any memory is spent on it. The content decides the format,
    never the suffix.
    """
    check_file(path)
    try:
        with warnings.catch_warnings(), pillow_limits_ours():
            warnings.simplefilter("ignore")
            try:
                image = Image.open(path)
            except UnidentifiedImageError:
                if not (heif.is_hevc_heif(path) and heif.register()):
                    raise
                image = Image.open(path)  # a phone's HEIC photo, now that Pillow has the plugin
    except FileNotFoundError:
        raise InputError("no such file (it disappeared)") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except UnidentifiedImageError:
        if not heif.is_hevc_heif(path):
            raise InputError("not an image, or an image format that cannot be read") from None
        if heif.register():
            raise InputError("corrupt or truncated HEIC/HEIF image") from None
        raise InputError(f"a HEIC/HEIF photo: reading it needs pillow-heif ({heif.HEIF_FIX})") from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}") from None
    except Exception as exc:  # a malformed header may raise anything inside Pillow
        if is_interrupt(exc):
            raise
        raise InputError(f"not a readable image ({type(exc).__name__}: {exc})") from None
    try:
        check_size(image.size, max_pixels)
    except InputError:
        image.close()
        raise
    return image


def check_size(size: tuple[int, int], max_pixels: int) -> None:
    """Refuse an empty image, or one over the pixel limit (a decompression bomb), from its header."""
    width, height = size
    if width <= 0 or height <= 0:
        raise InputError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise InputError(
            f"image is {width}x{height} = {width * height:,} pixels, over the limit of {max_pixels:,} (--max-pixels)"
        )


def load_pages(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[Page]:
    """Decode every page of an image file (or render every page of a PDF) into flattened grey pages.

    Each page's size is checked before it is decoded (the pages of a TIFF can
    differ). Whatever goes wrong inside the decoder becomes an `InputError`.
    """
    check_file(path)
    if is_pdf(path):
        return load_pdf_pages(path, max_pixels)
    image = open_image(path, max_pixels)
    pages = []
    try:
        with image, warnings.catch_warnings(), pillow_limits_ours():
            warnings.simplefilter("ignore")
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                check_size(frame.size, max_pixels)
                if index == 0:
                    size = _upright_size(frame)
                    _draft(frame)
                    ImageOps.exif_transpose(frame, in_place=True)  # no copy of a photo never turned
                else:
                    size = frame.size
                pages.append(prepare(to_grey(frame), index, size))
    except InputError:
        raise
    except MemoryError:
        raise InputError("not enough memory to decode this image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"corrupt or truncated image: {exc}") from None
    except Exception as exc:  # a malformed file may raise anything inside Pillow
        if is_interrupt(exc):
            raise
        raise InputError(f"corrupt image ({type(exc).__name__}: {exc})") from None
    if not pages:
        raise InputError("image has no pages")
    return pages


def load_pdf_pages(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[Page]:
    """Every page of a PDF, rendered at `PDF_DPI`; a page over `max_pixels` at that resolution is refused unrendered."""
    try:
        return [prepare(grey, index) for index, grey in render_pages(path, lambda size: check_size(size, max_pixels))]
    except InputError:
        raise
    except MemoryError:
        raise InputError("not enough memory to render this PDF") from None
    except Exception as exc:  # a malformed file may raise anything inside the renderer
        if is_interrupt(exc):
            raise
        raise InputError(f"broken PDF ({type(exc).__name__}: {exc})") from None


def _upright_size(frame: Image.Image) -> tuple[int, int]:
    """The frame's full size as the reader sees it, after its EXIF orientation (a quarter turn swaps the sides)."""
    width, height = frame.size
    turned = frame.getexif().get(EXIF_ORIENTATION) in QUARTER_TURNS
    return (height, width) if turned else (width, height)


def _draft(frame: Image.Image) -> None:
    """Let a JPEG decode straight to grey at 1/2, 1/4 or 1/8 scale when the page is shrunk to that anyway.

    JPEG can scale down while decoding (in the DCT), several times faster than
    decoding every pixel of a phone photo and shrinking it after; other formats
    ignore this.
    """
    width, height = frame.size
    scale = WORKING_MAX_SIDE / max(width, height)
    if frame.format != "JPEG" or scale >= 1:
        return
    frame.draft(
        "L" if frame.mode in ("RGB", "L") else frame.mode, (math.ceil(width * scale), math.ceil(height * scale))
    )


NUMERIC_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def is_numeric(frame: Image.Image) -> bool:
    """A 16-bit, 32-bit or float page: its values are measurements, not grey levels from black to white."""
    return frame.mode in NUMERIC_MODES or frame.mode.startswith("I;")


def on_white(frame: Image.Image) -> Image.Image:
    """The frame with any transparency laid on white paper (RGBA then); a frame without any, as it is."""
    if frame.mode in ALPHA_MODES or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return frame


def to_grey(frame: Image.Image) -> np.ndarray:
    """Any Pillow mode (16-bit, float, CMYK, palette, alpha) to uint8 grey; transparency becomes white paper.

    16-bit and float pages are stretched from their own minimum to maximum
    (their range says nothing about black and white); NaN and infinities count
    as black-free background.
    """
    if is_numeric(frame):
        values = np.asarray(frame, dtype=np.float64)
        finite = np.isfinite(values)
        if not finite.any():
            return np.full(values.shape, 255, np.uint8)
        low, high = float(values[finite].min()), float(values[finite].max())
        if high <= low:
            return np.full(values.shape, 255, np.uint8)
        values = np.where(finite, values, high)
        return ((values - low) * (255.0 / (high - low))).clip(0, 255).astype(np.uint8)
    frame = on_white(frame)
    try:
        return np.asarray(frame.convert("L"))
    except ValueError:  # a mode Pillow cannot turn into grey directly (LAB, HSV)
        return np.asarray(frame.convert("RGB").convert("L"))


def prepare(grey: np.ndarray, index: int = 0, original_size: tuple[int, int] | None = None) -> Page:
    """Shrink to the working resolution (enlarge a page written small, `writing_zoom`, a small crop, `crop_zoom`, or
    a register cell scanned small, `is_small_cell`; shrink a check's amount scanned large, `large_amount_zoom`; a
    window cut from a page, `window_share`, is enlarged to be read as a page, or read both ways where unsure, as a
    close-up at a page's size is, `_close_up`), then flatten the illumination.

    `grey` is 2-D: uint8 (0-255), another integer type (its full range), bool,
    or float in [0, 1] (NaN counts as paper). Any size from 1x1 works.
    `original_size` (width, height) is the page's size in the file when `grey`
    was decoded smaller (a JPEG draft); boxes are reported in those pixels.
    """
    grey = as_uint8_grey(grey)
    height, width = original_size[::-1] if original_size else grey.shape
    scale = min(1.0, WORKING_MAX_SIDE / max(height, width))
    crop_height = max(1, round(height * scale))
    crop = None
    if is_crop((crop_height, max(1, round(width * scale)))):
        first = _prepared(grey, scale * crop_zoom(crop_height), index, (width, height))
        share = window_share(first.grey, first.bands)
        if share is None or share >= CELL_WRITING_SHARE:
            crop = _as_crop(grey, first, (width, height))
            if share is None or share >= WINDOW_UNSURE_SHARE:
                return crop
        scale = first.scale * MIN_SIDE / min(first.grey.shape)  # a window cut from a page: read as one
    page = _prepared(grey, scale, index, (width, height))
    heights = page_writing(page.grey)
    zoom = writing_zoom(page.grey, heights)
    if zoom != 1.0:
        page = _prepared(grey, scale * zoom, index, (width, height))
    close_up = None
    if crop is None and heights.size < MIN_BLOBS and _close_up(page):  # one field photographed large: read as it
        # would be read cut small (a page of fewer blobs is never zoomed: `heights` are its own)
        cut = _prepared(grey, page.scale * (MIN_SIDE - 1) / min(page.grey.shape), index, (width, height))
        close_up = _as_crop(grey, cut, (width, height))
        if min(page.grey.shape) != MIN_SIDE:  # and as a window: at MIN_SIDE
            page = _prepared(grey, page.scale * MIN_SIDE / min(page.grey.shape), index, (width, height))
    if min(grey.shape) <= LARGE_CELL_SIDE:
        page.decoded = grey
    if crop is not None:  # unsure (a crop reaches here only so): the crop first, as before such windows were seen
        crop.other = page
        return crop
    page.other = close_up
    return page


def _close_up(page: Page) -> bool:
    """Whether a page of too few blobs of writing to be a page (MIN_BLOBS, the caller's) is a close-up of one field
    that leaves unsure whether it is a window or an amount: its writing in the unsure band (`window_share`: from
    CELL_WRITING_SHARE to under WINDOW_UNSURE_SHARE), and too little of it faint either (FAINT_WRITING_LEVEL: a page
    in pencil)."""
    share = window_share(page.grey, page.bands)
    unsure = share is not None and CELL_WRITING_SHARE <= share < WINDOW_UNSURE_SHARE
    return unsure and page_writing(page.grey, FAINT_WRITING_LEVEL).size < MIN_BLOBS


def _as_crop(grey: np.ndarray, page: Page, original_size: tuple[int, int]) -> Page:
    """A crop that is no window prepared as what it is: a register cell scanned small enlarged (`is_small_cell`), a
    check's amount scanned large shrunk (`large_amount_zoom`), any other as it is."""
    if is_small_cell(page.grey, page.bands):
        zoom = min(SMALL_CELL_ZOOM, (MIN_SIDE - 1) / min(page.grey.shape))
        return _prepared(grey, page.scale * zoom, page.index, original_size)
    if (zoom := large_amount_zoom(page.grey, page.bands)) < 1.0:
        return _prepared(grey, page.scale * zoom, page.index, original_size)
    return page


def crop_zoom(height: int) -> float:
    """How much a crop `height` px tall is to be enlarged: a crop under SMALL_CROP (a check's amount photographed
    small) to CROP_TARGET, at most MAX_CROP_ZOOM times; others (register cells among them) stay as they are."""
    return 1.0 if height >= SMALL_CROP else min(CROP_TARGET / height, MAX_CROP_ZOOM)


def window_share(flat: np.ndarray, bands: np.ndarray | None = None) -> float | None:
    """How much of a crop's height its tallest blob of writing stands, measured whole and with its long straight
    strokes taken out (`_writing_off_lines`), the smaller; None for a crop that is no window whatever it holds:
    one with a scan's band, under WINDOW_MIN_HEIGHT, or whose writing is under WINDOW_MIN_WRITING."""
    if bands is not None or flat.shape[0] < WINDOW_MIN_HEIGHT:
        return None
    tallest = _tallest_writing(flat)
    if tallest >= CELL_WRITING_SHARE * flat.shape[0]:  # under it, a window whatever the lines: not looked for
        off = writing_heights(
            _writing_off_lines(flat), CROP_BLOB_HEIGHT, CROP_BLOB_WIDTH, CROP_RULE_THIN, (WINDOW_BAR, math.inf)
        )
        tallest = min(tallest, int(off.max()) if off.size else 0)
    return tallest / flat.shape[0] if tallest >= WINDOW_MIN_WRITING else None


def is_small_cell(flat: np.ndarray, bands: np.ndarray | None = None) -> bool:
    """Whether a crop from SMALL_CROP up to a cell's height (`segment.is_cell`) is a register cell scanned at low
    resolution: with a scan's dark band along it (`bands`, `dark_bands`: a check's amount is cut inside the check),
    or its tallest blob that is not a rule (or none found) under CELL_WRITING_SHARE of its height, where an amount's
    digits fill most of theirs."""
    if flat.shape[0] < SMALL_CROP or is_cell(flat.shape):
        return False
    if bands is not None:
        return True
    return _tallest_writing(flat) < CELL_WRITING_SHARE * flat.shape[0]


def _tallest_writing(flat: np.ndarray) -> int:
    """The height of a crop's tallest blob of writing, its rules left out (CROP_BLOB_*, CROP_RULE_THIN); 0 if none:
    what tells a number cut tight (an amount) from one with room around it (a cell, a window)."""
    writing = writing_heights(flat, CROP_BLOB_HEIGHT, CROP_BLOB_WIDTH, CROP_RULE_THIN)
    return int(writing.max()) if writing.size else 0


def _writing_off_lines(flat: np.ndarray) -> np.ndarray:
    """A flattened crop with its long straight strokes (WINDOW_LINE_ALONG of its height long and within
    WINDOW_LINE_TILT degrees of level, or WINDOW_LINE_UP tall and as near upright) made paper, with the pixels next to
    them: what is left of a box's frame or a ruled line, straight or drawn aslant, is not measured as writing."""
    ink = (flat < WRITING_LEVEL).astype(np.uint8)
    height = flat.shape[0]
    along, upright = max(3, round(WINDOW_LINE_ALONG * height)), max(3, round(WINDOW_LINE_UP * height))
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (along, 1)))
    lines |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, upright)))
    # Looked for at half the size (the ink kept where any of 2 x 2 pixels had it): a quarter of the work
    half = cv2.dilate(ink, np.ones((2, 2), np.uint8))[::2, ::2]
    short = along // 2
    found = cv2.HoughLinesP(half, 1, np.pi / 180, short // 2, minLineLength=short, maxLineGap=WINDOW_LINE_GAP)
    for x1, y1, x2, y2 in np.zeros((0, 4), int) if found is None else 2 * found.reshape(-1, 4).astype(int):
        width, rise = abs(x2 - x1), abs(y2 - y1)
        level, length = math.degrees(math.atan2(rise, width)), math.hypot(width, rise)
        if level <= WINDOW_LINE_TILT and length >= along:
            cv2.line(lines, (x1, y1), (x2, y2), 1, 3)
    off = flat.copy()
    off[cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0] = 1.0
    return off


def _at_scale(grey: np.ndarray, scale: float, original_size: tuple[int, int]) -> np.ndarray:
    """A decoded image (uint8) resized to `scale` of its `original_size` (width, height): cubic to enlarge, by area
    to shrink."""
    width, height = original_size
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == grey.shape[::-1]:
        return grey
    larger = size[0] > grey.shape[1]
    return cv2.resize(grey, size, interpolation=cv2.INTER_CUBIC if larger else cv2.INTER_AREA)


def large_amount_zoom(flat: np.ndarray, bands: np.ndarray | None = None) -> float:
    """How much a crop a cell's height or taller is to be shrunk: a check's amount scanned large (no scan's band
    along it, its tallest blob of writing LARGE_AMOUNT_SHARE of its height and LARGE_AMOUNT_MIN px or more) until that
    blob stands AMOUNT_DIGIT tall; 1.0 for others, register cells among them. At twice ORAND's scale an amount's 1
    stands as tall as a column rule (`segment.EDGE_RULE_MIN`), and the crop is read as a cell."""
    if not is_cell(flat.shape) or bands is not None:
        return 1.0
    writing = writing_heights(flat, CROP_BLOB_HEIGHT, CROP_BLOB_WIDTH, CROP_RULE_THIN, shape=WRITING_SHAPE)
    tallest = int(writing.max()) if writing.size else 0
    return AMOUNT_DIGIT / tallest if tallest >= max(LARGE_AMOUNT_SHARE * flat.shape[0], LARGE_AMOUNT_MIN) else 1.0


def page_writing(flat: np.ndarray, level: float = WRITING_LEVEL) -> np.ndarray:
    """The heights of a flattened page's blobs of writing darker than `level`: neither rules nor borders (RULE_SHARE
    of its side) nor shaped like a rule's pieces or a ruling's dashes (WRITING_SHAPE)."""
    return writing_heights(flat, RULE_SHARE, RULE_SHARE, shape=WRITING_SHAPE, level=level)


def writing_zoom(flat: np.ndarray, heights: np.ndarray | None = None) -> float:
    """How much a flattened page is to be enlarged for its writing to stand WRITING_TARGET tall: 1.0 where it is
    SMALL_WRITING or taller, or where too few blobs say how tall it is. `heights`: its `page_writing`, if known."""
    heights = page_writing(flat) if heights is None else heights
    if heights.size < MIN_BLOBS:
        return 1.0
    tall = float(np.percentile(heights, WRITING_PERCENTILE))
    if tall >= SMALL_WRITING:
        return 1.0
    return max(1.0, min(WRITING_TARGET / tall, MAX_WRITING_ZOOM, MAX_ENLARGED_SIDE / max(flat.shape)))


def writing_heights(
    flat: np.ndarray,
    tallest: float,
    widest: float,
    thin: float = 1.0,
    shape: tuple[float, float] = (0.0, math.inf),
    level: float = WRITING_LEVEL,
) -> np.ndarray:
    """The heights of a flattened image's blobs of ink (darker than `level`) that may be writing:
    MIN_BLOB_AREA or more, shorter than `tallest` of the image's height, not a rule along it (`widest` of its
    width or wider, under `thin` of its height: with `thin` 1, every blob that wide), and more than `shape[0]`, less
    than `shape[1]` times as wide as tall."""
    _, _, stats = components_with_stats((flat < level).astype(np.uint8))
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    rows, cols = flat.shape
    rule = (heights >= tallest * rows) | ((widths >= widest * cols) & (heights < thin * rows))
    rule |= (widths <= shape[0] * heights) | (widths >= shape[1] * heights)
    return heights[(stats[1:, cv2.CC_STAT_AREA] >= MIN_BLOB_AREA) & ~rule]


def _prepared(grey: np.ndarray, scale: float, index: int, original_size: tuple[int, int]) -> Page:
    """The page at `scale` of its `original_size` (width, height), its illumination flattened."""
    grey = _at_scale(grey, scale, original_size)
    width, height = original_size
    bands = dark_bands(grey)
    flat = None
    paper = 0.0 if bands is None else percentile_uint8(grey, PAPER_PERCENTILE)  # a dark band is weighed against it
    if bands is not None and not is_crop(grey.shape):
        bands = with_shade(bands, grey)
        flat = flatten_illumination(grey)
        strokes = pen_strokes(flat)  # found once for both questions
        if written_in(bands, strokes, SHADED_WRITING) and (
            not is_black(grey, bands, paper) or written_in(bands, strokes, BLACK_WRITTEN, PAGE_WRITTEN)
        ):
            bands = None  # written on: the paper in a hard shadow, flattened as it is
    if bands is not None:  # a scan's dark border: blanked to paper so it neither darkens the flattening nor is ink
        grey = grey.copy()
        grey[bands] = round(paper)
        flat = None
    if flat is None:
        flat = flatten_illumination(grey)
    mask, hull = paper_mask(grey, flat)
    flat[mask == 0] = 1.0  # the desk around a photographed page is not writing
    if bands is not None:
        flat[bands] = 1.0
    sheet = None if hull is None else sheet_corners(grey, hull)
    return Page(grey=flat, scale=scale, index=index, original_size=(width, height), sheet=sheet, bands=bands)


def is_black(grey: np.ndarray, bands: np.ndarray, paper: float) -> bool:
    """Whether dark bands (bool mask) of a uint8 image are a scanner's background or a book's gutter: their median
    grey under BLACK_BAND of the `paper`'s brightness."""
    return bool(np.median(grey[bands]) < BLACK_BAND * paper)


def as_uint8_grey(grey: np.ndarray) -> np.ndarray:
    """Any non-empty 2-D numeric array as uint8 grey, so library callers may pass what they have."""
    grey = np.asarray(grey)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"expected a non-empty 2-D grey image, got shape {grey.shape}")
    if grey.dtype == np.uint8:
        return grey
    if grey.dtype == np.bool_:
        return grey.astype(np.uint8) * 255
    if np.issubdtype(grey.dtype, np.integer):
        info = np.iinfo(grey.dtype)
        unit = (grey.astype(np.float64) - info.min) / (float(info.max) - info.min)
    else:
        unit = np.nan_to_num(grey.astype(np.float64), nan=1.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)
    return np.round(unit * 255).astype(np.uint8)


def paper_mask(grey: np.ndarray, flat: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """1 on the sheet of paper, 0 on the desk around a photographed page (`grey` is uint8), and the sheet's convex
    hull (page pixels) where there is a desk, else None.

    The paper is the largest bright region, grown over the sheet's shaded
    part (`_shaded_too`); when it fills only part of the frame, everything
    outside its convex hull (desk, shadow, page edge) is ignored. A scan or a
    crop, all paper, keeps everything. So does paper in two tones (a check's
    shaded band, a form's grey field): given the flattened page `flat`, a
    darker surround that holds at least half as much writing per pixel as the
    bright part is paper too, unless the bright part is a sheet with its four
    corners (a sparse page on a grained desk), and so is one that flattens as
    white as a bright region running off the frame (a page's side in a hard
    shadow, `_shaded_paper`).
    """
    height, width = grey.shape
    everything = np.ones((height, width), np.uint8)
    border = rim(grey)
    if min(height, width) < MIN_PAPER_SIDE:
        return everything, None
    if np.median(border) > BORDER_BRIGHT * percentile_uint8(grey, PAPER_PERCENTILE):
        return everything, None  # the paper reaches the edges: nothing around it to mask (and no work to do)
    factor = max(1.0, max(height, width) / PAPER_SIDE)
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32) / 255.0
    _, bright = cv2.threshold(
        (cv2.GaussianBlur(small, (PAPER_BLUR, PAPER_BLUR), 0) * 255).astype(np.uint8),
        0,
        1,
        cv2.THRESH_BINARY + cv2.THRESH_OTSU,
    )
    count, labels, stats = components_with_stats(bright, connectivity=4)
    if count <= 1 or min(small.shape) < MIN_PAPER_SIDE:
        return everything, None
    lit = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    flat_small = None if flat is None else cv2.resize(flat, size, interpolation=cv2.INTER_AREA)
    contours, _ = cv2.findContours(_shaded_too(small, lit, flat_small), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(np.concatenate(contours))
    sheet = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(sheet, hull, 1)
    inside, outside = float(small[sheet > 0].mean()), float(small[sheet == 0].mean()) if (sheet == 0).any() else 1.0
    if not SHEET_SHARE[0] < sheet.mean() < SHEET_SHARE[1] or outside > DESK_DARKER * inside:
        return everything, None  # no darker surround: a scan or a crop, all paper
    if flat_small is not None and _shaded_paper(sheet, flat_small):
        return everything, None  # the "desk" is the page's side in a hard shadow
    sheet = cv2.erode(sheet, np.ones((SHEET_ERODE, SHEET_ERODE), np.uint8))
    sheet = cv2.resize(sheet, (width, height), interpolation=cv2.INTER_NEAREST)
    hull = hull.reshape(-1, 2) * np.array([width / small.shape[1], height / small.shape[0]])
    if flat is not None and written_in(sheet == 0, pen_strokes(flat), WRITTEN_ON) and sheet_corners(grey, hull) is None:
        return everything, None  # the "desk" is written on: paper in two tones (a sheet with corners lies on a desk)
    return sheet, hull


def _shaded_paper(sheet: np.ndarray, flat: np.ndarray) -> bool:
    """Whether the "desk" around a bright region that runs off the frame (`sheet`, 0/1, and the flattened page
    `flat`, both shrunk) is the page's own side in a hard shadow: flattened, shaded paper is as white as lit paper
    (`flatten_illumination` keeps a hard shadow's step), a desk beside a sheet is not."""
    if rim(sheet).mean() < SHEET_OFF_FRAME:
        return False
    paper, rest = flat[sheet > 0], flat[sheet == 0]
    return float(np.median(paper)) - float(np.median(rest)) < SHADED_PAPER_FLAT


def _shaded_too(small: np.ndarray, lit: np.ndarray, flat: np.ndarray | None = None) -> np.ndarray:
    """The sheet's bright region `lit` (of the shrunk page `small`, 0..1) grown over the sheet's shaded part (uint8
    0/1): a shadow across a photographed page darkens paper and desk alike, so shaded paper can sit below the lit
    desk and one threshold leaves it out, writing and all; measured against the brightest paper near it, paper is
    still paper and the desk beside the sheet is not. A hard shadow's edge is a step as a sheet's is: the part
    beyond it joins too where, on the flattened page `flat` (shrunk), it is as white as the lit part and does not
    reach the frame's edge (a plain desk far from the sheet flattens white too)."""
    level = cv2.GaussianBlur(small, (3, 3), 0)
    near = cv2.dilate(level, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (SHADE_REACH, SHADE_REACH)))
    paper = ((level >= SHADE_PAPER * near) | lit).view(np.uint8)
    _, labels = cv2.connectedComponents(paper, connectivity=4)
    grown = np.zeros(labels.max() + 1, bool)
    grown[labels[lit]] = True
    grown[0] = False
    if flat is not None:
        beside = cv2.dilate(grown[labels].view(np.uint8), np.ones((SHADE_REACH + 4, SHADE_REACH + 4), np.uint8))
        areas = np.bincount(labels.ravel(), minlength=len(grown))
        at_rim = set(rim(labels).tolist())
        white = float(np.median(flat[lit])) - SHADED_PAPER_FLAT
        for part in np.unique(labels[(beside > 0) & ~grown[labels]]).tolist():
            if not part or part in at_rim or areas[part] < SHADED_PART * labels.size:
                continue  # the desk reaches the frame's edge; a sheet lying on it does not
            grown[part] = float(np.median(flat[labels == part])) >= white
    return grown[labels].view(np.uint8)


def sheet_corners(grey: np.ndarray, hull: np.ndarray) -> np.ndarray | None:
    """A photographed sheet's four corners (tl, tr, br, bl), where its hull is a near-rectangle in perspective
    whose every side runs along the sheet's edge against the desk; else None (a sheet cut by the frame, a
    shaded corner that the bright region left out).

    The hull is reduced to four points (SHEET_CORNER_FIT of its perimeter).
    Opposite sides are within SHEET_SIDE_RATIO of each other's length, every
    corner within SHEET_SQUARE (cosine) of square, and along every side the
    grey just inside is brighter than just outside by SHEET_EDGE_CONTRAST of
    the paper's level on the side's median.
    """
    hull = hull.astype(np.float32).reshape(-1, 1, 2)
    quad = cv2.approxPolyDP(hull, SHEET_CORNER_FIT * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(quad) != 4:
        return None
    total, diff = quad.sum(axis=1), quad[:, 0] - quad[:, 1]
    corners = np.array([quad[total.argmin()], quad[diff.argmax()], quad[total.argmax()], quad[diff.argmin()]], float)
    if len({tuple(c) for c in corners.round()}) < 4:
        return None
    edges = np.roll(corners, -1, axis=0) - corners  # top, right, bottom, left
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    for one, other in (lengths[0::2], lengths[1::2]):  # top and bottom, right and left
        if min(one, other) < SHEET_SIDE_RATIO * max(one, other):
            return None
    cosines = np.abs((edges * np.roll(edges, 1, axis=0)).sum(axis=1)) / (lengths * np.roll(lengths, 1))
    if cosines.max() > SHEET_SQUARE:
        return None
    paper = percentile_uint8(grey, PAPER_PERCENTILE)
    centre = corners.mean(axis=0)
    reach = max(SHEET_EDGE_REACH, SHEET_EDGE_SHRUNK * max(grey.shape) / PAPER_SIDE)
    for start, edge, length in zip(corners, edges, lengths, strict=True):
        normal = np.array([-edge[1], edge[0]]) / length
        normal *= 1 if normal @ (centre - start) > 0 else -1  # pointing into the sheet
        along = start + np.linspace(0.1, 0.9, SHEET_EDGE_SAMPLES)[:, None] * edge
        inside, outside = (
            _grey_at(grey, along + reach * normal),
            _grey_at(grey, along - reach * normal),
        )
        if np.median(inside - outside) < SHEET_EDGE_CONTRAST * paper:
            return None
    return corners


def _grey_at(grey: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The grey levels at (x, y) points, each rounded to a pixel and kept on the image."""
    xs = np.clip(points[:, 0].round().astype(int), 0, grey.shape[1] - 1)
    ys = np.clip(points[:, 1].round().astype(int), 0, grey.shape[0] - 1)
    return grey[ys, xs].astype(np.float64)


def dark_bands(grey: np.ndarray) -> np.ndarray | None:
    """Where a scan has a dark band along one or two of its edges (True), or None when it has none (`grey` is uint8).

    A flatbed scan of a bound register shows the scanner's black background past the page's edge, or the book's
    gutter, as a band along one or two sides; a crop of it keeps the band. A band is solid dark along its whole
    edge, at least `BAND_MIN_DEPTH` deep, possibly with the neighbouring page's pale edge inside it; its inner edge
    may be ragged; the other edges are paper. A surround on three or four sides, dark or not, is a photographed page
    on a desk, which `paper_mask` handles; no band, the usual case, costs a look at the four outermost lines.
    """
    height, width = grey.shape
    if min(height, width) < MIN_PAPER_SIDE:
        return None
    level = _band_level(grey)
    # each side as (rows along the edge) x (columns inward from it)
    sides = {
        "left": lambda a: a,
        "right": lambda a: a[:, ::-1],
        "top": lambda a: a.T,
        "bottom": lambda a: a[::-1].T,
    }
    found = {}
    for side, inward in sides.items():
        edge = inward(grey)
        if (edge[:, 0] < level).mean() < BAND_COVER:
            continue
        across = edge.shape[1]
        dark = edge[:, : max(1, int(BAND_MAX_DEPTH * across))] < level
        solid = dark.mean(axis=0) >= BAND_COVER
        depth, gap = 0, max(BAND_GAP[0], round(BAND_GAP[1] * across))
        while depth < len(solid):
            if solid[depth]:
                depth += 1
                continue
            ahead = np.flatnonzero(solid[depth : depth + gap + 1])
            if not len(ahead):
                break
            depth += int(ahead[0])  # across a pale strip to the band's dark beyond it
        if depth < BAND_MIN_DEPTH:
            continue
        reach = dark[:, depth : depth + max(1, round(BAND_RAGGED * across))]
        ragged = np.where(reach.all(axis=1), reach.shape[1], reach.argmin(axis=1)) if reach.shape[1] else 0
        found[side] = (inward, depth + ragged + BAND_MARGIN)
    if not found or len(found) > BAND_SIDES_MAX:
        return None
    mask = np.zeros((height, width), bool)
    for inward, extent in found.values():
        view = inward(mask)  # a view: writing to it marks the mask
        per_row = np.broadcast_to(np.asarray(extent), (view.shape[0],))  # a band without a ragged edge: one depth
        view[np.arange(view.shape[1])[None, :] < per_row[:, None]] = True
    paper = level / BAND_DARK
    for side, inward in sides.items():
        line, banded = inward(grey)[:, 0], inward(mask)[:, 0]
        if side not in found and (banded.all() or np.median(line[~banded]) < DESK_DARKER * paper):
            return None  # the other edges are no paper either: a page on a desk, for paper_mask
    return mask


def _band_level(grey: np.ndarray) -> float:
    """The grey level under which a page's pixels may be band: BAND_DARK of its paper's."""
    return BAND_DARK * percentile_uint8(grey[::BAND_SAMPLE, ::BAND_SAMPLE], PAPER_PERCENTILE)


def with_shade(bands: np.ndarray, grey: np.ndarray) -> np.ndarray:
    """A page's bands grown over the solid dark areas joined to them (uint8 `grey`): a hard shadow cast across a
    corner is a band along two sides whose ragged reach (`BAND_RAGGED`) stops short of its diagonal edge, and the
    wedge past it was read as ink. Only what is thicker than a pen stroke (`STROKE_MAX`) is joined: rules and writing
    running into a band stay as they are."""
    dark = (grey < _band_level(grey)).astype(np.uint8)
    solid = cv2.morphologyEx(dark, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (STROKE_MAX,) * 2))
    count, labels = cv2.connectedComponents(solid | bands.astype(np.uint8), connectivity=8)
    joined = np.zeros(count, bool)
    joined[labels[bands]] = True
    joined[0] = False
    grown = cv2.dilate(joined[labels].astype(np.uint8), np.ones((2 * BAND_MARGIN + 1,) * 2, np.uint8))
    return (grown > 0) | bands


def written_in(region: np.ndarray, strokes: np.ndarray, share: float, written: float = 0.0) -> bool:
    """Whether `region` (bool) of a page holds pen strokes (`strokes`: its `pen_strokes`) at `share` or more of the
    rest's strokes per pixel, the rest holding `written` or more: paper, however dark it looks."""
    if not region.any() or region.all():
        return False
    inside, outside = float(strokes[region].mean()), float(strokes[~region].mean())
    return inside > 0 and inside >= share * outside and outside >= written


def pen_strokes(flat: np.ndarray) -> np.ndarray:
    """Where a flattened page has pen strokes: dark, and thinner than a few pixels (not a shadow or a desk's edge)."""
    closed = cv2.morphologyEx(flat, cv2.MORPH_CLOSE, np.ones((STROKE_MAX, STROKE_MAX), np.uint8))
    return (flat < WRITING_LEVEL) & (closed - flat > 1 - WRITING_LEVEL)


def percentile_uint8(grey: np.ndarray, q: float) -> float:
    """np.percentile(grey, q) of a uint8 image, exactly, from its histogram: ten times faster on a page."""
    counts = cv2.calcHist([np.ascontiguousarray(grey)], [0], None, [256], [0, 256]).ravel()
    below = np.cumsum(counts.astype(np.int64))  # below[v]: how many pixels are <= v
    rank = q / 100 * (grey.size - 1)
    low = int(rank)
    value_low = int(np.searchsorted(below, low, side="right"))
    value_high = int(np.searchsorted(below, min(low + 1, grey.size - 1), side="right"))
    return value_low + (value_high - value_low) * (rank - low)


def flatten_illumination(grey: np.ndarray) -> np.ndarray:
    """Divide out the paper's brightness so shadows and gradients vanish.

    `grey` is uint8. The background is estimated with a grey-level closing
    (which erases dark strokes thinner than the kernel) on a reduced copy,
    then smoothed, except where the smoothing blurred a step the closing kept:
    a hard shadow's edge (`SHADOW_STEP`).
    """
    img = grey.astype(np.float32)
    img /= np.float32(255)
    height, width = img.shape
    if min(height, width) < MIN_FLATTEN_SIDE:
        return img
    factor = max(1, min(height, width) // BACKGROUND_SIDE)
    small = cv2.resize(img, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    size = max(CLOSING_MIN, min(small.shape) // CLOSING_FRACTION) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.GaussianBlur(closed, (0, 0), size / BLUR_FRACTION)
    # a hard shadow's edge stays sharp, its dark level a pixel past it: enlarged, the step's ramp falls on the lit side
    shaded = cv2.erode(closed, np.ones((3, 3), np.uint8))
    np.copyto(background, shaded, where=background > SHADOW_STEP * shaded)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    np.divide(img, np.maximum(background, MIN_BACKGROUND, out=background), out=img)
    return np.minimum(img, 1.0, out=img)  # never below 0: grey and background are not
