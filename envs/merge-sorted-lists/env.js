// Merge two hidden sorted lists. The env keeps the merged output that the agent appends to.

const totals = { easy: [4, 10], medium: [11, 40], hard: [41, 80] }
const ranges = { easy: 20, medium: 1000, hard: 1000000 }

function sortedList (rng, length, low, high) {
  const list = []
  for (let i = 0; i < length; i++) list.push(rng.int(low, high))
  return list.sort((x, y) => x - y)
}

function generate (rng, difficulty) {
  const [min, max] = totals[difficulty]
  const total = rng.int(min, max)
  const bound = ranges[difficulty]
  const shape = rng.int(0, 6)
  let sizeA = rng.int(0, total)
  if (shape === 0) sizeA = 0 // one list empty
  else if (shape === 1) sizeA = total
  else if (shape === 2) sizeA = 1 // a single element against the rest
  sizeA = Math.min(sizeA, 60)
  let sizeB = total - sizeA
  if (sizeB > 60) { sizeA += sizeB - 60; sizeB = 60 }
  let a, b
  if (shape === 3) { // every element of a is below every element of b
    a = sortedList(rng, sizeA, -bound, 0)
    b = sortedList(rng, sizeB, 0, bound)
  } else if (shape === 4) { // a few values, many duplicates across the lists
    a = sortedList(rng, sizeA, -2, 2)
    b = sortedList(rng, sizeB, -2, 2)
  } else {
    a = sortedList(rng, sizeA, -bound, bound)
    b = sortedList(rng, sizeB, -bound, bound)
  }
  return rng.bool(0.5) ? { a, b } : { a: b, b: a }
}

function reset (config) {
  return { a: config.a, b: config.b, merged: [] }
}

function observe (state) {
  return { length_a: state.a.length, length_b: state.b.length, merged_length: state.merged.length }
}

// The reference solution: concatenate and sort.
function answer (config) {
  return config.a.concat(config.b).sort((x, y) => x - y)
}

function list (state, name) {
  if (name !== 'a' && name !== 'b') throw new Error(`list must be "a" or "b", not ${JSON.stringify(name)}`)
  return state[name]
}

const tools = {
  GetLength (state, { list: name }) {
    return list(state, name).length
  },
  GetElement (state, { list: name, index }) {
    const values = list(state, name)
    if (index < 0 || index >= values.length) {
      throw new RangeError(`index ${index} is outside list ${name} (${values.length === 0 ? 'it is empty' : `valid positions are 0..${values.length - 1}`})`)
    }
    return values[index]
  },
  Compare (state, { x, y }) {
    return x < y ? -1 : x > y ? 1 : 0
  },
  Append (state, { value }) {
    const capacity = state.a.length + state.b.length
    if (state.merged.length >= capacity) throw new Error(`the merged list is full: it already holds ${capacity} elements, as many as both lists together`)
    state.merged.push(value)
    return state.merged.length
  },
  GetMerged (state) {
    return state.merged
  },
}

module.exports = { generate, reset, observe, answer, tools }
