"""Which engine answers a column of phone values: the integer engine for a long column of the
home region's numbers where it applies, the string engine for the rest.

The two engines are :mod:`csvprep.phones.numeric` and :mod:`csvprep.phones.fast`; this module
is the only one that knows both, so neither imports the other.
"""

from __future__ import annotations

import polars as pl

from . import fast as phones_fast
from . import numeric as phones_numeric
from .metadata import DECIDED, country_codes, region, scatter, true_at

#: From this many values on, :func:`decide` answers the home region's numbers as integers
#: (from any number, once the region's table is built or kept on disk).
NUMERIC_FROM = 50_000


def decide(
    values: pl.Series,
    default_region: str,
    *,
    numeric_from: int | None = None,
    foreign_from: int | None = None,
) -> pl.DataFrame:
    """libphonenumber's answer for every value it can decide exactly, in input order.

    Returns ``CLEAN`` (the value), ``E164``, ``TYPE``, ``CODE`` (``phone_invalid`` or null),
    ``MESSAGE``, ``EXTENSION`` and ``COUNTRY``, as :func:`csvprep.phones.lookup` gives them,
    and ``DECIDED``: False where the answers are null because libphonenumber must decide.

    From ``numeric_from`` values on, the home region's numbers are answered as integers by
    :mod:`csvprep.phones.numeric` where it applies; the same answers either way. By default
    from :data:`NUMERIC_FROM` values (building its tables takes a moment, which only a long
    column repays), and for any length once they are built or kept on disk. On that path,
    numbers of other calling codes written with '+' are answered as integers too, by a table
    per calling code, from ``foreign_from`` rows of a code
    (:data:`csvprep.phones.numeric.FOREIGN_FROM` by default) or at once where its table is at
    hand.

    >>> decide(pl.Series(["098765 43210", "+1 650 253 0000 x12", "abc"]), "IN").rows()
    [('098765 43210', '+919876543210', 'mobile', None, None, False, 91, True), \
('+1 650 253 0000 x12', '+16502530000', 'fixed_line_or_mobile', None, None, True, 1, True), \
('abc', None, None, None, None, None, None, False)]
    """
    home = region(default_region)
    if numeric_from is None:
        at_hand = home.code in _NUMERIC or phones_numeric.table_kept(home.code)
        numeric_from = 0 if at_hand else NUMERIC_FROM
    if values.len() >= numeric_from and phones_numeric.applies(home):
        _NUMERIC.add(home.code)
        if foreign_from is None:
            foreign_from = phones_numeric.FOREIGN_FROM
        found, others = phones_numeric.decide(values, home, foreign_from=foreign_from)
        if others.len() == 0:
            return found
        rest = phones_fast.decide(values.gather(others), home)
        # rows neither path decides are alike in both: only the others are put in
        decided = true_at(rest[DECIDED])
        return scatter(found, others.gather(decided), rest[decided])
    return phones_fast.decide(values, home)


# Regions whose integer tables have been built in this process: from then on a column of any
# length takes the integer engine.
_NUMERIC: set[str] = set()


def region_of(e164: pl.Expr, country: pl.Expr, codes: list[int]) -> pl.Expr:
    """``region_code_for_number`` of valid numbers in E.164 (``e164``, with their calling code
    in ``country``), for the calling codes ``codes`` that occur, as
    :func:`csvprep.phones.fast.region_of` tells it: a code of one region by one lookup, a shared
    code (1, 7, 44...) by the integer engine's table of which region each number is where one
    is at hand (a long list of the code made it, or a run kept it on disk), else by each
    region's leading digits or patterns. Null where ``e164`` is null.

    >>> df = pl.DataFrame({"n": ["+919876543210", "+14165550123", "+12015550123"],
    ...                    "c": [91, 1, 1]})
    >>> df.select(region_of(pl.col("n"), pl.col("c"), [91, 1]).alias("r"))["r"].to_list()
    ['IN', 'CA', 'US']
    """
    return phones_fast.region_of(e164, country, codes, owners=_owners)


def regions(e164: pl.Series, country: pl.Series) -> pl.Series:
    """:func:`region_of` of a column of valid numbers in E.164 (``country``: their calling
    codes). The rows of a code of one region take it by a lookup; those of each shared
    calling code (1, 7, 44...) are taken out and told apart by the code's table (derived where
    none is kept), one code at a time.

    >>> regions(pl.Series(["+919876543210", "+14165550123", None]), pl.Series([91, 1, None])
    ...         ).to_list()
    ['IN', 'CA', None]
    """
    counted = country.drop_nulls().value_counts()
    table = country_codes()
    shared = {cc: n for cc, n in counted.iter_rows() if len(table.get(cc, ())) > 1}
    frame = pl.DataFrame({"e164": e164, "country": country})
    e, c = pl.col("e164"), pl.col("country")
    alone = [cc for cc in counted[country.name] if cc not in shared]
    found = frame.select(region_of(e, c, alone)).to_series().alias(e164.name)
    if not shared:
        return found
    # an expression is worked out for every row of a column, masked or not: each shared
    # code's rows (few, in most lists) are taken out, worked out alone and put back at once
    places, told = [], []
    for cc, count in shared.items():
        mine = country == cc
        places.append(true_at(mine))
        told.append(
            _shared_regions(frame.filter(mine), cc, derive=count >= phones_numeric.FOREIGN_FROM)
        )
    return found.scatter(pl.concat(places), pl.concat(told))


def _shared_regions(rows: pl.DataFrame, cc: int, *, derive: bool) -> pl.Series:
    """The regions of ``rows`` (``e164``, ``country``; all of shared calling code ``cc``),
    by the code's table, derived if ``derive`` and none is at hand. Each region's patterns
    cost 50-80 ms a query however few its rows (they are compiled for it); the tables,
    derived once (10-150 ms) and kept on disk, answer any number of rows by one search (and
    :func:`decide` takes them too)."""
    if derive:
        phones_numeric.code_table(cc)
    t = phones_numeric.region_table(cc, derive=derive)
    if t is None:
        return rows.select(region_of(pl.col("e164"), pl.col("country"), [cc])).to_series()
    national = rows["e164"].str.slice(1 + len(str(cc)))
    names = pl.Series([None, *country_codes()[cc]], dtype=pl.String)
    found = names.gather(phones_numeric.region_indices(national, t))
    known = found.fill_null(phones_fast.UNKNOWN_REGION)
    return rows.select(pl.when(pl.col("e164").is_not_null()).then(pl.lit(known))).to_series()


def _owners(cc: int, national: pl.Expr) -> pl.Expr | None:
    """The region of each national number of shared calling code ``cc`` by its table, if one
    is at hand (:data:`csvprep.phones.fast.Owners`)."""
    t = phones_numeric.region_table(cc)
    if t is None:
        return None
    names = pl.lit(pl.Series([None, *country_codes()[cc]], dtype=pl.String))
    return names.gather(phones_numeric.region_index(national, t))
