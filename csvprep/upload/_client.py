"""The HTTP client of the upload: the key in one header, timeouts, and retries of what is safe
to retry.

Retries (tenacity): connection failures before sending, 429 (honouring ``Retry-After``) and 503
always; 502 and 504 only for reads, since a gateway error on a POST may hide a request that was
acted on. Other errors are reported with the platform's ``detail``. The API key is sent in the
``X-API-KEY`` header and nowhere else: not in results, the ledger, errors or ``--dry-run``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from ..errors import RemoteError, UncertainError, UsageError

DEFAULT_BASE_URL = "https://prod-api.ringg.ai/ca/api/v0"
#: The extension of each request that holds it as the flows describe it (a :class:`Request`).
DESCRIBED = "csvprep.request"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: A file to send: its name and its bytes (the verified copy, never the folder's file itself).
Upload = tuple[str, BinaryIO]


@dataclass
class Request:
    """One request as the flows describe it (what a dry run lists): nothing secret in it."""

    method: str
    url: str
    fields: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    rows: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method, "url": self.url}
        if self.fields:
            data["fields"] = self.fields
        if self.file is not None:
            data["file"] = self.file
            data["rows"] = self.rows
        return data


class _Retry(Exception):
    """A failure worth another try, after ``wait`` seconds if the platform said so."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def check_api_key(key: str) -> None:
    """Refuse a key no HTTP header can carry as given (a line break, a control character,
    non-ASCII text: a paste gone wrong), before any request; the key itself is never shown.

    >>> check_api_key("k-123")
    >>> check_api_key("k-123\\nX-Other: 1")
    Traceback (most recent call last):
    csvprep.errors.UsageError: the API key holds a character no key has (a space, a line break, ...
    """
    if not key:
        raise UsageError("no API key: set RINGG_API_KEY or pass --api-key-file")
    if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
        raise UsageError(
            "the API key holds a character no key has (a space, a line break, a control "
            "character or non-ASCII text); check RINGG_API_KEY or the key file"
        )


def check_base_url(base_url: str) -> None:
    """Refuse a base URL csvprep should not send a key to, or print: not https (but for
    loopback), a query, fragment or credentials in it (where a key may have been pasted; it is
    never echoed whole), or a character no URL has.

    >>> check_base_url("https://prod-api.ringg.ai/ca/api/v0")
    >>> check_base_url("https://api.example.com/v0?api_key=s3cret")
    Traceback (most recent call last):
    csvprep.errors.UsageError: base URL https://api.example.com...: give scheme, host and path ...
    """
    try:
        parts = urlsplit(base_url)
        host = parts.hostname
    except ValueError:
        raise UsageError("the base URL is not a URL") from None
    shown = f"{parts.scheme}://{host}" if host else "the base URL"
    if parts.query or parts.fragment or parts.username or parts.password or not host:
        raise UsageError(
            f"base URL {shown}...: give scheme, host and path only (no query, fragment or "
            "credentials: the key goes in RINGG_API_KEY)"
        )
    if not base_url.isascii() or not base_url.isprintable():
        raise UsageError(f"base URL {shown}...: holds a control or non-ASCII character")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise UsageError(f"base URL {shown} must use https (http only for loopback)")


def _redact(value: Any, secret: str) -> Any:
    """``value`` (an answer from the platform) with every occurrence of ``secret`` replaced, in
    every string of it, keys included, written as it is or percent-encoded (as a platform
    echoing a query string or form would): a platform that echoes the request must not make
    csvprep print or store the key.

    >>> _redact({"detail": {"headers": {"x-api-key": "s3cret"}}, "n": 1}, "s3cret")
    {'detail': {'headers': {'x-api-key': '[redacted]'}}, 'n': 1}
    >>> _redact("bad key k%2Bx%2f1 and k+x/1", "k+x/1")
    'bad key [redacted] and [redacted]'
    """
    if isinstance(value, str):
        return _secret_pattern(secret).sub("[redacted]", value)
    if isinstance(value, dict):
        return {_redact(k, secret): _redact(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secret) for v in value]
    return value


@functools.cache
def _secret_pattern(secret: str) -> re.Pattern[str]:
    """Matches ``secret`` with any of its characters percent-encoded (hex digits of either
    case); a key is printable ASCII (:func:`check_api_key`), one byte a character."""

    def either(char: str) -> str:
        code = f"{ord(char):02X}"
        high, low = code[0], code[1]
        return f"(?:{re.escape(char)}|%[{high}{high.lower()}][{low}{low.lower()}])"

    return re.compile("".join(either(c) for c in secret))


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body.get("error")
        if detail:
            return detail if isinstance(detail, str) else json.dumps(detail)
    return str(body)[:300]


class Api:
    """A small client for the campaign endpoints: retries, timeouts, the key in one header.

    ``transport`` is httpx's: a test or a dry run gives one that answers without a network.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 60.0,
        attempts: int = 5,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        check_api_key(api_key)
        self._secret = api_key
        check_base_url(base_url)
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"X-API-KEY": api_key},
            timeout=timeout,
            transport=transport,
        )
        self.attempts, self.max_wait, self.sleep, self.clock = attempts, max_wait, sleep, clock

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(
        self, request: Request, *, reads: bool, upload: Upload | None = None
    ) -> dict[str, Any]:
        """Send ``request`` (retrying what is safe to retry) and return the JSON answer."""
        backoff = wait_exponential_jitter(initial=1, max=30, jitter=1)

        def wait(state: Any) -> float:
            error = state.outcome.exception() if state.outcome else None
            asked = getattr(error, "wait", None)
            return min(asked, self.max_wait) if asked is not None else float(backoff(state))

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_wait),
            wait=wait,
            retry=retry_if_exception_type(_Retry),
            sleep=self.sleep,
            reraise=False,
        )
        where = f"{request.method} {urlsplit(request.url).path}"
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(request, reads, upload, where)
        except RetryError as e:
            last = e.last_attempt.exception()
            raise RemoteError(f"{where}: gave up after {self.attempts} tries ({last})") from None
        raise AssertionError("unreachable")

    def _once(
        self, request: Request, reads: bool, upload: Upload | None, where: str
    ) -> dict[str, Any]:
        # the request as the flows describe it rides along, for a transport that lists them
        # (a dry run's): httpx hands a request's extensions to its transport untouched
        described = {DESCRIBED: request}
        try:
            if upload is not None:
                name, data = upload
                data.seek(0)  # a retry sends the same bytes from the start
                response = self._http.request(
                    request.method,
                    request.url,
                    data=_form(request.fields),
                    files={"file": (name, data, "text/csv")},
                    extensions=described,
                )
            elif request.method == "GET" or not request.fields:
                # no body and no Content-Type where the spec defines none (check-balance)
                response = self._http.request(request.method, request.url, extensions=described)
            else:
                response = self._http.request(
                    request.method, request.url, json=request.fields, extensions=described
                )
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise _Retry(f"cannot connect ({type(e).__name__})") from None
        except httpx.TransportError as e:
            if reads:
                raise _Retry(f"connection lost ({type(e).__name__})") from None
            raise UncertainError(
                f"{where}: the connection was lost after the request was sent "
                f"({type(e).__name__}); the platform may have acted on it"
            ) from None
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        body = _redact(body, self._secret)
        status = response.status_code
        if status == 429 or status == 503:
            raise _Retry(f"HTTP {status}", _retry_after(response.headers.get("Retry-After")))
        if status in (502, 504):
            if reads:
                raise _Retry(f"HTTP {status}")
            raise UncertainError(
                f"{where}: HTTP {status} from a gateway; the platform may have acted on it"
            )
        if status >= 400:
            raise RemoteError(f"{where}: HTTP {status}: {_detail(body)}")
        if not 200 <= status < 300 or isinstance(body, str):
            # every answer the API documents is JSON with a 2xx status: a redirect or a page
            # (a proxy's, a login's) is not the platform saying it is done, and after a request
            # that changes something nothing tells whether the platform acted on it
            raise _unexpected(where, status, body, reads)
        return body if isinstance(body, dict) else {"data": body}


def _unexpected(where: str, status: int, body: Any, reads: bool) -> RemoteError:
    """The error for an answer that is not a documented success (a redirect, a body that is
    not JSON): uncertain after a request that changes something.

    >>> print(_unexpected("GET /campaign/upload-status/1", 302, "", reads=True))
    GET /campaign/upload-status/1: HTTP 302 (a redirect, not followed), not the JSON answer ...
    """
    what = f"HTTP {status}" + (" (a redirect, not followed)" if 300 <= status < 400 else "")
    if isinstance(body, str) and body.strip():
        what += f": {body.strip()[:120]!r}"
    what += ", not the JSON answer the API documents"
    if reads:
        return RemoteError(f"{where}: {what}")
    return UncertainError(f"{where}: {what}; the platform may have acted on it")


def _form(fields: Mapping[str, Any]) -> dict[str, str]:
    """Multipart text fields: objects as JSON strings, booleans as true/false."""
    out = {}
    for key, value in fields.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            out[key] = json.dumps(value, separators=(",", ":"))
        else:
            out[key] = str(value)
    return out
