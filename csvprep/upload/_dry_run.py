"""A dry run's transport: every request recorded, none sent, each answered as the platform's
documentation says it would answer a request that succeeds.

httpx's ``MockTransport`` is the model: the flows and the client run exactly as in a real run,
and only the transport under the client differs. What a dry run lists is what the transport
got, as the flows described each request (see ``DESCRIBED``).
"""

from __future__ import annotations

from typing import Any

import httpx

from ._client import DEFAULT_BASE_URL, DESCRIBED, Api, Request
from ._ledger import Ledger

# A documented success for each endpoint the flows use, by method and the start of the path.
# The ids are placeholders a dry run shows where a real run shows the platform's own.
_ANSWERS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/campaign/save", {"list_id": "<list_id>"}),
    ("POST", "/campaign/upload-csv", {"bulk_list_id": "<bulk_list_id>"}),
    ("GET", "/campaign/upload-status/", {"status": "completed"}),
    ("POST", "/campaign/check-balance/", {"sufficient_balance": True}),
    ("GET", "/campaign/all", {"campaigns": []}),
]


def answer_for(request: Request) -> dict[str, Any]:
    """The documented answer to ``request`` when it succeeds (an empty object for the starts,
    whose answers the flows do not read).

    >>> answer_for(Request("POST", "/campaign/save"))
    {'list_id': '<list_id>'}
    >>> answer_for(Request("POST", "/campaign/start"))
    {}
    """
    for method, path, answer in _ANSWERS:
        if request.method == method and request.url.startswith(path):
            return dict(answer)
    return {}


class Recorder(httpx.BaseTransport):
    """A transport that records each request (as the flows described it) and answers it as the
    documentation says, without a network.

    >>> recorder = Recorder()
    >>> with recorder.api() as api:
    ...     api.call(Request("POST", "/campaign/save", {"agent_id": "a"}), reads=False)
    {'list_id': '<list_id>'}
    >>> [(r.method, r.url) for r in recorder.requests]
    [('POST', '/campaign/save')]
    """

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        described: Request = request.extensions[DESCRIBED]
        self.requests.append(described)
        return httpx.Response(200, json=answer_for(described))

    def api(self) -> Api:
        """A client over this transport. Its key is a placeholder: no request leaves the
        machine, and a dry run needs no key."""
        return Api("dry-run", DEFAULT_BASE_URL, transport=self)


class UnwrittenLedger(Ledger):
    """The folder's ledger, read as a real run reads it, with every step recorded in memory
    only: a dry run writes nothing."""

    def save(self) -> None:
        """Nothing: the ledger on disk stays as the last real run left it."""
