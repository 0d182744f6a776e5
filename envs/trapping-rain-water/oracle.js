// Solves any task by calling tools only: two pointers, each side bounded by its own running maximum.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    const heights = {}
    const height = function * (index) {
      if (!(index in heights)) heights[index] = yield * call('GetHeight', { index })
      return heights[index]
    }
    let left = 0
    let right = length - 1
    let leftMax = 0
    let rightMax = 0
    while (left < right) {
      const leftHeight = yield * height(left)
      const rightHeight = yield * height(right)
      let water
      if (leftHeight < rightHeight) {
        leftMax = yield * call('MaxOf', { a: leftMax, b: leftHeight })
        water = yield * call('WaterAbove', { level: leftMax, height: leftHeight })
        left++
      } else {
        rightMax = yield * call('MaxOf', { a: rightMax, b: rightHeight })
        water = yield * call('WaterAbove', { level: rightMax, height: rightHeight })
        right--
      }
      if (water > 0) yield * call('AddWater', { amount: water })
    }
    const total = yield * call('GetTotal')
    yield { name: 'Done', parameters: { answer: total } }
  },
}
