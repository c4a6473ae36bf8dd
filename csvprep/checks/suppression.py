"""Suppression lists: numbers never to call (do-not-call, opted out, already called).

A suppression file is a CSV with a phone column, or one number a line. Both sides are
normalised to E.164 before comparing, so ``098765 43210`` suppresses ``+919876543210``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .. import phones
from ..errors import ConfigError, UsageError
from ..io.columns import DEFECT, LINE, NOTE
from ..io.reading import read_table
from ..io.records import column_name

_PHONE_HEADERS = (
    "mobilenumber",
    "mobile",
    "phone",
    "phonenumber",
    "number",
    "msisdn",
    "contactnumber",
    "contact",
)


@dataclass(frozen=True)
class Suppression:
    """The E.164 numbers of a suppression file, and how many of its values were not numbers."""

    source: str
    numbers: pl.Series
    unusable: int


def _loose(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def load_suppression(path: str | Path, region: str) -> Suppression:
    """Read a suppression file into the set of E.164 numbers it names.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("098765 43210\\n+919812345678\\n")
    >>> load_suppression(f.name, "IN").numbers.to_list()
    ['+919812345678', '+919876543210']
    >>> os.unlink(f.name)
    """
    table = read_table(path, require_rows=False)
    headers = [h.strip() for h in table.headers]
    broken = table.frame.filter(pl.col(DEFECT).is_not_null())
    if broken.height:
        # a broken record (a quote never closed swallows every line after it) may hold a
        # number not to call: no list is used in part
        record = broken.row(0, named=True)
        raise ConfigError(
            f"{path}: line {record[LINE]}: {record[NOTE]}; a suppression list must be whole, so "
            f"that no number in it is called ({broken.height:,} broken "
            f"record{'' if broken.height == 1 else 's'}): fix it"
        )
    frame = table.frame
    if len(headers) == 1:
        index = 0
        first = headers[0]
        # one number a line: the first line is a number, not a header
        if phones.lookup(first, region).e164 is not None:
            frame = pl.concat(
                [pl.DataFrame({column_name(0): [first]}), frame.select(column_name(0))]
            )
    else:
        matches = [i for i, h in enumerate(headers) if _loose(h) in _PHONE_HEADERS]
        if not matches:
            raise UsageError(
                f"{path}: suppression file has several columns and none is a phone column "
                "(name it 'Mobile Number' or 'Phone')"
            )
        index = matches[0]
    values = frame.select(column_name(index))
    normalised = phones.normalise(values, column_name(index), region)
    numbers = normalised[phones.E164].drop_nulls().unique().sort()
    unusable = normalised.filter(
        pl.col(phones.E164).is_null() & (pl.col(phones.CLEAN) != "")
    ).height
    return Suppression(str(path), numbers, unusable)
