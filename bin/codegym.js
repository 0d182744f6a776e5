#!/usr/bin/env node
import './node-version.js'
import { withServerFlags } from './server-flags.js'
if (process.argv[2] === 'serve') await withServerFlags(process.argv.slice(3))
await import('../app/codegym.ts')
