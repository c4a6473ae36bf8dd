"""The result of validating one contact list, and its JSON form.

The JSON is documented by ``schemas/report.schema.json``; a test checks real output against it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..problems import CODE_INFO, SEVERITY_ORDER, Problem
from ..routing import Route
from ..settings import DEFAULTS

REPORT_VERSION = 1


@dataclass(frozen=True)
class RowCounts:
    """How the data rows split: ``total == valid + invalid + duplicate + excluded``, always.

    ``excluded`` counts rows left out by a suppression list (``exclude``), 0 without one.
    """

    total: int
    valid: int
    invalid: int
    duplicate: int
    excluded: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "valid": self.valid,
            "invalid": self.invalid,
            "duplicate": self.duplicate,
            "excluded": self.excluded,
        }


def _ranked(counts: dict[str, int]) -> dict[str, int]:
    """Largest first, then by name: the order people read a breakdown in."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class Breakdown:
    """Where the numbers and the problems are: valid numbers by region (ISO 3166-1 code,
    ``001`` non-geographic) and by number type, and problems (every one, not just the kept
    details) by column header. Each mapping is largest first.

    >>> Breakdown(countries={"US": 1, "IN": 3}).to_dict()["countries"]
    {'IN': 3, 'US': 1}
    """

    countries: dict[str, int] = field(default_factory=dict)
    number_types: dict[str, int] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {
            "countries": _ranked(self.countries),
            "number_types": _ranked(self.number_types),
            "columns": _ranked(self.columns),
        }


@dataclass(frozen=True)
class Report:
    """Everything ``csvprep validate`` found in one file.

    ``problems`` holds the details of the first ``max_problems`` problems (file-level ones
    first, then by row); ``problem_counts`` counts every problem of every row, by code.

    >>> r = Report(file="a.csv", encoding="utf-8", delimiter=",", line_ending="LF",
    ...            region="IN", columns=("Mobile Number",), phone_column="Mobile Number",
    ...            rows=RowCounts(1, 1, 0, 0), route="standard")
    >>> r.exit_code(), r.ok
    (0, True)
    """

    file: str
    encoding: str | None
    delimiter: str | None
    line_ending: str | None
    region: str
    columns: tuple[str, ...]
    phone_column: str
    rows: RowCounts
    route: Route
    problems: tuple[Problem, ...] = ()
    problem_counts: dict[str, int] = field(default_factory=dict)
    max_problems: int = DEFAULTS.max_problems
    notes: tuple[str, ...] = ()
    #: Of ``problem_counts``, how many of each code a rule reported as warnings instead.
    warning_counts: dict[str, int] = field(default_factory=dict)
    breakdown: Breakdown = field(default_factory=Breakdown)

    @property
    def truncated(self) -> bool:
        """True when more problems were found than ``problems`` holds."""
        return sum(self.problem_counts.values()) > len(self.problems)

    def count(self, severity: str) -> int:
        """How many problems of ``severity`` were found (all rows, not just the kept details)."""
        return sum(n for c, s, n in self._tallies() if s == severity)

    def _tallies(self) -> list[tuple[str, str, int]]:
        """(code, severity, count) for every code found, a rule's warnings apart."""
        out: list[tuple[str, str, int]] = []
        for code, n in self.problem_counts.items():
            demoted = self.warning_counts.get(code, 0)
            if n - demoted:
                out.append((code, CODE_INFO[code].severity, n - demoted))
            if demoted:
                out.append((code, "warning", demoted))
        return out

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return self.count("error") == 0

    def exit_code(self, strict: bool = False) -> int:
        """0 when the file is fit to upload, 1 when it has errors (or warnings, if strict)."""
        if not self.ok or (strict and self.count("warning")):
            return 1
        return 0

    def summary(self) -> list[dict[str, Any]]:
        """One entry per problem code (and severity) found, worst first: code, severity, count,
        title, fix."""
        tallies = sorted(self._tallies(), key=lambda t: (SEVERITY_ORDER[t[1]], t[0]))
        return [
            {
                "code": c,
                "severity": s,
                "count": n,
                "title": CODE_INFO[c].title,
                "fix": CODE_INFO[c].fix,
            }
            for c, s, n in tallies
        ]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (see ``schemas/report.schema.json``)."""
        return {
            "version": REPORT_VERSION,
            "file": self.file,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "line_ending": self.line_ending,
            "country": self.region,
            "columns": list(self.columns),
            "phone_column": self.phone_column,
            "rows": self.rows.to_dict(),
            "route": self.route,
            "ok": self.ok,
            "counts": {s: self.count(s) for s in ("error", "warning", "info")},
            "summary": self.summary(),
            "problems": [p.to_dict() for p in self.problems],
            "problems_truncated": self.truncated,
            "max_problems": self.max_problems,
            "notes": list(self.notes),
            "breakdown": self.breakdown.to_dict(),
        }


def render_json(reports: Sequence[Report]) -> str:
    """JSON for machines: one report object, or an array when there are several.

    >>> r = Report("a.csv", "utf-8", ",", "LF", "IN", ("Mobile Number",), "Mobile Number",
    ...            RowCounts(1, 1, 0, 0), "standard")
    >>> import json; json.loads(render_json([r]))["route"]
    'standard'
    """
    data = [r.to_dict() for r in reports]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False) + "\n"
