// Lowest common ancestor of two nodes in a hidden binary tree, revealed by child queries; a set of marked nodes lives in the state.

const sizes = { easy: [4, 8], medium: [12, 25], hard: [30, 50] }

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

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const n = rng.int(min, max)
  const kind = rng.pick(['random', 'random', 'random', 'complete', 'chain'])
  const { left, right } = shapeTree(rng, n, kind)
  const parent = Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    if (left[i] !== -1) parent[left[i]] = i
    if (right[i] !== -1) parent[right[i]] = i
  }
  let p = rng.int(0, n - 1)
  let q = rng.int(0, n - 1)
  const shape = rng.int(0, 5)
  if (shape === 0) q = p // the same node twice
  else if (shape === 1) { // one node is an ancestor of the other
    q = p
    for (let up = rng.int(1, 4); up > 0 && parent[q] !== -1; up--) q = parent[q]
  } else if (shape === 2) p = 0 // the root is one of them
  const ids = rng.shuffle([...Array(99).keys()].map((i) => i + 1)).slice(0, n)
  const nodes = []
  for (let i = 0; i < n; i++) nodes.push({ id: ids[i], left: left[i] === -1 ? -1 : ids[left[i]], right: right[i] === -1 ? -1 : ids[right[i]] })
  return rng.bool(0.5) ? { root: ids[0], nodes: rng.shuffle(nodes), p: ids[p], q: ids[q] } : { root: ids[0], nodes: rng.shuffle(nodes), p: ids[q], q: ids[p] }
}

function reset (config) {
  const byId = readTree(config)
  if (!Object.hasOwn(byId, config.p) || !Object.hasOwn(byId, config.q)) throw new Error('p and q must be nodes of the tree')
  const tree = {}
  for (const id of Object.keys(byId)) tree[id] = { left: byId[id].left, right: byId[id].right }
  return { root: config.root, tree, p: config.p, q: config.q, marked: [] }
}

function observe (state) {
  return { nodes: Object.keys(state.tree).length, marked_nodes: state.marked.length }
}

// The reference solution: the classic recursion that returns the node where the two searches meet.
function answer (config) {
  const byId = readTree(config)
  const search = (id) => {
    if (id === -1) return -1
    if (id === config.p || id === config.q) return id
    const l = search(byId[id].left)
    const r = search(byId[id].right)
    if (l !== -1 && r !== -1) return id
    return l !== -1 ? l : r
  }
  return search(config.root)
}

const tools = {
  GetRoot (state) {
    return state.root
  },
  GetTargets (state) {
    return { p: state.p, q: state.q }
  },
  GetLeftChild (state, { node }) {
    return checkNode(state, node).left
  },
  GetRightChild (state, { node }) {
    return checkNode(state, node).right
  },
  Mark (state, { node }) {
    checkNode(state, node)
    if (state.marked.includes(node)) throw new Error(`node ${node} is already marked`)
    state.marked.push(node)
    return state.marked.length
  },
  IsMarked (state, { node }) {
    checkNode(state, node)
    return state.marked.includes(node)
  },
}

module.exports = { generate, reset, observe, answer, tools }
