"""Frames: MessagePack on binary frames, JSON (UTF-8) on text frames, one message per frame.

``encode`` sends only what the server accepts as plain data (PROTOCOL.md, "Framing"): null, booleans,
finite numbers, integers that fit 64 bits, UTF-8 strings, lists, maps with string keys (never
``"__proto__"``), nested at most ``MAX_PLAIN_DATA_DEPTH`` deep, and bytes. Anything else raises
``UnencodableValueError`` naming where it is, before a frame exists: a frame the server cannot read
gets no answer the client could match to its request. numpy scalars and arrays become the Python
values they hold (``.item()``, ``.tolist()``), tuples become lists.
"""
from __future__ import annotations

import base64
import json
import math
from typing import Any, Union

import msgpack

from .errors import InvalidArgumentError, UnencodableValueError

#: The codecs a client may choose: "msgpack" (binary frames, the default) or "json" (text frames).
CODECS = ("msgpack", "json")

#: Deepest nesting the server accepts, counted from the message itself (the server's maxPlainDataDepth).
MAX_PLAIN_DATA_DEPTH = 64
#: MessagePack integers: int64 and uint64.
MIN_INT = -(2 ** 63)
MAX_INT = 2 ** 64 - 1
#: The map key a JavaScript object cannot hold as data (the server refuses the frame).
PROTOTYPE_KEY = "__proto__"


def _json_default(value: Any) -> Any:
    # SnapshotBytes travel as standard base64 with padding on text frames.
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not plain data")


def is_numpy(value: Any) -> bool:
    """A numpy scalar or array (numpy is not imported: it need not be installed)."""
    return type(value).__module__ == "numpy" and (hasattr(value, "item") or hasattr(value, "tolist"))


def from_numpy(value: Any) -> Any:
    """The Python value a numpy scalar or array holds."""
    if getattr(value, "ndim", 0):
        return value.tolist()
    return value.item()


def plain(value: Any, path: str = "params", depth: int = 1) -> Any:
    """``value`` as plain data the server accepts, or ``UnencodableValueError`` naming ``path``.
    ``depth``: the nesting of ``value`` in the message (params are at depth 1)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UnencodableValueError("the string holds a lone surrogate (not UTF-8)", path=path) from None
        return str(value)
    if isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise UnencodableValueError(f"the integer {value} does not fit 64 bits", path=path)
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnencodableValueError(f"{value!r} is not a finite number", path=path)
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if is_numpy(value):
        return plain(from_numpy(value), path, depth)
    if isinstance(value, (dict, list, tuple)) and depth >= MAX_PLAIN_DATA_DEPTH:
        raise UnencodableValueError(f"nested deeper than {MAX_PLAIN_DATA_DEPTH} levels", path=path)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnencodableValueError(f"map key {key!r} is not a string", path=path)
            if key == PROTOTYPE_KEY:
                raise UnencodableValueError(f'the map key "{PROTOTYPE_KEY}" is refused by the server', path=path)
            out[plain(key, path, depth)] = plain(item, f"{path}.{key}", depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [plain(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
    raise UnencodableValueError(f"{type(value).__name__} is not plain data", path=path)


def encode(message: Any, codec: str) -> Union[bytes, str]:
    """One protocol message as a frame payload: bytes for msgpack, str for json. Raises
    ``UnencodableValueError`` for a message that is not plain data (see the module)."""
    if isinstance(message, dict) and "params" in message:
        message = {**message, "params": plain(message["params"])}
    else:
        message = plain(message, "message", 0)
    if codec == "msgpack":
        return msgpack.packb(message, use_bin_type=True)
    if codec == "json":
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default)
    raise InvalidArgumentError(f"unknown codec {codec!r}; use one of {CODECS}")


def decode(frame: Union[bytes, str]) -> Any:
    """A received frame: bytes are MessagePack, str is JSON."""
    if isinstance(frame, str):
        return json.loads(frame)
    return msgpack.unpackb(frame, raw=False)


def snapshot_bytes(value: Any) -> bytes:
    """SnapshotBytes as received: ``bin`` on binary frames, base64 text on text frames."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return base64.b64decode(value, validate=True)
    raise TypeError(f"not snapshot bytes: {type(value).__name__}")
