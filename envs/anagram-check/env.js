// Anagram check of two hidden strings with a character-count table kept by the env.

const sizes = { easy: [2, 6], medium: [7, 25], hard: [26, 55] }
const letters = 'abcdefghijklmnopqrstuvwxyz'

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const alphabet = letters.slice(0, rng.pick([1, 2, 3, 6, 26])).split('')
  const chars = []
  for (let i = 0; i < n; i++) chars.push(rng.pick(alphabet))
  const first = chars.join('')
  let second = rng.shuffle(chars)
  const change = rng.int(0, 5)
  if (change === 1) second[rng.int(0, n - 1)] = rng.pick(letters.split('')) // one letter replaced (may stay an anagram)
  else if (change === 2 && n > min) second.pop() // one letter missing
  else if (change === 3 && n < max) second.push(rng.pick(alphabet)) // one letter too many
  else if (change === 4) { // same letters, one count moved to another letter
    const i = rng.int(0, n - 1)
    const j = rng.int(0, n - 1)
    second[i] = second[j]
  }
  second = second.join('')
  return { first, second }
}

function reset (config) {
  return { first: config.first, second: config.second, counts: {} }
}

function observe (state) {
  return { first_length: state.first.length, second_length: state.second.length }
}

// The reference solution: compare the sorted letters.
function answer (config) {
  return config.first.split('').sort().join('') === config.second.split('').sort().join('')
}

function letter (char) {
  if (!/^[a-z]$/.test(char)) throw new TypeError(`${JSON.stringify(char)} is not one lowercase letter`)
}

function text (state, which) {
  if (which !== 'first' && which !== 'second') throw new Error('which must be "first" or "second"')
  return state[which]
}

const tools = {
  GetLength (state, { which }) {
    return text(state, which).length
  },
  GetChar (state, { which, index }) {
    const s = text(state, which)
    if (index < 0 || index >= s.length) throw new RangeError(`index ${index} is outside the ${which} string (length ${s.length})`)
    return s[index]
  },
  IncrementCount (state, { char }) {
    letter(char)
    state.counts[char] = (state.counts[char] ?? 0) + 1
    return state.counts[char]
  },
  DecrementCount (state, { char }) {
    letter(char)
    state.counts[char] = (state.counts[char] ?? 0) - 1
    return state.counts[char]
  },
  GetCount (state, { char }) {
    letter(char)
    return state.counts[char] ?? 0
  },
  CountNonZero (state) {
    return Object.values(state.counts).filter((count) => count !== 0).length
  },
}

module.exports = { generate, reset, observe, answer, tools }
