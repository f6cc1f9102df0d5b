// A URL written to the log keeps what helps a reader (path, filters) and loses the live socket's
// access token, which would let whoever reads the log act as that user until it expires.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loggableUrl } from '../../src/logger.js';

test('loggableUrl cuts out access_token wherever it stands in the query and keeps the rest', () => {
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  assert.equal(loggableUrl(`/api/v1/live?access_token=${token}`), '/api/v1/live?access_token=[redacted]');
  assert.equal(loggableUrl(`/api/v1/live?frames=batch&access_token=${token}&stats=named`), '/api/v1/live?frames=batch&access_token=[redacted]&stats=named');
  assert.equal(loggableUrl(`/api/v1/live?ACCESS_TOKEN=${token}`), '/api/v1/live?ACCESS_TOKEN=[redacted]');
  assert.equal(loggableUrl('/api/v1/telemetry/range?devices=g*&metric=rms'), '/api/v1/telemetry/range?devices=g*&metric=rms');
  assert.ok(!loggableUrl(`/x?a=1&access_token=${token}`).includes(token));
  // Quoted in a line (a browser's console message): the rest of the line is kept.
  assert.equal(
    loggableUrl(`WebSocket connection to 'ws://h/api/v1/live?stats=named&access_token=${token}' failed: closed`),
    "WebSocket connection to 'ws://h/api/v1/live?stats=named&access_token=[redacted]' failed: closed",
  );
});
