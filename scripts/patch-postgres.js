#!/usr/bin/env node
// `npm install` runs this (postinstall). postgres.js 3.4.x (3.4.9 is the newest) can take the whole
// process down when PostgreSQL goes away mid-transaction: a query sent on a connection whose socket
// has closed schedules a write to a null socket, and that TypeError is thrown from a setImmediate,
// past every try/catch (upstream porsager/postgres issues 1066, 1154, 1208; not fixed in a release).
// Fieldscope promises to spool while its store is down, so it must survive exactly that. This makes
// the two changes the upstream reports describe: a closed connection forgets its pending write, and a
// write that finds no socket rejects its queries with CONNECTION_CLOSED. Idempotent; a version whose
// code no longer matches is left alone and said so (test/integration/postgres-driver.test.ts checks
// the behaviour either way).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARK = '/* fieldscope: guarded */';
const edits = [
  {
    what: 'a write that finds no socket settles its queries',
    from: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    to:
      `  function nextWrite(fn) { ${MARK}\n` +
      '    if (socket === null) {\n' +
      '      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n' +
      '      chunk = nextWriteTimer = null\n' +
      "      error(Errors.connection('CONNECTION_CLOSED', options))\n" +
      '      return false\n' +
      '    }\n' +
      '    const x = socket.write(chunk, fn)',
  },
  {
    what: 'a closed connection forgets its pending write',
    from: '    incomings = null\n    clearImmediate(nextWriteTimer)\n    socket.removeListener',
    to: '    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener',
  },
];

let root;
try {
  // The package exports no package.json: its CommonJS entry is <root>/cjs/src/index.js.
  root = join(dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');
} catch {
  process.exit(0); // not installed (yet): nothing to guard
}
for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'].map((f) => join(root, f))) {
  if (!existsSync(file)) continue;
  let text = readFileSync(file, 'utf8');
  if (text.includes(MARK)) continue;
  const missing = edits.filter((e) => !text.includes(e.from));
  if (missing.length) {
    process.stderr.write(`patch-postgres: ${file} differs from 3.4.x (${missing.map((e) => e.what).join('; ')}): left unchanged\n`);
    continue;
  }
  for (const e of edits) text = text.replace(e.from, e.to);
  writeFileSync(file, text);
}
