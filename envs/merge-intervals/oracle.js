// Solves any task by calling tools only: sort by start, then sweep, merging into the last kept interval.
module.exports = {
  * solve (start, { call }) {
    const count = yield * call('GetCount')
    yield * call('SortByStart')
    const merged = []
    let current = yield * call('GetInterval', { index: 0 })
    for (let index = 1; index < count; index++) {
      const next = yield * call('GetInterval', { index })
      if (yield * call('Overlaps', { first: current, second: next })) {
        current = yield * call('MergePair', { first: current, second: next })
      } else {
        merged.push(current)
        current = next
      }
    }
    merged.push(current)
    yield { name: 'Done', parameters: { answer: merged } }
  },
}
