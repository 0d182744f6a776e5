// The two tools every env has, whatever its own tools are.
import type { EnvManifest, ToolDescriptor } from '../schemas/env.generated.ts'

export const observeToolName = 'Observe'
export const doneToolName = 'Done'
export const builtinToolNames: readonly string[] = [observeToolName, doneToolName]

export const observeTool: ToolDescriptor = Object.freeze<ToolDescriptor>({
  name: observeToolName,
  description: 'Return the information about the task that is currently observable. Takes no parameters.',
  parameters: { type: 'object', properties: {}, required: [], additionalProperties: false },
})

/** Done's parameters are the env's answer schema, so a mistyped answer is caught before it is judged. */
export function doneTool (answerSchema: EnvManifest['answer']): ToolDescriptor {
  return Object.freeze<ToolDescriptor>({
    name: doneToolName,
    description: 'Submit the final answer and end the episode. The reward is 1 if the answer is correct, otherwise 0. ' +
      'There is only one submission.',
    parameters: {
      type: 'object',
      properties: { answer: answerSchema },
      required: ['answer'],
      additionalProperties: false,
    },
  })
}
