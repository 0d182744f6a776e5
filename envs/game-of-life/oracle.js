// Solves any task by calling tools only: read the board once, then for every generation compute each
// cell's next state from its live neighbours, write the live ones to the next board, and apply it.
module.exports = {
  * solve (start, { call }) {
    const { rows, cols, generations } = start.observation
    const board = []
    for (let row = 0; row < rows; row++) {
      board.push([])
      for (let col = 0; col < cols; col++) board[row].push(yield * call('GetCell', { row, col }))
    }
    for (let generation = 0; generation < generations; generation++) {
      const next = []
      for (let row = 0; row < rows; row++) {
        next.push([])
        for (let col = 0; col < cols; col++) {
          const live = yield * call('CountLiveNeighbours', { row, col })
          const alive = yield * call('NextState', { alive: board[row][col], live_neighbours: live })
          if (alive) yield * call('SetNext', { row, col, alive: true })
          next[row].push(alive)
        }
      }
      yield * call('ApplyGeneration')
      for (let row = 0; row < rows; row++) board[row] = next[row]
    }
    let count = 0
    for (const line of board) for (const alive of line) if (alive) count++
    yield { name: 'Done', parameters: { answer: count } }
  },
}
