// Conway's Game of Life on a small bounded board (cells outside it are dead). The env keeps the current
// board and a next board that the agent fills cell by cell before applying the generation.

const shapes = {
  easy: [[3, 3, 1], [3, 3, 2], [3, 4, 1], [4, 3, 1]],
  medium: [[4, 4, 2], [4, 4, 3], [3, 5, 3], [4, 5, 2], [5, 4, 2]],
  hard: [[5, 5, 3], [4, 6, 3], [6, 4, 3], [6, 6, 2], [5, 6, 2]],
}

const patterns = [
  [[0, 1], [1, 1], [2, 1]], // blinker
  [[0, 0], [0, 1], [1, 0], [1, 1]], // block
  [[0, 1], [1, 2], [2, 0], [2, 1], [2, 2]], // glider
]

function generate (rng, difficulty) {
  const [rows, cols, generations] = rng.pick(shapes[difficulty])
  const board = []
  const kind = rng.int(0, 6)
  const density = rng.pick([0.25, 0.4, 0.55])
  for (let r = 0; r < rows; r++) {
    const row = []
    for (let c = 0; c < cols; c++) {
      if (kind === 0) row.push(0) // all dead
      else if (kind === 1) row.push(1) // all alive
      else row.push(rng.bool(density) ? 1 : 0)
    }
    board.push(row)
  }
  if (kind === 2) { // one known pattern somewhere on an empty board
    for (const row of board) row.fill(0)
    const top = rng.int(0, rows - 3)
    const left = rng.int(0, cols - 3)
    for (const [r, c] of rng.pick(patterns)) board[top + r][left + c] = 1
  }
  return { board, generations }
}

function reset (config) {
  const cols = config.board[0].length
  config.board.forEach((row, r) => {
    if (row.length !== cols) throw new RangeError(`row ${r} has ${row.length} cells, row 0 has ${cols}: the board must be rectangular`)
  })
  return {
    board: config.board,
    next: config.board.map((row) => row.map(() => 0)),
    generations: config.generations,
    generation: 0,
  }
}

function observe (state) {
  return { rows: state.board.length, cols: state.board[0].length, generations: state.generations, generation: state.generation }
}

function step (board) {
  return board.map((row, r) => row.map((alive, c) => {
    let live = 0
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        if ((dr !== 0 || dc !== 0) && board[r + dr] !== undefined && board[r + dr][c + dc] === 1) live++
      }
    }
    return live === 3 || (alive === 1 && live === 2) ? 1 : 0
  }))
}

// The reference solution: simulate every generation on the whole board, then count.
function answer (config) {
  let board = config.board
  for (let g = 0; g < config.generations; g++) board = step(board)
  return board.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0)
}

function checkCell (state, row, col) {
  const rows = state.board.length
  const cols = state.board[0].length
  if (row < 0 || row >= rows || col < 0 || col >= cols) {
    throw new RangeError(`cell (${row}, ${col}) is outside the board (rows 0..${rows - 1}, columns 0..${cols - 1})`)
  }
}

const tools = {
  GetCell (state, { row, col }) {
    checkCell(state, row, col)
    return state.board[row][col] === 1
  },
  CountLiveNeighbours (state, { row, col }) {
    checkCell(state, row, col)
    let live = 0
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const r = row + dr
        const c = col + dc
        if ((dr !== 0 || dc !== 0) && r >= 0 && r < state.board.length && c >= 0 && c < state.board[0].length) live += state.board[r][c]
      }
    }
    return live
  },
  NextState (state, { alive, live_neighbours: live }) {
    return live === 3 || (alive && live === 2)
  },
  SetNext (state, { row, col, alive }) {
    checkCell(state, row, col)
    state.next[row][col] = alive ? 1 : 0
    return alive
  },
  ApplyGeneration (state) {
    if (state.generation >= state.generations) {
      throw new Error(`all ${state.generations} generations have been applied already`)
    }
    state.board = state.next
    state.next = state.board.map((row) => row.map(() => 0))
    state.generation++
    return state.generation
  },
}

module.exports = { generate, reset, observe, answer, tools }
