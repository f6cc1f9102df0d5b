import type { Api, RequestOptions } from '../api.js';
import type { TelemetryResponse } from '../../../src/model/telemetry.js';

/** Rows kept per device chart: 60 s at up to ~130 readings/s; memory stays fixed beyond that. */
export const CHART_CAPACITY = 8192;

/** A device's readings of the last `windowMs` (and any stamped up to 5 s ahead of our clock), as the device chart starts from. */
export function askLiveWindow(api: Api, id: string, now: number, windowMs: number, o?: RequestOptions): Promise<TelemetryResponse> {
  return api.getTelemetry(id, { from: now - windowMs, to: now + 5000, limit: CHART_CAPACITY }, o);
}

/**
 * A device's live window asked for before its page exists: when the dashboard opens on a device's
 * page, the window is asked for as soon as the device list shows the device, while the page's code
 * is still being compiled, and the page's chart takes it instead of waiting for its own request.
 * Taken once, for that device and window, and only while fresh: a page opened later asks itself.
 */
export class EarlyWindow {
  private held: { id: string; windowMs: number; at: number; answer: Promise<TelemetryResponse> } | null = null;

  constructor(
    private readonly freshMs = 10_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  hold(id: string, windowMs: number, answer: Promise<TelemetryResponse>): void {
    // Unhandled until taken; a failure is the page's own request's to report.
    answer.catch(() => {});
    this.held = { id, windowMs, at: this.now(), answer };
  }

  take(id: string, windowMs: number): Promise<TelemetryResponse> | null {
    const h = this.held;
    this.held = null;
    return h && h.id === id && h.windowMs === windowMs && this.now() - h.at <= this.freshMs ? h.answer : null;
  }
}
