import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicMappings } from '../../src/sources/mappings/topic-mappings.js';

const body = Buffer.from('{"v":1}');
const take = (m: TopicMappings, topic: string) => {
  const r = m.map(topic, body, 0);
  return r && { mapping: r.mapping, device: r.input.device, attributes: r.input.attributes, profile: r.input.profile };
};

test('a topic mapping takes a topic level by level: literals equal, {named} and + levels any, as many levels as the pattern unless it ends in #', () => {
  const m = new TopicMappings([
    { topic: 'plant/{site}/{line}/{device}', profile: 'bearing' },
    { topic: 'rack/+/{device}/status', name: 'racks' },
    { topic: 'lab/{room}/#', device: 'room' },
  ]);
  assert.deepEqual(take(m, 'plant/north/line-1/b7'), {
    mapping: 'plant/{site}/{line}/{device}',
    device: 'b7',
    attributes: { site: 'north', line: 'line-1' },
    profile: 'bearing',
  });
  assert.equal(take(m, 'plant/north/line-1'), null, 'a level short');
  assert.equal(take(m, 'plant/north/line-1/b7/x'), null, 'a level over');
  assert.equal(take(m, 'plants/north/line-1/b7'), null, 'another literal');
  assert.equal(take(m, 'plant'), null);
  assert.deepEqual(take(m, 'plant//line-1/b7'), {
    mapping: 'plant/{site}/{line}/{device}',
    device: 'b7',
    attributes: { site: '', line: 'line-1' },
    profile: 'bearing',
  });
  assert.deepEqual(take(m, 'rack/7/r-07/status'), { mapping: 'racks', device: 'r-07', attributes: undefined, profile: undefined });
  assert.equal(take(m, 'rack/7/r-07/statuS'), null, 'a literal of the same length, not equal');
  assert.equal(take(m, 'rack/7/r-07/status/'), null, 'an empty level over');
  assert.deepEqual(take(m, 'lab/r1'), { mapping: 'lab/{room}/#', device: 'r1', attributes: undefined, profile: undefined });
  assert.deepEqual(take(m, 'lab/r1/a/b/c'), { mapping: 'lab/{room}/#', device: 'r1', attributes: undefined, profile: undefined });
  assert.equal(take(m, 'lab'), null, "# takes what follows the pattern's levels, not fewer");
  assert.equal(take(m, 'devices/x/telemetry'), null);
});
