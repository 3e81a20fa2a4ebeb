#!/usr/bin/python3
"""Writes a capture of long-held HTTP connections from one client address,
for the slow-connection rule (include/fewflow/slow.h). Deterministic.

usage: slow_gen_pcap.py OUT.pcap KIND CONNS [MINUTES]

KIND browser: CONNS keep-alive connections to 192.0.2.80:443, each
  opened, one request (400 B) and a 20 kB answer, then idle with a TCP
  keep-alive probe and its ACK every 45 s (Chrome's keep-alive interval),
  never closed. 6 per browser; 18 or 24 model three or four browsers
  behind one NAT address.
KIND slowloris: CONNS connections to 192.0.2.80:80 sending a partial
  request (230 B), then one "X-a: N\\r\\n" header line every 15 s
  (slowloris's default wait), each ACKed, never closed.
Connections start 50 ms apart; the capture lasts MINUTES (default 5).
"""
import struct
import sys

ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
T0 = 1700000000.0
CLIENT = bytes([203, 0, 113, 9])
SERVER = bytes([192, 0, 2, 80])


def packet(fwd, sport, dport, flags, seq, ack, pay):
    src, dst = (CLIENT, SERVER) if fwd else (SERVER, CLIENT)
    sp, dp = (sport, dport) if fwd else (dport, sport)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(pay), 0, 0x4000, 64,
                     6, 0, src, dst)
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xffffffff,
                      ack & 0xffffffff, 0x50, flags, 65535, 0, 0)
    return ETH + ip + tcp + pay


def connection(kind, i, minutes):
    """(time, frame) pairs of connection i."""
    t = 1.0 + 0.05 * i
    sport, dport = 40000 + i, 443 if kind == "browser" else 80
    cs, ss = 1000, 50000
    out = [(t, packet(1, sport, dport, 0x02, cs, 0, b"")),
           (t + 0.01, packet(0, sport, dport, 0x12, ss, cs + 1, b"")),
           (t + 0.02, packet(1, sport, dport, 0x10, cs + 1, ss + 1, b""))]
    cs, ss = cs + 1, ss + 1
    first = 400 if kind == "browser" else 230
    out.append((t + 0.03, packet(1, sport, dport, 0x18, cs, ss,
                                 b"G" * first)))
    cs += first
    if kind == "browser":
        for k in range(14):
            pay = b"r" * 1448 if k < 13 else b"r" * 1176
            out.append((t + 0.05 + 0.001 * k,
                        packet(0, sport, dport, 0x18, ss, cs, pay)))
            ss += len(pay)
        gap = 45.0
    else:
        out.append((t + 0.04, packet(0, sport, dport, 0x10, ss, cs, b"")))
        gap = 15.0
    k = 1
    while t + gap * k < minutes * 60:
        at = t + gap * k
        if kind == "browser":
            out.append((at, packet(1, sport, dport, 0x10, cs - 1, ss, b"")))
            out.append((at + 0.01, packet(0, sport, dport, 0x10, ss, cs,
                                          b"")))
        else:
            line = b"X-a: %d\r\n" % (1000 + (i * 7 + k) % 4000)
            out.append((at, packet(1, sport, dport, 0x18, cs, ss, line)))
            out.append((at + 0.01, packet(0, sport, dport, 0x10, ss,
                                          cs + len(line), b"")))
            cs += len(line)
        k += 1
    return out


def main():
    path, kind, conns = sys.argv[1], sys.argv[2], int(sys.argv[3])
    minutes = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    if kind not in ("browser", "slowloris"):
        sys.exit("KIND is browser or slowloris")
    frames = []
    for i in range(conns):
        frames.extend(connection(kind, i, minutes))
    frames.sort(key=lambda f: f[0])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, frame in frames:
            s = T0 + t
            f.write(struct.pack("<IIII", int(s), int(round((s % 1) * 1e6)),
                                len(frame), len(frame)))
            f.write(frame)


main()
