"""Which engine answers a column of phone values: the integer engine for a long column of the
home region's numbers where it applies, the string engine for the rest.

The two engines are :mod:`csvprep.phones.numeric` and :mod:`csvprep.phones.fast`; this module
is the only one that knows both, so neither imports the other.
"""

from __future__ import annotations

import polars as pl

from . import fast as phones_fast
from . import numeric as phones_numeric
from .metadata import DECIDED, region, scatter

#: From this many values on, :func:`decide` answers the home region's numbers as integers.
NUMERIC_FROM = 50_000


def decide(
    values: pl.Series, default_region: str, *, numeric_from: int | None = None
) -> pl.DataFrame:
    """libphonenumber's answer for every value it can decide exactly, in input order.

    Returns ``CLEAN`` (the value), ``E164``, ``TYPE``, ``CODE`` (``phone_invalid`` or null),
    ``MESSAGE``, ``EXTENSION`` and ``COUNTRY``, as :func:`csvprep.phones.lookup` gives them,
    and ``DECIDED``: False where the answers are null because libphonenumber must decide.

    From ``numeric_from`` values on, the home region's numbers are answered as integers by
    :mod:`csvprep.phones.numeric` where it applies; the same answers either way. By default
    from :data:`NUMERIC_FROM` values (building its tables takes a moment, which only a long
    column repays), and for any length once they are built.

    >>> decide(pl.Series(["098765 43210", "+1 650 253 0000 x12", "abc"]), "IN").rows()
    [('098765 43210', '+919876543210', 'mobile', None, None, False, 91, True), \
('+1 650 253 0000 x12', '+16502530000', 'fixed_line_or_mobile', None, None, True, 1, True), \
('abc', None, None, None, None, None, None, False)]
    """
    home = region(default_region)
    if numeric_from is None:
        numeric_from = 0 if home.code in _NUMERIC else NUMERIC_FROM
    if values.len() >= numeric_from and phones_numeric.applies(home):
        _NUMERIC.add(home.code)
        found, others = phones_numeric.decide(values, home)
        if others.len() == 0:
            return found
        rest = phones_fast.decide(values.gather(others), home)
        # rows neither path decides are alike in both: only the others are put in
        decided = rest[DECIDED].arg_true()
        return scatter(found, others.gather(decided), rest[decided])
    return phones_fast.decide(values, home)


# Regions whose integer tables have been built in this process: from then on a column of any
# length takes the integer engine.
_NUMERIC: set[str] = set()
