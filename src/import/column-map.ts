import { isValidDeviceId } from '../pipeline/decode.js';
import { DomainError } from '../model/errors.js';

/** How the columns of a wide CSV become readings: one time column, one metric per numeric column. */
export interface ColumnPlan {
  timeIndex: number;
  timeColumn: string;
  metrics: { index: number; column: string; metric: string }[];
  /** A fixed device id, or the columns it is built from (machine + sensor, or a device column). */
  device: { fixed: string } | { columns: number[] };
  /** Profile the devices are bound to when they have none yet (the MES vibration shape binds `vibration`). */
  profile?: string;
  /** Text columns left out (found non-numeric in the first data row). */
  ignored: string[];
}

export class ImportError extends DomainError {
  declare readonly field: string;
  declare readonly rule: string;
  constructor(message: string, field = 'file', rule = 'import') {
    super(400, message, field, rule, 'import');
  }
}

const TIME_COLUMNS = ['time', 'ts', 'timestamp'];
const DEVICE_COLUMNS = ['device', 'device_id', 'deviceid'];
/** The MES seed's vibration CSV: one amplitude column per fault class. */
const MES_COLUMNS: Record<string, string> = { normal: 'normal', 'type 1': 'unbalance', 'type 2': 'looseness', 'type 3': 'unbalance_looseness' };
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

const norm = (s: string) =>
  s
    .trim()
    .replace(/^\uFEFF/, '')
    .toLowerCase();

/** "a=b,c=d" -> {a: "b", c: "d"}; column names compared case-insensitively. */
export function parseColumnMap(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ImportError(`--map: expected column=metric, got "${pair}"`, 'map', 'format');
    const metric = pair.slice(eq + 1).trim();
    if (!METRIC_NAME.test(metric)) throw new ImportError(`--map: "${metric}" is not a metric name (letters, digits, _ . -)`, 'map', 'metric_name');
    out[norm(pair.slice(0, eq))] = metric;
  }
  return out;
}

/** "Type 1" -> "type_1": a metric name from a column header. */
function metricName(column: string): string {
  return norm(column)
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(?=[0-9.-])/, '_');
}

/** A device id from a file name: "g1_sensor1.csv" -> "g1_sensor1". */
export function deviceFromFileName(name: string): string | undefined {
  const stem = name
    .replace(/^.*[\\/]/, '')
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9._:-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return stem && isValidDeviceId(stem) ? stem : undefined;
}

/**
 * Plans the columns from the header and the first data row (which tells text columns from numeric
 * ones). Device: --device, else machine + sensor columns, else a device column, else the file name.
 */
export function planColumns(
  header: string[],
  firstRow: string[] | undefined,
  o: { device?: string; map?: Record<string, string>; fileName?: string },
): ColumnPlan {
  const names = header.map(norm);
  const map = o.map ?? {};
  for (const col of Object.keys(map)) {
    if (!names.includes(col)) throw new ImportError(`--map names column "${col}", which the header does not have (${header.join(', ')})`, 'map', 'column');
  }
  const timeIndex = names.findIndex((n) => TIME_COLUMNS.includes(n));
  if (timeIndex === -1)
    throw new ImportError(`no time column: the header needs one of ${TIME_COLUMNS.join(', ')} (got ${header.join(', ')})`, 'header', 'time_column');

  const mes = Object.keys(MES_COLUMNS).every((c) => names.includes(c));
  const machine = names.indexOf('machine');
  const sensor = names.indexOf('sensor');
  const deviceCol = names.findIndex((n) => DEVICE_COLUMNS.includes(n));
  let device: ColumnPlan['device'];
  if (o.device !== undefined) {
    if (!isValidDeviceId(o.device)) throw new ImportError(`device "${o.device}" must be 1-128 characters of letters, digits, . _ : -`, 'device', 'device_id');
    device = { fixed: o.device };
  } else if (machine !== -1 && sensor !== -1) device = { columns: [machine, sensor] };
  else if (deviceCol !== -1) device = { columns: [deviceCol] };
  else {
    const fromName = o.fileName ? deviceFromFileName(o.fileName) : undefined;
    if (!fromName)
      throw new ImportError('no device: pass --device ID (or device=), or give the file machine and sensor columns, or a device column', 'device', 'required');
    device = { fixed: fromName };
  }

  const skip = new Set([timeIndex, machine, sensor, deviceCol]);
  const metrics: ColumnPlan['metrics'] = [];
  const ignored: string[] = [];
  const seen = new Set<string>();
  names.forEach((n, index) => {
    if (skip.has(index) && map[n] === undefined) return;
    const metric = map[n] ?? (mes ? MES_COLUMNS[n] : undefined) ?? metricName(header[index]);
    const sample = firstRow?.[index]?.trim();
    if (map[n] === undefined && sample !== undefined && sample !== '' && !Number.isFinite(Number(sample))) {
      ignored.push(header[index]);
      return;
    }
    if (!METRIC_NAME.test(metric)) throw new ImportError(`column "${header[index]}" gives no usable metric name; name it with --map`, 'header', 'metric_name');
    if (seen.has(metric)) throw new ImportError(`two columns map to metric "${metric}"; rename one with --map`, 'header', 'duplicate_metric');
    seen.add(metric);
    metrics.push({ index, column: header[index], metric });
  });
  if (metrics.length === 0) throw new ImportError('no numeric columns to import', 'header', 'no_metrics');
  return { timeIndex, timeColumn: header[timeIndex].trim(), metrics, device, profile: mes ? 'vibration' : undefined, ignored };
}

/** The device id of one row under the plan ("g1" + "sensor1" -> "g1-sensor1"). */
export function rowDevice(plan: ColumnPlan, fields: string[]): string {
  const d = plan.device;
  if ('fixed' in d) return d.fixed;
  if (d.columns.length === 1) return (fields[d.columns[0]] ?? '').trim();
  return (fields[d.columns[0]] ?? '').trim() + '-' + (fields[d.columns[1]] ?? '').trim();
}
