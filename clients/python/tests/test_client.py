"""Every operation through the blocking and asyncio clients, in both codecs, against a real server."""
from __future__ import annotations

import asyncio
import base64
import json
import time
import unittest

import websockets

from support import env_ids_present, shared_server

from codegym_client import (AlreadyHelloError, AsyncCodeGymClient, CodeGymClient, ConnectionClosedError,
                            DuplicateRequestIdError, EpisodeEndedError, HelloRequiredError, InvalidParamsError,
                            InvalidResetOptionsError, InvalidSnapshotError, RequestTimeoutError, Snapshot,
                            StepMismatchError, UnknownEnvError, UnknownOpError, UnknownSessionError, UnknownTaskError,
                            UnsupportedVersionError, error_from_wire)
from oracles import ORACLES, drive

BRACKETS = "codegym/valid-brackets-v1"
SUBARRAY = "codegym/max-subarray-v1"


def setUpModule():
    global SERVER
    SERVER = shared_server()


class BlockingClientTests:
    codec = "msgpack"

    def setUp(self):
        self.client = CodeGymClient.connect(SERVER.url, codec=self.codec, request_timeout=20)
        self.addCleanup(self.client.close)

    def test_hello(self):
        hello = self.client.hello_result
        self.assertEqual(hello["version"], 1)
        self.assertEqual(hello["server"]["name"], "codegym-serve")
        self.assertIsInstance(self.client.resume_token, str)
        self.assertGreater(self.client.limits["maxPendingRequests"], 0)

    def test_list_and_describe(self):
        envs = self.client.list_envs()
        ids = [env["id"] for env in envs]
        self.assertEqual(ids, sorted(ids))
        self.assertIn(BRACKETS, ids)
        described = self.client.describe_env(BRACKETS)
        self.assertEqual(described["id"], BRACKETS)
        self.assertIn("crossed", described["tasks"])
        self.assertTrue(all({"name", "description", "parameters"} <= set(tool) for tool in described["tools"]))

    def test_large_integers_stay_integers(self):
        # Seeds and ids of 2^32 or more arrive as Python ints in both codecs, never as floats.
        largest = 2 ** 53 - 1
        reset = self.client.reset(BRACKETS, {"task": "crossed", "seed": largest})
        self.assertIs(type(reset["info"]["seed"]), int)
        self.assertEqual(reset["info"]["seed"], largest)
        drawn = self.client.reset(BRACKETS)
        self.assertIs(type(drawn["info"]["seed"]), int)
        for session in (reset["session"], drawn["session"]):
            self.client.close_session(session)

    def test_describe_lists_every_tool_once(self):
        described = self.client.describe_env(BRACKETS)
        names = [tool["name"] for tool in described["tools"]]
        self.assertEqual(names[-2:], ["Observe", "Done"])
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(described["config"]["type"], "object")
        listed = {env["id"]: env for env in self.client.list_envs()}
        self.assertEqual(listed[BRACKETS]["tools"], len(names))

    def test_episode_ops(self):
        reset = self.client.reset(BRACKETS, {"task": "crossed"})
        session = reset["session"]
        self.assertEqual(reset["observation"], {"length": 4, "stack_size": 0})
        self.assertEqual([tool["name"] for tool in reset["info"]["tools"]][-2:], ["Observe", "Done"])
        self.assertEqual(self.client.step_of(session), 0)
        result = self.client.step(session, {"name": "GetLength"})
        self.assertEqual((result["observation"], result["info"]["step"]), (4, 1))
        self.assertEqual(self.client.step_of(session), 1)
        rolled = self.client.step(session, {"name": "Pop"})
        self.assertTrue(rolled["info"]["rolledBack"])
        self.assertEqual(rolled["info"]["error"]["code"], "tool_error")
        malformed = self.client.step(session, '{"name": "GetLength"')  # a model's broken output
        self.assertEqual(malformed["info"]["error"]["code"], "invalid_action")
        self.assertEqual(self.client.observe(session), {"length": 4, "stack_size": 0})
        self.assertEqual(self.client.step_of(session), 3)
        with self.assertRaises(StepMismatchError) as caught:
            self.client.step(session, {"name": "GetLength"}, expect_step=0)
        self.assertEqual(caught.exception.data, {"step": 3})
        finished = self.client.done(session, False)
        self.assertEqual((finished["reward"], finished["terminated"], finished["info"]["correct"]), (1, True, True))
        with self.assertRaises(EpisodeEndedError):
            self.client.step(session, {"name": "Observe"})
        again = self.client.reset(BRACKETS, {"task": "nested-ok"}, session=session)
        self.assertEqual(again["session"], session)
        self.assertEqual(self.client.step_of(session), 0)
        self.assertTrue(self.client.close_session(session))
        with self.assertRaises(UnknownSessionError):
            self.client.observe(session)

    def test_truncation(self):
        session = self.client.reset(SUBARRAY, {"seed": 7, "difficulty": "easy", "maxSteps": 2})["session"]
        self.assertFalse(self.client.step(session, {"name": "Observe"})["truncated"])
        last = self.client.step(session, {"name": "Observe"})
        self.assertEqual((last["truncated"], last["terminated"], last["reward"]), (True, False, 0))

    def test_snapshot_restore_fork(self):
        session = self.client.reset(BRACKETS, {"task": "crossed"})["session"]
        self.client.step(session, {"name": "GetChar", "parameters": {"index": 0}})
        self.client.step(session, {"name": "Push", "parameters": {"char": "("}})
        snapshot = self.client.snapshot(session)
        self.assertIsInstance(snapshot, Snapshot)
        self.assertIsInstance(snapshot.data, bytes)
        self.assertEqual(snapshot.step, 2)
        restored = self.client.restore(snapshot)
        self.assertEqual((restored["env"], restored["step"], restored["status"]), (BRACKETS, 2, "running"))
        forked = self.client.fork(session)
        self.assertEqual(forked["step"], 2)
        # A base64 text snapshot is accepted on either codec.
        from_text = self.client.restore(base64.b64encode(snapshot.data).decode())
        observations = {self.client.observe(s["session"])["stack_size"] for s in (restored, forked, from_text)}
        self.assertEqual(observations, {1})
        # The copies are independent and continue with their own step counts.
        self.assertEqual(self.client.step(forked["session"], {"name": "Pop"})["info"]["step"], 3)
        self.assertEqual(self.client.observe(session)["stack_size"], 1)
        self.assertEqual(self.client.step(restored["session"], {"name": "StackSize"})["observation"], 1)
        with self.assertRaises(InvalidSnapshotError):
            self.client.restore(b"hello")

    def test_batch(self):
        one = self.client.reset(BRACKETS, {"task": "crossed"})["session"]
        two = self.client.reset(SUBARRAY, {"task": self.client.describe_env(SUBARRAY)["tasks"][0]})["session"]
        outcomes = self.client.batch([
            ("step", {"session": one, "action": {"name": "GetChar", "parameters": {"index": 0}}}),
            {"op": "step", "params": {"session": two, "action": {"name": "GetLength"}}},
            ("step", {"session": one, "action": {"name": "Push", "parameters": {"char": "{"}}}),
            ("observe", {"session": one}),
            ("snapshot", {"session": two}),
            ("hello", {"versions": [1]}),
            ("envs.describe", {"env": "nope/none-v1"}),
            ("close", {"session": one}),
        ])
        self.assertEqual(outcomes[0]["info"]["step"], 1)
        self.assertEqual(outcomes[2]["info"]["step"], 2)
        self.assertEqual(outcomes[3], {"length": 4, "stack_size": 1})
        self.assertIsInstance(outcomes[4], Snapshot)
        self.assertEqual(outcomes[5].code, "invalid_request")
        self.assertIsInstance(outcomes[6], UnknownEnvError)
        self.assertIs(outcomes[7], True)
        # The batch told the client the step counts: later steps carry the right expectStep.
        self.assertEqual(self.client.step_of(two), 1)
        self.assertIsNone(self.client.step_of(one))
        self.assertEqual(self.client.step(two, {"name": "Observe"})["info"]["step"], 2)

    def test_refusals_map_to_exceptions(self):
        with self.assertRaises(UnknownEnvError):
            self.client.reset("codegym/no-such-env-v1")
        with self.assertRaises(UnknownTaskError):
            self.client.reset(BRACKETS, {"task": "no-such-task"})
        with self.assertRaises(InvalidResetOptionsError):
            self.client.reset(BRACKETS, {"difficulty": "impossible"})
        with self.assertRaises(InvalidParamsError):
            self.client.reset(BRACKETS, {"task": "crossed", "difficulty": "easy"})
        with self.assertRaises(UnknownOpError):
            self.client.request("teleport")
        with self.assertRaises(AlreadyHelloError):
            self.client.request("hello", {"versions": [1]})
        with self.assertRaises(UnknownSessionError) as caught:
            self.client.step("no-such-session", {"name": "Observe"})
        self.assertEqual(caught.exception.op, "step")
        # The connection is still usable after every refusal.
        self.assertTrue(self.client.list_envs())

    def test_request_timeout_and_late_answer(self):
        session = self.client.reset(BRACKETS, {"task": "crossed"})["session"]
        with self.assertRaises(RequestTimeoutError):
            self.client.step(session, {"name": "GetLength"}, timeout=1e-6)
        deadline = time.monotonic() + 5
        while self.client.step_of(session) != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        # The late answer raised the tracked count, so the next step is not refused.
        self.assertEqual(self.client.step(session, {"name": "Observe"})["info"]["step"], 2)

    def test_unsupported_version(self):
        with self.assertRaises(UnsupportedVersionError) as caught:
            CodeGymClient.connect(SERVER.url, codec=self.codec, versions=[7])
        self.assertEqual(caught.exception.data, {"versions": [1]})

    def test_closed_client_refuses(self):
        self.client.close()
        with self.assertRaises(ConnectionClosedError) as caught:
            self.client.async_client.request  # the state is readable after close
            CodeGymClient.__dict__  # noqa: B018
            asyncio.run(_closed_request(self.client.async_client))
        self.assertFalse(caught.exception.applied)


async def _closed_request(client):
    return await client.list_envs()


class BlockingMsgpackTest(BlockingClientTests, unittest.TestCase):
    codec = "msgpack"


class BlockingJsonTest(BlockingClientTests, unittest.TestCase):
    codec = "json"


class AsyncClientTests:
    codec = "msgpack"

    def run_async(self, coroutine):
        return asyncio.run(asyncio.wait_for(coroutine, 60))

    def test_pipelined_steps_on_one_session(self):
        async def main():
            async with await AsyncCodeGymClient.connect(SERVER.url, codec=self.codec) as client:
                session = (await client.reset(SUBARRAY, {"seed": 3, "difficulty": "hard"}))["session"]
                futures = [client.step(session, {"name": "Observe"}) for _ in range(40)]
                self.assertEqual(client.pending_requests, 40)
                results = await asyncio.gather(*futures)
                self.assertEqual([r["info"]["step"] for r in results], list(range(1, 41)))
                self.assertEqual(client.step_of(session), 40)
        self.run_async(main())

    def test_pipelined_sessions_and_ops(self):
        async def main():
            async with await AsyncCodeGymClient.connect(SERVER.url, codec=self.codec) as client:
                resets = await asyncio.gather(*(client.reset(BRACKETS, {"task": "crossed"}) for _ in range(8)))
                sessions = [r["session"] for r in resets]
                self.assertEqual(len(set(sessions)), 8)
                envs, *steps = await asyncio.gather(client.list_envs(), *(client.step(s, {"name": "GetLength"}) for s in sessions))
                self.assertTrue(envs)
                self.assertTrue(all(step["observation"] == 4 for step in steps))
                closed = await asyncio.gather(*(client.close_session(s) for s in sessions))
                self.assertEqual(closed, [True] * 8)
        self.run_async(main())

    def test_raw_connection_errors(self):
        """hello_required, duplicate_request_id and parse_error, on a raw WebSocket."""
        async def main():
            async with websockets.connect(SERVER.url, compression=None) as ws:
                from codegym_client.codec import decode, encode
                await ws.send(encode({"id": 1, "op": "envs.list"}, self.codec))
                self.assertIsInstance(error_from_wire(decode(await ws.recv())["error"]), HelloRequiredError)
                await ws.send(encode({"id": 2, "op": "hello", "params": {"versions": [1]}}, self.codec))
                self.assertIn("result", decode(await ws.recv()))
                session = None
                await ws.send(encode({"id": 3, "op": "reset", "params": {"env": BRACKETS}}, self.codec))
                session = decode(await ws.recv())["result"]["session"]
                step = encode({"id": 4, "op": "step", "params": {"session": session, "action": {"name": "GetLength"}}}, self.codec)
                await ws.send(step)
                await ws.send(step)
                answers = [decode(await ws.recv()) for _ in range(2)]
                errors = [error_from_wire(a["error"]) for a in answers if "error" in a]
                self.assertEqual(len(errors), 1)
                self.assertIsInstance(errors[0], DuplicateRequestIdError)
                await ws.send(b"\xc1" if self.codec == "msgpack" else "{")
                self.assertEqual(decode(await ws.recv())["error"]["code"], "parse_error")
        self.run_async(main())

    def test_protocol_error_event_on_client(self):
        async def main():
            async with await AsyncCodeGymClient.connect(SERVER.url, codec=self.codec) as client:
                seen = asyncio.get_running_loop().create_future()
                client.on("protocol-error", lambda error: seen.done() or seen.set_result(error))
                client._conn.send(b"\xc1" if self.codec == "msgpack" else "{")
                self.assertEqual((await asyncio.wait_for(seen, 5))["code"], "parse_error")
                self.assertTrue(await client.list_envs())
        self.run_async(main())

    def test_oracle_episodes_of_every_env(self):
        """A full episode of every bundled env, played by the Python port of its oracle, concurrently."""
        async def play(client, env, task):
            reset = await client.reset(env, {"task": task})
            session = reset["session"]
            solver = ORACLES[env](reset["observation"])
            action = next(solver)
            while True:
                result = await client.step(session, action)
                if action["name"] == "Done":
                    break
                self.assertFalse(result["info"]["rolledBack"], f"{env} {task}: {action} -> {result}")
                action = solver.send(result["observation"])
            await client.close_session(session)
            return env, task, result

        async def main():
            async with await AsyncCodeGymClient.connect(SERVER.url, codec=self.codec) as client:
                listed = [env["id"] for env in await client.list_envs()]
                ported = [env for env in listed if env in ORACLES]
                self.assertIn(BRACKETS, ported)
                self.assertIn(SUBARRAY, ported)
                tasks = await asyncio.gather(*(client.describe_env(env) for env in ported))
                plays = [play(client, env, task) for env, described in zip(ported, tasks) for task in described["tasks"][:2]]
                return listed, await asyncio.gather(*plays)

        listed, outcomes = self.run_async(main())
        for env, task, result in outcomes:
            with self.subTest(env=env, task=task):
                self.assertEqual((result["reward"], result["terminated"], result["info"]["correct"]), (1, True, True))

    def test_every_served_env_has_an_oracle_port(self):
        with CodeGymClient.connect(SERVER.url, codec=self.codec) as client:
            missing = [env["id"] for env in client.list_envs() if env["id"] not in ORACLES]
        if missing:
            self.skipTest(f"no Python oracle port in tests/oracles.py yet for {', '.join(missing)}")


class AsyncMsgpackTest(AsyncClientTests, unittest.TestCase):
    codec = "msgpack"


class AsyncJsonTest(AsyncClientTests, unittest.TestCase):
    codec = "json"


class BlockingOracleTest(unittest.TestCase):
    def test_generated_tasks_through_the_blocking_client(self):
        with CodeGymClient.connect(shared_server().url) as client:
            for env in (SUBARRAY, BRACKETS):
                for difficulty in ("easy", "hard"):
                    with self.subTest(env=env, difficulty=difficulty):
                        reset = client.reset(env, {"seed": 11, "difficulty": difficulty})
                        session = reset["session"]
                        result = drive(ORACLES[env](reset["observation"]), lambda action: client.step(session, action))
                        self.assertEqual(result["reward"], 1)


if __name__ == "__main__":
    unittest.main()
