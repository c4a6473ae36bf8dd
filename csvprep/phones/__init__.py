"""Phone numbers to E.164, exactly as libphonenumber decides.

Spreadsheet damage is repaired first, each repair a named step reported per row (libphonenumber
would not make these repairs itself, or would make them silently). What remains goes to
libphonenumber once per *distinct* value, and the answers are joined back onto every row.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import phonenumbers
import polars as pl
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from ..errors import UsageError
from ..problems import SHOWN_CHARS, Code, shown
from . import dispatch
from .dispatch import region_of as region_of
from .dispatch import regions as regions

# Output columns added by :func:`normalise` (named once, where the vectorised path makes them).
from .fast import UNKNOWN_REGION
from .metadata import CLEAN as CLEAN
from .metadata import CODE as CODE
from .metadata import COUNTRY as COUNTRY
from .metadata import DECIDED, MAX_INPUT_STRING_LENGTH, scatter, true_at
from .metadata import E164 as E164
from .metadata import EXTENSION as EXTENSION
from .metadata import MESSAGE as MESSAGE
from .metadata import TYPE as TYPE

_INVISIBLE = "[\u00ad\u200b\u200c\u200d\u2060\ufeff]"
_ODD_SPACE = "[\u00a0\u2000-\u200a\u202f\u205f\u3000]"
#: The characters the invisible repair removes or makes a plain space, one by one, to name them.
_UNSEEN = (
    "\u00ad\u200b\u200c\u200d\u2060\ufeff\u00a0"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u202f\u205f\u3000"
)
_FORMULA = r'^="([^"]*)"$'
# exactly what a spreadsheet or pandas writes for a number it held as a float: digits, ".0";
# never more zeros (a dotted national number such as 0301234.0000 keeps its digits)
_DECIMAL = r"^\+?[0-9]+\.0$"
_SCIENTIFIC = r"^\+?[0-9]+(?:[.,][0-9]+)?[eE]\+?[0-9]+$"


def show_unseen(value: pl.Expr) -> pl.Expr:
    """``value`` with each character the invisible repair touches written as its code point,
    so a message does not show two strings that look the same.

    >>> pl.select(show_unseen(pl.lit("+91\u00a081234\u200b5"))).item()
    '+91<U+00A0>81234<U+200B>5'
    """
    for char in _UNSEEN:
        value = value.str.replace_all(char, f"<U+{ord(char):04X}>", literal=True)
    return value


#: Repairs in the order they are applied: problem code -> what the step is.
REPAIRS: dict[Code, str] = {
    "phone_repaired_invisible": "invisible characters removed",
    "phone_repaired_formula": 'spreadsheet ="..." formula unwrapped',
    "phone_repaired_apostrophe": "leading apostrophe removed",
    "phone_repaired_decimal": "trailing .0 removed",
}

TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}

#: Every region a valid number can belong to: ISO 3166-1 codes, ``001`` (non-geographic) and
#: :data:`UNKNOWN_REGION`.
REGION_CODES = frozenset({*phonenumbers.SUPPORTED_REGIONS, "001", UNKNOWN_REGION})

#: Types ``--mobile-only`` accepts. Some regions (the US among them) cannot tell fixed lines
#: from mobiles by number, so libphonenumber's ``fixed_line_or_mobile`` is accepted too.
MOBILE_TYPES = frozenset({"mobile", "fixed_line_or_mobile"})

_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short to be a phone number",
    NumberParseException.TOO_LONG: "too long to be a phone number",
}

_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
}


def region_for(country_code: str) -> str:
    """The default region for numbers written without a country code.

    Accepts a calling code (``+91``, ``91``) or a region (``IN``).

    >>> region_for("+91"), region_for("in"), region_for("1")
    ('IN', 'IN', 'US')
    """
    text = country_code.strip()
    digits = text.removeprefix("+")
    if digits.isdigit():
        region = phonenumbers.region_code_for_country_code(int(digits))
        if region in phonenumbers.SUPPORTED_REGIONS:
            return str(region)
        raise UsageError(f"country code {country_code!r} is not a known calling code")
    if text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    raise UsageError(
        f"country code {country_code!r} is neither a calling code like +91 nor a region like IN"
    )


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class Lookup(NamedTuple):
    """libphonenumber's answer for one value."""

    e164: str | None
    type: str | None
    code: str | None
    message: str | None
    extension: bool
    country_code: int | None = None


@lru_cache(maxsize=65536)
def lookup(value: str, region: str) -> Lookup:
    """Parse, validate and format one value as libphonenumber does.

    >>> lookup("098765 43210", "IN").e164
    '+919876543210'
    >>> lookup("12345", "IN").code
    'phone_invalid'
    """
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException as e:
        why = _PARSE_ERRORS.get(e.error_type, "not a phone number")
        return Lookup(None, None, "phone_unparseable", f"{value!r}: {why}", False)
    if not phonenumbers.is_valid_number(number):
        reason = phonenumbers.is_possible_number_with_reason(number)
        where = phonenumbers.region_code_for_country_code(number.country_code or 0)
        why = _POSSIBLE_REASONS.get(reason, "not a number in use")
        return Lookup(
            None,
            None,
            "phone_invalid",
            f"{value!r}: {why} for +{number.country_code} ({where})",
            False,
        )
    return Lookup(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"),
        None,
        None,
        bool(number.extension),
        number.country_code,
    )


# libphonenumber refuses a longer text before reading it (TOO_LONG): such values are answered
# so here, neither asked nor kept in lookup's cache, and quoted cut
_MAX_ASKED = MAX_INPUT_STRING_LENGTH


def _too_long(value: str) -> Lookup:
    """libphonenumber's answer to a value longer than it reads.

    >>> _too_long("9" * 300).message[-35:]
    "99…': too long to be a phone number"
    """
    start = value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…"
    why = _PARSE_ERRORS[NumberParseException.TOO_LONG]
    return Lookup(None, None, "phone_unparseable", f"{start!r}: {why}", False)


def repaired(values: pl.Series) -> pl.DataFrame:
    """The repaired value (column ``CLEAN``) and one flag column per repair code.

    Step by step, each step a column: an expression chain would be evaluated again for every
    flag that reads it.

    >>> repaired(pl.Series(["'919876543210.0"])).row(0, named=True)[CLEAN]
    '919876543210'
    """
    step = pl.col(CLEAN)
    frame = pl.DataFrame({CLEAN: values}).lazy()
    invisible = step.str.contains(f"{_INVISIBLE}|{_ODD_SPACE}")
    frame = frame.with_columns(invisible.alias("phone_repaired_invisible"))
    # only values that hold such characters pay for replacing them
    odd = pl.when(pl.col("phone_repaired_invisible")).then(step)
    fixed = odd.str.replace_all(_INVISIBLE, "").str.replace_all(_ODD_SPACE, " ")
    frame = frame.with_columns(pl.coalesce(fixed, step).str.strip_chars().alias(CLEAN))
    frame = frame.with_columns(step.str.contains(_FORMULA).alias("phone_repaired_formula"))
    formula = pl.col("phone_repaired_formula")
    unwrapped = pl.when(formula).then(step).str.extract(_FORMULA, 1).str.strip_chars()
    frame = frame.with_columns(pl.coalesce(unwrapped, step).alias(CLEAN))
    frame = frame.with_columns(
        step.str.strip_prefix("'").str.strip_chars().alias(CLEAN),
        step.str.starts_with("'").alias("phone_repaired_apostrophe"),
    )
    frame = frame.with_columns(step.str.contains(_DECIMAL).alias("phone_repaired_decimal"))
    decimal = pl.when(pl.col("phone_repaired_decimal")).then(step).str.replace(r"\.0$", "")
    frame = frame.with_columns(pl.coalesce(decimal, step).alias(CLEAN))
    # nothing left at all: the value is reported empty, not repaired
    invisible = pl.col("phone_repaired_invisible") & (step != "")
    return frame.select(CLEAN, *REPAIRS).with_columns(invisible).collect()


# Printable ASCII with no space at either end, not starting with "'" or "=": no repair would
# change it (the invisible characters and odd spaces are not ASCII, the formula starts with
# '=', the apostrophe is "'", only a decimal ends in '.0'). Labels and grouped digits ("Mob:
# 98765.43210") are such values: they skip the repairs' regexes with Unicode classes
_PLAIN = r"^[!-&(-<>-~](?:[ -~]*[!-~])?$"

_SLICE = 250_000

# Up to this many values (a pre-commit hook's list, say) libphonenumber answers each distinct
# one itself: about 50 us a value, while the vectorised path's first query in a process
# takes 20-30 ms.
_ASKED_ONE_BY_ONE = 256

_VALUE = "__phone_value"
_ANSWER_SCHEMA = {
    E164: pl.String,
    TYPE: pl.String,
    CODE: pl.String,
    MESSAGE: pl.String,
    EXTENSION: pl.Boolean,
    COUNTRY: pl.UInt16,
}


def _repairs(raw: pl.Series, digits: pl.Series) -> pl.DataFrame:
    """The repaired value (``CLEAN``) and repair flags of each value, in order.

    Plain digits, most of any real list, need no repair: only the rest pay for the regexes
    with Unicode classes. ``digits`` marks the values that are digits after an optional '+'
    alone (one cast tells): they are not even matched against :data:`_PLAIN`.
    """
    frame = pl.DataFrame({CLEAN: raw.cast(pl.String)})
    flags = [pl.lit(False).alias(code) for code in REPAIRS]
    whole = frame.with_columns(*flags)
    other = digits.not_()
    others, text = true_at(other), frame[CLEAN].filter(other)
    messy = others.filter(text.str.contains(_PLAIN).not_() | text.str.ends_with(".0"))
    fixed = repaired(frame[CLEAN].gather(messy))
    return scatter(whole, messy, fixed)


def answers_for(values: pl.Series, region: str) -> pl.DataFrame:
    """libphonenumber's answer for each value, in order: decided column-wise where
    :mod:`csvprep.phones.fast` can, by the library itself (once per distinct value) for the
    rest, and for every value of a short list. Empty values get no answer.

    >>> answers_for(pl.Series(["98765 43210", "call me"]), "IN")[E164].to_list()
    ['+919876543210', None]
    """
    if values.len() <= _ASKED_ONE_BY_ONE:
        # a short list costs the library less than the vectorised path's first query
        answers = pl.DataFrame(schema=_ANSWER_SCHEMA).clear(values.len())
        undecided = true_at(values != "")
    else:
        # in slices: the vectorised path's intermediate columns then cost a slice's memory,
        # not the whole list's (every value is decided on its own: slicing changes no answer)
        fast = pl.concat(
            [
                dispatch.decide(values.slice(i, _SLICE), region)
                for i in range(0, max(values.len(), 1), _SLICE)
            ]
        )
        answers = fast.select(list(_ANSWER_SCHEMA))
        undecided = true_at(~fast[DECIDED] & (values != ""))
    rest = values[undecided]
    distinct = rest.unique()
    found = [lookup(v, region) if len(v) <= _MAX_ASKED else _too_long(v) for v in distinct]
    # one row per distinct value, joined back onto every row: building the rows in Python
    # cost more than asking the library when a value repeats (junk such as 'N/A' does)
    known = pl.DataFrame(
        {
            _VALUE: distinct,
            E164: [f.e164 for f in found],
            TYPE: [f.type for f in found],
            CODE: [f.code for f in found],
            MESSAGE: [f.message for f in found],
            EXTENSION: [f.extension for f in found],
            COUNTRY: [f.country_code for f in found],
        },
        schema={_VALUE: pl.String, **_ANSWER_SCHEMA},
    )
    slow = (
        rest.to_frame(_VALUE)
        .join(known, on=_VALUE, how="left", maintain_order="left", nulls_equal=True)
        .drop(_VALUE)
    )
    return scatter(answers, undecided, slow)


def normalise(frame: pl.DataFrame, column: str, region: str) -> pl.DataFrame:
    """Add the repaired value, E.164 form, type and any error of ``column`` to ``frame``.

    Adds ``CLEAN``, ``E164``, ``TYPE``, ``COUNTRY`` (calling code), ``CODE`` (an error code or
    null), ``MESSAGE``, ``EXTENSION`` and one boolean column per repair in :data:`REPAIRS`.
    Rows are kept in order.

    >>> df = normalise(pl.DataFrame({"p": ["98765 43210", ""]}), "p", "IN")
    >>> df[E164].to_list(), df[CODE].to_list()
    (['+919876543210', None], [None, 'phone_missing'])
    """
    # digits after an optional '+' (Polars' cast takes exactly those): no repair, not empty,
    # not scientific notation; only the other values are looked at for those
    digits = frame[column].cast(pl.UInt64, strict=False).is_not_null()
    fixes = _repairs(frame[column], digits)
    others = fixes[CLEAN].filter(digits.not_())
    any_scientific = bool(others.str.contains(_SCIENTIFIC).any())
    any_empty = bool((others == "").any())
    # the columns are rebuilt only when some row needs it (a clean list has none)
    scientific = pl.col(CLEAN).str.contains(_SCIENTIFIC) if any_scientific else pl.lit(False)
    empty = pl.col(CLEAN) == ""
    asked = fixes[CLEAN]
    if any_scientific:
        asked = fixes.select(pl.when(scientific).then(pl.lit("")).otherwise(asked)).to_series()
    answers = answers_for(asked, region)
    result = pl.concat([frame, fixes, answers], how="horizontal").with_columns(
        pl.col(EXTENSION).fill_null(False)
    )
    if any_scientific or any_empty:
        result = result.with_columns(
            pl.when(empty)
            .then(pl.lit("phone_missing"))
            .when(scientific)
            .then(pl.lit("phone_scientific_notation"))
            .otherwise(pl.col(CODE))
            .alias(CODE),
            pl.when(empty)
            .then(pl.lit("no phone number"))
            .when(scientific)
            .then(
                pl.concat_str(
                    shown(pl.col(column)),
                    pl.lit(
                        ": spreadsheet scientific notation; the digits after the first few are lost"
                    ),
                )
            )
            .otherwise(pl.col(MESSAGE))
            .alias(MESSAGE),
        )
    return result


def e164(value: pl.Expr | str, region: str = "IN") -> pl.Expr:
    """A Polars expression: each number in E.164, null where libphonenumber finds no valid
    number. Spreadsheet damage is repaired first, as in ``csvprep validate``. Works in any
    eager or lazy pipeline.

    ``region`` is the default region for numbers without a country code (``IN`` or ``+91``).

    >>> df = pl.DataFrame({"phone": ["098765 43210", "919876543210.0", "12345", None]})
    >>> df.select(e164("phone", region="IN"))["phone"].to_list()
    ['+919876543210', '+919876543210', None, None]
    """
    code = region_for(region)
    expr = pl.col(value) if isinstance(value, str) else value

    def convert(series: pl.Series) -> pl.Series:
        frame = pl.DataFrame({"value": series.cast(pl.String).fill_null("")})
        return normalise(frame, "value", code)[E164].alias(series.name)

    return expr.map_batches(convert, return_dtype=pl.String)
