import t from 'tap'
const x: number = 1
t.equal(x, 1)
t.equal(process.version.startsWith('v24'), true)
