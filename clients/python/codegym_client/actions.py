"""Turning a model's raw output into the action sent to the server.

The server judges actions: a value that is not ``{name, parameters}`` is rolled back with
``invalid_action`` and the agent sees the error as its observation. So the client never refuses an
action: what it cannot read as a tool call goes to the server as-is.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

__all__ = ["parse_action", "observation_text"]

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def _normalize(value: Mapping[str, Any]) -> Any:
    """``{name, arguments}`` (an OpenAI tool call, arguments as JSON text or a map) becomes
    ``{name, parameters}``; ``{"type": "function", "function": {...}}`` is unwrapped. Anything else
    is returned unchanged for the server to judge."""
    if value.get("type") == "function" and isinstance(value.get("function"), Mapping) and set(value) <= {"type", "function", "id"}:
        value = value["function"]
    if "arguments" in value and "parameters" not in value and set(value) <= {"name", "arguments"}:
        arguments = value["arguments"]
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                return dict(value)  # the server reports it as invalid_action
        return {"name": value.get("name"), "parameters": arguments}
    return dict(value)


def parse_action(action: Any, *, extract: bool = False) -> Any:
    """The wire action for ``action``.

    * a map: ``{name, parameters}`` (or an OpenAI ``{name, arguments}`` tool call) is sent as such;
    * a string holding a JSON object: that object;
    * with ``extract=True``, a string holding a ``<tool_call>{...}</tool_call>`` block (the Hermes /
      Qwen chat format): the first such block;
    * any other string (a malformed one included) is sent as-is: the server answers with an
      ``invalid_action`` observation, which is what the agent should see.
    """
    if isinstance(action, Mapping):
        return _normalize(action)
    if isinstance(action, (bytes, bytearray)):
        action = bytes(action).decode("utf-8", errors="replace")
    if not isinstance(action, str):
        return action
    candidates = [action]
    if extract:
        found = _TOOL_CALL.search(action)
        if found:
            candidates.insert(0, found.group(1))
    for text in candidates:
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, Mapping):
            return _normalize(value)
    return action


def observation_text(observation: Any) -> str:
    """An observation (any JSON value) as text: strings as they are, other values as JSON."""
    if isinstance(observation, str):
        return observation
    return json.dumps(observation, ensure_ascii=False, separators=(", ", ": "))
