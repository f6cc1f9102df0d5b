import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runner, component, type Component } from '../../src/components.js';

function recorder() {
  const log: string[] = [];
  const part = (name: string, failStart = false, failStop = false): Component =>
    component(
      name,
      () => {
        log.push(`start ${name}`);
        if (failStart) throw new Error(`${name} cannot start`);
      },
      () => {
        log.push(`stop ${name}`);
        if (failStop) throw new Error(`${name} cannot stop`);
      },
    );
  return { log, part };
}

test('runner: starts in order, stops in reverse, once however often stop is called', async () => {
  const { log, part } = recorder();
  const runner = new Runner();
  await runner.start([part('store'), part('batcher'), part('http')]);
  assert.deepEqual(runner.running, ['store', 'batcher', 'http']);
  await Promise.all([runner.stop(), runner.stop()]);
  assert.deepEqual(log, ['start store', 'start batcher', 'start http', 'stop http', 'stop batcher', 'stop store']);
  assert.deepEqual(runner.running, []);
});

test('runner: a start that fails undoes what started, newest first (the failed part included), and throws', async () => {
  const { log, part } = recorder();
  const runner = new Runner();
  await assert.rejects(runner.start([part('store'), part('http'), part('mqtt', true), part('never')]), /mqtt cannot start/);
  assert.deepEqual(log, ['start store', 'start http', 'start mqtt', 'stop mqtt', 'stop http', 'stop store']);
});

test('runner: a list built as it goes: an error while building the next part undoes the same way', async () => {
  const { log, part } = recorder();
  async function* parts() {
    yield part('store');
    log.push('build auth');
    throw new Error('the admin password is too short');
  }
  await assert.rejects(new Runner().start(parts()), /too short/);
  assert.deepEqual(log, ['start store', 'build auth', 'stop store']);
});

test('runner: a part that fails to stop is reported and the rest still stop', async () => {
  const { log, part } = recorder();
  const reported: string[] = [];
  const runner = new Runner((name, err) => reported.push(`${name}: ${err.message}`));
  await runner.start([part('store'), part('http', false, true), part('mqtt')]);
  await runner.stop();
  assert.deepEqual(log.slice(3), ['stop mqtt', 'stop http', 'stop store']);
  assert.deepEqual(reported, ['http: http cannot stop']);
});
