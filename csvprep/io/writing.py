"""Write output files safely: UTF-8 CSV without BOM, atomically, inside the output folder only,
never over an input, and the manifest last.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import itertools
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from ..errors import InputError, OutputError, UsageError
from .manifest import MANIFEST, Manifest, listed_names, safe_name

# A spreadsheet runs a cell starting with these as a formula (CSV injection); the rejects file
# is meant to be opened in one.
_FORMULA_START = r"^[=+\-@\t\r]"
# A temporary file is named for the file it becomes, ``.<name>.<16 hex>.csvprep-tmp``, so an
# interrupted run's leftovers are recognised (and removed) by the next run, and nothing else
# is. (Older versions' ``.<name>.<8 chars>.tmp`` are left alone: a user's file may look so.)
_TEMP_SUFFIX = ".csvprep-tmp"
_LEFTOVER = re.compile(r"\..+\.[0-9a-f]{16}\.csvprep-tmp")


@dataclass(frozen=True)
class WrittenFile:
    """A file csvprep wrote: its path, data rows and SHA-256."""

    path: Path
    rows: int
    sha256: str


def csv_bytes(frame: pl.DataFrame, headers: Sequence[str], *, quote_all: bool = False) -> bytes:
    """``frame`` as comma-separated UTF-8 with LF line ends, under ``headers`` (which may repeat);
    ``quote_all`` quotes every cell, so that a spreadsheet splitting on ``;`` (Excel in many
    locales) cannot cut a cell into new ones either.

    >>> csv_bytes(pl.DataFrame({"a": ["1, 2"], "b": ["x"]}), ["Name", "Name"])
    b'Name,Name\\n"1, 2",x\\n'
    >>> csv_bytes(pl.DataFrame({"a": ["1;=2"]}), ["a"], quote_all=True)
    b'"a"\\n"1;=2"\\n'
    """
    return csv_header(headers, quote_all=quote_all) + csv_body(frame, quote_all=quote_all)


def csv_header(headers: Sequence[str], *, quote_all: bool = False) -> bytes:
    """The header line of :func:`csv_bytes`, for a file written in pieces.

    >>> csv_header(["a", "b c"], quote_all=True)
    b'"a","b c"\\n'
    >>> csv_header(["a", "b\\rc"])
    b'a,"b\\rc"\\n'
    """
    head = io.StringIO()
    # Python's writer quotes a line break only if the line terminator holds it: with "\n"
    # alone a header cell with a lone CR went out bare, and split the header in two
    writer = csv.writer(
        head, lineterminator="\r\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerow(headers)
    return (head.getvalue()[:-2] + "\n").encode("utf-8")


def csv_body(frame: pl.DataFrame, *, quote_all: bool = False, plain: bool = False) -> bytes:
    """The rows of :func:`csv_bytes`: the bodies of consecutive slices of a frame, joined, are
    the body of the whole (so a file can be written a batch at a time).

    ``plain``: the caller knows that no cell holds a comma, a quote or a line break (as
    :attr:`csvprep.io.reading.Table.plain` tells). Unless a cell is empty (quoted, ``""``),
    no cell is then quoted, and the cells are written as they are, not looked through for
    those characters: the same bytes for a third of the CPU time.

    >>> csv_body(pl.DataFrame({"a": ["1", "x,y"]}))
    b'1\\n"x,y"\\n'
    >>> csv_body(pl.DataFrame({"a": ["1", "x y"]}), plain=True)
    b'1\\nx y\\n'
    """
    if not frame.height:
        return b""
    style: Literal["always", "necessary", "never"] = "always" if quote_all else "necessary"
    if plain and not quote_all and _nothing_quoted(frame):
        style = "never"
    body = io.BytesIO()
    frame.write_csv(body, include_header=False, line_terminator="\n", quote_style=style)
    return body.getvalue()


def _nothing_quoted(frame: pl.DataFrame) -> bool:
    """No cell of ``frame``, text without commas, quotes and line breaks, is quoted by
    ``quote_style="necessary"``: all of it is text and none is empty (null is not)."""
    if not frame.width or not all(dtype == pl.String for dtype in frame.dtypes):
        return False  # numbers and dates: their text is Polars' to choose
    empty = pl.any_horizontal(pl.col(name) == "" for name in frame.columns).any()
    return not frame.select(empty).item()


#: What makes Polars quote a cell (``quote_style="necessary"``), besides being empty (not null).
_QUOTED_BY = [",", '"', "\r", "\n"]


def csv_pieces(
    frame: pl.DataFrame, sizes: Sequence[int], *, plain: bool = False
) -> list[bytes | memoryview]:
    """The bodies (:func:`csv_body`) of consecutive slices of ``frame`` of ``sizes`` rows, the
    same bytes, but made CSV in one call: each call to Polars' writer costs about a
    millisecond before its first row (its engine is started for it), so parts of a few
    thousand rows spent more in calls than in rows.

    The body is cut where each slice's rows end, found from the length of every row written
    (its cells' bytes, quotes and commas); every cut is then proven to fall after exactly the
    slice's rows, and where one is not (a cell Polars wrote otherwise than reckoned here), the
    slices are made CSV one by one instead. ``plain`` is :func:`csv_body`'s.

    >>> frame = pl.DataFrame({"a": ["1", "x\\ny", 'a "b" c'], "b": ["2", None, ""]})
    >>> [bytes(p) for p in csv_pieces(frame, [2, 1])]
    [b'1,2\\n"x\\ny",\\n', b'"a ""b"" c",""\\n']
    """
    if sum(sizes) != frame.height or any(n < 1 for n in sizes):
        raise ValueError(f"slices of {list(sizes)} rows do not make the frame's {frame.height}")
    body = csv_body(frame, plain=plain)
    ends = _row_ends(frame, body, sizes)
    if ends is None:
        offsets = itertools.accumulate(sizes, initial=0)
        return [
            csv_body(frame.slice(o, n), plain=plain) for o, n in zip(offsets, sizes, strict=False)
        ]
    whole = memoryview(body)
    return [whole[start:end] for start, end in itertools.pairwise([0, *ends])]


def _row_ends(frame: pl.DataFrame, body: bytes, sizes: Sequence[int]) -> list[int] | None:
    """Where each slice of ``sizes`` rows ends in ``body`` (``frame`` written by :func:`csv_body`),
    or None where that cannot be proven.

    A body without a quote character has no quoted cell, so each row is its cells' bytes as
    they are, commas and a line end, and every line end closes a row: the lengths are exact,
    and each end need only fall after a line end (the last one at the body's end).

    Otherwise an end is proven when the bytes before it close a record (a line end after an
    even number of quote characters: Polars writes one only in a quoted cell, doubled, between
    two more) and hold as many line ends as the rows since the last end wrote (one each, and
    those in their cells): records each hold at least one, so no other record's end has that
    count."""
    if not all(dtype == pl.String for dtype in frame.dtypes):
        return None  # numbers and dates: their text is Polars' to choose
    cells = [pl.col(name) for name in frame.columns]
    quoted = b'"' in body
    written = [
        cell.str.len_bytes()
        + pl.when(cell.str.contains_any(_QUOTED_BY) | (cell == ""))
        .then(cell.str.count_matches('"', literal=True) + 2)
        .otherwise(0)
        if quoted
        else cell.str.len_bytes()
        for cell in cells
    ]
    # the commas between cells and the line end
    lengths = frame.select(pl.sum_horizontal(written).fill_null(0) + frame.width).to_series()
    cuts = [n - 1 for n in itertools.accumulate(sizes)]
    ends: list[int] = lengths.cum_sum().gather(cuts).to_list()
    if not ends or ends[-1] != len(body) or any(body[end - 1] != ord("\n") for end in ends):
        return None
    if not quoted:
        return ends
    line_ends = pl.Series(cuts, dtype=pl.Int64) + 1  # a row's own line end...
    if body.count(b"\n") != frame.height:  # ...and those of its cells
        inside = frame.select(
            pl.sum_horizontal(c.str.count_matches("\n", literal=True) for c in cells).fill_null(0)
        ).to_series()
        line_ends += inside.cum_sum().gather(cuts)
    start, start_lines = 0, 0
    for end, lines in zip(ends, line_ends.to_list(), strict=True):
        if body.count(b'"', start, end) % 2 or body.count(b"\n", start, end) != lines - start_lines:
            return None
        start, start_lines = end, lines
    return ends


def neutralise_formulas(value: pl.Expr) -> pl.Expr:
    """Prefix ``'`` to values a spreadsheet would run as a formula.

    >>> pl.select(neutralise_formulas(pl.lit("=HYPERLINK(1)"))).item()
    "'=HYPERLINK(1)"
    """
    return pl.when(value.str.contains(_FORMULA_START)).then(pl.lit("'") + value).otherwise(value)


def neutralise_text(value: str) -> str:
    """:func:`neutralise_formulas` for one string (a header cell).

    >>> neutralise_text("=HYPERLINK(1)"), neutralise_text("Name")
    ("'=HYPERLINK(1)", 'Name')
    """
    return f"'{value}" if re.match(_FORMULA_START, value) else value


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: The temporary files being written now: a run stopped by a signal removes them
#: (:func:`abandon_writes`), as it ends without unwinding the writer's own clean-up.
_WRITING: set[Path] = set()
#: Held while a temporary file is made and named in ``_WRITING``, and while one is renamed into
#: place: the writing threads go on while a stopped run removes its temporary files, and
#: made 500 new parts while 600 were removed. :func:`abandon_writes` takes it for good.
_WRITES = threading.Lock()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so a reader never sees
    a half-written file and an interrupted run leaves the old file intact.

    The file gets the permissions the umask gives (0644 under the usual 022), like any file a
    command creates; ``OSError`` passes through (callers say what it means for them).
    """
    temp, fd = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _put_in_place(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        _WRITING.discard(temp)
        raise


def check_report_target(path: Path, inputs: Iterable[object]) -> None:
    """Refuse ``path`` as where a report goes (``--output``) before anything is read: a folder,
    or one of the run's ``inputs`` (the list, the variables map...) under any name, which the
    report would replace. A :class:`UsageError` saying so.

    >>> check_report_target(Path("fixtures/valid_contacts.csv"), ["fixtures/valid_contacts.csv"])
    Traceback (most recent call last):
    csvprep.errors.UsageError: fixtures/valid_contacts.csv: is one of this run's inputs; ...
    """
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give --output a file name")
    found = _identity(path)
    if found is not None and found in {_identity(i) for i in inputs}:
        raise UsageError(
            f"{path}: is one of this run's inputs; the report would replace it: give --output "
            "another file"
        )


def write_report(path: Path, data: bytes) -> None:
    """Write a report where ``--output`` says: into a device, a pipe or a link as it is
    (``/dev/stdout``, ``/dev/null``, a FIFO a reader waits on), never replaced by a file; a
    regular file (or a new one) atomically (:func:`atomic_write`). Faults are
    :class:`OutputError`.

    >>> write_report(Path("/dev/null"), b"{}")
    """
    with writing(path):
        try:
            kind = os.lstat(path).st_mode
        except FileNotFoundError:
            kind = stat.S_IFREG
        if stat.S_ISREG(kind):
            atomic_write(path, data)
        else:  # written through: a link (/dev/stdout is one, to a file or a pipe) is kept
            with open(path, "wb") as device:
                device.write(data)


def _create_temp(path: Path) -> tuple[Path, int]:
    """A new temporary file for ``path``, in its folder (a rename is atomic only within one),
    registered for :func:`abandon_writes`; its name and open descriptor."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}{_TEMP_SUFFIX}")
    with _WRITES:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        _WRITING.add(temp)
    return temp, fd


def _put_in_place(temp: Path, path: Path) -> None:
    """Rename the temporary file ``temp`` to ``path`` (unless the run is being stopped)."""
    with _WRITES:
        os.replace(temp, path)
        _WRITING.discard(temp)


class PendingFile:
    """A file written in pieces (a batch at a time) to a temporary file, hashed as it goes,
    and renamed into place only when the whole run has succeeded
    (:meth:`OutputFolder.publish`): until then no reader sees any of it, and a run that stops
    leaves only a temporary file, which the next run into the folder removes.

    Made by :meth:`OutputFolder.create`; ``OSError`` passes through, as from
    :func:`atomic_write`.
    """

    def __init__(self, path: Path, syncer: ThreadPoolExecutor | None = None) -> None:
        self.path = path
        self.temp, fd = _create_temp(path)
        self._file = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._syncer = syncer
        self._synced: Future[None] | None = None
        self._syncing: Future[None] | None = None  # the last sync on the way
        self._unsynced = 0  # bytes written since it was asked for
        self.rows = 0

    @property
    def finished(self) -> bool:
        return self._synced is not None or self._file.closed

    def write(self, data: bytes | memoryview, rows: int = 0) -> None:
        """Append ``data``, which holds ``rows`` data rows."""
        self._file.write(data)
        self._digest.update(data)
        self.rows += rows
        self._unsynced += len(data)
        if self._syncer is not None and self._unsynced >= SYNC_EVERY:
            self._sync_so_far(self._syncer)

    def _sync_so_far(self, syncer: ThreadPoolExecutor) -> None:
        """Have what is written so far made durable in the syncer's thread: the disk then
        takes a long file as it comes, not all of it at the end (a 400 MB clean file took
        0.5 s to sync after its last row). One sync at a time; one that failed fails the
        file (an error a sync reports may not be reported again by the next)."""
        if self._syncing is not None:
            if not self._syncing.done():
                return  # the disk is behind: the next write asks again
            self._syncing.result()
        self._file.flush()
        self._syncing = syncer.submit(_sync_data, self._file.fileno())
        self._unsynced = 0

    def finish(self) -> WrittenFile:
        """Make the temporary file whole and durable (with a ``syncer``, in its thread, while
        the run goes on: :meth:`publish` waits for it); what it will be once published."""
        if not self.finished:
            self._file.flush()
            if self._syncer is None:
                _sync_and_close(self._file)
            else:
                self._synced = self._syncer.submit(_sync_and_close, self._file)
        return WrittenFile(self.path, self.rows, self._digest.hexdigest())

    def publish(self) -> None:
        """Rename the finished temporary file into place, once it is durable."""
        if self._syncing is not None:
            self._syncing.result()
        if self._synced is not None:
            self._synced.result()
        _put_in_place(self.temp, self.path)

    def discard(self) -> None:
        """Close and remove the temporary file (the run did not succeed)."""
        for sync in (self._syncing, self._synced):
            if sync is not None:
                with contextlib.suppress(OSError):
                    sync.result()
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.temp)
        _WRITING.discard(self.temp)


#: A file being written is made durable as it goes, every this many bytes (with a syncer).
SYNC_EVERY = 32 * 2**20


def _sync_data(fd: int) -> None:
    """Make the data written to ``fd`` so far durable (its times need not be)."""
    getattr(os, "fdatasync", os.fsync)(fd)  # fdatasync is not on every system (macOS)


def _sync_and_close(file: io.BufferedWriter) -> None:
    try:
        os.fsync(file.fileno())
    finally:
        file.close()


def abandon_writes() -> None:
    """Remove the temporary files of writes under way, and let no thread make another or put
    one in place: for a process stopped by a signal, ended as soon as this returns (its other
    threads run on until then).

    >>> import subprocess, sys
    >>> stop = "from csvprep.io.writing import abandon_writes; abandon_writes()"
    >>> subprocess.run([sys.executable, "-c", stop]).returncode
    0
    """
    # with a time limit: a thread stuck in a rename (a hung network disk) must not stop Ctrl-C
    _WRITES.acquire(timeout=2)
    for temp in list(_WRITING):
        with contextlib.suppress(OSError):
            os.unlink(temp)


def sync_folder(folder: Path) -> None:
    """Make the folder's entries (renames, removals) durable, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def writing(path: Path, doing: str = "write") -> Iterator[None]:
    """Turn a filesystem fault while writing ``path`` (or ``doing`` another thing to it, as
    "remove") into an :class:`OutputError` naming it.

    >>> with writing(Path("old.part-001.csv"), "remove"):
    ...     raise PermissionError(1, "Operation not permitted")
    Traceback (most recent call last):
    csvprep.errors.OutputError: old.part-001.csv: cannot remove: Operation not permitted
    """
    try:
        yield
    except OSError as e:
        reason = e.strerror or type(e).__name__
        if e.errno == errno.ENOSPC:
            reason += " (the disk is full)"
        raise OutputError(f"{path}: cannot {doing}: {reason}") from None


def remove_leftovers(folder: Path, protected: frozenset[tuple[int, int]] = frozenset()) -> None:
    """Remove the temporary files an interrupted run left in ``folder`` (never an input)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if (
                _LEFTOVER.fullmatch(entry.name)
                and entry.is_file(follow_symlinks=False)
                and _identity(entry.path) not in protected
            ):
                with writing(Path(entry.path), "remove"):
                    os.unlink(entry.path)


def _identity(path: object) -> tuple[int, int] | None:
    """The (device, inode) of an existing file, to know a file under any of its names."""
    if not isinstance(path, (str, Path)):
        return None
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISREG(found.st_mode) else None


@dataclass
class OutputFolder:
    """A folder csvprep writes a set of files into, and the rules that keep it safe.

    :meth:`open` refuses a folder that is not empty (unless ``force``), removes an interrupted
    run's temporary files, then removes the old manifest *before* anything else changes and the
    upload files it listed (in its own thread, all gone before any new file is put in place);
    :meth:`write` writes a file by bare name, never over one of the run's inputs
    (``protected``); :meth:`commit` writes the manifest last. So a folder holds a
    manifest only when every file it lists was written whole, and nothing outside the folder,
    or any input, is ever removed or overwritten. Filesystem faults are :class:`OutputError`.

    >>> import tempfile
    >>> folder = OutputFolder.open(Path(tempfile.mkdtemp()) / "out", force=False)
    >>> folder.write("a.clean.csv", b"h\\n1\\n", rows=1).sha256[:8]
    '733e3611'
    """

    path: Path
    protected: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    _pending: list[PendingFile] = field(default_factory=list, init=False, repr=False)
    # the folder's disk work is done in this thread while the run goes on: finished files are
    # made durable (a part's fsync would otherwise hold up the batches behind it), and the old
    # run's files removed (2,000 parts took 0.75 s, the reading and checking of a batch)
    _disk: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _claimed: bool = field(default=False, init=False, repr=False)
    _clearing: Future[None] | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(
        cls,
        path: Path,
        force: bool,
        protected: Iterable[object] = (),
        planned: Iterable[str] = (),
        *,
        claim: bool = True,
    ) -> OutputFolder:
        """Make ``path`` ready for a new set of files named ``planned`` (those known before
        writing), or refuse, before anything in it changes. Without ``claim`` the old manifest
        and files stay until :meth:`claim` (or :meth:`publish`): a run that may still decide to
        write nothing (``split`` of a broken file) leaves the folder as it was, but for the
        temporary files of :meth:`create`, removed again by :meth:`discard`."""
        keep = frozenset(i for p in protected if (i := _identity(p)) is not None)
        with writing(path):
            if path.exists() and not path.is_dir():
                raise UsageError(f"{path}: exists and is not a folder")
            for name in [*planned, MANIFEST]:
                if _identity(path / name) in keep:
                    raise UsageError(
                        f"{path / name}: is one of this run's inputs, and this run would write "
                        "a file of that name; write the outputs to another folder"
                    )
            path.mkdir(parents=True, exist_ok=True)
            remove_leftovers(path, keep)
            if any(path.iterdir()) and not force:
                raise UsageError(f"{path}: folder is not empty; use --force to write into it")
        folder = cls(path, keep)
        if claim:
            folder.claim()
        return folder

    def claim(self) -> None:
        """Remove the old manifest, then the upload files it listed (once). Those are removed
        in the folder's thread: :meth:`write` and :meth:`publish` wait until they are gone
        and raise what stopped their removal (as :meth:`create` does as soon as it knows),
        and :meth:`discard` waits, so no file of this run is ever put in place before, nor
        any left to be removed after."""
        if self._claimed:
            return
        self._claimed = True
        stale = sorted(listed_names(self.path))
        self._remove(MANIFEST)  # first: from now on the folder claims nothing
        sync_folder(self.path)
        if stale:
            self._clearing = self._background().submit(self._remove_all, stale)

    def _remove_all(self, names: Sequence[str]) -> None:
        for name in names:
            self._remove(name)

    def _cleared(self, wait: bool = True) -> None:
        """Wait for the old run's files to be removed (or, without ``wait``, only look
        whether that has stopped); raise what stopped it, every time asked (a discard that
        waits does not make the run's end forget it)."""
        if self._clearing is not None and (wait or self._clearing.done()):
            self._clearing.result()

    def _background(self) -> ThreadPoolExecutor:
        if self._disk is None:
            self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csvprep-disk")
        return self._disk

    def _remove(self, name: str) -> None:
        """Remove the folder's entry ``name``: a regular file or a link (never what it leads
        to), unless it is an input."""
        target = self.path / name
        try:
            kind = os.lstat(target).st_mode
        except OSError:
            return
        if stat.S_ISLNK(kind) or (stat.S_ISREG(kind) and _identity(target) not in self.protected):
            with writing(target, "remove"):
                target.unlink(missing_ok=True)

    def _target(self, name: str) -> Path:
        """``name`` in the folder, never over an input."""
        if safe_name(name) is None:
            raise UsageError(f"{name!r}: not a file name")
        target = self.path / name
        if _identity(target) in self.protected:
            raise UsageError(
                f"{target}: is one of this run's inputs; write the outputs to another folder"
            )
        return target

    def write(self, name: str, data: bytes, rows: int) -> WrittenFile:
        """Write ``data`` as the file ``name`` of the folder, atomically."""
        self.claim()
        self._cleared()  # an old file of that name may be about to be removed
        target = self._target(name)
        with writing(target):
            atomic_write(target, data)
        return WrittenFile(target, rows, sha256_of(data))

    def create(self, name: str) -> PendingFile:
        """Start the file ``name``, to be written in pieces and put in place by
        :meth:`publish`.

        >>> import tempfile
        >>> folder = OutputFolder.open(Path(tempfile.mkdtemp()) / "out", force=False)
        >>> part = folder.create("a.clean.csv")
        >>> part.write(b"h\\n1\\n", rows=1)
        >>> [f.rows for f in folder.publish()], part.path.read_bytes()
        ([1], b'h\\n1\\n')
        """
        target = self._target(name)
        self._cleared(wait=False)  # an old file that could not be removed stops the run now
        with writing(target):
            pending = PendingFile(target, self._background())
        self._pending.append(pending)
        return pending

    def append(self, pending: PendingFile, data: bytes | memoryview, rows: int) -> None:
        """Append ``data`` (holding ``rows`` data rows) to ``pending``."""
        with writing(pending.path):
            pending.write(data, rows)

    def finish(self, pending: PendingFile) -> WrittenFile:
        """Finish writing ``pending`` (its temporary file whole and durable)."""
        with writing(pending.path):
            return pending.finish()

    def publish(self) -> list[WrittenFile]:
        """Put every file of :meth:`create` in place, in the order they were created (the
        old manifest is gone first); what each is."""
        self.claim()
        self._cleared()
        written = [self.finish(p) for p in self._pending]
        for pending in self._pending:
            with writing(pending.path):
                pending.publish()
        self._pending.clear()
        self._stop_disk()
        return written

    def _stop_disk(self) -> None:
        if self._disk is not None:
            self._disk.shutdown()
            self._disk = None

    def discard(self) -> None:
        """Remove the temporary files of :meth:`create` not yet published (once the old
        run's files are removed, as :meth:`claim` began)."""
        try:
            with contextlib.suppress(OutputError):
                self._cleared()
        finally:  # whatever stops the wait (an interrupt), no temporary file is left
            for pending in self._pending:
                pending.discard()
            self._pending.clear()
            self._stop_disk()

    def commit(self, manifest: dict[str, Any]) -> WrittenFile:
        """Write the manifest, last: from now on the folder claims a complete set of files.

        The manifest is read back as :class:`~csvprep.io.manifest.Manifest` first, as
        ``upload`` will read it: prepare, split and upload share its one typed form, and a
        manifest the reader would refuse is a bug here, not a file for the user to fix.
        """
        try:
            Manifest.from_dict(manifest, "the manifest being written")
        except InputError as e:
            raise RuntimeError(f"csvprep made a manifest its reader refuses: {e}") from None
        data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        written = self.write(MANIFEST, data, 0)
        sync_folder(self.path)
        return written
