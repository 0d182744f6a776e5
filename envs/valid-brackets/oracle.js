// Solves any task by calling tools only: the stack scan over the whole string, with the env's stack.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let balanced = true
    for (let index = 0; index < length; index++) {
      const char = yield * call('GetChar', { index })
      if (yield * call('IsOpening', { char })) {
        yield * call('Push', { char })
      } else if ((yield * call('StackSize')) === 0) {
        balanced = false
      } else {
        const open = yield * call('Pop')
        if (!(yield * call('Matches', { open, close: char }))) balanced = false
      }
    }
    if ((yield * call('StackSize')) !== 0) balanced = false
    yield { name: 'Done', parameters: { answer: balanced } }
  },
}
