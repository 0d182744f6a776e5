"""The cluster client: sessions spread over many codegym-serve processes, each reached through a
small pool of ``AsyncCodeGymClient`` connections, that survive a server draining or dying.

A DNS source is resolved again on its own (every ``refresh_interval_s``, and at once when a server
leaves rotation or none is in it): addresses that join the name join rotation, addresses that leave
it take no new sessions. A server that sends the ``draining`` event, whose connections give up, or
that refuses a new session while draining is taken out of rotation and probed again later (a bounded
number of times, with a doubling delay). Each session keeps its latest snapshot (returned with every
``snapshot_every_steps``-th step's result; 1 by default, 0 = off) and every action acknowledged since
its reset. When its server goes, the session is rebuilt on another server from the best base that
restores there: a snapshot taken on the draining server during its drain, the latest kept snapshot,
or the reset itself (a server refuses snapshots signed by another with ``invalid_snapshot``); the
acknowledged actions after the base are replayed and each result compared with the acknowledged one
(``ReplayMismatchError`` when they differ), and the unanswered action is sent there once. The
placement and the hash ring are the same as the TypeScript client's.

``AsyncCodeGymCluster`` is the asyncio API; ``CodeGymCluster`` runs it on a background event loop
for blocking code. See clients/python/README.md, "Cluster client".
"""
from __future__ import annotations

import asyncio
import bisect
import hashlib
import ipaddress
import itertools
import logging
import socket
import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union
from urllib.parse import urlsplit

from . import codec as codecs
from .aio import AsyncCodeGymClient, ReconnectPolicy, Snapshot
from .client import _LoopThread
from .errors import CodeGymClientError, CodeGymError, ConnectionClosedError, RequestTimeoutError

log = logging.getLogger("codegym_client.cluster")

__all__ = [
    "AsyncCodeGymCluster", "AsyncClusterSession", "CodeGymCluster", "ClusterSession", "HashRing", "DnsServers",
    "NoServerAvailableError", "EpisodeLostError", "ReplayMismatchError", "SessionClosedError", "ServerListError",
    "DEFAULT_CLUSTER_OPTIONS", "resolve_servers",
]

#: Every default of the cluster client, with its unit in its name.
DEFAULT_CLUSTER_OPTIONS: Mapping[str, Any] = {
    "placement": "least-loaded",
    "virtual_nodes_per_server": 128,
    "connections_per_server": 2,
    "snapshot_every_steps": 1,
    # Kubernetes updates a headless Service's addresses within seconds of a pod's change; 0: only on events.
    "refresh_interval_s": 5.0,
    # Least time between the starts of two resolutions the client makes on its own (periodic, on a server
    # leaving rotation, while a reset waits for one): they never run back to back and flood the resolver.
    "min_refresh_gap_s": 0.1,
    # How long a reset or a move waits for a server to come into rotation before NoServerAvailableError.
    "no_server_wait_s": 30.0,
    # Sessions moving at once: a draining server with thousands of sessions is emptied this many at a time.
    "max_concurrent_moves": 256,
    "probe_initial_delay_s": 0.5,
    "probe_max_delay_s": 10.0,
    "max_probes": 20,
    "drain_settle_s": 2.0,
    # A connection that drops tries to resume this many times before its server counts as lost.
    "reconnect": ReconnectPolicy(attempts=3, initial_delay=0.1, max_delay=1.0),
}
#: Moves one operation may cause before it fails: each server going away during it costs one.
MAX_MOVES_PER_OPERATION = 8
#: How often an operation waiting for a server in rotation looks again when nothing wakes it.
_ROTATION_RECHECK_S = 0.2


# ------------------------------------------------------------------------------------------ errors

class ServerListError(CodeGymClientError, ValueError):
    """A server source names no server, or names one badly."""


class NoServerAvailableError(CodeGymClientError):
    """No server is in rotation. ``causes``: why each server is out, by URL."""

    def __init__(self, message: str, causes: Optional[Mapping[str, str]] = None):
        super().__init__(message)
        self.causes = dict(causes or {})


class EpisodeLostError(CodeGymClientError):
    """The episode cannot continue: its server went away and nothing is kept to rebuild it (snapshots
    are off), or rebuilding it failed for good. ``step``: the last acknowledged step count."""

    def __init__(self, message: str, *, server: str, step: int):
        super().__init__(message)
        self.server = server
        self.step = step


class ReplayMismatchError(EpisodeLostError):
    """Replaying acknowledged actions elsewhere gave a different result from the acknowledged one
    (the servers run different env code, or an env is not deterministic)."""

    def __init__(self, *, server: str, step: int, at_step: int, expected: Any, actual: Any):
        super().__init__(f"replaying step {at_step} on {server} gave a different result from the one acknowledged: "
                         f"expected {expected!r}, got {actual!r}", server=server, step=step)
        self.at_step = at_step
        self.expected = expected
        self.actual = actual


class SessionClosedError(CodeGymClientError):
    """The session was closed by its owner."""


# --------------------------------------------------------------------------------------- discovery

class DnsServers:
    """A DNS name whose addresses are the servers (a headless Service lists every ready pod)."""

    def __init__(self, dns: str, port: int, *, scheme: str = "ws", path: str = "/"):
        if scheme not in ("ws", "wss"):
            raise ServerListError(f"scheme must be ws or wss, not {scheme!r}")
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise ServerListError(f"port must be 1…65535, not {port!r}")
        self.dns, self.port, self.scheme = dns, port, scheme
        self.path = path if path.startswith("/") else "/" + path


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ServerListError(f"not a ws:// or wss:// URL: {url!r}")
    path = parts.path or "/"
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{parts.query}" if parts.query else "")


async def _system_resolver(hostname: str) -> List[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(hostname, None, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


async def resolve_servers(source: Union[Sequence[str], DnsServers],
                          resolver: Callable[[str], Any] = _system_resolver) -> List[str]:
    """The distinct server URLs a source names now (a DNS source is resolved again on every call)."""
    if isinstance(source, DnsServers):
        addresses = await resolver(source.dns)
        if not addresses:
            raise ServerListError(f"{source.dns} resolves to no address")
        urls = []
        for address in addresses:
            host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
            urls.append(_check_url(f"{source.scheme}://{host}:{source.port}{source.path}"))
    elif isinstance(source, str):
        raise ServerListError("give a list of URLs (or DnsServers), not one string")
    else:
        urls = [_check_url(url) for url in source]
    unique = list(dict.fromkeys(urls))
    if not unique:
        raise ServerListError("the server list is empty")
    return unique


# ---------------------------------------------------------------------------------------- hash ring

def ring_hash(key: str) -> int:
    """The first 32 bits of the key's MD5 (as the TypeScript client computes them)."""
    return int.from_bytes(hashlib.md5(key.encode("utf-8")).digest()[:4], "big")


class HashRing:
    """A consistent-hash ring with virtual nodes: removing a node moves only the keys it owned."""

    def __init__(self, nodes: Sequence[str] = (), virtual_nodes_per_node: int = 128):
        if not isinstance(virtual_nodes_per_node, int) or virtual_nodes_per_node < 1:
            raise ValueError(f"virtual_nodes_per_node must be a positive integer, not {virtual_nodes_per_node!r}")
        self._virtual = virtual_nodes_per_node
        self._points: List[tuple] = []
        self.nodes: List[str] = []
        for node in nodes:
            self.add(node)

    def add(self, node: str) -> None:
        if node in self.nodes:
            return
        self.nodes.append(node)
        self._points.extend((ring_hash(f"{node}#{replica}"), node) for replica in range(self._virtual))
        self._points.sort()

    def remove(self, node: str) -> None:
        if node in self.nodes:
            self.nodes.remove(node)
            self._points = [point for point in self._points if point[1] != node]

    def lookup(self, key: str, accept: Callable[[str], bool] = lambda node: True) -> Optional[str]:
        """The key's owner, or the next accepted node clockwise; None when no node is accepted."""
        if not self._points:
            return None
        start = bisect.bisect_left(self._points, (ring_hash(key), ""))
        seen = set()
        for offset in range(len(self._points)):
            node = self._points[(start + offset) % len(self._points)][1]
            if node in seen:
                continue
            seen.add(node)
            if accept(node):
                return node
            if len(seen) == len(self.nodes):
                break
        return None


# ------------------------------------------------------------------------------------------ servers

def _is_server_loss(error: BaseException) -> bool:
    return isinstance(error, ConnectionClosedError) or (isinstance(error, CodeGymError) and error.code == "unknown_session")


def _is_answer_lost(error: BaseException) -> bool:
    """No answer will come for an action or observe on this server (it is gone, or the request timed
    out): the session is rebuilt elsewhere and the request sent there once; the old copy is closed."""
    return _is_server_loss(error) or isinstance(error, RequestTimeoutError)


def _is_draining(error: BaseException) -> bool:
    return isinstance(error, CodeGymError) and error.code == "draining"


def _is_invalid_snapshot(error: BaseException) -> bool:
    """A server refused a snapshot it did not make (snapshots are signed with a key of that server)."""
    return isinstance(error, CodeGymError) and error.code == "invalid_snapshot"


def _in_rotation(node: "_ServerNode") -> bool:
    return node.state == "up" and node.listed


class _ServerNode:
    def __init__(self, url: str):
        self.url = url
        self.state = "connecting"  # connecting | up | draining | down | removed
        self.clients: List[AsyncCodeGymClient] = []
        self.sessions: "set[AsyncClusterSession]" = set()
        #: The server source names it now (an unlisted server takes no new sessions).
        self.listed = True
        #: Resets sent and not answered yet: placed sessions that least-loaded counts too.
        self.placing = 0
        #: The server takes step's ``snapshot`` option; False once it refused it.
        self.step_snapshots = True
        self.last_out_reason: Optional[str] = None
        self.probes = 0
        #: Connection attempts started; only the latest one's outcome counts.
        self.open_attempts = 0
        self.probe_handle: Optional[asyncio.TimerHandle] = None
        self.drain_handle: Optional[asyncio.TimerHandle] = None
        self._next = itertools.count()

    def connection(self) -> AsyncCodeGymClient:
        for _ in range(len(self.clients)):
            client = self.clients[next(self._next) % len(self.clients)]
            if client.is_open:
                return client
        if not self.clients:
            raise ConnectionClosedError(f"no connection to {self.url}", applied=False)
        return self.clients[next(self._next) % len(self.clients)]


class AsyncClusterSession:
    """One episode of the cluster, used like a session of the single-server client. Operations on one
    session run one after another in call order."""

    def __init__(self, cluster: "AsyncCodeGymCluster", node: _ServerNode, client: AsyncCodeGymClient, env: str,
                 options: Mapping[str, Any], key: str, reset: Mapping[str, Any]):
        self._cluster = cluster
        self._node = node
        self._client = client
        self._id: str = reset["session"]
        self.env = env
        #: The placement key (consistent hashing places by it).
        self.key = key
        #: What the reset returned: ``{"observation", "info"}`` (the task, the tools).
        self.reset_result = {"observation": reset["observation"], "info": reset["info"]}
        seed = (reset.get("info") or {}).get("seed")
        self._reset_options = dict(options) if seed is None else {**options, "seed": seed}
        self._step = 0
        self._base: Optional[Any] = None  # None: rebuilt by the reset; else the latest Snapshot
        #: Every action acknowledged since the reset, as (op, payload, acknowledged result): a move replays
        #: those after its base, and all of them after a new reset when no snapshot restores there.
        self._log: List[tuple] = []
        self._migrations = 0
        self._closed = False
        self._lost: Optional[EpisodeLostError] = None
        self._lock = asyncio.Lock()
        node.sessions.add(self)

    @property
    def id(self) -> str:
        """The session's id on its current server (it changes when the session moves)."""
        return self._id

    @property
    def server(self) -> str:
        return self._node.url

    @property
    def step_count(self) -> int:
        return self._step

    @property
    def migrations(self) -> int:
        return self._migrations

    @property
    def is_lost(self) -> bool:
        return self._lost is not None

    @property
    def unsnapshotted_steps(self) -> int:
        """Acknowledged actions since the latest snapshot: what a move from that snapshot would replay."""
        return len(self._log) - self._base_index(self._base)

    async def step(self, action: Any) -> Dict[str, Any]:
        async with self._lock:
            self._check_usable()
            return await self._act("step", action)

    async def done(self, answer: Any) -> Dict[str, Any]:
        async with self._lock:
            self._check_usable()
            return await self._act("done", answer)

    async def observe(self) -> Any:
        async with self._lock:
            self._check_usable()
            for attempt in itertools.count():
                await self._ensure_placed()
                try:
                    return await self._client.observe(self._id)
                except CodeGymClientError as error:
                    if not _is_answer_lost(error) or attempt >= MAX_MOVES_PER_OPERATION:
                        raise
                    self._note_timeout(error, self._node)
                    await self._migrate(error)

    async def close(self) -> None:
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            self._node.sessions.discard(self)
            self._log = []
            # A draining server still answers: freeing the session there lets its drain end early.
            if self._lost is not None or self._node.state not in ("up", "draining"):
                return
            try:
                await self._client.close_session(self._id)
            except CodeGymClientError as error:
                if not _is_answer_lost(error):
                    raise

    async def _evacuate(self) -> None:
        async with self._lock:
            if self._closed or self._lost is not None or self._node.state == "up":
                return
            try:
                await self._migrate(None)
            except CodeGymClientError:
                pass  # the next operation moves it again, or reports why it cannot

    def _note_timeout(self, error: BaseException, node: _ServerNode) -> None:
        """A server that left a request unanswered past its timeout counts as lost."""
        if isinstance(error, RequestTimeoutError):
            self._cluster._take_out(node, "lost", str(error))

    def _check_usable(self) -> None:
        if self._lost is not None:
            raise self._lost
        if self._closed:
            raise SessionClosedError("the session is closed")

    async def _ensure_placed(self) -> None:
        if self._node.state != "up":
            await self._migrate(None)

    async def _act(self, op: str, payload: Any) -> Dict[str, Any]:
        for attempt in itertools.count():
            await self._ensure_placed()
            try:
                result, snapshot = await self._send(op, payload)
            except CodeGymClientError as error:
                if not _is_answer_lost(error) or attempt >= MAX_MOVES_PER_OPERATION:
                    raise
                # Unanswered: the action goes to the session's new server, once, after the replay.
                self._note_timeout(error, self._node)
                await self._migrate(error)
                continue
            self._step = result["info"]["step"]
            self._log.append((op, payload, result))
            if snapshot is not None and snapshot.step == self._step:
                self._base = snapshot
            return result
        raise AssertionError("unreachable")

    async def _send(self, op: str, payload: Any) -> tuple:
        every = self._cluster.snapshot_every_steps
        client, session = self._client, self._id
        if every == 0 or (self._step + 1) % every != 0:
            future = client.step(session, payload) if op == "step" else client.done(session, payload)
            return await future, None
        params = {"session": session, "action": payload} if op == "step" else {"session": session, "answer": payload}
        node = self._node
        if node.step_snapshots:
            try:
                result = await client.request(op, {**params, "snapshot": True})
            except CodeGymError as error:
                # A server from before the step's snapshot option refuses it (nothing ran): use a batch there.
                if error.code != "invalid_params":
                    raise
                node.step_snapshots = False
            else:
                snapshot = result.pop("snapshot", None)
                return result, None if snapshot is None else Snapshot(codecs.snapshot_bytes(snapshot), result["info"]["step"])
        acted, snapshotted = await client.batch([(op, params), ("snapshot", {"session": session})])
        if isinstance(acted, BaseException):
            raise acted
        return acted, None if isinstance(snapshotted, BaseException) else snapshotted

    async def _migrate(self, cause: Optional[BaseException]) -> None:
        async with self._cluster._moving():
            await self._move(cause)

    async def _move(self, cause: Optional[BaseException]) -> None:
        """Rebuilds the session on a server in rotation from the first base that restores there, replays
        the acknowledged actions after it, and frees the old copy once the new one stands."""
        origin, old_client, old_id = self._node, self._client, self._id
        bases = await self._bases_for(origin, old_client, old_id)
        last_error = cause
        for _ in range(MAX_MOVES_PER_OPERATION + 1):
            # Waits for a server to come into rotation; NoServerAvailableError leaves the session where it is.
            target = await self._cluster._place_when_in_rotation(self.key)
            client = target.connection()
            target.placing += 1
            try:
                created, replayed, base = await self._rebuild(client, target.url, bases)
            except ReplayMismatchError as error:
                origin.sessions.discard(self)
                self._lost = error
                raise
            except CodeGymClientError as error:
                if _is_draining(error):
                    self._cluster._take_out(target, "draining", "refused a restore: draining")
                elif not _is_answer_lost(error):
                    raise
                self._note_timeout(error, target)
                last_error = error
                continue
            finally:
                target.placing -= 1
            origin.sessions.discard(self)
            self._node, self._client, self._id = target, client, created
            self._migrations += 1
            target.sessions.add(self)
            if origin.state in ("up", "draining"):
                _forget(old_client.close_session(old_id))
            self._cluster._emit("migrated", {"from": origin.url, "to": target.url, "step": self._step,
                                             "replayed": replayed, "base": base})
            return
        raise EpisodeLostError(f"could not move the session off {origin.url}: {last_error}", server=origin.url, step=self._step)

    async def _bases_for(self, origin: _ServerNode, client: AsyncCodeGymClient, session: str) -> List[tuple]:
        """What the session can be rebuilt from, best first, as (kind, snapshot or None). A draining server
        still answers until its deadline: a snapshot taken there now needs no replay, whatever the cadence."""
        bases: List[tuple] = []
        if origin.state == "draining" and client.is_open:
            try:
                fresh = await client.snapshot(session)
            except CodeGymClientError:
                fresh = None  # past its deadline, or gone: the kept base below
            # A step whose answer was lost may have been taken there: that snapshot is not the acknowledged state.
            if fresh is not None and fresh.step == self._step:
                bases.append(("drain-snapshot", fresh))
        if self._base is not None:
            bases.append(("snapshot", self._base))
        bases.append(("reset", None))
        return bases

    def _base_index(self, snapshot: Optional[Snapshot]) -> int:
        """How many logged actions a base already holds."""
        if snapshot is None:
            return 0
        for index, (_, _, result) in enumerate(self._log):
            if result["info"]["step"] > snapshot.step:
                return index
        return len(self._log)

    async def _rebuild(self, client: AsyncCodeGymClient, url: str, bases: List[tuple]) -> tuple:
        """(session, replayed, base kind) on ``client``'s server from the first base it accepts."""
        for kind, snapshot in bases:
            try:
                return await self._rebuild_from(kind, snapshot, client, url)
            except CodeGymError as error:
                if kind == "reset" or not _is_invalid_snapshot(error):
                    raise
        raise AssertionError("unreachable: the reset base is always last")

    async def _rebuild_from(self, kind: str, snapshot: Optional[Snapshot], client: AsyncCodeGymClient, url: str) -> tuple:
        if snapshot is not None:
            session = (await client.restore(snapshot))["session"]
        else:
            again = await client.reset(self.env, self._reset_options)
            session = again["session"]
            actual = {"observation": again["observation"], "info": again["info"]}
            if actual != self.reset_result:
                _forget(client.close_session(session))
                raise ReplayMismatchError(server=url, step=self._step, at_step=0, expected=self.reset_result, actual=actual)
        to_replay = self._log[self._base_index(snapshot):]
        try:
            for op, payload, expected in to_replay:
                replayed = await (client.step(session, payload) if op == "step" else client.done(session, payload))
                if replayed != expected:
                    raise ReplayMismatchError(server=url, step=self._step, at_step=expected["info"]["step"],
                                              expected=expected, actual=replayed)
        except BaseException:
            _forget(client.close_session(session))
            raise
        return session, len(to_replay), kind


def _forget(future: "asyncio.Future[Any]") -> None:
    """Lets a best-effort request run without anyone waiting for it (its failure is expected)."""
    future.add_done_callback(lambda done: done.cancelled() or done.exception())


class AsyncCodeGymCluster:
    """Sessions over many servers. ``await AsyncCodeGymCluster.connect(["ws://a:8765", ...])`` or
    ``connect(DnsServers("codegym.ns.svc", 8765))``; options: see ``DEFAULT_CLUSTER_OPTIONS``, plus
    ``client_options`` for every pooled ``AsyncCodeGymClient`` and ``resolver`` for DNS."""

    def __init__(self, servers: Union[Sequence[str], DnsServers], *, client_options: Optional[Mapping[str, Any]] = None,
                 resolver: Callable[[str], Any] = _system_resolver, **options: Any):
        unknown = set(options) - set(DEFAULT_CLUSTER_OPTIONS)
        if unknown:
            raise TypeError(f"unknown cluster options: {', '.join(sorted(unknown))}")
        merged = {**DEFAULT_CLUSTER_OPTIONS, **options}
        if merged["placement"] not in ("least-loaded", "consistent-hash"):
            raise ValueError(f"placement must be 'least-loaded' or 'consistent-hash', not {merged['placement']!r}")
        for name in ("connections_per_server", "virtual_nodes_per_server", "max_concurrent_moves"):
            if not isinstance(merged[name], int) or merged[name] < 1:
                raise ValueError(f"{name} must be a positive integer, not {merged[name]!r}")
        for name in ("snapshot_every_steps", "max_probes"):
            if not isinstance(merged[name], int) or merged[name] < 0:
                raise ValueError(f"{name} must be an integer ≥ 0, not {merged[name]!r}")
        for name in ("probe_initial_delay_s", "probe_max_delay_s", "drain_settle_s", "refresh_interval_s", "no_server_wait_s", "min_refresh_gap_s"):
            if not isinstance(merged[name], (int, float)) or merged[name] < 0:
                raise ValueError(f"{name} must be a number ≥ 0, not {merged[name]!r}")
        self._servers = servers
        self._options = merged
        self._client_options = {"reconnect": merged["reconnect"], **(client_options or {})}
        self._resolver = resolver
        self._nodes: Dict[str, _ServerNode] = {}
        self._ring = HashRing([], merged["virtual_nodes_per_server"])
        self._listeners: Dict[str, List[Callable[..., Any]]] = {}
        self._closed = False
        self._next_start = itertools.count()
        self._refresh_task: Optional["asyncio.Task[None]"] = None
        self._refreshing: Optional["asyncio.Task[None]"] = None
        self._refresh_again = False
        self._last_refresh_start = float("-inf")
        #: Connection attempts a resolution started and does not wait on (kept so they are not collected).
        self._opening: "set[asyncio.Task[None]]" = set()
        #: One resolution at a time (made on the running loop).
        self._refresh_lock: Optional[asyncio.Lock] = None
        #: Operations waiting for a server to come into rotation.
        self._rotation_changed: Optional[asyncio.Event] = None
        self._moves: Optional[asyncio.Semaphore] = None

    @classmethod
    async def connect(cls, servers: Union[Sequence[str], DnsServers], **options: Any) -> "AsyncCodeGymCluster":
        """Resolves the servers and connects to each; fails only when none can be reached."""
        cluster = cls(servers, **options)
        await cluster.refresh()
        if isinstance(servers, DnsServers) and cluster._options["refresh_interval_s"] > 0:
            cluster._refresh_task = asyncio.ensure_future(cluster._refresh_periodically())
        if not any(node.state == "up" for node in cluster._nodes.values()):
            causes = {node.url: node.last_out_reason or node.state for node in cluster._nodes.values()}
            await cluster.close()
            raise NoServerAvailableError("no server could be reached: " + ", ".join(f"{url} ({why})" for url, why in causes.items()), causes)
        return cluster

    @property
    def snapshot_every_steps(self) -> int:
        return self._options["snapshot_every_steps"]

    @property
    def placement(self) -> str:
        return self._options["placement"]

    def on(self, name: str, callback: Callable[..., Any]) -> None:
        """Calls ``callback(event)`` on ``"server-out"`` ({url, reason, detail}; reason ``draining``, ``lost``,
        ``unreachable`` or ``unlisted``), ``"server-in"`` ({url}), ``"server-removed"`` ({url}), ``"migrated"``
        ({from, to, step, replayed, base}; base ``drain-snapshot``, ``snapshot`` or ``reset``) and
        ``"refresh-error"`` ({error}: resolving the source failed; the known servers stay)."""
        self._listeners.setdefault(name, []).append(callback)

    def _emit(self, name: str, event: Mapping[str, Any]) -> None:
        for callback in list(self._listeners.get(name, ())):
            try:
                callback(dict(event))
            except Exception:  # noqa: BLE001 - a listener's bug must not break the cluster
                log.exception("codegym_client.cluster: %s listener failed", name)

    def servers(self) -> List[Dict[str, Any]]:
        """Every known server: url, state, this client's live sessions on it, whether the source lists it,
        why it last left rotation."""
        return [{"url": node.url, "state": node.state, "sessions": len(node.sessions), "listed": node.listed,
                 "last_out_reason": node.last_out_reason}
                for node in self._nodes.values()]

    async def refresh(self) -> None:
        """Resolves the server source again: servers it names for the first time (or again) are connected
        and join rotation; servers it no longer names take no new sessions (their sessions stay until the
        server drains or is lost) and are dropped once out of rotation. A DNS source is resolved on its own
        every ``refresh_interval_s``, and at once when a server leaves rotation or none is in it."""
        opening = await self._resolve()
        await asyncio.gather(*opening)

    async def _resolve(self) -> "List[asyncio.Task[None]]":
        """Resolves the source, updates which servers are listed (and so in rotation) at once, and starts
        connecting the servers named for the first time or again; returns those connection attempts without
        waiting on them (a server that accepts a connection and never answers would otherwise hold up every
        later resolution)."""
        urls = await resolve_servers(self._servers, self._resolver)
        if self._closed:
            return []
        listed = set(urls)
        for node in list(self._nodes.values()):
            was_listed = node.listed
            node.listed = node.url in listed
            if was_listed and not node.listed:
                self._unlist(node)
            elif not was_listed and node.listed and node.state == "up":
                self._emit("server-in", {"url": node.url})
        opening = []
        for url in urls:
            known = self._nodes.get(url)
            if known is not None and known.state != "removed":
                continue
            node = known or _ServerNode(url)
            self._nodes[url] = node
            node.probes = 0
            node.state = "connecting"
            task = asyncio.ensure_future(self._open_or_mark(node, announce=known is not None))
            self._opening.add(task)
            task.add_done_callback(self._opened)
            opening.append(task)
        self._wake_rotation_waiters()
        return opening

    def _opened(self, task: "asyncio.Task[None]") -> None:
        self._opening.discard(task)
        self._wake_rotation_waiters()

    async def _open_or_mark(self, node: _ServerNode, announce: bool = False) -> None:
        try:
            await self._open(node)
        except Exception as error:  # noqa: BLE001 - any failure to connect
            self._take_out(node, "unreachable", repr(error))
            return
        if announce and node.state == "up":
            self._emit("server-in", {"url": node.url})

    async def _refresh_periodically(self) -> None:
        # Only a DNS name changes: Kubernetes adds and removes a headless Service's addresses as pods come and go.
        while not self._closed:
            await asyncio.sleep(self._options["refresh_interval_s"])
            self._refresh_in_background()

    def _refresh_in_background(self) -> None:
        """Resolves the source again without waiting; one resolution at a time, and one more if asked meanwhile."""
        if self._closed or not isinstance(self._servers, DnsServers):
            return
        if self._refreshing is not None:
            self._refresh_again = True
            return
        self._refreshing = asyncio.ensure_future(self._refresh_once())

    async def _refresh_once(self) -> None:
        try:
            await self._refresh_serialized()
        finally:
            self._refreshing = None
            if self._refresh_again:
                self._refresh_again = False
                self._refresh_in_background()

    async def _refresh_serialized(self) -> None:
        """One resolution, after any running one; a failure is the ``"refresh-error"`` event."""
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            loop = asyncio.get_running_loop()
            wait_s = self._last_refresh_start + self._options["min_refresh_gap_s"] - loop.time()
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            if self._closed:
                return
            self._last_refresh_start = loop.time()
            try:
                # The servers it names are connected in the background: a failure there takes the server out.
                await self._resolve()
            except Exception as error:  # noqa: BLE001 - a failed resolution keeps the known servers
                self._emit("refresh-error", {"error": error})

    def _moving(self) -> asyncio.Semaphore:
        """At most ``max_concurrent_moves`` sessions move at once (made on the running loop)."""
        if self._moves is None:
            self._moves = asyncio.Semaphore(self._options["max_concurrent_moves"])
        return self._moves

    def _wake_rotation_waiters(self) -> None:
        if self._rotation_changed is not None:
            self._rotation_changed.set()
            self._rotation_changed = None

    async def _place_when_in_rotation(self, key: str) -> _ServerNode:
        """``_place``, waiting up to ``no_server_wait_s`` for a server to come into rotation while the source
        is resolved again."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._options["no_server_wait_s"]
        looked_again = False
        while True:
            try:
                return self._place(key)
            except NoServerAvailableError:
                if self._closed:
                    raise
                if loop.time() >= deadline:
                    # A process that stalled past the deadline (a busy machine) looks at the name once more
                    # before it gives up: the answer may have changed while it was not running.
                    if looked_again or not isinstance(self._servers, DnsServers):
                        raise
                    looked_again = True
                    await self._refresh_serialized()
                    continue
            self._refresh_in_background()
            if self._rotation_changed is None:
                self._rotation_changed = asyncio.Event()
            # Probes and resolutions wake the waiters; the timeout bounds the wait when neither comes.
            try:
                await asyncio.wait_for(self._rotation_changed.wait(), max(0.001, min(deadline - loop.time(), _ROTATION_RECHECK_S)))
            except asyncio.TimeoutError:
                pass

    def _unlist(self, node: _ServerNode) -> None:
        """The source no longer names the server: no new sessions there; dropped now if it is out of rotation."""
        if node.state == "up":
            self._emit("server-out", {"url": node.url, "reason": "unlisted", "detail": "the server source no longer names it"})
        elif node.state in ("down", "connecting"):
            self._remove(node)

    def _remove(self, node: _ServerNode) -> None:
        for handle in (node.probe_handle, node.drain_handle):
            if handle is not None:
                handle.cancel()
        node.probe_handle = node.drain_handle = None
        clients, node.clients = node.clients, []
        for client in clients:
            asyncio.ensure_future(client.close())
        node.state = "removed"
        self._ring.remove(node.url)
        self._emit("server-removed", {"url": node.url})

    async def reset(self, env: str, options: Optional[Mapping[str, Any]] = None, *, key: Optional[str] = None) -> AsyncClusterSession:
        """Starts an episode on a server chosen by the placement (``key`` places it under consistent hashing)."""
        key = key if key is not None else f"session-{uuid.uuid4().hex}"
        options = dict(options or {})
        last_error: Optional[BaseException] = None
        for _ in range(MAX_MOVES_PER_OPERATION + 1):
            node = await self._place_when_in_rotation(key)
            client = node.connection()
            node.placing += 1
            try:
                reset = await client.reset(env, options)
            except CodeGymClientError as error:
                if _is_draining(error):
                    self._take_out(node, "draining", "refused a reset: draining")
                elif not _is_server_loss(error):
                    raise
                last_error = error
                continue
            finally:
                node.placing -= 1
            return AsyncClusterSession(self, node, client, env, options, key, reset)
        assert last_error is not None
        raise last_error

    async def close(self) -> None:
        """Closes every connection; sessions stay on their servers until their resume time runs out."""
        if self._closed:
            return
        self._closed = True
        for task in (self._refresh_task, self._refreshing, *self._opening):
            if task is not None:
                task.cancel()
        self._wake_rotation_waiters()
        closing = []
        for node in self._nodes.values():
            for handle in (node.probe_handle, node.drain_handle):
                if handle is not None:
                    handle.cancel()
            closing.extend(client.close() for client in node.clients)
            node.clients = []
        await asyncio.gather(*closing, return_exceptions=True)

    async def __aenter__(self) -> "AsyncCodeGymCluster":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def _place(self, key: str) -> _ServerNode:
        if self._closed:
            raise NoServerAvailableError("the cluster client is closed")
        up = [node for node in self._nodes.values() if _in_rotation(node)]
        if not up:
            causes = {node.url: node.last_out_reason or node.state for node in self._nodes.values()}
            raise NoServerAvailableError("no server is in rotation", causes)
        if self._options["placement"] == "consistent-hash":
            url = self._ring.lookup(key, lambda candidate: _in_rotation(self._nodes[candidate]))
            assert url is not None
            return self._nodes[url]
        start = next(self._next_start) % len(up)
        best = up[start]
        for offset in range(1, len(up)):
            node = up[(start + offset) % len(up)]
            if len(node.sessions) + node.placing < len(best.sessions) + best.placing:
                best = node
        return best

    async def _open(self, node: _ServerNode) -> None:
        node.open_attempts += 1
        attempt = node.open_attempts
        opened = await asyncio.gather(*(AsyncCodeGymClient.connect(node.url, **self._client_options)
                                        for _ in range(self._options["connections_per_server"])), return_exceptions=True)
        clients = [each for each in opened if isinstance(each, AsyncCodeGymClient)]
        failed = next((each for each in opened if isinstance(each, BaseException)), None)
        # Unlisted (dropped) while connecting, or connected again meanwhile: this attempt's outcome no longer counts.
        if node.state == "removed" or attempt != node.open_attempts:
            await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
            return
        if failed is not None or self._closed:
            await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
            if failed is not None:
                raise failed
            return
        node.clients = clients
        for client in clients:
            client.on("event", lambda event, client=client: self._on_event(node, client, event))
            client.on("close", lambda code, reason, client=client: self._on_close(node, client, code, reason))
        node.state = "up"
        node.probes = 0
        node.last_out_reason = None
        self._ring.add(node.url)
        self._wake_rotation_waiters()

    def _on_event(self, node: _ServerNode, client: AsyncCodeGymClient, event: Mapping[str, Any]) -> None:
        if event.get("event") != "draining" or client not in node.clients or node.state != "up":
            return
        data = event.get("data") or {}
        self._take_out(node, "draining", f"draining event ({data})")
        # A draining server stops reading at its deadline: a request sent later is never answered.
        deadline_s = (data.get("deadlineMs") or 0) / 1000 if isinstance(data, dict) else 0
        node.drain_handle = asyncio.get_running_loop().call_later(
            deadline_s + self._options["drain_settle_s"], self._take_out, node, "lost", "the drain deadline passed")

    def _on_close(self, node: _ServerNode, client: AsyncCodeGymClient, code: int, reason: str) -> None:
        if client in node.clients and not self._closed:
            self._take_out(node, "lost", f"connection closed ({code}{' ' + reason if reason else ''})")

    def _take_out(self, node: _ServerNode, reason: str, detail: str) -> None:
        if self._closed:
            return
        was_up = node.state == "up"
        if reason == "draining" and node.state != "up":
            return
        if reason != "draining" and node.state in ("down", "removed"):
            return
        node.state = "draining" if reason == "draining" else "down"
        node.last_out_reason = f"{reason}: {detail}"
        if reason != "draining":
            if node.drain_handle is not None:
                node.drain_handle.cancel()
                node.drain_handle = None
            clients, node.clients = node.clients, []
            for client in clients:
                asyncio.ensure_future(client.close())
        if was_up:
            self._emit("server-out", {"url": node.url, "reason": reason, "detail": detail})
            for session in list(node.sessions):
                asyncio.ensure_future(session._evacuate())
            # A server that leaves rotation is often being replaced: its successor may be in the name already.
            self._refresh_in_background()
        if node.probe_handle is None:
            self._schedule_probe(node)

    def _schedule_probe(self, node: _ServerNode) -> None:
        if self._closed:
            return
        # Unlisted: a replaced pod's address (a new server there is listed again first). A draining one stays
        # until its drain ends: its sessions are snapshotted there meanwhile.
        if node.probes >= self._options["max_probes"] or (not node.listed and node.state != "draining"):
            self._remove(node)
            return
        delay = min(self._options["probe_max_delay_s"], self._options["probe_initial_delay_s"] * 2 ** node.probes)
        node.probe_handle = asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(self._probe(node)))

    async def _probe(self, node: _ServerNode) -> None:
        node.probe_handle = None
        if self._closed or node.state == "up":
            return
        node.probes += 1
        if node.state == "draining" and any(client.is_open for client in node.clients):
            self._schedule_probe(node)
            return
        try:
            await self._open(node)
        except Exception as error:  # noqa: BLE001 - any failure to connect
            node.last_out_reason = f"unreachable: {error!r}"
            self._schedule_probe(node)
            return
        if node.state == "up":
            self._emit("server-in", {"url": node.url})


# ------------------------------------------------------------------------------------------ blocking

class ClusterSession:
    """The blocking face of an ``AsyncClusterSession``."""

    def __init__(self, inner: AsyncClusterSession, loop: _LoopThread):
        self._inner = inner
        self._loop = loop

    @property
    def id(self) -> str:
        return self._inner.id

    @property
    def server(self) -> str:
        return self._inner.server

    @property
    def step_count(self) -> int:
        return self._inner.step_count

    @property
    def migrations(self) -> int:
        return self._inner.migrations

    @property
    def reset_result(self) -> Dict[str, Any]:
        return self._inner.reset_result

    @property
    def is_lost(self) -> bool:
        return self._inner.is_lost

    def step(self, action: Any) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.step(action))

    def done(self, answer: Any) -> Dict[str, Any]:
        return self._loop.call(lambda: self._inner.done(answer))

    def observe(self) -> Any:
        return self._loop.call(self._inner.observe)

    def close(self) -> None:
        self._loop.call(self._inner.close)


class CodeGymCluster:
    """Blocking cluster client: ``CodeGymCluster.connect(urls_or_dns, **options)``, the options of
    ``AsyncCodeGymCluster``. Usable as a context manager; event callbacks run on its thread."""

    def __init__(self, inner: AsyncCodeGymCluster, loop: _LoopThread):
        self._inner = inner
        self._loop = loop

    @classmethod
    def connect(cls, servers: Union[Sequence[str], DnsServers], **options: Any) -> "CodeGymCluster":
        loop = _LoopThread()
        try:
            inner = loop.call(lambda: AsyncCodeGymCluster.connect(servers, **options))
        except BaseException:
            loop.stop()
            raise
        return cls(inner, loop)

    @property
    def async_cluster(self) -> AsyncCodeGymCluster:
        return self._inner

    def on(self, name: str, callback: Callable[..., Any]) -> None:
        self._inner.on(name, callback)

    def servers(self) -> List[Dict[str, Any]]:
        return self._loop.call(self._servers)

    async def _servers(self) -> List[Dict[str, Any]]:
        return self._inner.servers()

    def reset(self, env: str, options: Optional[Mapping[str, Any]] = None, *, key: Optional[str] = None) -> ClusterSession:
        return ClusterSession(self._loop.call(lambda: self._inner.reset(env, options, key=key)), self._loop)

    def refresh(self) -> None:
        self._loop.call(self._inner.refresh)

    def close(self) -> None:
        if not self._loop.loop.is_closed():
            try:
                self._loop.call(self._inner.close)
            finally:
                self._loop.stop()

    def __enter__(self) -> "CodeGymCluster":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
