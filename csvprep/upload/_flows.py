"""The two upload flows, as state machines over the ledger: each step runs once, a finished one
is skipped, an uncertain one is asked about (or stops the run) before anything is sent again.

* Standard flow, for a file under 5,000 rows: ``POST /campaign/save`` (multipart) gives a
  ``list_id``; with ``start_calls``, ``POST /campaign/start`` (``from_numbers``) or
  ``POST /campaign/v2/start`` (``number_pool_id``).
* Large flow, for 5,000 rows or more: ``POST /campaign/upload-csv`` gives a ``bulk_list_id``;
  ``GET /campaign/upload-status/{id}`` is polled until processing ends; then
  ``POST /campaign/check-balance/{id}``; with ``start_calls``, ``POST /campaign/make-call-async``.

A dry run is the same flows over :class:`~csvprep.upload._dry_run.Recorder`, a transport that
records each request and answers as the documentation says, with a ledger kept in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, RejectedRowsError, RemoteError, UncertainError
from ..io.manifest import FileEntry, read_manifest, verified_copy, verify_files
from ..outputs.preparing import prepare
from ..routing import route_for
from ._client import Api, Request, Upload, _detail
from ._dry_run import Recorder, UnwrittenLedger
from ._ledger import Ledger
from .campaign import Campaign

#: Upload statuses, as the docs name them (they disagree; every documented name is accepted).
IN_PROGRESS = frozenset({"verifying", "uploaded", "processing"})
FINISHED = frozenset({"completed", "ready", "draft"})
FAILED = frozenset({"failed", "insufficient_balance"})

Event = Callable[[str], None]
#: Hears each poll of a large upload: file, status, seconds waited, the limit in seconds.
Waiting = Callable[[str, str, float, float], None]


@dataclass
class UploadResult:
    """What happened to each file: its route, ids, steps done now or before, and requests
    (a real run's: those that act or check, not the status polls; a dry run's: every request
    the recording transport got)."""

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


#: GET /campaign/all's largest page (its documented maximum ``limit``), and the most pages read
#: when looking for a campaign: 100,000 campaigns.
_PAGE = 1000
_PAGES = 100
#: How far the platform's clock may be behind this machine's when a campaign's ``created_at``
#: is compared with when this machine sent the request that may have made it.
CLOCK_ALLOWANCE = dt.timedelta(minutes=15)


def _find_campaign(api: Api, name: str, sent: str | None, known: set[str]) -> str | None:
    """The id of the campaign named ``name`` that a save sent at ``sent`` (ISO 8601, UTC) may
    have made, reading every page of ``GET /campaign/all``; None when the platform has none
    made since (less :data:`CLOCK_ALLOWANCE`), so the save was not acted on. Campaigns
    ``known`` (this folder's other lists) are never it. An :class:`UncertainError` where that
    cannot be told: two such campaigns, one without a ``created_at`` in UTC, a save recorded
    without its time (by an older csvprep), an answer of another shape, or too many pages.

    The documented item is ``{"id", "name", "created_at", ...}``; ``list_id`` is taken before
    ``id`` and ``campaign_name`` after ``name`` where an answer has them.
    """
    since = _utc(sent)
    candidates: dict[str, dt.datetime | None] = {}
    for page in range(_PAGES):
        where = f"/campaign/all?call_count=false&limit={_PAGE}&offset={page * _PAGE}"
        answer = api.call(Request("GET", where), reads=True)
        items = next((answer[k] for k in ("campaigns", "data", "items") if k in answer), None)
        if not isinstance(items, list):
            raise _unsure(f"the answer holds no list of campaigns (it has {sorted(answer)})", name)
        for item in items:
            if not isinstance(item, dict) or item.get("name", item.get("campaign_name")) != name:
                continue
            found = item.get("list_id") or item.get("id")
            if found is not None and str(found) not in known:
                candidates[str(found)] = _utc(item.get("created_at"))
        pagination = answer.get("pagination")
        total = pagination.get("total") if isinstance(pagination, dict) else None
        read = page * _PAGE + len(items)
        if not items or len(items) < _PAGE or (isinstance(total, int) and read >= total):
            break
    else:
        raise _unsure(f"it lists more than {_PAGES * _PAGE:,} campaigns", name)
    if not candidates:
        return None
    if since is None or None in candidates.values():
        raise _unsure(
            "a campaign of that name cannot be matched to the lost save (no time to compare)", name
        )
    recent = [
        i for i, made in candidates.items() if made is not None and made >= since - CLOCK_ALLOWANCE
    ]
    if len(recent) > 1:
        raise _unsure(
            f"it lists {len(recent)} campaigns named {name!r} made since the lost save", name
        )
    return recent[0] if recent else None


def _unsure(what: str, name: str) -> UncertainError:
    """Why ``GET /campaign/all`` cannot tell what a lost save of campaign ``name`` made."""
    return UncertainError(
        f"GET /campaign/all: {what}; check on the platform whether this run made a campaign "
        f"named {name!r}, then record it or re-run with --force"
    )


def _utc(value: object) -> dt.datetime | None:
    """An ISO 8601 time with its offset (``2024-01-15T14:30:00Z``) as an aware datetime; None
    for anything else (a time without an offset could be any zone's).

    >>> _utc("2024-01-15T14:30:00Z"), _utc("2024-01-15T14:30:00"), _utc(None)
    (datetime.datetime(2024, 1, 15, 14, 30, tzinfo=datetime.timezone.utc), None, None)
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


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
    say = on_event or (lambda _: None)
    if dry_run:
        # the same flows, wired to a transport that records every request and answers as the
        # documentation says, and to a ledger kept in memory; nothing progresses, so a dry run
        # reports no progress, only what it would send
        recorder = Recorder()
        wiring = _Wiring(recorder.api(), UnwrittenLedger, say, lambda _: None, lambda *_: None)
    else:
        assert api is not None, "a real run needs an Api"
        wiring = _Wiring(api, Ledger, say, say, on_wait or (lambda *_: None))
    result = _prepared_and_uploaded(
        source, campaign, wiring, start_calls, force, dry_run, prepare_options or {}
    )
    if dry_run:
        result.requests = recorder.requests
    return result


def _prepared_and_uploaded(
    source: Path,
    campaign: Campaign,
    wiring: _Wiring,
    start_calls: bool,
    force: bool,
    dry_run: bool,
    prepare_options: Mapping[str, Any],
) -> UploadResult:
    """:func:`upload` of a folder, or of a CSV prepared first (into a temporary folder for a
    dry run)."""
    if not source.is_file():
        return _upload_folder(source, campaign, wiring, start_calls, force, dry_run)
    say = wiring.say
    with contextlib.ExitStack() as stack:
        if dry_run:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="csvprep-")))
        else:
            folder = source.with_name(f"{source.stem}.prepared")
        prepared = prepare(source, folder, force=True, **prepare_options)
        rejected = prepared.manifest["rows"]["rejected"]
        if rejected and not campaign.remove_invalid_rows:
            where = "csvprep prepare lists them" if dry_run else f"see {prepared.rejected.path}"
            raise RejectedRowsError(
                f"{rejected} rows of {source} are invalid ({where}); fix them, or pass "
                "--remove-invalid-rows to upload the clean rows anyway"
            )
        say(f"prepared {source} into " + ("a temporary folder" if dry_run else f"{folder}/"))
        return _upload_folder(folder, campaign, wiring, start_calls, force, dry_run)
    raise AssertionError("unreachable")  # mypy: ExitStack may swallow exceptions


@dataclass(frozen=True)
class _Wiring:
    """What the flows talk to: the client, the kind of ledger, and who hears what."""

    api: Api
    ledger: Callable[[Path], Ledger]
    #: Hears what a person should know (a step skipped as done before, a field not sent).
    say: Event
    #: Hears each step done and each status change of a large upload.
    progress: Event
    waiting: Waiting


def _upload_folder(
    folder: Path,
    campaign: Campaign,
    wiring: _Wiring,
    start_calls: bool,
    force: bool,
    dry_run: bool,
) -> UploadResult:
    manifest = read_manifest(folder)
    if manifest.kind != "prepare":
        raise InputError(f"{folder}: its manifest is not from csvprep prepare")
    rejected = manifest.rows["rejected"]  # every count is there: the manifest is checked
    if rejected and not campaign.remove_invalid_rows:
        raise RejectedRowsError(
            f"{folder}: {rejected} rows were rejected as invalid; fix them, or pass "
            "--remove-invalid-rows to upload the clean rows anyway"
        )
    if not manifest.rows["clean"]:
        # a list, or a campaign started, with no one to call: refused, as validate refuses a
        # file without rows
        raise InputError(
            f"{folder}: no row to upload: all {manifest.rows['input']} rows were rejected, "
            "repeats or excluded (see the rejects file)"
        )
    verify_files(folder, manifest)
    ledger = wiring.ledger(folder)
    ledger.save()
    run = _Run(
        wiring.api,
        ledger,
        UploadResult(folder, dry_run=dry_run),
        campaign,
        _fields(campaign, manifest.variables_map),
        start_calls,
        wiring.say,
        wiring.progress,
        wiring.waiting,
    )
    for entry in manifest.files:
        run.file(folder, entry, force)
    return run.result


@dataclass
class _Run:
    """One upload run: the state every step of every file shares."""

    api: Api
    ledger: Ledger
    result: UploadResult
    campaign: Campaign
    fields: dict[str, Any]
    start_calls: bool
    say: Event
    progress: Event
    waiting: Waiting
    # the file being uploaded: its entry, name and hash in the manifest, its ledger steps, result
    folder: Path = Path()
    entry: FileEntry | None = None
    name: str = ""
    sha: str = ""
    steps: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    sent: str | None = None  # when the last request that changes something was sent (UTC)

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
        return self.api.call(request, reads=reads, upload=upload)

    def submit_file(self, step: str, request: Request) -> dict[str, Any]:
        """Send the current file, as bytes checked against the manifest at this moment."""
        assert self.entry is not None
        with verified_copy(self.folder, self.entry) as data:
            return self.submit(step, request, upload=(self.name, data))

    def submit(
        self, step: str, request: Request, upload: Upload | None = None, **ids: Any
    ) -> dict[str, Any]:
        """Send a request that changes something; record it uncertain if its answer is lost,
        with when it was sent (what it may have made is looked for as made since)."""
        self.sent = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            return self.send(request, reads=False, upload=upload)
        except UncertainError:
            self.ledger.record(self.name, self.sha, step, "uncertain", sent=self.sent, **ids)
            raise

    def done(self, step: str, message: str, **ids: Any) -> None:
        self.ledger.record(self.name, self.sha, step, "done", **ids)
        self.progress(f"{self.name}: {message}")

    def answered_id(self, answer: Mapping[str, Any], key: str, step: str, where: str) -> str:
        """The id ``key`` of a successful answer to ``step``; without one (missing, null, not
        a string or number) the step is recorded uncertain: the platform said it succeeded, so
        it may well have made a list that nothing here can name."""
        value = answer.get(key)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            self.ledger.record(self.name, self.sha, step, "uncertain", sent=self.sent)
            raise UncertainError(
                # its keys only: a save's answer can echo every contact back
                f"{where}: the answer holds no {key} (it has {sorted(answer)}); the platform "
                "may have acted on it"
            )
        return str(value)

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
        elif state == "uncertain":
            raise self.uncertain_stop("start", f"{ids} may already be calling")
        else:
            self.submit("start", Request("POST", path, body), **ids)
            self.done("start", "calls started", **ids)
        self.info["started"] = True

    def standard(self, rows: int) -> None:
        campaign, save = self.campaign, self.state("save")
        if save.get("state") == "uncertain":
            found = _find_campaign(
                self.api, campaign.campaign_name, save.get("sent"), self.ledger.known_ids()
            )
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
            list_id = self.answered_id(answer, "list_id", "save", "POST /campaign/save")
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
        if uploaded.get("state") == "uncertain":
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
            where = "POST /campaign/upload-csv"
            bulk_id = self.answered_id(answer, "bulk_list_id", "upload", where)
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
                self.progress(
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
