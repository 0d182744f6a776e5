// Server lists: URLs checked and deduplicated, DNS names expanded to one URL per address.
import t from 'tap'
import { resolveServers, ServerListError } from '../../../clients/ts/discovery.ts'

await t.test('a URL list is checked, normalized and deduplicated', async (t) => {
  t.same(await resolveServers(['ws://127.0.0.1:1', 'ws://127.0.0.1:1/', 'wss://example.org/x']), ['ws://127.0.0.1:1/', 'wss://example.org/x'])
  await t.rejects(resolveServers([]), ServerListError)
  await t.rejects(resolveServers(['http://127.0.0.1:1']), ServerListError)
  await t.rejects(resolveServers(['not a url']), ServerListError)
})

await t.test('a DNS name gives one URL per address, IPv6 in brackets', async (t) => {
  const resolver = async (name: string): Promise<string[]> => {
    t.equal(name, 'codegym.default.svc.cluster.local')
    return ['10.1.0.5', '10.1.0.6', 'fd00::7', '10.1.0.5']
  }
  t.same(await resolveServers({ dns: 'codegym.default.svc.cluster.local', port: 8765 }, resolver),
    ['ws://10.1.0.5:8765/', 'ws://10.1.0.6:8765/', 'ws://[fd00::7]:8765/'])
  t.same(await resolveServers({ dns: 'x', port: 443, scheme: 'wss', path: 'gym' }, async () => ['10.0.0.1']), ['wss://10.0.0.1/gym'], 'the default port of wss is left out')
  await t.rejects(resolveServers({ dns: 'x', port: 0 }, resolver), ServerListError)
  await t.rejects(resolveServers({ dns: 'x', port: 1 }, async () => []), ServerListError)
})

await t.test('the system resolver returns every address of a name', async (t) => {
  const urls = await resolveServers({ dns: 'localhost', port: 8765 })
  t.ok(urls.length >= 1, urls.join(', '))
  t.ok(urls.every((url) => /^ws:\/\/(127\.\d+\.\d+\.\d+|\[::1\]):8765\/$/.test(url)), 'loopback addresses only')
})
