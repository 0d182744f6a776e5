/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/env/prompt.test.ts > TAP > the prompt: a system message, then the task statement > the system message 1`] = `
You are solving a task by calling tools in an environment. You cannot see the environment directly: call its tools to learn what you need.

Call exactly one tool per turn, written as a JSON object:
{"name": "<tool name>", "parameters": {<parameter name>: <value>, ...}}

The result of each call comes back as the next message. If a call fails (an unknown tool, a wrong parameter, an error inside the tool), the error text comes back instead and nothing in the environment changes; you may try again. \`Observe\` returns what is currently observable. When you know the answer, call \`Done\` with it: that ends the episode, and you have only one submission. The number of calls is limited.

You have access to the following functions:
[
  {
    "name": "GetLength",
    "description": "Return the number of elements in the hidden array.",
    "parameters": {
      "type": "object",
      "properties": {},
      "required": [],
      "additionalProperties": false
    }
  },
  {
    "name": "GetElement",
    "description": "Return the integer at a position of the hidden array. Fails if the position is outside the array.",
    "parameters": {
      "type": "object",
      "properties": {
        "index": {
          "type": "integer",
          "description": "Zero-based position in the hidden array."
        }
      },
      "required": [
        "index"
      ],
      "additionalProperties": false
    }
  },
  {
    "name": "Add",
    "description": "Return the sum of two integers.",
    "parameters": {
      "type": "object",
      "properties": {
        "a": {
          "type": "integer",
          "description": "The first integer to add."
        },
        "b": {
          "type": "integer",
          "description": "The second integer to add."
        }
      },
      "required": [
        "a",
        "b"
      ],
      "additionalProperties": false
    }
  },
  {
    "name": "MarkRead",
    "description": "Record that the element at a position has been read; return how many positions are recorded.",
    "parameters": {
      "type": "object",
      "properties": {
        "index": {
          "type": "integer",
          "description": "Zero-based position in the hidden array."
        }
      },
      "required": [
        "index"
      ],
      "additionalProperties": false
    }
  },
  {
    "name": "Observe",
    "description": "Return the information about the task that is currently observable. Takes no parameters.",
    "parameters": {
      "type": "object",
      "properties": {},
      "required": [],
      "additionalProperties": false
    }
  },
  {
    "name": "Done",
    "description": "Submit the final answer and end the episode. The reward is 1 if the answer is correct, otherwise 0. There is only one submission.",
    "parameters": {
      "type": "object",
      "properties": {
        "answer": {
          "type": "integer",
          "description": "The sum of the hidden array."
        }
      },
      "required": [
        "answer"
      ],
      "additionalProperties": false
    }
  }
]
`
