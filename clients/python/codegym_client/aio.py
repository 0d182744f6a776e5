"""The asyncio client of codegym-serve: pipelined requests over one WebSocket, with reconnect and
resume that never applies a step twice.

Every request method is a plain function that sends at once (in call order) and returns an
``asyncio.Future``: start as many as you like, then await them. The server runs the requests on one
session in the order it received them; answers are matched by id.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Union

import websockets

from . import codec as codecs
from ._codes import PROTOCOL_VERSIONS
from .errors import (CodeGymClientError, CodeGymError, ConnectError, ConnectionClosedError, RequestTooLargeError, InvalidArgumentError,
                     RequestTimeoutError, UnencodableValueError, error_from_wire)

#: The upgrade request header that repeats the resume token (PROTOCOL.md, "Client identity and resume").
RESUME_HEADER = "codegym-resume"
# websockets 14 renamed connect()'s extra_headers to additional_headers.
_HEADERS_ARGUMENT = "additional_headers" if int(websockets.__version__.split(".")[0]) >= 14 else "extra_headers"

log = logging.getLogger("codegym_client")

__all__ = ["AsyncCodeGymClient", "ReconnectPolicy", "Snapshot", "CLOSE_CODES"]

#: WebSocket close codes of the protocol (PROTOCOL.md, "Close codes").
CLOSE_CODES = {
    "normal": 1000, "going_away": 1001, "policy_violation": 1008, "message_too_big": 1009,
    "unauthorized": 4001, "unsupported_version": 4002, "resumed_elsewhere": 4003, "hello_timeout": 4004,
}
#: Closes after which reconnecting cannot help. Every other close (1001 drain, 1006, 1011, 1012,
#: 1013, …) makes the client reconnect and resume, as the TypeScript client does.
FINAL_CLOSE_CODES = frozenset({CLOSE_CODES["unauthorized"], CLOSE_CODES["unsupported_version"],
                               CLOSE_CODES["resumed_elsewhere"]})
#: Ops whose repetition changes nothing: sent again after a reconnect.
_IDEMPOTENT_OPS = frozenset({"envs.list", "envs.describe", "observe", "snapshot"})
_STEP_OPS = frozenset({"step", "done"})

DEFAULT_REQUEST_TIMEOUT = 60.0
#: Largest frame the client reads; a batch of many steps can be several MiB.
DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024


class ReconnectPolicy(NamedTuple):
    """How the client reconnects after a drop: the first attempt at once, then after a wait that
    starts at ``initial_delay`` and doubles up to ``max_delay``, each wait shortened by a random
    fraction of up to ``jitter`` (so that many clients dropped together do not return together).
    It gives up once the server's announced ``resumeTtlMs`` (from hello) has passed since the drop,
    since the sessions are gone then (``give_up_after`` in seconds overrides it), or after
    ``attempts`` attempts when that is set."""
    #: At most this many attempts; None: as many as fit in the resume time.
    attempts: Optional[int] = None
    #: Wait before the second attempt in seconds (the first is immediate); doubles each time.
    initial_delay: float = 0.1
    #: Longest wait between attempts, in seconds.
    max_delay: float = 5.0
    #: Each wait is shortened by a random fraction in [0, jitter).
    jitter: float = 0.5
    #: Seconds after the drop to give up; None: the server's resumeTtlMs.
    give_up_after: Optional[float] = None

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before attempt ``attempt`` (1-based; the first is immediate), in seconds."""
        if attempt <= 1:
            return 0.0
        base = min(self.max_delay, self.initial_delay * 2 ** (attempt - 2))
        return base * (1.0 - self.jitter * rng())


class Snapshot(NamedTuple):
    """A session's episode as opaque bytes (they hold the hidden answer: never show them to the agent)."""
    data: bytes
    step: int


@dataclass
class _Pending:
    id: int
    op: str
    params: Dict[str, Any]
    future: "asyncio.Future[Any]"
    #: The encoded message, made before the request is registered (sent again as it is after a drop).
    frame: Union[bytes, str]
    transform: Optional[Callable[[Any], Any]] = None
    timer: Optional[asyncio.TimerHandle] = None
    #: Written to a connection (which may since have dropped).
    sent: bool = False
    #: Sessions whose in-flight step count this request raised.
    step_sessions: List[str] = field(default_factory=list)


@dataclass
class _Tracked:
    #: Steps the server has taken, as of the last answer or resume.
    step: int
    #: Steps sent (or queued to send) and not yet answered.
    in_flight: int = 0


def _close_info(ws: Any, error: Optional[BaseException]) -> tuple:
    frame = getattr(error, "rcvd", None) if error is not None else None
    if frame is not None:
        return frame.code, frame.reason
    code = getattr(ws, "close_code", None)
    reason = getattr(ws, "close_reason", "") or ""
    return (1006 if code is None else code), reason


class _Connection:
    """One WebSocket: a writer task that sends frames in the order they were queued, and a reader."""

    def __init__(self, ws: Any, on_frame: Callable[["_Connection", Any], None],
                 on_closed: Callable[["_Connection", int, str], None]):
        self.ws = ws
        self.closed = False
        self._queue: "asyncio.Queue[Union[bytes, str]]" = asyncio.Queue()
        self._on_frame = on_frame
        self._on_closed = on_closed
        self._writer = asyncio.ensure_future(self._write())
        self._reader = asyncio.ensure_future(self._read())

    def send(self, frame: Union[bytes, str]) -> None:
        if not self.closed:
            self._queue.put_nowait(frame)

    async def _write(self) -> None:
        try:
            while True:
                frame = await self._queue.get()
                await self.ws.send(frame)
        except asyncio.CancelledError:
            pass
        except websockets.ConnectionClosed:
            pass  # the reader reports the close
        except Exception:  # noqa: BLE001 - an unsendable frame: drop the connection, resume sorts it out
            log.exception("codegym_client: sending a frame failed")
            self.abort()

    async def _read(self) -> None:
        error: Optional[BaseException] = None
        try:
            async for frame in self.ws:
                self._on_frame(self, frame)
        except websockets.ConnectionClosed as closed:
            error = closed
        except asyncio.CancelledError:
            pass
        except Exception as other:  # noqa: BLE001
            log.exception("codegym_client: reading failed")
            error = other
            self.abort()
        finally:
            self.closed = True
            self._writer.cancel()
            code, reason = _close_info(self.ws, error)
            self._on_closed(self, code, reason)

    def abort(self) -> None:
        """Drops the TCP connection without a close frame (the server sees a lost connection)."""
        transport = getattr(self.ws, "transport", None)
        if transport is not None:
            transport.abort()

    async def close(self, code: int, reason: str) -> None:
        self.closed = True
        self._writer.cancel()
        try:
            await asyncio.wait_for(self.ws.close(code, reason), 2.0)
        except Exception:  # noqa: BLE001 - closing a broken socket: nothing left to do
            self.abort()
        if not self._reader.done():
            self._reader.cancel()


class AsyncCodeGymClient:
    """A connection to codegym-serve. Make one with ``await AsyncCodeGymClient.connect(url)``."""

    def __init__(self, url: str, *, codec: str = "msgpack", token: Optional[str] = None,
                 request_timeout: Optional[float] = DEFAULT_REQUEST_TIMEOUT, client_name: Optional[str] = "codegym-client-python",
                 reconnect: Union[ReconnectPolicy, bool, None] = True, open_timeout: float = 10.0,
                 max_frame_bytes: Optional[int] = DEFAULT_MAX_FRAME_BYTES, versions: Sequence[int] = PROTOCOL_VERSIONS,
                 resume_token: Optional[str] = None):
        if codec not in codecs.CODECS:
            raise InvalidArgumentError(f"unknown codec {codec!r}; use one of {codecs.CODECS}")
        self.url = url
        self.codec = codec
        self._token = token
        self._request_timeout = request_timeout
        self._client_name = client_name
        self._reconnect: Optional[ReconnectPolicy] = (
            None if reconnect is False or reconnect is None else ReconnectPolicy() if reconnect is True else reconnect)
        self._open_timeout = open_timeout
        self._max_frame_bytes = max_frame_bytes
        self._versions = list(versions)
        self._initial_resume = resume_token
        self._pending: Dict[int, _Pending] = {}
        self._sessions: Dict[str, _Tracked] = {}
        #: Steps that timed out: their late answers still tell the step count.
        self._abandoned_steps: Dict[int, str] = {}
        self._ids = itertools.count(1)
        self._conn: Optional[_Connection] = None
        self._state = "connecting"
        self._hello: Optional[Dict[str, Any]] = None
        self._listeners: Dict[str, List[Callable[..., Any]]] = {}
        self._reconnect_task: Optional["asyncio.Task[None]"] = None
        self._closed_event: Optional[asyncio.Event] = None
        #: The last server events received (``{"event": ..., "data": ...}``), newest last.
        self.events: "deque[Dict[str, Any]]" = deque(maxlen=256)

    # ----------------------------------------------------------------------------------- lifecycle

    @classmethod
    async def connect(cls, url: str, **options: Any) -> "AsyncCodeGymClient":
        """Connects and says hello. Options: see the class; ``resume_token`` resumes the sessions of an
        earlier client (a ``hello_result["resumeToken"]``) instead of starting a new one."""
        client = cls(url, **options)
        client._closed_event = asyncio.Event()
        try:
            conn = await client._open()
            await client._handshake(conn, resume=client._initial_resume)
        except BaseException:
            await client._finish(1006, "connect failed")
            raise
        client._state = "open"
        if client._initial_resume is not None:
            client._adopt(client._hello.get("resumed", []) if client._hello else [])
        return client

    async def close(self) -> None:
        """Closes the connection; requests still in flight fail with ConnectionClosedError. The
        server keeps this client's sessions for ``resumeTtlMs`` (close them first to free them)."""
        await self._finish(CLOSE_CODES["normal"], "client closed")

    async def __aenter__(self) -> "AsyncCodeGymClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def hello_result(self) -> Dict[str, Any]:
        """The hello result of the current connection: version, server, resumeToken, limits."""
        assert self._hello is not None
        return self._hello

    @property
    def resume_token(self) -> str:
        return self.hello_result["resumeToken"]

    @property
    def limits(self) -> Dict[str, int]:
        """The server's effective limits (``Limits``)."""
        return self.hello_result["limits"]

    @property
    def is_open(self) -> bool:
        return self._state == "open"

    @property
    def is_closed(self) -> bool:
        """Closed for good: by ``close()``, a final close code, or reconnecting gave up."""
        return self._state == "closed"

    @property
    def pending_requests(self) -> int:
        """Requests sent or queued and not yet answered."""
        return len(self._pending)

    def step_of(self, session: str) -> Optional[int]:
        """The step count the client knows for a session (None when it does not track it)."""
        tracked = self._sessions.get(session)
        return None if tracked is None else tracked.step

    def on(self, name: str, callback: Callable[..., Any]) -> None:
        """Calls ``callback`` on: ``"event"`` (a server event map, e.g. draining), ``"disconnect"``
        (code, reason), ``"reconnect"`` (resumed summaries), ``"close"`` (code, reason),
        ``"protocol-error"`` (an ErrorObject the server sent with no id)."""
        self._listeners.setdefault(name, []).append(callback)

    def _emit(self, name: str, *args: Any) -> None:
        for callback in list(self._listeners.get(name, ())):
            try:
                callback(*args)
            except Exception:  # noqa: BLE001 - a listener's bug must not break the connection
                log.exception("codegym_client: %s listener failed", name)

    # ------------------------------------------------------------------------------------ requests

    def request(self, op: str, params: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None,
                transform: Optional[Callable[[Any], Any]] = None) -> "asyncio.Future[Any]":
        """Any op. Steps and dones on tracked sessions get ``expectStep``. ``timeout`` in seconds
        (default: the client's ``request_timeout``; 0 or None there waits forever)."""
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Any]" = loop.create_future()
        if self._state == "closed":
            future.set_exception(ConnectionClosedError("the client is closed", op=op, applied=False))
            return future
        step_sessions: List[str] = []
        request_id = next(self._ids)
        prepared = self._with_expected_steps(op, dict(params or {}), step_sessions)
        try:
            frame = self._encode(request_id, op, prepared)
        except CodeGymClientError as error:
            # Nothing is registered or sent: the session's step count is as it was.
            for session in step_sessions:
                tracked = self._sessions.get(session)
                if tracked is not None:
                    tracked.in_flight = max(0, tracked.in_flight - 1)
            future.set_exception(error)
            return future
        pending = _Pending(request_id, op, prepared, future, frame, transform, step_sessions=step_sessions)
        seconds = self._request_timeout if timeout is None else timeout
        if seconds:
            pending.timer = loop.call_later(seconds, self._time_out, pending, seconds)
        self._pending[pending.id] = pending
        if self._state == "open":
            self._write(pending)
        return future

    def list_envs(self, *, timeout: Optional[float] = None) -> "asyncio.Future[List[Dict[str, Any]]]":
        """The envs the server runs (``EnvSummary`` maps), sorted by id."""
        return self.request("envs.list", {}, timeout=timeout, transform=lambda result: result["envs"])

    def describe_env(self, env: str, *, timeout: Optional[float] = None) -> "asyncio.Future[Dict[str, Any]]":
        """One env in full (``EnvsDescribeResult``)."""
        return self.request("envs.describe", {"env": env}, timeout=timeout)

    def reset(self, env: str, options: Optional[Mapping[str, Any]] = None, *, session: Optional[str] = None,
              timeout: Optional[float] = None) -> "asyncio.Future[Dict[str, Any]]":
        """Starts an episode in a new session, or in place of ``session``'s episode. Returns
        ``{session, observation, info}``. ``options``: task / config / difficulty, seed, maxSteps."""
        params: Dict[str, Any] = {"env": env}
        if options:
            params["options"] = dict(options)
        if session is not None:
            params["session"] = session
        return self.request("reset", params, timeout=timeout)

    def step(self, session: str, action: Any, *, expect_step: Optional[int] = None,
             timeout: Optional[float] = None) -> "asyncio.Future[Dict[str, Any]]":
        """Takes one action (any value: a malformed one is rolled back by the server). Returns the
        ``StepResult`` map: observation, reward, terminated, truncated, info."""
        params: Dict[str, Any] = {"session": session, "action": action}
        if expect_step is not None:
            params["expectStep"] = expect_step
        return self.request("step", params, timeout=timeout)

    def done(self, session: str, answer: Any, *, expect_step: Optional[int] = None,
             timeout: Optional[float] = None) -> "asyncio.Future[Dict[str, Any]]":
        """Submits the answer (the Done tool); ends the episode. Returns the StepResult map."""
        params: Dict[str, Any] = {"session": session, "answer": answer}
        if expect_step is not None:
            params["expectStep"] = expect_step
        return self.request("done", params, timeout=timeout)

    def observe(self, session: str, *, timeout: Optional[float] = None) -> "asyncio.Future[Any]":
        """What Observe would return, without taking a step (the observation itself)."""
        return self.request("observe", {"session": session}, timeout=timeout, transform=lambda result: result["observation"])

    def close_session(self, session: str, *, timeout: Optional[float] = None) -> "asyncio.Future[bool]":
        """Ends a session and frees it (the ``close`` op)."""
        return self.request("close", {"session": session}, timeout=timeout, transform=lambda result: bool(result["closed"]))

    def snapshot(self, session: str, *, timeout: Optional[float] = None) -> "asyncio.Future[Snapshot]":
        """The session's episode as bytes (whichever codec carried them) and the step it was taken at."""
        return self.request("snapshot", {"session": session}, timeout=timeout,
                            transform=lambda result: Snapshot(codecs.snapshot_bytes(result["snapshot"]), result["step"]))

    def restore(self, snapshot: Union[Snapshot, bytes, str], *, timeout: Optional[float] = None) -> "asyncio.Future[Dict[str, Any]]":
        """A new session from snapshot bytes (or their base64 text). Returns its SessionSummary."""
        data = snapshot.data if isinstance(snapshot, Snapshot) else snapshot
        return self.request("restore", {"snapshot": data}, timeout=timeout)

    def fork(self, session: str, *, timeout: Optional[float] = None) -> "asyncio.Future[Dict[str, Any]]":
        """A new session with an independent copy of ``session``'s episode. Returns its SessionSummary."""
        return self.request("fork", {"session": session}, timeout=timeout)

    def batch(self, ops: Iterable[Union[Mapping[str, Any], Sequence[Any]]], *,
              timeout: Optional[float] = None) -> "asyncio.Future[List[Any]]":
        """Many operations in one frame. ``ops``: ``{"op", "params"}`` maps or ``(op, params)`` pairs.
        Returns one entry per operation, in order: its result, or the CodeGymError it failed with
        (not raised: one operation failing does not affect the others)."""
        wire: List[Dict[str, Any]] = []
        for operation in ops:
            if isinstance(operation, Mapping):
                entry = {"op": operation["op"]}
                if operation.get("params") is not None:
                    entry["params"] = dict(operation["params"])
            else:
                op, params = operation
                entry = {"op": op, "params": dict(params or {})}
            wire.append(entry)

        def outcomes(result: Dict[str, Any]) -> List[Any]:
            return [error_from_wire(outcome["error"], op=operation["op"]) if "error" in outcome
                    else _batch_result(operation["op"], outcome.get("result"))
                    for operation, outcome in zip(wire, result["results"])]
        return self.request("batch", {"ops": wire}, timeout=timeout, transform=outcomes)

    # ---------------------------------------------------------------------------------- internals

    def _with_expected_steps(self, op: str, params: Dict[str, Any], step_sessions: List[str]) -> Dict[str, Any]:
        """Adds expectStep to steps and dones on tracked sessions, counting the steps already in
        flight before them (the server runs one session's operations in order), so that a step sent
        again after a drop is refused rather than applied twice."""
        if op == "batch" and isinstance(params.get("ops"), list):
            ops = []
            for operation in params["ops"]:
                operation = dict(operation)
                if operation.get("op") in _STEP_OPS:
                    operation["params"] = self._with_expected_steps(operation["op"], dict(operation.get("params") or {}), step_sessions)
                ops.append(operation)
            return {**params, "ops": ops}
        session = params.get("session")
        if op not in _STEP_OPS or not isinstance(session, str):
            return params
        tracked = self._sessions.get(session)
        if tracked is None:
            return params
        if not isinstance(params.get("expectStep"), int):
            params = {**params, "expectStep": tracked.step + tracked.in_flight}
        tracked.in_flight += 1
        step_sessions.append(session)
        return params

    def _encode(self, request_id: int, op: str, params: Dict[str, Any]) -> Union[bytes, str]:
        """The request's frame, or UnencodableValueError / RequestTooLargeError: a frame the server
        cannot read gets no answer this client could match, so such a request is never made."""
        try:
            frame = codecs.encode({"id": request_id, "op": op, "params": params}, self.codec)
        except UnencodableValueError as error:
            raise UnencodableValueError(error.reason, path=error.path, op=op) from None
        limit = (self._hello or {}).get("limits", {}).get("maxFrameBytes")
        size = len(frame) if isinstance(frame, bytes) else len(frame.encode("utf-8"))
        if isinstance(limit, int) and size > limit:
            raise RequestTooLargeError(op, size, limit)
        return frame

    def _write(self, pending: _Pending) -> None:
        pending.sent = True
        if self._conn is not None:
            self._conn.send(pending.frame)

    def _time_out(self, pending: _Pending, seconds: float) -> None:
        if pending.id not in self._pending:
            return
        if pending.sent and pending.op in _STEP_OPS and isinstance(pending.params.get("session"), str):
            self._abandoned_steps[pending.id] = pending.params["session"]
        self._settle(pending, error=RequestTimeoutError(pending.op, seconds))

    def _settle(self, pending: _Pending, *, result: Any = None, error: Optional[BaseException] = None) -> None:
        """Answers a request exactly once: frees its id, stops its timer, updates the step counts."""
        if self._pending.pop(pending.id, None) is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        for session in pending.step_sessions:
            tracked = self._sessions.get(session)
            if tracked is not None:
                tracked.in_flight = max(0, tracked.in_flight - 1)
        if error is None:
            self._track(pending.op, pending.params, {"result": result})
            if pending.transform is not None:
                try:
                    result = pending.transform(result)
                except Exception as bad:  # noqa: BLE001 - a result that does not have the schema's shape
                    error = CodeGymError(f"unexpected result shape: {bad!r}", code="internal_error", op=pending.op)
        elif isinstance(error, CodeGymError):
            self._track(pending.op, pending.params, {"error": error.error_object})
        if pending.future.done():
            return  # the caller cancelled it
        if error is None:
            pending.future.set_result(result)
        else:
            pending.future.set_exception(error)

    def _track(self, op: str, params: Mapping[str, Any], outcome: Mapping[str, Any]) -> None:
        """What an answer tells about the client's sessions and their step counts."""
        session = params.get("session") if isinstance(params.get("session"), str) else None
        if "error" in outcome:
            error = outcome["error"] or {}
            if session is None:
                return
            if error.get("code") == "unknown_session":
                self._sessions.pop(session, None)
            data = error.get("data")
            tracked = self._sessions.get(session)
            if error.get("code") == "step_mismatch" and tracked is not None and isinstance(data, dict) \
                    and isinstance(data.get("step"), int):
                tracked.step = data["step"]
            return
        result = outcome.get("result")
        if not isinstance(result, dict):
            return
        if op == "reset" and isinstance(result.get("session"), str):
            previous = self._sessions.get(result["session"])
            self._sessions[result["session"]] = _Tracked(0, previous.in_flight if previous else 0)
        elif op in ("restore", "fork") and isinstance(result.get("session"), str):
            self._sessions[result["session"]] = _Tracked(int(result.get("step", 0)))
        elif op in _STEP_OPS and session is not None:
            tracked = self._sessions.get(session)
            info = result.get("info")
            if tracked is not None and isinstance(info, dict) and isinstance(info.get("step"), int):
                tracked.step = info["step"]
        elif op == "close" and session is not None:
            self._sessions.pop(session, None)
        elif op == "batch":
            for operation, each in zip(params.get("ops", []), result.get("results", [])):
                if isinstance(each, dict):
                    self._track(operation.get("op", ""), operation.get("params") or {}, each)

    async def _open(self) -> _Connection:
        # A resume token goes in the upgrade request too: a server started with ``--workers N``
        # hands the connection to the worker process that holds the client's sessions.
        token = self._hello["resumeToken"] if self._hello else self._initial_resume
        headers = {} if token is None else {RESUME_HEADER: token}
        try:
            ws = await websockets.connect(self.url, compression=None, open_timeout=self._open_timeout,
                                          max_size=self._max_frame_bytes, **{_HEADERS_ARGUMENT: headers})
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - refused, unreachable, bad URL, TLS, handshake: one typed error
            raise ConnectError(self.url, error) from error
        # Looked up per frame, not bound once, so a subclass or a test may wrap _on_frame.
        conn = _Connection(ws, lambda c, frame: self._on_frame(c, frame),
                           lambda c, code, reason: self._on_transport_closed(c, code, reason))
        self._conn = conn
        return conn

    async def _handshake(self, conn: _Connection, resume: Optional[str]) -> Dict[str, Any]:
        """Says hello on a new connection; with ``resume``, takes the client's sessions back."""
        loop = asyncio.get_running_loop()

        def hello(params: Dict[str, Any]) -> "asyncio.Future[Any]":
            future: "asyncio.Future[Any]" = loop.create_future()
            request_id = next(self._ids)
            pending = _Pending(request_id, "hello", params, future, self._encode(request_id, "hello", params))
            # Never unbounded, even with request_timeout None: a server that accepts the socket and
            # never says hello would otherwise hold a reconnect past the resume time.
            seconds = self._request_timeout or self._open_timeout
            pending.timer = loop.call_later(seconds, self._time_out, pending, seconds)
            self._pending[pending.id] = pending
            self._write(pending)
            return future

        params: Dict[str, Any] = {"versions": self._versions}
        if self._token is not None:
            params["token"] = self._token
        if self._client_name is not None:
            params["client"] = self._client_name
        if resume is not None:
            try:
                result = await hello({**params, "resume": resume})
            except CodeGymError as error:
                # The server forgot this client (its resume time ran out): start afresh, with no
                # sessions. On the first connect the caller asked for those sessions: tell them.
                if error.code != "invalid_resume_token" or self._state == "connecting":
                    raise
                result = {**(await hello(params)), "resumed": []}
        else:
            result = await hello(params)
        self._hello = result
        return result

    def _on_frame(self, conn: _Connection, frame: Any) -> None:
        if conn is not self._conn:
            return
        try:
            message = codecs.decode(frame)
        except Exception:  # noqa: BLE001 - the server never sends such a frame; nothing to answer
            log.warning("codegym_client: undecodable frame from the server")
            return
        if not isinstance(message, dict):
            return
        if isinstance(message.get("event"), str):
            self.events.append(message)
            self._emit("event", message)
            return
        request_id = message.get("id")
        if not isinstance(request_id, int) or isinstance(request_id, bool):
            if "error" in message:
                self._emit("protocol-error", message["error"])
            return
        pending = self._pending.get(request_id)
        if pending is None:
            self._on_late_answer(request_id, message)
            return
        if "error" in message:
            self._settle(pending, error=error_from_wire(message["error"], op=pending.op))
        else:
            self._settle(pending, result=message.get("result"))

    def _on_late_answer(self, request_id: int, message: Mapping[str, Any]) -> None:
        """A step that timed out may still have been taken: its late answer keeps the count right."""
        session = self._abandoned_steps.pop(request_id, None)
        tracked = None if session is None else self._sessions.get(session)
        if tracked is None:
            return
        if "error" in message:
            self._track("step", {"session": session}, {"error": message["error"]})
        else:
            info = (message.get("result") or {}).get("info") or {}
            if isinstance(info.get("step"), int):
                tracked.step = max(tracked.step, info["step"])

    def _on_transport_closed(self, conn: _Connection, code: int, reason: str) -> None:
        if conn is not self._conn:
            return
        self._conn = None
        self._abandoned_steps.clear()
        lost = ConnectionClosedError(f"the connection closed ({code}{'' if not reason else ' ' + reason})",
                                     op="hello", close_code=code)
        for pending in list(self._pending.values()):
            if pending.op == "hello":
                self._settle(pending, error=lost)
        if self._state != "open":
            return  # connecting: the handshake fails; reconnecting: the loop goes on
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the loop is gone (shut down with the client still open)
            self._state = "closed"
            return
        if self._reconnect is None or code in FINAL_CLOSE_CODES:
            asyncio.ensure_future(self._finish(code, reason))
            return
        self._state = "reconnecting"
        self._emit("disconnect", code, reason)
        self._reconnect_task = asyncio.ensure_future(self._reconnect_loop(self._reconnect, code, reason))

    def _give_up_after(self, policy: ReconnectPolicy) -> float:
        """Seconds after a drop that reconnecting may go on: the server keeps the sessions that long."""
        if policy.give_up_after is not None:
            return policy.give_up_after
        ttl_ms = (self._hello or {}).get("limits", {}).get("resumeTtlMs")
        return ttl_ms / 1000.0 if isinstance(ttl_ms, (int, float)) and not isinstance(ttl_ms, bool) else 0.0

    async def _reconnect_loop(self, policy: ReconnectPolicy, code: int, reason: str) -> None:
        deadline = time.monotonic() + self._give_up_after(policy)
        attempt = 0
        while policy.attempts is None or attempt < policy.attempts:
            attempt += 1
            if attempt > 1:
                left = deadline - time.monotonic()
                if left <= 0:
                    break  # the server has forgotten the sessions
                await asyncio.sleep(min(policy.delay(attempt), left))
            if self._state != "reconnecting":
                return
            conn: Optional[_Connection] = None
            try:
                conn = await self._open()
                if self._state != "reconnecting":
                    await conn.close(CLOSE_CODES["normal"], "client closed")
                    return
                hello = await self._handshake(conn, resume=self._hello["resumeToken"] if self._hello else None)
                if self._conn is not conn:
                    continue  # dropped again right after hello
                self._state = "open"
                resumed = hello.get("resumed", [])
                self._resume(resumed)
                self._emit("reconnect", resumed)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - try again
                log.info("codegym_client: reconnect attempt %d failed: %r", attempt, error)
                if conn is not None and self._conn is conn:
                    self._conn = None
                    await conn.close(CLOSE_CODES["normal"], "hello failed")
        if self._state == "reconnecting":
            await self._finish(code, reason)

    def _adopt(self, resumed: Sequence[Mapping[str, Any]]) -> None:
        """Tracks the sessions a resuming hello reported, at the server's step counts."""
        summaries = {summary["session"]: summary for summary in resumed}
        for session in list(self._sessions):
            if session not in summaries:
                del self._sessions[session]
            else:
                self._sessions[session].step = summaries[session]["step"]
        for session, summary in summaries.items():
            self._sessions.setdefault(session, _Tracked(summary["step"]))

    def _resume(self, resumed: Sequence[Mapping[str, Any]]) -> None:
        """After a resume: each request that was written to the lost connection is answered from what
        the server reports, sent again where that is safe, or failed; then every unsent request goes
        out in the order it was made."""
        summaries = {summary["session"]: summary for summary in resumed}
        self._adopt(resumed)
        for pending in list(self._pending.values()):
            if not pending.sent:
                continue
            decision = self._after_drop(pending, summaries)
            if decision == "resend":
                pending.sent = False
            elif "result" in decision:
                self._settle(pending, result=decision["result"])
            else:
                self._settle(pending, error=decision["error"])
        # Steps whose answers were lost may have raised the count: later steps were counted from it.
        for pending in sorted(self._pending.values(), key=lambda p: p.id):
            if not pending.sent:
                self._write(pending)

    def _after_drop(self, pending: _Pending, summaries: Mapping[str, Mapping[str, Any]]) -> Any:
        op, params = pending.op, pending.params
        if op in _IDEMPOTENT_OPS:
            return "resend"
        session = params.get("session") if isinstance(params.get("session"), str) else None
        summary = summaries.get(session) if session is not None else None
        if op == "close" and session is not None:
            return {"result": {"closed": True}} if summary is None else "resend"
        if op in _STEP_OPS and isinstance(params.get("expectStep"), int):
            expect = params["expectStep"]
            # Gone, or not taken yet: sending it again is safe, since expectStep refuses a repeat.
            if summary is None or summary["step"] <= expect:
                return "resend"
            last = summary.get("lastResult")
            if summary["step"] == expect + 1 and isinstance(last, dict) and (last.get("info") or {}).get("step") == expect + 1:
                return {"result": last}
            return {"error": ConnectionClosedError(
                "the connection dropped after the step was taken and its result is lost (later steps were taken too)",
                op=op, applied=True)}
        return {"error": ConnectionClosedError(
            "the connection dropped before the answer came; the request may or may not have been applied", op=op)}

    async def _finish(self, code: int, reason: str) -> None:
        """Closed for good: every request still waiting fails."""
        if self._state == "closed":
            return
        self._state = "closed"
        conn, self._conn = self._conn, None
        if self._reconnect_task is not None and self._reconnect_task is not asyncio.current_task():
            self._reconnect_task.cancel()
        for pending in list(self._pending.values()):
            self._settle(pending, error=ConnectionClosedError(
                f"the connection closed ({code}{'' if not reason else ' ' + reason})", op=pending.op,
                applied=None if pending.sent else False, close_code=code))
        if conn is not None:
            await conn.close(CLOSE_CODES["normal"], reason)
        self._emit("close", code, reason)

    def _drop(self) -> None:
        """Loses the connection as a network failure would (no close frame); the client reconnects."""
        if self._conn is not None:
            self._conn.abort()


def _batch_result(op: str, result: Any) -> Any:
    """A batch operation's result, shaped as the op's own method returns it."""
    if not isinstance(result, dict):
        return result
    if op == "envs.list":
        return result.get("envs")
    if op == "observe":
        return result.get("observation")
    if op == "close":
        return bool(result.get("closed"))
    if op == "snapshot":
        return Snapshot(codecs.snapshot_bytes(result["snapshot"]), result["step"])
    return result
