from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from csvprep.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SCHEMAS = ROOT / "schemas"
VARIABLES_MAP = FIXTURES / "variables_map.json"


def pytest_configure(config: pytest.Config) -> None:
    # a cache of this run's own (csvprep.phones.cache), not the user's: every run derives afresh
    os.environ["CSVPREP_CACHE_DIR"] = tempfile.mkdtemp(prefix="csvprep-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("CSVPREP_CACHE_DIR", ""), ignore_errors=True)


@pytest.fixture
def fixture_path() -> Any:
    def get(name: str) -> Path:
        path = FIXTURES / name
        assert path.exists(), f"missing fixture {name}"
        return path

    return get


def run_cli(*args: str) -> Result:
    """Run the CLI in-process; a Python exception escaping it fails the test (no tracebacks)."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {args}:\n{result.output}") from result.exception
    return result


def run_json(*args: str) -> tuple[int, Any]:
    result = run_cli(*args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)
