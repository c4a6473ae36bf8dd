"""Split decoded CSV bytes into records, knowing where each record starts.

Polars parses fast but pads short rows, cannot name the line of a ragged row and mis-parses
stray quotes, so the record structure is worked out here first:

* the **fast path** reads the physical lines with Polars and works on them as columns: a line
  with an odd number of quotes toggles "inside quotes", so records are runs of lines; each
  record's quotes must follow RFC 4180 and its delimiters outside quotes give its cell count.
  Blank and broken records are set aside and only the well-formed ones are handed to Polars'
  CSV parser;
* the **exact path** (Python's ``csv`` module in strict mode, record by record) takes over when
  the quotes in the file do not follow RFC 4180, where quote parity would mislead.

Both give the same :class:`Records`; a property test holds them to that.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any, Literal, NamedTuple, overload

import polars as pl

from .columns import DEFECT, LINE, NOTE, RAW, ROW


def column_name(index: int) -> str:
    """Internal name of the column at ``index``: headers may repeat or be blank, these never do.

    >>> column_name(0)
    'c0'
    """
    return f"c{index}"


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class Records(NamedTuple):
    """The header and every data record of a file.

    ``frame`` has one String column per header cell (``c0``, ``c1``...; empty cells are ``""``),
    plus ``ROW`` (1-based data row), ``LINE`` (physical line where the record starts),
    ``DEFECT`` (a structural problem code, or null), and for defective records only
    ``RAW`` (the record's text as written) and ``NOTE`` (what is wrong, in words): the
    internal names of :mod:`csvprep.io.columns`.
    ``line_ends`` counts the line ends of the whole text (blank lines too).
    """

    header: list[str]
    header_line: int
    frame: pl.DataFrame
    line_ends: int


# zlib headers (0x78 then a check byte) and gzip: Polars decompresses input that starts so
# wider records are checked by counting cells instead of one regex of that many fields
_EXACT_WIDTH = 200

_COMPRESSED = {b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x1f\x8b"}
_BOM = "\ufeff"


# Python's csv module refuses a field over 128 KiB (an error, not a record); the fast path
# has no such limit, and both must read a file alike. Values over csvprep's own limit are
# reported on their row (csvprep.io.reading.MAX_VALUE_BYTES). Only ever raised, process-wide.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


class NoHeaderError(Exception):
    """The text holds no record at all."""


class BadHeaderError(Exception):
    """The header record cannot be read (broken quotes or NUL bytes): nothing can be mapped."""

    def __init__(self, line: int, why: str) -> None:
        super().__init__(f"the header (line {line}) {why}; fix the header row or re-export")


@overload
def split_records(data: bytes, delimiter: str) -> Records: ...
@overload
def split_records(data: bytes, delimiter: str, *, exact: Literal[False]) -> Records | None: ...
def split_records(data: bytes, delimiter: str, *, exact: bool = True) -> Records | None:
    """Split UTF-8 ``data`` (no BOM, LF or CRLF line ends) into a header and data records.

    With ``exact=False``, None where only the exact path could read the data.

    >>> r = split_records(b'Name,Mobile Number\\n"Doe, J",+919876543210\\n', ",")
    >>> r.header, r.frame.select("c0", LINE).rows()
    (['Name', 'Mobile Number'], [('Doe, J', 2)])
    """
    fast = _split_fast(data, delimiter)
    if fast is not None or not exact:
        return fast
    return _split_exact(data, delimiter)


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


def _parse(
    buf: bytes, skip: int, delimiter: str, width: int, rows: pl.Series, lines: pl.Series
) -> pl.DataFrame | None:
    """The records of ``buf`` (after ``skip`` lines), every one of ``width`` cells and RFC
    4180 quotes, parsed by Polars and numbered ``rows`` and ``lines``; None if Polars reads
    another number of records."""
    try:
        frame = pl.read_csv(
            buf,
            skip_lines=skip,
            has_header=False,
            separator=delimiter,
            quote_char='"',
            schema={column_name(i): pl.String() for i in range(width)},
            raise_if_empty=False,
            empty_string_is_null=False,  # empty cells are "" as read: no pass to fill them
        )
    except (pl.exceptions.PolarsError, OSError):
        return None
    if frame.height != rows.len():
        return None  # defensive: never trust a parse whose row count disagrees
    if any(frame.null_count().row(0)):  # defensive: a record's cells Polars did not find
        frame = frame.fill_null("")
    return frame.with_columns(
        rows,
        lines,
        pl.lit(None, dtype=pl.String).alias(DEFECT),
        pl.lit(None, dtype=pl.String).alias(RAW),
        pl.lit(None, dtype=pl.String).alias(NOTE),
    )


def _exact(line: pl.Expr, delimiter: str, width: int) -> pl.Expr:
    """``line`` is one record of exactly ``width`` cells, its quotes as RFC 4180 has them
    (for widths up to ``_EXACT_WIDTH``: the pattern grows with the width)."""
    d, field = _field(delimiter)
    return line.str.contains(f"^(?:{field})(?:{d}(?:{field})){{{width - 1}}}$")


def _field(delimiter: str) -> tuple[str, str]:
    """The delimiter and one cell (RFC 4180 quoted, or without quotes) as regex patterns."""
    d = re.escape(delimiter)
    return d, f'"(?:[^"]|"")*"|[^"{d}]*'


def _plain_header(lines: pl.DataFrame, delimiter: str) -> tuple[list[str], int] | None:
    """The header and its line's index, if the text is the usual one, read in fewer passes:
    no blank line after the header and every line a whole record of the header's width.
    None for any other text.

    A line the exact pattern takes has its quotes in pairs, so no line break is inside
    quotes and every line is a record: the quote parity of each line need not be counted.

    >>> _plain_header(pl.DataFrame({"l": [None, "a,b", '"x,y",z']}), ",")
    (['a', 'b'], 1)
    """
    line = pl.col("l")
    first = lines.select(line.is_not_null().arg_max()).item()
    if first is None or lines["l"][first] is None:
        return None  # no header
    header = _parse_one(lines["l"][first], delimiter)
    width = len(header)
    if not 0 < width <= _EXACT_WIDTH:
        return None
    rest = lines.slice(first)
    # a line without quotes is a record of the header's width when it has as many delimiters
    # (one count, a third of the pattern's cost): only lines with quotes are matched whole
    quoted = rest.select(line.str.contains('"', literal=True).fill_null(False)).to_series()
    cells = line.str.count_matches(delimiter, literal=True) + 1
    if not _all_hold(rest, ~quoted, cells == width):
        return None
    if not _all_hold(rest, quoted, _exact(line, delimiter, width)):
        return None
    if rest.height > 1 and (rest["l"][1] or "").startswith(_BOM):
        return None  # Polars would drop it from the first value it parses (as in _split_fast)
    return header, first


def _all_hold(lines: pl.DataFrame, which: pl.Series, check: pl.Expr) -> bool:
    """``check`` holds on every line ``which`` selects (a null result fails it). Lines are
    taken out only when some are left: a filter copies them, and most files have quotes on
    every line or on none.

    >>> lines = pl.DataFrame({"l": ["a,b", '"a",b', None]})
    >>> _all_hold(lines, pl.Series([True, False, False]), pl.col("l").str.contains(","))
    True
    >>> _all_hold(lines, pl.Series([True, False, True]), pl.col("l").str.contains(","))
    False
    """
    chosen = which.sum()
    if chosen == 0:
        return True
    part = lines if chosen == lines.height else lines.filter(which)
    return bool(part.select(check.fill_null(False).all()).item())


def _lines(data: bytes) -> pl.DataFrame | None:
    """The lines of ``data`` (``l``, an empty one null; CRs of CRLF dropped) and their index
    (``i``), read by Polars in parallel (a NUL separator never occurs, no quoting); None if
    Polars cannot read them."""
    try:
        return pl.read_csv(
            data,
            has_header=False,
            separator="\0",
            quote_char=None,
            schema={"l": pl.String()},
            raise_if_empty=False,
        ).with_row_index("i")
    except (pl.exceptions.PolarsError, OSError):
        return None


def _split_fast(data: bytes, delimiter: str) -> Records | None:
    if data.startswith(b"\xef\xbb\xbf"):
        return None  # a second BOM: Polars would drop it and shift every byte offset
    if data[:2] in _COMPRESSED or data[:4] == b"\x28\xb5\x2f\xfd":
        return None  # Polars would take text that starts like this ("x^") for a zlib stream
    if b"\0" in data:
        return None  # NUL bytes: the exact path names the records that hold them
    ending = 1
    if b"\r" in data:  # counted only then: each count is a pass over the whole file
        crlf = data.count(b"\r\n")
        if data.count(b"\r") != crlf or crlf != data.count(b"\n"):
            return None  # a lone CR or mixed line ends
        ending = 2
    lines = _lines(data)
    if lines is None:
        return None
    # a line per line end, and one more for text after the last
    height = lines.height
    line_ends = height - (bool(data) and not data.endswith(b"\n"))
    plain = _plain_header(lines, delimiter)
    if plain is not None:
        header, first = plain
        del lines  # a copy of the text, let go before Polars parses the text again
        rows = height - first - 1
        frame = _parse(
            data,
            first + 1,
            delimiter,
            len(header),
            pl.int_range(1, rows + 1, dtype=pl.UInt32, eager=True).alias(ROW),
            pl.int_range(first + 2, first + 2 + rows, dtype=pl.UInt32, eager=True).alias(LINE),
        )
        if frame is not None:
            return Records(header=header, header_line=first + 1, frame=frame, line_ends=line_ends)
        lines = _lines(data)  # defensive (Polars found another number of records)
        if lines is None:
            return None
    text = pl.col("l").fill_null("")
    lines = lines.with_columns(
        (text.str.count_matches('"', literal=True) % 2 == 1).alias("odd"),
        text.str.len_bytes().alias("bytes"),
    )
    odd = lines["odd"]
    if odd.sum() % 2:
        return None  # a quote never closed: the exact path names the record
    start = pl.col("odd").cum_sum().shift(1, fill_value=0) % 2 == 0
    lines = lines.with_columns(
        ((pl.col("bytes") + ending).cum_sum() - pl.col("bytes") - ending).alias("offset"),
        (start.cum_sum() - 1).alias("record"),
    )
    if odd.any():
        records = lines.group_by("record", maintain_order=True).agg(
            text.str.join("\n").alias("l"),
            pl.col("i").first(),
            pl.col("offset").first(),
            (pl.col("offset").last() + pl.col("bytes").last()).alias("end"),
            pl.col("l").is_null().all().alias("blank"),
        )
    else:
        records = lines.select(
            "l",
            "i",
            "offset",
            (pl.col("offset") + pl.col("bytes")).alias("end"),
            pl.col("l").is_null().alias("blank"),
        )
    del lines
    blank_lines = records.filter(pl.col("blank"))["i"]
    records = records.filter(~pl.col("blank"))
    if records.height == 0:
        raise NoHeaderError
    header_row = records.row(0, named=True)
    header = _parse_one(data[header_row["offset"] : header_row["end"]].decode("utf-8"), delimiter)
    width = len(header)
    d, field = _field(delimiter)
    line = pl.col("l")
    # one regex pass settles nearly every record: RFC 4180 quotes and exactly the header's
    # number of cells (delimiters inside quotes do not count); only the others are looked at
    # again, for their quotes (the pattern grows with the width: very wide files count cells)
    quoted = line.str.contains('"', literal=True)
    # a line without quotes always conforms: only quoted ones (null elsewhere) are matched
    only_quoted = pl.when(quoted).then(line)
    conforming = only_quoted.str.contains(f"^(?:{field})(?:{d}(?:{field}))*$").fill_null(True)
    if width <= _EXACT_WIDTH:
        exact = _exact(line, delimiter, width)
    else:
        unquoted = pl.coalesce(only_quoted.str.replace_all('"(?:[^"]|"")*"', ""), line)
        exact = conforming & (unquoted.str.count_matches(delimiter, literal=True) == width - 1)
    body = records.with_columns(
        pl.int_range(0, records.height, dtype=pl.UInt32).alias(ROW),
        (pl.col("i") + 1).cast(pl.UInt32).alias(LINE),
        (exact & (pl.int_range(pl.len()) > 0)).alias("good"),  # the header is checked below
    )
    others = body.filter(~pl.col("good"))
    if not others.select((~quoted | conforming).all()).item():
        return None  # quotes that are not RFC 4180: the exact path reads them as Python does
    body = body.slice(1).select("i", "offset", "end", ROW, LINE, "good")
    del records, others
    good = body.filter(pl.col("good"))
    if good.height == 0:
        frame = _empty_frame(width)
    else:
        first = int(good["i"][0])
        if data.startswith(b"\xef\xbb\xbf", int(good["offset"][0])):
            return None  # a BOM Polars would drop from the first value it parses
        skip = 0
        if good.height == body.height and not (blank_lines >= first).any():
            # the file as is, from the first data line (no copy of it)
            buf, skip = data, first
        else:
            buf = _join_ranges(data, good["offset"].to_list(), good["end"].to_list(), ending)
        parsed = _parse(buf, skip, delimiter, width, good[ROW], good[LINE])
        if parsed is None:
            return None
        frame = parsed
    bad = body.filter(~pl.col("good"))
    if bad.height:
        texts = [
            data[start:end].decode("utf-8")
            for start, end in zip(bad["offset"].to_list(), bad["end"].to_list(), strict=True)
        ]
        broken = _defect_frame(
            width,
            [_parse_one(t, delimiter) for t in texts],
            bad[ROW].to_list(),
            bad[LINE].to_list(),
            ["wrong_cell_count"] * bad.height,
            [t.replace("\r\n", "\n") if ending == 2 else t for t in texts],
        )
        frame = pl.concat([frame, broken]).sort(ROW)
    return Records(
        header=header, header_line=int(header_row["i"]) + 1, frame=frame, line_ends=line_ends
    )


def _join_ranges(data: bytes, starts: list[int], ends: list[int], ending: int) -> bytes:
    """The bytes of the given records with their line ends, consecutive runs sliced whole."""
    pieces = []
    run_start, run_end = starts[0], ends[0]
    for start, end in zip(starts[1:], ends[1:], strict=True):
        if start == run_end + ending:
            run_end = end
        else:
            pieces.append(data[run_start : run_end + ending])
            run_start, run_end = start, end
    pieces.append(data[run_start : run_end + ending])
    return b"".join(pieces)


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
            if "\0" in raw:
                raise BadHeaderError(start_line, "contains NUL bytes")
            if defect is not None:
                raise BadHeaderError(start_line, "has quotes that do not follow CSV rules")
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
    return Records(header=header, header_line=header_line, frame=frame, line_ends=data.count(b"\n"))
