import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocBlocks, runnable } from '../helpers/doc-blocks.js';

test('doc blocks: tags, line numbers, and each runnable block paired with the output block after it', () => {
  const md = [
    '# t',
    '```sh test',
    'curl -s x',
    '```',
    '',
    '```json output',
    '{"a":1}',
    '```',
    '```sh',
    'systemctl start x',
    '```',
    '```sh test fails',
    'false',
    '```',
  ].join('\n');
  const blocks = parseDocBlocks(md);
  assert.deepEqual(
    blocks.map((b) => [b.lang, b.tags.join(' '), b.line]),
    [
      ['sh', 'test', 2],
      ['json', 'output', 6],
      ['sh', '', 9],
      ['sh', 'test fails', 12],
    ],
  );
  const steps = runnable(blocks);
  assert.equal(steps.length, 2);
  assert.equal(steps[0].output?.body, '{"a":1}');
  assert.equal(steps[1].fails, true);
  assert.equal(steps[1].output, undefined);
});

test('doc blocks: an unclosed fence is an error, not a silently shorter page', () => {
  assert.throws(() => parseDocBlocks('```sh test\ncurl x\n'), /line 1: code block never closed/);
});
