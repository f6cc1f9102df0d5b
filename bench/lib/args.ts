import { parseArgs } from 'node:util';

/** --name value pairs into an object of strings. */
export function scriptArgs(): Record<string, string> {
  const out: Record<string, string> = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}
export { parseArgs };
