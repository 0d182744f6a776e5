// Where the servers of a cluster are: a list of URLs, or a DNS name that resolves to one address per
// server (a Kubernetes headless Service resolves to every ready pod).
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'

/** A DNS name whose addresses are the servers; each gets `scheme://address:port/path`. */
export interface DnsServers {
  dns: string
  port: number
  /** Default 'ws'. */
  scheme?: 'ws' | 'wss'
  /** Default '/'. */
  path?: string
}

export type ServerSource = readonly string[] | DnsServers

/** Every address of a host name, IPv4 and IPv6, as the system resolver returns them. */
export type AddressResolver = (hostname: string) => Promise<string[]>

export const systemResolver: AddressResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address)

/** A server source names no server, or names one badly. */
export class ServerListError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ServerListError'
  }
}

function checkUrl (url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ServerListError(`not a URL: ${JSON.stringify(url)}`)
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new ServerListError(`not a ws:// or wss:// URL: ${url}`)
  return parsed.href
}

/** The distinct server URLs a source names now (a DNS source is resolved again on every call). */
export async function resolveServers (source: ServerSource, resolver: AddressResolver = systemResolver): Promise<string[]> {
  if (Array.isArray(source)) {
    const urls = [...new Set((source as readonly string[]).map(checkUrl))]
    if (urls.length === 0) throw new ServerListError('the server list is empty')
    return urls
  }
  const { dns, port, scheme = 'ws', path = '/' } = source as DnsServers
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ServerListError(`port must be 1…65535, not ${port}`)
  const addresses = await resolver(dns)
  if (addresses.length === 0) throw new ServerListError(`${dns} resolves to no address`)
  const urls = addresses.map((address) => checkUrl(`${scheme}://${isIP(address) === 6 ? `[${address}]` : address}:${port}${path.startsWith('/') ? path : `/${path}`}`))
  return [...new Set(urls)]
}
