#!/usr/bin/python3
"""Seed 003's anomaly model: an LSTM autoencoder over 30 time steps whose reconstruction error is the
anomaly score, with the threshold set from the healthy windows' error distribution. Trains on a
Fieldscope export of a healthy period and writes a bundle Fieldscope serves (runtime onnx).

Needs Debian's python3-torch, python3-onnx, python3-numpy (apt-get install python3-torch python3-onnx).
  /usr/bin/python3 scripts/train/lstm_autoencoder.py export.csv --device press-01 \
      --features vibration_rms,temperature --out serve_ml --power 3 --version v3 [--rul-export ...]
"""
import argparse
import io
import time

import numpy as np
import torch
from torch import nn

from fieldscope_export import read_export, steps, windows, write_bundle


class LstmAutoencoder(nn.Module):
    def __init__(self, features, hidden=32, window=30):
        super().__init__()
        self.window = window
        self.encoder = nn.LSTM(features, hidden, batch_first=True)
        self.decoder = nn.LSTM(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, features)

    def forward(self, x):
        _, (h, _) = self.encoder(x)
        z = h[-1].unsqueeze(1).repeat(1, self.window, 1)
        y, _ = self.decoder(z)
        return self.out(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('export')
    ap.add_argument('--device', required=True)
    ap.add_argument('--features', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--power', default='default')
    ap.add_argument('--version', required=True)
    ap.add_argument('--window', type=int, default=30)
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--quantile', type=float, default=0.995)
    ap.add_argument('--margin', type=float, default=1.2)
    a = ap.parse_args()
    features = a.features.split(',')
    rows, times = steps(read_export(a.export)[a.device], features)
    if len(rows) < a.window * 5:
        raise SystemExit(f'{a.device}: {len(rows)} complete steps of {features}; need {a.window * 5}')
    mean, std = rows.mean(0), rows.std(0) + 1e-9
    x = torch.from_numpy(windows((rows - mean) / std, a.window))
    split = int(len(x) * 0.8)
    train, val = x[:split], x[split:]
    model = LstmAutoencoder(len(features), window=a.window)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(a.epochs):
        model.train()
        for i in torch.randperm(len(train)).split(64):
            opt.zero_grad()
            loss = ((model(train[i]) - train[i]) ** 2).mean()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        err = ((model(val) - val) ** 2).mean(dim=(1, 2)).numpy()
    threshold = float(np.quantile(err, a.quantile) * a.margin)
    buf = io.BytesIO()
    # Batch fixed at 1: Fieldscope runs one window per request.
    torch.onnx.export(model, x[:1], buf, input_names=['x'], output_names=['recon'], opset_version=13)
    manifest = {
        'equipment_id': a.device, 'power': a.power, 'model_version': a.version, 'runtime': 'onnx',
        'features': features, 'window': a.window,
        'scaler': {'mean': mean.tolist(), 'std': std.tolist()},
        'models': {'anomaly': {'file': 'autoencoder.onnx', 'kind': 'autoencoder'}},
        'outputs': {'anomaly_score': {'meaning': 'mean squared reconstruction error of the scaled window', 'unit': ''},
                    'anomaly': {'meaning': '1 above thresholds.anomaly_score', 'unit': ''}},
        'thresholds': {'anomaly_score': threshold},
        'training': {'from': int(times[0]), 'to': int(times[-1]), 'devices': [a.device],
                     'metrics': {'val_error_p50': float(np.median(err)), 'val_error_max': float(err.max()), 'epochs': a.epochs},
                     'trained_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())},
    }
    print(write_bundle(a.out, manifest, {'autoencoder.onnx': buf.getvalue()}))


if __name__ == '__main__':
    main()
