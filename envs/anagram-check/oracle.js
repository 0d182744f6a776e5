// Solves any task by calling tools only: count the first string's letters up, the second's down,
// and check that every count is back to zero.
module.exports = {
  * solve (start, { call }) {
    const firstLength = yield * call('GetLength', { which: 'first' })
    const secondLength = yield * call('GetLength', { which: 'second' })
    for (let index = 0; index < firstLength; index++) {
      const char = yield * call('GetChar', { which: 'first', index })
      yield * call('IncrementCount', { char })
    }
    for (let index = 0; index < secondLength; index++) {
      const char = yield * call('GetChar', { which: 'second', index })
      yield * call('DecrementCount', { char })
    }
    const unbalanced = yield * call('CountNonZero')
    yield { name: 'Done', parameters: { answer: unbalanced === 0 } }
  },
}
