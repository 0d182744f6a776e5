// Prompt files (versioned front matter, placeholders, the stage marker) and reading files out of answers.
import t from 'tap'
import { extractFiles, loadPrompt, parsePrompt, promptFiles, promptMarker, renderPrompt, type PromptName } from '../../src/synth/prompts.ts'

await t.test('every prompt file has a version and the marker with its stage', async (t) => {
  for (const name of Object.keys(promptFiles) as PromptName[]) {
    const template = loadPrompt(name)
    t.match(template.version, /^[a-z]+-v\d+$/, name)
    t.match(promptFiles[name], new RegExp(`\\.v${template.version.split('-v')[1]}\\.md$`), `${name}: the file name carries the version`)
    const rendered = renderPrompt(template, { problemId: 'p-1', attempt: 3 })
    const marker = promptMarker.exec(rendered)
    t.same(marker?.slice(2), ['p-1', '3'], name)
  }
  t.equal(promptMarker.exec(renderPrompt(loadPrompt('solver'), { problemId: 'x', attempt: 1 }))?.[1], 'verify')
})

await t.test('rendering fills given names once and leaves the others', async (t) => {
  const template = parsePrompt('gym', '---\nversion: gym-v9\n---\nA {{statement}} and {{length}}.\n')
  t.equal(template.version, 'gym-v9')
  t.equal(renderPrompt(template, { statement: 'text with {{statement}}' }), 'A text with {{statement}} and {{length}}.\n')
  t.throws(() => renderPrompt(template, { missing: 'x' }), /has no \{\{missing\}\}/)
  t.throws(() => parsePrompt('gym', 'no front matter'), /no front matter/)
  t.throws(() => parsePrompt('gym', '---\nstage: gym\n---\nbody'), /no version/)
})

await t.test('files are the fenced blocks whose info string names them', async (t) => {
  const answer = [
    'Here you go.',
    '```json env.json',
    '{"a": 1}',
    '```',
    '',
    '```js',
    'not named',
    '```',
    '````js env.js',
    'const s = "```"',
    '````',
    '```js env.json',
    'a second env.json is ignored',
    '```',
  ].join('\n')
  const files = extractFiles(answer)
  t.same([...files.keys()], ['env.json', 'env.js'])
  t.equal(files.get('env.json'), '{"a": 1}\n')
  t.equal(files.get('env.js'), 'const s = "```"\n')
  t.same([...extractFiles('no code at all').keys()], [])
})
