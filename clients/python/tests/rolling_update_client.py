"""The Python side of test/clients/rolling-update.test.ts: plays scripted episodes through
``AsyncCodeGymCluster`` on a DNS name (resolved by reading a file the test rewrites) while the test
replaces the servers one by one, and never calls ``refresh()``.

    rolling_update_client.py SETUP_JSON

SETUP_JSON names: ``names`` (the file of addresses, one per line), ``port``, ``phase`` (a file holding
the phase number), ``steps_per_phase``, ``episodes`` (``[{options, actions}]``) and ``cadences`` (one
cluster client per snapshot cadence, each playing every episode). Step n of an episode waits until the
phase is at least n // steps_per_phase, so episodes are live during every replacement. Prints
``waiting K`` once every episode waits for phase K, and at the end one line ``result <json>``: per
cadence, per episode, the reset observation and every step result, plus the moves seen.
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codegym_client.cluster import AsyncCodeGymCluster, DnsServers  # noqa: E402

ENV = "codegym/max-subarray-v1"
#: The whole run's limit: a stuck run fails instead of hanging the test.
RUN_LIMIT_S = 240.0
PHASE_POLL_S = 0.02


async def main(setup: dict) -> dict:
    names = Path(setup["names"])
    phase_file = Path(setup["phase"])
    per_phase = setup["steps_per_phase"]
    episodes = setup["episodes"]
    cadences = setup["cadences"]

    async def resolver(_hostname: str) -> list:
        return [line.strip() for line in names.read_text().splitlines() if line.strip()]

    phase = {"now": 0}
    waiting: dict = {}
    total = len(episodes) * len(cadences)

    async def follow_phase() -> None:
        while True:
            text = phase_file.read_text().strip()
            if text:
                phase["now"] = int(text)
            await asyncio.sleep(PHASE_POLL_S)

    async def gate(k: int) -> None:
        if phase["now"] >= k:
            return
        waiting[k] = waiting.get(k, 0) + 1
        if waiting[k] == total:
            print(f"waiting {k}", flush=True)
        while phase["now"] < k:
            await asyncio.sleep(PHASE_POLL_S)

    async def play(cluster: AsyncCodeGymCluster, episode: dict) -> dict:
        session = await cluster.reset(ENV, episode["options"])
        results = []
        for n, action in enumerate(episode["actions"]):
            await gate(n // per_phase)
            results.append(await session.step(action))
        await session.close()
        return {"observation": session.reset_result["observation"], "results": results}

    follower = asyncio.ensure_future(follow_phase())
    played: dict = {}
    moves: list = []
    clusters = []
    try:
        for cadence in cadences:
            cluster = await AsyncCodeGymCluster.connect(
                DnsServers("codegym.rolling.test", setup["port"]), resolver=resolver, snapshot_every_steps=cadence,
                refresh_interval_s=0.2, probe_initial_delay_s=0.05, probe_max_delay_s=0.2, drain_settle_s=0.5)
            cluster.on("migrated", lambda event, cadence=cadence: moves.append({"cadence": cadence, **event}))
            clusters.append((cadence, cluster))
        runs = [asyncio.gather(*(play(cluster, episode) for episode in episodes)) for _, cluster in clusters]
        for (cadence, _), outcome in zip(clusters, await asyncio.gather(*runs)):
            played[str(cadence)] = outcome
    finally:
        follower.cancel()
        for _, cluster in clusters:
            await cluster.close()
    return {"played": played, "moves": moves}


if __name__ == "__main__":
    result = asyncio.run(asyncio.wait_for(main(json.loads(sys.argv[1])), RUN_LIMIT_S))
    print("result " + json.dumps(result), flush=True)
