// Trapping rain water: the env keeps the running total of trapped water; the bar heights stay hidden.

const sizes = { easy: [3, 8], medium: [9, 25], hard: [26, 50] }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const top = difficulty === 'easy' ? 9 : difficulty === 'medium' ? 100 : 10000
  const shape = rng.int(0, 6)
  const heights = []
  for (let i = 0; i < n; i++) {
    if (shape === 0) heights.push(top) // all equal: nothing is trapped
    else if (shape === 1) heights.push(rng.pick([0, top])) // extremes
    else heights.push(rng.int(0, top))
  }
  if (shape === 2) heights.sort((a, b) => a - b) // increasing: nothing is trapped
  if (shape === 3) { // a bowl: high walls at both ends
    heights[0] = top
    heights[n - 1] = top
  }
  return { heights }
}

function reset (config) {
  return { heights: config.heights, total: 0 }
}

function observe (state) {
  return { bars: state.heights.length, total_recorded: state.total }
}

// The reference solution: water above each bar from prefix and suffix maxima.
function answer (config) {
  const h = config.heights
  const n = h.length
  const leftMax = []
  const rightMax = []
  for (let i = 0; i < n; i++) leftMax[i] = Math.max(h[i], i > 0 ? leftMax[i - 1] : 0)
  for (let i = n - 1; i >= 0; i--) rightMax[i] = Math.max(h[i], i < n - 1 ? rightMax[i + 1] : 0)
  let total = 0
  for (let i = 0; i < n; i++) total += Math.min(leftMax[i], rightMax[i]) - h[i]
  return total
}

const tools = {
  GetLength (state) {
    return state.heights.length
  },
  GetHeight (state, { index }) {
    if (index < 0 || index >= state.heights.length) throw new RangeError(`index ${index} is outside the bars (there are ${state.heights.length})`)
    return state.heights[index]
  },
  MaxOf (state, { a, b }) {
    return Math.max(a, b)
  },
  WaterAbove (state, { level, height }) {
    return Math.max(0, level - height)
  },
  AddWater (state, { amount }) {
    if (amount < 0) throw new RangeError('the amount of water must not be negative')
    state.total += amount
    return state.total
  },
  GetTotal (state) {
    return state.total
  },
}

module.exports = { generate, reset, observe, answer, tools }
