"""csvprep: get contact lists ready for Ringg AI voice-calling campaigns.

>>> import csvprep
>>> report = csvprep.validate("fixtures/valid_contacts.csv")
>>> report.rows.valid > 0, report.route
(True, 'standard')

The public names load on first use, so that ``csvprep validate`` in a pre-commit hook pays only
for the modules it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    CsvprepError,
    InputError,
    OutputError,
    RejectedRowsError,
    UsageError,
)

if TYPE_CHECKING:
    from .calling_hours import CallWindow
    from .preparing import PrepareResult, prepare
    from .problems import CODES, Problem
    from .report import Report, RowCounts
    from .routing import LARGE_CAMPAIGN_ROWS, route_for
    from .rules import RuleSet, load_rules, schema
    from .splitting import SplitResult, split
    from .validation import check, validate

__version__ = "0.1.0"

_LAZY = {
    "CODES": "problems",
    "LARGE_CAMPAIGN_ROWS": "routing",
    "CallWindow": "calling_hours",
    "PrepareResult": "preparing",
    "Problem": "problems",
    "Report": "report",
    "RowCounts": "report",
    "RuleSet": "rules",
    "SplitResult": "splitting",
    "check": "validation",
    "load_rules": "rules",
    "prepare": "preparing",
    "route_for": "routing",
    "schema": "rules",
    "split": "splitting",
    "validate": "validation",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'csvprep' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "CODES",
    "LARGE_CAMPAIGN_ROWS",
    "CallWindow",
    "ConfigError",
    "CsvprepError",
    "InputError",
    "OutputError",
    "PrepareResult",
    "Problem",
    "RejectedRowsError",
    "Report",
    "RowCounts",
    "RuleSet",
    "SplitResult",
    "UsageError",
    "__version__",
    "check",
    "load_rules",
    "prepare",
    "route_for",
    "schema",
    "split",
    "validate",
]
