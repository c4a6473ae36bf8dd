"""libphonenumber's parse, validate and format, as Polars expressions, for the common shapes.

Calling libphonenumber once per value costs about 20 microseconds; a million-row list would
take 20 seconds. This module reproduces, column-wise, exactly the steps ``phonenumbers.parse``,
``is_valid_number``, ``number_type`` and ``format_number(E164)`` take for values made of ASCII
(or Devanagari, Arabic-Indic, full-width) digits with spaces, hyphens, dots and parentheses, an
optional leading ``+`` or the region's international prefix, an optional leading label such as
``tel:`` or ``Mob:`` and an optional ``ext. 123``. The tables (country codes, international and
national prefixes, possible lengths, type patterns, leading digits) are read at run time from
the installed ``phonenumbers`` metadata, so the answers follow the library's own release.

Whatever this module cannot decide exactly (another shape, a parse error, a national-prefix
transform rule, a non-geographic calling code) it leaves undecided, and
:mod:`csvprep.phones` asks libphonenumber itself, once per distinct value. A differential test
holds the two to zero disagreements.

Parsing up to the country code is one lazy query over every value. The rows of the home
region's calling code, nearly all of a real list, are then answered in one more query with that
region's patterns; the rows of other calling codes in groups by code (and, where a code is
shared, by region), then put back in place. Every regex is a plain per-region pattern, so the
cost grows with the rows, not with the number of regions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import polars as pl

from .metadata import (
    CLEAN,
    CODE,
    COUNTRY,
    DECIDED,
    E164,
    EXTENSION,
    MAX_INPUT_STRING_LENGTH,
    MAX_LENGTH_FOR_NSN,
    MESSAGE,
    MIN_LENGTH_FOR_NSN,
    SHAPED_DIGITS,
    SHAPED_PLUS,
    TYPE,
    Desc,
    Frame,
    Region,
    code_prefixes,
    country_codes,
    first_case,
    length_result,
    message,
    region,
    scatter,
    shapes,
    type_of,
)

_DIGITS = "__digits"
_PLUS = "__plus"
_CC = "__cc"
_NATIONAL = "__national"
_META = "__meta"
_REGION = "__region"
_UNDECIDED = "__undecided"
_INDEX = "__index"

_LENGTH_FAILS_STRIP = ("too_short", "local_only", "invalid_length")


def _full(pattern: str) -> str:
    return _ascii(f"^(?:{pattern})$")


def _ascii(pattern: str) -> str:
    """Metadata patterns with ASCII classes: Rust's ``\\d`` is Unicode-aware, which makes large
    patterns slow to compile and run. Safe because the path admits only ASCII digits."""
    return f"(?-u){pattern}"


def _matches(number: pl.Expr, desc: Desc | None) -> pl.Expr:
    """``_match_national_number(number, desc, False)``: a full match of the pattern.

    A null ``number`` (a row the step does not concern) is False, and costs no regex work:
    callers null out the rows they do not need, since Polars evaluates every branch of a
    when/then on every row.
    """
    if desc is None or not desc.pattern:
        return pl.lit(False)
    return number.str.contains(_full(desc.pattern)).fill_null(False)


def _matches_desc(number: pl.Expr, desc: Desc | None) -> pl.Expr:
    """``_is_number_matching_desc``: a possible length, then a full match."""
    if desc is None:
        return pl.lit(False)
    if desc.lengths:
        number = pl.when(number.str.len_bytes().is_in(list(desc.lengths))).then(number)
    return _matches(number, desc)


def _number_type(number: pl.Expr, r: Region) -> pl.Expr:
    """``_number_type_helper`` of ``number``: the type name, or 'unknown'."""
    return type_of([_matches_desc(number, desc) for desc in r.descriptions], r)


def _prefix(number: pl.Expr, pattern: str) -> pl.Expr:
    """The start of ``number`` that ``pattern`` matches, or null. Most prefixes in the
    metadata are plain digits ("0", "00"): those need no regex.

    >>> pl.select(_prefix(pl.lit("0987"), "0"), _prefix(pl.lit("0987"), "0[89]").alias("b")).row(0)
    ('0', '09')
    """
    if pattern.isdigit():
        return pl.when(number.str.starts_with(pattern)).then(pl.lit(pattern))
    return number.str.extract(_ascii(f"^({pattern})"), 1)


def _strip_national_prefix(frame: Frame, src: str, dst: str, r: Region) -> Frame:
    """``_maybe_strip_national_prefix_carrier_code`` of column ``src`` into ``dst``.

    Also sets ``_UNDECIDED`` where the region's transform rule would rewrite the number (left to
    libphonenumber). Null ``src`` rows stay null.
    """
    number = pl.col(src)
    if not r.npfp:
        return frame.with_columns(number.alias(dst), pl.lit(False).alias(_UNDECIDED))
    frame = frame.with_columns(_prefix(number, r.npfp).alias("__np"))
    matched = pl.col("__np").is_not_null()
    if r.transform:
        return frame.with_columns(number.alias(dst), matched.alias(_UNDECIDED)).drop("__np")
    only = pl.when(matched).then(number)
    frame = frame.with_columns(only.str.slice(pl.col("__np").str.len_bytes()).alias("__np_rest"))
    keep = _matches(only, r.general) & ~_matches(pl.col("__np_rest"), r.general)
    return frame.with_columns(
        pl.when(matched & ~keep).then(pl.col("__np_rest")).otherwise(number).alias(dst),
        pl.lit(False).alias(_UNDECIDED),
    ).drop("__np", "__np_rest")


def _with_type(frame: Frame, number: str, r: Region) -> Frame:
    """``TYPE`` of column ``number`` (``_number_type_helper``), one column per description
    first: they are independent, so Polars matches them in parallel."""
    descs = r.descriptions
    flags = [f"__t{i}" for i in range(len(descs))]
    frame = frame.with_columns(
        _matches_desc(pl.col(number), desc).alias(flag)
        for flag, desc in zip(flags, descs, strict=True)
    )
    kind = type_of([pl.col(flag) for flag in flags], r)
    return frame.with_columns(kind.alias(TYPE)).drop(flags)


def _national_prefix(frame: Frame, r: Region) -> Frame:
    """``_NATIONAL`` without the national prefix where parse keeps it off: only when what
    remains has a possible length. Sets ``_UNDECIDED`` where the transform rule applies."""
    frame = _strip_national_prefix(frame, _NATIONAL, "__stripped", r)
    stripped = pl.col("__stripped")
    usable = ~length_result(stripped, r).is_in(list(_LENGTH_FAILS_STRIP))
    national = pl.when(usable).then(stripped).otherwise(pl.col(_NATIONAL))
    n = national.str.len_bytes()
    in_range = (n >= MIN_LENGTH_FOR_NSN) & (n <= MAX_LENGTH_FOR_NSN) & ~pl.col(_UNDECIDED)
    # rows out of range are left to libphonenumber: a null national number is undecided
    return frame.with_columns(pl.when(in_range).then(national).alias(_NATIONAL)).drop(
        "__stripped", _UNDECIDED
    )


def _answers(frame: Frame, main: str, *keep: str) -> Frame:
    """The answer columns from ``_NATIONAL``, ``_CC``, ``TYPE``, ``__length`` (the
    possible-length result by the main region of the calling code, ``main``)."""
    decided = pl.col(_NATIONAL).is_not_null()
    valid = decided & (pl.col(TYPE) != "unknown")
    invalid = decided & ~valid
    length = pl.col("__length")
    return frame.select(
        *keep,
        CLEAN,
        pl.when(valid)
        .then(pl.concat_str(pl.lit("+"), pl.col(_CC).cast(pl.String), pl.col(_NATIONAL)))
        .alias(E164),
        pl.when(valid).then(pl.col(TYPE)).alias(TYPE),
        pl.when(invalid).then(pl.lit("phone_invalid")).alias(CODE),
        message(invalid, lambda result: length == result, pl.col(_CC), main).alias(MESSAGE),
        pl.when(decided).then(valid & pl.col(EXTENSION)).alias(EXTENSION),
        pl.when(valid).then(pl.col(_CC).cast(pl.UInt16)).alias(COUNTRY),
        decided.alias(DECIDED),
    )


def _one_region(frame: Frame, r: Region, *keep: str) -> Frame:
    """Answers for rows whose calling code has one region, ``r``: that region's national
    prefix, type and possible lengths throughout."""
    frame = _national_prefix(frame, r)
    frame = _with_type(frame, _NATIONAL, r)
    frame = frame.with_columns(length_result(pl.col(_NATIONAL), r).alias("__length"))
    return _answers(frame, r.code, *keep)


def _per_partition(
    frame: pl.DataFrame, key: str, step: Callable[[pl.DataFrame, str], pl.DataFrame]
) -> pl.DataFrame:
    """Apply ``step`` to the rows of each value of ``key`` (a region code). Rows come back
    grouped by value: callers carry ``_INDEX`` to put them back."""
    keys = frame[key].unique()
    if keys.len() <= 1:  # the common case, one region: no copy
        return step(frame, str(keys[0]) if keys.len() else "")
    parts = [
        step(part, str(value))
        for (value,), part in frame.partition_by(key, as_dict=True, maintain_order=True).items()
    ]
    return pl.concat(parts, how="vertical_relaxed")


def _shared(frame: pl.DataFrame, cc: int) -> pl.DataFrame:
    """Answers for rows of a calling code several regions share (1, 7, 44...): the national
    prefix by the region parsing used, the region by ``region_code_for_number``, the type by
    that region, the possible lengths by the main region."""
    regions = country_codes()[cc]
    frame = _per_partition(frame, _META, lambda part, code: _national_prefix(part, region(code)))
    national = pl.col(_NATIONAL)
    cases = [(_belongs(national, region(code)), code) for code in regions]
    frame = frame.with_columns(first_case(cases, "").alias(_REGION))

    def classify(part: pl.DataFrame, code: str) -> pl.DataFrame:
        if not code:
            return part.with_columns(pl.lit("unknown").alias(TYPE))
        return _with_type(part, _NATIONAL, region(code))

    frame = _per_partition(frame, _REGION, classify)
    main = region(regions[0])
    frame = frame.with_columns(length_result(national, main).alias("__length"))
    return _answers(frame, main.code, _INDEX)


def _belongs(national: pl.Expr, r: Region) -> pl.Expr:
    """Whether a national number of a shared calling code is ``r``'s, as
    ``region_code_for_number`` tells: by its leading digits, or where it has none, by its number
    patterns."""
    if r.leading_digits:
        return national.str.contains(_ascii(f"^(?:{r.leading_digits})"))
    return _number_type(national, r) != "unknown"


UNKNOWN_REGION = "ZZ"


#: For a calling code several regions share and its national numbers (null for other rows),
#: the region of each number (null: none of them) by a table, or None where no table is at hand.
#: :func:`csvprep.phones.dispatch.region_of` passes the integer engine's tables; this engine
#: knows nothing of them.
Owners = Callable[[int, pl.Expr], pl.Expr | None]


def region_of(
    e164: pl.Expr, country: pl.Expr, codes: list[int], *, owners: Owners | None = None
) -> pl.Expr:
    """``region_code_for_number`` of valid numbers in E.164 (``e164``, with their calling code
    in ``country``), for the calling codes ``codes`` that occur: a code with one region is that
    region ("001" for a non-geographic one); a shared code (1, 7, 44...) is told apart by
    ``owners`` where it has a table for the code, else by each region's leading digits or
    patterns, as ``_shared`` does. Null where ``e164`` is null.

    >>> df = pl.DataFrame({"n": ["+919876543210", "+14165550123", "+12015550123"],
    ...                    "c": [91, 1, 1]})
    >>> df.select(region_of(pl.col("n"), pl.col("c"), [91, 1]).alias("r"))["r"].to_list()
    ['IN', 'CA', 'US']
    """
    table = country_codes()
    # a code of one region: that region, by one gather on the code (codes are under 1000)
    main: list[str | None] = [None] * 1000
    for cc in codes:
        if len(table.get(cc, ())) == 1:
            main[cc] = table[cc][0]
    found = [pl.lit(pl.Series(main, dtype=pl.String)).gather(country)]
    cases: list[tuple[pl.Expr, str]] = []
    for cc in sorted(set(codes)):
        regions = table.get(cc, ())
        if len(regions) <= 1:
            continue
        # only this code's rows reach the patterns: the others are null, and cost no work
        national = pl.when(country == cc).then(e164.str.slice(1 + len(str(cc))))
        # a table at hand (a long list of this code made it): one search for every region
        told = owners(cc, national) if owners is not None else None
        if told is not None:
            found.append(told)
            continue
        for code in regions:
            belongs = _belongs(national, region(code)).fill_null(False)
            cases.append(((country == cc) & belongs, code))
    if cases:
        found.append(first_case(cases, None))
    return pl.when(e164.is_not_null()).then(pl.coalesce(found).fill_null(UNKNOWN_REGION))


def _parse(values: pl.Series, home: Region) -> pl.LazyFrame:
    """Every value's calling code (``_CC``), national number before the national prefix
    (``_NATIONAL``, null where libphonenumber must decide) and the region whose metadata parsing
    reads next (``_META``): ``parse`` up to ``_maybe_extract_country_code``."""
    clean = pl.col(CLEAN)
    plain = pl.col("__plain")
    frame = pl.DataFrame({CLEAN: values.cast(pl.String)}).lazy()
    # plain digits (most values) skip the label, extension and Unicode-digit steps
    frame = frame.with_columns(clean.str.contains(r"^\+?[0-9]+$").fill_null(False).alias("__plain"))
    frame = shapes(frame, "__plain")
    digits = pl.when(plain).then(clean.str.strip_prefix("+")).otherwise(pl.col(SHAPED_DIGITS))
    usable = (clean.str.len_chars() <= MAX_INPUT_STRING_LENGTH) & (digits.str.len_bytes() >= 3)
    frame = frame.with_columns(
        pl.when(usable).then(digits).alias(_DIGITS),
        pl.when(plain).then(clean.str.starts_with("+")).otherwise(pl.col(SHAPED_PLUS)).alias(_PLUS),
    ).drop("__plain", SHAPED_DIGITS, SHAPED_PLUS)

    # -- the country code: after '+', after the home region's international prefix, or the
    #    home region's own code written without '+' (_maybe_extract_country_code) --
    d = pl.col(_DIGITS)
    if home.idd:
        idd = _prefix(pl.when(~pl.col(_PLUS)).then(d), home.idd)
        after = d.str.slice(idd.str.len_bytes())
        by_idd = ~pl.col(_PLUS) & idd.is_not_null() & ~after.str.starts_with("0")
    else:
        after, by_idd = d, pl.lit(False)
    international = pl.when(pl.col(_PLUS)).then(d).when(by_idd).then(after)
    frame = frame.with_columns(international.alias("__intl"))
    intl = pl.col("__intl")
    cc_text = intl.str.slice(0, 3).replace_strict(code_prefixes(), default=None)
    frame = frame.with_columns(cc_text.alias("__cc_text"))
    undecided_intl = intl.is_not_null() & (
        (intl.str.len_bytes() <= MIN_LENGTH_FOR_NSN) | pl.col("__cc_text").is_null()
    )

    home_cc = str(home.country_code)
    own_code = intl.is_null() & d.str.starts_with(home_cc)
    frame = frame.with_columns(pl.when(own_code).then(d.str.slice(len(home_cc))).alias("__pot"))
    frame = _strip_national_prefix(frame, "__pot", "__pot", home)
    own = pl.when(own_code).then(d)
    frame = frame.with_columns(
        (
            own_code
            & (
                (~_matches(own, home.general) & _matches(pl.col("__pot"), home.general))
                | (length_result(own, home) == "too_long")
            )
        ).alias("__without_plus"),
        (undecided_intl | (own_code & pl.col(_UNDECIDED))).alias(_UNDECIDED),
    )
    without_plus = pl.col("__without_plus")
    frame = frame.with_columns(
        pl.when(intl.is_not_null())
        .then(intl.str.slice(pl.col("__cc_text").str.len_bytes()))
        .when(without_plus)
        .then(pl.col("__pot"))
        .otherwise(d)
        .alias(_NATIONAL),
        pl.when(intl.is_not_null())
        .then(pl.col("__cc_text").cast(pl.Int32, strict=False))
        .otherwise(pl.lit(home.country_code))
        .alias(_CC),
    )
    foreign = pl.when(intl.is_not_null() | without_plus).then(pl.col(_CC))
    meta = (
        pl.when(foreign.is_null())
        .then(pl.lit(home.code))
        .otherwise(_main_regions().gather(foreign))
    )
    frame = frame.with_columns(meta.alias(_META))
    meta = pl.col(_META)
    # non-geographic calling codes ("001") have metadata of another kind: left to the library
    decided = ~pl.col(_UNDECIDED) & meta.is_not_null() & (meta != "001")
    return frame.select(
        CLEAN,
        EXTENSION,
        pl.when(decided).then(pl.col(_NATIONAL)).alias(_NATIONAL),
        _CC,
        _META,
    )


@lru_cache(maxsize=1)
def _main_regions() -> pl.Expr:
    """The main region of each calling code, indexed by the code (a gather is far cheaper than
    a lookup by value; codes are at most 3 digits)."""
    main = {c: regions[0] for c, regions in country_codes().items()}
    return pl.lit(pl.Series([main.get(i) for i in range(1000)], dtype=pl.String))


def decide(values: pl.Series, home: Region) -> pl.DataFrame:
    """libphonenumber's answer for every value this engine can decide exactly, in input order,
    with string kernels throughout (the columns of :func:`csvprep.phones.dispatch.decide`, which
    chooses between this engine and the integer one).

    >>> decide(pl.Series(["098765 43210", "abc"]), region("IN"))[DECIDED].to_list()
    [True, False]
    """
    codes = country_codes()
    parsed = _parse(values, home).collect()
    national = pl.col(_NATIONAL)
    # the rows of the home region's calling code, nearly all of a real list, are answered in
    # place, in one query, when that code has one region; the others in groups by code
    if len(codes[home.country_code]) == 1:
        here = pl.col(_CC) == home.country_code
        answers = _one_region(parsed.lazy().with_columns(pl.when(here).then(national)), home)
        elsewhere = ~here & national.is_not_null()
    else:
        answers = _answers(
            parsed.lazy().with_columns(
                pl.lit(None, dtype=pl.String).alias(_NATIONAL),
                pl.lit(None, dtype=pl.String).alias(TYPE),
                pl.lit(None, dtype=pl.String).alias("__length"),
            ),
            "",
        )
        elsewhere = national.is_not_null()
    whole = answers.collect()
    rest = parsed.with_row_index(_INDEX).filter(elsewhere)
    if rest.height == 0:
        return whole
    parts = []
    for (cc,), part in rest.partition_by(_CC, as_dict=True).items():
        regions = codes[int(str(cc))]
        if len(regions) == 1:
            parts.append(_one_region(part.lazy(), region(regions[0]), _INDEX).collect())
        else:
            parts.append(_shared(part, int(str(cc))))
    found = pl.concat(parts)
    return scatter(whole, found[_INDEX], found.drop(_INDEX))
