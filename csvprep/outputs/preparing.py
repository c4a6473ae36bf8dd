"""Prepare a contact list for upload: clean file(s), a rejects file, the report and a manifest.

Every input row ends up in exactly one place: a clean file (valid, and repeats with
``keep_duplicates``) or the rejects file (invalid, repeated or suppressed, with its line and
reasons).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Unpack

import polars as pl

from .. import phones
from ..checks.headers import PHONE_VARIABLE
from ..errors import UsageError
from ..io.records import LINE, RAW, ROW, column_name
from ..io.writing import OutputFolder, WrittenFile, csv_bytes, neutralise_formulas, neutralise_text
from ..pipeline.validation import STATUS, Checked, CheckOptions, check
from ..problems import CODE_INFO, CODES
from ..report import Report, render_json
from ..report.html import render_html
from ..settings import DEFAULTS
from .splitting import file_entries, source_entry, upload_names, write_parts

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


def _reasons(checked: Checked) -> pl.DataFrame:
    """Per rejected row: its error codes and messages (and file-level ones, where its row has
    none of its own, as when the phone column is missing)."""
    rejecting = [c for c, info in CODES.items() if info.severity == "error"] + ["excluded_number"]
    per_row = (
        checked.problems.filter(pl.col("code").is_in(rejecting))
        .group_by(ROW, maintain_order=True)
        .agg(
            pl.col("code").unique(maintain_order=True).str.join("; ").alias("reason_codes"),
            pl.col("message").str.join("; ").alias("reasons"),
        )
    )
    file_errors = [
        p
        for p in checked.plan.problems
        if p.severity == "error" and p.code not in _FIXED_BY_PREPARE
    ]
    fallback_codes = "; ".join(dict.fromkeys(p.code for p in file_errors)) or "invalid"
    fallback = "; ".join(p.message for p in file_errors) or "row is invalid"
    return (
        checked.frame.filter(pl.col(STATUS) != "valid")
        .select(ROW)
        .join(per_row, on=ROW, how="left", maintain_order="left")
        .with_columns(
            pl.col("reason_codes").fill_null(fallback_codes),
            pl.col("reasons").fill_null(fallback),
        )
    )


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
    checked = check(source, **options)
    if max_rows is not None and max_rows < 1:
        raise UsageError("--max-rows must be at least 1")
    table, plan, frame = checked.table, checked.plan, checked.frame
    report = checked.report if name is None else replace(checked.report, file=name)
    named = name if name is not None else source
    stem = Path(named).stem if isinstance(named, (str, Path)) else "contacts"

    # a column with neither header nor values is a spreadsheet's trailing delimiter: dropped
    kept = [i for i in range(len(table.headers)) if i not in plan.empty_columns]
    keep_status = ["valid", "duplicate"] if keep_duplicates else ["valid"]
    clean_rows = frame.filter(pl.col(STATUS).is_in(keep_status))
    phone_col = column_name(plan.phone_index) if plan.phone_index is not None else None
    clean = clean_rows.select(
        (pl.col(phones.E164) if column_name(i) == phone_col else pl.col(column_name(i))).alias(
            column_name(i)
        )
        for i in kept
    )
    # every file the run reads, so that no output (or clearing of old ones) can touch them
    inputs = [source, *(options.get(k) for k in ("exclude", "rules", "variables_map", "prompt"))]
    planned = [
        *upload_names(stem, clean.height, max_rows),
        f"{stem}.rejected.csv",
        f"{stem}.report.json",
        f"{stem}.report.html",
    ]
    folder = OutputFolder.open(out, force, protected=inputs, planned=planned)
    files = write_parts(clean, [table.headers[i].strip() for i in kept], folder, stem, max_rows)

    rejected_rows = frame.filter(~pl.col(STATUS).is_in(keep_status))
    reasons = _reasons(checked)
    # the rejects file is for people, in a spreadsheet: no cell of it may run as a formula
    rejects = rejected_rows.join(reasons, on=ROW, how="left", maintain_order="left").select(
        pl.col(LINE).cast(pl.String).alias("line"),
        neutralise_formulas(pl.col("reason_codes")).alias("reason_codes"),
        neutralise_formulas(pl.col("reasons")).alias("reasons"),
        *(
            neutralise_formulas(pl.col(column_name(i))).alias(column_name(i))
            for i in range(len(table.headers))
        ),
        neutralise_formulas(pl.col(RAW).fill_null("")).alias("raw_record"),
    )
    reject_headers = [*REJECT_COLUMNS, *map(neutralise_text, table.headers), "raw_record"]
    rejected = folder.write(
        f"{stem}.rejected.csv", csv_bytes(rejects, reject_headers, quote_all=True), rejects.height
    )
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
        "source": source_entry(source) | ({"path": name} if name is not None else {}),
        "rows": {
            "input": rows.total,
            "clean": clean.height,
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
