"""Read any real contact-list export into a table of text.

Handles every encoding :mod:`csvprep.decoding` tells (UTF-8 with or without BOM, UTF-16 with
BOM, stray Windows-1252 bytes in UTF-8, legacy code pages, or the one the user names), a
delimiter sniffed from the body of the file (``,`` ``;`` tab ``|``), title, comment and banner
lines above the header (found, reported on their lines, or skipped by ``skip_rows``), LF, CRLF
and CR line ends, ``.xlsx`` workbooks, and in-memory Polars or pandas frames. Every value stays
text exactly as written, line breaks inside quoted values included; nothing is type-inferred.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import itertools
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import polars as pl

from ..errors import InputError, UsageError
from ..problems import SHOWN_CHARS, Problem, shown
from ..settings import delimiter_from
from .columns import DEFECT, INTERNAL, LINE, NOTE, RAW, ROW
from .decoding import Decoded, Repair, decode
from .records import (
    BadHeaderError,
    NoHeaderError,
    Records,
    _parse_one,
    column_name,
    split_records,
)
from .workbook import MAX_CELLS, MAX_COLUMNS, check_workbook, choose_sheet

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0", "a legacy Excel .xls (or other OLE) file; save it as .xlsx or CSV"),
)


@dataclass(frozen=True)
class Table:
    """A contact list as read: headers as written, and every record's cells as text.

    ``frame`` holds the columns ``c0``, ``c1``... (one per header cell, in order) and the
    bookkeeping columns described in :class:`csvprep.io.records.Records`.
    """

    name: str
    headers: tuple[str, ...]
    frame: pl.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    line_ending: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    header_line: int = 1
    #: problems found while reading (lines above the header, stray bytes, an unsure
    #: encoding), reported with the checks' own
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    #: no cell holds a comma, a quote or a line break: the text had no quote character and
    #: commas delimit it (a cell can hold none of them unquoted), so its cells are written to
    #: CSV as they are (:func:`csvprep.io.writing.csv_body`'s ``plain``)
    plain: bool = False

    @property
    def rows(self) -> int:
        return self.frame.height


def read_table(
    source: Any,
    *,
    delimiter: str | None = None,
    require_rows: bool = True,
    max_cells: int = MAX_CELLS,
    sheet: str | None = None,
    encoding: str | None = None,
    skip_rows: int = 0,
) -> Table:
    """Read a path (CSV, TSV or ``.xlsx``) or a Polars/pandas frame into a :class:`Table`.

    A workbook's ``sheet`` (a name or a number from 1; the first by default) is read; one that
    spans more than ``max_cells`` cells is refused before it is opened
    (:func:`csvprep.io.workbook.check_workbook`). ``encoding`` (a Python codec name) overrides
    detection; ``skip_rows`` physical lines (sheet rows) before the header are skipped, where
    otherwise title and comment lines above the header are found and reported.

    >>> import polars as pl
    >>> t = read_table(pl.DataFrame({"Mobile Number": ["+919876543210"]}))
    >>> t.headers, t.rows
    (('Mobile Number',), 1)
    """
    delimiter = delimiter_from(delimiter)
    if delimiter is not None and delimiter not in DELIMITERS:
        shown = DELIMITER_NAMES.get(delimiter, repr(delimiter))
        raise UsageError(f"delimiter {shown} is not one of , ; tab |")
    if skip_rows < 0:
        raise UsageError("skip_rows must be 0 or more")
    if isinstance(source, (str, os.PathLike)):
        how = _How(delimiter, encoding, skip_rows)
        return as_list(_read_path(Path(source), how, require_rows, max_cells, sheet))
    return as_list(_read_frame(source, require_rows))


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class _How(NamedTuple):
    """What the user said about reading a file's text (None or 0: find out)."""

    delimiter: str | None = None
    encoding: str | None = None
    skip_rows: int = 0


#: The longest value read as one: a longer one (a runaway quote, pasted data, a file glued into
#: a cell) is the problem ``value_too_long`` on its row, which is set aside like a broken record.
MAX_VALUE_BYTES = 64 * 2**10
#: The longest header record, and the longest column name, read: past them the file is refused
#: at once (a header of millions of cells would take minutes and gigabytes to say so). A list
#: is also refused past :data:`csvprep.io.workbook.MAX_COLUMNS` columns.
MAX_HEADER_BYTES = 2**20
MAX_NAME_BYTES = 2**10

#: How much of a file validate reads at a time (about 170,000 rows of a four-column list):
#: memory stays bounded, and smaller batches would cost time per batch.
BATCH_BYTES = 8 * 2**20

#: The rows a batch is read to hold where rows are long (up to twice ``batch_bytes``): a batch
#: costs some 200 queries to check, about 75 ms whatever its rows, which on a list with eight
#: text columns (73,000 rows in 8 MiB) was a third of the time.
BATCH_ROWS = 150_000


class NotStreamable(Exception):
    """A big file that must be read whole after all (not UTF-8, or quotes only the exact
    path reads): raised before or between batches; start again with :func:`read_table`."""


#: Told how far reading has got: bytes read so far and the file's size.
Progress = Callable[[int, int], None]


def read_batches(
    source: Any,
    *,
    delimiter: str | None = None,
    batch_bytes: int | None = BATCH_BYTES,
    progress: Progress | None = None,
    max_cells: int = MAX_CELLS,
    sheet: str | None = None,
    encoding: str | None = None,
    skip_rows: int = 0,
) -> Iterator[Table]:
    """The table in batches of whole records, so memory stays bounded however big the file.

    Every batch is a :class:`Table` with the file's header and its rows numbered (row and
    line) as in the whole file. Small files, frames, workbooks and ``batch_bytes=None`` come as
    one batch, as :func:`read_table` reads them. A UTF-8 file with LF or CRLF line ends is
    read a batch at a time; if one turns out to need the whole-file reader (bytes that are not
    UTF-8, quotes only Python's csv module follows) :class:`NotStreamable` is raised.
    ``progress``, if given, is called after each batch of a file is read; ``max_cells``,
    ``sheet``, ``encoding`` and ``skip_rows`` are :func:`read_table`'s.

    >>> import polars as pl
    >>> [t.rows for t in read_batches(pl.DataFrame({"Mobile Number": ["+919876543210"]}))]
    [1]
    """
    is_file = isinstance(source, (str, os.PathLike)) and Path(source).is_file()
    size = Path(source).stat().st_size if is_file else 0
    if batch_bytes is None or not is_file or size <= batch_bytes or encoding is not None:
        table = read_table(
            source,
            delimiter=delimiter,
            max_cells=max_cells,
            sheet=sheet,
            encoding=encoding,
            skip_rows=skip_rows,
        )
        if progress is not None and is_file:
            progress(size, size)
        yield table
        return
    with (
        Path(source).open("rb") as f,
        closing(
            _read_ahead(_batches(f, str(source), delimiter, skip_rows, batch_bytes))
        ) as batches,
    ):
        for table, done in batches:
            if progress is not None:
                progress(done, size)
            yield as_list(table)


#: The columns csvprep's rejects file adds around a list's own (``prepare``).
REJECTS_BEFORE = ("line", "reason_codes", "reasons")
REJECTS_AFTER = "raw_record"
# the apostrophe csvprep's rejects file puts before a cell a spreadsheet would run as a formula
_NEUTRALISED = r"^'[=+\-@\t\r]"


def as_list(table: Table) -> Table:
    """``table`` itself, or for a csvprep rejects file fixed by hand, the contact list in it:
    its bookkeeping columns left out and the apostrophes that neutralised formulas taken off
    (values and headers), said in a note, so it can go back in as it is.

    >>> import polars as pl
    >>> fixed = read_table(pl.DataFrame({"line": ["3"], "reason_codes": ["phone_invalid"],
    ...     "reasons": ["x"], "Mobile Number": ["'+919876543210"], "raw_record": [""]}))
    >>> fixed.headers, fixed.frame["c0"].to_list()
    (('Mobile Number',), ['+919876543210'])
    """
    headers = tuple(h.strip() for h in table.headers)
    if len(headers) < 5 or headers[:3] != REJECTS_BEFORE or headers[-1] != REJECTS_AFTER:
        return table
    kept = range(len(REJECTS_BEFORE), len(headers) - 1)
    bookkeeping = [c for c in table.frame.columns if c.startswith(INTERNAL)]

    def plain(value: pl.Expr) -> pl.Expr:
        return pl.when(value.str.contains(_NEUTRALISED)).then(value.str.slice(1)).otherwise(value)

    names = [table.headers[i] for i in kept]
    frame = table.frame.select(
        *(plain(pl.col(column_name(i))).alias(column_name(n)) for n, i in enumerate(kept)),
        *bookkeeping,
    )
    note = (
        "a csvprep rejects file: its columns line, reason_codes, reasons and raw_record are "
        "left out, and the ' before values a spreadsheet would run as formulas is taken off"
    )
    return replace(
        table,
        headers=tuple(h[1:] if re.match(_NEUTRALISED, h) else h for h in names),
        frame=frame,
        notes=(*table.notes, note),
    )


Item = TypeVar("Item")


def _read_ahead(items: Iterator[Item]) -> Generator[Item, None, None]:
    """``items``, the next one made in a thread while the caller works on the current one.

    Reading a batch keeps about one core busy and checking it another: in turn they leave a
    core idle half the time. At most one item is made ahead; exceptions come out where the
    item would have.

    >>> list(_read_ahead(iter([1, 2, 3])))
    [1, 2, 3]
    """

    def take() -> list[Item]:  # the next item, or none at the end
        return list(itertools.islice(items, 1))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csvprep-read") as pool:
        pending = pool.submit(take)
        try:
            while got := pending.result():
                pending = pool.submit(take)
                yield got[0]
        finally:
            pending.cancel()
            if not pending.cancelled():
                pending.exception()  # wait: the generator cannot close while it runs
            close = getattr(items, "close", None)
            if close is not None:
                close()


def _batches(
    f: io.BufferedReader, name: str, delimiter: str | None, skip_rows: int, size: int
) -> Iterator[tuple[Table, int]]:
    """Each batch's table, and how many bytes of the file are read up to its end."""
    # line ends, the delimiter and the lines above the header are judged on the same 64 KiB
    # as the whole-file reader judges them, whatever the batch's size
    start = f.read(_SAMPLE_BYTES)
    f.seek(0)
    chunk = f.read(size)
    bom = chunk.startswith(codecs.BOM_UTF8)
    if bom:
        chunk, start = chunk[len(codecs.BOM_UTF8) :], start[len(codecs.BOM_UTF8) :]
    other = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"PK\x03\x04", *(m for m, _ in _MAGIC))
    if chunk.startswith(other) or b"\0" in chunk[:8192]:
        raise NotStreamable  # workbooks, other encodings, binary files: the whole-file reader
    sample = start.decode("utf-8", errors="ignore")
    ending = _line_ending(sample)
    if ending not in ("LF", "CRLF"):
        raise NotStreamable
    top = _top(start, delimiter, skip_rows)
    skipped = _after_lines(start, top.skip)
    if skipped < 0:
        raise NotStreamable  # more lines skipped than the sample holds: read it whole
    chunk, delimiter = chunk[skipped:], top.delimiter
    _check_header(chunk, name, delimiter, top.skip)
    prefix = _header_prefix(chunk)  # the lines up to the header's end, put before each batch
    lines_before, rows_before = top.skip, 0
    done = skipped + (len(codecs.BOM_UTF8) if bom else 0)
    first: Table | None = None
    # Each batch's text is made with one copy: what the last batch left of an unfinished
    # record (``carry``), then the latest read (``chunk``) up to its last line end. Every
    # whole-chunk copy or scan here holds the GIL, which the checking threads wait for.
    carry = b""  # never without a chunk after it
    # after the first batch, as much as holds about BATCH_ROWS rows (judged by its lines)
    reads = _read_size(size, len(chunk), chunk.count(b"\n"))
    while chunk:
        # whether more follows, without reading it yet: the read and the chunk are not held
        # while the batch is split (each is a batch's size of memory)
        last = not f.peek(1)
        cut = len(chunk) if last else chunk.rfind(b"\n") + 1
        if cut == 0:  # no line end in the whole read: a record longer than a batch
            carry, chunk = _carried(carry + chunk, size), f.read(reads)
            continue
        head = b"" if first is None else prefix
        text = b"".join((head, carry, memoryview(chunk)[:cut]))
        rest = chunk[cut:]
        del chunk
        records = _split_batch(text, delimiter)
        if records is None and not last:
            # that line end may be inside quotes (a value with a line break): the batch
            # ends where the last whole record does, found by counting quotes
            whole = b"".join((memoryview(text)[len(head) :], rest))  # carry and the chunk
            end = _record_end(whole)
            if end < 0:  # no record ends in it: read on
                carry, chunk = _carried(whole, size), f.read(reads)
                continue
            text = b"".join((head, memoryview(whole)[:end]))
            records = _split_batch(text, delimiter)
            carry, chunk = b"", whole[end:] + f.read(reads)
            del whole  # the batch's text holds what is kept of it
            taken = end
        else:
            taken = len(carry) + cut
            # nothing is read after the end was seen (a file still being written is read to
            # where it ended then, as whole records)
            carry, chunk = rest, b"" if last else f.read(reads)
        if records is None:
            raise NotStreamable
        frame = _mark_long_values(records.frame, records.header)
        if first is None:
            frame = frame.with_columns(pl.col(LINE) + top.skip)
        else:
            frame = frame.with_columns(
                pl.col(ROW) + rows_before,
                pl.col(LINE) + (lines_before - prefix.count(b"\n")),
            )
        table = Table(
            name=name,
            headers=tuple(records.header),
            frame=frame,
            encoding="utf-8-sig" if bom else "utf-8",
            delimiter=delimiter,
            line_ending=ending,
            header_line=records.header_line + top.skip if first is None else first.header_line,
            notes=top.notes if first is None else (),
            problems=top.problems if first is None else (),
            plain=_plain(text, delimiter),
        )
        del text  # not held while the batch waits to be taken (a batch's size of memory)
        # of the first batch, later ones need only its header line: its rows are let go
        first = first or replace(table, frame=table.frame.clear())
        rows_before += frame.height
        lines_before += records.line_ends - head.count(b"\n")
        done += taken
        yield table, done
    if first is not None and rows_before == 0:
        raise _no_rows(name, first.header_line)


def _read_size(size: int, taken: int, rows: int) -> int:
    """How much to read at a time after a first read of ``rows`` rows in ``taken`` bytes:
    about :data:`BATCH_ROWS` rows, from ``size`` up to twice that.

    >>> _read_size(100, 50, 1), _read_size(100, 100, 100_000), _read_size(100, 100, 0)
    (200, 150, 100)
    """
    if rows == 0:
        return size
    return min(2 * size, max(size, BATCH_ROWS * taken // rows))


def _carried(carry: bytes, size: int) -> bytes:
    """``carry``, the start of a record still unfinished, unless it has grown past four
    batches (a runaway quote, a value of megabytes): then the whole-file reader takes the
    file, in one pass, where each further read here would copy and search it all again."""
    if len(carry) > 4 * size:
        raise NotStreamable
    return carry


def _split_batch(text: bytes, delimiter: str) -> Records | None:
    """The records of one batch's ``text``, or None where the fast splitter cannot read it
    (a quote left open by the batch's end among them)."""
    try:
        # Polars reads text strictly: bytes that are not UTF-8 make it fail, and the
        # whole-file reader then decides the encoding
        return split_records(text, delimiter, exact=False)
    except UnicodeDecodeError:
        raise NotStreamable from None


def _header_prefix(chunk: bytes) -> bytes:
    """The bytes up to the end of the first non-blank record (the header)."""
    pos = quotes = 0
    seen = False
    while True:
        end = chunk.find(b"\n", pos)
        if end < 0:
            raise NotStreamable
        line = chunk[pos:end]
        quotes += line.count(b'"')
        seen = seen or line not in (b"", b"\r")
        pos = end + 1
        if seen and quotes % 2 == 0:
            return chunk[:pos]


def _record_end(chunk: bytes) -> int:
    """Where the last whole record of ``chunk`` ends (after a line end outside quotes), or -1.

    >>> _record_end(b'a,b\\n"x\\ny",1\\n"open\\n')
    12
    """
    total, tail, after = chunk.count(b'"'), 0, len(chunk)
    while (end := chunk.rfind(b"\n", 0, after)) >= 0:
        tail += chunk.count(b'"', end, after)
        if (total - tail) % 2 == 0:
            return end + 1
        after = end
    return -1


def _read_frame(source: Any, require_rows: bool = True) -> Table:
    if isinstance(source, pl.LazyFrame):
        source = source.collect()
    if not isinstance(source, pl.DataFrame):
        if type(source).__module__.split(".")[0] != "pandas":
            raise UsageError(
                f"cannot validate a {type(source).__name__}: give a path, a polars DataFrame or "
                "LazyFrame, or a pandas DataFrame"
            )
        # pandas allows a header twice (as a CSV does): the columns are taken by position, so
        # a repeated header is the data problem header_duplicate, not an error converting
        headers = tuple(str(c) for c in source.columns)
        for i in range(len(headers)):
            # pandas would make a list's text of it ("['a', 'b']"): the first value tells
            filled = source.iloc[:, i].dropna()
            if len(filled) and isinstance(filled.iloc[0], (list, tuple, dict, set)):
                raise UsageError(
                    f"<dataframe>: column {headers[i]!r} holds "
                    f"{type(filled.iloc[0]).__name__}s, not values a CSV cell can hold; give "
                    "text, numbers or dates"
                )
        by_position = source.set_axis([column_name(i) for i in range(len(headers))], axis=1)
        source = pl.from_pandas(by_position.astype("string"))
    else:
        headers = tuple(str(c) for c in source.columns)
    check_headers(headers, "<dataframe>")
    if require_rows and source.height == 0:
        raise InputError("<dataframe>: has a header but no data rows")
    kinds = list(source.schema.values())
    nested = [i for i, kind in enumerate(kinds) if kind.is_nested() or kind == pl.Object]
    if nested:
        raise UsageError(
            f"<dataframe>: column {headers[nested[0]]!r} holds {kinds[nested[0]]}, not values "
            "a CSV cell can hold; give text, numbers or dates"
        )
    # one chunk: a caller's filtered frame can hold empty chunks, on which some Polars string
    # functions panic (pl.format in polars 2.1)
    frame = (
        source.rechunk()
        .select(
            pl.col(c).cast(pl.String).fill_null("").alias(column_name(i))
            for i, c in enumerate(source.columns)
        )
        .with_columns(
            pl.int_range(1, source.height + 1, dtype=pl.UInt32).alias(ROW),
            pl.int_range(2, source.height + 2, dtype=pl.UInt32).alias(LINE),
            pl.lit(None, dtype=pl.String).alias(DEFECT),
            pl.lit(None, dtype=pl.String).alias(RAW),
            pl.lit(None, dtype=pl.String).alias(NOTE),
        )
    )
    return Table(name="<dataframe>", headers=headers, frame=_mark_long_values(frame, headers))


def _read_path(
    path: Path, how: _How, require_rows: bool, max_cells: int, sheet: str | None
) -> Table:
    name = str(path)
    _check_regular(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{name}: cannot be read ({e.strerror})") from None
    if data.isspace() or not data:  # not strip(): that copies the whole file
        raise InputError(f"{name}: file is empty")
    if data.startswith(b"PK\x03\x04"):
        if path.suffix.lower() in (".xlsx", ".xlsm") or b"xl/workbook" in data[:65536]:
            return _read_xlsx(path, max_cells, sheet, how.skip_rows)
        raise InputError(f"{name}: is a ZIP archive, not a CSV file")
    _check_not_binary(data, name, how.encoding)
    return _read_text(decode(data, name, how.encoding), name, how, require_rows)


def _check_not_binary(data: bytes, name: str, encoding: str | None) -> None:
    """Refuse images, archives and other binary files, by their first bytes."""
    head = data[:8192]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{name}: is {what}, not a CSV file")
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if encoding is None and not utf16 and head.count(0) > len(head) // 10:
        raise InputError(
            f"{name}: looks like a binary file (many NUL bytes), not a CSV; if it is UTF-16 "
            "text without a byte-order mark, give --encoding utf-16-le (or utf-16-be)"
        )


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(path: Path) -> None:
    """Refuse anything but a regular file (or a link to one) before opening it: reading a
    named pipe waits for a writer that may never come, and a device such as /dev/zero never
    ends.

    >>> _check_regular(Path("/dev/null"))
    Traceback (most recent call last):
    csvprep.errors.InputError: /dev/null: is a character device, not a regular file
    """
    name = str(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as e:
        raise InputError(f"{name}: cannot be read ({e.strerror})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{name}: is a directory, not a file")
    if not stat.S_ISREG(mode):
        what = next((w for test, w in _NOT_REGULAR if test(mode)), "not a file")
        raise InputError(f"{name}: is {what}, not a regular file")


def _line_ending(sample: str) -> str:
    """How the sample's lines end: ``LF``, ``CRLF``, ``CR``, ``mixed`` or ``none``; a line
    break inside a quoted value is part of the value, not a line end.

    >>> _line_ending('a,b\\r"x\\r\\ny",1\\r'), _line_ending("a\\nb\\r\\n")
    ('CR', 'mixed')
    """
    sample = _QUOTED.sub("", sample)
    # the sample may end between the CR and LF of a CRLF
    if (last := sample.rfind("\n")) >= 0:
        sample = sample[: last + 1]
    crlf = sample.count("\r\n")
    lf = sample.count("\n") - crlf
    cr = sample.count("\r") - crlf
    kinds = [k for k, n in (("CRLF", crlf), ("LF", lf), ("CR", cr)) if n]
    if not kinds:
        return "none"
    return kinds[0] if len(kinds) == 1 else "mixed"


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's records most consistently into 2+ cells.

    The header's split is what counts, unless no delimiter splits it consistently with the
    rest: then title or comment lines may stand above the header, and the body decides.

    >>> sniff_delimiter("Name;Mobile Number\\nA;+919876543210\\n")
    ';'
    >>> sniff_delimiter("# Exported from CRM, 2026-11-30\\nName;Mobile Number\\nA;+919876543210\\n")
    ';'
    """
    widths = {cand: _widths(sample, cand) for cand in DELIMITERS}
    best, best_score = ",", (-1.0, 0)
    for cand, records in widths.items():
        if not records or records[0] < 2:
            continue
        body = records[1:]
        consistency = sum(n == records[0] for n in body) / len(body) if body else 1.0
        score = (consistency, records[0])
        if score > best_score:
            best, best_score = cand, score
    if best_score[0] >= 0.5:
        return best
    for cand, records in widths.items():  # the body's most common width of 2+ cells
        wide = Counter(n for n in records if n >= 2)
        if not wide:
            continue
        width, count = max(wide.items(), key=lambda item: (item[1], item[0]))
        score = (count / len(records), width)
        if score > best_score:
            best, best_score = cand, score
    return best


def _widths(sample: str, delimiter: str) -> list[int]:
    """How many cells each of the sample's first records has (blank lines left out)."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=False)
    return [len(record) for record in itertools.islice(filter(None, reader), _SNIFF_RECORDS)]


#: How many records the delimiter, and the lines above the header, are judged on.
_SNIFF_RECORDS = 200
#: How much of a file's start its delimiter and line ends are judged on.
_SAMPLE_BYTES = 65536
# a value with seven digits or more (once spaces and punctuation are out) is no header
_NUMBER_LIKE = re.compile(r"[0-9]{7}")
_NOT_DIGITS = re.compile(r"[\s().\-/+]")


def preamble_length(records: Sequence[Sequence[str]]) -> int:
    """How many of the first ``records`` (blank lines left out) are titles, comments or
    banners above the header rather than part of the table; 0 when the first is the header.

    The table is as wide as most records of two or more cells. A line above the header fills
    at most one cell (a title, a banner, a line of delimiters), has more cells than the table
    (a sentence with commas in it), starts with ``#`` and is not as wide as the table, or
    holds a number of seven digits or more (a date and time, a phone: no header does). The
    header under them must be as wide as the table, fill two or more cells and hold no cell of
    digits only: otherwise nothing is taken for a preamble (a file whose first line is data
    has no line that could be its header).

    >>> preamble_length([["Contacts export"], [""], ["Name", "Phone"], ["A", "+91987"]])
    2
    >>> preamble_length([["Phone", ""], ["+919876543210", "x"], ["+919876543211", "y"]])
    0
    """
    widths = Counter(len(r) for r in records if len(r) >= 2)
    if not widths:
        return 0  # a one-column list: a title and a header look alike
    width = max(widths, key=lambda w: (widths[w], w))  # the most common, the wider on a tie
    for i, record in enumerate(records):
        filled = sum(1 for cell in record if cell.strip())
        comment = bool(record) and record[0].lstrip().startswith("#") and len(record) != width
        numbers = any(_NUMBER_LIKE.search(_NOT_DIGITS.sub("", cell)) for cell in record)
        if filled <= 1 or comment or len(record) > width or numbers:
            continue  # a title, a comment, a sentence, a dated banner: or data (see below)
        digits = any(cell.strip().isdigit() for cell in record)
        return i if len(record) == width and not digits else 0
    return 0  # no line of the sample is a header


class _Top(NamedTuple):
    """What the start of a file says: its delimiter, and how many physical lines stand above
    the header (skipped), with their problems or note."""

    delimiter: str
    skip: int = 0
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


def _top(head: bytes, delimiter: str | None, skip_rows: int) -> _Top:
    """The delimiter and the lines above the header of a file starting with ``head``."""
    if skip_rows:
        cut = _after_lines(head, skip_rows)
        if cut < 0:
            return _Top(delimiter or ",", skip_rows)  # the caller says the file is too short
        sample = head[cut : cut + _SAMPLE_BYTES].decode("utf-8", errors="ignore")
        lines = "line" if skip_rows == 1 else f"{skip_rows:,} lines"
        note = f"skipped the first {lines} of the file, above the header (skip_rows)"
        return _Top(delimiter or sniff_delimiter(sample), skip_rows, (note,))
    sample = head[:_SAMPLE_BYTES].decode("utf-8", errors="ignore")
    delimiter = delimiter or sniff_delimiter(sample)
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=False)
    records: list[list[str]] = []
    starts: list[int] = []  # each record's first physical line (csv skips blank lines)
    line = 0
    for record in reader:
        if record:
            records.append(record)
            starts.append(line + 1)
        line = reader.line_num
        if len(records) >= _SNIFF_RECORDS:
            break
    found = preamble_length(records)
    if not found:
        return _Top(delimiter)
    header_line = starts[found]
    texts = list(itertools.islice(io.StringIO(sample, newline=""), header_line - 1))
    problems = tuple(
        _preamble_line(n, header_line, texts[n - 1].rstrip("\r\n"), "line") for n in starts[:found]
    )
    return _Top(delimiter, header_line - 1, problems=problems)


def _preamble_line(line: int, header_line: int, text: str, unit: str) -> Problem:
    """The problem of a ``line`` (a file's line or a sheet's row: ``unit``) standing above
    the header, with the ``--skip-rows`` that says so.

    >>> _preamble_line(1, 3, "Contacts export", "row").message.split(";")[1]
    ' to say so, skip the rows with --skip-rows 2 (skip_rows in the configuration), or delete them'
    """
    return Problem(
        "preamble_line",
        f"{unit} {line} stands above the header ({unit} {header_line}) and is not part of the "
        f"table: read from {unit} {header_line}; to say so, skip the {unit}s with --skip-rows "
        f"{header_line - 1} (skip_rows in the configuration), or delete them",
        line=line,
        value=text[:SHOWN_CHARS] + ("…" if len(text) > SHOWN_CHARS else ""),
    )


def _after_lines(data: bytes, lines: int) -> int:
    """Where the text after the first ``lines`` physical lines of ``data`` starts, or -1 if
    it has fewer. LF, CRLF and a lone CR each end a line, as the lines above the header were
    counted (Python's csv module), whatever ends the rest of the file.

    >>> _after_lines(b"# a\\r# b\\r\\nName\\n", 2), _after_lines(b"x\\r", 2)
    (9, -1)
    """
    pos = 0
    for _ in range(lines):
        found = _LINE_END.search(data, pos)
        if found is None:
            return -1
        pos = found.end()
    return pos


def _read_text(decoded: Decoded, name: str, how: _How, require_rows: bool = True) -> Table:
    data = decoded.data
    notes = list(decoded.notes)
    ending = _line_ending(data[:_SAMPLE_BYTES].decode("utf-8", errors="ignore"))
    top = _top(data, how.delimiter, how.skip_rows)
    cut = _after_lines(data, top.skip)
    if cut < 0 or not data[cut:].strip():
        if not top.skip:
            raise InputError(f"{name}: file is empty")
        raise InputError(
            f"{name}: nothing is left after skipping its first {top.skip:,} lines (skip_rows)"
        )
    if cut:
        data = data[cut:]
    if ending == "CR":
        # Old Mac exports end lines with a lone CR, which Polars does not split on; one
        # inside a quoted value is part of the value (same length: offsets stay)
        data = _CR_OR_QUOTED.sub(_lf_outside_quotes, data)
        notes.append("lines end with CR only (old Mac format); read as line breaks")
    _check_header(data, name, top.delimiter, top.skip)
    try:
        records = split_records(data, top.delimiter)
    except NoHeaderError:
        raise InputError(f"{name}: file is empty") from None
    except BadHeaderError as e:
        raise InputError(f"{name}: {e}") from None
    header_line = records.header_line + top.skip
    if require_rows and records.frame.height == 0:
        raise _no_rows(name, header_line)
    frame = records.frame
    if top.skip:
        frame = frame.with_columns(pl.col(LINE) + top.skip)
    problems = [*top.problems]
    problems += _stray_bytes(decoded, data, cut, top.skip + 1, frame, records.header, top.delimiter)
    if decoded.unsure is not None:
        what = f"its stray bytes read as {decoded.fallback}" if decoded.fallback else "decoded"
        problems.append(
            Problem(
                "encoding_uncertain",
                f"{what} as {decoded.encoding}, but {decoded.unsure}: if names look wrong, "
                "give the file's encoding with --encoding (encoding in the configuration)"
                if not decoded.fallback
                else f"{what}, but {decoded.unsure}: if those values look wrong, give the "
                "file's encoding with --encoding (encoding in the configuration)",
            )
        )
    return Table(
        name=name,
        headers=tuple(records.header),
        frame=_mark_long_values(frame, records.header),
        encoding=decoded.encoding,
        delimiter=top.delimiter,
        line_ending=ending,
        notes=(*notes, *top.notes),
        header_line=header_line,
        problems=tuple(problems),
        plain=_plain(data, top.delimiter),
    )


def _plain(text: bytes, delimiter: str) -> bool:
    """No cell of ``text`` (CSV delimited by ``delimiter``) can hold a comma, a quote or a
    line break (:attr:`Table.plain`): one without quotes cannot, and a comma delimits cells.

    >>> _plain(b"n,name\\n1,a b\\n", ","), _plain(b'n,name\\n1,"a"\\n', ",")
    (True, False)
    >>> _plain(b"n;name\\n1;a,b\\n", ";")
    False
    """
    return delimiter == "," and b'"' not in text


_QUOTED = re.compile('"[^"]*"')
_CR_OR_QUOTED = re.compile(rb'"[^"]*"|\r')


def _lf_outside_quotes(match: re.Match[bytes]) -> bytes:
    return b"\n" if match[0] == b"\r" else match[0]


def _stray_bytes(
    decoded: Decoded,
    data: bytes,
    cut: int,
    first_line: int,
    frame: pl.DataFrame,
    headers: Sequence[str],
    delimiter: str,
) -> list[Problem]:
    """A problem for each value that holds stray bytes, on its row and column, showing the
    value as repaired.

    ``data`` is the text read, after the first ``cut`` bytes of the decoded file (the lines
    skipped above the header), starting with physical line ``first_line``; a byte in those
    lines or in the header is reported on its line alone.
    """
    repairs, fallback = decoded.repairs, decoded.fallback
    if not repairs:
        return []
    lines, rows = frame[LINE].to_list(), frame[ROW].to_list()
    loose: list[Problem] = []
    cells: dict[tuple[int, int], list[Repair]] = {}  # (record, cell) -> its stray bytes
    # the start of a physical line in ``data``, and how far into a record its cells have been
    # counted: both only move forward (repairs come in file order), so that many stray bytes
    # on a long line cost one pass, not one each
    at, at_line = 0, first_line
    record, counted, cell = -1, 0, _Cells(delimiter)
    for repair in repairs:
        i = bisect.bisect_right(lines, repair.line) - 1
        if repair.offset < cut or i < 0:
            where = "above the header" if repair.offset < cut else "in the header"
            loose.append(
                Problem(
                    "encoding_stray_byte",
                    f"byte 0x{repair.byte:02X} is not UTF-8 like the rest of the file: read as "
                    f"{fallback} {repair.char!r} ({where})",
                    line=repair.line,
                )
            )
            continue
        if i != record:
            while at_line < lines[i]:
                end = _LINE_END.search(data, at)
                assert end is not None  # the record's line is in the text
                at, at_line = end.end(), at_line + 1
            record, counted, cell = i, at, _Cells(delimiter)
        cell.read(data[counted : repair.offset - cut].decode("utf-8", errors="replace"))
        counted = max(counted, repair.offset - cut)
        cells.setdefault((i, min(cell.index, len(headers) - 1)), []).append(repair)
    # each value once, cut in Polars: a value may be 64 KiB, and hold many stray bytes
    by_column: dict[int, list[int]] = {}
    for i, index in cells:
        by_column.setdefault(index, []).append(i)
    values: dict[tuple[int, int], str] = {}
    for index, positions in by_column.items():
        taken = frame[column_name(index)].gather(positions)
        cut_values = pl.select(shown(pl.lit(taken))).to_series().to_list()
        values.update(zip(((i, index) for i in positions), cut_values, strict=True))
    found = []
    for (i, index), strays in cells.items():
        kinds = dict.fromkeys((r.byte, r.char) for r in strays)
        read = ", ".join(f"0x{byte:02X} as {char!r}" for byte, char in list(kinds)[:5])
        more = f" and {len(kinds) - 5:,} other kinds" if len(kinds) > 5 else ""
        on = "" if strays[0].line == lines[i] else f" (from line {strays[0].line})"
        found.append(
            Problem(
                "encoding_stray_byte",
                f"{len(strays):,} byte{'s' if len(strays) > 1 else ''} not UTF-8 like the rest "
                f"of the file{on}, read as {fallback}: {read}{more}; check the value reads "
                "right",
                line=lines[i],
                row=rows[i],
                column=headers[index],
                value=values[(i, index)],
            )
        )
    return sorted(loose + found, key=lambda p: p.line or 0)


class _Cells:
    """Which cell of a record its text so far ends in, read piece by piece: the delimiters
    outside quotes.

    >>> cells = _Cells(",")
    >>> cells.read('A,"Doe, J",x'); cells.index
    2
    """

    def __init__(self, delimiter: str) -> None:
        self.delimiter, self.index, self.quoted = delimiter, 0, False

    def read(self, text: str) -> None:
        for part in _QUOTE_OR_DELIMITER[self.delimiter].findall(text):
            if part == '"':
                self.quoted = not self.quoted
            elif not self.quoted:
                self.index += 1


_LINE_END = re.compile(rb"\r\n|\r|\n")
_QUOTE_OR_DELIMITER = {d: re.compile(f'["{re.escape(d)}]') for d in DELIMITERS}


def _check_header(data: bytes, name: str, delimiter: str, skipped: int = 0) -> None:
    """Refuse a header past the limits from the bytes, before anything parses the file."""
    start = _BLANK_LINES.match(data).end()  # type: ignore[union-attr]  # always matches
    line = data.count(b"\n", 0, start) + 1 + skipped
    window = data[start : start + MAX_HEADER_BYTES + 1]
    end, pos, quotes = -1, 0, 0
    while (newline := window.find(b"\n", pos)) >= 0:  # the first line end outside quotes
        quotes += window.count(b'"', pos, newline)
        if quotes % 2 == 0:
            end = newline
            break
        pos = newline + 1
    if end < 0 and len(window) > MAX_HEADER_BYTES:
        raise InputError(
            f"{name}: the header (line {line}) is longer than {MAX_HEADER_BYTES:,} bytes, the "
            "most csvprep reads (is the first line a header?)"
        )
    text = window[: len(window) if end < 0 else end].decode("utf-8", errors="replace")
    check_headers(_parse_one(text, delimiter), name, line)


_BLANK_LINES = re.compile(rb"[\r\n]*")


def check_headers(headers: Sequence[str], name: str, line: int | None = None) -> None:
    """Refuse more than :data:`~csvprep.io.workbook.MAX_COLUMNS` columns, or a column name
    longer than :data:`MAX_NAME_BYTES` (a title row, a pasted paragraph): it would be quoted
    in every problem of its column.

    >>> check_headers(["Mobile Number", "x" * 2000], "list.csv", 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csvprep.errors.InputError: list.csv: the header (line 1) has a column name of 2,000 bytes ...
    """
    where = f"the header (line {line})" if line is not None else "the header"
    if len(headers) > MAX_COLUMNS:
        raise InputError(
            f"{name}: {where} has {len(headers):,} columns, more than the {MAX_COLUMNS:,} "
            "csvprep reads"
        )
    for header in headers:
        size = len(header.encode("utf-8"))
        if size > MAX_NAME_BYTES:
            start = header[:40] + "…"
            raise InputError(
                f"{name}: {where} has a column name of {size:,} bytes ({start!r}), more than "
                f"the {MAX_NAME_BYTES:,} csvprep reads"
            )


def _mark_long_values(frame: pl.DataFrame, headers: Sequence[str]) -> pl.DataFrame:
    """``frame`` with each row holding a value over :data:`MAX_VALUE_BYTES` set aside as
    ``value_too_long`` (unless it is already a broken record), its note naming the column
    and showing the value's start; and every value or raw record over the limit cut to its
    first :data:`~csvprep.problems.SHOWN_CHARS` characters and "…", so that nothing after
    reading (the checks, the report, the rejects file) copies or writes megabytes.

    >>> t = read_table(pl.DataFrame({"Mobile Number": ["9" * 70_000, "9876543210"]}))
    >>> t.frame[DEFECT].to_list(), t.frame["c0"].str.len_chars().to_list()
    (['value_too_long', None], [201, 10])
    >>> print(t.frame[NOTE][0])  # doctest: +ELLIPSIS
    the value in 'Mobile Number' is 70,000 bytes long, more than the 65,536 csvprep reads: '99...9…'
    """
    cells = [column_name(i) for i in range(len(headers))]
    if not cells or frame.height == 0:
        return frame
    texts = [*cells, RAW]
    # one expression whatever the width (a query per column costs the square of the columns)
    biggest = frame.select(pl.max_horizontal(pl.col(texts).str.len_bytes()).max()).item()
    if (biggest or 0) <= MAX_VALUE_BYTES:
        return frame  # one pass over the cells: most files stop here
    sizes = [pl.col(c).str.len_bytes() for c in cells]
    long = frame.select(pl.max_horizontal(sizes) > MAX_VALUE_BYTES).to_series()
    rows = long.arg_true()
    # the first column over the limit in each such row, and its size: numbers, not values
    # (a copy of a value may be a copy of megabytes)
    over = [pl.when(size > MAX_VALUE_BYTES) for size in sizes]
    found = frame.select(
        pl.coalesce(when.then(i) for i, when in enumerate(over)).alias("i"),
        pl.coalesce(when.then(size) for when, size in zip(over, sizes, strict=True)).alias("n"),
    )[rows]
    notes = []
    for row, (i, size) in zip(rows.to_list(), found.iter_rows(), strict=True):
        # a Polars string function on a slice this size copies its whole column
        start = frame[cells[i]].slice(row, 1).item()[:40] + "…"
        notes.append(
            f"the value in {headers[i]!r} is {size:,} bytes long, more than the "
            f"{MAX_VALUE_BYTES:,} csvprep reads: {start!r}"
        )
    aside = pl.col(DEFECT).is_null() & long
    note = pl.repeat(None, frame.height, dtype=pl.String, eager=True).scatter(rows, notes)
    cut = (
        pl.when(pl.col(texts).str.len_bytes() > MAX_VALUE_BYTES)
        .then(pl.col(texts).str.slice(0, SHOWN_CHARS) + pl.lit("…"))
        .otherwise(pl.col(texts))
        .name.keep()
    )
    return frame.with_columns(
        pl.when(aside).then(pl.lit("value_too_long")).otherwise(pl.col(DEFECT)).alias(DEFECT),
        pl.when(aside).then(note).otherwise(pl.col(NOTE)).alias(NOTE),
        cut,
    )


def _no_rows(name: str, header_line: int) -> InputError:
    return InputError(f"{name}: has a header (line {header_line}) but no data rows")


def _read_xlsx(path: Path, max_cells: int, choice: str | None, skip_rows: int) -> Table:
    name = str(path)
    check_workbook(path, max_cells, choice)  # before the reader allocates the sheet's extent
    try:
        # lazy: only a workbook needs the xlsx reader
        import fastexcel

        reader = fastexcel.read_excel(str(path))
        names = list(reader.sheet_names)
    except Exception as e:  # any failure here means the workbook is unreadable
        why = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
        raise InputError(f"{name}: cannot be read as an Excel workbook ({why[:200]})") from None
    position = choose_sheet(names, choice, name)
    read = f"sheet {names[position]!r} ({position + 1} of {len(names)})"
    try:
        sheet = reader.load_sheet(position, header_row=None, dtypes="string")
        raw = pl.DataFrame(sheet.to_polars())
    except Exception as e:  # any failure here means the workbook is unreadable
        # the reader's errors run to several lines (their context): the first says it
        why = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
        raise InputError(f"{name}: cannot be read as an Excel workbook ({why[:200]})") from None
    if raw.height == 0 or raw.width == 0:
        raise InputError(f"{name}: {read} is empty")
    raw = (
        raw.with_columns(pl.all().cast(pl.String).fill_null(""))
        .with_row_index(LINE, offset=1)
        .cast({LINE: pl.UInt32})
    )
    cells = [c for c in raw.columns if c != LINE]
    nonblank = raw.filter(pl.any_horizontal(pl.col(c) != "" for c in cells))
    if skip_rows:
        nonblank = nonblank.filter(pl.col(LINE) > skip_rows)
    if nonblank.height == 0:
        more = f" after its first {skip_rows:,} rows (skip_rows)" if skip_rows else ""
        raise InputError(f"{name}: {read} is empty{more}")
    problems: list[Problem] = []
    top = [list(r) for r in nonblank.head(_SNIFF_RECORDS).select(cells).iter_rows()]
    if not skip_rows and (found := preamble_length(top)):
        header_at = int(nonblank[LINE][found])
        for line, record in zip(nonblank[LINE].head(found).to_list(), top, strict=False):
            text = " ".join(cell for cell in record if cell.strip())
            problems.append(_preamble_line(line, header_at, text, "row"))
        nonblank = nonblank.slice(found)
    header_row = nonblank.row(0, named=True)
    check_headers([header_row[c] for c in cells], name, header_row[LINE])
    body = nonblank.slice(1)
    if body.height == 0:
        raise InputError(f"{name}: has a header (row {header_row[LINE]}) but no data rows")
    frame = body.select(
        *(pl.col(c).alias(column_name(i)) for i, c in enumerate(cells)),
        pl.int_range(1, body.height + 1, dtype=pl.UInt32).alias(ROW),
        pl.col(LINE),
        pl.lit(None, dtype=pl.String).alias(DEFECT),
        pl.lit(None, dtype=pl.String).alias(RAW),
        pl.lit(None, dtype=pl.String).alias(NOTE),
    )
    headers = tuple(header_row[c] for c in cells)
    return Table(
        name=name,
        headers=headers,
        frame=_mark_long_values(frame, headers),
        encoding="xlsx",
        header_line=int(header_row[LINE]),
        problems=tuple(problems),
        notes=(
            f"read {read} of the workbook"
            + ("; choose another with --sheet" if len(names) > 1 and choice is None else "")
            + "; line numbers are spreadsheet rows",
        ),
    )
