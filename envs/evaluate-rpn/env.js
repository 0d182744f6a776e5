// Evaluate a hidden reverse-Polish (postfix) expression, with a stack of integers kept in env state.

const operatorCounts = { easy: [1, 4], medium: [5, 12], hard: [13, 26] }
const literalRanges = { easy: [0, 9], medium: [-20, 20], hard: [-100, 100] }
const operators = ['+', '-', '*', '/']
const limit = 1000000000
const maxStack = 64

function apply (operator, left, right) {
  let result
  if (operator === '+') result = left + right
  else if (operator === '-') result = left - right
  else if (operator === '*') result = left * right
  else {
    if (right === 0) throw new RangeError('division by zero')
    result = Math.trunc(left / right)
  }
  return result === 0 ? 0 : result // no -0
}

function generate (rng, difficulty) {
  const [min, max] = operatorCounts[difficulty]
  const [low, high] = literalRanges[difficulty]
  const opCount = rng.int(min, max)
  let numbersLeft = opCount + 1
  let opsLeft = opCount
  const pushBias = rng.pick([0.3, 0.55, 0.8]) // deep stacks or long chains
  const tokens = []
  const stack = []
  while (numbersLeft > 0 || opsLeft > 0) {
    const canPush = numbersLeft > 0
    const canApply = stack.length >= 2 && opsLeft > 0
    if (canPush && (!canApply || rng.bool(pushBias))) {
      const value = rng.int(low, high)
      tokens.push(String(value))
      stack.push(value)
      numbersLeft--
    } else {
      const right = stack.pop()
      const left = stack.pop()
      // The drawn operator, unless it divides by zero or leaves the value range; '+' with a zero right operand always fits.
      const candidates = [rng.pick(operators), '/', '-', '+']
      let chosen = '+'
      let value = left + right
      for (const operator of candidates) {
        if (operator === '/' && right === 0) continue
        const result = apply(operator, left, right)
        if (Math.abs(result) <= limit) {
          chosen = operator
          value = result
          break
        }
      }
      tokens.push(chosen)
      stack.push(value)
      opsLeft--
    }
  }
  return { tokens }
}

function reset (config) {
  answer(config) // a malformed expression or a division by zero is refused here, with the reason
  return { tokens: config.tokens, stack: [] }
}

function observe (state) {
  return { token_count: state.tokens.length, stack_size: state.stack.length }
}

// The reference solution: the textbook stack evaluation.
function answer (config) {
  const stack = []
  for (const token of config.tokens) {
    if (operators.includes(token)) {
      if (stack.length < 2) throw new Error(`operator ${token} has fewer than two operands`)
      const right = stack.pop()
      const left = stack.pop()
      stack.push(apply(token, left, right))
    } else {
      stack.push(Number(token))
    }
  }
  if (stack.length !== 1) throw new Error(`the expression leaves ${stack.length} values instead of one`)
  return stack[0]
}

const tools = {
  GetTokenCount (state) {
    return state.tokens.length
  },
  GetToken (state, { index }) {
    if (index < 0 || index >= state.tokens.length) {
      throw new RangeError(`index ${index} is outside the expression (valid positions are 0..${state.tokens.length - 1})`)
    }
    return state.tokens[index]
  },
  IsOperator (state, { token }) {
    return operators.includes(token)
  },
  Push (state, { value }) {
    if (state.stack.length >= maxStack) throw new Error(`the stack is full (${maxStack} values)`)
    state.stack.push(value)
    return state.stack.length
  },
  Pop (state) {
    if (state.stack.length === 0) throw new Error('the stack is empty')
    return state.stack.pop()
  },
  StackSize (state) {
    return state.stack.length
  },
  Apply (state, { operator, left, right }) {
    return apply(operator, left, right)
  },
}

module.exports = { generate, reset, observe, answer, tools }
