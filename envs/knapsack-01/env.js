// 0/1 knapsack: the best total value within a weight capacity. The table best(first k items, capacity c) lives in the state.

const itemCounts = { easy: [2, 3], medium: [4, 5], hard: [5, 7] }
const capacities = { easy: [3, 6], medium: [8, 15], hard: [20, 29] }

function generate (rng, difficulty) {
  const [nMin, nMax] = itemCounts[difficulty]
  const [cMin, cMax] = capacities[difficulty]
  const n = rng.int(nMin, nMax)
  const capacity = rng.int(cMin, cMax)
  const shape = rng.int(0, 5)
  const items = []
  for (let i = 0; i < n; i++) {
    let weight = rng.int(1, capacity)
    if (shape === 0) weight = rng.int(capacity + 1, capacity + 10) // nothing fits
    else if (shape === 1) weight = rng.int(1, Math.max(1, Math.floor(capacity / n))) // everything fits
    items.push([weight, rng.int(1, difficulty === 'hard' ? 100 : 20)])
  }
  if (shape === 2) items[n - 1] = items[0].slice() // a duplicate item
  if (shape === 3) items[0][0] = capacity // an item that fills the knapsack exactly
  return { items, capacity }
}

function reset (config) {
  const table = []
  for (let k = 0; k <= config.items.length; k++) table.push(Array(config.capacity + 1).fill(k === 0 ? 0 : null))
  return { items: config.items, capacity: config.capacity, table }
}

function observe (state) {
  let filled = 0
  for (let k = 1; k < state.table.length; k++) for (const v of state.table[k]) if (v !== null) filled++
  return { items: state.items.length, capacity: state.capacity, cells_filled: filled }
}

// The reference solution: the one-row table, capacities scanned downwards.
function answer (config) {
  const best = Array(config.capacity + 1).fill(0)
  for (const [weight, value] of config.items) {
    for (let c = config.capacity; c >= weight; c--) best[c] = Math.max(best[c], best[c - weight] + value)
  }
  return best[config.capacity]
}

function checkCell (state, k, c, from) {
  if (k < from || k > state.items.length || c < 0 || c > state.capacity) {
    throw new RangeError(`cell (${k}, ${c}) is outside the range: items_used must be ${from} to ${state.items.length} and capacity 0 to ${state.capacity}`)
  }
}

function cell (state, k, c) {
  const value = state.table[k][c]
  if (value === null) throw new Error(`cell (${k}, ${c}) has not been computed yet`)
  return value
}

const tools = {
  GetItemCount (state) {
    return state.items.length
  },
  GetCapacity (state) {
    return state.capacity
  },
  GetItem (state, { index }) {
    if (index < 0 || index >= state.items.length) throw new RangeError(`item ${index} does not exist (items are numbered 0 to ${state.items.length - 1})`)
    const [weight, value] = state.items[index]
    return { weight, value }
  },
  SkipItem (state, { items_used: k, capacity: c }) {
    checkCell(state, k, c, 1)
    state.table[k][c] = cell(state, k - 1, c)
    return state.table[k][c]
  },
  TakeItem (state, { items_used: k, capacity: c }) {
    checkCell(state, k, c, 1)
    const [weight, value] = state.items[k - 1]
    if (weight > c) throw new Error(`item ${k - 1} weighs ${weight}, more than capacity ${c}`)
    state.table[k][c] = Math.max(cell(state, k - 1, c), cell(state, k - 1, c - weight) + value)
    return state.table[k][c]
  },
  GetBest (state, { items_used: k, capacity: c }) {
    checkCell(state, k, c, 0)
    return cell(state, k, c)
  },
}

module.exports = { generate, reset, observe, answer, tools }
