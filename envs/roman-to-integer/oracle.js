// Solves any task by calling tools only: a symbol smaller than the next one is subtracted, any other is added.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    const values = []
    const valueAt = function * (index) {
      if (values[index] === undefined) {
        const symbol = yield * call('GetSymbol', { index })
        values[index] = yield * call('SymbolValue', { symbol })
      }
      return values[index]
    }
    for (let index = 0; index < length; index++) {
      const value = yield * valueAt(index)
      const subtract = index + 1 < length && (yield * call('IsSubtractive', { value, next_value: yield * valueAt(index + 1) }))
      yield * call(subtract ? 'SubtractFromTotal' : 'AddToTotal', { amount: value })
    }
    const total = yield * call('GetTotal')
    yield { name: 'Done', parameters: { answer: total } }
  },
}
