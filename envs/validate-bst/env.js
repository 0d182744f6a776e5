// Is a hidden binary tree a valid binary search tree? Nodes are revealed by child and value queries; bounds are checked per node.

const sizes = { easy: [3, 7], medium: [12, 25], hard: [30, 50] }
const ranges = { easy: 20, medium: 100, hard: 1000000 }

// A random binary-tree shape over positions 0..n-1 with root 0, as child arrays (-1: no child).
function shapeTree (rng, n, kind) {
  const left = Array(n).fill(-1)
  const right = Array(n).fill(-1)
  for (let i = 1; i < n; i++) {
    if (kind === 'complete') {
      if (i % 2 === 1) left[(i - 1) >> 1] = i
      else right[(i - 1) >> 1] = i
    } else if (kind === 'chain') {
      if (rng.bool(0.5)) left[i - 1] = i
      else right[i - 1] = i
    } else {
      const free = []
      for (let j = 0; j < i; j++) {
        if (left[j] === -1) free.push([j, 'l'])
        if (right[j] === -1) free.push([j, 'r'])
      }
      const [j, side] = rng.pick(free)
      if (side === 'l') left[j] = i
      else right[j] = i
    }
  }
  return { left, right }
}

// The tree of a config as a map from node id to its entry, after checking that it is one binary tree.
function readTree (config) {
  const byId = {}
  for (const node of config.nodes) {
    if (Object.hasOwn(byId, node.id)) throw new Error(`node id ${node.id} is used twice`)
    byId[node.id] = node
  }
  const seen = {}
  if (!Object.hasOwn(byId, config.root)) throw new Error(`root ${config.root} is not a node`)
  const stack = [config.root]
  seen[config.root] = true
  let count = 0
  while (stack.length > 0) {
    const node = byId[stack.pop()]
    count++
    for (const child of [node.left, node.right]) {
      if (child === -1) continue
      if (!Object.hasOwn(byId, child)) throw new Error(`node ${node.id} has a child ${child} that is not a node`)
      if (seen[child]) throw new Error(`node ${child} is reached twice: the nodes do not form a tree`)
      seen[child] = true
      stack.push(child)
    }
  }
  if (count !== config.nodes.length) throw new Error('some nodes cannot be reached from the root')
  return byId
}

function checkNode (state, node) {
  if (!Object.hasOwn(state.tree, String(node))) throw new RangeError(`there is no node with id ${node}`)
  return state.tree[node]
}

function inorder (left, right, root) {
  const order = []
  const walk = (i) => {
    if (i === -1) return
    walk(left[i])
    order.push(i)
    walk(right[i])
  }
  walk(root)
  return order
}

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const bound = ranges[difficulty]
  const kind = rng.pick(['random', 'random', 'random', 'complete', 'chain'])
  const { left, right } = shapeTree(rng, n, kind)
  // Distinct sorted values placed in order: a valid search tree, possibly using the extremes of the range.
  const pool = new Set()
  if (rng.bool(0.3)) { pool.add(-bound); pool.add(bound) }
  while (pool.size < n) pool.add(rng.int(-bound, bound))
  const sorted = [...pool].sort((a, b) => a - b).slice(0, n)
  const values = Array(n)
  inorder(left, right, 0).forEach((i, k) => { values[i] = sorted[k] })
  const order = inorder(left, right, 0)
  const mistake = rng.int(0, 5)
  if (mistake === 1) { // two values swapped
    const a = rng.int(0, n - 1)
    const b = (a + rng.int(1, n - 1)) % n
    const t = values[a]; values[a] = values[b]; values[b] = t
  } else if (mistake === 2) { // a value repeated by its in-order neighbour
    const k = rng.int(0, n - 2)
    values[order[k + 1]] = values[order[k]]
  } else if (mistake === 3) { // a node that respects its parent but not an older ancestor
    const parent = Array(n).fill(-1)
    for (let i = 0; i < n; i++) {
      if (left[i] !== -1) parent[left[i]] = i
      if (right[i] !== -1) parent[right[i]] = i
    }
    const deep = []
    for (let i = 0; i < n; i++) {
      const p = parent[i]
      if (p === -1 || parent[p] === -1) continue
      // Walk up for the nearest ancestor on the other side of the parent.
      let child = p
      let up = parent[p]
      const fromLeft = left[p] === i
      while (up !== -1 && (left[up] === child) === fromLeft) { child = up; up = parent[up] }
      if (up !== -1) deep.push([i, up, fromLeft])
    }
    if (deep.length > 0) {
      const [i, ancestor, fromLeft] = rng.pick(deep)
      // A left child must stay below its parent but here drops below the ancestor's value (and the mirror case).
      values[i] = fromLeft ? values[ancestor] - rng.int(0, 2) : values[ancestor] + rng.int(0, 2)
      values[i] = Math.max(-bound, Math.min(bound, values[i]))
    }
  }
  const ids = rng.shuffle([...Array(99).keys()].map((i) => i + 1)).slice(0, n)
  const nodes = []
  for (let i = 0; i < n; i++) {
    nodes.push({ id: ids[i], value: values[i], left: left[i] === -1 ? -1 : ids[left[i]], right: right[i] === -1 ? -1 : ids[right[i]] })
  }
  return { root: ids[0], nodes: rng.shuffle(nodes) }
}

function reset (config) {
  const byId = readTree(config)
  const tree = {}
  for (const id of Object.keys(byId)) tree[id] = { value: byId[id].value, left: byId[id].left, right: byId[id].right }
  return { root: config.root, tree, checks: 0 }
}

function observe (state) {
  return { nodes: Object.keys(state.tree).length, bound_checks: state.checks }
}

// The reference solution: an in-order walk must give strictly increasing values.
function answer (config) {
  const byId = readTree(config)
  const values = []
  const walk = (id) => {
    if (id === -1) return
    walk(byId[id].left)
    values.push(byId[id].value)
    walk(byId[id].right)
  }
  walk(config.root)
  for (let k = 1; k < values.length; k++) if (values[k - 1] >= values[k]) return false
  return true
}

const tools = {
  GetRoot (state) {
    return state.root
  },
  GetLeftChild (state, { node }) {
    return checkNode(state, node).left
  },
  GetRightChild (state, { node }) {
    return checkNode(state, node).right
  },
  GetValue (state, { node }) {
    return checkNode(state, node).value
  },
  IsWithinBounds (state, { value, lower, upper }) {
    state.checks++
    return (lower === undefined || value > lower) && (upper === undefined || value < upper)
  },
}

module.exports = { generate, reset, observe, answer, tools }
