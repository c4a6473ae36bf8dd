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
    assert result.returncode in (0, 1), result.stderr  # 0 or data problems, never misuse
    assert "Traceback" not in result.stderr


def test_python_examples_run(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    blocks = [body for lang, body in BLOCKS if lang == "python"]
    assert blocks
    for body in blocks:
        exec(compile(body, "README.md", "exec"), {})
