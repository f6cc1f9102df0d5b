// A fleet trace saved by `npm run bench -- --only=fleet --trace` read again:
//   node --import tsx bench/trace-report.ts FILE [--maps=web/dist]
// (--maps: the build the trace ran, for its source maps, when its server is no longer there).
import { analyseTrace, formatTrace, readTrace } from './lib/trace-frames.js';

const file = process.argv[2];
const maps = process.argv.find((a) => a.startsWith('--maps='))?.slice(7);
if (!file) {
  process.stderr.write('usage: bench/trace-report.ts FILE [--maps=DIR]\n');
  process.exit(2);
}
const { events, seconds } = readTrace(file);
process.stdout.write(formatTrace(file, await analyseTrace(events, seconds || 8, file, 1000 / 60, maps)));
