// Solves any task by calling tools only: binary search for the rotation point (the smallest element),
// then binary search in the sorted part that can hold the target.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    const target = yield * call('GetTarget')
    let low = 0
    let high = length - 1
    while (low < high) {
      const mid = yield * call('Midpoint', { low, high })
      const middle = yield * call('GetElement', { index: mid })
      const last = yield * call('GetElement', { index: high })
      if ((yield * call('Compare', { a: middle, b: last })) > 0) low = mid + 1
      else high = mid
    }
    const pivot = low
    const last = yield * call('GetElement', { index: length - 1 })
    if ((yield * call('Compare', { a: target, b: last })) <= 0) {
      low = pivot
      high = length - 1
    } else {
      low = 0
      high = pivot - 1
    }
    let found = -1
    while (low <= high) {
      const mid = yield * call('Midpoint', { low, high })
      const value = yield * call('GetElement', { index: mid })
      const order = yield * call('Compare', { a: value, b: target })
      if (order === 0) {
        found = mid
        break
      }
      if (order < 0) low = mid + 1
      else high = mid - 1
    }
    yield { name: 'Done', parameters: { answer: found } }
  },
}
