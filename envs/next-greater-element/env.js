// Next greater element for every position, with a monotonic stack kept in env state.

const sizes = { easy: [3, 8], medium: [9, 25], hard: [26, 48] }
const ranges = { easy: 20, medium: 1000, hard: 1000000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const bound = ranges[difficulty]
  const shape = rng.int(0, 6)
  let values = []
  for (let i = 0; i < n; i++) values.push(shape === 3 ? rng.int(0, 3) : rng.int(0, bound))
  if (shape === 0) values.sort((a, b) => a - b) // increasing: each next element is greater
  else if (shape === 1) values.sort((a, b) => b - a) // decreasing: none has a greater element to its right
  else if (shape === 2) values = values.map(() => values[0]) // all equal: equal is not greater
  return { values }
}

function reset (config) {
  return { values: config.values, stack: [] }
}

function observe (state) {
  return { length: state.values.length, stack_size: state.stack.length }
}

// The reference solution: for every position, scan to the right.
function answer (config) {
  const values = config.values
  return values.map((value, i) => {
    for (let j = i + 1; j < values.length; j++) if (values[j] > value) return values[j]
    return -1
  })
}

const tools = {
  GetLength (state) {
    return state.values.length
  },
  GetElement (state, { index }) {
    if (index < 0 || index >= state.values.length) {
      throw new RangeError(`index ${index} is outside the array (valid positions are 0..${state.values.length - 1})`)
    }
    return state.values[index]
  },
  StackPush (state, { value }) {
    if (state.stack.length >= state.values.length) throw new Error(`the stack is full: it holds ${state.stack.length} values, as many as the array has elements`)
    state.stack.push(value)
    return state.stack.length
  },
  StackPop (state) {
    if (state.stack.length === 0) throw new Error('the stack is empty')
    return state.stack.pop()
  },
  StackTop (state) {
    return state.stack.length === 0 ? null : state.stack[state.stack.length - 1]
  },
  StackSize (state) {
    return state.stack.length
  },
}

module.exports = { generate, reset, observe, answer, tools }
