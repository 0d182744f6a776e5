#!/usr/bin/env node
import './node-version.js'
import { withServerFlags } from './server-flags.js'
await withServerFlags(process.argv.slice(2))
await import('../app/codegym-serve.ts')
