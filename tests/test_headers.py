"""Headers against the variables_map and the prompt."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, VARIABLES_MAP
from csvprep import ConfigError, validate
from csvprep.checks.headers import load_variables_map, plan_columns, prompt_variables

MAP = load_variables_map(VARIABLES_MAP)


def codes(report) -> dict[str, int]:
    return report.problem_counts


def file_problems(report, code):
    return [p for p in report.problems if p.code == code]


def test_variables_map_inline_file_and_dict_agree():
    inline = (
        '{"mobile_number": "Mobile Number", "callee_name": "Name", '
        '"policy_id": "Policy ID", "due_date": "Due Date"}'
    )
    assert load_variables_map(inline) == load_variables_map(str(VARIABLES_MAP)) == MAP
    assert load_variables_map(MAP) == MAP


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["Mobile Number"]', "neither a JSON object nor a file"),
        ('{"callee_name": "Name"}', "no 'mobile_number' entry"),
        ('{"mobile_number": 5}', "must map to a CSV header"),
        ("missing_map.json", "neither a JSON object nor a file"),
    ],
)
def test_malformed_variables_map_is_a_config_error(value, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_variables_map(value)
    assert info.value.exit_code == 2


def test_valid_file_with_map_and_prompt_has_no_problems():
    report = validate(
        FIXTURES / "valid_contacts.csv", variables_map=MAP, prompt=FIXTURES / "prompt.txt"
    )
    assert report.problem_counts == {}
    assert report.exit_code() == 0


def test_missing_mapped_header_suggests_a_near_match():
    report = validate(FIXTURES / "header_case_mismatch.csv", variables_map=MAP)
    (missing,) = file_problems(report, "header_missing")
    assert "did you mean 'mobile_number'?" in missing.message
    assert missing.line == 1 and missing.row is None
    # without its phone column no row can be uploaded
    assert report.rows.valid == 0 and report.rows.invalid == report.rows.total


def test_missing_mapped_header_without_near_match():
    report = validate(FIXTURES / "missing_mapped_column.csv", variables_map=MAP)
    (missing,) = file_problems(report, "header_missing")
    assert missing.column == "Due Date" and "did you mean" not in missing.message


def test_header_spaces_are_reported_but_the_column_still_matches():
    report = validate(FIXTURES / "header_trailing_space.csv", variables_map=MAP)
    assert codes(report) == {"header_whitespace": 2}
    assert {p.value for p in report.problems} == {"Name ", " Policy ID"}


def test_duplicate_and_blank_headers():
    dup = validate(FIXTURES / "header_duplicate.csv", variables_map=MAP)
    assert dup.problem_counts["header_duplicate"] == 1
    blank = validate(FIXTURES / "header_blank.csv", variables_map=MAP)
    assert blank.problem_counts["header_blank"] == 1


def test_trailing_empty_column_is_only_a_warning():
    report = validate(FIXTURES / "trailing_empty_column.csv", variables_map=MAP)
    assert report.problem_counts == {"empty_column": 1}
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1


def test_unused_column_is_a_warning_only_with_a_map():
    report = validate(FIXTURES / "unused_column.csv", variables_map=MAP)
    (unused,) = file_problems(report, "column_unused")
    assert unused.column == "Internal Notes" and unused.severity == "warning"
    assert "column_unused" not in validate(FIXTURES / "unused_column.csv").problem_counts


def test_prompt_placeholder_without_a_column_is_an_error():
    report = validate(
        FIXTURES / "valid_contacts.csv",
        variables_map=MAP,
        prompt=FIXTURES / "prompt_unknown_variable.txt",
    )
    (p,) = file_problems(report, "prompt_variable_missing")
    assert p.value == "premium_amount" and p.severity == "error"


def test_prompt_without_a_map_uses_headers_as_variable_names():
    plan = plan_columns(["Mobile Number", "callee_name"], None, "Hi @{{callee_name}} @{{city}}")
    assert [p.value for p in plan.problems] == ["city"]
    assert plan.phone_index == 0


def test_prompt_variables_are_found_once_each():
    assert prompt_variables("@{{a}} @{{ b }} @{{a}} @{x} {{c}}") == ["a", "b"]


@pytest.mark.parametrize("written", ["Mobile Numbr", "MobileNo", "Mob. Num", "mobile_number"])
def test_did_you_mean_forgives_misspellings_and_abbreviations(tmp_path, written):
    path = tmp_path / "list.csv"
    path.write_text(f"{written},Name\n+919876543210,Asha\n", encoding="utf-8")
    report = validate(path, variables_map={"mobile_number": "Mobile Number"})
    (missing,) = file_problems(report, "header_missing")
    assert f"did you mean {written!r}?" in missing.message


def test_suggestions_look_at_each_header_once(monkeypatch):
    # a map of many headers the file lacks compared every one with every header
    from csvprep import suggest

    calls = 0
    words = suggest.words

    def counted(header: str) -> str:
        nonlocal calls
        calls += 1
        return words(header)

    monkeypatch.setattr(suggest, "words", counted)
    names = [f"Field {i}" for i in range(300)]
    mapping = {"mobile_number": "Mobile Number"} | {f"v{i}": f"field_{i}" for i in range(300)}
    plan = plan_columns(["Mobile Number", *names], mapping)
    assert calls <= 2 * 301 + 300
    missing = [p.message for p in plan.problems if p.code == "header_missing"]
    assert missing[7] == "no column 'field_7' (for variable 'v7'); did you mean 'Field 7'?"
