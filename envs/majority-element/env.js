// Majority element by Boyer-Moore voting. The env keeps the current candidate and its vote count.

const sizes = { easy: [5, 9], medium: [10, 45], hard: [46, 115] }
const bounds = { easy: 9, medium: 1000, hard: 1000000000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const bound = bounds[difficulty]
  const shape = rng.int(0, 5)
  const majority = shape === 1 ? rng.pick([-bound, bound]) : rng.int(-bound, bound)
  const count = shape === 0 ? n : shape === 2 || shape === 3 ? (n >> 1) + 1 : rng.int((n >> 1) + 1, n)
  const values = []
  for (let i = 0; i < count; i++) values.push(majority)
  while (values.length < n) {
    const other = rng.int(-bound, bound)
    if (other !== majority) values.push(other)
  }
  if (shape === 3) return { values: values.slice(count).concat(values.slice(0, count)) } // the majority all at the end
  return { values: shape === 0 ? values : rng.shuffle(values) }
}

function majorityOf (values) {
  const counts = {}
  for (const value of values) {
    counts[value] = (counts[value] ?? 0) + 1
    if (counts[value] * 2 > values.length) return value
  }
  return null
}

function reset (config) {
  if (majorityOf(config.values) === null) throw new Error('no value occurs in more than half of the positions')
  return { values: config.values, candidate: null, votes: 0 }
}

function observe (state) {
  return { length: state.values.length, candidate: state.candidate, votes: state.votes }
}

// The reference solution: count every value.
function answer (config) {
  return majorityOf(config.values)
}

function requireCandidate (state) {
  if (state.candidate === null) throw new Error('there is no candidate yet')
}

const tools = {
  GetLength (state) {
    return state.values.length
  },
  GetElement (state, { index }) {
    if (index < 0 || index >= state.values.length) throw new RangeError(`index ${index} is outside the array (length ${state.values.length})`)
    return state.values[index]
  },
  SetCandidate (state, { value }) {
    if (state.votes !== 0) throw new Error(`the current candidate still has ${state.votes} votes; a new candidate can only be set when the count is 0`)
    state.candidate = value
    state.votes = 1
    return { candidate: state.candidate, votes: state.votes }
  },
  AddVote (state) {
    requireCandidate(state)
    state.votes++
    return state.votes
  },
  RemoveVote (state) {
    requireCandidate(state)
    if (state.votes === 0) throw new Error('the vote count is already 0')
    state.votes--
    return state.votes
  },
  GetCandidate (state) {
    requireCandidate(state)
    return { candidate: state.candidate, votes: state.votes }
  },
}

module.exports = { generate, reset, observe, answer, tools }
