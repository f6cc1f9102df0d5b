"""Reads a Fieldscope export (GET /api/v1/export?format=csv|ndjson: ts,ts_ms,device,metric,value or
{device,metric,ts,value} per line) into per-device step tables, and writes model bundles in the layout
Fieldscope serves: <equipment_id>/<power>/<model_version>/manifest.json + ONNX files (docs/models.md)."""
import csv
import json
import os
from collections import defaultdict

import numpy as np


def read_export(path):
    """{device: {ts_ms: {metric: value}}}"""
    out = defaultdict(lambda: defaultdict(dict))
    with open(path, newline='') as f:
        if path.endswith('.ndjson') or path.endswith('.jsonl'):
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    out[r['device']][int(r['ts'])][r['metric']] = float(r['value'])
        else:
            for r in csv.DictReader(f):
                out[r['device']][int(r['ts_ms'])][r['metric']] = float(r['value'])
    return out


def steps(by_ts, features):
    """Rows [steps, features] in time order, missing values carried forward (as Fieldscope builds its windows)."""
    last = [None] * len(features)
    rows, times = [], []
    for ts in sorted(by_ts):
        for j, f in enumerate(features):
            if f in by_ts[ts]:
                last[j] = by_ts[ts][f]
        if any(v is None for v in last):
            continue
        rows.append(list(last))
        times.append(ts)
    return np.asarray(rows, dtype=np.float32), np.asarray(times, dtype=np.int64)


def windows(rows, window, stride=1):
    n = len(rows) - window + 1
    if n <= 0:
        return np.zeros((0, window, rows.shape[1]), dtype=np.float32)
    return np.stack([rows[i:i + window] for i in range(0, n, stride)])


def write_bundle(root, manifest, files):
    """files: {name: path of a written temp file or bytes}."""
    d = os.path.join(root, manifest['equipment_id'] or 'profile-' + manifest['profile'], str(manifest['power']), manifest['model_version'])
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    with open(os.path.join(d, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    return d
