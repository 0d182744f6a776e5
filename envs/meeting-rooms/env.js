// Minimum number of meeting rooms: sort meetings by start and keep the end times of the rooms in use
// in a min-heap held in env state.

const sizes = { easy: [3, 8], medium: [9, 30], hard: [31, 60] }
const days = { easy: 24, medium: 600, hard: 100000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const day = days[difficulty]
  const shape = rng.int(0, 5)
  const meetings = []
  for (let i = 0; i < n; i++) {
    if (shape === 0) { // back to back: one room is enough
      const slot = Math.max(1, Math.floor(day / n))
      meetings.push([i * slot, (i + 1) * slot])
    } else if (shape === 1) { // all at the same time: one room each
      meetings.push([3, 3 + Math.max(1, Math.floor(day / 4))])
    } else if (shape === 2) { // nested around one long meeting
      const start = rng.int(1, Math.floor(day / 2))
      meetings.push(i === 0 ? [0, day] : [start, start + rng.int(1, Math.floor(day / 2))])
    } else {
      const start = rng.int(0, day - 1)
      meetings.push([start, Math.min(day, start + rng.int(1, Math.max(1, Math.floor(day / rng.pick([2, 4, 8])))))])
    }
  }
  return { meetings: rng.shuffle(meetings) }
}

function reset (config) {
  for (const [start, end] of config.meetings) {
    if (start >= end) throw new RangeError(`meeting [${start}, ${end}) must end after it starts`)
  }
  return { meetings: config.meetings, sorted: false, heap: [] }
}

function observe (state) {
  return { count: state.meetings.length, sorted: state.sorted, heap_size: state.heap.length }
}

// The reference solution: sweep over start and end events; at equal times ends come first.
function answer (config) {
  const events = []
  for (const [start, end] of config.meetings) events.push([start, 1], [end, -1])
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let inUse = 0
  let most = 0
  for (const [, change] of events) {
    inUse += change
    most = Math.max(most, inUse)
  }
  return most
}

function siftUp (heap, index) {
  while (index > 0) {
    const parent = (index - 1) >> 1
    if (heap[parent] <= heap[index]) break
    const tmp = heap[parent]; heap[parent] = heap[index]; heap[index] = tmp
    index = parent
  }
}

function siftDown (heap, index) {
  for (;;) {
    const left = 2 * index + 1
    const right = left + 1
    let smallest = index
    if (left < heap.length && heap[left] < heap[smallest]) smallest = left
    if (right < heap.length && heap[right] < heap[smallest]) smallest = right
    if (smallest === index) return
    const tmp = heap[smallest]; heap[smallest] = heap[index]; heap[index] = tmp
    index = smallest
  }
}

const tools = {
  GetCount (state) {
    return state.meetings.length
  },
  SortByStart (state) {
    state.meetings.sort((a, b) => a[0] - b[0] || a[1] - b[1])
    state.sorted = true
    return state.meetings.length
  },
  GetMeeting (state, { index }) {
    if (index < 0 || index >= state.meetings.length) {
      throw new RangeError(`index ${index} is outside the list (valid positions are 0..${state.meetings.length - 1})`)
    }
    return state.meetings[index]
  },
  HeapPush (state, { value }) {
    if (state.heap.length >= state.meetings.length) throw new Error(`the heap is full: it holds ${state.heap.length} values, as many as there are meetings`)
    state.heap.push(value)
    siftUp(state.heap, state.heap.length - 1)
    return state.heap.length
  },
  HeapPop (state) {
    const heap = state.heap
    if (heap.length === 0) throw new Error('the heap is empty')
    const smallest = heap[0]
    const last = heap.pop()
    if (heap.length > 0) {
      heap[0] = last
      siftDown(heap, 0)
    }
    return smallest
  },
  HeapTop (state) {
    return state.heap.length === 0 ? null : state.heap[0]
  },
  HeapSize (state) {
    return state.heap.length
  },
}

module.exports = { generate, reset, observe, answer, tools }
