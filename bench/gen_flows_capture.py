#!/usr/bin/python3
"""Writes the flow-extraction benchmark capture: a classic microsecond pcap
of N_FLOWS concurrent conversations (90 % TCP with handshake, data and FIN
teardown, 10 % UDP request/response), interleaved round by round so every
flow is open at once. Deterministic: same arguments, same bytes.

usage: gen_flows_capture.py OUT.pcap [N_FLOWS] [ROUNDS]
"""
import struct
import sys

ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
T0 = 1700000000


def ip_header(src, dst, proto, total):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64,
                       proto, 0, src, dst)


def tcp_header(sport, dport, flags, seq):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 0x50, flags,
                       65535, 0, 0)


def endpoints(i):
    client = struct.pack("!I", 0x0a000000 + (i % 60000) + 1)
    server = struct.pack("!I", 0xc0a80000 + (i % 251) + 1)
    return client, server, 1024 + (i // 60000) * 7 + (i % 50000), \
        80 if i % 2 else 443


def tcp_packet(i, rnd, rounds):
    client, server, cport, sport = endpoints(i)
    last = rounds - 1
    if rnd == 0:
        fwd, flags, pay = True, 0x02, 0
    elif rnd == 1:
        fwd, flags, pay = False, 0x12, 0
    elif rnd == last - 2:
        fwd, flags, pay = True, 0x11, 0
    elif rnd == last - 1:
        fwd, flags, pay = False, 0x11, 0
    elif rnd == last:
        fwd, flags, pay = True, 0x10, 0
    else:
        fwd = rnd % 2 == 0
        flags, pay = 0x18, (64 if fwd else 200 + (i % 7) * 100)
    src, dst = (client, server) if fwd else (server, client)
    sp, dp = (cport, sport) if fwd else (sport, cport)
    tcp = tcp_header(sp, dp, flags, rnd)
    return ETH + ip_header(src, dst, 6, 40 + pay) + tcp + b"x" * pay


def udp_packet(i, rnd):
    client, server, cport, _ = endpoints(i)
    fwd = rnd % 2 == 0
    pay = 40 if fwd else 120
    src, dst = (client, server) if fwd else (server, client)
    sp, dp = (cport, 53) if fwd else (53, cport)
    udp = struct.pack("!HHHH", sp, dp, 8 + pay, 0)
    return ETH + ip_header(src, dst, 17, 28 + pay) + udp + b"u" * pay


def main():
    out = sys.argv[1]
    n_flows = int(sys.argv[2]) if len(sys.argv) > 2 else 140000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    step_us = max(1, 1000000 // n_flows)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for rnd in range(rounds):
            chunk = []
            for i in range(n_flows):
                pkt = udp_packet(i, rnd) if i % 10 == 9 else \
                    tcp_packet(i, rnd, rounds)
                t_us = rnd * 1000000 + i * step_us
                chunk.append(struct.pack("<IIII", T0 + t_us // 1000000,
                                         t_us % 1000000, len(pkt), len(pkt)))
                chunk.append(pkt)
            f.write(b"".join(chunk))


if __name__ == "__main__":
    main()
