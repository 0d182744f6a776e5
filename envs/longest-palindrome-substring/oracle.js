// Solves any task by calling tools only: expand around each of the 2n - 1 centres, skipping centres
// that cannot beat the best length found so far.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let best = 0
    for (let centre = 0; centre < 2 * length - 1; centre++) {
      let left = centre >> 1
      let right = left + (centre & 1)
      const reach = Math.min(left, length - 1 - right)
      if (right - left + 1 + 2 * reach <= best) continue
      if (left === right) {
        left--
        right++
      }
      while (left >= 0 && right < length && (yield * call('CharsMatch', { left, right }))) {
        left--
        right++
      }
      // The palindrome is the span strictly between left and right.
      if (right - left - 1 > best) {
        const span = yield * call('SpanLength', { left: left + 1, right: right - 1 })
        best = yield * call('UpdateBest', { best, candidate: span })
      }
    }
    yield { name: 'Done', parameters: { answer: best } }
  },
}
