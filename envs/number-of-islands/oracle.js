// Solves any task by calling tools only: scan every cell, flood-fill each new island with the env's visited set.
module.exports = {
  * solve (start, { call }) {
    const { rows, cols } = yield * call('GetGridSize')
    const land = []
    for (let row = 0; row < rows; row++) {
      land.push([])
      for (let col = 0; col < cols; col++) land[row].push((yield * call('GetCell', { row, col })) === 1)
    }
    const seen = land.map((line) => line.map(() => false))
    let islands = 0
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        if (!land[row][col] || seen[row][col]) continue
        islands = yield * call('CountIsland')
        yield * call('MarkVisited', { row, col })
        seen[row][col] = true
        const stack = [{ row, col }]
        while (stack.length > 0) {
          const cell = stack.pop()
          const next = yield * call('UnvisitedLandNeighbors', cell)
          for (const neighbor of next) {
            yield * call('MarkVisited', neighbor)
            seen[neighbor.row][neighbor.col] = true
            stack.push(neighbor)
          }
        }
      }
    }
    yield { name: 'Done', parameters: { answer: islands } }
  },
}
