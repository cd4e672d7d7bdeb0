"""Stage 2: find the digit strings on a page and propose where digits begin and end.

The segmenter does not decide alone how a touching pair like "00" splits. It
binarises the page, removes ruling lines and form boxes, groups ink into lines
and strings, drops specks and dots, straightens each line's slant, and then
over-segments every string into *pieces* at plausible cut columns (where a
blob's ink spans least height, as between touching digits). Every run of
up to four neighbouring pieces is a *candidate* digit; the classifier scores
them all and `assemble` picks the best path through them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import cv2
import numpy as np

from digitscan.model.contract import INPUT_SIZE
from digitscan.scan.grids import without_dots, without_squares
from digitscan.scan.ink import at_least, components_with_stats, ink_pixels, level_counts, long_runs, only_labels
from digitscan.scan.normalise import to_mnist
from digitscan.scan.straighten import (
    MIN_SIDE,
    Turn,
    box_around,
    estimate_tilt,
    is_crop,
    level,
    quarter_turn,
    quarter_turns,
    scaled_box,
    union_box,
    upright_lean,
)

# Tuning numbers, in working pixels (pages are shrunk to at most 2000 px, see load.WORKING_MAX_SIDE) or in line
# heights. Unless a line says otherwise, a number was set by hand with the first version of the segmenter (commit
# eca93b1) on the samples and synthetic pages, and has not been tuned on ORAND since; what each controls is said.

# -- what a digit is
MIN_DIGIT_HEIGHT = 14  # working pixels (about 2 mm on a page shrunk to 2000 px); shorter is a mark or small print
MIN_DIGIT_AREA = 12  # pixels of ink a blob of a digit's height needs (fewer: a thin scratch)
MIN_MARK_AREA = 3  # pixels of ink a small blob needs to be kept as a mark (fewer: dust)
MAX_PIECES_PER_CANDIDATE = 4
MAX_CANDIDATE_WIDTH = 1.4  # line heights; in MNIST 99 % of digits are at most 1.43 times as wide as tall (was 1.6)
MAX_GAP = 0.15  # line heights of blank space between side-by-side pieces that can still be one (broken) digit
# (ORAND: 0.0 to 0.2 measured in bench/README.md; 0.15 kept)
SMALL_FRACTION = 0.3  # of the line height: shorter blobs in a line are marks (or the bar of a 5); was 0.45, 6e4a4ca
INK_LEVEL = 0.05  # grey ink below this is no ink when a candidate's rows are trimmed (as in normalise.to_mnist)

# -- thresholding pen strokes (binarise)
OPENING = 2  # pixels: the square opening that erases hair-thin lines (security patterns, paper grain) before Otsu
MIN_SEED_LEVEL = 70  # of 255: Otsu's threshold is never taken below this on a page (a blank page's grain is not ink)
CROP_SEED_LEVEL = 50  # nor below this on a crop, cut around its number: faded ink beside a dark rule, as in a register
# cell, falls under 70 (generated cells, seed 3000: 32.0 -> 36.0 % read; 35.3 % at 40, 35.0 % at 60; ORAND fold 5
# 83.33 -> 85.00 %, fold 1 86.67 % both, fold models)
# A crop's strokes grow along all the ink at least GROW_LEVEL as dark that they touch (a page's PAGE_FAINT_LEVEL), where
# the paper's texture does not reach: its median plus this many robust standard deviations. Faded iron-gall ink
# beside a register's dark rules and print, which set the threshold. Dev register cells (seed 3000) 54.33 -> 59.33 %;
# 58.67 / 59.00 / 57.00 % at 3 / 4 / 8; with no texture bound ORAND fold 5 fell 85.00 -> 80.83 % (its security
# patterns joined the strokes), at 4 to 84.17 %; at 6 folds 1, 2, 3, 5 read as before. Fainter levels read more
# cells (0.4 of the threshold: 61.00 %) but joined the soft edges of neighbouring digits.
TEXTURE_SIGMAS = 6
# A page's strokes likewise, down to this share of the threshold: a writer's light strokes beside dark print and rules
# (the top of a 6, a whole faint 2, a number's last digit as the pen lifts), which a one-pixel growth left out. Dev
# pages, seeds 5000 / 7000 / 9000 / committed, lines read (spurious strings a page): a pixel's growth 78.55 / 77.61 /
# 73.37 / 88.07 % (1.38 / 1.56 / 1.82 / 0.67); 0.8 80.44 / 78.83 / 76.37 / 87.16; 0.7 80.13 / 80.06 / 75.85 / 86.24
# (1.21 / 1.29 / 1.56 / 0.89); 0.6 80.13 / 80.67 / 76.63 / 86.24; 0.5 79.50 / 82.21 / 77.42 / 86.24 (1.31 / 1.17 /
# 1.48 / 0.89); 0.4 79.18 / 81.60 / 77.81 / 85.32. Ten texture sigmas instead of six moved each set by a line or two
# either way. About 14 % more time a 1.4-megapixel page (172 -> 196 ms in `prepare_file`).
PAGE_FAINT_LEVEL = 0.5
MAD_TO_SIGMA = 1.4826  # a normal distribution's standard deviation is this many times its median absolute deviation
GROW_LEVEL = 0.7  # of the seed threshold: seeds grow by a pixel into ink at least this dark (anti-aliased edges)
GROW = 3  # pixels: the square the seeds grow by (one pixel each way)
# A crop at least EDGE_RULE_MIN tall (a cell, not a tight check amount) takes Otsu's threshold without its dark rules
# where that is lower (`_threshold_beside_rules`). Dev register cells (seed 3000) 60.33 -> 62.67 %; ORAND folds 1, 2,
# 3, 5 as before. On every crop, ORAND's included, folds 1 and 5 lost 1 and 3 amounts; the rules and every seed left
# out, fold 2 lost 2.

# -- ruling lines and box borders (remove_lines)
LINE_MIN_LENGTH = 25  # pixels: a horizontal run at least this long, and at least
LINE_PAGE_FRACTION = 5  # a fifth of the page's width, is a ruled line: far longer than any digit (fbf2b61)
LINE_NEAR = 7  # pixels: the square around horizontal lines within which a vertical run's end joins one
BORDER_MIN_HEIGHT = 12  # pixels: the shortest vertical run taken for a box border
BORDER_MAX_WIDTH = 6  # pixels: a border is at most this wide, or
BORDER_WIDTH_RATIO = 4  # a quarter of its height (a "1" joining a line at both ends is wider or shorter)
LINE_MARGIN = 3  # pixels: the square lines grow by before they are erased (their anti-aliased edges go too)
MEND = 9  # pixels: the closing that mends strokes a line crossed, inside the erased band only: upright across a ruled
# line, sideways across an upright rule (that one since the fourteenth session: dev register cells 60.00 -> 60.33 %,
# dev pages and ORAND folds as before). A band as thick as MEND or more is bridged where a stroke enters it from one
# side and leaves on the other (`_bridged`, since the fourteenth session): dev pages (seeds 5000 / 7000 / committed)
# 76.34 / 74.23 / 84.40 -> 76.34 / 76.07 / 84.40 % of lines, spurious strings 1.56 / 2.29 / 0.83 -> 1.52 / 1.75 /
# 0.83 a page; dev cells 62.67 -> 64.00 %; ORAND folds 1 / 2 / 3 / 5 87.50 / 77.50 / 75.00 / 85.00 -> 88.33 / 77.50
# / 77.50 / 85.83 %. A closing of 13 to 21 px instead joined ink near a line that never crossed it: fold 1 lost an
# amount.
BRIDGE_REACH = 1  # pixels: how far beside a band's run a crossing stroke may enter or leave it (a slanted stroke).
# 1 / 2 / 3: dev pages 76.34 / 76.07 / 84.40, 76.34 / 76.38 / 84.40 and 77.29 / 77.30 / 85.32 % of lines; ORAND folds
# 88.33 / 77.50 / 77.50 / 85.83, 89.17 / 77.50 / 78.33 / 85.83 and 88.33 / 77.50 / 76.67 / 83.33 %; dev cells 64.00 %
# each. 2 read a committed dated page's lines worse (its digits 89.82 -> 87.03 %) and 3 lost fold 5 three amounts:
# 1 is kept, as first measured.
# A page's blob still spanning GRID_SPAN of its width and height once its rules are erased, with at most GRID_FILL
# of its box inked, is a grid the rule finders missed: a table photographed aslant, each rule leaning its own way
# (perspective), too far off level for STAIR. Its rules are found by the Hough transform on the grid's whole blob
# (`_aslant_rules`): segments at least a fifth of the page long, within GRID_LEAN degrees of level or upright, each
# drawn across the grid GRID_THICKNESS pixels thick. Found on one page of 600 (a check set's ledger in perspective
# on a desk, seed 17000: its 32 numbers read as nothing, the grid one printed word; 25 read since); every other dev
# and check page reads as before, crops are left alone (a large 0 spans a crop), and a page takes about 1 % longer.
# Not yet enough: of 40 ledgers generated at perspective 0.045 (the test subset's digits, seeds 0-39), 10 had a
# word as large as the page before and 8 still do, their rules' remnants joined in blobs the size of a column.
# Tried, not kept: the same for any sparse blob a fifth of the page long (a tilted notebook lost two numbers its
# ruled lines, run across the blob, cut through).
GRID_SPAN = 0.3
GRID_FILL = 0.1
GRID_LEAN = 10.0
GRID_THICKNESS = 5
STAIR = 9  # pixels: a rule may step this many rows over its length and still be one run (about 1 degree off level
# over a fifth of a 1400 px page; the page generator's perspective pages bend rules by that much)
STAIR_MIN_RUN = 150  # pixels: only rules at least this long may step (a digit's arc, levelled, spans fewer)
RULE_GAP = 7  # pixels: a break this short in a long rule is bridged (light ruling thresholds in dashes)
RULE_EDGE_SPAN = 101  # pixels: a ruled line's top and bottom edge run straight over this span; where one bulges
# over fewer columns, the bulge is a stroke merged with the rule (a 0 or an 8 written on the line) and stays ink.
# Dev pages 88.01 / 84.66 / 84.20 / 89.91 -> 88.96 / 88.34 / 85.25 / 92.66 % of lines; 41: 87.70 / 87.42 / 85.25 /
# 92.66, 61: 89.27 / 88.34 / 85.12 / 92.66, 251: 88.96 / 88.34 / 85.12 / 92.66; a pixel's bulge kept as rule
# (61): 88.33 / 85.58 / 84.99 / 91.74. Dev register cells 68.67 -> 68.00 % (61: 68.33).
ZONE_THICKNESS = 6  # pixels: a dashed rule's zone is at most this much taller than the steps it may take
ZONE_GAP = 25  # pixels: breaks up to this long are bridged to find where a rule runs (noise breaks light ruling
# into dashes; the page generator's blurred, noisy notebooks break it every 10 to 20 px)
STEP_RUN_FRACTION = 8  # of a rule's least length: each step of a stepping rule runs at least this far (a 2 px rule
# 1 degree off level steps every 115 px); the digit strokes that cross the rule run less, and are kept
# A page's ruled line bowed by a curled sheet leaves the stepping-run finder's reach where it slopes (a notebook held
# open: its ends left as long thin slanted strokes). What is left of the rules (`_bowed_rules`) is then a blob at
# least the rules' least length wide, rising at most BOWED_RISE of its width, inked in BOWED_COVER of its columns,
# BOWED_THICKNESS px thick or less in the median column; its columns at most BOWED_CROSSING times that thick go, and
# a digit's strokes across it stay. Curled pages (bench/page_bench.py --curl --seed 109000 --per-kind 8, 375 lines):
# 75.47 % of lines without; 76.53 % at 4 and 6 px, 76.80 at 8 and 10; dev pages of seed 43000 curled by 2-4 % of
# their height (by a script, along 0.6 to 1 of a half sine) 75.85 -> 77.56 / 80.49 / 80.49 % at 4 / 6 / 8;
# uncurled dev pages of seeds 43000 and 60000 +0 and +1 line at 6.
BOWED_THICKNESS = 6
BOWED_RISE = 0.4
BOWED_COVER = 0.9
BOWED_CROSSING = 2
# The bow itself (`page_bow`): the rules' long thin pieces, at least BOW_PIECE of the page wide (a ledger's rows
# between its column rules) and BOW_PIECES of them, fitted together as one cubic course plus each piece's own height
# and slope; a page bowed BOW_MIN px or more over the pieces' span is read with each column moved back
# (`_unbowed`), its words' boxes mapped onto the page. Curled dev pages (seed 109000, 375 lines; and the dev pages
# of seed 43000 curled by 2-4 % of their height, 410): rules' ends erased only 76.53 / 80.49 %; unbowed at 3 and 6
# px 77.33 / 82.20, 10 77.33 / 81.95, 15 77.07 / 81.95 %. The course fitted beyond the pieces' span bent a ledger's
# margins by 98 px (78.40 / 78.78 %); one slope for all pieces 76.53 / 81.95 %. Uncurled dev pages of seeds 43000,
# 60000 and 53000 read byte for byte as before (none has a bow).
BOW_MIN = 6
BOW_PIECE = 0.15
BOW_PIECES = 3
RULE_MIN_HEIGHT = 120  # working pixels: an upright rule is at least this tall, and at least
RULE_PAGE_FRACTION = 4  # a quarter of the page's height: far taller than any digit (ORAND crops are under 120 px)
# -- a crop (an image under straighten.MIN_SIDE a side: a check amount, a register cell): the rules it was cut
# through (_edge_rules), its neighbours' slivers (_slivers), its one number. Chosen on generated register cells
# (bench/archive_bench.py --seed 3000) with ORAND folds 1 and 5 read by fold models no worse (bench/README.md)
# An upright stroke at least EDGE_RULE_MIN px and EDGE_RULE_FRACTION of the crop tall that runs out of its top or
# bottom (to within EDGE_TOUCH px) is a column rule, not a 1. ORAND's digits span their 39-64 px crops (5th to 95th
# percentile) top to bottom: a 40 px minimum read fold 5 at 82.50 % against 85.00 %.
EDGE_RULE_MIN = 70
EDGE_RULE_FRACTION = 0.4
EDGE_TOUCH = 2
# In a crop with no scan's band along it, such a stroke is a rule only where it stands EDGE_RULE_OVER times as tall
# as the crop's tallest blob holding no such stroke: a check's amount scanned at twice ORAND's resolution has 1s over
# EDGE_RULE_MIN that touch its top or bottom, no taller than its other digits (a register's column rule spans its cell;
# two such rules are each measured against the writing, not against each other). Amounts of MNIST's test writers
# (`bench/amounts.py`) at twice / three times their size 66.50 / 62.25 -> 73.50 / 74.50 %, ORAND's at 1.5 / 2 times
# 90.67 / 87.83 -> 91.67 / 89.17 %, as they are byte for byte the same; dev register cells of seeds 3000 / 7000 (nearly
# all with a band) read as before (bench/README.md, forty-third session).
EDGE_RULE_OVER = 1.2
# Where a digit touches such a rule, or its ink is broken, the rule's piece inside the crop is shorter than
# EDGE_RULE_MIN; running out of the crop, at least this wide (a rule's full width: the slice of a digit's stroke the
# rule's column takes is narrower), it goes with the rule (a red rule's foot under a junction read as "769" -> "1").
# Dev register cells, seeds 3000 / 7000 (600 each): +7 / +7 -1 cells read against none at 8 and up; 5 +8 / +8 -2;
# 4 +9 / +8 -2 with one ORAND crop read otherwise. At 6 and up ORAND's 600 crops read byte for byte as before.
PIECE_WIDTH = 6
EDGE_DRIFT = 3  # pixels: the rule is found on the crop widened this much across, so it may drift (5: 40.0 % against
# 41.0 % of the cells read)
SLIVER_FRACTION = 0.6  # of the tallest blob clear of a crop's edges: a blob cut by the edge and shorter is the next
SLIVER_CLEAR = 0.5  # cell's writing, when no such blob lies within this much of that height (0.45 / 0.75: 48.3 /
# 50.3 % of the cells against 50.0; without the clearance, the digits of ORAND's tight crops that touch an edge
# went too: 90.33 -> 88.67 % with the bundled pair)
# A cell's word running out of its top or bottom edge and under this much of its height is cut short there: the
# writing of the row above or below, caught by the crop (`Word.side`). Empty cells of seed 90000 read as a number
# with the left and right edges alone 21, with these at 0.25, 0.3 or 0.4 18; the dev cells' numbers read as before.
# Made after, empty cells of seeds 98000 / 99000: 16 / 21 -> 8 / 16.
EDGE_SLIVER = 0.3
# A register cell's strokes grow by CELL_READ_GROW square (two pixels each way) before the cell reader reads the ink
# under them: old ink's faint edges and the breaks a threshold leaves in a faded stroke are read as grey ink, not as
# paper. Dev cells, seeds 3000 / 7000 (600 each): 76.33 / 78.67 % -> 77.50 / 81.67 % at 3, 79.67 / 81.50 % at 5,
# 78.83 / 80.17 % at 7, 77.33 / 80.83 % at 11; grown off the rules' band only 79.00 / 80.67 %; the ink itself dilated
# (strokes thickened, no fainter ink) 77.50 / 79.67 % at 3. Only where the word is under CELL_ROOM of the crop's height
# (room around it, as in a register): an amount cut tight, a crop as tall as a cell, is read as the readers learnt it
# (ORAND's 41 such words fill 0.58-1.0 of their crops, median 0.91; the dev cells' 0.09-0.99, median 0.37): 79.50 /
# 81.33 %, ORAND's 600 crops byte for byte as before (grown too, 5 of its tall crops read otherwise, 1 of them right).
# Empty cells of seed 90000 read as a number 10 -> 12.
CELL_READ_GROW = 5
CELL_ROOM = 0.7
CROP_WORD_SHARE = 0.7  # of a crop's tallest word's height: a shorter word (a trailing comma, a rule's end) is none
# (50.0 -> 54.3 % of the cells read for 0.6 to 0.85, 53.7 % at 0.5; ORAND folds 1, 3, 5 as before)
CROP_BAR_WIDTH = 0.3  # of its height: a one-stroke word at most this wide, beside another word of a crop and out of
# line with it by CROP_BAR_ALIGN of its height, is a rule's remnant, no digit (dev cells, seed 3000: 51.00 -> 52.00 /
# 53.00 / 53.33 % at 0.2 / 0.3 / 0.4 without the line test; 0.3 keeps a flagged European 1, 0.35 to 0.5 as wide as
# tall; ORAND folds 1, 2, 3, 5 read as before). Without the line test a 1 written apart from "205" went too.
CROP_BAR_ALIGN = 0.3
# A crop holds one number: two of its lines stacked across the same columns, STACK_GAP of the shorter's height apart
# or closer, each at least STACK_HEIGHT of the other's height and STACK_WIDTH of its width (and overlapping across
# that much), are one number that an erased rule or faded ink broke across (a "6" read as "1" over "2"); a footer of
# print under a number is far wider and shorter. Dev register cells (seed 3000) 67.67 -> 68.67 % (3 cells gained,
# none lost), the same for gaps of 0.25 to 1.0 and widths of 0.5 to 0.7 (0.35 lost one); ORAND folds 1, 2, 3, 5 and
# the committed registers read as before.
STACK_GAP = 0.5
STACK_HEIGHT = 0.5
STACK_WIDTH = 0.5
CROP_STUB_MIN = 0.25  # of a crop's height: a thin blob at least this tall, running out of its top or bottom while
# the number is clear of that edge, is a rule's stub (dev cells 59.00 -> 60.00 % for 0.15 and 0.25; without the
# EDGE_RULE_MIN guard ORAND folds 1 and 3 lost an amount each, with it they read as before). A stub may end at a
# scan's dark band instead, which the loader blanked (`load.dark_bands`): dev cells 66.67 -> 69.00 % (8 cells gained,
# 1 lost; twenty-fourth session). ORAND's crops and the pages have no band and read as before. A stub's end may lie
# EDGE_TOUCH from the edge (the scan's blur): dev cells seed 7000 +1. In a cell where nothing else stands (an empty
# cell: no number written), a rule's end of any height is a stub: generated empty cells (seed 90000, 300) read as
# a number 63 -> 47 (73 before the thirty-second session's rules' pieces and stub ends), numbered cells as before.
# A cell whose number is small (its tallest word under SMALL_NUMBER px, and at most SMALL_NUMBER_SHARE of the cell's
# height: room around it, as a register's cell leaves) is segmented again at CELL_ZOOM times its size, less where it
# would stop being a crop (`_segmented_larger`): the pixel sizes here (the opening before Otsu, the mending, the
# rules' margins) were set on digits 40-60 px tall, and break or erase the thin strokes of smaller ones. Dev cells
# (seed 3000, twenty-fourth session, at twice the size) 69.00 -> 72.33 % (15 gained, 5 lost; digits 79.29 -> 81.66
# %); at 30 / 40 / 45 / 50 / 60 px 71.67 / 72.33 / 72.33 / 72.33 / 71.33 %. Every cell read at twice its size
# instead: 72.33 % but 75 readings changed (13 lost); at 1.5 / 3 times 72.00 / 69.33 %. The share keeps ORAND's
# tight amounts out (one of its 34 crops over EDGE_RULE_MIN tall lost a digit without it); 0.5 to 0.67 read the dev
# cells alike, 0.4 lost one. 1.5 times, not 2: with the worn-ink classifier the dev cells read 75.00 % against 74.33
# (1.75: 74.00), and 300 cells went through two workers at 108 cells/s against 80-97 (none cut larger: 137-159).
SMALL_NUMBER = 45
SMALL_NUMBER_SHARE = 0.5
CELL_ZOOM = 1.5
# A page (both sides MIN_SIDE or more, its image kept: `load.LARGE_CELL_SIDE`) cut upright whose tallest word's
# digits (its tallest piece) stand LARGE_NUMBER_SHARE of its shorter side or more, the word LARGE_NUMBER_WIDTH as
# wide as tall (narrower: a rule's remnant down a page), with no other word of two pieces or more LARGE_NUMBER_ALONE
# as tall (words on its line or stacked on it are its pieces, cut apart by a rule or a break; words at the page's
# edge are slivers; one blob at the edge, or a word from edge to edge, is no number), is a register cell scanned
# large: it is cut again as a crop (`_segmented_as_cell`), its image prepared anew as one (`load.Page.as_cell`).
# Read as a page, its rules, band and neighbour's slivers became words. The dev cells of seed 3000 enlarged twice
# (231 of 600 reach MIN_SIDE) read 61.50 -> 76.67 %; three times, 34.33 -> 70.17 %; the committed registers 60.00
# -> 96.67 % and 46.67 -> 93.33 % (as they are: 93.33 %). Step by step, twice / three times: the page shrunk to a
# crop 70.17 / 49.67 %; prepared anew 72.50 / 53.17; words in the crop's bands left out (BAND_WORD) 74.67 / 60.50;
# words stacked on the number or at the edge its own 76.67 / 70.17. Versions that took generated pages for cells:
# the tallest word against every other on the likelier cut, its box's height for its digits' (a low page cut at the
# wrong quarter, its turned lines tall words; a notebook whose two lines ran together into one word 0.15 of the page
# tall), and words at the edge left out without the edge-to-edge test (a notebook under a hard shadow, enlarged for
# its small writing, whose shadow made one word across the page). As now, none of 1,680 generated pages (the kept
# sets of seeds 120000-148000, low ones at 0.8 of their size too) is taken for a cell. Since the fifty-first session
# a page whose crop has no scan's dark band along it (`load.Page.as_cell`) is no cell, whatever its words: a window
# cut from a page around one number (a form's field, a check's date) or a close-up photo of one was taken for a cell,
# and read as one its label, box and neighbours' ends became digits. Windows cut from the dev pages of seeds 120000 /
# 143000 / 161000 around a line (`bench/windows.py`), as cut / enlarged twice / four times: 53.38 / 53.19 / 51.33 ->
# 64.86 / 59.57 / 60.00 %, 58.11 -> 81.76 %, 71.62 -> 81.76 % of their lines; dev cells of seeds 3000 / 9500 enlarged
# three times 80.00 / 83.17 -> 79.33 / 83.33 %, twice 81.67 / 83.83 -> 81.50 / 83.83 % (a few bands not found).
LARGE_NUMBER_SHARE = 0.15
LARGE_NUMBER_ALONE = 0.4
LARGE_NUMBER_WIDTH = 0.3
# A cell's number is often written small in it: where the page prepared as a crop has a scan's dark band along it, a
# number BANDED_NUMBER_SHARE of the shorter side tall will do (its words as found on the page, none left out for
# lying in the band: a hard shadow across a check is such a band, and the printed lines in it are words). (The crop
# was then shrunk until the number's digits stood 65 px tall at most; since the fifty-first session it is prepared
# at a small cell's size, `load.CELL_SIDE`.) Dev cells of seeds 9500 / 3000 enlarged twice, with a banded number of
# 0.05 / 0.08 / 0.11: 80.33 / 77.83, 80.33 / 77.83, 80.00 / 77.83 %. Leaving words in the band out took two
# hard-shadowed checks of 1,800 kept pages for cells; as it
# is, none. A cell ruled down its length may look like a page turned a quarter: where the crop has a band, its upright
# cut is looked at too (twice 81.17 / 78.00 %, three times 76.33 / 73.50 %); without the band test a low form turned
# a quarter was taken for a cell, with it no page of the 1,800 (bench/README.md, forty-fourth session).
BANDED_NUMBER_SHARE = 0.08
# Nor need a page hold a number at all to be a cell scanned large: one small enough to be one (`load.LARGE_CELL_SIDE`)
# whose dark band survived its preparation as a page (not paper in a hard shadow written in) and is, prepared as a
# crop, a scanner's black one (`load.BLACK_BAND`, `Page.scanner_banded`) is read as a cell whatever its words: an
# empty cell's rule stubs, footer and slivers read as a page's words gave it a number. Empty cells of seed 95800
# enlarged twice / three times given a number 22 / 45 -> 12 / 21 of 300; number cells of seed 3000 enlarged so
# 79.67 / 73.67 -> 80.83 / 77.17 %; as made, and every kept page set, as before (without the black test, pages under
# a hard shadow were taken for cells; without the page's own band, one whose shadow stood at 0.29 of the paper).
# A page taken for turned and looked at upright is a cell only by a number written large in at most this many
# pieces: such cells' numbers held 1-14 (dev cells enlarged twice and three times, 27 of them), the words a turned
# page's numbers ran into 34-40 (bench/README.md, forty-fifth session); a smaller number does not make it a cell.
TURNED_CELL_PIECES = 20
# A word with BAND_WORD of its box or more in the dark bands found on the page prepared as a crop lies in a scan's
# border: dev cells of seed 3000 enlarged twice, of the 68 large ones not taken for cells before, 19 are now; none of
# the 1,680 generated pages (seeds 120000-148000) is.
BAND_WORD = 0.5
# A word of the larger cut under MIN_DIGIT_HEIGHT on the crop as given, in this many pieces or more, is a line of
# small print: a printed footer ("Trykt for ...", 10-13 px), which the larger cut makes digit-sized where an empty
# cell has nothing taller (a footer read "76101618"). Empty cells (seed 90000, 300) read as a number 47 -> 42 / 42 /
# 43 / 44 for 4 / 5 / 6 / 8 pieces; dev cells seeds 3000 / 7000 +1 each time (a footer beside a small number);
# a small number in old ink breaks into fewer.
FOOTER_PIECES = 6
# The larger cut is taken where it cuts the writing no finer (no more pieces) or where it kept RECOVERED times the
# ink, or more, that the first lost (thin strokes the opening erased): a printed label cut as a crop ("No.", a cell's
# heading) had its N split into 1s, read "11", with only 5-10 % more ink from the resampling. Dev cells 75.00 % with
# neither test (the label read), 72.67 % with the pieces' alone, 73.67 / 73.33 / 73.00 % at 1.0 / 1.1 / 1.25 (the
# label read at 1.05, not at 1.1: 1.25 for a margin).
RECOVERED = 1.25
# It is also taken where it found more of the same number (`_found_more`): no more words, spanning WIDER times the
# first cut's columns around its centre. A faint or broken digit the first cut dropped ("62" read "2", "977." read
# "97"). Dev cells 73.00 -> 75.00 % (6 gained, none lost; 1.1 / 1.5: 75.00 % with one lost / 74.00 %); held out,
# bench cells 72.00 -> 74.00 % (6 gained, none lost), fresh cells 69.67 -> 70.33 % (twenty-fifth session; two printed
# footers the larger cut found there instead of the number made the centre test).
WIDER = 1.25
STUB_FILL = 0.4  # of its box a stub's ink fills at least: a rule with a digit merged into it fills a quarter (a 4 went
# with its rule in the held-out bench cells, read once for the band change; dev cells read alike from 0.25 to 0.5).
# Between the upright stub's 1 and a digit's share, not tuned: a leaning rule fills less of its box.
# A page's upright stroke at least POLE_HEIGHT times as tall as the median of its tall blobs, and at most POLE_WIDTH
# of its height wide, is a rule the rule finders missed (a page's edge or a column rule photographed aslant, its
# thickness changing along it), and stands as a wall (`Rules.walls`). Left among the blobs, the tallest of a page,
# it gathered every blob along its height into one line and one printed word. Dev pages (seeds 5000 / 7000 / 9000 /
# committed, with the session's first date change) 86.44 / 83.74 / 82.90 / 88.99 -> 86.44 / 83.74 / 83.03 / 88.99 %
# of lines at 4 (and 6; at 3 seed 5000 lost a line, seed 9000 gained two more), the same for widths of 0.1 to 0.35;
# a crop is cut around its number and keeps its own rules (`_rule_remnants`).
# A page with RULED_DOWN or more upright rules of half its height, over RULED_DOWN_RATIO times as many as its rules
# across, is ruled down its length (`_ruled_down`: with too few digit-sized blobs to tell its quarter, it is cut
# both ways, turned first, `straighten.quarter_turns`). Dev and check pages (510, seeds
# 5000 / 7000 / 9000 / committed / 11000 / 1600 / 13000): upright ones have at most 7 (ledgers' columns), turned
# notebooks 11 to 21; every page turned the right way from 6 to 10 (at 12 one was read across, as two were before).
RULED_DOWN = 8
RULED_DOWN_RATIO = 2
POLE_HEIGHT = 4.0
POLE_WIDTH = 0.2
# At the page's side such a stroke is the sheet's edge: a strip 3 px wide and 166 tall at a dated page's left edge
# (seed 9000) gathered "TOTAL $252.60" and "DATE 28.4.01" below it into one line. Dev pages, lines read, 88.01 /
# 84.66 / 83.94 / 89.91 -> 88.01 / 84.66 / 84.20 / 89.91 %, the same at 1.5, 2 and 3; check sets as before.
EDGE_POLE_HEIGHT = 2.0
# A blob as tall as a pole but too wide for one is a digit joined to a rule's remnant (a notebook's margin rule the
# finders erased only in part, aslant): its rows no wider than POLE_END_WIDTH of the writing's height (a rule's
# width), over the writing's height or more in a run, are erased (`_without_pole_ends`). Dev notebook (seed 60000):
# the 9 of "94075" against the margin kept 161 px of it, and the four lines it spanned were read as one string.
POLE_END_WIDTH = 0.25
TICK_FRACTION = 0.6  # of the page's tall blobs' height: a shorter upright bar touching an erased rule,
TICK_WIDTH = 0.4  # at most this wide for its height,
COMB_TICKS = 3  # with at least this many like it along one rule, is a comb's tick, not a digit
TALL_PERCENTILE = 90  # the page's tall blobs' height is this percentile of its blobs' (its digits, not its print)
WALL_SPLIT = 3.0  # line heights: an upright rule this tall between two digits (a ledger's column) ends a string;
# a shorter one (the wall between two cells of a comb field) joins them whatever the gap
JOIN_GAP = 2.0  # line heights: the widest gap a comb's wall joins (its cells are narrower; a label beside the
# field, left of its first wall, is farther)
WALL_SLACK = 3  # pixels: a wall may overlap the digits beside it this much (digits touch their cell's walls)
# A crop cut around one field of a form is read whole, its rules with it (`segment`), but for a comb's walls: they
# were read as 1s ("651215171310" for "6525730"). With COMB_WALLS walls inside its number joining the same two rules,
# those walls (only) are erased. Comb fields cut tight (the tests', seeds 0-11) 4 -> 12 of 12 read whole; windows of
# the page sets (2,111 lines; 0.75 and 1.5 of margin, as cut and enlarged twice), ORAND's 600 crops, 400 amounts
# and 2,100 register cells every reading the same. Walls counted at any height and joining anything, ORAND's crops
# lost 4, the amounts 1, the cells 6 for 1 gained; all the rules erased, as a page's word is read, a 1 beside a wall
# went with it ("43860" for "438610"; bench/README.md, fifty-seventh session).
COMB_WALLS = 2
# A comb field holds one character a cell, its separators printed or given cells of their own: a mark between two
# of its cells (within 2 WALL_SLACK of them), a wall's foot left by the erased rules or a speck, is no separator
# (`_line_words`). Dev pages +3 -0 lines with their separators ("58999" read "58.999", "40051" read
# "4005-1"), the nineteen other kept sets +13 -0, digits, ORAND's crops and the dev cells as before (bench/README.md,
# fiftieth session).

BOX_MIN_SIDE = 40  # pixels: a closed box is at least this wide and tall (about an ORAND digit's height)
BOX_STRAIGHT = 1.0  # pixels: a box's side strays at most this much from a straight line, on average
BOX_BAND = 9  # pixels from its bounding rectangle's edge where a box's side runs (a frame a degree or two off level)
BOX_COVER = 0.85  # of each side's length inked: a box (a 0 leaves its corners empty; set on the samples' boxes)

# -- lines of text and strings (_group_lines, _line_words, _atoms)
LINE_OVERLAP = 0.5  # of the shorter blob: blobs whose vertical extents overlap this much are on one line
LINE_HEIGHT_PERCENTILE = 75  # a line's height is this percentile of its blobs' heights (tall digits, not specks)
LINE_PAD = 2  # pixels: a line's crop reaches this far past its blobs, and marks may stick out this far
# The string reader reads a page word's grey ink under its line's strokes grown by LINE_READ_GROW square (three
# pixels each way), as a cell's by CELL_READ_GROW: faint edges and breaks are grey ink, not paper. The candidates keep
# the strokes grown by GROW. Dev pages, seeds 120000 / 141000 (hard shadows), lines read 90.10 / 86.70 % -> 90.10 /
# 86.21 % at 5, 90.79 / 86.21 % at 7 (spurious 0.75 / 0.95 -> 0.67 / 0.98 a page), 90.56 % / - at 9, 90.79 % / - at 11.
LINE_READ_GROW = 7
WORD_GAP = 1.2  # line heights of blank space that start a new string
STACKED_OVERLAP = 0.6  # of the narrower: blobs overlapping this much across are one digit (a 5's bar, a broken 4)
MARK_OVERLAP = 0.5  # of its width: a small mark overlapping a digit this much across belongs to it
# Marks stacked over each other BROKEN_HEIGHT of the line's height or more, at most BROKEN_WIDTH of it wide and with
# no break wider than BROKEN_GAP of it, are one digit broken into pieces (`_broken_digits`): a thin pen's 3 in three
# strokes spanned 0.93 of its line and its number read "48" for "348". Set on the pages that changed: the kept and
# fresh page sets' broken digits stand 0.87-0.96 tall (3-4 pieces, breaks 0.10-0.17); at 0.7 a colon-like mark
# before a "4635" (0.70, two pieces) read as a 1, and without the gap test a date's dot under a mark read as a digit
# ("19.10.18" -> "1910.18"). Dev pages as before, the nineteen other kept sets +3 -1 lines, fresh sets +1 (bench/
# README.md, fifty-third session); crops and cells read as before.
BROKEN_HEIGHT = 0.8
BROKEN_WIDTH = 1.2
BROKEN_GAP = 0.2

# -- separators between digits (_separator_of, _date_slashes): shapes of handwritten ".", ",", "-" and "/", in line
# heights (digit heights) and measured from the line's digits; set by hand on the page generator's dated and amount
# pages (digitscan.training.pages), and checked not to change a digit read on ORAND (bench/README.md, Separators).
# Since the forty-eighth session "the line's digits" are the string's own (`_own_frame`): where print shares the
# line, dev pages (seeds 120000 / 143000 / 161000 / 162000) read +4 -0 lines with their separators, nineteen other
# kept sets +30 -7 (two lines' digits lost: marks now taken for separators), bench/README.md, forty-eighth session.
# A comma written large (a third of the digits' height wide, a little taller than wide) was no mark at all; since
# the fiftieth session it may be COMMA_MAX wide (DOT_MAX before) and COMMA_ASPECT (1.2 before) as tall as wide: dev
# pages +1 -0 lines with their separators, digits as before (bench/README.md, fiftieth session). A line's blob that
# is a dot or comma upside down (a comma reaching far up into a turned page's line) stays a piece to read, and is
# that page's separator read the other way up: dev pages +4 -0, the nineteen other kept sets +13 -0 (same session).
DOT_MAX = 0.3  # a dot is at most this tall and wide, a comma this tall (doubled)
COMMA_MAX = 0.36  # a comma is at most this wide
LOW_MARK = 0.6  # of the way from the digits' top to their baseline: a dot's or comma's middle lies lower than this
COMMA_DROP = 0.08  # a mark reaching this far below the baseline,
COMMA_ASPECT = 1.1  # and this many times as tall as wide, is a comma (else a dot)
COMMA_BELOW = 0.5  # how far below the baseline a comma may reach and still be taken into its line
DASH_MIN_WIDTH = 0.15  # a dash is at least this wide,
DASH_MAX_WIDTH = 0.9  # at most this wide,
DASH_MAX_HEIGHT = 0.25  # at most this tall,
DASH_ASPECT = 1.8  # and this many times as wide as tall,
DASH_MIDDLE = (0.25, 0.8)  # with its middle this far down between the digits' top and baseline
SLASH_MIN_HEIGHT = 0.6  # a slash is at least this tall,
SLASH_THIN = 0.06  # its ink spreads across its axis at most this much (of its length, squared): a line,
SLASH_LEAN = 0.25  # and it leans right at least this much on the page (columns per row, about 14 degrees).
# So may a writer's 1 (the page generator's writers slant both alike: 0.3 to 0.38 on dev pages): only the shape of a
# date (DATE_GROUPS) tells them apart (`_date_slashes`), and where more strokes lean than a date has slashes, how
# much each leans. A slash had also to lean at least as much as its line's slant; some generated slashes lean a
# little less, and their dates were read as numbers. Dev pages (seeds 5000 / 7000 / 9000 / committed), lines read:
# 85.49 / 83.44 / 82.11 / 88.99 %; without that test, the two slash-shaped strokes leaning most taken where they
# split a date, 86.12 / 83.44 / 82.90 / 88.99 (the test at -0.1 of the slant or less alike). Any two that split it
# read 86.44 / 83.74 / 83.16 / 88.99, but also "111145" (a bench page's MNIST 1s) as 1/1/45; the two leaning most
# by a margin of 0.05 / 0.1 more than the rest, seed 9000 82.77 / 82.64. ORAND folds 1, 2, 3, 5 and the dev
# register cells read as before. After a printed label ("DATE 04/12/13", its 1s leaning more than its slashes), the
# pair leaning most of those that split it: dev pages 86.75 / 84.66 / 83.29 / 89.91 -> 87.07 / 84.66 / 83.55 /
# 89.91 % (after THIN_ONE, `assemble`); any string so, 87.07 / 84.97 / 83.55 / 89.91, but that reads "111145" as a
# date again.
# A decimal point under a slanted digit's empty lower corner overlaps that digit's box and was taken into its atom
# (`_atoms`); it is let go (`_dots_before`) when it is at least DOT_BEFORE_SIZE wide and tall, its foot within
# DOT_BEFORE_FOOT of the baseline, its middle in the left DOT_BEFORE_LEFT of the digit's box, DOT_BEFORE_FILL of its
# box inked, and no ink of the digit within DOT_BEFORE_APART (line heights). Set on 8 such dots of the dev pages of
# seed 60000 (0.16-0.20 high, 0.64-0.72 filled, feet within 0.04, middles in the left 0.02-0.30, 0.08-0.33 from the
# digit) against the 23 dot-shaped marks taken into digits on the bench pages' forms, notes, notebooks and ledgers,
# which hold no separators (smaller, fainter, in a box's right part or off the baseline). Lines with separators: dev
# seeds 60000 / 1600 / 52000 / 53000 / 43000 +8 / +3 / +6 -1 / +1 / 0; digits as before; fresh seeds 75000 and
# 76000 +3 and +2, one line's digits lost on 75000 (bench/README.md, thirty-first session). A comma there is let go
# alike where its top lies within COMMA_BEFORE_TOP of the baseline (a comma hangs from it: "48,470" read "48470"),
# and a dot 0.5 filled (0.6 before; a dot of 0.57 was kept in its 4): dev pages +2 -0 lines with their separators,
# the nineteen other kept sets +21 -0, digits as before (bench/README.md, fiftieth session). The digit's ink is
# measured straight across from the dot's (it was a square's reach, whose corners took dots 0.06-0.09 away from a
# 9's or 2's foot, "6.1.2026" read "612026"): lines with separators, dev pages (ledgers 182000, pages 120000 /
# 143000, the dotted notebooks of 176000) +3 -1; the 25 kept page sets +11 -2, 240 fresh pages (183000 / 184000)
# +0 -1, printed and pencil +0 -1 (a mark beside a digit of a number without separators read as a point: "713.5");
# digits as before (bench/README.md, fifty-seventh session).
DOT_BEFORE_SIZE = 0.12
DOT_BEFORE_FOOT = 0.06
DOT_BEFORE_LEFT = 0.35
DOT_BEFORE_FILL = 0.5
COMMA_BEFORE_TOP = 0.25
DOT_BEFORE_APART = 0.06
# Blobs before, between and after a date's two slashes: d/m/y, m/d/y (12/05/2024). A year of one blob is its two
# digits run together, as on a page photographed small and enlarged ("25/09/17" read "25109117"), where that blob is
# YEAR_BLOB_WIDTH of the date's other digits' median width or wider (`_date_slashes`); a lone 1 is narrower, and
# "918311", its 1s leaning like slashes, is no "9/83/1". Dev low and shadowed pages (seeds 135000-148000, 3,250
# lines, `load.WRITING_SHAPE` in) read 2,820 lines with a year of two blobs or more, 2,829 with any one blob (no line
# lost), but a fresh page of seed 150000 read "9/83/1"; with YEAR_BLOB_WIDTH as many, and that page right
# (bench/README.md, forty-third session). ORAND's 600 crops and the dev register cells read byte for byte as before.
# A date written upside down (a page read the other way up) has its groups the other way round as cut, the year
# first: its slashes are found in the reversed groups, alone or before its turned label (`_turned_date`). Dev pages
# +7 -0 lines with their separators (seeds 120000, 143000, 161000, 162000), the nineteen other kept sets +21 -1; 24
# dated pages of the test subset's writers turned half a turn read 13 of their 20 slashed dates, 5 before; ORAND's
# crops and the dev cells as before (bench/README.md, forty-ninth session).
DATE_GROUPS = ((1, 2), (1, 2), (2, 4))
DATE_BLOBS = sum(low for low, _ in DATE_GROUPS) + len(DATE_GROUPS) - 2  # the fewest blobs a date is written in
YEAR_BLOB_WIDTH = 0.5
# A page's string that the print test drops may be a printed label with the number written after it ("DATE
# 12/05/24", "No. 4417"), closer than WORD_GAP. Read from the first piece after LABEL_MARKS or more dropped marks at
# its start (`assemble`), or from a date's shape (`_date_after_label`), where LABEL_GAP of the line's height of
# blank space comes before it (letters of one printed word stand closer). Dev pages (seeds 5000 / 7000 / committed):
# 76.03 / 73.62 / 83.49 -> 76.34 / 74.23 / 84.40 % of lines, spurious strings 1.52 / 2.29 / 0.72 -> 1.56 / 2.29 /
# 0.83 a page (misread numbers now read, where they were dropped); at 0.1 / 0.3 of the height as many lines.
LABEL_MARKS = 2
LABEL_GAP = 0.2
SLASH_SPAN = 0.8  # a slash's box is at least this much of the width its lean gives it (a thick stroke is wider)

# -- slant (estimate_slant)
MAX_SLANT = 0.6  # the steepest shear tried either way (about 31 degrees)
SLANT_STEPS = 13  # shears tried from -MAX_SLANT to MAX_SLANT (steps of 0.1)
SLANT_GAIN = 1.0001  # a later shear must sharpen the projection by this factor to win: near-ties keep the earlier
SLANTS = np.linspace(-MAX_SLANT, MAX_SLANT, SLANT_STEPS)

# -- cut columns inside a wide blob (_pieces, _cut_columns)
WIDE_BLOB = 0.75  # line heights: only blobs wider than this are cut
CUT_MARGIN = 0.22  # line heights from either end of a blob where it is never cut
CUT_MIN_MARGIN = 2  # pixels: that margin's least
SMOOTH = 3  # columns: the moving average over the ink-extent profile
VALLEY = 0.05  # a cut column's ink extent is at least this much below the highest on each side of it (d50d3c0)
CUT_EVERY = 0.3  # line heights: at most one cut per this much of a blob's width (a narrow digit's width)
CUT_SPACING = 0.2  # line heights: the least distance between two cuts of one blob

# -- pages that are no document (segment, page_ink, _is_background)
MAX_INK_FRACTION = 0.5  # more ink than this is no document (all black, pure noise)
MAX_COMPONENTS = 4000  # a page with more blobs than this is noise, not writing
SPECK_AREA = 12  # pixels: a blob smaller than this is a speck
SPECKLE_MIN_BLOBS = 100  # a page with more blobs than this, more than
SPECKLE_FRACTION = 0.25  # this share of them specks, is dense speckle, not writing (e4657a0),
# when its specks are this many a pixel too: 40 % salt-and-pepper noise leaves 4e-3; a photographed page's sensor
# noise and JPEG blocks leave up to 1.5e-4 (dev pages, seeds 5000, 7000, 9000 and committed), which the share alone
# took for speckle: a clearly written notebook page of seed 9000 read nothing.
SPECKLE_DENSITY = 1e-3
SURROUND_RIM = 0.3  # of the image's rim a surround covers at least (a ruled page's grid only touches it where
# its rules end: 3 to 4 % on the page generator's tilted notebooks; a desk around a sheet covers most of it)
SURROUND_BORDERS = 3  # image borders a dark surround (the desk around a photographed page) touches
SURROUND_SPAN = 0.8  # of the image's width and height that a surround spans
SURROUND_THICKNESS = 8  # pixels, or
SURROUND_THICKNESS_FRACTION = 0.02  # of the image's shorter side: a surround is at least this thick (6543cda:
# the thin frame of a form or a check's amount box is left to remove_lines)
SURROUND_FRINGE = 5  # pixels: the solid surround blanked this far around (the sheet's shaded edge)
# A crop's surround (a scan's dark band, with the rules it joins) goes less what is left of it once its solid part
# (opened by a square of CROP_SURROUND_SOLID of the crop's shorter side, SURROUND_THICKNESS at least: 8 to 20 px in
# cells 80 to 200 px tall, wider than their pen strokes) and its straight runs of CROP_SURROUND_RULE of the crop's
# width or height (rules, which run from the band across the crop; a 2's foot or a 1 is shorter) are taken off, in
# pieces of CROP_SURROUND_PIECE pixels or more (a speck of a noisy band is smaller). Dev cells of seeds 3000 / 7000:
# 1 of 1,200 kept ink that way (its 2: "62" read again); ORAND's 600 crops: 1 (a 7148 read as nothing, now 71143).
CROP_SURROUND_SOLID = 0.1
CROP_SURROUND_RULE = 0.5
CROP_SURROUND_PIECE = 40
# A page ruled in a light ink (a notebook's blue lines and red margin, 0.30 of full ink at the median on a dev page,
# 0.35 at RULE_INK_PERCENTILE) and written in a dark one (0.78 at the median) has the pen's pixels the rule erasure
# took given back (`_pen_over_rules`): the strokes' median ink PEN_OVER_RULE times the rules' or more.
RULE_INK_PERCENTILE = 90
# Or, where the median is lighter, the strokes' ink at this percentile (their cores): a photo's thin, blurred
# ballpoint is 0.48 at the median beside a margin rule of 0.35, so a digit written on the rule lost its strokes
# there (0.6-0.87: pen and rule darken the paper together). Dev pages (1,719 lines) +6 / -1, the other kept pages
# (6,997 lines) +33 / -7 (bench/README.md, forty-fifth session).
PEN_INK_PERCENTILE = 90
PEN_OVER_RULE = 1.6


@dataclass
class Candidate:
    """Pieces [start, end) of a string taken as one digit."""

    start: int
    end: int
    box: tuple[int, int, int, int]  # x, y, w, h on the page
    ink: np.ndarray  # grey ink (0 = none) of just these pieces, deskewed


@dataclass
class Word:
    """One digit string: its pieces left to right and the candidates over them."""

    line: int
    pieces: int
    box: tuple[int, int, int, int]
    candidates: list[Candidate] = field(default_factory=list)
    cuts: list[bool] = field(default_factory=list)  # per boundary between pieces: does it cut through ink?
    separators: list[tuple[int, str]] = field(default_factory=list)  # (pieces left of it, ".", ",", "-" or "/")
    # The same read with the word turned half a turn (`upside_down`): a dot at its top is a dot at its foot then
    turned_separators: list[tuple[int, str]] = field(default_factory=list)
    direction: tuple[float, float] = (1.0, 0.0)  # which way it reads on the page as given: a unit vector (x, y)
    # What the string reader reads: a one-word crop's pen strokes, all of them (`segment`); a page word's, its line's
    # strokes in its columns (`_strokes_between`); the grey ink under them, in a register cell and on a page under
    # them grown (`CELL_READ_GROW`, `LINE_READ_GROW`); empty: not read whole
    ink: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    crop: bool = False  # cut from a crop, around one number: small marks beside it are no sign of print
    cell: bool = False  # a crop EDGE_RULE_MIN tall or more: a cell cut from a ruled sheet, not tight around its digits
    # a cell's word at its side: its left or right edge or a dark band beside it (`_at_side`), or its top or bottom
    # edge, cut short there (`_cut_short`)
    side: bool = False

    def single_pieces(self) -> list[int]:
        """Its candidates of one piece each, the glyphs as cut (what the print detector looks at)."""
        return [i for i, cand in enumerate(self.candidates) if cand.end - cand.start == 1]


CellCrop = tuple[np.ndarray, np.ndarray | None, float]
"""A page prepared as a crop, to be cut as a register cell: its grey, its dark bands, its size against the page's."""


class CellSource(Protocol):
    """A page that can be prepared anew as a crop (`load.Page`): a register cell scanned large may be one."""

    def as_cell(self) -> CellCrop:
        """The page prepared anew as a register cell scanned small is (`load.CELL_SIDE`)."""
        ...

    def cell_banded(self) -> bool:
        """Whether `as_cell()` has a scan's dark band along it, told without preparing the crop."""
        ...

    def scanner_banded(self) -> bool:
        """Whether `as_cell()` has a scanner's black band along it (never a hard shadow), told likewise."""
        ...


def is_cell(shape: tuple[int, ...]) -> bool:
    """Whether an image is a crop tall enough to be a cell cut from a ruled sheet (`EDGE_RULE_MIN`), room left
    around its number, rather than a check's amount cut tight around its digits."""
    return is_crop(shape) and shape[0] >= EDGE_RULE_MIN


def percentile(values: Sequence[float], q: float) -> float:
    """`np.percentile(values, q)` of a short list, to the last bit (linear interpolation, numpy's own rounding),
    without numpy's set-up, which cost more than the segmenting around it: 60 us a call, four calls a crop."""
    ordered = sorted(float(v) for v in values)
    rank = (len(ordered) - 1) * (q / 100)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    t = rank - low
    a, b = ordered[low], ordered[high]
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def median(values: Sequence[float]) -> float:
    """`np.median(values)` of a short list, to the last bit."""
    ordered = sorted(float(v) for v in values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def binarise(ink: np.ndarray, crop: bool = False) -> np.ndarray:
    """Threshold pen strokes, not the paper's security pattern or texture.

    A 2x2 opening first erases hair-thin lines (security patterns, paper
    grain) that pen strokes are wider than; Otsu's threshold on what remains
    seeds the strokes, which run on into the fainter ink they touch
    (`_with_faint_strokes`) and then grow by one pixel into somewhat lighter
    ink so anti-aliased edges are kept.
    """
    ink8 = (ink * 255).astype(np.uint8)
    opened = cv2.morphologyEx(ink8, cv2.MORPH_OPEN, np.ones((OPENING, OPENING), np.uint8))
    otsu, _ = cv2.threshold(opened, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = max(otsu, CROP_SEED_LEVEL if crop else MIN_SEED_LEVEL)
    seeds = (opened >= high).astype(np.uint8)
    if crop and is_cell(ink.shape):
        high = _threshold_beside_rules(opened, seeds, high)
        seeds = (opened >= high).astype(np.uint8)
    seeds = _with_faint_strokes(opened, seeds, high, GROW_LEVEL if crop else PAGE_FAINT_LEVEL)
    grown = cv2.dilate(seeds, np.ones((GROW, GROW), np.uint8))
    return seeds | (grown & (ink8 >= GROW_LEVEL * high).astype(np.uint8))


def _threshold_beside_rules(opened: np.ndarray, seeds: np.ndarray, high: float) -> float:
    """A cell's seed threshold with its rules left out: Otsu's on the ink off the crop's dark rules (`_edge_rules`,
    ruled lines), when that is lower. A register cell's printed rules are far darker than its faded writing, so
    Otsu's threshold on the whole crop falls between rules and paper and only the darkest pieces of the digits seed
    strokes; without the rules it falls between writing and paper."""
    width = seeds.shape[1]
    rules = horizontal_runs(seeds, max(LINE_MIN_LENGTH, width // LINE_PAGE_FRACTION)) | _edge_rules(seeds)
    rest = opened[cv2.dilate(rules, np.ones((LINE_MARGIN, LINE_MARGIN), np.uint8)) == 0]
    if not rules.any() or rest.size == 0:
        return high
    otsu, _ = cv2.threshold(rest.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return min(high, max(otsu, CROP_SEED_LEVEL))


def _with_faint_strokes(opened: np.ndarray, seeds: np.ndarray, high: float, level: float) -> np.ndarray:
    """The seeds with all the fainter ink they touch: strokes followed down to `level` of the seed threshold,
    though never into ink the paper's own texture reaches (its median plus TEXTURE_SIGMAS robust standard
    deviations, from the median absolute deviation). Old ink fades along a stroke; the dark rules and print of a
    register cell set the threshold, and the faded half of a digit fell below it."""
    counts = level_counts(opened)
    half = opened.size / 2
    paper = int(np.searchsorted(np.cumsum(counts), half))  # the median ink level
    deviations = np.bincount(np.abs(np.arange(256) - paper), weights=counts, minlength=256)
    spread = MAD_TO_SIGMA * int(np.searchsorted(np.cumsum(deviations), half))
    low = min(high, max(level * high, paper + TEXTURE_SIGMAS * spread))
    faint = at_least(opened, low)
    count, labels = cv2.connectedComponents(faint, connectivity=8)
    touched = np.zeros(count, bool)
    touched[labels[seeds > 0]] = True
    touched[0] = False
    return only_labels(faint, labels, touched)


def horizontal_runs(binary: np.ndarray, length: int) -> np.ndarray:
    """The morphological opening of `binary` (uint8 0/1) by a 1 x `length` segment: its long horizontal runs.

    The opening works on each row alone, and only a row holding at least half
    that length of ink can keep any (a run at the image's edge counts the
    outside as ink), so just those rows are opened: a handful on most pages.
    """
    out = np.zeros_like(binary)
    rows = np.flatnonzero(cv2.reduce(binary, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() >= length // 2)
    if rows.size:
        out[rows] = long_runs(np.ascontiguousarray(binary[rows]), length)
    return out


@dataclass
class Rules:
    """A page's pen strokes with its ruling erased, and what was erased."""

    strokes: np.ndarray  # uint8 0/1: the strokes, rules erased and the strokes they crossed mended
    band: np.ndarray | None  # uint8 0/1: the erased band (None: no rules)
    walls: list[tuple[int, int, int, int]]  # x, y, w, h of every upright rule: box borders, column and margin rules
    cut: np.ndarray | None = None  # uint8 0/1: the part of `band` around rules a crop was cut through (`_edge_rules`)


def remove_lines(binary: np.ndarray) -> np.ndarray:
    """The strokes of a page with ruling lines, underlines, box borders and column rules erased (`clear_rules`)."""
    return clear_rules(binary).strokes


def vertical_runs(binary: np.ndarray, length: int) -> np.ndarray:
    """The long vertical runs of `binary`: `horizontal_runs` of its transpose."""
    return np.ascontiguousarray(horizontal_runs(np.ascontiguousarray(binary.T), length).T)


def stepping_runs(binary: np.ndarray, length: int) -> np.ndarray:
    """The pixels of `binary` on horizontal rules at least `length` long, allowed to step a few rows (`STAIR`) and
    to break (a light rule thresholded in dashes, a noisy photo, JPEG).

    The rules' zone is found on a copy thickened by the steps and closed over
    short breaks; inside it, the rule is what runs far along its rows, so the
    strokes of digits that cross the rule are kept. A rule broken into dashes
    is found the same way over longer breaks (`ZONE_GAP`), where the zone
    stays as thin as a rule (a line of digits closed that way is as tall as
    its digits), and every dash wholly inside it goes.
    """
    thick = cv2.dilate(binary, np.ones((STAIR, 1), np.uint8))
    zone = horizontal_runs(cv2.morphologyEx(thick, cv2.MORPH_CLOSE, np.ones((1, RULE_GAP), np.uint8)), length)
    inside = cv2.morphologyEx(binary & zone, cv2.MORPH_CLOSE, np.ones((1, RULE_GAP), np.uint8))
    rule = horizontal_runs(inside, max(LINE_MIN_LENGTH, length // STEP_RUN_FRACTION)) & binary
    dashed = horizontal_runs(cv2.morphologyEx(thick, cv2.MORPH_CLOSE, np.ones((1, ZONE_GAP), np.uint8)), length)
    count, zones, stats = components_with_stats(dashed, connectivity=8)
    thin = np.flatnonzero(stats[:, cv2.CC_STAT_HEIGHT] <= STAIR + ZONE_THICKNESS)
    thin = thin[thin > 0]
    if not thin.size:
        return rule
    in_thin = np.zeros(count, bool)
    in_thin[thin] = True
    narrow = only_labels(dashed, zones, in_thin)
    count, labels = cv2.connectedComponents(binary, connectivity=8)
    reaching_out = np.zeros(count, bool)
    rows, cols = ink_pixels(binary)
    outside = narrow[rows, cols] == 0
    reaching_out[labels[rows[outside], cols[outside]]] = True
    reaching_out[0] = True  # the paper
    return rule | only_labels(binary, labels, ~reaching_out, (rows, cols))


def box_frames(binary: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The frames of closed boxes (an amount box, a form's field), whatever their size, and their sides as walls.

    A box is a blob whose bounding rectangle is inked along all four sides,
    each a straight line (`_straight_side`); a 0 or an 8 has round sides and
    empty corners. Short boxes escape the ruled-line test, which wants a
    fifth of the page.
    """
    frames = np.zeros_like(binary)
    walls: list[tuple[int, int, int, int]] = []
    _, labels, stats = components_with_stats(binary, connectivity=8)
    big = (stats[:, cv2.CC_STAT_WIDTH] >= BOX_MIN_SIDE) & (stats[:, cv2.CC_STAT_HEIGHT] >= BOX_MIN_SIDE)
    for i in np.flatnonzero(big[1:]) + 1:
        x, y, w, h = (int(v) for v in stats[i, :4])
        own = labels[y : y + h, x : x + w] == i
        band = min(BOX_BAND, h // 4, w // 4)
        if not all(_straight_side(side, band) for side in (own, own[::-1], own.T, own.T[::-1])):
            continue
        edge = np.zeros_like(own)
        edge[:band], edge[-band:], edge[:, :band], edge[:, -band:] = True, True, True, True
        frames[y : y + h, x : x + w] |= (own & edge).astype(np.uint8)
        walls += [(x, y, band, h), (x + w - band, y, band, h)]
    return frames, walls


def _straight_side(own: np.ndarray, band: int) -> bool:
    """Whether a blob's top side (rows of `own` from 0) is a straight line along `BOX_COVER` of its width: its first
    ink row per column within `band` of the edge, and within `BOX_STRAIGHT` of a line (a loop's top is an arc)."""
    inked = own[:band].any(axis=0)
    if inked.mean() < BOX_COVER:
        return False
    cols = np.flatnonzero(inked)
    rows = own[:band, cols].argmax(axis=0).astype(np.float64)
    fit = np.polyval(np.polyfit(cols, rows, 1), cols)
    return float(np.abs(rows - fit).mean()) <= BOX_STRAIGHT


def _edge_rules(binary: np.ndarray, banded: bool = True) -> np.ndarray:
    """The upright rules of a crop that run out of it at the top or bottom: a column rule the crop cut through,
    which a digit's stroke never does from so far inside (`EDGE_RULE_FRACTION`). Where a digit touches the rule,
    or old ink broke it, the rule's column holds pieces of it shorter than that: those of its full width
    (`PIECE_WIDTH`) that run out of the crop go with it. Without a scan's band along the crop (`banded` False), a
    stroke no taller than the crop's other writing (`EDGE_RULE_OVER`) is a large amount's 1."""
    height = binary.shape[0]
    length = max(EDGE_RULE_MIN, int(EDGE_RULE_FRACTION * height))
    widened = cv2.dilate(binary, np.ones((1, EDGE_DRIFT), np.uint8))  # a rule drawn a pixel or two off upright
    runs = vertical_runs(widened, length) & binary
    _, labels, stats = components_with_stats(runs, connectivity=8)
    top, bottom = stats[:, cv2.CC_STAT_TOP], stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT]
    whole = (stats[:, cv2.CC_STAT_HEIGHT] >= length) | (stats[:, cv2.CC_STAT_WIDTH] >= PIECE_WIDTH)
    edge = ((top <= EDGE_TOUCH) | (bottom >= height - EDGE_TOUCH)) & whole
    edge[0] = False
    if not banded and edge.any():  # a check's amount scanned large: its 1 is no taller than its other digits
        _, blobs, blob_stats = components_with_stats(binary, connectivity=8)
        ruled = np.unique(blobs[edge[labels]])  # the blobs the runs lie in: measured against the rest, not each other
        writing = np.delete(blob_stats[:, cv2.CC_STAT_HEIGHT], np.union1d([0], ruled))
        if writing.size:
            edge &= stats[:, cv2.CC_STAT_HEIGHT] >= EDGE_RULE_OVER * writing.max()
    return edge[labels].astype(np.uint8)


def _rule_remnants(words: list[Word]) -> list[Word]:
    """A crop's words less the remnants of rules: one thin upright stroke each, standing apart from the number and
    out of line with it (reaching CROP_BAR_ALIGN of the number's height above its top or below its foot): a column
    rule stopped short of the crop's edge, a rule's foot below a junction, the ragged edge of a scanner's border.
    A 1 written apart from the digits after it is in line with them, and stays."""

    def is_bar(word: Word) -> bool:
        return word.pieces == 1 and word.box[2] <= CROP_BAR_WIDTH * word.box[3]

    others = [w for w in words if not is_bar(w)]
    if not others:
        return words
    _, top, _, height = max(others, key=lambda w: w.box[3]).box
    slack = CROP_BAR_ALIGN * height

    def out_of_line(word: Word) -> bool:
        _, y, _, h = word.box
        return abs(y - top) > slack or abs(y + h - top - height) > slack

    return [w for w in words if not (is_bar(w) and out_of_line(w))]


def _near_bands(bands: np.ndarray) -> np.ndarray:
    """Where a scan's dark bands are, or within EDGE_TOUCH of them (bool)."""
    return cv2.dilate(bands.astype(np.uint8), np.ones((2 * EDGE_TOUCH + 1,) * 2, np.uint8)) > 0


def _off_the_sides(words: list[Word], width: int, near: np.ndarray | None) -> list[Word]:
    """A cell's words less those at its side (`_at_side`; `near`: a scan's dark bands, `_near_bands`) where another
    word stands clear of both: the next cell's writing caught as tall as the number (`_slivers` takes the shorter),
    a rule's stub, a band's ragged edge. A cell is cut around its one number, with room beside it."""
    inside = [w for w in words if not _at_side(w.box, width, near)]
    return inside if inside else words


def _at_side(box: tuple[int, int, int, int], width: int, near: np.ndarray | None) -> bool:
    """Whether a box stands at a crop's left or right edge, or against a scan's dark band beside it (`near`:
    `_near_bands`), to within EDGE_TOUCH."""
    x, y, w, h = box
    if x <= EDGE_TOUCH or x + w >= width - EDGE_TOUCH:
        return True
    rows = slice(y + h // 4, y + h - h // 4)  # its middle: a band above or below touches only its ends
    return near is not None and bool(near[rows, max(0, x - 1)].any() or near[rows, min(width - 1, x + w)].any())


def _cut_short(box: tuple[int, int, int, int], height: int) -> bool:
    """Whether a box runs out of a crop's top or bottom edge (to within EDGE_TOUCH) under EDGE_SLIVER of its
    height: a sliver of the next row's writing."""
    _, y, _, h = box
    return (y <= EDGE_TOUCH or y + h >= height - EDGE_TOUCH) and h < EDGE_SLIVER * height


def _rule_stubs(strokes: np.ndarray, bands: np.ndarray | None = None) -> np.ndarray:
    """The stubs of rules in a crop: thin upright blobs running out of its top or bottom edge, at least
    CROP_STUB_MIN of its height, where the number's own blobs are clear of that edge (a rule the crop was cut
    through, too short for `_edge_rules`). A scan's dark band (`bands`, `load.dark_bands`) is an edge too: the
    paper ends there, and a rule with it. In a cell that holds nothing else (no number written in it), upright bars
    running out of its edges are rules' ends however short. A crop under EDGE_RULE_MIN tall is cut tight around its
    digits (ORAND's touch its edges) and keeps all."""
    height = strokes.shape[0]
    if not is_cell(strokes.shape):
        return np.zeros_like(strokes)
    count, labels, stats = components_with_stats(strokes, connectivity=8)
    y, w, h, area = stats[:, 1], stats[:, 2], stats[:, 3], stats[:, cv2.CC_STAT_AREA]
    tall = h >= MIN_DIGIT_HEIGHT
    tall[0] = False
    full = area >= STUB_FILL * w * h  # as wide all along as its box: no rule with a digit merged into it
    thin = tall & (w <= CROP_BAR_WIDTH * h) & (h >= CROP_STUB_MIN * height) & full
    stubs = np.zeros(count, bool)
    top, bottom = y <= EDGE_TOUCH, y + h >= height - EDGE_TOUCH
    if bands is not None:  # the blobs whose top or bottom row reaches a band (within EDGE_TOUCH)
        rows, cols = np.nonzero(_near_bands(bands) & (labels > 0))
        owner = labels[rows, cols]
        top[owner[rows <= y[owner] + EDGE_TOUCH]] = True
        bottom[owner[rows >= y[owner] + h[owner] - 1 - EDGE_TOUCH]] = True
    for edge in (top, bottom):
        found, others = thin & edge, tall & ~(thin & edge)
        if found.any() and others.any() and not (others & edge).any():
            stubs |= found
    ends = tall & full & (w <= np.maximum(BORDER_MAX_WIDTH, CROP_BAR_WIDTH * h)) & (top | bottom)
    if ends.any() and not (tall & ~ends).any():  # nothing else stands in the cell: the ends of rules, however short
        stubs |= ends
    return stubs[labels].astype(np.uint8)


def _without_strays(rules: Rules, binary: np.ndarray, strays: np.ndarray) -> tuple[Rules, np.ndarray]:
    """The crop's strokes and ink less `strays` (uint8 0/1: a rule's stubs, a neighbour's slivers)."""
    if not strays.any():
        return rules, binary
    return replace(rules, strokes=rules.strokes & (1 - strays)), binary & (1 - strays)


def _slivers(strokes: np.ndarray) -> np.ndarray:
    """The blobs of a crop cut by its edge and far smaller than its whole blobs: the neighbouring cell's writing
    that the crop caught (a register's cells). A crop whose every blob touches its edge (ORAND's tight ones) has
    no whole blob to compare with, and keeps all."""
    _, labels, stats = components_with_stats(strokes, connectivity=8)
    height, width = strokes.shape
    x, y, w, h = (stats[:, k] for k in range(4))
    cut = (x <= 0) | (y <= 0) | (x + w >= width) | (y + h >= height)
    cut[0] = False
    whole = h[1:][~cut[1:]]
    if not cut.any() or not whole.size:
        return np.zeros_like(strokes)
    small = cut & (h < SLIVER_FRACTION * whole.max())
    if not small.any():
        return np.zeros_like(strokes)
    reach = max(1, round(SLIVER_CLEAR * whole.max()))  # the number's own strokes, and pieces broken off it, lie closer
    near = cv2.dilate((~cut[labels] & (labels > 0)).astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    small[np.unique(labels[(near > 0) & small[labels]])] = False
    return small[labels].astype(np.uint8)


def _upright_rules(binary: np.ndarray, length: int) -> np.ndarray:
    """The pixels of upright rules at least `length` tall, found on the page sheared so that they stand upright
    (`straighten.upright_lean`: a photographed page, levelled, leaves them leaning)."""
    lean = 0.0 if is_crop(binary.shape) else upright_lean(binary)
    if not lean:
        return np.ascontiguousarray(stepping_runs(np.ascontiguousarray(binary.T), length).T)
    height, width = binary.shape
    shear = np.float32([[1, -lean, lean * height / 2], [0, 1, 0]])
    upright = cv2.warpAffine(binary, shear, (width, height), flags=cv2.INTER_NEAREST)
    found = np.ascontiguousarray(stepping_runs(np.ascontiguousarray(upright.T), length).T)
    back = cv2.warpAffine(found, cv2.invertAffineTransform(shear), (width, height), flags=cv2.INTER_NEAREST)
    return back & binary


def _without_bulges(rules: np.ndarray) -> np.ndarray:
    """Horizontal rules (uint8 0/1) less the strokes merged with them: in each column of a rule, the pixels above
    its top edge or below its bottom edge, each edge taken straight across bulges narrower than RULE_EDGE_SPAN (a
    morphological closing of the edge's row along the rule). A digit written on the line keeps its foot's curve
    above the rule; only the rule's own rows are erased."""
    count, labels, stats = components_with_stats(rules, connectivity=8)
    out = rules.copy()
    span = np.ones((1, RULE_EDGE_SPAN), np.uint8)
    for i in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[i])
        if h < 3 or h > 255:  # no room for a bulge; a rule's edge rows are kept in uint8
            continue
        own = labels[y : y + h, x : x + w] == i
        cols = np.flatnonzero(own.any(axis=0))
        own = own[:, cols]
        top = own.argmax(axis=0).astype(np.uint8)[None]
        bottom = (h - 1 - own[::-1].argmax(axis=0)).astype(np.uint8)[None]
        # a bulge upwards lowers the top row, downwards raises the bottom row: closed (top) and opened (bottom)
        top = cv2.morphologyEx(top, cv2.MORPH_CLOSE, span, borderType=cv2.BORDER_REPLICATE)
        bottom = cv2.morphologyEx(bottom, cv2.MORPH_OPEN, span, borderType=cv2.BORDER_REPLICATE)
        rows = np.arange(h)[:, None]
        bulges = own & ((rows < top[0]) | (rows > bottom[0]))
        if bulges.any():
            block = out[y : y + h, x : x + w]
            block[:, cols] &= (~bulges).astype(np.uint8)
    return out


def clear_rules(binary: np.ndarray, banded: bool = True) -> Rules:
    """Erase ruling lines, underlines, box borders and column rules; mend strokes they crossed.

    Horizontal lines are runs much longer than any digit, allowed to step a
    row now and then (a page levelled to within a degree, a rule bent by the
    lens). Upright lines are removed when they join horizontal lines at both
    ends (form boxes, comb fields, a box around a check amount), so a "1" on a
    ruled line survives, or when they are far taller than any digit (a
    notebook's margin rule, a ledger's column rules). `banded`: whether a
    scan's dark band lies along a crop (`_edge_rules`).
    """
    height, width = binary.shape
    length = max(LINE_MIN_LENGTH, width // LINE_PAGE_FRACTION)
    horizontal = stepping_runs(binary, length) if length >= STAIR_MIN_RUN else horizontal_runs(binary, length)
    horizontal = _without_bulges(horizontal)
    tall = np.zeros_like(binary)
    if height >= RULE_MIN_HEIGHT:
        tall = _upright_rules(binary, max(RULE_MIN_HEIGHT, height // RULE_PAGE_FRACTION))
    edge = _edge_rules(binary, banded) if is_cell(binary.shape) else None  # none in ORAND
    if edge is not None:
        tall |= edge
    frames, walls = box_frames(binary)
    if not horizontal.any() and not tall.any() and not frames.any():
        return Rules(binary, None, [])
    near = cv2.dilate(horizontal, np.ones((LINE_NEAR, LINE_NEAR), np.uint8))
    upright = cv2.getStructuringElement(cv2.MORPH_RECT, (1, BORDER_MIN_HEIGHT))
    vertical = cv2.morphologyEx(binary, cv2.MORPH_OPEN, upright)
    lines = horizontal | tall | frames
    bridged = cv2.morphologyEx(tall, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, RULE_GAP)))
    count, _, stats = components_with_stats(bridged, connectivity=8)
    walls += [(int(x), int(y), int(w), int(h)) for x, y, w, h, _ in stats[1:]]
    count, labels, stats = components_with_stats(vertical & (1 - tall), connectivity=8)
    for i in range(1, count):
        x, y, w, h, _ = stats[i]
        thin = w <= max(BORDER_MAX_WIDTH, h // BORDER_WIDTH_RATIO)
        if thin and near[y, x : x + w].any() and near[y + h - 1, x : x + w].any():
            lines[labels == i] = 1
            walls.append((int(x), int(y), int(w), int(h)))
    band = cv2.dilate(lines, np.ones((LINE_MARGIN, LINE_MARGIN), np.uint8))
    cleaned = binary & (1 - band)
    if not is_crop(binary.shape) and (aslant := _aslant_rules(binary, cleaned, length)):
        across, down = aslant  # a table photographed aslant: its rules lean, each its own way
        tall |= down
        lines |= across | down
        count, _, stats = components_with_stats(down, connectivity=8)
        walls += [(int(x), int(y), int(w), int(h)) for x, y, w, h, _ in stats[1:]]
        band = cv2.dilate(lines, np.ones((LINE_MARGIN, LINE_MARGIN), np.uint8))
        cleaned = binary & (1 - band)
    if not is_crop(binary.shape) and (bowed := _bowed_rules(cleaned, length)).any():
        lines |= bowed  # a curled page's rules, where they left the finders' reach
        band = cv2.dilate(lines, np.ones((LINE_MARGIN, LINE_MARGIN), np.uint8))
        cleaned = binary & (1 - band)
    mended = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, MEND)))
    if tall.any():  # strokes an upright rule crossed are mended across it
        across = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (MEND, 1)))
        mended |= across & cv2.dilate(tall, np.ones((LINE_MARGIN, LINE_MARGIN), np.uint8))
    mended |= _bridged(cleaned, band)  # and, whatever the line's thickness, one that ran through it
    cut = cv2.dilate(edge, np.ones((LINE_MARGIN, LINE_MARGIN), np.uint8)) if edge is not None and edge.any() else None
    return Rules(cleaned | (mended & band), band, walls, cut)


def _thin_long_blobs(binary: np.ndarray, length: int) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """The blobs of `binary` that run like a rule: at least `length` wide, rising at most BOWED_RISE of it, inked in
    BOWED_COVER of their columns, BOWED_THICKNESS px thick or less in the median column. Each as its box's left and
    top, its own pixels there, and its columns thin enough to be rule (not a digit crossing it: BOWED_CROSSING)."""
    _, labels, stats = components_with_stats(binary, connectivity=8)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    long = (width >= length) & (height <= BOWED_RISE * width)
    for i in np.flatnonzero(long[1:]) + 1:
        x, y, w, h = (int(v) for v in stats[i, :4])
        own = labels[y : y + h, x : x + w] == i
        thickness = own.sum(axis=0)
        inked = thickness[thickness > 0]
        if len(inked) < BOWED_COVER * w or (median := float(np.median(inked))) > BOWED_THICKNESS:
            continue
        yield x, y, own, (thickness > 0) & (thickness <= BOWED_CROSSING * median)


def _bowed_rules(cleaned: np.ndarray, length: int) -> np.ndarray:
    """What the rule finders left of a curled page's bowed rules: `_thin_long_blobs` of `cleaned`, less the columns
    where a digit crosses them."""
    bowed = np.zeros_like(cleaned)
    for x, y, own, thin in _thin_long_blobs(cleaned, length):
        h, w = own.shape
        bowed[y : y + h, x : x + w] |= (own & thin[None, :]).astype(np.uint8)
    return bowed


def page_bow(binary: np.ndarray) -> np.ndarray | None:
    """How far each column of a curled page's ruled lines runs below their straight course (float32, a value per
    column, working pixels), or None where they run straight (less than BOW_MIN) or there are too few to tell.

    The rules' pieces (`_thin_long_blobs`, upright rules taken out first, so a ledger's rows come apart between
    its columns) are fitted together: one cubic course shared by all, each piece with its own height and slope;
    the course's straight part is the page's tilt, levelled later. Beyond the pieces' span the bow stays as at its
    ends.
    """
    width = binary.shape[1]
    upright = cv2.dilate(vertical_runs(binary, RULE_MIN_HEIGHT), np.ones((5, 5), np.uint8))  # with their edges
    rows_only = binary & (1 - upright)
    pieces = []
    for x, y, own, thin in _thin_long_blobs(rows_only, round(BOW_PIECE * width)):
        cols = np.flatnonzero(thin)[::4]  # every 4th column is enough for the fit
        centres = (own[:, cols] * np.arange(own.shape[0])[:, None]).sum(axis=0) / own[:, cols].sum(axis=0)
        pieces.append(((cols + x) / width, centres + y))
    if len(pieces) < BOW_PIECES:
        return None
    # Each piece's own height and slope taken out of its rows and of the course's t^2 and t^3 (a line fitted to
    # each within the piece), the course's two coefficients solve a 2 x 2 system: no BLAS call, whose threads
    # would spin on a worker's core.
    normal, right = np.zeros((2, 2)), np.zeros(2)
    for t, rows in pieces:
        basis = np.stack([t**2, t**3])
        basis, rows = _off_line(t, basis), _off_line(t, rows[None, :])[0]
        normal += [[float((a * b).sum()) for b in basis] for a in basis]
        right += [float((a * rows).sum()) for a in basis]
    if abs(np.linalg.det(normal)) < 1e-12:
        return None  # pieces too short to tell a curve from a line
    squared, cubed = np.linalg.solve(normal, right)
    t = np.clip(np.arange(width) / width, min(p.min() for p, _ in pieces), max(p.max() for p, _ in pieces))
    bow = _off_line(t, (squared * t**2 + cubed * t**3)[None, :])[0]  # its straight part: the tilt, levelled later
    return bow.astype(np.float32) if bow.max() - bow.min() >= BOW_MIN else None


def _off_line(t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each row of `values` (over `t`) less its least-squares straight line in `t`."""
    dt = t - t.mean()
    centred = values - values.mean(axis=1, keepdims=True)
    slope = (centred * dt).sum(axis=1, keepdims=True) / max(float((dt * dt).sum()), 1e-12)
    return centred - slope * dt


def _unbowed(image: np.ndarray, bow: np.ndarray, fill: float) -> np.ndarray:
    """`image` with each column moved up by its `bow`: a curled page's rules run straight again."""
    height, width = image.shape
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(image, xs, ys + bow[None, :], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def _bowed_box(box: tuple[int, int, int, int], bow: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A box on the unbowed page as the smallest upright box around it on the curled page."""
    x, y, w, h = box
    under = bow[np.clip(np.arange(x, x + max(w, 1)), 0, len(bow) - 1)]
    return box_around(np.float64([[x, y + under.min()], [x + w, y + h + under.max()]]), shape)


def _aslant_rules(strokes: np.ndarray, cleaned: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The rules across and down of a grid the rule finders left whole (a blob of `cleaned` spanning GRID_SPAN of
    the page each way, GRID_FILL of its box inked at most): a table in perspective, whose rules lean by up to a few
    degrees, each its own way. Found on the grid's whole blob in `strokes` (before any rule was erased): straight
    segments of at least `length` (far longer than a digit), within GRID_LEAN of level or upright, by the
    probabilistic Hough transform, each run across the grid; the ink along them. None where there is no such grid."""
    height, width = strokes.shape
    across, down = np.zeros_like(strokes), np.zeros_like(strokes)
    count, labels, stats = components_with_stats(cleaned, connectivity=8)
    giant = [
        i
        for i in range(1, count)
        if stats[i, 2] >= GRID_SPAN * width
        and stats[i, 3] >= GRID_SPAN * height
        and stats[i, 4] <= GRID_FILL * stats[i, 2] * stats[i, 3]
    ]
    if not giant:
        return None
    count, whole, stats = components_with_stats(strokes, connectivity=8)
    for i in {int(whole[labels == g][0]) for g in giant}:
        x, y, w, h, _ = (int(v) for v in stats[i])
        grid = (whole[y : y + h, x : x + w] == i).astype(np.uint8)
        segments = cv2.HoughLinesP(grid, 1, np.pi / 720, length // 2, minLineLength=length, maxLineGap=RULE_GAP)
        for x1, y1, x2, y2 in np.zeros((0, 4)) if segments is None else segments.reshape(-1, 4):
            lean = abs(np.degrees(np.arctan2(y2 - y1, x2 - x1))) % 180
            target = across if min(lean, 180 - lean) <= GRID_LEAN else down if abs(lean - 90) <= GRID_LEAN else None
            if target is not None:  # drawn across the whole grid: a rule's faint stretches are rule too
                (ax, ay), (bx, by) = _across_box(x1, y1, x2, y2, w, h)
                cv2.line(target[y : y + h, x : x + w], (ax, ay), (bx, by), 1, GRID_THICKNESS)
    return (across & strokes, down & strokes) if across.any() or down.any() else None


def _across_box(x1: int, y1: int, x2: int, y2: int, w: int, h: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The segment's line, run from edge to edge of a w x h box: across it when it is nearer level, else down it."""
    if abs(x2 - x1) >= abs(y2 - y1):
        slope = (y2 - y1) / (x2 - x1)
        return (0, round(y1 - slope * x1)), (w - 1, round(y1 + slope * (w - 1 - x1)))
    slope = (x2 - x1) / (y2 - y1)
    return (round(x1 - slope * y1), 0), (round(x1 + slope * (h - 1 - y1)), h - 1)


def _group_lines(stats: np.ndarray, ids: list[int]) -> list[list[int]]:
    """Components whose vertical extents overlap well belong to one line of text."""
    lines: list[list[int]] = []
    spans: list[tuple[float, float]] = []  # each line's first (tallest) blob's top and bottom
    for i in sorted(ids, key=lambda k: -stats[k, 3]):
        top, bottom = stats[i, 1], stats[i, 1] + stats[i, 3]
        best, best_overlap = -1, 0.0
        for j, (line_top, line_bottom) in enumerate(spans):
            ratio = _overlap_share(top, bottom, line_top, line_bottom)
            if ratio > best_overlap:
                best, best_overlap = j, ratio
        if best >= 0 and best_overlap >= LINE_OVERLAP:
            lines[best].append(i)
        else:
            lines.append([i])
            spans.append((float(top), float(bottom)))
    return [sorted(line, key=lambda k: stats[k, 0]) for line in _drifting_rows_joined(lines, stats)]


def _overlap_share(top: float, bottom: float, other_top: float, other_bottom: float) -> float:
    """How much two vertical extents overlap, as a share of the shorter (negative where they are apart)."""
    return (min(bottom, other_bottom) - max(top, other_top)) / max(1.0, min(bottom - top, other_bottom - other_top))


def _drifting_rows_joined(lines: list[list[int]], stats: np.ndarray) -> list[list[int]]:
    """Lines of two blobs or more each of which overlaps, by LINE_OVERLAP, the blob of another line nearest it
    along the row, joined to that line: one row written at drifting heights (a ledger's cells, each number a little
    higher or lower), which a line's span, its tallest blob's, had split in two."""

    def overlap(i: int, j: int) -> float:
        return _overlap_share(stats[i, 1], stats[i, 1] + stats[i, 3], stats[j, 1], stats[j, 1] + stats[j, 3])

    def nearest(i: int, line: list[int]) -> int:
        middle = stats[i, 0] + stats[i, 2] / 2
        return min(line, key=lambda j: abs(stats[j, 0] + stats[j, 2] / 2 - middle))

    def joinable(a: int, b: int) -> bool:
        return len(lines[b]) >= 2 and all(overlap(i, nearest(i, lines[a])) >= LINE_OVERLAP for i in lines[b])

    while pair := next((p for p in itertools.permutations(range(len(lines)), 2) if joinable(*p)), None):
        a, b = pair
        lines = [line for n, line in enumerate(lines) if n not in pair] + [lines[a] + lines[b]]
    return lines


def estimate_slant(mask: np.ndarray) -> float:
    """The shear that makes strokes most vertical (sharpest column projection)."""
    height, width = mask.shape
    best, best_score = 0.0, -1.0
    pad = height
    for slant in SLANTS:
        m = np.float32([[1, slant, pad - slant * height / 2], [0, 1, 0]])
        sheared = cv2.warpAffine(mask, m, (width + 2 * pad, height), flags=cv2.INTER_NEAREST)
        cols = cv2.reduce(sheared, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.float64)
        score = float(np.dot(cols, cols))  # whole numbers: the same sum, in any order
        if score > best_score * SLANT_GAIN:
            best, best_score = float(slant), score
    return best


def ink_extent(mask: np.ndarray) -> np.ndarray:
    """Per column, the height the ink spans (bottom-most minus top-most ink row, plus one; 0 without ink).

    Where two round digits touch ("00"), the ink spans little height, while
    inside a loop it spans all of it (the top and the bottom arc): unlike the
    count of ink pixels, which is as low inside a 0 as between two of them.
    """
    rows = np.arange(mask.shape[0])[:, None]
    top = np.where(mask, rows, mask.shape[0]).min(axis=0)
    bottom = np.where(mask, rows, -1).max(axis=0)
    return np.maximum(bottom - top + 1, 0)


def _cut_columns(profile: np.ndarray, height: float) -> list[int]:
    """Plausible cut positions inside a wide blob: valleys of its ink extent (`ink_extent`), a digit apart.

    A cut column must lie lower than the profile rises on both sides of it: on
    a plateau (a loop's inside, a long bar) every column is as low as its
    neighbours, and cutting there only makes fragments to classify.
    """
    width = len(profile)
    margin = max(CUT_MIN_MARGIN, int(CUT_MARGIN * height))
    if width < 2 * margin + 1:
        return []
    smooth = np.convolve(profile, np.ones(SMOOTH) / SMOOTH, mode="same")
    inner = range(margin, width - margin)
    left_peak = np.maximum.accumulate(smooth)
    right_peak = np.maximum.accumulate(smooth[::-1])[::-1]
    floor = (1 - VALLEY) * np.minimum(left_peak, right_peak)  # a valley, not a plateau: the inside of a loop
    minima = [x for x in inner if smooth[x] <= smooth[x - 1] and smooth[x] <= smooth[x + 1] and smooth[x] <= floor[x]]
    minima.sort(key=lambda x: smooth[x])
    wanted = int(np.ceil(width / (CUT_EVERY * height)))
    cuts: list[int] = []
    for x in minima:
        if all(abs(x - c) >= CUT_SPACING * height for c in cuts):
            cuts.append(x)
        if len(cuts) >= wanted:
            break
    return sorted(cuts)


def _borders_inked(binary: np.ndarray) -> int:
    """On how many of the four image borders there is ink."""
    return int(binary[0].any()) + int(binary[-1].any()) + int(binary[:, 0].any()) + int(binary[:, -1].any())


def _is_background(stat: np.ndarray, shape: tuple[int, ...]) -> bool:
    """A dark surround (the desk around a photographed page): touches three borders, spans the image, and is solid.

    The last test keeps the thin frame of a form or of a check's amount box
    (and the digits that touch it) for `remove_lines` to deal with.
    """
    x, y, w, h, area = (int(v) for v in stat)
    height, width = shape
    borders = (x == 0) + (y == 0) + (x + w >= width) + (y + h >= height)
    thickness = area / (2 * (w + h))  # of a band around the image holding this many pixels
    least = max(SURROUND_THICKNESS, SURROUND_THICKNESS_FRACTION * min(height, width))
    return (
        borders >= SURROUND_BORDERS and w > SURROUND_SPAN * width and h > SURROUND_SPAN * height and thickness >= least
    )


def _pen_over_rules(ink: np.ndarray, binary: np.ndarray, rules: Rules) -> Rules:
    """The rules with the pen's own ink given back where it was erased with them: on a page ruled far lighter than
    it is written (the strokes' median ink, or else their PEN_INK_PERCENTILE, PEN_OVER_RULE times the erased
    pixels' RULE_INK_PERCENTILE or more), the erased pixels at least halfway from the one level to the other are the
    pen's: a 1 written on a notebook's margin rule, erased with it, was its number's lost first digit."""
    erased = (binary > 0) & (rules.strokes == 0)
    kept = rules.strokes > 0
    if not erased.any() or not kept.any():
        return rules
    rule = float(np.percentile(ink[erased], RULE_INK_PERCENTILE))
    pen = float(np.median(ink[kept]))
    if pen < PEN_OVER_RULE * rule:  # thin, blurred strokes, lighter at the median than their cores: the cores
        pen = float(np.percentile(ink[kept], PEN_INK_PERCENTILE))
    if pen < PEN_OVER_RULE * rule:
        return rules
    over = erased & (ink >= (rule + pen) / 2)
    return replace(rules, strokes=rules.strokes | over.view(np.uint8)) if over.any() else rules


def _blank_surround(binary: np.ndarray, surround: np.ndarray) -> None:
    """Blank a page's dark surround by its solid part, and what is left of it joined to the image's rim, in place.
    Ruled lines that run into the desk, and the digits written on them, are one blob with it; blanked with it, two
    notebooks photographed on a light desk lost all but one of their eleven lines (dev seeds 43000 and 60000).

    With no solid part there is no desk: a notebook's ruling, joined to the faint fringe round a photo's edges by
    the grown strokes, passes the blob tests (it spans the page, and its pixels are many for its box), and was
    blanked whole with every number written on it (a low page enlarged twice read one line of four)."""
    solid = _solid_part(surround, SURROUND_THICKNESS_FRACTION) > 0
    if not solid.any():
        return
    binary[solid] = 0
    _, labels = cv2.connectedComponents(binary, connectivity=8)
    rim_ids = np.unique(rim(labels))
    binary[surround & np.isin(labels, rim_ids[rim_ids > 0])] = 0


def _blank_crop_surround(binary: np.ndarray, surround: np.ndarray) -> None:
    """Blank a crop's dark surround, in place, and the straight rules it joins, but keep the pen's pieces joined to
    them: what is left of it, less its solid part (`CROP_SURROUND_SOLID`) and its long straight runs
    (`CROP_SURROUND_RULE`), in pieces of CROP_SURROUND_PIECE pixels or more. A register cell's "62", its 2 touching
    the column rule that, through a ruled line, joined the scanner's band, went with them and read "6" at 1.0."""
    rest = (surround & (_solid_part(surround, CROP_SURROUND_SOLID) == 0)).astype(np.uint8)
    rules = np.zeros_like(rest)
    for run in ((1, round(CROP_SURROUND_RULE * rest.shape[1])), (round(CROP_SURROUND_RULE * rest.shape[0]), 1)):
        # past the image's edge is paper: a 2's foot running into a rule at the edge is no long run
        rules |= cv2.morphologyEx(
            rest, cv2.MORPH_OPEN, np.ones(run, np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0
        )
    pieces = rest & (cv2.dilate(rules, np.ones((3, 3), np.uint8)) == 0)
    _, labels, stats = components_with_stats(pieces, connectivity=8)
    kept = stats[:, cv2.CC_STAT_AREA] >= CROP_SURROUND_PIECE
    kept[0] = False  # the background
    binary[surround] = 0
    binary[kept[labels]] = 1


def _solid_part(surround: np.ndarray, fraction: float) -> np.ndarray:
    """A surround's solid part (opened by a square of `fraction` of the image's shorter side, SURROUND_THICKNESS at
    least: pen strokes and rules are thinner) with SURROUND_FRINGE around it, its shaded edge (uint8 0/1)."""
    side = round(max(SURROUND_THICKNESS, fraction * min(surround.shape)))
    solid = cv2.morphologyEx(surround.view(np.uint8), cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    return cv2.dilate(solid, np.ones((SURROUND_FRINGE, SURROUND_FRINGE), np.uint8))


def rim(image: np.ndarray) -> np.ndarray:
    """The pixels along an image's four edges, in one row."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _bridged(ink: np.ndarray, band: np.ndarray) -> np.ndarray:
    """The runs of `band` down each column that a stroke enters from above and leaves below (ink in the rows just
    outside the run, within BRIDGE_REACH columns): a stroke that crossed an erased line, however thick the line."""
    padded = np.pad(band.astype(np.int8), ((1, 1), (0, 0)))
    change = np.diff(padded, axis=0)
    xs, starts = np.nonzero(change.T == 1)
    _, ends = np.nonzero(change.T == -1)  # pairs with the starts: both in column order, then row order
    inked = cv2.dilate(ink, np.ones((1, 2 * BRIDGE_REACH + 1), np.uint8)).astype(bool)
    height = band.shape[0]
    above = (starts > 0) & inked[np.maximum(starts - 1, 0), xs]
    below = (ends < height) & inked[np.minimum(ends, height - 1), xs]
    out = np.zeros_like(band)
    for x, a, b in zip(xs[above & below], starts[above & below], ends[above & below], strict=True):
        out[a:b, x] = 1
    return out


def page_ink(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A flattened page's grey ink (0 = none) and its pen strokes (uint8 0/1) as the segmenter thresholds them.

    The strokes are thresholded (`binarise`) without the dark surround of a
    photographed page; None when the page is mostly ink, which is no document.
    The scanner (which then erases ruling lines, `remove_lines`, to find the
    digits' blobs) and the cutting of labelled digits (`cut_digit`, where the
    box says where the digit is) both start here. Line removal is left out of
    the cut: it erases the strokes of digits that lie along a line, and
    fine-tuning on digits cut that way read ORAND half 2 at 64.00 / 88.90 %
    against 70.00 / 90.50 % without it (seed 1; 70.67 / 90.64 % with the
    earlier per-box threshold). A crop takes fainter ink than a page
    (`CROP_SEED_LEVEL`): it was cut around its number.
    """
    return _strokes_of((1.0 - grey).clip(0, 1).astype(np.float32), is_crop(grey.shape))


def _strokes_of(ink: np.ndarray, crop: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """`page_ink` of an image's ink."""
    binary = binarise(ink, crop=crop)
    if _borders_inked(binary) >= SURROUND_BORDERS:  # else no dark surround: skip labelling a whole page for nothing
        count, labels, stats = components_with_stats(binary, connectivity=8)
        edge = rim(labels)
        along = np.bincount(edge, minlength=count) / edge.size  # the share of the image's rim each blob holds
        surrounds = [i for i in range(1, count) if along[i] >= SURROUND_RIM and _is_background(stats[i], binary.shape)]
        if surrounds and crop:
            # a scan's dark band goes with the column rules standing on it: a register cell's rules left standing
            # there cost it its one digit (bench cells, seed 2000)
            _blank_crop_surround(binary, np.isin(labels, surrounds))
        elif surrounds:
            _blank_surround(binary, np.isin(labels, surrounds))
    if binary.mean() > MAX_INK_FRACTION:
        return ink, None
    return ink, binary


def _off_squares(ink: np.ndarray, binary: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """A squared page's ink and strokes with its grid taken off (`grids.without_squares`), and whether it had
    one; any other page's with a dot grid's dots taken off its strokes (`grids.without_dots`)."""
    unsquared = without_squares(ink)
    if unsquared is None:
        return ink, without_dots(binary), False
    return (*_strokes_of(unsquared, crop=False), True)


def segment(
    grey: np.ndarray,
    quarters: int = 0,
    inked: tuple[np.ndarray, np.ndarray | None] | None = None,
    rules: Rules | None = None,
    bands: np.ndarray | None = None,
    squared: bool = False,
) -> list[Word]:
    """All digit strings on a page (paper ~1, ink ~0), in reading order, with candidates.

    The page is first turned by `quarters` x 90 degrees counter-clockwise
    (see `orientations`), its squared paper's grid taken off (`grids`),
    then levelled if it is tilted (`straighten`); the boxes are the page's
    as given. `inked`: the page's `page_ink`, when the
    caller has it already (it is turned with the page, exactly); `rules`:
    its `clear_rules`, used when the page is read as it is (no turn, no tilt); `bands`: a scan's dark bands
    (`load.dark_bands`), where a crop's rule stubs may end (`_rule_stubs`); `squared`: `inked` is a squared
    page's, its grid taken off already (so the page is level; `inked` is given by `_orient`, which looked).
    """
    turned, matrix = quarter_turn(grey, quarters)
    turn = Turn.of(matrix, grey.shape)
    ink, binary = page_ink(turned) if inked is None else inked
    if binary is None:
        return []
    if inked is not None and quarters % 4:
        ink, binary = quarter_turn(ink, quarters)[0], quarter_turn(binary, quarters)[0]
    crop, cell = is_crop(grey.shape), is_cell(grey.shape)
    if not crop and inked is None:  # a grid found says the page is level: its crossings lead `estimate_tilt` astray
        ink, binary, squared = _off_squares(ink, binary)  # (`inked`, `_orient`'s, has been looked at)
    tilt = 0.0 if squared or binary is None else estimate_tilt(binary)
    if tilt:
        levelled, tilted = level(turned, tilt)
        turn = turn.then(tilted.matrix)
        ink, binary = page_ink(levelled)
        if binary is not None and not crop:  # a tilted grid is found once levelled
            ink, binary, squared = _off_squares(ink, binary)
    if binary is None:
        return []
    if rules is None or quarters % 4 or tilt:
        rules = clear_rules(binary, bands is not None)
    if not crop:
        rules = _pen_over_rules(ink, binary, rules)
    bands = bands if bands is not None and bands.shape == grey.shape and not (quarters % 4 or tilt) else None
    if crop:  # stubs first: slivers are weighed against the blobs stubs leave
        rules, binary = _without_strays(rules, binary, _rule_stubs(rules.strokes, bands))
        rules, binary = _without_strays(rules, binary, _slivers(rules.strokes))
    words = _segment_level(ink, binary, rules, crop)
    near = _near_bands(bands) if cell and bands is not None else None  # a cell's sides
    if crop and len(words) > 1:
        # A crop is cut around one number: a lone bar beside it is what is left of a rule, and a word far shorter
        # than the rest a mark or a rule's end.
        words = _rule_remnants(words)
        tallest = max(w.box[3] for w in words)
        words = [w for w in words if w.box[3] >= CROP_WORD_SHARE * tallest]
        if cell:  # dev cells 72.33 -> 73.33 % (3 gained, none lost; ORAND as before)
            words = _off_the_sides(words, grey.shape[1], near)
    for word in words:
        word.crop, word.cell = crop, cell
        word.side = cell and (_at_side(word.box, grey.shape[1], near) or _cut_short(word.box, grey.shape[0]))
    if len(words) == 1 and crop:
        # A crop that holds one number is read whole by the string reader, rules and marks included: taking
        # them off takes strokes off digits (ORAND fold 5, a reader trained on whole crops: 81 of 119 one-word
        # crops read right this way, 69 from the word's own ink). A page's words are read from their line's
        # strokes (`_strokes_between`): the rest of a page is other lines, rules and print. Only a rule the crop
        # was cut through goes (`Rules.cut`), mended where it crossed a stroke: the reader read it as a 1.
        strokes = binary if rules.cut is None else np.where(rules.cut > 0, rules.strokes, binary)
        if walls := _comb_walls(words[0].box, rules.walls):  # a field's comb is no part of its number
            strokes = strokes.copy()
            for x, y, w, h in walls:
                strokes[y : y + h, x : x + w] = 0
        if cell and words[0].box[3] < CELL_ROOM * ink.shape[0]:  # old ink: its faint edges too (`CELL_READ_GROW`)
            strokes = cv2.dilate(strokes, np.ones((CELL_READ_GROW, CELL_READ_GROW), np.uint8))
        words[0].ink = ink * strokes
    if quarters % 4 or tilt:
        dx, dy = turn.inverse[:, 0].tolist()  # the level page's rows, on the page as given
        way = (dx / math.hypot(dx, dy), dy / math.hypot(dx, dy))
        for word in words:
            word.direction = way
            word.box = turn.box_on_page(word.box)
            for cand in word.candidates:
                cand.box = turn.box_on_page(cand.box)
    return words


def orientations(grey: np.ndarray) -> list[int]:
    """The quarter turns to read a page in, best guess first: [0, 2] (upright, or upside down) or [1, 3] for a
    page whose writing runs down it, all four where its blobs leave the quarter unsure (`straighten.quarter_turns`);
    [0] for a crop smaller than a page (`straighten.MIN_SIDE`), read as given."""
    return _orient(grey)[0]


def segment_page(
    grey: np.ndarray, sheet: np.ndarray | None = None, bands: np.ndarray | None = None
) -> tuple[list[Word], bool]:
    """`segment` of a page the likelier way up (`orientations`), and whether it is to be read upside down too
    (`upside_down`; a crop is read only as given): the first of `page_cuts`, the only one cut."""
    cuts, both_ways = page_cuts(grey, sheet, bands, unsure_too=False)
    return cuts[0], both_ways


def page_cuts(
    grey: np.ndarray,
    sheet: np.ndarray | None = None,
    bands: np.ndarray | None = None,
    unsure_too: bool = True,
    unbow: bool = True,
    cell: CellSource | None = None,
) -> tuple[list[list[Word]], bool]:
    """The words of a page cut at each quarter turn it may be read in (`orientations`: the likelier first, the
    other where the quarter is unsure and `unsure_too`), and whether each is to be read upside down too
    (`upside_down`; a crop is read only as given). The page is thresholded and its rules found once. `sheet`: a
    photographed sheet's corners (`load.sheet_corners`): the sheet is read squared, its perspective undone, and
    its words' boxes mapped back. `bands`: a scan's dark bands (`load.dark_bands`), for a crop. A curled page
    (`page_bow`; unless `unbow` is False) is read with its rules straightened, its words' boxes mapped back. A page
    whose words are one number written large (`_one_large_number`), or that has a scanner's black band along it
    (`load.Page.scanner_banded`), is cut again as a cell (`_segmented_as_cell`): the crop `cell` gives
    (`load.Page.as_cell`: the image prepared anew as a crop; a page without it is none)."""
    if sheet is not None and not is_crop(grey.shape):
        squared, matrix = square_sheet(grey, sheet)
        if not is_crop(squared.shape):
            cuts, both_ways = page_cuts(squared, unsure_too=unsure_too)
            inverse = np.linalg.inv(matrix)
            _map_boxes(cuts, lambda box: _unsquared(box, inverse, grey.shape))
            return cuts, both_ways
    turns, inked, rules, squared = _orient(grey)
    bow = page_bow(inked[1]) if unbow and not squared and inked is not None and inked[1] is not None else None
    if bow is not None:  # a grid found level is no curled page's (its rows' steps made one)
        straight_bands = None if bands is None else _unbowed(bands.astype(np.float32), bow, 0.0) > 0.5
        cuts, both_ways = page_cuts(_unbowed(grey, bow, 1.0), None, straight_bands, unsure_too, unbow=False)
        _map_boxes(cuts, lambda box: _bowed_box(box, bow, grey.shape))
        return cuts, both_ways
    quarters = turns[::2] if unsure_too else turns[:1]  # each cut is read upside down too, from its own words
    cuts = [segment(grey, quarter, inked, rules, bands, squared) for quarter in quarters]
    words = cuts[0]
    if cell is not None and not is_crop(grey.shape):  # a cell is read as given, never turned
        turned = 0 not in quarters  # a cell's texture and broken strokes may make it look turned a quarter
        if turned:  # looked at upright where its crop has a scan's band, as a cell scanned has
            upright = segment(grey, 0, inked, rules, bands) if cell.cell_banded() else []
        else:
            upright = cuts[quarters.index(0)]
        if (crop := _large_cell(upright, grey.shape, cell, turned)) is not None:
            return [_segmented_as_cell(*crop)], False
        if bands is not None and cell.scanner_banded():  # a cell scanned large, empty or its number small
            return [_segmented_as_cell(*cell.as_cell())], False
    tallest = max((w.box[3] for w in words), default=0)
    if is_cell(grey.shape) and tallest < SMALL_NUMBER and tallest <= SMALL_NUMBER_SHARE * grey.shape[0]:
        larger, zoom = _segmented_larger(grey, bands)
        if _larger_is_kept(larger, words, zoom):
            cuts[0] = larger
    return cuts, len(turns) > 1


def _map_boxes(
    cuts: list[list[Word]], onto_page: Callable[[tuple[int, int, int, int]], tuple[int, int, int, int]]
) -> None:
    """Every word's and candidate's box, cut on a squared or straightened copy of the page, mapped onto the page."""
    for word in (word for words in cuts for word in words):
        word.box = onto_page(word.box)
        for cand in word.candidates:
            cand.box = onto_page(cand.box)


def _large_cell(words: list[Word], shape: tuple[int, ...], cell: CellSource, turned: bool = False) -> CellCrop | None:
    """The page as a crop (`cell.as_cell`'s) where the crop has a scan's dark band along it and the page's words are
    one number written large (`_one_large_number`; BANDED_NUMBER_SHARE will do): a register cell scanned large;
    else None (a page without a band, or a window cut from one). Words lying in the crop's dark bands (BAND_WORD of
    their box or more) are left out: a scan's border that the page's preparation kept (marks in it took it for
    paper in a hard shadow) and its cut took for words. `turned`: the words are the upright cut of a page taken for
    turned a quarter, which must hold a number written large in at most TURNED_CELL_PIECES pieces: cut across its
    lines, a page turned a quarter under a hard shadow (a band to its crop) ran its numbers' digits together into
    one tall word, or had a small one, and was read as one cell."""
    large = _large_number(words, shape)
    small = large is None
    if turned and (small or large[0].pieces > TURNED_CELL_PIECES):
        return None
    if small:
        large = _large_number(words, shape, BANDED_NUMBER_SHARE)
        if large is None or not _one_large_number(words, shape, BANDED_NUMBER_SHARE):
            return None
    crop = cell.as_cell()
    if crop[1] is None:  # no scan's band: a page, or a window cut from one
        return None
    if not small and not _one_large_number(words, shape):  # other words as tall: those in the band left out
        in_band = cv2.resize(crop[1].astype(np.uint8), shape[::-1], interpolation=cv2.INTER_NEAREST)
        if not _one_large_number([w for w in words if _share_in(in_band, w.box) < BAND_WORD], shape):
            return None
    return crop


def _share_in(mask: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The share of a box (x, y, w, h) that a uint8 0/1 mask covers."""
    x, y, width, height = box
    return float(mask[y : y + height, x : x + width].mean())


def _large_number(
    words: list[Word], shape: tuple[int, ...], share: float = LARGE_NUMBER_SHARE
) -> tuple[Word, float] | None:
    """A page's tallest word (one blob at the page's edge is none, nor a word from edge to edge: a shadow's or a
    sheet's edge, a sliver) and its digits' height (its tallest piece: two lines run together make a tall word of
    short digits), where those stand LARGE_NUMBER_SHARE of the page's shorter side or more and the word
    LARGE_NUMBER_WIDTH as wide as tall."""

    def at_edge(word: Word) -> bool:
        x, y, width, height = word.box
        across = (x <= 0 and x + width >= shape[1]) or (y <= 0 and y + height >= shape[0])
        return across or (word.pieces == 1 and _touches_edge(word.box, shape))

    tallest = max((w for w in words if not at_edge(w)), key=lambda w: w.box[3], default=None)
    if tallest is None:
        return None
    _, _, width, height = tallest.box
    pieces = [c.box[3] for c in tallest.candidates if c.end - c.start == 1]
    digits = max(pieces) if pieces else height
    if digits < share * min(shape[:2]) or width < LARGE_NUMBER_WIDTH * height:
        return None
    return tallest, digits


def _one_large_number(words: list[Word], shape: tuple[int, ...], share: float = LARGE_NUMBER_SHARE) -> bool:
    """Whether a page's words are one number written large on it (`_large_number`), no other word of two pieces or
    more LARGE_NUMBER_ALONE as tall as its digits: a register cell scanned large, whose rules and band the page's
    cut took for words, not a page of lines. Words on the number's line, stacked on it (within STACK_GAP of its
    digits' height, across STACK_WIDTH of the narrower, as a crop's stacked lines are one number: `_join_stacked`)
    or at the page's edge are its pieces or a neighbour's slivers, not other numbers."""
    large = _large_number(words, shape, share)
    if large is None:
        return False
    number, digits = large
    left, top, width, height = number.box

    def its_own(word: Word) -> bool:
        x, y, word_width, word_height = word.box
        if min(top + height, y + word_height) - max(top, y) >= LINE_OVERLAP * min(height, word_height):
            return True  # on its line: a piece cut off by a rule or a gap
        across = min(left + width, x + word_width) - max(left, x)
        gap = max(y - (top + height), top - (y + word_height))
        if across >= STACK_WIDTH * min(width, word_width) and gap <= STACK_GAP * digits:
            return True  # stacked on it: a digit broken across by an erased rule or faded ink
        return _touches_edge(word.box, shape)

    others = (w for w in words if w is not number and w.pieces > 1 and not its_own(w))
    return all(w.box[3] < LARGE_NUMBER_ALONE * digits for w in others)


def _touches_edge(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> bool:
    """Whether a box (x, y, w, h) reaches an edge of an image of this shape."""
    x, y, width, height = box
    return min(x, y) <= 0 or x + width >= shape[1] or y + height >= shape[0]


def _segmented_as_cell(grey: np.ndarray, bands: np.ndarray | None, zoom: float) -> list[Word]:
    """The words of a page as a crop (`_large_cell`: its grey and bands, `zoom` times the page's size), cut as a
    cell and read as given, their boxes mapped back onto the page: a cell scanned large read at the sizes that
    segment's pixel sizes were set on."""
    words = page_cuts(grey, None, bands)[0][0]
    _map_boxes([words], lambda box: scaled_box(box, zoom))
    return words


def _segmented_larger(grey: np.ndarray, bands: np.ndarray | None) -> tuple[list[Word], float]:
    """`segment` of a crop enlarged CELL_ZOOM times (less where it would stop being a crop), its boxes mapped back,
    and the zoom: a small number's strokes kept whole by pixel sizes set for larger writing. A word that is under
    MIN_DIGIT_HEIGHT on the crop as given in FOOTER_PIECES pieces or more is a line of small print (a footer)."""
    height, width = grey.shape
    zoom = min(CELL_ZOOM, (MIN_SIDE - 1) / min(height, width))
    size = (round(width * zoom), round(height * zoom))
    larger = cv2.resize(grey, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
    if bands is not None:
        bands = cv2.resize(bands.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    words = segment(larger, bands=bands)
    for word in words:
        word.box = scaled_box(word.box, zoom)
        for cand in word.candidates:
            cand.box = scaled_box(cand.box, zoom)
    return [w for w in words if w.box[3] >= MIN_DIGIT_HEIGHT or w.pieces < FOOTER_PIECES], zoom  # no small print


def _larger_is_kept(larger: list[Word], words: list[Word], zoom: float) -> bool:
    """Whether a small number's larger cut replaces the first: where the first found nothing, where the larger cuts
    the writing no finer, where it found more of the same number (`_found_more`), or where it kept RECOVERED times
    the ink (zoom² for its pixels)."""
    if not words or _piece_count(larger) <= _piece_count(words) or _found_more(larger, words):
        return True
    return _inked(larger) > RECOVERED * zoom**2 * _inked(words)


def _piece_count(words: list[Word]) -> int:
    return sum(w.pieces for w in words)


def _found_more(larger: list[Word], words: list[Word]) -> bool:
    """Whether the larger cut found more of the same number (a faint or broken digit the first cut dropped) and
    nothing else: no more words, spanning WIDER times the first cut's columns around its centre (a printed footer
    found instead of the number, or beside it, is wide too)."""
    if not larger or not words or len(larger) > len(words):
        return False
    x, y, w, h = union_box([word.box for word in larger])
    a, b, width, height = union_box([word.box for word in words])
    return w >= WIDER * width and x <= a + width / 2 <= x + w and y <= b + height / 2 <= y + h


def _inked(words: list[Word]) -> float:
    """The pixels of ink the reader is given for these words: a one-word crop's strokes (none for several words,
    whose larger cut is then taken)."""
    return float(sum(int((w.ink > INK_LEVEL).sum()) for w in words))


def square_sheet(grey: np.ndarray, sheet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sheet within its corners (tl, tr, br, bl) as an upright rectangle as large as its longer sides, and the
    perspective matrix (3 x 3) from the page to it."""
    tl, tr, br, bl = sheet
    width = round(max(np.hypot(*(tr - tl)), np.hypot(*(br - bl))))
    height = round(max(np.hypot(*(bl - tl)), np.hypot(*(br - tr))))
    target = np.float32([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    matrix = cv2.getPerspectiveTransform(sheet.astype(np.float32), target)
    squared = cv2.warpPerspective(
        grey, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=1.0
    )
    return squared, matrix


def _unsquared(
    box: tuple[int, int, int, int], inverse: np.ndarray, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """A box on the squared sheet as the smallest upright box around it on the page (clipped)."""
    x, y, w, h = box
    corners = np.float64([[[x, y], [x + w, y], [x, y + h], [x + w, y + h]]])
    return box_around(cv2.perspectiveTransform(corners, inverse)[0], shape)


def _orient(
    grey: np.ndarray,
) -> tuple[list[int], tuple[np.ndarray, np.ndarray | None] | None, Rules | None, bool]:
    """The quarter turns to read a page in (`orientations`), its ink and strokes (a squared page's with its grid
    taken off: `_off_squares`), their rules, and whether it is squared."""
    if is_crop(grey.shape):
        return [0], None, None, False
    inked = page_ink(grey)
    if inked[1] is None:
        return [0], inked, None, False
    ink, binary, squared = _off_squares(*inked)
    if binary is None:
        return [0], (ink, binary), None, squared
    rules = clear_rules(binary)
    quarters = quarter_turns(rules.strokes, not squared and _ruled_down(rules, binary))
    if not squared and quarters != [0] and (unsquared := _tilted_squares(grey, binary)) is not None:
        quarters = quarter_turns(unsquared)  # a tilted grid's remnants are digit-sized blobs in rows and columns alike
    return [turn for quarter in quarters for turn in (quarter, quarter + 2)], (ink, binary), rules, squared


def _tilted_squares(grey: np.ndarray, binary: np.ndarray) -> np.ndarray | None:
    """A tilted squared page's pen strokes, levelled and its grid taken off, as `segment` reads it; None for any
    other page."""
    tilt = estimate_tilt(binary)
    if not tilt:
        return None
    ink, binary = page_ink(level(grey, tilt)[0])
    if binary is None:
        return None
    _, binary, squared = _off_squares(ink, binary)
    return clear_rules(binary).strokes if squared and binary is not None else None


def _ruled_down(rules: Rules, binary: np.ndarray) -> bool:
    """Whether a page is ruled down its length rather than across: RULED_DOWN or more upright rules at least half
    its height, over RULED_DOWN_RATIO times as many as its rules across half its width (a notebook turned a
    quarter; a ledger's columns are fewer, or come with rules between its rows)."""
    height, width = binary.shape
    down = sum(h >= height / 2 for _, _, _, h in rules.walls)
    if down < RULED_DOWN:
        return False
    across = cv2.connectedComponents(horizontal_runs(binary, width // 2))[0] - 1
    return down > RULED_DOWN_RATIO * across


def upside_down(words: list[Word]) -> list[Word]:
    """The words of a page read the other way up: the same pieces and boxes, in the opposite order.

    A candidate's 28 x 28 image turned half a turn is the candidate the
    turned page would give (`to_mnist` centres and scales alike either way),
    so reading a page upside down needs no second segmentation. Its
    separators were placed both ways up when it was cut (a dot at the top
    of a line is one at its foot upside down).
    """
    last = max((w.line for w in words), default=0)
    turned = []
    for word in reversed(words):
        n = word.pieces
        candidates = [Candidate(n - c.end, n - c.start, c.box, c.ink) for c in word.candidates]
        way = (-word.direction[0], -word.direction[1])
        turned.append(
            Word(
                last - word.line,
                n,
                word.box,
                candidates,
                list(reversed(word.cuts)),
                separators=word.turned_separators,
                turned_separators=word.separators,
                direction=way,
                crop=word.crop,
            )
        )
    return turned


def _segment_level(ink: np.ndarray, binary: np.ndarray, rules: Rules, crop: bool) -> list[Word]:
    """`segment` on a level page's ink and pen strokes (`page_ink`), and its rules (`clear_rules`); a `crop`'s
    stacked lines are one number (`_join_stacked`)."""
    binary = rules.strokes
    count, labels, stats = components_with_stats(binary, connectivity=8)
    specks = int((stats[1:, cv2.CC_STAT_AREA] < SPECK_AREA).sum())
    blobs = count - 1
    dense = specks > SPECKLE_DENSITY * binary.size
    if blobs > MAX_COMPONENTS or (blobs > SPECKLE_MIN_BLOBS and specks > SPECKLE_FRACTION * blobs and dense):
        return []  # pure noise or dense speckle, not writing
    tall = _tall(stats)
    if not crop and (stripped := _without_pole_ends(binary, labels, stats, tall)) is not None:
        binary = stripped
        count, labels, stats = components_with_stats(binary, connectivity=8)
        tall = _tall(stats)
    poles = set() if crop else _poles(stats, tall, binary.shape[1])
    if poles:
        tall = [i for i in tall if i not in poles]
        rules = replace(rules, walls=rules.walls + [tuple(int(v) for v in stats[i, :4]) for i in poles])
    ticks: set[int] = set()
    if rules.band is not None:
        rim = cv2.dilate(rules.band, np.ones((3, 3), np.uint8))
        ticks = comb_ticks(stats, tall, set(np.unique(labels[(rim > 0) & (binary > 0)]).tolist()) - {0})
        tall = [i for i in tall if i not in ticks]
    tall_set = set(tall)
    marks = [i for i in range(1, count) if i not in tall_set and i not in ticks and stats[i, 4] >= MIN_MARK_AREA]
    lines, hanging, risers = _fold_hanging(_group_lines(stats, tall), stats)
    marks += hanging
    if crop:
        lines = _join_stacked(lines, stats)
    lines.sort(key=lambda line: median([stats[i, 1] + stats[i, 3] / 2 for i in line]))
    walls = rules.walls + [tuple(int(v) for v in stats[i, :4]) for i in ticks]
    page = _Page(stats, labels, ink, walls, risers)
    words: list[Word] = []
    for line_no, line in enumerate(lines):
        words.extend(_line_words(line_no, line, marks, page))
    return words


def _tall(stats: np.ndarray) -> list[int]:
    """The blobs tall and large enough to be digits (their labels)."""
    return [i for i in range(1, len(stats)) if stats[i, 3] >= MIN_DIGIT_HEIGHT and stats[i, 4] >= MIN_DIGIT_AREA]


def _poles(stats: np.ndarray, tall: list[int], width: int) -> set[int]:
    """A page's upright strokes far taller than its writing and thin for their height: rules the rule finders
    missed (a page's edge or a column rule photographed aslant steps across columns), no digits. One that runs off
    the page's side (`width` pixels wide) is the sheet's edge: twice the writing's height is enough."""
    if len(tall) < 2:
        return set()
    typical = median([float(stats[i, 3]) for i in tall])

    def least(i: int) -> float:
        x, _, w, _ = stats[i, :4]
        return EDGE_POLE_HEIGHT if x == 0 or x + w >= width else POLE_HEIGHT

    return {i for i in tall if stats[i, 3] >= least(i) * typical and stats[i, 2] <= POLE_WIDTH * stats[i, 3]}


def _without_pole_ends(binary: np.ndarray, labels: np.ndarray, stats: np.ndarray, tall: list[int]) -> np.ndarray | None:
    """The strokes with the rule left on a digit taken off: a blob POLE_HEIGHT times the writing's height or more
    and too wide for a pole (`_poles`) is a digit joined to what the rule finders left of a rule (a notebook's
    margin, aslant); its runs of rows as thin as a rule (`POLE_END_WIDTH` of the writing's height), the writing's
    height long or more, are erased. None when there is no such blob."""
    if len(tall) < 2:
        return None
    typical = median([float(stats[i, 3]) for i in tall])
    joined = [i for i in tall if stats[i, 3] >= POLE_HEIGHT * typical and stats[i, 2] > POLE_WIDTH * stats[i, 3]]
    stripped = None
    for i in joined:
        x, y, w, h = (int(v) for v in stats[i, :4])
        mask = labels[y : y + h, x : x + w] == i
        inked = mask.any(axis=1)
        cols = np.arange(w)
        spans = np.where(mask, cols, -1).max(axis=1) - np.where(mask, cols, w).min(axis=1) + 1
        thin = (inked & (spans <= max(1.0, POLE_END_WIDTH * typical))).astype(np.uint8)
        rule_rows = long_runs(thin[None, :], int(np.ceil(typical)))[0] > 0
        if rule_rows.any():
            stripped = binary.copy() if stripped is None else stripped
            stripped[y : y + h, x : x + w][mask & rule_rows[:, None]] = 0
    return stripped


@dataclass
class _Page:
    """What every line of a page is cut from: its blobs, its ink, and the rules erased around them."""

    stats: np.ndarray
    labels: np.ndarray
    ink: np.ndarray
    walls: list[tuple[int, int, int, int]]  # upright rules and comb ticks: between two digits, they end or join
    risers: list[int] = field(default_factory=list)  # blobs that are a line's commas if it is upside down


def comb_ticks(stats: np.ndarray, tall: list[int], touching: set[int]) -> set[int]:
    """The ticks of comb fields: short upright bars standing on (or hanging from) one erased rule, `COMB_TICKS` or
    more in a row, much shorter than the page's other blobs.

    A lone 1 on an underline is as tall as its digits and has no row of
    equals beside it; a small round 0 is no bar.
    """
    bars = [i for i in tall if i in touching and stats[i, 2] <= TICK_WIDTH * stats[i, 3]]
    others = [stats[i, 3] for i in tall if i not in set(bars)]
    if len(bars) < COMB_TICKS or not others:
        return set()
    short = [i for i in bars if stats[i, 3] < TICK_FRACTION * percentile(others, TALL_PERCENTILE)]
    ticks: set[int] = set()
    for end in (stats[:, 1] + stats[:, 3], stats[:, 1]):  # standing on a rule, or hanging from one
        for i in short:
            row = [j for j in short if abs(int(end[j]) - int(end[i])) <= STAIR]
            if len(row) >= COMB_TICKS:
                ticks.update(row)
    return ticks


def _wall_between(before: list[int], after: list[int], page: _Page, line_height: float) -> str | None:
    """ "split" when a tall upright rule stands between two atoms (a ledger's column), "join" when a short one does
    (two cells of one comb field), else None."""
    stats = page.stats
    right = max(int(stats[i, 0] + stats[i, 2]) for i in before)
    left = min(int(stats[i, 0]) for i in after)
    top = min(int(stats[i, 1]) for i in [*before, *after])
    bottom = max(int(stats[i, 1] + stats[i, 3]) for i in [*before, *after])
    found = None
    for x, y, w, h in page.walls:
        middle = x + w / 2
        overlap = min(bottom, y + h) - max(top, y)
        if not right - WALL_SLACK <= middle <= left + WALL_SLACK or _written_over(middle, [*before, *after], stats):
            continue
        if h >= WALL_SPLIT * line_height and overlap >= 0.5 * (bottom - top):
            return "split"
        if overlap >= -WALL_SLACK:  # a comb's tick may only touch the digits' rows
            found = "join"
    return found


def _comb_walls(
    box: tuple[int, int, int, int], walls: list[tuple[int, int, int, int]]
) -> list[tuple[int, int, int, int]]:
    """The walls of the comb field a crop's one word (its `box`) is written in: COMB_WALLS or more upright walls inside
    it (off its sides; one found twice, as a box's side and as a rule's, counted once), each as tall as the word or
    taller, joining the same two rules (their tops and feet within LINE_NEAR of the median's); none where it is in
    none. A box's sides are outside its word, a register cell's column rules run out of it, each its own length."""
    x, _, width, height = box
    inside: dict[int, tuple[int, int, int, int]] = {}
    for wall in walls:
        middle = round(wall[0] + wall[2] / 2)
        within = x + 2 * WALL_SLACK < middle < x + width - 2 * WALL_SLACK and wall[3] >= height
        if within and not any(abs(middle - other) <= LINE_NEAR for other in inside):
            inside[middle] = wall
    if len(inside) < COMB_WALLS:
        return []
    top = median([y for _, y, _, _ in inside.values()])
    foot = median([y + h for _, y, _, h in inside.values()])
    joined = [w for w in inside.values() if abs(w[1] - top) <= LINE_NEAR and abs(w[1] + w[3] - foot) <= LINE_NEAR]
    return joined if len(joined) >= COMB_WALLS else []


def _written_over(middle: float, atom: list[int], stats: np.ndarray) -> bool:
    """Whether a rule at column `middle` runs through one of these blobs rather than beside them (a 1 written on a
    notebook's margin rule, its ink given back by `_pen_over_rules`): the blob spans the rule's middle column (a digit
    beside a rule may overlap it by WALL_SLACK, short of its middle)."""
    return any(stats[i, 0] <= middle <= stats[i, 0] + stats[i, 2] for i in atom)


def _fold_hanging(lines: list[list[int]], stats: np.ndarray) -> tuple[list[list[int]], list[int], list[int]]:
    """Lines of a few small blobs hanging from a taller line's baseline (its commas) become that line's marks;
    returns the lines kept, those marks, and the blobs that would hang so with the page upside down (rising above
    a line's top: kept as lines, and taken as marks only when the line is read upside down, `upside_down`).

    A comma of large writing is tall enough to be a blob of its own, but it
    lies mostly below the digits, so it forms a "line" of its own, read as a 1.
    """
    kept: list[list[int]] = []
    hanging: list[int] = []
    risers: list[int] = []
    spans = [_extent(line, stats) for line in lines]

    def beside(n: int, turned: bool) -> bool:
        top, bottom, left, right, height = spans[n]
        if turned:  # the page's rows counted from its foot
            top, bottom = -bottom, -top
        for m, (m_top, m_bottom, m_left, m_right, m_height) in enumerate(spans):
            if turned:
                m_top, m_bottom = -m_bottom, -m_top
            if (
                m != n
                and height <= 2 * DOT_MAX * m_height
                and m_top <= top < m_bottom
                and bottom <= m_bottom + COMMA_BELOW * m_height
                and m_left <= (left + right) / 2 <= m_right
            ):
                return True
        return False

    for n, line in enumerate(lines):
        if len(line) <= 2 and beside(n, turned=False):
            hanging.extend(line)
            continue
        kept.append(line)
        if len(line) <= 2 and beside(n, turned=True):
            risers.extend(line)
    return kept, hanging, risers


def _join_stacked(lines: list[list[int]], stats: np.ndarray) -> list[list[int]]:
    """A crop's lines stacked right one above the other across the same columns, alike in size (`_stacked`),
    joined into one: the two halves of a number broken across by an erased rule or faded ink."""
    joined: list[list[int]] = []
    for line in sorted(lines, key=lambda blobs: min(int(stats[i, 1]) for i in blobs)):
        extent = _extent(line, stats)
        for upper in joined:
            if _stacked(_extent(upper, stats), extent):
                upper.extend(line)
                break
        else:
            joined.append(list(line))
    return [sorted(line, key=lambda k: stats[k, 0]) for line in joined]


def _stacked(upper: tuple[int, int, int, int, float], lower: tuple[int, int, int, int, float]) -> bool:
    """Whether line extent `lower` (`_extent`) stands right under `upper`, across the same columns, alike in size."""
    top, bottom, left, right, _ = upper
    low_top, low_bottom, low_left, low_right, _ = lower
    heights, widths = (bottom - top, low_bottom - low_top), (right - left, low_right - low_left)
    across = min(right, low_right) - max(left, low_left)
    return (
        top < low_top
        and low_top - bottom <= STACK_GAP * min(heights)
        and min(heights) >= STACK_HEIGHT * max(heights)
        and min(widths) >= STACK_WIDTH * max(widths)
        and across >= STACK_WIDTH * max(widths)
    )


def _extent(line: list[int], stats: np.ndarray) -> tuple[int, int, int, int, float]:
    """A line's top, bottom, left, right and height (`LINE_HEIGHT_PERCENTILE` of its blobs' heights)."""
    top = min(int(stats[i, 1]) for i in line)
    bottom = max(int(stats[i, 1] + stats[i, 3]) for i in line)
    left = min(int(stats[i, 0]) for i in line)
    right = max(int(stats[i, 0] + stats[i, 2]) for i in line)
    return top, bottom, left, right, percentile([stats[i, 3] for i in line], LINE_HEIGHT_PERCENTILE)


@dataclass
class _Line:
    """One text line cut out of the page and sheared upright."""

    labels: np.ndarray  # component ids, deskewed
    ink: np.ndarray  # grey ink, deskewed, under the strokes grown by GROW (the candidates')
    boxes: dict[int, tuple[int, int, int, int]]  # component id -> deskewed x, y, w, h
    inverse: np.ndarray  # deskewed -> page (relative to origin)
    origin: tuple[int, int]
    height: float
    page_shape: tuple[int, ...]
    hanging: dict[int, tuple[int, int, int, int]]  # marks reaching below the line (commas), deskewed boxes
    slant: float  # the shear that made it upright (`estimate_slant`)
    rising: dict[int, tuple[int, int, int, int]]  # marks reaching above it: commas if it is upside down
    reader_ink: np.ndarray  # grey ink, deskewed, under the strokes grown by LINE_READ_GROW (the string reader's)


def _deskewed_line(
    line: list[int], marks: list[int], stats: np.ndarray, labels: np.ndarray, ink: np.ndarray, risers: list[int]
) -> _Line:
    """A line's blobs and the marks inside it cut out and sheared upright; `risers`: blobs that may rise above it
    as commas when it is upside down (`_fold_hanging`), besides its marks."""
    heights = np.array([stats[i, 3] for i in line], float)
    line_height = percentile(heights, LINE_HEIGHT_PERCENTILE)
    top = min(stats[i, 1] for i in line)
    bottom = max(stats[i, 1] + stats[i, 3] for i in line)
    inside = {i for i in marks if stats[i, 1] >= top - LINE_PAD and stats[i, 1] + stats[i, 3] <= bottom + LINE_PAD}
    below = bottom + COMMA_BELOW * line_height  # a comma may hang this far below the baseline
    hanging = [i for i in marks if i not in inside and top <= stats[i, 1] < bottom and sum(stats[i, 1:4:2]) <= below]
    above = top - COMMA_BELOW * line_height  # or, the line upside down, rise this far above its top
    in_line = set(line)
    outsiders = [i for i in marks + risers if i not in inside and i not in in_line]
    rising = [i for i in outsiders if top < sum(stats[i, 1:4:2]) <= bottom and stats[i, 1] >= above]
    members = in_line | inside
    x0 = max(0, min(stats[i, 0] for i in members) - LINE_PAD)
    x1 = min(ink.shape[1], max(stats[i, 0] + stats[i, 2] for i in members) + LINE_PAD)
    y0, y1 = max(0, top - LINE_PAD), min(ink.shape[0], bottom + LINE_PAD)
    crop = labels[y0:y1, x0:x1]
    keep = np.zeros(int(labels.max()) + 1, bool)
    keep[list(members)] = True
    crop = np.where(keep[crop], crop, 0)
    in_order = sorted(line, key=lambda i: stats[i, 0])
    slashes = None
    if len(line) >= DATE_BLOBS:  # fewer blobs than a date's: no slashes to look for, no leans to measure
        # before the line's slant is known, a slash is a thin straight stroke that leans right on the page
        leans = {i: _lean(_blob_mask(labels, stats, i)) for i in line if _could_be_slash(stats[i], line_height)}
        lean_of = [leans.get(i) or 0.0 for i in in_order]
        widths = [float(stats[i, 2]) for i in in_order]
        slashes = _date_slashes(["/" if lean >= SLASH_LEAN else None for lean in lean_of], lean_of, widths)
    # a date's slashes would set the slant: left out
    steady = np.isin(crop, [in_order[n] for n in slashes], invert=True) if slashes else np.ones(crop.shape, bool)
    slant = estimate_slant(((crop > 0) & steady).astype(np.uint8))
    shear, size = upright_shear(slant, crop.shape)
    sheared = cv2.warpAffine(crop.astype(np.float32), shear, size, flags=cv2.INTER_NEAREST).astype(np.int32)
    line_ink = cv2.warpAffine(ink[y0:y1, x0:x1], shear, size, flags=cv2.INTER_LINEAR)
    strokes = (sheared > 0).astype(np.uint8)
    reader_ink = line_ink * cv2.dilate(strokes, np.ones((LINE_READ_GROW, LINE_READ_GROW), np.uint8))
    line_ink *= cv2.dilate(strokes, np.ones((GROW, GROW), np.uint8))  # edges, as binarise
    (a, b, c), _ = shear.tolist()

    def outside(ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
        """Marks deskewed like the line, though outside its crop (which stays the digits' own)."""
        return {
            i: (round(a * (x - x0 + w / 2) + b * (y - y0 + h / 2) + c - w / 2), y - y0, w, h)
            for i, (x, y, w, h) in ((i, (int(v) for v in stats[i, :4])) for i in ids)
        }

    inverse = cv2.invertAffineTransform(shear)
    return _Line(
        sheared,
        line_ink,
        _boxes(sheared),
        inverse,
        (x0, y0),
        line_height,
        ink.shape,
        outside(hanging),
        slant,
        outside(rising),
        reader_ink,
    )


def upright_shear(slant: float, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, int]]:
    """The affine map that shears an image of `shape` by `slant` about its middle row, and the (width, height)
    that holds every sheared pixel."""
    height, width = shape[:2]
    pad = int(abs(slant) * height) + 1
    return np.float32([[1, slant, pad - slant * height / 2], [0, 1, 0]]), (width + 2 * pad, height)


def cut_digit(ink: np.ndarray, strokes: np.ndarray, box: tuple[int, int, int, int], slant: float = 0.0) -> np.ndarray:
    """The 28x28 normalised digit inside a box of a page, cut as the scanner cuts its candidates.

    `ink` and `strokes` are the page's, from `page_ink`; `slant` is the line's
    (`estimate_slant` of its strokes). The box's pen strokes are sheared
    upright with the line's slant, their grey ink kept, and the result goes
    through `to_mnist`: the representation the classifier is trained and run on.
    """
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    crop, mask = ink[y0 : y + h, x0 : x + w], strokes[y0 : y + h, x0 : x + w]
    if crop.size == 0 or not mask.any():
        return np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32)
    if slant:
        shear, size = upright_shear(slant, crop.shape)
        mask = cv2.warpAffine(mask.astype(np.float32), shear, size, flags=cv2.INTER_NEAREST)
        crop = cv2.warpAffine(np.ascontiguousarray(crop, np.float32), shear, size, flags=cv2.INTER_LINEAR)
    return to_mnist(crop * (mask > 0))


def _boxes(labels: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """Every component's bounding box (x, y, w, h) in one pass over the labelled pixels, sorted by label (a third
    faster than `np.minimum.at` per coordinate)."""
    ys, xs = np.nonzero(labels)
    if xs.size == 0:
        return {}
    ids = labels[ys, xs]
    order = np.argsort(ids, kind="stable")
    ids, xs, ys = ids[order], xs[order], ys[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    lows_x, highs_x = np.minimum.reduceat(xs, starts).tolist(), np.maximum.reduceat(xs, starts).tolist()
    lows_y, highs_y = np.minimum.reduceat(ys, starts).tolist(), np.maximum.reduceat(ys, starts).tolist()
    return {
        i: (x0, y0, x1 - x0 + 1, y1 - y0 + 1)
        for i, x0, y0, x1, y1 in zip(ids[starts].tolist(), lows_x, lows_y, highs_x, highs_y, strict=True)
    }


def _line_words(line_no: int, line: list[int], marks: list[int], page: _Page) -> list[Word]:
    """Deskew a line, split it into strings at wide gaps and column rules, and list each string's candidates and
    separators."""
    upright = _deskewed_line(line, marks, page.stats, page.labels, page.ink, page.risers)
    tall = [i for i in sorted(line, key=lambda k: upright.boxes.get(k, (0,))[0]) if i in upright.boxes]
    in_line = set(line)
    small_marks = [i for i in upright.boxes if i not in in_line]
    atoms, loose = _atoms(tall, small_marks, upright.boxes, upright.height)
    atoms, loose, turned_dots = _dots_before(atoms, loose, upright)
    loose_boxes = [upright.boxes[i] for i in loose] + list(upright.hanging.values())
    turned_boxes = [upright.boxes[i] for i in loose] + list(upright.rising.values())  # the line upside down
    groups: list[list[list[int]]] = []
    previous_right = None
    heights = [_atom_height(atom, upright.boxes) for atom in atoms]
    combed: list[tuple[float, float]] = []  # the gaps between two cells of a comb field, in the line's columns
    for n, atom in enumerate(atoms):
        left = min(upright.boxes[i][0] for i in atom)
        wall = _wall_between(atoms[n - 1], atom, page, upright.height) if n and page.walls else None
        gap = left - previous_right if previous_right is not None else 0
        joined = wall == "join" and gap <= JOIN_GAP * upright.height
        if wall == "join" and previous_right is not None:
            combed.append((previous_right - 2 * WALL_SLACK, left + 2 * WALL_SLACK))
        # a line of small print has a small height; handwriting on it is spaced by its own size
        unit = max(upright.height, min(heights[n - 1], heights[n])) if n else upright.height
        if previous_right is None or wall == "split" or (gap > WORD_GAP * unit and not joined):
            groups.append([])
        groups[-1].append(atom)
        right = max(upright.boxes[i][0] + upright.boxes[i][2] for i in atom)
        previous_right = right if previous_right is None else max(previous_right, right)
    line_frame = _digit_frame(atoms, upright)
    words = []
    for group in groups:
        frame, unit = _own_frame(group, upright, line_frame)
        left, right = min(_span(a, upright.boxes)[0] for a in group), max(_span(a, upright.boxes)[1] for a in group)
        blob = [atom[0] if len(atom) == 1 and len(group) >= DATE_BLOBS else None for atom in group]  # slashes?
        shapes = [
            _separator_of(upright.boxes[atom[0]], upright, frame, one, unit) if len(atom) == 1 else None
            for atom, one in zip(group, blob, strict=True)
        ]
        leans = [
            _slash_lean(atom[0], upright) if char == "/" else 0.0 for atom, char in zip(group, shapes, strict=True)
        ]
        widths = [right - left for left, right in (_span(atom, upright.boxes) for atom in group)]
        start, slashes = 0, _date_slashes(shapes, leans, widths)
        if slashes is None and (after := _date_after_label(group, shapes, leans, upright)) is not None:
            start, slashes = after  # the label's letters are no separators: the reading drops them (`assemble`)
        if slashes is None:
            slashes = _turned_date(group, shapes, leans, upright)  # for the page read the other way up
        # a leaning stroke that is none of a date's two slashes is a 1
        shapes = [
            None if n < start or (char == "/" and n not in (slashes or ())) else char for n, char in enumerate(shapes)
        ]
        digits, separators, turned = [], [], []
        for atom, char in zip(group, shapes, strict=True):
            if char:
                separators.append((_middle(upright.boxes[atom[0]]), char))
                if char in "-/":  # alike upside down; a dot or comma left out of the digits is left out of both
                    turned.append(separators[-1])
            else:
                digits.append(atom)
                turned += [(_middle(upright.boxes[i]), turned_dots[i]) for i in atom if i in turned_dots]
                box = upright.boxes[atom[0]]
                if len(atom) == 1 and (mark := _turned_separator_of(box, upright, frame, unit)) in (".", ","):
                    turned.append((_middle(box), mark))  # tall enough to be in its line: a digit as given
        for box in loose_boxes:
            middle = _middle(box)
            if left < middle < right and (char := _separator_of(box, upright, frame, unit=unit)):
                if any(a <= middle <= b for a, b in combed):
                    continue  # between two cells of a comb: a wall's foot or a speck (see WALL_SLACK)
                separators.append((middle, char))
        for box in turned_boxes:
            middle = _middle(box)
            if left < middle < right and (char := _turned_separator_of(box, upright, frame, unit)):
                turned.append((middle, char))
        slashes = [atom[0] for atom, char in zip(group, shapes, strict=True) if char == "/"]
        if digits and (word := _word(line_no, digits, upright, sorted(separators), slashes, turned)):
            words.append(word)
    return words


def _dots_before(
    atoms: list[list[int]], loose: list[int], upright: _Line
) -> tuple[list[list[int]], list[int], dict[int, str]]:
    """A decimal point or comma taken into the digit after it (`_atoms`: under a slanted digit's empty lower
    corner, it overlaps the digit's box), let go: a filled dot on the baseline, or a comma hanging from it, in the
    left part of the digit's box, its ink apart from the digit's (`DOT_BEFORE_*`, `COMMA_BEFORE_TOP`). A worn
    stroke's fragment is smaller, thinner, or elsewhere.

    Also returns the marks that are such a point or comma with the line turned half a turn (at the top of the
    digit's box, in its right part): the separators of a page read upside down (`upside_down`), which stay in
    their digit's atom, as read the way the page was cut."""
    frame, unit = _digit_frame(atoms, upright), upright.height
    kept, turned = [], {}
    for atom in atoms:
        if len(atom) == 2:
            digit, mark = sorted(atom, key=lambda i: -upright.boxes[i][3])
            if char := _dot_before(digit, mark, upright, frame, unit):
                kept.append([digit])
                loose = [*loose, mark]
                continue
            if char := _dot_before(digit, mark, upright, frame, unit, turned=True):
                turned[mark] = char
        kept.append(atom)
    return kept, loose, turned


def _dot_before(
    digit: int, mark: int, upright: _Line, frame: tuple[float, float], unit: float, turned: bool = False
) -> str | None:
    """ "." or "," where `mark`, taken into `digit`'s atom, is a point or comma before that digit (`_dots_before`),
    the line read as cut or (`turned`) turned half a turn about its middle row and column."""
    x, y, w, h = upright.boxes[mark]
    left, _, width, _ = upright.boxes[digit]
    fill = float((upright.labels[y : y + h, x : x + w] == mark).mean())
    if turned:  # rows counted from the line's foot, columns from its right: only distances between them count
        rows = upright.labels.shape[0]
        y, frame = rows - y - h, (rows - frame[1], rows - frame[0])
        x, left = -(x + w), -(left + width)
    char = _separator_of((x, y, w, h), upright, frame)
    dot = char == "." and abs(y + h - frame[1]) <= DOT_BEFORE_FOOT * unit and fill >= DOT_BEFORE_FILL
    comma = char == "," and abs(y - frame[1]) <= COMMA_BEFORE_TOP * unit
    if (
        (dot or comma)
        and min(w, h) >= DOT_BEFORE_SIZE * unit
        and x + w / 2 - left <= DOT_BEFORE_LEFT * width
        and _apart(mark, [digit], upright, DOT_BEFORE_APART * unit)
    ):
        return char
    return None


def _apart(blob: int, others: list[int], upright: _Line, reach: float) -> bool:
    """Whether none of `others`' ink lies closer than `reach` pixels to a blob's (straight across: a square's
    corner is farther than its side), in the deskewed line."""
    x, y, w, h = upright.boxes[blob]
    margin = math.ceil(reach) + 1
    x0, y0 = max(0, x - margin), max(0, y - margin)
    window = upright.labels[y0 : y + h + margin, x0 : x + w + margin]
    distance = cv2.distanceTransform((window != blob).astype(np.uint8), cv2.DIST_L2, 3)
    return not np.isin(window[distance < reach], others).any()


def _date_after_label(
    group: list[list[int]], shapes: list[str | None], leans: list[float], upright: _Line
) -> tuple[int, list[int]] | None:
    """The atom a date starts at after a printed label the string took in ("DATE 12/05/24": a date's shape after
    a space of LABEL_GAP), and its slashes (`_date_slashes`), or None."""
    spans = [_span(atom, upright.boxes) for atom in group]
    for p in _spaced(spans, upright.height):
        if p <= len(group) - DATE_BLOBS and (
            slashes := _date_slashes(shapes[p:], leans[p:], [right - left for left, right in spans[p:]], True)
        ):
            return p, [p + n for n in slashes]
    return None


def _spaced(spans: list[tuple[int, int]], height: float) -> list[int]:
    """The atoms (by their column spans, in order) that LABEL_GAP of the line's height or more of blank space comes
    before, past the rightmost ink of those before them: where a printed label and the number beside it part."""
    reach = list(itertools.accumulate((right for _, right in spans), max))
    return [p for p in range(1, len(spans)) if spans[p][0] - reach[p - 1] >= LABEL_GAP * height]


def _turned_date(
    group: list[list[int]], shapes: list[str | None], leans: list[float], upright: _Line
) -> list[int] | None:
    """The slashes of a date written upside down, for the page read the other way up (`upside_down`): its groups in
    the reverse order, the year first, alone or before its printed label turned ("DATE 12/05/24" half a turn), a
    space of LABEL_GAP between. A slash turned half a turn leans as it did; its groups were never a date's as cut,
    so its slashes were read as 1s."""
    spans = [_span(atom, upright.boxes) for atom in group]
    widths = [right - left for left, right in spans]
    ends = [len(group)] + [end for end in reversed(_spaced(spans, upright.height)) if end >= DATE_BLOBS]
    for end in ends:  # the date alone, then before a label: any pair that splits it, as after a label
        slashes = _date_slashes(shapes[:end][::-1], leans[:end][::-1], widths[:end][::-1], end < len(group))
        if slashes is not None:
            return sorted(end - 1 - n for n in slashes)
    return None


def _date_slashes(
    shapes: list[str | None], leans: list[float], widths: list[float], after_label: bool = False
) -> list[int] | None:
    """The two slash-shaped strokes that split a string's blobs into a date's groups (`DATE_GROUPS`), or None;
    `leans`: how far each blob leans (`_lean`; read for the slash-shaped ones only); `widths`: each blob's width,
    for a year of one blob (two digits run together, `YEAR_BLOB_WIDTH`).

    Many writers' 1 is a single leaning stroke, as steep as a slash; only the
    shape of a date tells them apart (ORAND's leading 1s read as slashes
    otherwise: 434 -> 404 amounts right). Where more strokes are slash-shaped
    than a date has slashes ("10/10/06", its 1s leaning almost as much), the
    two that lean most are the slashes, when they split the string into a
    date's groups; the others are 1s. (Taking any two that split it read
    "111145" as 1/1/45.) After a printed label (`after_label`: "DATE
    04/12/13"), a date is expected: where its 1s lean more than a slash, the
    pair leaning most of those that split it is taken.
    """
    leaning = sorted((n for n, char in enumerate(shapes) if char == "/"), key=lambda n: -leans[n])
    if len(leaning) < len(DATE_GROUPS) - 1:
        return None

    def splits(pair: list[int]) -> bool:
        edges = [-1, *pair, len(shapes)]
        groups = [[n for n in range(a + 1, b) if shapes[n] in (None, "/")] for a, b in itertools.pairwise(edges)]
        sizes = [len(group) for group in groups]
        if sizes[-1] == 1 and (digits := [widths[n] for group in groups[:-1] for n in group]):
            sizes[-1] += widths[groups[-1][0]] >= YEAR_BLOB_WIDTH * float(np.median(digits))  # two digits, one blob
        return all(low <= size <= high for size, (low, high) in zip(sizes, DATE_GROUPS, strict=True))

    slashes = len(DATE_GROUPS) - 1
    pairs = itertools.combinations(leaning, slashes) if after_label else [leaning[:slashes]]
    ranked = sorted((sorted(pair) for pair in pairs), key=lambda pair: -sum(leans[n] for n in pair))  # stable
    return next((pair for pair in ranked if splits(pair)), None)


def _blob_mask(labels: np.ndarray, stats: np.ndarray, i: int) -> np.ndarray:
    """Component i's pixels (bool) inside its bounding box."""
    x, y, w, h = (int(v) for v in stats[i, :4])
    return labels[y : y + h, x : x + w] == i


def _middle(box: tuple[int, int, int, int]) -> float:
    return box[0] + box[2] / 2


def _digit_frame(atoms: list[list[int]], upright: _Line) -> tuple[float, float]:
    """The top and the baseline of a line's digits (medians over its atoms), where separators are placed against."""
    if not atoms:
        return 0.0, upright.height
    tops = [min(upright.boxes[i][1] for i in atom) for atom in atoms]
    bottoms = [max(upright.boxes[i][1] + upright.boxes[i][3] for i in atom) for atom in atoms]
    return median(tops), median(bottoms)


def _own_frame(
    group: list[list[int]], upright: _Line, line_frame: tuple[float, float]
) -> tuple[tuple[float, float], float]:
    """The top and baseline a string's separators are placed against, and the height they are measured in: its
    own digits' (`_digit_frame` over its atoms, the height as a line's, at least the line's), not its line's. A
    line may hold print or smaller writing beside the number ("DATE 17-2-1990", a check's printed words beside
    "85.90"), and its frame and height are theirs; a dot as wide as a fifth of the digits was then a third of
    the print's height, no dot."""
    if len(group) < 2:
        return line_frame, upright.height
    own = percentile([_atom_height(atom, upright.boxes) for atom in group], LINE_HEIGHT_PERCENTILE)
    return _digit_frame(group, upright), max(upright.height, own)


def _separator_of(
    box: tuple[int, int, int, int],
    upright: _Line,
    frame: tuple[float, float],
    blob: int | None = None,
    unit: float | None = None,
) -> str | None:
    """ ".", ",", "-" or "/" when one blob between digits has that shape (else None: a digit, or a mark to drop).

    `blob` is its id in the deskewed line, to look at its strokes (else only its box counts: no slash); `unit`:
    the digits' height (`_own_frame`; else the line's).
    """
    x, y, w, h = box
    unit = unit or upright.height
    top, baseline = frame
    middle = (y + h / 2 - top) / max(1.0, baseline - top)  # 0 at the digits' top, 1 at their baseline
    if w <= COMMA_MAX * unit and middle >= LOW_MARK:
        if h > COMMA_ASPECT * w and h <= 2 * DOT_MAX * unit and y + h - baseline >= COMMA_DROP * unit:
            return ","
        if max(w, h) <= DOT_MAX * unit:
            return "."
    if (
        DASH_MIN_WIDTH * unit <= w <= DASH_MAX_WIDTH * unit
        and h <= DASH_MAX_HEIGHT * unit
        and w >= DASH_ASPECT * h
        and DASH_MIDDLE[0] <= middle <= DASH_MIDDLE[1]
    ):
        return "-"
    tall = blob is not None and h >= SLASH_MIN_HEIGHT * unit
    lean = _lean(upright.labels[y : y + h, x : x + w] == blob) if tall else None
    if lean is not None and lean + upright.slant >= SLASH_LEAN:
        return "/"
    return None


def _turned_separator_of(
    box: tuple[int, int, int, int], upright: _Line, frame: tuple[float, float], unit: float | None = None
) -> str | None:
    """The separator a mark between digits is when its line is read upside down (`upside_down`): its box and
    the digits' top and baseline turned half a turn about the line's middle row."""
    x, y, w, h = box
    height = upright.labels.shape[0]
    top, baseline = frame
    return _separator_of((x, height - y - h, w, h), upright, (height - baseline, height - top), unit=unit)


def _lean(mask: np.ndarray) -> float | None:
    """How far one straight stroke leans right (columns per row going up), or None when the ink is no thin line.

    Its ink's covariance is that of a thin line when the spread across the
    stroke's axis is small against the spread along it.
    """
    ys, xs = np.nonzero(mask)
    if xs.size < 3:
        return None
    xs, ys = xs - xs.mean(), ys - ys.mean()
    sxx, syy, sxy = float(xs @ xs), float(ys @ ys), float(xs @ ys)
    if syy <= 0:
        return None
    spread = np.sqrt((sxx - syy) ** 2 + 4 * sxy**2)
    low, high = (sxx + syy - spread) / 2, (sxx + syy + spread) / 2  # the covariance's eigenvalues
    if low > SLASH_THIN * high:
        return None
    return -sxy / syy


def _slash_lean(blob: int, upright: _Line) -> float:
    """How far a deskewed line's slash-shaped blob leans (`_lean`)."""
    x, y, w, h = upright.boxes[blob]
    return _lean(upright.labels[y : y + h, x : x + w] == blob) or 0.0


def _could_be_slash(stat: np.ndarray, line_height: float) -> bool:
    """What a blob's box says of a slash before its strokes are looked at: tall, and as wide as its lean makes it."""
    w, h = int(stat[2]), int(stat[3])
    return h >= SLASH_MIN_HEIGHT * line_height and w >= SLASH_SPAN * SLASH_LEAN * h


def _atom_height(atom: list[int], boxes: dict[int, tuple[int, int, int, int]]) -> int:
    return max(boxes[k][1] + boxes[k][3] for k in atom) - min(boxes[k][1] for k in atom)


def _span(atom: list[int], boxes: dict[int, tuple[int, int, int, int]]) -> tuple[int, int]:
    return min(boxes[k][0] for k in atom), max(boxes[k][0] + boxes[k][2] for k in atom)


def _atoms(
    line: list[int], marks: list[int], boxes: dict[int, tuple[int, int, int, int]], line_height: float
) -> tuple[list[list[int]], list[int]]:
    """Merge components stacked above each other (a 5's bar, a broken 4); attach small marks to the digit they
    overlap. Returns the atoms and the marks left over (dots, commas, dashes, specks between digits)."""
    small = [i for i in line if boxes[i][3] < SMALL_FRACTION * line_height]
    small_set = set(small)
    atoms: list[list[int]] = []
    for i in line:
        if i in small_set:
            continue
        if atoms and _stacked_on(atoms[-1], i, boxes):
            atoms[-1].append(i)
            continue
        atoms.append([i])
    loose = []
    for i in small + marks:
        x, _, w, _ = boxes[i]
        for atom in atoms:
            left, right = _span(atom, boxes)
            if min(right, x + w) - max(left, x) >= MARK_OVERLAP * w:
                atom.append(i)
                break
        else:
            loose.append(i)
    broken = _broken_digits(loose, boxes, line_height)
    if broken:
        pieces = {i for atom in broken for i in atom}
        loose = [i for i in loose if i not in pieces]
        atoms = sorted(atoms + broken, key=lambda atom: _span(atom, boxes)[0])
    return atoms, loose


def _stacked_on(atom: list[int], i: int, boxes: dict[int, tuple[int, int, int, int]]) -> bool:
    """Whether blob `i` stands over or under `atom` (STACKED_OVERLAP of the narrower's columns shared)."""
    x, _, w, _ = boxes[i]
    left, right = _span(atom, boxes)
    return min(right, x + w) - max(left, x) >= STACKED_OVERLAP * min(w, right - left)


def _broken_digits(
    marks: list[int], boxes: dict[int, tuple[int, int, int, int]], line_height: float
) -> list[list[int]]:
    """Marks stacked over each other into a digit's height: a digit whose thin or faint strokes broke into pieces,
    none tall enough to be a digit alone (a 3 in three strokes), which were left out of their number."""
    stacks: list[list[int]] = []
    for i in sorted(marks, key=lambda k: boxes[k][0]):
        stack = next((stack for stack in stacks if _stacked_on(stack, i, boxes)), None)
        if stack is None:
            stacks.append([i])
        else:
            stack.append(i)
    found = []
    for stack in stacks:
        if len(stack) < 2:
            continue
        left, right = _span(stack, boxes)
        rows = sorted((boxes[i][1], boxes[i][1] + boxes[i][3]) for i in stack)
        reach = list(itertools.accumulate((end for _, end in rows[:-1]), max))  # lowest row reached so far
        gaps = [start - end for (start, _), end in zip(rows[1:], reach, strict=True)]
        top, bottom = rows[0][0], max(end for _, end in rows)
        if (
            bottom - top >= BROKEN_HEIGHT * line_height
            and right - left <= BROKEN_WIDTH * line_height
            and max(gaps) <= BROKEN_GAP * line_height
        ):
            found.append(stack)
    return found


def _word(
    line_no: int,
    atoms: list[list[int]],
    upright: _Line,
    separators: list[tuple[float, str]] | None = None,
    slashes: list[int] | None = None,
    turned: list[tuple[float, str]] | None = None,
) -> Word | None:
    """Cut a string into pieces and list the candidate digits over them, and where its separators stand (at
    which column, read as given, and `turned`: read upside down); `slashes`: a date's slash strokes (component
    ids), which the string reader is not shown."""
    left, right = min(_span(a, upright.boxes)[0] for a in atoms), max(_span(a, upright.boxes)[1] for a in atoms)
    atom_of = np.zeros(int(upright.labels.max()) + 1, np.int32)
    for n, atom in enumerate(atoms, start=1):
        atom_of[atom] = n
    atom_map = np.zeros_like(upright.labels)
    atom_map[:, left:right] = atom_of[upright.labels[:, left:right]]
    pieces = _pieces(atom_map, len(atoms), upright.height)
    if not pieces:
        return None
    rows = np.flatnonzero((atom_map > 0).any(axis=1))
    x0, y0 = upright.origin
    word = Word(
        line=line_no,
        pieces=len(pieces),
        box=_page_box(upright.inverse, left, right, rows[0], rows[-1] + 1, x0, y0, upright.page_shape),
        cuts=[a[2] == b[2] for a, b in itertools.pairwise(pieces)],
    )
    word.ink = _strokes_between(upright, left, right, slashes or [])
    middles = [(a + b) / 2 for a, b, _ in pieces]
    word.separators = _between(middles, separators or [])
    word.turned_separators = _between([-m for m in middles], sorted((-m, char) for m, char in turned or []))
    gap = MAX_GAP * upright.height
    for start in range(len(pieces)):
        b = pieces[start][1]  # right edge of the run so far
        for end in range(start + 1, min(len(pieces), start + MAX_PIECES_PER_CANDIDATE) + 1):
            if end - start > 1 and pieces[end - 1][0] - b > gap:
                break  # blank space between two blobs side by side: two digits, never one
            a = min(p[0] for p in pieces[start:end])
            b = max(b, pieces[end - 1][1])
            if end - start > 1 and b - a > MAX_CANDIDATE_WIDTH * upright.height:
                break
            piece_ink = upright.ink[:, a:b] * pieces_mask(atom_map, pieces[start:end], a, b)
            ink_rows = np.flatnonzero(piece_ink.max(axis=1) > INK_LEVEL)
            if ink_rows.size == 0:
                continue
            box = _page_box(upright.inverse, a, b, ink_rows[0], ink_rows[-1] + 1, x0, y0, upright.page_shape)
            word.candidates.append(Candidate(start, end, box, piece_ink[ink_rows[0] : ink_rows[-1] + 1]))
    return word


def _between(middles: list[float], separators: list[tuple[float, str]]) -> list[tuple[int, str]]:
    """Separators at columns (in order) as (pieces left of it, char), given the pieces' middle columns: only
    between two pieces, one at each place."""
    placed: list[tuple[int, str]] = []
    for middle, char in separators:
        before = sum(m < middle for m in middles)
        if 0 < before < len(middles) and all(k != before for k, _ in placed):
            placed.append((before, char))
    return placed


def _pieces(atom_map: np.ndarray, atom_count: int, line_height: float) -> list[tuple[int, int, int]]:
    """Cut every atom at its plausible cut columns: (left, right, atom) spans in x order."""
    pieces = []
    for n in range(1, atom_count + 1):
        cols = np.flatnonzero((atom_map == n).any(axis=0))
        if cols.size == 0:
            continue
        left, right = int(cols[0]), int(cols[-1]) + 1
        cuts = []
        if right - left > WIDE_BLOB * line_height:
            cuts = [left + c for c in _cut_columns(ink_extent(atom_map[:, left:right] == n), line_height)]
        edges = [left, *cuts, right]
        pieces.extend((a, b, n) for a, b in itertools.pairwise(edges) if b > a)
    pieces.sort()
    return pieces


def pieces_mask(atom_map: np.ndarray, pieces: list[tuple[int, int, int]], left: int, right: int) -> np.ndarray:
    """The ink of the given pieces only, in the columns [left, right)."""
    out = np.zeros((atom_map.shape[0], right - left), bool)
    for a, b, n in pieces:
        out[:, a - left : b - left] |= atom_map[:, a:b] == n
    return out


def _strokes_between(upright: _Line, left: int, right: int, slashes: list[int]) -> np.ndarray:
    """What the string reader reads of a word of a page: every pen stroke of its line in the word's columns, marks
    and separators included, cut to the rows that hold ink (empty when none does).

    All the strokes, not the digits' own atoms: the reader learnt lines whole, and the dev pages read more this
    way (seeds 5000 / 7000 and the committed pages: 72.2 / 71.5 / 79.8 % of lines against 72.9 / 67.5 / 75.2 %
    from the atoms alone, and 71.3 / 64.4 / 78.0 % with no reader on page words).
    """
    strokes = upright.reader_ink[:, left:right]
    if slashes:  # the reader knows digits and blank only, and reads a slash as a 1: a date's slashes are left out
        slash = np.isin(upright.labels[:, left:right], slashes).astype(np.uint8)
        strokes = strokes * (1 - cv2.dilate(slash, np.ones((LINE_READ_GROW, LINE_READ_GROW), np.uint8)))
    rows = np.flatnonzero(strokes.max(axis=1, initial=0.0) > INK_LEVEL)
    if rows.size == 0:
        return np.zeros((0, 0), np.float32)
    return np.ascontiguousarray(strokes[rows[0] : rows[-1] + 1])


def _page_box(
    inverse: np.ndarray, left: int, right: int, top: int, bottom: int, x0: int, y0: int, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """A deskewed box mapped back onto the page, clipped to it (plain arithmetic: called for every candidate; on
    Python's numbers, 3 us a call, where NumPy's integers as they come took 19)."""
    (a, b, c), (d, e, f) = inverse.tolist()
    left, right, top, bottom, x0, y0 = int(left), int(right), int(top), int(bottom), int(x0), int(y0)
    xs = [a * x + b * y + c + x0 for x in (left, right) for y in (top, bottom)]
    ys = [d * x + e * y + f + y0 for x in (left, right) for y in (top, bottom)]
    px0, py0 = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
    px1, py1 = min(math.ceil(max(xs)), shape[1]), min(math.ceil(max(ys)), shape[0])
    return px0, py0, max(1, px1 - px0), max(1, py1 - py0)
