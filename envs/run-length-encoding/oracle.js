// Solves any task by calling tools only: one pass over the string, appending each run when it ends.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let current = yield * call('GetChar', { index: 0 })
    let count = 1
    for (let index = 1; index < length; index++) {
      const char = yield * call('GetChar', { index })
      if (char === current) {
        count++
      } else {
        yield * call('AppendRun', { char: current, count })
        current = char
        count = 1
      }
    }
    yield * call('AppendRun', { char: current, count })
    const encoded = yield * call('GetEncoded')
    yield { name: 'Done', parameters: { answer: encoded } }
  },
}
