"""csvprep: get contact lists ready for Ringg AI voice-calling campaigns.

>>> import csvprep
>>> report = csvprep.validate("fixtures/valid_contacts.csv")
>>> report.rows.valid > 0, report.route
(True, 'standard')
"""

from .errors import ConfigError, CsvprepError, InputError, UsageError
from .problems import CODES, Problem
from .report import Report, RowCounts
from .routing import LARGE_CAMPAIGN_ROWS, route_for
from .validation import check, validate

__version__ = "0.1.0"

__all__ = [
    "CODES",
    "LARGE_CAMPAIGN_ROWS",
    "ConfigError",
    "CsvprepError",
    "InputError",
    "Problem",
    "Report",
    "RowCounts",
    "UsageError",
    "__version__",
    "check",
    "route_for",
    "validate",
]
