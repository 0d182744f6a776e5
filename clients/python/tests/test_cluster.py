"""The cluster client: the hash ring (the same placement as the TypeScript client's), server lists,
and three codegym-serve processes with one killed (SIGKILL) and one drained (SIGTERM) mid-run while
episodes go on: every episode ends with the observations, rewards and step counts of a run of the
same actions on a healthy server."""
from __future__ import annotations

import asyncio
import signal
import unittest
import unittest.mock

from support import Server, shared_server

from codegym_client import CodeGymClient
from codegym_client.aio import AsyncCodeGymClient
from codegym_client.errors import error_from_wire
from codegym_client.cluster import (AsyncCodeGymCluster, CodeGymCluster, DnsServers, HashRing,
                                    NoServerAvailableError, ServerListError, SessionClosedError, resolve_servers,
                                    ring_hash)

SUBARRAY = "codegym/max-subarray-v1"
# Servers a session moves between must share the snapshot key: each would otherwise sign with its own
# random key and refuse the others' snapshots.
SHARED_SNAPSHOT_KEY = ("--snapshot-key", "cluster-tests-shared-snapshot-key-0123456789")
QUICK = {"probe_initial_delay_s": 0.05, "probe_max_delay_s": 0.2, "max_probes": 4, "drain_settle_s": 0.5}


def scripted_action(index: int, n: int) -> dict:
    """The scripted actions of test/clients/ts/cluster-harness.ts: valid, rolled back, unknown, Observe."""
    k = n + index * 3
    kind = k % 6
    if kind == 0:
        return {"name": "GetLength"}
    if kind == 1:
        return {"name": "GetElement", "parameters": {"index": (k * 7) % 12 - 1}}
    if kind == 2:
        return {"name": "ExtendOrRestart", "parameters": {"previous_sum": k % 13 - 6, "element": k % 7 - 3}}
    if kind == 3:
        return {"name": "UpdateBest", "parameters": {"best": k % 11, "candidate": k % 17 - 8}}
    if kind == 4:
        return {"name": "Observe"}
    return {"name": "Teleport", "parameters": {}} if k % 2 == 0 else {"name": "GetElement", "parameters": {"index": "x"}}


def episode_options(index: int) -> dict:
    return {"task": "mixed-small"} if index % 3 == 0 else {"seed": 7000 + index, "difficulty": "easy" if index % 2 == 0 else "medium"}


class HashRingTests(unittest.TestCase):
    def test_same_hash_and_owners_as_the_typescript_ring(self):
        # Values printed by clients/ts/hash-ring.ts for the same keys and nodes.
        self.assertEqual(ring_hash("key-1"), 565144459)
        self.assertEqual(ring_hash("prompt-7"), 266264736)
        ring = HashRing(["ws://a:1/", "ws://b:1/", "ws://c:1/"])
        self.assertEqual([ring.lookup(f"k{i}") for i in range(8)],
                         ["ws://b:1/", "ws://a:1/", "ws://c:1/", "ws://c:1/", "ws://b:1/", "ws://c:1/", "ws://c:1/", "ws://b:1/"])

    def test_removing_a_node_moves_only_its_keys(self):
        nodes = [f"ws://10.0.0.{i}:8765/" for i in range(1, 5)]
        ring = HashRing(nodes)
        keys = [f"key-{i}" for i in range(2000)]
        before = {key: ring.lookup(key) for key in keys}
        skipped = {key: ring.lookup(key, lambda node: node != nodes[1]) for key in keys}
        ring.remove(nodes[1])
        after = {key: ring.lookup(key) for key in keys}
        self.assertEqual([key for key in keys if before[key] != nodes[1] and after[key] != before[key]], [])
        self.assertEqual(after, skipped)
        self.assertNotIn(nodes[1], after.values())
        self.assertIsNone(ring.lookup("x", lambda node: False))


class ServerListTests(unittest.TestCase):
    def test_urls_and_dns(self):
        async def main():
            self.assertEqual(await resolve_servers(["ws://127.0.0.1:1", "ws://127.0.0.1:1/"]), ["ws://127.0.0.1:1/"])
            with self.assertRaises(ServerListError):
                await resolve_servers([])
            with self.assertRaises(ServerListError):
                await resolve_servers(["http://127.0.0.1:1"])

            async def resolver(name):
                self.assertEqual(name, "codegym.default.svc")
                return ["10.1.0.5", "fd00::7", "10.1.0.5"]
            self.assertEqual(await resolve_servers(DnsServers("codegym.default.svc", 8765), resolver),
                             ["ws://10.1.0.5:8765/", "ws://[fd00::7]:8765/"])
            local = await resolve_servers(DnsServers("localhost", 8765))
            self.assertTrue(local and all(url.startswith(("ws://127.", "ws://[::1]")) for url in local), local)
        asyncio.run(main())

    def test_bad_options_and_unreachable_servers(self):
        with self.assertRaises(ValueError):
            AsyncCodeGymCluster(["ws://127.0.0.1:1"], snapshot_every_steps=-1)
        with self.assertRaises(ValueError):
            AsyncCodeGymCluster(["ws://127.0.0.1:1"], placement="random")
        with self.assertRaises(TypeError):
            AsyncCodeGymCluster(["ws://127.0.0.1:1"], snapshot_every=1)
        with self.assertRaises(NoServerAvailableError) as caught:
            CodeGymCluster.connect(["ws://127.0.0.1:1"], client_options={"reconnect": False}, **QUICK)
        self.assertIn("ws://127.0.0.1:1/", caught.exception.causes)


class RediscoveryTests(unittest.TestCase):
    """A DNS name whose addresses change: the cluster follows it on its own, with no refresh() call."""

    def test_new_addresses_join_and_gone_ones_leave(self):
        async def main():
            first = Server("--workers", "1", "--host", "127.0.0.1")
            port = int(first.url.rsplit(":", 1)[1].strip("/"))
            second = Server("--workers", "1", "--host", "127.0.0.2", "--port", str(port))
            addresses = ["127.0.0.1"]
            resolutions = []

            async def resolver(name):
                resolutions.append(name)
                return list(addresses)

            async def until(what, condition):
                deadline = asyncio.get_running_loop().time() + 20
                while not condition():
                    self.assertLess(asyncio.get_running_loop().time(), deadline, what)
                    await asyncio.sleep(0.01)
            try:
                cluster = await AsyncCodeGymCluster.connect(DnsServers("codegym.test.svc", port), resolver=resolver,
                                                            refresh_interval_s=0.05, **QUICK)
                async with cluster:
                    def in_rotation():
                        return [entry["url"] for entry in cluster.servers() if entry["state"] == "up" and entry["listed"]]
                    first_url, second_url = f"ws://127.0.0.1:{port}/", f"ws://127.0.0.2:{port}/"
                    session = await cluster.reset(SUBARRAY, {"seed": 1})
                    self.assertEqual(session.server, first_url)
                    addresses[:] = ["127.0.0.1", "127.0.0.2"]
                    await until("the new address joins rotation", lambda: second_url in in_rotation())
                    addresses[:] = ["127.0.0.2"]
                    await until("the old address leaves rotation", lambda: first_url not in in_rotation())
                    self.assertEqual((await cluster.reset(SUBARRAY, {"seed": 2})).server, second_url)
                    self.assertEqual((await session.step({"name": "GetLength"}))["info"]["step"], 1,
                                     "a live session on the unlisted server goes on there until it drains")
                    # No server in rotation (nothing listens at the listed address): a reset waits for one.
                    addresses[:] = ["127.0.0.3"]
                    await until("no server is in rotation", lambda: not in_rotation())
                    before = len(resolutions)
                    waiting = asyncio.ensure_future(cluster.reset(SUBARRAY, {"seed": 3}))
                    await until("the waiting reset resolves the name again", lambda: len(resolutions) > before)
                    addresses[:] = ["127.0.0.2"]
                    self.assertEqual((await waiting).server, second_url)
            finally:
                first.stop()
                second.stop()
        asyncio.run(asyncio.wait_for(main(), 60))


    def test_a_server_that_never_answers_does_not_hold_up_resolving_again(self):
        async def main():
            first = Server("--workers", "1", "--host", "127.0.0.1")
            port = int(first.url.rsplit(":", 1)[1].strip("/"))
            second = Server("--workers", "1", "--host", "127.0.0.2", "--port", str(port))
            # Accepts TCP connections and never answers the WebSocket upgrade.
            accepted = []

            async def silent_handler(reader, writer):
                accepted.append(writer)
            silent = await asyncio.start_server(silent_handler, "127.0.0.3", port)
            addresses = ["127.0.0.1"]
            resolved_at = []
            loop = asyncio.get_running_loop()

            async def resolver(name):
                resolved_at.append(loop.time())
                return list(addresses)

            async def until(what, condition):
                deadline = loop.time() + 20
                while not condition():
                    self.assertLess(loop.time(), deadline, what)
                    await asyncio.sleep(0.01)
            try:
                # The upgrade's own timeout is far longer than this test waits: only the name's next
                # resolution brings the second server in.
                cluster = await AsyncCodeGymCluster.connect(DnsServers("codegym.test.svc", port), resolver=resolver,
                                                            refresh_interval_s=0.02, min_refresh_gap_s=0.05,
                                                            client_options={"open_timeout": 600}, **QUICK)
                async with cluster:
                    def state(url):
                        return next((entry["state"] for entry in cluster.servers() if entry["url"] == url), None)
                    silent_url, second_url = f"ws://127.0.0.3:{port}/", f"ws://127.0.0.2:{port}/"
                    addresses[:] = ["127.0.0.1", "127.0.0.3"]
                    await until("the silent server is being connected", lambda: state(silent_url) == "connecting" and accepted)
                    before = len(resolved_at)
                    await until("the name is resolved again meanwhile", lambda: len(resolved_at) >= before + 3)
                    addresses[:] = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
                    await until("the new address joins rotation", lambda: state(second_url) == "up")
                    self.assertEqual(state(silent_url), "connecting", "while the silent server is still being connected")
                    addresses[:] = ["127.0.0.2"]
                    await until("the silent server is dropped once unlisted", lambda: state(silent_url) == "removed")
                    self.assertEqual((await cluster.reset(SUBARRAY, {"seed": 6})).server, second_url)
                    gaps = [later - earlier for earlier, later in zip(resolved_at[1:], resolved_at[2:])]
                    self.assertGreaterEqual(min(gaps), 0.05 - 0.002,
                                            "resolutions the client makes on its own are min_refresh_gap_s apart")
            finally:
                for writer in accepted:
                    writer.close()
                silent.close()
                first.stop()
                second.stop()
        asyncio.run(asyncio.wait_for(main(), 60))

class MultiNodeTests(unittest.TestCase):
    """Three servers; one SIGKILL and one SIGTERM while six episodes step in turn."""

    episodes = 6
    steps = 12

    @classmethod
    def setUpClass(cls):
        cls.servers = [Server("--workers", "1", *SHARED_SNAPSHOT_KEY) for _ in range(3)]

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            server.stop()

    def reference(self):
        """The same actions on a healthy server, without faults."""
        played = []
        with CodeGymClient.connect(shared_server().url) as client:
            for index in range(self.episodes):
                reset = client.reset(SUBARRAY, episode_options(index))
                results = [client.step(reset["session"], scripted_action(index, n)) for n in range(self.steps)]
                client.close_session(reset["session"])
                played.append((reset["observation"], results))
        return played

    def test_every_episode_survives_a_kill_and_a_drain(self):
        reference = self.reference()
        events = []
        with CodeGymCluster.connect([server.url for server in self.servers], snapshot_every_steps=2,
                                    client_options={"reconnect": False}, **QUICK) as cluster:
            cluster.on("server-out", lambda event: events.append(("out", event["reason"], event["url"])))
            cluster.on("migrated", lambda event: events.append(("moved", event["from"], event["replayed"])))
            sessions = [cluster.reset(SUBARRAY, episode_options(index)) for index in range(self.episodes)]
            self.assertEqual(sorted(entry["sessions"] for entry in cluster.servers()), [2, 2, 2])
            by_url = {server.url.rstrip("/") + "/": server for server in self.servers}
            killed = drained = None
            results = [[] for _ in sessions]
            for n in range(self.steps):
                if n == 3:
                    killed = by_url[sessions[0].server]
                    killed.signal(signal.SIGKILL)
                if n == 7:
                    drained = by_url[next(s.server for s in sessions if by_url[s.server] is not killed)]
                    drained.signal(signal.SIGTERM)
                for index, session in enumerate(sessions):
                    results[index].append(session.step(scripted_action(index, n)))
            played = [(session.reset_result["observation"], results[index]) for index, session in enumerate(sessions)]
            self.assertEqual(played, reference)
            self.assertTrue(all(len(episode) == self.steps for episode in results))
            outs = {(reason, url) for kind, reason, url in (event for event in events if event[0] == "out")}
            killed_url = killed.url.rstrip("/") + "/"
            drained_url = drained.url.rstrip("/") + "/"
            self.assertIn(("lost", killed_url), outs)
            self.assertIn(("draining", drained_url), outs)
            moved_from = {event[1] for event in events if event[0] == "moved"}
            self.assertEqual(moved_from, {killed_url, drained_url})
            self.assertTrue(any(event[2] > 0 for event in events if event[0] == "moved"), "a move replayed acknowledged actions")
            self.assertEqual(killed.process.wait(10), -signal.SIGKILL)
            self.assertEqual(drained.process.wait(20), 0)
            for session in sessions:
                session.close()
            with self.assertRaises(SessionClosedError):
                sessions[0].step({"name": "GetLength"})

    def test_snapshots_off_replays_from_the_reset(self):
        """Snapshots off: a killed server's session is rebuilt elsewhere by replaying it from its reset; a
        draining server's session moves on a snapshot taken there during the drain."""
        async def main():
            servers = [Server("--workers", "1", "--drain-grace-ms", "30000", *SHARED_SNAPSHOT_KEY) for _ in range(3)]
            try:
                cluster = await AsyncCodeGymCluster.connect([server.url for server in servers], snapshot_every_steps=0,
                                                            client_options={"reconnect": False}, **QUICK)
                moves = []
                cluster.on("migrated", moves.append)
                async with cluster:
                    sessions = [await cluster.reset(SUBARRAY, episode_options(index)) for index in range(3)]
                    self.assertEqual(len({session.server for session in sessions}), 3)
                    reference = []
                    with CodeGymClient.connect(shared_server().url) as client:
                        for index in range(3):
                            reset = client.reset(SUBARRAY, episode_options(index))
                            reference.append([client.step(reset["session"], scripted_action(index, n)) for n in range(6)])
                            client.close_session(reset["session"])
                    results = [[await session.step(scripted_action(index, n)) for n in range(2)] for index, session in enumerate(sessions)]
                    by_url = {server.url.rstrip("/") + "/": server for server in servers}
                    killed, drained = by_url[sessions[0].server], by_url[sessions[1].server]
                    killed.signal(signal.SIGKILL)
                    killed.process.wait(10)
                    drained.signal(signal.SIGTERM)
                    for n in range(2, 6):
                        for index, session in enumerate(sessions):
                            results[index].append(await session.step(scripted_action(index, n)))
                    self.assertEqual(results, reference)
                    bases = {move["from"]: (move["base"], move["replayed"]) for move in moves}
                    self.assertEqual(bases.get(killed.url.rstrip("/") + "/"), ("reset", 2), moves)
                    self.assertEqual(bases.get(drained.url.rstrip("/") + "/"), ("drain-snapshot", 0), moves)
                    # The 30 s grace ends as soon as the drained server holds no session.
                    self.assertEqual(await asyncio.get_running_loop().run_in_executor(None, drained.process.wait, 20), 0)
            finally:
                for server in servers:
                    server.stop()
        asyncio.run(asyncio.wait_for(main(), 90))


    def test_snapshots_refused_elsewhere_are_replaced_by_a_replay_from_the_reset(self):
        """Servers that sign snapshots with a key of their own refuse each other's (invalid_snapshot): every
        move, off a killed server and off a draining one, falls back to the reset and a replay. The refusal
        is made in the client's restore here; the servers are real."""
        def refuse(client, snapshot, *, timeout=None):
            future = asyncio.get_running_loop().create_future()
            future.set_exception(error_from_wire({"code": "invalid_snapshot", "message": "the snapshot was not made by this server"}, op="restore"))
            return future

        async def main():
            servers = [Server("--workers", "1", "--drain-grace-ms", "30000") for _ in range(3)]
            try:
                cluster = await AsyncCodeGymCluster.connect([server.url for server in servers], snapshot_every_steps=2,
                                                            client_options={"reconnect": False}, **QUICK)
                moves = []
                cluster.on("migrated", moves.append)
                async with cluster:
                    sessions = [await cluster.reset(SUBARRAY, episode_options(index)) for index in range(3)]
                    reference = []
                    with CodeGymClient.connect(shared_server().url) as client:
                        for index in range(3):
                            reset = client.reset(SUBARRAY, episode_options(index))
                            reference.append([client.step(reset["session"], scripted_action(index, n)) for n in range(7)])
                            client.close_session(reset["session"])
                    results = [[await session.step(scripted_action(index, n)) for n in range(3)] for index, session in enumerate(sessions)]
                    by_url = {server.url.rstrip("/") + "/": server for server in servers}
                    killed, drained = by_url[sessions[0].server], by_url[sessions[1].server]
                    with unittest.mock.patch.object(AsyncCodeGymClient, "restore", refuse):
                        killed.signal(signal.SIGKILL)
                        killed.process.wait(10)
                        drained.signal(signal.SIGTERM)
                        for n in range(3, 7):
                            for index, session in enumerate(sessions):
                                results[index].append(await session.step(scripted_action(index, n)))
                    self.assertEqual(results, reference)
                    self.assertEqual({move["from"] for move in moves}, {killed.url.rstrip("/") + "/", drained.url.rstrip("/") + "/"}, moves)
                    self.assertTrue(all(move["base"] == "reset" and move["replayed"] == move["step"] for move in moves), moves)
            finally:
                for server in servers:
                    server.stop()
        asyncio.run(asyncio.wait_for(main(), 90))


if __name__ == "__main__":
    unittest.main()
