"""csvprep: get contact lists ready for Ringg AI voice-calling campaigns.

>>> import csvprep
>>> report = csvprep.validate("fixtures/valid_contacts.csv")
>>> report.rows.valid > 0, report.route
(True, 'standard')
"""

from .calling_hours import CallWindow
from .errors import ConfigError, CsvprepError, InputError, UsageError
from .preparing import PrepareResult, prepare
from .problems import CODES, Problem
from .report import Report, RowCounts
from .routing import LARGE_CAMPAIGN_ROWS, route_for
from .rules import RuleSet, load_rules, schema
from .splitting import SplitResult, split
from .validation import check, validate

__version__ = "0.1.0"

__all__ = [
    "CODES",
    "LARGE_CAMPAIGN_ROWS",
    "CallWindow",
    "ConfigError",
    "CsvprepError",
    "InputError",
    "PrepareResult",
    "Problem",
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
