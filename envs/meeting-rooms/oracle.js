// Solves any task by calling tools only: meetings by start; a room whose meeting has ended (the
// smallest end time in the heap) is reused, otherwise the heap grows by one room.
module.exports = {
  * solve (start, { call }) {
    const count = yield * call('GetCount')
    yield * call('SortByStart')
    for (let index = 0; index < count; index++) {
      const [begin, end] = yield * call('GetMeeting', { index })
      const earliestEnd = yield * call('HeapTop')
      if (earliestEnd !== null && earliestEnd <= begin) yield * call('HeapPop')
      yield * call('HeapPush', { value: end })
    }
    const rooms = yield * call('HeapSize')
    yield { name: 'Done', parameters: { answer: rooms } }
  },
}
