"""Validate a contact list: the one core that the library and every command share.

:func:`check` reads the source, runs every check as Polars expressions over the whole table and
returns the annotated rows with the report; :func:`validate` returns just the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict, Unpack

import polars as pl

from . import phones
from .calling_hours import LOCAL_WINDOW, CallWindow, local_windows, time_zones
from .errors import ConfigError, UsageError
from .headers import PHONE_VARIABLE, ColumnPlan, load_variables_map, plan_columns
from .problems import CODES, SEVERITY_ORDER, Problem
from .reading import Table, read_table
from .records import DEFECT, LINE, NOTE, RAW, ROW, column_name
from .report import Report, RowCounts
from .routing import route_for
from .rules import Rule, RuleSet, load_rules
from .suppression import load_suppression

STATUS = "__status"
Status = Literal["valid", "invalid", "duplicate", "excluded"]

_PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    ROW: pl.UInt32(),
    LINE: pl.UInt32(),
    "column": pl.String(),
    "code": pl.String(),
    "value": pl.String(),
    "message": pl.String(),
    "level": pl.String(),
    "order": pl.UInt16(),
}
_SHOWN_VALUE_CHARS = 200
DEFAULT_COUNTRY_CODE = "+91"


class CheckOptions(TypedDict, total=False):
    """The options of :func:`check`, which :func:`validate` and :func:`csvprep.prepare` take
    too (one list, so the three cannot drift apart)."""

    variables_map: str | Path | Mapping[str, str] | None
    country_code: str
    prompt: str | Path | None
    mobile_only: bool
    max_problems: int
    delimiter: str | None
    exclude: str | Path | None
    call_window: CallWindow | None
    rules: str | Path | RuleSet | Mapping[str, Any] | None


@dataclass(frozen=True)
class Checked:
    """A validated table: its rows with their status and phone answers, every problem, and the
    report.

    ``frame`` is the table's frame plus the phone columns of :mod:`csvprep.phones` and
    ``__status`` (``valid``, ``invalid``, ``duplicate`` or ``excluded``); ``problems`` has one
    row per row problem, all of them, in row order.
    """

    table: Table
    plan: ColumnPlan
    frame: pl.DataFrame
    problems: pl.DataFrame
    report: Report


def _read_prompt(prompt: str | Path | None) -> str | None:
    if not isinstance(prompt, Path):
        return prompt
    try:
        return prompt.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{prompt}: cannot read the prompt ({e})") from None


def check(
    source: Any,
    *,
    variables_map: str | Path | Mapping[str, str] | None = None,
    country_code: str = DEFAULT_COUNTRY_CODE,
    prompt: str | Path | None = None,
    mobile_only: bool = False,
    max_problems: int = 1000,
    delimiter: str | None = None,
    exclude: str | Path | None = None,
    call_window: CallWindow | None = None,
    rules: str | Path | RuleSet | Mapping[str, Any] | None = None,
) -> Checked:
    """Validate ``source`` and keep everything the other commands need.

    Arguments are those of :func:`validate`, plus ``exclude`` (a suppression file: its numbers
    become ``excluded`` rows) and ``call_window`` (warn about numbers it would ring outside
    their local calling hours).

    >>> import polars as pl
    >>> c = check(pl.DataFrame({"Mobile Number": ["9876543210", "9876543210"]}))
    >>> c.frame["__status"].to_list()
    ['valid', 'duplicate']
    """
    if max_problems < 0:
        raise UsageError("max_problems must be 0 or more")
    region = phones.region_for(country_code)
    vmap = load_variables_map(variables_map) if variables_map is not None else None
    prompt_text = _read_prompt(prompt)
    suppression = load_suppression(exclude, region) if exclude is not None else None
    ruleset = rules if isinstance(rules, RuleSet) or rules is None else load_rules(rules)
    table = read_table(source, delimiter=delimiter)
    notes = list(table.notes)
    frame = table.frame
    width = len(table.headers)
    cells = [column_name(i) for i in range(width)]

    blank_header_columns = [i for i, h in enumerate(table.headers) if not h.strip()]
    empty_columns = [
        i
        for i in blank_header_columns
        if not frame.select((pl.col(column_name(i)).str.strip_chars() != "").any()).item()
    ]
    plan = plan_columns(
        table.headers,
        vmap,
        prompt_text,
        header_line=table.header_line,
        empty_columns=empty_columns,
    )

    file_problems = list(plan.problems)
    checks: list[pl.LazyFrame] = []

    def add(
        mask: pl.Expr, code: str | pl.Expr, column: str | None, value: pl.Expr, message: pl.Expr
    ) -> None:
        checks.append(
            frame.lazy()
            .filter(mask)
            .select(
                ROW,
                LINE,
                pl.lit(column, dtype=pl.String).alias("column"),
                (pl.lit(code) if isinstance(code, str) else code).alias("code"),
                value.str.slice(0, _SHOWN_VALUE_CHARS).alias("value"),
                message.alias("message"),
                pl.lit(None, dtype=pl.String).alias("level"),
                pl.lit(len(checks), dtype=pl.UInt16).alias("order"),
            )
        )

    # computed once as columns: every check filters on them, and an expression would be
    # evaluated again by each
    frame = frame.with_columns(pl.col(DEFECT).is_not_null().alias("__defect_row"))
    frame = frame.with_columns(
        (
            ~pl.col("__defect_row")
            & pl.all_horizontal(pl.col(c).str.strip_chars() == "" for c in cells)
        ).alias("__empty_row")
    ).with_columns((~pl.col("__defect_row") & ~pl.col("__empty_row")).alias("__live"))
    defect, empty_row, live = pl.col("__defect_row"), pl.col("__empty_row"), pl.col("__live")
    add(defect, pl.col(DEFECT), None, pl.col(RAW), pl.col(NOTE))
    add(empty_row, "empty_row", None, pl.lit(""), pl.lit("every cell of the row is empty"))
    row_error = defect | empty_row

    header_of = {i: h.strip() for i, h in enumerate(table.headers)}
    excluded = pl.lit(False)
    if plan.phone_index is None:
        row_error = pl.lit(True)
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(phones.E164))
    else:
        phone_col = column_name(plan.phone_index)
        phone_header = header_of[plan.phone_index]
        raw = pl.col(phone_col)
        frame = phones.normalise(frame, phone_col, region)
        for code, step in phones.REPAIRS.items():
            add(
                live & pl.col(code),
                code,
                phone_header,
                raw,
                pl.format(f"{step}: read {{}} as {{}}", raw, pl.col(phones.CLEAN)),
            )
        phone_error = live & pl.col(phones.CODE).is_not_null()
        add(phone_error, pl.col(phones.CODE), phone_header, raw, pl.col(phones.MESSAGE))
        row_error = row_error | phone_error
        number_ok = live & pl.col(phones.CODE).is_null()
        if mobile_only:
            not_mobile = number_ok & ~pl.col(phones.TYPE).is_in(sorted(phones.MOBILE_TYPES))
            add(
                not_mobile,
                "phone_not_mobile",
                phone_header,
                raw,
                pl.format(
                    "{} is a {} number, not a mobile",
                    pl.col(phones.E164),
                    pl.col(phones.TYPE).str.replace_all("_", " "),
                ),
            )
            row_error = row_error | not_mobile
        add(
            number_ok & pl.col(phones.EXTENSION),
            "phone_extension_dropped",
            phone_header,
            raw,
            pl.format("the extension cannot be dialled; the call goes to {}", pl.col(phones.E164)),
        )
        if suppression is not None:
            excluded = ~row_error & pl.col(phones.E164).is_in(suppression.numbers.implode())
            add(
                excluded,
                "excluded_number",
                phone_header,
                raw,
                pl.format("{} is on the suppression list", pl.col(phones.E164)),
            )
            if suppression.unusable:
                notes.append(
                    f"{suppression.unusable:,} values of the suppression list "
                    f"{suppression.source} are not valid numbers and suppress nothing"
                )
        if call_window is not None:
            zones = time_zones(frame)
            frame = frame.with_columns(zones, local_windows(zones, call_window))
            add(
                number_ok & ~row_error & ~excluded & pl.col(LOCAL_WINDOW).is_not_null(),
                "outside_calling_hours",
                phone_header,
                pl.col(phones.E164),
                pl.col(LOCAL_WINDOW),
            )

    for variable, index in plan.variables.items():
        if variable == PHONE_VARIABLE:
            continue
        add(
            live & (pl.col(column_name(index)).str.strip_chars() == ""),
            "value_missing",
            header_of[index],
            pl.col(column_name(index)),
            pl.lit(f"{header_of[index]!r} is empty (variable {variable!r})"),
        )

    if ruleset is not None and ruleset.rules:
        found, missing = _rule_problems(frame.filter(live), ruleset, plan, header_of)
        file_problems += [
            Problem(
                "rule_column_missing",
                f"{rule.label} of {ruleset.source} is not in the file",
                line=table.header_line,
                column=rule.target,
            )
            for rule in missing
        ]
        checks.append(found.with_columns(pl.lit(len(checks), dtype=pl.UInt16).alias("order")))
        rule_errors = found.filter(pl.col("level").is_null()).select(ROW).collect()[ROW]
        row_error = row_error | pl.col(ROW).is_in(rule_errors.implode())

    frame = frame.with_columns(row_error.alias("__error"), excluded.alias("__excluded"))
    candidates = frame.filter(
        ~pl.col("__error") & ~pl.col("__excluded") & pl.col(phones.E164).is_not_null()
    ).select(ROW, LINE, phones.E164)
    is_first = candidates[phones.E164].is_first_distinct()
    repeats = candidates.filter(~is_first)
    firsts = candidates.filter(is_first & pl.col(phones.E164).is_in(repeats[phones.E164].implode()))
    repeats = repeats.join(
        firsts.select(phones.E164, pl.col(LINE).alias("__first_line")),
        on=phones.E164,
        how="left",
        maintain_order="left",
    )
    if plan.phone_index is not None and repeats.height:
        phone_header = header_of[plan.phone_index]
        checks.append(
            repeats.lazy().select(
                ROW,
                LINE,
                pl.lit(phone_header, dtype=pl.String).alias("column"),
                pl.lit("duplicate_number").alias("code"),
                pl.col(phones.E164).alias("value"),
                pl.format(
                    "{} is already on line {}", pl.col(phones.E164), pl.col("__first_line")
                ).alias("message"),
                pl.lit(None, dtype=pl.String).alias("level"),
                pl.lit(len(checks), dtype=pl.UInt16).alias("order"),
            )
        )
    frame = frame.with_columns(
        pl.when(pl.col("__error"))
        .then(pl.lit("invalid"))
        .when(pl.col("__excluded"))
        .then(pl.lit("excluded"))
        .when(pl.col(ROW).is_in(repeats[ROW].implode()))
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("valid"))
        .alias(STATUS)
    ).drop("__error", "__excluded", "__defect_row", "__empty_row", "__live")

    problems = (
        pl.concat(checks).sort(ROW, "order").collect()
        if checks
        else pl.DataFrame(schema=_PROBLEM_SCHEMA)
    )
    report = _report(table, plan, file_problems, frame, problems, region, max_problems, notes)
    return Checked(table=table, plan=plan, frame=frame, problems=problems, report=report)


def _rule_problems(
    rows: pl.DataFrame, ruleset: RuleSet, plan: ColumnPlan, header_of: dict[int, str]
) -> tuple[pl.LazyFrame, list[Rule]]:
    """Problems of the column rules over ``rows``, and the rules whose column is missing."""
    from .rules import failures, helpers, pandera_schema

    by_header = {h: i for i, h in sorted(header_of.items(), reverse=True) if h}
    targets: dict[Rule, str] = {}
    missing = []
    for rule in ruleset.rules:
        index = (plan.variables if rule.by_variable else by_header).get(rule.target)
        if index is None:
            missing.append(rule)
        else:
            targets[rule] = column_name(index)
    schema, info = pandera_schema(targets, shared=True)
    checked = rows.select(sorted(set(targets.values()))).with_columns(**helpers(targets))
    fails = failures(checked, schema)
    meta = [
        (
            column,
            number,
            header_of[int(column[1:])],
            i.code,
            i.words,
            None if i.rule.severity == "error" else i.rule.severity,
        )
        for (column, number), i in info.items()
    ]
    table = pl.DataFrame(
        meta,
        schema={
            "column": pl.String,
            "check_number": pl.Int32,
            "header": pl.String,
            "code": pl.String,
            "words": pl.String,
            "level": pl.String,
        },
        orient="row",
    )
    found = (
        fails.select("index", "column", "check_number", "failure_case")
        .join(table, on=["column", "check_number"], how="left")
        .join(
            rows.select(ROW, LINE).with_row_index("index").cast({"index": pl.Int32}),
            on="index",
            how="left",
        )
        .select(
            ROW,
            LINE,
            pl.col("header").alias("column"),
            "code",
            pl.col("failure_case").cast(pl.String).str.slice(0, _SHOWN_VALUE_CHARS).alias("value"),
            pl.format("{} {}", pl.col("header"), pl.col("words")).alias("message"),
            "level",
        )
    )
    return found.lazy(), missing


def _report(
    table: Table,
    plan: ColumnPlan,
    file_problems: list[Problem],
    frame: pl.DataFrame,
    problems: pl.DataFrame,
    region: str,
    max_problems: int,
    notes: list[str],
) -> Report:
    status = frame[STATUS].value_counts()
    by_status = dict(zip(status[STATUS].to_list(), status["count"].to_list(), strict=True))
    rows = RowCounts(
        total=frame.height,
        valid=by_status.get("valid", 0),
        invalid=by_status.get("invalid", 0),
        duplicate=by_status.get("duplicate", 0),
        excluded=by_status.get("excluded", 0),
    )
    counts: dict[str, int] = {}
    for p in file_problems:
        counts[p.code] = counts.get(p.code, 0) + 1
    code_counts = problems["code"].value_counts()
    pairs = zip(code_counts["code"].to_list(), code_counts["count"].to_list(), strict=True)
    for code, n in pairs:
        counts[code] = counts.get(code, 0) + n
    unknown = set(counts) - set(CODES)
    assert not unknown, f"problem codes missing from the registry: {unknown}"

    demoted = problems.filter(pl.col("level") == "warning")["code"].value_counts()
    warning_counts = dict(zip(demoted["code"].to_list(), demoted["count"].to_list(), strict=True))
    file_level = sorted(file_problems, key=lambda p: SEVERITY_ORDER[p.severity])
    details = list(file_level[:max_problems])
    room = max_problems - len(details)
    if room > 0:
        for r in problems.head(room).iter_rows(named=True):
            details.append(
                Problem(
                    code=r["code"],
                    message=r["message"],
                    line=r[LINE],
                    row=r[ROW],
                    column=r["column"],
                    value=r["value"],
                    level=r["level"],
                )
            )
    phone_header = (
        table.headers[plan.phone_index].strip()
        if plan.phone_index is not None
        else plan.phone_header
    )
    return Report(
        file=table.name,
        encoding=table.encoding,
        delimiter=table.delimiter,
        line_ending=table.line_ending,
        region=region,
        columns=table.headers,
        phone_column=phone_header,
        rows=rows,
        route=route_for(rows.valid),
        problems=tuple(details),
        problem_counts=dict(sorted(counts.items())),
        max_problems=max_problems,
        notes=tuple(notes),
        warning_counts=warning_counts,
    )


def validate(source: Any, **options: Unpack[CheckOptions]) -> Report:
    """Validate a contact list and return the :class:`~csvprep.Report`.

    ``source`` is a path (CSV, TSV or ``.xlsx``), a polars DataFrame or LazyFrame, or a pandas
    DataFrame. ``variables_map`` is a dict, inline JSON or a JSON file's path; ``country_code``
    (``+91`` or ``IN``) is the region of numbers written without one; ``prompt`` is the
    assistant's prompt text (or a :class:`~pathlib.Path` to it); ``max_problems`` bounds the
    problem details kept (counts always cover every row); ``rules`` is a rule file (see
    :mod:`csvprep.rules`); ``exclude`` and ``call_window`` are those of :func:`check`.

    >>> import polars as pl
    >>> r = validate(pl.DataFrame({"Mobile Number": ["98765 43210", "12345"]}))
    >>> r.rows.valid, r.rows.invalid, r.problems[0].code
    (1, 1, 'phone_invalid')
    """
    return check(source, **options).report
