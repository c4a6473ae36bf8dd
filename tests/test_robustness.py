"""No input produces a traceback: arbitrary bytes either give a report or a one-line error."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csvprep
from conftest import FIXTURES
from csvprep import CsvprepError, InputError

_csvish = st.lists(
    st.sampled_from(
        [
            b",",
            b";",
            b"\t",
            b"|",
            b'"',
            b"\n",
            b"\r\n",
            b"\r",
            b"\x00",
            b" ",
            b"Mobile Number",
            b"Name",
            b"+91",
            b"98765",
            b"43210",
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            b"\xe9",
            b"\xc3\xa9",
            b"=",
            b"'",
            b".0",
            b"E+11",
            b"x",
        ]
    ),
    max_size=40,
).map(b"".join)


@settings(
    max_examples=int(os.environ.get("CSVPREP_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.one_of(_csvish, st.binary(max_size=200)))
def test_any_bytes_give_a_report_or_a_csvprep_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(data)
        try:
            report = csvprep.validate(path)
        except CsvprepError as e:
            assert e.exit_code in (2, 3) and "\n" not in e.message
            return
        rows = report.rows
        assert rows.total == rows.valid + rows.invalid + rows.duplicate + rows.excluded


def _csvprep(*args: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real command (its entry point, ``main``), in a process of its own with at most
    4 GiB of address space: a test of what would blow up fails instead of taking the machine."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))

    return subprocess.run(
        [sys.executable, "-m", "csvprep", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        check=False,
    )


def test_a_panic_in_polars_is_an_internal_error_in_one_line(tmp_path):
    # a real panic of Polars' Rust code (not an exception raised by hand), where a check runs
    script = (
        "import sys, polars as pl, csvprep.validation as v\n"
        "v.validate = lambda *a, **k: pl.select(pl.lit('a').str.zfill(2**62))\n"
        "sys.argv = ['csvprep', 'validate', sys.argv[1]]\n"
        "from csvprep.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(FIXTURES / "valid_contacts.csv")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 4, result.stderr
    ours = [line for line in result.stderr.splitlines() if line.startswith("csvprep:")]
    assert len(ours) == 1 and ours[0].startswith("csvprep: internal error: PanicException: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "socket"])
def test_only_regular_files_are_read(tmp_path, kind):
    path = tmp_path / "list.csv"
    if kind == "fifo":
        os.mkfifo(path)  # nobody ever writes to it: opening it would wait for ever
    elif kind == "device":
        path = Path("/dev/zero")  # never ends
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    # the command first, in a process of its own: bounded, where the library in this process
    # would wait or fill the memory
    result = _csvprep("validate", path, timeout=20)
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "not a regular file" in result.stderr
    with pytest.raises(InputError, match="not a regular file"):
        csvprep.validate(path)


def test_ctrl_c_stops_at_once_with_one_line_and_leaves_no_output_claiming_to_be_whole(tmp_path):
    rows = 6_000_000  # about 5 s of work
    path = tmp_path / "big.csv"
    pl.select(
        (pl.lit("98") + pl.int_range(10**7, 10**7 + rows).cast(pl.String)).alias("Mobile Number"),
        (pl.lit("Name ") + pl.int_range(0, rows).cast(pl.String)).alias("Name"),
    ).write_csv(path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"kind": "prepare", "files": []}')  # a previous run's
    for command in (["validate", path], ["prepare", path, "--out", out, "--force"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "csvprep", *map(str, command)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert process.poll() is None, "finished before the signal: make the list bigger"
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        assert time.monotonic() - sent < 1.0
        assert process.returncode == 130
        assert stderr == "csvprep: interrupted\n" and stdout == ""
    # no temporary file is left; the last run's manifest stays only while nothing of this
    # run was written (it would describe files this run replaced)
    files = {p.name for p in out.iterdir()}
    assert not [name for name in files if name.startswith(".")]
    assert files <= {"manifest.json"} or "manifest.json" not in files


def test_prepare_stopped_while_writing_leaves_no_manifest_of_the_last_run(tmp_path, monkeypatch):
    out = tmp_path / "out"
    csvprep.prepare(FIXTURES / "valid_contacts.csv", out)
    assert (out / "manifest.json").exists()

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("csvprep.preparing.write_parts", stopped)
    with pytest.raises(KeyboardInterrupt):
        csvprep.prepare(FIXTURES / "duplicate_numbers.csv", out, force=True)
    assert not (out / "manifest.json").exists()
