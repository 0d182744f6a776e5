// The consistent-hash ring: stable owners, only a removed node's keys move, skipping nodes out of
// rotation, and an even spread with virtual nodes.
import t from 'tap'
import { HashRing, ringHash } from '../../../clients/ts/hash-ring.ts'

const nodes = ['ws://10.0.0.1:8765/', 'ws://10.0.0.2:8765/', 'ws://10.0.0.3:8765/', 'ws://10.0.0.4:8765/']
const keys = Array.from({ length: 4000 }, (_, i) => `key-${i}`)

await t.test('a key has one owner, the same in every ring built from the same nodes', async (t) => {
  const a = new HashRing(nodes)
  const b = new HashRing([...nodes].reverse())
  t.ok(keys.every((key) => a.lookup(key) === b.lookup(key)), 'insertion order does not matter')
  t.equal(ringHash('key-1'), ringHash('key-1'))
  t.equal(new HashRing().lookup('anything'), undefined, 'an empty ring has no owner')
})

await t.test('virtual nodes spread keys evenly', async (t) => {
  const ring = new HashRing(nodes)
  const counts = new Map<string, number>()
  for (const key of keys) counts.set(ring.lookup(key)!, (counts.get(ring.lookup(key)!) ?? 0) + 1)
  for (const node of nodes) {
    const share = (counts.get(node) ?? 0) / keys.length
    t.ok(share > 0.15 && share < 0.35, `${node} owns ${(share * 100).toFixed(1)}% of the keys`)
  }
})

await t.test('removing a node moves only its keys; skipping a node sends its keys to the next one', async (t) => {
  const ring = new HashRing(nodes)
  const before = new Map(keys.map((key) => [key, ring.lookup(key)!]))
  const gone = nodes[1]!
  const skipped = new Map(keys.map((key) => [key, ring.lookup(key, (node) => node !== gone)!]))
  ring.remove(gone)
  const after = new Map(keys.map((key) => [key, ring.lookup(key)!]))
  t.notOk(keys.some((key) => after.get(key) === gone), 'no key is owned by the removed node')
  t.same(keys.filter((key) => before.get(key) !== gone && after.get(key) !== before.get(key)), [], 'every other key stays')
  t.same(keys.filter((key) => after.get(key) !== skipped.get(key)), [], 'skipping a node is the same as removing it')
  t.ok(keys.some((key) => before.get(key) === gone), 'the removed node owned keys')
  t.equal(ring.lookup('key-1', () => false), undefined, 'no accepted node: no owner')
  ring.add(gone)
  t.ok(keys.every((key) => ring.lookup(key) === before.get(key)), 'adding it back restores every owner')
})

await t.test('bad sizes are refused', async (t) => {
  t.throws(() => new HashRing([], 0), RangeError)
  t.throws(() => new HashRing([], 1.5), RangeError)
})
