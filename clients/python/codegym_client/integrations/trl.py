"""TRL-style environment functions: play episodes with a policy, and score completions by replaying
them in the env (CodeGym episodes are deterministic for a given env, reset options and actions).

* ``play_episode(client, env, policy)`` — one episode: the policy sees chat messages and returns its
  raw output (a JSON action, an OpenAI tool call or a ``<tool_call>`` block); returns an ``Episode``
  with the reward and the transcript.
* ``make_rollout_func(url, env, policy)`` — ``rollout(tasks) -> {"rewards", "episodes", "completions"}``
  over a list of ResetOptions maps, episodes played concurrently on one connection.
* ``CodeGymReward(url, env)`` — a TRL reward function ``(prompts, completions, **columns) -> [float]``
  that replays each completion's actions in the episode its row names (columns ``env``,
  ``reset_options`` or ``task`` / ``seed`` / ``difficulty``).

Nothing from TRL is imported.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, TypeVar, Union

from ..actions import observation_text, parse_action
from ..aio import AsyncCodeGymClient
from ..client import CodeGymClient

__all__ = ["Episode", "play_episode", "play_episode_async", "make_rollout_func", "CodeGymReward", "first_messages"]

T = TypeVar("T")

#: A policy: chat messages so far -> the model's raw output for the next turn.
Policy = Callable[[List[Dict[str, Any]]], Union[str, Mapping[str, Any]]]


@dataclass
class Episode:
    env: str
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    steps: int = 0
    seed: Optional[int] = None
    #: The chat transcript: the task as the first user turn, then assistant / user (observation) turns.
    messages: List[Dict[str, Any]] = field(default_factory=list)
    #: The actions as sent to the server.
    actions: List[Any] = field(default_factory=list)


def first_messages(reset_result: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The opening user turn: the task statement and the initial observation."""
    info = reset_result["info"]
    return [{"role": "user", "content": f"{info['task']}\n\nObservation: {observation_text(reset_result['observation'])}"}]


def play_episode(client: CodeGymClient, env: str, policy: Policy, options: Optional[Mapping[str, Any]] = None,
                 *, max_turns: Optional[int] = None, keep_session: bool = False) -> Episode:
    """Plays one episode on a blocking client until it terminates, is truncated, or ``max_turns``."""
    reset = client.reset(env, dict(options) if options else None)
    session = reset["session"]
    episode = Episode(env, seed=reset["info"].get("seed"), messages=first_messages(reset))
    try:
        while max_turns is None or episode.steps < max_turns:
            output = policy(list(episode.messages))
            action = parse_action(output, extract=True)
            result = client.step(session, action)
            _record(episode, output, action, result)
            if episode.terminated or episode.truncated:
                break
    finally:
        if not keep_session:
            client.close_session(session)
    return episode


async def play_episode_async(client: AsyncCodeGymClient, env: str, policy: Policy,
                             options: Optional[Mapping[str, Any]] = None, *, max_turns: Optional[int] = None) -> Episode:
    """``play_episode`` on the asyncio client; a policy may be a coroutine function."""
    reset = await client.reset(env, dict(options) if options else None)
    session = reset["session"]
    episode = Episode(env, seed=reset["info"].get("seed"), messages=first_messages(reset))
    try:
        while max_turns is None or episode.steps < max_turns:
            output = policy(list(episode.messages))
            if asyncio.iscoroutine(output):
                output = await output
            action = parse_action(output, extract=True)
            _record(episode, output, action, await client.step(session, action))
            if episode.terminated or episode.truncated:
                break
    finally:
        await client.close_session(session)
    return episode


def _record(episode: Episode, output: Any, action: Any, result: Mapping[str, Any]) -> None:
    episode.steps += 1
    episode.actions.append(action)
    episode.reward += float(result["reward"])
    episode.terminated = bool(result["terminated"])
    episode.truncated = bool(result["truncated"])
    episode.messages.append({"role": "assistant", "content": output if isinstance(output, str) else _json(output)})
    episode.messages.append({"role": "user", "content": observation_text(result["observation"])})


def _json(value: Any) -> str:
    import json
    return json.dumps(value, ensure_ascii=False)


def run_blocking(make: Callable[[], Awaitable[T]]) -> T:
    """Runs ``make()`` to completion from synchronous code: with ``asyncio.run`` when no event loop
    runs in this thread, else on a new loop in a thread of its own (``asyncio.run`` refuses to run
    inside a running loop: Jupyter, async trainers), blocking the caller until it is done."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="codegym-rollout") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def make_rollout_func(url: str, env: str, policy_factory: Callable[[], Policy], *, max_turns: Optional[int] = None,
                      **client_options: Any) -> Callable[..., Dict[str, Any]]:
    """A rollout function ``rollout(tasks) -> {"rewards", "episodes", "completions"}``. ``tasks``: one
    ResetOptions map (or None) per episode. Each episode gets its own policy from ``policy_factory``
    (a policy may keep per-episode state); the episodes run concurrently on one connection. ``rollout``
    is a plain function, also callable while an event loop runs (it then plays on a thread of its own)."""

    def rollout(tasks: Sequence[Optional[Mapping[str, Any]]], **_: Any) -> Dict[str, Any]:
        async def run() -> List[Episode]:
            client = await AsyncCodeGymClient.connect(url, **client_options)
            try:
                return list(await asyncio.gather(*(
                    play_episode_async(client, env, policy_factory(), task, max_turns=max_turns) for task in tasks)))
            finally:
                await client.close()
        episodes = run_blocking(run)
        return {
            "rewards": [episode.reward for episode in episodes],
            "episodes": episodes,
            "completions": [episode.messages[1:] for episode in episodes],
        }
    return rollout


_TOOL_CALLS = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def _completion_actions(completion: Any) -> List[Any]:
    """The actions of one completion: every ``<tool_call>`` block, else one JSON action per line;
    a conversational completion contributes its assistant turns (and their tool calls)."""
    if isinstance(completion, list):
        actions: List[Any] = []
        for message in completion:
            if message.get("role") != "assistant":
                continue
            for call in message.get("tool_calls") or []:
                actions.append(parse_action(dict(call.get("function", call))))
            if message.get("content"):
                actions.extend(_completion_actions(message["content"]))
        return actions
    text = str(completion)
    blocks = _TOOL_CALLS.findall(text)
    if blocks:
        return [parse_action(block) for block in blocks]
    return [parse_action(line) for line in text.splitlines() if line.strip()]


class CodeGymReward:
    """A TRL reward function: replays each completion's actions in a fresh episode and returns the
    episode's reward (1.0 for a correct Done, else 0.0). Per-row columns: ``env`` (default: the
    constructor's), ``reset_options`` (a map) or ``task`` / ``seed`` / ``difficulty``."""

    def __init__(self, url: str, env: Optional[str] = None, *, max_actions: int = 256, **client_options: Any):
        self.__name__ = "codegym_reward"  # TRL logs reward functions by name
        self.url = url
        self.env = env
        self.max_actions = max_actions
        self.client_options = client_options
        self._client: Optional[CodeGymClient] = None

    def _connected(self) -> CodeGymClient:
        if self._client is None or not self._client.is_open:
            self._client = CodeGymClient.connect(self.url, **self.client_options)
        return self._client

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> List[float]:
        client = self._connected()
        rewards = []
        for index, completion in enumerate(completions):
            row = {key: value[index] for key, value in columns.items() if isinstance(value, (list, tuple)) and len(value) > index}
            env = row.get("env") or self.env
            options = dict(row.get("reset_options") or {})
            for key in ("task", "seed", "difficulty", "maxSteps"):
                if row.get(key) is not None:
                    options[key] = row[key]
            rewards.append(self.score(client, env, options, _completion_actions(completion)[: self.max_actions]))
        return rewards

    @staticmethod
    def score(client: CodeGymClient, env: str, options: Mapping[str, Any], actions: Sequence[Any]) -> float:
        reset = client.reset(env, dict(options) or None)
        session = reset["session"]
        reward = 0.0
        try:
            for action in actions:
                result = client.step(session, action)
                reward += float(result["reward"])
                if result["terminated"] or result["truncated"]:
                    break
        finally:
            client.close_session(session)
        return reward

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
