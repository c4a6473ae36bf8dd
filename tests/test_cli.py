"""The command line: exit codes, JSON against its schema, no tracebacks."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import typing

import jsonschema
import pytest

from conftest import FIXTURES, SCHEMAS, VARIABLES_MAP, run_cli, run_json
from csvprep.problems import CODES, Code

SCHEMA = json.loads((SCHEMAS / "report.schema.json").read_text(encoding="utf-8"))
MAP = str(VARIABLES_MAP)
DATA_FILES = sorted(
    p for p in FIXTURES.iterdir() if p.suffix in (".csv", ".tsv", ".xlsx") or "utf16" in p.name
)


def test_schema_enumerates_exactly_the_registered_codes():
    assert sorted(SCHEMA["$defs"]["code"]["enum"]) == sorted(CODES)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    # the type mypy checks codes against is the registry, in its order
    assert list(typing.get_args(Code)) == list(CODES)


def test_a_code_the_registry_does_not_know_is_caught_by_mypy(tmp_path):
    source = tmp_path / "unknown_code.py"
    source.write_text(
        "from csvprep.problems import Problem\n"
        'Problem("phone_invalid", "known")\n'
        'Problem("phone_invalidd", "a typo")\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    assert "unknown_code.py:3: error" in done.stdout and ":2:" not in done.stdout


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_every_fixture_gives_a_clean_exit_and_schema_valid_json(path):
    result = run_cli("validate", path, "-m", MAP, "--format", "json")
    assert result.exit_code in (0, 1, 3)
    if result.exit_code == 3:
        assert result.stdout == ""
        assert result.stderr.startswith("csvprep: error: ") and result.stderr.count("\n") == 1
        return
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    assert (result.exit_code == 0) == report["ok"]


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_every_fixture_renders_as_text(path):
    result = run_cli("validate", path, "-m", MAP, "--prompt", FIXTURES / "prompt.txt")
    assert result.exit_code in (0, 1, 3)
    if result.exit_code != 3:
        assert path.name in result.stdout and "upload route" in result.stdout


def test_exit_0_for_a_clean_file():
    code, report = run_json("validate", FIXTURES / "valid_contacts.csv", "-m", MAP)
    assert code == 0
    assert report["rows"] == {"total": 10, "valid": 10, "invalid": 0, "duplicate": 0, "excluded": 0}
    assert report["route"] == "standard"


def test_exit_1_for_data_problems_with_line_and_row():
    code, report = run_json("validate", FIXTURES / "invalid_numbers.csv", "-m", MAP)
    assert code == 1
    first = report["problems"][0]
    assert (first["line"], first["row"], first["column"]) == (3, 2, "Mobile Number")
    assert first["code"] == "phone_invalid" and first["value"] == "12345"


def test_warnings_pass_unless_strict():
    args = ("validate", FIXTURES / "empty_values.csv", "-m", MAP)
    assert run_cli(*args).exit_code == 0
    assert run_cli(*args, "--strict").exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ("-m", "{broken"),
        ("-m", '{"callee_name": "Name"}'),
        ("--country-code", "Atlantis"),
        ("--delimiter", "x"),
        ("--max-problems", "-3"),
        ("--format", "xml"),
        ("--prompt", "no_such_prompt.txt"),
    ],
)
def test_exit_2_for_bad_options(args):
    result = run_cli("validate", FIXTURES / "valid_contacts.csv", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv", "binary_png.csv", "nope.csv"])
def test_exit_3_for_unreadable_input(name):
    result = run_cli("validate", FIXTURES / name)
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and name in result.stderr


def test_exit_3_for_a_directory(tmp_path):
    assert run_cli("validate", tmp_path).exit_code == 3


def test_several_files_give_an_array_and_the_worst_exit_code():
    result = run_cli(
        "validate",
        FIXTURES / "valid_contacts.csv",
        FIXTURES / "invalid_numbers.csv",
        "--format",
        "json",
    )
    assert result.exit_code == 1
    reports = json.loads(result.stdout)
    assert [r["ok"] for r in reports] == [True, False]


def test_delimiter_can_be_forced_by_name():
    code, report = run_json("validate", FIXTURES / "semicolon.csv", "--delimiter", "semicolon")
    assert code == 0 and report["delimiter"] == ";"


def test_text_groups_problems_by_code_with_fix():
    result = run_cli("validate", FIXTURES / "excel_mangled_numbers.csv", "-m", MAP)
    out = result.stdout
    assert "ERROR phone_scientific_notation x1" in out
    assert "line 2 (row 1) [Mobile Number]" in out
    assert "fix: Re-export with the phone column formatted as Text" in out


def test_max_problems_truncation_is_said():
    _code, report = run_json("validate", FIXTURES / "invalid_numbers.csv", "--max-problems", "1")
    assert len(report["problems"]) == 1 and report["problems_truncated"]
    assert sum(s["count"] for s in report["summary"]) == 4


def test_python_dash_m_and_the_console_script_run():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "csvprep",
            "validate",
            str(FIXTURES / "valid_contacts.csv"),
            "-m",
            MAP,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


def test_the_real_entry_point_says_everything_and_exits_with_its_code_through_a_pipe(tmp_path):
    # the process ends without Python's teardown: the buffered output must be out first
    path = tmp_path / "many_invalid.csv"
    path.write_text("Mobile Number,Name\n" + "12345,x\n" * 3000, encoding="utf-8")
    command = [sys.executable, "-m", "csvprep", "validate", str(path), "--format", "json"]
    result = subprocess.run(
        [*command, "--max-problems", "3000"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert len(result.stdout) > 2**19  # far past a pipe's buffer
    assert len(json.loads(result.stdout)["problems"]) == 3000
    usage = subprocess.run([*command, "--max-problems", "-1"], capture_output=True, check=False)
    assert usage.returncode == 2 and b"max" in usage.stderr
    closed = subprocess.run(
        f"{shlex.join(command)} --max-problems 3000 | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert closed.stdout == result.stdout[:10]  # the reader went away: no more to say
    assert "Traceback" not in closed.stderr


def test_no_traceback_from_the_real_entry_point_on_unreadable_input(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "csvprep", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("preset", [None, "narenas:4"])
def test_the_command_tunes_polars_allocator_unless_the_user_did(preset):
    script = (
        "import os, sys\n"
        "from csvprep import cli\n"
        "sys.argv = ['csvprep', '--version']\n"
        "cli._exit_now = lambda code: None  # stay, to be asked\n"
        "cli.main()\n"
        "print(os.environ['_RJEM_MALLOC_CONF'], file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if preset:
        env["_RJEM_MALLOC_CONF"] = preset
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.stderr.strip() == (preset or "narenas:2,dirty_decay_ms:500,muzzy_decay_ms:0")


def test_column_names_that_look_like_markup_stay_in_the_text_output(tmp_path):
    lower = tmp_path / "lower.csv"
    lower.write_text("phone,name\n12345,A\n", encoding="utf-8")
    mapping = '{"mobile_number":"phone","callee_name":"name"}'
    result = run_cli("validate", lower, "-m", mapping)
    assert "line 2 (row 1) [phone]:" in result.stdout


def test_counts_are_singular_or_plural_as_people_write_them(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("Mobile Number\n12345\n", encoding="utf-8")
    result = run_cli("validate", one)
    assert "FAIL: 1 error, 0 warnings" in result.stdout and "  1 row:" in result.stdout
    none_kept = run_cli("validate", one, "--max-problems", "0")
    assert "no problem details kept" in none_kept.stdout
    assert "first 0 problems" not in none_kept.stdout


def test_several_files_give_one_json_array_with_unreadable_files_as_entries(tmp_path):
    missing = tmp_path / "nope.csv"
    bad = FIXTURES / "invalid_numbers.csv"
    for files in ([bad, missing], [bad, missing, FIXTURES / "valid_contacts.csv"]):
        result = run_cli("validate", *files, "-m", MAP, "--format", "json")
        document = json.loads(result.stdout)
        assert isinstance(document, list) and len(document) == len(files)
        (entry,) = [e for e in document if "error" in e]
        assert entry == {"file": str(missing), "error": entry["error"], "exit_code": 3}
        jsonschema.validate(entry, SCHEMA["$defs"]["unreadable"])
        for report in document:
            if "error" not in report:
                jsonschema.validate(report, SCHEMA)
        assert result.exit_code == 3


def test_github_annotations_cover_an_unreadable_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = run_cli("validate", empty, FIXTURES / "valid_contacts.csv", "--format", "github")
    assert f"::error file={empty},title=csvprep::" in result.stdout


def test_several_files_summarise_only_those_with_problems(tmp_path):
    files = [FIXTURES / "valid_contacts.csv", FIXTURES / "invalid_numbers.csv"] * 2
    result = run_cli("validate", *files[:3], "-m", MAP)
    assert "valid_contacts.csv" not in result.stdout  # a passing file says nothing
    assert result.stdout.count("invalid_numbers.csv") == 1
    assert result.stdout.rstrip().endswith("3 files checked: 2 OK, 1 not")
    both = run_cli("validate", files[1], files[1], "-m", MAP).stdout
    assert f"\n\n{files[1]}  (" in both  # a blank line between files


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["prepare", "x.csv"],
        ["bogus"],
        ["--bogus"],
        ["validate", "x.csv", "--format", "xml"],
        ["split", "x.csv", "--out", "o", "--max-rows", "0"],
    ],
)
def test_usage_errors_are_one_line_in_csvprep_style_with_exit_2(args):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("csvprep: error: ") and result.stderr.count("\n") == 1
    assert "--help')" in result.stderr and "Usage:" not in result.stderr


@pytest.mark.parametrize("command", ["validate", "prepare", "split", "upload"])
def test_help_shows_examples(command):
    shown = run_cli(command, "--help").stdout
    assert "Example" in shown and f"csvprep {command} " in shown


def test_progress_on_a_terminal_shows_rate_time_left_and_the_writing_phase(tmp_path):
    import shutil

    import polars as pl

    if shutil.which("script") is None:
        pytest.skip("needs util-linux's script for a real terminal")
    big = tmp_path / "big.csv"
    rows = 600_000  # ~20 MB: a bar (from 5 MB), and several 8 MiB batches (a rate needs two)
    pl.DataFrame(
        {"Mobile Number": [f"+9198{i:08d}" for i in range(rows)], "Name": ["Asha Sharma"] * rows}
    ).write_csv(big)
    command = f"{sys.executable} -m csvprep prepare {big} -o {tmp_path / 'out'} --max-rows 4999"
    typescript = tmp_path / "typescript"
    done = subprocess.run(
        ["script", "-qec", command, str(typescript)],
        capture_output=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 0, done.stdout[-500:]
    seen = typescript.read_text(encoding="utf-8", errors="replace")
    assert "MB/s" in seen  # the rate
    assert "-:--:--" in seen or "0:00:0" in seen  # the time left
    assert "read; writing the outputs" in seen  # not a bar frozen at full


def test_standard_input_is_read_for_validate_and_prepare(tmp_path):
    from click.testing import CliRunner

    from csvprep.cli import cli

    data = (FIXTURES / "invalid_numbers.csv").read_bytes()
    checked = CliRunner().invoke(
        cli, ["validate", "-", "--name", "june.csv", "--format", "json"], input=data
    )
    assert checked.exit_code == 1
    report = json.loads(checked.stdout)
    assert report["file"] == "june.csv" and report["rows"]["invalid"] == 4
    unnamed = CliRunner().invoke(cli, ["validate", "-", "--format", "json"], input=data)
    assert json.loads(unnamed.stdout)["file"] == "stdin.csv"
    out = tmp_path / "out"
    prepared = CliRunner().invoke(
        cli, ["prepare", "-", "-o", str(out), "--name", "june.csv"], input=data
    )
    assert prepared.exit_code == 1, prepared.output
    assert sorted(p.name for p in out.iterdir()) == [
        "june.clean.csv",
        "june.rejected.csv",
        "june.report.html",
        "june.report.json",
        "manifest.json",
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"]["path"] == "june.csv"
    assert json.loads((out / "june.report.json").read_text(encoding="utf-8"))["file"] == "june.csv"


def test_a_workbook_sheet_is_chosen_by_name_or_number_and_named_in_the_report(tmp_path):
    import xlsxwriter

    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    instructions = book.add_worksheet("Instructions")
    instructions.write_column(0, 0, ["How to fill this in", "One contact a row, on Contacts"])
    contacts = book.add_worksheet("Contacts")
    contacts.write_row(0, 0, ["Mobile Number", "Name"])
    contacts.write_row(1, 0, ["+919876543210", "Asha"])
    book.close()
    first = run_json("validate", path)
    assert first[0] == 1
    assert any("sheet 'Instructions' (1 of 2)" in n and "--sheet" in n for n in first[1]["notes"])
    for choice in ("Contacts", "contacts", "2"):
        code, report = run_json("validate", path, "--sheet", choice)
        assert code == 0 and report["rows"]["valid"] == 1
        assert any("sheet 'Contacts' (2 of 2)" in n for n in report["notes"])
    wrong = run_cli("validate", path, "--sheet", "Contcts")
    assert wrong.exit_code == 3
    assert "has no sheet 'Contcts' (its sheets: 'Instructions', 'Contacts')" in wrong.stderr


@pytest.mark.parametrize("data", [b"", b"Mobile Number\n", b"\x00\x01\x02binary"])
def test_an_error_about_standard_input_names_it_as_name_does(data):
    from click.testing import CliRunner

    from csvprep.cli import cli

    result = CliRunner().invoke(cli, ["validate", "-", "--name", "june.csv"], input=data)
    assert result.exit_code == 3
    assert result.stderr.startswith("csvprep: error: june.csv: ")
    assert "csvprep-stdin" not in result.stderr  # never the spooled copy's path


def test_the_summary_counts_excluded_rows_so_the_row_counts_add_up(tmp_path):
    result = run_cli(
        "prepare",
        FIXTURES / "valid_contacts.csv",
        "--out",
        tmp_path / "out",
        "--exclude",
        FIXTURES / "do_not_call.txt",
    )
    assert "10 rows: 8 valid, 0 invalid, 0 duplicate, 2 excluded" in result.stdout
