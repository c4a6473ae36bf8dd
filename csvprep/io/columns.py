"""Every internal column name of csvprep's frames, in one place.

A file's own columns are named ``c0``, ``c1``... (:func:`csvprep.io.records.column_name`), so a
name starting with ``__`` never clashes with one of them: csvprep's own bookkeeping columns all
start so, and none of them ever reaches a public return value (``csvprep.check()`` renames what
it shows, see :mod:`csvprep.pipeline.validation`). The phone answers' columns (``__phone_e164``,
``__phone_type``...) are defined beside the engines that make them, in
:mod:`csvprep.phones.metadata`, and reached as ``phones.E164``, ``phones.TYPE``...

>>> all(name.startswith(INTERNAL) for name in (ROW, LINE, STATUS, ERROR, KEY))
True
"""

from __future__ import annotations

import polars as pl

# the prefix every internal column starts with
INTERNAL = "__"

# --- a read table (io.records, io.reading): every record's place and structure --------------
ROW = "__row"  # 1-based data row
LINE = "__line"  # physical line where the record starts
DEFECT = "__defect"  # a structural problem code, or null
RAW = "__raw"  # a defective record's text as written
NOTE = "__note"  # what is wrong with a defective record, in words

# --- a checked batch (pipeline.validation) ---------------------------------------------------
STATUS = "__status"  # valid, invalid, duplicate or excluded
ERROR = "__error"  # the row is invalid
EXCLUDED = "__excluded"  # the row's number is on the suppression list
DEFECT_ROW = "__defect_row"  # the record is broken (DEFECT is set)
EMPTY_ROW = "__empty_row"  # every cell is blank (and the record is not broken)
LIVE = "__live"  # neither: the row's cells are checked

# --- duplicates and the breakdown (pipeline.validation) --------------------------------------
KEY = "__key"  # a valid number as an integer: the duplicate key
FIRST_LINE = "__first_line"  # the line of the first row with a repeated number
EARLIER = "__earlier"  # that line, where an earlier batch had the number
REPEAT = "__repeat"  # the row's number is on an earlier row
REGION = "__region"  # a valid number's region
NUMBER_TYPE = "__type"  # a valid number's type
UNIQUE_VALUE = "__value"  # a filled value of a ``unique`` rule's column

# --- blank cells, one row per blank cell (pipeline.validation) -------------------------------
CELL = "__cell"  # the cell's column, by position
AT = "__at"  # the cell's row, by position in the batch

# --- calling hours (checks.calling_hours) ----------------------------------------------------
ZONES = "__time_zones"  # a number's time zones, joined with "&"
LOCAL_WINDOW = "__local_window"  # the local hours a number would be rung at, when outside
GEOGRAPHICAL = "__geo"  # the number type is tied to a place
COUNTRY_ZONES = "__country_zones"  # the time zones of the whole calling code

# --- column rules (checks.rules): shared per-column helpers, one per column and parse --------
RULE_EMPTY = "__empty_"  # + the column: its value is blank
RULE_PARSED = "__parsed_"  # + the column, type and format: its value parsed

# --- the problem frame: one row per problem found on a row, in row order ---------------------
# (public column names: ``Checked.problems`` is handed out as it is)
PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    ROW: pl.UInt32(),
    LINE: pl.UInt32(),
    "column": pl.String(),  # the header of the column, or null
    "code": pl.String(),  # a code of csvprep.problems.CODES
    "value": pl.String(),  # the value as shown (cut to SHOWN_CHARS)
    "message": pl.String(),
    "level": pl.String(),  # null, or "warning" where a rule lowers an error
    "order": pl.UInt16(),  # the check that found it: a row's problems come in this order
}
