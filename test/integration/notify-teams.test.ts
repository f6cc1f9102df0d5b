// The Microsoft Teams channel, added as one folder (src/notify/teams/) and one registry line:
// configured from its own section, it posts a MessageCard to a local receiver; a rule that fires
// reaches it; a bad setting is named.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { buildChannels } from '../../src/notify/setup.js';
import { defaults } from '../../src/config.js';
import type { NotificationRecord } from '../../src/model/alarm.js';
import { callApi, type ApiAnswer } from '../helpers/api-call.js';

interface Card {
  '@type': string;
  themeColor: string;
  title: string;
  sections: { text: string; facts: { name: string; value: string }[] }[];
}
const cards: Card[] = [];
let refuse = 0;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    if (refuse > 0) {
      refuse--;
      res.writeHead(429).end('Too many requests');
      return;
    }
    assert.equal(req.headers['content-type'], 'application/json');
    cards.push(JSON.parse(body) as Card);
    // Teams answers "1" when it took the card.
    res.writeHead(200, { 'content-type': 'text/plain' }).end('1');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhookb2/test`;

const data = tempDir();
const urlFile = join(data.dir, 'teams-url');
writeFileSync(urlFile, url + '\n');
const app = await startTestApp({
  notify: { teams: { webhookUrlFile: urlFile } },
  notifications: { teams: { groupWindowMs: 0, minIntervalMs: 0, backoffMs: 10 } },
});
after(async () => {
  await app.stop();
  receiver.close();
  data.remove();
});

function api<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  return callApi<T>(app.httpUrl, method, path, body);
}

test('teams: a test notification arrives as a MessageCard, retried until the webhook takes it', async () => {
  refuse = 1;
  const res = await api<NotificationRecord>('POST', '/api/v1/notifications/test', { channel: 'teams' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'sent');
  assert.equal(res.body.attempts, 2);
  const card = cards.at(-1)!;
  assert.equal(card['@type'], 'MessageCard');
  assert.match(card.title, /TEST/);
});

test('teams: a raised alarm arrives with its device and severity, coloured by severity', async () => {
  const rule = await api<{ id: string }>('POST', '/api/v1/rules', {
    name: 'boiler hot',
    severity: 'critical',
    scope: 'device',
    target: 'boiler-1',
    kind: 'threshold',
    metric: 'temperature',
    op: '>',
    value: 90,
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const before = cards.length;
  const sent = await api('POST', '/api/v1/devices/boiler-1/telemetry', { temperature: 95, ts: Date.now(), seq: 1 });
  assert.equal(sent.status, 200);
  const card = await until(() => cards.slice(before).find((c) => c.sections.some((s) => s.facts.some((f) => f.value === 'boiler-1'))), {
    what: 'a card about boiler-1',
  });
  assert.equal(card.themeColor, 'B00020');
  assert.match(card.title, /CRITICAL.*RAISED.*boiler hot|CRITICAL.*RAISED/);
  assert.deepEqual(
    card.sections[0].facts.find((f) => f.name === 'Severity'),
    { name: 'Severity', value: 'critical' },
  );
});

test('teams: a bad setting is named; an http:// URL to another machine is refused', () => {
  assert.throws(() => buildChannels({ ...defaults, notify: { teams: { webhookUrl: url } } }, {}), /notify\.teams: unknown setting "webhookUrl"/);
  assert.throws(
    () => buildChannels({ ...defaults, notify: { teams: { webhookUrlFile: 42 } } }, {}),
    /notify\.teams\.webhookUrlFile must be a non-empty string/,
  );
  assert.throws(() => buildChannels({ ...defaults, notify: { pager: {} } }, {}), /notify\.pager: no such channel type/);
  assert.throws(
    () => buildChannels({ ...defaults }, { FIELDSCOPE_TEAMS_WEBHOOK_URL: 'http://teams.example.com/hook' }),
    /FIELDSCOPE_TEAMS_WEBHOOK_URL must be an https:\/\/ URL/,
  );
  const ok = buildChannels({ ...defaults }, { FIELDSCOPE_TEAMS_WEBHOOK_URL: 'https://example.webhook.office.com/webhookb2/x' });
  assert.ok(ok.channels.some((c) => c.channel.type === 'teams'));
});
