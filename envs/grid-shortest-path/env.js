// Shortest path in a hidden grid with walls. Breadth-first search with the queue and the distances kept in the state.

const sizes = { easy: [[3, 4], [3, 5]], medium: [[5, 6], [5, 7]], hard: [[7, 8], [8, 10]] }
const moves = [[-1, 0], [1, 0], [0, -1], [0, 1]]

// Breadth-first search over open cells: the distance of every cell reachable from start.
function distances (grid, start) {
  const rows = grid.length
  const cols = grid[0].length
  const dist = grid.map((row) => row.split('').map(() => -1))
  dist[start[0]][start[1]] = 0
  const queue = [start]
  for (let head = 0; head < queue.length; head++) {
    const [r, c] = queue[head]
    for (const [dr, dc] of moves) {
      const nr = r + dr
      const nc = c + dc
      if (nr >= 0 && nr < rows && nc >= 0 && nc < cols && grid[nr][nc] === '.' && dist[nr][nc] === -1) {
        dist[nr][nc] = dist[r][c] + 1
        queue.push([nr, nc])
      }
    }
  }
  return dist
}

function generate (rng, difficulty) {
  const [[rMin, rMax], [cMin, cMax]] = sizes[difficulty]
  for (;;) {
    const rows = rng.int(rMin, rMax)
    const cols = rng.int(cMin, cMax)
    const shape = rng.int(0, 5)
    const density = shape === 0 ? 0 : shape === 1 ? 0.45 : 0.25 // open field, a maze-like crowd of walls, mixed
    const grid = []
    for (let r = 0; r < rows; r++) {
      let line = ''
      for (let c = 0; c < cols; c++) line += rng.bool(density) ? '#' : '.'
      grid.push(line)
    }
    // Start and goal in opposite corners half of the time: the longest paths.
    const corners = rng.bool(0.5)
    const start = corners ? [0, 0] : [rng.int(0, rows - 1), rng.int(0, cols - 1)]
    const goal = corners ? [rows - 1, cols - 1] : [rng.int(0, rows - 1), rng.int(0, cols - 1)]
    const open = (cell) => { grid[cell[0]] = grid[cell[0]].slice(0, cell[1]) + '.' + grid[cell[0]].slice(cell[1] + 1) }
    open(start)
    open(goal)
    if (Math.abs(start[0] - goal[0]) + Math.abs(start[1] - goal[1]) < 2) continue
    // A wall across the whole grid now and then: the goal cannot be reached.
    if (shape === 5 && rows > 3) {
      const wallRow = rng.int(1, rows - 2)
      if (wallRow !== start[0] && wallRow !== goal[0]) grid[wallRow] = '#'.repeat(cols)
    }
    const dist = distances(grid, start)
    let reached = 0
    for (const row of dist) for (const d of row) if (d >= 0) reached++
    if (reached < 3) continue // too small a search to be worth an episode
    return { grid, start, goal }
  }
}

function reset (config) {
  const rows = config.grid.length
  const cols = config.grid[0].length
  if (config.grid.some((row) => row.length !== cols)) throw new Error('every row of the grid must have the same length')
  for (const [name, [r, c]] of [['start', config.start], ['goal', config.goal]]) {
    if (r >= rows || c >= cols || config.grid[r][c] !== '.') throw new Error(`${name} must be an open cell inside the grid`)
  }
  return { grid: config.grid, rows, cols, start: config.start, goal: config.goal, queue: [], distance: config.grid.map((row) => row.split('').map(() => -1)) }
}

function observe (state) {
  let discovered = 0
  for (const row of state.distance) for (const d of row) if (d >= 0) discovered++
  return { rows: state.rows, cols: state.cols, queue_size: state.queue.length, discovered_cells: discovered }
}

// The reference solution: plain breadth-first search from start.
function answer (config) {
  return distances(config.grid, config.start)[config.goal[0]][config.goal[1]]
}

function checkCell (state, row, col) {
  if (row < 0 || row >= state.rows || col < 0 || col >= state.cols) {
    throw new RangeError(`cell (${row}, ${col}) is outside the grid (${state.rows} rows, ${state.cols} columns; rows and columns count from 0)`)
  }
}

const tools = {
  GetGridSize (state) {
    return { rows: state.rows, cols: state.cols }
  },
  GetStart (state) {
    return { row: state.start[0], col: state.start[1] }
  },
  GetGoal (state) {
    return { row: state.goal[0], col: state.goal[1] }
  },
  OpenNeighbors (state, { row, col }) {
    checkCell(state, row, col)
    const found = []
    for (const [dr, dc] of moves) {
      const r = row + dr
      const c = col + dc
      if (r >= 0 && r < state.rows && c >= 0 && c < state.cols && state.grid[r][c] === '.') found.push({ row: r, col: c })
    }
    return found
  },
  Enqueue (state, { row, col, distance }) {
    checkCell(state, row, col)
    if (state.grid[row][col] !== '.') throw new Error(`cell (${row}, ${col}) is a wall`)
    if (state.distance[row][col] !== -1) throw new Error(`cell (${row}, ${col}) was already discovered with distance ${state.distance[row][col]}`)
    state.distance[row][col] = distance
    state.queue.push([row, col])
    return state.queue.length
  },
  Dequeue (state) {
    if (state.queue.length === 0) throw new Error('the queue is empty')
    const [row, col] = state.queue.shift()
    return { row, col, distance: state.distance[row][col] }
  },
  QueueSize (state) {
    return state.queue.length
  },
  GetDistance (state, { row, col }) {
    checkCell(state, row, col)
    return state.distance[row][col]
  },
}

module.exports = { generate, reset, observe, answer, tools }
