// Solves any task by calling tools only: the two-pointer scan from both ends of the sorted array.
module.exports = {
  * solve (start, { call }) {
    let { left, right } = yield * call('GetPointers')
    let answer = 'none'
    while (left < right) {
      const sum = yield * call('PointerSum')
      const order = yield * call('CompareToTarget', { sum })
      if (order === 'equal') {
        answer = `${left},${right}`
        break
      }
      const moved = yield * call(order === 'less' ? 'AdvanceLeft' : 'RetreatRight')
      left = moved.left
      right = moved.right
    }
    yield { name: 'Done', parameters: { answer } }
  },
}
