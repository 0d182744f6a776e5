// Solves any task by calling tools only: two pointers from both ends, always moving the shorter line inward.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let left = 0
    let right = length - 1
    let leftHeight = yield * call('GetHeight', { index: left })
    let rightHeight = yield * call('GetHeight', { index: right })
    let best = 0
    while (left < right) {
      const area = yield * call('ContainerArea', { left_height: leftHeight, right_height: rightHeight, width: right - left })
      best = yield * call('UpdateMax', { best, candidate: area })
      if (right - left === 1) break
      const side = yield * call('ChooseMove', { left_height: leftHeight, right_height: rightHeight })
      if (side === 'left') {
        left++
        leftHeight = yield * call('GetHeight', { index: left })
      } else {
        right--
        rightHeight = yield * call('GetHeight', { index: right })
      }
    }
    yield { name: 'Done', parameters: { answer: best } }
  },
}
