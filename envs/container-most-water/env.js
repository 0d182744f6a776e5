// Container with most water: two pointers moving inward from both ends of a hidden list of line heights.

const sizes = { easy: [3, 8], medium: [9, 28], hard: [29, 60] }
const maxHeight = 10000

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const shape = rng.int(0, 6)
  const top = difficulty === 'easy' ? 20 : difficulty === 'medium' ? 500 : maxHeight
  const heights = []
  const level = rng.int(0, top)
  for (let i = 0; i < n; i++) {
    if (shape === 0) heights.push(level) // all equal (possibly all zero)
    else if (shape === 1) heights.push(rng.pick([0, top])) // extremes
    else heights.push(rng.int(0, top))
  }
  if (shape === 2) heights.sort((a, b) => a - b) // increasing
  if (shape === 3) heights.sort((a, b) => b - a) // decreasing
  return { heights }
}

function reset (config) {
  return { heights: config.heights }
}

function observe (state) {
  return { lines: state.heights.length }
}

// The reference solution: every pair of lines.
function answer (config) {
  const h = config.heights
  let best = 0
  for (let i = 0; i < h.length; i++) {
    for (let j = i + 1; j < h.length; j++) best = Math.max(best, Math.min(h[i], h[j]) * (j - i))
  }
  return best
}

const tools = {
  GetLength (state) {
    return state.heights.length
  },
  GetHeight (state, { index }) {
    if (index < 0 || index >= state.heights.length) throw new RangeError(`index ${index} is outside the list of lines (length ${state.heights.length})`)
    return state.heights[index]
  },
  ContainerArea (state, { left_height: leftHeight, right_height: rightHeight, width }) {
    if (leftHeight < 0 || rightHeight < 0 || width < 0) throw new RangeError('heights and width must not be negative')
    return Math.min(leftHeight, rightHeight) * width
  },
  UpdateMax (state, { best, candidate }) {
    return Math.max(best, candidate)
  },
  ChooseMove (state, { left_height: leftHeight, right_height: rightHeight }) {
    return leftHeight <= rightHeight ? 'left' : 'right'
  },
}

module.exports = { generate, reset, observe, answer, tools }
