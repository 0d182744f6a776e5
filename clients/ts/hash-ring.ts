// A consistent-hash ring with virtual nodes: a key maps to the first node clockwise from its hash,
// so adding or removing one node moves only the keys that node owned (about 1/n of them), and the
// virtual nodes spread each node's share evenly.
import { createHash } from 'node:crypto'

/** Points on the ring per node when the caller does not say. */
export const defaultVirtualNodesPerNode = 128

/** The first 32 bits of the key's MD5: well spread, and the same in every language and process. */
export function ringHash (key: string): number {
  return createHash('md5').update(key).digest().readUInt32BE(0)
}

export class HashRing {
  readonly #virtualNodes: number
  /** Ring points sorted by hash; each names its node. */
  #points: Array<{ hash: number, node: string }> = []
  readonly #nodes = new Set<string>()

  constructor (nodes: Iterable<string> = [], virtualNodesPerNode = defaultVirtualNodesPerNode) {
    if (!Number.isInteger(virtualNodesPerNode) || virtualNodesPerNode < 1) {
      throw new RangeError(`virtualNodesPerNode must be a positive integer, not ${virtualNodesPerNode}`)
    }
    this.#virtualNodes = virtualNodesPerNode
    for (const node of nodes) this.add(node)
  }

  get nodes (): ReadonlySet<string> { return this.#nodes }

  add (node: string): void {
    if (this.#nodes.has(node)) return
    this.#nodes.add(node)
    for (let replica = 0; replica < this.#virtualNodes; replica++) this.#points.push({ hash: ringHash(`${node}#${replica}`), node })
    // Ties (two points with one hash) are ordered by node name so every client builds the same ring.
    this.#points.sort((a, b) => a.hash - b.hash || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
  }

  remove (node: string): void {
    if (!this.#nodes.delete(node)) return
    this.#points = this.#points.filter((point) => point.node !== node)
  }

  /**
   * The nodes in the order a key tries them: its owner first, then each further distinct node met
   * going clockwise. `accept` skips nodes (those out of rotation); undefined when none is accepted.
   */
  lookup (key: string, accept: (node: string) => boolean = () => true): string | undefined {
    const points = this.#points
    if (points.length === 0) return undefined
    const hash = ringHash(key)
    // The first point at or after the hash (binary search), wrapping to the start.
    let low = 0
    let high = points.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (points[middle]!.hash < hash) low = middle + 1
      else high = middle
    }
    const seen = new Set<string>()
    for (let offset = 0; offset < points.length && seen.size < this.#nodes.size; offset++) {
      const { node } = points[(low + offset) % points.length]!
      if (seen.has(node)) continue
      seen.add(node)
      if (accept(node)) return node
    }
    return undefined
  }
}
