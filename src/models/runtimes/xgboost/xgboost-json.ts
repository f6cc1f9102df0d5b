/**
 * XGBoost's own JSON model format (`booster.save_model('xgb.json')`, XGBoost >= 1.0; schema in
 * XGBoost's doc/model.schema), evaluated in TypeScript: seed 003's optional classifier runs with no
 * native library. Numerical splits only; the objectives a classifier uses.
 */
export interface XgbModel {
  objective: 'binary:logistic' | 'binary:logitraw' | 'multi:softprob' | 'multi:softmax';
  numFeature: number;
  /** Output groups: 1 for binary objectives, the class count for multi-class ones. */
  groups: number;
  /** Margin every group starts from (base_score, turned into a margin as XGBoost does). */
  baseMargin: number;
  trees: XgbTree[];
}

interface XgbTree {
  group: number;
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  /** Split threshold at inner nodes, the leaf's value at leaves (as XGBoost stores them). */
  value: Float32Array;
  defaultLeft: Uint8Array;
}

export class XgbFormatError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const OBJECTIVES = new Set<XgbModel['objective']>(['binary:logistic', 'binary:logitraw', 'multi:softprob', 'multi:softmax']);

/** XGBoost writes numbers in its params as strings ("5E-1"), and since 2.0 base_score as "[5E-1]". */
function num(v: unknown, field: string): number {
  const s = Array.isArray(v) ? v[0] : typeof v === 'string' ? v.replace(/^\[|\]$/g, '').split(',')[0] : v;
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isFinite(n)) throw new XgbFormatError(`xgb.json ${field}: expected a number, got ${JSON.stringify(v)}`, field);
  return n;
}

function ints(v: unknown, n: number, field: string): Int32Array {
  if (!Array.isArray(v) || v.length !== n) throw new XgbFormatError(`xgb.json ${field}: expected ${n} entries`, field);
  return Int32Array.from(v as number[]);
}

export function parseXgbModel(raw: unknown): XgbModel {
  const learner = (raw as { learner?: Record<string, unknown> })?.learner;
  if (!learner || typeof learner !== 'object')
    throw new XgbFormatError('xgb.json: no "learner" object (is this a model saved with save_model as JSON?)', 'learner');
  const objective = (learner.objective as { name?: string } | undefined)?.name as XgbModel['objective'];
  if (!OBJECTIVES.has(objective))
    throw new XgbFormatError(
      `xgb.json learner.objective.name: ${String(objective)} is not a classifier objective (${[...OBJECTIVES].join(', ')})`,
      'learner.objective.name',
    );
  const params = (learner.learner_model_param ?? {}) as Record<string, unknown>;
  const numFeature = num(params.num_feature, 'learner.learner_model_param.num_feature');
  const numClass = num(params.num_class ?? '0', 'learner.learner_model_param.num_class');
  const groups = objective.startsWith('multi:') ? numClass : 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new XgbFormatError(`xgb.json num_class: ${numClass} does not fit ${objective}`, 'learner.learner_model_param.num_class');
  const baseScore = num(params.base_score ?? '0.5', 'learner.learner_model_param.base_score');
  // binary:logistic keeps base_score as a probability: XGBoost starts from its logit.
  const baseMargin = objective === 'binary:logistic' ? Math.log(baseScore / (1 - baseScore)) : baseScore;
  const booster = learner.gradient_booster as { name?: string; model?: { trees?: unknown[]; tree_info?: number[] } } | undefined;
  if (booster?.name !== 'gbtree' && booster?.name !== 'dart')
    throw new XgbFormatError(`xgb.json gradient_booster.name: ${String(booster?.name)} (only tree boosters)`, 'learner.gradient_booster.name');
  const model = booster.model;
  if (!model || !Array.isArray(model.trees) || !Array.isArray(model.tree_info) || model.trees.length !== model.tree_info.length)
    throw new XgbFormatError('xgb.json gradient_booster.model: trees and tree_info must be arrays of the same length', 'learner.gradient_booster.model.trees');
  const trees = model.trees.map((t, i): XgbTree => {
    const tree = t as Record<string, unknown>;
    const field = `learner.gradient_booster.model.trees[${i}]`;
    const n = Array.isArray(tree.left_children) ? tree.left_children.length : -1;
    if (n < 1) throw new XgbFormatError(`xgb.json ${field}.left_children: expected nodes`, `${field}.left_children`);
    if (Array.isArray(tree.split_type) && (tree.split_type as number[]).some((s) => s !== 0))
      throw new XgbFormatError(`xgb.json ${field}.split_type: categorical splits are not supported`, `${field}.split_type`);
    const left = ints(tree.left_children, n, `${field}.left_children`);
    const right = ints(tree.right_children, n, `${field}.right_children`);
    const feature = ints(tree.split_indices, n, `${field}.split_indices`);
    for (let j = 0; j < n; j++) {
      if (left[j] === -1) continue;
      if (left[j] <= j || left[j] >= n || right[j] <= j || right[j] >= n)
        throw new XgbFormatError(`xgb.json ${field}: node ${j} has children outside the tree`, `${field}.left_children`);
      if (feature[j] < 0 || feature[j] >= numFeature)
        throw new XgbFormatError(`xgb.json ${field}.split_indices[${j}]: feature ${feature[j]} of ${numFeature}`, `${field}.split_indices`);
    }
    const group = model.tree_info![i];
    if (!Number.isInteger(group) || group < 0 || group >= groups)
      throw new XgbFormatError(`xgb.json tree_info[${i}]: group ${group} of ${groups}`, 'learner.gradient_booster.model.tree_info');
    const dl = tree.default_left;
    if (!Array.isArray(dl) || dl.length !== n) throw new XgbFormatError(`xgb.json ${field}.default_left: expected ${n} entries`, `${field}.default_left`);
    const sc = tree.split_conditions;
    if (!Array.isArray(sc) || sc.length !== n)
      throw new XgbFormatError(`xgb.json ${field}.split_conditions: expected ${n} entries`, `${field}.split_conditions`);
    return { group, left, right, feature, value: Float32Array.from(sc as number[]), defaultLeft: Uint8Array.from(dl.map((b) => (b ? 1 : 0))) };
  });
  return { objective, numFeature, groups, baseMargin, trees };
}

/**
 * Class probabilities for one row (NaN = missing, which takes the tree's default direction). As
 * XGBoost does, features and leaves are float32 and a split goes left when value < threshold.
 */
export function predictXgb(model: XgbModel, row: Float32Array): Float32Array {
  const margin = new Float32Array(model.groups).fill(model.baseMargin);
  for (const t of model.trees) {
    let i = 0;
    while (t.left[i] !== -1) {
      const v = row[t.feature[i]];
      i = Number.isNaN(v) ? (t.defaultLeft[i] ? t.left[i] : t.right[i]) : v < t.value[i] ? t.left[i] : t.right[i];
    }
    margin[t.group] += t.value[i];
  }
  if (model.objective === 'binary:logistic') return Float32Array.of(1 / (1 + Math.exp(-margin[0])));
  if (model.objective === 'binary:logitraw') return margin;
  let max = -Infinity;
  for (const m of margin) max = Math.max(max, m);
  let sum = 0;
  const p = new Float32Array(model.groups);
  for (let g = 0; g < p.length; g++) sum += p[g] = Math.exp(margin[g] - max);
  for (let g = 0; g < p.length; g++) p[g] /= sum;
  return p;
}
