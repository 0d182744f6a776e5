"""The blocking client: the asyncio client run on an event loop in a background thread.

Each method sends its request and waits for the answer. For pipelining, use
``AsyncCodeGymClient`` (or ``batch``, which sends many operations in one frame).
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, TypeVar, Union

from .aio import AsyncCodeGymClient, Snapshot
from .errors import ConnectionClosedError, UsageError

__all__ = ["CodeGymClient"]

T = TypeVar("T")


class _LoopThread:
    """An event loop running in a daemon thread, stopped by ``stop()``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="codegym-client", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Runs ``make()`` (called on the loop's thread) and waits for its result."""
        if threading.current_thread() is self._thread:
            raise UsageError("a blocking CodeGymClient method was called from its own event loop thread")

        if self.loop.is_closed():
            raise ConnectionClosedError("the client is closed", applied=False)

        async def run() -> T:
            return await make()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result()

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


class CodeGymClient:
    """A blocking connection to codegym-serve. ``CodeGymClient.connect(url, codec="msgpack")``;
    the options are those of ``AsyncCodeGymClient``. Usable as a context manager."""

    def __init__(self, inner: AsyncCodeGymClient, loop: _LoopThread):
        self._inner = inner
        self._loop = loop

    @classmethod
    def connect(cls, url: str, **options: Any) -> "CodeGymClient":
        loop = _LoopThread()
        try:
            inner = loop.call(lambda: AsyncCodeGymClient.connect(url, **options))
        except BaseException:
            loop.stop()
            raise
        return cls(inner, loop)

    def close(self) -> None:
        """Closes the connection and stops the client's thread."""
        if not self._loop.loop.is_closed():
            try:
                self._loop.call(self._inner.close)
            finally:
                self._loop.stop()

    def __enter__(self) -> "CodeGymClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Read-only state of the connection.
    @property
    def hello_result(self) -> Dict[str, Any]:
        return self._inner.hello_result

    @property
    def resume_token(self) -> str:
        return self._inner.resume_token

    @property
    def limits(self) -> Dict[str, int]:
        return self._inner.limits

    @property
    def is_open(self) -> bool:
        return self._inner.is_open

    @property
    def is_closed(self) -> bool:
        """Closed for good: by ``close()``, a final close code, or reconnecting gave up."""
        return self._inner.is_closed or self._loop.loop.is_closed()

    @property
    def codec(self) -> str:
        return self._inner.codec

    @property
    def events(self) -> List[Dict[str, Any]]:
        """The last server events received (e.g. ``{"event": "draining", "data": {...}}``)."""
        return list(self._inner.events)

    @property
    def async_client(self) -> AsyncCodeGymClient:
        """The asyncio client underneath (its methods must run on ``self.loop``)."""
        return self._inner

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop.loop

    def step_of(self, session: str) -> Optional[int]:
        return self._inner.step_of(session)

    def on(self, name: str, callback: Callable[..., Any]) -> None:
        """See ``AsyncCodeGymClient.on``; callbacks run on the client's thread."""
        self._inner.on(name, callback)

    # One method per op; see AsyncCodeGymClient for what each returns.
    def request(self, op: str, params: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> Any:
        return self._loop.call(lambda: self._inner.request(op, params, timeout=timeout))

    def list_envs(self, *, timeout: Optional[float] = None) -> List[Dict[str, Any]]:
        return self._loop.call(lambda: self._inner.list_envs(timeout=timeout))

    def describe_env(self, env: str, *, timeout: Optional[float] = None) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.describe_env(env, timeout=timeout))

    def reset(self, env: str, options: Optional[Mapping[str, Any]] = None, *, session: Optional[str] = None,
              timeout: Optional[float] = None) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.reset(env, options, session=session, timeout=timeout))

    def step(self, session: str, action: Any, *, expect_step: Optional[int] = None,
             timeout: Optional[float] = None) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.step(session, action, expect_step=expect_step, timeout=timeout))

    def done(self, session: str, answer: Any, *, expect_step: Optional[int] = None,
             timeout: Optional[float] = None) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.done(session, answer, expect_step=expect_step, timeout=timeout))

    def observe(self, session: str, *, timeout: Optional[float] = None) -> Any:
        return self._loop.call(lambda: self._inner.observe(session, timeout=timeout))

    def close_session(self, session: str, *, timeout: Optional[float] = None) -> bool:
        return self._loop.call(lambda: self._inner.close_session(session, timeout=timeout))

    def snapshot(self, session: str, *, timeout: Optional[float] = None) -> Snapshot:
        return self._loop.call(lambda: self._inner.snapshot(session, timeout=timeout))

    def restore(self, snapshot: Union[Snapshot, bytes, str], *, timeout: Optional[float] = None) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.restore(snapshot, timeout=timeout))

    def fork(self, session: str, *, timeout: Optional[float] = None) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.fork(session, timeout=timeout))

    def batch(self, ops: Iterable[Union[Mapping[str, Any], Sequence[Any]]], *, timeout: Optional[float] = None) -> List[Any]:
        ops = list(ops)
        return self._loop.call(lambda: self._inner.batch(ops, timeout=timeout))

    def _drop(self) -> None:
        """Loses the connection as a network failure would; the client reconnects and resumes."""
        self._loop.loop.call_soon_threadsafe(self._inner._drop)
