// Solves any task by calling tools only: visit every node with the open interval its ancestors allow, and check its value.
module.exports = {
  * solve (start, { call }) {
    const root = yield * call('GetRoot')
    const stack = [{ node: root }]
    let valid = true
    while (stack.length > 0) {
      const { node, lower, upper } = stack.pop()
      const value = yield * call('GetValue', { node })
      const bounds = { value }
      if (lower !== undefined) bounds.lower = lower
      if (upper !== undefined) bounds.upper = upper
      if (!(yield * call('IsWithinBounds', bounds))) valid = false
      const left = yield * call('GetLeftChild', { node })
      const right = yield * call('GetRightChild', { node })
      if (right !== -1) stack.push({ node: right, lower: value, upper })
      if (left !== -1) stack.push({ node: left, lower, upper: value })
    }
    yield { name: 'Done', parameters: { answer: valid } }
  },
}
