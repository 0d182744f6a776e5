// Runs first in every fresh sandbox context, before any env code.
// It removes what would make env code nondeterministic or able to keep data between calls,
// freezes every intrinsic, and evaluates to { install, installPolicy }.
// Nothing here is reachable from env code except through the frozen intrinsics.
(function bootstrap (global) {
  'use strict'

  const { freeze, getPrototypeOf, getOwnPropertyNames, getOwnPropertySymbols, getOwnPropertyDescriptor, defineProperty, keys: ownEnumerableKeys } = Object
  const { isArray } = Array
  const { apply, construct, ownKeys } = Reflect
  const jsonParse = JSON.parse
  const jsonStringify = JSON.stringify
  const RealDate = Date
  const RealFunction = Function
  const ObjectPrototype = Object.prototype
  const ArrayPrototype = Array.prototype
  const isFiniteNumber = Number.isFinite
  const StringCtor = String
  const mathImul = Math.imul
  const StringPrototype = String.prototype
  // Between the calls of a run, and between the fields of one call (see dispatch, op 'many').
  const callSeparator = '\u001e'
  const fieldSeparator = '\u001f'
  const lookupGetter = Object.prototype.__lookupGetter__

  class SandboxError extends Error {
    constructor (code, message) {
      super(message)
      this.code = code
    }
  }

  // --- 1. Remove what is nondeterministic, unbounded or leaks between calls. ---
  // WebAssembly memory is outside the isolate's memory limit; SharedArrayBuffer/Atomics can block;
  // WeakRef/FinalizationRegistry observe the garbage collector; Intl reads the host locale and clock.
  for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'Intl']) {
    delete global[name]
  }
  // Legacy RegExp statics (RegExp.$1, RegExp.input, ...) would hand one call's data to the next.
  for (const name of ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_',
    'lastMatch', '$&', 'lastParen', '$+', 'leftContext', '$`', 'rightContext', "$'"]) {
    delete RegExp[name]
  }

  const noClock = () => { throw new Error('the clock is not available in the sandbox') }
  const SafeDate = function Date (...args) {
    if (new.target === undefined) noClock()
    if (args.length === 0) noClock()
    return construct(RealDate, args, new.target)
  }
  SafeDate.prototype = RealDate.prototype
  SafeDate.UTC = RealDate.UTC
  SafeDate.parse = RealDate.parse
  SafeDate.now = noClock
  defineProperty(RealDate.prototype, 'constructor', { value: SafeDate, writable: false, configurable: false })
  global.Date = SafeDate
  Math.random = () => { throw new Error('Math.random is not available in the sandbox: use the rng argument') }

  // Locale-sensitive built-ins read the host's default locale and time zone when a call names
  // none: pin both, so the same env gives the same text on every host. (Array and typed-array
  // toLocaleString call their elements' toLocaleString, so they follow.)
  const fixedLocale = 'en-US'
  const fixedTimeZone = 'UTC'
  const withLocale = (real) => function (locales, options) {
    return apply(real, this, [locales === undefined ? fixedLocale : locales, options])
  }
  const withLocaleAndZone = (real) => function (locales, options) {
    const zoned = options === undefined || options === null ? { timeZone: fixedTimeZone } : options
    if (zoned !== options) return apply(real, this, [locales === undefined ? fixedLocale : locales, zoned])
    const copy = {}
    for (const key of ownKeys(zoned)) copy[key] = zoned[key]
    if (copy.timeZone === undefined) copy.timeZone = fixedTimeZone
    return apply(real, this, [locales === undefined ? fixedLocale : locales, copy])
  }
  const replaceMethod = (proto, name, wrap) => {
    const real = proto[name]
    const wrapped = wrap(real)
    defineProperty(wrapped, 'name', { value: name })
    defineProperty(proto, name, { value: wrapped, writable: true, enumerable: false, configurable: true })
  }
  replaceMethod(Number.prototype, 'toLocaleString', withLocale)
  replaceMethod(BigInt.prototype, 'toLocaleString', withLocale)
  replaceMethod(String.prototype, 'toLocaleUpperCase', withLocale)
  replaceMethod(String.prototype, 'toLocaleLowerCase', withLocale)
  replaceMethod(String.prototype, 'localeCompare', (real) => function (that, locales, options) {
    return apply(real, this, [that, locales === undefined ? fixedLocale : locales, options])
  })
  for (const name of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString']) replaceMethod(RealDate.prototype, name, withLocaleAndZone)

  // --- 2. Freeze every intrinsic, including those not reachable from globalThis. ---
  const hiddenIntrinsics = [
    getPrototypeOf(function * () {}), // %GeneratorFunction.prototype%
    getPrototypeOf(function * () {}).prototype, // %GeneratorPrototype%
    getPrototypeOf(async function () {}),
    getPrototypeOf(async function * () {}),
    getPrototypeOf(async function * () {}).prototype,
    getPrototypeOf(getPrototypeOf(async function * () {}).prototype), // %AsyncIteratorPrototype%
    getPrototypeOf([][Symbol.iterator]()),
    getPrototypeOf(getPrototypeOf([][Symbol.iterator]())), // %IteratorPrototype%
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()),
    getPrototypeOf(/a/[Symbol.matchAll]('')),
    getPrototypeOf(Uint8Array), // %TypedArray%
    getPrototypeOf(Uint8Array.prototype),
    getPrototypeOf(function () {}.bind()),
    getOwnPropertyDescriptor(function () { 'use strict'; return arguments }(), 'callee').get, // %ThrowTypeError%
  ]
  if (typeof Iterator === 'function') {
    hiddenIntrinsics.push(getPrototypeOf(Iterator.from({ next () { return { done: true } } })))
    hiddenIntrinsics.push(getPrototypeOf([].values().map(x => x)))
  }

  const seen = new WeakSet()
  const deepFreeze = (root) => {
    const stack = [root]
    while (stack.length > 0) {
      const value = stack.pop()
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue
      seen.add(value)
      freeze(value)
      stack.push(getPrototypeOf(value))
      for (const key of ownKeys(value)) {
        const descriptor = getOwnPropertyDescriptor(value, key)
        if (descriptor === undefined) continue
        if ('value' in descriptor) stack.push(descriptor.value)
        if (descriptor.get) stack.push(descriptor.get)
        if (descriptor.set) stack.push(descriptor.set)
      }
    }
  }
  for (const intrinsic of hiddenIntrinsics) deepFreeze(intrinsic)
  deepFreeze(global)

  // --- 3. Seeded randomness whose whole state is data (sfc32, seeded by splitmix32). ---
  const splitmix32 = (seed) => {
    let z = (seed + 0x9e3779b9) | 0
    z = mathImul(z ^ (z >>> 16), 0x85ebca6b)
    z = mathImul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  // Seeds are integers up to 2^53; fold the high and low words in separately. Each stream of one
  // seed (task generation, the episode itself) gets its own sequence.
  const generatorStream = 0x632be5ab
  const seedRng = (seed, stream = 0) => {
    const low = seed % 0x100000000
    const high = (seed - low) / 0x100000000
    const a = splitmix32(low ^ stream)
    const b = splitmix32(high ^ a)
    const c = splitmix32(a ^ 0x243f6a88)
    const d = splitmix32(b ^ 0x85a308d3)
    return [a, b, c, d]
  }
  const makeRng = (words) => {
    let a = words[0] >>> 0; let b = words[1] >>> 0; let c = words[2] >>> 0; let d = words[3] >>> 0
    const nextUint32 = () => {
      const t = (((a + b) >>> 0) + d) >>> 0
      d = (d + 1) >>> 0
      a = (b ^ (b >>> 9)) >>> 0
      b = (c + (c << 3)) >>> 0
      c = ((c << 21) | (c >>> 11)) >>> 0
      c = (c + t) >>> 0
      return t
    }
    const float = () => nextUint32() / 0x100000000
    const int = (min, max) => {
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
        throw new RangeError('rng.int(min, max) needs safe integers with min <= max')
      }
      return min + Math.floor(float() * (max - min + 1))
    }
    const rng = {
      /** a float in [0, 1) */
      float,
      /** an integer in [min, max], both inclusive */
      int,
      /** true with probability p */
      bool: (p = 0.5) => float() < p,
      /** one element of a non-empty array */
      pick: (items) => {
        if (!isArray(items) || items.length === 0) throw new RangeError('rng.pick needs a non-empty array')
        return items[int(0, items.length - 1)]
      },
      /** a shuffled copy of an array (Fisher-Yates) */
      shuffle: (items) => {
        const copy = apply(ArrayPrototype.slice, items, [])
        for (let i = copy.length - 1; i > 0; i--) {
          const j = int(0, i)
          const tmp = copy[i]; copy[i] = copy[j]; copy[j] = tmp
        }
        return copy
      },
    }
    return { rng: freeze(rng), words: () => [a, b, c, d] }
  }

  let limits // set once by install()

  // --- 4. Plain-JSON serialization: anything JSON.stringify would drop or mangle is an error. ---
  const maxJsonDepth = 64
  const describePath = (path) => path.length === 0 ? '' : ' at ' + path.join('')
  // Also refuses a value whose JSON text is certain to be over maxBytes as soon as the walk has
  // seen that much, before anything is serialized: a 50 MB state is refused after its first 256 KB.
  const assertPlainJson = (value, what, maxBytes, tooLargeCode) => {
    const ancestors = []
    const path = []
    let leastBytes = 0
    const count = (bytes) => {
      leastBytes += bytes
      if (leastBytes > maxBytes) throw new SandboxError(tooLargeCode, `${what} is over the limit of ${maxBytes} bytes as JSON`)
    }
    const visit = (v) => {
      switch (typeof v) {
        case 'string': count(v.length + 2); return
        case 'boolean': count(4); return
        case 'number':
          count(1)
          if (!isFiniteNumber(v)) throw new SandboxError('not_json', `${what} holds ${StringCtor(v)}, which is not JSON${describePath(path)}`)
          return
        case 'object': break
        default: throw new SandboxError('not_json', `${what} holds a ${typeof v}, which is not JSON${describePath(path)}`)
      }
      if (v === null) { count(4); return }
      count(2)
      if (ancestors.length >= maxJsonDepth) throw new SandboxError('not_json', `${what} is nested deeper than ${maxJsonDepth} levels${describePath(path)}`)
      if (ancestors.includes(v)) throw new SandboxError('not_json', `${what} contains a cycle${describePath(path)}`)
      const proto = getPrototypeOf(v)
      const array = isArray(v)
      if (array ? proto !== ArrayPrototype : (proto !== ObjectPrototype && proto !== null)) {
        throw new SandboxError('not_json', `${what} holds an object that is not a plain object or array${describePath(path)}`)
      }
      if (getOwnPropertySymbols(v).length > 0) throw new SandboxError('not_json', `${what} has symbol keys${describePath(path)}`)
      // Every element counts at least a byte: a huge array is refused before its keys are listed
      // (a list of millions of keys alone would be past the isolate's memory limit).
      if (array && leastBytes + v.length > maxBytes) throw new SandboxError(tooLargeCode, `${what} is over the limit of ${maxBytes} bytes as JSON`)
      ancestors.push(v)
      const keys = getOwnPropertyNames(v)
      for (const key of keys) {
        if (array && key === 'length') continue
        // JSON drops an array's named properties; counted with the indices, one could also hide a hole.
        if (array && !isArrayIndex(key, v.length)) throw new SandboxError('not_json', `${what} is an array with a property that is not an index${describePath([...path, '.' + key])}`)
        const descriptor = getOwnPropertyDescriptor(v, key)
        if (!('value' in descriptor)) throw new SandboxError('not_json', `${what} has a getter or setter${describePath([...path, '.' + key])}`)
        if (!descriptor.enumerable) throw new SandboxError('not_json', `${what} has a non-enumerable property${describePath([...path, '.' + key])}`)
        // An undefined property is dropped by JSON and reads back as undefined: same meaning, so allowed.
        if (!array && descriptor.value === undefined) continue
        count(array ? 0 : key.length + 3)
        path.push(array ? `[${key}]` : '.' + key)
        visit(descriptor.value)
        path.pop()
      }
      if (array && keys.length - 1 !== v.length) throw new SandboxError('not_json', `${what} is an array with holes${describePath(path)}`)
      ancestors.pop()
    }
    visit(value)
  }
  const isArrayIndex = (key, length) => {
    const index = +key
    return index < length && StringCtor(index) === key
  }
  // The same verdict as assertPlainJson for every value that is not a proxy, without the paths,
  // messages and a property descriptor per array element: true when the value is plain JSON of at
  // most maxBytes by the same count, false when assertPlainJson must walk it again to say what is
  // wrong. Per array, instead of a descriptor per element: its own keys, symbols included, are
  // exactly the indices and 'length' (one count; a hole that a named property would make up for
  // reads as undefined, refused), all indices are enumerable (a second count), and no index has a
  // getter (a setter alone reads as undefined, refused as well). root may sit depth levels down in
  // the value being serialized, under countedBytes already counted.
  const isPlainJsonWithin = (root, maxBytes, depth, countedBytes) => {
    const ancestors = []
    const maxDepth = maxJsonDepth - depth
    let leastBytes = countedBytes
    const visit = (v) => {
      switch (typeof v) {
        case 'string': leastBytes += v.length + 2; return leastBytes <= maxBytes
        case 'boolean': leastBytes += 4; return leastBytes <= maxBytes
        case 'number': leastBytes += 1; return leastBytes <= maxBytes && isFiniteNumber(v)
        case 'object': break
        default: return false
      }
      if (v === null) { leastBytes += 4; return leastBytes <= maxBytes }
      leastBytes += 2
      if (leastBytes > maxBytes || ancestors.length >= maxDepth || ancestors.includes(v)) return false
      const proto = getPrototypeOf(v)
      if (isArray(v)) {
        if (proto !== ArrayPrototype) return false
        const length = v.length
        // Every element counts at least a byte: a huge array is refused before its keys are listed.
        if (leastBytes + length > maxBytes || ownKeys(v).length !== length + 1 || ownEnumerableKeys(v).length !== length) return false
        ancestors.push(v)
        for (let i = 0; i < length; i++) {
          if (apply(lookupGetter, v, [i]) !== undefined || !visit(v[i])) return false
        }
      } else {
        if ((proto !== ObjectPrototype && proto !== null) || getOwnPropertySymbols(v).length !== 0) return false
        ancestors.push(v)
        const names = getOwnPropertyNames(v)
        for (let i = 0; i < names.length; i++) {
          const key = names[i]
          const descriptor = getOwnPropertyDescriptor(v, key)
          if (!descriptor.enumerable || !('value' in descriptor)) return false
          const value = descriptor.value
          if (value === undefined) continue
          leastBytes += key.length + 3
          if (!visit(value)) return false
        }
      }
      ancestors.pop()
      return true
    }
    return visit(root)
  }
  // Only a proxy's traps can throw in the quick walk: the full walk then meets the same error.
  const quicklyPlainJson = (value, maxBytes, depth = 0, countedBytes = 0) => {
    try {
      return isPlainJsonWithin(value, maxBytes, depth, countedBytes)
    } catch {
      return false
    }
  }
  const utf8Bytes = (text) => {
    let bytes = text.length
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i)
      if (unit < 0x80) continue
      if (unit < 0x800) bytes += 1
      else if (unit >= 0xd800 && unit < 0xdc00) { bytes += 2; i++ } // a surrogate pair: 4 bytes for 2 units
      else bytes += 2
    }
    return bytes
  }
  // A JSON text has at least as many UTF-8 bytes as characters and at most three times as many,
  // so the exact count is needed only in between.
  const toJson = (value, what, maxBytes, tooLargeCode) => {
    if (value === undefined) throw new SandboxError('not_json', `${what} is undefined`)
    if (!quicklyPlainJson(value, maxBytes)) assertPlainJson(value, what, maxBytes, tooLargeCode)
    return serialize(value, what, maxBytes, tooLargeCode)
  }
  // The committed state is {s: the env's state, r: the generator's four words}: the wrapper and its
  // words are plain JSON by construction, so the quick walk starts at s, one level down, with the
  // bytes the wrapper counts for ({} 2, "s": 4, "r": 4, [] 2, four numbers 4). Whatever it refuses,
  // the full walk checks the whole wrapper, so a message names the same path as before (.s.board...).
  const wrapperLeastBytes = 16
  const toEpisodeStateJson = (state, words) => {
    const wrapper = { s: state, r: words }
    const maxBytes = limits.maxStateBytes
    if (!quicklyPlainJson(state, maxBytes, 1, wrapperLeastBytes)) assertPlainJson(wrapper, 'state', maxBytes, 'state_too_large')
    return serialize(wrapper, 'state', maxBytes, 'state_too_large')
  }
  const serialize = (value, what, maxBytes, tooLargeCode) => {
    const text = jsonStringify(value)
    if (text.length * 3 > maxBytes) {
      const bytes = text.length > maxBytes ? text.length : utf8Bytes(text)
      if (bytes > maxBytes) throw new SandboxError(tooLargeCode, `${what} is over the limit of ${maxBytes} bytes as JSON`)
    }
    return text
  }
  const toStateJson = (value, what) => toJson(value, what, limits.maxStateBytes, 'state_too_large')
  const toObservationJson = (value) => toJson(value, 'observation', limits.maxObservationBytes, 'observation_too_large')

  const setLimits = (limitsJson) => {
    if (limits !== undefined) throw new Error('a sandbox context is installed once')
    limits = freeze(jsonParse(limitsJson))
  }
  // A function body cannot close over anything that outlives one instantiation: module scope is
  // created anew by every call of the factory.
  const moduleFactory = (source) => {
    const factory = new RealFunction('module', 'exports', '"use strict";\n' + source)
    return () => {
      const module = { exports: {} }
      factory(module, module.exports)
      return module.exports
    }
  }

  // --- 5. A tool-using policy (an oracle solver): a generator that yields actions and receives
  // step results. Its module is instantiated once per episode and lives until the episode ends.

  // `yield * call(name, parameters)`: takes one step and gives back its observation; a rolled-back
  // step ends the policy with the error, since an oracle never expects one.
  const call = function * (name, parameters = {}) {
    const result = yield { name, parameters }
    if (result.info.rolledBack) throw new Error(`${name} failed: ${result.observation}`)
    return result.observation
  }
  const policyHelpers = freeze({ call })

  const installPolicy = (policySource, limitsJson) => {
    setLimits(limitsJson)
    const instantiate = moduleFactory(policySource)
    let episode
    return function advance (inputJson) {
      try {
        const input = jsonParse(inputJson)
        let next
        if (input.start !== undefined) {
          const solve = instantiate().solve
          if (typeof solve !== 'function') throw new Error('the policy module does not export solve()')
          episode = solve(input.start, policyHelpers)
          if (episode === null || typeof episode !== 'object' || typeof episode.next !== 'function') {
            throw new Error('solve() must be a generator function')
          }
          next = episode.next()
        } else {
          next = episode.next(input.result)
        }
        if (next.done) return '{"finished":true}'
        return '{"action":' + toObservationJson(next.value) + '}'
      } catch (error) {
        return jsonStringify({ error: messageOf(error) })
      }
    }
  }

  const messageOf = (error) => {
    let message
    try {
      // A plain Error is shown by its message; RangeError, TypeError, ... keep their names.
      if (error instanceof Error) message = error.name === 'Error' ? error.message : `${error.name}: ${error.message}`
      else message = StringCtor(error)
    } catch {
      message = 'the env threw a value that cannot be shown'
    }
    return clip(message)
  }
  // Every text that leaves the sandbox is cut to its limit, whatever path it takes (an error
  // message can quote a property name of any length).
  const clip = (text) => text.length > limits.maxErrorChars ? text.slice(0, limits.maxErrorChars) + '...' : text

  // --- 6. install(envSource, limits) -> dispatch(op, stateJson, argsJson) -> answer ---
  // An answer is a failure as JSON text, {"ok":false,"code":...,"message":...}, or a success: its
  // fields, each a mark, the field's name, '=' and its value as JSON text (src/env/guest.ts reads
  // them). JSON text never holds a raw control character, so the host finds the fields with indexOf
  // and takes the state out exactly as it was made here: never escaped into a JSON string and
  // parsed back on every step.
  const fieldMark = '\u0001'
  const field = (name, json) => fieldMark + name + '=' + json
  const install = (envSource, limitsJson) => {
    setLimits(limitsJson)
    const instantiate = moduleFactory(envSource)
    const required = (env, name) => {
      const fn = env[name]
      if (typeof fn !== 'function') throw new SandboxError('tool_error', `the env module does not export ${name}()`)
      return fn
    }
    const stateOf = toEpisodeStateJson

    const ops = {
      generate (_state, argsJson) {
        const { seed, difficulty } = jsonParse(argsJson)
        const env = instantiate()
        const { rng } = makeRng(seedRng(seed, generatorStream))
        return field('config', toStateJson(required(env, 'generate')(rng, difficulty), 'config'))
      },
      reset (_state, argsJson) {
        const { config, seed } = jsonParse(argsJson)
        const env = instantiate()
        const generator = makeRng(seedRng(seed))
        const state = required(env, 'reset')(config, generator.rng)
        const truth = required(env, 'answer')(config)
        const stateJson = stateOf(state, generator.words())
        const observation = required(env, 'observe')(jsonParse(stateJson).s)
        return field('state', stateJson) + field('truth', toStateJson(truth, 'answer')) + field('observation', toObservationJson(observation))
      },
      tool (stateJson, argsJson) {
        const { name, parameters } = jsonParse(argsJson)
        const env = instantiate()
        const tools = env.tools
        const tool = tools !== null && typeof tools === 'object' && Object.hasOwn(tools, name) ? tools[name] : undefined
        if (typeof tool !== 'function') throw new SandboxError('unknown_tool', `the env module has no tool ${name}`)
        const saved = jsonParse(stateJson)
        const generator = makeRng(saved.r)
        const observation = apply(tool, tools, [saved.s, parameters, generator.rng])
        if (observation !== null && typeof observation === 'object' && typeof observation.then === 'function') {
          throw new SandboxError('tool_error', `tool ${name} returned a promise; tools must be synchronous`)
        }
        const observationJson = toObservationJson(observation)
        return field('state', stateOf(saved.s, generator.words())) + field('observation', observationJson)
      },
      // Observe takes no arguments: its argsJson is not read.
      observe (stateJson) {
        const env = instantiate()
        return field('observation', toObservationJson(required(env, 'observe')(jsonParse(stateJson).s)))
      },
      check (_state, argsJson) {
        const { submitted, truth } = jsonParse(argsJson)
        const env = instantiate()
        const correct = typeof env.isCorrect === 'function'
          ? env.isCorrect(submitted, truth) === true
          : jsonStringify(submitted) === jsonStringify(truth)
        return field('correct', correct ? 'true' : 'false')
      },
    }

    const dispatchOne = (op, stateJson, argsJson) => {
      try {
        return ops[op](stateJson, argsJson)
      } catch (error) {
        if (error instanceof SandboxError) return jsonStringify({ ok: false, code: error.code, message: clip(error.message) })
        return jsonStringify({ ok: false, code: 'tool_error', message: messageOf(error) })
      }
    }

    // op 'many': a run of calls in one entry into the isolate, which costs more than a small call.
    // Each call is dispatched exactly as alone (its own module instance, its own answer); the
    // answers come back in order. Separators are control characters, which JSON text never holds.
    return function dispatch (op, stateJson, argsJson) {
      if (op !== 'many') return dispatchOne(op, stateJson, argsJson)
      const calls = apply(StringPrototype.split, argsJson, [callSeparator])
      let answers = ''
      for (let i = 0; i < calls.length; i++) {
        const fields = apply(StringPrototype.split, calls[i], [fieldSeparator])
        answers += (i === 0 ? '' : callSeparator) + dispatchOne(fields[0], fields[1], fields[2])
      }
      return answers
    }
  }

  return freeze({ install, installPolicy })
})(globalThis)
