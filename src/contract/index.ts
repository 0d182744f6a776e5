// The shared contract: what the server and every client agree on, and the one module a client
// library imports from src/ (test/architecture/layers.test.ts holds them to it). Message shapes are
// generated from schemas/; the codec, op catalogue and constants are the wire; the transport is how
// frames move; the error classes and plain-data rules are what both sides raise and accept; the
// prompt rendering is what a client shows a model for the server's tools.
export type * from '../schemas/env.generated.ts'
export type * from '../schemas/protocol.generated.ts'
export type * from '../schemas/synth.generated.ts'
export { protocolDefinition, type Validator } from '../schemas/validate.ts'
export { codecOf, decodeFrame, encodeFrame, FrameDecodeError, type Codec } from './protocol/codec.ts'
export { closeCodes, resumeHeader, supportedVersions } from './protocol/constants.ts'
export { errorCatalogue, ops, paramsValidators, validateBatchOperation, validateRequest, type OpParams, type OpResult } from './protocol/catalogue.ts'
export type { Transport, TransportHandlers } from './transport/transport.ts'
export { createMemoryTransportPair } from './transport/memory.ts'
export { WebSocketTransport } from './transport/websocket.ts'
export { CodedError, CodeGymError } from './errors.ts'
export { isPlainData } from './plain-data.ts'
export { builtinToolNames, doneToolName, observeToolName } from './builtin-tools.ts'
export { observationText, openAiTools, renderObservation, renderPrompt, renderSystemPrompt, type ChatMessage, type OpenAiTool, type PromptSource } from './prompt.ts'
export type { JsonSchemaSubset } from './json-schema-subset.ts'
export { readOptionalText } from './read-optional.ts'
