// Balanced brackets. The env keeps the agent's stack, so a failed Pop must leave it untouched.

const pairs = { '(': ')', '[': ']', '{': '}' }
const openers = Object.keys(pairs)
const lengths = { easy: [4, 8], medium: [10, 24], hard: [26, 50] }

function balanced (rng, pairCount, kinds) {
  if (pairCount === 0) return ''
  const inside = rng.int(0, pairCount - 1)
  const open = rng.pick(kinds)
  return open + balanced(rng, inside, kinds) + pairs[open] + balanced(rng, pairCount - 1 - inside, kinds)
}

// A balanced string, then at most one of the mistakes that make brackets unbalanced.
function generate (rng, difficulty) {
  const [min, max] = lengths[difficulty]
  const kinds = difficulty === 'easy' ? ['(', '['] : openers
  const chars = balanced(rng, rng.int(min, max) >> 1, kinds).split('')
  const mistake = rng.int(0, 4)
  const at = rng.int(0, chars.length - 1)
  if (mistake === 1) chars[at] = rng.pick(['(', ')', '[', ']', '{', '}']) // a wrong kind or direction
  else if (mistake === 2) chars.splice(at, 1) // a bracket missing
  else if (mistake === 3) chars.splice(at, 0, rng.pick([')', ']', '}'])) // a stray closer
  else if (mistake === 4 && chars.length > 1) { // two neighbours swapped
    const tmp = chars[at]; chars[at] = chars[(at + 1) % chars.length]; chars[(at + 1) % chars.length] = tmp
  }
  return { text: chars.join('') }
}

function reset (config) {
  return { text: config.text, stack: [] }
}

function observe (state) {
  return { length: state.text.length, stack_size: state.stack.length }
}

// The reference solution: the textbook stack scan.
function answer (config) {
  const stack = []
  for (const char of config.text) {
    if (openers.includes(char)) stack.push(char)
    else if (stack.length === 0 || pairs[stack.pop()] !== char) return false
  }
  return stack.length === 0
}

const tools = {
  GetLength (state) {
    return state.text.length
  },
  GetChar (state, { index }) {
    if (index < 0 || index >= state.text.length) {
      throw new RangeError(`index ${index} is outside the string (length ${state.text.length})`)
    }
    return state.text[index]
  },
  IsOpening (state, { char }) {
    return openers.includes(char)
  },
  Push (state, { char }) {
    if (char.length !== 1) throw new TypeError('Push takes exactly one character')
    state.stack.push(char)
    return state.stack.length
  },
  Pop (state) {
    if (state.stack.length === 0) throw new Error('the stack is empty')
    return state.stack.pop()
  },
  StackSize (state) {
    return state.stack.length
  },
  Matches (state, { open, close }) {
    return Object.hasOwn(pairs, open) && pairs[open] === close
  },
}

module.exports = { generate, reset, observe, answer, tools }
