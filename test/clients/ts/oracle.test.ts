// A full episode on every bundled env, played through the client by the env's own oracle solver
// (run in a PolicySandbox), over both transports and both codecs: every one ends with reward 1.
import t from 'tap'
import { CodeGymClient, type Codec } from '../../../clients/ts/index.ts'
import { Runtime } from '../../../src/env/runtime.ts'
import { PolicySandbox, type PolicyMove } from '../../../src/sandbox/policy-runner.ts'
import { startServer, transportsTo, type Via } from './harness.ts'

const runtime = await Runtime.create({ sandbox: { workers: 1 } })
const server = await startServer({ runtime })
t.teardown(async () => {
  await server.close()
  await runtime.close()
})

const runs: Array<[Via, Codec]> = [['websocket', 'msgpack'], ['websocket', 'json'], ['memory', 'msgpack'], ['memory', 'json']]

t.ok(runtime.envIds().length >= 2, 'the bundled envs are loaded')
for (const envId of runtime.envIds()) {
  const spec = runtime.spec(envId)
  const oracle = spec.oracleSource
  await t.test(envId, async (t) => {
    if (oracle === undefined) return t.fail(`${envId} has no oracle.js`)
    const policy = new PolicySandbox(oracle)
    t.teardown(() => policy.dispose())
    for (const [index, [via, codec]] of runs.entries()) {
      const client = await CodeGymClient.connect(transportsTo(server, via).factory, { codec })
      const difficulty = spec.manifest.difficulties[index % spec.manifest.difficulties.length]!
      const { session, observation, info } = await client.reset(envId, { seed: 1000 + index, difficulty })
      let move: PolicyMove = policy.start({ observation, info })
      let steps = 0
      let reward = 0
      let ended = false
      while ('action' in move) {
        const result = await client.step(session, move.action as Record<string, unknown>)
        steps++
        reward += result.reward
        if (result.terminated || result.truncated) {
          ended = result.terminated
          break
        }
        move = policy.next(result)
      }
      t.notOk('error' in move, `${via}/${codec}: the oracle ran without error`)
      t.ok(ended, `${via}/${codec}: the oracle called Done`)
      t.equal(reward, 1, `${via}/${codec}: ${difficulty} solved in ${steps} steps`)
      t.equal(client.stepOf(session), steps)
      await client.closeSession(session)
      await client.close()
    }
  })
}
