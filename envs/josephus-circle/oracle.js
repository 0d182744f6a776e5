// Solves any task by calling tools only: move k-1 people from the front to the back (fewer when the
// circle is small: a full turn changes nothing), remove the front person, repeat until one is left.
module.exports = {
  * solve (start, { call }) {
    const step = yield * call('GetStep')
    let size = yield * call('QueueSize')
    while (size > 1) {
      const rotations = (step - 1) % size
      for (let i = 0; i < rotations; i++) yield * call('Rotate')
      yield * call('Dequeue')
      size--
    }
    const survivor = yield * call('Front')
    yield { name: 'Done', parameters: { answer: survivor } }
  },
}
