// Solves any task by calling tools only: scan from the right, keeping a stack of candidates that
// decreases from bottom to top; pop every candidate not greater than the current element.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    const result = new Array(length).fill(-1)
    for (let index = length - 1; index >= 0; index--) {
      const value = yield * call('GetElement', { index })
      let top = yield * call('StackTop')
      while (top !== null && top <= value) {
        yield * call('StackPop')
        top = yield * call('StackTop')
      }
      result[index] = top === null ? -1 : top
      yield * call('StackPush', { value })
    }
    yield { name: 'Done', parameters: { answer: result } }
  },
}
