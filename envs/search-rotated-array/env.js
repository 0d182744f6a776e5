// Search in a rotated sorted array of distinct integers: the index of the target, or -1.

const sizes = { easy: [8, 16], medium: [17, 100], hard: [101, 500] }
const gaps = { easy: 5, medium: 50, hard: 2000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const gap = gaps[difficulty]
  const sorted = []
  let value = rng.int(-1000000, 1000000 - n * gap)
  for (let i = 0; i < n; i++) {
    sorted.push(value)
    value += rng.int(1, gap)
  }
  const shape = rng.int(0, 5)
  const rotation = shape === 0 ? 0 : shape === 1 ? n - 1 : shape === 2 ? 1 : rng.int(0, n - 1)
  const values = sorted.slice(rotation).concat(sorted.slice(0, rotation))
  let target
  const where = rng.int(0, 6)
  if (where === 0) target = values[0]
  else if (where === 1) target = values[n - 1]
  else if (where === 2) target = sorted[0] // the smallest: right after the rotation point
  else if (where === 3) target = sorted[0] - rng.int(1, 5) // below every element
  else if (where === 4) target = sorted[n - 1] + rng.int(1, 5) // above every element
  else if (where === 5) target = sorted[rng.int(0, n - 1)]
  else target = rng.int(sorted[0], sorted[n - 1]) // anywhere in the range, often absent
  return { values, target }
}

function reset (config) {
  return { values: config.values, target: config.target, reads: 0 }
}

function observe (state) {
  return { length: state.values.length, elements_read: state.reads }
}

// The reference solution: a linear scan.
function answer (config) {
  return config.values.indexOf(config.target)
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
