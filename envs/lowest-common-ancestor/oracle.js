// Solves any task by calling tools only: walk the whole tree to learn every node's parent, mark the path from p up to the
// root, then climb from q until a marked node is met.
module.exports = {
  * solve (start, { call }) {
    const { p, q } = yield * call('GetTargets')
    const root = yield * call('GetRoot')
    const parent = new Map([[root, -1]])
    const stack = [root]
    while (stack.length > 0) {
      const node = stack.pop()
      for (const tool of ['GetLeftChild', 'GetRightChild']) {
        const child = yield * call(tool, { node })
        if (child === -1) continue
        parent.set(child, node)
        stack.push(child)
      }
    }
    for (let node = p; node !== -1; node = parent.get(node)) yield * call('Mark', { node })
    let answer = q
    while (!(yield * call('IsMarked', { node: answer }))) answer = parent.get(answer)
    yield { name: 'Done', parameters: { answer } }
  },
}
