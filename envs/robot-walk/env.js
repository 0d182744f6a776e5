// A robot on an infinite grid with obstacles executes hidden commands; the env keeps its position and heading.

const headings = ['north', 'east', 'south', 'west']
const moves = [[0, 1], [1, 0], [0, -1], [-1, 0]]
const plans = { easy: { commands: [4, 6], longest: 3, obstacles: [1, 3] }, medium: { commands: [7, 14], longest: 5, obstacles: [2, 6] }, hard: { commands: [15, 30], longest: 9, obstacles: [3, 12] } }

const key = (x, y) => `${x},${y}`

// Runs the commands; calls counts the tool calls the step-by-step solver makes on the way.
function simulate (commands, obstacles) {
  const blocked = new Set(obstacles.map(([x, y]) => key(x, y)))
  let x = 0
  let y = 0
  let heading = 0
  let calls = 3 // command count, final position, Done
  const visited = []
  for (const command of commands) {
    calls++
    if (command === 'L' || command === 'R') {
      heading = (heading + (command === 'R' ? 1 : 3)) % 4
      calls++
      continue
    }
    for (let step = 0; step < Number(command.slice(1)); step++) {
      calls++
      const nx = x + moves[heading][0]
      const ny = y + moves[heading][1]
      if (blocked.has(key(nx, ny))) break
      calls++
      x = nx
      y = ny
      visited.push([x, y])
    }
  }
  return { x, y, heading, calls, visited }
}

function generate (rng, difficulty) {
  const plan = plans[difficulty]
  const commands = []
  const count = rng.int(plan.commands[0], plan.commands[1])
  const turnChance = rng.pick([0.2, 0.4])
  for (let i = 0; i < count; i++) {
    if (i > 0 && rng.bool(turnChance)) commands.push(rng.pick(['L', 'R']))
    else commands.push(`F${rng.int(1, plan.longest)}`)
  }
  const free = simulate(commands, [])
  const obstacles = []
  const taken = new Set([key(0, 0)])
  const wanted = rng.int(plan.obstacles[0], plan.obstacles[1])
  for (let tries = 0; obstacles.length < wanted && tries < 100; tries++) {
    // Mostly on the robot's free path, so that the robot really bumps into them.
    const [x, y] = free.visited.length > 0 && rng.bool(0.7) ? rng.pick(free.visited) : [rng.int(-6, 6), rng.int(-6, 6)]
    if (taken.has(key(x, y))) continue
    taken.add(key(x, y))
    obstacles.push([x, y])
  }
  while (commands.length > 1 && simulate(commands, obstacles).calls > 250) commands.pop()
  return { commands, obstacles }
}

function reset (config) {
  for (const [x, y] of config.obstacles) {
    if (x === 0 && y === 0) throw new RangeError('the starting cell (0, 0) cannot hold an obstacle')
  }
  return { commands: config.commands, obstacles: config.obstacles, x: 0, y: 0, heading: 0 }
}

function observe (state) {
  return { command_count: state.commands.length, obstacle_count: state.obstacles.length }
}

// The reference solution: run the commands on the grid.
function answer (config) {
  const { x, y } = simulate(config.commands, config.obstacles)
  return [x, y]
}

function ahead (state) {
  const [dx, dy] = moves[state.heading]
  const x = state.x + dx
  const y = state.y + dy
  return { x, y, blocked: state.obstacles.some((cell) => cell[0] === x && cell[1] === y) }
}

const tools = {
  GetCommandCount (state) {
    return state.commands.length
  },
  GetCommand (state, { index }) {
    if (index < 0 || index >= state.commands.length) {
      throw new RangeError(`index ${index} is outside the command list (valid positions are 0..${state.commands.length - 1})`)
    }
    return state.commands[index]
  },
  Turn (state, { direction }) {
    if (direction !== 'left' && direction !== 'right') throw new Error(`direction must be "left" or "right", not ${JSON.stringify(direction)}`)
    state.heading = (state.heading + (direction === 'right' ? 1 : 3)) % 4
    return headings[state.heading]
  },
  LookAhead (state) {
    const cell = ahead(state)
    return { cell: [cell.x, cell.y], blocked: cell.blocked }
  },
  StepForward (state) {
    const cell = ahead(state)
    if (cell.blocked) throw new Error(`the cell ahead (${cell.x}, ${cell.y}) holds an obstacle; the robot cannot move into it`)
    state.x = cell.x
    state.y = cell.y
    return [state.x, state.y]
  },
  GetPosition (state) {
    return [state.x, state.y]
  },
  GetHeading (state) {
    return headings[state.heading]
  },
}

module.exports = { generate, reset, observe, answer, tools }
