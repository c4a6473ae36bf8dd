"""Problems found in the data: typed records with stable codes.

Every check reports what it finds as a :class:`Problem`; codes are stable snake_case words that
scripts can match on. :data:`CODES` is the single registry of them, with the severity and the
one-line fix shown to people. ``schemas/report.schema.json`` enumerates the same codes (a test
keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast

import polars as pl

Severity = Literal["error", "warning", "info"]
#: Every problem code, so that mypy catches a code the registry does not know (the registry
#: below has exactly these keys; a test holds them to each other and to the report schema).
Code = Literal[
    "wrong_cell_count",
    "malformed_quotes",
    "unterminated_quote",
    "nul_byte",
    "value_too_long",
    "empty_row",
    "preamble_line",
    "encoding_stray_byte",
    "encoding_uncertain",
    "header_missing",
    "header_whitespace",
    "header_duplicate",
    "header_blank",
    "empty_column",
    "column_unused",
    "prompt_variable_missing",
    "phone_missing",
    "phone_scientific_notation",
    "phone_unparseable",
    "phone_invalid",
    "phone_not_mobile",
    "phone_extension_dropped",
    "phone_repaired_decimal",
    "phone_repaired_apostrophe",
    "phone_repaired_formula",
    "phone_repaired_invisible",
    "duplicate_number",
    "excluded_number",
    "outside_calling_hours",
    "rule_column_missing",
    "rule_required",
    "rule_type",
    "rule_enum",
    "rule_pattern",
    "rule_length",
    "rule_min",
    "rule_max",
    "rule_unique",
    "value_missing",
]


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class CodeInfo(NamedTuple):
    """What a problem code means: how bad it is and how a person fixes it."""

    severity: Severity
    title: str
    fix: str


CODES: dict[Code, CodeInfo] = {
    # -- structure of the file (the record is set aside whole) --
    "wrong_cell_count": CodeInfo(
        "error",
        "Record has more or fewer cells than the header",
        "Quote values that contain the delimiter, or remove the stray delimiter.",
    ),
    "malformed_quotes": CodeInfo(
        "error",
        "Quotes in the record do not follow CSV rules",
        'Wrap the whole value in quotes and double any quote inside it ("").',
    ),
    "unterminated_quote": CodeInfo(
        "error",
        "A quoted value is never closed; the rest of the file was swallowed",
        "Add the missing closing quote on this record.",
    ),
    "nul_byte": CodeInfo(
        "error",
        "Record contains NUL bytes",
        "Re-export the file; NUL bytes come from a broken or binary export.",
    ),
    "value_too_long": CodeInfo(
        "error",
        "A value is longer than 64 KiB; no contact detail is",
        "Fix the export: such a value is a runaway quote, pasted data or a file in a cell.",
    ),
    "empty_row": CodeInfo(
        "error",
        "Every cell of the row is empty",
        "Delete the empty row (spreadsheets often leave them at the end).",
    ),
    # -- reading (the file's text) --
    "preamble_line": CodeInfo(
        "warning",
        "A title, comment or banner line stands above the header; it is not part of the table",
        "Delete the line, or skip the lines above the header with --skip-rows N.",
    ),
    "encoding_stray_byte": CodeInfo(
        "warning",
        "A byte is not UTF-8 like the rest of the file; read by a legacy code page",
        "Check the value reads right, then save the file as UTF-8 throughout.",
    ),
    "encoding_uncertain": CodeInfo(
        "warning",
        "The file is not UTF-8 and its code page could not be told for sure",
        "Check names read right, or give the encoding with --encoding NAME.",
    ),
    # -- headers (file level: line 1, no row) --
    "header_missing": CodeInfo(
        "error",
        "A header the variables_map needs is not in the file",
        "Rename the column to the mapped header, or fix the variables_map.",
    ),
    "header_whitespace": CodeInfo(
        "error",
        "Header has leading or trailing spaces; the platform matches headers exactly",
        "Remove the spaces from the header (csvprep prepare does this).",
    ),
    "header_duplicate": CodeInfo(
        "error",
        "Two columns have the same header",
        "Rename or remove one of the columns.",
    ),
    "header_blank": CodeInfo(
        "error",
        "A column with values has no header",
        "Give the column a header, or delete it.",
    ),
    "empty_column": CodeInfo(
        "warning",
        "A column has neither a header nor any value",
        "Delete the empty column (often a trailing delimiter from a spreadsheet).",
    ),
    "column_unused": CodeInfo(
        "warning",
        "No variable of the assistant uses this column",
        "Map it in variables_map if the assistant should use it, or drop it.",
    ),
    "prompt_variable_missing": CodeInfo(
        "error",
        "The prompt uses a variable that no column provides",
        "Add the column and map it in variables_map, or change the prompt.",
    ),
    # -- phone numbers --
    "phone_missing": CodeInfo(
        "error",
        "Phone number is empty",
        "Fill in the number or remove the row.",
    ),
    "phone_scientific_notation": CodeInfo(
        "error",
        "Phone number was turned into scientific notation by a spreadsheet; digits are lost",
        "Re-export with the phone column formatted as Text; the lost digits cannot be recovered.",
    ),
    "phone_unparseable": CodeInfo(
        "error",
        "Value is not a phone number",
        "Write the number as digits, ideally in +<country code> form.",
    ),
    "phone_invalid": CodeInfo(
        "error",
        "Phone number is not a valid number",
        "Check the digits and the country code.",
    ),
    "phone_not_mobile": CodeInfo(
        "error",
        "Phone number is not a mobile number (--mobile-only)",
        "Replace it with a mobile number, or drop --mobile-only.",
    ),
    "phone_extension_dropped": CodeInfo(
        "warning",
        "Phone number has an extension, which a call cannot dial",
        "Remove the extension or make sure the assistant can reach the person without it.",
    ),
    "phone_repaired_decimal": CodeInfo(
        "warning",
        "Phone number had a trailing .0 from a spreadsheet; removed",
        "Format the phone column as Text before exporting.",
    ),
    "phone_repaired_apostrophe": CodeInfo(
        "warning",
        "Phone number had a leading apostrophe from a spreadsheet; removed",
        "Remove the apostrophe in the source.",
    ),
    "phone_repaired_formula": CodeInfo(
        "warning",
        'Phone number was written as a spreadsheet text formula (="..."); unwrapped',
        "Export the plain value instead of a formula.",
    ),
    "phone_repaired_invisible": CodeInfo(
        "warning",
        "Phone number held invisible characters (non-breaking or zero-width spaces); removed",
        "Clean the source cell; these characters usually come from copy and paste.",
    ),
    "duplicate_number": CodeInfo(
        "error",
        "The same number appears on an earlier row; it would be called twice",
        "Remove the repeated row (csvprep prepare keeps the first).",
    ),
    "excluded_number": CodeInfo(
        "info",
        "The number is on the suppression list (--exclude)",
        "Nothing to fix: the row is left out of the upload on purpose.",
    ),
    "outside_calling_hours": CodeInfo(
        "warning",
        "The campaign's call window rings this number outside local calling hours",
        "Call this number in a campaign with a window that suits its time zone.",
    ),
    # -- column rules (--rules); a rule with severity = "warning" reports them as warnings --
    "rule_column_missing": CodeInfo(
        "error",
        "A rule names a column or variable the file does not have",
        "Add the column, map the variable, or fix the rule file.",
    ),
    "rule_required": CodeInfo("error", "A required value is empty", "Fill in the value."),
    "rule_type": CodeInfo(
        "error",
        "A value is not of the rule's type (number, date, time, email, URL)",
        "Write the value in the form the rule gives.",
    ),
    "rule_enum": CodeInfo(
        "error", "A value is not one of the allowed values", "Use one of the allowed values."
    ),
    "rule_pattern": CodeInfo(
        "error", "A value does not match the rule's pattern", "Write the value as the pattern says."
    ),
    "rule_length": CodeInfo(
        "error", "A value is too short or too long", "Shorten or complete the value."
    ),
    "rule_min": CodeInfo("error", "A value is below the rule's minimum", "Check the value."),
    "rule_max": CodeInfo("error", "A value is above the rule's maximum", "Check the value."),
    "rule_unique": CodeInfo(
        "error",
        "A value the rule says is unique repeats an earlier row's",
        "Remove or correct the repeated row.",
    ),
    # -- values --
    "value_missing": CodeInfo(
        "warning",
        "A mapped column is empty on this row; the assistant would speak a blank",
        "Fill in the value, or make the prompt cope with its absence.",
    ),
}

#: The registry looked up by a code read back as text (a report's counts, a problem frame's
#: column), where the type cannot say it is a :data:`Code`; an unknown one is a KeyError.
CODE_INFO = cast("Mapping[str, CodeInfo]", CODES)

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

#: The most characters of a value a report shows, in its ``value`` field or quoted in a
#: message: a report is for reading, not a copy of the data.
SHOWN_CHARS = 200


def shown(text: pl.Expr) -> pl.Expr:
    """``text`` as a message quotes it: cut to :data:`SHOWN_CHARS` characters, "…" marking
    the cut.

    >>> import polars as pl
    >>> pl.select(shown(pl.lit("9" * 300))).item()[-3:], pl.select(shown(pl.lit("98"))).item()
    ('99…', '98')
    """
    cut = text.str.slice(0, SHOWN_CHARS) + pl.lit("…")
    return pl.when(text.str.len_chars() > SHOWN_CHARS).then(cut).otherwise(text)


def severity_of(code: Code) -> Severity:
    """The severity of a problem code.

    >>> severity_of("phone_missing")
    'error'
    """
    return CODES[code].severity


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``line`` is the physical line where the record starts (the header is line 1), ``row`` the
    1-based data row; both are ``None`` for problems of the file as a whole.

    >>> Problem(code="phone_missing", message="Phone number is empty", line=3, row=2,
    ...         column="Mobile Number", value="").severity
    'error'
    """

    code: Code
    message: str
    line: int | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    level: Severity | None = None  # a rule's own severity, when it differs from the code's

    @property
    def severity(self) -> Severity:
        return self.level or severity_of(self.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "value": self.value,
            "message": self.message,
        }
