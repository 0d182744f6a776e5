// Solves any task by calling tools only: a sliding window whose start jumps past the last occurrence
// of the character that just entered it.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let windowStart = 0
    let best = 0
    for (let index = 0; index < length; index++) {
      const char = yield * call('GetChar', { index })
      const last = yield * call('LastSeen', { char })
      if (last >= windowStart) windowStart = last + 1
      yield * call('RecordSeen', { char, index })
      best = yield * call('UpdateBest', { best, candidate: index - windowStart + 1 })
    }
    yield { name: 'Done', parameters: { answer: best } }
  },
}
