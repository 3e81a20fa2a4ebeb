#!/usr/bin/python3
"""The beacon rule (issue 7, branch beacon): CSV figures side by side.

1. How often the jitter test passes by chance: intervals of Poisson
   arrivals (people), of timers with uniform jitter, over 15 intervals (the
   default 16 beats) and over a series' whole life (sliding windows of up
   to 32 beats, decided once any window passes), simulated with numpy.
2. `detect --csv` with each FEWFLOW binary on the CIC-IDS2017 improved
   Botnet and BENIGN rows, as shipped and sorted by Timestamp (the rule
   needs time order; the files are not in it), and on any extra CSVs
   given with --csv: flows, alerts, verdicts of the rows' labels and the
   summary's `beacons` member.
3. The same on the Botnet rows with Botnet enrolled from them (no loss).

usage: bench/detect_beacon.py MODEL OUT FEWFLOW... [--csv FILE]...
"""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

args = sys.argv[1:]
extra_csv = [args[i + 1] for i, a in enumerate(args) if a == '--csv']
args = [a for i, a in enumerate(args)
        if a != '--csv' and (i == 0 or args[i - 1] != '--csv')]
model, out, bins = args[0], args[1], args[2:]
data = os.environ.get('FEWFLOW_DATA') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'data')
cic = os.path.join(data, 'cic-ids2017-improved')
os.makedirs(out, exist_ok=True)


def ratio_ok(d, tol=0.2):
    m = np.median(d)
    return np.median(np.abs(d - m)) <= tol * m


def ever(t, first=16, keep=32):
    return any(ratio_ok(np.diff(t[max(0, i - keep):i]))
               for i in range(first, len(t) + 1))


def simulate():
    rng = np.random.default_rng(1)
    kinds = {
        'Poisson (mean 60 s)': lambda n: rng.exponential(60, n) + 1,
        'timer, jitter 0-50%': lambda n: 60 * rng.uniform(0.5, 1, n),
        'timer, jitter +-60%': lambda n: 60 * rng.uniform(0.4, 1.6, n),
        'timer, jitter 0-100%': lambda n: 60 * rng.uniform(0, 1, n) + 1,
    }
    print('jitter test (MAD <= 0.2 median) passes, by chance or not:')
    print('  %-22s %8s %8s %8s %14s' % ('intervals', '7 int.', '11 int.',
                                        '15 int.', 'ever in 300'))
    for name, gen in kinds.items():
        once = [np.mean([ratio_ok(gen(n)) for _ in range(20000)])
                for n in (7, 11, 15)]
        life = np.mean([ever(np.cumsum(gen(300))) for _ in range(500)])
        print('  %-22s %8.4f %8.4f %8.4f %14.3f' % (name, *once, life))


def sort_csv(name):
    path = os.path.join(out, name + '.sorted.csv')
    if not os.path.exists(path):
        d = pd.read_csv(os.path.join(cic, name + '.csv.xz'))
        d['_t'] = pd.to_datetime(d['Timestamp'])
        d.sort_values('_t', kind='stable').drop(columns='_t').to_csv(
            path, index=False)
    return path


def detect(b, m, path):
    sj = os.path.join(out, 's.json')
    subprocess.run([b, '-q', 'detect', '--model', m, '--csv', path,
                    '--explain', '0', '--summary-json', sj],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return json.load(open(sj))


def show(title, m, path):
    print(title)
    for b in bins:
        s = detect(b, m, path)
        lab = {k: v for k, v in s['by_label'].items()}
        print('  %-40s %5d flows %5d alerts  %s  beacons %s' % (
            b[-40:], s['flows'], s['alerts'], lab,
            s.get('beacons', '(no rule)')))


simulate()
for name in ('Botnet_736', 'BENIGN_4066_no-thursday'):
    show('%s as shipped' % name, model, os.path.join(cic, name + '.csv.xz'))
    show('%s sorted by time' % name, model, sort_csv(name))
def pollers(path):
    """The poller's row every 60 s: to its own (outside) server, and to a
    local one; the rule cannot tell the first from a beacon."""
    d = pd.read_csv(path)
    t0 = pd.Timestamp('2017-07-05 10:00:00')
    d['Timestamp'] = [(t0 + pd.Timedelta(seconds=60 * i)).strftime(
        '%Y-%m-%d %H:%M:%S.%f') for i in range(len(d))]
    base = os.path.splitext(os.path.basename(path))[0]
    outside = os.path.join(out, base + '.every60s.csv')
    d.to_csv(outside, index=False)
    d['Dst IP'] = '192.168.10.3'
    local = os.path.join(out, base + '.every60s.local.csv')
    d.to_csv(local, index=False)
    return outside, local


for path in extra_csv:
    show(path, model, path)
    for p in pollers(path):
        show(p, model, p)
enrolled = os.path.join(out, 'botnet-enrolled.model')
subprocess.run([bins[-1], '-q', 'enroll', '--model', model, '--name',
                'Botnet', '--flows', os.path.join(cic, 'Botnet_736.csv.xz'),
                '-o', enrolled], stdout=subprocess.DEVNULL, check=True)
show('Botnet_736 sorted, Botnet enrolled from its rows', enrolled,
     sort_csv('Botnet_736'))
