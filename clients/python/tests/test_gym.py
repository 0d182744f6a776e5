"""CodeGymEnv: text actions from a scripted policy, malformed actions, determinism, truncation, and
the gymnasium.Env subclassing path (with a stand-in gymnasium module)."""
from __future__ import annotations

import importlib
import json
import sys
import types
import unittest

from support import shared_server

import codegym_client.gym as gym_module
from codegym_client import CodeGymClient, CodeGymEnv, EpisodeEndedError
from oracles import ORACLES, TextPolicy

SUBARRAY = "codegym/max-subarray-v1"
BRACKETS = "codegym/valid-brackets-v1"


def setUpModule():
    global SERVER
    SERVER = shared_server()


def play(env, policy, **reset):
    observation, info = env.reset(**reset)
    messages = [{"role": "user", "content": f"{info['task']}\n\nObservation: {observation}"}]
    while True:
        action = policy(messages)
        observation, reward, terminated, truncated, info = env.step(action)
        messages += [{"role": "assistant", "content": action}, {"role": "user", "content": observation}]
        if terminated or truncated:
            return reward, terminated, truncated, info


class CodeGymEnvTest(unittest.TestCase):
    def test_oracle_plays_with_json_text_actions(self):
        for env_id in (SUBARRAY, BRACKETS):
            for codec in ("msgpack", "json"):
                with self.subTest(env=env_id, codec=codec), CodeGymEnv(SERVER.url, env_id, codec=codec) as env:
                    self.assertIsInstance(env.observation_space.sample(), str)
                    for seed in (1, 2):
                        reward, terminated, truncated, info = play(env, TextPolicy(ORACLES[env_id]), seed=seed,
                                                                    options={"difficulty": "medium"})
                        self.assertEqual((reward, terminated, truncated, info["correct"]), (1.0, True, False, True))

    def test_reset_is_deterministic_and_reuses_the_session(self):
        with CodeGymEnv(SERVER.url, SUBARRAY, reset_options={"difficulty": "hard"}) as env:
            first, info = env.reset(seed=42)
            session = env.session
            self.assertEqual(info["seed"], 42)
            self.assertEqual(info["difficulty"], "hard")
            self.assertEqual(first, json.dumps(info["raw_observation"], separators=(", ", ": ")))
            self.assertTrue(env.task and env.tools)
            trajectory = [env.step({"name": "GetElement", "parameters": {"index": i}})[0] for i in range(3)]
            again, _ = env.reset(seed=42)
            self.assertEqual(env.session, session)
            self.assertEqual(again, first)
            self.assertEqual([env.step({"name": "GetElement", "parameters": {"index": i}})[0] for i in range(3)], trajectory)

    def test_malformed_and_odd_actions_are_observations(self):
        with CodeGymEnv(SERVER.url, BRACKETS, reset_options={"task": "crossed"}) as env:
            env.reset()
            observation, reward, terminated, truncated, info = env.step('{"name": "GetLength", "parameters": ')
            self.assertTrue(observation.startswith("Error: invalid action"))
            self.assertEqual((reward, terminated, truncated, info["error"]["code"]), (0.0, False, False, "invalid_action"))
            self.assertEqual(env.step("just some prose")[4]["error"]["code"], "invalid_action")
            self.assertEqual(env.step('{"name": "NoSuchTool"}')[4]["error"]["code"], "unknown_tool")
            # An OpenAI tool call (arguments as JSON text) is read as an action.
            observation, *_ = env.step({"name": "GetChar", "arguments": '{"index": 1}'})
            self.assertEqual(observation, "[")
            self.assertEqual(env.step({"name": "GetLength"})[0], "4")
            self.assertEqual(env.step('{"name": "Done", "parameters": {"answer": false}}')[1], 1.0)
            with self.assertRaises(EpisodeEndedError):
                env.step({"name": "Observe"})

    def test_truncation_and_a_shared_client(self):
        with CodeGymClient.connect(SERVER.url) as client:
            env = CodeGymEnv(env_id=SUBARRAY, client=client, reset_options={"maxSteps": 2})
            env.reset(seed=3)
            self.assertFalse(env.step({"name": "Observe"})[3])
            _, reward, terminated, truncated, info = env.step({"name": "Observe"})
            self.assertEqual((reward, terminated, truncated, info["step"]), (0.0, False, True, 2))
            session = env.session
            env.close()
            self.assertTrue(client.is_open)  # not the env's to close
            self.assertIsNone(client.step_of(session))  # the session was closed

    def test_without_gymnasium(self):
        if gym_module.HAS_GYMNASIUM:
            self.skipTest("gymnasium is installed")
        self.assertIs(CodeGymEnv.__mro__[1], object)

    def test_subclasses_gymnasium_env_when_installed(self):
        fake = types.ModuleType("gymnasium")
        spaces = types.ModuleType("gymnasium.spaces")

        class Env:
            def reset(self, *, seed=None, options=None):
                self.seeded = seed

            def close(self):
                pass

        class Space:
            def __init__(self, shape=None, dtype=None, seed=None):
                self.shape = shape

        fake.Env, spaces.Space, fake.spaces = Env, Space, spaces
        saved = {name: sys.modules.get(name) for name in ("gymnasium", "gymnasium.spaces")}
        sys.modules["gymnasium"], sys.modules["gymnasium.spaces"] = fake, spaces
        try:
            module = importlib.reload(gym_module)
            self.assertTrue(module.HAS_GYMNASIUM)
            self.assertTrue(issubclass(module.CodeGymEnv, Env))
            self.assertTrue(issubclass(module.TextSpace, Space))
            with module.CodeGymEnv(SERVER.url, BRACKETS) as env:
                self.assertIsInstance(env, Env)
                self.assertIsInstance(env.observation_space, Space)
                self.assertIn("any text", env.observation_space)
                self.assertIn({"name": "Observe"}, env.action_space)
                observation, info = env.reset(seed=5)
                self.assertEqual(env.seeded, 5)
                self.assertEqual(info["seed"], 5)
                self.assertEqual(env.step({"name": "GetLength"})[4]["step"], 1)
        finally:
            for name, module in saved.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
            importlib.reload(gym_module)
        self.assertEqual(gym_module.HAS_GYMNASIUM, saved["gymnasium"] is not None)


if __name__ == "__main__":
    unittest.main()
