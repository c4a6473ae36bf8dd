"""Check an ``.xlsx`` workbook before the xlsx reader opens it.

The reader (fastexcel, on calamine) allocates the first sheet's whole extent, from its first
cell to its last, before reading a value, and takes the archive's parts at their word: a 5 KB
workbook with one cell at A1 and one at XFD1048576 asks for 512 GiB and aborts the process;
a small archive can hold millions of rows. So the archive is looked at first with the
standard library alone: every part is decompressed once, in pieces, to count its real size,
and the first sheet's declared dimension and the highest row and column any of its cells names
are read on the way. A workbook over the limits, or one that is not a readable archive, is an
:class:`~csvprep.errors.InputError`, in one line.
"""

from __future__ import annotations

import itertools
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..settings import DEFAULTS

#: The most cells the first sheet may span, unless told (see ``Settings.max_cells``).
MAX_CELLS = DEFAULTS.max_cells

#: The archive's parts may hold this many bytes, uncompressed, for each cell ``max_cells``
#: allows (1 GB at the default), and at least :data:`_MIN_BYTES`.
BYTES_PER_CELL = 100
_MIN_BYTES = 64 * 2**20

#: Excel's own widest sheet (column XFD); csvprep reads no wider list of any kind.
MAX_COLUMNS = 16_384

# parts read whole to find the first sheet: small in any real workbook
_SMALL_PART = 2**20
_PIECE = 4 * 2**20
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

# a row's or cell's reference (r="B12", r='12'); the letters name the column
_REF = re.compile(rb"""\br[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z]*)([0-9]+)["']""")
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_DIGITS, _LETTERS = "0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def choose_sheet(names: Sequence[str], choice: str | None, file: str) -> int:
    """The position (from 0) of the sheet ``choice`` names: a sheet name (any case) or its
    number counted from 1; the first sheet without a choice.

    >>> choose_sheet(["Instructions", "Contacts"], "contacts", "a.xlsx")
    1
    >>> choose_sheet(["Instructions", "Contacts"], "2", "a.xlsx"), choose_sheet(["A"], None, "")
    (1, 0)
    """
    if choice is None:
        return 0
    if choice.isdigit() and 1 <= int(choice) <= len(names):
        return int(choice) - 1
    folded = [n.casefold() for n in names]
    if choice.casefold() in folded:
        return folded.index(choice.casefold())
    listed = ", ".join(repr(n) for n in names)
    raise InputError(f"{file}: has no sheet {choice!r} (its sheets: {listed}); see --sheet")


def check_workbook(path: Path, max_cells: int = MAX_CELLS, sheet: str | None = None) -> None:
    """Raise :class:`InputError` unless the workbook at ``path`` is a readable archive whose
    first sheet spans at most ``max_cells`` cells and :data:`MAX_COLUMNS` columns, and whose
    parts hold at most ``BYTES_PER_CELL`` bytes a cell uncompressed.

    >>> check_workbook(Path("fixtures/contacts.xlsx"))
    >>> try:
    ...     check_workbook(Path("fixtures/contacts.xlsx"), max_cells=10)
    ... except InputError as e:
    ...     print(e)  # doctest: +ELLIPSIS
    fixtures/contacts.xlsx: the sheet read declares A1:D6 (6 rows x 4 columns = 24 cells), ...
    """
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            _check(archive, name, max_cells, sheet)
    except OSError as e:
        raise InputError(f"{name}: cannot be read ({e.strerror or e})") from None
    except _BROKEN as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f"{name}: is not a readable workbook ({why}); save it again") from None


# what zipfile raises for a broken archive: its own errors, zlib's, a header's numbers out of
# range, an encrypted part (RuntimeError), a compression it does not know
_BROKEN = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    ValueError,
    OverflowError,
    struct.error,
    RuntimeError,
    NotImplementedError,
)


def _check(archive: zipfile.ZipFile, name: str, max_cells: int, choice: str | None) -> None:
    budget = max(max_cells * BYTES_PER_CELL, _MIN_BYTES)
    parts = archive.infolist()
    declared = sum(part.file_size for part in parts)
    if declared > budget:
        raise _too_big(name, declared, budget)
    sheet = _sheet_part(archive, choice, name)
    total = 0
    for part in parts:
        if part.is_dir():
            continue
        pieces = _pieces(archive, part)
        if part.filename == sheet or (sheet is None and "worksheets/" in part.filename):
            pieces = _checked_extent(pieces, name, max_cells)
        for piece in pieces:
            # the real size, not the declared one: the reader would decompress all of it
            total += len(piece)
            if total > budget:
                raise _too_big(name, total, budget)


def _too_big(name: str, size: int, budget: int) -> InputError:
    return InputError(
        f"{name}: the workbook expands to more than {budget:,} bytes ({size:,} so far), over "
        f"the limit of {BYTES_PER_CELL} bytes a cell (raise it with --max-cells)"
    )


def _pieces(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> Iterator[bytes]:
    with archive.open(part) as f:
        while piece := f.read(_PIECE):
            yield piece


def _sheet_part(archive: zipfile.ZipFile, choice: str | None, name: str) -> str | None:
    """The part name of the sheet read (``choice``, or the first), by the package's
    relationships; None where they do not say (then every sheet is checked)."""
    from xml.etree import ElementTree  # here: a CSV never pays for the XML parser (5 ms)

    try:
        root = _targets(archive, "_rels/.rels", "")
        workbook = next(t for kind, t in root.values() if kind.endswith("/officeDocument"))
        folder, base = posixpath.split(workbook)
        sheets = _targets(archive, posixpath.join(folder, "_rels", f"{base}.rels"), folder)
        book = ElementTree.fromstring(_small(archive, workbook))
        listed = [e for e in book.iter() if e.tag.rpartition("}")[2] == "sheet"]
        chosen = listed[choose_sheet([e.attrib.get("name", "") for e in listed], choice, name)]
        return sheets[chosen.attrib[_R_ID]][1]
    except (KeyError, StopIteration, IndexError, ElementTree.ParseError, ValueError):
        return None


def _targets(archive: zipfile.ZipFile, rels: str, folder: str) -> dict[str, tuple[str, str]]:
    """A relationships part: each id's type and target part name."""
    from xml.etree import ElementTree

    found = {}
    for e in ElementTree.fromstring(_small(archive, rels)).iter(_RELATIONSHIPS):
        target = e.attrib["Target"]
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = posixpath.normpath(posixpath.join(folder, target))
        found[e.attrib["Id"]] = (e.attrib.get("Type", ""), part)
    return found


def _small(archive: zipfile.ZipFile, part: str) -> bytes:
    if archive.getinfo(part).file_size > _SMALL_PART:
        raise ValueError(f"{part} is too big")
    return archive.read(part)


def _checked_extent(pieces: Iterator[bytes], name: str, max_cells: int) -> Iterator[bytes]:
    """``pieces`` of a sheet, passed on, after checking the extent its dimension declares
    (at the start) and, as they go by, the extent its rows and cells reach.

    Each piece's search (:meth:`Extent.higher`, in Polars, which lets go of the GIL) runs in
    a thread while the next piece is decompressed: a piece searched for what is higher than
    the pieces before it were known to reach is searched for more, never for less.
    """
    highest = Extent()
    rest = b""  # after the last "<" of a piece: no tag (and no character) is cut in two
    pending: tuple[bytes, Future[bool]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csvprep-sheet") as pool:
        for number, piece in enumerate(itertools.chain(pieces, [b""])):  # b"": the rest
            text, cut = rest + piece, piece.rfind(b"<")
            text, rest = (text, b"") if cut < 0 else (text[: len(rest) + cut], piece[cut:])
            if number == 0 and (dimension := _DIMENSION.search(text)):
                Extent.of(dimension.group(1).split(b":")[-1]).check(name, max_cells, "declares")
            highest.reach_end(text)
            if pending is not None and pending[1].result():
                highest.reach(pending[0])
            highest.check(name, max_cells, "reaches")
            pending = (text, pool.submit(Extent.higher, text, highest.pattern()))
            if piece:
                yield piece
        if pending is not None and pending[1].result():
            highest.reach(pending[0])
            highest.check(name, max_cells, "reaches")


class Extent:
    """The highest row and column seen, as written: numbers compare by length, then text
    (``"10" > "9"``, ``"AA" > "Z"``), so no reference needs converting to compare.

    >>> e = Extent()
    >>> e.reach(b'<row r="9"><c r="B9"/></row><row r="10"><c r="A10"/><c r=\\'AA10\\'/>')
    >>> e.rows, e.columns, str(e)
    (10, 27, 'AA10')
    """

    def __init__(self) -> None:
        self.row, self.column = "", ""

    @classmethod
    def of(cls, ref: bytes) -> Extent:
        """The extent a reference such as ``XFD1048576`` names (``$`` signs allowed)."""
        extent = cls()
        extent.reach(b'r="' + ref.replace(b"$", b"") + b'"')
        return extent

    @property
    def rows(self) -> int:
        return int(self.row or 0)

    @property
    def columns(self) -> int:
        number = 0
        for letter in self.column:
            number = number * 26 + ord(letter) - ord("A") + 1
        return number

    def __str__(self) -> str:
        return f"{self.column or 'A'}{self.rows or 1}"

    def reach(self, text: bytes) -> None:
        """Take in every reference of ``text``, one by one (Python's regex engine: slow)."""
        for letters, digits in _REF.findall(text):
            self._take(letters, digits)

    def reach_end(self, text: bytes) -> None:
        """Take in the references at the end of ``text``: in a sheet written in order, the
        highest. Then :meth:`higher` tells whether the rest needs :meth:`reach`."""
        self.reach(text[-4096:])

    @staticmethod
    def higher(text: bytes, pattern: str) -> bool:
        """Whether ``text`` holds a reference :meth:`pattern` calls higher: one pass of
        Polars' regex engine, several times faster than Python's, which would add half the
        xlsx reader's own time to a big sheet. Not UTF-8 (then null): True, to be read by
        :meth:`reach`, which takes bytes."""
        whole = pl.Series([text], dtype=pl.Binary).cast(pl.String, strict=False)
        return whole.str.contains(pattern).item() is not False

    def _take(self, letters: bytes, digits: bytes) -> None:
        row, column = digits.decode("ascii").lstrip("0"), letters.decode("ascii").upper()
        if (len(row), row) > (len(self.row), self.row):
            self.row = row
        if (len(column), column) > (len(self.column), self.column):
            self.column = column

    def pattern(self) -> str:
        """A reference with a higher column, or a higher row, than any seen yet (loosely:
        also after a longer attribute name; :data:`_REF` decides)."""
        column = _above(self.column, _LETTERS, ignore_case=True)
        row = _above(self.row, _DIGITS)
        return (
            r"""r[ \t\r\n]*=[ \t\r\n]*["']"""
            f"(?:(?:{column})0*[0-9]*|[A-Za-z]*0*(?:{row}))"
            r"""["']"""
        )

    def check(self, name: str, max_cells: int, verb: str) -> None:
        rows, columns = self.rows, self.columns
        if columns > MAX_COLUMNS:
            raise InputError(
                f"{name}: the sheet read {verb} column {self.column} ({columns:,} columns), "
                f"past the {MAX_COLUMNS:,} csvprep reads"
            )
        if rows * columns > max_cells:
            raise InputError(
                f"{name}: the sheet read {verb} {'A1:' if rows * columns > 1 else ''}{self} "
                f"({rows:,} rows x {columns:,} columns = {rows * columns:,} cells), over the "
                f"limit of {max_cells:,} cells (raise it with --max-cells)"
            )


def _above(seen: str, alphabet: str, *, ignore_case: bool = False) -> str:
    """A regex for the strings over ``alphabet`` (without leading zeros) that sort after
    ``seen`` by length, then text.

    >>> [bool(re.fullmatch(_above("19", _DIGITS), n)) for n in ("18", "20", "100")]
    [False, True, True]
    """

    def chars(after: str) -> str:
        rest = alphabet[alphabet.index(after) + 1 :] if after else alphabet
        if not rest:
            return ""
        first, last = rest[0], rest[-1]
        span = f"{first}-{last}" if len(rest) > 1 else first
        return span + (span.lower() if ignore_case else "")

    lead = chars(alphabet[0]) if alphabet == _DIGITS else chars("")  # no leading zero
    every = chars("")
    alternatives = [f"[{lead}][{every}]{{{len(seen)},}}"]  # longer
    for i, ch in enumerate(seen):
        bigger = chars(ch)
        if bigger:
            same = "".join(f"[{c}{c.lower()}]" if ignore_case else c for c in seen[:i])
            alternatives.append(f"{same}[{bigger}][{every}]{{{len(seen) - i - 1}}}")
    return "|".join(alternatives)
