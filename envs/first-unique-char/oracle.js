// Solves any task by calling tools only: a counting pass, then a scan for the first letter counted once.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    const chars = []
    for (let index = 0; index < length; index++) {
      chars.push(yield * call('GetChar', { index }))
      yield * call('IncrementCount', { char: chars[index] })
    }
    let answer = -1
    for (let index = 0; index < length; index++) {
      if ((yield * call('GetCount', { char: chars[index] })) === 1) {
        answer = index
        break
      }
    }
    yield { name: 'Done', parameters: { answer } }
  },
}
