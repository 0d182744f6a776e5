// k-th largest element with a min-heap kept in env state (a binary heap stored as an array).

const sizes = { easy: [4, 10], medium: [11, 35], hard: [36, 60] }
const ranges = { easy: 20, medium: 1000, hard: 1000000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const bound = ranges[difficulty]
  const shape = rng.int(0, 6)
  let values = []
  for (let i = 0; i < n; i++) values.push(shape === 3 ? rng.int(-2, 2) : rng.int(-bound, bound))
  if (shape === 0) values.sort((a, b) => a - b) // increasing: every element enters the heap
  else if (shape === 1) values.sort((a, b) => b - a)
  else if (shape === 2) values = values.map(() => values[0]) // all equal
  const which = rng.int(0, 4)
  const k = which === 0 ? 1 : which === 1 ? n : rng.int(1, n)
  return { values, k }
}

function reset (config) {
  if (config.k > config.values.length) throw new RangeError(`k (${config.k}) must be at most the array length (${config.values.length})`)
  return { values: config.values, k: config.k, heap: [] }
}

function observe (state) {
  return { length: state.values.length, k: state.k, heap_size: state.heap.length }
}

// The reference solution: sort in decreasing order and take position k - 1.
function answer (config) {
  return config.values.slice().sort((a, b) => b - a)[config.k - 1]
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
  GetLength (state) {
    return state.values.length
  },
  GetK (state) {
    return state.k
  },
  GetElement (state, { index }) {
    if (index < 0 || index >= state.values.length) {
      throw new RangeError(`index ${index} is outside the array (valid positions are 0..${state.values.length - 1})`)
    }
    return state.values[index]
  },
  HeapPush (state, { value }) {
    if (state.heap.length >= state.values.length) throw new Error(`the heap is full: it holds ${state.heap.length} values, as many as the array has elements`)
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
    if (state.heap.length === 0) throw new Error('the heap is empty')
    return state.heap[0]
  },
  HeapSize (state) {
    return state.heap.length
  },
}

module.exports = { generate, reset, observe, answer, tools }
