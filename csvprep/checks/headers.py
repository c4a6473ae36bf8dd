"""Check a file's headers against the assistant's ``variables_map`` and prompt.

The ``variables_map`` maps each assistant variable to the CSV header that feeds it, e.g.
``{"mobile_number": "Mobile Number", "callee_name": "Name"}``. Without one, the phone column is
``Mobile Number`` and every other header is taken as a variable name.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from ..errors import ConfigError
from ..problems import Code, Problem
from ..suggest import Nearest

PHONE_VARIABLE = "mobile_number"
DEFAULT_PHONE_HEADER = "Mobile Number"
_PLACEHOLDER = re.compile(r"@\{\{\s*([^{}\s]+?)\s*\}\}")


def load_variables_map(value: str | Path | Mapping[str, str]) -> dict[str, str]:
    """Parse a ``variables_map`` given inline as JSON, as a path to a JSON file, or as a dict.

    >>> load_variables_map('{"mobile_number": "Mobile Number", "callee_name": "Name"}')
    {'mobile_number': 'Mobile Number', 'callee_name': 'Name'}
    """
    source = "variables_map"
    if isinstance(value, Mapping):
        parsed: object = dict(value)
    else:
        text = str(value)
        if isinstance(value, Path) or not text.lstrip().startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise ConfigError(
                    f"variables_map: {text!r} is neither a JSON object nor a file that exists"
                )
            source = str(path)
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                raise ConfigError(f"{source}: cannot be read as UTF-8 text ({e})") from None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(
                f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
            ) from None
    if not isinstance(parsed, dict):
        raise ConfigError(f"{source}: must be a JSON object of variable name to CSV header")
    for key, header in parsed.items():
        if not isinstance(header, str) or not header.strip():
            raise ConfigError(
                f"{source}: variable {key!r} must map to a CSV header (a non-empty string)"
            )
    if PHONE_VARIABLE not in parsed:
        raise ConfigError(
            f"{source}: has no {PHONE_VARIABLE!r} entry; add e.g. "
            f'"{PHONE_VARIABLE}": "{DEFAULT_PHONE_HEADER}"'
        )
    return {str(k): str(v) for k, v in parsed.items()}


def prompt_variables(prompt: str) -> list[str]:
    """The distinct ``@{{variable}}`` placeholders of a prompt, in order of first use.

    >>> prompt_variables("Hi @{{callee_name}}, policy @{{ policy_id }} is due, @{{callee_name}}")
    ['callee_name', 'policy_id']
    """
    return list(dict.fromkeys(_PLACEHOLDER.findall(prompt)))


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class Prompt(NamedTuple):
    """What an assistant says: its prompt text and the custom variables it declares (fetched
    by ``--agent-id``); each needs a column, and a missing one is reported with its source.

    >>> needs = Prompt("Hi @{{callee_name}}", ("policy_id",)).variables()
    >>> needs["callee_name"], needs["policy_id"]
    ('the prompt uses @{{callee_name}}', "the assistant's custom_variables include 'policy_id'")
    """

    text: str
    custom_variables: tuple[str, ...] = ()

    def variables(self) -> dict[str, str]:
        """Each variable the assistant needs, with where it comes from (the prompt first)."""
        found = {v: f"the prompt uses @{{{{{v}}}}}" for v in prompt_variables(self.text)}
        for v in self.custom_variables:
            found.setdefault(v, f"the assistant's custom_variables include {v!r}")
        return found


class ColumnPlan(NamedTuple):
    """Which column (by position) feeds the phone number and each variable."""

    phone_index: int | None
    phone_header: str
    variables: dict[str, int]
    problems: list[Problem]
    empty_columns: tuple[int, ...] = ()


def plan_columns(
    headers: Sequence[str],
    variables_map: Mapping[str, str] | None,
    prompt: str | Prompt | None = None,
    *,
    header_line: int = 1,
    empty_columns: Sequence[int] = (),
) -> ColumnPlan:
    """Resolve headers against the variables_map and prompt, reporting every header problem.

    A header matches when it equals the mapped header once surrounding spaces are trimmed (the
    spaces themselves are reported), so one typo does not hide every other check.

    >>> plan = plan_columns(["Name", "Mobile Number"], {"mobile_number": "Mobile Number"})
    >>> plan.phone_index, [p.code for p in plan.problems]
    (1, ['column_unused'])
    """
    trimmed = [h.strip() for h in headers]
    problems: list[Problem] = []

    def problem(code: Code, message: str, column: str | None, value: str | None = None) -> None:
        problems.append(Problem(code, message, line=header_line, column=column, value=value))

    empty = set(empty_columns)
    for i, raw in enumerate(headers):
        if not trimmed[i]:
            if i in empty:
                problem("empty_column", f"column {i + 1} has no header and no values", None)
            else:
                problem("header_blank", f"column {i + 1} has values but no header", None, raw)
        elif raw != trimmed[i]:
            problem(
                "header_whitespace",
                f"header {raw!r} has leading or trailing spaces; rename it {trimmed[i]!r}",
                trimmed[i],
                raw,
            )
    counts = Counter(h for h in trimmed if h)
    for header, n in counts.items():
        if n > 1:
            problem("header_duplicate", f"header {header!r} appears {n} times", header, header)

    first_index: dict[str, int] = {}
    for i, h in enumerate(trimmed):
        if h:
            first_index.setdefault(h, i)
    # without a map the phone column is always 'Mobile Number', even if a header is literally
    # 'mobile_number'
    mapping = (
        dict(variables_map)
        if variables_map is not None
        else {h: h for h in first_index if h != DEFAULT_PHONE_HEADER}
        | {PHONE_VARIABLE: DEFAULT_PHONE_HEADER}
    )
    # each header read into words once: a map of many headers the file lacks would otherwise
    # compare every one with every header
    nearest = Nearest(first_index)
    variables: dict[str, int] = {}
    for variable, header in mapping.items():
        index = first_index.get(header.strip())
        if index is not None:
            variables[variable] = index
            continue
        near = nearest(header)
        hint = f"; did you mean {near!r}?" if near is not None else ""
        problem(
            "header_missing",
            f"no column {header!r} (for variable {variable!r}){hint}",
            header,
        )
    if variables_map is not None:
        used = set(variables.values())
        for header, i in first_index.items():
            if i not in used:
                problem(
                    "column_unused",
                    f"column {header!r} is not in the variables_map; it will not be used",
                    header,
                )
    if prompt is not None:
        needed = (Prompt(prompt) if isinstance(prompt, str) else prompt).variables()
        for variable, source in needed.items():
            if variable not in variables:
                why = (
                    "it is not in the variables_map"
                    if variable not in mapping
                    else f"its column {mapping[variable]!r} is missing"
                )
                problem("prompt_variable_missing", f"{source} but {why}", None, variable)
    return ColumnPlan(
        phone_index=variables.get(PHONE_VARIABLE),
        phone_header=mapping[PHONE_VARIABLE],
        variables=variables,
        problems=problems,
        empty_columns=tuple(sorted(empty)),
    )
