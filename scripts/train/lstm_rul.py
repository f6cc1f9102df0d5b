#!/usr/bin/python3
"""Seed 003's RUL model: an LSTM regressor from a window of sensor steps to remaining useful life in
days. Trains on a Fieldscope export of run-to-failure histories (each device ran until --failed
DEVICE=EPOCH_MS) and writes a bundle Fieldscope serves (runtime onnx). Targets are capped at
--max-rul days (the usual piecewise-linear target: early life says little about the end).

Needs Debian's python3-torch, python3-onnx, python3-numpy.
  /usr/bin/python3 scripts/train/lstm_rul.py export.ndjson --features vibration_rms,temperature \
      --failed brg-1=1767225600000 --failed brg-2=1767830400000 --equipment brg-3 --out serve_ml --version r1
"""
import argparse
import io
import time

import numpy as np
import torch
from torch import nn

from fieldscope_export import read_export, steps, windows, write_bundle

DAY = 86_400_000


class LstmRegressor(nn.Module):
    def __init__(self, features, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, 16), nn.ReLU(), nn.Linear(16, 1), nn.ReLU())

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('export')
    ap.add_argument('--features', required=True)
    ap.add_argument('--failed', action='append', required=True, help='DEVICE=EPOCH_MS of its failure')
    ap.add_argument('--equipment', required=True, help='the equipment id the bundle applies to')
    ap.add_argument('--out', required=True)
    ap.add_argument('--power', default='default')
    ap.add_argument('--version', required=True)
    ap.add_argument('--window', type=int, default=30)
    ap.add_argument('--stride', type=int, default=5)
    ap.add_argument('--max-rul', type=float, default=30)
    ap.add_argument('--epochs', type=int, default=40)
    a = ap.parse_args()
    features = a.features.split(',')
    data = read_export(a.export)
    xs, ys = [], []
    for spec in a.failed:
        dev, failed = spec.split('=')
        rows, times = steps(data[dev], features)
        w = windows(rows, a.window, a.stride)
        end_times = times[a.window - 1::a.stride][:len(w)]
        xs.append(w)
        ys.append(np.minimum(a.max_rul, (int(failed) - end_times) / DAY).astype(np.float32))
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    flat = x_all.reshape(-1, len(features))
    mean, std = flat.mean(0), flat.std(0) + 1e-9
    x = torch.from_numpy((x_all - mean) / std)
    y = torch.from_numpy(y_all).unsqueeze(1)
    perm = torch.randperm(len(x))
    split = int(len(x) * 0.8)
    tr, va = perm[:split], perm[split:]
    model = LstmRegressor(len(features))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(a.epochs):
        model.train()
        for i in tr[torch.randperm(len(tr))].split(64):
            opt.zero_grad()
            loss = ((model(x[i]) - y[i]) ** 2).mean()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        rmse = float(((model(x[va]) - y[va]) ** 2).mean().sqrt())
    buf = io.BytesIO()
    torch.onnx.export(model, x[:1], buf, input_names=['x'], output_names=['rul_days'], opset_version=13)
    manifest = {
        'equipment_id': a.equipment, 'power': a.power, 'model_version': a.version, 'runtime': 'onnx',
        'features': features, 'window': a.window,
        'scaler': {'mean': mean.tolist(), 'std': std.tolist()},
        'models': {'rul': {'file': 'rul.onnx', 'kind': 'regressor'}},
        'outputs': {'rul_days': {'meaning': f'remaining useful life (capped at {a.max_rul})', 'unit': 'd'}},
        'thresholds': {'rul_days': 7},
        'training': {'devices': [s.split('=')[0] for s in a.failed], 'metrics': {'val_rmse_days': rmse, 'windows': int(len(x)), 'epochs': a.epochs},
                     'trained_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())},
    }
    print(write_bundle(a.out, manifest, {'rul.onnx': buf.getvalue()}))


if __name__ == '__main__':
    main()
