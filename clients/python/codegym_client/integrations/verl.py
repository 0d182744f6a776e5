"""verl adapters, shaped like ``verl.interactions.base.BaseInteraction`` and ``verl.tools.base_tool.BaseTool``
(nothing from verl is imported: subclass or register them as they are).

``CodeGymInteraction``: one CodeGym episode per verl interaction instance. The dataset row's
``interaction_kwargs`` name the env and reset options; each assistant turn is read as one action
(JSON ``{"name", "parameters"}``, an OpenAI tool call, or a ``<tool_call>`` block) and answered with
the observation as the next user turn.

``CodeGymTool``: one verl tool per CodeGym tool (``CodeGymToolkit.tools()``, a plain call, or
``await toolkit.atools()``), all sharing the episode of an ``instance_id``: verl's own tool-call
parser picks the tool, ``execute`` takes the step.

Both use one ``AsyncCodeGymClient`` per object, connected on first use in the running event loop.
"""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..actions import observation_text, parse_action, plain_action
from ..aio import AsyncCodeGymClient
from ..client import CodeGymClient
from ..errors import InvalidArgumentError

__all__ = ["CodeGymInteraction", "CodeGymToolkit", "CodeGymTool", "tool_schemas"]


@dataclass
class _Episode:
    session: str
    env: str
    reward: float = 0.0
    ended: bool = False
    turns: int = 0
    last: Dict[str, Any] = field(default_factory=dict)


#: The server a config without ``url`` means.
DEFAULT_URL = "ws://127.0.0.1:8765"


def _client_options(config: Mapping[str, Any]) -> Dict[str, Any]:
    return {key: config[key] for key in ("codec", "token", "request_timeout") if key in config}


class _Connected:
    """Lazily connects one AsyncCodeGymClient from a config map (url, codec, token, …)."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = dict(config)
        self._client: Optional[AsyncCodeGymClient] = None
        self._lock: Optional[asyncio.Lock] = None

    async def client(self) -> AsyncCodeGymClient:
        if self._client is not None and self._client.is_open:
            return self._client
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is None or not self._client.is_open:
                self._client = await AsyncCodeGymClient.connect(self.config.get("url", DEFAULT_URL), **_client_options(self.config))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


class CodeGymInteraction:
    """verl ``BaseInteraction`` shape. ``config``: ``name``, ``url``, optional ``env`` (default env id),
    ``codec``, ``token``, ``reset_options``, ``max_turns``."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = dict(config)
        self.name = self.config.get("name", "codegym")
        self._connection = _Connected(self.config)
        self._instances: Dict[str, _Episode] = {}

    async def start_interaction(self, instance_id: Optional[str] = None, **kwargs: Any) -> str:
        """Resets an episode. kwargs (a dataset row's ``interaction_kwargs``): ``env``, ``options``
        (ResetOptions: task, seed, difficulty, …). Returns the instance id."""
        instance_id = instance_id or str(uuid.uuid4())
        env = kwargs.get("env") or self.config.get("env")
        if not env:
            raise InvalidArgumentError("no env: give interaction_kwargs.env or config.env")
        options = {**self.config.get("reset_options", {}), **dict(kwargs.get("options") or {})}
        client = await self._connection.client()
        result = await client.reset(env, options or None)
        episode = _Episode(result["session"], env)
        episode.last = {"observation": result["observation"], "info": result["info"]}
        self._instances[instance_id] = episode
        return instance_id

    def prompt(self, instance_id: str) -> List[Dict[str, Any]]:
        """The opening messages of an instance: the task statement and the initial observation."""
        last = self._episode(instance_id).last
        return [{"role": "user", "content": f"{last['info']['task']}\n\nObservation: {observation_text(last['observation'])}"}]

    def tools(self, instance_id: str) -> List[Dict[str, Any]]:
        """The episode's tools as Chat Completions tool definitions."""
        return tool_schemas(self._episode(instance_id).last["info"]["tools"])

    async def generate_response(self, instance_id: str, messages: List[Dict[str, Any]], **kwargs: Any
                                ) -> Tuple[bool, str, float, Dict[str, Any]]:
        """Takes the last assistant message as one action. Returns ``(should_terminate_sequence,
        response_content, turn_score, metadata)``: the observation text, and the step's reward."""
        episode = self._episode(instance_id)
        if episode.ended:
            return True, "The episode has ended.", 0.0, {"ended": True}
        content = _last_assistant_content(messages)
        client = await self._connection.client()
        result = await client.step(episode.session, parse_action(content, extract=True))
        episode.turns += 1
        episode.reward += float(result["reward"])
        episode.ended = bool(result["terminated"] or result["truncated"])
        max_turns = self.config.get("max_turns")
        should_stop = episode.ended or (max_turns is not None and episode.turns >= int(max_turns))
        metadata = {"info": result["info"], "terminated": result["terminated"], "truncated": result["truncated"]}
        return should_stop, observation_text(result["observation"]), float(result["reward"]), metadata

    async def calculate_score(self, instance_id: Optional[str] = None, **kwargs: Any) -> float:
        """The episode's return so far: 1.0 after a correct Done, else 0.0."""
        if instance_id is None:
            return 0.0
        return self._episode(instance_id).reward

    def _episode(self, instance_id: str) -> _Episode:
        episode = self._instances.get(instance_id)
        if episode is None:
            raise InvalidArgumentError(f"no interaction {instance_id!r}: call start_interaction first")
        return episode

    async def finalize_interaction(self, instance_id: Optional[str] = None, **kwargs: Any) -> None:
        """Closes the instance's server session."""
        episode = self._instances.pop(instance_id, None) if instance_id is not None else None
        if episode is not None:
            client = await self._connection.client()
            try:
                await client.close_session(episode.session)
            except Exception:  # noqa: BLE001 - already gone (idle, closed): nothing to free
                pass

    async def aclose(self) -> None:
        """Closes the connection (not part of verl's interface; call it at shutdown)."""
        await self._connection.aclose()


def tool_schemas(tools: List[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """CodeGym tool descriptors as Chat Completions tools ``{"type": "function", "function": …}``."""
    return [{"type": "function", "function": dict(tool)} for tool in tools]


class CodeGymToolkit:
    """The shared episodes behind a set of verl tools for one env. ``config``: ``url``, ``env``,
    ``codec``, ``token``, ``reset_options``."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = dict(config)
        self._connection = _Connected(self.config)
        self._instances: Dict[str, _Episode] = {}
        self._starting: Dict[str, "asyncio.Future[_Episode]"] = {}
        self._description: Optional[Dict[str, Any]] = None

    def tools(self) -> List["CodeGymTool"]:
        """One verl tool per tool the agent may call: ``envs.describe`` lists the env's own tools,
        then ``Observe`` and ``Done``. A plain call, usable anywhere (also while an event loop runs:
        the description is fetched once over a short blocking connection of its own and kept)."""
        if self._description is None:
            options = _client_options(self.config)
            with CodeGymClient.connect(self.config.get("url", DEFAULT_URL), **options) as client:
                self._description = client.describe_env(self._env())
        return self._tools(self._description)

    async def atools(self) -> List["CodeGymTool"]:
        """``tools()`` for asyncio code, over the toolkit's own connection."""
        if self._description is None:
            client = await self._connection.client()
            self._description = await client.describe_env(self._env())
        return self._tools(self._description)

    def _env(self) -> str:
        if not self.config.get("env"):
            raise InvalidArgumentError("the toolkit's config needs an env id: {'url': ..., 'env': 'codegym/<name>-v1'}")
        return self.config["env"]

    def _tools(self, description: Mapping[str, Any]) -> List["CodeGymTool"]:
        return [CodeGymTool(self, {"type": "function", "function": dict(tool)}) for tool in description["tools"]]

    async def episode(self, instance_id: str, **kwargs: Any) -> _Episode:
        """The episode of ``instance_id``, reset on first use (every tool of a rollout shares it)."""
        if instance_id in self._instances:
            return self._instances[instance_id]
        if instance_id not in self._starting:
            self._starting[instance_id] = asyncio.ensure_future(self._start(instance_id, **kwargs))
        try:
            return await asyncio.shield(self._starting[instance_id])
        finally:
            self._starting.pop(instance_id, None)

    async def _start(self, instance_id: str, **kwargs: Any) -> _Episode:
        options = {**self.config.get("reset_options", {}), **dict(kwargs.get("options") or {})}
        client = await self._connection.client()
        result = await client.reset(kwargs.get("env") or self._env(), options or None)
        episode = _Episode(result["session"], result["info"]["envId"])
        episode.last = {"observation": result["observation"], "info": result["info"]}
        self._instances[instance_id] = episode
        return episode

    async def step(self, instance_id: str, action: Any) -> Dict[str, Any]:
        episode = await self.episode(instance_id)
        if episode.ended:
            return {"observation": "The episode has ended.", "reward": 0, "terminated": True, "truncated": False, "info": {}}
        client = await self._connection.client()
        result = await client.step(episode.session, action)
        episode.reward += float(result["reward"])
        episode.ended = bool(result["terminated"] or result["truncated"])
        return result

    async def release(self, instance_id: str) -> None:
        episode = self._instances.pop(instance_id, None)
        if episode is not None:
            client = await self._connection.client()
            try:
                await client.close_session(episode.session)
            except Exception:  # noqa: BLE001 - already gone
                pass

    async def aclose(self) -> None:
        await self._connection.aclose()


class CodeGymTool:
    """verl ``BaseTool`` shape for one CodeGym tool: ``create``, ``execute``, ``calc_reward``, ``release``."""

    def __init__(self, toolkit: CodeGymToolkit, tool_schema: Mapping[str, Any]):
        self.toolkit = toolkit
        self.tool_schema = dict(tool_schema)
        self.name = self.tool_schema["function"]["name"]

    def get_openai_tool_schema(self) -> Dict[str, Any]:
        return self.tool_schema

    async def create(self, instance_id: Optional[str] = None, **kwargs: Any) -> str:
        """Joins (or starts) the episode of ``instance_id``; kwargs: ``env``, ``options``."""
        instance_id = instance_id or str(uuid.uuid4())
        await self.toolkit.episode(instance_id, **kwargs)
        return instance_id

    async def execute(self, instance_id: str, parameters: Mapping[str, Any], **kwargs: Any) -> Tuple[str, float, Dict[str, Any]]:
        """Calls this tool in the episode. Returns ``(observation text, step reward, metrics)``."""
        # The parameters are model output: made plain (or sent as text for an invalid_action observation).
        action = plain_action({"name": self.name, "parameters": dict(parameters) if isinstance(parameters, Mapping) else parameters})
        result = await self.toolkit.step(instance_id, action)
        metrics = {"rolled_back": bool(result["info"].get("rolledBack")), "terminated": result["terminated"],
                   "truncated": result["truncated"]}
        return observation_text(result["observation"]), float(result["reward"]), metrics

    async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
        """The episode's return so far: 1.0 after a correct Done."""
        episode = self.toolkit._instances.get(instance_id)
        return 0.0 if episode is None else episode.reward

    async def release(self, instance_id: str, **kwargs: Any) -> None:
        await self.toolkit.release(instance_id)


def _last_assistant_content(messages: List[Mapping[str, Any]]) -> Any:
    for message in reversed(messages):
        if message.get("role") == "assistant":
            calls = message.get("tool_calls")
            if calls:  # a parsed tool call: {"function": {"name", "arguments"}}
                call = calls[0]
                return dict(call.get("function", call))
            return message.get("content") or ""
    return ""
