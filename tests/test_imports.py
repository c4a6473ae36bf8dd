"""What a command loads: ``csvprep validate`` of a CSV in a pre-commit hook pays for Polars,
phonenumbers and click, not for the packages only other work needs (column rules, workbooks,
uploads, the progress bar, the test tools)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, VARIABLES_MAP

# Each is imported only by the work that needs it: pandera by column rules, fastexcel by a
# workbook, httpx and tenacity by an upload or --agent-id, rich's progress display by a big
# file on a terminal, libphonenumber's time-zone tables by a call window, the XML parser by a
# workbook; the rest are the development tools' own.
NOT_FOR_VALIDATE = [
    "pandera",
    "fastexcel",
    "httpx",
    "tenacity",
    "rich.progress",
    "phonenumbers.tzdata",
    "jsonschema",
    "openapi_core",
    "pandas",
    "pyarrow",
    "xml.etree",
]


def imported(*args: str) -> set[str]:
    """Every module ``python -m csvprep ARGS`` imports, as ``-X importtime`` lists them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "csvprep", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # after the header line


def loaded(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(f"{package}.") for m in modules)


def test_validate_loads_none_of_the_heavy_packages_it_does_not_need():
    modules = imported("validate", str(FIXTURES / "valid_contacts.csv"), "-m", str(VARIABLES_MAP))
    assert "csvprep.pipeline.validation" in modules and "polars" in modules
    assert [p for p in NOT_FOR_VALIDATE if loaded(modules, p)] == []


@pytest.mark.parametrize("args", [["--version"], ["schema", "report"]])
def test_the_light_commands_load_no_polars(args):
    # the command line tunes Polars' allocator before Polars loads (cli.main), and shell
    # completion loads the command line on every TAB
    assert not loaded(imported(*args), "polars")


def test_the_check_sees_a_lazy_import():
    # a workbook brings its reader: the list above is of packages that would show if loaded
    modules = imported("validate", str(FIXTURES / "contacts.xlsx"), "--format", "json")
    assert loaded(modules, "fastexcel")


@pytest.mark.parametrize("package", ["io", "checks", "pipeline", "outputs"])
def test_each_stage_exports_its_public_names(package):
    import importlib

    module = importlib.import_module(f"csvprep.{package}")
    for name in module.__all__:
        value = getattr(module, name)
        assert getattr(value, "__module__", "").startswith(f"csvprep.{package}."), name
    with pytest.raises(AttributeError, match="has no attribute"):
        module.not_a_public_name  # noqa: B018


def test_validate_with_no_configuration_file_loads_no_toml_parser(tmp_path):
    # a configuration file above the list (csvprep.toml, pyproject.toml) or a rule file
    # brings the TOML parser; a bare list in a folder of its own does not
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes((FIXTURES / "valid_contacts.csv").read_bytes())
    assert not loaded(imported("validate", str(contacts)), "tomllib")


def test_validate_loads_none_of_its_own_modules_it_does_not_use():
    # validate writes nothing: the writer and the manifest (5 ms of a pre-commit run) come
    # only with the phone tables' cache when it stores a table, never for a short list; the
    # checks' modules (8 ms more) come with a rule file, a suppression list, a call window
    modules = imported("validate", str(FIXTURES / "valid_contacts.csv"))
    unused = {"csvprep.io.writing", "csvprep.io.manifest"} | {
        f"csvprep.checks.{name}" for name in ("rules", "suppression", "calling_hours")
    }
    assert not unused & modules
