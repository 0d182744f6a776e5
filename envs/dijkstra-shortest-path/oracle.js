// Solves any task by calling tools only: Dijkstra's algorithm with the env's priority queue, stopping when the target is settled.
module.exports = {
  * solve (start, { call }) {
    const { source, target } = yield * call('GetEndpoints')
    const best = new Map([[source, 0]])
    const settled = new Set()
    yield * call('Relax', { node: source, distance: 0 })
    let queued = 1
    let answer = -1
    while (queued > 0) {
      const { node, distance } = yield * call('PopMin')
      queued--
      settled.add(node)
      if (node === target) {
        answer = distance
        break
      }
      for (const edge of yield * call('GetNeighbors', { node })) {
        const candidate = distance + edge.weight
        if (settled.has(edge.node) || (best.has(edge.node) && best.get(edge.node) <= candidate)) continue
        if (!best.has(edge.node)) queued++
        best.set(edge.node, candidate)
        yield * call('Relax', { node: edge.node, distance: candidate })
      }
    }
    yield { name: 'Done', parameters: { answer } }
  },
}
