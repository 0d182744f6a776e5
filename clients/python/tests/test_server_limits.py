"""Refusals that need a server with other settings: token, small limits, and a drain."""
from __future__ import annotations

import asyncio
import time
import unittest

from support import Server

from codegym_client import (AsyncCodeGymClient, BatchTooLargeError, CodeGymClient, ConnectionClosedError,
                            DrainingError, TooManyPendingError, TooManySessionsError, UnauthorizedError)

BRACKETS = "codegym/valid-brackets-v1"
TOKEN = "s3cret-token-for-tests"


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--token", TOKEN, "--max-pending-requests", "4", "--max-sessions-per-connection", "2",
                            "--max-batch-ops", "2")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_token(self):
        for codec in ("msgpack", "json"):
            with self.subTest(codec=codec):
                with self.assertRaises(UnauthorizedError):
                    CodeGymClient.connect(self.server.url, codec=codec, token="wrong")
                with self.assertRaises(UnauthorizedError):
                    CodeGymClient.connect(self.server.url, codec=codec)
                with CodeGymClient.connect(self.server.url, codec=codec, token=TOKEN) as client:
                    self.assertEqual(client.limits["maxBatchOps"], 2)

    def test_session_batch_and_pending_limits(self):
        async def main():
            async with await AsyncCodeGymClient.connect(self.server.url, token=TOKEN) as client:
                one = (await client.reset(BRACKETS))["session"]
                await client.reset(BRACKETS)
                with self.assertRaises(TooManySessionsError):
                    await client.reset(BRACKETS)
                with self.assertRaises(BatchTooLargeError):
                    await client.batch([("observe", {"session": one})] * 3)
                outcomes = await asyncio.gather(*(client.step(one, {"name": "Observe"}) for _ in range(8)),
                                                return_exceptions=True)
                refused = [o for o in outcomes if isinstance(o, TooManyPendingError)]
                taken = [o for o in outcomes if isinstance(o, dict)]
                self.assertTrue(refused)
                self.assertEqual(len(refused) + len(taken), 8)
                # Refused steps were not taken; the client's count follows the server's.
                self.assertEqual(client.step_of(one), len(taken))
                self.assertEqual((await client.step(one, {"name": "Observe"}))["info"]["step"], len(taken) + 1)
        asyncio.run(asyncio.wait_for(main(), 30))


class DrainTest(unittest.TestCase):
    def test_draining_event_and_refusal(self):
        # resumeTtlMs 2 s: how long the client goes on trying to reconnect after the drain's close.
        server = Server("--drain-grace-ms", "1500", "--resume-ttl-ms", "2000")
        try:
            with CodeGymClient.connect(server.url, codec="json") as client:
                session = client.reset(BRACKETS, {"task": "crossed"})["session"]
                closes, disconnects = [], []
                client.on("close", lambda code, reason: closes.append(code))
                client.on("disconnect", lambda code, reason: disconnects.append(code))
                server.signal()
                deadline = time.monotonic() + 5
                while not client.events and time.monotonic() < deadline:
                    time.sleep(0.01)
                self.assertEqual(client.events[0]["event"], "draining")
                self.assertEqual(client.events[0]["data"]["deadlineMs"], 1500)
                with self.assertRaises(DrainingError):
                    client.reset(BRACKETS)
                with self.assertRaises(DrainingError):
                    client.fork(session)
                # Within the grace period the session still plays and can be snapshotted.
                self.assertEqual(client.step(session, {"name": "GetLength"})["observation"], 4)
                self.assertEqual(client.snapshot(session).step, 1)
                server.process.wait(10)
                # 1001 is not final: the client tries to reconnect (as the TypeScript client does)
                # until the announced resumeTtlMs has passed, then closes with the drop's code.
                deadline = time.monotonic() + 30
                while not closes and time.monotonic() < deadline:
                    time.sleep(0.01)
                self.assertEqual(disconnects, [1001])
                self.assertFalse(client.is_open)
                self.assertEqual(closes, [1001])
                with self.assertRaises(ConnectionClosedError):
                    client.observe(session)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
