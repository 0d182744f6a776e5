// Solves any task by calling tools only: g = gcd(g, x) for every number x, starting from g = 0,
// each gcd by Euclid steps on the env's pair register.
module.exports = {
  * solve (start, { call }) {
    const count = yield * call('GetCount')
    let g = 0
    for (let index = 0; index < count; index++) {
      const x = yield * call('GetNumber', { index })
      let pair = yield * call('LoadPair', { a: g, b: x })
      while (pair.b !== 0) pair = yield * call('EuclidStep')
      g = pair.a
    }
    yield { name: 'Done', parameters: { answer: g } }
  },
}
