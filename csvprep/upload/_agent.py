"""The assistant's own prompt and custom variables, read from the platform for ``validate``."""

from __future__ import annotations

from typing import Any

from ..checks.headers import Prompt
from ..errors import RemoteError
from ._client import Api, Request


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
