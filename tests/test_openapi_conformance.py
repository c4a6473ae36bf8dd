"""Every request the uploader sends, in every flow, against the platform's OpenAPI file
(tests/peer/ringg-api/openapi.json), checked by a real OpenAPI validator (openapi-core).

The flows run once against the contract server (tests/contract_server.py), which records each
request as it arrived on the wire: method, target (base path and query included), headers and
raw body. Each recorded request is then validated as the platform would see it: its operation
found from the spec's ``servers`` and ``paths``, its parameters (the X-API-KEY header, path and
query parameters), its content type and its body (multipart form fields or JSON) against the
operation's schema. An operation that defines no requestBody must get an empty body and no
Content-Type. Where the spec states a rule only in prose (JSON-string fields, the campaign time
format, exactly one of from_numbers and number_pool_id), the rule is checked here directly.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import polars as pl
import pytest
from contract_server import API_KEY, ContractServer, _multipart
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from conftest import FIXTURES, ROOT, VARIABLES_MAP
from csvprep.errors import UncertainError
from csvprep.outputs.preparing import prepare
from csvprep.upload import DEFAULT_BASE_URL, Api, agent_prompt, upload
from csvprep.upload.campaign import build_campaign

SPEC_FILE = Path(__file__).parent / "peer" / "ringg-api" / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
(SERVER,) = SPEC["servers"]
SPEC_HOST = "{0.scheme}://{0.netloc}".format(urlsplit(SERVER["url"]))
BASE_PATH = urlsplit(SERVER["url"]).path  # /ca/api/v0

# Every option csvprep can add to a request, so that each optional field is validated too.
OPTIONS: dict[str, Any] = {
    "remove_invalid_rows": True,
    "transliterate_callee_name": True,
    "callback_url": "https://api.example.com/ringg/campaign-callback",
    "email_completion_user_ids": ["user-1"],
    "concurrency_percentage": 25,
}
POOL: dict[str, Any] = {"from_numbers": None, "number_pool_id": "pool-1"}

# flow -> the operations it must send, by operationId
FLOWS: dict[str, tuple[str, ...]] = {
    "standard, from_numbers": ("uploadCampaignContactList", "startCampaign"),
    "standard, number_pool_id": ("uploadCampaignContactList", "startCampaignV2"),
    "large, from_numbers": (
        "uploadCampaignCsvBeta",
        "getCampaignUploadStatusBeta",
        "checkCampaignBalanceBeta",
        "makeCampaignCallAsyncBeta",
    ),
    "large, number_pool_id": (
        "uploadCampaignCsvBeta",
        "getCampaignUploadStatusBeta",
        "checkCampaignBalanceBeta",
        "makeCampaignCallAsyncBeta",
    ),
    "agent lookup": ("getAssistantById",),
    "resume after a dropped save": (
        "uploadCampaignContactList",
        "getAllCampaigns",
        "startCampaign",
    ),
}

# Fields csvprep sends that the operation's schema does not define (the spec leaves
# additionalProperties open, so the validator accepts them): each must be named by the docs.
DOCS_ONLY_FIELDS: dict[str, set[str]] = {
    # pages/setting-up-bulk-calls.mdx, step 4 (POST /campaign/start with callback_url)
    "startCampaign": {"callback_url"},
    # pages/start-campaign-v2.mdx: callback_url
    "startCampaignV2": {"callback_url"},
    # pages/upload-large-campaign-csv.mdx lists these three as required; the spec omits them
    "uploadCampaignCsvBeta": {"campaign_start_time", "campaign_end_time", "call_config"},
    # pages/make-large-campaign-calls-async.mdx: callback_url
    "makeCampaignCallAsyncBeta": {"callback_url"},
}

TIME = re.compile(r"\d{2}/\d{2}/\d{4}, \d{2}:\d{2}")  # "DD/MM/YYYY, HH:MM", as the spec says


def _validator_spec() -> dict[str, Any]:
    """The spec as the validator gets it, with one narrow change.

    multipart/form-data carries every non-file field as text, so the boolean fields
    (remove_invalid_rows, transliterate_callee_name) arrive as 'true'/'false'. The spec
    declares no ``encoding`` for them, so by OpenAPI 3.0 their part type is text/plain, and
    openapi-core hands the raw string to a ``type: boolean`` schema, which no multipart client
    could ever satisfy. Only for those boolean properties, the parts are read as JSON
    (``encoding: {contentType: application/json}``): 'true'/'false' become booleans, anything
    else ('yes', 'True', '1') still fails. Nothing else in the spec is changed.
    """
    spec = copy.deepcopy(SPEC)
    for operations in spec["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            media = content.get("multipart/form-data")
            if media is None:
                continue
            booleans = {
                name: {"contentType": "application/json"}
                for name, prop in media["schema"].get("properties", {}).items()
                if prop.get("type") == "boolean"
            }
            media.setdefault("encoding", {}).update(booleans)
    return spec


OPENAPI = OpenAPI.from_dict(_validator_spec())  # the spec is itself validated here


@dataclass
class WireRequest:
    """A recorded request in openapi-core's Request protocol."""

    method: str
    path: str
    body: bytes
    content_type: str
    parameters: RequestParameters
    host_url: str = SPEC_HOST
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> WireRequest:
        target = urlsplit(record["target"])
        headers = dict(record["headers"])
        return cls(
            method=record["method"].lower(),
            # the contract server listens on 127.0.0.1; the spec's server is the platform's
            # host, so the path as sent (its base path included) is checked against that
            path=target.path,
            body=record["raw"],
            content_type=_header(headers, "Content-Type") or "",
            parameters=RequestParameters(
                query=ImmutableMultiDict(parse_qsl(target.query, keep_blank_values=True)),
                header=Headers(list(headers.items())),
            ),
            headers=headers,
        )


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _spec_path(path: str) -> str | None:
    """The spec's path that ``path`` (under the base path, or not) names: exact, else templated."""
    exact = [p for p in SPEC["paths"] if p == path]
    templated = [p for p in SPEC["paths"] if re.fullmatch(re.sub(r"{[^}]+}", "[^/]+", p), path)]
    return (exact or templated or [None])[0]


def _operation(request: WireRequest) -> tuple[str, dict[str, Any]] | None:
    """(spec path, operation) that the request addresses, if any (for the test's own
    bookkeeping; the validator finds the operation itself, from ``servers`` and ``paths``)."""
    if not request.path.startswith(BASE_PATH + "/"):
        return None
    template = _spec_path(request.path.removeprefix(BASE_PATH))
    if template is None or request.method not in SPEC["paths"][template]:
        return None
    return template, SPEC["paths"][template][request.method]


def _errors(exc: BaseException) -> Iterator[str]:
    text = str(exc)  # may quote the whole body, CSV included: the schema errors below are exact
    yield f"{type(exc).__name__}: {text[:200]}{' ...' if len(text) > 200 else ''}"
    for inner in getattr(exc, "schema_errors", ()) or ():
        yield f"  {'/'.join(map(str, inner.absolute_path)) or '(body)'}: {inner.message}"
    if exc.__cause__ is not None:
        yield from _errors(exc.__cause__)


def _fields(request: WireRequest) -> dict[str, Any]:
    """The body's fields: JSON members, or multipart parts (files as bytes)."""
    if request.content_type.startswith("application/json"):
        data = json.loads(request.body)
        return data if isinstance(data, dict) else {}
    if request.content_type.startswith("multipart/form-data"):
        return _multipart(request.content_type, request.body)
    return {}


def problems(record: dict[str, Any]) -> list[str]:
    """Everything in one recorded request that the spec does not allow ([] if conformant)."""
    request = WireRequest.from_record(record)
    where = f"{request.method.upper()} {request.path}"
    out = [f"{where}: {line}" for e in OPENAPI.iter_request_errors(request) for line in _errors(e)]
    found = _operation(request)
    if found is None:
        return out or [f"{where}: no operation of the spec"]
    _, operation = found
    if "requestBody" not in operation:
        # the validator skips the body of an operation that defines none: say it here
        if request.body:
            out.append(f"{where}: a body of {len(request.body)} bytes; the spec defines none")
        if _header(request.headers, "Content-Type") is not None:
            out.append(f"{where}: Content-Type {request.content_type!r}; the spec defines no body")
        if _header(request.headers, "Transfer-Encoding") is not None:
            out.append(f"{where}: Transfer-Encoding on a request that has no body")
        return out
    try:
        fields = _fields(request)
    except ValueError as e:
        return [*out, f"{where}: body not readable ({e})"]
    schema = next(iter(operation["requestBody"]["content"].values()))["schema"]
    for name, prop in schema.get("properties", {}).items():
        value = fields.get(name)
        if value is None:
            continue
        text = prop.get("description", "")
        if prop.get("type") == "string" and "JSON string" in text:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                out.append(f"{where}: {name} is not a JSON object string: {value!r}")
        if "DD/MM/YYYY, HH:MM" in text and not TIME.fullmatch(str(value)):
            out.append(f"{where}: {name} {value!r} is not 'DD/MM/YYYY, HH:MM'")
    if "exactly one of from_numbers or number_pool_id" in json.dumps(schema).lower():
        given = [k for k in ("from_numbers", "number_pool_id") if fields.get(k)]
        if len(given) != 1:
            out.append(f"{where}: exactly one of from_numbers, number_pool_id; sent {given}")
    return out


# --- the flows, run once --------------------------------------------------------------------


@dataclass
class Recorded:
    record: dict[str, Any]
    operation_id: str | None


def _campaign(**changes: Any) -> Any:
    from test_upload import SETTINGS

    return build_campaign({**SETTINGS, **changes})


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Recorded]]:
    tmp = tmp_path_factory.mktemp("conformance")
    prepare(FIXTURES / "valid_contacts.csv", tmp / "small", variables_map=VARIABLES_MAP)
    source = tmp / "big.csv"
    pl.DataFrame(
        {"Mobile Number": [f"+9198{i:08d}" for i in range(5200)], "Name": ["Asha"] * 5200}
    ).write_csv(source)
    prepare(source, tmp / "large")

    def folder(kind: str, name: str) -> Path:
        copy_ = tmp / name
        shutil.copytree(tmp / kind, copy_)
        return copy_

    def standard_numbers(client: Api, server: ContractServer) -> None:
        upload(folder("small", "s1"), _campaign(**OPTIONS), api=client, start_calls=True)

    def standard_pool(client: Api, server: ContractServer) -> None:
        upload(folder("small", "s2"), _campaign(**OPTIONS, **POOL), api=client, start_calls=True)

    def large_numbers(client: Api, server: ContractServer) -> None:
        upload(folder("large", "l1"), _campaign(**OPTIONS), api=client, start_calls=True)

    def large_pool(client: Api, server: ContractServer) -> None:
        upload(folder("large", "l2"), _campaign(**POOL), api=client, start_calls=True)

    def agent(client: Api, server: ContractServer) -> None:
        assert "policy_id" in agent_prompt(client, "830f767a").variables()

    def resume(client: Api, server: ContractServer) -> None:
        where, settings = folder("small", "s3"), _campaign(campaign_name="Resumed")
        server.platform.fault("POST /campaign/save", "drop")
        with pytest.raises(UncertainError):
            upload(where, settings, api=client, start_calls=True)
        upload(where, settings, api=client, start_calls=True)  # finds it via /campaign/all

    drivers = {
        "standard, from_numbers": standard_numbers,
        "standard, number_pool_id": standard_pool,
        "large, from_numbers": large_numbers,
        "large, number_pool_id": large_pool,
        "agent lookup": agent,
        "resume after a dropped save": resume,
    }
    assert set(drivers) == set(FLOWS)
    out: dict[str, list[Recorded]] = {}
    # one server for all flows (each stopping costs half a second); each flow's requests are
    # those recorded while it ran, and its own folder and campaign name keep it apart
    with ContractServer() as server, Api(API_KEY, server.url, sleep=lambda _: None) as client:
        for name, drive in drivers.items():
            before = len(server.platform.requests)
            drive(client, server)
            out[name] = [
                Recorded(record, _operation_id(record))
                for record in server.platform.requests[before:]
            ]
    return out


def _operation_id(record: dict[str, Any]) -> str | None:
    found = _operation(WireRequest.from_record(record))
    return found[1].get("operationId") if found else None


CASES = [(flow, op) for flow, ops in FLOWS.items() for op in ops]


@pytest.mark.parametrize(("flow", "operation_id"), CASES, ids=[f"{f}: {o}" for f, o in CASES])
def test_every_request_conforms_to_the_spec(recorded, flow, operation_id):
    sent = [r.record for r in recorded[flow] if r.operation_id == operation_id]
    assert sent, f"{flow}: no {operation_id} request was sent"
    found = [line for record in sent for line in problems(record)]
    assert found == [], "\n".join(found)


def test_every_recorded_request_is_a_case_above(recorded):
    """Nothing sent goes unchecked: each request maps to an operation of the spec, and the
    (flow, operation) pairs are exactly the cases validated above."""
    unknown = [
        f"{flow}: {r.record['method']} {r.record['target']}"
        for flow, rs in recorded.items()
        for r in rs
        if r.operation_id is None
    ]
    assert unknown == []
    sent = {(flow, r.operation_id) for flow, rs in recorded.items() for r in rs}
    assert sent == set(CASES)
    # the dropped save and its re-run: two saves, one lookup, one start
    resume = [r.operation_id for r in recorded["resume after a dropped save"]]
    assert resume == ["uploadCampaignContactList", "getAllCampaigns", "startCampaign"]


def _paths_in_source() -> set[str]:
    """The spec paths that csvprep's code names (string and f-string literals)."""
    names: set[str] = set()
    for source in (ROOT / "csvprep").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if not text.startswith("/"):
                continue
            if (template := _spec_path(text)) is not None:
                names.add(template)
    return names


def test_the_flows_cover_every_operation_csvprep_uses(recorded):
    exercised = {r.operation_id for rs in recorded.values() for r in rs}
    assert exercised == {op for ops in FLOWS.values() for op in ops}
    paths = {
        _operation(WireRequest.from_record(r.record))[0]  # type: ignore[index]
        for rs in recorded.values()
        for r in rs
    }
    assert paths == _paths_in_source(), "csvprep names a spec path that no flow here sends"
    # csvprep's default base URL is the spec's server, so the base path is the spec's
    assert SERVER["url"] == DEFAULT_BASE_URL


BODY_OPERATIONS = [
    "uploadCampaignContactList",
    "uploadCampaignCsvBeta",
    # email_completion_user_ids is defined for v2/start and make-call-async only: csvprep
    # leaves it out of /campaign/start (it once sent it there; this case caught it)
    "startCampaign",
    "startCampaignV2",
    "makeCampaignCallAsyncBeta",
]


@pytest.mark.parametrize("operation_id", BODY_OPERATIONS)
def test_fields_outside_the_spec_are_only_documented_ones(recorded, operation_id):
    """The validator accepts fields a schema does not define (the spec leaves
    additionalProperties open): csvprep may send only those the docs pages name, so that no
    misspelt or invented field goes through unseen."""
    sent: set[str] = set()
    properties: set[str] = set()
    for r in (r for rs in recorded.values() for r in rs if r.operation_id == operation_id):
        request = WireRequest.from_record(r.record)
        found = _operation(request)
        assert found is not None
        media = next(iter(found[1]["requestBody"]["content"].values()))
        properties = set(media["schema"].get("properties", {}))
        sent |= set(_fields(request))
    assert sent, f"no {operation_id} request was sent"
    assert sent - properties == DOCS_ONLY_FIELDS.get(operation_id, set())


def test_every_operation_with_a_body_has_its_fields_checked(recorded):
    with_body = {
        r.operation_id
        for rs in recorded.values()
        for r in rs
        if r.record["raw"] or _header(r.record["headers"], "Content-Type")
    }
    listed = {p if isinstance(p, str) else p.values[0] for p in BODY_OPERATIONS}
    assert with_body == listed


# --- a dry run stands in for the platform -----------------------------------------------------

# flow -> the prepared folder it uploads and its campaign's settings, as the drivers above
DRY_RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "standard, from_numbers": ("small", OPTIONS),
    "standard, number_pool_id": ("small", {**OPTIONS, **POOL}),
    "large, from_numbers": ("large", OPTIONS),
    "large, number_pool_id": ("large", POOL),
}


def _operation_of(method: str, url: str) -> str | None:
    template = _spec_path(url)
    operation = SPEC["paths"].get(template or "", {}).get(method.lower(), {})
    return operation.get("operationId")


def test_a_dry_run_sends_its_recorder_the_operations_a_real_run_sends(recorded, tmp_path):
    # the dry run's transport answers as the docs say; the flows over it must send the same
    # operations, in the same order, as over the contract server (a real run may poll the
    # upload status more than once, where the recorder answers "completed" at once)
    prepare(FIXTURES / "valid_contacts.csv", tmp_path / "small", variables_map=VARIABLES_MAP)
    source = tmp_path / "big.csv"
    pl.DataFrame(
        {"Mobile Number": [f"+9198{i:08d}" for i in range(5200)], "Name": ["Asha"] * 5200}
    ).write_csv(source)
    prepare(source, tmp_path / "large")
    for flow, (kind, changes) in DRY_RUNS.items():
        result = upload(
            tmp_path / kind, _campaign(**changes), api=None, start_calls=True, dry_run=True
        )
        dry = [_operation_of(r.method, r.url) for r in result.requests]
        real = [r.operation_id for r in recorded[flow]]
        polled_once = [op for i, op in enumerate(real) if i == 0 or op != real[i - 1]]
        assert dry == polled_once, flow
        assert not (tmp_path / kind / "upload-ledger.json").exists()  # a dry run writes nothing


# --- the check itself can fail --------------------------------------------------------------


def _one(recorded: dict[str, list[Recorded]], flow: str, operation_id: str) -> dict[str, Any]:
    return next(r.record for r in recorded[flow] if r.operation_id == operation_id)


def _with_json(record: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    headers = {**record["headers"], "Content-Type": "application/json"}
    headers["Content-Length"] = str(len(raw))
    return {**record, "raw": raw, "headers": headers}


def _with_form(record: dict[str, Any], file_part: str = "file", **changes: Any) -> dict[str, Any]:
    """The multipart request rebuilt (by httpx, as csvprep builds it) with fields changed (None
    leaves a field out) and the CSV sent as the part ``file_part``."""
    fields = {**_multipart(record["headers"]["Content-Type"], record["raw"]), **changes}
    file = fields.pop("file")
    data = {k: v for k, v in fields.items() if v is not None}
    files = {file_part: (file["filename"], file["content"], "text/csv")}
    request = httpx.Request("POST", "http://x/", data=data, files=files)
    raw = request.read()
    headers = {k: v for k, v in record["headers"].items() if k.lower() != "content-type"}
    headers["Content-Type"] = request.headers["Content-Type"]
    headers["Content-Length"] = str(len(raw))
    return {**record, "raw": raw, "headers": headers}


def test_broken_requests_are_caught(recorded):
    """Each way a request could break is reported, for the right reason."""
    large, std = "large, from_numbers", "standard, from_numbers"
    balance = _one(recorded, large, "checkCampaignBalanceBeta")
    call = _one(recorded, large, "makeCampaignCallAsyncBeta")
    save = _one(recorded, std, "uploadCampaignContactList")
    status = _one(recorded, large, "getCampaignUploadStatusBeta")
    body = json.loads(call["raw"])
    no_key = {k: v for k, v in status["headers"].items() if k != "X-API-KEY"}
    as_form = {**call["headers"], "Content-Type": "application/x-www-form-urlencoded"}
    broken = {
        "a body on check-balance": (_with_json(balance, {}), "a body of 2 bytes"),
        "a Content-Type alone on check-balance": (
            {**balance, "headers": {**balance["headers"], "Content-Type": "application/json"}},
            "the spec defines no body",
        ),
        "make-call-async without call_config": (
            _with_json(call, {k: v for k, v in body.items() if k != "call_config"}),
            "'call_config' is a required property",
        ),
        "make-call-async with both number sources": (
            _with_json(call, {**body, "number_pool_id": "pool-1"}),
            "exactly one of from_numbers, number_pool_id",
        ),
        "make-call-async, concurrency over 100": (
            _with_json(call, {**body, "concurrency_percentage": 101}),
            "101 is greater than the maximum of 100",
        ),
        "from_numbers not an array": (
            _with_json(call, {**body, "from_numbers": "from-number-id"}),
            "from_numbers: 'from-number-id' is not of type 'array'",
        ),
        "a time in another format": (
            _with_json(call, {**body, "campaign_start_time": "2026-10-18 09:00"}),
            "is not 'DD/MM/YYYY, HH:MM'",
        ),
        "save without agent_id": (
            _with_form(save, agent_id=None),
            "'agent_id' is a required property",
        ),
        "save with the file part misnamed": (
            _with_form(save, file_part="contacts"),
            "'file' is a required property",
        ),
        "save with a boolean as 'yes'": (
            _with_form(save, remove_invalid_rows="yes"),
            "Failed to deserialize value with application/json mimetype: yes",
        ),
        "save with call_config not JSON": (
            _with_form(save, call_config="retry=1"),
            "call_config is not a JSON object string",
        ),
        "no API key": (
            {**status, "headers": no_key},
            "Missing required header parameter: X-API-KEY",
        ),
        "outside the base path": (
            {**status, "target": status["target"].removeprefix(BASE_PATH)},
            "ServerNotFound",
        ),
        "a JSON body as form data": (
            {**call, "headers": as_form},
            "mimetype not found: application/x-www-form-urlencoded",
        ),
    }
    for name, (record, reason) in broken.items():
        found = "\n".join(problems(record))
        assert reason in found, f"{name}: expected {reason!r} in:\n{found}"
    # and the same requests unbroken pass, the form rebuilt the same way
    assert problems(_with_form(save)) == []
    assert problems(_with_json(call, body)) == []
