// Slack as a bot: chat.postMessage with a bot token to a channel or a user, against a local HTTP
// stand-in for the Slack Web API that behaves as Slack does (200 with ok:false on refusals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { SlackBotChannel } from '../../src/notify/slack-bot/slack-bot.js';
import { buildChannels, NotifyConfigError } from '../../src/notify/setup.js';
import { defaults } from '../../src/config.js';

interface Call {
  path: string;
  auth: string | undefined;
  body: { channel: string; text: string; attachments: { text: string; color: string }[] };
}

/** The Slack Web API as far as chat.postMessage goes: a known token, known channels and users. */
async function slackStandIn(token: string) {
  const calls: Call[] = [];
  const known = new Set(['C0ALARMS', 'U0OLGA']);
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(data) as Call['body'];
      calls.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      if (req.url !== '/api/chat.postMessage') return res.writeHead(404).end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      if (req.headers.authorization !== `Bearer ${token}`) return res.writeHead(200).end(JSON.stringify({ ok: false, error: 'invalid_auth' }));
      if (!known.has(body.channel)) return res.writeHead(200).end(JSON.stringify({ ok: false, error: 'channel_not_found' }));
      res.writeHead(200).end(JSON.stringify({ ok: true, channel: body.channel, ts: '1700000000.000100' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, calls, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const TOKEN = 'xoxb-test-0000-not-a-real-token';

test('Slack bot: an alarm is posted with chat.postMessage and the bot token to the configured channel', async (t) => {
  const slack = await slackStandIn(TOKEN);
  t.after(slack.close);
  const d = tempDir();
  t.after(() => d.remove());
  writeFileSync(join(d.dir, 'bot-token'), TOKEN + '\n');
  const app = await startTestApp({
    dataDir: join(d.dir, 'data'),
    notify: { slack: { botTokenFile: join(d.dir, 'bot-token'), channel: 'C0ALARMS', apiUrl: slack.base } },
    notifications: { 'slack-bot': { groupWindowMs: 0, minIntervalMs: 0 } },
  });
  t.after(() => app.stop());
  const post = (path: string, body: unknown) =>
    fetch(app.httpUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(
    (await post('/api/v1/rules', { name: 'Hot motor', severity: 'critical', scope: 'all', kind: 'threshold', metric: 't', op: '>', value: 50 })).status,
    201,
  );
  assert.equal((await post('/api/v1/devices/m-7/telemetry', { t: 90 })).status, 200);
  const call = await until(() => slack.calls.find((c) => c.body.text.includes('RAISED')), { what: 'chat.postMessage' });
  assert.equal(call.path, '/api/chat.postMessage');
  assert.equal(call.auth, `Bearer ${TOKEN}`);
  assert.equal(call.body.channel, 'C0ALARMS');
  assert.match(call.body.text, /\[CRITICAL\] RAISED: .*m-7/);
  assert.equal(call.body.attachments[0].color, '#b00020');
  type Log = { notifications: { status: string }[] };
  await until(
    async () => ((await (await fetch(`${app.httpUrl}/api/v1/notifications?channel=slack-bot`)).json()) as Log).notifications.some((n) => n.status === 'sent'),
    { what: 'logged as sent' },
  );
});

test("Slack bot: a user id as target, and Slack refusals (ok:false) are failures with Slack's reason, never the token", async (t) => {
  const slack = await slackStandIn(TOKEN);
  t.after(slack.close);
  const notice = [{ type: 'test' as const, at: Date.now(), alarm: null }];
  await new SlackBotChannel({ token: TOKEN, channel: 'U0OLGA', apiUrl: slack.base }).send(notice);
  assert.equal(slack.calls.at(-1)!.body.channel, 'U0OLGA');
  await assert.rejects(new SlackBotChannel({ token: TOKEN, channel: 'C0NOWHERE', apiUrl: slack.base }).send(notice), /channel_not_found/);
  const bad = new SlackBotChannel({ token: 'xoxb-wrong', channel: 'C0ALARMS', apiUrl: slack.base + '/' });
  await assert.rejects(bad.send(notice), (err: Error) => /invalid_auth/.test(err.message) && !err.message.includes('xoxb'));
});

test('Slack bot config: the token from env or file only, and a token without a channel is refused', () => {
  const section = { notify: { slack: { channel: '#alarms' } } };
  const withEnv = buildChannels({ ...defaults, ...section }, { FIELDSCOPE_SLACK_BOT_TOKEN: TOKEN });
  assert.ok(withEnv.channels.some((c) => c.channel.name === 'slack-bot'));
  assert.ok(!buildChannels({ ...defaults, ...section }, {}).channels.some((c) => c.channel.name === 'slack-bot'));
  assert.throws(() => buildChannels({ ...defaults }, { FIELDSCOPE_SLACK_BOT_TOKEN: TOKEN }), /notify\.slack\.channel is not/);
  assert.throws(() => buildChannels({ ...defaults, notify: { slack: { token: TOKEN } } }, {}), /notify\.slack: unknown setting "token"/);
  assert.throws(() => buildChannels({ ...defaults, notify: { slack: { channel: '#a', apiUrl: 'http://slack.example' } } }, {}), NotifyConfigError);
});

test('Slack bot config: the old flat settings still work, each with a deprecation line; the section needs none', () => {
  const warned: string[] = [];
  const old = buildChannels({ ...defaults, slackChannel: '#alarms', slackApiUrl: 'https://proxy.example/api' }, { FIELDSCOPE_SLACK_BOT_TOKEN: TOKEN }, (m) =>
    warned.push(m),
  );
  assert.ok(old.channels.some((c) => c.channel.name === 'slack-bot'));
  assert.deepEqual(warned, [
    'slackChannel is deprecated: use notify.slack.channel (docs/slack-bot.md)',
    'slackApiUrl is deprecated: use notify.slack.apiUrl (docs/slack-bot.md)',
  ]);
  warned.length = 0;
  buildChannels({ ...defaults, notify: { slack: { channel: '#alarms' } } }, { FIELDSCOPE_SLACK_BOT_TOKEN: TOKEN }, (m) => warned.push(m));
  assert.deepEqual(warned, []);
});
