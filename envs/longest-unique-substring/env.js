// Longest substring without repeated characters: a sliding window; the env keeps the map from each
// character to the last position where it was recorded.

const sizes = { easy: [3, 8], medium: [9, 28], hard: [29, 55] }
const letters = 'abcdefghijklmnopqrstuvwxyz'

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const shape = rng.int(0, 5)
  let text = ''
  if (shape === 0) text = rng.pick(letters.split('')).repeat(n) // all equal: the answer is 1
  else if (shape === 1) { // all distinct as far as the alphabet allows
    const order = rng.shuffle(letters.split(''))
    for (let i = 0; i < n; i++) text += order[i % 26]
  } else {
    const alphabet = letters.slice(0, rng.pick([2, 3, 5, 8, 12, 26])).split('')
    for (let i = 0; i < n; i++) text += rng.pick(alphabet)
  }
  return { text }
}

function reset (config) {
  return { text: config.text, seen: {} }
}

function observe (state) {
  return { length: state.text.length, recorded_characters: Object.keys(state.seen).length }
}

// The reference solution: extend each start position while the characters stay distinct.
function answer (config) {
  const s = config.text
  let best = 0
  for (let i = 0; i < s.length; i++) {
    const used = {}
    let j = i
    while (j < s.length && !used[s[j]]) {
      used[s[j]] = true
      j++
    }
    best = Math.max(best, j - i)
  }
  return best
}

function letter (char) {
  if (!/^[a-z]$/.test(char)) throw new TypeError(`${JSON.stringify(char)} is not one lowercase letter`)
}

const tools = {
  GetLength (state) {
    return state.text.length
  },
  GetChar (state, { index }) {
    if (index < 0 || index >= state.text.length) throw new RangeError(`index ${index} is outside the string (length ${state.text.length})`)
    return state.text[index]
  },
  LastSeen (state, { char }) {
    letter(char)
    return Object.hasOwn(state.seen, char) ? state.seen[char] : -1
  },
  RecordSeen (state, { char, index }) {
    letter(char)
    if (index < 0 || index >= state.text.length) throw new RangeError(`index ${index} is outside the string (length ${state.text.length})`)
    state.seen[char] = index
    return index
  },
  UpdateBest (state, { best, candidate }) {
    return Math.max(best, candidate)
  },
}

module.exports = { generate, reset, observe, answer, tools }
