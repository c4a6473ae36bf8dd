"""Huge values and headers: a value past 64 KiB is a problem on its row, shown cut in every
output; a header past its limits is refused at once."""

from __future__ import annotations

import csv
import io
import json
import time

import polars as pl
import pytest

import csvprep
from conftest import run_cli
from csvprep import InputError
from csvprep.io.reading import MAX_VALUE_BYTES, NotStreamable, read_batches


def _list(tmp_path, value: str, column: str = "Name"):
    rows = {"Mobile Number": "9876543210", "Name": "Asha"} | {column: value}
    path = tmp_path / "list.csv"
    path.write_text(
        f"Mobile Number,Name\n{rows['Mobile Number']},{rows['Name']}\n9876543211,Ravi\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("column", ["Name", "Mobile Number"])
def test_a_value_past_the_limit_is_a_problem_on_its_row_shown_cut_everywhere(tmp_path, column):
    value = "9" * (MAX_VALUE_BYTES + 1)
    path = _list(tmp_path, value, column)
    report = csvprep.validate(path)
    assert (report.rows.valid, report.rows.invalid) == (1, 1)
    [problem] = report.problems
    assert (problem.code, problem.line, problem.severity) == ("value_too_long", 2, "error")
    assert f"{column!r} is 65,537 bytes long" in problem.message
    assert len(problem.message) < 200
    for fmt in ("text", "json", "github"):
        out = run_cli("validate", path, "--format", fmt).stdout
        assert "value_too_long" in out and len(out) < 3000, fmt
    result = csvprep.prepare(path, tmp_path / "out")
    rejects = list(csv.DictReader(io.StringIO(result.rejected.path.read_text("utf-8"))))
    assert [r["reason_codes"] for r in rejects] == ["value_too_long"]
    assert len(rejects[0]["reasons"]) < 200
    assert rejects[0][column] == value[:200] + "…"  # the row is there, its value cut
    report_file = json.loads((tmp_path / "out" / "list.report.json").read_text("utf-8"))
    assert len(json.dumps(report_file)) < 3000


def test_a_value_at_the_limit_is_read_as_any_other(tmp_path):
    report = csvprep.validate(_list(tmp_path, "x" * MAX_VALUE_BYTES))
    assert report.rows.valid == 2 and not report.problems


def test_a_long_value_is_the_same_problem_in_batches_in_a_frame_and_in_a_workbook(
    tmp_path, monkeypatch
):
    from test_robustness import _cell, _workbook

    value = "x" * (MAX_VALUE_BYTES + 10)
    rows = [f"98765{i:05d},{value if i == 30 else 'A'}" for i in range(60)]
    path = tmp_path / "list.csv"
    path.write_text("Mobile Number,Name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    whole = csvprep.validate(path)
    assert [(p.code, p.line) for p in whole.problems] == [("value_too_long", 32)]
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 32768)
    assert len(list(read_batches(path, batch_bytes=32768))) > 1
    assert csvprep.validate(path) == whole
    # a record longer than four batches: the file is read whole instead, in one pass
    with pytest.raises(NotStreamable):
        list(read_batches(path, batch_bytes=4096))
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 4096)
    assert csvprep.validate(path) == whole
    frame = pl.DataFrame({"Mobile Number": ["9876543210"], "Name": [value]})
    assert csvprep.validate(frame).problems[0].code == "value_too_long"
    sheet = (
        f'<row r="1">{_cell("A1", "Mobile Number")}{_cell("B1", "Name")}</row>'
        f'<row r="2">{_cell("A2", "9876543210")}{_cell("B2", value)}</row>'
    )
    book = _workbook(tmp_path / "list.xlsx", sheet)
    assert csvprep.validate(book).problems[0].code == "value_too_long"


def test_a_long_phone_value_under_the_limit_is_quoted_cut(tmp_path):
    # libphonenumber reads no more than 250 characters: the answer is known without asking
    for value in ("9" * 5000, "'" + "9" * 5000, "9." + "9" * 5000 + "E+11"):
        report = csvprep.validate(_list(tmp_path, value, "Mobile Number"), max_problems=5)
        assert report.rows.invalid == 1
        assert all(len(p.message) < 500 for p in report.problems), value[:3]
        out = run_cli("validate", tmp_path / "list.csv").stdout
        assert len(out) < 3000


def test_a_header_past_a_mebibyte_is_refused_at_once(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"column {i}" for i in range(2_000_000)) + "\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError, match=r"the header \(line 1\) is longer than 1,048,576"):
        csvprep.validate(path)
    assert time.monotonic() - started < 5


def test_a_header_of_too_many_columns_or_too_long_a_name_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("\n\n" + ",".join(f"c{i}" for i in range(20_000)) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"the header \(line 3\) has 20,000 columns, more than"):
        csvprep.validate(path)
    path.write_text(f'Mobile Number,"{"Name " * 300}"\n9876543210,x\n', encoding="utf-8")
    with pytest.raises(InputError, match="a column name of 1,500 bytes"):
        csvprep.validate(path)
    with pytest.raises(InputError, match="20,000 columns"):
        csvprep.validate(pl.DataFrame(schema={f"c{i}": pl.String for i in range(20_000)}))


def test_a_quote_left_open_before_megabytes_of_lines_is_one_broken_record(tmp_path, monkeypatch):
    # the rest of the file is one value, past Python's csv field limit (128 KiB) and past
    # four batches: read whole, once, and reported on its line
    rows = "".join(f"98765{i:05d},Name {i}\n" for i in range(20_000))
    path = tmp_path / "open.csv"
    path.write_text(f'Mobile Number,Name\n9876543210,"open\n{rows}', encoding="utf-8")
    whole = csvprep.validate(path)
    assert [(p.code, p.line) for p in whole.problems] == [("unterminated_quote", 2)]
    assert whole.rows.total == 1 and len(whole.problems[0].value or "") <= 201
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 4096)
    assert csvprep.validate(path) == whole
