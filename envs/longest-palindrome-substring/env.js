// Longest palindromic substring by expanding around centres. The string stays hidden; only pairs of
// positions can be compared.

const sizes = { easy: [5, 9], medium: [10, 16], hard: [17, 24] }
const letters = 'abcdefghijklmnopqrstuvwxyz'

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const shape = rng.int(0, 5)
  const alphabet = letters.slice(0, shape === 1 ? 26 : rng.int(2, 4))
  const chars = []
  for (let i = 0; i < n; i++) chars.push(shape === 0 ? 'a' : rng.pick(alphabet.split(''))) // shape 0: all equal
  if (shape === 2) { // plant a palindrome
    const length = rng.int(2, n)
    const from = rng.int(0, n - length)
    for (let k = 0; k < length >> 1; k++) chars[from + length - 1 - k] = chars[from + k]
  }
  if (shape === 3) { // all distinct where the alphabet allows
    for (let i = 0; i < n; i++) chars[i] = letters[i % 26]
  }
  return { text: chars.join('') }
}

function reset (config) {
  return { text: config.text }
}

function observe (state) {
  return { length: state.text.length }
}

// The reference solution: check every substring.
function answer (config) {
  const s = config.text
  let best = 0
  for (let i = 0; i < s.length; i++) {
    for (let j = i; j < s.length; j++) {
      let palindrome = true
      for (let a = i, b = j; a < b; a++, b--) if (s[a] !== s[b]) { palindrome = false; break }
      if (palindrome) best = Math.max(best, j - i + 1)
    }
  }
  return best
}

function position (state, index, name) {
  if (index < 0 || index >= state.text.length) throw new RangeError(`${name} ${index} is outside the string (length ${state.text.length})`)
}

const tools = {
  GetLength (state) {
    return state.text.length
  },
  CharsMatch (state, { left, right }) {
    position(state, left, 'left')
    position(state, right, 'right')
    return state.text[left] === state.text[right]
  },
  SpanLength (state, { left, right }) {
    if (right < left - 1) throw new RangeError('right must be at least left - 1 (an empty span)')
    return right - left + 1
  },
  UpdateBest (state, { best, candidate }) {
    return Math.max(best, candidate)
  },
}

module.exports = { generate, reset, observe, answer, tools }
