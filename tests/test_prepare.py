"""prepare and split: upload-ready files, and nothing lost."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
from collections import Counter
from pathlib import Path

import jsonschema
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csvprep
import csvprep.io.reading
import csvprep.outputs.preparing
from conftest import FIXTURES, SCHEMAS, VARIABLES_MAP, run_cli
from csvprep import ConfigError, UsageError
from csvprep.checks.calling_hours import CallWindow
from csvprep.outputs.preparing import prepare
from csvprep.outputs.splitting import split

MANIFEST_SCHEMA = json.loads((SCHEMAS / "manifest.schema.json").read_text(encoding="utf-8"))


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_clean_file_has_e164_trimmed_headers_and_values_as_given(tmp_path):
    result = prepare(FIXTURES / "header_trailing_space.csv", tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "header_trailing_space.clean.csv")
    assert rows[0] == ["Mobile Number", "Name", "Policy ID", "Due Date"]
    assert rows[1] == ["+919876543210", "Aarav Sharma", "POL-1001", "20/10/2026"]
    raw = (tmp_path / "out" / "header_trailing_space.clean.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    assert result.exit_code() == 0  # header spaces are fixed by prepare


def test_repaired_numbers_are_written_in_e164(tmp_path):
    prepare(FIXTURES / "excel_mangled_numbers.csv", tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "excel_mangled_numbers.clean.csv")
    assert [r[0] for r in rows[1:]] == [
        "+919812345678",
        "+917012345678",
        "+918123456789",
        "+919922334455",
        "+916398765432",
    ]


def test_rejects_keep_original_values_line_and_reasons(tmp_path):
    result = prepare(FIXTURES / "invalid_numbers.csv", tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "invalid_numbers.rejected.csv")
    assert rows[0][:3] == ["line", "reason_codes", "reasons"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("3", "phone_invalid"),
        ("4", "phone_invalid"),
        ("5", "phone_unparseable"),
        ("6", "phone_unparseable"),
    ]
    assert rows[1][3:7] == ["12345", "Too Short", "POL-2", "21/10/2026"]
    assert result.exit_code() == 1


def test_a_row_with_several_errors_names_each_code_once_and_every_message(tmp_path):
    source = tmp_path / "list.csv"
    source.write_text(
        "Mobile Number,Name,Policy ID\n"
        "12345,Asha,POL-0001\n"  # one error
        "+919876543210,A,X-2\n"  # two rule errors: one code, two messages
        "123,B,X-3\n"  # a phone error and two rule errors
        "+919812345678,Ravi,POL-0004\n",  # clean
        encoding="utf-8",
    )
    rules = {
        "columns": {
            "Name": {"min_length": 2},
            "Policy ID": {"min_length": 6},
        }
    }
    prepare(source, tmp_path / "out", rules=rules)
    rejects = read_csv(tmp_path / "out" / "list.rejected.csv")[1:]
    codes = [(r[0], r[1]) for r in rejects]
    assert codes == [
        ("2", "phone_invalid"),
        ("3", "rule_length"),
        ("4", "phone_invalid; rule_length"),
    ], codes
    assert [r[2].count("; ") for r in rejects] == [0, 1, 2]


def test_broken_records_keep_their_raw_text(tmp_path):
    prepare(FIXTURES / "ragged_rows.csv", tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "ragged_rows.rejected.csv")
    assert rows[2][-1] == "'+917012345678,Kabir Singh,POL-3,22/10/2026,extra"


def test_rejects_neutralise_spreadsheet_formulas(tmp_path):
    prepare(FIXTURES / "formula_injection.csv", tmp_path / "out")
    clean = read_csv(tmp_path / "out" / "formula_injection.clean.csv")
    assert clean[1][1] == '=HYPERLINK("http://x")'  # clean values stay exactly as given
    (reject,) = read_csv(tmp_path / "out" / "formula_injection.rejected.csv")[1:]
    assert reject[3:7] == ["12345", "'=1+1", "'+POL", "'@x"]


def test_duplicates_keep_the_first_or_all(tmp_path):
    result = prepare(FIXTURES / "duplicate_numbers.csv", tmp_path / "a")
    assert result.manifest["rows"] == {
        "input": 4,
        "clean": 2,
        "rejected": 0,
        "duplicates": 2,
        "excluded": 0,
    }
    rejects = read_csv(tmp_path / "a" / "duplicate_numbers.rejected.csv")
    assert [r[1] for r in rejects[1:]] == ["duplicate_number", "duplicate_number"]
    assert result.exit_code() == 0
    kept = prepare(FIXTURES / "duplicate_numbers.csv", tmp_path / "b", keep_duplicates=True)
    assert kept.manifest["rows"]["clean"] == 4 and kept.manifest["rows"]["duplicates"] == 0


@pytest.mark.parametrize("suppression", ["suppression_list.csv", "do_not_call.txt"])
def test_suppression_list_removes_numbers_in_any_format(tmp_path, suppression):
    result = prepare(
        FIXTURES / "valid_contacts.csv", tmp_path / "out", exclude=FIXTURES / suppression
    )
    rows = result.manifest["rows"]
    assert rows["excluded"] == 2 and rows["clean"] == 8
    rejects = read_csv(tmp_path / "out" / "valid_contacts.rejected.csv")
    assert {r[1] for r in rejects[1:]} == {"excluded_number"}
    assert result.exit_code() == 0


@pytest.mark.parametrize(
    ("suppression", "line", "why"),
    [
        ("suppression_ragged_record.csv", 2, "3 cells but the header has 2"),
        ("suppression_unclosed_quote.csv", 2, "never closed"),
    ],
)
def test_a_suppression_list_with_a_broken_record_stops_the_run_naming_its_line(
    tmp_path, suppression, line, why
):
    with pytest.raises(ConfigError, match=f"{suppression}: line {line}: .*{why}") as info:
        prepare(FIXTURES / "valid_contacts.csv", tmp_path / "out", exclude=FIXTURES / suppression)
    assert info.value.exit_code == 2
    assert not (tmp_path / "out").exists()  # nothing written, nothing half-excluded
    out = tmp_path / "cli"
    result = run_cli(
        "prepare",
        FIXTURES / "valid_contacts.csv",
        "--out",
        out,
        "--exclude",
        FIXTURES / suppression,
    )
    assert result.exit_code == 2 and f"line {line}" in result.stderr
    assert not out.exists()


def test_calling_hours_warn_about_night_calls(tmp_path):
    window = CallWindow.parse("10:00-18:00", "Asia/Kolkata", date=dt.date(2026, 11, 22))
    result = prepare(FIXTURES / "us_numbers.csv", tmp_path / "out", call_window=window)
    (warning,) = [p for p in result.report.problems if p.code == "outside_calling_hours"]
    assert warning.line == 2
    assert "20:30-04:30 local time in America/Los_Angeles" in warning.message
    assert result.manifest["rows"]["clean"] == 2  # a warning, not a rejection


def test_split_parts_and_routes(tmp_path):
    numbers = [f"+9198{i:08d}" for i in range(12000)]
    source = tmp_path / "big.csv"
    pl.DataFrame({"Mobile Number": numbers}).write_csv(source)
    result = prepare(source, tmp_path / "out", max_rows=4999)
    entries = result.manifest["files"]
    assert [(e["path"], e["rows"], e["route"]) for e in entries] == [
        ("big.part-001.csv", 4999, "standard"),
        ("big.part-002.csv", 4999, "standard"),
        ("big.part-003.csv", 2002, "standard"),
    ]
    whole = prepare(source, tmp_path / "whole")
    assert whole.manifest["files"][0]["route"] == "large"
    jsonschema.validate(result.manifest, MANIFEST_SCHEMA)


def test_manifest_hashes_and_schema(tmp_path):
    result = prepare(
        FIXTURES / "excel_mangled_numbers.csv", tmp_path / "out", variables_map=VARIABLES_MAP
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == result.manifest
    jsonschema.validate(manifest, MANIFEST_SCHEMA)
    assert manifest["source"]["sha256"] == digest(FIXTURES / "excel_mangled_numbers.csv")
    for entry in [*manifest["files"], manifest["rejected_file"]]:
        assert digest(tmp_path / "out" / entry["path"]) == entry["sha256"]
    rows = manifest["rows"]
    assert rows["input"] == rows["clean"] + rows["rejected"] + rows["duplicates"] + rows["excluded"]


def test_non_empty_output_folder_is_refused_without_force(tmp_path):
    out = tmp_path / "out"
    prepare(FIXTURES / "valid_contacts.csv", out, max_rows=3)
    with pytest.raises(UsageError, match="not empty"):
        prepare(FIXTURES / "valid_contacts.csv", out)
    prepare(FIXTURES / "valid_contacts.csv", out, max_rows=6, force=True)
    # the previous run's extra parts are gone; the manifest lists exactly what is there
    parts = sorted(p.name for p in out.glob("*.part-*.csv"))
    assert parts == ["valid_contacts.part-001.csv", "valid_contacts.part-002.csv"]


def test_input_is_never_modified_and_outputs_are_byte_identical(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes((FIXTURES / "excel_mangled_numbers.csv").read_bytes())
    before = digest(source)
    prepare(source, tmp_path / "a")
    prepare(source, tmp_path / "b")
    assert digest(source) == before
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        if name != "manifest.json" and not name.endswith(".report.json"):
            assert digest(tmp_path / "a" / name) == digest(tmp_path / "b" / name), name


def test_no_temporary_files_are_left(tmp_path):
    prepare(FIXTURES / "valid_contacts.csv", tmp_path / "out")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_split_command_keeps_values_exactly(tmp_path):
    result = split(FIXTURES / "semicolon.csv", tmp_path / "parts", max_rows=4)
    assert [f.rows for f in result.files] == [4, 4, 2]
    rows = [r for f in result.files for r in read_csv(f.path)[1:]]
    original = read_csv(FIXTURES / "valid_contacts.csv")[1:]
    assert rows == original
    jsonschema.validate(result.manifest, MANIFEST_SCHEMA)
    # hashed while the file was read: the source's own bytes
    assert result.manifest["source"]["sha256"] == digest(FIXTURES / "semicolon.csv")


def test_split_refuses_broken_files_and_writes_nothing(tmp_path):
    result = split(FIXTURES / "ragged_rows.csv", tmp_path / "parts", max_rows=2)
    assert [p.line for p in result.problems] == [3, 4] and result.exit_code() == 1
    assert not (tmp_path / "parts").exists()


def test_cli_prepare_and_split(tmp_path):
    result = run_cli(
        "prepare", FIXTURES / "duplicate_numbers.csv", "-o", tmp_path / "o", "--format", "json"
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rows"]["duplicates"] == 2
    again = run_cli("prepare", FIXTURES / "duplicate_numbers.csv", "-o", tmp_path / "o")
    assert again.exit_code == 2 and "--force" in again.stderr
    bad = run_cli(
        "prepare",
        FIXTURES / "valid_contacts.csv",
        "-o",
        tmp_path / "p",
        "--call-window",
        "25:00-26:00",
    )
    assert bad.exit_code == 2
    text = run_cli(
        "split", FIXTURES / "valid_contacts.csv", "--max-rows", "5", "-o", tmp_path / "s"
    )
    assert text.exit_code == 0 and "part-002" in text.stdout


# --- properties over generated lists -----------------------------------------------------------

_phone = st.sampled_from(
    [
        "+919876543210",
        "9876543210",
        "098123 45678",
        "+91 70123 45678",
        "12345",
        "",
        "abc",
        "9.19877E+11",
        "919922334455.0",
        "'+918123456789",
        "+1 650-253-0000",
        "8800123456",
    ]
)
_text = st.text(alphabet=st.sampled_from(list('ab ,;"\n=+-@é')), max_size=5)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(st.tuples(_phone, _text, _text), min_size=1, max_size=30),
    max_rows=st.one_of(st.none(), st.integers(1, 7)),
    keep_duplicates=st.booleans(),
)
def test_nothing_lost_nothing_invented(tmp_path_factory, rows, max_rows, keep_duplicates):
    out = tmp_path_factory.mktemp("prop")
    source = out / "list.csv"
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\n").writerows([["Mobile Number", "Name", "City"], *rows])
    source.write_text(text.getvalue(), encoding="utf-8")
    result = prepare(source, out / "o", max_rows=max_rows, keep_duplicates=keep_duplicates)

    clean = [r for f in result.files for r in read_csv(f.path)[1:]]
    rejects = read_csv(result.rejected.path)[1:]
    # every input row is in exactly one output, its non-phone values untouched
    assert len(clean) + len(rejects) == len(rows)
    got = Counter(tuple(r[1:]) for r in clean)
    got.update(
        tuple(v.removeprefix("'") if v[:2] in {"'=", "'+", "'-", "'@"} else v for v in r[4:6])
        for r in rejects
    )
    assert got == Counter(tuple(r[1:]) for r in rows)
    # the split invariants: parts of at most max_rows, in input order, none repeated
    if max_rows is not None:
        assert all(f.rows <= max_rows for f in result.files)
    lines = [int(r[0]) for r in rejects]
    assert lines == sorted(lines)
    counts = result.manifest["rows"]
    assert counts["input"] == len(rows)
    assert counts["input"] == sum(
        counts[k] for k in ("clean", "rejected", "duplicates", "excluded")
    )
    # idempotence: preparing a clean file again changes nothing
    if clean and max_rows is None:
        again = prepare(result.files[0].path, out / "again", keep_duplicates=keep_duplicates)
        assert again.files[0].path.read_bytes() == result.files[0].path.read_bytes()
        assert again.rejected.rows == 0


def test_a_fixed_rejects_file_goes_back_in_as_a_list(tmp_path):
    source = tmp_path / "list.csv"
    source.write_text(
        "Mobile Number,Name,Policy ID,Due Date\n12345,=Asha,POL-1,20/10/2026\n", encoding="utf-8"
    )
    prepare(source, tmp_path / "out")
    rejects = tmp_path / "out" / "list.rejected.csv"
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(rejects.read_text(encoding="utf-8").replace("12345", "+919876543210"))
    result = run_cli("validate", fixed, "-m", VARIABLES_MAP, "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["summary"]
    assert report["columns"] == ["Mobile Number", "Name", "Policy ID", "Due Date"]
    assert "column_unused" not in report["counts"]
    assert any("a csvprep rejects file" in note for note in report["notes"])
    again = prepare(fixed, tmp_path / "again", variables_map=VARIABLES_MAP)
    assert read_csv(tmp_path / "again" / "fixed.clean.csv")[1][:2] == ["+919876543210", "=Asha"]
    assert again.exit_code() == 0


# --- streaming: a batch at a time, the same bytes as the whole file ------------------------------

_STREAMED = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if p.suffix in (".csv", ".tsv", ".txt", ".xlsx")
    and p.name not in ("do_not_call.txt", "suppression_list.csv")
)


def _outputs(run, out: Path) -> dict[str, bytes] | str:
    """Every file a run wrote into ``out`` (or the error that stopped it)."""
    try:
        result = run(out)
    except csvprep.CsvprepError as e:
        return f"{type(e).__name__}: {e}"
    if getattr(result, "problems", None):
        return repr(result.problems)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _batched(monkeypatch, size: int) -> None:
    """Read files ``size`` bytes at a time (both commands' batches)."""
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", size)
    monkeypatch.setattr("csvprep.outputs.splitting.BATCH_BYTES", size)


_OPTIONS = {
    "plain": {},
    "parts": {"max_rows": 2},
    "keep_duplicates": {"keep_duplicates": True, "max_rows": 3},
    "everything": {
        "variables_map": VARIABLES_MAP,
        "exclude": FIXTURES / "do_not_call.txt",
        "call_window": CallWindow.parse("10:00-18:00", "Asia/Kolkata", date=dt.date(2026, 11, 22)),
        "mobile_only": True,
        "rules": {"columns": {"Name": {"unique": True}, "Policy ID": {"max_length": 5}}},
        "max_problems": 3,
    },
}


@pytest.mark.parametrize("options", _OPTIONS)
@pytest.mark.parametrize("name", _STREAMED)
def test_prepare_in_batches_writes_the_bytes_of_the_whole(tmp_path, monkeypatch, name, options):
    def run(out: Path) -> object:
        return prepare(FIXTURES / name, out, **_OPTIONS[options])

    whole = _outputs(run, tmp_path / "whole")
    _batched(monkeypatch, 60)  # a batch of a line or two
    assert _outputs(run, tmp_path / "batched") == whole


@pytest.mark.parametrize("name", _STREAMED)
def test_split_in_batches_writes_the_bytes_of_the_whole(tmp_path, monkeypatch, name):
    def run(out: Path) -> object:
        return split(FIXTURES / name, out, max_rows=3)

    whole = _outputs(run, tmp_path / "whole")
    _batched(monkeypatch, 60)
    assert _outputs(run, tmp_path / "batched") == whole


def _generated(path: Path, rows: int, seed: int) -> Path:
    """A messy list: numbers repeated near and far (within and across batches), invalid ones,
    values a spreadsheet would run, quoted line breaks, a blank-header column that gets a
    value only late in the file."""
    rng = random.Random(seed)
    numbers = [f"98{rng.randrange(10**8):08d}" for _ in range(rows // 3)]
    lines = [["Mobile Number", "Name", "Policy ID", ""]]
    end = "\r\n" if seed % 3 == 0 else "\n"
    for i in range(rows):
        kind = rng.random()
        phone = (
            rng.choice(numbers)
            if kind < 0.5
            else rng.choice(["12345", "", "abc", "9.19877E+11", "+91 98765 43210"])
            if kind < 0.6
            else f"+91 97{rng.randrange(10**8):08d}"
        )
        name = rng.choice(["Asha", "=cmd", "", "a,b", 'say "hi"', f"two{end}lines", "-1"])
        late = "x" if i == rows - 3 and seed % 2 else ""
        lines.append([phone, name, f"POL-{rng.randrange(rows)}", late])
    text = io.StringIO()
    csv.writer(text, lineterminator=end).writerows(lines)
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", range(4))
def test_generated_lists_over_many_batches_give_the_bytes_of_the_whole(tmp_path, monkeypatch, seed):
    source = _generated(tmp_path / "list.csv", 600, seed)
    rules = {"columns": {"Policy ID": {"unique": True, "severity": ["error", "warning"][seed % 2]}}}
    runs = [
        lambda out: prepare(source, out, max_rows=7),
        lambda out: prepare(source, out, keep_duplicates=True, rules=rules, max_rows=50),
        lambda out: prepare(source, out, variables_map=VARIABLES_MAP, max_problems=5),
        lambda out: split(source, out, max_rows=9),
    ]
    for i, run in enumerate(runs):
        whole = _outputs(run, tmp_path / f"whole{i}")
        assert isinstance(whole, dict) and len(whole) >= 2
        with monkeypatch.context() as patched:
            _batched(patched, 350)  # some ten to twenty rows a batch: dozens of batches
            assert len(list(csvprep.io.reading.read_batches(source, batch_bytes=350))) > 20
            assert _outputs(run, tmp_path / f"batched{i}") == whole, i


def test_a_list_found_not_streamable_after_some_batches_is_written_whole(tmp_path, monkeypatch):
    source = _generated(tmp_path / "list.csv", 300, 1)
    source.write_bytes(source.read_bytes() + "+919876543210,Ren\u00e9e,POL-1,\n".encode("cp1252"))
    whole = _outputs(lambda out: prepare(source, out, max_rows=8), tmp_path / "whole")
    _batched(monkeypatch, 700)
    batches = csvprep.io.reading.read_batches(source, batch_bytes=700)
    assert next(batches).rows  # a first batch, before the bytes that are not UTF-8
    assert _outputs(lambda out: prepare(source, out, max_rows=8), tmp_path / "batched") == whole
    assert b"Ren\xc3\xa9e" in (tmp_path / "batched" / "list.part-001.csv").read_bytes() or any(
        b"Ren\xc3\xa9e" in f.read_bytes() for f in (tmp_path / "batched").iterdir()
    )


def test_a_streamed_run_lets_go_of_its_first_batch(tmp_path, monkeypatch):
    # it needs only the file's name and headers to the end: the batch was a batch of memory
    import gc
    import weakref

    import csvprep.pipeline.validation as validation

    source = _generated(tmp_path / "list.csv", 300, 2)
    first: list[weakref.ref[object]] = []
    read = validation.read_batches

    def spied(*args, **kwargs):
        batches = read(*args, **kwargs)
        table = next(batches)
        first.append(weakref.ref(table))
        yield table
        del table
        yield from batches

    monkeypatch.setattr(validation, "read_batches", spied)
    _batched(monkeypatch, 700)
    held = []

    class Sink:
        def begin(self, table, plan, replan):
            pass

        def take(self, batch):
            gc.collect()
            held.append(first[0]() is not None)

    validation.stream(source, Sink())
    assert len(held) > 5 and not any(held[3:])


def test_streamed_prepare_keeps_repeats_across_batches_out_and_parts_whole(tmp_path, monkeypatch):
    # what the byte comparisons would miss if both paths went wrong alike
    numbers = [f"+9198{i:08d}" for i in range(30)]
    rows = [*numbers, numbers[2], numbers[29], "12345", *[f"+9197{i:08d}" for i in range(10)]]
    source = tmp_path / "list.csv"
    pl.DataFrame({"Mobile Number": rows, "Name": [f"n{i}" for i in range(len(rows))]}).write_csv(
        source
    )
    _batched(monkeypatch, 30)  # one to three rows a batch: parts end inside batches
    assert len(list(csvprep.io.reading.read_batches(source, batch_bytes=30))) > 10
    result = prepare(source, tmp_path / "out", max_rows=4)
    clean = [r for f in result.files for r in read_csv(f.path)[1:]]
    assert [r[0] for r in clean] == [*numbers, *[f"+9197{i:08d}" for i in range(10)]]
    assert [f.rows for f in result.files] == [4] * 10
    rejects = read_csv(result.rejected.path)[1:]
    assert [(r[0], r[1]) for r in rejects] == [
        ("32", "duplicate_number"),
        ("33", "duplicate_number"),
        ("34", "phone_invalid"),
    ]
    assert rejects[0][2] == f"'{numbers[2]} is already on line 4"
    assert result.manifest["rows"] == {
        "input": 43,
        "clean": 40,
        "rejected": 1,
        "duplicates": 2,
        "excluded": 0,
    }


def test_streamed_prepare_and_split_that_fail_leave_no_output(tmp_path, monkeypatch):
    source = _generated(tmp_path / "list.csv", 300, 0)
    _batched(monkeypatch, 700)
    real = csvprep.outputs.preparing._Writer.take
    taken = iter(range(10**6))

    def take(self, batch):  # the disk fills while the fifth batch is written
        if next(taken) == 4:
            raise csvprep.OutputError("disk full")
        return real(self, batch)

    monkeypatch.setattr(csvprep.outputs.preparing._Writer, "take", take)
    with pytest.raises(csvprep.OutputError):
        prepare(source, tmp_path / "out", max_rows=5)
    assert list((tmp_path / "out").iterdir()) == []
    broken = tmp_path / "broken.csv"
    broken.write_text(source.read_text(encoding="utf-8") + "1,2,3,4,5,6\n", encoding="utf-8")
    assert split(broken, tmp_path / "parts", max_rows=5).problems
    assert not (tmp_path / "parts").exists()


@pytest.mark.parametrize("name", ["a\nb.csv", ".", "/", "", "x\udcff.csv"])
def test_a_name_no_output_can_carry_is_refused_before_anything_is_written(tmp_path, name):
    with pytest.raises(UsageError, match="no output can be named after it"):
        prepare(FIXTURES / "valid_contacts.csv", tmp_path / "out", name=name)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "stem", ["Renewal\u00a0list", "\u0d15\u0d4d\u200d list", "Soft\u00adhyphen"]
)
def test_names_with_any_printable_or_joining_character_still_make_outputs(tmp_path, stem):
    source = tmp_path / f"{stem}.csv"
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    written = split(source, tmp_path / "parts", max_rows=4).files
    assert written[0].path.name == f"{stem}.part-001.csv"
    assert prepare(source, tmp_path / "out").files[0].path.name == f"{stem}.clean.csv"


def test_a_list_whose_file_name_is_not_utf8_is_reported_with_its_name(tmp_path):
    source = os.fsdecode(os.fsencode(str(tmp_path)) + b"/list\xff.csv")
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    report = tmp_path / "report.json"
    result = run_cli("validate", source, "--format", "json", "--output", report)
    assert result.exit_code == 0
    written = json.loads(report.read_text(encoding="utf-8"))["file"]
    assert os.fsencode(written).endswith(b"/list\xff.csv")
    # prepare names its outputs after the file: refused, saying how to name them instead
    result = run_cli("prepare", source, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "--name" in result.stderr
