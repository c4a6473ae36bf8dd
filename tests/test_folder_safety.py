"""Output folders, tried as a hostile user (or an unlucky one) would: nothing outside the folder
is ever removed or written, no input is ever touched, a folder holds a manifest only when every
file it lists is whole, upload sends nothing from a folder that does not match its manifest,
and filesystem faults are one-line errors with their own exit code."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from contract_server import API_KEY, ContractServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_upload import SETTINGS

import csvprep.io.reading
import csvprep.io.writing
import csvprep.outputs.preparing
from conftest import FIXTURES, run_cli
from csvprep.cli import cli
from csvprep.errors import InputError, OutputError, UsageError
from csvprep.io.manifest import MANIFEST, Manifest, verify_files
from csvprep.outputs.preparing import prepare
from csvprep.outputs.splitting import split

ROOT = Path(__file__).resolve().parent.parent


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its digest."""
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def complete_or_absent(folder: Path) -> None:
    """The guarantee: a manifest in ``folder`` means every file it lists is there, whole."""
    path = folder / MANIFEST
    if path.exists():
        manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
        verify_files(folder, manifest)


def edit_manifest(folder: Path, change) -> None:
    path = folder / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def contacts(path: Path, rows: int) -> Path:
    pl.DataFrame(
        {"Mobile Number": [f"+9198{i:08d}" for i in range(rows)], "Name": ["Asha"] * rows}
    ).write_csv(path)
    return path


# --- deletion and writing only inside the folder, by name ----------------------------------


@pytest.mark.parametrize("entry", ["../../victim.txt", "ABSOLUTE", ".", "", "sub/x.clean.csv"])
def test_force_never_deletes_what_an_old_manifest_names_outside_the_folder(tmp_path, entry):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "a" / "out"
    prepare(FIXTURES / "valid_contacts.csv", out)
    path = str(victim) if entry == "ABSOLUTE" else entry
    edit_manifest(out, lambda m: m["files"].append({"path": path, "rows": 1, "sha256": "0" * 64}))
    result = run_cli("prepare", FIXTURES / "valid_contacts.csv", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious"
    complete_or_absent(out)


def test_force_never_deletes_a_file_of_the_folder_that_is_not_an_upload_file(tmp_path):
    out = tmp_path / "out"
    prepare(FIXTURES / "valid_contacts.csv", out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    edit_manifest(out, lambda m: m["files"].append({"path": "notes.txt"}))
    assert run_cli("prepare", FIXTURES / "valid_contacts.csv", "-o", out, "--force").exit_code == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_re_preparing_a_file_that_lives_in_its_own_output_folder_keeps_it(tmp_path):
    source = tmp_path / "in.csv"
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    out = tmp_path / "out"
    assert run_cli("prepare", source, "--out", out).exit_code == 0
    kept = out / "in.clean.csv"
    before = digest(kept)
    result = run_cli("prepare", kept, "--out", out, "--force", "--max-rows", "4")
    assert result.exit_code == 0, result.output
    assert digest(kept) == before
    complete_or_absent(out)
    assert {f["path"] for f in json.loads((out / MANIFEST).read_text())["files"]} == {
        "in.clean.part-001.csv",
        "in.clean.part-002.csv",
        "in.clean.part-003.csv",
    }


@pytest.mark.parametrize("name", ["manifest.json", "list.rejected.csv"])
def test_an_output_that_would_replace_an_input_is_refused(tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    exclude = out / name
    exclude.write_text("Mobile Number\n+919876543210\n", encoding="utf-8")
    source = tmp_path / "list.csv"
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    before = tree(tmp_path)
    with pytest.raises(UsageError, match="is one of this run's inputs"):
        prepare(source, out, force=True, exclude=exclude)
    assert digest(exclude) == before[f"out/{name}"]
    assert digest(source) == before["list.csv"]
    assert not (out / MANIFEST).exists() or name == MANIFEST


def test_a_symlink_in_the_folder_is_neither_followed_nor_deleted_through(tmp_path):
    victim = tmp_path / "victim.csv"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    prepare(FIXTURES / "valid_contacts.csv", out)
    (out / "x.clean.csv").symlink_to(victim)
    edit_manifest(out, lambda m: m["files"].append({"path": "x.clean.csv"}))
    assert run_cli("prepare", FIXTURES / "valid_contacts.csv", "-o", out, "--force").exit_code == 0
    assert victim.read_text(encoding="utf-8") == "precious"


# --- upload checks before sending ----------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ContractServer]:
    with ContractServer() as running:
        yield running


@pytest.fixture
def env(server: ContractServer, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "campaign.json").write_text(json.dumps(SETTINGS), encoding="utf-8")
    return {"RINGG_API_KEY": API_KEY, "RINGG_BASE_URL": server.url}


def upload_cli(folder: Path, env: dict[str, str], *extra: str):
    campaign = folder.parent / "campaign.json"
    args = ["upload", str(folder), "--campaign", str(campaign), *extra]
    return CliRunner().invoke(cli, args, env=env)


def secret_file(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.csv"
    secret.write_text("Mobile Number,Name\n+919999999999,Secret\n", encoding="utf-8")
    return secret


TAMPERINGS = {
    "parent": lambda m, s: m["files"][0].update(path="../secret.csv", sha256=s, rows=1),
    "absolute": lambda m, s: m["files"][0].update(path="/etc/passwd"),
    "missing": lambda m, s: m["files"][0].update(path="gone.clean.csv"),
    "hash": lambda m, s: m["files"][0].update(sha256="0" * 64),
    "rows": lambda m, s: m["files"][0].update(rows=9),
    "rows_list": lambda m, s: m.update(rows=[]),
    "no_files": lambda m, s: m.pop("files"),
    "no_sha256": lambda m, s: m["files"][0].pop("sha256"),
    "twice": lambda m, s: m["files"].append(dict(m["files"][0])),
    "not_json": None,
}


@pytest.mark.parametrize("how", TAMPERINGS)
def test_upload_refuses_a_tampered_folder_before_any_request(tmp_path, server, env, how):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    sha = digest(secret_file(tmp_path))
    if TAMPERINGS[how] is None:
        (folder / MANIFEST).write_text("{not json", encoding="utf-8")
    else:
        edit_manifest(folder, lambda m: TAMPERINGS[how](m, sha))
    result = upload_cli(folder, env)
    assert result.exit_code == 3, result.output
    assert server.platform.requests == []
    assert len(result.stderr.strip().splitlines()) == 1


def test_upload_refuses_a_changed_file_and_a_symlinked_one(tmp_path, server, env):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    part = folder / "valid_contacts.clean.csv"
    part.write_bytes(part.read_bytes().replace(b"Aarav", b"Evil!"))
    assert upload_cli(folder, env).exit_code == 3
    original = tmp_path / "elsewhere.csv"
    shutil.copy(FIXTURES / "valid_contacts.csv", tmp_path / "src.csv")
    prepare(tmp_path / "src.csv", tmp_path / "fresh")
    shutil.copy(tmp_path / "fresh" / "src.clean.csv", original)
    (tmp_path / "fresh" / "src.clean.csv").unlink()
    (tmp_path / "fresh" / "src.clean.csv").symlink_to(original)
    assert upload_cli(tmp_path / "fresh", env).exit_code == 3
    assert server.platform.requests == []


def test_a_folder_without_a_manifest_is_never_uploaded(tmp_path, server, env):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    (folder / MANIFEST).unlink()
    result = upload_cli(folder, env)
    assert result.exit_code == 3 and "no manifest.json" in result.stderr
    assert server.platform.requests == []


# --- a manifest means complete -------------------------------------------------------------


class Killed(BaseException):
    """Stands for the process dying: no clean-up of any kind runs."""


def faulty_writes(monkeypatch, fail_at: int, how: str) -> None:
    """The ``fail_at``-th write (0-based) of the run fails: the disk is full, or the process
    dies half-way through writing it (leaving its temporary file behind). A file written in
    pieces (the parts, the rejects file) counts as written when it is finished."""
    real_write, real_finish = csvprep.io.writing.atomic_write, csvprep.io.writing.PendingFile.finish
    count = iter(range(10**6))

    def fail(path: Path, data: bytes) -> None:
        if how == "full":
            raise OSError(errno.ENOSPC, "No space left on device")
        (path.parent / f".{path.name}.0123456789abcdef.csvprep-tmp").write_bytes(data[:10])
        raise Killed

    def write(path: Path, data: bytes) -> None:
        if next(count) != fail_at:
            return real_write(path, data)
        fail(path, data)

    def finish(self: csvprep.io.writing.PendingFile) -> csvprep.io.writing.WrittenFile:
        if self.finished or next(count) != fail_at:  # finished once, counted once
            return real_finish(self)
        fail(self.path, b"half a file")
        raise AssertionError("unreachable")

    monkeypatch.setattr(csvprep.io.writing, "atomic_write", write)
    monkeypatch.setattr(csvprep.io.writing.PendingFile, "finish", finish)


def test_a_force_rerun_that_dies_part_way_leaves_no_manifest_and_upload_refuses(
    tmp_path, monkeypatch, server, env
):
    folder = tmp_path / "ready"
    source = contacts(tmp_path / "list.csv", 12)
    prepare(source, folder, max_rows=3)
    contacts(source, 20)
    with monkeypatch.context() as patched:
        faulty_writes(patched, 3, "full")
        with pytest.raises(OutputError, match="disk is full"):
            prepare(source, folder, max_rows=4, force=True)
    assert not (folder / MANIFEST).exists()
    assert not list(folder.glob("list.part-*.csv"))[4:]  # none of the old run's 4 is left
    assert upload_cli(folder, env).exit_code == 3
    assert server.platform.requests == []


def test_an_old_file_that_cannot_be_removed_stops_the_run_before_anything_is_published(
    tmp_path, monkeypatch
):
    folder = tmp_path / "ready"
    source = contacts(tmp_path / "list.csv", 12)
    prepare(source, folder, max_rows=3)
    stuck = folder / "list.part-004.csv"
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == stuck:  # the old run's files are removed in the folder's own thread
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(OutputError, match=r"list\.part-004\.csv: cannot remove: Permission denied"):
        prepare(source, folder, max_rows=6, force=True)
    assert not (folder / MANIFEST).exists()
    # no part of the new run was put in place, and no temporary file is left
    assert sorted(p.name for p in folder.glob("*.part-*")) == ["list.part-004.csv"]
    assert not list(folder.glob(".*"))


def test_an_old_file_that_cannot_be_removed_stops_a_long_run_early(tmp_path, monkeypatch):
    folder = tmp_path / "ready"
    source = contacts(tmp_path / "list.csv", 400)
    prepare(source, folder, max_rows=3)
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.parent == folder and ".part-" in self.name and not self.name.startswith("."):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_unlink(self, missing_ok=missing_ok)

    taken = []
    real_take = csvprep.outputs.preparing._Writer.take
    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 300)  # dozens of batches
    monkeypatch.setattr("csvprep.io.reading.BATCH_ROWS", 0)  # of that size, not growing
    monkeypatch.setattr(
        csvprep.outputs.preparing._Writer,
        "take",
        lambda self, batch: (taken.append(1), real_take(self, batch))[1],
    )
    with pytest.raises(OutputError, match="Permission denied"):
        prepare(source, folder, max_rows=3, force=True)
    batches = len(list(csvprep.io.reading.read_batches(source, batch_bytes=300)))
    assert batches > 20 and len(taken) < batches / 2, (len(taken), batches)


def test_the_old_files_are_all_gone_before_a_new_one_of_their_name_is_put_in_place(
    tmp_path, monkeypatch
):
    folder = tmp_path / "ready"
    source = contacts(tmp_path / "list.csv", 12)
    prepare(source, folder, max_rows=3)
    real_unlink = Path.unlink

    def slow_unlink(self: Path, missing_ok: bool = False) -> None:
        if self.parent == folder and self.name.startswith("list.part-"):
            time.sleep(0.2)  # the old parts go slowly, in the folder's own thread
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", slow_unlink)
    prepare(source, folder, max_rows=3, force=True)  # the same four names again
    assert (folder / MANIFEST).exists()
    complete_or_absent(folder)
    assert sorted(p.name for p in folder.glob("list.part-*")) == [
        f"list.part-00{i}.csv" for i in range(1, 5)
    ]


def test_leftover_temporary_files_are_removed_by_the_next_run(tmp_path, monkeypatch):
    folder = tmp_path / "ready"
    with monkeypatch.context() as patched:
        faulty_writes(patched, 1, "killed")
        with pytest.raises(Killed):
            prepare(FIXTURES / "valid_contacts.csv", folder)
    assert list(folder.glob(".*csvprep-tmp"))
    # a user's own hidden files, however they look, are never taken for leftovers
    (folder / ".notes.backup01.tmp").write_text("a user's own", encoding="utf-8")
    (folder / ".mine.tmp").write_text("a user's own", encoding="utf-8")
    prepare(FIXTURES / "valid_contacts.csv", folder, force=True)
    hidden = sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
    assert hidden == [".mine.tmp", ".notes.backup01.tmp"]
    complete_or_absent(folder)


RUNS = st.lists(
    st.tuples(
        st.sampled_from([3, 12, 20]),  # rows of the source this time
        st.sampled_from([None, 2, 5]),  # --max-rows
        st.booleans(),  # --force
        st.one_of(st.none(), st.tuples(st.integers(0, 8), st.sampled_from(["full", "killed"]))),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(runs=RUNS)
def test_any_sequence_of_runs_leaves_a_complete_folder_or_no_manifest(
    tmp_path_factory, monkeypatch, runs
):
    base = tmp_path_factory.mktemp("runs")
    folder, source = base / "out", base / "list.csv"
    for rows, max_rows, force, fault in runs:
        contacts(source, rows)
        before = digest(source)
        with monkeypatch.context() as patched:
            if fault is not None:
                faulty_writes(patched, *fault)
            with contextlib.suppress(UsageError, OutputError, Killed):
                prepare(source, folder, max_rows=max_rows, force=force)
        assert digest(source) == before
        complete_or_absent(folder)
        assert {p.name for p in base.iterdir()} <= {"out", "list.csv"}


def parts_written_since(folder: Path, start: float) -> int:
    found = 0
    for part in folder.glob("*.part-*.csv"):
        with contextlib.suppress(OSError):
            found += part.stat().st_mtime >= start
    return found


def test_a_process_killed_mid_write_leaves_a_complete_folder_or_no_manifest(tmp_path):
    source = contacts(tmp_path / "list.csv", 60_000)
    folder = tmp_path / "out"
    command = [sys.executable, "-m", "csvprep", "prepare", str(source), "-o", str(folder)]
    # many small parts: many writes, so a kill lands in the middle of the set
    command += ["--force", "--max-rows", "100", "-q"]
    assert subprocess.run(command, check=False).returncode == 0
    for i, after in enumerate((1, 20, 100, 300)):
        contacts(source, 60_000 - 1_000 * i)  # each run writes other parts than the last
        start = time.time() - 0.01
        process = subprocess.Popen(command)
        while process.poll() is None and parts_written_since(folder, start) < after:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait()
        complete_or_absent(folder)
    assert subprocess.run(command, check=False).returncode == 0
    complete_or_absent(folder)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


# --- files as the user expects them ----------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_the_permissions_the_umask_gives(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        prepare(FIXTURES / "valid_contacts.csv", tmp_path / "out")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").iterdir()}
    assert set(modes.values()) == {mode}, modes


# --- filesystem faults are errors, not bugs -------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB filesystem (tmpfs), which needs root: CI runs as root."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], check=False
    )
    if mounted.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_is_one_line_with_exit_7_and_no_manifest(tmp_path, small_disk):
    source = contacts(tmp_path / "list.csv", 20_000)  # ~500 KB of output: does not fit
    result = run_cli("prepare", source, "--out", small_disk / "out", "--max-rows", "4999")
    assert result.exit_code == 7, result.output
    assert "disk is full" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (small_disk / "out" / MANIFEST).exists()
    assert not [p for p in (small_disk / "out").iterdir() if p.name.startswith(".")]


def test_a_read_only_folder_is_one_line_with_exit_7(tmp_path, small_disk):
    prepare(FIXTURES / "valid_contacts.csv", small_disk / "out")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for args in (
        ["prepare", FIXTURES / "valid_contacts.csv", "-o", small_disk / "out", "--force"],
        ["prepare", FIXTURES / "valid_contacts.csv", "-o", small_disk / "new"],
    ):
        result = run_cli(*args)
        assert result.exit_code == 7, result.output
        assert "Read-only file system" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_read_only_folder_stops_an_upload_before_any_request(tmp_path, small_disk, server, env):
    folder = small_disk / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    shutil.copy(tmp_path / "campaign.json", small_disk / "campaign.json")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = upload_cli(folder, env)
    assert result.exit_code == 7, result.output
    assert server.platform.requests == []


def test_a_name_too_long_is_one_line_not_a_bug(tmp_path):
    source = tmp_path / ("n" * 250 + ".csv")
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    result = run_cli("prepare", source, "--out", tmp_path / "out")
    assert result.exit_code == 7, result.output
    assert "File name too long" in result.stderr


# --- the rejects file is safe to open in a spreadsheet ---------------------------------------


def test_every_cell_of_the_rejects_file_is_neutralised(tmp_path):
    import csv

    source = tmp_path / "hostile.csv"
    source.write_text(
        'Mobile Number,=HYPERLINK("http://x"),@SUM(1)\n=1+2,-3,+4\n', encoding="utf-8"
    )
    prepare(source, tmp_path / "out")
    with (tmp_path / "out" / "hostile.rejected.csv").open(encoding="utf-8", newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells and "'@SUM(1)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


# --- the key ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [API_KEY + "\nX-Injected: 1", "ключ-" + API_KEY, "a b", "k\x7f"])
def test_a_malformed_key_is_a_usage_error_before_anything(tmp_path, server, env, key):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    result = upload_cli(folder, {**env, "RINGG_API_KEY": key})
    assert result.exit_code == 2, result.output
    assert "API key" in result.stderr and key.strip() not in result.stderr
    assert server.platform.requests == []
    assert not (folder / "upload-ledger.json").exists()


def test_a_key_echoed_by_the_platform_is_never_shown_or_stored(tmp_path, server, env):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    server.platform.fault("POST /campaign/save", "echo")
    result = upload_cli(folder, env)
    assert result.exit_code == 5, result.output
    assert "[redacted]" in result.stderr
    assert API_KEY not in result.output + result.stderr
    for path in folder.iterdir():
        assert API_KEY not in path.read_text(encoding="utf-8", errors="replace")


# --- a dry run writes nothing anywhere --------------------------------------------------------


def test_a_dry_run_on_a_csv_writes_nothing(tmp_path, server, env):
    source = tmp_path / "list.csv"
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    before = tree(tmp_path)
    result = upload_cli(source, env, "--dry-run", "--start-calls")
    assert result.exit_code == 0, result.output
    assert "/campaign/save" in result.stdout
    assert tree(tmp_path) == before
    assert server.platform.requests == []


def test_a_dry_run_with_rejected_rows_is_refused_with_exit_1_and_writes_nothing(
    tmp_path, server, env
):
    source = tmp_path / "bad.csv"
    shutil.copy(FIXTURES / "invalid_numbers.csv", source)
    before = tree(tmp_path)
    result = upload_cli(source, env, "--dry-run")
    assert result.exit_code == 1 and "--remove-invalid-rows" in result.stderr
    assert tree(tmp_path) == before


def test_split_obeys_the_same_folder_rules(tmp_path):
    out = tmp_path / "parts"
    split(FIXTURES / "valid_contacts.csv", out, max_rows=4)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    edit_manifest(out, lambda m: m["files"].append({"path": "../victim.txt"}))
    split(FIXTURES / "valid_contacts.csv", out, max_rows=5, force=True)
    assert victim.exists()
    complete_or_absent(out)
    assert len(json.loads((out / MANIFEST).read_text())["files"]) == 2
    assert sorted(p.name for p in out.glob("*.part-*.csv")) == [
        "valid_contacts.part-001.csv",
        "valid_contacts.part-002.csv",
    ]


def test_an_unreadable_input_error_is_never_an_input_error_for_outputs(tmp_path):
    with pytest.raises(InputError):
        prepare(tmp_path / "missing.csv", tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- found by trying to break the above (an outside review) ---------------------------------


def test_an_input_named_like_a_leftover_is_never_removed(tmp_path):
    out = tmp_path / "out"
    prepare(FIXTURES / "valid_contacts.csv", out)
    exclude = out / ".dnc.0123456789abcdef.csvprep-tmp"
    exclude.write_text("+919876543210\n", encoding="utf-8")
    prepare(FIXTURES / "valid_contacts.csv", out, force=True, exclude=exclude)
    assert exclude.read_text(encoding="utf-8") == "+919876543210\n"


def test_a_file_swapped_after_the_check_is_never_sent(tmp_path, server):
    from test_upload import api, campaign

    from csvprep.upload import upload

    secret = secret_file(tmp_path)
    folder = tmp_path / "race"
    prepare(contacts(tmp_path / "list.csv", 10), folder, max_rows=5)

    def swap(line: str) -> None:
        part = folder / "list.part-002.csv"
        if "saved as list" in line and part.is_file() and not part.is_symlink():
            part.unlink()
            part.symlink_to(secret)

    with api(server) as client, pytest.raises(InputError, match="part-002"):
        upload(folder, campaign(), api=client, on_event=swap)
    sent = [r["raw"] for r in server.platform.requests]
    assert len(sent) == 1 and not any(b"Secret" in body for body in sent)


def test_the_rejects_file_quotes_every_cell_against_semicolon_splitting(tmp_path):
    source = tmp_path / "semi.csv"
    source.write_text(
        "Mobile Number;Name;Note\n+919876543210;Asha;ok\n12345;x;y;=cmd|' /C calc'!A0\n",
        encoding="utf-8",
    )
    prepare(source, tmp_path / "out")
    lines = (tmp_path / "out" / "semi.rejected.csv").read_text(encoding="utf-8").splitlines()
    for line in lines:
        cells = line.split(",")
        assert all((c.startswith('"') and c.endswith('"')) or c == "" for c in cells), line


def test_a_long_cell_prepared_honestly_can_be_uploaded(tmp_path, server, env):
    source = tmp_path / "big.csv"
    source.write_text(f"Mobile Number,Name\n+919876543210,{'x' * 65_000}\n", encoding="utf-8")
    prepare(source, tmp_path / "ready")
    assert upload_cli(tmp_path / "ready", env, "--dry-run").exit_code == 0


HOSTILE_MANIFESTS = {
    "deep": "[" * 100_000 + "]" * 100_000,
    "surrogate": json.dumps(
        {
            "version": 1,
            "kind": "prepare",
            "source": {},
            "rows": {"input": 1},
            "variables_map": {"mobile_number": "Mobile Number"},
            "files": [{"path": "\ud800.clean.csv", "rows": 1, "sha256": "0" * 64}],
        }
    ),
    "ledger": json.dumps(
        {
            "version": 1,
            "kind": "prepare",
            "source": {},
            "rows": {"input": 1},
            "variables_map": {"mobile_number": "Mobile Number"},
            "files": [{"path": "upload-ledger.json", "rows": 0, "sha256": "0" * 64}],
        }
    ),
}


@pytest.mark.parametrize("how", [*HOSTILE_MANIFESTS, "fifo", "dev_zero"])
def test_hostile_manifests_are_input_errors_for_upload_and_cleared_by_prepare(
    tmp_path, server, env, how
):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    (folder / MANIFEST).unlink()
    if how == "fifo":
        os.mkfifo(folder / MANIFEST)
    elif how == "dev_zero":
        (folder / MANIFEST).symlink_to("/dev/zero")
    else:
        (folder / MANIFEST).write_text(HOSTILE_MANIFESTS[how], encoding="utf-8")
    result = upload_cli(folder, env)
    assert result.exit_code == 3, result.output
    assert server.platform.requests == []
    result = run_cli("prepare", FIXTURES / "valid_contacts.csv", "-o", folder, "--force")
    assert result.exit_code == 0, result.output
    complete_or_absent(folder)


@pytest.mark.parametrize(
    "ledger",
    [
        [],
        {"version": 1},
        {"version": 1, "files": {"valid_contacts.clean.csv": {"sha256": "x", "steps": []}}},
        {
            "version": 1,
            "files": {
                "valid_contacts.clean.csv": {"sha256": "x", "steps": {"save": {"state": "done"}}}
            },
        },
    ],
)
def test_a_malformed_ledger_is_an_error_not_a_bug(tmp_path, server, env, ledger):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    (folder / "upload-ledger.json").write_text(json.dumps(ledger), encoding="utf-8")
    result = upload_cli(folder, env)
    assert result.exit_code == 2 and "unreadable ledger" in result.stderr, result.output
    assert server.platform.requests == []


@pytest.mark.parametrize(
    "base_url",
    [
        "https://[::1/x",
        "https://api.example.com/\x01",
        "https://api.example.com/v0?api_key=KEY",
        "https://user:KEY@api.example.com/v0",
        "http://api.example.com/v0?k=KEY",
    ],
)
def test_a_bad_base_url_is_a_usage_error_that_never_shows_the_key(tmp_path, env, base_url):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    key = "KEY" + API_KEY
    for dry_run in ((), ("--dry-run",)):
        result = upload_cli(
            folder,
            {**env, "RINGG_API_KEY": key, "RINGG_BASE_URL": base_url.replace("KEY", key)},
            *dry_run,
        )
        assert result.exit_code == 2, result.output
        assert key not in result.output + result.stderr


def test_a_name_too_long_for_the_output_folder_is_exit_7(tmp_path):
    result = run_cli("prepare", FIXTURES / "valid_contacts.csv", "-o", tmp_path / ("a" * 300) / "x")
    assert result.exit_code == 7, result.output


def test_an_output_replacing_an_input_stops_before_anything_changes(tmp_path):
    out = tmp_path / "out"
    source = tmp_path / "list.csv"
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    prepare(FIXTURES / "duplicate_numbers.csv", out)
    exclude = out / "list.rejected.csv"
    exclude.write_text("+919876543210\n", encoding="utf-8")
    before = tree(out)
    with pytest.raises(UsageError, match="is one of this run's inputs"):
        prepare(source, out, force=True, exclude=exclude)
    assert tree(out) == before


def test_a_symlinked_manifest_is_removed_not_followed(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("{}", encoding="utf-8")
    out = tmp_path / "out"
    prepare(FIXTURES / "valid_contacts.csv", out)
    (out / MANIFEST).unlink()
    (out / MANIFEST).symlink_to(target)
    prepare(FIXTURES / "valid_contacts.csv", out, force=True)
    assert target.read_text(encoding="utf-8") == "{}"
    assert not (out / MANIFEST).is_symlink()
    complete_or_absent(out)


def test_a_key_file_saved_with_a_bom_works(tmp_path, server, env):
    folder = tmp_path / "ready"
    prepare(FIXTURES / "valid_contacts.csv", folder)
    key_file = tmp_path / "key.txt"
    key_file.write_bytes(b"\xef\xbb\xbf" + API_KEY.encode() + b"\r\n")
    env = {k: v for k, v in env.items() if k != "RINGG_API_KEY"}
    result = upload_cli(folder, env, "--api-key-file", str(key_file))
    assert result.exit_code == 0, result.output


def test_uploading_a_missing_source_says_so(tmp_path, env):
    result = upload_cli(tmp_path / "typo.csv", env)
    assert result.exit_code == 3 and "no such file or folder" in result.stderr


def test_a_manifest_the_reader_would_refuse_is_never_written(tmp_path):
    # prepare, split and upload share the one typed Manifest: the writer reads its own first
    folder = csvprep.io.writing.OutputFolder.open(tmp_path / "out", False, protected=[])
    with pytest.raises(RuntimeError, match="a manifest its reader refuses"):
        folder.commit({"version": 1, "kind": "split", "files": "not a list"})
    assert not (tmp_path / "out" / MANIFEST).exists()


# --- validate --output: a report file, never over an input, never replacing a device -------


@pytest.mark.parametrize("which", ["list", "variables map"])
def test_validate_output_over_an_input_is_refused_and_the_input_kept(tmp_path, which):
    source = tmp_path / "list.csv"
    shutil.copy(FIXTURES / "valid_contacts.csv", source)
    vmap = tmp_path / "vm.json"
    vmap.write_text('{"mobile_number": "Mobile Number"}', encoding="utf-8")
    target = source if which == "list" else tmp_path / "link-to-vm.json"
    if which == "variables map":
        os.link(vmap, target)  # the same file under another name
    before = {p: p.read_bytes() for p in (source, vmap)}
    result = run_cli("validate", source, "-m", vmap, "--output", target)
    assert result.exit_code == 2
    assert "is one of this run's inputs" in result.stderr
    assert {p: p.read_bytes() for p in (source, vmap)} == before


def test_validate_output_into_a_pipe_writes_into_it_and_keeps_it(tmp_path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as pipe:
            got.append(pipe.read())

    reader = threading.Thread(target=read)
    reader.start()
    result = run_cli(
        "validate", FIXTURES / "valid_contacts.csv", "--format", "json", "--output", fifo
    )
    reader.join(timeout=30)
    assert result.exit_code == 0
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # not replaced by a regular file
    assert json.loads(got[0])["file"].endswith("valid_contacts.csv")


def test_validate_output_that_is_a_folder_is_a_usage_error(tmp_path):
    result = run_cli("validate", FIXTURES / "valid_contacts.csv", "--output", tmp_path)
    assert result.exit_code == 2 and "is a directory" in result.stderr  # click's own check
    result = run_cli("validate", FIXTURES / "valid_contacts.csv", "--output", "")
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_validate_output_through_a_link_writes_into_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "report.json"
    link = tmp_path / "latest.json"
    link.symlink_to(target)  # as /dev/stdout is a link, to a file or a pipe
    result = run_cli(
        "validate", FIXTURES / "valid_contacts.csv", "--format", "json", "--output", link
    )
    assert result.exit_code == 0
    assert link.is_symlink() and json.loads(target.read_text(encoding="utf-8"))["rows"]


def test_validate_output_over_an_input_named_by_the_configuration_is_refused(tmp_path):
    shutil.copy(FIXTURES / "valid_contacts.csv", tmp_path / "list.csv")
    vmap = tmp_path / "map.json"
    vmap.write_text('{"mobile_number": "Mobile Number"}', encoding="utf-8")
    config = tmp_path / "csvprep.toml"
    config.write_text('variables_map = "map.json"\n', encoding="utf-8")
    for target in (vmap, config):
        before = target.read_bytes()
        result = run_cli("validate", tmp_path / "list.csv", "--output", target)
        assert result.exit_code == 2 and "is one of this run's inputs" in result.stderr
        assert target.read_bytes() == before
