#!/usr/bin/python3
"""The slow-connection rule (include/fewflow/slow.h) measured, before/after.

1. `detect --csv` on every CIC-IDS2017 improved file, in file order and
   sorted by Timestamp (a stream's order), and on all of them together
   sorted: flows, alerts with BEFORE and AFTER, and AFTER's slow counts.
2. AFTER --judge-slow against BEFORE: `--all --explain 3` output compared
   byte for byte on every file.
3. Synthetic captures (bench/slow_gen_pcap.py): one browser's 6 idle
   keep-alive connections, 18 and 24 (three and four browsers behind one
   NAT address), slowloris with slowhttptest's default 50 connections
   and slowloris's default 150.
4. NAT from real benign rows: the BENIGN file's slow rows (TCP, answered,
   unclosed, >= 10 s, <= 100 B/s) copied K times from one client address
   to one server, for K around --slow-min: how many are reported.

usage: bench/detect_slow.py BEFORE AFTER MODEL OUT
"""
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

import pandas as pd

before, after, model, out = sys.argv[1:5]
here = os.path.dirname(os.path.abspath(__file__))
data = os.environ.get('FEWFLOW_DATA') or os.path.join(here, '..', '..',
                                                      'shared', 'data')
os.makedirs(out, exist_ok=True)
env = dict(os.environ, OPENBLAS_NUM_THREADS='1')


def detect(binary, src, extra=(), keep=None):
    summary = os.path.join(out, 'summary.json')
    flag = ['--csv', src] if src.endswith(('.csv', '.xz')) else ['-r', src]
    cmd = ['nice', binary, '-q', 'detect', '--model', model] + flag + \
        ['--explain', '0', '--summary-json', summary] + list(extra)
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=True)
    if keep is not None:
        with open(keep, 'wb') as f:
            f.write(res.stdout)
    with open(summary) as f:
        return json.load(f), res.stdout


def md5(binary, src, extra=()):
    flag = ['--csv', src] if src.endswith(('.csv', '.xz')) else ['-r', src]
    cmd = ['nice', binary, '-q', 'detect', '--model', model] + flag + \
        ['--all', '--explain', '3'] + list(extra)
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=True)
    return hashlib.md5(res.stdout).hexdigest()


def row(name, src):
    b, _ = detect(before, src)
    a, _ = detect(after, src)
    s = a['slow']
    n = max(a['flows'], 1)
    print('%-30s %6d %6d %5.1f%% %6d %5.1f%%  %5d %4d %5d %4d' % (
        name, a['flows'], b['alerts'], 100.0 * b['alerts'] / n, a['alerts'],
        100.0 * a['alerts'] / n, s['slow_flows'], s['clients'],
        s['escalated'], s['written_before']))


files = sorted(glob.glob(os.path.join(data, 'cic-ids2017-improved',
                                      '*.csv.xz')))
print('1. detect --csv, no class enrolled: flows, alerts before, after; '
      'slow flows, clients, escalated, written before')
frames = []
for f in files:
    name = re.match(r'(.+?)_\d+', os.path.basename(f)).group(1)
    row(name + ' (file order)', f)
    d = pd.read_csv(f)
    frames.append(d)
    d = d.assign(_t=pd.to_datetime(d['Timestamp'])).sort_values(
        '_t', kind='stable').drop(columns='_t')
    path = os.path.join(out, name + '.sorted.csv')
    d.to_csv(path, index=False)
    row(name + ' (sorted)', path)
all_rows = pd.concat(frames)
all_rows = all_rows.assign(_t=pd.to_datetime(all_rows['Timestamp'])) \
    .sort_values('_t', kind='stable').drop(columns='_t')
all_path = os.path.join(out, 'all.sorted.csv')
all_rows.to_csv(all_path, index=False)
row('all files (sorted)', all_path)

print('\n2. AFTER --judge-slow == BEFORE (--all --explain 3, md5)')
same = 0
for f in files + [all_path]:
    ok = md5(before, f) == md5(after, f, ['--judge-slow'])
    same += ok
    if not ok:
        print('  differs:', f)
print('  %d of %d identical' % (same, len(files) + 1))

print('\n3. synthetic captures: flows, alerts before, after; slow flows, '
      'clients, escalated, written before')
for kind, conns in (('browser', 6), ('browser', 18), ('browser', 24),
                    ('slowloris', 50), ('slowloris', 150)):
    pcap = os.path.join(out, '%s-%d.pcap' % (kind, conns))
    subprocess.run([sys.executable, os.path.join(here, 'slow_gen_pcap.py'),
                    pcap, kind, str(conns)], check=True)
    row('%s x%d' % (kind, conns), pcap)
    ok = md5(before, pcap) == md5(after, pcap, ['--judge-slow'])
    print('%30s --judge-slow identical to BEFORE: %s' % ('', ok))

print('\n4. benign slow rows, K connections from one address to one server '
      '(10 clients, rows of the BENIGN file)')
benign = pd.read_csv(os.path.join(data, 'cic-ids2017-improved',
                                  'BENIGN_4066_no-thursday.csv.xz'))
dur = benign['Flow Duration'] / 1e6
rate = (benign['Total Length of Fwd Packet'] +
        benign['Total Length of Bwd Packet']) / dur.clip(lower=1e-9)
slow = benign[(benign['Protocol'] == 6) & (benign['FIN Flag Count'] == 0) &
              (benign['RST Flag Count'] == 0) &
              (benign['Total Bwd packets'] >= 1) & (dur >= 10) &
              (rate <= 100)]
print('  slow rows in the BENIGN file: %d of %d TCP; most from one client '
      'to one service at once in the file: see RESULTS' % (
          len(slow), (benign['Protocol'] == 6).sum()))
for k in (6, 12, 18, 19, 20, 24, 30):
    parts = []
    for n, (_, r) in enumerate(slow.head(10).iterrows()):
        copies = pd.DataFrame([r] * k)
        copies['Src IP'] = '10.9.0.%d' % (n + 1)
        copies['Dst IP'] = '192.0.2.80'
        copies['Src Port'] = range(50000, 50000 + k)
        parts.append(copies)
    path = os.path.join(out, 'nat-%d.csv' % k)
    pd.concat(parts).to_csv(path, index=False)
    row('K=%d' % k, path)
