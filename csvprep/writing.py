"""Write output files safely: UTF-8 CSV without BOM, atomically, never over the input."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .errors import UsageError

# A spreadsheet runs a cell starting with these as a formula (CSV injection); the rejects file
# is meant to be opened in one.
_FORMULA_START = r"^[=+\-@\t\r]"


@dataclass(frozen=True)
class WrittenFile:
    """A file csvprep wrote: its path, data rows and SHA-256."""

    path: Path
    rows: int
    sha256: str


def csv_bytes(frame: pl.DataFrame, headers: Sequence[str]) -> bytes:
    """``frame`` as comma-separated UTF-8 with LF line ends, under ``headers`` (which may repeat).

    >>> csv_bytes(pl.DataFrame({"a": ["1, 2"], "b": ["x"]}), ["Name", "Name"])
    b'Name,Name\\n"1, 2",x\\n'
    """
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(headers)
    body = frame.write_csv(include_header=False, line_terminator="\n") if frame.height else ""
    return (head.getvalue() + body).encode("utf-8")


def neutralise_formulas(value: pl.Expr) -> pl.Expr:
    """Prefix ``'`` to values a spreadsheet would run as a formula.

    >>> pl.select(neutralise_formulas(pl.lit("=HYPERLINK(1)"))).item()
    "'=HYPERLINK(1)"
    """
    return pl.when(value.str.contains(_FORMULA_START)).then(pl.lit("'") + value).otherwise(value)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: The temporary files being written now: a run stopped by a signal removes them
#: (:func:`abandon_writes`), as it ends without unwinding the writer's own clean-up.
_WRITING: set[str] = set()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so a reader never sees
    a half-written file and an interrupted run leaves the old file intact."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _WRITING.add(temp)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    finally:
        _WRITING.discard(temp)


def abandon_writes() -> None:
    """Remove the temporary files of writes under way (the run is being stopped).

    >>> abandon_writes()  # none under way
    """
    for temp in list(_WRITING):
        with contextlib.suppress(OSError):
            os.unlink(temp)


def write_file(path: Path, data: bytes, rows: int) -> WrittenFile:
    atomic_write(path, data)
    return WrittenFile(path, rows, sha256_of(data))


def prepare_out_dir(out_dir: Path, force: bool) -> None:
    """Create ``out_dir``, refusing a non-empty one without ``force``.

    Output names always add a suffix to the input's stem (``.clean.csv``, ``.part-001.csv``,
    ``.rejected.csv``...), so even a folder holding the input never has it overwritten.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UsageError(f"{out_dir}: folder is not empty; use --force to write into it")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{out_dir}: cannot create the folder ({e.strerror})") from None
