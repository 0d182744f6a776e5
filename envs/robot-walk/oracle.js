// Solves any task by calling tools only: execute each command; a forward move goes one cell at a time
// and stops for the rest of the command at the first obstacle ahead.
module.exports = {
  * solve (start, { call }) {
    const count = yield * call('GetCommandCount')
    for (let index = 0; index < count; index++) {
      const command = yield * call('GetCommand', { index })
      if (command === 'L' || command === 'R') {
        yield * call('Turn', { direction: command === 'L' ? 'left' : 'right' })
        continue
      }
      const steps = Number(command.slice(1))
      for (let step = 0; step < steps; step++) {
        const { blocked } = yield * call('LookAhead')
        if (blocked) break
        yield * call('StepForward')
      }
    }
    const position = yield * call('GetPosition')
    yield { name: 'Done', parameters: { answer: position } }
  },
}
