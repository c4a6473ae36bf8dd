"""Column rules: what each column the assistant speaks must hold, checked with pandera.

A rule file is TOML (documented by ``schemas/rules.schema.json``)::

    [columns."Due Date"]          # by CSV header
    required = true
    type = "date"
    format = "DD/MM/YYYY"

    [variables.policy_id]         # or by assistant variable, through the variables_map
    type = "regex"
    pattern = "POL-[0-9]+"
    unique = true

Types: ``text``, ``integer``, ``decimal``, ``date`` (with ``format``), ``time`` (``format``,
default ``HH:MM``), ``email``, ``url``, ``enum`` (with ``values``), ``regex`` (with ``pattern``,
matched against the whole value). Constraints: ``required``, ``min_length``, ``max_length``,
``min`` and ``max`` (numbers, or dates and times in the rule's format), ``unique``, and
``severity`` (``error``, the default, or ``warning``). An empty cell breaks only ``required``.

Every check is a vectorised Polars expression; the rule file becomes a pandera
``DataFrameSchema`` (Polars backend) validated over the whole, eager frame, so that data-level
checks run (on a LazyFrame pandera runs only schema-level ones).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import ConfigError
from ..io.columns import DEFECT, RULE_EMPTY, RULE_PARSED
from ..io.reading import read_table
from ..io.records import column_name
from ..phones import e164, region_for
from ..settings import DEFAULTS
from .headers import DEFAULT_PHONE_HEADER, PHONE_VARIABLE, load_variables_map, plan_columns

if TYPE_CHECKING:
    import pandera.polars as pa

TYPES = ("text", "integer", "decimal", "date", "time", "email", "url", "enum", "regex")
_KEYS = {
    "required",
    "type",
    "format",
    "pattern",
    "values",
    "min_length",
    "max_length",
    "min",
    "max",
    "unique",
    "severity",
}
_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
_URL = r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$"
_DATE_TOKENS = (
    ("YYYY", "%Y", r"[0-9]{4}"),
    ("YY", "%y", r"[0-9]{2}"),
    ("MM", "%m", r"[0-9]{2}"),
    ("DD", "%d", r"[0-9]{2}"),
    ("HH", "%H", r"[0-9]{2}"),
    ("mm", "%M", r"[0-9]{2}"),
    ("SS", "%S", r"[0-9]{2}"),
)


@dataclass(frozen=True)
class Rule:
    """What one column must hold."""

    target: str
    by_variable: bool = False
    type: str = "text"
    required: bool = False
    format: str | None = None
    pattern: str | None = None
    values: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min: Any = None
    max: Any = None
    unique: bool = False
    severity: str = "error"

    @property
    def label(self) -> str:
        return f"variable {self.target!r}" if self.by_variable else f"column {self.target!r}"


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file."""

    source: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def _strftime(fmt: str) -> tuple[str, str]:
    """A DD/MM/YYYY-style format as a strptime format and a regex of its exact shape.

    >>> _strftime("DD/MM/YYYY")
    ('%d/%m/%Y', '^[0-9]{2}/[0-9]{2}/[0-9]{4}$')
    """
    out, shape, i = "", "", 0
    while i < len(fmt):
        for token, code, regex in _DATE_TOKENS:
            if fmt.startswith(token, i):
                out, shape, i = out + code, shape + regex, i + len(token)
                break
        else:
            out, shape, i = out + fmt[i].replace("%", "%%"), shape + re.escape(fmt[i]), i + 1
    return out, f"^{shape}$"


def _parsed(value: pl.Expr, rule: Rule) -> pl.Expr | None:
    """The value as a comparable type (null where it does not parse), for min/max and type."""
    if rule.type in ("integer", "decimal"):
        pattern = _INTEGER if rule.type == "integer" else _DECIMAL
        return pl.when(value.str.contains(pattern)).then(value.cast(pl.Float64, strict=False))
    if rule.type in ("date", "time"):
        fmt = rule.format or ("DD/MM/YYYY" if rule.type == "date" else "HH:mm")
        code, shape = _strftime(fmt)
        kind = pl.Date if rule.type == "date" else pl.Time
        parsed = value.str.strptime(kind, code, strict=False)
        return pl.when(value.str.contains(shape)).then(parsed)
    return None


def _bound(rule: Rule, bound: Any) -> Any:
    if rule.type in ("integer", "decimal"):
        try:
            if isinstance(bound, bool):
                raise ValueError
            return float(bound)
        except (TypeError, ValueError):
            raise ConfigError(f"rules: {rule.label}: bound {bound!r} is not a number") from None
    expr = _parsed(pl.lit(str(bound)), rule)
    assert expr is not None
    parsed = pl.select(expr).item()
    if parsed is None:
        raise ConfigError(f"rules: {rule.label}: bound {bound!r} does not match its format")
    return parsed


def _empty(value: pl.Expr) -> pl.Expr:
    return value.str.strip_chars() == ""


def helpers(targets: Mapping[Rule, str]) -> dict[str, pl.Expr]:
    """Columns every check of a column shares (empty, parsed value), to compute once.

    Each pandera check is its own pass over the frame; without these, every check of a column
    would strip and parse the same values again.
    """
    out: dict[str, pl.Expr] = {}
    for rule, column in targets.items():
        out[RULE_EMPTY + column] = _empty(pl.col(column))
        parsed = _parsed(pl.col(column), rule)
        if parsed is not None:
            out[_parsed_name(rule, column)] = parsed
    return out


def _parsed_name(rule: Rule, column: str) -> str:
    return f"{RULE_PARSED}{column}_{rule.type}_{rule.format or ''}"


def checks(rule: Rule, value: pl.Expr, shared: str | None = None) -> list[tuple[str, str, pl.Expr]]:
    """(code, the rule in words, an expression True where a value passes) for each check.

    ``shared`` names the column of ``value`` when the frame holds its :func:`helpers`.

    >>> [c for c, _, _ in checks(Rule("Age", type="integer", required=True, max=120), pl.col("a"))]
    ['rule_required', 'rule_type', 'rule_max']
    """
    empty = pl.col(RULE_EMPTY + shared) if shared else _empty(value)
    found: list[tuple[str, str, pl.Expr]] = []
    if rule.required:
        found.append(("rule_required", "must not be empty", ~empty))
    parsed = _parsed(value, rule)
    if shared and parsed is not None:
        parsed = pl.col(_parsed_name(rule, shared))
    if rule.type in ("integer", "decimal", "date", "time"):
        assert parsed is not None
        what = {
            "integer": "a whole number like 100000",
            "decimal": "a number like 1500.50 (no thousands separators)",
            "date": f"a date as {rule.format or 'DD/MM/YYYY'}",
            "time": f"a time as {rule.format or 'HH:mm'}",
        }[rule.type]
        found.append(("rule_type", f"must be {what}", empty | parsed.is_not_null()))
    elif rule.type == "email":
        found.append(("rule_type", "must be an email address", empty | value.str.contains(_EMAIL)))
    elif rule.type == "url":
        found.append(("rule_type", "must be an http(s) URL", empty | value.str.contains(_URL)))
    elif rule.type == "enum":
        allowed = ", ".join(rule.values)
        found.append(
            ("rule_enum", f"must be one of: {allowed}", empty | value.is_in(list(rule.values)))
        )
    elif rule.type == "regex":
        assert rule.pattern is not None
        found.append(
            (
                "rule_pattern",
                f"must match {rule.pattern}",
                empty | value.str.contains(f"^(?:{rule.pattern})$"),
            )
        )
    if rule.min_length is not None:
        found.append(
            (
                "rule_length",
                f"must be at least {rule.min_length} characters",
                empty | (value.str.len_chars() >= rule.min_length),
            )
        )
    if rule.max_length is not None:
        found.append(
            (
                "rule_length",
                f"must be at most {rule.max_length} characters",
                empty | (value.str.len_chars() <= rule.max_length),
            )
        )
    for code, bound, op in (("rule_min", rule.min, "at least"), ("rule_max", rule.max, "at most")):
        if bound is None:
            continue
        assert parsed is not None
        limit = _bound(rule, bound)
        ok = parsed >= limit if code == "rule_min" else parsed <= limit
        found.append((code, f"must be {op} {bound}", empty | parsed.is_null() | ok))
    if rule.unique:
        found.append(
            (
                "rule_unique",
                "must not repeat an earlier row's value",
                empty | value.is_first_distinct(),
            )
        )
    return found


def _rule(target: str, by_variable: bool, spec: Any, where: str) -> Rule:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a table of constraints")
    unknown = set(spec) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    kind = spec.get("type", "text")
    if kind not in TYPES:
        raise ConfigError(f"{where}: type {kind!r} is not one of {', '.join(TYPES)}")
    if kind == "enum" and not (
        isinstance(spec.get("values"), list) and all(isinstance(v, str) for v in spec["values"])
    ):
        raise ConfigError(f"{where}: an enum needs 'values', a list of strings")
    if kind == "regex":
        pattern = spec.get("pattern")
        if not isinstance(pattern, str):
            raise ConfigError(f"{where}: a regex rule needs 'pattern'")
        try:
            pl.select(pl.lit("").str.contains(pattern))
        except pl.exceptions.PolarsError as e:
            raise ConfigError(f"{where}: pattern {pattern!r} is not a valid regex ({e})") from None
    if spec.get("severity", "error") not in ("error", "warning"):
        raise ConfigError(f"{where}: severity must be 'error' or 'warning'")
    for key in ("min_length", "max_length"):
        if key in spec and (not isinstance(spec[key], int) or spec[key] < 0):
            raise ConfigError(f"{where}: {key} must be a whole number")
    if "format" in spec and not isinstance(spec["format"], str):
        raise ConfigError(f"{where}: format must be a string, such as 'DD/MM/YYYY'")
    if ("min" in spec or "max" in spec) and kind not in ("integer", "decimal", "date", "time"):
        raise ConfigError(f"{where}: min and max apply to integer, decimal, date and time")
    rule = Rule(
        target=target,
        by_variable=by_variable,
        type=kind,
        required=bool(spec.get("required", False)),
        format=spec.get("format"),
        pattern=spec.get("pattern"),
        values=tuple(spec.get("values", ())),
        min_length=spec.get("min_length"),
        max_length=spec.get("max_length"),
        min=spec.get("min"),
        max=spec.get("max"),
        unique=bool(spec.get("unique", False)),
        severity=spec.get("severity", "error"),
    )
    try:
        checks(rule, pl.col("x"))  # bounds parse in the rule's own format
    except ConfigError as e:
        raise ConfigError(f"{where}: {e.message.split(': ', 2)[-1]}") from None
    return rule


def load_rules(source: str | Path | Mapping[str, Any]) -> RuleSet:
    """Read a rule file (TOML), or take its already-parsed content.

    >>> rs = load_rules({"columns": {"Name": {"required": True}}})
    >>> rs.rules[0].target, rs.rules[0].required
    ('Name', True)
    """
    if isinstance(source, Mapping):
        name, data = "rules", dict(source)
    else:
        import tomllib  # here: a run without a rule file never loads the parser

        name = str(source)
        try:
            with Path(source).open("rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError:
            raise ConfigError(f"{name}: rule file not found") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{name}: not valid TOML ({e})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{name}: not UTF-8 text (a TOML file is UTF-8)") from None
        except OSError as e:
            raise ConfigError(f"{name}: cannot be read ({e.strerror})") from None
    unknown = set(data) - {"columns", "variables"}
    if unknown:
        raise ConfigError(
            f"{name}: unknown section {sorted(unknown)[0]!r} "
            '(rules go under [columns."Header"] or [variables.name])'
        )
    rules = []
    for section, by_variable in (("columns", False), ("variables", True)):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{name}: [{section}] must be a table")
        for target, spec in table.items():
            rules.append(_rule(target, by_variable, spec, f"{name}: {section}.{target}"))
    return RuleSet(name, tuple(rules))


@dataclass(frozen=True)
class CheckInfo:
    """What a pandera check of a rule stands for."""

    rule: Rule
    code: str
    words: str


def pandera_schema(
    targets: Mapping[Rule, str],
    extra: Mapping[str, list[pa.Check]] | None = None,
    *,
    shared: bool = False,
    per_row: bool = False,
) -> tuple[pa.DataFrameSchema, dict[tuple[str, int], CheckInfo]]:
    """A pandera schema checking each rule's column (named by ``targets``), and what each
    check (by column and position, as pandera reports failures) stands for.

    With ``shared``, the checks read the :func:`helpers` columns the validated frame holds;
    with ``per_row``, ``unique`` is left out (a caller reading a file in parts checks it
    across them).
    """
    # lazy, here and below: pandera takes about a second to import, and only a run with
    # column rules (or an ETL job asking for a schema) needs it
    import pandera.polars as pa

    columns: dict[str, list[pa.Check]] = {k: list(v) for k, v in (extra or {}).items()}
    info: dict[tuple[str, int], CheckInfo] = {}
    for rule, column in targets.items():
        for code, words, passes in checks(rule, pl.col(column), column if shared else None):
            if per_row and code == "rule_unique":
                continue
            column_checks = columns.setdefault(column, [])
            info[(column, len(column_checks))] = CheckInfo(rule, code, words)
            column_checks.append(pa.Check(_vectorised(passes), name=code, error=words))
    schema = pa.DataFrameSchema(
        {c: pa.Column(pl.String, checks=cs, nullable=True) for c, cs in columns.items()},
        strict=False,
    )
    return schema, info


def _vectorised(passes: pl.Expr) -> Callable[[Any], pl.LazyFrame]:
    def check(data: Any) -> pl.LazyFrame:
        frame: pl.LazyFrame = data.lazyframe
        return frame.select(passes.fill_null(True))

    return check


def failures(frame: pl.DataFrame, schema: pa.DataFrameSchema) -> pl.DataFrame:
    """Every failed check: ``index`` (row position), ``column``, ``check`` (the error words),
    ``check_number``, ``failure_case``. Validates the eager frame lazily (all failures)."""
    import pandera.polars as pa  # lazy: see pandera_schema

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        cases: pl.DataFrame = e.failure_cases
        return cases.filter(pl.col("index").is_not_null())
    return pl.DataFrame(
        schema={
            "index": pl.Int32,
            "column": pl.String,
            "check": pl.String,
            "check_number": pl.Int32,
            "failure_case": pl.String,
        }
    )


def schema(
    variables_map: Mapping[str, str] | str | Path | None = None,
    rules: str | Path | RuleSet | Mapping[str, Any] | None = None,
    *,
    country_code: str = DEFAULTS.country_code,
) -> pa.DataFrameSchema:
    """A pandera schema for an ETL job's own frames, with columns named by their headers:
    the phone column in E.164 (as libphonenumber formats it) and unique, plus the rules.

    >>> import polars as pl
    >>> s = schema({"mobile_number": "Mobile Number"}, {"columns": {"Name": {"required": True}}})
    >>> s.validate(pl.DataFrame({"Mobile Number": ["+919876543210"], "Name": ["Asha"]})).height
    1
    """
    import pandera.polars as pa  # lazy: see pandera_schema

    mapping = load_variables_map(variables_map) if variables_map is not None else {}
    phone = mapping.get(PHONE_VARIABLE, DEFAULT_PHONE_HEADER)
    ruleset = (
        rules
        if isinstance(rules, RuleSet)
        else (load_rules(rules) if rules is not None else RuleSet("rules"))
    )
    region = region_for(country_code)
    targets: dict[Rule, str] = {}
    for rule in ruleset.rules:
        if rule.by_variable and rule.target not in mapping:
            raise ConfigError(
                f"{ruleset.source}: variable {rule.target!r} is not in the variables_map"
            )
        targets[rule] = mapping[rule.target] if rule.by_variable else rule.target
    phone_checks = [
        pa.Check(
            _vectorised(e164(pl.col(phone), region=region).eq_missing(pl.col(phone))),
            name="phone_e164",
            error="must be a valid number in E.164 form",
        ),
        pa.Check(
            _vectorised(pl.col(phone).is_first_distinct()),
            name="phone_unique",
            error="must not repeat",
        ),
    ]
    built, _ = pandera_schema(targets, {phone: phone_checks})
    return built


_DATE_FORMATS = ("DD/MM/YYYY", "YYYY-MM-DD", "DD-MM-YYYY", "MM/DD/YYYY", "DD.MM.YYYY")


def infer(frame: pl.DataFrame, skip: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """Rules a frame of text columns already satisfies, as a starting point for a person.

    Dates (and their format), times, integers, decimals, emails, enums of few values, and
    ``required`` where no value is empty.

    >>> infer(pl.DataFrame({"Due": ["20/10/2026", "01/11/2026"], "Plan": ["a", "a"]}))
    {'Due': {'required': True, 'type': 'date', 'format': 'DD/MM/YYYY'}, 'Plan': {'required': True}}
    """
    inferred: dict[str, dict[str, Any]] = {}
    for column in frame.columns:
        if column in skip or not column.strip():
            continue
        values = frame[column].cast(pl.String).fill_null("")
        filled = values.filter(values.str.strip_chars() != "")
        spec: dict[str, Any] = {}
        if filled.len() == values.len() and values.len():
            spec["required"] = True
        if filled.len():
            spec.update(_infer_type(filled))
        inferred[column.strip()] = spec
    return inferred


def _infer_type(filled: pl.Series) -> dict[str, Any]:
    def all_pass(rule: Rule) -> bool:
        _, _, passes = next(c for c in checks(rule, pl.col("v")) if c[0] != "rule_required")
        return bool(pl.DataFrame({"v": filled}).select(passes.all()).item())

    for fmt in _DATE_FORMATS:
        if all_pass(Rule("v", type="date", format=fmt)):
            return {"type": "date", "format": fmt}
    for kind in ("integer", "decimal", "email"):
        if all_pass(Rule("v", type=kind)):
            return {"type": kind}
    if all_pass(Rule("v", type="time", format="HH:mm")):
        return {"type": "time", "format": "HH:mm"}
    distinct = filled.unique().sort()
    if 1 < distinct.len() <= 10 and distinct.len() * 2 <= filled.len():
        return {"type": "enum", "values": distinct.to_list()}
    return _infer_id(filled)


def _literal(text: str) -> str:
    """``text`` as a regex matching itself, escaping only what a regex would read otherwise
    (``re.escape`` also escapes ``-`` and spaces, which makes rule files hard to read)."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", text)


def _infer_id(filled: pl.Series) -> dict[str, Any]:
    """A column of ids (``POL-1001``, ``INV/2026/0042``): every value the same text around its
    digits. Its pattern, with the digit runs' widths where they never vary, and ``unique`` when
    no id repeats (only for such columns: names and amounts may all differ by chance).

    >>> _infer_id(pl.Series(["POL-1001", "POL-1002", "POL-1003"]))
    {'type': 'regex', 'pattern': 'POL-[0-9]{4}', 'unique': True}
    >>> _infer_id(pl.Series(["Asha", "Ravi"]))
    {}
    """
    skeletons = filled.str.replace_all(r"[0-9]+", "\x00").unique()
    if skeletons.len() != 1 or filled.len() < 2:
        return {}
    literal = skeletons.item().split("\x00")
    if len(literal) < 2 or not "".join(literal).strip():
        return {}
    widths = filled.str.extract_all(r"[0-9]+").list.eval(pl.element().str.len_chars())
    digits = []
    for i in range(len(literal) - 1):
        width = widths.list.get(i).unique()
        digits.append(f"[0-9]{{{width.item()}}}" if width.len() == 1 else "[0-9]+")
    pattern = _literal(literal[0]) + "".join(
        d + _literal(text) for d, text in zip(digits, literal[1:], strict=True)
    )
    spec: dict[str, Any] = {"type": "regex", "pattern": pattern}
    if filled.n_unique() == filled.len():
        spec["unique"] = True
    return spec


def to_toml(inferred: Mapping[str, Mapping[str, Any]], source: str) -> str:
    """A rule file for :func:`infer`'s result, with a header saying where it came from.

    >>> print(to_toml({"Plan": {"type": "enum", "values": ["a", "b"]}}, "x.csv"), end="")
    # Column rules inferred from x.csv by `csvprep rules init`: a start, for a person to edit.
    <BLANKLINE>
    [columns."Plan"]
    type = "enum"
    values = ["a", "b"]
    """
    lines = [
        f"# Column rules inferred from {source} by `csvprep rules init`: a start, "
        "for a person to edit."
    ]
    for column, spec in inferred.items():
        lines += ["", f"[columns.{json.dumps(column, ensure_ascii=False)}]"]
        for key, value in spec.items():
            text = json.dumps(value, ensure_ascii=False)
            lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def init(source: Any, variables_map: Mapping[str, str] | str | Path | None = None) -> str:
    """A starting rule file (TOML text) for a contact list, inferred from its values.

    The phone column is left out: csvprep always checks it.

    >>> print(init("fixtures/valid_contacts.csv").splitlines()[2:5])
    ['[columns."Name"]', 'required = true', '']
    """
    table = read_table(source)
    mapping = load_variables_map(variables_map) if variables_map is not None else None
    plan = plan_columns(table.headers, mapping)
    rows = table.frame.filter(pl.col(DEFECT).is_null())
    seen: set[str] = set()
    columns = {}
    for i, header in enumerate(table.headers):
        name = header.strip()
        if i == plan.phone_index or not name or name in seen:
            continue
        seen.add(name)
        columns[name] = rows[column_name(i)]
    return to_toml(infer(pl.DataFrame(columns)), table.name)
