// The two example envs that protocol and client tests are written against: their expectations
// (env counts, ids) stay fixed however many envs the corpus holds. The corpus as a whole is
// covered by test/env-check/checker.test.ts.
import { fileURLToPath } from 'node:url'

export const exampleEnvDirs: string[] = ['max-subarray', 'valid-brackets']
  .map((name) => fileURLToPath(new URL(`../../envs/${name}/`, import.meta.url)))
