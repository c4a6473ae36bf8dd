"""Split decoded CSV bytes into records, knowing where each record starts.

Polars parses fast but pads short rows, cannot name the line of a ragged row and mis-parses
stray quotes, so the record structure is worked out here first:

* the **fast path** finds record and cell boundaries for the whole file at once with NumPy
  (a quote toggles "inside quotes", so a newline or delimiter is structural when an even number
  of quotes precede it), sets aside the records that are blank or broken, and hands only the
  well-formed ones to Polars;
* the **exact path** (Python's ``csv`` module in strict mode, record by record) takes over when
  the quotes in the file do not follow RFC 4180, where quote parity would mislead.

Both give the same :class:`Records`; a property test holds them to that.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

ROW = "__row"
LINE = "__line"
DEFECT = "__defect"
RAW = "__raw"
NOTE = "__note"

_QUOTE, _LF, _CR, _NUL = 34, 10, 13, 0


def column_name(index: int) -> str:
    """Internal name of the column at ``index``: headers may repeat or be blank, these never do.

    >>> column_name(0)
    'c0'
    """
    return f"c{index}"


@dataclass(frozen=True)
class Records:
    """The header and every data record of a file.

    ``frame`` has one String column per header cell (``c0``, ``c1``...; empty cells are ``""``),
    plus ``__row`` (1-based data row), ``__line`` (physical line where the record starts),
    ``__defect`` (a structural problem code, or null), and for defective records only
    ``__raw`` (the record's text as written) and ``__note`` (what is wrong, in words).
    """

    header: list[str]
    header_line: int
    frame: pl.DataFrame


class NoHeaderError(Exception):
    """The text holds no record at all."""


def split_records(data: bytes, delimiter: str) -> Records:
    """Split UTF-8 ``data`` (no BOM, LF or CRLF line ends) into a header and data records.

    >>> r = split_records(b'Name,Mobile Number\\n"Doe, J",+919876543210\\n', ",")
    >>> r.header, r.frame.select("c0", "__line").rows()
    (['Name', 'Mobile Number'], [('Doe, J', 2)])
    """
    fast = _split_fast(data, delimiter)
    return fast if fast is not None else _split_exact(data, delimiter)


def _empty_frame(width: int) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {column_name(i): pl.String() for i in range(width)}
    schema |= {
        ROW: pl.UInt32(),
        LINE: pl.UInt32(),
        DEFECT: pl.String(),
        RAW: pl.String(),
        NOTE: pl.String(),
    }
    return pl.DataFrame(schema=schema)


def _defect_frame(
    width: int,
    cells: list[list[str]],
    rows: list[int],
    lines: list[int],
    defects: list[str],
    raws: list[str],
) -> pl.DataFrame:
    """Rows for records set aside: cells padded or cut to the header's width."""
    fitted = [(c + [""] * width)[:width] for c in cells]
    data: dict[str, list[Any]] = {column_name(i): [c[i] for c in fitted] for i in range(width)}
    notes = [_note(d, len(c), width) for d, c in zip(defects, cells, strict=True)]
    data |= {
        ROW: list(rows),
        LINE: list(lines),
        DEFECT: list(defects),
        RAW: list(raws),
        NOTE: notes,
    }
    return pl.DataFrame(data, schema=_empty_frame(width).schema)


def _note(defect: str, cells: int, width: int) -> str:
    if defect == "wrong_cell_count":
        return f"record has {cells} cells but the header has {width}"
    if defect == "nul_byte":
        return "record contains NUL bytes"
    if defect == "unterminated_quote":
        return "a quoted value opened in this record is never closed"
    return "a quote appears where CSV does not allow one"


def _parse_one(text: str, delimiter: str) -> list[str]:
    """Cells of one record, leniently: used for display of records already known broken."""
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False), [])


def _split_fast(data: bytes, delimiter: str) -> Records | None:
    a = np.frombuffer(data, dtype=np.uint8)
    n = a.size
    d = ord(delimiter)
    quotes = np.flatnonzero(a == _QUOTE)
    if quotes.size % 2:
        return None  # an unclosed quote somewhere: the exact path names the record
    if quotes.size and not _quotes_are_rfc4180(a, quotes, d):
        return None
    crs = np.flatnonzero(a == _CR)
    if crs.size and not np.all((crs + 1 < n) & (a[np.minimum(crs + 1, n - 1)] == _LF)):
        return None  # a lone CR (mixed line ends): leave it to the exact path

    def outside(pos: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        kept: npt.NDArray[np.intp] = pos[np.searchsorted(quotes, pos) % 2 == 0]
        return kept

    lfs = np.flatnonzero(a == _LF)
    breaks = outside(lfs)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [n]))
    if starts[-1] == n:  # the file ends with a line break
        starts, ends = starts[:-1], ends[:-1]
    content_end = ends - ((ends > starts) & (a[np.maximum(ends - 1, 0)] == _CR))
    blank = content_end == starts
    delims = outside(np.flatnonzero(a == d))
    cells = np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1
    lines = np.searchsorted(lfs, starts) + 1
    nul = np.zeros(starts.size, dtype=bool)
    nuls = np.flatnonzero(a == _NUL)
    if nuls.size:
        nul[np.searchsorted(starts, nuls, side="right") - 1] = True

    records = np.flatnonzero(~blank)
    if records.size == 0:
        raise NoHeaderError
    h = records[0]
    if nul[h]:
        return None
    header_text = data[starts[h] : content_end[h]].decode("utf-8")
    header = _parse_one(header_text, delimiter)
    width = len(header)
    body = records[1:]
    row_numbers = np.arange(1, body.size + 1, dtype=np.int64)
    good_mask = (cells[body] == width) & ~nul[body]
    good, bad = body[good_mask], body[~good_mask]

    if good.size == 0:
        frame = _empty_frame(width)
    else:
        if bad.size == 0 and good.size == body.size and np.all(~blank[h + 1 :]):
            buf = data[int(starts[good[0]]) :]
        else:
            marks = np.zeros(n + 2, dtype=np.int32)
            np.add.at(marks, starts[good], 1)
            np.add.at(marks, ends[good] + 1, -1)
            buf = a[np.cumsum(marks)[:n] > 0].tobytes()
        try:
            frame = pl.read_csv(
                buf,
                has_header=False,
                separator=delimiter,
                quote_char='"',
                schema={column_name(i): pl.String() for i in range(width)},
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError:
            return None
        if frame.height != good.size:
            return None  # defensive: never trust a parse whose row count disagrees
        frame = frame.fill_null("").with_columns(
            pl.Series(ROW, row_numbers[good_mask], dtype=pl.UInt32),
            pl.Series(LINE, lines[good], dtype=pl.UInt32),
            pl.lit(None, dtype=pl.String).alias(DEFECT),
            pl.lit(None, dtype=pl.String).alias(RAW),
            pl.lit(None, dtype=pl.String).alias(NOTE),
        )
    if bad.size:
        texts = [data[int(starts[i]) : int(content_end[i])].decode("utf-8") for i in bad]
        broken = _defect_frame(
            width,
            [_parse_one(t, delimiter) for t in texts],
            row_numbers[~good_mask].tolist(),
            lines[bad].tolist(),
            ["nul_byte" if nul[i] else "wrong_cell_count" for i in bad],
            texts,
        )
        frame = pl.concat([frame, broken]).sort(ROW)
    return Records(header=header, header_line=int(lines[h]), frame=frame)


def _quotes_are_rfc4180(a: npt.NDArray[np.uint8], quotes: npt.NDArray[np.intp], d: int) -> bool:
    """True when every quote opens at a field start and closes at a field end.

    Quotes alternate opener, closer, opener...; an escaped quote ``""`` inside a quoted value is
    a closer immediately followed by an opener, which is allowed.
    """
    n = a.size
    openers, closers = quotes[0::2], quotes[1::2]
    before = a[np.maximum(openers - 1, 0)]
    reopened = np.concatenate(([False], closers[:-1] == openers[1:] - 1))
    open_ok = (openers == 0) | (before == d) | (before == _LF) | (before == _CR) | reopened
    after = a[np.minimum(closers + 1, n - 1)]
    escaped = np.concatenate((closers[:-1] + 1 == openers[1:], [False]))
    close_ok = (closers == n - 1) | (after == d) | (after == _LF) | (after == _CR) | escaped
    return bool(np.all(open_ok) and np.all(close_ok))


def _split_exact(data: bytes, delimiter: str) -> Records:
    text = data.decode("utf-8")
    consumed: list[str] = []

    def physical_lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(physical_lines(), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 0
    width = 0
    good: dict[str, list[Any]] = {}
    defects: dict[str, list[Any]] = {
        "cells": [],
        "rows": [],
        "lines": [],
        "defects": [],
        "raws": [],
    }
    row = 0
    while True:
        start_line = reader.line_num + 1
        consumed.clear()
        defect: str | None = None
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            defect = "unterminated_quote" if "end of data" in str(e) else "malformed_quotes"
            record = []
        raw = "".join(consumed).rstrip("\r\n")
        if defect is None and not record:
            continue  # a blank line is not a record
        if header is None:
            if defect is not None or "\0" in raw:
                # a header that cannot be parsed: treat every cell as text, lenient parse
                record = _parse_one(raw.replace("\0", ""), delimiter)
            header, header_line, width = record, start_line, len(record)
            good = {column_name(i): [] for i in range(width)} | {ROW: [], LINE: []}
            continue
        row += 1
        if defect is None and "\0" in raw:
            defect = "nul_byte"
        if defect is None and len(record) != width:
            defect = "wrong_cell_count"
        if defect is None:
            for i, value in enumerate(record):
                good[column_name(i)].append(value)
            good[ROW].append(row)
            good[LINE].append(start_line)
        else:
            defects["cells"].append(record or _parse_one(raw, delimiter))
            defects["rows"].append(row)
            defects["lines"].append(start_line)
            defects["defects"].append(defect)
            defects["raws"].append(raw)
    if header is None:
        raise NoHeaderError
    schema = _empty_frame(width).schema
    frame = pl.DataFrame(good, schema={k: v for k, v in schema.items() if k in good}).with_columns(
        pl.lit(None, dtype=pl.String).alias(DEFECT),
        pl.lit(None, dtype=pl.String).alias(RAW),
        pl.lit(None, dtype=pl.String).alias(NOTE),
    )
    if defects["rows"]:
        broken = _defect_frame(width, *defects.values())
        frame = pl.concat([frame, broken]).sort(ROW)
    return Records(header=header, header_line=header_line, frame=frame)
