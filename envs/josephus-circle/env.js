// Josephus elimination with a circular queue kept in env state: the front of the queue is the person
// the count starts from.

const plans = { easy: { n: [5, 8], k: [2, 4] }, medium: { n: [7, 14], k: [1, 7] }, hard: { n: [15, 24], k: [5, 12] } }

function generate (rng, difficulty) {
  const plan = plans[difficulty]
  const n = rng.int(plan.n[0], plan.n[1])
  const step = rng.int(plan.k[0], plan.k[1])
  let labels
  if (rng.bool(0.25)) {
    labels = []
    for (let i = 1; i <= n; i++) labels.push(i) // people numbered 1..n around the circle
  } else {
    const pool = []
    for (let i = 1; i <= 999; i++) pool.push(i)
    labels = rng.shuffle(pool).slice(0, n) // badge numbers in no particular order
  }
  return { labels, step }
}

function reset (config) {
  return { queue: config.labels.slice(), step: config.step, removed: 0 }
}

function observe (state) {
  return { people: state.queue.length + state.removed, remaining: state.queue.length, removed: state.removed }
}

// The reference solution: walk an index around an array and cut out every k-th person.
function answer (config) {
  const circle = config.labels.slice()
  let index = 0
  while (circle.length > 1) {
    index = (index + config.step - 1) % circle.length
    circle.splice(index, 1)
    if (index === circle.length) index = 0
  }
  return circle[0]
}

const tools = {
  GetStep (state) {
    return state.step
  },
  QueueSize (state) {
    return state.queue.length
  },
  Front (state) {
    return state.queue[0]
  },
  Rotate (state) {
    const label = state.queue.shift()
    state.queue.push(label)
    return label
  },
  Dequeue (state) {
    if (state.queue.length === 1) throw new Error('only one person is left in the queue; the survivor cannot be removed')
    state.removed++
    return state.queue.shift()
  },
}

module.exports = { generate, reset, observe, answer, tools }
