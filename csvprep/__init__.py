"""csvprep: get contact lists ready for Ringg AI voice-calling campaigns.

>>> import csvprep
>>> report = csvprep.validate("fixtures/valid_contacts.csv")
>>> report.rows.valid > 0, report.route
(True, 'standard')

The public names load on first use, so that ``csvprep validate`` in a pre-commit hook pays only
for the modules it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from .errors import (
    ConfigError,
    CsvprepError,
    InputError,
    OutputError,
    RejectedRowsError,
    UsageError,
)

if TYPE_CHECKING:
    from .checks.calling_hours import CallWindow
    from .checks.rules import RuleSet, load_rules, schema
    from .outputs.preparing import PrepareResult, prepare
    from .outputs.splitting import SplitResult, split
    from .pipeline.validation import Checked, check, validate
    from .problems import CODES, Problem
    from .report import Report, RowCounts
    from .routing import LARGE_CAMPAIGN_ROWS, route_for

__version__ = "0.1.0"

_LAZY = {
    "CODES": "problems",
    "LARGE_CAMPAIGN_ROWS": "routing",
    "CallWindow": "checks.calling_hours",
    "Checked": "pipeline.validation",
    "PrepareResult": "outputs.preparing",
    "Problem": "problems",
    "Report": "report",
    "RowCounts": "report",
    "RuleSet": "checks.rules",
    "SplitResult": "outputs.splitting",
    "check": "pipeline.validation",
    "load_rules": "checks.rules",
    "prepare": "outputs.preparing",
    "route_for": "routing",
    "schema": "checks.rules",
    "split": "outputs.splitting",
    "validate": "pipeline.validation",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "CODES",
    "LARGE_CAMPAIGN_ROWS",
    "CallWindow",
    "Checked",
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
