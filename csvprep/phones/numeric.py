"""The home region's numbers as integers: libphonenumber's answers in a few integer kernels.

Nearly every value of a real list is a number of the list's own country, written as digits.
:mod:`csvprep.phones.fast` answers any value with about thirty string kernels; this module
answers those values with three (the digits read as a ``UInt64``, a leading ``+``, the
length) and integer arithmetic for the rest. A digit string is its length and its digits
left-aligned in 19: a prefix is a division by a constant, the rest of the number a remainder,
and every number pattern of the region together is one binary search over their ranges
(:mod:`csvprep.phones.ranges`). Steps that concern few rows (a national prefix, a calling
code written without '+', messages) run on those rows only.

It follows the steps of ``fast`` exactly, for a region whose calling code is its alone,
whose international and national prefixes are plain digits and which has no national-prefix
transform rule (India and most others). Numbers of other calling codes written with '+' (or
the international prefix) are answered the same way, by a table per calling code
(:func:`code_table`): where several regions share the code, the table also holds which region
each number belongs to, by leading digits or patterns, so that a number is still one search.
The tables of every code a batch holds are searched as one (:class:`_Book`), in one pass.
Every row it does not answer (more than 19 digits, a national-prefix rule it cannot read,
anything unusual) is left to ``fast``; a differential test holds both paths to
libphonenumber.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Sequence
from functools import cache, lru_cache, partial

import phonenumbers
import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from . import cache as on_disk
from . import metadata, ranges
from .metadata import (
    CLEAN,
    CODE,
    COUNTRY,
    DECIDED,
    E164,
    EXTENSION,
    LABEL,
    MAX_INPUT_STRING_LENGTH,
    MAX_LENGTH_FOR_NSN,
    MESSAGE,
    MIN_LENGTH_FOR_NSN,
    SHAPE,
    SHAPED_DIGITS,
    SHAPED_PLUS,
    TYPE,
    Region,
    code_prefixes,
    country_codes,
    e164_text,
    length_results,
    message,
    region,
    scatter,
    shapes,
    true_at,
    type_of,
)
from .ranges import Language, Unsupported, language

# Every string of at most 19 digits fits a UInt64.
_MAX_DIGITS = 19
# A national number's table key: its length times this, plus its digits left-aligned in 17
# (lengths up to 17).
_KEY_STEP = 10**MAX_LENGTH_FOR_NSN

#: Type names by index; a label is ``index << 1 | general`` (general: the region's general
#: pattern matches the whole number).
TYPE_NAMES = (
    "unknown",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line_or_mobile",
    "fixed_line",
    "mobile",
)
_TYPE_NAMES = pl.Series(TYPE_NAMES)
_LENGTH_RESULTS = ("possible", "local_only", "too_short", "too_long", "invalid_length")

# A digit string is its length and its digits left-aligned in 19 (value * 10**(19 - length)):
# taking digits off the front is then a division by a constant, not by a power per row.
_N, _W = "__n", "__w"
_NN, _NW = "__nn", "__nw"  # the same of the national number
_PLUS = "__plus"
_POWERS = pl.Series([10**i for i in range(_MAX_DIGITS + 1)], dtype=pl.UInt64)
# What a value of metadata.SHAPE holds besides its digits.
_PUNCTUATION = ["+", " ", ".", "-", "/", "(", ")"]
_OWN = "__own"
_FCC, _FN, _FW = "__fcc", "__fn", "__fw"  # another calling code and its national number
_LANE = "__lane"  # answered here
_NONE = "__none"  # answered by neither path


# compared and hashed as itself (a table is made once and kept): the expressions made of one
# are made once too (``functools.cache``), not on every query. A plain class, not a frozen
# dataclass: made on every start, where a dataclass costs ~1 ms
class Table:
    """A region's number patterns over national numbers of every length: the keys where a
    run of equal labels starts (sorted), and those labels."""

    __slots__ = ("labels", "starts")

    def __init__(self, starts: pl.Series, labels: pl.Series) -> None:
        self.starts = starts
        self.labels = labels


# A book's key: the row's calling code times this, then the table key (under 18 * 10**17).
_CODE_STEP = 10**19


class _Book:
    """Several calling codes' tables as one (their starts as ``Int128``, each code's after
    the code times ``_CODE_STEP``), so that the numbers of every code are answered in one
    pass: a query costs far more to plan than to run on a few rows, and a list with 1% of
    numbers of 13 countries paid 13 plans a batch. Rows name their code in ``_FCC``.

    >>> all(code_table(cc) is not None for cc in (44, 971))  # a book takes tables at hand
    True
    >>> b = _book((44, 971)); b.table.starts.dtype, b.mains.gather([b.slots[971]]).item()
    (Int128, 'AE')
    """

    __slots__ = ("codes", "lengths", "literals", "mains", "slots", "table")

    def __init__(
        self,
        codes: tuple[int, ...],
        table: Table,
        slots: pl.Series,
        lengths: pl.Series,
        mains: pl.Series,
        literals: dict[int, pl.Series],
    ) -> None:
        self.codes = codes
        self.table = table
        self.slots = slots  # a calling code's slot (by code; 0 for a code not in the book)
        self.lengths = lengths  # _length_results of each slot's main region, one after another
        self.mains = mains  # the main region of each slot
        self.literals = literals  # national prefixes of k digits: code * 10**k + prefix


Codes = Region | _Book


@lru_cache(maxsize=64)
def _book(codes: tuple[int, ...]) -> _Book:
    """The :class:`_Book` of calling codes ``codes`` (ascending, each with a
    :func:`code_table` at hand and :func:`foreign_applies`)."""
    found = [code_table(cc, derive=False) for cc in codes]
    tables = [t for t in found if t is not None]
    assert len(tables) == len(codes), codes
    mains = [region(country_codes()[cc][0]) for cc in codes]
    # each code's starts after the code: one query for all (a query a code cost 45 ms for 193)
    sizes = pl.Series([t.starts.len() for t in tables])
    code_of = pl.Series(codes, dtype=pl.Int128).repeat_by(sizes).explode()
    starts = pl.select(
        pl.lit(pl.concat([t.starts for t in tables])).cast(pl.Int128) + pl.lit(code_of) * _CODE_STEP
    ).to_series()
    literals: dict[int, list[int]] = {}
    for cc, main in zip(codes, mains, strict=True):
        for literal in prefixes(main.npfp) or ():
            literals.setdefault(len(literal), []).append(cc * 10 ** len(literal) + int(literal))
    slots = [0] * (max(codes) + 1)
    for i, cc in enumerate(codes):
        slots[cc] = i
    return _Book(
        codes,
        Table(starts, pl.concat([t.labels for t in tables])),
        pl.Series(slots, dtype=pl.UInt32),
        pl.concat([_length_results(r) for r in mains]),
        pl.Series([r.code for r in mains]),
        {k: pl.Series(v, dtype=pl.UInt64) for k, v in literals.items()},
    )


def _carried(codes: Codes) -> list[str]:
    """The columns a step's rows carry beside their own: a book's rows, their calling code
    (``_FCC``), which its lookups need."""
    return [] if isinstance(codes, Region) else [_FCC]


def _p10(k: pl.Expr) -> pl.Expr:
    """10 to the power ``k`` (0 to 19) as a UInt64."""
    return pl.lit(_POWERS).gather(k)


def _head(w: pl.Expr, k: int) -> pl.Expr:
    """The first ``k`` digits of a left-aligned number, as an integer."""
    scale: int = 10 ** (_MAX_DIGITS - k)
    return w // scale


def _drop(w: pl.Expr, k: int) -> pl.Expr:
    """A left-aligned number without its first ``k`` digits, left-aligned."""
    scale: int = 10 ** (_MAX_DIGITS - k)
    shift: int = 10**k
    return w % scale * shift


def _starts(n: pl.Expr, w: pl.Expr, digits: str) -> pl.Expr:
    """The ``n`` digits left-aligned in ``w`` start with ``digits``."""
    return (n >= len(digits)) & (_head(w, len(digits)) == int(digits))


def applies(r: Region) -> bool:
    """This module can answer the numbers of region ``r``.

    >>> applies(region("IN")), applies(region("US"))
    (True, False)
    """
    literal = (r.idd is None or r.idd.isdigit()) and (r.npfp is None or r.npfp.isdigit())
    alone = country_codes().get(r.country_code) == (r.code,)
    return literal and alone and not r.transform and table(r.code) is not None


@cache
def table(code: str) -> Table | None:
    """The label table of region ``code``, or None if a pattern cannot be read as ranges.
    Kept on disk by :mod:`csvprep.phones.cache`: deriving India's takes about 40 ms.

    >>> t = table("IN"); t.starts.len() == t.labels.len() > 1000
    True
    """
    return _kept(f"table-{code}-", lambda: _table(code))


def table_kept(code: str) -> bool:
    """Region ``code``'s table is kept on disk: loading it costs a few milliseconds, not
    the 40 ms or so of deriving it.

    >>> table("IN") is not None and (table_kept("IN") or on_disk.folder() is None)
    True
    """
    return on_disk.has(_kept_name(f"table-{code}-"))


def code_table(cc: int, *, derive: bool = True) -> Table | None:
    """The label table of calling code ``cc`` as a number written with it is parsed (after
    '+' or an international prefix): the main region's national prefix and general pattern,
    then the type by the region the number belongs to (``fast._shared``); a code of one
    region has that region's table. None where a pattern cannot be read as ranges, or where
    the table is neither built nor kept on disk and ``derive`` is False.

    >>> code_table(91).labels.equals(table("IN").labels), code_table(1) is not None
    (True, True)
    """
    if cc in _CODE_TABLES:
        return _CODE_TABLES[cc]
    regions = country_codes()[cc]
    if len(regions) == 1 and derive:
        made = table(regions[0])
    elif len(regions) == 1:
        made = _kept(f"table-{regions[0]}-", None)
    else:
        made = _kept(f"table-cc{cc}-", (lambda: _shared_tables(regions)[0]) if derive else None)
        if made is not None and derive:
            region_table(cc, derive=True)  # made in the same pass: kept for region_of
    if made is not None or derive:
        _CODE_TABLES[cc] = made
    return made


def region_table(cc: int, *, derive: bool = False) -> Table | None:
    """For a calling code several regions share, which region each national number is
    (``region_code_for_number``): labels are 1 + the region's index in ``country_codes()[cc]``,
    0 for none. Made beside :func:`code_table`; None unless built, kept on disk, or ``derive``.

    >>> region_table(1, derive=True).labels.max() == len(country_codes()[1])
    True
    """
    if cc in _REGION_TABLES:
        return _REGION_TABLES[cc]
    regions = country_codes()[cc]
    assert len(regions) > 1, cc
    made = _kept(f"regions-cc{cc}-", (lambda: _shared_tables(regions)[1]) if derive else None)
    if made is not None or derive:
        _REGION_TABLES[cc] = made
    return made


def region_index(national: pl.Expr, t: Table) -> pl.Expr:
    """The label of each national number (digits, at most 17) in a :func:`region_table`."""
    n = national.str.len_bytes().cast(pl.Int64)
    return _label_of(n, _aligned(n, national.cast(pl.UInt64, strict=False)), t)


def region_indices(national: pl.Series, t: Table) -> pl.Series:
    """:func:`region_index` of a column, its steps made columns one after another: in an
    eager query each expression is worked out wherever it is written (the national number
    three times, its length five), which cost twice the search itself.

    >>> t = region_table(1, derive=True)
    >>> names = [None, *country_codes()[1]]
    >>> [names[i] for i in region_indices(pl.Series(["4165550123", "2015550123"]), t)]
    ['CA', 'US']
    """
    n, w = pl.col("__n"), pl.col("__w")
    frame = national.to_frame("__v").select(
        pl.col("__v").str.len_bytes().cast(pl.Int64).alias("__n"),
        pl.col("__v").cast(pl.UInt64, strict=False).alias("__w"),
    )
    frame = frame.select(n, _aligned(n, w).alias("__w"))
    return frame.select(_label_of(n, w, t)).to_series()


def _aligned(n: pl.Expr, digits: pl.Expr) -> pl.Expr:
    """``digits``, a number of ``n`` digits, left-aligned in a UInt64 of :data:`_MAX_DIGITS`."""
    return digits * _p10(_MAX_DIGITS - n.clip(0, _MAX_DIGITS))


# Calling code -> its tables (None: they cannot be made), as built or read in this process.
_CODE_TABLES: dict[int, Table | None] = {}
_REGION_TABLES: dict[int, Table | None] = {}


def _kept(family: str, derive: Callable[[], Table | None] | None) -> Table | None:
    """The table ``derive`` makes, kept on disk under a name that starts with ``family``
    (None: the one on disk, if any)."""
    name = _kept_name(family)
    kept = on_disk.load(name)
    if kept is not None:
        with contextlib.suppress(pl.exceptions.PolarsError, OSError):
            found = pl.read_ipc(io.BytesIO(kept))
            if found.schema == _TABLE_SCHEMA and found["starts"].is_sorted():
                return Table(found["starts"], found["labels"])
        # not an entry this code wrote whole: derive it again
    if derive is None:
        return None
    made = derive()
    if made is not None:
        out = io.BytesIO()
        pl.DataFrame({"starts": made.starts, "labels": made.labels}).write_ipc(out)
        on_disk.store(name, out.getvalue(), replaces=family)
    return made


def _kept_name(family: str) -> str:
    """The name a table of ``family`` is kept under by this release of the metadata."""
    return f"{family}{_table_key()}.arrow"


_TABLE_SCHEMA = pl.Schema({"starts": pl.UInt64(), "labels": pl.UInt8()})


@lru_cache(maxsize=1)
def _table_key() -> str:
    """What a table derives from: the modules that derive it, libphonenumber's metadata."""
    # the string engine is not among them: tables are built from the region metadata, the
    # pattern reader and this module alone, so a change to the string kernels keeps the cache
    modules = [sys.modules[__name__], metadata, ranges]
    return on_disk.key(modules, [phonenumbers.__version__, pl.__version__])


def _table(code: str) -> Table | None:
    """:func:`table`, derived."""
    r = region(code)
    try:
        langs = _languages(r)
    except Unsupported:
        return None
    if langs is None:
        return None
    runs = {n: _runs(langs, n) for n in range(MAX_LENGTH_FOR_NSN + 1)}
    labels = _labels(r, sorted({(n, found) for n, cuts in runs.items() for _, found in cuts}))
    return _packed(runs, labels)


def _languages(r: Region) -> list[Language | None] | None:
    """The languages of ``r.descriptions``; None where one holds numbers of over 17 digits
    (keys hold lengths up to 17 only)."""
    langs = [language(d.pattern) if d is not None and d.pattern else None for d in r.descriptions]
    if any(lang is not None and lang.longest() > MAX_LENGTH_FOR_NSN for lang in langs):
        return None
    return langs


def _packed(runs: dict[int, list[tuple[int, int]]], labels: dict[tuple[int, int], int]) -> Table:
    """The table of ``runs`` (per length, where the set of patterns matched changes) labelled
    by ``labels``: a start only where the label changes."""
    starts: list[int] = []
    kept: list[int] = []
    for n, cuts in runs.items():
        for start, found in cuts:
            label = labels[n, found]
            if not kept or kept[-1] != label:
                starts.append(n * _KEY_STEP + start * 10 ** (MAX_LENGTH_FOR_NSN - n))
                kept.append(label)
    return Table(pl.Series(starts, dtype=pl.UInt64), pl.Series(kept, dtype=pl.UInt8))


class _Prefixes:
    """The digit strings that *start* with a string of a language (``leading_digits``, which
    ``region_code_for_number`` matches at the start of a national number), by length, as
    ranges like :meth:`Language.ranges`.

    >>> _Prefixes(language("8[024]9")).ranges(4)
    [(8090, 8100), (8290, 8300), (8490, 8500)]
    """

    def __init__(self, lang: Language) -> None:
        self._lang = lang

    def ranges(self, length: int) -> list[tuple[int, int]]:
        spans = sorted(
            (start * 10 ** (length - k), end * 10 ** (length - k))
            for k in range(length + 1)
            for start, end in self._lang.ranges(k)
        )
        merged: list[tuple[int, int]] = []
        for start, end in spans:  # a shorter prefix's span may hold a longer one's
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


@cache
def _shared_tables(codes: tuple[str, ...]) -> tuple[Table | None, Table | None]:
    """:func:`code_table` and :func:`region_table` of a calling code several regions share,
    derived: every region's descriptions and leading digits at once, so each run of numbers
    knows which patterns of which region it matches."""
    try:
        return _shared_derived(codes)
    except Unsupported:
        return None, None


def _shared_derived(codes: tuple[str, ...]) -> tuple[Table | None, Table | None]:
    regions = [region(code) for code in codes]
    langs: list[Language | _Prefixes | None] = []
    # per region: where its descriptions' bits start, and its leading digits' bit (or None)
    offsets: list[tuple[int, int | None]] = []
    for r in regions:
        own = _languages(r)
        if own is None:
            return None, None
        first = len(langs)
        langs += own
        leading = None
        if r.leading_digits:
            leading = len(langs)
            langs.append(_Prefixes(language(r.leading_digits)))
        offsets.append((first, leading))
    runs = {n: _runs(langs, n) for n in range(MAX_LENGTH_FOR_NSN + 1)}
    found = sorted({(n, s) for n, cuts in runs.items() for _, s in cuts})
    # each region's type of every run, by the one rule (metadata.type_of), worked out once
    # per set of that region's own patterns
    masks = [(1 << len(r.descriptions)) - 1 for r in regions]
    kinds = [
        _labels(r, sorted({(n, s >> first & mask) for n, s in found}))
        for r, (first, _), mask in zip(regions, offsets, masks, strict=True)
    ]
    labels: dict[tuple[int, int], int] = {}
    owners: dict[tuple[int, int], int] = {}
    for n, s in found:
        kind = owner = 0  # unknown, no region's
        for i, ((first, leading), mask, of_region) in enumerate(
            zip(offsets, masks, kinds, strict=True)
        ):
            label = of_region[n, s >> first & mask]
            belongs = bool(s >> leading & 1) if leading is not None else label >> 1 != 0
            if belongs:
                kind, owner = label >> 1, i + 1
                break
        # the general pattern is the main region's (bit 0), as parsing reads it
        labels[n, s] = kind << 1 | s & 1
        owners[n, s] = owner
    return _packed(runs, labels), _packed(runs, owners)


def _runs(langs: Sequence[Language | _Prefixes | None], n: int) -> list[tuple[int, int]]:
    """Where the national numbers of ``n`` digits change which patterns they match: (start,
    the set of patterns matched from there, bit i for ``langs[i]``), from 0 up."""
    # where each description's ranges start and end, as bits toggled (ranges of one
    # description are merged, so an end is never another's start)
    toggles: dict[int, int] = {0: 0}
    for i, lang in enumerate(langs):
        for start, end in lang.ranges(n) if lang is not None else ():
            toggles[start] = toggles.get(start, 0) ^ 1 << i
            toggles[end] = toggles.get(end, 0) ^ 1 << i
    cuts: list[tuple[int, int]] = []
    inside = 0
    for cut in sorted(toggles):
        if cut == 10**n:
            break
        inside ^= toggles[cut]
        cuts.append((cut, inside))
    return cuts


def _labels(r: Region, found: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The label of a number of ``n`` digits matching the set of patterns ``s`` (bit i:
    ``r.descriptions[i]``), for each (n, s): its type by ``metadata.type_of`` (the one
    rule for both paths) and whether the general pattern matches."""
    descs = r.descriptions
    columns = {
        f"d{i}": [
            bool(s >> i & 1) and (not d.lengths or n in d.lengths) if d is not None else False
            for n, s in found
        ]
        for i, d in enumerate(descs)
    }
    matches = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Boolean))
    kinds = matches.select(type_of([pl.col(c) for c in columns], r)).to_series()
    return {
        (n, s): TYPE_NAMES.index(kind) << 1 | s & 1
        for (n, s), kind in zip(found, kinds, strict=True)
    }


@cache
def _length_results(r: Region) -> pl.Series:
    """``metadata.length_results`` as indices of ``_LENGTH_RESULTS`` (gathered by length).

    >>> _length_results(region("IN")).to_list()[:11]
    [2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0]
    """
    indices = [_LENGTH_RESULTS.index(x) for x in length_results(r)]
    return pl.Series(indices[: _MAX_DIGITS + 1], dtype=pl.UInt8)


def _length_of(n: pl.Expr, codes: Codes) -> pl.Expr:
    """The length result (an index of ``_LENGTH_RESULTS``) of national numbers of ``n``
    digits (0 to 19), for region ``codes`` or, in a book, the row's calling code."""
    if isinstance(codes, Region):
        return pl.lit(_length_results(codes)).gather(n)
    slot = pl.lit(codes.slots).gather(pl.col(_FCC))
    return pl.lit(codes.lengths).gather(slot * (_MAX_DIGITS + 1) + n)


def _label_of(n: pl.Expr, w: pl.Expr, t: Table) -> pl.Expr:
    """The label of each national number (``n`` digits left-aligned in ``w``); 0 (no general
    match, unknown) where ``n`` is null or over 17: nothing matches there. A book's table
    (:class:`_Book`) is searched by the row's calling code too."""
    key = pl.when(n <= MAX_LENGTH_FOR_NSN).then(n.cast(pl.UInt64) * _KEY_STEP + w // 100)
    # a null key searches as 0 (and is masked): every search lands after the first start, 0
    # (of the table, or of the row's code in a book)
    search = key.fill_null(0)
    if t.starts.dtype == pl.Int128:
        search = pl.col(_FCC).cast(pl.Int128) * _CODE_STEP + search.cast(pl.Int128)
    index = pl.lit(t.starts).search_sorted(search, side="right") - 1
    return pl.when(key.is_not_null()).then(pl.lit(t.labels).gather(index)).otherwise(0)


def _general(n: pl.Expr, w: pl.Expr, t: Table) -> pl.Expr:
    return _label_of(n, w, t) % 2 == 1


@lru_cache(maxsize=1)
def _calling_codes() -> pl.Series:
    """For every three-digit string, as an integer, the calling code it starts with (0: none),
    as ``metadata.code_prefixes`` reads them."""
    prefixes = code_prefixes()
    return pl.Series([int(prefixes.get(f"{n:03d}", 0)) for n in range(1000)], dtype=pl.UInt64)


def _rows(
    frame: pl.DataFrame,
    mask: pl.Expr,
    columns: list[str],
    step: Callable[[pl.DataFrame], pl.DataFrame],
) -> pl.DataFrame:
    """``frame`` with ``step`` applied to the rows ``mask`` selects only (given those rows'
    ``columns``): a lookup costs the same for every row it is given, even a null one, and
    most steps concern few rows.

    >>> f = pl.DataFrame({"a": [1, 2, 3]})
    >>> _rows(f, pl.col("a") > 1, ["a"], lambda rows: rows.select(pl.col("a") * 10))["a"].to_list()
    [1, 20, 30]
    """
    where = frame.select(mask).to_series()
    at = true_at(where)
    if at.len() == 0:
        return frame
    # filtered, not gathered: gathering text from a column of several chunks cost 25 times
    # as much (3.5 ms for 100k of 160k values)
    return scatter(frame, at, step(frame.select(columns).filter(where)))


@cache
def prefixes(pattern: str | None) -> tuple[str, ...] | None:
    """The digit strings a national-prefix pattern matches at the start of a number, when it
    matches only a few fixed strings none of which starts another (so at most one matches:
    the regex's order of alternatives cannot matter); None otherwise.

    >>> prefixes("0"), prefixes("0|180020"), prefixes("(183[12])|0"), prefixes("0?")
    (('0',), ('0', '180020'), ('0', '1831', '1832'), None)
    """
    if pattern is None:
        return ()
    if pattern.isdigit():
        return (pattern,)
    try:
        lang = language(pattern)
    except Unsupported:
        return None
    longest = lang.longest()
    if not 0 < longest <= 8 or lang.ranges(0):
        return None
    found = [
        f"{value:0{n}d}"
        for n in range(1, longest + 1)
        for start, end in lang.ranges(n)
        if end - start <= 64
        for value in range(start, end)
    ]
    total = sum(end - start for n in range(1, longest + 1) for start, end in lang.ranges(n))
    if total != len(found) or len(found) > 64:
        return None
    if any(a != b and b.startswith(a) for a in found for b in found):
        return None
    return tuple(found)


def _strip(
    frame: pl.DataFrame, n: str, w: str, codes: Codes, t: Table, *, national: bool = False
) -> pl.DataFrame:
    """``fast._strip_national_prefix`` of the numbers in columns ``n``/``w``, in
    place (null rows stay null). With ``national``, as ``fast._national_prefix``: the
    prefix stays on where what would remain has no possible length. A region's national
    prefix must be one of :func:`prefixes`; in a book, each row's code's is."""
    cases = _prefix_cases(pl.col(n), pl.col(w), codes)
    if not cases:
        return frame
    columns = [n, w, *_carried(codes)]

    def strip(rows: pl.DataFrame, k: int) -> pl.DataFrame:
        tell, take = _strip_steps(n, w, codes, t, national, k)
        return rows.select(*tell).select(*take)

    if len(cases) == 1:
        ((mask, k),) = cases
        return _rows(frame, mask, columns, partial(strip, k=k))
    # which prefix each row starts with, all before any is stripped: a stripped number may
    # start with another prefix, which parsing does not strip again
    frame = frame.with_columns(
        _first_of([(c, i) for i, (c, _) in enumerate(cases)]).alias("__prefix")
    )
    for i, (_, k) in enumerate(cases):
        frame = _rows(frame, pl.col("__prefix") == i, columns, partial(strip, k=k))
    return frame.drop("__prefix")


def _prefix_cases(n: pl.Expr, w: pl.Expr, codes: Codes) -> list[tuple[pl.Expr, int]]:
    """Where each national prefix of ``codes`` starts the numbers, and its length: a
    region's prefixes one by one; a book's by length, each row against its own code's. At
    most one case holds on a row: no prefix of a code starts another."""
    if isinstance(codes, Region):
        literals = prefixes(codes.npfp)
        assert literals is not None, codes.code
        return [(_starts(n, w, x), len(x)) for x in literals]
    return [
        ((n >= k) & (pl.col(_FCC) * 10**k + _head(w, k)).is_in(found.implode()), k)
        for k, found in sorted(codes.literals.items())
    ]


@cache
def _strip_steps(
    n: str, w: str, codes: Codes, t: Table, national: bool, k: int
) -> tuple[tuple[pl.Expr, ...], tuple[pl.Expr, ...]]:
    """The two selects of :func:`_strip` taking a prefix of ``k`` digits off: whether the
    whole number and what would remain are numbers of ``t``, then the numbers kept or cut."""
    fails = [_LENGTH_RESULTS.index(x) for x in ("too_short", "local_only", "invalid_length")]
    length, digits = pl.col(n), pl.col(w)
    rest_n, rest_w = length - k, _drop(digits, k)
    # what take reads twice is told once, as columns
    short = _length_of(rest_n, codes).is_in(fails) if national else pl.lit(False)
    tell = (
        length,
        digits,
        _general(length, digits, t).alias("__whole"),
        _general(rest_n, rest_w, t).alias("__rest"),
        short.alias("__short"),
        *map(pl.col, _carried(codes)),
    )
    keep = pl.col("__whole") & ~pl.col("__rest") | pl.col("__short")
    take = (
        pl.when(keep).then(length).otherwise(rest_n).alias(n),
        pl.when(keep).then(digits).otherwise(rest_w).alias(w),
    )
    return tell, take


def _first_of(cases: list[tuple[pl.Expr, int]]) -> pl.Expr:
    """The value of the first case whose condition holds, else null."""
    (cond, value), *rest = cases
    chain: Then | ChainedThen = pl.when(cond).then(pl.lit(value))
    for cond, value in rest:
        chain = chain.when(cond).then(pl.lit(value))
    return chain.otherwise(None)


def _digits(values: pl.Series) -> pl.DataFrame:
    """``CLEAN``, ``EXTENSION`` and the digits libphonenumber reads of each value (``_N``,
    ``_W``) and whether a ``+`` led (``_PLUS``); ``_LANE`` where they are usable here."""
    clean = pl.col(CLEAN)
    # digits with an optional '+' read as an integer at once (Polars' cast takes exactly that)
    frame = pl.DataFrame({CLEAN: values.cast(pl.String)}).select(
        CLEAN,
        clean.cast(pl.UInt64, strict=False).alias(_W),
        clean.str.starts_with("+").fill_null(False).alias(_PLUS),
        clean.str.len_bytes().cast(pl.Int64).alias(_N),
        pl.lit(False).alias(EXTENSION),
    )
    frame = frame.with_columns(pl.col(_N) - pl.col(_PLUS).cast(pl.Int64))

    def shaped(rows: pl.DataFrame) -> pl.DataFrame:
        rows = shapes(rows.select(CLEAN, pl.lit(False).alias("__plain")), "__plain")
        digits = pl.col(SHAPED_DIGITS)
        usable = clean.str.len_chars() <= MAX_INPUT_STRING_LENGTH
        return rows.select(
            pl.when(usable).then(digits.cast(pl.UInt64, strict=False)).alias(_W),
            pl.col(SHAPED_PLUS).alias(_PLUS),
            digits.str.len_bytes().cast(pl.Int64).alias(_N),
            EXTENSION,
        )

    def separated(rows: pl.DataFrame) -> pl.DataFrame:
        # digit groups split by spaces, dots, hyphens, slashes or parentheses ("09876 543210",
        # "(011) 2345-6789"), after an ASCII label ("Mob: ", "tel:"), the other shapes of a
        # real list: every step of shapes() but the label's and the last leaves them as they
        # are, so they skip those steps. libphonenumber reads from the first '+' or digit, so
        # a label is nothing to it, unless the whole value is longer than it reads at all
        bare = clean
        # a label starts with a letter: where no value starts at 'A' or after (digits, '+' and
        # '(' come before it), none has one, and the replace (a regex on every row) is skipped
        if rows.select((clean >= "A").any()).item():
            short = clean.str.len_chars() <= MAX_INPUT_STRING_LENGTH
            rows = rows.with_columns(
                pl.when(short).then(clean.str.replace(LABEL, "")).otherwise(clean).alias("__bare")
            )
            bare = pl.col("__bare")
        # a column of its own, made once: the select below reads it twice
        rows = rows.with_columns(
            bare.str.replace_many(_PUNCTUATION, [""] * len(_PUNCTUATION)).alias("__digits")
        )
        digits = pl.col("__digits")
        rows = rows.select(
            CLEAN,
            digits.cast(pl.UInt64, strict=False).alias(_W),
            (bare.str.starts_with("+") | bare.str.starts_with("(+")).alias(_PLUS),
            digits.str.len_bytes().cast(pl.Int64).alias(_N),
            pl.lit(False).alias(EXTENSION),
            bare.str.contains(SHAPE).alias("__separated"),
        )
        return _rows(rows, ~pl.col("__separated"), [CLEAN], shaped).drop(CLEAN, "__separated")

    frame = _rows(frame, pl.col(_W).is_null(), [CLEAN], separated)
    n, value = pl.col(_N), pl.col(_W)
    lane = value.is_not_null() & n.is_between(3, _MAX_DIGITS)
    return frame.with_columns(
        lane.alias(_LANE),
        (value * _p10(_MAX_DIGITS - pl.when(lane).then(n))).alias(_W),
        # no digits of a shape the string path reads, or under three: it decides nothing
        (n.is_null() | (n < 3)).alias(_NONE),
    )


def _country_code(frame: pl.DataFrame, home: Region) -> pl.DataFrame:
    """``fast._parse`` after the digits: the national number (``_NN``/``_NW``) of the
    rows of the home calling code, written with '+', with the international prefix or neither
    (``_LANE`` is cleared for rows of other codes). Rows that start with the home code
    written without '+' are marked ``_OWN``; :func:`_own_code` settles them."""
    n, w, plus, lane = pl.col(_N), pl.col(_W), pl.col(_PLUS), pl.col(_LANE)
    by_idd, skip = pl.lit(False), 0
    if home.idd:
        skip = len(home.idd)
        after_zero = (n > skip) & (_head(w, skip + 1) % 10 == 0)
        by_idd = ~plus & _starts(n, w, home.idd) & ~after_zero
    frame = frame.with_columns(
        pl.when(lane & plus).then(pl.lit(0)).when(lane & by_idd).then(pl.lit(skip)).alias("__idd")
    )
    idd = pl.col("__idd")
    # the rows after '+' or the prefix: their digits from there and their calling code (0:
    # none). Each is made a column once: a select works an expression out wherever it is
    # written (eager queries share nothing), and the code was written nine times
    frame = frame.with_columns(
        (n - idd).alias("__in"), pl.when(idd == 0).then(w).otherwise(_drop(w, skip)).alias("__iw")
    )
    intl_n, intl_w = pl.col("__in"), pl.col("__iw")
    frame = frame.with_columns(pl.lit(_calling_codes()).gather(_head(intl_w, 3)).alias("__cc"))
    cc = pl.col("__cc")
    longer = intl_n > MIN_LENGTH_FOR_NSN
    # the home code, or another one: its national number, for code_table
    frame = frame.with_columns(
        (longer & (cc == home.country_code)).alias("__ours"),
        (longer & (cc != 0) & (cc != home.country_code)).alias("__foreign"),
        pl.when(cc < 10).then(1).when(cc < 100).then(2).otherwise(3).alias("__size"),
    )
    ours, foreign, size = pl.col("__ours"), pl.col("__foreign"), pl.col("__size")
    home_cc = str(home.country_code)
    c = len(home_cc)
    return frame.with_columns(
        (lane & (idd.is_null() | ours)).fill_null(False).alias(_LANE),
        (lane & idd.is_null() & _starts(n, w, home_cc)).alias(_OWN),
        pl.when(ours).then(intl_n - c).otherwise(n).alias(_NN),
        pl.when(ours).then(_drop(intl_w, c)).otherwise(w).alias(_NW),
        pl.when(foreign).then(cc).alias(_FCC),
        pl.when(foreign).then(intl_n - size).alias(_FN),
        pl.when(foreign).then(intl_w % _p10(_MAX_DIGITS - size) * _p10(size)).alias(_FW),
    ).drop("__idd", "__in", "__iw", "__cc", "__ours", "__foreign", "__size", _PLUS)


def _own_code(frame: pl.DataFrame, home: Region, t: Table) -> pl.DataFrame:
    """The national number of rows that start with the home calling code written without
    '+': the code is taken off where what remains (without its national prefix) is a number
    of the region and the whole is not, or the whole is too long."""
    c = len(str(home.country_code))
    too_long = _LENGTH_RESULTS.index("too_long")

    def settle(rows: pl.DataFrame) -> pl.DataFrame:
        rows = rows.select(
            _NN,
            _NW,
            (pl.col(_NN) - c).alias("__pn"),
            _drop(pl.col(_NW), c).alias("__pw"),
            _general(pl.col(_NN), pl.col(_NW), t).alias("__whole"),
        )
        rows = _strip(rows, "__pn", "__pw", home, t)
        without_plus = (~pl.col("__whole") & _general(pl.col("__pn"), pl.col("__pw"), t)) | (
            _length_of(pl.col(_NN), home) == too_long
        )
        rows = rows.with_columns(without_plus.alias("__wp"))
        return rows.select(
            pl.when("__wp").then(pl.col("__pn")).otherwise(pl.col(_NN)).alias(_NN),
            pl.when("__wp").then(pl.col("__pw")).otherwise(pl.col(_NW)).alias(_NW),
        )

    return _rows(frame, pl.col(_OWN), [_NN, _NW], settle)


#: From this many rows of another calling code in a column, its table is derived if no run
#: has kept it on disk (a table at hand answers any number of rows). Deriving takes 5-60 ms
#: (150 ms for +1, North America's 25 regions), once a machine and release: the table is
#: kept, and every later list with that code is answered by it. The string path's patterns
#: cost 10-25 ms a code on every query, however few its rows (they are compiled for it): a
#: list with 1% of numbers of 13 other countries paid that in every batch, 5 s of a 1M-row
#: list's 6, where their tables answer them in 2-3 ms a code.
FOREIGN_FROM = 1


def decide(
    values: pl.Series, home: Region, *, foreign_from: int = FOREIGN_FROM
) -> tuple[pl.DataFrame, pl.Series]:
    """The answers (as ``fast.decide`` gives them) for the values this module
    answers, and the indices of the rows to ask the string path about (their answer rows are
    placeholders; rows neither path can decide are left out, their placeholder is the answer).

    Numbers of other calling codes written with '+' or the international prefix are answered
    here too, by :func:`code_table`, where the table is at hand or their rows are
    ``foreign_from`` or more (:data:`FOREIGN_FROM`): it is derived.

    >>> found, others = decide(pl.Series(["+919876543210", "+1 650 253 0000", "+800 1234 5678"]),
    ...                        region("IN"))
    >>> found[E164].to_list(), others.to_list()
    (['+919876543210', '+16502530000', None], [2])
    """
    t = table(home.code)
    assert t is not None and applies(home), home.code
    frame = _country_code(_digits(values), home).drop(_N, _W)
    frame = _own_code(frame, home, t)
    answers = _national(frame.drop(_FCC, _FN, _FW), home, t)
    others = frame.select(~pl.col(_LANE) & ~pl.col(_NONE)).to_series()
    codes = frame[_FCC]
    if codes.null_count() == codes.len():
        return answers, true_at(others)
    counts = codes.drop_nulls().value_counts()
    book = tuple(
        sorted(
            cc
            for cc, rows in counts.iter_rows()
            if foreign_applies(cc) and code_table(cc, derive=rows >= foreign_from) is not None
        )
    )
    if not book:
        return answers, true_at(others)
    # every other calling code's rows in one pass, by their tables as one book
    foreign = (
        frame.select(
            CLEAN,
            EXTENSION,
            pl.col(_FN).alias(_NN),
            pl.col(_FW).alias(_NW),
            pl.lit(True).alias(_LANE),
            _FCC,
        )
        .with_row_index("__at")
        .filter(pl.col(_FCC).is_in(book))
    )
    at = foreign["__at"]
    found = _national(foreign.drop("__at"), _book(book), _book(book).table)
    return scatter(answers, at, found), true_at(others.scatter(at, False))


def foreign_applies(cc: int) -> bool:
    """Numbers of calling code ``cc`` written with '+' can be answered here: the code's
    regions are geographic, and its main region (whose national prefix parsing strips) has
    no transform rule and a national prefix of :func:`prefixes`.

    >>> foreign_applies(1), foreign_applies(44), foreign_applies(800), foreign_applies(54)
    (True, True, False, False)
    """
    regions = country_codes().get(cc, ())
    if not regions or "001" in regions:
        return False
    main = region(regions[0])
    return not main.transform and prefixes(main.npfp) is not None


def _national(frame: pl.DataFrame, codes: Codes, t: Table) -> pl.DataFrame:
    """The answers for the ``_LANE`` rows, whose national numbers (``_NN``/``_NW``) are of
    region ``codes`` with table ``t``, or of the book ``codes`` (``t`` its table) by each
    row's calling code: the national prefix, then type and length (``fast._one_region`` and
    ``_shared``)."""
    frame = _strip(frame, _NN, _NW, codes, t, national=True)
    in_range, kind = _national_steps(codes, t)
    frame = frame.with_columns(in_range).with_columns(*kind)
    answers = frame.select(*_answer_columns(codes))

    def explain(rows: pl.DataFrame) -> pl.DataFrame:  # the few invalid rows only
        return rows.select(_explanation(codes))

    explained = [CLEAN, "__length", *_carried(codes)]
    answers = _rows(answers, pl.col(CODE).is_not_null(), explained, explain)
    return answers.drop("__length", _FCC, strict=False)


@cache
def _national_steps(codes: Codes, t: Table) -> tuple[pl.Expr, tuple[pl.Expr, ...]]:
    """:func:`_national`'s expressions after the national prefix: the lane narrowed to the
    numbers of a possible length, then their type and length result."""
    lane, nn, nw = pl.col(_LANE), pl.col(_NN), pl.col(_NW)
    in_range = nn.is_between(MIN_LENGTH_FOR_NSN, MAX_LENGTH_FOR_NSN)
    kind = (
        (_label_of(pl.when(lane).then(nn), nw, t) // 2).alias("__type"),
        _length_of(nn.clip(0, _MAX_DIGITS), codes).alias("__length"),
    )
    return (lane & in_range).fill_null(False).alias(_LANE), kind


def _calling_code(codes: Codes) -> pl.Expr:
    """The calling code of region ``codes``, or of each row of a book."""
    if isinstance(codes, Region):
        return pl.lit(codes.country_code, dtype=pl.UInt64)
    return pl.col(_FCC).cast(pl.UInt64)


@cache
def _answer_columns(codes: Codes) -> tuple[pl.Expr | str, ...]:
    """:func:`_national`'s columns for numbers of ``codes`` (a book keeps ``_FCC`` too)."""
    lane = pl.col(_LANE)
    kind = pl.col("__type")
    valid = lane & (kind != 0)
    invalid = lane & (kind == 0)
    national_n = pl.when(valid).then(pl.col(_NN))
    cc = _calling_code(codes)
    digits = cc * _p10(national_n) + pl.col(_NW) // _p10(_MAX_DIGITS - national_n)
    return (
        pl.col(CLEAN),
        e164_text(digits).alias(E164),
        pl.when(valid).then(pl.lit(_TYPE_NAMES).gather(kind.cast(pl.Int64))).alias(TYPE),
        pl.when(invalid).then(pl.lit("phone_invalid")).alias(CODE),
        pl.lit(None, dtype=pl.String).alias(MESSAGE),
        pl.when(lane).then(valid & pl.col(EXTENSION)).alias(EXTENSION),
        pl.when(valid).then(cc.cast(pl.UInt16)).alias(COUNTRY),
        lane.alias(DECIDED),
        "__length",
        *_carried(codes),
    )


@cache
def _explanation(codes: Codes) -> pl.Expr:
    """The message of an invalid number of ``codes`` (a region, or each row's code of a
    book), by its length result (``__length``)."""
    length = pl.col("__length")
    if isinstance(codes, Region):
        main: str | pl.Expr = codes.code
    else:
        main = pl.lit(codes.mains).gather(pl.lit(codes.slots).gather(pl.col(_FCC)))
    return message(
        pl.lit(True),
        lambda result: length == _LENGTH_RESULTS.index(result),
        _calling_code(codes),
        main,
    ).alias(MESSAGE)
