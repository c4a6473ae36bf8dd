"""The built-in value of every setting, in one place.

A setting may come from a flag, from the project configuration (``csvprep.toml`` or
``[tool.csvprep]``) or from a keyword of :func:`csvprep.validate`; when none gives it, the
library and the command line both take it from :data:`DEFAULTS`, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class Settings(NamedTuple):
    """Every setting a list is checked with, at its built-in value unless given.

    >>> DEFAULTS.country_code, DEFAULTS.max_problems, DEFAULTS.max_cells
    ('+91', 1000, 10000000)
    >>> list(DEFAULTS.as_dict())[:3]
    ['variables_map', 'country_code', 'prompt']
    """

    #: The assistant's ``variables_map``; None: the phone column is ``Mobile Number``.
    variables_map: str | Mapping[str, str] | None = None
    #: The region of numbers written without a country code.
    country_code: str = "+91"
    prompt: str | None = None
    mobile_only: bool = False
    #: None: sniffed.
    delimiter: str | None = None
    #: Problems kept in detail (counts always cover every row).
    max_problems: int = 1000
    rules: str | None = None
    strict: bool = False
    #: The most cells a workbook's sheet may span (rows x columns, from A1 to its last cell): a
    #: million rows of ten columns. The reader needs about 100 bytes of memory a cell.
    max_cells: int = 10_000_000
    #: None: the first sheet.
    sheet: str | None = None
    #: A Python codec name; None: detected.
    encoding: str | None = None
    #: Physical lines (sheet rows) above the header to skip; 0: lines that are not part of
    #: the table are found and reported.
    skip_rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The settings by name, in the order above (shallow: values are shared)."""
        return self._asdict()


#: The built-in settings.
DEFAULTS = Settings()

#: Words a delimiter may be given as (a tab is hard to type in a shell or a TOML file).
_DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}


def delimiter_from(value: str | None) -> str | None:
    """A delimiter as given by a flag, the configuration or a caller: a character, or its word.

    >>> delimiter_from("tab"), delimiter_from(";"), delimiter_from(None)
    ('\\t', ';', None)
    """
    if value is None:
        return None
    return _DELIMITER_WORDS.get(value.lower(), value)
