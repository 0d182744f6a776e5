// Insert a new closed interval into a sorted list of disjoint closed intervals, merging where needed.

const sizes = { easy: [5, 8], medium: [9, 30], hard: [31, 60] }
const gaps = { easy: 4, medium: 40, hard: 5000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const gap = gaps[difficulty]
  const intervals = []
  let position = rng.int(5, 5 + gap)
  for (let i = 0; i < n; i++) {
    const start = position
    const end = start + rng.pick([0, rng.int(0, gap)])
    intervals.push([start, end])
    position = end + rng.int(2, gap + 2)
  }
  const first = intervals[0][0]
  const last = intervals[n - 1][1]
  const a = rng.int(0, n - 1)
  const b = rng.int(a, Math.min(n - 1, a + rng.int(0, 6)))
  let added
  switch (rng.int(0, 7)) {
    case 0: added = [rng.int(0, first - 2), first - 1]; if (added[0] > added[1]) added[0] = added[1]; break // before every interval
    case 1: added = [last + 1, last + rng.int(1, gap)]; break // after every interval
    case 2: added = [Math.max(0, first - 1), last + 1]; break // covers every interval
    case 3: { // touches the end of one interval and the start of a later one
      const lo = Math.min(a, n - 2)
      added = [intervals[lo][1], intervals[Math.max(b, lo + 1)][0]]
      break
    }
    case 4: { // inside one interval
      const s = rng.int(intervals[a][0], intervals[a][1])
      added = [s, rng.int(s, intervals[a][1])]
      break
    }
    case 5: { // in a gap, touching nothing
      const lo = intervals[a][1] + 1
      const hi = a + 1 < n ? intervals[a + 1][0] - 1 : lo + gap
      const s = rng.int(lo, hi)
      added = [s, rng.int(s, hi)]
      break
    }
    default: { // from inside or before one interval to inside or after another
      const s = rng.int(intervals[a][0] - 1, intervals[a][1] + 1)
      const e = rng.int(intervals[b][0] - 1, intervals[b][1] + 1)
      added = [Math.max(0, Math.min(s, e)), Math.max(s, e)]
    }
  }
  return { intervals, new_interval: added }
}

function reset (config) {
  const { intervals, new_interval: added } = config
  if (added[0] > added[1]) throw new RangeError(`the new interval [${added[0]}, ${added[1]}] ends before it starts`)
  for (let i = 0; i < intervals.length; i++) {
    if (intervals[i][0] > intervals[i][1]) throw new RangeError(`interval ${i} ends before it starts`)
    if (i > 0 && intervals[i][0] <= intervals[i - 1][1]) throw new RangeError(`interval ${i} must start after interval ${i - 1} ends`)
  }
  return { intervals, new_interval: added }
}

function observe (state) {
  return { count: state.intervals.length }
}

// The reference solution: put the new interval in the list, sort by start, and merge the whole list.
function answer (config) {
  const all = config.intervals.concat([config.new_interval]).map((interval) => interval.slice())
  all.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  const merged = []
  for (const [start, end] of all) {
    const top = merged[merged.length - 1]
    if (top !== undefined && start <= top[1]) top[1] = Math.max(top[1], end)
    else merged.push([start, end])
  }
  return merged
}

function checkInterval (name, interval) {
  if (interval[0] > interval[1]) throw new RangeError(`${name} [${interval[0]}, ${interval[1]}] ends before it starts`)
}


const tools = {
  GetCount (state) {
    return state.intervals.length
  },
  GetInterval (state, { index }) {
    if (index < 0 || index >= state.intervals.length) {
      throw new RangeError(`index ${index} is outside the list (valid positions are 0..${state.intervals.length - 1})`)
    }
    return state.intervals[index]
  },
  GetNewInterval (state) {
    return state.new_interval
  },
  EndsBefore (state, { first, second }) {
    checkInterval('first', first)
    checkInterval('second', second)
    return first[1] < second[0]
  },
  MergePair (state, { first, second }) {
    checkInterval('first', first)
    checkInterval('second', second)
    if (!(first[0] <= second[1] && second[0] <= first[1])) {
      throw new Error(`[${first[0]}, ${first[1]}] and [${second[0]}, ${second[1]}] share no point, so they cannot be merged`)
    }
    return [Math.min(first[0], second[0]), Math.max(first[1], second[1])]
  },
}

module.exports = { generate, reset, observe, answer, tools }
