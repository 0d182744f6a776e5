"""The client's exceptions.

* ``CodeGymError`` — the server answered a request with an error object. There is one subclass per
  error code of the schema's catalogue (``StepMismatchError`` for ``step_mismatch``, …), generated
  into ``_codes.py``; ``.code`` is the code, ``.data`` what the server attached (``{"step": n}``
  with ``step_mismatch``), ``.op`` the operation that failed.
* ``ConnectionClosedError`` — the connection closed before the answer came and the client could not
  make the request safe to send again; ``.applied`` says what is known of its effect.
* ``RequestTimeoutError`` — no answer within the request's timeout.
* ``UnencodableValueError`` — a request holds a value the protocol cannot carry (NaN, an integer
  beyond 64 bits, a lone surrogate, an object that is not plain data); nothing was sent.
* ``RequestTooLargeError`` — a request's frame is over the server's ``maxFrameBytes``; nothing was sent.
* ``ConnectError`` — the connection could not be opened (refused, bad URL, TLS, opening handshake).
* ``InvalidArgumentError`` — a call's own arguments are wrong (an unknown codec, an env with no id).
* ``UsageError`` — a call that cannot work (a blocking method on its own loop's thread);
  ``EnvStateError``, a Gymnasium-style env used out of order (``step`` before ``reset``, after ``close``).

All of them derive from ``CodeGymClientError``; the local ones also from the matching built-in
(``ValueError``, ``ConnectionError``, ``RuntimeError``), so existing ``except`` clauses still catch them.
"""
from __future__ import annotations

from typing import Any, Optional


class CodeGymClientError(Exception):
    """Base of every exception this package raises for a request that did not succeed."""


#: The subclass for each error code, filled as the generated subclasses in ``_codes.py`` are
#: defined (the package imports that module), so this module never imports it back.
_classes_by_code: "dict[str, type[CodeGymError]]" = {}


class CodeGymError(CodeGymClientError):
    """The server refused a request. Subclasses fix ``code``; unknown codes use this class."""

    code: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code:
            _classes_by_code.setdefault(cls.code, cls)

    def __init__(self, message: str, *, code: Optional[str] = None, data: Any = None, op: Optional[str] = None):
        super().__init__(f"{op}: {code or self.code}: {message}" if op else f"{code or self.code}: {message}")
        if code is not None:
            self.code = code
        #: The server's sentence (not stable: match on ``code``).
        self.server_message = message
        #: Facts the server attached, e.g. ``{"step": 6}`` with step_mismatch; None when absent.
        self.data = data
        self.op = op

    @property
    def error_object(self) -> dict:
        """The wire ``ErrorObject`` this exception was made from."""
        error = {"code": self.code, "message": self.server_message}
        if self.data is not None:
            error["data"] = self.data
        return error


def error_from_wire(error: Any, op: Optional[str] = None) -> CodeGymError:
    """The exception for an ``ErrorObject`` ``{code, message, data?}`` as the server sent it."""
    if not isinstance(error, dict):
        return CodeGymError(repr(error), code="internal_error", op=op)
    code = error.get("code")
    message = error.get("message", "")
    cls = _classes_by_code.get(code, CodeGymError) if isinstance(code, str) else CodeGymError
    return cls(str(message), code=str(code), data=error.get("data"), op=op)


class ConnectionClosedError(CodeGymClientError, ConnectionError):
    """The connection closed before the request was answered, and resuming could not settle it.

    ``applied``: True when the request was applied on the server (its answer is lost), False when
    it was never sent, None when the client cannot tell. ``close_code``: the WebSocket close code.
    """

    def __init__(self, message: str, *, op: Optional[str] = None, applied: Optional[bool] = None,
                 close_code: Optional[int] = None):
        super().__init__(f"{op}: {message}" if op else message)
        self.op = op
        self.applied = applied
        self.close_code = close_code


class RequestTimeoutError(CodeGymClientError, TimeoutError):
    """No answer within the request's timeout. The request may still run on the server."""

    def __init__(self, op: str, timeout: float):
        super().__init__(f"{op}: no answer within {timeout:g} s")
        self.op = op
        self.timeout = timeout


class UnencodableValueError(CodeGymClientError, ValueError):
    """A request holds a value the protocol cannot carry; it was not sent and changed nothing.

    ``path``: where the value is (``params.action.parameters.index``), ``reason``: what is wrong with it.
    """

    def __init__(self, reason: str, *, path: str = "", op: Optional[str] = None):
        where = f" at {path}" if path else ""
        super().__init__(f"{op}: cannot encode the request{where}: {reason}" if op else f"cannot encode{where}: {reason}")
        self.reason = reason
        self.path = path
        self.op = op


class RequestTooLargeError(CodeGymClientError, ValueError):
    """A request's frame is over the server's ``maxFrameBytes`` (the server would close the
    connection with 1009); it was not sent and changed nothing."""

    def __init__(self, op: str, frame_bytes: int, max_frame_bytes: int):
        super().__init__(f"{op}: the request is {frame_bytes} bytes, over the server's maxFrameBytes ({max_frame_bytes})")
        self.op = op
        self.frame_bytes = frame_bytes
        self.max_frame_bytes = max_frame_bytes


class ConnectError(CodeGymClientError, ConnectionError):
    """The connection could not be opened (refused, unreachable, bad URL, TLS, the WebSocket
    opening handshake refused or timed out). ``__cause__`` is the underlying error."""

    def __init__(self, url: str, cause: BaseException):
        super().__init__(f"could not connect to {url}: {type(cause).__name__}: {cause}")
        self.url = url


class InvalidArgumentError(CodeGymClientError, ValueError):
    """A call's own arguments are wrong (not a server answer): fix the calling code."""


class UsageError(CodeGymClientError, RuntimeError):
    """The package was used in a way that cannot work (a blocking method called on its own event
    loop's thread): fix the calling code."""


class EnvStateError(UsageError):
    """A Gymnasium-style env was used out of order: ``step`` before ``reset``, or after ``close``."""
