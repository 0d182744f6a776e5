// First non-repeating character: count every letter in the env's table, then find the first position
// whose letter was counted once.

const sizes = { easy: [4, 8], medium: [9, 35], hard: [36, 75] }
const letters = 'abcdefghijklmnopqrstuvwxyz'

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const shape = rng.int(0, 6)
  const alphabet = letters.slice(0, rng.pick([3, 5, 8, 25])).split('')
  const chars = []
  if (shape === 0) { // every letter repeats: no answer
    const odd = n % 2 === 1
    while (chars.length + 2 <= n - (odd ? 3 : 0)) {
      const char = rng.pick(alphabet)
      chars.push(char, char)
    }
    if (odd) chars.push(...rng.pick(alphabet).repeat(3)) // odd length: a letter three times
    return { text: rng.shuffle(chars).join('') }
  }
  for (let i = 0; i < n; i++) chars.push(rng.pick(alphabet))
  if (shape === 1) { // the only unique letter is the last one
    const pool = alphabet.length > 1 ? alphabet.slice(1) : alphabet
    for (let i = 0; i < n - 1; i += 2) chars[i] = chars[i + 1] = rng.pick(pool)
    if (n % 2 === 0) chars[n - 2] = chars[n - 3]
    chars[n - 1] = alphabet[0]
    for (let i = 0; i < n - 1; i++) if (chars[i] === alphabet[0]) chars[i] = pool[0]
    const body = rng.shuffle(chars.slice(0, n - 1))
    return { text: body.join('') + chars[n - 1] }
  }
  if (shape === 2) { // all distinct as far as the alphabet allows
    const order = rng.shuffle(letters.split(''))
    return { text: chars.map((_, i) => order[i % 26]).join('') }
  }
  if (shape >= 3 && shape <= 5) { // plant a letter that occurs nowhere else at a random position
    const unique = letters[alphabet.length]
    chars[rng.int(0, n - 1)] = unique
  }
  return { text: chars.join('') }
}

function reset (config) {
  return { text: config.text, counts: {} }
}

function observe (state) {
  return { length: state.text.length }
}

// The reference solution: for each position, look for the same letter anywhere else.
function answer (config) {
  const s = config.text
  for (let i = 0; i < s.length; i++) {
    let repeated = false
    for (let j = 0; j < s.length; j++) if (j !== i && s[j] === s[i]) repeated = true
    if (!repeated) return i
  }
  return -1
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
  IncrementCount (state, { char }) {
    letter(char)
    state.counts[char] = (state.counts[char] ?? 0) + 1
    return state.counts[char]
  },
  GetCount (state, { char }) {
    letter(char)
    return state.counts[char] ?? 0
  },
}

module.exports = { generate, reset, observe, answer, tools }
