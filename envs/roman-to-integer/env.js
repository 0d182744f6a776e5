// Roman numeral to integer, symbol by symbol. The env keeps the running total.

const symbols = { I: 1, V: 5, X: 10, L: 50, C: 100, D: 500, M: 1000 }
const ranges = { easy: [2, 99], medium: [100, 999], hard: [1000, 3999] }
// Edge cases: subtractive pairs everywhere, the longest numeral, the largest value.
const special = { easy: [4, 9, 14, 40, 49, 90, 94, 99, 88], medium: [400, 444, 900, 999, 888, 101, 490], hard: [3999, 3888, 1994, 2024, 1000, 1444, 3449] }

function toRoman (value) {
  const table = [[1000, 'M'], [900, 'CM'], [500, 'D'], [400, 'CD'], [100, 'C'], [90, 'XC'], [50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']]
  let out = ''
  for (const [amount, text] of table) {
    while (value >= amount) {
      out += text
      value -= amount
    }
  }
  return out
}

function generate (rng, difficulty) {
  const [min, max] = ranges[difficulty]
  for (;;) {
    const value = rng.int(0, 3) === 0 ? rng.pick(special[difficulty]) : rng.int(min, max)
    const numeral = toRoman(value)
    if (numeral.length >= 2) return { numeral } // a single symbol is too short a task
  }
}

function reset (config) {
  return { numeral: config.numeral, total: 0 }
}

function observe (state) {
  return { symbols: state.numeral.length, total: state.total }
}

// The reference solution: match the numeral against the standard table, largest values first.
function answer (config) {
  const table = [['CM', 900], ['CD', 400], ['XC', 90], ['XL', 40], ['IX', 9], ['IV', 4], ['M', 1000], ['D', 500], ['C', 100], ['L', 50], ['X', 10], ['V', 5], ['I', 1]]
  let total = 0
  let rest = config.numeral
  while (rest.length > 0) {
    const [text, amount] = table.find(([text]) => rest.startsWith(text))
    total += amount
    rest = rest.slice(text.length)
  }
  return total
}

const tools = {
  GetLength (state) {
    return state.numeral.length
  },
  GetSymbol (state, { index }) {
    if (index < 0 || index >= state.numeral.length) throw new RangeError(`index ${index} is outside the numeral (length ${state.numeral.length})`)
    return state.numeral[index]
  },
  SymbolValue (state, { symbol }) {
    if (!Object.hasOwn(symbols, symbol)) throw new Error(`${JSON.stringify(symbol)} is not a Roman symbol; the symbols are I V X L C D M`)
    return symbols[symbol]
  },
  IsSubtractive (state, { value, next_value: nextValue }) {
    return value < nextValue
  },
  AddToTotal (state, { amount }) {
    state.total += amount
    return state.total
  },
  SubtractFromTotal (state, { amount }) {
    state.total -= amount
    return state.total
  },
  GetTotal (state) {
    return state.total
  },
}

module.exports = { generate, reset, observe, answer, tools }
