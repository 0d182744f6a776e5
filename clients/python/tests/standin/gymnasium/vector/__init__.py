"""gymnasium.vector: SyncVectorEnv and AsyncVectorEnv with Gymnasium 1.3's checks and batching
(next-step autoreset, per-env seeds seed + i, typed info arrays with `_key` masks)."""
import multiprocessing
from copy import deepcopy

import numpy as np

from gymnasium.error import CustomSpaceError
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array, create_shared_memory, iterate


def _add_info(num_envs, infos, env_info, index):
    for key, value in env_info.items():
        if isinstance(value, dict):
            array = _add_info(num_envs, infos.get(key, {}), value, index)
        else:
            if key not in infos:
                if type(value) in (int, float, bool) or issubclass(type(value), np.number):
                    array = np.zeros(num_envs, dtype=type(value))
                else:
                    array = np.full(num_envs, fill_value=None, dtype=object)
            else:
                array = infos[key]
            array[index] = value  # a value of another type than the first env's fails here, as in Gymnasium
        mask = infos.get(f"_{key}", np.zeros(num_envs, dtype=np.bool_))
        mask[index] = True
        infos[key], infos[f"_{key}"] = array, mask
    return infos


def _seeds(seed, n):
    if seed is None:
        return [None] * n
    if isinstance(seed, int):
        return [seed + i for i in range(n)]
    assert len(seed) == n
    return list(seed)


class SyncVectorEnv:
    def __init__(self, env_fns, copy=True):
        self.envs = [fn() for fn in env_fns]
        self.num_envs = len(self.envs)
        self.copy = copy
        self.metadata = self.envs[0].metadata
        self.render_mode = self.envs[0].render_mode
        self.single_action_space = self.envs[0].action_space
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = self.envs[0].observation_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        for env in self.envs:
            assert env.observation_space == self.single_observation_space, (
                "SyncVectorEnv(..., observation_mode='same') however the sub-environments observation spaces are not equivalent")
            assert env.action_space == self.single_action_space, "Sub-environment action space doesn't make the `single_action_space`"
        self._env_obs = [None] * self.num_envs
        self._observations = create_empty_array(self.single_observation_space, n=self.num_envs, fn=np.zeros)
        self._rewards = np.zeros(self.num_envs, dtype=np.float64)
        self._terminations = np.zeros(self.num_envs, dtype=np.bool_)
        self._truncations = np.zeros(self.num_envs, dtype=np.bool_)
        self._autoreset_envs = np.zeros(self.num_envs, dtype=np.bool_)

    def reset(self, *, seed=None, options=None):
        infos = {}
        for i, (env, each) in enumerate(zip(self.envs, _seeds(seed, self.num_envs))):
            self._env_obs[i], info = env.reset(seed=each, options=options)
            infos = _add_info(self.num_envs, infos, info, i)
        self._observations = concatenate(self.single_observation_space, self._env_obs, self._observations)
        self._autoreset_envs = np.zeros(self.num_envs, dtype=np.bool_)
        return (deepcopy(self._observations) if self.copy else self._observations), infos

    def step(self, actions):
        infos = {}
        for i, action in enumerate(iterate(self.action_space, actions)):
            if self._autoreset_envs[i]:
                self._env_obs[i], info = self.envs[i].reset()
                self._rewards[i], self._terminations[i], self._truncations[i] = 0.0, False, False
            else:
                (self._env_obs[i], self._rewards[i], self._terminations[i], self._truncations[i],
                 info) = self.envs[i].step(action)
            infos = _add_info(self.num_envs, infos, info, i)
        self._observations = concatenate(self.single_observation_space, self._env_obs, self._observations)
        self._autoreset_envs = np.logical_or(self._terminations, self._truncations)
        return ((deepcopy(self._observations) if self.copy else self._observations), np.copy(self._rewards),
                np.copy(self._terminations), np.copy(self._truncations), infos)

    def close(self):
        for env in self.envs:
            env.close()


def _worker(env_fn, pipe):
    env = env_fn()
    autoreset = False
    try:
        while True:
            command, data = pipe.recv()
            if command == "reset":
                seed, options = data
                observation, info = env.reset(seed=seed, options=options)
                autoreset = False
                pipe.send(((observation, info), True))
            elif command == "step":
                if autoreset:
                    observation, info = env.reset()
                    result = (observation, 0.0, False, False, info)
                else:
                    result = env.step(data)
                autoreset = bool(result[2] or result[3])
                pipe.send((result, True))
            elif command == "_check_spaces":
                observation_space, action_space = data
                pipe.send(((observation_space == env.observation_space, action_space == env.action_space), True))
            elif command == "close":
                pipe.send((None, True))
                break
    except Exception as error:  # noqa: BLE001 - reported to the parent, as Gymnasium's error queue does
        pipe.send((repr(error), False))
    finally:
        env.close()


class AsyncVectorEnv:
    def __init__(self, env_fns, shared_memory=True, copy=True, context=None):
        dummy = env_fns[0]()
        self.metadata = dummy.metadata
        self.render_mode = dummy.render_mode
        self.single_observation_space = dummy.observation_space
        self.single_action_space = dummy.action_space
        dummy.close()
        del dummy
        self.num_envs = len(env_fns)
        self.copy = copy
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        ctx = multiprocessing.get_context(context or "fork")
        if shared_memory:
            try:
                create_shared_memory(self.single_observation_space, n=self.num_envs, ctx=ctx)
            except CustomSpaceError as error:
                raise ValueError("Using `AsyncVector(..., shared_memory=True)` caused an error, you can disable this "
                                 "feature with `shared_memory=False` however this is slower.") from error
        self.observations = create_empty_array(self.single_observation_space, n=self.num_envs, fn=np.zeros)
        self.parent_pipes, self.processes = [], []
        for env_fn in env_fns:
            parent, child = ctx.Pipe()
            process = ctx.Process(target=_worker, args=(env_fn, child), daemon=True)
            process.start()
            child.close()
            self.parent_pipes.append(parent)
            self.processes.append(process)
        for pipe in self.parent_pipes:
            pipe.send(("_check_spaces", (self.single_observation_space, self.single_action_space)))
        same_observation, same_action = zip(*self._receive())
        if not all(same_observation):
            raise RuntimeError("Some environments have an observation space different from `single_observation_space`.")
        if not all(same_action):
            raise RuntimeError("Some environments have an action space different from `single_action_space`.")

    def _receive(self, timeout_s=60.0):
        results = []
        for pipe in self.parent_pipes:
            if not pipe.poll(timeout_s):
                raise TimeoutError("a worker did not answer")
            result, success = pipe.recv()
            if not success:
                raise RuntimeError(f"a worker failed: {result}")
            results.append(result)
        return results

    def reset(self, *, seed=None, options=None):
        for pipe, each in zip(self.parent_pipes, _seeds(seed, self.num_envs)):
            pipe.send(("reset", (each, options)))
        infos = {}
        observations = []
        for i, (observation, info) in enumerate(self._receive()):
            observations.append(observation)
            infos = _add_info(self.num_envs, infos, info, i)
        self.observations = concatenate(self.single_observation_space, observations, self.observations)
        return (deepcopy(self.observations) if self.copy else self.observations), infos

    def step(self, actions):
        for pipe, action in zip(self.parent_pipes, iterate(self.action_space, actions)):
            pipe.send(("step", action))
        infos = {}
        observations, rewards, terminations, truncations = [], [], [], []
        for i, (observation, reward, terminated, truncated, info) in enumerate(self._receive()):
            observations.append(observation)
            rewards.append(reward)
            terminations.append(terminated)
            truncations.append(truncated)
            infos = _add_info(self.num_envs, infos, info, i)
        self.observations = concatenate(self.single_observation_space, observations, self.observations)
        return ((deepcopy(self.observations) if self.copy else self.observations), np.array(rewards, dtype=np.float64),
                np.array(terminations, dtype=np.bool_), np.array(truncations, dtype=np.bool_), infos)

    def close(self):
        for pipe in self.parent_pipes:
            try:
                pipe.send(("close", None))
                if pipe.poll(10):
                    pipe.recv()
            except (BrokenPipeError, EOFError, OSError):
                pass
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
