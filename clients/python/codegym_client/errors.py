"""The client's exceptions.

* ``CodeGymError`` — the server answered a request with an error object. There is one subclass per
  error code of the schema's catalogue (``StepMismatchError`` for ``step_mismatch``, …), generated
  into ``_codes.py``; ``.code`` is the code, ``.data`` what the server attached (``{"step": n}``
  with ``step_mismatch``), ``.op`` the operation that failed.
* ``ConnectionClosedError`` — the connection closed before the answer came and the client could not
  make the request safe to send again; ``.applied`` says what is known of its effect.
* ``RequestTimeoutError`` — no answer within the request's timeout.

All of them derive from ``CodeGymClientError``.
"""
from __future__ import annotations

from typing import Any, Optional


class CodeGymClientError(Exception):
    """Base of every exception this package raises for a request that did not succeed."""


class CodeGymError(CodeGymClientError):
    """The server refused a request. Subclasses fix ``code``; unknown codes use this class."""

    code: str = ""

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
    from ._codes import ERROR_CLASSES

    if not isinstance(error, dict):
        return CodeGymError(repr(error), code="internal_error", op=op)
    code = error.get("code")
    message = error.get("message", "")
    cls = ERROR_CLASSES.get(code, CodeGymError) if isinstance(code, str) else CodeGymError
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
