// Count inversions with merge sort. The env keeps a working copy of the array and one merge in
// progress; MergeStep is the body of the merge loop and reports the inversions it crosses.

const sizes = { easy: [4, 8], medium: [9, 16], hard: [17, 32] }
const ranges = { easy: 10, medium: 100, hard: 1000000 }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const bound = ranges[difficulty]
  const shape = rng.int(0, 6)
  const values = []
  for (let i = 0; i < n; i++) {
    if (shape === 3) values.push(rng.int(0, 2)) // many duplicates
    else values.push(rng.int(-bound, bound))
  }
  if (shape === 0) values.sort((a, b) => a - b) // already sorted: no inversions
  else if (shape === 1) values.sort((a, b) => b - a) // reversed: the most inversions
  else if (shape === 2) values.fill(values[0]) // all equal: equal elements are not inversions
  return { values }
}

function reset (config) {
  return { work: config.values.slice(), merge: null }
}

function observe (state) {
  const merge = state.merge
  return {
    length: state.work.length,
    merge_in_progress: merge !== null,
    ...(merge !== null ? { merge_range: [merge.start, merge.mid, merge.end], merged_so_far: merge.out.length } : {}),
  }
}

// The reference solution: count the pairs directly.
function answer (config) {
  const values = config.values
  let count = 0
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) if (values[i] > values[j]) count++
  }
  return count
}

function activeMerge (state) {
  if (state.merge === null) throw new Error('no merge is in progress; start one with StartMerge')
  return state.merge
}

const tools = {
  GetLength (state) {
    return state.work.length
  },
  GetElement (state, { index }) {
    if (index < 0 || index >= state.work.length) {
      throw new RangeError(`index ${index} is outside the array (valid positions are 0..${state.work.length - 1})`)
    }
    return state.work[index]
  },
  StartMerge (state, { start, mid, end }) {
    if (state.merge !== null) throw new Error(`a merge of [${state.merge.start}, ${state.merge.mid}) and [${state.merge.mid}, ${state.merge.end}) is in progress; finish it with FinishMerge first`)
    const n = state.work.length
    if (!(start < mid && mid < end && end <= n)) {
      throw new RangeError(`need start < mid < end <= ${n}, got start ${start}, mid ${mid}, end ${end}`)
    }
    state.merge = { start, mid, end, i: start, j: mid, out: [] }
    return { left_size: mid - start, right_size: end - mid }
  },
  MergeStep (state) {
    const merge = activeMerge(state)
    if (merge.i >= merge.mid || merge.j >= merge.end) {
      throw new Error(`the ${merge.i >= merge.mid ? 'left' : 'right'} run is exhausted; call FinishMerge to copy the rest`)
    }
    const left = state.work[merge.i]
    const right = state.work[merge.j]
    if (left <= right) {
      merge.out.push(left)
      merge.i++
      return { taken: 'left', value: left, inversions: 0 }
    }
    merge.out.push(right)
    merge.j++
    return { taken: 'right', value: right, inversions: merge.mid - merge.i }
  },
  FinishMerge (state) {
    const merge = activeMerge(state)
    const rest = state.work.slice(merge.i, merge.mid).concat(state.work.slice(merge.j, merge.end))
    const merged = merge.out.concat(rest)
    for (let k = 0; k < merged.length; k++) state.work[merge.start + k] = merged[k]
    state.merge = null
    return { merged_length: merged.length, copied_without_comparison: rest.length }
  },
}

module.exports = { generate, reset, observe, answer, tools }
