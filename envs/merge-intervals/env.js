// Merge overlapping closed intervals: sort by start, then sweep, merging each interval into the last one.

const sizes = { easy: [4, 8], medium: [9, 30], hard: [31, 75] }
const spans = { easy: 30, medium: 500, hard: 100000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const span = spans[difficulty]
  const shape = rng.int(0, 5)
  const intervals = []
  for (let i = 0; i < n; i++) {
    let start, length
    if (shape === 0) { // all disjoint: nothing merges
      start = i * 3 * Math.ceil(span / n)
      length = rng.int(0, Math.ceil(span / n))
    } else if (shape === 1) { // chained end to start: everything merges through touching ends
      start = i * 4
      length = 4
    } else if (shape === 2) { // many identical and nested intervals
      start = rng.int(0, 3)
      length = rng.int(0, 6)
    } else {
      start = rng.int(0, span)
      length = rng.pick([0, rng.int(0, Math.ceil(span / n)), rng.int(0, Math.ceil(span / 4))])
    }
    intervals.push([start, Math.min(start + length, 1000000)])
  }
  return { intervals: rng.shuffle(intervals) }
}

function reset (config) {
  for (const [start, end] of config.intervals) {
    if (start > end) throw new RangeError(`interval [${start}, ${end}] ends before it starts`)
  }
  return { intervals: config.intervals, sorted: false }
}

function observe (state) {
  return { count: state.intervals.length, sorted: state.sorted }
}

// The reference solution: sort a copy, then extend the last merged interval or start a new one.
function answer (config) {
  const sorted = config.intervals.map((interval) => interval.slice()).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const merged = []
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1]
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end)
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
  SortByStart (state) {
    state.intervals.sort((a, b) => a[0] - b[0] || a[1] - b[1])
    state.sorted = true
    return state.intervals.length
  },
  Overlaps (state, { first, second }) {
    checkInterval('first', first)
    checkInterval('second', second)
    return first[0] <= second[1] && second[0] <= first[1]
  },
  MergePair (state, { first, second }) {
    checkInterval('first', first)
    checkInterval('second', second)
    if (!(first[0] <= second[1] && second[0] <= first[1])) {
      throw new Error(`[${first[0]}, ${first[1]}] and [${second[0]}, ${second[1]}] do not overlap, so they cannot be merged`)
    }
    return [Math.min(first[0], second[0]), Math.max(first[1], second[1])]
  },
}

module.exports = { generate, reset, observe, answer, tools }
