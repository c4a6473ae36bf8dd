"""The reader held to Python's csv module, file by file, over a corpus of CSV files.

Two corpora:

* **generated** here at test time: one table of awkward values (delimiters, quotes and line
  breaks inside values, accents, emoji, blanks) written by Python's csv module in every
  delimiter, quoting style, line end and encoding csvprep reads, with blank lines and a BOM
  where real exports have them;
* **published**: other CSV tools' test data and examples (csvkit, agate, frictionless,
  messytables' "horror" files, node-csv, csv-parser, PapaParse, d3-dsv, readr, commons-csv,
  rust-csv, polars, ...), byte for byte, under ``tests/corpus/<source>/`` with a
  ``SOURCES.md`` naming each file's repository, commit, path and licence, and a copy of each
  licence. Files brought from other repositories come into the project through the shared
  folder, as csv-spectrum did (``tests/peer/``), so the copy is read where it is present
  (``CSVPREP_CORPUS`` names another folder); the expectations below that name its files
  apply only then.

For each file: csvprep either refuses it in one line (only the files in ``REFUSED`` may be
refused), or reads it, and then, next to ``csv.reader`` (non-strict) over the same text,
decoded as the table says and from the line the table says holds the header: the headers
and the number of data rows are csv's, each row starts on the line its csv record starts
on, a well-formed row holds the record's values exactly and a row with the wrong cell
count holds them cut or padded to the header's width (other broken rows are counted). An
encoding Python has no codec for leaves the counts and lines to compare. Files where the two read a
file differently for a reason are in ``KNOWN_DIFFERENCES``, each with the reason; an entry
that no longer differs fails too, so the list stays true.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from csvprep.errors import InputError
from csvprep.io.reading import read_table

CORPUS = Path(os.environ.get("CSVPREP_CORPUS") or Path(__file__).resolve().parent / "corpus")
SUFFIXES = {".csv", ".tsv", ".tab", ".psv", ".ssv", ".dsv"}
PUBLISHED = sorted(
    p.relative_to(CORPUS).as_posix()
    for p in (CORPUS.rglob("*") if CORPUS.is_dir() else ())
    if p.is_file() and p.suffix.lower() in SUFFIXES
)

# Files csvprep refuses (InputError), and why: anything else refused fails the test.
_EMPTY = "empty (no byte, or a line end only): nothing to read"
REFUSED: dict[str, str] = {
    "agate/examples/empty.csv": _EMPTY,
    "csvkit/examples/empty.csv": _EMPTY,
    "frictionless-py/data/empty.csv": _EMPTY,
    "polars/py-polars/tests/unit/io/files/empty.csv": _EMPTY,
    "frictionless-py/data/compression/implicit-gz.csv": "a gzip archive named .csv",
    "frictionless-py/data/compression/implicit-zip.csv": "a ZIP archive named .csv",
    "rust-csv/examples/data/strange.csv": (
        'quotes escaped with backslashes (\\"), which CSV does not have, in the header'
    ),
    "commons-csv/src/test/resources/org/apache/commons/csv/CSV-141/csv-141.csv": (
        "sniffed as pipe-delimited (values hold '|', and an unterminated quote on line 3 "
        "swallows the rest, so no comma count is consistent), which breaks the header's "
        "quotes; read with delimiter ',' its header is fine"
    ),
}

# Files csvprep reads differently from csv.reader, with the reason (see the module docstring).
KNOWN_DIFFERENCES: dict[str, str] = {
    # none: the four files whose lone-CR lines held a CR inside a quoted value (csvkit's
    # mac_newlines.csv, csv-parser's mac-newlines.csv, csvkit's determination_schema.csv and
    # the generated cr-line-break-in-value.csv) were read with that CR turned into LF until
    # issue 15 kept it; their tests now hold csvprep to csv.reader like any other file
}


# --- the comparison ------------------------------------------------------------------------


def _c1(err: UnicodeError) -> tuple[str, int]:
    # Windows-1252 leaves five bytes undefined; they decode to the C1 control of the same
    # value (as the WHATWG encoding standard says), so no byte is lost.
    assert isinstance(err, UnicodeDecodeError)
    return chr(err.object[err.start]), err.start + 1


codecs.register_error("test-corpus-c1", _c1)

_LINE_END = re.compile(r"\r\n|\r|\n")


def decoded(data: bytes, encoding: str) -> str:
    """The text of ``data`` in ``encoding``, BOM dropped."""
    text = data.decode(
        encoding, errors="test-corpus-c1" if encoding == "windows-1252" else "strict"
    )
    return text.removeprefix("\ufeff")


def from_line(text: str, line: int) -> str:
    """``text`` from physical line ``line`` (1-based): LF, CRLF and a lone CR each end one."""
    pos = 0
    for _ in range(line - 1):
        found = _LINE_END.search(text, pos)
        if found is None:
            return ""
        pos = found.end()
    return text[pos:]


@dataclass
class Outcome:
    """What csvprep made of a file: refused (with its message) or the differences found."""

    refused: str | None
    differences: list[str]


def compare(path: Path) -> Outcome:
    try:
        table = read_table(path, require_rows=False)
    except InputError as e:
        return Outcome(refused=str(e), differences=[])
    data = path.read_bytes()
    encoding = table.encoding or "utf-8"
    try:
        codecs.lookup(encoding)
        values = True
    except LookupError:
        # a decoding csv cannot repeat (mixed, or a code page Python lacks): Latin-1 keeps the
        # ASCII quotes, delimiters and line ends where they are, so the counts still compare
        encoding, values = "latin-1", False
    text = from_line(decoded(data, encoding), table.header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter or ",")
    records, starts, end = [], [], 0
    for record in reader:  # each record with the physical line it starts on
        if record:
            records.append(record)
            starts.append(table.header_line + end)
        end = reader.line_num
    header, *rows = records or [[]]
    diffs: list[str] = []
    if values and list(table.headers) != header:
        diffs.append(f"headers {list(table.headers)!r} != csv {header!r}")
    if table.rows != len(rows):
        diffs.append(f"{table.rows} data rows != csv {len(rows)}")
    width = len(table.headers)
    frame = table.frame.sort("__row")
    cells = frame.select(pl.col(f"c{i}") for i in range(width)).rows()
    marks = frame.select("__line", "__defect").rows()
    for n, (got, (line, defect), want, start) in enumerate(
        zip(cells, marks, rows, starts[1:], strict=False), start=1
    ):
        if line != start:
            diffs.append(f"row {n} starts on line {line}, csv's on {start}")
        if not values:
            continue
        if defect is None and list(got) != want:
            diffs.append(f"row {n}: {list(got)!r} != csv {want!r}")
        if defect == "wrong_cell_count" and list(got) != (want + [""] * width)[:width]:
            diffs.append(f"row {n} ({defect}): {list(got)!r} != csv {want!r}")
        if len(diffs) > 5:
            break
    return Outcome(refused=None, differences=diffs)


def check(name: str, path: Path) -> None:
    outcome = compare(path)
    if outcome.refused is not None:
        assert "\n" not in outcome.refused, "a refusal is one line"
        assert name in REFUSED, f"refused but not in REFUSED: {outcome.refused}"
        return
    assert name not in REFUSED, f"read, yet listed in REFUSED ({REFUSED[name]})"
    if name in KNOWN_DIFFERENCES:
        assert outcome.differences, "no longer differs from csv: drop it from KNOWN_DIFFERENCES"
    else:
        assert outcome.differences == []


# --- the published corpus ------------------------------------------------------------------


@pytest.mark.parametrize("name", PUBLISHED)
def test_published_file_reads_as_csv_does(name):
    check(name, CORPUS / name)


def test_the_expectations_name_files_of_the_corpus():
    if not PUBLISHED:
        pytest.skip(f"no published corpus at {CORPUS}")
    listed = {n for n in (*REFUSED, *KNOWN_DIFFERENCES) if not n.startswith("generated/")}
    assert listed <= set(PUBLISHED)
    assert len(REFUSED) <= len(PUBLISHED) // 20, "csvprep refuses too many real files"


# --- the generated corpus ------------------------------------------------------------------

HEADER = ["Name", "Mobile Number", "Note", "City"]
ROWS = [
    ["Doe, J", "+919876543210", 'said "hi"', "Pune"],
    ["Zoë Ångström", "098765 43210", "line one\nline two", "São Paulo"],
    ["", "0098", "", ""],
    ["O'Brien", "+1 650-253-0000", "semi;colon|pipe\ttab", "München"],
    ["  padded  ", "9.19877E+11", "emoji 📞, “curly”", "東京"],
    ["=HYPERLINK()", "'+919876543210", "crlf\r\ninside", "€"],
]
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
ENDS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
ENCODINGS = {  # name: (codec, BOM)
    "utf8": ("utf-8", b""),
    "utf8bom": ("utf-8", codecs.BOM_UTF8),
    "utf16le": ("utf-16-le", codecs.BOM_UTF16_LE),
    "utf16be": ("utf-16-be", codecs.BOM_UTF16_BE),
    "cp1252": ("cp1252", b""),
}


def written(
    rows: list[list[str]], delimiter: str, end: str, quoting: int = csv.QUOTE_MINIMAL
) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=end, quoting=quoting).writerows(rows)
    return out.getvalue()


def generated() -> dict[str, bytes]:
    """Every delimiter x line end x encoding, quoting minimal or all, and a few shapes more."""
    cases: dict[str, bytes] = {}
    for n, ((d, delim), (e, end), (c, (codec, bom))) in enumerate(
        (d, e, c) for d in DELIMITERS.items() for e in ENDS.items() for c in ENCODINGS.items()
    ):
        quoting = csv.QUOTE_ALL if n % 2 else csv.QUOTE_MINIMAL
        rows = [HEADER, *ROWS]
        if end == "\r":  # a line break in a value would make the line ends mixed
            rows = [[re.sub(r"\r?\n", " ", v) for v in r] for r in rows]
        text = written(rows, delim, end, quoting)
        data = text.encode(codec, errors="replace")
        cases[f"generated/{d}-{e}-{c}-{'all' if n % 2 else 'minimal'}.csv"] = bom + data
    plain = written([HEADER, *ROWS], ",", "\r\n")
    first, rest = plain.split("\r\n", 1)
    cases |= {
        "generated/blank-lines.csv": ("\r\n" + first + "\r\n\r\n" + rest + "\r\n\r\n").encode(),
        "generated/cr-line-break-in-value.csv": written([HEADER, ROWS[0]], ",", "\r")
        .replace("hi", "h\ri")
        .encode(),
        "generated/no-final-line-end.csv": plain.rstrip("\r\n").encode(),
        "generated/header-only.csv": (first + "\n").encode(),
        "generated/ragged.csv": written(
            [HEADER, ["a", "b"], ["a", "b", "c", "d", "e"]], ",", "\n"
        ).encode(),
        "generated/nul-byte.csv": written(
            [HEADER, ["a\0", "b", "c", "d"], ROWS[0]], ",", "\n"
        ).encode(),
        "generated/wide.csv": written(
            [[f"h{i}" for i in range(300)], *([f"{r}.{i}" for i in range(300)] for r in range(5))],
            ";",
            "\n",
        ).encode(),
    }
    return cases


GENERATED = generated()


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_file_reads_as_csv_does(name, tmp_path):
    path = tmp_path / Path(name).name
    path.write_bytes(GENERATED[name])
    check(name, path)
