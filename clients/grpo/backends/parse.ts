// Small readers for backend answers: a field that is missing or of the wrong type is a BackendError
// that names it, never an undefined that surfaces later.
import { BackendError } from '../errors.ts'

export function malformed (url: string, what: string): BackendError {
  return new BackendError(`${url} answered without ${what}`, { url, attempts: 1, fault: 'protocol' })
}

export function objectAt (value: unknown, url: string, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw malformed(url, what)
  return value as Record<string, unknown>
}

export function numbersAt (value: unknown, url: string, what: string): number[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'number')) throw malformed(url, what)
  return value as number[]
}

export function optionalNumber (value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined
}
