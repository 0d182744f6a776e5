// Solves any task by calling tools only: breadth-first search with the env's queue, stopping when the goal leaves the queue.
module.exports = {
  * solve (start, { call }) {
    const { cols } = yield * call('GetGridSize')
    const from = yield * call('GetStart')
    const goal = yield * call('GetGoal')
    const seen = new Set([from.row * cols + from.col])
    yield * call('Enqueue', { row: from.row, col: from.col, distance: 0 })
    let queued = 1
    let answer = -1
    while (queued > 0) {
      const cell = yield * call('Dequeue')
      queued--
      if (cell.row === goal.row && cell.col === goal.col) {
        answer = cell.distance
        break
      }
      const next = yield * call('OpenNeighbors', { row: cell.row, col: cell.col })
      for (const neighbor of next) {
        const key = neighbor.row * cols + neighbor.col
        if (seen.has(key)) continue
        seen.add(key)
        yield * call('Enqueue', { row: neighbor.row, col: neighbor.col, distance: cell.distance + 1 })
        queued++
      }
    }
    yield { name: 'Done', parameters: { answer } }
  },
}
