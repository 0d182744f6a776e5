// Solves any task by calling tools only: the two-pointer merge, appending to the env's merged list.
module.exports = {
  * solve (start, { call }) {
    const lengthA = yield * call('GetLength', { list: 'a' })
    const lengthB = yield * call('GetLength', { list: 'b' })
    let i = 0
    let j = 0
    let headA = lengthA > 0 ? yield * call('GetElement', { list: 'a', index: 0 }) : null
    let headB = lengthB > 0 ? yield * call('GetElement', { list: 'b', index: 0 }) : null
    while (i < lengthA || j < lengthB) {
      let takeA
      if (i >= lengthA) takeA = false
      else if (j >= lengthB) takeA = true
      else takeA = (yield * call('Compare', { x: headA, y: headB })) <= 0
      if (takeA) {
        yield * call('Append', { value: headA })
        i++
        if (i < lengthA) headA = yield * call('GetElement', { list: 'a', index: i })
      } else {
        yield * call('Append', { value: headB })
        j++
        if (j < lengthB) headB = yield * call('GetElement', { list: 'b', index: j })
      }
    }
    const merged = yield * call('GetMerged')
    yield { name: 'Done', parameters: { answer: merged } }
  },
}
