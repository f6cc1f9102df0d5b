import type { Reading } from '../model/reading.js';
import type { ImportRetentionNote } from '../model/retention.js';
import type { RetentionStore } from '../stores/store.js';
import type { EffectiveRetention } from '../stores/retention.js';
import { describeRetention } from '../stores/retention-rules.js';
import { HOUR } from '../stores/zoned-time.js';

/** Which raw retention applied to one imported device, and what the import did about it. */
export type { ImportRetentionNote };

export interface RetentionGateOptions {
  rules: { forDevice(device: string, profile: string | null): Promise<EffectiveRetention> };
  store: Pick<RetentionStore, 'hold'>;
  /** Apply raw retention to the import: readings already past it are not stored (counted and named). */
  applyRetention: boolean;
  /** The hold's reason: one per file (a resumed import widens its own hold). */
  reason: string;
  now: number;
  /** Told of each device's first readings past its retention, before they are written. */
  onWarning?: (text: string) => void;
}

/**
 * Sits before each write of an import: finds readings older than their device's raw retention and
 * says so before writing them; by default holds the imported range so that no retention pass
 * deletes it (the hold is stored before the readings, so no pass can come between), or, when asked
 * to apply retention, leaves the older readings out.
 */
export class RetentionGate {
  private readonly byDevice = new Map<string, ImportRetentionNote>();
  private readonly warned = new Set<string>();
  readonly warnings: string[] = [];
  dropped = 0;

  constructor(private readonly opts: RetentionGateOptions) {}

  async check(readings: Reading[], profileOf: (device: string) => string | null): Promise<Reading[]> {
    const span = new Map<string, { min: number; max: number; older: number }>();
    for (const r of readings) {
      const note = this.byDevice.get(r.device) ?? (await this.note(r.device, profileOf(r.device)));
      const s = span.get(r.device);
      const older = r.ts < note.cutoff ? 1 : 0;
      if (!s) span.set(r.device, { min: r.ts, max: r.ts, older });
      else {
        if (r.ts < s.min) s.min = r.ts;
        if (r.ts > s.max) s.max = r.ts;
        s.older += older;
      }
    }
    for (const [device, s] of span) {
      const note = this.byDevice.get(device)!;
      note.olderReadings += s.older;
      if (!this.opts.applyRetention) {
        await this.opts.store.hold({ device, from: s.min, to: s.max, reason: this.opts.reason, createdAt: this.opts.now });
        note.heldFrom = Math.min(note.heldFrom ?? s.min, s.min);
        note.heldTo = Math.max(note.heldTo ?? s.max, s.max);
      }
      if (s.older > 0 && !this.warned.has(device)) {
        this.warned.add(device);
        const text =
          `device ${device}: readings older than its raw retention of ${note.retention} (before ${new Date(note.cutoff).toISOString()}); ` +
          (this.opts.applyRetention
            ? 'not stored, as --apply-retention asks'
            : 'kept: imported history is exempt from raw retention (--apply-retention drops them)');
        this.warnings.push(text);
        this.opts.onWarning?.(text);
      }
    }
    if (!this.opts.applyRetention) return readings;
    const kept = readings.filter((r) => r.ts >= this.byDevice.get(r.device)!.cutoff);
    this.dropped += readings.length - kept.length;
    return kept;
  }

  notes(): ImportRetentionNote[] {
    return [...this.byDevice.values()].sort((a, b) => a.device.localeCompare(b.device));
  }

  private async note(device: string, profile: string | null): Promise<ImportRetentionNote> {
    const r = await this.opts.rules.forDevice(device, profile);
    const note: ImportRetentionNote = {
      device,
      profile,
      rawRetentionHours: r.rawMs / HOUR,
      source: r.rawSource,
      retention: describeRetention(r, profile),
      cutoff: this.opts.now - r.rawMs,
      olderReadings: 0,
      exempt: !this.opts.applyRetention,
    };
    this.byDevice.set(device, note);
    return note;
  }
}
