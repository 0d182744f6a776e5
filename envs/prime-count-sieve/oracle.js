// Solves any task by calling tools only: sieve with every number not crossed out while its square
// is within the limit, then count the numbers left standing.
module.exports = {
  * solve (start, { call }) {
    yield * call('GetLimit')
    let count = 0
    let p = yield * call('NextNotCrossedOut', { after: 1 })
    while (!(yield * call('SquareExceedsLimit', { number: p }))) {
      yield * call('CrossOutMultiples', { factor: p })
      count++
      p = yield * call('NextNotCrossedOut', { after: p })
    }
    while (p !== -1) {
      count++
      p = yield * call('NextNotCrossedOut', { after: p })
    }
    yield { name: 'Done', parameters: { answer: count } }
  },
}
