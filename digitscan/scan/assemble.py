"""Stage 5: choose the best reading of each string from the scored candidates.

A string's pieces can be grouped into digits in many ways. Dynamic programming
picks the grouping with the highest total log-probability, where a candidate
counts either as its most likely digit or as a mark to drop ("not a digit").
Cutting through a connected stroke costs a penalty that the classifier must
overcome, which it does for touching digits ("several digits" on the uncut
blob) and not for the strokes of a printed letter. A string with more than one
mark for every two digits (printed words, scribbles) is dropped whole.

Where the string reader read the word whole too, the two readings are weighed
by both networks: each reader's log-likelihood of each text, summed
(`with_reader`). Neither reader's own sureness decides alone: the reader's
greedy path can run a doubled digit together while its scores still hold both.
On a page, where the reader learnt page words, the classifier counts half
(`PAGE_CLASSIFIER_WEIGHT`), a word the reader surely reads as nothing (print
it learnt as blank) is dropped (`READER_BLANK`), and one the classifier took
for print is read by the reader alone when it is sure (`PAGE_READER_ALONE`); a
register cell's word, by the cell reader alone (`CELL_READER_ALONE`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from digitscan.results import Box, Digit, DigitString, unwritten, written_with
from digitscan.scan.classify import Scores
from digitscan.scan.normalise import LINE_PAD
from digitscan.scan.read import LineReading
from digitscan.scan.segment import LABEL_GAP, LABEL_MARKS, Candidate, Word
from digitscan.scan.straighten import scaled_box, union_box

# Log-probabilities added to a path's score, chosen on the ORAND development set (see README, Accuracy).
NOISE_PENALTY = 0.0  # for dropping a candidate as a mark
CUT_PENALTY = -1.0  # for each cut through a connected stroke
SPAN_PENALTY = -1.0  # per extra piece when several pieces are dropped together as one mark
EPS = 1e-6
# Of its word's height: in a crop, a mark shorter than this (a comma or full stop after the number, a 7's crossbar,
# a flourish's end) does not count towards the marks that make a word print. A crop is cut around one number; on a
# page the same leniency let security patterns and print through (committed pages 0.72 -> 1.17 spurious strings a
# page), so there it needs the string reader's agreement (PAGE_AGREEMENT). Dev register cells, seed 3000: 53.00 ->
# 54.33 % for 0.3 and 0.4, 54.67 % for 0.5; 0.4 is below a digit written small after big ones; ORAND fold 1 86.67
# -> 87.50 %, folds 2, 3, 5 as before; 5 of 200 printed crops read digits either way.
SMALL_MARK = 0.4
# A register cell's word may begin or end with a rule's remnant: a one-piece bar at most CELL_END_BAR as wide as
# tall, which the classifier takes for no digit. It is dropped as a mark that does not count towards print either:
# "2" beside a column's rule had one mark to its one digit and was no reading at all. Dev cells of seed 3000 enlarged
# three times 77.17 -> 77.33 / 77.50 / 77.33 % at 0.15 / 0.25 / 0.4 (0.4 loses one twice enlarged); as made and
# twice as before, empty cells as before; cells of seed 9500 twice and three times +1 and +4; ORAND's crops read
# as before (bench/README.md, fiftieth session).
CELL_END_BAR = 0.25
# A page's word that only its small marks made print is read when the string reader reads the same digits at least
# this surely. Dev pages, seeds 5000 / 7000 / committed: 76.03 / 73.31 / 82.57 -> 76.03 / 73.62 / 83.49 % of lines,
# spurious strings a page as before at 0.9 (committed 0.72 -> 0.78 at 0.5 and at any agreement); bench pages (seed
# 1600) 64.94 -> 65.31 %, spurious 1.91 as before.
PAGE_AGREEMENT = 0.9
# The classifier's log-likelihood a reading gets at the least when no cut of the word reads it (the reader saw a
# digit the segmenter never cut out, or merged two): about 5e-5, so the reader must be far surer of its reading
# than of the classifier's. At -20 (the ninth session's, when -10 read alike) the reader never won where the cut
# had dropped a tail of small touching zeros ("25.000" read "25"). Re-chosen on ORAND folds 1, 2 and 5, each with
# its own classifier and reader (strings, digits; bench/README.md, twenty-sixth session): -20 90.83 / 81.67 / 83.33
# %, 97.25 / 94.77 / 95.93 %; -15 to -8 90.83 / 81.67 / 84.17 %, -10 and -12 with digits 97.65 / 94.77 / 96.26 %;
# -6 90.83 / 82.50 / 85.00 %; -5 90.83 / 80.83 / 82.50 %. -10 stands mid-plateau, not at -6's edge.
LATTICE_FLOOR = -10.0
# On a page, where no cut reads the reader's text (its digits touch, and the cut finder found no valley between a 1
# and its neighbour: "1123854" cut as "123854"), the classifier's weighed log-likelihood counts this at the least.
# Dev pages, seeds 5000 / 7000 / 9000 / committed, lines read: at -20 (as crops) 87.07 / 84.66 / 83.55 / 89.91 %;
# -8 87.70 / 84.66 / 83.94 / 89.91; -6 and -5 88.01 / 84.66 / 83.94 / 89.91; -4 88.33 / 84.66 / 83.94 / 90.83; -3
# 88.33 / 84.36 / 83.55 / 90.83; -2 88.01 / 84.66 / 83.29 / 90.83. -5 stands within the plateau, not at its edge.
PAGE_LATTICE_FLOOR = -5.0
# The classifier's blind spot, the mirror of the page reader's (THIN_ONE): a thin 1 joined to its neighbour and cut
# with it as one piece, or dropped as a stroke of it ("4851467" read "485467"). Where the page reader reads the
# classifier's reading with one more 1, the floor is this instead. Of 97 lines lost by a 1 left out on nineteen
# kept page sets, the reader had read 23 right (the classifier's text 1-5 less likely to it than its own), the
# classifier 7. Lines gained / lost on the dev pages (seeds 120000, 143000): -1 +6 -1, -2 and -3 +3, any digit more
# at -2 +3 -1; on the seventeen other kept sets -2 +13 -5, -3 +10 -2; on nine of them -1 +15 -6, -2 +13 -2, any
# digit more at -2 +16 -7 (bench/README.md, forty-sixth session).
ONE_MORE_FLOOR = -3.0
# After a label (`_after_label`) no cut reads the label's letters, which the reader may read as 1s ("DATE 42" as
# "11142"): there the floor stays at the crops' former -20 (about 2e-9).
LABEL_FLOOR = -20.0
# A page's word the string reader reads as nothing is dropped when the reader's log-likelihood of the classifier's
# reading is under this (under 0.7 %): printed labels ("MEMO", "ZIP", "TOTAL") and signs the page-words reader
# learnt to read as blank. Dev pages, seeds 5000 / 7000 / 9000 / committed: spurious strings a page 1.52 / 1.75 /
# 2.01 / 0.78 -> 1.42 / 1.60 / 1.83 / 0.67, lines 76.34 / 76.07 / 72.19 / 85.32 -> 76.34 / 76.38 / 72.19 / 85.32 %;
# -2 lost a line of seed 5000, -10 and -20 dropped less. A crop holds one number: its reading stays.
READER_BLANK = -5.0
# On a page the classifier's log-likelihood counts this much against the reader's (a crop's counts fully; either
# floored at LATTICE_FLOOR). The page-words reader learnt pages, the classifier isolated digits: of 1,405 lines of
# dev pages (seeds 5000 / 7000 / 9000) the reader alone read 953, the sum 941, the classifier alone 839. Lines read,
# seeds 5000 / 7000 / 9000 / committed: 1.0 76.34 / 76.38 / 72.19 / 85.32 %; 0.7 76.97 / 77.61 / 72.45 / 85.32;
# 0.6 76.97 / 76.99 / 72.72 / 85.32; 0.5 77.29 / 76.99 / 72.58 / 86.24; 0.4 77.29 / 76.99 / 72.19 / 86.24 (spurious
# strings a page 1.42 / 1.60 / 1.83 / 0.67 at 1.0, 1.35 / 1.56 / 1.81 / 0.61 at 0.5). ORAND's crops chose equal
# weights (ninth session, folds 1-4). Chosen again for the fifty-seventh session's page reader on the dev pages
# (ledgers 182000, pages 120000 / 143000; 3,037 lines): 0.3 -11 lines, 0.5 92.06 %, 0.7 92.20 % (+7 -3), 0.85
# +10 -7, 1.0 +12 -10; 0.7 checked on the 25 kept page sets 89.27 -> 89.38 % (+72 -51; CVL's writers +52 -31),
# 240 fresh pages 90.36 -> 90.59 % (+6 -2), printed and pencil +8 -5, notebooks +2 -3, windows +1 -4
# (bench/README.md, fifty-seventh session).
PAGE_CLASSIFIER_WEIGHT = 0.7
# A register cell's reading by the cell reader, which learnt cells (thirty-fourth session), weighs the classifier's
# log-likelihood CELL_CLASSIFIER_WEIGHT times, floored at CELL_LATTICE_FLOOR (a check's amount: 1 and LATTICE_FLOOR).
# Dev cells, seeds 3000 / 7000: 1 / -10 80.00 / 82.00 %; 1 / -7 80.33 / 82.33; 1 / -6 81.00 / 82.33; 1 / -5 81.00 /
# 82.17; 1 / -3 80.00 / 81.67; 0.7 / -10 80.33 / 82.67; 0.7 / -7 80.67 / 82.67; 0.7 / -6 81.00 / 82.83; 0.7 / -5
# 81.00 / 82.50; 0.85 / -6 81.00 / 82.33; 0.5 / -5 80.00 / 82.00; 1.5 / -5 80.50 / 82.50. Empty cells of seed
# 90000: 12 read as a number at each. 0.7 / -6 stands inside the plateau.
CELL_CLASSIFIER_WEIGHT = 0.7
CELL_LATTICE_FLOOR = -6.0
# A page's word the classifier took for print (too many marks) is read by the string reader alone when the reader
# reads at least PAGE_READER_ALONE_DIGITS digits this surely: a number with a label, a box's edge or a sign in its
# word. Dev pages, seeds 5000 / 7000 / 9000 / committed, lines read (spurious strings a page): never 77.29 / 76.99 /
# 72.58 / 86.24 % (1.35 / 1.56 / 1.81 / 0.61); any length at 0.99 77.92 / 76.99 / 72.85 / 86.24 (as never), at 0.9
# 78.23 / 77.30 / 72.58 / 87.16 (1.38 / 1.56 / 1.85 / 0.61), at 0.7 78.86 / 77.61 / 73.24 / 88.07 (1.38 / 1.60 /
# 1.85 / 0.67), at 0.5 78.86 / 77.91 / 73.63 / 88.07 (1.38 / 1.65 / 1.88 / 0.78); two digits or more at 0.7 78.55 /
# 77.61 / 73.37 / 88.07 (1.38 / 1.56 / 1.82 / 0.67), at 0.5 78.55 / 77.91 / 73.50 / 88.07 (1.38 / 1.60 / 1.86 /
# 0.67). One digit let the print "DOLLARS" of samples/check.png through as a 5 (0.93).
PAGE_READER_ALONE = 0.7
PAGE_READER_ALONE_DIGITS = 2
# A register cell's word that the classifier drops whole (a 7 crossed and underlined, taken for marks) is read by
# the cell reader alone where it reads digits this surely and some cut of the word reads them too without more marks
# than a number may have (`_text_log_likelihood`: print, "DATE" as 0 at 0.93, has none); a word at the cell's side
# (a neighbour's sliver) stays dropped. Dev cells, seeds 3000 / 7000: never 79.67 / 81.33 %; 80.00 / 82.00 % at 0.9
# (7 cells read so, 6 right); the 4 more that 0.6 adds (0.63 to 0.69) all wrong. Empty cells of seed 90000: 12 read
# as a number either way. Printed form labels cut as crops (tests/test_samples.py) that a cut reads: 0.80 at most.
CELL_READER_ALONE = 0.9
# A page's label may have one letter read as a digit ("D" or "O" as 0) among the marks of the rest; the number after
# it is then read from after the label (`_after_label`), as where all its letters were marks. Dev pages, seeds 5000
# / 7000 / 9000 / committed: 79.50 / 82.21 / 77.42 / 86.24 -> 79.50 / 82.21 / 77.94 / 86.24 % of lines (0: before);
# also where such a word was dropped as print (a short number after the label), with the page reader: 84.54 ->
# 84.86 % on seed 5000, the others as before. Unless the string reader, which learnt print as nothing, reads the
# same digits, that "letter" included: then it is the number's first digit ("11.07.07" after "DATE" read "1.07.07";
# dev pages of seeds 60000 and 53000 one line more each, 43000 and the bench pages as before).
LABEL_LETTERS = 1
# The page reader drops a thin 1 that touches its neighbour or stands close to it ("501570" read "50570"): where
# its reading is the classifier's with one 1 left out, and the classifier read that 1 from a stroke at most THIN_ONE
# as wide as tall and at least ONE_HEIGHT of the reading's median digit height, the classifier's reading stands.
# Of 36 such disagreements on the dev pages (seeds 5000 / 7000 / 9000), the classifier was right on 15 and the
# reader on 11 (the rest neither); of those with the 1's box at most 0.4 as wide as tall, the classifier on 7 and
# the reader on none. Lines read, seeds 5000 / 7000 / 9000 / committed: 86.12 / 83.74 / 83.16 / 89.91 % before;
# 86.75 / 84.36 / 83.29 / 89.91 at 0.4 and 0.8, 86.75 / 84.66 / 83.29 / 89.91 at 0.4 and 0.7 (kept); at 0.6 +3
# lines, with no width test +2, at 0.25 none.
THIN_ONE = 0.4
ONE_HEIGHT = 0.7
# In a register cell the classifier may read a mark at the number's end as a digit (a tall comma as a 1, a
# flourish's end as an 8, a sliver before it as a 7: "84," read "841"); the cell reader, which learnt cells with
# their marks, leaves it out. Where its reading is the classifier's less the first or last digit, and that digit is
# under SHORT_END of the others' median height, the reader's stands (`_short_end`). Dev register cells, seeds 3000
# / 7000 (600 each): +2 / 0 at 0.5, +3 / +1 at 0.6 and 0.65, +3 -1 / +1 at 0.7, +5 -1 / +1 -1 at 0.8 (a number's
# small last digit: "375" read "37"). ORAND's 600 crops read byte for byte as before. With the cell reader (thirty-
# fourth session) it still pays: without it 2 / 1 fewer.
SHORT_END = 0.6
# A reading written as a date (two like separators between groups of 1-2, 1-2 and 2 or 4 digits) that is no date of
# the calendar is read as the likeliest date one digit away (`as_date`), unless that date is DATE_MARGIN less likely
# by the readers (nats: about a thousand times). Dev pages (seeds 120000 / 143000 / 161000 / 162000), 3,374 lines:
# 24 readings were such non-dates, 11 of them now read right (their dates were 0.7 to 12.9 less likely) and none
# that was right before changed; the other 13, all misread either way, 1.4 to 16.2 (many from a page read upside
# down). At 7, 10 of the 11. Years from 1800 (registers and ledgers of the 19th century); an older year clearly
# written ("1787": its 7 far surer than an 8) is beyond the margin and stays.
DATE_SHAPE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})")
# A date read with a digit too few or too many in its year ("16.04.203", "14.3.077", "24/12/20266": a digit lost to
# its neighbour or the line's end, a mark read as one) or, slashed or dashed, in its day or month ("211/12/1996") is
# read as the likeliest date one digit added or left out, within DATE_MARGIN. On 19 page sets (9,964 lines) 21
# readings were so shaped, none right: +6 lines, none lost; 1,552 lines of fresh pages (seeds 204000-206000) held
# two: a year's, left as read, and a month's, seen before days and months were added, read right (bench/README.md,
# sixty-second session).
MISCOUNTED_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d|\d{3}|\d{5})|(\d{1,3})([/-])(\d{1,3})\6(\d{1,5})")
DATE_YEARS = (1800, 2099)
DATE_MARGIN = 7.0
# A string read with one dash or slash whose digits make one date with a second is given it where its digits stand
# apart there (`_date_completed`): the second separator was lost to the threshold, or joined to a digit, and still
# spaces them. Evidence: the step between those digits' middles is wider than the string's other steps by at least
# DATE_SPACE of the extra the found separator makes (or of DATE_SPACE_MIN digit heights, if more). Dev pages (seeds
# 120000 / 143000 / 161000 / 162000), 15 strings so completable: the 11 whose completion was right were spaced
# there by -0.20 to 1.40 of the found separator's extra (9 above 0.3); "7/2019" and "3-2018" (a digit lost, or
# month and year) -0.08 and -0.16; +9 lines at 0.25, as at any threshold from 0.01 to 0.3.
DATE_SPACE = 0.25
DATE_SPACE_MIN = 0.2
DATE_DIGITS_MIN = 4  # the fewest digits a date has (d/m/yy)
# A page's word is print when PRINTED_GLYPHS or more of its glyphs, 1s left out, are over PRINTED_WORD on average
# by the print detector. Chosen on dev pages of seed 180000 printed in typefaces the detector never learnt, with the
# dev pages of 120000 / 143000 for what it costs handwriting (bench/README.md, fifty-fifth session): 3.10 -> 1.04
# spurious strings a page, no line lost. A word judged on one glyph (0.97; 0.98 where that one is over 0.95) lost a
# dev line and nine of the other kept pages' ("91", "17", "1011": a pen's single 0, 7 or 9 taken for type).
PRINTED_WORD = 0.7
PRINTED_GLYPHS = 2
# A number read after a label (`_after_label`) in a word that is print is a pen's, not the label's print, where each
# of its glyphs, PRINTED_GLYPHS or more, is under this by the detector: the letters of "TOTAL $" made "TOTAL $ 11"
# print whole though the detector gave its "$ 11" 0.00 each; a printed page number after "Page" it gave 0.09-0.54,
# so a number's own mean, or one glyph, would not do (dev pages with print numbers, seed 189000: 7 such spurious
# strings). The detector's complement of PRINTED_WORD, not tuned (bench/README.md, sixtieth session).
PEN_GLYPH = 1 - PRINTED_WORD
# A word is print too where its glyphs turned half a turn are (`Scores.printed_turned`: a form's number printed along
# its other edge, which the detector took for a pen's the way the page reads), judged on TURNED_GLYPHS glyphs or more,
# its 1s left out as ever: a short handwritten number turned looks printed to it too often. Dev pages (seeds 120000,
# 143000, 188000-190000): every word judged so lost 5 lines for 9 spurious strings fewer; from 5 glyphs none for 7;
# fresh pages of seeds 191000 and 192000 then 7 fewer, none lost (bench/README.md, sixtieth session).
TURNED_GLYPHS = 5
# A page word the detector does not make print (`_printed`: its glyphs not over PRINTED_WORD, or too few of them
# once its 1s are left out) is print where PRINT_KIN_WORDS or more words of the reading that are print stand as
# tall, within PRINT_KIN_HEIGHT, its own glyphs as tall as each other (PRINT_KIN_SPREAD of their median height) and
# printed on their mean, 1s and all (PRINT_KIN_MEAN): a receipt's prices ("11.41", three 1s; "60.03", a typeface
# whose 0 the detector takes for a pen's) and a calendar's day numbers ("5", one glyph) beside prices and days that
# are. Chosen on the kept readings of 10 sets (bench/other_pages.py seeds 1 and 3, receipts and calendars; 8 of the
# page bench's, 4 with printed numbers), words matched to the truth by their boxes: 364 print strings went, no
# handwritten line (with any spread, 3 did: "84.01" and two "88" beside printed dates, heights ranging 0.67-1.26
# of their median); 2 kin words 367, 0.05 of height 303, a mean of 0.6 351. End to end, 29 page sets as before; the
# other generator's seeds 2, 4 and 5, read once after: 2.30 -> 0.59 spurious strings a page, no handwritten line
# lost (bench/README.md, sixty-third session).
PRINT_KIN_WORDS = 3
PRINT_KIN_HEIGHT = 0.1
PRINT_KIN_SPREAD = 0.15
PRINT_KIN_MEAN = 0.5
# A string's only separator, a point or comma followed by LONE_POINT_DIGITS digits or more, is a speck, not a
# decimal point (`_without_lone_point`). Dev pages: +4 lines, none lost.
LONE_POINT_DIGITS = 4
# An amount as the page generator and the README write it: thousands' groups after commas, two decimals after a
# point. A string of two separators or more written as neither a date (DATE_SHAPE) nor such an amount, that one
# point or comma less makes one of them, in one way only, has a speck read as that point (`_without_stray_point`:
# "57.3.1" for 57.31, "16/11/202.1"). European amounts ("1.234,56") make neither either way, and stay as read.
AMOUNT_SHAPE = re.compile(r"\d{1,3}(,\d{3})+(\.\d{2})?|\d+\.\d{2}")
# A date's slashes standing nearly upright, as steep as the writer's 1s, are no slash-shaped strokes to the segmenter
# (`segment._date_slashes`) and are read as 1s: "06/05/24" as 06105124, "10/9/2003" as 101912003. A string read
# with no separator whose 1s, two of them taken for slashes, make exactly one date of the calendar is that date
# where the date has a form a plain number rarely takes at those places: a four-digit year (DATE_YEARS) or a day or
# month written with a leading zero (`_slashes_read_as_ones`). On the sixty-first session's eleven page sets, any
# such date: 7 strings right, 5 right ones made wrong ("717192" as 7/7/92 on a ledger); with that form: 6 right,
# none wrong (bench/README.md, sixty-first session).


def assemble_word(
    word: Word, scores: Scores, offset: int, scale: float, line: LineReading | None = None
) -> DigitString | None:
    """The best reading of one word; its candidates' scores start at row `offset`; `line`: the string reader's
    reading of the word whole, weighed against the classifier's (`with_reader`)."""
    return _word_reading(word, scores, offset, scale, line)[0]


def _word_reading(
    word: Word, scores: Scores, offset: int, scale: float, line: LineReading | None
) -> tuple[DigitString | None, int]:
    """`assemble_word`'s reading, and the piece it starts from: after a printed label (`_after_label`), else 0."""
    edges = _edges(word, scores, offset)
    path = _best_path(word.pieces, edges)
    found = None if path is None else _reading_of(word, path, scores, offset, scale)
    if found is None and not word.crop and line is not None and line.confidence >= PAGE_AGREEMENT:
        # On a page small marks make a word print, unless the string reader, sure of it, reads the same digits.
        lenient = _edges(word, scores, offset, small_marks_free=True)
        agreed = _lattice_reading(word, lenient, scores, offset, scale)
        if agreed is not None and agreed.text == line.text:
            found, edges = agreed, lenient
    first = 0
    if not word.crop and path is not None:
        # A label the print test dropped whole, or one of whose letters was read as a digit ("D" of DATE as 0)
        agreed = found is not None and line is not None and line.text == found.text  # the reader knows print
        for letters in (0, LABEL_LETTERS) if found is None else () if agreed else (LABEL_LETTERS,):
            after, start = _after_label(word, path, edges, scores, offset, scale, letters)
            if after is not None:
                found, first = after, start
                break
    if found is None and not word.crop and line is not None and _reader_is_sure(line):
        return _reader_reading(word, line, scale), 0  # what the classifier took for print, the reader surely read
    if found is None and line is not None and _cell_reader_alone(word, edges, line):
        return _reader_reading(word, line, scale), 0  # a cell's number the classifier took for marks
    if found is None:
        return None, first
    if line is None:
        return as_date(found, partial(_text_log_likelihood, word.pieces, edges, first=first)), first
    if not line.text:  # on a page, print the reader learnt to read as nothing ("MEMO" as 1111, "ZIP" as 21)
        if word.cell and word.side:  # a neighbour's sliver, a band's ragged edge: the cell reader learnt cells
            return None, first
        return (None if not word.crop and line.log_likelihood(found.text) < READER_BLANK else found), first
    if not word.crop and _dropped_one(found, line.text) is not None:
        return found, first  # the page reader's blind spot: a thin 1 close to its neighbour
    if word.cell and (bar := _dropped_one(found, line.text, ends_only=True)) is not None:
        return _without(found, bar, line), first  # a rule's remnant beside a cell's number: the cell reader learnt
    if word.cell and (mark := _short_end(found, line.text)) is not None:
        return _without(found, mark, line), first  # a comma, a flourish's end, a sliver: the cell reader learnt
    if word.cell:
        weight, floor = CELL_CLASSIFIER_WEIGHT, CELL_LATTICE_FLOOR
    elif word.crop:
        weight, floor = 1.0, LATTICE_FLOOR
    elif first:
        weight, floor = PAGE_CLASSIFIER_WEIGHT, LABEL_FLOOR
    else:
        one_more = any(line.text[i] == "1" for i in _left_out(line.text, found.text, ends_only=False))
        weight, floor = PAGE_CLASSIFIER_WEIGHT, ONE_MORE_FLOOR if one_more else PAGE_LATTICE_FLOOR
    lattice = partial(_text_log_likelihood, word.pieces, edges, first=first)
    read = with_reader(found, word, line, scale, lattice, weight, floor)
    return as_date(read, lambda text: _joint(text, line, lattice, weight, floor)), first


@dataclass
class _Edge:
    """One candidate as a step of the lattice: pieces [start, end) read as a digit or dropped as a mark."""

    start: int
    end: int
    row: int
    digit_logs: np.ndarray  # log-probability of each digit, the cut's penalty included
    mark_log: float  # the score of dropping it as a mark, the cut's penalty included
    counted: bool = True  # dropped as a mark, it counts against the word being a number (`SMALL_MARK`)


def _edges(word: Word, scores: Scores, offset: int, small_marks_free: bool = False) -> list[_Edge]:
    """The word's candidates as lattice steps, by the scores and penalties both lattice searches use, in the
    order of their ends (a step's start is reached before it is taken). A crop's small marks, or any word's where
    `small_marks_free`, do not count towards print (`SMALL_MARK`)."""
    edges = []
    for k, cand in enumerate(word.candidates):
        row = offset + k
        cut = CUT_PENALTY if cand.start > 0 and word.cuts and word.cuts[cand.start - 1] else 0.0
        mark = math.log(scores.reject[row] + EPS) + NOISE_PENALTY + SPAN_PENALTY * (cand.end - cand.start - 1)
        counted = not (word.crop or small_marks_free) or cand.box[3] >= SMALL_MARK * word.box[3]
        if word.cell and _end_bar(word, cand):
            counted = False  # a rule's remnant: no sign of print
        edges.append(_Edge(cand.start, cand.end, row, np.log(scores.digits[row] + EPS) + cut, mark + cut, counted))
    return sorted(edges, key=lambda e: e.end)


def _end_bar(word: Word, cand: Candidate) -> bool:
    """Whether a candidate is one bar-shaped piece at its word's start or end (`CELL_END_BAR`)."""
    _, _, width, height = cand.box
    return cand.end - cand.start == 1 and cand.start in (0, word.pieces - 1) and width <= CELL_END_BAR * height


_Step = tuple[int, int, int, int, bool]  # a path's step: pieces [start, end), candidate row, digit or -1, counted


def _lattice_reading(word: Word, edges: list[_Edge], scores: Scores, offset: int, scale: float) -> DigitString | None:
    """The classifier's reading of one word: the best path through its candidates."""
    path = _best_path(word.pieces, edges)
    return None if path is None else _reading_of(word, path, scores, offset, scale)


def _best_path(pieces: int, edges: list[_Edge], first: int = 0) -> list[_Step] | None:
    """The best path through pieces [first, pieces): its steps (start, end, row, digit or -1, counted), in order."""
    best = np.full(pieces + 1, -np.inf)
    best[first] = 0.0
    choice: list[tuple[int, int, int, bool] | None] = [None] * (pieces + 1)  # (start, row, digit or -1, counted)
    for edge in edges:
        if edge.start < first or not np.isfinite(best[edge.start]):
            continue
        digit = int(edge.digit_logs.argmax())
        score, label = max((float(edge.digit_logs[digit]), digit), (edge.mark_log, -1))
        total = best[edge.start] + score
        if total > best[edge.end]:
            best[edge.end], choice[edge.end] = total, (edge.start, edge.row, label, edge.counted)
    if not np.isfinite(best[pieces]):
        return None
    steps = []
    end = pieces
    while end > first:
        step = choice[end]
        assert step is not None  # every end on the best path was reached by some candidate
        start, row, label, counted = step
        steps.append((start, end, row, label, counted))
        end = start
    return steps[::-1]


def _reading_of(word: Word, path: list[_Step], scores: Scores, offset: int, scale: float) -> DigitString | None:
    """The digits a path reads, or None when it drops more than one mark for every two digits: printed text,
    scribbles, a pattern."""
    digits: list[Digit] = []
    spans: list[tuple[int, int]] = []  # the pieces [start, end) each digit was read from
    marks = 0
    for start, end, row, label, counted in path:
        marks += label < 0 and counted
        if label >= 0:
            cand = word.candidates[row - offset]
            digits.append(Digit(str(label), float(scores.digits[row, label]), scaled_box(cand.box, scale)))
            spans.append((start, end))
    if not digits or 2 * marks > len(digits):
        return None
    return DigitString(
        digits=digits, box=union_box([d.box for d in digits]), line=word.line, separators=_placed(word, spans)
    )


def _after_label(
    word: Word,
    path: list[_Step],
    edges: list[_Edge],
    scores: Scores,
    offset: int,
    scale: float,
    letters: int = 0,
) -> tuple[DigitString | None, int]:
    """A page's number written right after a printed label ("DATE", "No."), which the segmenter took into one word:
    read from the first piece after the label's letters (LABEL_MARKS or more marks at the start of the word's best
    `path`, with exactly `letters` of them read as digits), when what follows reads as a number."""
    lead = _label_end(path, letters)
    if lead is None:
        return None, 0
    first = path[lead][0]
    boxes = _piece_boxes(word)
    label_end = max((_along(box, word.direction)[1] for start, box in boxes.items() if start < first), default=None)
    height = word.box[3 - _axis(word.direction)]  # across the way it reads: h along x, w down the page
    if (
        first not in boxes
        or label_end is None
        or _along(boxes[first], word.direction)[0] - label_end < LABEL_GAP * height
    ):
        return None, 0  # no space between: the rest is more of the print
    rest = _best_path(word.pieces, edges, first=first)
    return (None if rest is None else _reading_of(word, rest, scores, offset, scale)), first


def _piece_boxes(word: Word) -> dict[int, Box]:
    """Each piece's own box (on the working page), where a candidate is that piece alone."""
    return {c.start: c.box for c in word.candidates if c.end - c.start == 1}


def _label_end(path: list[_Step], letters: int) -> int | None:
    """The step after a label at the start of `path`: at least LABEL_MARKS marks and exactly `letters` digits
    before the first digit that follows them; None where the path starts otherwise."""
    marks = digits = 0
    for k, step in enumerate(path):
        if step[3] < 0:
            marks += 1
        elif digits == letters:
            return k if marks >= LABEL_MARKS else None
        else:
            digits += 1
    return None


def _reader_is_sure(line: LineReading) -> bool:
    return len(line.text) >= PAGE_READER_ALONE_DIGITS and line.confidence >= PAGE_READER_ALONE


def _cell_reader_alone(word: Word, edges: list[_Edge], line: LineReading) -> bool:
    """Whether a cell's word the classifier dropped is the cell reader's reading (`CELL_READER_ALONE`): not at the
    cell's side, read surely, and some cut of the word reads it with no more marks than a number may have."""
    if not word.cell or word.side or not line.text or line.confidence < CELL_READER_ALONE:
        return False
    return _text_log_likelihood(word.pieces, edges, line.text) > -math.inf


def date_valid(written: str) -> bool | None:
    """Whether a string written as a date (`DATE_SHAPE`: two like separators between groups of 1-2, 1-2 and 2 or 4
    digits) is one of the calendar: day 1-31 and month 1-12 either way round (d/m/y, m/d/y), a year of four digits
    within DATE_YEARS; None where it is written as no date."""
    shape = DATE_SHAPE.fullmatch(written)
    if shape is None:
        return None
    first, second, year = int(shape[1]), int(shape[3]), shape[4]
    calendar = (1 <= first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and 1 <= second <= 31)
    return calendar and (len(year) == 2 or DATE_YEARS[0] <= int(year) <= DATE_YEARS[1])


def as_date(found: DigitString, score: Callable[[str], float]) -> DigitString:
    """A reading written as a date that is none of the calendar ("10/06/2806", "12-72-1999") made the likeliest
    date one digit away (`score`: a text's log-likelihood by the readers, `_joint`), unless that is DATE_MARGIN
    less likely; the digit changed gets the two texts' share of their likelihood as its confidence, and so is
    flagged for review. A code written like a date (a sort code "40-47-84") is no date one digit away, or a
    surely read one. A date read a digit short or long is `_recounted`."""
    valid = date_valid(found.written)
    if valid is None and MISCOUNTED_DATE.fullmatch(found.written):
        return _recounted(found, score)
    if valid is not False:
        return found
    text = found.text
    dates = [
        other
        for i in range(len(text))
        for other in (text[:i] + digit + text[i + 1 :] for digit in "0123456789" if digit != text[i])
        if date_valid(written_with(other, found.separators))
    ]
    if not dates:
        return found
    scores = {other: score(other) for other in dates}
    best = max(dates, key=scores.__getitem__)
    lost = score(text) - scores[best]
    if not math.isfinite(scores[best]) or lost > DATE_MARGIN:
        return found
    share = 1.0 / (1.0 + math.exp(min(lost, 50.0)))
    digits = [Digit(c, share if c != d.char else d.confidence, d.box) for c, d in zip(best, found.digits, strict=True)]
    return DigitString(digits=digits, box=found.box, line=found.line, separators=dict(found.separators))


def _recounted(found: DigitString, score: Callable[[str], float]) -> DigitString:
    """A date read with a digit too few or too many (`MISCOUNTED_DATE`) made the likeliest date of the calendar one
    digit added or left out anywhere, unless that is DATE_MARGIN less likely; an added digit stands in its
    neighbour's box, with the two texts' share of their likelihood as its confidence. A separator read beside the 1
    it belongs after ("18/1/119") is `_slash_beside_one`'s, once separators settle: such a string stays."""
    written = found.written
    if any(date_valid(moved) for moved in _separator_moved(written)):
        return found
    left_out = [written[:at] + written[at + 1 :] for at, char in enumerate(written) if char.isdigit()]
    added = [written[:at] + digit + written[at:] for at in range(len(written) + 1) for digit in "0123456789"]
    dates = dict(unwritten(other) for other in left_out + added if date_valid(other))
    if not dates:
        return found
    scores = {text: score(text) for text in dates}
    best = max(dates, key=scores.__getitem__)
    lost = score(found.text) - scores[best]
    if not math.isfinite(scores[best]) or lost > DATE_MARGIN:
        return found
    old = found.digits
    common = min(len(best), len(old))
    at = next((i for i in range(common) if best[i] != old[i].char), common)
    if len(best) < len(old):  # one left out: where the two texts part
        digits = old[:at] + old[at + 1 :]
    else:  # one added, in the box of the digit beside it
        share = 1.0 / (1.0 + math.exp(min(lost, 50.0)))
        digits = [*old[:at], Digit(best[at], share, old[min(at, len(old) - 1)].box), *old[at:]]
    return DigitString(digits=digits, box=found.box, line=found.line, separators=dates[best])


def _separator_moved(written: str) -> list[str]:
    """A written string with one of its separators moved one digit to either side."""
    moved = []
    for at, char in enumerate(written):
        if not char.isdigit():
            rest = written[:at] + written[at + 1 :]
            moved += [rest[: at + step] + char + rest[at + step :] for step in (-1, 1) if 0 < at + step < len(rest)]
    return moved


def _text_log_likelihood(pieces: int, edges: list[_Edge], text: str, first: int = 0) -> float:
    """The score of the classifier's best path that reads exactly `text` (marks dropped along the way, no more
    than one for every two digits, as `_lattice_reading` allows), starting at piece `first` as `_best_path` does;
    -inf where no cut of the word reads it."""
    n, length = pieces, len(text)
    marks = length // 2  # more marks than that and the reading is dropped: such paths are never kept
    # best[end, j, m]: the best path over pieces [0, end) that read text[:j] and dropped m marks
    best = np.full((n + 1, length + 1, marks + 1), -np.inf)
    best[first, 0, 0] = 0.0  # paths start at piece `first` (after a label); edges before it stay unreachable
    digits = [int(c) for c in text]
    for edge in edges:
        before, after = best[edge.start], best[edge.end]
        if length:  # reading text[j] here, for each j
            np.maximum(after[1:], before[:-1] + edge.digit_logs[digits][:, None], out=after[1:])
        if not edge.counted:
            np.maximum(after, before + edge.mark_log, out=after)
        elif marks:
            np.maximum(after[:, 1:], before[:, :-1] + edge.mark_log, out=after[:, 1:])
    return float(best[n, length].max())


def _placed(word: Word, spans: list[tuple[int, int]]) -> dict[int, str]:
    """Each separator after the digit it follows: only between two digits read (never first or last)."""
    placed: dict[int, str] = {}
    for before, char in word.separators:
        for i in range(len(spans) - 1):
            if spans[i][1] <= before <= spans[i + 1][0]:
                placed.setdefault(i, char)
                break
    return placed


def with_reader(
    found: DigitString,
    word: Word,
    line: LineReading,
    scale: float,
    lattice: Callable[[str], float],
    weight: float = 1.0,
    floor: float = LATTICE_FLOOR,
) -> DigitString:
    """The reading of a word, the classifier's (`found`) or the string reader's (`line`), whichever the two agree
    on more: the one with the higher sum of the reader's log-likelihood (all its alignments, `LineReading.
    log_likelihood`) and the classifier's (its best cut reading that text, `lattice`) times `weight`
    (PAGE_CLASSIFIER_WEIGHT on a page, CELL_CLASSIFIER_WEIGHT in a cell), at least `floor` (PAGE_LATTICE_FLOOR on
    a page, LABEL_FLOOR after a label, CELL_LATTICE_FLOOR in a cell). Where both read the same digits, the surer
    one's confidences are kept. The caller keeps a word the classifier dropped (printed words, marks, patterns: "not
    a digit") dropped, unless the reader reads it surely (`PAGE_READER_ALONE`, `CELL_READER_ALONE`): the reader
    knows only digits and blank, and reads some print and patterns as digits.

    The reader's digits take the classifier's boxes where both read as many digits, else a share of the word's
    box by the column they were read at; separators stay where they were written (between the same digits, or
    between the reader's digits either side of the column they were written at).
    """
    if line.text == found.text:
        if found.confidence > line.confidence:
            return found
    elif _joint(found.text, line, lattice, weight, floor) >= _joint(line.text, line, lattice, weight, floor):
        return found
    if len(found.digits) == len(line.text):
        digits = [Digit(c, p, d.box) for c, p, d in zip(line.text, line.confidences, found.digits, strict=True)]
        return DigitString(digits=digits, box=found.box, line=word.line, separators=dict(found.separators))
    return _reader_reading(word, line, scale)


def _dropped_one(found: DigitString, text: str, ends_only: bool = False) -> int | None:
    """Where the reader's `text` is the classifier's reading with one 1 left out, a 1 the classifier read from a
    thin stroke of the digits' height (`THIN_ONE`, `ONE_HEIGHT`), that 1's place; `ends_only`: first or last.

    On a page the reader drops a thin 1 standing close to its neighbour: its
    blind spot, not a mark. In a register's cell the cell reader, which learnt
    cells' words, leaves out a rule's remnant standing in line beside the
    number, a bar the classifier reads as a 1 (dev cells 65.67 -> 66.67 %,
    bench cells 64.7 -> 65.0 %, at a width of 0.3 to 0.5 alike). A check's
    amount is cut tight, and its first 1 may stand apart: the reader dropped
    a real one there ("15000"), so the cells' rule takes tall crops only.
    """
    places = _left_out(found.text, text, ends_only)
    heights = sorted(d.box[3] for d in found.digits) if places else [0]
    median = heights[len(heights) // 2]
    for i in places:
        digit = found.digits[i]
        if found.text[i] == "1" and digit.box[2] <= THIN_ONE * digit.box[3] and digit.box[3] >= ONE_HEIGHT * median:
            return i
    return None


def _short_end(found: DigitString, text: str) -> int | None:
    """Where the reader's `text` is the classifier's reading with its first or last digit left out, and that digit
    is under SHORT_END of the others' median height (a mark read as a digit), its place."""
    for i in _left_out(found.text, text, ends_only=True) if text else ():
        heights = sorted(d.box[3] for k, d in enumerate(found.digits) if k != i)
        if found.digits[i].box[3] < SHORT_END * heights[len(heights) // 2]:
            return i
    return None


def _left_out(read: str, text: str, ends_only: bool) -> list[int]:
    """The places of `read` (first or last only, where `ends_only`) whose digit left out gives `text`."""
    if len(read) != len(text) + 1:
        return []
    places = (0, len(read) - 1) if ends_only else range(len(read))
    return [i for i in places if read[:i] + read[i + 1 :] == text]


def _without(found: DigitString, drop: int, line: LineReading) -> DigitString:
    """The classifier's reading less its digit `drop` (first or last), with the reader's confidences and the
    classifier's boxes; its separators stay between the same digits."""
    kept = [d for k, d in enumerate(found.digits) if k != drop]
    digits = [Digit(c, p, d.box) for c, p, d in zip(line.text, line.confidences, kept, strict=True)]
    moved = {k - (k > drop): char for k, char in found.separators.items() if k != drop}  # after the same digit
    separators = {k: char for k, char in moved.items() if k < len(kept) - 1}  # none may end the string
    return DigitString(digits=digits, box=union_box([d.box for d in kept]), line=found.line, separators=separators)


def _reader_reading(word: Word, line: LineReading, scale: float) -> DigitString:
    """The string reader's digits, each in a share of the word's box by the column it was read at, and the word's
    separators between the digits read either side of where they were written (a word the classifier took for
    print, "TOTAL 51.74", or read with another count of digits)."""
    box = scaled_box(word.box, scale)
    middles = [_on_page(box, column, line, word.direction) for column in line.columns]
    digits = [
        Digit(c, p, _share(box, middle, len(line.text), word.direction))
        for c, p, middle in zip(line.text, line.confidences, middles, strict=True)
    ]
    read = DigitString(digits=digits, box=union_box([d.box for d in digits]), line=word.line)
    read.separators = _written_between(word, middles, scale)
    return read


def _written_between(word: Word, middles: list[float], scale: float) -> dict[int, str]:
    """The word's separators, each after the last of the digits read at `middles` (along the page's axis nearest
    the way it reads) that lies before it: the middle of the gap between the pieces written either side of it."""
    axis = _axis(word.direction)
    sign = 1 if word.direction[axis] > 0 else -1
    pieces = {k: _along(scaled_box(box, scale), word.direction) for k, box in _piece_boxes(word).items()}
    placed: dict[int, str] = {}
    for before, char in word.separators:
        if before - 1 in pieces and before in pieces:
            at = (pieces[before - 1][1] + pieces[before][0]) / 2
            after = sum(sign * m < at for m in middles)
            if 0 < after < len(middles):
                placed.setdefault(after - 1, char)
    return placed


def _joint(text: str, line: LineReading, lattice: Callable[[str], float], weight: float, floor: float) -> float:
    """How well `text` fits both readers: log P(text | the line) + weight x log P(text | the classifier's cuts),
    the latter at least `floor`."""
    return line.log_likelihood(text) + max(weight * lattice(text), floor)


def _share(box: Box, middle: float, count: int, direction: tuple[float, float]) -> Box:
    """The part of a word's box a digit read at `middle` (`_on_page`) stands in, one of `count`: one digit's width
    around it, along the way the word reads on the page (`Word.direction`: a turned page's run down or back across
    it)."""
    axis = _axis(direction)
    start, length = box[axis], box[axis + 2]
    width = length / max(1, count)
    shared = list(box)
    shared[axis] = round(min(max(start, middle - width / 2), start + length - width))
    shared[axis + 2] = max(1, round(width))
    return (shared[0], shared[1], shared[2], shared[3])


def _on_page(box: Box, column: float, line: LineReading, direction: tuple[float, float]) -> float:
    """Where a `column` of a word's line lies on the page, along the page's axis nearest the way it reads."""
    axis = _axis(direction)
    share = (column - LINE_PAD) / max(1.0, line.width - 2 * LINE_PAD)
    return box[axis] + (share if direction[axis] > 0 else 1 - share) * box[axis + 2]


def height_across(box: Box, direction: tuple[float, float]) -> int:
    """How tall a box on the page stands across the way its word reads (`_axis`): its height, or its width on a page
    turned a quarter, whose words read down it (a turned cut's boxes are mapped back to the page as given). A tilt's
    few degrees are left in, as the kin rule's constants were chosen: undone from the box, the rounding of glyphs 20
    px tall spread their heights, and two printed words of tilted pages were read as numbers (64th session)."""
    return box[3] if _axis(direction) == 0 else box[2]


def _axis(direction: tuple[float, float]) -> int:
    """The page's axis (0: x, 1: y) nearest to the way a word reads."""
    return 0 if abs(direction[0]) >= abs(direction[1]) else 1


def _along(box: Box, direction: tuple[float, float]) -> tuple[float, float]:
    """Where a box starts and ends along the way its word reads (`_axis`; negated where it reads backwards)."""
    axis = _axis(direction)
    start, end = box[axis], box[axis] + box[axis + 2]
    return (start, end) if direction[axis] > 0 else (-end, -start)


def assemble(
    words: list[Word], scores: Scores, scale: float, lines: list[LineReading] | None = None
) -> list[DigitString]:
    """Read every word of a page; `scores` rows follow the words' candidates in order; `lines`: the string
    reader's reading of each word (none: the classifier's readings alone)."""
    read, offset = [], 0
    for n, word in enumerate(words):
        found, first = _word_reading(word, scores, offset, scale, lines[n] if lines else None)
        printed = found is not None and _printed(word, scores, offset, first)
        read.append((found, printed, _type_look(word, scores, offset)))
        offset += len(word.candidates)
    kin = [look.height for found, printed, look in read if printed and look is not None]
    return [
        _separators_settled(found)
        for found, printed, look in read
        if found is not None and not printed and not _print_kin(look, kin)
    ]


@dataclass(frozen=True)
class TypeLook:
    """How a page word's glyphs look beside print (`_type_look`)."""

    height: float  # their median height, in the page's pixels
    printed: float  # their mean probability of print by the detector, 1s and all
    spread: float  # how far their heights range, of that median (0 for one glyph)


def _type_look(word: Word, scores: Scores, offset: int) -> TypeLook | None:
    """A page word's `TypeLook`; None for a crop's, or where the print detector looked at none of its glyphs."""
    if word.crop or scores.printed is None:
        return None
    glyphs = np.array(word.single_pieces(), np.intp)
    printed = scores.printed[offset + glyphs]
    looked = ~np.isnan(printed)
    if not looked.any():
        return None
    heights = np.array([height_across(word.candidates[i].box, word.direction) for i in glyphs[looked]], np.float64)
    height = float(np.median(heights))
    return TypeLook(height, float(printed[looked].mean()), float(np.ptp(heights)) / max(height, 1.0))


def _print_kin(look: TypeLook | None, kin: list[float]) -> bool:
    """Whether a page word not judged print (`_printed`) is print by its kin (`kin`: the heights of the reading's
    words that are): its glyphs as tall as PRINT_KIN_WORDS of them or more, within PRINT_KIN_HEIGHT, as tall as
    each other (PRINT_KIN_SPREAD) and printed by the detector on their mean, 1s and all (PRINT_KIN_MEAN)."""
    if look is None or look.printed < PRINT_KIN_MEAN or look.spread > PRINT_KIN_SPREAD:
        return False
    return sum(abs(look.height - other) <= PRINT_KIN_HEIGHT * other for other in kin) >= PRINT_KIN_WORDS


def _printed(word: Word, scores: Scores, offset: int, first: int = 0) -> bool:
    """Whether a page's word is print by the print detector (`Scores.printed`), its glyphs as they stand or all
    turned half a turn (`Scores.printed_turned`): PRINTED_GLYPHS or more glyphs whose mean probability of being
    printed is over PRINTED_WORD, leaving out those the classifier reads as 1 (a bar, in type or by hand: the
    handwritten lines a first rule lost held them, "1992", "11161", "111211"). A number read after a label (from
    piece `first`) is a pen's where PRINTED_GLYPHS or more glyphs of its own, 1s and all, are each surely one
    (`PEN_GLYPH`)."""
    if word.crop or scores.printed is None:
        return False
    glyphs = word.single_pieces()
    rows = np.array([offset + i for i in glyphs], np.intp)
    digits = scores.digits[rows]
    ones = (digits.argmax(axis=1) == 1) & (digits.max(axis=1, initial=0) > scores.reject[rows])
    number = rows[[word.candidates[i].start >= first for i in glyphs]] if first else None
    ways = ((scores.printed, PRINTED_GLYPHS), (scores.printed_turned, TURNED_GLYPHS))
    return any(
        printed is not None and _print_by(printed[rows][~ones], None if number is None else printed[number], least)
        for printed, least in ways
    )


def _print_by(looked: np.ndarray, number: np.ndarray | None, least: int) -> bool:
    """One way up's verdict (`_printed`): `looked`, its glyphs' probabilities less the 1s', over PRINTED_WORD on
    average on `least` of them or more; `number`, those of a number read after a label, not each surely a pen's."""
    looked = looked[~np.isnan(looked)]
    if len(looked) < least or float(looked.mean()) <= PRINTED_WORD:
        return False
    return number is None or len(number) < PRINTED_GLYPHS or not bool((number < PEN_GLYPH).all())  # NaN: no pen's


def _separators_settled(found: DigitString) -> DigitString:
    """A reading's separators as a date's or an amount's: a date's slashes read as 1s made slashes, a slash moved
    across the 1 beside it, a date's lost second separator given back (a point's too, where no amount could have
    it), then a lone point dropped, and a point that alone makes the string no date nor amount."""
    settled = _slash_beside_one(_slashes_read_as_ones(found))
    return _without_stray_point(_without_lone_point(_date_completed(settled)))


def _slashes_read_as_ones(found: DigitString) -> DigitString:
    """A string of digits alone whose two 1s taken for slashes make exactly one date of the calendar, that in an
    unmistakable form (a four-digit year, or a day or month with a leading zero), read as that date: those two
    digits become its slashes."""
    text = found.text
    if found.separators or len(text) < DATE_DIGITS_MIN + 2:
        return found
    ones = [k for k, char in enumerate(text) if char == "1" and 0 < k < len(text) - 1]
    dates = [
        (a, b)
        for a, b in itertools.combinations(ones, 2)
        if b > a + 1 and _unmistakable_date(text[:a] + "/" + text[a + 1 : b] + "/" + text[b + 1 :])
    ]
    if len(dates) != 1:
        return found
    [(a, b)] = dates
    kept = [d for k, d in enumerate(found.digits) if k not in (a, b)]
    box = union_box([d.box for d in kept])
    return DigitString(digits=kept, box=box, line=found.line, separators={a - 1: "/", b - 2: "/"})


def _unmistakable_date(written: str) -> bool:
    """Whether a string is a date of the calendar (`date_valid`) with a four-digit year, or a day or month written
    with a leading zero."""
    shape = DATE_SHAPE.fullmatch(written)
    if shape is None or not date_valid(written):
        return False
    return len(shape[4]) == 4 or shape[1].startswith("0") or shape[3].startswith("0")


def _without_lone_point(found: DigitString) -> DigitString:
    """A string's only separator, a point or comma with LONE_POINT_DIGITS digits or more after it, left out: no
    decimal point (money has two digits after it) nor a thousands' group (three), but a speck on the baseline;
    unless it parts a month from a year ("7.2023")."""
    if _lone_point(found):
        found.separators = {}
    return found


def _without_stray_point(found: DigitString) -> DigitString:
    """A string of two separators or more, written as no date nor amount (`AMOUNT_SHAPE`), without the one point
    or comma whose removal makes it one, where no other's does: a speck read as a point."""
    if len(found.separators) < 2 or _shaped(found.written):
        return found
    fewer = [
        {k: c for k, c in found.separators.items() if k != at} for at, char in found.separators.items() if char in ".,"
    ]
    fits = [less for less in fewer if _shaped(written_with(found.text, less))]
    if len(fits) == 1:
        found.separators = fits[0]
    return found


def _shaped(written: str) -> bool:
    """Whether a string is written as a date or an amount (`DATE_SHAPE`, `AMOUNT_SHAPE`)."""
    return bool(DATE_SHAPE.fullmatch(written) or AMOUNT_SHAPE.fullmatch(written))


def _lone_point(found: DigitString) -> bool:
    """Whether a string's only separator is a point or comma that is no decimal point nor a thousands' group, nor
    parts a month from a year (`_without_lone_point`)."""
    if len(found.separators) != 1:
        return False
    [(after, char)] = found.separators.items()
    month, year = found.text[: after + 1], found.text[after + 1 :]
    return char in ".," and len(year) >= LONE_POINT_DIGITS and not _month_year(month, year)


def _slash_beside_one(found: DigitString) -> DigitString:
    """A date's slash taken on the wrong one of two leaning strokes, a 1 beside it ("19/12/99" read "191/2/99": the
    slash read as the 1 and the 1 as the slash; its digits are right): where the string's two slashes split it
    into no date's groups, or into no date of the calendar ("5/12/99" read "51/2/99"; since the fiftieth session,
    dev pages +1 -0), and moving one of them across the 1 beside it makes exactly one date of the calendar, it is
    moved. The digits stay as read."""
    text = found.text
    if list(found.separators.values()) != ["/", "/"] or date_valid(found.written):
        return found
    moved = []
    for at in found.separators:
        for to, one in ((at - 1, at), (at + 1, at + 1)):
            seps = {k: "/" for k in found.separators if k != at} | {to: "/"}
            if text[one] == "1" and 0 <= to < len(text) - 1 and len(seps) == 2 and date_valid(written_with(text, seps)):
                moved.append(seps)
    if len(moved) == 1:
        found.separators = moved[0]
    return found


def _month_year(month: str, year: str) -> bool:
    """Whether digits before and after a point are a month and a year ("7.2023")."""
    return len(month) <= 2 and 1 <= int(month) <= 12 and DATE_YEARS[0] <= int(year) <= DATE_YEARS[1]


def _date_completed(found: DigitString) -> DigitString:
    """A string with one dash or slash whose digits make exactly one date of the calendar with a second (`date_valid`:
    "19-1018" as 19-10-18), given it, where its digits stand apart there as a separator spaces them: by at least
    DATE_SPACE of the extra space the found one makes between its digits (or of DATE_SPACE_MIN of their height, if
    more), against their other steps. A separator lost to the threshold, or joined to a digit, still spaces them;
    "7/2019" (month and year: no wider step at 7/20/19) stays. A point is completed so only where it is no
    amount's (`_lone_point`: "24.92017", its second point lost on a ruled line); else it is dropped after."""
    if len(found.separators) != 1 or len(found.digits) < DATE_DIGITS_MIN:
        return found
    [(found_at, char)] = found.separators.items()
    if char not in "-/" and not (char == "." and _lone_point(found)):
        return found  # an amount's point: "85.90" would be 8.5.90 wherever its 8 and 5 stand a little apart
    text = found.text
    places = [
        at
        for at in range(len(text) - 1)
        if at != found_at and date_valid(written_with(text, {found_at: char, at: char}))
    ]
    if len(places) != 1:
        return found
    [at] = places
    steps = _steps(found.digits)
    usual = sorted(step for k, step in enumerate(steps) if k not in (at, found_at))
    if not usual:
        return found
    step = usual[len(usual) // 2]
    height = sorted(max(d.box[2:]) for d in found.digits)[len(found.digits) // 2]
    if steps[at] - step >= DATE_SPACE * max(steps[found_at] - step, DATE_SPACE_MIN * height):
        found.separators = {found_at: char, at: char}
    return found


def _steps(digits: list[Digit]) -> list[float]:
    """How far each digit's middle stands from the next one's, along the line from the first digit to the last."""
    middles = np.array([(d.box[0] + d.box[2] / 2, d.box[1] + d.box[3] / 2) for d in digits], float)
    way = middles[-1] - middles[0]
    along = middles @ (way / (np.linalg.norm(way) or 1.0))
    return np.diff(along).tolist()


# Of dev pages' (seeds 5000 / 7000 / 9000) 208 whose two turns read differently well, the digits' mean
# log-confidence alone chose the wrong turn of 2 (the closest right choice won by 0.004), the string reader's mean
# alone none (the closest by 0.157), their sum none (the closest by 0.133). On the bench's pages (seed 1600) the
# reader's alone turned one form upside down, by 0.055, that the sum reads upright.
Evidence = tuple[float, float, int]
"""A reading's `orientation_evidence`: the readers' mean log-confidence, the digits' alone, its print's way up."""


def orientation_evidence(
    strings: list[DigitString], lines: list[LineReading] | None = None, print_way: int = 0
) -> Evidence:
    """How surely a page was read the right way up, to compare its turns by: the mean log-confidence of the digits
    read plus the string reader's over the words it read digits in (`lines`, its readings of the turn's words;
    -inf: nothing read), then the digits' alone to break a tie; and the way its print stands (`print_upright`),
    which decides between two ways up read within PRINT_TIE of each other (`pipeline`).

    Upside down, the 0s, 1s and 8s stay sure, but the other digits are read
    unsure and rules and separators become extra 1s; the right way up, nearly
    every digit is sure. A sum would favour the reading with more digits,
    which upside-down junk often has (committed pages: 7 of 18 read the wrong
    way up with a sum of confidences, none with the mean of their logs). The
    reader, which sees each word whole, tells the turns apart more surely than
    the digits kept.
    """
    digits = _mean_log([d.confidence for s in strings for d in s.digits])
    if lines is None:
        return digits, digits, print_way
    return digits + _mean_log([line.confidence for line in lines if line.text]), digits, print_way


# Of a page's two ways up, the readers' surer one is kept (`orientation_evidence`); where the two stand within
# PRINT_TIE of each other, the way up its print stands decides, where its glyphs read surely as print (PRINT_SURE by
# the print detector, under PRINT_UNSURE turned) one way up outnumber those the other way by PRINT_WAY or more
# between the two readings. Upside down the readers are sometimes the surer (0, 1, 6, 8, 9 turn into digits): of
# 1,538 pairs of readings of 19 page sets that match different numbers of true lines, they kept the worse of 9 (20
# lines), forms, checks, dated pages and notebooks, all within 0.25; with the print at 8, of 5 (12 lines), none
# turned by the print; at 3 to 6 (3 was chosen first, on 910 of the pairs), a dated page's few handwritten glyphs that
# look printed turned misled it twice. 150 fresh pages made after (seeds 210000 / 211000): unchanged. Handwritten
# digits turned often look printed to the detector: the print alone is no evidence (bench/README.md, 62nd session).
PRINT_TIE = 0.25
PRINT_WAY = 8
PRINT_SURE = 0.85
PRINT_UNSURE = 0.5


def print_upright(scores: Scores) -> int:
    """How many more of a reading's glyphs the print detector surely takes for print as they stand than turned
    half a turn (`Scores.printed`, `Scores.printed_turned`; NaN where it did not look): 0 without it."""
    if scores.printed is None or scores.printed_turned is None:
        return 0
    upright = (scores.printed >= PRINT_SURE) & (scores.printed_turned < PRINT_UNSURE)
    turned = (scores.printed_turned >= PRINT_SURE) & (scores.printed < PRINT_UNSURE)
    return int(np.count_nonzero(upright)) - int(np.count_nonzero(turned))


def surer_way(evidence: Evidence, than: Evidence) -> bool:
    """Whether a cut read one way up is surer than the same cut read another: by the readers, unless the two stand
    within PRINT_TIE and PRINT_WAY more glyphs read as print one way up."""
    if abs(evidence[0] - than[0]) < PRINT_TIE and abs(evidence[2] - than[2]) >= PRINT_WAY:
        return evidence[2] > than[2]
    return evidence > than


# A page whose quarter turn is unsure is cut both ways (`segment.page_cuts`). Cut across its writing, its lines run
# down: each string read is a digit or two, and such junk can read surer than the right cut with one line misread
# (a dated page, dev seed 53000: -0.53 against -0.66). Of 20 dev pages cut both ways (seeds 1600, 43000, 52000, 53000,
# 60000), the right cut's strings held 2.3 to 6.5 digits on the mean, the wrong cut's 0 to 1.5; the evidence alone
# chose the wrong cut of 1, with the log of the mean added none (the closest by 0.44).
def quarter_evidence(evidence: Evidence, strings: list[DigitString]) -> float:
    """How surely a page was cut along its writing, to compare its cuts at two quarter turns by: the chosen
    reading's `orientation_evidence` plus the log of its strings' mean length in digits (-inf: nothing read)."""
    if not strings:
        return -math.inf
    return evidence[0] + math.log(float(np.mean([len(s.digits) for s in strings])))


def _mean_log(confidences: list[float]) -> float:
    return float(np.mean(np.log(np.asarray(confidences) + EPS))) if confidences else -math.inf
