// Solves any task by calling tools only: left-to-right square-and-multiply over the exponent's bits.
module.exports = {
  * solve (start, { call }) {
    const base = yield * call('GetBase')
    const length = yield * call('GetBitLength')
    let result = 1
    for (let position = length - 1; position >= 0; position--) {
      const bit = yield * call('GetBit', { position })
      result = yield * call('SquareMod', { value: result })
      if (bit === 1) result = yield * call('MultiplyMod', { left: result, right: base })
    }
    yield { name: 'Done', parameters: { answer: result } }
  },
}
