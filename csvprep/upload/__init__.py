"""Hand prepared files to the platform, exactly as its docs describe, and never twice.

* Standard flow, for a file under 5,000 rows: ``POST /campaign/save`` (multipart) gives a
  ``list_id``; with ``start_calls``, ``POST /campaign/start`` (``from_numbers``) or
  ``POST /campaign/v2/start`` (``number_pool_id``).
* Large flow, for 5,000 rows or more: ``POST /campaign/upload-csv`` gives a ``bulk_list_id``;
  ``GET /campaign/upload-status/{id}`` is polled until processing ends; then
  ``POST /campaign/check-balance/{id}``; with ``start_calls``, ``POST /campaign/make-call-async``.

A ledger beside the files records each step the platform accepted, with its ids; a run resumes
after the last finished step. A request whose answer was lost after it was sent is recorded as
*uncertain*: the next run asks the platform (``GET /campaign/all``, the upload status) before
anything is sent again, and stops with what to check when it cannot tell.

Retries (tenacity): connection failures before sending, 429 (honouring ``Retry-After``) and 503
always; 502 and 504 only for reads, since a gateway error on a POST may hide a request that was
acted on. Other errors are reported with the platform's ``detail``. The API key is sent in the
``X-API-KEY`` header and nowhere else: not in results, the ledger, errors or ``--dry-run``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import random
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
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

from ..checks.headers import Prompt
from ..errors import InputError, RejectedRowsError, RemoteError, UncertainError, UsageError
from ..io.manifest import FileEntry, read_json, read_manifest, verified_copy, verify_files
from ..io.writing import atomic_write, remove_leftovers, writing
from ..outputs.preparing import prepare
from ..routing import route_for
from .campaign import Campaign

DEFAULT_BASE_URL = "https://prod-api.ringg.ai/ca/api/v0"
LEDGER = "upload-ledger.json"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

#: Upload statuses, as the docs name them (they disagree; every documented name is accepted).
IN_PROGRESS = frozenset({"verifying", "uploaded", "processing"})
FINISHED = frozenset({"completed", "ready", "draft"})
FAILED = frozenset({"failed", "insufficient_balance"})

Event = Callable[[str], None]
#: A file to send: its name and its bytes (the verified copy, never the folder's file itself).
Upload = tuple[str, BinaryIO]
#: Hears each poll of a large upload: file, status, seconds waited, the limit in seconds.
Waiting = Callable[[str, str, float, float], None]


@dataclass
class Request:
    """One request as sent (or, with ``dry_run``, as it would be): nothing secret in it."""

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
    every string of it, keys included: a platform that echoes the request must not make csvprep
    print or store the key.

    >>> _redact({"detail": {"headers": {"x-api-key": "s3cret"}}, "n": 1}, "s3cret")
    {'detail': {'headers': {'x-api-key': '[redacted]'}}, 'n': 1}
    """
    if isinstance(value, str):
        return value.replace(secret, "[redacted]")
    if isinstance(value, dict):
        return {_redact(k, secret): _redact(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secret) for v in value]
    return value


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body.get("error")
        if detail:
            return detail if isinstance(detail, str) else json.dumps(detail)
    return str(body)[:300]


class Api:
    """A small client for the campaign endpoints: retries, timeouts, the key in one header."""

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
    ) -> None:
        check_api_key(api_key)
        self._secret = api_key
        check_base_url(base_url)
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers={"X-API-KEY": api_key}, timeout=timeout
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
        try:
            if upload is not None:
                name, data = upload
                data.seek(0)  # a retry sends the same bytes from the start
                response = self._http.request(
                    request.method,
                    request.url,
                    data=_form(request.fields),
                    files={"file": (name, data, "text/csv")},
                )
            elif request.method == "GET" or not request.fields:
                # no body and no Content-Type where the spec defines none (check-balance)
                response = self._http.request(request.method, request.url)
            else:
                response = self._http.request(request.method, request.url, json=request.fields)
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
        return body if isinstance(body, dict) else {"data": body}


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


# -- the ledger ------------------------------------------------------------------------------


class Ledger:
    """What the platform accepted, step by step, per file; written after every step."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LEDGER
        try:
            self.data: dict[str, Any] = read_json(self.path)
            _check_ledger(self.data)
        except FileNotFoundError:
            self.data = {"version": 1, "files": {}}
        except (OSError, ValueError) as e:
            raise UsageError(f"{self.path}: unreadable ledger ({e}); move it aside") from None

    def steps(self, name: str, sha256: str) -> dict[str, Any]:
        entry = self.data["files"].get(name)
        if entry is None or entry.get("sha256") != sha256:
            entry = {"sha256": sha256, "steps": {}}
            self.data["files"][name] = entry
        steps: dict[str, Any] = entry["steps"]
        return steps

    def record(self, name: str, sha256: str, step: str, state: str, **info: Any) -> None:
        steps = self.steps(name, sha256)
        steps[step] = {
            "state": state,
            **info,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.save()

    def save(self) -> None:
        """Write the ledger (a real run writes it once before any request, so a folder it
        cannot write stops the run before anything is sent, not after)."""
        text = json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"
        with writing(self.path):
            remove_leftovers(self.folder)
            atomic_write(self.path, text.encode("utf-8"))


def _check_ledger(data: Any) -> None:
    """A ``ValueError`` unless ``data`` has the ledger's shape, ids where a done step needs one."""
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise ValueError("no 'files' object")
    for name, entry in files.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("steps"), dict)
        ):
            raise ValueError(f"entry {name!r} is not a file's steps")
        for step, state in entry["steps"].items():
            if not isinstance(state, dict) or state.get("state") not in ("done", "uncertain"):
                raise ValueError(f"{name!r} step {step!r} has no state")
            need = {"save": "list_id", "upload": "bulk_list_id"}.get(step)
            if state["state"] == "done" and need and not isinstance(state.get(need), str):
                raise ValueError(f"{name!r} step {step!r} is done but has no {need}")


# -- the flows -------------------------------------------------------------------------------


@dataclass
class UploadResult:
    """What happened to each file: its route, ids, steps done now or before, and requests."""

    folder: Path
    files: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "dry_run": self.dry_run,
            "files": self.files,
            "requests": [r.to_dict() for r in self.requests],
        }


def _fields(campaign: Campaign, variables_map: Mapping[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "variables_map": dict(variables_map),
        "agent_id": campaign.agent_id,
        "country_code": campaign.country_code,
        "campaign_name": campaign.campaign_name,
        "campaign_start_time": campaign.campaign_start_time,
        "campaign_end_time": campaign.campaign_end_time,
        "call_config": campaign.call_config,
    }
    if campaign.remove_invalid_rows:
        fields["remove_invalid_rows"] = True
    if campaign.transliterate_callee_name:
        fields["transliterate_callee_name"] = True
    return fields


def _numbers(campaign: Campaign) -> dict[str, Any]:
    if campaign.number_pool_id:
        return {"number_pool_id": campaign.number_pool_id}
    return {"from_numbers": list(campaign.from_numbers)}


def _start_body(campaign: Campaign, *, emails: bool = True, **ids: str) -> dict[str, Any]:
    body: dict[str, Any] = {"agent_id": campaign.agent_id, **ids, **_numbers(campaign)}
    if campaign.callback_url:
        body["callback_url"] = campaign.callback_url
    if emails and campaign.email_completion_user_ids:
        body["email_completion_user_ids"] = list(campaign.email_completion_user_ids)
    return body


def _find_campaign(api: Api, name: str, key: str) -> str | None:
    """The id (``list_id`` or ``bulk_list_id``) of a campaign of this name, if the platform
    lists exactly one."""
    answer = api.call(Request("GET", "/campaign/all"), reads=True)
    items = answer.get("campaigns") or answer.get("data") or answer.get("items") or []
    ids = {
        str(c.get(key) or c.get("list_id") or c.get("id"))
        for c in items
        if isinstance(c, dict) and c.get("campaign_name", c.get("name")) == name
    }
    ids.discard("None")
    if len(ids) > 1:
        raise UncertainError(
            f"GET /campaign/all lists {len(ids)} campaigns named {name!r}; check which one this "
            "run created, then record it or re-run with --force"
        )
    return ids.pop() if ids else None


def upload(
    source: str | Path,
    campaign: Campaign,
    *,
    api: Api | None,
    start_calls: bool = False,
    force: bool = False,
    dry_run: bool = False,
    on_event: Event | None = None,
    on_wait: Waiting | None = None,
    prepare_options: Mapping[str, Any] | None = None,
) -> UploadResult:
    """Upload a prepared folder, or a CSV prepared first, every file by its route, resuming
    from the folder's ledger.

    A CSV is prepared into ``<stem>.prepared/`` beside it (``prepare_options`` are those of
    :func:`csvprep.prepare`); with ``dry_run`` into a temporary folder, removed afterwards, so
    a dry run writes nothing anywhere. ``api`` may be None only with ``dry_run``.
    ``on_event`` receives progress lines; ``on_wait(file, status, elapsed, limit)`` hears each
    poll of a large upload's status (at most ``campaign.max_wait`` seconds in all). Rows
    rejected, by csvprep or by the platform, stop the upload before any call starts
    (:class:`RejectedRowsError`, exit 1) unless ``campaign.remove_invalid_rows``.
    """
    source = Path(source)
    hooks = (on_event or (lambda _: None), on_wait or (lambda *_: None))
    if not source.is_file():
        return _upload_folder(source, campaign, api, start_calls, force, dry_run, hooks)
    say = hooks[0]
    with contextlib.ExitStack() as stack:
        if dry_run:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="csvprep-")))
        else:
            folder = source.with_name(f"{source.stem}.prepared")
        prepared = prepare(source, folder, force=True, **(prepare_options or {}))
        rejected = prepared.manifest["rows"]["rejected"]
        if rejected and not campaign.remove_invalid_rows:
            where = "csvprep prepare lists them" if dry_run else f"see {prepared.rejected.path}"
            raise RejectedRowsError(
                f"{rejected} rows of {source} are invalid ({where}); fix them, or pass "
                "--remove-invalid-rows to upload the clean rows anyway"
            )
        say(f"prepared {source} into " + ("a temporary folder" if dry_run else f"{folder}/"))
        return _upload_folder(folder, campaign, api, start_calls, force, dry_run, hooks)
    raise AssertionError("unreachable")  # mypy: ExitStack may swallow exceptions


def _upload_folder(
    folder: Path,
    campaign: Campaign,
    api: Api | None,
    start_calls: bool,
    force: bool,
    dry_run: bool,
    hooks: tuple[Event, Waiting],
) -> UploadResult:
    manifest = read_manifest(folder)
    if manifest.kind != "prepare":
        raise InputError(f"{folder}: its manifest is not from csvprep prepare")
    rejected = manifest.rows.get("rejected", 0)
    if rejected and not campaign.remove_invalid_rows:
        raise RejectedRowsError(
            f"{folder}: {rejected} rows were rejected as invalid; fix them, or pass "
            "--remove-invalid-rows to upload the clean rows anyway"
        )
    verify_files(folder, manifest)
    ledger = Ledger(folder)
    if not dry_run:
        ledger.save()
    run = _Run(
        api,
        ledger,
        UploadResult(folder, dry_run=dry_run),
        campaign,
        _fields(campaign, manifest.variables_map),
        start_calls,
        dry_run,
        *hooks,
    )
    for entry in manifest.files:
        run.file(folder, entry, force)
    return run.result


@dataclass
class _Run:
    """One upload run: the state every step of every file shares."""

    api: Api | None
    ledger: Ledger
    result: UploadResult
    campaign: Campaign
    fields: dict[str, Any]
    start_calls: bool
    dry_run: bool
    say: Event
    waiting: Waiting
    # the file being uploaded: its entry, name and hash in the manifest, its ledger steps, result
    folder: Path = Path()
    entry: FileEntry | None = None
    name: str = ""
    sha: str = ""
    steps: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def file(self, folder: Path, entry: FileEntry, force: bool) -> None:
        self.folder, self.entry = folder, entry
        self.name, self.sha = entry.path, entry.sha256
        self.steps = {} if force else self.ledger.steps(self.name, self.sha)
        route = route_for(entry.rows)
        self.info = {"path": self.name, "rows": entry.rows, "route": route}
        self.result.files.append(self.info)
        if route == "standard":
            self.standard(entry.rows)
        else:
            self.large(entry.rows)

    def state(self, step: str) -> dict[str, Any]:
        found: dict[str, Any] = self.steps.get(step, {})
        return found

    def send(
        self, request: Request, *, reads: bool, upload: Upload | None = None
    ) -> dict[str, Any]:
        self.result.requests.append(request)
        if self.dry_run:
            return {}
        assert self.api is not None
        return self.api.call(request, reads=reads, upload=upload)

    def submit_file(self, step: str, request: Request) -> dict[str, Any]:
        """Send the current file, as bytes checked against the manifest at this moment."""
        if self.dry_run or self.entry is None:
            return self.submit(step, request)
        with verified_copy(self.folder, self.entry) as data:
            return self.submit(step, request, upload=(self.name, data))

    def submit(
        self, step: str, request: Request, upload: Upload | None = None, **ids: Any
    ) -> dict[str, Any]:
        """Send a request that changes something; record it uncertain if its answer is lost."""
        try:
            return self.send(request, reads=False, upload=upload)
        except UncertainError:
            self.ledger.record(self.name, self.sha, step, "uncertain", **ids)
            raise

    def done(self, step: str, message: str, **ids: Any) -> None:
        if not self.dry_run:
            self.ledger.record(self.name, self.sha, step, "done", **ids)
            self.say(f"{self.name}: {message}")

    def uncertain_stop(self, step: str, what: str) -> UncertainError:
        return UncertainError(
            f"{self.name}: step {step!r} is uncertain from an earlier run: {what}. Check it on "
            "the platform; re-run with --force only if it did not happen"
        )

    def start(self, path: str, body: dict[str, Any], **ids: Any) -> None:
        """The last step of both flows: start (or schedule) the calls, once."""
        state = self.state("start").get("state")
        if state == "done":
            self.say(f"{self.name}: calls already started")
        elif state == "uncertain" and not self.dry_run:
            raise self.uncertain_stop("start", f"{ids} may already be calling")
        else:
            self.submit("start", Request("POST", path, body), **ids)
            self.done("start", "calls started", **ids)
        self.info["started"] = True

    def standard(self, rows: int) -> None:
        campaign, save = self.campaign, self.state("save")
        if save.get("state") == "uncertain" and not self.dry_run:
            assert self.api is not None
            found = _find_campaign(self.api, campaign.campaign_name, "list_id")
            if found is None:
                # not on the platform: the lost request was not acted on, so save again
                save = {}
            else:
                self.ledger.record(
                    self.name, self.sha, "save", "done", list_id=found, recovered=True
                )
                save = {"state": "done", "list_id": found}
        if save.get("state") == "done":
            list_id, failed = save["list_id"], save.get("failed_rows")
            self.say(f"{self.name}: already saved as list {list_id}")
        else:
            request = Request("POST", "/campaign/save", self.fields, file=self.name, rows=rows)
            answer = self.submit_file("save", request)
            if not self.dry_run and "list_id" not in answer:
                raise RemoteError(f"POST /campaign/save: no list_id in the answer ({answer})")
            list_id = str(answer.get("list_id") or "<list_id>")
            failed = _rejected_count(answer, rows, "POST /campaign/save", "failed_rows")
            self.done("save", f"saved as list {list_id}", list_id=list_id, failed_rows=failed)
        self.info["list_id"] = list_id
        self.platform_rejected(failed, None)
        if self.start_calls:
            # /campaign/start (from_numbers) documents no email_completion_user_ids: not sent
            v2 = bool(campaign.number_pool_id)
            if campaign.email_completion_user_ids and not v2:
                self.say(
                    f"{self.name}: email_completion_user_ids not sent: /campaign/start does not "
                    "take it (only the number-pool and large-campaign starts do)"
                )
            path_ = "/campaign/v2/start" if v2 else "/campaign/start"
            body = _start_body(campaign, emails=v2, list_id=list_id)
            self.start(path_, body, list_id=list_id)

    def large(self, rows: int) -> None:
        campaign, uploaded = self.campaign, self.state("upload")
        if uploaded.get("state") == "uncertain" and not self.dry_run:
            raise self.uncertain_stop(
                "upload",
                "POST /campaign/upload-csv may have created a "
                "bulk list; look for it in the dashboard",
            )
        if uploaded.get("state") == "done":
            bulk_id = uploaded["bulk_list_id"]
            self.say(f"{self.name}: already uploaded as bulk list {bulk_id}")
        else:
            request = Request(
                "POST", "/campaign/upload-csv", self.fields, file=self.name, rows=rows
            )
            answer = self.submit_file("upload", request)
            if not self.dry_run and "bulk_list_id" not in answer:
                raise RemoteError(f"POST /campaign/upload-csv: no bulk_list_id ({answer})")
            bulk_id = str(answer.get("bulk_list_id") or "<bulk_list_id>")
            self.done("upload", f"uploaded as bulk list {bulk_id}", bulk_list_id=bulk_id)
        self.info["bulk_list_id"] = bulk_id
        processed = self.state("processed")
        if processed.get("state") != "done":
            processed = self.poll(bulk_id, rows)
            self.info["upload_status"] = processed
            self.done("processed", "processing finished", bulk_list_id=bulk_id, **processed)
        self.platform_rejected(
            processed.get("invalidated_rows"), processed.get("invalidated_rows_url")
        )
        if self.state("balance").get("state") != "done":
            answer = self.send(Request("POST", f"/campaign/check-balance/{bulk_id}"), reads=True)
            if not self.dry_run:
                _check_balance(answer, self.name, bulk_id)
            self.done("balance", "balance is sufficient", bulk_list_id=bulk_id)
        if self.start_calls:
            body = _start_body(campaign, bulk_list_id=bulk_id)
            # the docs page and the OpenAPI file disagree on what this endpoint needs: send both
            body.update(
                country_code=campaign.country_code,
                campaign_start_time=campaign.campaign_start_time,
                campaign_end_time=campaign.campaign_end_time,
                call_config=campaign.call_config,
            )
            if campaign.concurrency_percentage is not None:
                body["concurrency_percentage"] = campaign.concurrency_percentage
            self.start("/campaign/make-call-async", body, bulk_list_id=bulk_id)

    def platform_rejected(self, count: Any, link: Any) -> None:
        """Rows the platform would not take stop the campaign before any call starts, unless
        the campaign removes invalid rows: a partial list is never called silently."""
        if not count:
            return
        self.info["platform_rejected_rows"] = count
        where = f" (the rows: {link})" if link else ""
        if not self.campaign.remove_invalid_rows:
            raise RejectedRowsError(
                f"{self.name}: the platform rejected {count} rows{where}; no call was started. "
                "Fix them and upload a new list, or re-run with --remove-invalid-rows to call "
                "the other rows (the finished steps are not sent again)"
            )
        self.say(f"{self.name}: the platform rejected {count} rows{where}; they will not be called")

    def poll(self, bulk_id: str, rows: int) -> dict[str, Any]:
        """Poll the upload status with backoff until processing finishes (or fails), at most
        ``campaign.max_wait`` seconds; each status change is said once."""
        request = Request("GET", f"/campaign/upload-status/{bulk_id}")
        if self.dry_run:
            self.result.requests.append(request)
            return {}
        assert self.api is not None
        limit = self.campaign.max_wait
        started = self.api.clock()
        delay, said = 1.0, ""
        while True:
            answer = self.api.call(request, reads=True)
            status = str(answer.get("status", "")).lower()
            elapsed = self.api.clock() - started
            done = (
                answer.get("processed_rows"),
                answer.get("total_rows", answer.get("total_callees")),
            )
            counts = f" ({done[0]}/{done[1]} rows)" if all(done) else ""
            self.waiting(self.name, status, elapsed, limit)
            if status != said:
                said = status
                self.say(
                    f"{self.name}: upload {status or '?'}{counts} after {elapsed:.0f} s "
                    f"(waiting at most {limit:.0f} s)"
                )
            if status in FINISHED:
                invalid = _rejected_count(
                    answer, rows, "GET /campaign/upload-status", "invalidated_rows_count"
                )
                link = answer.get("invalidated_rows_csv_url")
                return {"status": status, "invalidated_rows": invalid, "invalidated_rows_url": link}
            if status in FAILED:
                raise RemoteError(f"{self.name}: upload {status}: {_detail(answer)}")
            if status not in IN_PROGRESS:
                known = ", ".join(sorted(IN_PROGRESS | FINISHED | FAILED))
                raise RemoteError(
                    f"{self.name}: upload status {status!r} is not one csvprep "
                    f"knows ({known}); check the dashboard"
                )
            if elapsed + delay > limit:
                raise RemoteError(
                    f"{self.name}: upload still {status} after {elapsed:.0f} s, the limit "
                    f"(--max-wait {limit:.0f}); run the same command again later to resume "
                    "polling (nothing is uploaded again), or give a longer --max-wait"
                )
            self.api.sleep(delay * (1 + random.random() / 4))
            delay = min(delay * 2, 30.0)


def _rejected_count(answer: Mapping[str, Any], rows: int, where: str, key: str) -> int:
    """The rows the platform rejected, by ``key`` or the docs' other name for it
    (``failed_rows``); counts that cannot be true stop the upload with the answer shown.

    >>> _rejected_count({"total_rows": 10, "successful_rows": 8, "failed_rows": 2}, 10, "s", "x")
    2
    """
    value = answer.get(key, answer.get("failed_rows"))
    if value is None:
        return 0
    total = answer.get("total_rows", answer.get("total_callees"))
    ok = answer.get("successful_rows")
    counts = [v for v in (value, total, ok) if v is not None]
    sane = all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= rows for v in counts)
    if sane and total is not None and ok is not None:
        sane = ok + value == total
    if not sane:
        raise RemoteError(
            f"{where}: the answer's row counts do not add up for {rows} rows sent "
            f"({dict(answer)}); nothing more is sent: check the list in the dashboard"
        )
    return int(value)


#: The status word the spec's check-balance answer uses for a bulk list ready to start.
_BALANCE_READY = "draft"


def _check_balance(answer: Mapping[str, Any], name: str, bulk_id: str) -> None:
    """Accept both documented answers, ``sufficient_balance`` (with credits) or a ``status``
    (``draft``: the bulk list is ready to start); anything else stops before any call."""
    answered_id = answer.get("bulk_list_id")
    if answered_id is not None and str(answered_id) != bulk_id:
        raise RemoteError(
            f"{name}: the balance check answered for bulk list {answered_id}, not {bulk_id}; "
            "nothing more is sent: check the dashboard"
        )
    sufficient = answer.get("sufficient_balance")
    status = str(answer.get("status", "")).lower()
    need, have = answer.get("required_credits"), answer.get("available_credits")
    if sufficient is False or status == "insufficient_balance":
        extra = f" (needs {need}, has {have})" if need is not None else ""
        raise RemoteError(f"{name}: insufficient balance{extra}; add balance, then re-run")
    short = isinstance(need, (int, float)) and isinstance(have, (int, float)) and have < need
    if sufficient is True and not short:
        return
    if sufficient is None and status == _BALANCE_READY:
        return
    raise RemoteError(
        f"{name}: the balance check answered {dict(answer)}, which shows neither sufficient "
        "balance nor a ready list; no call was started: check the balance in the dashboard"
    )


def agent_prompt(api: Api, agent_id: str) -> Prompt:
    """The assistant's prompt and custom variables, so that ``validate`` checks the headers
    against what the assistant will really say (and names where each variable came from).

    Reads ``GET /agent/{agent_id}``: ``custom_variables`` and ``agent_prompt``, under
    ``agents.agent_config`` as the OpenAPI example has them, or wherever else they appear.
    """
    answer = api.call(Request("GET", f"/agent/{agent_id}"), reads=True)
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("custom_variables", "agent_prompt") and key not in found:
                    found[key] = value
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(answer)
    if not found:
        raise RemoteError(
            f"GET /agent/{agent_id}: no custom_variables or agent_prompt in the "
            "answer; check the assistant id"
        )
    variables = found.get("custom_variables") or {}
    names = variables if isinstance(variables, list) else list(variables)
    text = found.get("agent_prompt")
    return Prompt(text if isinstance(text, str) else "", tuple(str(n) for n in names))
