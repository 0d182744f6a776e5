"""CodeGymEnv: text actions from a scripted policy, malformed actions, determinism, truncation, the
rules of Gymnasium's env checker, vector envs, and the gymnasium.Env subclassing path (with the
stand-in gymnasium of tests/standin)."""
from __future__ import annotations

import contextlib
import json
import sys
import unittest

from support import shared_server, standin_gymnasium

import codegym_client.gym as gym_module
from codegym_client import (CodeGymClient, CodeGymClientError, CodeGymEnv, EnvStateError, EpisodeEndedError, InvalidArgumentError,
                            UnknownSessionError)
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
            self.assertEqual(first, json.dumps(env.raw_observation, separators=(", ", ": ")))
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
        with standin_gymnasium() as module:
            import gymnasium
            self.assertTrue(module.HAS_GYMNASIUM)
            self.assertTrue(issubclass(module.CodeGymEnv, gymnasium.Env))
            self.assertTrue(issubclass(module.TextSpace, gymnasium.spaces.Space))
            with module.CodeGymEnv(SERVER.url, BRACKETS) as env:
                self.assertIn("any text", env.observation_space)
                self.assertIn({"name": "Observe"}, env.action_space)
                observation, info = env.reset(seed=5)
                self.assertEqual(info["seed"], 5)
                self.assertEqual(env.np_random_seed, 5)  # super().reset(seed=seed) seeded np_random
                self.assertEqual(env.step({"name": "GetLength"})[4]["step"], 1)
        self.assertEqual(gym_module.HAS_GYMNASIUM, "gymnasium" in sys.modules)


class GymnasiumRulesTest(unittest.TestCase):
    """The rules of Gymnasium's check_env, each on its own, and the stand-in's check_env on every
    served env (tests/standin holds the stand-in gymnasium and the rules it checks)."""

    @classmethod
    def setUpClass(cls):
        cls.client = CodeGymClient.connect(SERVER.url)
        cls.env_ids = [summary["id"] for summary in cls.client.list_envs()]

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_check_env_passes_on_every_served_env(self):
        self.assertGreaterEqual(len(self.env_ids), 2)
        with standin_gymnasium() as module:
            from gymnasium.utils.env_checker import check_env
            for env_id in self.env_ids:
                with self.subTest(env=env_id):
                    env = module.CodeGymEnv(env_id=env_id, client=self.client)
                    self.assertEqual(check_env(env), [])

    def test_reset_seed_then_reset_matches_a_fresh_env(self):
        # Both with gymnasium (np_random) and without (the env's own seeded generator).
        for with_gymnasium in (True, False):
            with self.subTest(gymnasium=with_gymnasium):
                context = standin_gymnasium() if with_gymnasium else contextlib.nullcontext(gym_module)
                with context as module:
                    for env_id in self.env_ids:
                        first = module.CodeGymEnv(env_id=env_id, client=self.client)
                        fresh = module.CodeGymEnv(env_id=env_id, client=self.client)
                        try:
                            a = [first.reset(seed=123), first.reset(), first.reset()]
                            b = [fresh.reset(seed=123), fresh.reset(), fresh.reset()]
                            self.assertEqual([obs for obs, _ in a], [obs for obs, _ in b], env_id)
                            self.assertEqual([info["seed"] for _, info in a], [info["seed"] for _, info in b])
                            self.assertEqual(a[0][1]["seed"], 123)
                            self.assertNotEqual(a[1][1]["seed"], a[2][1]["seed"])  # each reset draws anew
                        finally:
                            first.close()
                            fresh.close()

    def test_task_seeds_come_from_np_random(self):
        with standin_gymnasium() as module:
            from gymnasium.utils import seeding
            env = module.CodeGymEnv(env_id=SUBARRAY, client=self.client)
            try:
                env.reset(seed=7)
                rng, _ = seeding.np_random(7)
                expected = [int(rng.integers(0, module.MAX_TASK_SEED, endpoint=True)) for _ in range(2)]
                self.assertEqual([env.reset()[1]["seed"], env.reset()[1]["seed"]], expected)
                # The generator's state is the same after the same seed, and differs after another.
                env.reset(seed=7)
                state = env.np_random.bit_generator.state
                env.reset(seed=8)
                self.assertNotEqual(env.np_random.bit_generator.state, state)
                env.reset(seed=7)
                self.assertEqual(env.np_random.bit_generator.state, state)
            finally:
                env.close()

    def test_options(self):
        with CodeGymEnv(env_id=SUBARRAY, client=self.client, reset_options={"difficulty": "hard"}) as env:
            _, info = env.reset(options={})
            self.assertEqual(info["difficulty"], "hard")
            _, info = env.reset(seed=3, options={"difficulty": "easy", "maxSteps": 5})
            self.assertEqual((info["seed"], info["difficulty"], info["maxSteps"]), (3, "easy", 5))
            _, info = env.reset(options={"seed": 11})  # a seed in options is used as it is
            self.assertEqual(info["seed"], 11)
        with CodeGymEnv(env_id=BRACKETS, client=self.client) as env:
            observation, info = env.reset(options={"task": "crossed"})
            self.assertEqual(env.step({"name": "GetLength"})[0], "4")

    def test_spaces_info_render_and_close(self):
        with standin_gymnasium() as module:
            env = module.CodeGymEnv(SERVER.url, SUBARRAY)
            self.assertEqual(env.metadata["render_modes"], [])
            self.assertIsNone(env.render_mode)
            self.assertIsNone(env.render())
            with self.assertRaises(InvalidArgumentError):
                module.CodeGymEnv(env_id=SUBARRAY, client=self.client, render_mode="human")
            twin = module.CodeGymEnv(env_id=SUBARRAY, client=self.client)
            self.assertEqual(env.observation_space, twin.observation_space)
            self.assertEqual(env.action_space, twin.action_space)
            self.assertNotEqual(env.observation_space, env.action_space)
            self.assertEqual(env.observation_space.max_length, 2 * self.client.limits["maxObservationBytes"])
            observation, info = env.reset(seed=1)
            self.assertIn(observation, env.observation_space)
            step_types = None
            for action in ({"name": "GetLength"}, "junk", {"name": "GetElement", "parameters": {"index": 99}},
                           {"name": "Done", "parameters": {"answer": 0}}):
                observation, reward, terminated, truncated, info = env.step(action)
                self.assertIn(observation, env.observation_space)
                self.assertIs(type(reward), float)
                self.assertIs(type(terminated), bool)
                self.assertIs(type(truncated), bool)
                self.assertIsInstance(info, dict)
                # Every info key keeps its type from step to step (vector envs batch them by type).
                types = {key: type(value) for key, value in info.items()}
                if step_types is not None:
                    for key in types.keys() & step_types.keys():
                        self.assertIs(types[key], step_types[key], key)
                step_types = {**(step_types or {}), **types}
            self.assertIsInstance(env.raw_observation, str)
            env.close()
            env.close()  # closing twice is allowed
            with self.assertRaises(EnvStateError):
                env.reset()
            twin.close()

    def test_forgotten_session_gets_a_new_one_on_reset(self):
        with CodeGymEnv(env_id=SUBARRAY, client=self.client) as env:
            env.reset(seed=1)
            forgotten = env.session
            self.client.close_session(forgotten)  # as the server does after its idle TTL or a restart
            with self.assertRaises(UnknownSessionError):
                env.step({"name": "GetLength"})
            observation, info = env.reset(seed=1)
            self.assertNotEqual(env.session, forgotten)
            self.assertEqual(env.step({"name": "GetLength"})[4]["step"], 1)

    def test_a_connection_closed_for_good_is_replaced_on_reset(self):
        with CodeGymEnv(SERVER.url, SUBARRAY) as env:
            env.reset(seed=1)
            env.client.close()  # e.g. reconnecting gave up after the server's resume time
            self.assertTrue(env.client.is_closed)
            env.reset(seed=1)
            self.assertTrue(env.client.is_open)
            self.assertEqual(env.step({"name": "GetLength"})[4]["step"], 1)

    def test_step_before_reset(self):
        with CodeGymEnv(env_id=SUBARRAY, client=self.client) as env:
            with self.assertRaises(EnvStateError) as raised:
                env.step({"name": "Observe"})
            self.assertIsInstance(raised.exception, CodeGymClientError)


class VectorEnvTest(unittest.TestCase):
    """make_vector_env under the stand-in's SyncVectorEnv and AsyncVectorEnv, which batch spaces and
    infos as Gymnasium does."""

    def play(self, vector):
        observations, infos = vector.reset(seed=7)
        self.assertIsInstance(observations, tuple)
        self.assertEqual(len(observations), 3)
        self.assertTrue(all(isinstance(observation, str) for observation in observations))
        self.assertEqual(list(infos["seed"]), [7, 8, 9])
        self.assertTrue(vector.observation_space.contains(observations))
        # Different model outputs in one batch: a tool call, prose, and a value JSON cannot carry.
        actions = ({"name": "GetLength"}, "no idea", {"name": "GetLength", "parameters": {"x": float("nan")}})
        observations, rewards, terminated, truncated, infos = vector.step(actions)
        self.assertEqual(list(infos["step"]), [1, 1, 1])
        self.assertEqual(list(infos["rolledBack"]), [False, True, True])
        self.assertEqual(list(infos["_error"]), [False, True, True])
        self.assertEqual(list(infos["error"]["code"][1:]), ["invalid_action", "invalid_action"])
        # One env ends; the next step resets it (next-step autoreset) while the others go on.
        actions = ({"name": "Done", "parameters": {"answer": 0}}, {"name": "Observe"}, {"name": "Observe"})
        _, _, terminated, truncated, infos = vector.step(actions)
        self.assertEqual(list(terminated), [True, False, False])
        _, rewards, terminated, _, infos = vector.step(({"name": "Observe"},) * 3)
        self.assertEqual(list(infos["step"]), [0, 3, 3])
        self.assertEqual(list(terminated), [False, False, False])

    def test_sync_vector_env(self):
        with standin_gymnasium() as module:
            vector = module.make_vector_env(SERVER.url, SUBARRAY, 3)
            try:
                self.assertEqual(len(vector.observation_space), 3)
                self.play(vector)
            finally:
                vector.close()

    def test_async_vector_env(self):
        with standin_gymnasium() as module:
            from gymnasium.vector import AsyncVectorEnv
            vector = module.make_vector_env(SERVER.url, SUBARRAY, 3, asynchronous=True)
            try:
                self.play(vector)
            finally:
                vector.close()
            # Gymnasium's default shared memory holds fixed shapes only: refused, as Gymnasium refuses it.
            with self.assertRaises(ValueError):
                AsyncVectorEnv([lambda: module.CodeGymEnv(SERVER.url, SUBARRAY)])

    def test_needs_gymnasium(self):
        if gym_module.HAS_GYMNASIUM:
            self.skipTest("gymnasium is installed")
        with self.assertRaises(InvalidArgumentError):
            gym_module.make_vector_env(SERVER.url, SUBARRAY, 2)


if __name__ == "__main__":
    unittest.main()
