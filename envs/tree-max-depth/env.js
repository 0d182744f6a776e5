// Maximum depth of a hidden binary tree, revealed by child queries; a depth-first stack and the deepest level seen live in the state.

const sizes = { easy: [3, 8], medium: [12, 25], hard: [30, 45] }

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
  const ids = rng.shuffle([...Array(99).keys()].map((i) => i + 1)).slice(0, n)
  const nodes = []
  for (let i = 0; i < n; i++) nodes.push({ id: ids[i], left: left[i] === -1 ? -1 : ids[left[i]], right: right[i] === -1 ? -1 : ids[right[i]] })
  return { root: ids[0], nodes: rng.shuffle(nodes) }
}

function reset (config) {
  const byId = readTree(config)
  const tree = {}
  for (const id of Object.keys(byId)) tree[id] = { left: byId[id].left, right: byId[id].right }
  return { root: config.root, tree, stack: [], deepest: 0 }
}

function observe (state) {
  return { nodes: Object.keys(state.tree).length, stack_size: state.stack.length, deepest_recorded: state.deepest }
}

// The reference solution: a recursive depth count.
function answer (config) {
  const byId = readTree(config)
  const depth = (id) => id === -1 ? 0 : 1 + Math.max(depth(byId[id].left), depth(byId[id].right))
  return depth(config.root)
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
  Push (state, { node, depth }) {
    checkNode(state, node)
    state.stack.push([node, depth])
    return state.stack.length
  },
  Pop (state) {
    if (state.stack.length === 0) throw new Error('the stack is empty')
    const [node, depth] = state.stack.pop()
    return { node, depth }
  },
  StackSize (state) {
    return state.stack.length
  },
  RecordDepth (state, { depth }) {
    state.deepest = Math.max(state.deepest, depth)
    return state.deepest
  },
}

module.exports = { generate, reset, observe, answer, tools }
