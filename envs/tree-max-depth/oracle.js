// Solves any task by calling tools only: depth-first search with the env's stack, recording the depth of every leaf.
module.exports = {
  * solve (start, { call }) {
    const root = yield * call('GetRoot')
    yield * call('Push', { node: root, depth: 1 })
    let size = 1
    let deepest = 0
    while (size > 0) {
      const { node, depth } = yield * call('Pop')
      size--
      const left = yield * call('GetLeftChild', { node })
      const right = yield * call('GetRightChild', { node })
      for (const child of [left, right]) {
        if (child === -1) continue
        yield * call('Push', { node: child, depth: depth + 1 })
        size++
      }
      if (left === -1 && right === -1) deepest = yield * call('RecordDepth', { depth })
    }
    yield { name: 'Done', parameters: { answer: deepest } }
  },
}
