// Preloaded (NODE_OPTIONS=--import) into codegym-serve and every sandbox process it forks by
// `codegym bench --cpu-prof`. Node writes a --cpu-prof profile only when a process exits normally,
// and the sandbox pool ends its processes with SIGKILL: on SIGUSR2 a process exits normally instead,
// so the bench can collect the sandbox processes' profiles before it stops the server.
process.on('SIGUSR2', () => process.exit(0))
