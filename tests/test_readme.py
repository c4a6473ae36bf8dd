"""The README's examples run, so they cannot go stale."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)


def commands() -> list[str]:
    """The csvprep command lines of the README's shell blocks (continuations joined)."""
    found = []
    for lang, body in BLOCKS:
        if lang != "sh":
            continue
        for line in body.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("csvprep "):
                found.append(line)
    return found


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path


def test_readme_opens_with_the_two_fresh_machine_commands():
    first, second = [body.strip() for lang, body in BLOCKS[:2]]
    assert "csvprep validate fixtures/" in first and "pip install" in first
    assert "pytest" in second
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci, "CI must run exactly the README's test command"


# Each README command's exact exit status: a changed outcome is a changed promise.
EXIT = {
    "validate fixtures/excel_mangled_numbers.csv": 1,  # scientific notation: digits lost
    "validate fixtures/valid_contacts.csv --format json": 0,
    "prepare fixtures/duplicate_numbers.csv": 0,
    "split fixtures/valid_contacts.csv": 0,
    "validate fixtures/valid_contacts.csv -m": 0,
    "rules init": 0,
    "prepare fixtures/us_numbers.csv": 0,
    "split fixtures/semicolon.csv": 0,
    "upload fixtures/valid_contacts.csv": 0,
}


def expected_exit(args: list[str]) -> int:
    line = " ".join(args)
    found = [code for start, code in EXIT.items() if line.startswith(start)]
    assert found, f"a README command with no pinned exit status: csvprep {line}"
    return found[0]


@pytest.mark.parametrize("command", commands())
def test_shell_examples_run(command, workdir):
    args = shlex.split(command)[1:]
    result = subprocess.run(
        [sys.executable, "-m", "csvprep", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == expected_exit(args), result.stderr
    assert "Traceback" not in result.stderr


def test_python_examples_run(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    blocks = [body for lang, body in BLOCKS if lang == "python"]
    assert blocks
    for body in blocks:
        exec(compile(body, "README.md", "exec"), {})
