"""Validate a contact list: the one core that the library and every command share.

:func:`check` reads the source, runs every check as Polars expressions over the whole table and
returns the annotated rows with the report; :func:`validate` returns just the report.
"""

from __future__ import annotations

import functools
import itertools
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypedDict, TypeVar, Unpack

import polars as pl

from .. import phones
from ..checks.headers import PHONE_VARIABLE, ColumnPlan, Prompt, load_variables_map, plan_columns
from ..errors import ConfigError, UsageError
from ..io.columns import (
    AT,
    CELL,
    DEFECT,
    DEFECT_ROW,
    EARLIER,
    EMPTY_ROW,
    ERROR,
    EXCLUDED,
    FIRST_LINE,
    KEY,
    LINE,
    LIVE,
    LOCAL_WINDOW,
    NOTE,
    NUMBER_TYPE,
    PROBLEM_SCHEMA,
    RAW,
    REGION,
    REPEAT,
    ROW,
    STATUS,
    UNIQUE_VALUE,
    ZONES,
)
from ..io.reading import BATCH_BYTES, NotStreamable, Progress, Table, read_batches
from ..io.records import column_name
from ..phones.metadata import e164_text, true_at
from ..problems import CODES, SEVERITY_ORDER, SHOWN_CHARS, Code, Problem, shown
from ..report import Breakdown, Report, RowCounts
from ..routing import route_for
from ..settings import DEFAULTS
from ..suggest import did_you_mean

if TYPE_CHECKING:
    from ..checks.calling_hours import CallWindow
    from ..checks.rules import Rule, RuleSet
    from ..checks.suppression import Suppression

Status = Literal["valid", "invalid", "duplicate", "excluded"]

_SHOWN_VALUE_CHARS = SHOWN_CHARS
# A valid number's region and type ride along with its duplicate key as enums (one byte each):
# the breakdown takes out the repeats found after every batch was read.
_REGION_ENUM = pl.Enum(sorted(phones.REGION_CODES))
_TYPE_ENUM = pl.Enum(sorted(set(phones.TYPE_NAMES.values())))


def _formatted(template: str, *values: pl.Expr) -> pl.Expr:
    """``template`` with each ``{}`` replaced by the next of ``values`` (null where one is
    null), as ``pl.format`` makes it.

    Never pl.format itself: in Polars 2.1 it panics (``i < self.len()``) on a column whose
    parts (chunks) include an empty one, and filtering rows put together from several batches
    leaves such parts, as where a batch's rows are all first occurrences of repeated numbers.

    >>> pl.select(_formatted("{} is already on line {}", pl.lit("+91"), pl.lit(4))).item()
    '+91 is already on line 4'
    """
    pieces = template.split("{}")
    assert len(pieces) == len(values) + 1, template
    parts = [pl.lit(pieces[0])]
    for value, piece in zip(values, pieces[1:], strict=True):
        parts += [value.cast(pl.String), pl.lit(piece)]
    return pl.concat_str(parts)


_Rows = TypeVar("_Rows", pl.DataFrame, pl.LazyFrame)


def _problem_frame(
    rows: _Rows,
    *,
    column: str | pl.Expr | None,
    code: str | pl.Expr,
    value: pl.Expr,
    message: str | pl.Expr,
    order: int | pl.Expr,
    level: str | pl.Expr | None = None,
) -> _Rows:
    """The problem frame (:data:`~csvprep.io.columns.PROBLEM_SCHEMA`) of ``rows``, which have
    ROW and LINE: one problem per row, each part a constant (a str, an int, None) or an
    expression over ``rows``; the value cut to what a report shows.

    Every check makes its problems here, so that the frames of every check concatenate.

    >>> rows = pl.DataFrame({ROW: [3], LINE: [4], "v": ["12345"]})
    >>> found = _problem_frame(
    ...     rows, column="Phone", code="phone_invalid", value=pl.col("v"), message="bad", order=0
    ... )
    >>> found.row(0)
    (3, 4, 'Phone', 'phone_invalid', '12345', 'bad', None, 0)
    """

    def part(given: str | int | pl.Expr | None, name: str) -> pl.Expr:
        if isinstance(given, pl.Expr):
            return given.alias(name)
        return pl.lit(given, dtype=PROBLEM_SCHEMA[name]).alias(name)

    return rows.select(
        ROW,
        LINE,
        part(column, "column"),
        part(code, "code"),
        value.str.slice(0, _SHOWN_VALUE_CHARS).alias("value"),
        part(message, "message"),
        part(level, "level"),
        part(order, "order"),
    )


def _no_problems() -> pl.DataFrame:
    """An empty problem frame."""
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


#: The options of :class:`CheckOptions` that name a file the run reads: no output of the run
#: (prepare's files, validate's report) may be written over one.
FILE_OPTIONS = ("variables_map", "prompt", "rules", "exclude")


class CheckOptions(TypedDict, total=False):
    """The options of :func:`check`, which :func:`validate` and :func:`csvprep.prepare` take
    too (one list, so the three cannot drift apart)."""

    variables_map: str | Path | Mapping[str, str] | None
    country_code: str
    prompt: str | Path | Prompt | None
    mobile_only: bool
    max_problems: int
    delimiter: str | None
    exclude: str | Path | None
    call_window: CallWindow | None
    rules: str | Path | RuleSet | Mapping[str, Any] | None
    progress: Progress | None
    max_cells: int
    sheet: str | None
    encoding: str | None
    skip_rows: int


@dataclass(frozen=True)
class Checked:
    """A validated table: its rows with their status and phone answers, every problem, and the
    report.

    As :func:`check` returns it, every frame has public column names (see :func:`check`):
    ``frame`` holds the rows with ``line``, ``row``, ``status``, the phone answers and the
    file's own columns; ``problems`` has one row per row problem, all of them, in row order;
    ``table`` is the file as read (its ``frame`` under the same names); ``plan`` says which
    column is the phone and which are variables.

    (Inside csvprep, :func:`stream` and ``prepare`` see the same fields under the internal
    names of :mod:`csvprep.io.columns`.)
    """

    table: Table
    plan: ColumnPlan
    frame: pl.DataFrame
    problems: pl.DataFrame
    report: Report


def _read_prompt(prompt: str | Path | Prompt | None) -> str | Prompt | None:
    if not isinstance(prompt, Path):
        return prompt
    try:
        return prompt.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{prompt}: cannot read the prompt ({e})") from None


def check(source: Any, **options: Unpack[CheckOptions]) -> Checked:
    """Validate ``source`` and return its rows annotated, every problem and the report.

    Arguments are those of :func:`validate`. ``frame`` has a row per data record, in file order,
    and these columns, in this order (a column only where it applies):

    - ``line`` (where the record starts in the file), ``row`` (data row, from 1), ``status``
      (``valid``, ``invalid``, ``duplicate`` or ``excluded``);
    - the phone answers: ``e164`` (the number in E.164, or null), ``number_type``
      (``mobile``, ``fixed_line``...), ``country_code`` (the calling code), ``extension``
      (an extension was dropped), ``phone_cleaned`` (the value after the repairs),
      ``phone_problem`` and ``phone_message`` (the number's problem code and message, or
      null), and a flag per repair (``phone_repaired_invisible``, ``phone_repaired_formula``,
      ``phone_repaired_apostrophe``, ``phone_repaired_decimal``);
    - for a broken record, ``defect`` (its problem code), ``defect_note`` and ``raw_record``
      (its text as written); with ``call_window``, ``time_zones`` and ``local_window``;
    - then the file's own columns, each under its header, trimmed. A blank header is
      ``column N`` (N its position, from 1); a header already used, by an earlier column or as
      one of the names above, takes the first free ``Name (2)``, ``Name (3)``...

    ``problems`` has ``row``, ``line``, ``column`` (the header), ``code``, ``value``,
    ``message``, ``level`` (``warning`` where a rule's severity lowers an error, else null)
    and ``order`` (a row's problems, in the order the checks found them); ``table`` is the
    file as read, its ``frame`` under the same names as ``frame``.

    >>> import polars as pl
    >>> c = check(pl.DataFrame({"Mobile Number": ["9876543210", "9876543210"], "Name": "A"}))
    >>> for row in c.frame.select("line", "row", "status", "e164", "number_type", "Name").rows():
    ...     print(row)
    (2, 1, 'valid', '+919876543210', 'mobile', 'A')
    (3, 2, 'duplicate', '+919876543210', 'mobile', 'A')
    >>> c.problems.select("line", "code", "message").rows()
    [(3, 'duplicate_number', '+919876543210 is already on line 2')]
    """
    return _public(_check(source, True, **options))


# check()'s public names for the internal columns, in the order its frame shows them; the
# file's own columns follow, named by _public_headers
_PUBLIC: dict[str, str] = {
    LINE: "line",
    ROW: "row",
    STATUS: "status",
    phones.E164: "e164",
    phones.TYPE: "number_type",
    phones.COUNTRY: "country_code",
    phones.EXTENSION: "extension",
    phones.CLEAN: "phone_cleaned",
    phones.CODE: "phone_problem",
    phones.MESSAGE: "phone_message",
    **{code: code for code in phones.REPAIRS},  # already public: the repairs' problem codes
    DEFECT: "defect",
    NOTE: "defect_note",
    RAW: "raw_record",
    ZONES: "time_zones",
    LOCAL_WINDOW: "local_window",
}


def _public_headers(headers: Sequence[str]) -> list[str]:
    """A unique public name for each header: the header trimmed; ``column N`` (N its position
    from 1) where it is blank; the first free ``Name (2)``, ``Name (3)``... where the name is
    taken, by an earlier header or by one of :func:`check`'s own columns.

    >>> _public_headers(["Name", " Name ", "", "status", "Name (2)"])
    ['Name', 'Name (2)', 'column 3', 'status (2)', 'Name (2) (2)']
    """
    taken = set(_PUBLIC.values())
    names = []
    for i, header in enumerate(headers, start=1):
        name = header.strip() or f"column {i}"
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name} ({n})"
        taken.add(unique)
        names.append(unique)
    return names


def _public(checked: Checked) -> Checked:
    """``checked`` as :func:`check` returns it: every frame under public names (renamed, not
    copied), internal columns without a public meaning left out."""
    names = _public_headers(checked.table.headers)

    def public(frame: pl.DataFrame) -> pl.DataFrame:
        present = set(frame.columns)
        return frame.select(
            *(pl.col(column).alias(name) for column, name in _PUBLIC.items() if column in present),
            *(pl.col(column_name(i)).alias(name) for i, name in enumerate(names)),
        )

    table = replace(checked.table, frame=public(checked.table.frame))
    problems = checked.problems.rename({ROW: _PUBLIC[ROW], LINE: _PUBLIC[LINE]})
    return replace(checked, table=table, frame=public(checked.frame), problems=problems)


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class _Context(NamedTuple):
    """What every batch is checked against."""

    region: str
    plan: ColumnPlan
    headers: dict[int, str]
    mobile_only: bool
    suppression: Suppression | None
    call_window: CallWindow | None
    ruleset: RuleSet | None


def _check(
    source: Any, keep_rows: bool, sink: BatchSink | None = None, **options: Unpack[CheckOptions]
) -> Checked:
    """:func:`check`, batch by batch for big files. Without ``keep_rows`` (what
    :func:`validate` needs) only the counts, the duplicate keys and the first problems outlive
    a batch, so memory stays bounded whatever the file's size; a ``sink`` is handed each batch
    as it is decided (:func:`stream`)."""
    unknown = sorted(set(options) - set(CheckOptions.__annotations__))
    if unknown:  # a typo would otherwise be a check silently not made (mobile_onyl=True)
        known = CheckOptions.__annotations__
        raise UsageError(f"unknown option {unknown[0]!r}{did_you_mean(unknown[0], known)}")
    max_problems = options.get("max_problems", DEFAULTS.max_problems)
    if not isinstance(max_problems, int) or not 0 <= max_problems <= sys.maxsize:
        raise UsageError(f"max_problems must be a whole number from 0 to {sys.maxsize}")
    region = phones.region_for(options.get("country_code", DEFAULTS.country_code))
    variables_map = options.get("variables_map")
    vmap = load_variables_map(variables_map) if variables_map is not None else None
    prompt_text = _read_prompt(options.get("prompt"))
    exclude = options.get("exclude")
    suppression = None
    if exclude is not None:
        from ..checks.suppression import load_suppression  # here: as the rules, below

        suppression = load_suppression(exclude, region)
    rules = options.get("rules")
    ruleset = None
    if rules is not None:
        # here: a run without rules never loads the rules' module (5 ms of a pre-commit run)
        from ..checks.rules import RuleSet, load_rules

        ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    delimiter = options.get("delimiter")
    batch_bytes: int | None = BATCH_BYTES
    while True:
        try:
            tables = read_batches(
                source,
                delimiter=delimiter,
                batch_bytes=batch_bytes,
                progress=options.get("progress"),
                max_cells=options.get("max_cells", DEFAULTS.max_cells),
                sheet=options.get("sheet"),
                encoding=options.get("encoding"),
                skip_rows=options.get("skip_rows", DEFAULTS.skip_rows),
            )
            first = next(tables)
            # every batch is checked, the first too, but the run keeps of the first only the
            # file's name, headers and notes: its rows held to the end were a batch of memory
            # (and an iterator, not a list, as a chain holds its arguments to the end)
            batches = itertools.chain(iter([first]), tables)
            first = replace(first, frame=first.frame.clear())
            plan = plan_columns(first.headers, vmap, prompt_text, header_line=first.header_line)
            context = _Context(
                region=region,
                plan=plan,
                headers={i: h.strip() for i, h in enumerate(first.headers)},
                mobile_only=options.get("mobile_only", False),
                suppression=suppression,
                call_window=options.get("call_window"),
                ruleset=ruleset,
            )
            resolver = None
            if sink is not None:  # told again from the start when the file is read whole after all
                sink.begin(first, plan, functools.partial(_replan, first, vmap, prompt_text))
                resolver = _Resolver(context, sink, max_problems)
            return _run(
                first, batches, context, keep_rows, max_problems, vmap, prompt_text, resolver
            )
        except NotStreamable:
            batch_bytes = None  # read it whole after all


# a plain class: not a dataclass, for the same reason; not a NamedTuple, as it is mutable
class _Totals:
    """What :func:`_run` adds up over the batches (:meth:`add`): the counts, and what is compared
    across batches once every batch is read (the candidates for repeats, the unique rules'
    values)."""

    def __init__(self, unique: dict[Rule, str]) -> None:
        self.unique = unique  # the unique rules checked, and their columns
        self.filled: set[int] = set()  # blank-header columns with a value somewhere
        self.counts: Counter[str] = Counter()  # problems by code
        self.warnings: Counter[str] = Counter()  # of those, warnings
        self.by_column: Counter[str] = Counter()  # problems by header
        self.kinds: Counter[tuple[str, str]] = Counter()  # (region, number type)
        self.rows = 0
        self.invalid = 0
        self.excluded = 0
        self.repeated = 0  # repeats found within a batch (see _BatchResult.repeated)
        self.checks = 0  # how many checks a batch runs: the unique rules' problems come after
        self.candidates: list[pl.DataFrame] = []
        self.early_repeats: list[pl.DataFrame] = []  # each batch's first repeats
        # each unique rule's values, per batch
        self.values: dict[Rule, list[pl.DataFrame]] = {rule: [] for rule in unique}

    def add(self, batch: _BatchResult) -> None:
        """Add ``batch``'s counts and keep what is compared across batches."""
        self.checks = batch.checks
        self.filled |= batch.filled
        self.counts.update(batch.counts)
        self.warnings.update(batch.warnings)
        self.by_column.update(batch.by_column)
        self.kinds.update(batch.kinds)
        self.rows += batch.rows
        self.invalid += batch.invalid
        self.excluded += batch.excluded
        self.candidates.append(batch.candidates)
        self.repeated += batch.repeated
        self.early_repeats.append(batch.repeats)
        for rule in self.unique:
            self.values[rule].append(batch.values[rule])

    def add_problems(self, code: str, header: str, found: int, *, warning: bool = False) -> None:
        """Count ``found`` problems ``code`` in the column ``header`` (found across batches)."""
        self.counts[code] += found
        self.by_column[header] += found
        if warning:
            self.warnings[code] += found

    def breakdown(self, file_problems: list[Problem]) -> Breakdown:
        """The report's breakdown: the rows still in by country and number type, and the
        problems by column (``file_problems`` too)."""
        by_column = Counter(self.by_column)
        for p in file_problems:
            if p.column is not None:
                by_column[p.column] += 1
        countries: Counter[str] = Counter()
        number_types: Counter[str] = Counter()
        for (region, kind), n in self.kinds.items():
            countries[region] += n
            number_types[kind] += n
        return Breakdown(
            countries=dict(+countries), number_types=dict(+number_types), columns=dict(+by_column)
        )


def _run(
    first: Table,
    batches: Iterator[Table],
    context: _Context,
    keep_rows: bool,
    max_problems: int,
    vmap: Mapping[str, str] | None,
    prompt_text: str | Prompt | None,
    resolver: _Resolver | None = None,
) -> Checked:
    """Check every batch (``first`` is the file's table, without rows), then what only the
    whole file tells (unique rules, repeats across batches, the columns with neither header
    nor values), and make the report."""
    blank = [i for i, h in enumerate(first.headers) if not h.strip()]
    frames: list[pl.DataFrame] = []
    kept: list[pl.DataFrame] = []
    unique = _unique_targets(context)
    totals = _Totals(unique)
    # validate keeps of a batch's repeats only the count and the first (their details), but
    # not where a unique rule may yet make a row invalid: a later repeat would take its place;
    # the stream's resolver finds the repeats itself, in every candidate
    keep_repeats = (
        max_problems
        if not keep_rows and resolver is None and all(rule.severity != "error" for rule in unique)
        else None
    )
    keep_frames = keep_rows or resolver is not None
    by_number = resolver is not None
    for batch in _checked(batches, context, blank, unique, keep_frames, keep_repeats, by_number):
        if resolver is not None:  # repeats decided here, across batches: no candidates kept
            batch = resolver.take(batch)
        totals.add(batch)
        if keep_rows:
            frames.append(batch.frame)
            kept.append(batch.problems)
        else:
            kept = [pl.concat([*kept, batch.problems.head(max_problems)]).head(max_problems)]
        del batch

    plan = context.plan
    if blank:
        plan = _replan(first, vmap, prompt_text, [i for i in blank if i not in totals.filled])
    file_problems, notes = _file_problems(first, plan, context)

    # unique rules, across every batch: a repeat breaking an error rule makes its row invalid
    order = totals.checks
    broken: list[pl.DataFrame] = []
    for rule, column in unique.items():
        found, failed = _unique_problems(rule, column, totals.values.pop(rule), context, order - 1)
        header = context.headers[int(column[1:])]
        totals.add_problems("rule_unique", header, found.height, warning=rule.severity == "warning")
        kept.append(found if keep_rows else found.head(max_problems))
        if rule.severity == "error":
            broken.append(failed)
    newly = pl.concat(broken).unique(ROW) if broken else pl.DataFrame(schema=_FLAGS)
    newly = newly.filter(~pl.col(ERROR))
    totals.invalid += newly.height
    totals.excluded -= int(newly[EXCLUDED].sum())
    everyone = pl.concat(totals.candidates)
    if newly.height:  # a filter copies every key: only when there is something to take out
        taken = pl.col(ROW).is_in(newly[ROW].implode())
        totals.kinds.subtract(_kinds(everyone.filter(taken)))
        everyone = everyone.filter(~taken)
    later, repeats, where = _repeats(everyone, None if keep_rows else max_problems)
    if later:  # a later repeat is no valid number: out of the breakdown (the batches' own
        # repeats never came in)
        totals.kinds.subtract(_kinds(everyone[where]))
    repeated = totals.repeated
    if repeated and resolver is not None:  # every repeat, with its first line, decided
        repeats = pl.concat(totals.early_repeats).sort(ROW).head(max_problems)
    elif repeated:  # repeats within batches, where only the first were kept: their first lines
        repeats = pl.concat([repeats, _first_lines(pl.concat(totals.early_repeats), everyone)])
        repeats = repeats.sort(ROW).head(max_problems)
    duplicates = later + repeated
    if plan.phone_index is not None and duplicates:
        # only the repeats kept have a message: there may be millions
        header = context.headers[plan.phone_index]
        totals.add_problems("duplicate_number", header, duplicates)
        kept.append(_duplicate_problems(repeats, header, order))
    # stable: a row's problems of one check (rules on several columns) keep the order they
    # were found in, whatever the batches (the rows' reasons in the rejects file show it)
    problems = pl.concat(kept).sort(ROW, "order", maintain_order=True) if kept else _no_problems()
    counted = RowCounts(
        total=totals.rows,
        valid=everyone.height + repeated - duplicates if resolver is None else resolver.valid,
        invalid=totals.invalid,
        duplicate=duplicates,
        excluded=totals.excluded,
    )
    table = first
    if keep_rows:
        frame = pl.concat(frames).with_columns(
            pl.col(ERROR) | pl.col(ROW).is_in(newly[ROW].implode())
        )
        frame = _with_status(frame, repeats[ROW])
        # the whole file's table: its columns are the checked rows' first ones (no copy)
        table = replace(first, frame=frame.select(first.frame.columns))
    else:
        frame = pl.DataFrame()  # validate keeps no rows
    report = _report(
        first,
        plan,
        file_problems,
        counted,
        totals.counts,
        totals.warnings,
        problems,
        context.region,
        max_problems,
        notes,
        totals.breakdown(file_problems),
    )
    return Checked(table=table, plan=plan, frame=frame, problems=problems, report=report)


def _file_problems(
    first: Table, plan: ColumnPlan, context: _Context
) -> tuple[list[Problem], list[str]]:
    """The problems and notes of the file as a whole: the reader's, the plan's, the rules'
    missing columns; a note on a suppression list's values that are no numbers."""
    file_problems = [*first.problems, *plan.problems]
    notes = list(first.notes)
    ruleset, suppression = context.ruleset, context.suppression
    if ruleset is not None and ruleset.rules:
        file_problems += [
            Problem(
                "rule_column_missing",
                f"{rule.label} of {ruleset.source} is not in the file",
                line=first.header_line,
                column=rule.target,
            )
            for rule in _missing_rules(ruleset, plan, context.headers)
        ]
    if suppression is not None and suppression.unusable and plan.phone_index is not None:
        notes.append(
            f"{suppression.unusable:,} values of the suppression list "
            f"{suppression.source} are not valid numbers and suppress nothing"
        )
    return file_problems, notes


def _with_status(frame: pl.DataFrame, repeat_rows: pl.Series) -> pl.DataFrame:
    """``frame`` with STATUS instead of ERROR and EXCLUDED: ``invalid``, ``excluded``,
    ``duplicate`` (its ROW in ``repeat_rows``) or ``valid``, the first that applies."""
    status = (
        pl.when(pl.col(ERROR))
        .then(pl.lit("invalid"))
        .when(pl.col(EXCLUDED))
        .then(pl.lit("excluded"))
        .when(pl.col(ROW).is_in(repeat_rows.implode()))
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("valid"))
    )
    return frame.with_columns(status.alias(STATUS)).drop(ERROR, EXCLUDED)


# --- streaming: each batch decided as it comes (what prepare writes as it reads) -----------


class DecidedBatch(NamedTuple):
    """A batch's rows as :func:`check` gives them for the whole file: ``frame`` holds them with
    ``STATUS``, ``problems`` all their problems in row order (duplicates and ``unique`` rules
    judged against every earlier row); ``filled``, its blank-header columns with a value."""

    frame: pl.DataFrame
    problems: pl.DataFrame
    filled: set[int]
    plain: bool = False  # no cell holds a comma, a quote or a line break (Table.plain)


class BatchSink(Protocol):
    """What :func:`stream` hands the batches to, in file order."""

    def begin(
        self, first: Table, plan: ColumnPlan, replan: Callable[[list[int]], ColumnPlan]
    ) -> None:
        """The file starts (again, dropping what was taken, when it has to be read whole after
        all): its table (without rows) and column plan; ``replan`` gives the plan once the
        columns with neither header nor values are known."""

    def take(self, batch: DecidedBatch) -> None:
        """The next batch, decided."""


def stream(source: Any, sink: BatchSink, **options: Unpack[CheckOptions]) -> Checked:
    """:func:`validate`, handing every batch with its rows decided to ``sink`` as it goes, so
    memory stays bounded: the result holds the report and plan, not the rows.

    >>> import polars as pl
    >>> class Statuses:
    ...     def begin(self, first, plan, replan): self.seen = []
    ...     def take(self, batch): self.seen += batch.frame[STATUS].to_list()
    >>> sink = Statuses()
    >>> stream(pl.DataFrame({"Mobile Number": ["9876543210"] * 2}), sink).report.rows.duplicate
    1
    >>> sink.seen
    ['valid', 'duplicate']
    """
    return _check(source, False, sink, **options)


def _replan(
    first: Table, vmap: Mapping[str, str] | None, prompt: str | Prompt | None, empty: list[int]
) -> ColumnPlan:
    """The plan of :func:`_run`'s end, once the columns ``empty`` are known."""
    return plan_columns(
        first.headers, vmap, prompt, header_line=first.header_line, empty_columns=empty
    )


class _Resolver:
    """Decides each batch, in file order, as :func:`_run` decides the whole file after reading
    it: a row repeating a ``unique`` rule's value or a number of an earlier row, in this batch
    or any before, is invalid or a duplicate."""

    def __init__(self, context: _Context, sink: BatchSink, max_problems: int) -> None:
        self.context, self.sink, self.max_problems = context, sink, max_problems
        self.unique = _unique_targets(context)
        self.values: dict[Rule, pl.DataFrame] = {}  # each value's first row, per unique rule
        self.numbers = _SeenNumbers()
        self.valid = 0  # rows found valid so far

    def take(self, batch: _BatchResult) -> _BatchResult:
        """Decide ``batch``, hand it to the sink, and return what :func:`_run` then adds up:
        its repeats all counted (the first ``max_problems`` with their first line), the
        breakdown of its valid rows, and no candidates (the repeats are decided)."""
        order, frame = batch.checks, batch.frame
        found = [batch.problems]
        broken: list[pl.DataFrame] = []
        for rule, column in self.unique.items():
            parts = [batch.values[rule]]
            if rule in self.values:
                parts.insert(0, self.values[rule])
            problems, failed = _unique_problems(rule, column, parts, self.context, order - 1)
            found.append(problems)
            if rule.severity == "error":
                broken.append(failed)
            values = pl.concat(parts)
            self.values[rule] = values.filter(values[UNIQUE_VALUE].is_first_distinct())
        newly = pl.concat(broken).filter(~pl.col(ERROR))[ROW] if broken else None
        # the batch's candidates (its rows still in, their numbers read, sorted by number)
        # are the rows looked up: no filtering and casting of the frame again
        candidates = batch.candidates
        if newly is not None and newly.len():
            taken = pl.col(ROW).is_in(newly.implode())
            frame = frame.with_columns(pl.col(ERROR) | taken)
            candidates = candidates.filter(~taken)
        repeats = self.numbers.repeats(candidates)
        phone_index = self.context.plan.phone_index
        if phone_index is not None and repeats.height:
            found.append(_duplicate_problems(repeats, self.context.headers[phone_index], order))
        decided = _with_status(frame, repeats[ROW])
        problems = pl.concat(found).sort(ROW, "order", maintain_order=True)
        self.sink.take(DecidedBatch(decided, problems, batch.filled, batch.plain))
        # every candidate valid but the repeats: the rows of the frame are not counted again
        self.valid += candidates.height - repeats.height
        kinds = Counter(batch.kinds)
        if candidates.height - repeats.height < batch.candidates.height:  # some were taken out
            out = pl.col(ROW).is_in(repeats[ROW].implode())
            if newly is not None:
                out = out | pl.col(ROW).is_in(newly.implode())
            kinds.subtract(_kinds(batch.candidates.filter(out)))
        return batch._replace(
            frame=pl.DataFrame(),
            kinds=dict(+kinds),
            candidates=batch.candidates.clear(),
            repeated=repeats.height,
            repeats=repeats.sort(ROW).head(self.max_problems),
        )


class _SeenNumbers:
    """The number (``KEY``) of every row still in so far, with its first row's line, as
    runs sorted by number: a batch's numbers, sorted too, are looked up with one merge join
    per run, and four runs of about one size are merged into one, so that there are few runs
    and each number is merged a few times (a hash set rebuilt for every batch would cost the
    file's size each time; a binary search per number, a cache miss per step)."""

    def __init__(self) -> None:
        self.runs: list[pl.DataFrame] = []

    def repeats(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Of ``rows`` (ROW, LINE, ``KEY``, after every row already seen, sorted by number
        and a number's rows in file order), those whose number an earlier row has, with that
        row's line (``FIRST_LINE``), in number order; the others' numbers are seen from now on.

        >>> seen = _SeenNumbers()
        >>> seen.repeats(pl.DataFrame({ROW: [1, 3, 2], LINE: [2, 4, 3], KEY: [7, 7, 8]})).rows()
        [(3, 4, 7, 2)]
        >>> seen.repeats(pl.DataFrame({ROW: [4], LINE: [5], KEY: [8]})).rows()
        [(4, 5, 8, 3)]
        """
        # in number order, a repeat within the batch is a row whose number is the one
        # before's, and no hashing is needed
        keys = rows[KEY]
        first_here = (keys != keys.shift(1)).fill_null(True)
        probe = rows.select(KEY)
        hits = [probe.join(run, on=KEY, how="inner") for run in self.runs]
        earlier = (
            pl.concat(hits).unique(KEY).rename({LINE: EARLIER})
            if hits
            else pl.DataFrame(schema={KEY: pl.UInt64, EARLIER: pl.UInt32})
        )
        if not earlier.height and first_here.all():  # as in most lists: every number new
            self._see(rows.select(KEY, LINE))
            return rows.clear().select(ROW, LINE, KEY, pl.col(LINE).alias(FIRST_LINE))
        marked = rows.join(earlier, on=KEY, how="left", maintain_order="left").with_columns(
            pl.coalesce(
                EARLIER, pl.col(LINE).filter(first_here).gather(first_here.cum_sum() - 1)
            ).alias(FIRST_LINE),
            (pl.col(EARLIER).is_not_null() | ~first_here).alias(REPEAT),
        )
        self._see(marked.filter(~pl.col(REPEAT)).select(KEY, LINE))
        return marked.filter(REPEAT).select(ROW, LINE, KEY, FIRST_LINE)

    def _see(self, new: pl.DataFrame) -> None:
        """Take ``new`` (KEY, LINE, numbers not seen before, sorted) as seen."""
        if new.height:
            self.runs.append(new.set_sorted(KEY))
            while len(self.runs) >= 4 and self.runs[-4].height <= 2 * self.runs[-1].height:
                # merged as sorted runs, not sorted again: a sort's pairs and buffers took
                # three times the merged run's memory at once (the peak of a long list)
                a, b, c, d = (run.lazy() for run in self.runs[-4:])
                merged = a.merge_sorted(b, KEY).merge_sorted(c.merge_sorted(d, KEY), KEY).collect()
                del self.runs[-4:]
                # in one part, as every join takes it
                self.runs.append(merged.rechunk().set_sorted(KEY))


class _BatchResult(NamedTuple):
    """What outlives a checked batch: its rows (``frame``, for :func:`check` only), its
    problems in row order, counts, and what is compared across batches."""

    frame: pl.DataFrame
    problems: pl.DataFrame
    checks: int  # how many checks made the problems
    filled: set[int]  # blank-header columns with a value here
    counts: dict[str, int]
    warnings: dict[str, int]
    by_column: dict[str, int]  # problems by header
    kinds: dict[tuple[str, str], int]  # rows still in by (region, number type)
    rows: int
    invalid: int
    excluded: int
    # ROW, LINE, the number's key, region and type of every row still in, or (where
    # ``repeats`` keeps only the first) of each number's first row in the batch
    candidates: pl.DataFrame
    repeated: int  # rows taken out of candidates, their number on an earlier row of the batch
    repeats: pl.DataFrame  # the first of them (ROW, LINE and the key)
    values: dict[Rule, pl.DataFrame]  # the filled values of each unique rule's column
    plain: bool  # the table's (Table.plain)


def _checked(
    tables: Iterator[Table],
    context: _Context,
    blank: list[int],
    unique: dict[Rule, str],
    keep_rows: bool,
    keep_repeats: int | None,
    by_number: bool = False,
) -> Iterator[_BatchResult]:
    """Each table checked (:func:`_batch`) and summed up, in order; two batches at once. The
    checked rows are kept with ``keep_rows`` only; of the rows whose number an earlier row of
    the batch has, only the first ``keep_repeats`` (all with None, and then as candidates).
    With ``by_number``, the candidates come sorted by number (stable), as
    :class:`_SeenNumbers` looks them up.

    Most kernels of a check run on one core: checking the next batch beside the current one
    keeps both cores busy.
    """

    def check_batch(table: Table) -> _BatchResult:
        frame = table.frame
        checked = _batch(frame, context, blank)
        frame, checks = checked.frame, checked.checks
        problems = (
            pl.concat(checks).sort(ROW, "order", maintain_order=True).collect()
            if checks
            else _no_problems()
        )
        # filtered lazily: only the columns taken are copied, not a wide frame's every one
        rows = frame.lazy()
        values = {}
        for rule, column in unique.items():
            filled_in = pl.col(LIVE) & (pl.col(column).str.strip_chars() != "")
            values[rule] = (
                rows.filter(filled_in)
                .select(ROW, LINE, pl.col(column).alias(UNIQUE_VALUE), ERROR, EXCLUDED)
                .collect()
            )
        still = ~pl.col(ERROR) & ~pl.col(EXCLUDED) & pl.col(phones.E164).is_not_null()
        candidates = _candidates(rows.filter(still))
        repeated, repeats = 0, candidates.clear()
        if keep_repeats is not None:
            repeated, repeats, later = _repeats(candidates, keep_repeats, first_lines=False)
            if repeated:
                candidates = _firsts(candidates, later)
        if by_number:  # here, beside the next batch's checks, not in the resolver's one thread
            candidates = candidates.sort(KEY, maintain_order=True)
        return _BatchResult(
            frame=frame.drop(LIVE) if keep_rows else pl.DataFrame(),
            problems=problems,
            checks=checked.orders,
            filled=checked.filled,
            counts=_value_counts(problems["code"]),
            warnings=_value_counts(problems.filter(pl.col("level") == "warning")["code"]),
            by_column=_value_counts(problems["column"].drop_nulls()),
            kinds=_kinds(candidates),
            rows=frame.height,
            invalid=int(frame[ERROR].sum()),
            excluded=int((~frame[ERROR] & frame[EXCLUDED]).sum()),
            candidates=candidates,
            repeated=repeated,
            repeats=repeats,
            values=values,
            plain=table.plain,
        )

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="csvprep-check") as pool:
        pending: deque[Future[_BatchResult]] = deque()
        for table in tables:
            pending.append(pool.submit(check_batch, table))
            if len(pending) == 2:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


_FLAGS = {ROW: pl.UInt32, ERROR: pl.Boolean, EXCLUDED: pl.Boolean}


def _unique_targets(context: _Context) -> dict[Rule, str]:
    """The ``unique`` rules whose column the file has, and that column."""
    ruleset = context.ruleset
    if ruleset is None:
        return {}
    targets = _rule_targets(ruleset, context.plan, context.headers)
    return {rule: column for rule, column in targets.items() if rule.unique}


def _unique_problems(
    rule: Rule, column: str, parts: list[pl.DataFrame], context: _Context, order: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The problems of a ``unique`` rule over the filled values of every batch (``parts``),
    and the rows that broke it with their flags before (``ROW``, ``ERROR``,
    ``EXCLUDED``)."""
    from ..checks.rules import checks  # loaded already: a rule was given

    words = next(w for code, w, _ in checks(rule, pl.col(column)) if code == "rule_unique")
    header = context.headers[int(column[1:])]
    values = pl.concat(parts)
    repeats = values.filter(~pl.col(UNIQUE_VALUE).is_first_distinct())
    found = _problem_frame(
        repeats,
        column=header,
        code="rule_unique",
        value=pl.col(UNIQUE_VALUE),
        message=f"{header} {words}",
        level=None if rule.severity == "error" else rule.severity,
        order=order,
    )
    return found, repeats.select(ROW, ERROR, EXCLUDED)


def _candidates(still: pl.LazyFrame) -> pl.DataFrame:
    """ROW, LINE, the duplicate key, region and number type of ``still`` (all with a number),
    taking only those columns (a wide frame's every one would be copied)."""
    present = still.collect_schema().names()
    wanted = [ROW, LINE, phones.E164, phones.COUNTRY, phones.TYPE]
    rows = still.select(c for c in wanted if c in present).collect()
    if phones.COUNTRY not in rows.columns:  # no phone column: no row is still in
        rows = rows.with_columns(
            pl.lit(None, dtype=pl.UInt16).alias(phones.COUNTRY),
            pl.lit(None, dtype=pl.String).alias(phones.TYPE),
        )
    region = phones.regions(rows[phones.E164], rows[phones.COUNTRY])
    return rows.select(
        ROW,
        LINE,
        _KEY,
        pl.lit(region).cast(_REGION_ENUM).alias(REGION),
        pl.col(phones.TYPE).cast(_TYPE_ENUM).alias(NUMBER_TYPE),
    )


def _kinds(candidates: pl.DataFrame) -> dict[tuple[str, str], int]:
    """How many of ``candidates`` have each (region, number type)."""
    counted = candidates.group_by(REGION, NUMBER_TYPE).len()
    return {
        (str(region), str(kind)): n
        for region, kind, n in counted.select(REGION, NUMBER_TYPE, "len").iter_rows()
    }


def _value_counts(codes: pl.Series) -> dict[str, int]:
    counted = codes.value_counts()
    return dict(zip(counted[codes.name].to_list(), counted["count"].to_list(), strict=True))


# A valid number in E.164 is '+' and at most 19 digits (a test holds the metadata to that),
# never with a leading zero: as an integer it is the same key, in half the memory of the text
# and hashed twice as fast. The cast is strict, so a longer one would stop with an error.
# Polars casts "+" and digits to an integer as it is (a property test holds it to that)
_KEY = pl.col(phones.E164).cast(pl.UInt64, strict=True).alias(KEY)
_NUMBER = e164_text(pl.col(KEY))


class _Repeats(NamedTuple):
    """What :func:`_repeats` finds."""

    found: int  # how many
    rows: pl.DataFrame
    later: pl.Series  # where every repeat is among the candidates, in order


def _repeats(candidates: pl.DataFrame, limit: int | None, *, first_lines: bool = True) -> _Repeats:
    """How many rows have a number (``KEY``) an earlier row has, and those rows in order:
    the first ``limit`` (all with None), with that earlier row's line (``FIRST_LINE``)
    unless ``first_lines`` is false; and where every one of them is (``later``).

    >>> rows = pl.DataFrame({ROW: [1, 2, 3], LINE: [2, 3, 4], KEY: [7, 8, 7]})
    >>> count, repeats, later = _repeats(rows, 10)
    >>> count, repeats.rows(), later.to_list()
    (1, [(3, 4, 7, 2)], [2])
    """
    # the numbers that occur twice, found by sorting (parallel, and three times faster than
    # hashing every key in order); only their rows, few in a real list, are looked at in order
    ordered = candidates[KEY].sort()
    again = ordered == ordered.shift(1)
    count = int(again.sum())
    if count == 0:
        none = candidates.clear()
        if first_lines:
            none = none.with_columns(pl.lit(None, dtype=pl.UInt32).alias(FIRST_LINE))
        return _Repeats(0, none, pl.Series(dtype=pl.UInt32))
    repeated = ordered.filter(again).unique()
    inside = candidates[KEY].is_in(repeated.implode()).arg_true()
    candidates = candidates[inside]
    is_first = candidates[KEY].is_first_distinct()
    # the rows taken by position: the repeats' own rows are copied only as far as kept
    at = (~is_first).arg_true()
    later = inside.gather(at)
    repeats = candidates[at if limit is None else at.head(limit)]
    if not first_lines:
        return _Repeats(count, repeats, later)
    return _Repeats(count, _first_lines(repeats, candidates.filter(is_first)), later)


def _firsts(candidates: pl.DataFrame, later: pl.Series) -> pl.DataFrame:
    """``candidates`` but the repeats at ``later`` (:func:`_repeats`).

    >>> _firsts(pl.DataFrame({KEY: [7, 8, 7]}), pl.Series([2], dtype=pl.UInt32))[KEY].to_list()
    [7, 8]
    """
    keep = pl.Series([True]).extend_constant(True, candidates.height - 1)
    return candidates.filter(keep.scatter(later, False))


def _first_lines(repeats: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """``repeats`` with the line of the first of ``candidates`` that has each one's number
    (``FIRST_LINE``)."""
    keys = repeats[KEY].unique().implode()
    firsts = (
        candidates.filter(pl.col(KEY).is_in(keys))
        .unique(KEY, keep="first", maintain_order=True)
        .select(KEY, pl.col(LINE).alias(FIRST_LINE))
    )
    return repeats.join(firsts, on=KEY, how="left", maintain_order="left")


def _duplicate_problems(repeats: pl.DataFrame, header: str, order: int) -> pl.DataFrame:
    """The ``duplicate_number`` problems of ``repeats`` (ROW, LINE, KEY and FIRST_LINE), in the
    phone column ``header``."""
    return _problem_frame(
        repeats,
        column=header,
        code="duplicate_number",
        value=_NUMBER,
        message=_formatted("{} is already on line {}", _NUMBER, pl.col(FIRST_LINE)),
        order=order,
    )


class _Checks(NamedTuple):
    """A batch's rows with their phone answers, ``ERROR`` and ``EXCLUDED``; the checks
    (lazy problem frames, numbered in ``order``) that concern single rows and how many numbers
    ``order`` took; the blank-header columns with a value."""

    frame: pl.DataFrame
    checks: list[pl.LazyFrame]
    orders: int
    filled: set[int]


class _BatchRows:
    """A batch as its row checks see it, one check after another: the frame (each check may
    add columns it answers from), and what the checks so far found of each row."""

    def __init__(self, frame: pl.DataFrame, context: _Context, *, error: pl.Expr) -> None:
        self.frame = frame
        self.context = context
        #: rows no earlier check could read (structure, an empty row, the phone), or invalid
        self.error = error
        #: rows on the suppression list
        self.excluded = pl.lit(False)

    @property
    def live(self) -> pl.Expr:
        """Rows whose record could be read and is not empty."""
        return pl.col(LIVE)

    @property
    def number_ok(self) -> pl.Expr:
        """Live rows whose number is valid."""
        return pl.col(LIVE) & pl.col(phones.CODE).is_null()

    @property
    def phone_header(self) -> str:
        index = self.context.plan.phone_index
        assert index is not None  # phone checks run only where the plan found the column
        return self.context.headers[index]

    @property
    def raw(self) -> pl.Expr:
        index = self.context.plan.phone_index
        assert index is not None
        return pl.col(column_name(index))


class _Found(NamedTuple):
    """What one check finds: the rows (``mask``), and the problem each gets."""

    mask: pl.Expr
    code: Code | pl.Expr
    column: str | None
    value: pl.Expr
    message: pl.Expr


#: A row check: the problems it finds, in order; it may add columns to ``rows.frame`` and
#: mark rows invalid (``rows.error``) or suppressed (``rows.excluded``) for the checks after it.
RowCheck = Callable[[_BatchRows], list[_Found]]


def _structure(rows: _BatchRows) -> list[_Found]:
    """Records set aside by the reader (wrong cell count, quotes, NUL bytes, too long), and
    rows with every cell empty."""
    defect, empty = pl.col(DEFECT_ROW), pl.col(EMPTY_ROW)
    return [
        _Found(defect, pl.col(DEFECT), None, pl.col(RAW), pl.col(NOTE)),
        _Found(empty, "empty_row", None, pl.lit(""), pl.lit("every cell of the row is empty")),
    ]


def _phone_numbers(rows: _BatchRows) -> list[_Found]:
    """The number of each row to E.164 (:mod:`csvprep.phones`): each repair made to read it
    (warnings), then the numbers that are not valid; without a phone column every row is."""
    if rows.context.plan.phone_index is None:
        rows.error = pl.lit(True)
        rows.frame = rows.frame.with_columns(pl.lit(None, dtype=pl.String).alias(phones.E164))
        return []
    raw, header, live = rows.raw, rows.phone_header, rows.live
    rows.frame = phones.normalise(
        rows.frame, column_name(rows.context.plan.phone_index), rows.context.region
    )
    found = []
    for code, step in phones.REPAIRS.items():
        # the invisible characters named, or the two values would look the same
        read = phones.show_unseen(raw) if code == "phone_repaired_invisible" else raw
        message = _formatted(f"{step}: read {{}} as {{}}", shown(read), shown(pl.col(phones.CLEAN)))
        found.append(_Found(live & pl.col(code), code, header, raw, message))
    invalid = live & pl.col(phones.CODE).is_not_null()
    found.append(_Found(invalid, pl.col(phones.CODE), header, raw, pl.col(phones.MESSAGE)))
    rows.error = rows.error | invalid
    return found


def _not_mobile(rows: _BatchRows) -> list[_Found]:
    """With ``mobile_only``, valid numbers of any other type."""
    if rows.context.plan.phone_index is None or not rows.context.mobile_only:
        return []
    not_mobile = rows.number_ok & ~pl.col(phones.TYPE).is_in(sorted(phones.MOBILE_TYPES))
    rows.error = rows.error | not_mobile
    message = _formatted(
        "{} is a {} number, not a mobile",
        pl.col(phones.E164),
        pl.col(phones.TYPE).str.replace_all("_", " "),
    )
    return [_Found(not_mobile, "phone_not_mobile", rows.phone_header, rows.raw, message)]


def _extensions(rows: _BatchRows) -> list[_Found]:
    """Valid numbers written with an extension, which a call cannot dial."""
    if rows.context.plan.phone_index is None:
        return []
    message = _formatted(
        "the extension cannot be dialled; the call goes to {}", pl.col(phones.E164)
    )
    mask = rows.number_ok & pl.col(phones.EXTENSION)
    return [_Found(mask, "phone_extension_dropped", rows.phone_header, rows.raw, message)]


def _suppressed(rows: _BatchRows) -> list[_Found]:
    """Numbers on the suppression list (``exclude``), of rows no check found invalid."""
    suppression = rows.context.suppression
    if rows.context.plan.phone_index is None or suppression is None:
        return []
    rows.excluded = ~rows.error & pl.col(phones.E164).is_in(suppression.numbers.implode())
    message = _formatted("{} is on the suppression list", pl.col(phones.E164))
    return [_Found(rows.excluded, "excluded_number", rows.phone_header, rows.raw, message)]


def _calling_hours(rows: _BatchRows) -> list[_Found]:
    """With a ``call_window``, numbers it would ring outside their local calling hours."""
    window = rows.context.call_window
    if rows.context.plan.phone_index is None or window is None:
        return []
    from ..checks.calling_hours import local_windows, time_zones  # loaded with the window

    zones = time_zones(rows.frame)
    rows.frame = rows.frame.with_columns(zones, local_windows(zones, window))
    mask = rows.number_ok & ~rows.error & ~rows.excluded & pl.col(LOCAL_WINDOW).is_not_null()
    e164 = pl.col(phones.E164)
    return [_Found(mask, "outside_calling_hours", rows.phone_header, e164, pl.col(LOCAL_WINDOW))]


#: The row checks, in the order their problems come on a row (each sees what the earlier found).
ROW_CHECKS: tuple[RowCheck, ...] = (
    _structure,
    _phone_numbers,
    _not_mobile,
    _extensions,
    _suppressed,
    _calling_hours,
)


def _batch(frame: pl.DataFrame, context: _Context, blank_headers: list[int]) -> _Checks:
    """One batch checked (``blank_headers``: the columns without a header): the
    :data:`ROW_CHECKS` in order, then the mapped values, then the column rules.

    Each check is one query whatever the number of columns: the cost grows with the cells.
    """
    plan, header_of = context.plan, context.headers
    width = len(header_of)
    cells = [column_name(i) for i in range(width)]
    blanks = _blank_cells(frame, cells)
    # a column is filled where fewer of its cells than the rows are blank
    per_column = blanks.filter(pl.col(CELL).is_in(blank_headers)).group_by(CELL).len()
    empty = set(per_column.filter(pl.col("len") == frame.height)[CELL].to_list())
    filled = {i for i in blank_headers if i not in empty} if frame.height else set()
    # computed once as columns: every check filters on them, and an expression would be
    # evaluated again by each
    frame = frame.with_columns(
        pl.col(DEFECT).is_not_null().alias(DEFECT_ROW),
        _full_rows(blanks, width, frame.height).alias(EMPTY_ROW),
    )
    frame = frame.with_columns(
        (pl.col(EMPTY_ROW) & ~pl.col(DEFECT_ROW)).alias(EMPTY_ROW)
    ).with_columns((~pl.col(DEFECT_ROW) & ~pl.col(EMPTY_ROW)).alias(LIVE))
    rows = _BatchRows(frame, context, error=pl.col(DEFECT_ROW) | pl.col(EMPTY_ROW))
    found = [problem for row_check in ROW_CHECKS for problem in row_check(rows)]
    frame, row_error, live = rows.frame, rows.error, rows.live
    # each check's problems come after the earlier checks' on the same row; the checks only
    # add columns, so the last frame serves every one
    checks = [
        _problem_frame(
            frame.lazy().filter(f.mask),
            column=f.column,
            code=f.code,
            value=f.value,
            message=f.message,
            order=order,
        )
        for order, f in enumerate(found)
    ]
    orders = len(found)

    variables = [(v, i) for v, i in plan.variables.items() if v != PHONE_VARIABLE]
    if variables:
        checks.append(_missing_values(frame, blanks, variables, header_of, orders))
        orders += len(variables)

    ruleset = context.ruleset
    if ruleset is not None and ruleset.rules:
        targets = sorted(set(_rule_targets(ruleset, plan, header_of).values()))
        # only the rules' columns are filtered (a wide frame would be copied whole)
        rule_rows = frame.lazy().filter(live).select(ROW, LINE, *targets).collect()
        # the last check of a batch: unique rules, checked across batches, take its order
        rule_found = _rule_problems(rule_rows, ruleset, plan, header_of, orders)
        checks.append(rule_found)
        orders += 1
        rule_errors = rule_found.filter(pl.col("level").is_null()).select(ROW).collect()[ROW]
        row_error = row_error | pl.col(ROW).is_in(rule_errors.implode())

    frame = frame.with_columns(row_error.alias(ERROR), rows.excluded.alias(EXCLUDED)).drop(
        DEFECT_ROW, EMPTY_ROW
    )
    return _Checks(frame, checks, orders, filled)


def _maybe_blank(cell: pl.Expr) -> pl.Expr:
    """Whether each value may be blank, empty or only whitespace (``strip_chars() == ""``,
    which strips what Rust's ``str::trim`` does): the others are surely not. Null for a null.

    >>> values = pl.Series(["", " \\t", "\\u3000", " a", "a "])
    >>> pl.select(_maybe_blank(pl.lit(values))).to_series().to_list()
    [True, True, True, True, False]
    """
    # Polars compares text byte by byte, which is code point order: a blank value is empty
    # or starts below "!" (ASCII whitespace) or at U+0085 or above (every other whitespace
    # character). Comparing costs a third of stripping, so only those values are stripped.
    return (cell < "!") | (cell >= "\u0085")


# Below this many rows a batch's cells are made one part before they are looked at.
_ONE_PART_UNDER = 2048


def _blank_cells(frame: pl.DataFrame, cells: list[str]) -> pl.DataFrame:
    """Every blank cell of ``cells``: its column's position in ``cells`` (``CELL``) and its
    row's in ``frame`` (``AT``).

    The cells are looked at as one column, column after column: one expression whatever the
    width (an expression per column cost more to plan than to run on a wide, short file).
    """
    height = frame.height
    if height == 0:
        return pl.DataFrame(schema={CELL: pl.UInt32, AT: pl.UInt32})
    # a part per column costs a kernel call per column (12 ms for 2,000 columns of 20 rows,
    # against 3 ms in one part); one part costs a copy of every cell (2.3 ms for 730k)
    values = pl.concat([frame.get_column(c) for c in cells], rechunk=height < _ONE_PART_UNDER)
    maybe = values.to_frame("v").select(_maybe_blank(pl.col("v"))).to_series()
    # only the few that may be blank are stripped: a masked expression strips every value
    at = true_at(maybe).filter(values.filter(maybe).str.strip_chars() == "")
    return pl.DataFrame(
        {CELL: at // height, AT: at % height},
        schema={CELL: pl.UInt32, AT: pl.UInt32},
    )


def _full_rows(blanks: pl.DataFrame, width: int, height: int) -> pl.Series:
    """Whether each row has ``width`` blank cells, all of them."""
    counted = blanks.group_by(AT).len()
    full = counted.filter(pl.col("len") == width)[AT]
    return pl.repeat(False, height, eager=True).scatter(full, True)


def _missing_values(
    frame: pl.DataFrame,
    blanks: pl.DataFrame,
    variables: list[tuple[str, int]],
    header_of: dict[int, str],
    first_order: int,
) -> pl.LazyFrame:
    """``value_missing`` problems: a blank cell (of :func:`_blank_cells`), on a live row, in
    a variable's column. Every variable is one check, numbered from ``first_order`` in the
    plan's order."""
    meta = pl.DataFrame(
        {
            CELL: [i for _, i in variables],
            "column": [header_of[i] for _, i in variables],
            "message": [f"{header_of[i]!r} is empty (variable {v!r})" for v, i in variables],
            "order": range(first_order, first_order + len(variables)),
        },
        schema={CELL: pl.UInt32, "column": pl.String, "message": pl.String, "order": pl.UInt16},
    )
    live = frame[LIVE]
    found = blanks.filter(live.gather(blanks[AT])).join(meta, on=CELL)
    # the blank cells' own text, from the cells as _blank_cells laid them out (parts that
    # are the frame's own columns: nothing is copied)
    cells = pl.concat([frame.get_column(column_name(i)) for i in range(len(header_of))])
    at = found[AT]
    return (
        found.with_columns(
            frame[ROW].gather(at),
            frame[LINE].gather(at),
            cells.gather(found[CELL].cast(pl.UInt64) * frame.height + at).alias("value"),
        )
        .lazy()
        .pipe(
            _problem_frame,
            column=pl.col("column"),
            code="value_missing",
            value=pl.col("value"),
            message=pl.col("message"),
            order=pl.col("order"),
        )
    )


def _missing_rules(ruleset: RuleSet, plan: ColumnPlan, header_of: dict[int, str]) -> list[Rule]:
    """The rules whose column the file does not have."""
    targets = _rule_targets(ruleset, plan, header_of)
    return [rule for rule in ruleset.rules if rule not in targets]


def _rule_targets(ruleset: RuleSet, plan: ColumnPlan, header_of: dict[int, str]) -> dict[Rule, str]:
    by_header = {h: i for i, h in sorted(header_of.items(), reverse=True) if h}
    targets: dict[Rule, str] = {}
    for rule in ruleset.rules:
        index = (plan.variables if rule.by_variable else by_header).get(rule.target)
        if index is not None:
            targets[rule] = column_name(index)
    return targets


def _rule_problems(
    rows: pl.DataFrame, ruleset: RuleSet, plan: ColumnPlan, header_of: dict[int, str], order: int
) -> pl.LazyFrame:
    """Problems of the column rules over ``rows`` (rules whose column is missing check
    nothing), all numbered ``order``."""
    from ..checks.rules import failures, helpers, pandera_schema  # loaded already

    targets = _rule_targets(ruleset, plan, header_of)
    schema, info = pandera_schema(targets, shared=True, per_row=True)
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
        .pipe(
            _problem_frame,
            column=pl.col("header"),
            code=pl.col("code"),
            value=pl.col("failure_case").cast(pl.String),
            message=_formatted("{} {}", pl.col("header"), pl.col("words")),
            level=pl.col("level"),
            order=order,
        )
    )
    return found.lazy()


def _report(
    table: Table,
    plan: ColumnPlan,
    file_problems: list[Problem],
    rows: RowCounts,
    row_problem_counts: Mapping[str, int],
    warning_counts: Mapping[str, int],
    problems: pl.DataFrame,
    region: str,
    max_problems: int,
    notes: list[str],
    breakdown: Breakdown,
) -> Report:
    """The report: ``problems`` holds (at least) the first ``max_problems`` row problems in
    order; the counts cover every row."""
    counts = Counter(p.code for p in file_problems) + Counter(row_problem_counts)
    unknown = set(counts) - set(CODES)
    if unknown:  # the row checks make codes as Polars strings, which mypy cannot see
        raise RuntimeError(f"problem codes missing from the registry: {sorted(unknown)}")

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
        warning_counts=dict(warning_counts),
        breakdown=breakdown,
    )


def validate(source: Any, **options: Unpack[CheckOptions]) -> Report:
    """Validate a contact list and return the :class:`~csvprep.Report`.

    ``source`` is a path (CSV, TSV or ``.xlsx``), a polars DataFrame or LazyFrame, or a pandas
    DataFrame. ``variables_map`` is a dict, inline JSON or a JSON file's path; ``country_code``
    (``+91`` or ``IN``) is the region of numbers written without one; ``prompt`` is the
    assistant's prompt text (or a :class:`~pathlib.Path` to it); ``max_problems`` bounds the
    problem details kept (counts always cover every row); ``rules`` is a rule file (see
    :mod:`csvprep.checks.rules`); ``exclude`` is a suppression file (its numbers become ``excluded``
    rows); ``call_window`` warns about numbers it would ring outside their local calling hours;
    ``progress`` is called as a file is read, with the bytes read so far and its size (for a
    progress bar: big files are read in parts); ``max_cells`` is the most cells a workbook's
    first sheet may span (default ten million; larger ones are refused before they are opened).

    >>> import polars as pl
    >>> r = validate(pl.DataFrame({"Mobile Number": ["98765 43210", "12345"]}))
    >>> r.rows.valid, r.rows.invalid, r.problems[0].code
    (1, 1, 'phone_invalid')
    """
    return _check(source, False, **options).report
