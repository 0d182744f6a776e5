"""Frames: MessagePack on binary frames, JSON (UTF-8) on text frames, one message per frame."""
from __future__ import annotations

import base64
import json
from typing import Any, Union

import msgpack

#: The codecs a client may choose: "msgpack" (binary frames, the default) or "json" (text frames).
CODECS = ("msgpack", "json")


def _json_default(value: Any) -> Any:
    # SnapshotBytes travel as standard base64 with padding on text frames.
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not plain data")


def encode(message: Any, codec: str) -> Union[bytes, str]:
    """One protocol message as a frame payload: bytes for msgpack, str for json."""
    if codec == "msgpack":
        return msgpack.packb(message, use_bin_type=True)
    if codec == "json":
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default)
    raise ValueError(f"unknown codec {codec!r}; use one of {CODECS}")


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
