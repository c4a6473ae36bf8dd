"""No input produces a traceback: arbitrary bytes either give a report or a one-line error."""

from __future__ import annotations

import codecs
import csv
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import csvprep
from conftest import FIXTURES, run_cli
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
        "import sys, polars as pl, csvprep.pipeline.validation as v\n"
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


CSVPREP = [sys.executable, "-m", "csvprep"]


def test_ctrl_c_while_parts_are_written_leaves_no_temporary_file(tmp_path):
    # thousands of small parts: the writing thread made 500 new ones while a stopped run
    # removed the 600 it had, and those were left behind
    rows = 200_000
    path = tmp_path / "list.csv"
    pl.select(
        (pl.lit("98") + pl.int_range(10**7, 10**7 + rows).cast(pl.String)).alias("Mobile Number"),
    ).write_csv(path)
    for delay in (0.5, 0.7, 0.9, 1.1, 1.3):
        out = tmp_path / f"out-{delay}"
        process = subprocess.Popen(
            [*CSVPREP, "prepare", str(path), "--out", str(out), "--max-rows", "100"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        if process.returncode == 0:
            continue  # done before the signal (a fast machine): nothing to look at
        assert (process.returncode, stderr) == (130, "csvprep: interrupted\n")
        left = [p.name for p in out.iterdir() if p.name.startswith(".")] if out.exists() else []
        assert left == []


def test_ctrl_c_while_the_command_line_loads_is_one_line_not_a_traceback():
    # the signal comes as click is imported (40 ms of every start, before which the handler
    # was not set up): a hook on the import sends it
    script = (
        "import os, runpy, signal, sys\n"
        "class Hook:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "            time.sleep(5)\n"
        "        return None\n"
        "import time\n"
        "sys.meta_path.insert(0, Hook())\n"
        "sys.argv = ['csvprep', '--version']\n"
        "runpy.run_module('csvprep', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert (done.returncode, done.stderr) == (130, "csvprep: interrupted\n")


def test_prepare_stopped_while_writing_leaves_no_manifest_of_the_last_run(tmp_path, monkeypatch):
    out = tmp_path / "out"
    csvprep.prepare(FIXTURES / "valid_contacts.csv", out)
    assert (out / "manifest.json").exists()

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    # the parts are written as the batches come
    monkeypatch.setattr("csvprep.outputs.splitting.PartWriter.add", stopped)
    with pytest.raises(KeyboardInterrupt):
        csvprep.prepare(FIXTURES / "duplicate_numbers.csv", out, force=True)
    assert not (out / "manifest.json").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left


_PACKAGE = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _contacts(rows: int) -> str:
    """A header and ``rows`` contacts, as the rows of a sheet."""
    lines = [f'<row r="1">{_cell("A1", "Mobile Number")}</row>']
    lines += [f'<row r="{i}">{_cell(f"A{i}", f"98765{i:05d}")}</row>' for i in range(2, rows + 2)]
    return "".join(lines)


def _workbook(path: Path, rows: str, dimension: str | None = None, **parts: bytes) -> Path:
    """A workbook made by hand: the package's parts and one sheet of ``rows`` (``<row>``
    elements), with a ``<dimension>`` if given, and any other ``parts``."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{declared}<sheetData>{rows}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PACKAGE.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in parts.items():
            archive.writestr(name.replace("__", "/"), data)
    return path


def test_a_hand_made_workbook_is_read(tmp_path):
    report = csvprep.validate(_workbook(tmp_path / "ok.xlsx", _contacts(3), "A1:A4"))
    assert (report.encoding, report.rows.valid) == ("xlsx", 3)


@pytest.mark.parametrize(
    "rows",
    [
        # one cell at A1, one at the last cell Excel has: the reader would take 512 GiB
        f'<row r="1">{_cell("A1", "Mobile Number")}</row>'
        f'<row r="1048576">{_cell("XFD1048576", "x")}</row>',
        # the same amid ordinary rows (not at the end, where a sheet in order has its last
        # cell), written as XML allows but Excel never does
        _contacts(3000).replace(
            '<row r="1500">',
            "<row r='1048576'><c r = 'xfd01048576' t='inlineStr'><is><t>x</t></is></c></row>"
            '<row r="1500">',
        ),
    ],
    ids=["far", "far-in-the-middle-spelt-oddly"],
)
def test_a_workbook_reaching_far_is_refused_before_it_is_opened(tmp_path, rows):
    path = _workbook(tmp_path / "far.xlsx", rows)
    result = _csvprep("validate", path)
    assert result.returncode == 3, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1
    assert "XFD1048576 (1,048,576 rows x 16,384 columns" in result.stderr
    assert "--max-cells" in result.stderr


def test_a_workbook_declaring_a_huge_sheet_is_refused(tmp_path):
    path = _workbook(tmp_path / "declared.xlsx", _contacts(2), dimension="A1:XFD1048576")
    with pytest.raises(InputError, match=r"declares A1:XFD1048576 .* over the limit"):
        csvprep.validate(path)


def test_the_cell_limit_is_a_parameter_and_an_option(tmp_path):
    path = _workbook(tmp_path / "contacts.xlsx", _contacts(2000), "A1:A2001")
    assert csvprep.validate(path).rows.valid == 2000  # under the default
    with pytest.raises(InputError, match=r"2,001 cells\), over the limit of 1,000 cells"):
        csvprep.validate(path, max_cells=1000)
    assert csvprep.validate(path, max_cells=2001).rows.valid == 2000
    result = run_cli("validate", path, "--max-cells", "1000", "-q")
    assert result.exit_code == 3 and "over the limit of 1,000 cells" in result.stderr
    wider = _workbook(tmp_path / "wide.xlsx", _contacts(2) + '<row r="4"><c r="XFE4"/></row>')
    with pytest.raises(InputError, match=r"column XFE .* past the 16,384"):
        csvprep.validate(wider, max_cells=10**12)


def test_a_workbook_expanding_past_its_budget_is_refused(tmp_path):
    # 80 MB of one byte in a part the reader reads whole: a zip bomb of a few hundred KB
    path = _workbook(tmp_path / "bomb.xlsx", _contacts(2), xl__sharedStrings__xml=b" " * 80_000_000)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(InputError, match="expands to more than 67,108,864 bytes"):
        csvprep.validate(path, max_cells=1000)
    assert csvprep.validate(path).rows.valid == 2  # the default allows 1 GB


@pytest.mark.parametrize("kind", ["truncated", "not-a-workbook"])
def test_a_corrupt_workbook_is_one_line(tmp_path, kind):
    whole = _workbook(tmp_path / "whole.xlsx", _contacts(50), "A1:A51").read_bytes()
    path = tmp_path / "corrupt.xlsx"
    if kind == "truncated":
        path.write_bytes(whole[: len(whole) // 2])
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("xl/workbook.xml", "<not a workbook")
    with pytest.raises(InputError) as raised:
        csvprep.validate(path)
    assert "\n" not in raised.value.message and "workbook" in raised.value.message


# -- structure-aware fuzzing: real lists, mutated as exports and hands mangle them ----------

_REAL_LISTS = {
    p.name: p.read_bytes() for p in sorted(FIXTURES.iterdir()) if p.suffix in (".csv", ".tsv")
}
_INSERTS = [b'"', b'""', b",", b";", b"\t", b"|", b"\0", b"\r", b"\n", b"\r\n", b" ", b"'"]
_INSERTS += [b"\xef\xbb\xbf", b"\xe9", b"\xff\xfe", b"=", b"+91", b".0", b"E+11", b"\xc2\xa0"]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


@st.composite
def _mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """One change of the kind exports and hands make: a line cut, dropped, repeated or
    widened, a character inserted, the file truncated or re-encoded."""
    lines = _lines(data)
    at = draw(st.integers(0, len(lines) - 1))
    kind = draw(
        st.sampled_from(["drop", "repeat", "widen", "insert", "truncate", "encode", "endings"])
    )
    if kind == "drop":
        del lines[at]
    elif kind == "repeat":  # repeated rows, repeated numbers, across batches
        lines[at:at] = [lines[at]] * draw(st.integers(1, 40))
    elif kind == "widen":
        cell = draw(st.sampled_from([b",", b",x", b';""', b"\t1", b"|", b',"a,b"']))
        lines[at] = lines[at].rstrip(b"\r\n") + cell * draw(st.integers(1, 30)) + b"\n"
    elif kind == "insert":
        where = draw(st.integers(0, len(data)))
        return data[:where] + draw(st.sampled_from(_INSERTS)) + data[where:]
    elif kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    elif kind == "encode":
        text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
        codec = draw(st.sampled_from(["utf-16", "utf-16-be-bom", "cp1252", "utf-8-sig"]))
        if codec == "utf-16-be-bom":
            return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
        return text.encode(codec, errors="replace")
    else:
        ending = draw(st.sampled_from([b"\r\n", b"\r", b"\n"]))
        return b"".join(line.rstrip(b"\r\n") + ending for line in lines)
    return b"".join(lines)


@st.composite
def _mutated_list(draw: st.DrawFn) -> bytes:
    data = _REAL_LISTS[draw(st.sampled_from(sorted(_REAL_LISTS)))]
    for _ in range(draw(st.integers(1, 4))):
        data = draw(_mutation(data))
    return data


def _outcome(run: Callable[[], Any]) -> Any:
    """What ``run`` gives, or the error csvprep raised on purpose (one line, exit 2 or 3);
    any other exception fails the test, a Polars panic (a BaseException, which Hypothesis
    would pass on without shrinking the input or showing it) as an assertion."""
    try:
        return run()
    except CsvprepError as e:
        assert e.exit_code in (2, 3) and "\n" not in e.message, e.message
        return (type(e).__name__, e.message)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        raise AssertionError(f"{type(e).__name__}: {e}") from e


#: Seconds any one mutated list may take, for all three runs (far more than it needs: the
#: machine may be busy).
_BOUND = 20


@settings(
    max_examples=max(int(os.environ.get("CSVPREP_FUZZ_EXAMPLES", "300")) // 10, 1),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=_mutated_list(), parts=st.integers(2, 12))
# found by this test: batches smaller than 64 KiB sniffed the delimiter on the first alone
@example(
    data=b'Mobile Number,Name,Policy ID,Due Date;"";"";"";""\n+919876543210,Aarav Sharma,'
    b"POL-1001,20/10/2026\n\n\n+919812345678,Diya Patel,POL-1002,21/10/2026\n"
    b"+917012345678,Kabir Singh,POL-1003,22/10/2026\n",
    parts=3,
)
# found by this test: a header cell with a lone CR went out unquoted, two header records
@example(
    data=b'+919876543210,"Once upon\ra time",POL-1,20/10/2026\r+919812345678,Diya Patel,'
    b'POL-2,21/10/2026\r+917012345678,"Two\r\nlines",POL-3,22/10/2026\r',
    parts=2,
)
def test_mutated_real_lists_read_alike_whole_and_in_batches_and_lose_no_row(data, parts):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(data)
        started = time.monotonic()
        whole = _outcome(lambda: csvprep.validate(path, max_problems=50))
        batch = max(len(data) // parts, 16)  # a few batches, whatever the size
        with mock.patch("csvprep.pipeline.validation.BATCH_BYTES", batch):
            batched = _outcome(lambda: csvprep.validate(path, max_problems=50))
            assert batched == whole
            out = Path(folder) / "out"
            prepared = _outcome(lambda: csvprep.prepare(path, out, max_problems=50))
        assert time.monotonic() - started < _BOUND
        if isinstance(whole, tuple):
            assert prepared == whole  # the same error
            return
        assert prepared.report == whole
        rows = prepared.manifest["rows"]
        total = whole.rows.total
        assert rows["input"] == total
        assert rows["clean"] + rows["rejected"] + rows["duplicates"] + rows["excluded"] == total
        written = sum(f.rows for f in prepared.files) + prepared.rejected.rows
        assert written == total  # every row in exactly one file...
        for f in (*prepared.files, prepared.rejected):
            with f.path.open(encoding="utf-8", newline="") as text:
                assert sum(1 for _ in csv.reader(text)) == f.rows + 1  # ...as the file says
        with prepared.rejected.path.open(encoding="utf-8", newline="") as text:
            lines = [r["line"] for r in csv.DictReader(text)]
        assert len(set(lines)) == len(lines)  # and no row twice


_SHEET_INSERTS = [
    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    '<c r="A1"><v>1</v></c>',
    "<row>",
    "</row>",
    '<c r="B2" t="s"><v>99</v></c>',
    '<c t="inlineStr"><is><t>x</t></is></c>',
    '<dimension ref="A1:ZZZ9999999"/>',
    "&amp;",
    "<",
    '"',
]


@st.composite
def _mutated_workbook(draw: st.DrawFn) -> bytes:
    """A workbook as damaged archives and odd writers leave them: its sheet's XML edited (a
    row far away, a tag cut, a string that is not there), or its bytes cut or flipped."""
    rows = _contacts(draw(st.integers(1, 30)))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(rows)))
        rows = rows[:where] + draw(st.sampled_from(_SHEET_INSERTS)) + rows[where:]
    with tempfile.TemporaryDirectory() as folder:
        data = _workbook(Path(folder) / "book.xlsx", rows).read_bytes()
    for _ in range(draw(st.integers(0, 2))):
        if not data:
            break
        where = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):
            data = data[:where] + bytes([draw(st.integers(0, 255))]) + data[where + 1 :]
        else:
            data = data[:where]
    return data


@settings(
    max_examples=max(int(os.environ.get("CSVPREP_FUZZ_EXAMPLES", "300")) // 10, 1),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=_mutated_workbook())
def test_mutated_workbooks_give_a_report_or_a_one_line_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.xlsx"
        path.write_bytes(data)
        started = time.monotonic()
        _outcome(lambda: csvprep.validate(path))
        assert time.monotonic() - started < _BOUND
