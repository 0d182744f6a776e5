// Solves any task by calling tools only: copy the intervals that end before the new one, merge the
// ones that overlap it, and place it before the first interval that starts after it.
module.exports = {
  * solve (start, { call }) {
    const count = yield * call('GetCount')
    let current = yield * call('GetNewInterval')
    const result = []
    let placed = false
    for (let index = 0; index < count; index++) {
      const interval = yield * call('GetInterval', { index })
      if (placed) {
        result.push(interval)
      } else if (yield * call('EndsBefore', { first: interval, second: current })) {
        result.push(interval)
      } else if (yield * call('EndsBefore', { first: current, second: interval })) {
        result.push(current, interval)
        placed = true
      } else {
        current = yield * call('MergePair', { first: current, second: interval })
      }
    }
    if (!placed) result.push(current)
    yield { name: 'Done', parameters: { answer: result } }
  },
}
