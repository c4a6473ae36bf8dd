"""Calling hours: warn when a campaign's window rings people at night in their own time zone.

A campaign run from India that calls a +1 list at 10:00 IST rings people at midnight. Each
number's time zones come from libphonenumber's own time-zone data (the rule of
``phonenumbers.timezone.time_zones_for_number``, applied as Polars joins); each distinct zone's
local window is worked out once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from phonenumbers import PhoneNumber
from phonenumbers.phonenumberutil import is_number_type_geographical

from ..errors import UsageError
from ..io.columns import COUNTRY_ZONES, GEOGRAPHICAL, LOCAL_WINDOW, ZONES
from ..phones import COUNTRY, E164, TYPE, TYPE_NAMES

_UNKNOWN_ZONE = "Etc/Unknown"


def _parse_hhmm(text: str, what: str) -> dt.time:
    try:
        hours, minutes = text.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a time like 09:00") from None


def _parse_range(text: str, what: str) -> tuple[dt.time, dt.time]:
    parts = text.split("-")
    if len(parts) != 2:
        raise UsageError(f"{what}: {text!r} is not a range like 09:00-18:00")
    start, end = (_parse_hhmm(p, what) for p in parts)
    if end <= start:
        raise UsageError(f"{what}: {text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class CallWindow:
    """When the campaign calls (in ``timezone``) and the local hours it may ring people."""

    start: dt.time
    end: dt.time
    timezone: str
    allowed_start: dt.time = dt.time(8, 0)
    allowed_end: dt.time = dt.time(21, 0)
    date: dt.date | None = None

    @classmethod
    def parse(
        cls,
        window: str,
        timezone: str,
        allowed: str = "08:00-21:00",
        date: dt.date | None = None,
    ) -> CallWindow:
        """Build a window from ``09:00-18:00`` and an IANA time zone.

        >>> CallWindow.parse("10:00-11:00", "Asia/Kolkata").end
        datetime.time(11, 0)
        """
        start, end = _parse_range(window, "call window")
        allowed_start, allowed_end = _parse_range(allowed, "local calling hours")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(f"time zone {timezone!r} is not an IANA time zone") from None
        return cls(start, end, timezone, allowed_start, allowed_end, date)

    def local(self, zone: str) -> tuple[dt.datetime, dt.datetime]:
        """The window as wall-clock times in ``zone`` (on the campaign's date, for DST)."""
        home = ZoneInfo(self.timezone)
        day = self.date or dt.datetime.now(home).date()
        there = ZoneInfo(zone)
        return (
            dt.datetime.combine(day, self.start, home).astimezone(there),
            dt.datetime.combine(day, self.end, home).astimezone(there),
        )

    def outside(self, zone: str) -> str | None:
        """The window's local hours in ``zone`` when they leave the allowed hours, else None.

        >>> CallWindow.parse("10:00-11:00", "Asia/Kolkata", date=dt.date(2026, 1, 5)).outside(
        ...     "America/New_York")
        '23:30-00:30'
        """
        try:
            start, end = self.local(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return None  # a zone this machine's tz database lacks: no claim either way
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        first = (start - midnight).total_seconds() / 60
        last = (end - midnight).total_seconds() / 60
        lo = self.allowed_start.hour * 60 + self.allowed_start.minute
        hi = self.allowed_end.hour * 60 + self.allowed_end.minute
        return None if first >= lo and last <= hi else f"{start:%H:%M}-{end:%H:%M}"

    def describe(self, zones: list[str]) -> str | None:
        """Why calling numbers in ``zones`` breaks the allowed hours, or None.

        >>> w = CallWindow.parse("10:00-11:00", "Asia/Kolkata", date=dt.date(2026, 1, 5))
        >>> w.describe(["America/New_York", "Asia/Calcutta"])
        'called 23:30-00:30 local time in America/New_York (allowed 08:00-21:00)'
        """
        by_hours: dict[str, list[str]] = {}
        for zone in zones:
            hours = self.outside(zone)
            if hours is not None:
                by_hours.setdefault(hours, []).append(zone)
        if not by_hours:
            return None
        parts = "; ".join(f"{h} local time in {', '.join(z)}" for h, z in by_hours.items())
        allowed = f"{self.allowed_start:%H:%M}-{self.allowed_end:%H:%M}"
        return f"called {parts} (allowed {allowed})"


def time_zones(frame: pl.DataFrame) -> pl.Series:
    """Each valid number's time zones ('&'-joined), as ``time_zones_for_number`` gives them.

    Geographical numbers use the longest prefix of the E.164 digits in libphonenumber's
    time-zone table; others use their calling code (the library's country-level rule).
    """
    # lazy: libphonenumber's time-zone tables load with these, and only a run with a call
    # window reads them
    from phonenumbers import timezone as tz
    from phonenumbers.tzdata import TIMEZONE_DATA

    type_ids = {name: ident for ident, name in TYPE_NAMES.items()}
    pairs = frame.select(TYPE, COUNTRY).drop_nulls().unique().rows()
    geographical = pl.DataFrame(
        {
            TYPE: [t for t, _ in pairs],
            COUNTRY: [c for _, c in pairs],
            GEOGRAPHICAL: [is_number_type_geographical(type_ids[t], c) for t, c in pairs],
            COUNTRY_ZONES: [
                "&".join(tz._country_level_time_zones_for_number(PhoneNumber(country_code=c)))
                for _, c in pairs
            ],
        },
        schema={
            TYPE: pl.String,
            COUNTRY: pl.UInt16,
            GEOGRAPHICAL: pl.Boolean,
            COUNTRY_ZONES: pl.String,
        },
    )
    work = frame.select(E164, TYPE, COUNTRY).join(
        geographical, on=[TYPE, COUNTRY], how="left", maintain_order="left"
    )
    digits = pl.col(E164).str.slice(1)
    by_length: dict[int, dict[str, str]] = {}
    for prefix, names in TIMEZONE_DATA.items():
        by_length.setdefault(len(prefix), {})[prefix] = "&".join(names)
    found = pl.coalesce(
        digits.str.slice(0, n).replace_strict(table, default=None, return_dtype=pl.String)
        for n, table in sorted(by_length.items(), reverse=True)
    )
    zones = (
        pl.when(pl.col(E164).is_null() | (pl.col(TYPE) == "unknown"))
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col(GEOGRAPHICAL))
        .then(found.fill_null(_UNKNOWN_ZONE))
        .otherwise(pl.col(COUNTRY_ZONES))
    )
    return work.select(zones.alias(ZONES)).to_series()


def local_windows(zones: pl.Series, window: CallWindow) -> pl.Series:
    """For each row's zones, why the window falls outside local hours (null when it does not)."""
    reasons = {
        joined: window.describe([z for z in joined.split("&") if z != _UNKNOWN_ZONE])
        for joined in zones.drop_nulls().unique().to_list()
    }
    windows: pl.Series = zones.replace_strict(reasons, default=None, return_dtype=pl.String)
    return windows.alias(LOCAL_WINDOW)
