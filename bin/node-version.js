// Bins may be started outside npm (a global install, another PATH) and meet an older Node.
// isolated-vm 7 and TypeScript type stripping need Node 24: say so instead of crashing.
const requiredMajor = 24
const major = Number(process.versions.node.split('.')[0])
if (major < requiredMajor) {
  process.stderr.write(
    `codegym needs Node ${requiredMajor} or newer; this is Node ${process.versions.node}.\n` +
    'Run it through npm (npm start, npx codegym), which uses the Node 24 that npm install put in node_modules/.bin.\n')
  process.exit(1)
}
