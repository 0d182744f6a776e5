"""A Gymnasium-style env over codegym-serve.

``CodeGymEnv`` subclasses ``gymnasium.Env`` when gymnasium is installed and works the same without
it. Observations and actions are text:

* ``reset(seed=None, options=None) -> (observation, info)``: the initial observation as text;
  ``info`` holds the task statement (``info["task"]``), the tools as OpenAI function definitions
  (``info["tools"]``), ``seed``, ``maxSteps``, ``session`` and the raw observation.
* ``step(action) -> (observation, reward, terminated, truncated, info)``: ``action`` is a map
  ``{"name", "parameters"}`` or a string holding one as JSON (a model's raw output). A string that is
  not such JSON is sent as-is, and the server answers with an ``invalid_action`` observation (the
  step counts and is rolled back): a model's malformed output never raises.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from .actions import observation_text, parse_action
from .client import CodeGymClient

try:  # Gymnasium is optional: subclass its Env only when it is there.
    import gymnasium as _gymnasium
except ImportError:  # pragma: no cover - depends on the installation
    _gymnasium = None

__all__ = ["CodeGymEnv", "TextSpace", "HAS_GYMNASIUM"]

HAS_GYMNASIUM = _gymnasium is not None
_EnvBase: type = _gymnasium.Env if _gymnasium is not None else object
_SpaceBase: type = getattr(getattr(_gymnasium, "spaces", None), "Space", object) if _gymnasium is not None else object

#: Longest text the spaces admit by default: the server's maxObservationBytes default (64 KiB).
DEFAULT_MAX_TEXT_LENGTH = 65536


class TextSpace(_SpaceBase):  # type: ignore[misc, valid-type]
    """Any Unicode text up to ``max_length`` characters (Gymnasium's ``Text`` only admits a fixed
    charset). With ``allow_mappings``, also the action maps ``{"name", "parameters"}``."""

    def __init__(self, max_length: int = DEFAULT_MAX_TEXT_LENGTH, *, allow_mappings: bool = False):
        if _SpaceBase is not object:
            super().__init__(shape=None, dtype=None)
        self.max_length = max_length
        self.allow_mappings = allow_mappings

    def contains(self, x: Any) -> bool:
        if self.allow_mappings and isinstance(x, Mapping):
            return isinstance(x.get("name"), str)
        return isinstance(x, str) and len(x) <= self.max_length

    def __contains__(self, x: Any) -> bool:
        return self.contains(x)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        return '{"name": "Observe", "parameters": {}}' if self.allow_mappings else ""

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"TextSpace(max_length={self.max_length}{', allow_mappings=True' if self.allow_mappings else ''})"


class CodeGymEnv(_EnvBase):  # type: ignore[misc, valid-type]
    """One episode at a time of ``env_id`` on a codegym-serve server.

    ``url``: the server (``ws://127.0.0.1:8765``), or pass an open ``client`` (a ``CodeGymClient``,
    not closed by ``close()``). ``reset_options``: default ``ResetOptions`` (task, difficulty,
    maxSteps, …) merged under each ``reset``'s ``options``. Other keyword arguments go to
    ``CodeGymClient.connect`` (``codec``, ``token``, ``request_timeout``, …).
    """

    metadata: Dict[str, Any] = {"render_modes": []}
    render_mode = None

    def __init__(self, url: Optional[str] = None, env_id: str = "", *, client: Optional[CodeGymClient] = None,
                 reset_options: Optional[Mapping[str, Any]] = None, max_text_length: int = DEFAULT_MAX_TEXT_LENGTH,
                 **client_options: Any):
        if not env_id:
            raise ValueError("env_id is required, e.g. 'codegym/max-subarray-v1'")
        if client is None and url is None:
            raise ValueError("pass a server url or a connected client")
        self.env_id = env_id
        self.reset_options = dict(reset_options or {})
        self.observation_space = TextSpace(max_text_length)
        self.action_space = TextSpace(max_text_length, allow_mappings=True)
        self._owns_client = client is None
        self.client: Optional[CodeGymClient] = client if client is not None else CodeGymClient.connect(url, **client_options)
        self.session: Optional[str] = None
        self.tools: list = []
        self.task: Optional[str] = None

    def reset(self, *, seed: Optional[int] = None, options: Optional[Mapping[str, Any]] = None) -> Tuple[str, Dict[str, Any]]:
        """Starts an episode (in the same server session after the first). ``seed`` seeds the task
        and the env; ``options`` are ResetOptions (task, config, difficulty, maxSteps, seed)."""
        if _EnvBase is not object:
            try:
                super().reset(seed=seed)
            except Exception:  # noqa: BLE001 - the base only seeds its own np_random
                pass
        client = self._client()
        merged = {**self.reset_options, **dict(options or {})}
        if seed is not None:
            merged["seed"] = seed
        result = client.reset(self.env_id, merged or None, session=self.session)
        self.session = result["session"]
        info = dict(result["info"])
        self.tools = list(info.get("tools", []))
        self.task = info.get("task")
        info["session"] = self.session
        info["raw_observation"] = result["observation"]
        return observation_text(result["observation"]), info

    def step(self, action: Any) -> Tuple[str, float, bool, bool, Dict[str, Any]]:
        """Takes one action: a ``{"name", "parameters"}`` map or its JSON text. Raises
        ``EpisodeEndedError`` after the episode ended (call ``reset``)."""
        if self.session is None:
            raise RuntimeError("call reset() before step()")
        result = self._client().step(self.session, parse_action(action))
        info = dict(result["info"])
        info["session"] = self.session
        info["raw_observation"] = result["observation"]
        return (observation_text(result["observation"]), float(result["reward"]), bool(result["terminated"]),
                bool(result["truncated"]), info)

    def close(self) -> None:
        """Closes the server session, and the connection when this env opened it."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if self.session is not None and client.is_open:
                try:
                    client.close_session(self.session)
                except Exception:  # noqa: BLE001 - the session may already be gone
                    pass
        finally:
            self.session = None
            if self._owns_client:
                client.close()

    def render(self) -> None:
        return None

    def _client(self) -> CodeGymClient:
        if self.client is None:
            raise RuntimeError("the env is closed")
        return self.client

    def __enter__(self) -> "CodeGymEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
