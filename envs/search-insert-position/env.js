// Search insert position: the first index whose element is not smaller than the target (lower bound).

const sizes = { easy: [8, 16], medium: [17, 120], hard: [121, 1000] }
const ranges = { easy: 50, medium: 10000, hard: 1000000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const bound = ranges[difficulty]
  const shape = rng.int(0, 6)
  const values = []
  if (shape === 0) {
    const value = rng.int(-bound, bound) // all equal
    for (let i = 0; i < n; i++) values.push(value)
  } else if (shape === 1) {
    const pool = [] // few distinct values: long runs of duplicates
    for (let i = 0; i < 4; i++) pool.push(rng.int(-bound, bound))
    for (let i = 0; i < n; i++) values.push(rng.pick(pool))
  } else {
    for (let i = 0; i < n; i++) values.push(rng.int(-bound, bound))
  }
  values.sort((a, b) => a - b)
  let target
  const where = rng.int(0, 5)
  if (where === 0) target = values[0] - rng.int(0, 3) // at or below the smallest
  else if (where === 1) target = values[n - 1] + rng.int(0, 3) // at or above the largest
  else if (where === 2) target = values[rng.int(0, n - 1)] // present
  else target = rng.int(values[0], values[n - 1]) // anywhere in between, often absent
  target = Math.max(-1000003, Math.min(1000003, target))
  return { values, target }
}

function reset (config) {
  return { values: config.values, target: config.target, reads: 0 }
}

function observe (state) {
  return { length: state.values.length, elements_read: state.reads }
}

// The reference solution: a linear scan for the first element that is >= target.
function answer (config) {
  let index = 0
  while (index < config.values.length && config.values[index] < config.target) index++
  return index
}

const tools = {
  GetLength (state) {
    return state.values.length
  },
  GetTarget (state) {
    return state.target
  },
  GetElement (state, { index }) {
    if (index < 0 || index >= state.values.length) {
      throw new RangeError(`index ${index} is outside the array (valid positions are 0..${state.values.length - 1})`)
    }
    state.reads++
    return state.values[index]
  },
  Midpoint (state, { low, high }) {
    if (low > high) throw new RangeError(`low (${low}) must not be greater than high (${high})`)
    return Math.floor((low + high) / 2)
  },
  Compare (state, { a, b }) {
    return a < b ? -1 : a > b ? 1 : 0
  },
}

module.exports = { generate, reset, observe, answer, tools }
