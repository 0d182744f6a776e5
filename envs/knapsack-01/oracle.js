// Solves any task by calling tools only: fill the table item by item, one tool call per cell.
module.exports = {
  * solve (start, { call }) {
    const count = yield * call('GetItemCount')
    const capacity = yield * call('GetCapacity')
    for (let k = 1; k <= count; k++) {
      const { weight } = yield * call('GetItem', { index: k - 1 })
      for (let c = 0; c <= capacity; c++) {
        yield * call(weight <= c ? 'TakeItem' : 'SkipItem', { items_used: k, capacity: c })
      }
    }
    const answer = yield * call('GetBest', { items_used: count, capacity })
    yield { name: 'Done', parameters: { answer } }
  },
}
