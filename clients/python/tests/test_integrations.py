"""The trainer adapters of the README, each run against a local server with a scripted policy."""
from __future__ import annotations

import asyncio
import json
import unittest

from support import shared_server

from codegym_client import CodeGymClient
from codegym_client.integrations.trl import CodeGymReward, make_rollout_func, play_episode
from codegym_client.integrations.verl import CodeGymInteraction, CodeGymToolkit
from oracles import ORACLES, TextPolicy

SUBARRAY = "codegym/max-subarray-v1"
BRACKETS = "codegym/valid-brackets-v1"


def setUpModule():
    global SERVER
    SERVER = shared_server()


class VerlInteractionTest(unittest.TestCase):
    def test_interaction_plays_an_episode(self):
        async def main():
            interaction = CodeGymInteraction({"name": "codegym", "url": SERVER.url, "codec": "json"})
            try:
                scores = {}
                for env, options in ((BRACKETS, {"task": "nested-ok"}), (SUBARRAY, {"seed": 4, "difficulty": "medium"})):
                    instance = await interaction.start_interaction(env=env, options=options)
                    messages = interaction.prompt(instance)
                    self.assertIn("Observation:", messages[0]["content"])
                    self.assertEqual(interaction.tools(instance)[-1]["function"]["name"], "Done")
                    policy = TextPolicy(ORACLES[env], wrap_tool_call=True)  # Hermes-style <tool_call> output
                    turns = 0
                    while True:
                        messages.append({"role": "assistant", "content": policy(messages)})
                        stop, response, turn_score, metadata = await interaction.generate_response(instance, messages)
                        messages.append({"role": "user", "content": response})
                        turns += 1
                        if stop:
                            break
                    self.assertTrue(metadata["terminated"])
                    self.assertEqual(turn_score, 1.0)
                    scores[env] = await interaction.calculate_score(instance)
                    await interaction.finalize_interaction(instance)
                self.assertEqual(scores, {BRACKETS: 1.0, SUBARRAY: 1.0})
            finally:
                await interaction.aclose()
        asyncio.run(asyncio.wait_for(main(), 60))

    def test_interaction_max_turns_and_bad_output(self):
        async def main():
            interaction = CodeGymInteraction({"url": SERVER.url, "env": BRACKETS, "max_turns": 2})
            try:
                instance = await interaction.start_interaction(options={"task": "crossed"})
                stop, response, score, _ = await interaction.generate_response(
                    instance, [{"role": "assistant", "content": "I think the answer is yes"}])
                self.assertFalse(stop)
                self.assertTrue(response.startswith("Error: invalid action"))
                stop, response, score, _ = await interaction.generate_response(
                    instance, [{"role": "assistant", "content": "", "tool_calls": [
                        {"type": "function", "function": {"name": "GetLength", "arguments": "{}"}}]}])
                self.assertEqual((stop, response, score), (True, "4", 0.0))
                self.assertEqual(await interaction.calculate_score(instance), 0.0)
                await interaction.finalize_interaction(instance)
            finally:
                await interaction.aclose()
        asyncio.run(asyncio.wait_for(main(), 60))

    def test_tools_share_one_episode(self):
        async def main():
            toolkit = CodeGymToolkit({"url": SERVER.url, "env": SUBARRAY})
            try:
                listed = await toolkit.atools()
                tools = {tool.name: tool for tool in listed}
                self.assertEqual(len(tools), len(listed))  # no tool twice
                self.assertEqual([tool.name for tool in listed][-2:], ["Observe", "Done"])
                self.assertTrue(set(tools) >= {"GetLength", "GetElement"})
                self.assertEqual(tools["Done"].get_openai_tool_schema()["type"], "function")
                instance = await tools["GetLength"].create("rollout-1", options={"seed": 8})
                self.assertEqual(await tools["GetElement"].create(instance), instance)
                solver = ORACLES[SUBARRAY]((await toolkit.episode(instance)).last["observation"])
                action = next(solver)
                while True:
                    text, reward, metrics = await tools[action["name"]].execute(instance, action["parameters"])
                    if action["name"] == "Done":
                        break
                    self.assertFalse(metrics["rolled_back"])
                    action = solver.send(json.loads(text))
                self.assertEqual((text, reward, metrics["terminated"]), ("Correct.", 1.0, True))
                self.assertEqual(await tools["Observe"].calc_reward(instance), 1.0)
                await tools["Done"].release(instance)
            finally:
                await toolkit.aclose()
        asyncio.run(asyncio.wait_for(main(), 60))

    def test_tools_is_a_plain_call_also_inside_a_running_loop(self):
        # As the README shows it: no await, from plain code and from a coroutine.
        toolkit = CodeGymToolkit({"url": SERVER.url, "env": SUBARRAY})
        names = [tool.name for tool in toolkit.tools()]
        with CodeGymClient.connect(SERVER.url) as client:
            reset_tools = [tool["name"] for tool in client.reset(SUBARRAY, {"seed": 1})["info"]["tools"]]
            described = [tool["name"] for tool in client.describe_env(SUBARRAY)["tools"]]
        # envs.describe, reset's info.tools and the verl tools are one list, Observe and Done last, once each.
        self.assertEqual(names, reset_tools)
        self.assertEqual(names, described)
        self.assertEqual(len(set(names)), len(names))

        async def inside_a_loop():
            fresh = CodeGymToolkit({"url": SERVER.url, "env": SUBARRAY})
            try:
                tools = {tool.name: tool for tool in fresh.tools()}
                instance = await tools["GetLength"].create(options={"seed": 1})
                text, reward, metrics = await tools["GetLength"].execute(instance, {})
                self.assertFalse(metrics["rolled_back"])
                # Model output that JSON cannot carry is an observation, and the episode goes on.
                text, reward, metrics = await tools["GetElement"].execute(instance, {"index": float("nan")})
                self.assertTrue(metrics["rolled_back"])
                text, reward, metrics = await tools["GetElement"].execute(instance, "not a map")
                self.assertTrue(metrics["rolled_back"])
                text, reward, metrics = await tools["GetLength"].execute(instance, {})
                self.assertFalse(metrics["rolled_back"])
                await tools["Done"].release(instance)
                return [tool.name for tool in fresh.tools()]
            finally:
                await fresh.aclose()
        self.assertEqual(asyncio.run(asyncio.wait_for(inside_a_loop(), 60)), names)


class TrlTest(unittest.TestCase):
    def test_play_episode(self):
        with CodeGymClient.connect(SERVER.url) as client:
            episode = play_episode(client, BRACKETS, TextPolicy(ORACLES[BRACKETS]), {"task": "long-balanced"})
        self.assertEqual((episode.reward, episode.terminated, episode.truncated), (1.0, True, False))
        self.assertEqual(episode.steps, len(episode.actions))
        self.assertEqual(len(episode.messages), 1 + 2 * episode.steps)
        self.assertEqual(episode.messages[-1]["content"], "Correct.")

    def test_rollout_function_and_replay_reward(self):
        rollout = make_rollout_func(SERVER.url, SUBARRAY, lambda: TextPolicy(ORACLES[SUBARRAY], wrap_tool_call=True))
        tasks = [{"seed": seed, "difficulty": "easy"} for seed in range(4)]
        out = rollout(tasks)
        self.assertEqual(out["rewards"], [1.0] * 4)
        self.assertEqual([e.seed for e in out["episodes"]], [0, 1, 2, 3])
        # The reward function replays each completion in the episode its row names.
        reward = CodeGymReward(SERVER.url, SUBARRAY)
        try:
            completions = ["\n".join(m["content"] for m in c if m["role"] == "assistant") for c in out["completions"]]
            self.assertEqual(reward(["p"] * 4, completions, seed=[t["seed"] for t in tasks], difficulty=["easy"] * 4),
                             [1.0] * 4)
            # Conversational completions, a wrong answer, and prose that is no action at all.
            conversational = out["completions"][0]
            wrong = '{"name": "Done", "parameters": {"answer": 123456789}}'
            self.assertEqual(reward(["p"] * 3, [conversational, wrong, "no idea"],
                                    seed=[0, 0, 0], difficulty=["easy"] * 3), [1.0, 0.0, 0.0])
            self.assertEqual(reward.__name__, "codegym_reward")
        finally:
            reward.close()

    def test_rollout_function_inside_a_running_loop(self):
        rollout = make_rollout_func(SERVER.url, BRACKETS, lambda: TextPolicy(ORACLES[BRACKETS]))

        async def trainer_step():  # an async trainer, or a Jupyter cell, calling the plain function
            return rollout([{"task": "crossed"}, {"task": "nested-ok"}])
        out = asyncio.run(asyncio.wait_for(trainer_step(), 60))
        self.assertEqual(out["rewards"], [1.0, 1.0])


if __name__ == "__main__":
    unittest.main()
