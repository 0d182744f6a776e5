// Solves any task by calling tools only: one union-find pass over the edges; every successful union removes a component.
module.exports = {
  * solve (start, { call }) {
    const nodes = yield * call('GetNodeCount')
    const edges = yield * call('GetEdgeCount')
    let components = nodes
    for (let index = 0; index < edges; index++) {
      const { u, v } = yield * call('GetEdge', { index })
      const a = yield * call('Find', { node: u })
      const b = yield * call('Find', { node: v })
      if (a !== b) {
        yield * call('Union', { root_a: a, root_b: b })
        components--
      }
    }
    yield { name: 'Done', parameters: { answer: components } }
  },
}
