"""Turning a model's raw output into the action sent to the server.

The server judges actions: a value that is not ``{name, parameters}`` is rolled back with
``invalid_action`` and the agent sees the error as its observation. So the client never refuses an
action: what it cannot read as a tool call goes to the server as-is, and what the protocol cannot
carry is made plain first (``plain_action``): numpy values become Python values, bytes and strings
with lone surrogates become UTF-8 text (U+FFFD for what is not), integers beyond JavaScript's exact
range become the float the server would read anyway; an action that still holds something the
protocol cannot carry (NaN, Infinity, an object, nesting too deep) is sent as its text, so the
agent sees ``invalid_action`` and the step counts like any other malformed output.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

from .codec import MAX_PLAIN_DATA_DEPTH, PROTOTYPE_KEY, from_numpy, is_numpy

__all__ = ["parse_action", "plain_action", "observation_text"]

#: Integers a JavaScript number holds exactly (the server reads numbers as JavaScript numbers).
MAX_SAFE_INTEGER = 2 ** 53 - 1
#: An action sits at this depth of a step message ({id, op, params: {action}}).
ACTION_DEPTH = 2

def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _loads(text: str) -> Any:
    """Strict JSON: Python's parser would take NaN / Infinity, which the protocol cannot carry."""
    return json.loads(text, parse_constant=_refuse_constant)


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
                arguments = _loads(arguments) if arguments.strip() else {}
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
    return plain_action(_parse(action, extract))


def _parse(action: Any, extract: bool) -> Any:
    if is_numpy(action):
        action = from_numpy(action)
    if isinstance(action, Mapping):
        return _normalize(action)
    if isinstance(action, (bytes, bytearray, memoryview)):
        action = bytes(action).decode("utf-8", errors="replace")
    if not isinstance(action, str):
        return action
    action = utf8_text(action)
    candidates = [action]
    if extract:
        found = _TOOL_CALL.search(action)
        if found:
            candidates.insert(0, found.group(1))
    for text in candidates:
        try:
            value = _loads(text)
        except ValueError:
            continue
        if isinstance(value, Mapping):
            return _normalize(value)
    return action


class _NotPlain(Exception):
    pass


def utf8_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (a surrogate pair becomes its character)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _plain(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return int(value)
        try:
            value = float(value)
        except OverflowError:
            raise _NotPlain() from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _NotPlain()
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return utf8_text(bytes(value).decode("utf-8", errors="replace"))
    if is_numpy(value):
        return _plain(from_numpy(value), depth)
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_PLAIN_DATA_DEPTH:
        raise _NotPlain()
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            key = utf8_text(key) if isinstance(key, str) else str(_plain(key, depth))
            if key == PROTOTYPE_KEY:
                raise _NotPlain()
            out[key] = _plain(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in value]
    raise _NotPlain()


def plain_action(action: Any) -> Any:
    """An action the protocol carries, whatever the model produced (see the module): the same action
    made plain, or, when that cannot be done, its text for the server to answer ``invalid_action``."""
    try:
        return _plain(action, ACTION_DEPTH)
    except (_NotPlain, RecursionError):
        pass
    try:
        text = json.dumps(action, ensure_ascii=False, allow_nan=True, default=repr)
    except (ValueError, TypeError, RecursionError):  # a cycle, or a repr that fails
        text = object.__repr__(action)
    return utf8_text(text)


def observation_text(observation: Any) -> str:
    """An observation (any JSON value) as text: strings as they are, other values as JSON."""
    if isinstance(observation, str):
        return observation
    return json.dumps(observation, ensure_ascii=False, separators=(", ", ": "))
