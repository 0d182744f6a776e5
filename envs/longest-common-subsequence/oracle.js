// Solves any task by calling tools only: read both strings, then fill the table row by row, one tool call per cell.
module.exports = {
  * solve (start, { call }) {
    const lengths = yield * call('GetLengths')
    const first = []
    const second = []
    for (let index = 0; index < lengths.first; index++) first.push(yield * call('GetChar', { string: 'first', index }))
    for (let index = 0; index < lengths.second; index++) second.push(yield * call('GetChar', { string: 'second', index }))
    for (let i = 1; i <= lengths.first; i++) {
      for (let j = 1; j <= lengths.second; j++) {
        yield * call(first[i - 1] === second[j - 1] ? 'ExtendMatch' : 'TakeBest', { i, j })
      }
    }
    const answer = yield * call('GetCell', { i: lengths.first, j: lengths.second })
    yield { name: 'Done', parameters: { answer } }
  },
}
