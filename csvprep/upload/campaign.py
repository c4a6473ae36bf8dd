"""Campaign settings: what the platform needs besides the contact list, checked before any
request is sent.

A settings file is TOML or JSON (documented by ``schemas/campaign.schema.json``); flags
override it. Every rule the platform's docs state is checked here: exactly one of
``from_numbers`` and ``number_pool_id``, the ``DD/MM/YYYY, HH:MM`` formats, a start in the
future, an end after the start, ``HH:MM`` call windows, a real IANA time zone, a concurrency
percentage from 0 to 100.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError, UsageError
from ..phones import region_for
from ..suggest import did_you_mean

CAMPAIGN_TIME = "%d/%m/%Y, %H:%M"
#: Campaign times carry no zone in the docs; read them in the call window's zone, or this one.
DEFAULT_TIMEZONE = "Asia/Kolkata"

_KEYS = {
    "agent_id": str,
    "campaign_name": str,
    "country_code": str,
    "campaign_start_time": str,
    "campaign_end_time": str,
    "call_config": dict,
    "from_numbers": list,
    "number_pool_id": str,
    "callback_url": str,
    "email_completion_user_ids": list,
    "concurrency_percentage": int,
    "remove_invalid_rows": bool,
    "transliterate_callee_name": bool,
    "max_wait": int,
}
#: How long a large upload's processing is waited for, by default (csvprep's, never sent).
DEFAULT_MAX_WAIT = 1800
#: ``call_config`` as the docs and the OpenAPI file define it, every level closed: a misspelt
#: key would be sent and silently ignored by the platform.
_CALL_CONFIG: dict[str, Any] = {
    "call_time": {
        "call_start_time": str,
        "call_end_time": str,
        "timezone": str,
        "scheduled_at": (str, type(None)),
    },
    "call_retry_config": {
        "retry_count": int,
        "retry_busy": int,
        "retry_not_picked": int,
        "retry_failed": int,
    },
    "idle_timeout_warning": int,
    "idle_timeout_end": int,
    "max_call_length": int,
}
_REQUIRED = (
    "agent_id",
    "campaign_name",
    "country_code",
    "campaign_start_time",
    "campaign_end_time",
    "call_config",
)


@dataclass(frozen=True)
class Campaign:
    """Validated campaign settings, ready to send."""

    agent_id: str
    campaign_name: str
    country_code: str
    campaign_start_time: str
    campaign_end_time: str
    call_config: dict[str, Any]
    from_numbers: tuple[str, ...] = ()
    number_pool_id: str | None = None
    callback_url: str | None = None
    email_completion_user_ids: tuple[str, ...] = ()
    concurrency_percentage: int | None = None
    remove_invalid_rows: bool = False
    transliterate_callee_name: bool = False
    max_wait: int = DEFAULT_MAX_WAIT
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The settings as the JSON a ledger or ``--dry-run`` shows (no secrets live here)."""
        data = {k: getattr(self, k) for k in _KEYS}
        data["from_numbers"] = list(self.from_numbers)
        data["email_completion_user_ids"] = list(self.email_completion_user_ids)
        return {k: v for k, v in data.items() if v not in (None, [], ())}


def read_settings(path: str | Path) -> dict[str, Any]:
    """The raw settings of a TOML or JSON file."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as e:
        raise ConfigError(f"{source}: cannot read the campaign settings ({e.strerror})") from None
    try:
        if source.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"{source}: not valid {source.suffix.lstrip('.') or 'TOML'} ({e})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: campaign settings must be an object")
    return data


def unknown_key(key: str, known: Any) -> str:
    """The message for a key no schema level has, with the nearest known one.

    >>> unknown_key("retry_cuont", ["retry_count", "retry_busy"])
    "unknown setting 'retry_cuont' (did you mean 'retry_count'?)"
    """
    return f"unknown setting {key!r}{did_you_mean(key, known)}"


def _check_nested(value: Any, spec: Any, where: str, problems: list[str]) -> None:
    """Every key of ``value`` known to ``spec`` (a dict of sub-specs or a type), at every
    level; numbers whole and not negative."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            problems.append(f"{where} must be an object, not {value!r}")
            return
        for key, sub in value.items():
            if key not in spec:
                problems.append(f"{where}: {unknown_key(key, spec)}")
            else:
                _check_nested(sub, spec[key], f"{where}.{key}", problems)
    elif isinstance(value, bool) or not isinstance(value, spec):
        kinds = spec if isinstance(spec, tuple) else (spec,)
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        problems.append(f"{where} must be {names}, not {value!r}")
    elif isinstance(value, int) and value < 0:
        problems.append(f"{where} must not be negative, not {value}")


def _time(value: str, key: str, problems: list[str]) -> dt.datetime | None:
    try:
        # strptime alone takes '1/1/2031, 9:5': the platform is sent the value as given
        if not _CAMPAIGN_TIME_SHAPE.fullmatch(value):
            raise ValueError
        return dt.datetime.strptime(value, CAMPAIGN_TIME)
    except ValueError:
        problems.append(f"{key} {value!r} is not 'DD/MM/YYYY, HH:MM' (e.g. '18/10/2026, 09:00')")
        return None


_CAMPAIGN_TIME_SHAPE = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}, [0-9]{2}:[0-9]{2}")


def _country(value: str, problems: list[str]) -> None:
    """A calling code (+91) or a region (IN), as the docs show both: what a CSV source is
    prepared with, so a folder's upload takes exactly what a CSV's does."""
    try:
        region_for(value)
    except UsageError:
        problems.append(f"country_code {value!r} is neither a calling code (+91) nor a region (IN)")


def _hhmm(value: Any, key: str, problems: list[str]) -> None:
    try:
        dt.datetime.strptime(str(value), "%H:%M")
        if len(str(value)) != 5:
            raise ValueError
    except ValueError:
        problems.append(f"call_config.call_time.{key} {value!r} is not HH:MM (e.g. '09:00')")


def build_campaign(
    settings: Mapping[str, Any], *, source: str = "campaign", now: dt.datetime | None = None
) -> Campaign:
    """Check every documented rule and return the campaign, or raise one error listing all
    that is wrong.

    >>> c = build_campaign({"agent_id": "a", "campaign_name": "n", "country_code": "+91",
    ...     "campaign_start_time": "18/10/2030, 09:00", "campaign_end_time": "18/10/2030, 18:00",
    ...     "call_config": {}, "from_numbers": ["n1"]})
    >>> c.campaign_start_time
    '18/10/2030, 09:00'
    """
    problems: list[str] = []
    settings = {k: v for k, v in settings.items() if v is not None}  # null means not given
    for key, value in settings.items():
        if key not in _KEYS:
            problems.append(unknown_key(key, _KEYS))
        elif not isinstance(value, _KEYS[key]) or (
            isinstance(value, bool) and _KEYS[key] is not bool
        ):
            problems.append(f"{key} must be a {_KEYS[key].__name__}, not {value!r}")
    for key in _REQUIRED:
        if key not in settings or settings[key] in ("", None):
            problems.append(f"{key} is required")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))

    has_numbers = bool(settings.get("from_numbers"))
    has_pool = bool(settings.get("number_pool_id"))
    if has_numbers == has_pool:
        problems.append(
            "give exactly one of from_numbers and number_pool_id "
            f"({'both' if has_numbers else 'neither'} given)"
        )
    call_config = dict(settings["call_config"])
    _check_nested(call_config, _CALL_CONFIG, "call_config", problems)
    call_time = call_config.get("call_time") or {}
    zone_name = call_time.get("timezone", DEFAULT_TIMEZONE) if isinstance(call_time, dict) else ""
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"call_config.call_time.timezone {zone_name!r} is not an IANA time zone")
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    if isinstance(call_time, dict):
        for key in ("call_start_time", "call_end_time"):
            if key in call_time:
                _hhmm(call_time[key], key, problems)
    _country(settings["country_code"], problems)
    start = _time(settings["campaign_start_time"], "campaign_start_time", problems)
    end = _time(settings["campaign_end_time"], "campaign_end_time", problems)
    current = now or dt.datetime.now(zone)
    if start is not None and start.replace(tzinfo=zone) <= current:
        problems.append(
            f"campaign_start_time {settings['campaign_start_time']!r} is not in the "
            f"future ({zone.key})"
        )
    if start is not None and end is not None and end <= start:
        problems.append("campaign_end_time must be after campaign_start_time")
    pct = settings.get("concurrency_percentage")
    if pct is not None and not 0 <= pct <= 100:
        problems.append(f"concurrency_percentage {pct} is not between 0 and 100")
    max_wait = settings.get("max_wait", DEFAULT_MAX_WAIT)
    if max_wait < 1:
        problems.append(f"max_wait {max_wait} must be at least 1 (seconds)")
    url = settings.get("callback_url")
    if url is not None and not str(url).startswith(("https://", "http://")):
        problems.append(f"callback_url {url!r} is not an http(s) URL")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return Campaign(
        agent_id=settings["agent_id"],
        campaign_name=settings["campaign_name"],
        country_code=settings["country_code"],
        campaign_start_time=settings["campaign_start_time"],
        campaign_end_time=settings["campaign_end_time"],
        call_config=call_config,
        from_numbers=tuple(str(n) for n in settings.get("from_numbers") or ()),
        number_pool_id=settings.get("number_pool_id") or None,
        callback_url=url,
        email_completion_user_ids=tuple(settings.get("email_completion_user_ids") or ()),
        concurrency_percentage=pct,
        remove_invalid_rows=bool(settings.get("remove_invalid_rows", False)),
        transliterate_callee_name=bool(settings.get("transliterate_callee_name", False)),
        max_wait=max_wait,
    )


def load_campaign(
    path: str | Path | None,
    overrides: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> Campaign:
    """Settings from a file (if any) with ``overrides`` (flags) on top, checked."""
    settings = read_settings(path) if path is not None else {}
    settings.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return build_campaign(settings, source=str(path or "campaign settings"), now=now)
