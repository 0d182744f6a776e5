#!/usr/bin/env node
import './node-version.js'
await import('../app/codegym-serve.ts')
