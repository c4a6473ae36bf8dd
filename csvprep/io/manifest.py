"""The manifest: what a prepared (or split) folder holds, read strictly and checked against the
files before anything trusts it.

``manifest.json`` is written last by a run, so a folder that has one holds a complete set of
files. Its file entries are bare names inside the folder, never paths: a manifest cannot point
anywhere else, whoever edited it.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from ..errors import InputError

MANIFEST = "manifest.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")
# The names csvprep gives upload files: the only ones an old manifest may get deleted.
_UPLOAD_FILE = re.compile(r".+\.(clean|part-[0-9]{3,})\.csv")
# The row counts of a prepared folder's manifest: the input, then where its rows went.
_PREPARE_COUNTS = ("input", "clean", "rejected", "duplicates", "excluded")


def safe_name(name: object) -> str | None:
    """``name`` when it is a bare file name (no folder, no ``..``, not absolute), else None.

    >>> safe_name("list.part-001.csv"), safe_name("../victim.txt"), safe_name("/etc/passwd")
    ('list.part-001.csv', None, None)
    """
    if not isinstance(name, str) or name in ("", ".", ".."):
        return None
    if "/" in name or "\\" in name or "\0" in name or Path(name).is_absolute():
        return None
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON: no file has that name
        return None
    return name


def is_upload_file_name(name: str) -> bool:
    """Whether ``name`` is one csvprep gives a clean file or a part.

    >>> is_upload_file_name("a.part-002.csv"), is_upload_file_name("notes.txt")
    (True, False)
    """
    return _UPLOAD_FILE.fullmatch(name) is not None


@dataclass(frozen=True)
class FileEntry:
    """One upload file of the manifest: its name in the folder, data rows and SHA-256."""

    path: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """A manifest as read from a folder, every field checked.

    >>> m = Manifest.from_dict({"version": 1, "kind": "split", "source": {}, "rows": {"input": 0},
    ...                         "files": []}, "manifest.json")
    >>> m.kind, m.files
    ('split', ())
    """

    kind: Literal["prepare", "split"]
    rows: Mapping[str, int]
    files: tuple[FileEntry, ...]
    variables_map: Mapping[str, str]

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Manifest:
        """Check ``data`` field by field; the first wrong one is an :class:`InputError`."""

        def bad(what: str) -> InputError:
            return InputError(
                f"{where}: malformed manifest: {what}; run csvprep prepare (or split) again"
            )

        if not isinstance(data, dict):
            raise bad("not a JSON object")
        if data.get("version") != 1:
            raise bad(f"version {data.get('version')!r} is not 1")
        kind = data.get("kind")
        if kind not in ("prepare", "split"):
            raise bad(f"kind {kind!r} is neither 'prepare' nor 'split'")
        rows = data.get("rows")
        if not isinstance(rows, dict) or not all(_count(v) for v in rows.values()):
            raise bad("'rows' is not an object of row counts")
        if "input" not in rows:
            raise bad("'rows' has no 'input' count")
        entries = data.get("files")
        if not isinstance(entries, list):
            raise bad("'files' is missing or not a list")
        files = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise bad(f"files[{i}] is not an object")
            name = safe_name(entry.get("path"))
            if name is None or not is_upload_file_name(name):
                raise bad(
                    f"files[{i}].path {entry.get('path')!r} is not the name of an upload file "
                    "in the folder (<stem>.clean.csv or <stem>.part-NNN.csv)"
                )
            if not _count(entry.get("rows")):
                raise bad(f"files[{i}].rows is missing or not a row count")
            sha = entry.get("sha256")
            if not isinstance(sha, str) or _SHA256.fullmatch(sha) is None:
                raise bad(f"files[{i}].sha256 is missing or not a SHA-256")
            files.append(FileEntry(name, entry["rows"], sha))
        if len({f.path for f in files}) < len(files):
            raise bad("'files' lists a file twice")
        listed = sum(f.rows for f in files)
        if kind == "prepare":
            # every count upload's checks read, and the sum that proves no row went missing
            for key in _PREPARE_COUNTS:
                if key not in rows:
                    raise bad(f"'rows' has no {key!r} count")
            if rows["clean"] != listed:
                raise bad(f"'rows.clean' is {rows['clean']}, but its files hold {listed} rows")
            parts = sum(rows[key] for key in _PREPARE_COUNTS[1:])
            if rows["input"] != parts:
                raise bad(
                    f"'rows.input' is {rows['input']}, not the {parts} rows of clean, rejected, "
                    "duplicates and excluded"
                )
        elif rows["input"] != listed:
            raise bad(f"'rows.input' is {rows['input']}, but its files hold {listed} rows")
        variables_map = data.get("variables_map", {})
        if not isinstance(variables_map, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in variables_map.items()
        ):
            raise bad("'variables_map' is not an object of header names")
        if kind == "prepare" and not variables_map:
            raise bad("'variables_map' is missing")
        return cls(kind, dict(rows), tuple(files), dict(variables_map))


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_json(path: Path) -> Any:
    """JSON of a regular file (never a FIFO, a device or a link, which could hang or lead
    anywhere); ``OSError``/``ValueError`` when it cannot be had."""
    if regular_file_in(path.parent, path.name) is None:
        if os.path.lexists(path):
            raise ValueError("not a regular file")
        raise FileNotFoundError(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_manifest(folder: Path) -> Manifest:
    """The folder's manifest, checked; an :class:`InputError` when missing or malformed."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError(f"{folder}: no such file or folder")
    try:
        data = read_json(path)
    except FileNotFoundError:
        raise InputError(f"{folder}: no {MANIFEST}; run csvprep prepare first") from None
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: unreadable ({e})") from None
    return Manifest.from_dict(data, str(path))


def listed_names(folder: Path) -> set[str]:
    """The upload files an existing manifest lists, leniently: for clearing a previous run's
    files, where a damaged manifest means only that there is less to clear."""
    try:
        entries = read_json(folder / MANIFEST)["files"]
        names = {safe_name(e.get("path")) for e in entries if isinstance(e, dict)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return set()
    return {n for n in names if n is not None and is_upload_file_name(n)}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def regular_file_in(folder: Path, name: str) -> Path | None:
    """``folder / name`` when it is a regular file (not a link, not a device), else None."""
    path = folder / name
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return path if stat.S_ISREG(mode) else None


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Every file the manifest lists is a regular file in ``folder`` with the manifest's SHA-256
    and row count; else an :class:`InputError` naming the first that is not."""
    for entry in manifest.files:
        verified_copy(folder, entry).close()


def verified_copy(folder: Path, entry: FileEntry) -> BinaryIO:
    """A private copy of the file ``entry`` names (an anonymous temporary file, at its start),
    made by one read that also checks its SHA-256 and rows: what is sent is exactly what was
    checked, whatever happens to the folder meanwhile. An :class:`InputError` when the file is
    missing, not a regular file (a link, a FIFO), or not what the manifest says."""
    path = folder / entry.path

    def refuse(why: str) -> InputError:
        return InputError(f"{path}: {why}; run csvprep prepare again")

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise refuse(f"listed in {MANIFEST} but missing (or a link)") from None
    with contextlib.ExitStack() as cleanup:
        copy = cleanup.enter_context(tempfile.TemporaryFile())
        with os.fdopen(fd, "rb") as source:
            if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
                raise refuse(f"listed in {MANIFEST} but not a regular file")
            digest = hashlib.sha256()
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                copy.write(chunk)
        if digest.hexdigest() != entry.sha256:
            raise refuse(f"changed since csvprep wrote it (its SHA-256 differs from {MANIFEST}'s)")
        copy.seek(0)
        rows = _data_rows(copy)
        if rows != entry.rows:
            raise refuse(f"holds {rows} rows, {MANIFEST} says {entry.rows}")
        copy.seek(0)
        cleanup.pop_all()  # checked: the caller owns the copy now
        return copy
    raise AssertionError("unreachable")


def _data_rows(data: BinaryIO) -> int:
    """Records after the header, by Python's csv module (values may hold line breaks; a value
    may be longer than the module's default field limit, which csvprep never imposes)."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    text = io.TextIOWrapper(data, encoding="utf-8", newline="")
    try:
        return max(sum(1 for _ in csv.reader(text)) - 1, 0)
    except (csv.Error, UnicodeDecodeError):
        return -1
    finally:
        text.detach()
