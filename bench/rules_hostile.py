#!/usr/bin/python3
"""Hostile inputs for detect's beacon and slow-connection rules (qa7).

Writes CSVs (one real CIC-IDS2017 Botnet row, read at run time and
rewritten: addresses, ports, times, sizes, durations, flags) and
hand-built captures into OUTDIR; nothing is stored in the repository.
bench/RESULTS.md, "Hostile review of the beacon and slow rules (qa7)",
lists what detect made of each.

usage: bench/rules_hostile.py OUTDIR
  OUTDIR/csv/bcn_*.csv   beacons: base (every 60 s), jit50 (sleep
      P(1 - 0.5u)), jit60pm (P(1 ± 0.6u)), missed (every 5th beat
      missing), sizes (100-2000 bytes), manydst (40 servers), ntp, local,
      v4mapped (::ffff:10.1.2.3), v6, backwards, equal (one instant),
      nosyn, badtime / futuretime (one odd row inside), flood (500 other
      pairs between beats), udp_stream (one UDP flow cut every 120 s),
      12clients (12 clients, one server, every 60 s), spoofed_clients
      (5 unanswered SYNs from made-up addresses, then a beacon); the
      last two for --beacon-max-clients
  OUTDIR/csv/slow_*.csv  slow connections: 20, 19, nat18, tabs6x4 (6 to
      each of 4 hosts), rate101, dur9, nan (NaN/Inf/negative durations),
      v6, rev, equal, ports (one per port), 200, day, flood (6,000
      one-flow clients), future_flood (the same after one 2030 row)
  OUTDIR/pcap/udp_stream.pcap  a VPN-like UDP stream, 4,400 s
  OUTDIR/pcap/tcp_beacon_*.pcap  a TCP session every 60 s, 40 times:
      v4, v6, vlan, v6vlan, jit15 (±15%), back (clock set back an hour)
"""
import csv
import datetime
import lzma
import os
import random
import socket
import struct
import sys

from lone_probe import csum   # the IPv4 header checksum, kept in one place

OUT = sys.argv[1]
DATA = os.environ.get('FEWFLOW_DATA') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'data')
CIC = os.path.join(DATA, 'cic-ids2017-improved')
for d in ('csv', 'pcap'):
    os.makedirs(os.path.join(OUT, d), exist_ok=True)
rd = csv.reader(lzma.open(os.path.join(CIC, 'Botnet_736.csv.xz'), 'rt'))
HDR = next(rd)
TMPL = next(rd)
IX = {h: i for i, h in enumerate(HDR)}
T0 = datetime.datetime(2017, 7, 7, 10, 0, 0)
COLS = {'size': 'Total Length of Fwd Packet', 'dur_us': 'Flow Duration',
        'fin': 'FIN Flag Count', 'rst': 'RST Flag Count',
        'syn': 'SYN Flag Count', 'bwd_pk': 'Total Bwd packets',
        'bwd_bytes': 'Total Length of Bwd Packet'}


def ts(s):
    return (T0 + datetime.timedelta(seconds=s)).strftime(
        '%Y-%m-%d %H:%M:%S.%f')


def row(t, src='192.168.10.5', dst='205.174.165.73', sport=50000,
        dport=8080, proto=6, tstext=None, **kw):
    r = list(TMPL)
    r[IX['Src IP']], r[IX['Dst IP']] = src, dst
    r[IX['Src Port']], r[IX['Dst Port']] = str(sport), str(dport)
    r[IX['Protocol']] = str(proto)
    r[IX['Timestamp']] = tstext if tstext is not None else ts(t)
    r[IX['Flow ID']] = '%s-%s-%d-%d-%d' % (src, dst, sport, dport, proto)
    for k, v in kw.items():
        r[IX[COLS[k]]] = str(v)
    r[IX['Label']] = 'BENIGN'
    return r


def write(name, rows):
    with open(os.path.join(OUT, 'csv', name + '.csv'), 'w',
              newline='') as f:
        w = csv.writer(f)
        w.writerow(HDR)
        w.writerows(rows)


def beacons():
    rng = random.Random(7)
    p, n = 60.0, 40
    write('bcn_base', [row(i * p, sport=50000 + i) for i in range(n)])
    for name, step in (('jit50', lambda: p * (1 - 0.5 * rng.random())),
                       ('jit60pm', lambda: p * rng.uniform(0.4, 1.6))):
        rows, t = [], 0.0
        for i in range(n):
            rows.append(row(t, sport=50000 + i))
            t += step()
        write('bcn_' + name, rows)
    write('bcn_missed', [row(i * p, sport=50000 + i) for i in range(60)
                         if i % 5 != 3])
    write('bcn_sizes', [row(i * p, sport=50000 + i,
                            size=rng.randint(100, 2000)) for i in range(n)])
    write('bcn_manydst', [row(i * p, sport=50000 + i,
                              dst='205.174.165.%d' % (i + 1))
                          for i in range(n)])
    write('bcn_ntp', [row(i * 64.0, proto=17, sport=123, dport=123,
                          dst='17.253.4.125') for i in range(n)])
    for name, dst in (('local', '10.1.2.3'), ('v4mapped', '::ffff:10.1.2.3')):
        write('bcn_' + name, [row(i * p, sport=50000 + i, dst=dst)
                              for i in range(n)])
    write('bcn_v6', [row(i * p, sport=50000 + i, dst='2001:db8::1',
                         src='fd00::5') for i in range(n)])
    write('bcn_backwards', [row((n - i) * p, sport=50000 + i)
                            for i in range(n)])
    write('bcn_equal', [row(0.0, sport=50000 + i) for i in range(n)])
    write('bcn_nosyn', [row(i * p, sport=50000 + i, syn=0)
                        for i in range(n)])
    for name, text in (('badtime', 'garbage'),
                       ('futuretime', '9999-12-31 23:59:59.000000')):
        rows = [row(i * p, sport=50000 + i) for i in range(n)]
        rows.insert(3, row(0, sport=49999, tstext=text))
        write('bcn_' + name, rows)
    rows, k = [], 0
    for i in range(n):
        rows.append(row(i * p, sport=50000 + i))
        for j in range(500):
            rows.append(row(i * p + 0.1 + j * 0.1,
                            src='192.168.%d.%d' % (k // 250 % 250,
                                                   k % 250 + 1),
                            dst='198.51.100.%d' % (k % 200 + 1),
                            sport=1024 + k % 60000, dport=443))
            k += 1
    write('bcn_flood', rows)
    # Twelve clients polling one server every 60 s (a popular update
    # service); a beacon after five unanswered SYNs from made-up
    # addresses (clients of its server to --beacon-max-clients).
    write('bcn_12clients', [row(i * p + c, src='192.168.10.%d' % (c + 1),
                                sport=50000 + i)
                            for i in range(n) for c in range(12)])
    write('bcn_spoofed_clients',
          [row(5.0 + k, src='192.168.77.%d' % (k + 1), sport=1000 + k,
               bwd_pk=0, bwd_bytes=0) for k in range(5)] +
          [row(i * p, sport=50000 + i) for i in range(n)])
    write('bcn_udp_stream', [row(i * 120.0, proto=17, sport=51820,
                                 dport=51820, dst='203.0.113.7',
                                 dur_us=int(119.9e6), syn=0)
                             for i in range(60)])


def slow_rows(n, src='192.168.10.9', dst='205.174.165.80', t0=0.0, gap=0.5,
              dur_s=100, bytes_=200, dport=80):
    return [row(t0 + i * gap, src=src, dst=dst, sport=40000 + i,
                dport=dport, dur_us=int(dur_s * 1e6), size=bytes_, fin=0,
                rst=0, bwd_pk=3, bwd_bytes=0) for i in range(n)]


def slows():
    for k in (20, 19):
        write('slow_%d' % k, slow_rows(k))
    write('slow_nat18', slow_rows(18))
    write('slow_rate101', slow_rows(30, bytes_=101 * 100 + 1))
    write('slow_dur9', slow_rows(30, dur_s=9.99))
    write('slow_tabs6x4', sum([slow_rows(6, dst='205.174.165.%d' % (80 + h))
                               for h in range(4)], []))
    rows = slow_rows(25)
    for i, v in enumerate(('NaN', 'NaN', 'NaN', 'Infinity', '-100000000')):
        rows[i][IX['Flow Duration']] = v
    write('slow_nan', rows)
    write('slow_v6', slow_rows(25, src='2001:db8::9', dst='2001:db8:1::80'))
    write('slow_rev', list(reversed(slow_rows(20))))
    write('slow_equal', slow_rows(20, gap=0.0))
    write('slow_ports', [r for i in range(20)
                         for r in slow_rows(1, dport=8000 + i, t0=i * 0.5)])
    write('slow_200', slow_rows(200, gap=0.05))
    write('slow_day', slow_rows(20, dur_s=86400, bytes_=1000))
    flood = [row(1 + k * 0.01, src='10.%d.%d.%d' % (k // 65536 + 20,
                                                    k // 256 % 256, k % 256),
                 dst='205.174.165.80', sport=2000, dport=80,
                 dur_us=int(100e6), size=200, fin=0, rst=0, bwd_pk=3,
                 bwd_bytes=0) for k in range(6000)]
    write('slow_flood', flood)
    future = row(0, src='192.168.99.1', dst='205.174.165.80', sport=1,
                 dport=80, dur_us=int(100e6), size=200, fin=0, rst=0,
                 bwd_pk=3, bwd_bytes=0,
                 tstext='2030-01-01 00:00:00.000000')
    write('slow_future_flood', [future] + flood)


def l3(src, dst, proto, payload):
    if ':' in src:
        return struct.pack('!IHBB16s16s', 6 << 28, len(payload), proto, 64,
                           socket.inet_pton(socket.AF_INET6, src),
                           socket.inet_pton(socket.AF_INET6, dst)) + \
            payload, 0x86dd
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0, 64,
                     proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + payload, 0x0800


def frame(src, dst, proto, seg, vlan=False):
    body, et = l3(src, dst, proto, seg)
    eth = b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02'
    if vlan:
        eth += struct.pack('!HH', 0x8100, 42)
    return eth + struct.pack('!H', et) + body


def pcap(name, recs):
    with open(os.path.join(OUT, 'pcap', name + '.pcap'), 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, p in recs:
            f.write(struct.pack('<IIII', int(t), int(round((t % 1) * 1e6)),
                                len(p), len(p)) + p)


def udp_stream(secs=4400):
    recs = []
    for i in range(secs):
        for k, (a, b) in enumerate((('10.0.0.5', '203.0.113.7'),
                                    ('203.0.113.7', '10.0.0.5'))):
            udp = struct.pack('!HHHH', 51820, 51820, 128, 0) + b'x' * 120
            recs.append((1500000000 + i + k / 1000, frame(a, b, 17, udp)))
    pcap('udp_stream', recs)


def tcp(sp, dp, flags, seq, ack, data=b''):
    return struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535,
                       0, 0) + data


def tcp_beacon(name, v6=False, vlan=False, jit=0.0, back=False, n=40,
               period=60.0):
    rng = random.Random(3)
    cli, srv = (('2001:db8:5::5', '2a00:1450:4001::7') if v6
                else ('192.168.1.5', '203.0.113.7'))
    recs, t = [], 1500000000.0
    for i in range(n):
        sp = 40000 + i
        seq = [(cli, srv, tcp(sp, 443, 0x02, 1, 0)),
               (srv, cli, tcp(443, sp, 0x12, 9, 2)),
               (cli, srv, tcp(sp, 443, 0x10, 2, 10)),
               (cli, srv, tcp(sp, 443, 0x18, 2, 10, b'G' * 180)),
               (srv, cli, tcp(443, sp, 0x18, 10, 182, b'R' * 400)),
               (cli, srv, tcp(sp, 443, 0x11, 182, 410)),
               (srv, cli, tcp(443, sp, 0x11, 410, 183)),
               (cli, srv, tcp(sp, 443, 0x10, 183, 411))]
        for k, (a, b, s) in enumerate(seq):
            recs.append((t + 0.01 * k, frame(a, b, 6, s, vlan)))
        t += period * (1 + jit * (2 * rng.random() - 1))
        if back and i == n // 2:
            t -= 3600
    pcap('tcp_beacon_' + name, recs)


beacons()
slows()
udp_stream()
for name, kw in (('v4', {}), ('v6', {'v6': True}), ('vlan', {'vlan': True}),
                 ('v6vlan', {'v6': True, 'vlan': True}),
                 ('jit15', {'jit': 0.15}), ('back', {'back': True})):
    tcp_beacon(name, **kw)
print('wrote', OUT)
