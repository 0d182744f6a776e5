// Solves any task by calling tools only: bottom-up merge sort, summing the inversions each merge step reports.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let total = 0
    for (let width = 1; width < length; width *= 2) {
      for (let begin = 0; begin + width < length; begin += 2 * width) {
        const mid = begin + width
        const end = Math.min(begin + 2 * width, length)
        yield * call('StartMerge', { start: begin, mid, end })
        let left = mid - begin
        let right = end - mid
        while (left > 0 && right > 0) {
          const step = yield * call('MergeStep')
          total += step.inversions
          if (step.taken === 'left') left--
          else right--
        }
        yield * call('FinishMerge')
      }
    }
    yield { name: 'Done', parameters: { answer: total } }
  },
}
