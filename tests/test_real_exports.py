"""Real exports read right (issue 15): stray bytes in UTF-8, legacy code pages, title and comment
lines above the header, line breaks inside quoted values kept byte for byte, numbers written
with dots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import phonenumbers
import polars as pl
import pytest

import csvprep
from csvprep.errors import InputError, UsageError
from csvprep.io.columns import LINE
from csvprep.io.reading import read_batches, read_table

GREEK_MAP = {"mobile_number": "Κινητό", "name": "Όνομα", "city": "Πόλη"}
CYRILLIC_MAP = {"mobile_number": "Мобильный", "name": "Имя", "city": "Город"}


def values(table: csvprep.io.reading.Table, column: int) -> list[str]:
    return table.frame[f"c{column}"].to_list()


def problems(report: csvprep.Report, code: str) -> list[csvprep.Problem]:
    return [p for p in report.problems if p.code == code]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "csvprep", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


# -- stray bytes in a UTF-8 file -------------------------------------------------------------


def test_stray_byte_in_utf8_is_read_alone_and_the_rest_stays_utf8(fixture_path, tmp_path):
    result = csvprep.prepare(fixture_path("mixed_utf8_cp1252.csv"), tmp_path / "out")
    clean = (tmp_path / "out" / "mixed_utf8_cp1252.clean.csv").read_bytes().decode("utf-8")
    assert "Doctor’s Clinic" in clean and "José’s Café" in clean and "Zoë’s Bakery" in clean
    assert "Ward 5 – East" in clean
    assert "â€" not in clean and "Ã" not in clean  # no mojibake
    report = result.report
    assert report.encoding == "utf-8"
    (stray,) = problems(report, "encoding_stray_byte")
    assert (stray.line, stray.row, stray.column, stray.value) == (4, 3, "Name", "Ward 5 – East")
    assert stray.severity == "warning" and "0x96" in stray.message
    assert report.rows.valid == 4


def test_stray_byte_location_follows_quotes_and_multiline_records(tmp_path):
    path = tmp_path / "stray.csv"
    path.write_bytes(
        "Mobile Number,Name,City\n"
        '+919876543210,"Doe, Jöhn","Line one\nline two \x96 end"\n'
        "+919812345678,Zoë,Pune\n".encode().replace(b"\xc2\x96", b"\x96")
    )
    report = csvprep.validate(path)
    (stray,) = problems(report, "encoding_stray_byte")
    # the line where the record starts, as for every problem; the message names the byte's
    assert (stray.line, stray.row, stray.column) == (2, 1, "City")
    assert "(from line 3)" in stray.message
    assert stray.value == "Line one\nline two – end"


def test_a_value_with_many_stray_bytes_is_one_problem(tmp_path):
    value = "Doctor’s \x96 " * 500
    path = tmp_path / "many.csv"
    lines = "".join(f"+91987654{i:04d},{value},{value}\n" for i in range(3))
    path.write_bytes(("Mobile Number,Name,Note\n" + lines).encode().replace(b"\xc2\x96", b"\x96"))
    found = problems(csvprep.validate(path), "encoding_stray_byte")
    assert [(p.row, p.column) for p in found] == [
        (r, c) for r in (1, 2, 3) for c in ("Name", "Note")
    ]
    assert all(p.message.startswith("500 bytes not UTF-8") for p in found)
    assert all("0x96 as '–'" in p.message for p in found)
    assert all(p.value.endswith("…") and len(p.value) == 201 for p in found)  # shown, cut


def test_a_legacy_file_is_still_decoded_whole(fixture_path):
    table = read_table(fixture_path("windows1252.csv"))
    assert table.encoding == "windows-1252"
    assert values(table, 1) == ["José Núñez", "Zoë Café – “VIP”"]
    # two names cannot tell Windows-1252 from -1250 (ñ or ń): said, with the way out
    (unsure,) = table.problems
    assert unsure.code == "encoding_uncertain" and "windows-1250" in unsure.message


# -- legacy code pages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "vmap", "names"),
    [
        (
            "cp1253_greek.csv",
            "windows-1253",
            GREEK_MAP,
            ["Γιώργος Παπαδόπουλος", "Μαρία Κωνσταντίνου", "Νίκος Ιωάννου"],
        ),
        (
            "cp1251_cyrillic.csv",
            "windows-1251",
            CYRILLIC_MAP,
            ["Иван Петров", "Ольга Смирнова", "Сергей Кузнецов"],
        ),
    ],
)
def test_legacy_code_pages_are_detected_and_written_as_utf8(
    fixture_path, tmp_path, name, encoding, vmap, names
):
    result = csvprep.prepare(fixture_path(name), tmp_path / "out", variables_map=vmap)
    assert result.report.encoding == encoding
    assert any("detected" in n for n in result.report.notes)
    assert not problems(result.report, "encoding_uncertain")
    assert result.report.rows.valid == 3
    clean = pl.read_csv(tmp_path / "out" / f"{Path(name).stem}.clean.csv", infer_schema=False)
    assert clean[vmap["name"]].to_list() == names
    assert clean.columns == list(vmap.values())


def test_encoding_named_overrides_detection(fixture_path):
    greek = fixture_path("cp1253_greek.csv")
    assert read_table(greek, encoding="iso8859_7").headers[0] == "Κινητό"
    # read as Cyrillic on purpose: the user's word wins, and the report names it
    forced = read_table(greek, encoding="cp1251")
    assert forced.encoding == "windows-1251" and forced.headers[0] != "Κινητό"
    assert any("--encoding" in n for n in forced.notes)


def test_an_encoding_that_cannot_read_the_bytes_names_the_line(fixture_path):
    with pytest.raises(InputError, match=r"line 1: byte 0xCA cannot be read as utf-8-sig"):
        read_table(fixture_path("cp1253_greek.csv"), encoding="utf-8")


def test_an_unknown_encoding_is_a_usage_error(fixture_path):
    with pytest.raises(UsageError, match="unknown encoding 'klingon'"):
        read_table(fixture_path("valid_contacts.csv"), encoding="klingon")
    done = run_cli("validate", str(fixture_path("valid_contacts.csv")), "--encoding", "klingon")
    assert done.returncode == 2
    assert done.stderr.startswith("csvprep: error: unknown encoding 'klingon'")


@pytest.mark.parametrize(
    ("codec", "code"), [("base64", 2), ("rot13", 2), ("undefined", 2), ("punycode", 3)]
)
def test_codecs_that_are_not_of_text_are_one_line_errors(fixture_path, codec, code):
    done = run_cli("validate", str(fixture_path("valid_contacts.csv")), "--encoding", codec)
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("csvprep: error:") and done.stderr.count("\n") == 1


def test_a_code_page_the_detector_cannot_tell_is_reported_unsure(tmp_path):
    # Turkish names read about as well in Windows-1254, -1250 and -1252
    text = "Mobile Number,Ad\n+905321234567,Şükrü Öztürk\n+905321234568,Ayşe Yılmaz\n"
    path = tmp_path / "turkish.csv"
    path.write_bytes(text.encode("cp1254"))
    report = csvprep.validate(path, country_code="TR")
    (unsure,) = problems(report, "encoding_uncertain")
    assert "--encoding" in unsure.message and "windows-1254" in unsure.message
    named = read_table(path, encoding="cp1254")
    assert values(named, 1) == ["Şükrü Öztürk", "Ayşe Yılmaz"] and not named.problems


# -- lines above the header ------------------------------------------------------------------


def test_title_lines_do_not_hide_the_delimiter(fixture_path):
    report = csvprep.validate(fixture_path("title_lines.csv"))
    assert report.delimiter == ";"
    assert report.columns == ("Mobile Number", "Name", "Policy ID", "Due Date")
    assert report.rows.valid == 10
    found = problems(report, "preamble_line")
    assert [(p.line, p.value) for p in found] == [
        (1, "Policy renewals, November"),
        (2, "Exported from SalesCRM on 30/11/2026, 09:00"),
    ]
    assert all("--skip-rows 3" in p.message and p.severity == "warning" for p in found)


def test_comment_lines_above_a_tsv_header(fixture_path):
    table = read_table(fixture_path("comment_lines.tsv"))
    assert table.delimiter == "\t" and table.header_line == 4
    assert table.frame[LINE].to_list()[:2] == [5, 6]
    assert [p.line for p in table.problems] == [1, 2, 3]


@pytest.mark.parametrize("name", ["title_lines.csv", "comment_lines.tsv"])
def test_skip_rows_skips_the_preamble_silently(fixture_path, name):
    path = fixture_path(name)
    table = read_table(path, skip_rows=3)
    guessed = read_table(path)
    assert not table.problems and table.header_line == 4
    assert table.frame.equals(guessed.frame) and table.headers == guessed.headers
    assert any("skipped the first 3 lines" in n for n in table.notes)


def test_skip_rows_past_the_end_is_an_input_error(fixture_path):
    with pytest.raises(InputError, match="nothing is left after skipping its first 99 lines"):
        read_table(fixture_path("valid_contacts.csv"), skip_rows=99)


def test_prepare_writes_files_that_start_at_the_header(fixture_path, tmp_path):
    csvprep.prepare(fixture_path("comment_lines.tsv"), tmp_path / "out")
    clean = (tmp_path / "out" / "comment_lines.clean.csv").read_text(encoding="utf-8")
    assert clean.startswith("Mobile Number,Name,Policy ID,Due Date\n")
    assert "#" not in clean


def test_skip_rows_from_the_command_line_and_the_configuration(fixture_path, tmp_path):
    path = fixture_path("title_lines.csv")
    flagged = run_cli("validate", str(path), "--skip-rows", "3", "--format", "json")
    assert flagged.returncode == 0, flagged.stderr
    assert "preamble_line" not in flagged.stdout
    (tmp_path / "csvprep.toml").write_text("skip_rows = 3\n", encoding="utf-8")
    local = tmp_path / "title_lines.csv"
    local.write_bytes(path.read_bytes())
    configured = run_cli("validate", "title_lines.csv", "--format", "json", cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    assert json.loads(configured.stdout)["counts"]["warning"] == 0
    warned = run_cli("validate", str(path), "--strict")
    assert warned.returncode == 1 and "preamble_line" in warned.stdout


def test_a_preamble_is_found_the_same_in_batches(tmp_path):
    path = tmp_path / "big_with_title.csv"
    rows = "".join(f"+91987654{i:04d};Name {i}\n" for i in range(400))
    path.write_text("Call list, week 48\n\nMobile Number;Name\n" + rows, encoding="utf-8")
    batches = list(read_batches(path, batch_bytes=2048))
    whole = read_table(path)
    assert len(batches) > 2
    assert pl.concat([b.frame for b in batches]).equals(whole.frame)
    assert batches[0].problems == whole.problems and batches[0].header_line == 3
    skipped = list(read_batches(path, batch_bytes=2048, skip_rows=2))
    assert pl.concat([b.frame for b in skipped]).equals(whole.frame)


@pytest.mark.parametrize(
    "text",
    [
        "Phone,,\n+919876543210,a,b\n+919812345678,c,d\n",  # a header with blank names
        "Mobile Number\nEXPORTED\n+919876543210\n",  # one column: a title and a header look alike
        "#,Name,Mobile Number\n1,A,+919876543210\n2,B,+919812345678\n",  # '#' is a header
        "Title\n+919876543210,A\n+919812345678,B\n",  # the line under it looks like data
    ],
)
def test_no_preamble_is_guessed_where_the_first_line_may_be_the_header(tmp_path, text):
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    table = read_table(path)
    assert table.header_line == 1 and not table.problems


def test_title_rows_above_a_workbook_header(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "titled.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Contacts")
    sheet.write_string(0, 0, "Renewals due in December")
    for r, row in enumerate(
        [["Mobile Number", "Name"], ["+919876543210", "A"], ["+919812345678", "B"]], start=2
    ):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    table = read_table(path)
    assert table.headers == ("Mobile Number", "Name") and table.header_line == 3
    assert [(p.code, p.line) for p in table.problems] == [("preamble_line", 1)]
    assert not read_table(path, skip_rows=2).problems


# -- line breaks inside quoted values ---------------------------------------------------------


def test_line_breaks_inside_quoted_values_are_kept_byte_for_byte(fixture_path, tmp_path):
    path = fixture_path("cr_in_quotes.csv")
    table = read_table(path)
    assert table.line_ending == "CR"
    assert values(table, 1) == ["Once upon\ra time", "Diya Patel", "Two\r\nlines"]
    assert table.frame[LINE].to_list() == [2, 4, 5]  # each CR is a physical line
    result = csvprep.split(path, tmp_path / "parts", max_rows=2)
    written = b"".join((tmp_path / "parts" / f.path.name).read_bytes() for f in result.files)
    assert b'"Once upon\ra time"' in written and b'"Two\r\nlines"' in written
    csvprep.prepare(path, tmp_path / "out")
    clean = (tmp_path / "out" / "cr_in_quotes.clean.csv").read_bytes()
    assert b'"Once upon\ra time"' in clean and b'"Two\r\nlines"' in clean


def test_cr_files_without_quoted_breaks_still_read_as_before(fixture_path):
    table = read_table(fixture_path("cr_line_endings.csv"))
    assert table.line_ending == "CR" and table.rows == 10
    assert table.frame[LINE].to_list() == list(range(2, 12))


# -- numbers written with dots ----------------------------------------------------------------


def test_dotted_national_numbers_agree_with_libphonenumber(fixture_path):
    checked = csvprep.check(fixture_path("dotted_national_numbers.csv"), country_code="DE")
    written = checked.table.frame["Mobile Number"].to_list()
    got = checked.frame["e164"].to_list()
    for value, e164 in zip(written[:3], got[:3], strict=True):
        number = phonenumbers.parse(value, "DE")
        assert phonenumbers.is_valid_number(number)
        assert e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # only the spreadsheet's float shape loses its ".0", and says so
    assert got[3] == "+4915123456789"
    repaired = [p for p in checked.report.problems if p.code == "phone_repaired_decimal"]
    assert [p.row for p in repaired] == [4]


# -- found by an outside review: each failed before its fix ----------------------------------


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        # a UTF-8 name among rows of Word's quotes pasted in as Windows-1252 (more stray bytes
        # than UTF-8 characters)
        (
            (
                "Name,Mobile Number,Note\nJosé Peña,+919876543210,x\n"
                + "".join(f"R{i},+91987654321{i},@Q@\n" for i in range(6))
            )
            .encode()
            .replace(b"@Q@", b"Customer\x92s \x93VIP\x94"),
            ["José Peña", "Customer’s “VIP”"],
        ),
        # two UTF-8 characters, two stray bytes: was read whole as Hebrew
        (
            b'Name,Mobile Number,Note\n"D\x92Souza, \xc3\xa9 A",+919876543210,"li\x96ne"\n'
            b"Ravi \xc3\xa9,+919876543211,x\n",
            ["D’Souza, é A", "li–ne", "Ravi é"],
        ),
        # half UTF-8, half Windows-1251: each half in its own letters
        (
            "Имя,Телефон\n".encode()
            + "".join(f"Иван Петров {i},+7916123456{i}\n" for i in range(10)).encode()
            + "".join(f"Ольга Смирнова {i},+7916123457{i}\n" for i in range(10)).encode("cp1251"),
            ["Иван Петров 9", "Ольга Смирнова 0"],
        ),
    ],
)
def test_valid_utf8_is_never_turned_into_mojibake(tmp_path, data, kept):
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.encoding == "utf-8"
    text = "\n".join("|".join(map(str, row)) for row in table.frame.rows())
    assert all(value in text for value in kept), text


def test_a_short_polish_list_is_not_read_as_windows_1252(tmp_path):
    text = "Imię,Telefon\nŁukasz Wójcik,+48601234567\nAnna Dąbrowska,+48601234568\n"
    path = tmp_path / "polish.csv"
    path.write_bytes(text.encode("cp1250"))
    table = read_table(path)
    assert table.encoding == "windows-1250"
    assert values(table, 0) == ["Łukasz Wójcik", "Anna Dąbrowska"]


def test_a_title_ending_in_a_lone_cr_keeps_the_header_under_it(tmp_path):
    path = tmp_path / "cr_title.csv"
    path.write_bytes(
        b"Contacts export\rName,Mobile Number\nAsha,+919876543210\nRavi,+919876543211\n"
    )
    table = read_table(path)
    assert table.headers == ("Name", "Mobile Number") and table.header_line == 2
    assert values(table, 0) == ["Asha", "Ravi"]
    assert table.frame[LINE].to_list() == [3, 4]


@pytest.mark.parametrize(
    ("preamble", "width"),
    [
        ("".join(f"# line {i} of the licence text\n" for i in range(30)), 3),  # many lines
        ("# Exported by SalesCRM, on 2026-11-30, 09:00\n", 3),  # a comment with commas
        ("Report: renewals, November, 2026, West region\n", 3),  # wider than the table
    ],
)
def test_lines_above_the_header_holding_the_delimiter_or_many(tmp_path, preamble, width):
    rows = "".join(f"A{i},+9198765{i:05d},Pune\n" for i in range(40))
    path = tmp_path / "list.csv"
    path.write_text(preamble + "Name,Mobile Number,City\n" + rows, encoding="utf-8")
    table = read_table(path)
    skipped = preamble.count("\n")
    assert table.headers == ("Name", "Mobile Number", "City")
    assert table.header_line == skipped + 1 and len(table.headers) == width
    assert [p.line for p in table.problems] == list(range(1, skipped + 1))
    assert f"--skip-rows {skipped}" in table.problems[0].message


def test_a_header_starting_with_a_hash_and_a_blank_column_is_the_header(tmp_path):
    path = tmp_path / "numbered.csv"
    path.write_text("#,Name,Mobile Number,\n1,Asha,,\n2,Ravi,+919876543211,\n", encoding="utf-8")
    table = read_table(path)
    assert table.header_line == 1 and not table.problems
    assert table.headers == ("#", "Name", "Mobile Number", "")


def test_a_negative_skip_rows_in_the_configuration_names_the_key(tmp_path, fixture_path):
    (tmp_path / "csvprep.toml").write_text("skip_rows = -1\n", encoding="utf-8")
    (tmp_path / "list.csv").write_bytes(fixture_path("valid_contacts.csv").read_bytes())
    done = run_cli("validate", "list.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert "'skip_rows' must be 0 or more" in done.stderr and "csvprep.toml" in done.stderr
