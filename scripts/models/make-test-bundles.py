#!/usr/bin/python3
"""Writes the small ONNX bundles the tests serve (test/fixtures/serve_ml), in seed 003's layout
<equipment_id>/<power>/<model_version>/. Needs Debian's python3-onnx only; the files are committed,
so CI does not run this. Run: /usr/bin/python3 scripts/models/make-test-bundles.py

The models are deliberately simple closed forms, so a test can compute the expected answer:
  autoencoder.onnx  recon = 0.5 * x               -> score = mean((x - recon)^2) = 0.25 * mean(x^2)
  rul.onnx          rul   = relu(base - 10 * mean(x))   (x: the scaled window, shape [1, W, F])
"""
import json
import os
import sys

import onnx
from onnx import TensorProto, helper

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'serve_ml')
FEATURES = ['vibration_rms', 'temperature']
WINDOW = 30


def save(model, path):
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def autoencoder(path):
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, WINDOW, len(FEATURES)])
    y = helper.make_tensor_value_info('recon', TensorProto.FLOAT, [1, WINDOW, len(FEATURES)])
    half = helper.make_tensor('half', TensorProto.FLOAT, [], [0.5])
    g = helper.make_graph([helper.make_node('Mul', ['x', 'half'], ['recon'])], 'autoencoder', [x], [y], [half])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='fieldscope-test'), path)


def rul(path, base):
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, WINDOW, len(FEATURES)])
    y = helper.make_tensor_value_info('rul_days', TensorProto.FLOAT, [1, 1])
    inits = [
        helper.make_tensor('ten', TensorProto.FLOAT, [], [10.0]),
        helper.make_tensor('base', TensorProto.FLOAT, [], [float(base)]),
        helper.make_tensor('shape', TensorProto.INT64, [2], [1, 1]),
    ]
    nodes = [
        helper.make_node('ReduceMean', ['x'], ['m'], axes=[1, 2], keepdims=1),
        helper.make_node('Mul', ['m', 'ten'], ['m10']),
        helper.make_node('Sub', ['base', 'm10'], ['d']),
        helper.make_node('Relu', ['d'], ['r']),
        helper.make_node('Reshape', ['r', 'shape'], ['rul_days']),
    ]
    g = helper.make_graph(nodes, 'rul', [x], [y], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='fieldscope-test'), path)


def bundle(equipment, power, version, base, power_range):
    d = os.path.join(ROOT, equipment, power, version)
    os.makedirs(d, exist_ok=True)
    autoencoder(os.path.join(d, 'autoencoder.onnx'))
    rul(os.path.join(d, 'rul.onnx'), base)
    manifest = {
        'equipment_id': equipment,
        'power': power,
        'power_range': power_range,
        'model_version': version,
        'runtime': 'onnx',
        'features': FEATURES,
        'window': WINDOW,
        'scaler': {'mean': [1.0, 40.0], 'std': [0.5, 5.0]},
        'models': {
            'anomaly': {'file': 'autoencoder.onnx', 'kind': 'autoencoder'},
            'rul': {'file': 'rul.onnx', 'kind': 'regressor'},
        },
        'outputs': {
            'anomaly_score': {'meaning': 'mean squared reconstruction error of the scaled window', 'unit': ''},
            'anomaly': {'meaning': '1 when anomaly_score is above thresholds.anomaly_score', 'unit': ''},
            'rul_days': {'meaning': 'remaining useful life', 'unit': 'd'},
        },
        'thresholds': {'anomaly_score': 1.0},
        'training': {'from': '2026-01-01T00:00:00Z', 'to': '2026-03-01T00:00:00Z', 'metrics': {'note': 'closed-form test model, not trained'}},
    }
    with open(os.path.join(d, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


bundle('press-01', '3', 'v1', 30, [0, 5])
bundle('press-01', '3', 'v2', 60, [0, 5])
bundle('press-01', '7', 'v1', 90, [5, 10])
print('bundles written under', ROOT)
