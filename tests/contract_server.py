"""A contract server for the platform's campaign endpoints, on 127.0.0.1, for the upload tests.

It keeps to the documented contract (the platform's docs; its OpenAPI file is copied in
``tests/peer/ringg-api/``): the X-API-KEY header, real multipart parsing with the documented
required fields, JSON bodies with exactly one of ``from_numbers`` and ``number_pool_id``,
``list_id`` and ``bulk_list_id`` it issued, and a large upload that goes verifying ->
processing -> completed as it is polled, and ``GET /campaign/all`` as documented (items of
``id``, ``name`` and ``created_at``, 10 a page unless asked, with ``pagination``). It refuses
a second start of the same list, so a duplicate submission fails the test. Faults are injected
per endpoint: ``500``, ``429`` (with ``Retry-After``), ``503``, ``504``, ``slow`` (answers
late), ``drop`` (acts on the request, then closes the connection without answering) and
``echo`` (refuses it with a ``detail`` that echoes the request's headers, key included, as
some frameworks' debug pages do); any other word (``ok``) lets a request through as it is.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-key-7251cb4b-3373-43a4-844c-b27a1d45e0c9"
SAVE_FIELDS = {
    "variables_map",
    "agent_id",
    "call_config",
    "country_code",
    "campaign_start_time",
    "campaign_end_time",
    "campaign_name",
    "file",
}
UPLOAD_FIELDS = {"variables_map", "agent_id", "country_code", "campaign_name", "file"}


class Platform:
    """The server's state and the faults to inject, shared with the test."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.lists: dict[str, dict[str, Any]] = {}
        self.bulk: dict[str, dict[str, Any]] = {}
        self.started: set[str] = set()
        self.faults: dict[str, list[str]] = defaultdict(list)
        self.balance_shape = "sufficient"  # or "status", "insufficient", "unknown", "other_id"
        self.save_counts: dict[str, Any] | None = None  # the save answer's counts, if not all ok
        self.invalidated = 0  # rows a large upload's processing invalidates
        self.stuck = False  # a large upload that stays "verifying"

    def made_before(self, name: str, minutes_ago: float, count: int = 1) -> None:
        """Campaigns of ``name`` that some earlier run or person made ``minutes_ago``."""
        when = time.time() - minutes_ago * 60
        for _ in range(count):
            made = {"campaign_name": name, "rows": 1, "created_at": _now(when)}
            self.lists[str(uuid.uuid4())] = made

    def fault(self, endpoint: str, *kinds: str) -> None:
        """Queue faults for the next requests to an endpoint ('POST /campaign/save')."""
        self.faults[endpoint].extend(kinds)

    def calls(self, endpoint: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["endpoint"] == endpoint]


def _now(at: float | None = None) -> str:
    """A time as the docs write one: ``2024-01-15T14:30:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename():
            fields[name] = {"filename": part.get_filename(), "content": payload}
        else:
            fields[name] = payload.decode("utf-8")
    return fields


def make_handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _text(
            self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0].removeprefix("/ca/api/v0")
            endpoint = f"{method} {path}"
            for prefix in ("/campaign/upload-status/", "/campaign/check-balance/"):
                if path.startswith(prefix):
                    endpoint = f"{method} {prefix}{{bulk_list_id}}"
            record: dict[str, Any] = {
                "endpoint": endpoint,
                "method": method,
                "target": self.path,  # as sent: base path and query string included
                "path": path,
                "headers": dict(self.headers),
                "raw": raw,
            }
            with platform.lock:
                platform.requests.append(record)
                fault = platform.faults[endpoint].pop(0) if platform.faults[endpoint] else None
            if fault == "500":
                return self._answer(500, {"detail": "Internal Server Error"})
            if fault in ("429", "503"):
                return self._answer(int(fault), {"detail": "slow down"}, {"Retry-After": "1"})
            if fault == "504":
                return self._answer(504, {"detail": "gateway timeout"})
            if fault == "echo":
                return self._answer(400, {"detail": {"headers": dict(self.headers)}})
            if fault == "echo_quoted":  # the key as a query string or form would carry it
                key = urllib.parse.quote(self.headers.get("X-API-KEY", ""), safe="")
                return self._text(400, f"bad key {key}".encode(), "text/plain")
            if fault == "redirect":  # a gateway sending the client to a login page
                return self._text(302, b"", "text/html", {"Location": "https://login.example/"})
            if fault == "html":  # a proxy's page, with a success status
                return self._text(200, b"<html>Please sign in</html>", "text/html")
            if fault == "slow":
                time.sleep(1.5)
            if self.headers.get("X-API-KEY") != API_KEY:
                return self._answer(401, {"detail": "Invalid or missing API key"})
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("multipart/form-data"):
                record["fields"] = _multipart(ctype, raw)
            elif raw:
                record["json"] = json.loads(raw)
            status, body = self._route(endpoint, path, record)
            if fault == "null_id":  # acted on, but the answer names nothing
                body = {k: (None if k.endswith("list_id") else v) for k, v in body.items()}
            if fault == "drop":
                # acted on, answer lost: close without a response
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            return self._answer(status, body)

        def _route(self, endpoint: str, path: str, record: dict[str, Any]) -> tuple[int, Any]:
            fields = record.get("fields", {})
            body = record.get("json", {})
            with platform.lock:
                if endpoint in ("POST /campaign/save", "POST /campaign/upload-csv"):
                    need = SAVE_FIELDS if endpoint.endswith("save") else UPLOAD_FIELDS
                    missing = need - set(fields)
                    if missing:
                        return 400, {"detail": f"missing fields: {sorted(missing)}"}
                    for key in ("variables_map", "call_config"):
                        if key in fields:
                            json.loads(fields[key])
                    rows = fields["file"]["content"].decode().count("\n") - 1
                    new_id = str(uuid.uuid4())
                    if endpoint.endswith("save"):
                        platform.lists[new_id] = {
                            "campaign_name": fields["campaign_name"],
                            "rows": rows,
                            "created_at": _now(),
                        }
                        counts = platform.save_counts or {
                            "total_rows": rows,
                            "successful_rows": rows,
                            "failed_rows": 0,
                        }
                        return 200, {
                            "message": "Contacts imported successfully!",
                            "list_id": new_id,
                            **counts,
                        }
                    platform.bulk[new_id] = {
                        "campaign_name": fields["campaign_name"],
                        "rows": rows,
                        "polls": 0,
                        "created_at": _now(),
                    }
                    return 200, {
                        "bulk_list_id": new_id,
                        "status": "verifying",
                        "campaign_name": fields["campaign_name"],
                    }
                if endpoint == "GET /campaign/upload-status/{bulk_list_id}":
                    bulk = platform.bulk.get(path.rsplit("/", 1)[1])
                    if bulk is None:
                        return 404, {"detail": "Bulk list not found"}
                    bulk["polls"] += 1
                    status = ["verifying", "processing", "completed"][min(bulk["polls"], 3) - 1]
                    invalid = platform.invalidated
                    return 200, {
                        "bulk_list_id": path.rsplit("/", 1)[1],
                        "status": "verifying" if platform.stuck else status,
                        "total_callees": bulk["rows"],
                        "invalidated_rows_count": invalid,
                        "invalidated_rows_csv_url": "https://storage.example.com/invalid.csv"
                        if invalid
                        else None,
                    }
                if endpoint == "POST /campaign/check-balance/{bulk_list_id}":
                    if record["raw"] or record["headers"].get("Content-Type"):
                        # the spec defines no body here, as a validating server holds it
                        return 415, {"detail": "this operation takes no request body"}
                    bulk_id = path.rsplit("/", 1)[1]
                    if bulk_id not in platform.bulk:
                        return 404, {"detail": "Bulk list not found"}
                    if platform.balance_shape == "status":
                        return 200, {"status": "draft", "bulk_list_id": bulk_id}
                    if platform.balance_shape == "unknown":
                        return 200, {"bulk_list_id": bulk_id, "message": "ok"}
                    if platform.balance_shape == "other_id":
                        return 200, {"bulk_list_id": "someone-else", "sufficient_balance": True}
                    if platform.balance_shape == "insufficient":
                        return 200, {
                            "bulk_list_id": bulk_id,
                            "required_credits": 6200,
                            "available_credits": 100,
                            "sufficient_balance": False,
                        }
                    return 200, {
                        "bulk_list_id": bulk_id,
                        "required_credits": 6200,
                        "available_credits": 8500,
                        "sufficient_balance": True,
                    }
                if endpoint in (
                    "POST /campaign/start",
                    "POST /campaign/v2/start",
                    "POST /campaign/make-call-async",
                ):
                    key = "bulk_list_id" if endpoint.endswith("async") else "list_id"
                    known = platform.bulk if key == "bulk_list_id" else platform.lists
                    ident = body.get(key)
                    if ident not in known:
                        return 400, {"detail": f"unknown {key}"}
                    if bool(body.get("from_numbers")) == bool(body.get("number_pool_id")):
                        return 422, {"detail": "exactly one of from_numbers or number_pool_id"}
                    if (
                        endpoint.endswith("/v2/start") != bool(body.get("number_pool_id"))
                        and key == "list_id"
                    ):
                        return 422, {"detail": "wrong start endpoint for the number source"}
                    if ident in platform.started:
                        return 400, {"detail": "campaign already started"}
                    platform.started.add(ident)
                    return 200, {"message": "Campaign started", key: ident, "status": "scheduled"}
                if endpoint.startswith("GET /agent/"):
                    if endpoint != "GET /agent/830f767a":
                        return 404, {"detail": "Assistant not found"}
                    return 200, {
                        "agents": {
                            "id": "830f767a",
                            "agent_config": {
                                "custom_variables": {
                                    "callee_name": "string",
                                    "policy_id": "string",
                                    "premium_amount": "string",
                                },
                                "agent_prompt": "Hi @{{callee_name}}, @{{policy_id}} is due.",
                            },
                        }
                    }
                if endpoint == "GET /campaign/all":
                    # the documented item and pagination: 10 campaigns unless asked, oldest
                    # first (the order is not documented: a client must read every page)
                    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                    limit, offset = int(query.get("limit", 10)), int(query.get("offset", 0))
                    if not 1 <= limit <= 1000 or offset < 0:
                        return 422, {"detail": "limit must be 1 to 1000, offset at least 0"}
                    made = sorted(
                        [*platform.lists.items(), *platform.bulk.items()],
                        key=lambda item: item[1]["created_at"],
                    )
                    items = [
                        {
                            "id": k,
                            "name": v["campaign_name"],
                            "campaign_status": "running" if k in platform.started else "pending",
                            "created_at": v["created_at"],
                            "updated_at": v["created_at"],
                        }
                        for k, v in made
                    ]
                    pagination = {"total": len(items), "limit": limit, "offset": offset}
                    return 200, {
                        "campaigns": items[offset : offset + limit],
                        "pagination": pagination,
                    }
            return 404, {"detail": f"no route {endpoint}"}

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


class ContractServer:
    """Run the platform on a free port of 127.0.0.1 in a thread."""

    def __init__(self) -> None:
        self.platform = Platform()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.platform))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/ca/api/v0"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ContractServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
