"""check_env: the rules of Gymnasium 1.3's ``gymnasium/utils/env_checker.py`` and
``passive_env_checker.py``, written anew for the tests. Each failed rule raises AssertionError (or
TypeError / gymnasium.error.Error where Gymnasium raises those); Gymnasium's warnings are collected in
``warnings`` and returned, so a test can assert that there are none that matter.

Rules: the env is a ``gymnasium.Env``; both spaces are ``Space`` instances; no ``seed`` method;
``reset`` has no ``return_info`` and returns ``(obs, info)`` with ``obs`` in the observation space and
``info`` a dict; ``reset`` takes ``seed`` (default None) and ``options``; seed determinism as in
``check_reset_seed_determinism`` (``reset(seed=123)``, ``reset()``, ``reset(seed=123)``, ``reset()``:
observations 1 = 3 and 2 = 4, the generator state after each seeded reset the same, a different
one after ``reset(seed=456)``); ``step`` returns a 5-tuple with bool flags, a finite int/float reward,
a dict info and an observation in the space; step determinism (same seed and sampled action: same
observation, reward, flags, info and generator state; no truncation after one step); render modes
are a list and ``render_mode`` is None or one of them; ``close`` twice is allowed."""
import inspect
import math
from copy import deepcopy

import numpy as np

import gymnasium
from gymnasium import error, spaces


def data_equivalence(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(data_equivalence(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(data_equivalence(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(a == b))
    return a == b


def _check_reset_result(env, result, call):
    assert isinstance(result, tuple) and len(result) == 2, f"`{call}` must return (obs, info), got {type(result)}"
    obs, info = result
    assert obs in env.observation_space, f"The observation returned by `{call}` is not within the observation space."
    assert isinstance(info, dict), f"The info returned by `{call}` is not a dict: {type(info)}"
    return obs, info


def check_reset_seed_determinism(env):
    signature = inspect.signature(env.reset)
    if "seed" not in signature.parameters:
        raise error.Error("The `reset` method does not provide a `seed` keyword argument.")
    assert signature.parameters["seed"].default is None, "The default seed argument in reset should be `None`"
    obs_1, _ = _check_reset_result(env, env.reset(seed=123), "env.reset(seed=123)")
    assert env.unwrapped._np_random is not None, "reset(seed=...) must call super().reset(seed=seed)"
    rng_1 = deepcopy(env.unwrapped._np_random)
    obs_2, _ = _check_reset_result(env, env.reset(), "env.reset()")
    obs_3, _ = _check_reset_result(env, env.reset(seed=123), "env.reset(seed=123)")
    rng_3 = deepcopy(env.unwrapped._np_random)
    obs_4, _ = _check_reset_result(env, env.reset(), "env.reset()")
    assert data_equivalence(obs_1, obs_3), "Using `env.reset(seed=123)` is non-deterministic as the observations are not equivalent."
    assert data_equivalence(obs_2, obs_4), (
        "Using `env.reset(seed=123)` then `env.reset()` is non-deterministic as the observations are not equivalent.")
    assert rng_1.bit_generator.state == rng_3.bit_generator.state, "the generators differ after the same seed"
    _check_reset_result(env, env.reset(seed=456), "env.reset(seed=456)")
    assert env.unwrapped._np_random.bit_generator.state != rng_1.bit_generator.state, (
        "the generators are the same after different seeds")


def check_reset_options(env):
    if "options" not in inspect.signature(env.reset).parameters:
        raise error.Error("The `reset` method does not provide an `options` keyword argument.")
    env.reset(options={})


def env_step_passive_checker(env, action, warnings):
    result = env.step(action)
    assert isinstance(result, tuple) and len(result) == 5, "step must return a 5-tuple"
    obs, reward, terminated, truncated, info = result
    if not isinstance(terminated, (bool, np.bool_)):
        warnings.append(f"terminated is not a bool: {type(terminated)}")
    if not isinstance(truncated, (bool, np.bool_)):
        warnings.append(f"truncated is not a bool: {type(truncated)}")
    if obs not in env.observation_space:
        warnings.append("The obs returned by the `step()` method is not within the observation space.")
    if not (np.issubdtype(type(reward), np.integer) or np.issubdtype(type(reward), np.floating)):
        warnings.append(f"The reward returned by `step()` must be a float, int, np.integer or np.floating, actual type: {type(reward)}")
    elif math.isnan(reward) or math.isinf(reward):
        warnings.append("The reward is a NaN or inf value.")
    assert isinstance(info, dict), f"The `info` returned by `step()` must be a python dictionary, actual type: {type(info)}"
    return result


def check_step_determinism(env, seed=123):
    env.action_space.seed(seed)
    action = env.action_space.sample()
    env.reset(seed=seed)
    obs_0, rew_0, term_0, trunc_0, info_0 = env.step(action)
    rng = deepcopy(env.unwrapped._np_random)
    env.reset(seed=seed)
    obs_1, rew_1, term_1, trunc_1, info_1 = env.step(action)
    assert env.unwrapped._np_random.bit_generator.state == rng.bit_generator.state, "The `.np_random` is not properly been updated after step."
    assert data_equivalence(obs_0, obs_1), "Deterministic step observations are not equivalent for the same seed and action"
    assert data_equivalence(rew_0, rew_1), "Deterministic step rewards are not equivalent for the same seed and action"
    assert data_equivalence(term_0, term_1), "Deterministic step termination are not equivalent for the same seed and action"
    assert trunc_0 is False and trunc_1 is False, "Environment truncates after 1 step, something has gone very wrong."
    assert data_equivalence(info_0, info_1), "Deterministic step info are not equivalent for the same seed and action"


def check_render(env, warnings):
    render_modes = env.metadata.get("render_modes")
    assert isinstance(render_modes, (list, tuple)), f"render_modes must be a list or tuple, got {type(render_modes)}"
    assert env.render_mode is None or env.render_mode in render_modes, "render_mode is not one of the render_modes"
    if render_modes and env.metadata.get("render_fps") is None:
        warnings.append("render_fps is missing while there are render modes")


def check_env(env, skip_render_check=False, skip_close_check=False):
    """Raises on a broken rule; returns the warnings Gymnasium would have logged."""
    warnings = []
    if not isinstance(env, gymnasium.Env):
        raise TypeError(f"The environment must inherit from the gymnasium.Env class, actual class: {type(env)}.")
    assert isinstance(env.action_space, spaces.Space), "action_space must be a gymnasium Space"
    assert isinstance(env.observation_space, spaces.Space), "observation_space must be a gymnasium Space"
    if callable(getattr(env, "seed", None)):
        warnings.append("Official support for the `seed` function is dropped.")
    if "return_info" in inspect.signature(env.reset).parameters:
        warnings.append("`return_info` is deprecated as an optional argument to `reset`.")
    _check_reset_result(env, env.reset(), "env.reset()")
    check_reset_seed_determinism(env)
    check_reset_options(env)
    _check_reset_result(env, env.reset(), "env.reset()")
    env_step_passive_checker(env, env.action_space.sample(), warnings)
    check_step_determinism(env)
    if not skip_render_check:
        check_render(env, warnings)
        if env.render_mode is not None:
            env.render()
    if not skip_close_check:
        env.close()
        env.close()
    return warnings
