// Least-loaded placement with stickiness, and the per-backend bound on requests in flight.
import t from 'tap'
import { BackendRouter } from '../../../clients/grpo/router.ts'
import { Semaphore } from '../../../clients/grpo/semaphore.ts'

await t.test('each rollout goes to the backend with the fewest rollouts placed on it', async (t) => {
  const router = new BackendRouter([{ url: 'a' }, { url: 'b' }, { url: 'c' }], 4)
  const lanes = Array.from({ length: 6 }, () => router.place())
  t.same(lanes.map((lane) => lane.backend.url), ['a', 'b', 'c', 'a', 'b', 'c'])
  lanes[1]!.release()
  lanes[4]!.release()
  lanes[4]!.release()
  t.same(router.loads().map((load) => load.activeRollouts), [2, 0, 2], 'a second release changes nothing')
  t.equal(router.place().backend.url, 'b', 'the emptied backend gets the next rollout')
})

await t.test('a lane sends every request of its rollout to the same backend, within its concurrency bound', async (t) => {
  const router = new BackendRouter([{ url: 'a' }, { url: 'b' }], 2)
  const lane = router.place()
  let running = 0
  let peak = 0
  const seen: string[] = []
  await Promise.all(Array.from({ length: 6 }, () => lane.request(async (backend) => {
    seen.push(backend.url)
    running++
    peak = Math.max(peak, running)
    await new Promise((resolve) => setImmediate(resolve))
    running--
  })))
  t.same(new Set(seen), new Set(['a']))
  t.equal(peak, 2, 'never more than maxConcurrentRequestsPerBackend at once')
  t.equal(router.loads()[0]!.requests, 6)
})

await t.test('the semaphore hands slots over in arrival order and refuses a bad limit', async (t) => {
  const semaphore = new Semaphore(1)
  const order: number[] = []
  await semaphore.acquire()
  const waiters = [1, 2, 3].map((index) => semaphore.acquire().then(() => { order.push(index); semaphore.release() }))
  t.equal(semaphore.waiting, 3)
  semaphore.release()
  await Promise.all(waiters)
  t.same(order, [1, 2, 3])
  t.equal(semaphore.held, 0)
  t.throws(() => new Semaphore(0), RangeError)
})
