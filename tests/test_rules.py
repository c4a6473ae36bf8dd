"""Column rules on pandera's Polars backend: every type passes good values and fails bad ones
on the right line."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pandera.polars as pa
import polars as pl
import pytest

import csvprep
from conftest import FIXTURES, ROOT, SCHEMAS, VARIABLES_MAP, run_cli
from csvprep import ConfigError
from csvprep.checks.rules import load_rules

EXAMPLES = sorted((SCHEMAS / "examples").glob("*.rules.toml"))
RULES_SCHEMA = json.loads((SCHEMAS / "rules.schema.json").read_text(encoding="utf-8"))


def failing_lines(values: list[str], spec: dict, code: str | None = None) -> list[int]:
    frame = pl.DataFrame(
        {"Mobile Number": [f"+9198{i:08d}" for i in range(len(values))], "X": values}
    )
    report = csvprep.validate(frame, rules={"columns": {"X": spec}})
    return [
        p.line
        for p in report.problems
        if p.code.startswith("rule_") and (code is None or p.code == code)
    ]


@pytest.mark.parametrize(
    ("spec", "good", "bad"),
    [
        ({"required": True}, ["a", "b"], ["", "  "]),
        ({"type": "integer"}, ["100000", "-5", ""], ["1,00,000", "12.5", "ten"]),
        ({"type": "decimal"}, ["100000", "1500.50", ".5"], ["1,00,000.00", "1.2.3", "₹500"]),
        (
            {"type": "date", "format": "DD/MM/YYYY"},
            ["20/10/2026", "29/02/2028"],
            ["31/02/2026", "2026-10-20", "1/2/2026"],
        ),
        ({"type": "date", "format": "YYYY-MM-DD"}, ["2026-10-20"], ["20/10/2026"]),
        ({"type": "time"}, ["09:30", "23:59"], ["24:00", "9:30", "09:30:00"]),
        ({"type": "email"}, ["asha@example.com"], ["asha@", "asha example.com", "a@b"]),
        ({"type": "url"}, ["https://example.com/pay?x=1"], ["example.com", "ftp://x.org"]),
        ({"type": "enum", "values": ["Gold", "Silver"]}, ["Gold"], ["gold", "Bronze"]),
        ({"type": "regex", "pattern": "POL-[0-9]+"}, ["POL-1"], ["POL-", "xPOL-1", "POL-1x"]),
        ({"min_length": 2, "max_length": 4}, ["ab", "abcd"], ["a", "abcde"]),
        ({"type": "integer", "min": 1, "max": 10}, ["1", "10"], ["0", "11"]),
        ({"type": "date", "min": "01/01/2026"}, ["01/01/2026"], ["31/12/2025"]),
    ],
)
def test_every_rule_type_passes_good_and_fails_bad_on_its_line(spec, good, bad):
    assert failing_lines(good, spec) == []
    # bad values sit after one good value: header line 1, good value line 2
    assert failing_lines([good[0], *bad], spec) == list(range(3, 3 + len(bad)))


def test_unique_flags_repeats_after_the_first():
    assert failing_lines(["a", "b", "a", "a"], {"unique": True}, "rule_unique") == [4, 5]


def test_rules_by_variable_and_messages_say_the_rule():
    report = csvprep.validate(
        FIXTURES / "empty_values.csv",
        variables_map=VARIABLES_MAP,
        rules={"variables": {"callee_name": {"required": True}}},
    )
    (problem,) = [p for p in report.problems if p.code == "rule_required"]
    assert (problem.line, problem.column, problem.message) == (2, "Name", "Name must not be empty")
    assert report.rows.invalid == 1


def test_a_rule_for_a_missing_column_is_an_error():
    report = csvprep.validate(
        FIXTURES / "valid_contacts.csv", rules={"columns": {"Amount": {"type": "decimal"}}}
    )
    assert report.problem_counts == {"rule_column_missing": 1}


def test_warning_rules_warn_and_prepare_keeps_the_row(tmp_path):
    rules = {"columns": {"Name": {"min_length": 50, "severity": "warning"}}}
    report = csvprep.validate(FIXTURES / "valid_contacts.csv", rules=rules)
    assert report.count("warning") == 10 and report.count("error") == 0
    assert [s["severity"] for s in report.summary()] == ["warning"]
    assert report.problems[0].severity == "warning"
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1
    result = csvprep.prepare(FIXTURES / "valid_contacts.csv", tmp_path / "o", rules=rules)
    assert result.manifest["rows"]["clean"] == 10


def test_prepare_rejects_rows_breaking_error_rules(tmp_path):
    rules = {"columns": {"Due Date": {"type": "date", "min": "25/10/2026"}}}
    result = csvprep.prepare(FIXTURES / "valid_contacts.csv", tmp_path / "o", rules=rules)
    assert result.manifest["rows"] == {
        "input": 10,
        "clean": 5,
        "rejected": 5,
        "duplicates": 0,
        "excluded": 0,
    }
    rejects = (tmp_path / "o" / "valid_contacts.rejected.csv").read_text(encoding="utf-8")
    assert "rule_min" in rejects and "Due Date must be at least 25/10/2026" in rejects


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[columns.X]\ntype = "money"\n', "type 'money'"),
        ('[columns.X]\ncolour = "red"\n', "unknown key 'colour'"),
        ('[columns.X]\ntype = "enum"\n', "needs 'values'"),
        ('[columns.X]\ntype = "regex"\npattern = "("\n', "not a valid regex"),
        ('[columns.X]\ntype = "date"\nmin = "2026-01-01"\n', "does not match its format"),
        ("[columns.X]\nmin = 3\n", "min and max apply"),
        ("[column.X]\n", "unknown section 'column'"),
        ("[columns.X\n", "not valid TOML"),
        ('[columns.X]\ntype = "integer"\nmin = "abc"\n', "bound 'abc' is not a number"),
        ('[columns.X]\ntype = "decimal"\nmax = true\n', "bound True is not a number"),
        ('[columns.X]\ntype = "date"\nformat = 5\n', "format must be a string"),
        ("\udcff\udcfe[columns.X]\n", "not UTF-8 text"),  # Windows' UTF-16 mark, as bytes
    ],
)
def test_malformed_rule_files_are_config_errors(tmp_path, text, message):
    path = tmp_path / "r.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ConfigError, match=message):
        load_rules(path)
    result = run_cli("validate", FIXTURES / "valid_contacts.csv", "--rules", path)
    assert result.exit_code == 2 and str(path) in result.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_rule_files_load_and_match_the_json_schema(path):
    load_rules(path)
    jsonschema.validate(tomllib.loads(path.read_text(encoding="utf-8")), RULES_SCHEMA)


def test_renewal_example_passes_the_shipped_list():
    report = csvprep.validate(
        FIXTURES / "valid_contacts.csv",
        variables_map=VARIABLES_MAP,
        rules=SCHEMAS / "examples" / "renewal_reminders.rules.toml",
    )
    assert report.problem_counts == {}


def test_rules_init_gives_rules_the_fixtures_pass(tmp_path):
    for path in sorted(FIXTURES.glob("*.csv")):
        try:
            text = csvprep.checks.rules.init(path)
        except csvprep.InputError:
            continue
        rules_path = tmp_path / f"{path.stem}.toml"
        rules_path.write_text(text, encoding="utf-8")
        jsonschema.validate(tomllib.loads(text), RULES_SCHEMA)
        report = csvprep.validate(path, rules=rules_path)
        assert not [c for c in report.problem_counts if c.startswith("rule_")], path.name


def test_rules_init_infers_types_formats_and_enums():
    frame = pl.DataFrame(
        {
            "Mobile Number": ["+919876543210"] * 6,
            "Due": ["2026-10-20"] * 6,
            "Amount": ["100", "250.5", "3", "4", "5", "6"],
            "Plan": ["Gold", "Silver", "Gold", "Gold", "Silver", "Gold"],
            "Note": ["", "x", "", "", "", ""],
        }
    )
    rules = tomllib.loads(csvprep.checks.rules.init(frame))["columns"]
    assert rules == {
        "Due": {"required": True, "type": "date", "format": "YYYY-MM-DD"},
        "Amount": {"required": True, "type": "decimal"},
        "Plan": {"required": True, "type": "enum", "values": ["Gold", "Silver"]},
        "Note": {},
    }


def test_rules_init_cli_writes_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "rules.toml"
    assert run_cli("rules", "init", FIXTURES / "valid_contacts.csv", "-o", out).exit_code == 0
    assert '[columns."Due Date"]' in out.read_text(encoding="utf-8")
    assert run_cli("rules", "init", FIXTURES / "valid_contacts.csv", "-o", out).exit_code == 2


def test_rules_from_project_config(tmp_path):
    (tmp_path / "csvprep.toml").write_text('rules = "r.toml"\n', encoding="utf-8")
    (tmp_path / "r.toml").write_text("[columns.Name]\nmin_length = 3\n", encoding="utf-8")
    lst = tmp_path / "list.csv"
    lst.write_text("Mobile Number,Name\n+919876543210,Al\n", encoding="utf-8")
    result = run_cli("validate", lst, "--format", "json")
    assert result.exit_code == 1 and "rule_length" in result.stdout


# --- the exported schema, as an ETL job uses it -------------------------------------------


def test_exported_schema_validates_a_polars_frame_in_an_etl_job():
    schema = csvprep.schema(
        variables_map={"mobile_number": "Mobile Number", "due_date": "Due Date"},
        rules={"variables": {"due_date": {"required": True, "type": "date"}}},
    )
    good = pl.DataFrame(
        {
            "Mobile Number": ["+919876543210", "+919812345678"],
            "Due Date": ["20/10/2026", "21/10/2026"],
        }
    )
    assert schema.validate(good).equals(good)
    bad = pl.DataFrame(
        {
            "Mobile Number": ["+919876543210", "098123 45678", "+919876543210"],
            "Due Date": ["20/10/2026", "31/02/2026", ""],
        }
    )
    with pytest.raises(pa.errors.SchemaErrors) as info:
        schema.validate(bad, lazy=True)
    cases = info.value.failure_cases.select("column", "check", "index").rows()
    assert ("Mobile Number", "must be a valid number in E.164 form", 1) in cases
    assert ("Mobile Number", "must not repeat", 2) in cases
    assert ("Due Date", "must be a date as DD/MM/YYYY", 1) in cases
    assert ("Due Date", "must not be empty", 2) in cases


def test_pandera_on_a_lazyframe_checks_only_the_schema_unless_asked():
    # the pitfall csvprep avoids by validating eager frames: data checks are skipped lazily
    schema = csvprep.schema(rules={"columns": {"Name": {"required": True}}})
    bad = pl.DataFrame({"Mobile Number": ["+919876543210"], "Name": [""]})
    assert schema.validate(bad.lazy()).collect().height == 1
    with pytest.raises(pa.errors.SchemaError):
        schema.validate(bad)
    # csvprep itself finds the problem whatever the source
    report = csvprep.validate(bad.lazy(), rules={"columns": {"Name": {"required": True}}})
    assert report.problem_counts["rule_required"] == 1


def test_readme_documents_the_rule_format():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--rules" in readme and "rules init" in readme
    assert Path(SCHEMAS / "rules.schema.json").exists()


def test_rules_init_infers_an_id_pattern_and_uniqueness():
    frame = pl.DataFrame(
        {
            "Mobile Number": [f"+9198765432{i:02d}" for i in range(4)],
            "Policy ID": ["POL-1001", "POL-1002", "POL-1003", "POL-1004"],
            "Ref": ["A/12", "A/7", "A/123", "A/7"],
            "Name": ["Asha", "Ravi", "Meera", "Kabir"],
        }
    )
    rules = tomllib.loads(csvprep.checks.rules.init(frame))["columns"]
    assert rules["Policy ID"] == {
        "required": True,
        "type": "regex",
        "pattern": "POL-[0-9]{4}",
        "unique": True,
    }
    assert rules["Ref"] == {"required": True, "type": "regex", "pattern": "A/[0-9]+"}
    assert "pattern" not in rules["Name"] and "unique" not in rules["Name"]
    bad = frame.with_columns(pl.Series("Policy ID", ["POL-1001", "POL-1001", "PLO-1003", "x"]))
    report = csvprep.validate(bad, rules=tomllib.loads(csvprep.checks.rules.init(frame)))
    assert {"rule_unique", "rule_pattern"} <= set(report.problem_counts)
