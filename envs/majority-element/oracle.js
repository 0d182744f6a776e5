// Solves any task by calling tools only: Boyer-Moore voting with the env's candidate and count.
module.exports = {
  * solve (start, { call }) {
    const length = yield * call('GetLength')
    let candidate = null
    let votes = 0
    for (let index = 0; index < length; index++) {
      const value = yield * call('GetElement', { index })
      if (votes === 0) {
        ({ candidate, votes } = yield * call('SetCandidate', { value }))
      } else if (value === candidate) {
        votes = yield * call('AddVote')
      } else {
        votes = yield * call('RemoveVote')
      }
    }
    const result = yield * call('GetCandidate')
    yield { name: 'Done', parameters: { answer: result.candidate } }
  },
}
