"""csvprep in its three homes: a repository's pre-commit and CI, a project config, ETL code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import csvprep
from conftest import FIXTURES, ROOT, run_cli
from csvprep import ConfigError
from csvprep.config import find_config, settings_for
from csvprep.phones import e164

MAP = '{"mobile_number": "Mobile Number", "callee_name": "Name"}'


# --- pre-commit ------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_pre_commit_hook_passes_a_good_list_and_fails_a_bad_one(tmp_path):
    pre_commit = Path(sys.executable).with_name("pre-commit")
    assert pre_commit.exists(), "pre-commit is a dev dependency"
    repo = tmp_path / "lists"
    repo.mkdir()
    shutil.copy(FIXTURES / "valid_contacts.csv", repo / "good.csv")
    shutil.copy(FIXTURES / "invalid_numbers.csv", repo / "bad.csv")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "lists"], cwd=repo, check=True)

    def hook(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(ROOT), "csvprep-validate", "--files", name],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    good = hook("good.csv")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
    bad = hook("bad.csv")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "phone_invalid" in bad.stdout


# --- project configuration ------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_is_found_walking_up_and_overrides_apply_by_glob(tmp_path):
    write(
        tmp_path / "pyproject.toml",
        """
[tool.csvprep]
country_code = "+91"
variables_map = "maps/default.json"

[[tool.csvprep.overrides]]
files = "campaigns/us/*"
country_code = "+1"
mobile_only = true
""",
    )
    write(tmp_path / "maps" / "default.json", MAP)
    list_path = tmp_path / "campaigns" / "us" / "list.csv"
    settings = settings_for(list_path)
    assert settings["country_code"] == "+1" and settings["mobile_only"] is True
    assert settings["variables_map"] == str(tmp_path / "maps" / "default.json")
    assert settings_for(tmp_path / "campaigns" / "in" / "list.csv")["country_code"] == "+91"


def test_csvprep_toml_wins_and_pyproject_without_section_is_passed_over(tmp_path):
    write(tmp_path / "csvprep.toml", 'country_code = "+44"\n')
    write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'x'\n")
    config = find_config(tmp_path / "sub" / "a.csv")
    assert config is not None and config.path == tmp_path / "csvprep.toml"
    assert config.for_file(tmp_path / "sub" / "a.csv")["country_code"] == "+44"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("country_code = 91\n", "'country_code' must be a str"),
        ("colour = 'red'\n", "unknown key 'colour'"),
        ("country_code = \n", "not valid TOML"),
        ("[[overrides]]\ncountry_code = '+1'\n", "needs a 'files' glob"),
        ("mobile_only = 'yes'\n", "'mobile_only' must be a bool"),
    ],
)
def test_malformed_config_names_file_and_key(tmp_path, text, message):
    path = write(tmp_path / "csvprep.toml", text)
    with pytest.raises(ConfigError, match=message) as info:
        settings_for(tmp_path / "a.csv")
    assert str(path) in str(info.value)
    result = run_cli("validate", write(tmp_path / "a.csv", "Mobile Number\n+919876543210\n"))
    assert result.exit_code == 2 and str(path) in result.stderr


def test_flags_override_config_and_config_needs_no_flags(tmp_path):
    write(tmp_path / "csvprep.toml", 'country_code = "+44"\nstrict = true\n')
    lst = write(tmp_path / "list.csv", "Mobile Number,Name\n98765 43210,Asha\n98765 43211,\n")
    # +44 from the config: not UK numbers
    assert run_cli("validate", lst, "--format", "json").exit_code == 1
    # +91 from the flag makes them valid; strict from the config fails the empty Name
    assert run_cli("validate", lst, "--country-code", "+91").exit_code == 1
    assert run_cli("validate", lst, "--country-code", "+91", "--no-strict").exit_code == 0


# --- output for CI and terminals ------------------------------------------------------------


def test_github_format_annotates_lines_with_escaping(tmp_path):
    lst = write(tmp_path / "a,b%.csv", 'Mobile Number,Name\n12345,"x"\n"",y\n')
    result = run_cli("validate", lst, "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    escaped = str(lst).replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    assert lines[0] == (
        f"::error file={escaped},line=2,title=phone_invalid::"
        "Mobile Number: '12345': too short for +91 (IN)"
    )
    assert lines[1].startswith(f"::error file={escaped},line=3,title=phone_missing::")


def test_github_format_escapes_newlines_and_percent_in_messages():
    from csvprep.problems import Problem
    from csvprep.render import render_github
    from csvprep.report import Report, RowCounts

    report = Report(
        "x.csv",
        "utf-8",
        ",",
        "LF",
        "IN",
        ("Mobile Number",),
        "Mobile Number",
        RowCounts(1, 0, 1, 0),
        "standard",
        problems=(Problem("malformed_quotes", "50%\r\nbad: a,b", 2, 1),),
        problem_counts={"malformed_quotes": 1},
    )
    assert render_github(report) == (
        "::error file=x.csv,line=2,title=malformed_quotes::50%25%0D%0Abad: a,b\n"
    )


def test_quiet_prints_nothing_and_keeps_the_exit_code():
    result = run_cli("validate", FIXTURES / "invalid_numbers.csv", "--quiet")
    assert result.exit_code == 1 and result.stdout == ""


def test_no_color_and_non_terminals_get_plain_text(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    result = run_cli("validate", FIXTURES / "invalid_numbers.csv")
    assert "\x1b[" not in result.stdout
    assert "\x1b[" not in run_cli("validate", FIXTURES / "invalid_numbers.csv", "--no-color").stdout


# --- ETL ------------------------------------------------------------------------------------


def test_e164_expression_in_a_lazy_pipeline_as_an_etl_user_writes_it():
    frame = pl.LazyFrame({"phone": ["098765 43210", "+1 650-253-0000", "12345", None]})
    out = (
        frame.with_columns(e164(pl.col("phone"), region="IN").alias("e164"))
        .filter(pl.col("e164").is_not_null())
        .collect()
    )
    assert out["e164"].to_list() == ["+919876543210", "+16502530000"]


def test_pandas_frames_are_accepted_by_validate_and_prepare(tmp_path):
    frame = pd.DataFrame({"Mobile Number": ["9876543210", "9876543210", "1"], "Name": list("abc")})
    assert csvprep.validate(frame).rows.to_dict()["duplicate"] == 1
    result = csvprep.prepare(frame, tmp_path / "out")
    assert result.manifest["rows"]["clean"] == 1 and result.manifest["source"]["path"] is None


def test_public_names_stay_as_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- public-api -->")
    end = readme.index("<!-- /public-api -->")
    documented = sorted(
        name.strip("` ") for name in readme[start:end].split("\n")[1].split(",") if name.strip()
    )
    assert documented == sorted(csvprep.__all__)


def test_a_config_typo_gets_a_suggestion_and_no_stray_dot(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.csvprep]\nmobile_onlly = true\n")
    with pytest.raises(ConfigError) as info:
        settings_for(tmp_path / "a.csv")
    message = str(info.value)
    assert "[tool.csvprep]: unknown key 'mobile_onlly' (did you mean 'mobile_only'?)" in message
    assert "tool.csvprep.:" not in message


def test_the_library_the_configuration_and_the_flags_share_one_set_of_settings():
    from csvprep import cli, config, settings

    built_in = settings.DEFAULTS
    assert built_in.as_dict() == cli.DEFAULTS  # the flags' fallbacks are the library's
    assert set(config.SETTINGS) == set(cli.DEFAULTS)  # and a configuration may give each
    report = csvprep.validate(FIXTURES / "valid_contacts.csv")
    assert report.max_problems == built_in.max_problems
