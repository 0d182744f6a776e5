// Counting primes with the sieve of Eratosthenes. The env keeps the sieve: one mark per number 0..n,
// '1' for a number crossed out as composite.

const ranges = { easy: [10, 60], medium: [61, 400], hard: [401, 1200] }
const special = { easy: [10, 11, 25, 49], medium: [100, 121, 169, 397], hard: [1000, 1024, 1087, 1200] }

function generate (rng, difficulty) {
  const [min, max] = ranges[difficulty]
  return { limit: rng.int(0, 3) === 0 ? rng.pick(special[difficulty]) : rng.int(min, max) }
}

function reset (config) {
  return { limit: config.limit, marks: '0'.repeat(config.limit + 1) }
}

function observe (state) {
  let crossed = 0
  for (const mark of state.marks) if (mark === '1') crossed++
  return { limit: state.limit, crossed_out: crossed }
}

// The reference solution: trial division of every number up to the limit.
function answer (config) {
  let count = 0
  for (let k = 2; k <= config.limit; k++) {
    let prime = true
    for (let d = 2; d * d <= k; d++) if (k % d === 0) { prime = false; break }
    if (prime) count++
  }
  return count
}

function inRange (state, value, name, from) {
  if (value < from || value > state.limit) throw new RangeError(`${name} ${value} is outside ${from}..${state.limit}`)
}

const tools = {
  GetLimit (state) {
    return state.limit
  },
  IsCrossedOut (state, { number }) {
    inRange(state, number, 'number', 0)
    return state.marks[number] === '1'
  },
  NextNotCrossedOut (state, { after }) {
    if (after < 1 || after > state.limit) throw new RangeError(`after ${after} is outside 1..${state.limit}`)
    for (let k = after + 1; k <= state.limit; k++) if (state.marks[k] === '0') return k
    return -1
  },
  SquareExceedsLimit (state, { number }) {
    inRange(state, number, 'number', 2)
    return number * number > state.limit
  },
  CrossOutMultiples (state, { factor }) {
    inRange(state, factor, 'factor', 2)
    const marks = state.marks.split('')
    let crossed = 0
    for (let k = factor * factor; k <= state.limit; k += factor) {
      if (marks[k] === '0') crossed++
      marks[k] = '1'
    }
    state.marks = marks.join('')
    return crossed
  },
}

module.exports = { generate, reset, observe, answer, tools }
