// One DomainError family, answered and counted once by the server: the refusal names its field and
// rule, and fieldscope_messages_rejected_total counts it once, under the source it came from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../helpers/app.js';

const rejectedCount = (metrics: string, labels: string): number => {
  const m = metrics.match(new RegExp(`^fieldscope_messages_rejected_total\\{${labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : 0;
};

test('refusals from the import, notification and firmware routes: field and rule named, counted once', async (t) => {
  const app = await startTestApp({ maxFirmwareBytes: 1024 });
  t.after(() => app.stop());
  const url = app.httpUrl;

  // A CSV without a time column: the importer's ImportError, counted as an import refusal only.
  const noTime = await fetch(`${url}/api/v1/import?device=press-1`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
  assert.equal(noTime.status, 400);
  assert.deepEqual(await noTime.json().then((b: { field: string; rule: string }) => [b.field, b.rule]), ['header', 'time_column']);

  // An unterminated quote: the CSV reader's error, naming the line.
  const open = await fetch(`${url}/api/v1/import?device=press-1`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'ts,v\n1,"open\n' });
  assert.equal(open.status, 400);
  const openBody = (await open.json()) as { error: string; field: string; rule: string };
  assert.deepEqual([openBody.field, openBody.rule], ['body', 'csv']);
  assert.match(openBody.error, /^line 2: /);

  // A test message to a channel that is not configured.
  const noChannel = await fetch(`${url}/api/v1/notifications/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'nope' }),
  });
  assert.equal(noChannel.status, 400);
  assert.deepEqual(await noChannel.json().then((b: { field: string; rule: string }) => [b.field, b.rule]), ['channel', 'enum']);

  // A schema refusal still names the field and the rule (the body is checked against RuleInput).
  const badRule = await fetch(`${url}/api/v1/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'x', severity: 'loud', scope: 'all', kind: 'threshold' }),
  });
  assert.equal(badRule.status, 400);
  const badRuleBody = (await badRule.json()) as { field: string; rule: string };
  assert.deepEqual([badRuleBody.field, badRuleBody.rule], ['severity', 'enum']);

  // A firmware image past the limit: 413 on the body's max_size, from the library's own error.
  const big = await fetch(`${url}/api/v1/firmware?version=1.0.0`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(4096, 1),
  });
  assert.equal(big.status, 413, await big.clone().text());
  assert.deepEqual(await big.json().then((b: { field: string; rule: string }) => [b.field, b.rule]), ['body', 'max_size']);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.equal(rejectedCount(metrics, 'source="import",field="header",rule="time_column"'), 1);
  assert.equal(rejectedCount(metrics, 'source="api",field="header",rule="time_column"'), 0, 'an import refusal is not counted again as an API one');
  assert.equal(rejectedCount(metrics, 'source="import",field="body",rule="csv"'), 1);
  assert.equal(rejectedCount(metrics, 'source="api",field="channel",rule="enum"'), 1, 'an unknown channel is counted once');
});
