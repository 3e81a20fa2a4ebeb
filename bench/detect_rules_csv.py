#!/usr/bin/python3
"""CSV checks of detect's rules (issue 7, branch detfix), side by side.

Sorts the CIC-IDS2017 improved files by Timestamp into OUT (the rules
expect flows in time order; the files are not), prints the durations of
answered TCP sessions per file (where the repeated-session rule's 30 s
bound comes from), then runs `detect --csv` with each FEWFLOW binary on
each sorted file and prints alerts, the rule's runs and escalations, and
the verdicts of the BENIGN/Botnet/DoS rows.

usage: bench/detect_rules_csv.py MODEL OUT FEWFLOW... [-- detect options]
"""
import glob
import json
import os
import re
import subprocess
import sys

import pandas as pd

args = sys.argv[1:]
extra = args[args.index('--') + 1:] if '--' in args else []
args = args[:args.index('--')] if '--' in args else args
model, out, bins = args[0], args[1], args[2:]
data = os.environ.get('FEWFLOW_DATA') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'data')
os.makedirs(out, exist_ok=True)
files = sorted(glob.glob(os.path.join(data, 'cic-ids2017-improved',
                                      '*.csv.xz')))
frames = {}
for f in files:
    d = pd.read_csv(f)
    d['_t'] = pd.to_datetime(d['Timestamp'])
    frames[re.match(r'(.+?)_\d+', os.path.basename(f)).group(1)] = d
frames['all'] = pd.concat(frames.values())
print('answered TCP sessions: n, median, 99th, 99.9th pct, max (s), '
      'share <= 30 s')
for name in ('SSH-Patator', 'FTP-Patator', 'BENIGN'):
    d = frames[name]
    s = d[(d['Protocol'] == 6) & (d['SYN Flag Count'] >= 2) &
          (d['Total Bwd packets'] >= 1)]['Flow Duration'] / 1e6
    print('  %-12s %5d %6.1f %6.1f %6.1f %6.1f %6.2f%%' % (
        name, len(s), s.median(), s.quantile(.99), s.quantile(.999),
        s.max(), 100 * (s <= 30).mean()))
for name in ('BENIGN', 'SSH-Patator', 'FTP-Patator', 'all'):
    path = os.path.join(out, name + '.sorted.csv')
    if not os.path.exists(path):
        frames[name].sort_values('_t', kind='stable').drop(
            columns='_t').to_csv(path, index=False)
    for b in bins:
        sj = os.path.join(out, 's.json')
        subprocess.run([b, '-q', 'detect', '--model', model, '--csv', path,
                        '--explain', '0', '--summary-json', sj] + extra,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        s = json.load(open(sj))
        r = s['repeated']
        lab = {k: v for k, v in s['by_label'].items()
               if k == 'BENIGN' or k == 'Botnet' or k.startswith('DoS Slow')}
        print('%-12s %-28s %6d flows %6d alerts  runs %3d escalated %5d  %s'
              % (name, b[-28:], s['flows'], s['alerts'], r['runs'],
                 r['escalated'], json.dumps(lab, sort_keys=True)))
