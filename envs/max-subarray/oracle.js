// Solves any task by calling tools only: Kadane's algorithm, one tool per loop step.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let current = yield * call('GetElement', { index: 0 })
    let best = current
    for (let index = 1; index < length; index++) {
      const element = yield * call('GetElement', { index })
      current = yield * call('ExtendOrRestart', { previous_sum: current, element })
      best = yield * call('UpdateBest', { best, candidate: current })
    }
    yield { name: 'Done', parameters: { answer: best } }
  },
}
