// Number of islands. The grid is revealed cell by cell; the visited set and the island count live in the state.

const sizes = { easy: [[3, 4], [3, 5]], medium: [[5, 6], [5, 7]], hard: [[7, 8], [8, 10]] }

function generate (rng, difficulty) {
  const [[rMin, rMax], [cMin, cMax]] = sizes[difficulty]
  const rows = rng.int(rMin, rMax)
  const cols = rng.int(cMin, cMax)
  const shape = rng.int(0, 7)
  const cells = []
  for (let r = 0; r < rows; r++) {
    const row = []
    for (let c = 0; c < cols; c++) {
      if (shape === 0) row.push(1) // all land: one island
      else if (shape === 1) row.push((r + c) % 2 === 0 ? 1 : 0) // checkerboard: the most islands
      else if (shape === 2) row.push(0) // all water but one cell, set below
      else if (shape === 3) row.push(rng.bool(0.7) ? 1 : 0) // dense land
      else row.push(rng.bool(0.4) ? 1 : 0)
    }
    cells.push(row)
  }
  // At least one land cell, so that there is an island to find.
  if (!cells.some((row) => row.includes(1))) cells[rng.int(0, rows - 1)][rng.int(0, cols - 1)] = 1
  return { grid: cells.map((row) => row.join('')) }
}

function reset (config) {
  const rows = config.grid.length
  const cols = config.grid[0].length
  if (config.grid.some((row) => row.length !== cols)) throw new Error('every row of the grid must have the same length')
  return { grid: config.grid, rows, cols, visited: config.grid.map(() => '0'.repeat(cols)), islands: 0 }
}

function observe (state) {
  let visited = 0
  for (const row of state.visited) for (const ch of row) if (ch === '1') visited++
  return { rows: state.rows, cols: state.cols, visited_cells: visited, islands_counted: state.islands }
}

// The reference solution: scan the grid and flood-fill every unvisited land cell.
function answer (config) {
  const grid = config.grid.map((row) => row.split('').map(Number))
  const rows = grid.length
  const cols = grid[0].length
  let count = 0
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (grid[r][c] !== 1) continue
      count++
      const stack = [[r, c]]
      grid[r][c] = 2
      while (stack.length > 0) {
        const [y, x] = stack.pop()
        for (const [dy, dx] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
          const ny = y + dy
          const nx = x + dx
          if (ny >= 0 && ny < rows && nx >= 0 && nx < cols && grid[ny][nx] === 1) {
            grid[ny][nx] = 2
            stack.push([ny, nx])
          }
        }
      }
    }
  }
  return count
}

function checkCell (state, row, col) {
  if (row < 0 || row >= state.rows || col < 0 || col >= state.cols) {
    throw new RangeError(`cell (${row}, ${col}) is outside the grid (${state.rows} rows, ${state.cols} columns; rows and columns count from 0)`)
  }
}

function isVisited (state, row, col) {
  return state.visited[row][col] === '1'
}

const tools = {
  GetGridSize (state) {
    return { rows: state.rows, cols: state.cols }
  },
  GetCell (state, { row, col }) {
    checkCell(state, row, col)
    return Number(state.grid[row][col])
  },
  IsVisited (state, { row, col }) {
    checkCell(state, row, col)
    return isVisited(state, row, col)
  },
  MarkVisited (state, { row, col }) {
    checkCell(state, row, col)
    if (isVisited(state, row, col)) throw new Error(`cell (${row}, ${col}) is already visited`)
    const line = state.visited[row]
    state.visited[row] = line.slice(0, col) + '1' + line.slice(col + 1)
    return true
  },
  UnvisitedLandNeighbors (state, { row, col }) {
    checkCell(state, row, col)
    const found = []
    for (const [dy, dx] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
      const r = row + dy
      const c = col + dx
      if (r >= 0 && r < state.rows && c >= 0 && c < state.cols && state.grid[r][c] === '1' && !isVisited(state, r, c)) found.push({ row: r, col: c })
    }
    return found
  },
  CountIsland (state) {
    state.islands++
    return state.islands
  },
}

module.exports = { generate, reset, observe, answer, tools }
