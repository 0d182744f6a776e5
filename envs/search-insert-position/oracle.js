// Solves any task by calling tools only: lower-bound binary search over [0, length).
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    const target = yield * call('GetTarget')
    let low = 0
    let high = length
    while (low < high) {
      const mid = yield * call('Midpoint', { low, high })
      const value = yield * call('GetElement', { index: mid })
      if ((yield * call('Compare', { a: value, b: target })) < 0) low = mid + 1
      else high = mid
    }
    yield { name: 'Done', parameters: { answer: low } }
  },
}
