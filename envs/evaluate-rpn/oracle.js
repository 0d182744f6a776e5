// Solves any task by calling tools only: push numbers; for an operator pop two operands, apply, push.
module.exports = {
  * solve (start, { call }) {
    const count = yield * call('GetTokenCount')
    for (let index = 0; index < count; index++) {
      const token = yield * call('GetToken', { index })
      if (yield * call('IsOperator', { token })) {
        const right = yield * call('Pop')
        const left = yield * call('Pop')
        const value = yield * call('Apply', { operator: token, left, right })
        yield * call('Push', { value })
      } else {
        yield * call('Push', { value: Number(token) })
      }
    }
    const result = yield * call('Pop')
    yield { name: 'Done', parameters: { answer: result } }
  },
}
