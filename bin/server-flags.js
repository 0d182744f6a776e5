// V8 sizes its heap at startup: the server's memory flags (src/sandbox/process-flags.ts) need a
// process started with them, so a bin that runs the server re-executes Node with them first.
export async function withServerFlags (args) {
  const { reexecWithServerFlags, ProcessFlagError } = await import('../src/sandbox/process-flags.ts')
  try {
    reexecWithServerFlags(args)
  } catch (error) {
    if (!(error instanceof ProcessFlagError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}
