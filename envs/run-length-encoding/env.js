// Run-length encoding of a hidden string. The env builds the encoded output from the runs the agent appends.

const sizes = { easy: [6, 12], medium: [13, 50], hard: [51, 110] }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const shape = rng.int(0, 5)
  const alphabet = 'abcdefghijklmnopqrstuvwxyz'.slice(0, rng.int(2, 6)).split('')
  let text = ''
  if (shape === 0) text = rng.pick(alphabet).repeat(n) // a single run
  else if (shape === 1) { // no two neighbours equal: every run has length 1
    while (text.length < n) {
      const char = rng.pick(alphabet)
      if (text.length === 0 || char !== text[text.length - 1]) text += char
    }
  } else {
    const longest = shape === 2 ? 25 : 6 // shape 2: long runs with counts of two digits
    while (text.length < n) text += rng.pick(alphabet).repeat(Math.min(rng.int(1, longest), n - text.length))
  }
  return { text }
}

function reset (config) {
  return { text: config.text, encoded: '' }
}

function observe (state) {
  return { length: state.text.length, encoded_so_far: state.encoded }
}

// The reference solution: count each maximal run of equal characters.
function answer (config) {
  let out = ''
  const s = config.text
  for (let i = 0; i < s.length;) {
    let j = i
    while (j < s.length && s[j] === s[i]) j++
    out += s[i] + String(j - i)
    i = j
  }
  return out
}

const tools = {
  GetLength (state) {
    return state.text.length
  },
  GetChar (state, { index }) {
    if (index < 0 || index >= state.text.length) throw new RangeError(`index ${index} is outside the string (length ${state.text.length})`)
    return state.text[index]
  },
  AppendRun (state, { char, count }) {
    if (!/^[a-z]$/.test(char)) throw new TypeError('char must be one lowercase letter')
    if (count < 1) throw new RangeError('a run has at least one character')
    state.encoded += char + String(count)
    return state.encoded.length
  },
  GetEncoded (state) {
    return state.encoded
  },
}

module.exports = { generate, reset, observe, answer, tools }
