"""A server with two worker processes on one port (``--workers 2``): the client repeats its resume
token in the upgrade request (the codegym-resume header), so every reconnect reaches the worker
that holds its sessions."""
from __future__ import annotations

import asyncio
import unittest

from support import Server

from codegym_client import AsyncCodeGymClient

SUBARRAY = "codegym/max-subarray-v1"
DROPS = 4


class WorkersResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--workers", "2", "--sandbox-workers", "1")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_every_reconnect_reaches_the_sessions(self):
        async def main():
            client = await AsyncCodeGymClient.connect(self.server.url)
            reconnects = []
            client.on("reconnect", reconnects.append)
            session = (await client.reset(SUBARRAY, {"seed": 3}))["session"]
            # Reconnects routed by turn instead of by token would miss the worker about every other time.
            for drop in range(1, DROPS + 1):
                client._drop()
                result = await client.step(session, {"name": "GetLength"})
                self.assertEqual(result["info"]["step"], drop)
            self.assertEqual(len(reconnects), DROPS)
            self.assertTrue(all(len(resumed) == 1 for resumed in reconnects), reconnects)
            await client.close()
        asyncio.run(asyncio.wait_for(main(), 60))


if __name__ == "__main__":
    unittest.main()
