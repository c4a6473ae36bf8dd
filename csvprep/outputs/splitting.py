"""Split rows into upload files of at most N rows, in input order, none lost or repeated."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import UsageError
from ..io.manifest import file_sha256
from ..io.reading import read_table
from ..io.records import DEFECT, LINE, NOTE, RAW, ROW, column_name
from ..io.writing import OutputFolder, WrittenFile, csv_bytes
from ..problems import Problem
from ..routing import route_for


def part_name(stem: str, index: int) -> str:
    """The file name of part ``index`` (1-based).

    >>> part_name("contacts", 3)
    'contacts.part-003.csv'
    """
    return f"{stem}.part-{index:03d}.csv"


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
    ``skip_rows`` are :func:`csvprep.reading.read_table`'s.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "parts"
    >>> [f.rows for f in split("fixtures/valid_contacts.csv", out, max_rows=4).files]
    [4, 4, 2]
    """
    out = Path(out_dir)
    table = read_table(source, encoding=encoding, skip_rows=skip_rows)
    broken = table.frame.filter(pl.col(DEFECT).is_not_null())
    if broken.height:
        problems = tuple(
            Problem(code=r[DEFECT], message=r[NOTE], line=r[LINE], row=r[ROW], value=r[RAW])
            for r in broken.iter_rows(named=True)
        )
        return SplitResult((), problems, {})
    list(chunks(table.frame, max_rows))  # validates max_rows before anything is written
    stem = Path(source).stem
    planned = upload_names(stem, table.frame.height, max_rows)
    folder = OutputFolder.open(out, force, protected=[source], planned=planned)
    body = table.frame.select(column_name(i) for i in range(len(table.headers)))
    files = write_parts(body, table.headers, folder, stem, max_rows)
    manifest = {
        "version": 1,
        "kind": "split",
        "source": source_entry(source),
        "rows": {"input": table.rows},
        "files": file_entries(files),
    }
    folder.commit(manifest)
    return SplitResult(tuple(files), (), manifest)
