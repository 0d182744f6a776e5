// Solves any task by calling tools only: Kahn's algorithm with the env's counts and queue.
module.exports = {
  * solve (start, { call }) {
    const courses = yield * call('GetCourseCount')
    let queued = 0
    for (let course = 0; course < courses; course++) {
      if ((yield * call('GetUnmetCount', { course })) === 0) {
        yield * call('Enqueue', { course })
        queued++
      }
    }
    let taken = 0
    while (queued > 0) {
      const course = yield * call('Dequeue')
      queued--
      taken++
      for (const next of yield * call('GetDependents', { course })) {
        if ((yield * call('ReleaseOne', { course: next })) === 0) {
          yield * call('Enqueue', { course: next })
          queued++
        }
      }
    }
    yield { name: 'Done', parameters: { answer: taken === courses } }
  },
}
