// Modular exponentiation by square-and-multiply. The exponent's bits and the modulus stay hidden.

const maxModulus = 10000000
const maxExponent = 9007199254740991 // 2^53 - 1
const ranges = { easy: [4, 8], medium: [9, 24], hard: [25, 53] } // bits of the exponent
const moduli = { easy: 50, medium: 100000, hard: maxModulus }

function bitsOf (exponent) {
  const bits = [] // least significant first
  while (exponent > 0) {
    bits.push(exponent % 2)
    exponent = Math.floor(exponent / 2)
  }
  return bits
}

function generate (rng, difficulty) {
  const [minBits, maxBits] = ranges[difficulty]
  const length = rng.int(minBits, maxBits)
  const shape = rng.int(0, 6)
  let exponent = 2 ** (length - 1) // the top bit is set
  for (let bit = 0; bit < length - 1; bit++) {
    if (shape === 0 || (shape > 2 && rng.bool(0.5))) exponent += 2 ** bit // shape 0: all ones; shape 1: a power of two
  }
  const modulus = shape === 2 ? 2 : rng.int(2, moduli[difficulty])
  let base = rng.int(0, 1000000000)
  if (shape === 3) base = rng.pick([0, 1]) // trivial bases
  if (shape === 4) base = modulus * rng.int(1, Math.min(1000, Math.floor(1000000000 / modulus))) // a multiple of the modulus
  return { base, exponent, modulus }
}

function reset (config) {
  return { base: config.base, bits: bitsOf(config.exponent), modulus: config.modulus }
}

function observe (state) {
  return { exponent_bits: state.bits.length }
}

// The reference solution: right-to-left binary exponentiation with BigInt arithmetic.
function answer (config) {
  let result = 1n
  let base = BigInt(config.base) % BigInt(config.modulus)
  let exponent = BigInt(config.exponent)
  const modulus = BigInt(config.modulus)
  while (exponent > 0n) {
    if (exponent & 1n) result = result * base % modulus
    base = base * base % modulus
    exponent >>= 1n
  }
  return Number(result % modulus)
}

function residue (state, value, name) {
  if (value < 0) throw new RangeError(`${name} must not be negative`)
  return value % state.modulus
}

const tools = {
  GetBase (state) {
    return state.base % state.modulus
  },
  GetBitLength (state) {
    return state.bits.length
  },
  GetBit (state, { position }) {
    if (position < 0 || position >= state.bits.length) throw new RangeError(`position ${position} is outside the exponent's ${state.bits.length} bits`)
    return state.bits[position]
  },
  SquareMod (state, { value }) {
    const x = residue(state, value, 'value')
    return (x * x) % state.modulus
  },
  MultiplyMod (state, { left, right }) {
    return (residue(state, left, 'left') * residue(state, right, 'right')) % state.modulus
  },
}

module.exports = { generate, reset, observe, answer, tools }
