// Solves any task by calling tools only: fill the table from 1 up to the amount, trying every coin for every entry.
module.exports = {
  * solve (start, { call }) {
    const amount = yield * call('GetAmount')
    const count = yield * call('GetCoinCount')
    const coins = []
    for (let index = 0; index < count; index++) coins.push(yield * call('GetCoin', { index }))
    for (let sub = 1; sub <= amount; sub++) {
      let best = -1
      for (const coin of coins) {
        const candidate = yield * call('TryCoin', { sub_amount: sub, coin })
        if (candidate !== -1 && (best === -1 || candidate < best)) best = candidate
      }
      yield * call('Store', { sub_amount: sub, count: best })
    }
    const answer = yield * call('GetStored', { sub_amount: amount })
    yield { name: 'Done', parameters: { answer } }
  },
}
