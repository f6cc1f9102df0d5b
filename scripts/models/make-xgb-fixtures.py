#!/usr/bin/python3
"""Writes the fixtures for seed 003's optional XGBoost classifier and for batched ONNX serving
(test/fixtures/models-extra), with XGBoost itself, so the tests compare Fieldscope's evaluator with
XGBoost's own predictions. Needs Debian's python3-xgboost and python3-onnx; the files are
committed, so CI does not run this. Run: /usr/bin/python3 scripts/models/make-xgb-fixtures.py

  pump-02/default/v1/   manifest (features vibration_rms, temperature; window 30), an autoencoder
                        with a free batch dimension (recon = 0.5 * x), and a bare xgb.json: a
                        4-class classifier (seed 004's fault_type 0-3) over the newest 2 steps
  xgb-binary.json       a binary:logistic model over 3 features
  xgb-expected.json     inputs (null = missing) and XGBoost's predict() for both models
"""
import json
import os

import numpy as np
import onnx
import xgboost as xgb
from onnx import TensorProto, helper

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'models-extra')
BUNDLE = os.path.join(ROOT, 'pump-02', 'default', 'v1')
FEATURES = ['vibration_rms', 'temperature']
WINDOW = 30
rng = np.random.default_rng(7)


def autoencoder(path):
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', WINDOW, len(FEATURES)])
    y = helper.make_tensor_value_info('recon', TensorProto.FLOAT, ['N', WINDOW, len(FEATURES)])
    half = helper.make_tensor('half', TensorProto.FLOAT, [], [0.5])
    g = helper.make_graph([helper.make_node('Mul', ['x', 'half'], ['recon'])], 'autoencoder', [x], [y], [half])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='fieldscope-test')
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


def fault_classes(n):
    # Two steps of two scaled features; the class follows seed 004's fault_type, with noise.
    X = rng.normal(0, 1, size=(n, 4)).astype(np.float32)
    vib, temp = X[:, [0, 2]].mean(1), X[:, [1, 3]].mean(1)
    y = np.where(vib > 0.8, np.where(temp > 0.3, 3, 1), np.where(temp > 1.0, 2, 0))
    flip = rng.random(n) < 0.05
    y[flip] = rng.integers(0, 4, flip.sum())
    return X, y


os.makedirs(BUNDLE, exist_ok=True)
autoencoder(os.path.join(BUNDLE, 'autoencoder.onnx'))
manifest = {
    'equipment_id': 'pump-02',
    'power': 'default',
    'model_version': 'v1',
    'runtime': 'onnx',
    'features': FEATURES,
    'window': WINDOW,
    'scaler': {'mean': [1.0, 40.0], 'std': [0.5, 5.0]},
    'models': {'anomaly': {'file': 'autoencoder.onnx', 'kind': 'autoencoder'}},
    'thresholds': {'anomaly_score': 0.05},
    'outputs': {'class': {'meaning': "seed 004's fault_type from xgb.json (0 normal, 1 unbalance, 2 looseness, 3 both)", 'unit': ''}},
    'training': {'metrics': {'note': 'closed-form autoencoder; xgb.json fitted on synthetic classes by scripts/models/make-xgb-fixtures.py'}},
}
with open(os.path.join(BUNDLE, 'manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=2)
    f.write('\n')

X, y = fault_classes(600)
multi = xgb.XGBClassifier(n_estimators=6, max_depth=3, learning_rate=0.5, objective='multi:softprob', random_state=1)
multi.fit(X, y)
multi.get_booster().save_model(os.path.join(BUNDLE, 'xgb.json'))

Xb = rng.normal(0, 1, size=(400, 3)).astype(np.float32)
yb = (Xb[:, 0] + 0.5 * Xb[:, 2] > 0.2).astype(int)
Xb[rng.random(Xb.shape) < 0.1] = np.nan  # missing values teach default directions
binary = xgb.XGBClassifier(n_estimators=5, max_depth=2, learning_rate=0.7, objective='binary:logistic', random_state=1)
binary.fit(Xb, yb)
binary.get_booster().save_model(os.path.join(ROOT, 'xgb-binary.json'))

tm = rng.normal(0, 1.2, size=(25, 4)).astype(np.float32)
tm[3, 1] = np.nan
tb = rng.normal(0, 1, size=(25, 3)).astype(np.float32)
tb[[2, 5, 9], [0, 1, 2]] = np.nan
nan = lambda a: [[None if np.isnan(v) else float(v) for v in r] for r in a]
expected = {
    'xgboost_version': xgb.__version__,
    'multi': {'inputs': nan(tm), 'probabilities': multi.predict_proba(tm).astype(float).tolist()},
    'binary': {'inputs': nan(tb), 'probabilities': binary.predict_proba(tb)[:, 1].astype(float).tolist()},
}
with open(os.path.join(ROOT, 'xgb-expected.json'), 'w') as f:
    json.dump(expected, f, indent=1)
    f.write('\n')
print('fixtures written under', ROOT)
