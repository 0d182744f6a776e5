// deploy/: every Kubernetes manifest is valid against the Kubernetes API schemas (kubernetes-models'
// validate()), and the manifests agree with each other, with codegym-serve and with the bench:
// selectors match the pod labels, probes and Services reach the container port the server binds, the
// autoscaler scales the Deployment on a metric the server exports and the adapter serves, preStop +
// drain fit in the termination grace, the args are real codegym-serve flags, and the resources cover
// what bench/results measured. Plus the Dockerfile's essentials.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import yargs from 'yargs'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Service } from 'kubernetes-models/v1'
import { serveOptions } from '../../app/serve.ts'
import { defaultSandboxWorkers } from '../../src/server/cluster.ts'
import { defaultDrainGraceMs } from '../../src/server/server.ts'
import { ServerMetrics } from '../../src/server/metrics.ts'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const k8sDir = join(repo, 'deploy/k8s')

type Json = Record<string, any>

/** The models this deployment uses, by apiVersion and kind: an unknown kind fails the test. */
const models: Record<string, new (data: any) => { validate: () => void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
}

const kustomization = parseYaml(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[], images: Array<{ name: string }> }
const manifests: Array<{ file: string, doc: Json }> = []
for (const file of kustomization.resources) {
  for (const document of parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8'))) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`)
    manifests.push({ file, doc: document.toJS() as Json })
  }
}
const only = (kind: string): Json => {
  const found = manifests.filter(({ doc }) => doc.kind === kind)
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`)
  return found[0]!.doc
}

await t.test('the kustomization lists every manifest in deploy/k8s', async (t) => {
  const files = readdirSync(k8sDir).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml').sort()
  t.same([...kustomization.resources].sort(), files)
})

await t.test('every manifest is valid against the Kubernetes API schema', async (t) => {
  t.ok(manifests.length >= 6, `${manifests.length} manifests`)
  for (const { file, doc } of manifests) {
    const Model = models[`${doc.apiVersion} ${doc.kind}`]
    if (Model === undefined) {
      t.fail(`${file}: no model for ${doc.apiVersion} ${doc.kind}`)
      continue
    }
    t.doesNotThrow(() => new Model(doc).validate(), `${file}: ${doc.kind} ${doc.metadata?.name}`)
  }
})

await t.test('the validator rejects a broken manifest (it is not vacuous)', async (t) => {
  const broken = structuredClone(only('Deployment'))
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand'
  t.throws(() => new Deployment(broken).validate(), /containerPort must be integer/)
  const noSelector = structuredClone(only('Deployment'))
  delete noSelector.spec.selector
  t.throws(() => new Deployment(noSelector).validate(), /selector/)
})

const deployment = only('Deployment')
const podSpec = deployment.spec.template.spec as Json
const podLabels = deployment.spec.template.metadata.labels as Record<string, string>
const container = podSpec.containers[0] as Json
const configMap = only('ConfigMap')
const hpa = only('HorizontalPodAutoscaler')

const selects = (selector: Record<string, string>): boolean => Object.entries(selector).every(([key, value]) => podLabels[key] === value)

/** The container's args with $(VAR) filled in from its ConfigMap and env, as the kubelet does. */
function resolvedArgs (): string[] {
  const vars: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef?.name === configMap.metadata.name) Object.assign(vars, configMap.data)
  }
  for (const variable of container.env ?? []) if (typeof variable.value === 'string') vars[variable.name] = variable.value
  return (container.args as string[]).map((arg) => arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_match, name: string) => {
    if (vars[name] === undefined) throw new Error(`$(${name}) in the args is defined neither in the ConfigMap nor in env`)
    return vars[name]
  }))
}
const args = resolvedArgs()
const flags = await serveOptions(yargs(args)).strict().exitProcess(false).fail((message, error) => { throw error ?? new Error(message) }).parseAsync()

await t.test('the container args are codegym-serve flags, filled from the ConfigMap', async (t) => {
  t.equal(container.envFrom[0].configMapRef.name, configMap.metadata.name, 'envFrom names the ConfigMap')
  t.equal(flags.host, '0.0.0.0', 'binds every address of the pod')
  const token = (container.env as Json[]).find((variable) => variable.name === 'CODEGYM_TOKEN')
  t.match(token?.valueFrom?.secretKeyRef, { name: String, key: String }, 'so the token comes from a Secret')
})

await t.test('selectors match the pod labels', async (t) => {
  t.ok(selects(deployment.spec.selector.matchLabels), 'the Deployment selects its own pods')
  for (const service of manifests.filter(({ doc }) => doc.kind === 'Service').map(({ doc }) => doc)) {
    t.ok(selects(service.spec.selector), `Service ${service.metadata.name} selects the pods`)
  }
  t.ok(selects(only('PodDisruptionBudget').spec.selector.matchLabels), 'the PodDisruptionBudget selects the pods')
  t.ok(selects(podSpec.topologySpreadConstraints[0].labelSelector.matchLabels), 'the spread constraint counts the pods')
  const headless = manifests.map(({ doc }) => doc).filter((doc) => doc.kind === 'Service' && doc.spec.clusterIP === 'None')
  t.equal(headless.length, 1, 'one headless Service, for clients to find every pod')
})

await t.test('ports: the server binds the container port; probes and Services reach it', async (t) => {
  t.equal(container.ports.length, 1)
  const port = container.ports[0] as { name: string, containerPort: number }
  t.equal(flags.port, port.containerPort, '--port is the container port')
  const reaches = (target: string | number): boolean => target === port.name || target === port.containerPort
  const paths: Record<string, string> = { startupProbe: '/healthz', readinessProbe: '/readyz', livenessProbe: '/healthz' }
  for (const [probe, path] of Object.entries(paths)) {
    t.equal(container[probe]?.httpGet?.path, path, `${probe} asks ${path}`)
    t.ok(reaches(container[probe]?.httpGet?.port), `${probe} asks the container port`)
  }
  for (const service of manifests.filter(({ doc }) => doc.kind === 'Service').map(({ doc }) => doc)) {
    t.ok(service.spec.ports.every((each: Json) => reaches(each.targetPort)), `Service ${service.metadata.name} targets the container port`)
  }
  t.equal(deployment.spec.template.metadata.annotations['prometheus.io/port'], String(port.containerPort), 'Prometheus scrapes the same port')
  t.match(readFileSync(join(repo, 'deploy/Dockerfile'), 'utf8'), new RegExp(`^EXPOSE ${port.containerPort}$`, 'm'), 'the image exposes it')
})

await t.test('preStop + termination grace let the whole drain finish', async (t) => {
  const preStop = container.lifecycle?.preStop?.exec?.command as string[]
  t.same(preStop?.slice(0, 1), ['sleep'], 'preStop sleeps')
  const preStopMs = Number(preStop[1]) * 1000
  const graceMs = podSpec.terminationGracePeriodSeconds * 1000
  const drainMs = flags.drainGraceMs + flags.drainTimeoutMs
  t.ok(flags.drainGraceMs >= defaultDrainGraceMs, `clients get ${flags.drainGraceMs} ms to move their sessions, no less than the server's default (${defaultDrainGraceMs} ms)`)
  t.ok(graceMs >= preStopMs + drainMs, `terminationGracePeriodSeconds (${graceMs} ms) ≥ preStop (${preStopMs} ms) + drain grace and timeout (${drainMs} ms)`)
  const livenessMs = container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold * 1000
  t.ok(livenessMs > graceMs, `the liveness probe (503 while draining) cannot fail within the termination grace (${livenessMs} ms > ${graceMs} ms)`)
  t.ok(container.readinessProbe.failureThreshold >= 2, 'one busy moment does not take a pod out of the Services (a terminating pod leaves them anyway)')
  t.same(deployment.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 }, 'a rollout adds a pod before it drains one')
})

await t.test('probe timeouts are above the longest /healthz wait: a slow answer is not a failure', async (t) => {
  // /healthz of a --workers N pod waits up to workerQueryTimeoutMs for each server process.
  const worstHealthzMs = Number(flags.workerQueryTimeoutMs)
  t.ok(Number(flags.workers) > 1 && worstHealthzMs > 0, `the pod runs ${flags.workers} server processes; /healthz may wait ${worstHealthzMs} ms`)
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const { timeoutSeconds = 1, periodSeconds = 10 } = container[probe] as { timeoutSeconds?: number, periodSeconds?: number }
    t.ok(timeoutSeconds * 1000 > worstHealthzMs, `${probe}: timeout ${timeoutSeconds} s > ${worstHealthzMs} ms`)
    t.ok(periodSeconds >= timeoutSeconds, `${probe}: one probe ends before the next starts`)
  }
})

await t.test('the autoscaler scales the Deployment on live sessions, a metric the server exports and the adapter serves', async (t) => {
  t.same(hpa.spec.scaleTargetRef, { apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name })
  const metric = hpa.spec.metrics[0]
  t.equal(metric.type, 'Pods')
  const name = metric.pods.metric.name as string
  const metrics = new ServerMetrics({ sessions: () => 0, connections: () => 0, sandboxRestarts: () => 0, sandboxQueuedCalls: () => 0 })
  const exported = await metrics.registry.getSingleMetricAsString(name).catch(() => '')
  t.match(exported, new RegExp(`^# TYPE ${name} gauge$`, 'm'), `the server exports ${name} as a gauge`)
  const adapter = parseYaml(readFileSync(join(repo, 'deploy/prometheus-adapter/values.yaml'), 'utf8')) as Json
  const rule = (adapter.rules.custom as Json[]).find((each) => each.name.as === name)
  t.ok(rule, `the prometheus-adapter values have a rule serving ${name}`)
  t.match(rule?.seriesQuery, new RegExp(`^${name}\\{`), 'the rule reads that series')
  t.same(rule?.resources.overrides.pod, { resource: 'pod' }, 'per pod, as a Pods metric needs')
  t.ok(hpa.spec.minReplicas >= 2 && only('PodDisruptionBudget').spec.maxUnavailable === 1, 'a disruption leaves a pod serving')
})

await t.test('resources are sized from bench/results', async (t) => {
  const workers = Number(flags.workers)
  const cpuRequest = Number(container.resources.requests.cpu)
  t.equal(workers, cpuRequest, '--workers is the CPU request (Node in a container counts the node\'s cores)')
  t.equal(flags.sandboxWorkers, defaultSandboxWorkers(workers, cpuRequest), '--sandbox-workers is the default for that many cores')
  const benchDirs = readdirSync(join(repo, 'bench/results')).filter((name) => name.startsWith('workers-')).sort()
  t.ok(benchDirs.length > 0, 'a server-workers bench result exists')
  const bench = JSON.parse(readFileSync(join(repo, 'bench/results', benchDirs.at(-1)!, 'workers.json'), 'utf8')) as { settings: { sessions: number }, points: Array<{ serverWorkers: number, serverIdleRssBytes: number, serverRssBytes: number }> }
  const point = bench.points.find((each) => each.serverWorkers === workers)
  if (point === undefined) return t.fail(`the bench has no point for ${workers} server workers`)
  const bytesPerLoadedSession = (point.serverRssBytes - point.serverIdleRssBytes) / bench.settings.sessions
  const sessionsTarget = Number(hpa.spec.metrics[0].pods.target.averageValue)
  const needed = point.serverIdleRssBytes + sessionsTarget * bytesPerLoadedSession
  const mebibytes = (quantity: string): number => {
    const match = /^(\d+)(Mi|Gi)$/.exec(quantity)
    if (match === null) throw new Error(`memory quantity ${quantity}: write it in Mi or Gi`)
    return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1)
  }
  const request = mebibytes(container.resources.requests.memory) * 2 ** 20
  const limit = mebibytes(container.resources.limits.memory) * 2 ** 20
  t.ok(request >= needed, `memory request ${request} B ≥ idle ${point.serverIdleRssBytes} B + ${sessionsTarget} sessions × ${Math.round(bytesPerLoadedSession)} B`)
  t.ok(limit >= point.serverIdleRssBytes + 2 * sessionsTarget * bytesPerLoadedSession, 'the limit holds twice the target while the autoscaler catches up')
})

await t.test('the image: Node 24, production dependencies, non-root, health check, the runtime sources', async (t) => {
  const dockerfile = readFileSync(join(repo, 'deploy/Dockerfile'), 'utf8')
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1])
  t.ok(froms.length > 0 && froms.every((image) => /^node:24[.-]/.test(image!)), `based on Node 24 (${froms.join(', ')})`)
  t.match(dockerfile, /npm ci --omit=dev/, 'installs production dependencies only')
  const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((match) => match[1])
  t.ok(users.length > 0 && !['root', '0'].includes(users.at(-1)!), `runs as ${users.at(-1)}`)
  t.equal(podSpec.securityContext.runAsUser, 1000, 'the pod runs as the image\'s node user (uid 1000)')
  t.match(dockerfile, /^HEALTHCHECK .*\n?.*\/healthz/m, 'a HEALTHCHECK on /healthz')
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(' '))
  for (const needed of ['package.json', 'bin', 'src', 'schemas', 'envs']) t.ok(copied.includes(needed), `copies ${needed}`)
  const ignored = readFileSync(join(repo, 'deploy/Dockerfile.dockerignore'), 'utf8').split('\n').map((line) => line.trim())
  for (const needed of ['package.json', 'package-lock.json', 'bin', 'src', 'schemas', 'envs']) t.notOk(ignored.includes(needed), `the context keeps ${needed}`)
  t.ok(kustomization.images.some((image) => image.name === container.image.split(':')[0]), 'the kustomization can set the Deployment\'s image')
})
