#!/usr/bin/env python3
"""Writes captures of lone (unanswered) SYNs for the lone limit's figures.

usage: bench/lone_probe.py MODE N > out.pcap

MODE distinct: N SYNs, each from its own source 10.x.y.z to its own
               target 172.16+.y.z (qa3's spoofed probe: sources and
               targets fill /24s in order);
     sweep:    N SYNs from one source to N targets;
     noisy:    N SYNs from N hosts of 10.5.0.0/24, each to its own /16,
               then one SYN from 192.168.9.9 (the host that must not
               hide behind the noisy network);
     spread:   N SYNs from N source /16s to N hosts of 172.20.0.0/16;
     random:   N SYNs from random sources to random targets (seed 1):
               every flow in its own /24 and /16, the limit's blind spot.
Times: 0.1 ms apart (noisy: 10 ms; the stranger 1 s after the start).
"""
import random
import struct
import sys

rnd = random.Random(1)


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def syn(src, dst, sport, t):
    tcp = struct.pack('!HHIIBBHHH', sport, 22, 1, 0, 0x50, 0x02, 8192, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6,
                     0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    frame = b'\0\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00' + ip + tcp
    sec = int(t)
    usec = int(round((t - sec) * 1e6))
    return struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame


def flows(mode, n):
    for i in range(n):
        if mode == 'distinct':
            a = [10, (i >> 16) & 255, (i >> 8) & 255, i & 255]
            b = [172, 16 + ((i >> 16) & 15), (i >> 8) & 255, i & 255]
            yield a, b, i * 1e-4
        elif mode == 'sweep':
            b = [172, 16 + ((i >> 16) & 15), (i >> 8) & 255, i & 255]
            yield [10, 9, 9, 9], b, i * 1e-4
        elif mode == 'noisy':
            yield [10, 5, 0, 1 + i % 254], [172, 100 + i % 100, i // 100, 1], \
                i * 0.01
        elif mode == 'spread':
            yield [10, 100 + i % 100, i // 100, 1], [172, 20, i // 254,
                                                    1 + i % 254], i * 1e-4
        elif mode == 'random':
            a = [rnd.randrange(1, 224) for _ in range(4)]
            b = [rnd.randrange(1, 224) for _ in range(4)]
            yield a, b, i * 1e-4
        else:
            sys.exit('unknown mode ' + mode)
    if mode == 'noisy':
        yield [192, 168, 9, 9], [198, 51, 100, 1], 1.0


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    out = sys.stdout.buffer
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t0 = 1700000000.0
    buf = []
    for k, (a, b, dt) in enumerate(flows(mode, n)):
        buf.append(syn(a, b, 1024 + k % 60000, t0 + dt))
        if len(buf) >= 10000:
            out.write(b''.join(buf))
            buf = []
    out.write(b''.join(buf))


if __name__ == '__main__':
    main()
