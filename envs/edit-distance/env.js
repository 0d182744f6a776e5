// Edit (Levenshtein) distance of two hidden strings, with the dynamic-programming table filled cell by cell in the state.

const lengths = { easy: [2, 5], medium: [6, 9], hard: [10, 14] }

function word (rng, length, alphabet) {
  let text = ''
  for (let i = 0; i < length; i++) text += rng.pick(alphabet)
  return text
}

function generate (rng, difficulty) {
  const [min, max] = lengths[difficulty]
  const alphabet = 'abcdef'.slice(0, difficulty === 'easy' ? 3 : difficulty === 'medium' ? 4 : 6).split('')
  const first = word(rng, rng.int(min, max), alphabet)
  const shape = rng.int(0, 6)
  let second
  if (shape === 0) second = first // identical: distance 0
  else if (shape === 1) second = word(rng, rng.int(min, max), 'xyz'.split('')) // nothing in common
  else if (shape === 2) second = rng.pick(alphabet).repeat(rng.int(min, max)) // one repeated character
  else if (shape === 3) { // a few random edits of the first string
    const chars = first.split('')
    for (let k = rng.int(1, 3); k > 0; k--) {
      const at = rng.int(0, chars.length - 1)
      const op = rng.int(0, 2)
      if (op === 0 && chars.length < max) chars.splice(at, 0, rng.pick(alphabet))
      else if (op === 1 && chars.length > min) chars.splice(at, 1)
      else chars[at] = rng.pick(alphabet)
    }
    second = chars.join('')
  } else second = word(rng, rng.int(min, max), alphabet)
  return rng.bool(0.5) ? { first, second } : { first: second, second: first }
}

function reset (config) {
  const table = []
  for (let i = 0; i <= config.first.length; i++) {
    const row = []
    for (let j = 0; j <= config.second.length; j++) row.push(i === 0 ? j : j === 0 ? i : null)
    table.push(row)
  }
  return { first: config.first, second: config.second, table }
}

function observe (state) {
  let filled = 0
  for (let i = 1; i < state.table.length; i++) for (let j = 1; j < state.table[i].length; j++) if (state.table[i][j] !== null) filled++
  return { first_length: state.first.length, second_length: state.second.length, cells_filled: filled }
}

// The reference solution: Wagner–Fischer with two rows.
function answer (config) {
  const a = config.first
  const b = config.second
  let previous = [...Array(b.length + 1).keys()]
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row.push(a[i - 1] === b[j - 1] ? previous[j - 1] : 1 + Math.min(previous[j], row[j - 1], previous[j - 1]))
    }
    previous = row
  }
  return previous[b.length]
}

function checkInner (state, i, j) {
  if (i < 1 || i > state.first.length || j < 1 || j > state.second.length) {
    throw new RangeError(`cell (${i}, ${j}) cannot be computed: i must be 1 to ${state.first.length} and j 1 to ${state.second.length} (row 0 and column 0 are given)`)
  }
}

function cell (state, i, j) {
  const value = state.table[i][j]
  if (value === null) throw new Error(`cell (${i}, ${j}) has not been computed yet`)
  return value
}

const tools = {
  GetLengths (state) {
    return { first: state.first.length, second: state.second.length }
  },
  GetChar (state, { string, index }) {
    const text = string === 'first' ? state.first : state.second
    if (index < 0 || index >= text.length) throw new RangeError(`index ${index} is outside the ${string} string (length ${text.length})`)
    return text[index]
  },
  KeepMatch (state, { i, j }) {
    checkInner(state, i, j)
    if (state.first[i - 1] !== state.second[j - 1]) throw new Error(`character ${i - 1} of the first string and character ${j - 1} of the second string differ`)
    state.table[i][j] = cell(state, i - 1, j - 1)
    return state.table[i][j]
  },
  ApplyEdit (state, { i, j }) {
    checkInner(state, i, j)
    state.table[i][j] = 1 + Math.min(cell(state, i - 1, j), cell(state, i, j - 1), cell(state, i - 1, j - 1))
    return state.table[i][j]
  },
  GetCell (state, { i, j }) {
    if (i < 0 || i > state.first.length || j < 0 || j > state.second.length) {
      throw new RangeError(`cell (${i}, ${j}) is outside the table (i from 0 to ${state.first.length}, j from 0 to ${state.second.length})`)
    }
    return cell(state, i, j)
  },
}

module.exports = { generate, reset, observe, answer, tools }
