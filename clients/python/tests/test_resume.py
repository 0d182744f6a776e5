"""Reconnect and resume after a lost connection: idle, with a step in flight whose answer is lost,
with a step never sent, with pipelined steps; and resuming from another client."""
from __future__ import annotations

import asyncio
import time
import unittest

from support import Server, shared_server

from codegym_client import (AsyncCodeGymClient, CodeGymClient, ConnectError, ConnectionClosedError, InvalidResumeTokenError,
                            ReconnectPolicy)

SUBARRAY = "codegym/max-subarray-v1"
BRACKETS = "codegym/valid-brackets-v1"


def setUpModule():
    global SERVER
    SERVER = shared_server()


def drop_on_answer(client: AsyncCodeGymClient, op: str, count: int = 1) -> asyncio.Event:
    """Loses the connection when the answer to the ``count``-th request of ``op`` arrives, before
    the client reads it: the request was applied, its answer is lost."""
    original = client._on_frame
    dropped = asyncio.Event()
    seen = {"n": 0}

    def on_frame(conn, frame):
        from codegym_client.codec import decode
        message = decode(frame)
        pending = client._pending.get(message.get("id")) if isinstance(message, dict) else None
        if not dropped.is_set() and pending is not None and pending.op == op:
            seen["n"] += 1
            if seen["n"] >= count:
                dropped.set()
                client._drop()
                return
        original(conn, frame)
    client._on_frame = on_frame
    return dropped


class ResumeTests:
    codec = "msgpack"

    def run_async(self, coroutine):
        return asyncio.run(asyncio.wait_for(coroutine, 60))

    async def connect(self, **options):
        client = await AsyncCodeGymClient.connect(SERVER.url, codec=self.codec, **options)
        self.reconnects = []
        client.on("reconnect", self.reconnects.append)
        return client

    def test_idle_drop(self):
        async def main():
            client = await self.connect()
            session = (await client.reset(SUBARRAY, {"seed": 5}))["session"]
            await client.step(session, {"name": "GetLength"})
            token = client.resume_token
            client._drop()
            # A request made while reconnecting waits and goes out after the resume.
            result = await client.step(session, {"name": "Observe"})
            self.assertEqual(result["info"]["step"], 2)
            self.assertEqual(client.resume_token, token)
            self.assertEqual(len(self.reconnects), 1)
            self.assertEqual([s["session"] for s in self.reconnects[0]], [session])
            await client.close()
        self.run_async(main())

    def test_step_in_flight_with_lost_answer(self):
        async def main():
            client = await self.connect()
            session = (await client.reset(BRACKETS, {"task": "crossed"}))["session"]
            dropped = drop_on_answer(client, "step")
            result = await client.step(session, {"name": "GetChar", "parameters": {"index": 0}})
            self.assertTrue(dropped.is_set())
            # The answer came from the session's lastResult: the step was applied exactly once.
            self.assertEqual((result["observation"], result["info"]["step"]), ("(", 1))
            self.assertEqual(client.step_of(session), 1)
            after = await client.step(session, {"name": "Observe"})
            self.assertEqual(after["info"]["step"], 2)
            await client.close()
        self.run_async(main())

    def test_step_never_sent_is_sent_once(self):
        async def main():
            client = await self.connect()
            session = (await client.reset(BRACKETS, {"task": "crossed"}))["session"]
            future = client.step(session, {"name": "GetLength"})
            client._drop()  # before the writer task sent the frame
            result = await future
            self.assertEqual(result["info"]["step"], 1)
            self.assertEqual((await client.step(session, {"name": "Observe"}))["info"]["step"], 2)
            await client.close()
        self.run_async(main())

    def test_pipelined_steps_with_lost_answers(self):
        async def main():
            client = await self.connect()
            session = (await client.reset(SUBARRAY, {"seed": 9, "difficulty": "hard"}))["session"]
            # Hold back every answer until the third, then lose the connection: all three were applied.
            held = []
            original = client._on_frame

            def on_frame(conn, frame):
                held.append((conn, frame))
                if len(held) == 3:
                    client._on_frame = original  # the resuming hello's answer must get through
                    client._drop()
            client._on_frame = on_frame
            futures = [client.step(session, {"name": "GetElement", "parameters": {"index": i}}) for i in range(3)]
            await asyncio.wait_for(_until(lambda: len(held) >= 3), 10)
            later = client.step(session, {"name": "Observe"})  # made while reconnecting
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
            for lost in outcomes[:2]:
                self.assertIsInstance(lost, ConnectionClosedError)
                self.assertTrue(lost.applied)
            self.assertEqual(outcomes[2]["info"]["step"], 3)
            # The fourth step was sent after the resume with expectStep 3, and applied once.
            self.assertEqual((await later)["info"]["step"], 4)
            self.assertEqual(client.step_of(session), 4)
            await client.close()
        self.run_async(main())

    def test_resume_from_another_client(self):
        async def main():
            first = await self.connect(reconnect=False)
            session = (await first.reset(BRACKETS, {"task": "crossed"}))["session"]
            await first.step(session, {"name": "GetLength"})
            closed = asyncio.get_running_loop().create_future()
            first.on("close", lambda code, reason: closed.done() or closed.set_result(code))
            second = await AsyncCodeGymClient.connect(SERVER.url, codec=self.codec, resume_token=first.resume_token)
            self.assertEqual(await asyncio.wait_for(closed, 5), 4003)  # resumed elsewhere
            self.assertFalse(first.is_open)
            self.assertEqual(second.step_of(session), 1)
            self.assertEqual([s["session"] for s in second.hello_result["resumed"]], [session])
            result = await second.step(session, {"name": "GetLength"})
            self.assertEqual(result["info"]["step"], 2)
            await second.close_session(session)
            await second.close()
            with self.assertRaises(InvalidResumeTokenError):
                await AsyncCodeGymClient.connect(SERVER.url, codec=self.codec, resume_token="no-such-token")
        self.run_async(main())


async def _until(predicate):
    while not predicate():
        await asyncio.sleep(0.005)


class ResumeMsgpackTest(ResumeTests, unittest.TestCase):
    codec = "msgpack"


class ResumeJsonTest(ResumeTests, unittest.TestCase):
    codec = "json"


class BlockingResumeTest(unittest.TestCase):
    def test_blocking_client_survives_a_drop(self):
        with CodeGymClient.connect(shared_server().url) as client:
            session = client.reset(SUBARRAY, {"seed": 1})["session"]
            client.step(session, {"name": "GetLength"})
            client._drop()
            self.assertEqual(client.step(session, {"name": "Observe"})["info"]["step"], 2)


class ReconnectPolicyTest(unittest.TestCase):
    """Reconnecting keeps trying, with capped exponential backoff and jitter, until the server's
    announced resumeTtlMs has passed since the drop."""

    def test_delays(self):
        policy = ReconnectPolicy(initial_delay=0.1, max_delay=1.0, jitter=0.5)
        self.assertEqual(policy.delay(1), 0.0)  # the first attempt is immediate
        self.assertEqual([policy.delay(n, rng=lambda: 0.0) for n in range(2, 8)], [0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
        self.assertEqual([policy.delay(n, rng=lambda: 1.0) for n in range(2, 5)], [0.05, 0.1, 0.2])
        self.assertTrue(all(0.5 <= policy.delay(9) <= 1.0 for _ in range(100)))
        self.assertIsNone(ReconnectPolicy().attempts)  # bounded by the resume time, not a count

    def fail_reconnects(self, client, failures):
        """The next ``failures`` connection attempts fail as a refused connection would."""
        original = client._open
        attempts = []

        async def open_():
            attempts.append(1)
            if len(attempts) <= failures:
                raise ConnectError(client.url, ConnectionRefusedError("refused"))
            return await original()
        client._open = open_
        return attempts

    def test_keeps_trying_until_the_server_answers(self):
        async def main():
            client = await AsyncCodeGymClient.connect(SERVER.url, reconnect=ReconnectPolicy(initial_delay=0.01, max_delay=0.05))
            self.assertEqual(client.limits["resumeTtlMs"], 60000)
            session = (await client.reset(SUBARRAY, {"seed": 5}))["session"]
            await client.step(session, {"name": "GetLength"})
            attempts = self.fail_reconnects(client, 12)  # more than any fixed small count would allow
            reconnected = asyncio.get_running_loop().create_future()
            client.on("reconnect", lambda resumed: reconnected.done() or reconnected.set_result(resumed))
            client._drop()
            resumed = await asyncio.wait_for(reconnected, 30)
            self.assertEqual(len(attempts), 13)
            self.assertEqual([summary["session"] for summary in resumed], [session])
            self.assertEqual((await client.step(session, {"name": "GetLength"}))["info"]["step"], 2)
            await client.close()
        asyncio.run(asyncio.wait_for(main(), 60))

    def test_gives_up_once_the_resume_time_has_passed(self):
        server = Server("--resume-ttl-ms", "400")
        try:
            async def main():
                client = await AsyncCodeGymClient.connect(server.url, reconnect=ReconnectPolicy(initial_delay=0.01, max_delay=0.05))
                session = (await client.reset(SUBARRAY, {"seed": 5}))["session"]
                attempts = self.fail_reconnects(client, 10 ** 6)
                closed = asyncio.get_running_loop().create_future()
                client.on("close", lambda code, reason: closed.done() or closed.set_result(code))
                pending = client.step(session, {"name": "Observe"})
                started = time.monotonic()
                client._drop()
                self.assertEqual(await asyncio.wait_for(closed, 30), 1006)
                self.assertGreaterEqual(time.monotonic() - started, 0.4)  # not before the server forgets
                self.assertGreater(len(attempts), 1)
                self.assertTrue(client.is_closed)
                with self.assertRaises(ConnectionClosedError):
                    await pending
            asyncio.run(asyncio.wait_for(main(), 60))
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
