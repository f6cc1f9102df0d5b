import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import WebSocket from 'ws';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import type { RunningApp } from '../../src/app.js';
import type { Alarm, NotificationRecord } from '../../src/model/alarm.js';
import type { LiveServerMessage } from '../../src/model/live.js';
import { callApi, type ApiAnswer } from '../helpers/api-call.js';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const SECRET = 'test-signing-secret';
const data = tempDir();
const hits: Hit[] = [];
/** Paths that answer 500 this many more times. */
const failures = new Map<string, number>();
const mails: { to: string[]; raw: string }[] = [];
let http: Server;
let smtp: SMTPServer;
let app: RunningApp;

before(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      const left = failures.get(req.url ?? '') ?? 0;
      if (left > 0) {
        failures.set(req.url ?? '', left - 1);
        res.writeHead(500).end('try again');
      } else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  writeFileSync(join(data.dir, 'webhook-secret'), SECRET + '\n');
  writeFileSync(join(data.dir, 'slack-url'), `${base}/slack/T000/B000/XXXX\n`);
  app = await startTestApp({
    dataDir: join(data.dir, 'db'),
    webhookUrl: `${base}/hook`,
    webhookSecretFile: join(data.dir, 'webhook-secret'),
    slackWebhookUrlFile: join(data.dir, 'slack-url'),
    smtpHost: '127.0.0.1',
    smtpPort: (smtp.server.address() as AddressInfo).port,
    emailTo: 'ops@example.test',
    notifications: {
      webhook: { groupWindowMs: 400, minIntervalMs: 60_000, retries: 3, backoffMs: 20, renotifyAfterMs: 1500 },
      slack: { groupWindowMs: 400, severities: ['critical'] },
      email: { groupWindowMs: 400, retries: 1, backoffMs: 20 },
    },
  });
});

after(async () => {
  await app?.stop();
  await new Promise((r) => http.close(r));
  await new Promise<void>((r) => smtp.close(() => r()));
  data.remove();
});

function api<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  return callApi<T>(app.httpUrl, method, path, body);
}
const webhookBodies = () =>
  hits.filter((h) => h.path === '/hook').map((h) => JSON.parse(h.body) as { notifications: { event: string; alarm: Alarm | null }[] });

test('a test notification is retried with backoff until the webhook takes it, and is signed', async () => {
  failures.set('/hook', 2);
  const res = await api<NotificationRecord>('POST', '/api/v1/notifications/test', { channel: 'webhook' });
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'sent');
  assert.equal(res.body.attempts, 3);
  const tries = hits.filter((h) => h.path === '/hook');
  assert.equal(tries.length, 3);
  for (const h of tries) {
    assert.equal(h.headers['x-fieldscope-signature'], 'sha256=' + createHmac('sha256', SECRET).update(h.body).digest('hex'));
  }
  const log = await api<{ notifications: NotificationRecord[] }>('GET', '/api/v1/notifications?channel=webhook');
  assert.equal(log.body.notifications[0].attempts, 3);
  assert.equal(log.body.notifications[0].kind, 'test');

  const unknown = await api<{ field: string; rule: string }>('POST', '/api/v1/notifications/test', { channel: 'pager' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.field, 'channel');
});

test('a burst of alarms goes out as one message per channel: webhook, Slack, email and dashboard toast', async () => {
  const ws = new WebSocket(app.httpUrl.replace('http', 'ws') + '/api/v1/live');
  const live: LiveServerMessage[] = [];
  ws.on('message', (d) => live.push(JSON.parse(d.toString()) as LiveServerMessage));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', devices: '*' }));

  const r = await api<{ id: string }>('POST', '/api/v1/rules', {
    name: 'pressure',
    severity: 'critical',
    scope: 'all',
    kind: 'threshold',
    metric: 'bar',
    op: '>',
    value: 10,
  });
  assert.equal(r.status, 201);
  const before = hits.length;
  await api(
    'POST',
    '/api/v1/telemetry',
    [1, 2, 3].map((n) => ({ device_id: `press-${n}`, bar: 12 })),
  );
  const [msg] = await until(
    () => {
      const b = webhookBodies().filter((x) => x.notifications.some((n) => n.event === 'raised'));
      return b.length ? b : undefined;
    },
    { what: 'webhook burst' },
  );
  assert.equal(msg.notifications.length, 3, 'one message for the burst');
  assert.deepEqual(msg.notifications.map((n) => n.alarm!.device).sort(), ['press-1', 'press-2', 'press-3']);

  const slack = await until(() => hits.slice(before).find((h) => h.path.startsWith('/slack/')), { what: 'slack message' });
  const sbody = JSON.parse(slack.body) as { text: string; attachments: { text: string; color: string }[] };
  assert.match(sbody.text, /3 Fieldscope alarm notifications/);
  assert.equal(sbody.attachments[0].text.split('\n').length, 3);

  const mail = await until(() => mails.find((m) => /3 Fieldscope alarm notifications/.test(m.raw)), { what: 'email' });
  assert.deepEqual(mail.to, ['ops@example.test']);
  assert.match(mail.raw, /press-2/);

  await until(() => live.find((m) => m.type === 'toast'), { what: 'toast' });
  assert.ok(live.some((m) => m.type === 'alarm' && m.event === 'raised' && m.alarm.device === 'press-1'));
  await until(() => live.find((m) => m.type === 'stats' && m.device === 'press-1'), { what: 'live stats' });
  ws.close();

  // Escalation: still active and unacknowledged after renotifyAfterMs.
  await until(() => webhookBodies().find((b) => b.notifications.some((n) => n.event === 'escalation')), { what: 'escalation', timeoutMs: 15_000 });
});

test('a flapping condition notifies once per minimum interval; the clear follows the raise', async () => {
  await api('POST', '/api/v1/rules', { name: 'flap', severity: 'minor', scope: 'device', target: 'flap-1', kind: 'threshold', metric: 'y', op: '>', value: 5 });
  const t = Date.now() - 60_000;
  await api('POST', '/api/v1/devices/flap-1/telemetry', [
    { y: 6, ts: t },
    { y: 1, ts: t + 1000 },
    { y: 7, ts: t + 2000 },
    { y: 1, ts: t + 3000 },
    { y: 8, ts: t + 4000 },
  ]);
  const alarms = (await api<{ alarms: Alarm[] }>('GET', '/api/v1/alarms?device=flap-1')).body.alarms;
  assert.equal(alarms.length, 3, 'three alarms in the data');
  const first = alarms.at(-1)!;
  const msg = await until(() => webhookBodies().find((b) => b.notifications.some((n) => n.alarm?.device === 'flap-1')), { what: 'flap webhook' });
  const flap = msg.notifications.filter((n) => n.alarm?.device === 'flap-1');
  assert.deepEqual(
    flap.map((n) => [n.event, n.alarm!.id]),
    [
      ['raised', first.id],
      ['auto_cleared', first.id],
    ],
    'only the first raise (and its clear) inside the minimum interval',
  );
});
