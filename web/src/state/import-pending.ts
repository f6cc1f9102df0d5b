/**
 * The import under way, remembered in the browser (localStorage) so that after a reload or a
 * dropped connection the import screen can say where it stood and continue it: the file itself
 * cannot be kept, so it is asked for again and recognised by its key.
 */
export interface PendingImport {
  key: string;
  file: string;
  size: number;
  format: 'csv' | 'ndjson';
  device: string;
  map: string;
  start: string;
  applyRetention: boolean;
}

const KEY = 'fieldscope.import.pending';

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function storage(): Store | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function loadPending(s: Store | null = storage()): PendingImport | null {
  try {
    const v = s?.getItem(KEY);
    if (!v) return null;
    const p = JSON.parse(v) as Partial<PendingImport>;
    if (typeof p.key !== 'string' || typeof p.file !== 'string' || typeof p.size !== 'number' || (p.format !== 'csv' && p.format !== 'ndjson')) return null;
    return {
      key: p.key,
      file: p.file,
      size: p.size,
      format: p.format,
      device: String(p.device ?? ''),
      map: String(p.map ?? ''),
      start: String(p.start ?? ''),
      applyRetention: !!p.applyRetention,
    };
  } catch {
    return null;
  }
}

export function savePending(p: PendingImport, s: Store | null = storage()): void {
  try {
    s?.setItem(KEY, JSON.stringify(p));
  } catch {
    /* private mode: this page only */
  }
}

export function clearPending(s: Store | null = storage()): void {
  try {
    s?.removeItem(KEY);
  } catch {
    /* as above */
  }
}
