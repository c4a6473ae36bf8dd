"""The breakdown by country, number type and column: right in one batch and in many, in the
JSON, the text and the files prepare writes; and the HTML report through the command line."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, run_cli
from csvprep import validate
from csvprep.pipeline.validation import check

LIST = (
    "Mobile Number,Name\n"
    "+91 98765 43210,a\n"  # IN mobile
    "+1 201 555 0123,b\n"  # US (a shared calling code)
    "+1 416 555 0123,\n"  # CA, Name empty
    "+91 98765 43210,c\n"  # a repeat: not valid, not counted
    "12345,d\n"  # invalid
    "+44 20 7946 0958,\n"  # GB fixed line, Name empty
)


@pytest.fixture
def contacts(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(LIST, encoding="utf-8")
    return path


def expected(report):
    b = report.breakdown
    assert b.countries == {"IN": 1, "US": 1, "CA": 1, "GB": 1}
    assert sum(b.countries.values()) == report.rows.valid == sum(b.number_types.values())
    assert b.number_types == {"mobile": 1, "fixed_line_or_mobile": 2, "fixed_line": 1}
    # every problem counted: the repeat and the invalid number, and both empty names
    assert b.columns == {"Mobile Number": 2, "Name": 2}


def test_breakdown_in_one_batch(contacts):
    expected(validate(contacts, max_problems=0))


def test_breakdown_summed_across_batches(contacts, monkeypatch):
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 32)  # a batch or two a row
    report = check(contacts).report
    expected(report)
    assert report == validate(contacts)


def test_breakdown_leaves_out_rows_a_unique_rule_rejects(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Mobile Number,Id\n9876543210,1\n9876543211,1\n", encoding="utf-8")
    report = validate(path, rules={"columns": {"Id": {"unique": True}}})
    assert report.rows.valid == 1 and report.breakdown.countries == {"IN": 1}
    assert report.breakdown.columns == {"Id": 1}


def test_breakdown_in_json_and_text(contacts):
    data = json.loads(run_cli("validate", contacts, "--format", "json").stdout)
    assert next(iter(data["breakdown"]["countries"])) == "CA"  # ties by name
    text = run_cli("validate", contacts).stdout
    assert "countries: CA 1, GB 1, IN 1, US 1" in text
    assert "number types: fixed line or mobile 2, fixed line 1, mobile 1" in text


def test_output_writes_any_format_to_a_file(contacts, tmp_path):
    for fmt in ("text", "json", "github", "html"):
        out = tmp_path / f"report.{fmt}"
        result = run_cli("validate", contacts, "--format", fmt, "--output", out)
        assert result.exit_code == 1 and result.stdout == ""
        assert "contacts.csv" in out.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "report.json").read_text())["rows"]["valid"] == 4
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (
        page.startswith("<!doctype html>") and "\x1b[" not in (tmp_path / "report.text").read_text()
    )


def test_output_that_cannot_be_written_exits_7(contacts, tmp_path):
    result = run_cli("validate", contacts, "--output", tmp_path / "no" / "such" / "r.html")
    assert result.exit_code == 7 and "r.html: cannot write: No such file" in result.stderr


def test_html_goes_to_stdout(contacts):
    result = run_cli("validate", contacts, FIXTURES / "valid_contacts.csv", "--format", "html")
    assert result.stdout.count('<section class="file"') == 2 and 'id="overview"' in result.stdout


def test_prepare_writes_the_html_report_beside_the_json(contacts, tmp_path):
    out = tmp_path / "out"
    assert run_cli("prepare", contacts, "--out", out).exit_code == 1
    page = (out / "contacts.report.html").read_text(encoding="utf-8")
    assert "Not fit to upload" in page and 'data-chart="countries-1"' in page
