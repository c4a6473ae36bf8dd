"""The wheel carries what the README promises (the schemas, the examples, the licence, the
type marker), and an install from it alone answers `csvprep schema` and `csvprep init`."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"the wheel does not build:\n{built.stderr[-2000:]}")
    (found,) = out.glob("csvprep-*.whl")
    return found


def test_the_wheel_holds_the_schemas_examples_licence_and_type_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in ("report", "manifest", "rules", "campaign"):
        assert f"csvprep/schemas/{schema}.schema.json" in names
    for example in (ROOT / "schemas" / "examples").iterdir():
        assert f"csvprep/schemas/examples/{example.name}" in names
    assert "csvprep/py.typed" in names
    assert any(n.endswith("/LICENSE") and ".dist-info/" in n for n in names)


def test_an_install_from_the_wheel_alone_serves_them(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), *args], cwd=elsewhere, capture_output=True, text=True, check=False
        )

    def csvprep(*args: str) -> subprocess.CompletedProcess[str]:
        return run("-m", "csvprep", *args)

    # the dependencies from this environment, but not its csvprep (an editable checkout)
    site = run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = run("-c", "import csvprep; print(csvprep.__file__)").stdout
    assert str(venv) in where, where
    for name in ("report", "manifest", "rules", "campaign"):
        shown = csvprep("schema", name)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["$schema"].startswith("https://json-schema.org/")
    made = csvprep("init", "campaign", "-o", "campaign.toml")
    assert made.returncode == 0, made.stderr
    text = (elsewhere / "campaign.toml").read_text(encoding="utf-8")
    assert text == (ROOT / "schemas" / "examples" / "renewal_campaign.toml").read_text()
    assert csvprep("init", "campaign", "-o", "campaign.toml").returncode == 2
