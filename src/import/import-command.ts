import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createStore, retentionFromConfig } from '../stores/open-store.js';
import { RetentionRules } from '../stores/retention-rules.js';
import { ProfileRegistry } from '../profiles/profiles.js';
import { parseTimestamp } from '../pipeline/decode.js';
import { parseColumnMap, ImportError } from './column-map.js';
import { formatOf, importFile, type ImportFormat, type ImportProgress, type ImportSummary } from './importer.js';

export const IMPORT_HELP = `Usage: fieldscope import FILE.csv|FILE.ndjson [options]
  --device ID        every row belongs to this device (default: machine+sensor columns, a device column, or the file name)
  --map a=b,...      column -> metric overrides (CSV)
  --start TIME       the time column holds seconds since TIME (ISO-8601 or epoch ms), as the MES rig's Time does
  --format F         csv or ndjson (default: from the file extension)
  --data DIR         data directory [FIELDSCOPE_DATA] (default ./data)
  --profiles DIR     extra device profiles [FIELDSCOPE_PROFILES]
  --apply-retention  leave out readings already older than their device's raw retention (default: keep
                     imported history, exempt from raw retention; either way the summary says which applies)
A crashed import of the same file resumes from its last commit; importing it again adds nothing.
`;

export interface ImportCommandIo {
  stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  signal?: AbortSignal;
  batchRows?: number;
  /** Called after each committed transaction. */
  onCommit?: () => void;
}

/** `fieldscope import`: opens the store directly (SQLite WAL lets a running server keep writing beside it). */
export async function importCommand(argv: string[], io: ImportCommandIo = { stderr: process.stderr }): Promise<ImportSummary> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      device: { type: 'string' },
      map: { type: 'string' },
      start: { type: 'string' },
      format: { type: 'string' },
      data: { type: 'string' },
      profiles: { type: 'string' },
      'apply-retention': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new ImportError(`give exactly one file to import\n\n${IMPORT_HELP}`, 'file', 'required');
  const file = positionals[0];
  const format = (values.format ?? formatOf(file)) as ImportFormat | undefined;
  if (format !== 'csv' && format !== 'ndjson')
    throw new ImportError(`cannot tell the format of ${file}: name it .csv or .ndjson, or pass --format csv|ndjson`, 'format', 'format');
  let start: number | undefined;
  if (values.start !== undefined) {
    const t = parseTimestamp(values.start);
    if (t === null) throw new ImportError(`--start must be an ISO-8601 time or epoch ms, got "${values.start}"`, 'start', 'timestamp');
    start = t;
  }
  const flags: Record<string, unknown> = {};
  if (values.data !== undefined) flags.dataDir = values.data;
  if (values.profiles !== undefined) flags.profilesDir = values.profiles;
  const config = loadConfig({ flags });
  const store = createStore(config);
  await store.open();
  try {
    const profiles = ProfileRegistry.load(config.profilesDir);
    for (const p of await store.catalog.listProfiles()) profiles.set(p);
    const bar = io.stderr.isTTY ? progressBar(io.stderr) : undefined;
    const retention = new RetentionRules({
      base: retentionFromConfig(config),
      rawHoursByProfile: config.retentionRawHoursByProfile,
      rawHoursByDevice: config.retentionRawHoursByDevice,
      profiles,
      store: store.retention,
    });
    const summary = await importFile(store, file, {
      format,
      device: values.device,
      map: parseColumnMap(values.map),
      start,
      profiles,
      signal: io.signal,
      batchRows: io.batchRows,
      onProgress: bar,
      onCommit: io.onCommit,
      retention,
      applyRetention: values['apply-retention'] ?? false,
      // Said before the rows are written, on its own line even under the progress bar.
      onWarning: (text) => io.stderr.write(`${bar ? '\n' : ''}warning: ${text}\n`),
    });
    if (bar) io.stderr.write('\n');
    return summary;
  } finally {
    await store.close();
  }
}

function progressBar(out: { write(s: string): unknown }): (p: ImportProgress) => void {
  const t0 = performance.now();
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (now - last < 100 && p.bytes !== p.totalBytes) return;
    last = now;
    const frac = p.totalBytes ? Math.min(1, p.bytes / p.totalBytes) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const rate = p.rowsRead / Math.max(0.001, (now - t0) / 1000);
    out.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${p.rowsRead.toLocaleString('en-US')} rows  ${Math.round(rate).toLocaleString('en-US')} rows/s`,
    );
  };
}

export function formatSummary(s: ImportSummary): string {
  const lines = [
    `rows read        ${s.rowsRead}`,
    `readings stored  ${s.readingsStored}`,
    `already stored   ${s.alreadyStored} readings (not written again)`,
    `same time        ${s.sameTimeInFile} readings (rows repeating an earlier row's time in this file; the first kept)`,
    `rejected rows    ${s.rejected}`,
    `seconds          ${s.seconds.toFixed(1)}`,
  ];
  if (s.resumedFromLine !== undefined) lines.push(`resumed at line  ${s.resumedFromLine} (counts are this run's)`);
  if (s.ignoredColumns?.length) lines.push(`ignored columns  ${s.ignoredColumns.join(', ')} (not numeric)`);
  for (const r of s.retention) {
    const held = r.exempt ? 'imported history kept (exempt from raw retention)' : 'raw retention applied';
    lines.push(`raw retention    ${r.device}: ${r.retention}; ${held}${r.olderReadings ? `, ${r.olderReadings} readings older than it` : ''}`);
  }
  if (s.droppedByRetention) lines.push(`not stored       ${s.droppedByRetention} readings past their raw retention (--apply-retention)`);
  for (const r of s.rejectedLines.slice(0, 20)) lines.push(`  line ${r.line}: ${r.field} (${r.rule}) ${r.error}`);
  if (s.rejected > 20)
    lines.push(`  ... ${s.rejected - Math.min(20, s.rejectedLines.length)} more (GET /api/v1/rejected lists the first ${s.rejectedLines.length})`);
  return lines.join('\n') + '\n';
}
