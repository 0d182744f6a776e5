// Protocol constants that clients and the server share.

/** Protocol versions this server speaks, newest last. */
export const supportedVersions = [1] as const

/**
 * The WebSocket upgrade request header in which a reconnecting client repeats its resume token: a
 * multi-process server (`--workers N`) routes the connection to the worker that holds its sessions.
 */
export const resumeHeader = 'codegym-resume'

/**
 * WebSocket close codes the server sends (4000-4999 are the application's own). protocolError and
 * invalidPayload are sent by the WebSocket layer (ws) itself; they are listed so that one table
 * holds every code a client can receive.
 */
export const closeCodes = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
  unauthorized: 4001,
  unsupportedVersion: 4002,
  resumedElsewhere: 4003,
  helloTimeout: 4004,
})
