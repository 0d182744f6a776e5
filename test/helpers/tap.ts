import type { Test } from 'tap'
import type { BuiltPlugins } from '@tapjs/test'

/** The `t` that a tap subtest callback receives. */
export type TestContext = Test & BuiltPlugins
