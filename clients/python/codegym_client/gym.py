"""A Gymnasium-style env over codegym-serve.

``CodeGymEnv`` subclasses ``gymnasium.Env`` when gymnasium is installed and works the same without
it. It keeps the rules of Gymnasium's own ``check_env``:

* ``reset(seed=None, options=None) -> (observation, info)``. ``seed`` seeds the env's ``np_random``
  (Gymnasium's ``super().reset(seed=seed)``), and every episode's task seed is drawn from
  ``np_random``: ``reset(seed=123)`` then ``reset()`` plays the same two episodes every time. A seed
  in ``options`` (or ``reset_options``) is used as it is. ``info`` holds the task statement
  (``info["task"]``), the tools as OpenAI function definitions (``info["tools"]``), ``seed``,
  ``maxSteps`` and ``session`` (every key keeps one type from step to step, as vector envs need;
  the observation as the server sent it, any JSON value, is ``env.raw_observation``). A session the
  server forgot (idle, restarted) is replaced by a new one; an env that opened its own connection opens a new one when that one
  closed for good.
* ``step(action) -> (observation, reward, terminated, truncated, info)``: ``action`` is a map
  ``{"name", "parameters"}``, an OpenAI tool call, or a string holding either as JSON (a model's raw
  output). Whatever the model produced is made plain (``actions.plain_action``): what is not a tool
  call reaches the server as text and comes back as an ``invalid_action`` observation (the step
  counts and is rolled back). A model's output never raises and never leaves the env unusable.
* Observations are text; both spaces are ``TextSpace``, which compares equal across envs of the same
  settings, as ``SyncVectorEnv`` / ``AsyncVectorEnv`` require (see ``make_vector_env``).
"""
from __future__ import annotations

import random
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from ._codes import UnknownSessionError
from .actions import observation_text, parse_action
from .client import CodeGymClient
from .errors import EnvStateError, InvalidArgumentError

try:  # Gymnasium is optional: subclass its Env only when it is there.
    import gymnasium as _gymnasium
except ImportError:  # pragma: no cover - depends on the installation
    _gymnasium = None

__all__ = ["CodeGymEnv", "TextSpace", "HAS_GYMNASIUM", "make_vector_env"]

HAS_GYMNASIUM = _gymnasium is not None
_EnvBase: type = _gymnasium.Env if _gymnasium is not None else object
_SpaceBase: type = getattr(getattr(_gymnasium, "spaces", None), "Space", object) if _gymnasium is not None else object

#: Longest observation the server sends by default, in bytes (its maxObservationBytes default).
DEFAULT_MAX_OBSERVATION_BYTES = 65536
#: The task seeds the protocol accepts: 0 … 2^53 − 1 (PROTOCOL.md, ``Seed``).
MAX_TASK_SEED = 2 ** 53 - 1
#: The action ``TextSpace.sample`` gives: one every env accepts.
SAMPLE_ACTION = '{"name": "Observe", "parameters": {}}'


class TextSpace(_SpaceBase):  # type: ignore[misc, valid-type]
    """Any Unicode text up to ``max_length`` characters (Gymnasium's ``Text`` only admits a fixed
    charset). With ``allow_mappings``, also the action maps ``{"name", "parameters"}``. Two spaces
    with the same settings are equal (vector envs check that every sub-env has the same space)."""

    def __init__(self, max_length: int = 2 * DEFAULT_MAX_OBSERVATION_BYTES, *, allow_mappings: bool = False,
                 seed: Optional[int] = None):
        if _SpaceBase is not object:
            super().__init__(shape=None, dtype=None, seed=seed)
        self.max_length = int(max_length)
        self.allow_mappings = allow_mappings

    def contains(self, x: Any) -> bool:
        if self.allow_mappings and isinstance(x, Mapping):
            return isinstance(x.get("name"), str)
        return isinstance(x, str) and len(x) <= self.max_length

    def __contains__(self, x: Any) -> bool:
        return self.contains(x)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        return SAMPLE_ACTION if self.allow_mappings else ""

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TextSpace) and other.max_length == self.max_length
                and other.allow_mappings == self.allow_mappings)

    def __hash__(self) -> int:
        return hash((TextSpace, self.max_length, self.allow_mappings))

    def __repr__(self) -> str:
        return f"TextSpace(max_length={self.max_length}{', allow_mappings=True' if self.allow_mappings else ''})"


class CodeGymEnv(_EnvBase):  # type: ignore[misc, valid-type]
    """One episode at a time of ``env_id`` on a codegym-serve server.

    ``url``: the server (``ws://127.0.0.1:8765``), or pass an open ``client`` (a ``CodeGymClient``,
    not closed by ``close()``). ``reset_options``: default ``ResetOptions`` (task, difficulty,
    maxSteps, …) merged under each ``reset``'s ``options``. ``render_mode``: only None (the env has
    nothing to draw; the task and observations are in ``info``). Other keyword arguments go to
    ``CodeGymClient.connect`` (``codec``, ``token``, ``request_timeout``, …).
    """

    metadata: Dict[str, Any] = {"render_modes": []}

    def __init__(self, url: Optional[str] = None, env_id: str = "", *, client: Optional[CodeGymClient] = None,
                 reset_options: Optional[Mapping[str, Any]] = None, max_text_length: Optional[int] = None,
                 render_mode: Optional[str] = None, **client_options: Any):
        if not env_id:
            raise InvalidArgumentError("env_id is required, e.g. 'codegym/max-subarray-v1'")
        if client is None and url is None:
            raise InvalidArgumentError("pass a server url or a connected client")
        if render_mode is not None:
            raise InvalidArgumentError(f"render_mode {render_mode!r} is not supported; CodeGymEnv has no render modes")
        self.render_mode = None
        # An instance's own copy: SyncVectorEnv writes "autoreset_mode" into its first env's metadata.
        self.metadata = dict(type(self).metadata)
        self.env_id = env_id
        self.url = url
        self.reset_options = dict(reset_options or {})
        self._client_options = client_options
        self._owns_client = client is None
        self.client: Optional[CodeGymClient] = client if client is not None else CodeGymClient.connect(url, **client_options)
        if max_text_length is None:
            # observation_text writes JSON with ", " and ": ": at most twice the server's bytes.
            limit = self.client.limits.get("maxObservationBytes", DEFAULT_MAX_OBSERVATION_BYTES)
            max_text_length = 2 * int(limit)
        self.observation_space = TextSpace(max_text_length)
        self.action_space = TextSpace(max_text_length, allow_mappings=True)
        self.session: Optional[str] = None
        self.tools: list = []
        self.task: Optional[str] = None
        #: The last observation as the server sent it (any JSON value; the observations are its text).
        self.raw_observation: Any = None
        self._closed = False
        #: Without gymnasium: the generator that draws task seeds (gymnasium's ``np_random`` otherwise).
        self._fallback_rng: Optional[random.Random] = None

    def reset(self, *, seed: Optional[int] = None, options: Optional[Mapping[str, Any]] = None) -> Tuple[str, Dict[str, Any]]:
        """Starts an episode (in the same server session after the first). ``seed`` seeds the env's
        generator, which draws each episode's task seed; ``options`` are ResetOptions (task, config,
        difficulty, maxSteps, seed), merged over the constructor's ``reset_options``."""
        if _EnvBase is not object:
            super().reset(seed=seed)
        elif seed is not None or self._fallback_rng is None:
            self._fallback_rng = random.Random(seed)
        merged = {**self.reset_options, **dict(options or {})}
        if seed is not None:
            merged["seed"] = seed
        elif "seed" not in merged:
            merged["seed"] = self._draw_seed()
        client = self._client()
        try:
            result = client.reset(self.env_id, merged, session=self.session)
        except UnknownSessionError:
            # The server forgot the session (idle TTL, restart, resume time over): start a new one.
            self.session = None
            result = client.reset(self.env_id, merged)
        self.session = result["session"]
        info = dict(result["info"])
        self.tools = list(info.get("tools", []))
        self.task = info.get("task")
        info["session"] = self.session
        self.raw_observation = result["observation"]
        return observation_text(result["observation"]), info

    def _draw_seed(self) -> int:
        if _EnvBase is not object:
            return int(self.np_random.integers(0, MAX_TASK_SEED, endpoint=True))
        assert self._fallback_rng is not None
        return self._fallback_rng.randint(0, MAX_TASK_SEED)

    def step(self, action: Any) -> Tuple[str, float, bool, bool, Dict[str, Any]]:
        """Takes one action: a ``{"name", "parameters"}`` map, an OpenAI tool call, or text. Raises
        ``EpisodeEndedError`` after the episode ended (call ``reset``)."""
        if self.session is None:
            raise EnvStateError("call reset() before step()")
        result = self._client().step(self.session, parse_action(action))
        info = dict(result["info"])
        info["session"] = self.session
        self.raw_observation = result["observation"]
        return (observation_text(result["observation"]), float(result["reward"]), bool(result["terminated"]),
                bool(result["truncated"]), info)

    def close(self) -> None:
        """Closes the server session, and the connection when this env opened it. Closing twice is fine."""
        self._closed = True
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
        """Nothing to draw: the env has no render modes (the observations are the text)."""
        return None

    def _client(self) -> CodeGymClient:
        if self._closed:
            raise EnvStateError("the env is closed")
        assert self.client is not None
        if self._owns_client and self.client.is_closed:
            # The connection closed for good (reconnecting gave up): the sessions are gone with it.
            self.client.close()
            self.client = CodeGymClient.connect(self.url, **self._client_options)
            self.session = None
        return self.client

    def __enter__(self) -> "CodeGymEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def make_vector_env(url: str, env_id: str, num_envs: int, *, asynchronous: bool = False,
                    **env_options: Any) -> Any:
    """``num_envs`` copies of ``CodeGymEnv(url, env_id, **env_options)`` in a Gymnasium vector env:
    ``SyncVectorEnv``, or with ``asynchronous=True`` ``AsyncVectorEnv(shared_memory=False)`` (one
    process per env; text observations travel through its pipes, as shared memory holds only fixed
    shapes). The batched spaces are Gymnasium ``Tuple``s of ``TextSpace``; observations come back
    as a tuple of texts. Needs gymnasium."""
    if _gymnasium is None:
        raise InvalidArgumentError("make_vector_env needs gymnasium (pip install gymnasium)")
    from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv

    def factory() -> Callable[[], CodeGymEnv]:
        return lambda: CodeGymEnv(url, env_id, **env_options)
    fns = [factory() for _ in range(num_envs)]
    return AsyncVectorEnv(fns, shared_memory=False) if asynchronous else SyncVectorEnv(fns)
