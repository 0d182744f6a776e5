// Two sum in a sorted array with two pointers. The env keeps the pointers; the array stays hidden.

const sizes = { easy: [4, 8], medium: [9, 30], hard: [31, 80] }
const bound = 1000000

// Positions (i, j), i < j, whose values add to the target.
function pairsFor (values, target) {
  const pairs = []
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) if (values[i] + values[j] === target) pairs.push([i, j])
  }
  return pairs
}

// How many sum checks the two-pointer scan makes before it finds the pair or the pointers meet.
function checks (values, target) {
  let left = 0
  let right = values.length - 1
  let count = 0
  while (left < right) {
    count++
    const sum = values[left] + values[right]
    if (sum === target) return count
    if (sum < target) left++
    else right--
  }
  return count
}

function draw (rng, n, shape) {
  const values = []
  const range = shape === 1 ? 6 : shape === 2 ? bound : rng.pick([20, 100, 1000])
  for (let i = 0; i < n; i++) {
    if (shape === 3) values.push(rng.int(0, range)) // non-negative only
    else values.push(rng.int(-range, range)) // shape 1: few distinct values, many duplicates; shape 2: extremes
  }
  if (shape === 2) { values[0] = -bound; values[n - 1] = bound }
  return values.sort((a, b) => a - b)
}

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const noPair = rng.int(0, 5) === 0
  for (let attempt = 0; ; attempt++) {
    const values = draw(rng, n, attempt < 200 ? rng.int(0, 3) : 2)
    let target
    if (noPair) target = rng.int(values[0] + values[1], values[n - 2] + values[n - 1])
    else {
      const i = rng.int(0, n - 2)
      target = values[i] + values[rng.int(i + 1, n - 1)]
    }
    const found = pairsFor(values, target).length
    if ((noPair ? found === 0 : found === 1) && checks(values, target) >= 3) return { values, target }
  }
}

function reset (config) {
  if (config.values.some((value, i) => i > 0 && value < config.values[i - 1])) throw new Error('the values must be sorted in non-decreasing order')
  if (pairsFor(config.values, config.target).length > 1) throw new Error('more than one pair of positions adds up to the target')
  return { values: config.values, target: config.target, left: 0, right: config.values.length - 1 }
}

function observe (state) {
  return { length: state.values.length, target: state.target, left: state.left, right: state.right }
}

// The reference solution: try every pair of positions.
function answer (config) {
  const pairs = pairsFor(config.values, config.target)
  if (pairs.length > 1) throw new Error('more than one pair adds up to the target')
  return pairs.length === 0 ? 'none' : `${pairs[0][0]},${pairs[0][1]}`
}

function isCorrect (submitted, truth) {
  return typeof submitted === 'string' && submitted.replace(/\s+/g, '').toLowerCase() === truth
}

function requireApart (state) {
  if (state.left >= state.right) throw new Error(`the pointers have met (left ${state.left}, right ${state.right}); no pair remains between them`)
}

const tools = {
  GetLength (state) {
    return state.values.length
  },
  GetElement (state, { index }) {
    if (index < 0 || index >= state.values.length) throw new RangeError(`index ${index} is outside the array (length ${state.values.length})`)
    return state.values[index]
  },
  GetPointers (state) {
    return { left: state.left, right: state.right }
  },
  PointerSum (state) {
    requireApart(state)
    return state.values[state.left] + state.values[state.right]
  },
  CompareToTarget (state, { sum }) {
    return sum < state.target ? 'less' : sum > state.target ? 'greater' : 'equal'
  },
  AdvanceLeft (state) {
    requireApart(state)
    state.left++
    return { left: state.left, right: state.right }
  },
  RetreatRight (state) {
    requireApart(state)
    state.right--
    return { left: state.left, right: state.right }
  },
}

module.exports = { generate, reset, observe, answer, isCorrect, tools }
