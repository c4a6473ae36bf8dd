"""What both phone engines decide from: libphonenumber's metadata and the shared vocabulary.

:mod:`csvprep.phones.fast` (string kernels, any value) and :mod:`csvprep.phones.numeric`
(integer kernels, the home region's plain numbers) give the same answers by construction: both
read the same region tables (:func:`region`, :func:`country_codes`, :func:`code_prefixes`),
write the same answer columns (``CLEAN`` ... ``DECIDED``) and word them with the same
expressions (:func:`type_of`, :func:`length_result`, :func:`message`, :func:`e164_text`). Those
live here, below both engines, so that neither imports the other; the integer engine's cached
tables are derived from this module, :mod:`csvprep.phones.ranges` and its own code only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache, lru_cache
from typing import NamedTuple, TypeVar

import polars as pl
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from polars.expr.whenthen import ChainedThen, Then

# libphonenumber's constants (phonenumberutil.py); asserted against the library in the tests.
MIN_LENGTH_FOR_NSN = 2
MAX_LENGTH_FOR_NSN = 17
MAX_INPUT_STRING_LENGTH = 250

# Columns of the answer frame, which :mod:`csvprep.phones` adds to a table.
CLEAN = "__phone_clean"
E164 = "__phone_e164"
TYPE = "__phone_type"
CODE = "__phone_code"
MESSAGE = "__phone_message"
EXTENSION = "__phone_extension"
COUNTRY = "__phone_country_code"
SHAPED_DIGITS = "__shaped_digits"
SHAPED_PLUS = "__shaped_plus"
DECIDED = "__phone_decided"

# Decimal digits other scripts use in real exports; libphonenumber reads any Unicode digit the
# same as its ASCII twin.
_OTHER_DIGITS = {
    chr(base + i): str(i)
    for base in (0x0966, 0x0660, 0x06F0, 0xFF10, 0x09E6, 0x0AE6, 0x0BE6, 0x0C66, 0x0CE6)
    for i in range(10)
}
# A label before the number ("tel:", "Mob: ", "Ph-"): libphonenumber skips everything before
# the first '+' or digit.
LABEL = r"^[A-Za-z][A-Za-z .:\-]*"
#: The number itself: optional '(' and '+', digits separated by one or two spaces, hyphens,
#: dots, slashes or parentheses, ending in a digit. All are libphonenumber's punctuation, which
#: it drops (a slash ends the number only before an 'x').
SHAPE = r"^\(?\+?[0-9](?:[0-9]|[ .\-/()]{1,2}[0-9])*$"
# An extension libphonenumber's extension pattern takes as such (its 'ext'/'x' forms).
_EXTENSION = r"^(.*[0-9])[ ]*(?:ext|extn|x)\.?[ ]*[0-9]{1,9}$"

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

_TYPE_ORDER = (
    ("premium_rate", "premium_rate"),
    ("toll_free", "toll_free"),
    ("shared_cost", "shared_cost"),
    ("voip", "voip"),
    ("personal_number", "personal_number"),
    ("pager", "pager"),
    ("uan", "uan"),
    ("voicemail", "voicemail"),
)

_REASONS = {
    "too_short": "too short",
    "too_long": "too long",
    "invalid_length": "wrong number of digits",
}


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class Desc(NamedTuple):
    """One ``PhoneNumberDesc``: its pattern and possible lengths."""

    pattern: str | None
    lengths: tuple[int, ...]
    local: tuple[int, ...]


class Region(NamedTuple):
    """The metadata of one region that parsing and validation read."""

    code: str
    country_code: int
    idd: str | None
    npfp: str | None
    transform: bool
    general: Desc
    types: tuple[tuple[str, Desc | None], ...]
    fixed_line: Desc | None
    mobile: Desc | None
    same_mobile_and_fixed: bool
    leading_digits: str | None

    @property
    def descriptions(self) -> list[Desc | None]:
        """The general description, each type's, fixed line and mobile: the order
        ``_number_type_helper`` reads them in."""
        return [self.general, *(desc for _, desc in self.types), self.fixed_line, self.mobile]


def _desc(d: object) -> Desc | None:
    if d is None:
        return None
    return Desc(
        getattr(d, "national_number_pattern", None) or None,
        tuple(getattr(d, "possible_length", ()) or ()),
        tuple(getattr(d, "possible_length_local_only", ()) or ()),
    )


@cache
def region(code: str) -> Region:
    """The tables of one region, read once from the installed ``phonenumbers``."""
    m = PhoneMetadata.metadata_for_region(code)
    assert m is not None, code
    general = _desc(m.general_desc)
    assert (
        general is not None
        and general.lengths
        and general.lengths == tuple(sorted(general.lengths))
    ), f"{code}: general possible lengths must be present and sorted"
    return Region(
        code=code,
        country_code=int(m.country_code or 0),
        idd=m.international_prefix or None,
        npfp=m.national_prefix_for_parsing or None,
        transform=bool(m.national_prefix_transform_rule),
        general=general,
        types=tuple((name, _desc(getattr(m, attr))) for name, attr in _TYPE_ORDER),
        fixed_line=_desc(m.fixed_line),
        mobile=_desc(m.mobile),
        same_mobile_and_fixed=bool(m.same_mobile_and_fixed_line_pattern),
        leading_digits=m.leading_digits or None,
    )


@lru_cache(maxsize=1)
def country_codes() -> dict[int, tuple[str, ...]]:
    """Calling code to its regions, in libphonenumber's order (the main region first)."""
    codes = {int(k): tuple(v) for k, v in COUNTRY_CODE_TO_REGION_CODE.items()}
    texts = sorted(str(c) for c in codes)
    # country codes are prefix-free and 1-3 digits: the first prefix that is a code is the code.
    # A text that starts another starts the next one in sorted order: checking neighbours is
    # enough (every pair took 46k comparisons, 10 ms of each run's start)
    assert all(1 <= len(t) <= 3 for t in texts)
    assert not any(b.startswith(a) for a, b in itertools.pairwise(texts))
    return codes


def first_case(cases: list[tuple[pl.Expr, str]], otherwise: str | None) -> pl.Expr:
    """The value of the first case whose condition holds (a when/then chain, built from a list).

    >>> pl.select(first_case([(pl.lit(False), "a"), (pl.lit(True), "b")], "c")).item()
    'b'
    """
    # one chain, not a coalesce of one when/then per case: that makes a column per case and
    # costs four times as much
    (cond, value), *rest = cases
    chain: Then | ChainedThen = pl.when(cond).then(pl.lit(value))
    for cond, value in rest:
        chain = chain.when(cond).then(pl.lit(value))
    return chain.otherwise(pl.lit(otherwise, dtype=pl.String))


def type_of(matches: list[pl.Expr], r: Region) -> pl.Expr:
    """``_number_type_helper``: the type name ('unknown' if none) from whether the number
    matches each of ``r.descriptions`` (a possible length, then the pattern), in that order.

    >>> r = region("IN")
    >>> pl.select(type_of([pl.lit(i in (0, 9)) for i in range(11)], r)).item()
    'fixed_line'
    """
    general, *types, fixed, mobile = matches
    cases = [(~general, "unknown")]
    cases += [(found, name) for found, (name, _) in zip(types, r.types, strict=True)]
    if r.same_mobile_and_fixed:
        cases.append((fixed, "fixed_line_or_mobile"))
    else:
        cases += [
            (fixed & mobile, "fixed_line_or_mobile"),
            (fixed, "fixed_line"),
            (mobile, "mobile"),
        ]
    return first_case(cases, "unknown")


# Lengths 0 to this are looked up; every region's longest possible length is shorter, so a
# longer number is too long as this one is.
_LONGEST_LOOKED_UP = 19


@cache
def length_results(r: Region) -> tuple[str, ...]:
    """``_test_number_length`` for the general description, of a national number of each
    length from 0 to 19.

    >>> length_results(region("IN"))[5:9]
    ('too_short', 'local_only', 'local_only', 'possible')
    """
    lengths, local = r.general.lengths, r.general.local
    assert lengths[-1] < _LONGEST_LOOKED_UP, r.code

    def result(n: int) -> str:
        if n in local:
            return "local_only"
        if n == lengths[0]:
            return "possible"
        if n < lengths[0]:
            return "too_short"
        if n > lengths[-1]:
            return "too_long"
        return "possible" if n in lengths[1:] else "invalid_length"

    return tuple(result(n) for n in range(_LONGEST_LOOKED_UP + 1))


def length_result(number: pl.Expr, r: Region) -> pl.Expr:
    """``_test_number_length(number, metadata)`` for the general description (a null
    number: ``invalid_length``, where libphonenumber's chain of cases ends)."""
    n = number.str.len_bytes()
    found = pl.lit(pl.Series(length_results(r))).gather(n.clip(0, _LONGEST_LOOKED_UP))
    return pl.when(n.is_not_null()).then(found).otherwise(pl.lit("invalid_length"))


def message(
    invalid: pl.Expr,
    length_is: Callable[[str], pl.Expr],
    calling_code: pl.Expr,
    main: str | pl.Expr,
) -> pl.Expr:
    """The message of each ``invalid`` row (null for the others): its value, why, by the
    possible-length result (``length_is(result)`` holds where the number's is ``result``),
    and the calling code and ``main`` region it was read for (one for all, or each row's)."""
    reasons = [(length_is(result), words) for result, words in _REASONS.items()]
    # concat_str, not pl.format: format panics on a column with an empty chunk (polars 2.1),
    # which filtering can leave. Null for all but invalid rows, whose value is its first part:
    # building every row's message and masking it cost more than the rest.
    return pl.concat_str(
        pl.lit("'"),
        pl.when(invalid).then(pl.col(CLEAN)),
        pl.lit("': "),
        first_case(reasons, "not a number in use"),
        pl.lit(" for +"),
        calling_code.cast(pl.String),
        pl.lit(f" ({main})")
        if isinstance(main, str)
        else pl.concat_str(pl.lit(" ("), main, pl.lit(")")),
    )


def shapes(frame: Frame, plain: str) -> Frame:
    """For the rows that are not ``plain`` (a Boolean column: digits with an optional ``+``),
    what libphonenumber reads of the value: ``SHAPED_DIGITS`` (its digits, null unless the
    value has a shape this module decides), ``SHAPED_PLUS`` (it starts with ``+``) and, for
    every row, ``EXTENSION``.

    >>> f = pl.DataFrame({CLEAN: ["Mob: +91 98765-43210 ext. 5"], "p": [False]})
    >>> shapes(f, "p").select(SHAPED_DIGITS, SHAPED_PLUS, EXTENSION).row(0)
    ('919876543210', True, True)
    """
    clean = pl.col(CLEAN)
    other = ~pl.col(plain)
    frame = frame.with_columns(
        pl.when(other)
        .then(clean)
        .str.replace_many(_OTHER_DIGITS)
        .str.replace(LABEL, "")
        .alias("__text")
    )
    text = pl.col("__text")
    # a column first, then read: one select works an expression out wherever it is written
    frame = frame.with_columns(text.str.contains(_EXTENSION).fill_null(False).alias(EXTENSION))
    extension = pl.col(EXTENSION)
    frame = frame.with_columns(
        pl.when(extension).then(text.str.extract(_EXTENSION, 1)).otherwise(text).alias("__text")
    )
    shaped = text.str.contains(SHAPE) & ~pl.when(other).then(clean).str.contains(";", literal=True)
    return frame.with_columns(
        pl.when(shaped).then(text.str.replace_all(r"[^0-9]", "")).alias(SHAPED_DIGITS),
        text.str.contains(r"^\(?\+").fill_null(False).alias(SHAPED_PLUS),
    ).drop("__text")


@lru_cache(maxsize=1)
def code_prefixes() -> dict[str, str]:
    """Every string of one to three digits to the calling code it starts with (country codes
    are prefix-free, so there is at most one), for those that start with one."""
    known = {str(c) for c in country_codes()}
    table = {}
    for size in (1, 2, 3):
        for n in range(10**size):
            text = f"{n:0{size}d}"
            found = [text[:k] for k in (1, 2, 3) if text[:k] in known]
            if found:
                table[text] = found[0]
    return table


def e164_text(digits: pl.Expr) -> pl.Expr:
    """The E.164 form of numbers held as integers (country code and national number).

    >>> pl.select(e164_text(pl.lit(919876543210, dtype=pl.UInt64))).item()
    '+919876543210'
    """
    # not pl.format, which panics on a column with an empty chunk (see ``message``)
    return pl.concat_str(pl.lit("+"), digits.cast(pl.String))


def true_at(mask: pl.Series) -> pl.Series:
    """The indices where ``mask`` is true, as ``Series.arg_true`` gives them (a null is not
    true; Polars' index type), but by filtering a range: arg_true branches on every bit, and
    took 1.1 ms for 160k rows of a mixed mask, the range filtered 0.14.

    >>> true_at(pl.Series([True, False, None, True])).to_list()
    [0, 3]
    """
    return pl.arange(0, mask.len(), eager=True, dtype=pl.get_index_type()).filter(mask)


def scatter(whole: pl.DataFrame, at: pl.Series, part: pl.DataFrame) -> pl.DataFrame:
    """``whole`` with the rows at indices ``at`` replaced by ``part``'s (same columns).

    >>> whole = pl.DataFrame({"a": [1, 2, 3]})
    >>> scatter(whole, pl.Series([2]), pl.DataFrame({"a": [9]}))["a"].to_list()
    [1, 2, 9]
    """
    if at.len() == 0:
        return whole
    # a column that is null there and stays null needs no new copy
    changed = [
        c
        for c in part.columns
        if part[c].null_count() < part.height or whole[c].is_null().gather(at).not_().any()
    ]
    return whole.with_columns(whole[c].scatter(at, part[c].cast(whole.schema[c])) for c in changed)
