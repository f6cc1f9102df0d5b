import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseXgbModel, predictXgb, XgbFormatError } from '../../src/models/runtimes/xgboost/xgboost-json.js';
import { XgboostRuntime } from '../../src/models/runtimes/xgboost/xgboost-runtime.js';
import { parseManifest } from '../../src/models/manifest.js';

// The fixtures and XGBoost's own predictions come from XGBoost itself (scripts/models/make-xgb-fixtures.py).
const DIR = new URL('../fixtures/models-extra/', import.meta.url).pathname;
const BUNDLE = `${DIR}pump-02/default/v1/`;
const expected = JSON.parse(readFileSync(`${DIR}xgb-expected.json`, 'utf8')) as Record<
  'multi' | 'binary',
  { inputs: Array<Array<number | null>>; probabilities: Array<number[] | number> }
>;
const row = (r: Array<number | null>) => Float32Array.from(r.map((v) => (v === null ? NaN : v)));
const load = (file: string) => parseXgbModel(JSON.parse(readFileSync(file, 'utf8')));

test("a 4-class multi:softprob model answers XGBoost's own probabilities, missing values included", () => {
  const model = load(`${BUNDLE}xgb.json`);
  assert.equal(model.groups, 4);
  assert.equal(model.numFeature, 4);
  expected.multi.inputs.forEach((input, i) => {
    const got = [...predictXgb(model, row(input))];
    const want = expected.multi.probabilities[i] as number[];
    got.forEach((p, c) => assert.ok(Math.abs(p - want[c]) < 1e-5, `row ${i} class ${c}: ${p} vs XGBoost ${want[c]}`));
  });
});

test("a binary:logistic model answers XGBoost's probability, taking each tree's default direction for missing values", () => {
  const model = load(`${DIR}xgb-binary.json`);
  assert.equal(model.groups, 1);
  let missing = 0;
  expected.binary.inputs.forEach((input, i) => {
    if (input.includes(null)) missing++;
    const [p] = predictXgb(model, row(input));
    const want = expected.binary.probabilities[i] as number;
    assert.ok(Math.abs(p - want) < 1e-5, `row ${i}: ${p} vs XGBoost ${want}`);
  });
  assert.ok(missing >= 3, 'the fixture has rows with missing values');
});

test('a file that is not an XGBoost classifier is refused, naming the field', () => {
  const good = JSON.parse(readFileSync(`${DIR}xgb-binary.json`, 'utf8'));
  type Json = { learner?: { objective: { name: string }; gradient_booster: { model: { trees: Array<Record<string, number[]>>; tree_info: number[] } } } };
  const trees = (m: Json) => m.learner!.gradient_booster.model.trees;
  const cases: Array<[(m: Json) => void, RegExp]> = [
    [(m) => (m.learner!.objective.name = 'reg:squarederror'), /learner\.objective\.name/],
    [(m) => (trees(m)[0].split_type = trees(m)[0].split_type.map(() => 1)), /split_type/],
    [(m) => (trees(m)[1].split_indices[0] = 99), /split_indices/],
    [(m) => (m.learner!.gradient_booster.model.tree_info[0] = 3), /tree_info/],
    [(m) => delete m.learner, /learner/],
  ];
  for (const [spoil, field] of cases) {
    const m = structuredClone(good) as Json;
    spoil(m);
    assert.throws(
      () => parseXgbModel(m),
      (e: unknown) => e instanceof XgbFormatError && field.test(e.field),
    );
  }
});

test('the runtime reads as many newest steps as the model has features, and refuses a count that is not whole steps', async () => {
  const manifest = parseManifest(JSON.parse(readFileSync(`${BUNDLE}manifest.json`, 'utf8')));
  const runtime = new XgboostRuntime();
  const model = await runtime.load(BUNDLE, manifest, { file: 'xgb.json', kind: 'classifier', runtime: 'xgboost' });
  // A 30-step window whose newest 2 steps are the first expected input: same answer as the model alone.
  const window = new Float32Array(30 * 2).fill(7);
  window.set(row(expected.multi.inputs[0]), 28 * 2);
  const got = await model.run(window, new Float64Array(30));
  (expected.multi.probabilities[0] as number[]).forEach((p, c) => assert.ok(Math.abs(got[c] - p) < 1e-5));
  const three = { ...manifest, features: ['a', 'b', 'c'] };
  await assert.rejects(runtime.load(BUNDLE, three, { file: 'xgb.json', kind: 'classifier', runtime: 'xgboost' }), /whole steps/);
  await assert.rejects(
    runtime.load(BUNDLE, manifest, { file: 'xgb.json', kind: 'classifier', runtime: 'xgboost', params: { window: 3 } }),
    /params.window says 3/,
  );
});
