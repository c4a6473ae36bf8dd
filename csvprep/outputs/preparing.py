"""Prepare a contact list for upload: clean file(s), a rejects file, the report and a manifest.

Every input row ends up in exactly one place: a clean file (valid, and repeats with
``keep_duplicates``) or the rejects file (invalid, repeated or suppressed, with its line and
reasons).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Unpack

import polars as pl

from .. import phones
from ..checks.headers import PHONE_VARIABLE, ColumnPlan
from ..errors import UsageError
from ..io.columns import LINE, RAW, ROW, STATUS
from ..io.reading import Table
from ..io.records import column_name
from ..io.writing import (
    OutputFolder,
    PendingFile,
    WrittenFile,
    csv_body,
    csv_header,
    neutralise_formulas,
    neutralise_text,
)
from ..pipeline.validation import FILE_OPTIONS, CheckOptions, DecidedBatch, stream
from ..problems import CODE_INFO, CODES
from ..report import Report, render_json
from ..report.html import render_html
from ..settings import DEFAULTS
from .splitting import (
    PartWriter,
    file_entries,
    output_stem,
    possible_names,
    source_entry_beside,
)

# File-level problems that prepare itself repairs in the clean file.
_FIXED_BY_PREPARE = frozenset({"header_whitespace", "empty_column"})
REJECT_COLUMNS = ("line", "reason_codes", "reasons")


@dataclass(frozen=True)
class PrepareResult:
    """What ``prepare`` wrote and found."""

    out_dir: Path
    report: Report
    files: tuple[WrittenFile, ...]
    rejected: WrittenFile
    manifest: dict[str, Any]

    def exit_code(self, strict: bool = False) -> int:
        """0 when every row went to a clean file (or was a repeat or suppressed, as asked) and no
        file-level error remains; 1 when rows were rejected as invalid or the file itself still
        has errors (or warnings, if strict)."""
        remaining = {
            c
            for c, n in self.report.problem_counts.items()
            if n
            and CODE_INFO[c].severity == "error"
            and c not in _FIXED_BY_PREPARE
            and c != "duplicate_number"
        }
        if remaining or (strict and self.report.count("warning")):
            return 1
        return 0


_REJECTING = [c for c, info in CODES.items() if info.severity == "error"] + ["excluded_number"]


def _reasons(
    problems: pl.DataFrame, rejected: pl.DataFrame, fallback_codes: str, fallback: str
) -> pl.DataFrame:
    """``rejected`` (rows with ROW) with each row's error codes and messages (of ``problems``),
    or the file-level ones (``fallback``...) where its row has none of its own, as when the
    phone column is missing."""
    errors = problems.filter(pl.col("code").is_in(_REJECTING))
    if errors[ROW].is_duplicated().any():
        per_row = errors.group_by(ROW, maintain_order=True).agg(
            pl.col("code").unique(maintain_order=True).str.join("; ").alias("reason_codes"),
            pl.col("message").str.join("; ").alias("reasons"),
        )
    else:  # one error a row, as in most lists: taken as it is (grouping cost three times more)
        per_row = errors.select(  # a missing message joins as "", as grouped
            ROW,
            pl.col("code").alias("reason_codes"),
            pl.col("message").fill_null("").alias("reasons"),
        )
    return rejected.join(per_row, on=ROW, how="left", maintain_order="left").with_columns(
        pl.col("reason_codes").fill_null(fallback_codes),
        pl.col("reasons").fill_null(fallback),
    )


class _Writer:
    """Writes each batch as :func:`~csvprep.validation.stream` decides it: the rows kept to
    the clean file or parts, the others to the rejects file, all published together once the
    whole file is read (:meth:`finish`).

    Which columns the clean file drops (neither header nor values) is known only at the end:
    it is taken from the first batch, and should a later batch fill one of those columns the
    run is ``spoiled`` (it writes no more) and is made again knowing them (``empty``).

    A batch's rows are picked out as it comes, then written (made CSV, appended, hashed) in a
    thread of its own while the next batch is decided, one batch at a time and in order: the
    stream's thread goes back to start the next checks instead of waiting for the disk. A
    fault in writing is raised by the next :meth:`take` or by :meth:`finish`; :meth:`discard`
    waits for the write under way before removing the files.
    """

    def __init__(
        self,
        out: Path,
        force: bool,
        inputs: Sequence[object],
        stem: str,
        max_rows: int | None,
        keep_duplicates: bool,
    ) -> None:
        self.out, self.force, self.inputs, self.stem = out, force, inputs, stem
        self.max_rows = max_rows
        self.keep_duplicates = keep_duplicates
        self.folder: OutputFolder | None = None
        self.empty: list[int] | None = None  # known from a spoiled run, else None
        self.spoiled = False
        self.writer: ThreadPoolExecutor | None = None
        self.writing: Future[None] | None = None  # the batch being written

    def begin(
        self, first: Table, plan: ColumnPlan, replan: Callable[[list[int]], ColumnPlan]
    ) -> None:
        if self.folder is None:
            planned = [
                *possible_names(self.out, self.stem, self.max_rows),
                f"{self.stem}.rejected.csv",
                f"{self.stem}.report.json",
                f"{self.stem}.report.html",
            ]
            self.folder = OutputFolder.open(
                self.out, self.force, protected=self.inputs, planned=planned
            )
        else:
            self.discard()  # what an earlier start wrote
        self.spoiled = False
        self.first, self.plan, self.replan = first, plan, replan
        self.parts: PartWriter | None = None
        self.rejects: PendingFile | None = None
        self.dropped: set[int] | None = None  # the empty columns this run writes without

    def _start(self, filled: set[int]) -> PartWriter:
        """The files, once the first batch tells which columns have values."""
        assert self.folder is not None
        headers = self.first.headers
        blank = [i for i, h in enumerate(headers) if not h.strip()]
        dropped = self.empty if self.empty is not None else [i for i in blank if i not in filled]
        self.dropped = set(dropped)
        plan = self.replan(dropped) if blank else self.plan
        self.kept = [i for i in range(len(headers)) if i not in self.dropped]
        phone_col = column_name(plan.phone_index) if plan.phone_index is not None else None
        self.clean = [
            (pl.col(phones.E164) if column_name(i) == phone_col else pl.col(column_name(i))).alias(
                column_name(i)
            )
            for i in self.kept
        ]
        file_errors = [
            p for p in plan.problems if p.severity == "error" and p.code not in _FIXED_BY_PREPARE
        ]
        self.fallback_codes = "; ".join(dict.fromkeys(p.code for p in file_errors)) or "invalid"
        self.fallback = "; ".join(p.message for p in file_errors) or "row is invalid"
        parts = PartWriter(
            self.folder, self.stem, [headers[i].strip() for i in self.kept], self.max_rows
        )
        self.rejects = self.folder.create(f"{self.stem}.rejected.csv")
        reject_headers = [*REJECT_COLUMNS, *map(neutralise_text, headers), "raw_record"]
        self.folder.append(self.rejects, csv_header(reject_headers, quote_all=True), 0)
        return parts

    def take(self, batch: DecidedBatch) -> None:
        if self.spoiled:
            return
        if self.parts is None:
            self.parts = self._start(batch.filled)
        assert self.folder is not None and self.dropped is not None
        if batch.filled & self.dropped:  # a column taken for empty has a value after all
            self.spoiled = True
            self.discard()
            return
        # compared, not looked up in a list: a string set is hashed for every batch
        kept = pl.col(STATUS) == "valid"
        if self.keep_duplicates:
            kept = kept | (pl.col(STATUS) == "duplicate")
        # lazily: only the columns written are filtered, not the phone answers too, so the
        # batch's frame is let go before its rows are written
        rows = batch.frame.lazy()
        clean = rows.filter(kept).select(self.clean).collect()
        cells = [column_name(i) for i in range(len(self.first.headers))]
        rejected = rows.filter(~kept).select(ROW, LINE, *cells, RAW).collect()
        self._wait()
        if self.writer is None:
            self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csvprep-write")
        self.writing = self.writer.submit(
            self._write, clean, rejected, batch.problems, cells, batch.plain
        )

    def _write(
        self,
        clean: pl.DataFrame,
        rejected: pl.DataFrame,
        problems: pl.DataFrame,
        cells: list[str],
        plain: bool,
    ) -> None:
        """Write a batch's rows: ``clean`` to the clean file or parts (``plain``: no cell holds
        a comma, a quote or a line break; numbers in E.164 hold none), ``rejected`` (with
        their reasons, of ``problems``) to the rejects file."""
        assert self.parts is not None and self.folder is not None and self.rejects is not None
        self.parts.add(clean, plain=plain)
        if not rejected.height:
            return
        reasons = _reasons(problems, rejected, self.fallback_codes, self.fallback)
        # the rejects file is for people, in a spreadsheet: no cell of it may run as a formula
        rejects = reasons.select(
            pl.col(LINE).cast(pl.String).alias("line"),
            neutralise_formulas(pl.col("reason_codes")).alias("reason_codes"),
            neutralise_formulas(pl.col("reasons")).alias("reasons"),
            *(neutralise_formulas(pl.col(cell)).alias(cell) for cell in cells),
            neutralise_formulas(pl.col(RAW).fill_null("")).alias("raw_record"),
        )
        self.folder.append(self.rejects, csv_body(rejects, quote_all=True), rejects.height)

    def _wait(self) -> None:
        """Wait for the batch being written; raise what stopped it."""
        writing, self.writing = self.writing, None
        if writing is not None:
            writing.result()

    def discard(self) -> None:
        """Remove what this run wrote so far, once no write is under way (whatever it met:
        its files are removed)."""
        with contextlib.suppress(Exception):
            self._wait()
        if self.writer is not None:
            self.writer.shutdown()
            self.writer = None
        if self.folder is not None:
            self.folder.discard()

    def finish(self) -> tuple[list[WrittenFile], WrittenFile]:
        """Finish and publish the files: the clean file or parts, and the rejects file."""
        assert self.folder is not None and self.parts is not None and self.rejects is not None
        self._wait()
        if self.writer is not None:
            self.writer.shutdown()
            self.writer = None
        files = self.parts.close()
        rejected = self.folder.finish(self.rejects)
        self.folder.publish()
        return files, rejected


def prepare(
    source: Any,
    out_dir: str | Path,
    *,
    max_rows: int | None = None,
    keep_duplicates: bool = False,
    force: bool = False,
    name: str | None = None,
    **options: Unpack[CheckOptions],
) -> PrepareResult:
    """Validate ``source`` and write upload-ready files into ``out_dir``.

    Writes ``<stem>.clean.csv`` (or ``<stem>.part-NNN.csv`` parts of at most ``max_rows``),
    ``<stem>.rejected.csv``, ``<stem>.report.json``, ``<stem>.report.html`` (the same report as a
    page) and ``manifest.json``. ``options`` are those
    of :func:`csvprep.check` (``exclude``, a suppression file, and ``call_window`` among them);
    ``keep_duplicates`` keeps repeated numbers in the clean file. ``name`` is what the report,
    the manifest and the output names call the source (default: its path), as for a list read
    from standard input.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> result = prepare("fixtures/duplicate_numbers.csv", out)
    >>> result.manifest["rows"]
    {'input': 4, 'clean': 2, 'rejected': 0, 'duplicates': 2, 'excluded': 0}
    """
    out = Path(out_dir)
    if max_rows is not None and max_rows < 1:
        raise UsageError("--max-rows must be at least 1")
    named = name if name is not None else source
    stem = output_stem(named)
    # every file the run reads, so that no output (or clearing of old ones) can touch them
    inputs = [source, *(options.get(k) for k in FILE_OPTIONS)]
    writer = _Writer(out, force, inputs, stem, max_rows, keep_duplicates)
    hashed = source_entry_beside(source)
    try:
        checked = stream(source, writer, **options)
        if writer.spoiled:  # written again, knowing which columns are empty
            writer.empty = list(checked.plan.empty_columns)
            checked = stream(source, writer, **options)
        files, rejected = writer.finish()
    except BaseException:
        writer.discard()
        raise
    folder = writer.folder
    assert folder is not None  # opened by the first batch
    table, plan = checked.table, checked.plan
    report = checked.report if name is None else replace(checked.report, file=name)
    report_file = folder.write(f"{stem}.report.json", render_json([report]).encode("utf-8"), 0)
    folder.write(f"{stem}.report.html", render_html([report]).encode("utf-8"), 0)

    rows = report.rows
    duplicates_removed = 0 if keep_duplicates else rows.duplicate
    effective_map = {
        variable: table.headers[index].strip() for variable, index in plan.variables.items()
    }
    effective_map.setdefault(PHONE_VARIABLE, plan.phone_header)
    manifest: dict[str, Any] = {
        "version": 1,
        "kind": "prepare",
        "source": hashed() | ({"path": name} if name is not None else {}),
        "rows": {
            "input": rows.total,
            "clean": sum(f.rows for f in files),
            "rejected": rows.invalid,
            "duplicates": duplicates_removed,
            "excluded": rows.excluded,
        },
        "variables_map": effective_map,
        "country_code": options.get("country_code", DEFAULTS.country_code),
        "region": report.region,
        "files": file_entries(files),
        "rejected_file": {
            "path": rejected.path.name,
            "rows": rejected.rows,
            "sha256": rejected.sha256,
        },
        "report_file": report_file.path.name,
        "settings": {
            "max_rows": max_rows,
            "keep_duplicates": keep_duplicates,
            "mobile_only": options.get("mobile_only", False),
            "exclude": str(exclude) if (exclude := options.get("exclude")) is not None else None,
        },
    }
    folder.commit(manifest)
    return PrepareResult(out, report, tuple(files), rejected, manifest)
