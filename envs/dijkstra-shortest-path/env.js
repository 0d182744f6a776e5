// Shortest distance in a hidden weighted graph. Dijkstra's algorithm with the priority queue and the distances in the state.

const sizes = { easy: [5, 7], medium: [10, 15], hard: [18, 25] }
const extraEdges = { easy: [1, 4], medium: [4, 12], hard: [10, 34] }

function adjacency (nodes, edges) {
  const adj = []
  for (let i = 0; i < nodes; i++) adj.push([])
  for (const [u, v, w] of edges) {
    adj[u].push({ node: v, weight: w })
    if (u !== v) adj[v].push({ node: u, weight: w })
  }
  for (const list of adj) list.sort((a, b) => a.node - b.node || a.weight - b.weight)
  return adj
}

// Dijkstra's algorithm with a linear scan for the minimum: returns the distance and how many nodes were settled.
function dijkstra (config) {
  const adj = adjacency(config.nodes, config.edges)
  const dist = adj.map(() => Infinity)
  const done = adj.map(() => false)
  dist[config.source] = 0
  let settled = 0
  for (;;) {
    let u = -1
    for (let i = 0; i < config.nodes; i++) if (!done[i] && dist[i] < Infinity && (u === -1 || dist[i] < dist[u])) u = i
    if (u === -1) return { distance: -1, settled }
    done[u] = true
    settled++
    if (u === config.target) return { distance: dist[u], settled }
    for (const { node, weight } of adj[u]) if (!done[node] && dist[u] + weight < dist[node]) dist[node] = dist[u] + weight
  }
}

function generate (rng, difficulty) {
  const [min, max] = sizes[difficulty]
  const maxWeight = difficulty === 'hard' ? 100 : 20
  for (;;) {
    const nodes = rng.int(min, max)
    const shape = rng.int(0, 4)
    const weight = () => shape === 0 ? 1 : rng.int(1, maxWeight) // shape 0: all weights equal
    const edges = []
    const has = new Set()
    const add = (u, v) => {
      if (u === v || has.has(`${Math.min(u, v)}-${Math.max(u, v)}`)) return
      has.add(`${Math.min(u, v)}-${Math.max(u, v)}`)
      edges.push([u, v, weight()])
    }
    // A random spanning tree, cut in two parts for shape 1 (the target may be unreachable).
    const order = rng.shuffle([...Array(nodes).keys()])
    const cut = shape === 1 ? rng.int(Math.floor(nodes / 2), nodes - 1) : nodes
    for (let i = 1; i < nodes; i++) {
      if (i === cut) continue
      const low = i < cut ? 0 : cut
      add(order[i], order[rng.int(low, i - 1)])
    }
    const [eMin, eMax] = extraEdges[difficulty]
    for (let k = rng.int(eMin, eMax); k > 0; k--) {
      const u = rng.int(0, nodes - 1)
      const v = rng.int(0, nodes - 1)
      if (shape === 1 && (order.indexOf(u) < cut) !== (order.indexOf(v) < cut)) continue
      add(u, v)
    }
    const source = rng.int(0, nodes - 1)
    const target = rng.int(0, nodes - 1)
    if (source === target || edges.length > 60) continue
    const config = { nodes, edges, source, target }
    if (dijkstra(config).settled < 4) continue // too short a search to be worth an episode
    return config
  }
}

function reset (config) {
  for (const [u, v] of config.edges) {
    if (u >= config.nodes || v >= config.nodes) throw new Error(`edge ${u}-${v} names a node outside 0..${config.nodes - 1}`)
  }
  if (config.source >= config.nodes || config.target >= config.nodes) throw new Error('source and target must be nodes of the graph')
  return {
    nodes: config.nodes,
    adj: adjacency(config.nodes, config.edges),
    source: config.source,
    target: config.target,
    distance: Array(config.nodes).fill(-1),
    settled: Array(config.nodes).fill(false),
    queue: [],
  }
}

function observe (state) {
  return { nodes: state.nodes, queue_size: state.queue.length, settled_nodes: state.settled.filter(Boolean).length }
}

// The reference solution: Dijkstra's algorithm from source.
function answer (config) {
  return dijkstra(config).distance
}

function checkNode (state, node) {
  if (node < 0 || node >= state.nodes) throw new RangeError(`node ${node} is not in the graph (nodes are numbered 0 to ${state.nodes - 1})`)
}

const tools = {
  GetNodeCount (state) {
    return state.nodes
  },
  GetEndpoints (state) {
    return { source: state.source, target: state.target }
  },
  GetNeighbors (state, { node }) {
    checkNode(state, node)
    return state.adj[node]
  },
  Relax (state, { node, distance }) {
    checkNode(state, node)
    if (state.settled[node]) return false
    if (state.distance[node] !== -1 && state.distance[node] <= distance) return false
    state.distance[node] = distance
    if (!state.queue.includes(node)) state.queue.push(node)
    return true
  },
  PopMin (state) {
    if (state.queue.length === 0) throw new Error('the priority queue is empty')
    let best = 0
    for (let i = 1; i < state.queue.length; i++) {
      const a = state.queue[i]
      const b = state.queue[best]
      if (state.distance[a] < state.distance[b] || (state.distance[a] === state.distance[b] && a < b)) best = i
    }
    const node = state.queue.splice(best, 1)[0]
    state.settled[node] = true
    return { node, distance: state.distance[node] }
  },
  QueueSize (state) {
    return state.queue.length
  },
  GetDistance (state, { node }) {
    checkNode(state, node)
    return state.distance[node]
  },
  IsSettled (state, { node }) {
    checkNode(state, node)
    return state.settled[node]
  },
}

module.exports = { generate, reset, observe, answer, tools }
