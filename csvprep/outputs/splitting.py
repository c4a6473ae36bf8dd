"""Split rows into upload files of at most N rows, in input order, none lost or repeated."""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import stat
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import UsageError
from ..io.columns import DEFECT, LINE, NOTE, RAW, ROW
from ..io.manifest import file_sha256, safe_name
from ..io.reading import BATCH_BYTES, NotStreamable, Table, read_batches
from ..io.records import column_name
from ..io.writing import (
    OutputFolder,
    PendingFile,
    WrittenFile,
    csv_body,
    csv_bytes,
    csv_header,
    csv_pieces,
)
from ..problems import Problem
from ..routing import route_for


def part_name(stem: str, index: int) -> str:
    """The file name of part ``index`` (1-based).

    >>> part_name("contacts", 3)
    'contacts.part-003.csv'
    """
    return f"{stem}.part-{index:03d}.csv"


def output_stem(named: object) -> str:
    """The stem output files are named after (``<stem>.clean.csv``...): the name's, when it
    makes names every reader takes (printable, no folder); else a :class:`UsageError`, before
    anything is written.

    >>> output_stem("lists/contacts.csv")
    'contacts'
    >>> output_stem("a\\nb.csv")
    Traceback (most recent call last):
    csvprep.errors.UsageError: 'a\\nb.csv': no output can be named after it ...
    """
    stem = Path(str(named)).stem if isinstance(named, (str, Path)) else "contacts"
    name = f"{stem}.clean.csv"
    # control characters (a line break), bytes that are not text (held as surrogates) and
    # line separators: any other character, a no-break space or a joiner, names a file
    odd = any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in stem)
    if not stem.strip(". ") or odd or safe_name(name) is None:
        raise UsageError(
            f"{str(named)!r}: no output can be named after it (a line break or another "
            "control character, bytes that are not text, or no name at all); rename the file "
            "(prepare also takes --name, such as --name contacts.csv)"
        )
    return stem


def chunks(frame: pl.DataFrame, max_rows: int | None) -> Iterator[pl.DataFrame]:
    """``frame`` in consecutive slices of at most ``max_rows`` rows (all of it when None).

    >>> [c.height for c in chunks(pl.DataFrame({"a": range(5)}), 2)]
    [2, 2, 1]
    """
    if max_rows is None:
        yield frame
        return
    if max_rows < 1:
        raise UsageError("--max-rows must be at least 1")
    for offset in range(0, max(frame.height, 1), max_rows):
        yield frame.slice(offset, max_rows)


def upload_names(stem: str, rows: int, max_rows: int | None) -> list[str]:
    """The names of the upload files ``rows`` rows make: one clean file, or numbered parts.

    >>> upload_names("list", 5, 2), upload_names("list", 5, None)
    (['list.part-001.csv', 'list.part-002.csv', 'list.part-003.csv'], ['list.clean.csv'])
    """
    if max_rows is None:
        return [f"{stem}.clean.csv"]
    return [part_name(stem, i) for i in range(1, max(-(-rows // max_rows), 1) + 1)]


def possible_names(folder: Path, stem: str, max_rows: int | None) -> list[str]:
    """The upload files a run may write into ``folder`` before it knows how many rows it
    keeps: the clean file, or every part of ``stem`` the folder already holds (only an
    existing file can be an input an output must not replace).

    >>> possible_names(Path("nowhere"), "list", 10), possible_names(Path("nowhere"), "list", None)
    ([], ['list.clean.csv'])
    """
    if max_rows is None:
        return [f"{stem}.clean.csv"]
    if not folder.is_dir():
        return []
    part = re.compile(re.escape(stem) + r"\.part-[0-9]{3,}\.csv")
    return sorted(p.name for p in folder.iterdir() if part.fullmatch(p.name))


class PartWriter:
    """Rows written a batch at a time into one clean file or numbered parts of at most
    ``max_rows`` rows, the same bytes as :func:`write_parts` writes for all the rows at once;
    each file is published with the rest of the run's (:meth:`OutputFolder.publish`).

    >>> import tempfile
    >>> folder = OutputFolder.open(Path(tempfile.mkdtemp()) / "out", force=False)
    >>> parts = PartWriter(folder, "list", ["n"], max_rows=2)
    >>> for batch in (["1"], ["2", "3", "4"], ["5"]):
    ...     parts.add(pl.DataFrame({"c0": batch}))
    >>> [(f.path.name, f.rows) for f in parts.close()]
    [('list.part-001.csv', 2), ('list.part-002.csv', 2), ('list.part-003.csv', 1)]
    """

    def __init__(
        self, folder: OutputFolder, stem: str, headers: Sequence[str], max_rows: int | None
    ) -> None:
        if max_rows is not None and max_rows < 1:
            raise UsageError("--max-rows must be at least 1")
        self.folder, self.stem, self.max_rows = folder, stem, max_rows
        self.header = csv_header(headers)
        self.files: list[PendingFile] = []
        self.room = 0  # rows the current part still takes

    def _start(self) -> None:
        if self.files:
            self.folder.finish(self.files[-1])  # full: closed now, published with the rest
        index = len(self.files) + 1
        name = f"{self.stem}.clean.csv" if self.max_rows is None else part_name(self.stem, index)
        pending = self.folder.create(name)
        self.folder.append(pending, self.header, 0)
        self.files.append(pending)
        self.room = self.max_rows if self.max_rows is not None else -1

    def add(self, frame: pl.DataFrame, *, plain: bool = False) -> None:
        """Append ``frame``'s rows (its columns in header order), starting parts as they fill
        (``plain``: :func:`csv_body`'s)."""
        if not frame.height:
            return
        if self.max_rows is None:
            sizes = [frame.height]
        else:
            first = min(self.room, frame.height) if self.files else 0  # the current part's
            rest = range(first, frame.height, self.max_rows)
            sizes = [first] if first else []
            sizes += (min(self.max_rows, frame.height - o) for o in rest)
        # one CSV call for the whole batch, cut into its parts: a call per part cost more
        # than the rows in it
        if len(sizes) == 1:
            bodies: list[bytes | memoryview] = [csv_body(frame, plain=plain)]
        else:
            bodies = csv_pieces(frame, sizes, plain=plain)
        for take, body in zip(sizes, bodies, strict=True):
            if not self.files or self.room == 0:
                self._start()
            self.folder.append(self.files[-1], body, take)
            if self.room > 0:
                self.room -= take

    def close(self) -> list[WrittenFile]:
        """Finish the files (one with the header alone when no row came); what each is."""
        if not self.files:
            self._start()
        return [self.folder.finish(f) for f in self.files]


def write_parts(
    frame: pl.DataFrame,
    headers: Sequence[str],
    out: OutputFolder,
    stem: str,
    max_rows: int | None,
) -> list[WrittenFile]:
    """Write ``frame`` (its columns in header order) as one clean file or numbered parts."""
    names = upload_names(stem, frame.height, max_rows)
    return [
        out.write(name, csv_bytes(part, headers), part.height)
        for name, part in zip(names, chunks(frame, max_rows), strict=True)
    ]


def file_entries(files: Sequence[WrittenFile]) -> list[dict[str, Any]]:
    """Manifest entries for upload files: name in the folder, rows, sha256, route."""
    return [
        {
            "path": f.path.name,
            "rows": f.rows,
            "sha256": f.sha256,
            "route": route_for(f.rows),
        }
        for f in files
    ]


def source_entry(source: Any) -> dict[str, str | None]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return {"path": str(path), "sha256": file_sha256(path)}
    return {"path": None, "sha256": None}


def source_entry_beside(source: Any) -> Callable[[], dict[str, str | None]]:
    """:func:`source_entry` of ``source``, hashed in a thread of its own while the caller
    reads and checks the file (a core is mostly free then, and the hash would otherwise come
    after); the function returned waits for it (and raises what hashing raised).

    Only a regular file is read twice at once: a pipe's bytes would be taken from the reader,
    so anything else is hashed when asked, after the read, as before. The thread is a daemon:
    a run that fails neither waits for the hash nor is kept alive by it.

    >>> source_entry_beside("fixtures/valid_contacts.csv")()["sha256"] == source_entry(
    ...     "fixtures/valid_contacts.csv"
    ... )["sha256"]
    True
    """
    entry: Future[dict[str, str | None]] = Future()

    def work() -> None:
        try:
            entry.set_result(source_entry(source))
        except BaseException as e:  # handed to the caller, who decides what it means
            entry.set_exception(e)

    try:
        regular = isinstance(source, (str, Path)) and stat.S_ISREG(os.stat(source).st_mode)
    except (OSError, ValueError):
        regular = False
    if not regular:
        return functools.partial(source_entry, source)
    threading.Thread(target=work, name="csvprep-hash", daemon=True).start()
    return entry.result


@dataclass(frozen=True)
class SplitResult:
    """What ``split`` wrote, or the structural problems that stopped it (nothing written)."""

    files: tuple[WrittenFile, ...]
    problems: tuple[Problem, ...]
    manifest: dict[str, Any]

    def exit_code(self) -> int:
        return 1 if self.problems else 0


def split(
    source: str | Path,
    out_dir: str | Path,
    *,
    max_rows: int,
    force: bool = False,
    encoding: str | None = None,
    skip_rows: int = 0,
) -> SplitResult:
    """Split any CSV into parts of at most ``max_rows`` rows, values exactly as given.

    No validation: only the file's structure is checked, and a file with broken records is
    refused whole (nothing would say where their cells belong). ``encoding`` and
    ``skip_rows`` are :func:`csvprep.io.reading.read_table`'s.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "parts"
    >>> [f.rows for f in split("fixtures/valid_contacts.csv", out, max_rows=4).files]
    [4, 4, 2]
    """
    out = Path(out_dir)
    if max_rows < 1:
        raise UsageError("--max-rows must be at least 1")
    stem = output_stem(source)
    created = not os.path.lexists(out)
    batch_bytes: int | None = BATCH_BYTES
    folder: OutputFolder | None = None
    try:
        while True:
            tables = read_batches(
                source, batch_bytes=batch_bytes, encoding=encoding, skip_rows=skip_rows
            )
            try:
                first = next(tables)
                if folder is None:
                    planned = possible_names(out, stem, max_rows)
                    # the old manifest and parts stay until every new part is written: a file
                    # with a broken record anywhere leaves the folder as it was
                    folder = OutputFolder.open(
                        out, force, protected=[source], planned=planned, claim=False
                    )
                result = _split(source, itertools.chain([first], tables), folder, stem, max_rows)
                break
            except NotStreamable:
                if folder is not None:
                    folder.discard()
                batch_bytes = None  # read it whole after all
    except BaseException:
        if folder is not None:
            folder.discard()
            if created:
                _remove_if_empty(out)
        raise
    if result.problems and created:
        _remove_if_empty(out)
    return result


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _split(
    source: str | Path,
    tables: Iterator[Table],
    folder: OutputFolder,
    stem: str,
    max_rows: int,
) -> SplitResult:
    """:func:`split` of the batches ``tables`` into ``folder``."""
    hashed = source_entry_beside(source)
    problems: list[Problem] = []
    rows = 0
    parts: PartWriter | None = None
    for table in tables:
        rows += table.rows
        broken = table.frame.filter(pl.col(DEFECT).is_not_null())
        problems += (
            Problem(code=r[DEFECT], message=r[NOTE], line=r[LINE], row=r[ROW], value=r[RAW])
            for r in broken.iter_rows(named=True)
        )
        if problems:  # nothing is written, but every broken record is named
            folder.discard()
            continue
        if parts is None:
            parts = PartWriter(folder, stem, table.headers, max_rows)
        cells = table.frame.select(column_name(i) for i in range(len(table.headers)))
        parts.add(cells, plain=table.plain)
    if problems or parts is None:
        return SplitResult((), tuple(problems), {})
    files = parts.close()
    folder.publish()
    manifest = {
        "version": 1,
        "kind": "split",
        "source": hashed(),
        "rows": {"input": rows},
        "files": file_entries(files),
    }
    folder.commit(manifest)
    return SplitResult(tuple(files), (), manifest)
