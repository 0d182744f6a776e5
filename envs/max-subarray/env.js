// Maximum subarray sum. Runs in the CodeGym sandbox: no clock, no Math.random, state is JSON data.

const sizes = { easy: [4, 8], medium: [9, 25], hard: [26, 80] }
const ranges = { easy: 20, medium: 100, hard: 1000000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const bound = ranges[difficulty]
  const shape = rng.int(0, 4)
  const values = []
  for (let i = 0; i < n; i++) {
    if (shape === 0) values.push(-rng.int(1, bound)) // all negative: the answer is the largest element
    else if (shape === 1) values.push(rng.int(0, bound)) // all non-negative: the whole array
    else if (shape === 2) values.push(rng.pick([-bound, bound, 0])) // extremes and zeros
    else values.push(rng.int(-bound, bound))
  }
  return { values }
}

function reset (config) {
  return { values: config.values, reads: 0 }
}

function observe (state) {
  return { length: state.values.length, elements_read: state.reads }
}

// Kadane's algorithm: the reference solution.
function answer (config) {
  let best = config.values[0]
  let current = 0
  let started = false
  for (const value of config.values) {
    current = started ? Math.max(value, current + value) : value
    started = true
    best = Math.max(best, current)
  }
  return best
}

const tools = {
  GetLength (state) {
    return state.values.length
  },
  GetElement (state, { index }) {
    if (index < 0 || index >= state.values.length) {
      throw new RangeError(`index ${index} is outside the array (length ${state.values.length})`)
    }
    state.reads++
    return state.values[index]
  },
  ExtendOrRestart (state, { previous_sum: previousSum, element }) {
    return Math.max(element, previousSum + element)
  },
  UpdateBest (state, { best, candidate }) {
    return Math.max(best, candidate)
  },
}

module.exports = { generate, reset, observe, answer, tools }
