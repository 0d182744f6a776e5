// Coin change: the fewest coins that make an amount. A bottom-up table of the fewest coins for every smaller amount lives in the state.

const amounts = { easy: [4, 10], medium: [11, 24], hard: [25, 45] }
const coinCounts = { easy: [1, 3], medium: [2, 4], hard: [2, 4] }

function generate (rng, difficulty) {
  const [aMin, aMax] = amounts[difficulty]
  const [kMin, kMax] = coinCounts[difficulty]
  const amount = rng.int(aMin, aMax)
  const k = rng.int(kMin, kMax)
  const shape = rng.int(0, 5)
  const coins = []
  for (let i = 0; i < k; i++) {
    if (shape === 0) coins.push(2 * rng.int(1, Math.max(1, amount >> 2))) // even coins only: odd amounts cannot be made
    else if (shape === 1 && i === 0) coins.push(1) // a 1 coin: every amount can be made
    else if (shape === 2 && i === 0) coins.push(amount) // one coin is exactly the amount
    else if (shape === 3 && i === 0) coins.push(amount + rng.int(1, 5)) // a coin too large to use
    else coins.push(rng.int(2, Math.max(3, Math.ceil(amount / 2))))
  }
  if (shape === 4 && k > 1) coins[k - 1] = coins[0] // a duplicate coin
  return { coins: rng.shuffle(coins), amount }
}

function reset (config) {
  const table = Array(config.amount + 1).fill(null)
  table[0] = 0
  return { coins: config.coins, amount: config.amount, table }
}

function observe (state) {
  return { amount: state.amount, coin_kinds: state.coins.length, amounts_stored: state.table.filter((v) => v !== null).length - 1 }
}

// The reference solution: the textbook bottom-up table.
function answer (config) {
  const best = [0]
  for (let a = 1; a <= config.amount; a++) {
    best.push(Infinity)
    for (const coin of config.coins) if (coin <= a && best[a - coin] + 1 < best[a]) best[a] = best[a - coin] + 1
  }
  return best[config.amount] === Infinity ? -1 : best[config.amount]
}

function checkAmount (state, value, name) {
  if (value < 0 || value > state.amount) throw new RangeError(`${name} ${value} is outside the table (0 to ${state.amount})`)
}

const tools = {
  GetAmount (state) {
    return state.amount
  },
  GetCoinCount (state) {
    return state.coins.length
  },
  GetCoin (state, { index }) {
    if (index < 0 || index >= state.coins.length) throw new RangeError(`coin ${index} does not exist (coins are numbered 0 to ${state.coins.length - 1})`)
    return state.coins[index]
  },
  TryCoin (state, { sub_amount: sub, coin }) {
    checkAmount(state, sub, 'sub_amount')
    if (coin > sub) return -1
    const rest = state.table[sub - coin]
    if (rest === null) throw new Error(`the fewest coins for ${sub - coin} has not been stored yet`)
    return rest === -1 ? -1 : rest + 1
  },
  Store (state, { sub_amount: sub, count }) {
    checkAmount(state, sub, 'sub_amount')
    if (sub === 0) throw new Error('the entry for 0 is fixed: 0 coins')
    state.table[sub] = count
    return count
  },
  GetStored (state, { sub_amount: sub }) {
    checkAmount(state, sub, 'sub_amount')
    if (state.table[sub] === null) throw new Error(`nothing has been stored for ${sub} yet`)
    return state.table[sub]
  },
}

module.exports = { generate, reset, observe, answer, tools }
