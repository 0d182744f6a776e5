// Connected components of a hidden undirected graph, with a union-find (disjoint-set) structure kept in the state.

const sizes = { easy: [4, 7], medium: [10, 16], hard: [20, 30] }
const edgeCounts = { easy: [3, 6], medium: [8, 20], hard: [14, 55] }

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const [eMin, eMax] = edgeCounts[difficulty]
  const nodes = rng.int(min, max)
  const shape = rng.int(0, 4)
  const edges = []
  const count = rng.int(eMin, eMax)
  if (shape === 0) {
    // A spanning path in random order: one component.
    const order = rng.shuffle([...Array(nodes).keys()])
    for (let i = 1; i < nodes && edges.length < count; i++) edges.push([order[i - 1], order[i]])
    while (edges.length < eMin) edges.push([rng.int(0, nodes - 1), rng.int(0, nodes - 1)])
  } else if (shape === 1) {
    // Edges only among a few nodes: many isolated nodes, duplicates and self-loops likely.
    const few = rng.shuffle([...Array(nodes).keys()]).slice(0, Math.max(3, nodes >> 2))
    for (let k = 0; k < count; k++) edges.push([rng.pick(few), rng.pick(few)])
  } else {
    for (let k = 0; k < count; k++) edges.push([rng.int(0, nodes - 1), rng.int(0, nodes - 1)])
  }
  // The first edge joins two different nodes, so the union-find has work to do from the start.
  if (edges[0][0] === edges[0][1]) edges[0][1] = (edges[0][0] + 1) % nodes
  return { nodes, edges }
}

function reset (config) {
  for (const [u, v] of config.edges) {
    if (u >= config.nodes || v >= config.nodes) throw new Error(`edge ${u}-${v} names a node outside 0..${config.nodes - 1}`)
  }
  return { nodes: config.nodes, edges: config.edges, parent: [...Array(config.nodes).keys()], size: Array(config.nodes).fill(1), edgesRead: 0 }
}

function observe (state) {
  return { nodes: state.nodes, edges: state.edges.length, edges_read: state.edgesRead }
}

// The reference solution: a depth-first search from every unvisited node.
function answer (config) {
  const adj = []
  for (let i = 0; i < config.nodes; i++) adj.push([])
  for (const [u, v] of config.edges) {
    adj[u].push(v)
    adj[v].push(u)
  }
  const seen = Array(config.nodes).fill(false)
  let components = 0
  for (let s = 0; s < config.nodes; s++) {
    if (seen[s]) continue
    components++
    seen[s] = true
    const stack = [s]
    while (stack.length > 0) {
      for (const w of adj[stack.pop()]) {
        if (!seen[w]) {
          seen[w] = true
          stack.push(w)
        }
      }
    }
  }
  return components
}

function checkNode (state, node) {
  if (node < 0 || node >= state.nodes) throw new RangeError(`node ${node} is not in the graph (nodes are numbered 0 to ${state.nodes - 1})`)
}

function root (state, node) {
  let r = node
  while (state.parent[r] !== r) r = state.parent[r]
  while (state.parent[node] !== r) {
    const next = state.parent[node]
    state.parent[node] = r
    node = next
  }
  return r
}

const tools = {
  GetNodeCount (state) {
    return state.nodes
  },
  GetEdgeCount (state) {
    return state.edges.length
  },
  GetEdge (state, { index }) {
    if (index < 0 || index >= state.edges.length) throw new RangeError(`edge ${index} does not exist (edges are numbered 0 to ${state.edges.length - 1})`)
    state.edgesRead++
    const [u, v] = state.edges[index]
    return { u, v }
  },
  Find (state, { node }) {
    checkNode(state, node)
    return root(state, node)
  },
  Union (state, { root_a: a, root_b: b }) {
    checkNode(state, a)
    checkNode(state, b)
    if (state.parent[a] !== a) throw new Error(`node ${a} is not the representative of its set; call Find first`)
    if (state.parent[b] !== b) throw new Error(`node ${b} is not the representative of its set; call Find first`)
    if (a === b) throw new Error(`both arguments are the representative ${a}: the nodes are already in the same set`)
    const [big, small] = state.size[a] >= state.size[b] ? [a, b] : [b, a]
    state.parent[small] = big
    state.size[big] += state.size[small]
    return big
  },
  SetSize (state, { node }) {
    checkNode(state, node)
    return state.size[root(state, node)]
  },
}

module.exports = { generate, reset, observe, answer, tools }
