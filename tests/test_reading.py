"""The reader: encodings, delimiters, line ends, quoting, structure, unreadable inputs."""

from __future__ import annotations

import gc
import weakref

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csvprep
from csvprep import InputError, UsageError
from csvprep.io.columns import DEFECT, LINE, ROW
from csvprep.io.reading import NotStreamable, read_batches, read_table, sniff_delimiter
from csvprep.io.records import (
    _EXACT_WIDTH,
    _split_exact,
    _split_fast,
    split_records,
)

EXPECTED_FIRST = ("+919876543210", "Aarav Sharma", "POL-1001", "20/10/2026")
HEADER = ("Mobile Number", "Name", "Policy ID", "Due Date")


def cells(frame: pl.DataFrame) -> list[tuple[str, ...]]:
    return frame.select(pl.col(r"^c\d+$")).rows()


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "ending"),
    [
        ("valid_contacts.csv", "utf-8", ",", "LF"),
        ("bom_utf8.csv", "utf-8-sig", ",", "LF"),
        ("crlf.csv", "utf-8", ",", "CRLF"),
        ("cr_line_endings.csv", "utf-8", ",", "CR"),
        ("semicolon.csv", "utf-8", ";", "LF"),
        ("tab_delimited.tsv", "utf-8", "\t", "LF"),
        ("pipe.csv", "utf-8", "|", "LF"),
        ("utf16_le_bom.txt", "utf-16-le", "\t", "CRLF"),
        ("utf16_be_bom.csv", "utf-16-be", ",", "LF"),
    ],
)
def test_every_export_shape_reads_to_the_same_table(
    fixture_path, name, encoding, delimiter, ending
):
    table = read_table(fixture_path(name))
    assert table.headers == HEADER  # no BOM left on the first header
    assert (table.encoding, table.delimiter, table.line_ending) == (encoding, delimiter, ending)
    assert table.rows == 10
    assert cells(table.frame)[0] == EXPECTED_FIRST
    assert table.frame[LINE].to_list() == list(range(2, 12))


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("utf16_le_bom.txt", "utf-16-le"),
        ("utf16_be_bom.csv", "UTF-16BE"),
        ("bom_utf8.csv", "utf-8"),
    ],
)
def test_a_byte_order_mark_is_no_header_when_the_encoding_is_named(fixture_path, name, encoding):
    table = read_table(fixture_path(name), encoding=encoding)
    assert table.headers == HEADER
    assert table.rows == 10


def test_values_stay_text_as_written():
    table = read_table(pl.DataFrame({"Mobile Number": ["+919876543210"], "Pin": ["0098"]}))
    assert cells(table.frame) == [("+919876543210", "0098")]
    path_table = split_records(b"Mobile Number,Pin\n+919876543210,0098\n", ",")
    assert cells(path_table.frame) == [("+919876543210", "0098")]


def test_windows_1252_is_decoded_losslessly_and_said(fixture_path):
    table = read_table(fixture_path("windows1252.csv"))
    assert table.encoding == "windows-1252"
    assert cells(table.frame)[0][1] == "José Núñez"
    assert cells(table.frame)[1][1] == "Zoë Café – “VIP”"
    assert any("Windows-1252" in n and "line 2" in n for n in table.notes)


def test_bytes_undefined_in_windows_1252_are_kept(tmp_path):
    path = tmp_path / "undefined_bytes.csv"
    path.write_bytes(b"Mobile Number,Name\n+919876543210,A\x81\x8d\xe9\n")
    # named: Windows-1252 leaves 0x81 and 0x8D undefined; they are kept as C1 controls
    table = read_table(path, encoding="cp1252")
    assert cells(table.frame)[0][1] == "A\x81\x8dé"
    # detected, those bytes read better as Windows-1251 (ЃЌй): whichever wins, none is lost
    assert len(cells(read_table(path).frame)[0][1]) == 4


def test_quoted_fields_keep_commas_quotes_and_newlines(fixture_path):
    table = read_table(fixture_path("quoted_fields.csv"))
    names = [row[1] for row in cells(table.frame)]
    assert names == ["Sharma, Aarav", 'Diya "Didi" Patel', "Kabir\nSingh", "Ananya Iyer"]
    # the record after a two-line record starts two lines later
    assert table.frame[LINE].to_list() == [2, 3, 4, 6]


def test_ragged_rows_are_set_aside_with_their_line(fixture_path):
    frame = read_table(fixture_path("ragged_rows.csv")).frame
    assert frame[DEFECT].to_list() == [None, "wrong_cell_count", "wrong_cell_count", None]
    assert frame[LINE].to_list() == [2, 3, 4, 5]
    assert frame[ROW].to_list() == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("name", "code", "line"),
    [
        ("unterminated_quote.csv", "unterminated_quote", 3),
        ("stray_quote.csv", "malformed_quotes", 3),
        ("nul_bytes.csv", "nul_byte", 3),
    ],
)
def test_broken_records_are_named_at_the_line_they_start(fixture_path, name, code, line):
    frame = read_table(fixture_path(name)).frame
    broken = frame.filter(pl.col(DEFECT).is_not_null())
    assert broken[DEFECT].to_list() == [code]
    assert broken[LINE].to_list() == [line]


def test_blank_lines_are_not_rows_but_lines_still_count(fixture_path):
    frame = read_table(fixture_path("blank_lines.csv")).frame
    assert frame[LINE].to_list() == [2, 5, 6]
    assert frame[ROW].to_list() == [1, 2, 3]


def test_xlsx_reads_text_and_numbers_as_written(fixture_path):
    table = read_table(fixture_path("contacts.xlsx"))
    assert table.headers == HEADER
    assert cells(table.frame)[0] == EXPECTED_FIRST
    assert cells(table.frame)[-1][0] == "919900112233"
    assert table.frame[LINE].to_list() == [2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "file is empty"),
        ("header_only.csv", "no data rows"),
        ("binary_png.csv", "PNG image"),
        ("does_not_exist.csv", "no such file"),
    ],
)
def test_unreadable_inputs_raise_input_error(name, message):
    from conftest import FIXTURES

    with pytest.raises(InputError, match=message) as info:
        read_table(FIXTURES / name)
    assert info.value.exit_code == 3


def test_a_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="directory"):
        read_table(tmp_path)


def test_unsupported_source_type_is_a_usage_error():
    with pytest.raises(UsageError):
        read_table(42)


def test_sniffer_prefers_the_consistent_delimiter():
    assert sniff_delimiter("a;b;c\n1;2,5;3\n4;5;6\n") == ";"
    assert sniff_delimiter("Mobile Number\n+919876543210\n") == ","
    assert sniff_delimiter("a|b\n1|2\n") == "|"


# --- the fast path and the exact path agree on every well-formed file -----------------------

_value = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\t|1é')), max_size=6)


def _write_csv(rows: list[list[str]], delimiter: str, newline: str) -> bytes:
    # Quote as RFC 4180 and spreadsheets do: csv.writer leaves a lone CR unquoted when the line
    # terminator is LF, which is not a round trip.
    special = (delimiter, '"', "\n", "\r")

    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in special) else v

    text = "".join(delimiter.join(cell(v) for v in row) + newline for row in rows)
    return text.encode("utf-8")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    width=st.integers(1, 4),
    data=st.data(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_fast_path_equals_exact_path_and_python_csv(width, data, delimiter, newline):
    header = [f"h{i}" for i in range(width)]
    rows = data.draw(st.lists(st.lists(_value, min_size=width, max_size=width), max_size=8))
    # a record that is one empty cell is written as a blank line: a row csv cannot round-trip
    rows = [r for r in rows if r != [""]]
    raw = _write_csv([header, *rows], delimiter, newline)
    fast = split_records(raw, delimiter)
    exact = _split_exact(raw, delimiter)
    assert fast.header == exact.header == header
    assert fast.frame.equals(exact.frame)
    assert cells(fast.frame) == [tuple(r) for r in rows]
    assert fast.line_ends == exact.line_ends == raw.count(b"\n")


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        (b'Mobile Number,Name\r\n"+919876543210","Doe, J"\r\n98765,"say ""hi"""\r\n', True),
        (b"\n\nMobile Number,Name\n+919876543210,A\n98765,B", True),  # blank lines first
        (b"Mobile Number,Name\n\n+919876543210,A\n", False),  # a blank line after the header
        (b'Mobile Number,Name\n"+91\n98",A\n', False),  # a line break inside quotes
        (b"Mobile Number,Name\n+919876543210,A,extra\n", False),  # a ragged record
        (b"Mobile Number,Name\n+919876543210,Doe\n98765,Roe\n", True),  # no quote: counted
    ],
)
def test_the_usual_text_is_split_in_fewer_passes_into_the_same_records(monkeypatch, raw, plain):
    import csvprep.io.records as records

    taken = []
    plain_header = records._plain_header
    monkeypatch.setattr(
        records, "_plain_header", lambda *a: taken.append(plain_header(*a)) or taken[-1]
    )
    fast, exact = _split_fast(raw, ","), _split_exact(raw, ",")
    assert (taken[0] is not None) == plain
    assert fast.frame.equals(exact.frame)
    assert (fast.header, fast.header_line, fast.line_ends) == (
        exact.header,
        exact.header_line,
        exact.line_ends,
    )


def test_ragged_and_nul_records_agree_between_paths():
    raw = b"a,b\n1,2\n3\n\n4,5,6\n7,\x008\n9,10"
    assert split_records(raw, ",").frame.equals(_split_exact(raw, ",").frame)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    width=st.sampled_from([1, 2, 3, _EXACT_WIDTH + 1]),
    data=st.data(),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_ragged_records_are_found_by_the_fast_path_as_by_the_exact_one(width, data, delimiter):
    # wider than _EXACT_WIDTH, cells are counted rather than matched by one regex
    header = [f"h{i}" for i in range(width)]
    sizes = st.integers(max(1, width - 2), width + 2)
    value = st.text(alphabet=st.sampled_from(list('ab ,"\n\t1é')), max_size=6)  # no lone CR
    rows = data.draw(st.lists(sizes.flatmap(lambda n: st.lists(value, min_size=n, max_size=n))))
    rows = [r for r in rows if r != [""]]
    raw = _write_csv([header, *rows], delimiter, "\n")
    fast = _split_fast(raw, delimiter)
    assert fast is not None  # well-formed quotes: the fast path must take it
    assert fast.frame.equals(_split_exact(raw, delimiter).frame)
    cut = raw.rstrip(b"\n")  # the last line without its end, blank lines before it
    assert _split_fast(cut + b"\n\n", delimiter).line_ends == cut.count(b"\n") + 2
    assert _split_fast(cut, delimiter).line_ends == cut.count(b"\n")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    data=st.data(),
    newline=st.sampled_from(["\n", "\r\n"]),
    batch=st.integers(16, 64),  # the header must end within the first batch
    blank_lead=st.booleans(),
)
def test_batches_number_rows_and_lines_as_the_whole_file(
    tmp_path_factory, data, newline, batch, blank_lead
):
    value = st.text(alphabet=st.sampled_from(list('ab ,"\n1é')), max_size=5)
    sizes = st.integers(1, 3)
    rows = data.draw(st.lists(sizes.flatmap(lambda n: st.lists(value, min_size=n, max_size=n))))
    rows = [r for r in rows if r != [""]]
    raw = _write_csv([["h0", "h1"], *rows], ",", newline)
    raw = (newline.encode() if blank_lead else b"") + raw + newline.encode()  # blank lines
    path = tmp_path_factory.mktemp("batches") / "list.csv"
    path.write_bytes(raw)
    if not rows:
        for read in (read_table, lambda p: list(read_batches(p, batch_bytes=batch))):
            with pytest.raises(InputError, match="no data rows"):
                read(path)
        return
    whole = read_table(path).frame
    try:
        batches = list(read_batches(path, batch_bytes=batch))
    except NotStreamable:  # only where the whole file needs the exact reader too
        assert split_records(raw, ",", exact=False) is None
        return
    assert all(t.headers == ("h0", "h1") for t in batches)
    assert pl.concat([t.frame for t in batches]).equals(whole)
    for table in (read_table(path), *batches):
        _assert_plain_holds(table)


def _assert_plain_holds(table: csvprep.io.reading.Table) -> None:
    """A table said plain has no cell with a comma, a quote or a line break (the writer then
    writes its cells as they are)."""
    if table.plain:
        special = pl.any_horizontal(
            pl.col(f"c{i}").str.contains_any([",", '"', "\n", "\r"])
            for i in range(len(table.headers))
        )
        assert not table.frame.select(special.any()).item(), cells(table.frame)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        (b"Mobile Number,Name\n+919876543210,A B\n,\n", True),
        (b"Mobile Number,Name\r\n+919876543210,A\r\n", True),
        (b'Mobile Number,Name\n+919876543210,"A"\n', False),  # quoted, even needlessly
        (b'Mobile Number,Name\n+919876543210,"A, B"\n', False),
        (b"Mobile Number;Name\n+919876543210;A, B\n", False),  # a comma in a cell
        (b"Mobile Number,Name\r\n+919876543210,A\rB\r\n", True),  # a lone CR ends a line
        (b"Mobile Number,Name\n+919876543210,A,extra\n", True),  # a ragged record
    ],
)
def test_a_table_is_plain_only_where_no_cell_can_hold_a_comma_quote_or_line_break(
    tmp_path, raw, plain
):
    path = tmp_path / "list.csv"
    path.write_bytes(raw)
    table = read_table(path)
    assert table.plain == plain
    _assert_plain_holds(table)


def test_workbooks_and_frames_are_never_said_plain(fixture_path):
    assert not read_table(fixture_path("contacts.xlsx")).plain
    assert not read_table(pl.DataFrame({"Mobile Number": ["+919876543210"]})).plain


def test_a_line_longer_than_a_batch_is_read_on_until_it_ends(tmp_path):
    note = "x" * 300  # no line end in several whole batches
    rows = "".join(f"+91987654{i:04d},{note if i == 3 else i}\n" for i in range(8))
    path = tmp_path / "long_line.csv"
    path.write_bytes(f"Mobile Number,Note\n{rows}".encode())
    batches = list(read_batches(path, batch_bytes=64))
    assert len(batches) > 2
    assert pl.concat([t.frame for t in batches]).equals(read_table(path).frame)
    assert batches[-1].frame[LINE].to_list()[-1] == 9


@pytest.mark.parametrize(("batch_rows", "later"), [(0, 10), (15, 15), (100, 20)])
def test_reads_after_the_first_hold_about_batch_rows_up_to_twice_the_batch(
    tmp_path, monkeypatch, batch_rows, later
):
    # a batch costs the same queries whatever its rows: long rows are read more at a time
    monkeypatch.setattr("csvprep.io.reading.BATCH_ROWS", batch_rows)
    rows = "".join(f"+91987654{i:04d},{'x' * 35}\n" for i in range(95))  # 50 bytes a row
    path = tmp_path / "long_rows.csv"
    path.write_bytes(f"Mobile Number,Note\n{rows}".encode())
    batches = list(read_batches(path, batch_bytes=500))
    # the first read holds the header and nine rows, and the start of a tenth
    assert [t.rows for t in batches[:2]] == [9, later]
    assert {t.rows for t in batches[1:-1]} <= {later, later + 1}
    assert pl.concat([t.frame for t in batches]).equals(read_table(path).frame)


def test_the_reader_lets_go_of_each_batch_once_taken(tmp_path):
    # a batch of memory each: the first batch, whose header line later batches need
    notes = ["a" if i % 7 else "x\ny" for i in range(300)]
    rows = "".join(f'+91987654{i:04d},"{note}"\n' for i, note in enumerate(notes))
    path = tmp_path / "list.csv"
    path.write_bytes(f"Mobile Number,Note\n{rows}".encode())
    batches = read_batches(path, batch_bytes=200)
    taken = [weakref.ref(next(batches)) for _ in range(3)]
    later = [next(batches) for _ in range(3)]  # the reader still at work
    gc.collect()
    assert later[-1].rows and [t() for t in taken] == [None, None, None]
    batches.close()


def test_a_big_file_that_is_not_utf8_is_read_whole(tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes(b"Name,Mobile Number\n" + b"Jos\xe9,+919876543210\n" * 20)
    with pytest.raises(NotStreamable):
        list(read_batches(path, batch_bytes=64))


def test_bytes_that_are_not_utf8_in_a_later_batch_make_the_whole_file_read_whole(
    tmp_path, monkeypatch
):
    path = tmp_path / "late_cp1252.csv"
    path.write_bytes(b"Name,Mobile Number\n" + b"Jo,+919876543210\n" * 20 + b"Jos\xe9,+91\n")
    batches = read_batches(path, batch_bytes=64)
    assert next(batches).rows > 0  # the first batches are UTF-8
    with pytest.raises(NotStreamable):
        list(batches)
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 64)
    report = csvprep.validate(path)  # started in batches, then read whole as Windows-1252
    assert report.encoding == "windows-1252"
    assert report.rows.total == 21


def test_a_header_spanning_lines_is_put_before_every_batch(tmp_path):
    rows = "".join(f'+91987654{i:04d},"x\ny"\n' for i in range(12))
    path = tmp_path / "multiline_header.csv"
    path.write_bytes(f'\n"Mobile\nNumber",Note\n{rows}'.encode())
    batches = list(read_batches(path, batch_bytes=64))
    assert len(batches) > 2
    assert {t.headers for t in batches} == {("Mobile\nNumber", "Note")}
    assert pl.concat([t.frame for t in batches]).equals(read_table(path).frame)


def test_a_big_workbook_is_read_as_a_workbook(tmp_path, monkeypatch):
    import shutil

    from conftest import FIXTURES

    path = tmp_path / "contacts.xlsx"
    shutil.copy(FIXTURES / "contacts.xlsx", path)
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 64)  # "big": past one batch
    assert csvprep.validate(path).encoding == "xlsx"


def test_batches_are_read_ahead_in_order_and_a_reader_can_stop_early(tmp_path):
    import threading

    rows = "".join(f"+91987654{i:04d},x\n" for i in range(40))
    path = tmp_path / "list.csv"
    path.write_bytes(f"Mobile Number,Note\n{rows}".encode())
    whole = read_table(path).frame
    before = threading.active_count()
    assert pl.concat([t.frame for t in read_batches(path, batch_bytes=64)]).equals(whole)
    batches = read_batches(path, batch_bytes=64)
    assert next(batches).frame[ROW].to_list()[0] == 1
    batches.close()  # the reading thread is done with, the file closed
    assert threading.active_count() == before


def test_an_error_while_reading_ahead_comes_out_where_the_batch_would_have():
    from csvprep.io.reading import _read_ahead

    def items():
        yield 1
        raise InputError("line 9: broken")

    got = _read_ahead(items())
    assert next(got) == 1
    with pytest.raises(InputError, match="line 9"):
        next(got)


def test_a_bom_starting_a_data_line_is_kept_whole_and_in_batches(tmp_path, monkeypatch):
    # Polars drops a BOM from the first value it parses (found by the mutation fuzzer):
    # values stay as written, whichever record a batch starts with
    header = "\ufeffMobile Number,Name\n"
    path = tmp_path / "boms.csv"
    path.write_text(header * 3 + "+919876543210,A\n", encoding="utf-8")
    whole = read_table(path).frame["c0"].to_list()
    assert whole == ["\ufeffMobile Number", "\ufeffMobile Number", "+919876543210"]
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 40)
    assert csvprep.check(path).table.frame["Mobile Number"].to_list() == whole


@pytest.mark.parametrize("given", ["tab", "TAB", "\\t", "\t"])
def test_the_library_takes_a_delimiter_as_its_word_as_the_cli_does(fixture_path, given):
    table = read_table(fixture_path("tab_delimited.tsv"), delimiter=given)
    assert table.delimiter == "\t" and table.headers == HEADER
    assert csvprep.validate(fixture_path("tab_delimited.tsv"), delimiter=given).rows.valid == 10
