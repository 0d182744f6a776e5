// GCD of a hidden list by Euclid's algorithm. The env keeps a pair register (a, b) that one Euclid
// step replaces with (b, a mod b).

const counts = { easy: [3, 4], medium: [5, 8], hard: [9, 14] }
const bounds = { easy: 100, medium: 10000, hard: 1000000 }
const maxNumber = 1000000

function euclidSteps (a, b) {
  let steps = 0
  while (b !== 0) {
    const r = a % b
    a = b
    b = r
    steps++
  }
  return { gcd: a, steps }
}

// Tool calls of the oracle: GetCount, one GetNumber per number, and per number one LoadPair plus
// the Euclid steps from (g, x), then Done.
function oracleCalls (numbers) {
  let calls = 2 + numbers.length
  let g = 0
  for (const x of numbers) {
    const { gcd, steps } = euclidSteps(g, x)
    calls += 1 + steps
    g = gcd
  }
  return calls
}

function generate (rng, difficulty) {
  const [min, max] = counts[difficulty]
  const bound = bounds[difficulty]
  for (;;) {
    const k = rng.int(min, max)
    const shape = rng.int(0, 5)
    const factor = shape === 0 ? 1 : rng.int(1, Math.max(1, Math.floor(Math.sqrt(bound)))) // the common factor
    const numbers = []
    for (let i = 0; i < k; i++) {
      if (shape === 1) numbers.push(factor * 7) // all equal
      else if (shape === 2 && i < 2) { // consecutive Fibonacci numbers: the longest Euclid runs
        let a = 1
        let b = 1
        while (a + b <= bound) [a, b] = [b, a + b]
        numbers.push(i === 0 ? b : a)
      } else numbers.push(factor * rng.int(1, Math.floor(bound / factor)))
    }
    if (shape === 3) numbers[rng.int(0, k - 1)] = 1 // a 1 forces the gcd to 1
    if (shape === 4) numbers[rng.int(0, k - 1)] = bound // the largest value
    const calls = oracleCalls(numbers)
    if (calls >= 10 && calls <= 240) return { numbers }
  }
}

function reset (config) {
  return { numbers: config.numbers, a: 0, b: 0 }
}

function observe (state) {
  return { count: state.numbers.length, a: state.a, b: state.b }
}

// The reference solution: binary gcd (Stein's algorithm), folded over the list.
function binaryGcd (a, b) {
  if (a === 0) return b
  if (b === 0) return a
  let shift = 0
  while (a % 2 === 0 && b % 2 === 0) {
    a /= 2
    b /= 2
    shift++
  }
  while (a % 2 === 0) a /= 2
  while (b !== 0) {
    while (b % 2 === 0) b /= 2
    if (a > b) [a, b] = [b, a]
    b -= a
  }
  return a * 2 ** shift
}

function answer (config) {
  return config.numbers.reduce((g, x) => binaryGcd(g, x), 0)
}

const tools = {
  GetCount (state) {
    return state.numbers.length
  },
  GetNumber (state, { index }) {
    if (index < 0 || index >= state.numbers.length) throw new RangeError(`index ${index} is outside the list (it has ${state.numbers.length} numbers)`)
    return state.numbers[index]
  },
  LoadPair (state, { a, b }) {
    if (a < 0 || b < 0 || a > maxNumber || b > maxNumber) throw new RangeError(`a and b must be between 0 and ${maxNumber}`)
    state.a = a
    state.b = b
    return { a, b }
  },
  EuclidStep (state) {
    if (state.b === 0) throw new Error(`b is 0, so the pair cannot be reduced further; a = ${state.a}`)
    const r = state.a % state.b
    state.a = state.b
    state.b = r
    return { a: state.a, b: state.b }
  },
}

module.exports = { generate, reset, observe, answer, tools }
