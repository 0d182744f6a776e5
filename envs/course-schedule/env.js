// Course schedule: can every course be finished? Kahn's algorithm with the unmet-prerequisite counts and the ready queue in the state.

const sizes = { easy: [4, 6], medium: [8, 15], hard: [18, 30] }
const edgeCounts = { easy: [0, 6], medium: [5, 20], hard: [18, 45] }

// Kahn's algorithm: how many courses can be taken in some order.
function takeable (courses, prerequisites) {
  const remaining = Array(courses).fill(0)
  const dependents = []
  for (let i = 0; i < courses; i++) dependents.push([])
  for (const [course, before] of prerequisites) {
    remaining[course]++
    dependents[before].push(course)
  }
  const queue = []
  for (let i = 0; i < courses; i++) if (remaining[i] === 0) queue.push(i)
  let taken = 0
  while (queue.length > 0) {
    const c = queue.shift()
    taken++
    for (const d of dependents[c]) if (--remaining[d] === 0) queue.push(d)
  }
  return taken
}

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const [eMin, eMax] = edgeCounts[difficulty]
  for (;;) {
    const courses = rng.int(min, max)
    const order = rng.shuffle([...Array(courses).keys()])
    const shape = rng.int(0, 5)
    const prerequisites = []
    if (shape === 0) {
      for (let i = 1; i < courses; i++) prerequisites.push([order[i], order[i - 1]]) // one long chain
    } else {
      for (let k = rng.int(eMin, eMax); k > 0; k--) {
        const a = rng.int(0, courses - 2)
        const b = rng.int(a + 1, courses - 1)
        prerequisites.push([order[b], order[a]]) // an earlier course in the order comes first: no cycle
      }
    }
    if (shape >= 3 && prerequisites.length > 0) {
      // Close a cycle: make a course that something depends on wait for one of its own dependents (or itself).
      const [course, before] = rng.pick(prerequisites)
      prerequisites.push(rng.bool(0.2) ? [before, before] : [before, course])
    }
    if (shape === 2 && prerequisites.length > 0) prerequisites.push(rng.pick(prerequisites).slice()) // a duplicate pair
    if (prerequisites.length > 60) continue
    if (takeable(courses, prerequisites) < 2) continue // too short an episode
    return { courses, prerequisites: rng.shuffle(prerequisites) }
  }
}

function reset (config) {
  const remaining = Array(config.courses).fill(0)
  const dependents = []
  for (let i = 0; i < config.courses; i++) dependents.push([])
  for (const [course, before] of config.prerequisites) {
    if (course >= config.courses || before >= config.courses) throw new Error(`prerequisite pair [${course}, ${before}] names a course outside 0..${config.courses - 1}`)
    remaining[course]++
    dependents[before].push(course)
  }
  for (const list of dependents) list.sort((a, b) => a - b)
  return { courses: config.courses, dependents, remaining, queued: Array(config.courses).fill(false), queue: [], taken: 0 }
}

function observe (state) {
  return { courses: state.courses, queue_size: state.queue.length, courses_taken: state.taken }
}

// The reference solution: every course can be finished when Kahn's algorithm takes all of them.
function answer (config) {
  return takeable(config.courses, config.prerequisites) === config.courses
}

function checkCourse (state, course) {
  if (course < 0 || course >= state.courses) throw new RangeError(`course ${course} does not exist (courses are numbered 0 to ${state.courses - 1})`)
}

const tools = {
  GetCourseCount (state) {
    return state.courses
  },
  GetUnmetCount (state, { course }) {
    checkCourse(state, course)
    return state.remaining[course]
  },
  GetDependents (state, { course }) {
    checkCourse(state, course)
    return state.dependents[course]
  },
  ReleaseOne (state, { course }) {
    checkCourse(state, course)
    if (state.remaining[course] === 0) throw new Error(`course ${course} has no unmet prerequisites left`)
    state.remaining[course]--
    return state.remaining[course]
  },
  Enqueue (state, { course }) {
    checkCourse(state, course)
    if (state.remaining[course] !== 0) throw new Error(`course ${course} still has ${state.remaining[course]} unmet prerequisites`)
    if (state.queued[course]) throw new Error(`course ${course} was already put in the queue`)
    state.queued[course] = true
    state.queue.push(course)
    return state.queue.length
  },
  Dequeue (state) {
    if (state.queue.length === 0) throw new Error('the queue is empty')
    state.taken++
    return state.queue.shift()
  },
  QueueSize (state) {
    return state.queue.length
  },
  CountTaken (state) {
    return state.taken
  },
}

module.exports = { generate, reset, observe, answer, tools }
