import type { Alarm, ChannelType, Severity } from '../model/alarm.js';

/** Why a notice is sent: an alarm change, an escalation (still unacknowledged), or a test. */
export type NoticeType = 'raised' | 'cleared' | 'auto_cleared' | 'acked' | 'escalation' | 'test';

export interface Notice {
  type: NoticeType;
  at: number;
  alarm: Alarm | null;
  /** Text for this notice when the alarm's raise message would mislead (a clear quotes the clearing value). */
  message?: string;
}

/** One delivery target. `send` throws when the target did not take the message (then it is retried). */
export interface Channel {
  readonly name: string;
  readonly type: ChannelType;
  send(notices: Notice[]): Promise<void>;
  close?(): void;
}

export interface ChannelPolicy {
  /** Severities that notify on this channel. */
  severities: Severity[];
  /** Notice types that notify; 'cleared' covers auto-clears too. */
  events: NoticeType[];
  /** Notices within this window go out as one message (0: at once, one by one). */
  groupWindowMs: number;
  /** At most one raise notice per (device, rule) within this interval: a flapping condition notifies once. */
  minIntervalMs: number;
  /** Notify again while an alarm stays active and unacknowledged this long (0: never). */
  renotifyAfterMs: number;
  /** Attempts after the first, waiting backoffMs, 2x, 4x, ... between them. */
  retries: number;
  backoffMs: number;
}

const label = (t: NoticeType) =>
  ({ raised: 'RAISED', cleared: 'CLEARED', auto_cleared: 'CLEARED', acked: 'ACKNOWLEDGED', escalation: 'STILL ACTIVE, NOT ACKNOWLEDGED', test: 'TEST' })[t];

export function noticeLine(n: Notice): string {
  if (!n.alarm) return `[TEST] Fieldscope test notification (${new Date(n.at).toISOString()})`;
  const a = n.alarm;
  const by = n.type === 'acked' && a.ackedBy ? ` by ${a.ackedBy}` : n.type === 'cleared' && a.clearedBy ? ` by ${a.clearedBy}` : '';
  return `[${a.severity.toUpperCase()}] ${label(n.type)}${by}: ${n.message ?? a.message} (alarm ${a.id}, device ${a.device}, count ${a.count})`;
}

export function subject(notices: Notice[]): string {
  if (notices.length === 1) return noticeLine(notices[0]);
  const worst = worstSeverity(notices);
  return `[${worst?.toUpperCase() ?? 'INFO'}] ${notices.length} Fieldscope alarm notifications`;
}

const ORDER: Severity[] = ['critical', 'major', 'minor', 'warning', 'info'];
export function worstSeverity(notices: Notice[]): Severity | null {
  let best: number | null = null;
  for (const n of notices) {
    if (!n.alarm) continue;
    const i = ORDER.indexOf(n.alarm.severity);
    if (best === null || i < best) best = i;
  }
  return best === null ? null : ORDER[best];
}

/** A JSON-friendly view of notices, shared by the webhook and the live toasts. */
export function noticePayload(notices: Notice[]) {
  return notices.map((n) => ({ event: n.type, at: n.at, text: noticeLine(n), alarm: n.alarm }));
}

/** POSTs JSON; anything but 2xx is a failure the dispatcher retries. */
export async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`HTTP ${res.status}${text ? ': ' + text.slice(0, 200) : ''}`);
}
