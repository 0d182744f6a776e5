// Solves any task by calling tools only: keep the k largest elements seen so far in the env's min-heap.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    const k = yield * call('GetK')
    for (let index = 0; index < length; index++) {
      const value = yield * call('GetElement', { index })
      if (index < k) {
        yield * call('HeapPush', { value })
      } else if (value > (yield * call('HeapTop'))) {
        yield * call('HeapPop')
        yield * call('HeapPush', { value })
      }
    }
    const kth = yield * call('HeapTop')
    yield { name: 'Done', parameters: { answer: kth } }
  },
}
