import client from 'prom-client';
import type { Alarm } from './model/alarm.js';
import { SEVERITIES, SYSTEM_KIND } from './model/alarm.js';
import type { SeqDeviceState } from './pipeline/sequence.js';

export interface OperatorMetricSources {
  /** Open alarms, device and system, as held in memory (a scrape never reads the store). */
  openAlarms: () => Alarm[];
  /** Read at each scrape: not a sorted copy (100,000 devices). */
  devices: () => Iterable<{ readonly id: string; readonly profile: string | null }>;
  sequence: (device: string) => SeqDeviceState | undefined;
  spoolLimitBytes: number;
}

/** Missing seqs still open in a device's gaps (late arrivals have already filled the others). */
function missing(st: SeqDeviceState): number {
  let n = 0;
  for (const g of st.gaps) n += g.toSeq - g.fromSeq + 1;
  return n;
}

/**
 * What operators alert on, computed at scrape time from in-memory state: open alarms by severity
 * and origin, each system alarm's component, and completeness per profile. The counters that are
 * counted as they happen (notification results) are here too; the rest is in metrics.ts.
 */
export function createOperatorMetrics(registry: client.Registry, src: OperatorMetricSources) {
  new client.Gauge({
    name: 'fieldscope_alarms_open',
    help: 'Open (active) alarms, by severity and origin (device: from rules; system: Fieldscope itself)',
    labelNames: ['severity', 'origin'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of SEVERITIES) for (const origin of ['device', 'system']) this.set({ severity: s, origin }, 0);
      for (const a of src.openAlarms()) this.inc({ severity: a.severity, origin: a.kind === SYSTEM_KIND ? 'system' : 'device' });
    },
  });
  new client.Gauge({
    name: 'fieldscope_system_alarm_active',
    help: 'A system alarm open now, by component (store, spool, broker, serial:PATH, channel:NAME, disk) and severity',
    labelNames: ['component', 'severity'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of src.openAlarms()) if (a.kind === SYSTEM_KIND) this.set({ component: a.metric ?? a.ruleId, severity: a.severity }, 1);
    },
  });
  new client.Gauge({
    name: 'fieldscope_completeness_ratio',
    help: 'Messages received / (received + still missing), per device profile, over what sequence accounting has seen of each device',
    labelNames: ['profile'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const sums = new Map<string, { received: number; missing: number }>();
      for (const d of src.devices()) {
        const st = src.sequence(d.id);
        if (!st) continue;
        const p = d.profile ?? 'none';
        const s = sums.get(p) ?? { received: 0, missing: 0 };
        s.received += st.received;
        s.missing += missing(st);
        sums.set(p, s);
      }
      for (const [profile, s] of sums) if (s.received + s.missing > 0) this.set({ profile }, s.received / (s.received + s.missing));
    },
  });
  new client.Gauge({
    name: 'fieldscope_spool_limit_bytes',
    help: 'Most bytes the spool may hold (fieldscope_spool_bytes / this = how full it is)',
    registers: [registry],
    collect() {
      this.set(src.spoolLimitBytes);
    },
  });
  const notifications = new client.Counter({
    name: 'fieldscope_notifications_total',
    help: 'Notification deliveries finished, by channel and result (sent, failed: after all retries)',
    labelNames: ['channel', 'result'] as const,
    registers: [registry],
  });
  return {
    delivered(channel: string, result: 'sent' | 'failed') {
      notifications.inc({ channel, result });
    },
  };
}
