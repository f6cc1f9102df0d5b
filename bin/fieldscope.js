#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('fieldscope: not built yet. Run `npm run build` (npm install does it).\n');
  process.exit(2);
}
const { main } = await import(cli.href);
await main();
