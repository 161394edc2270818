#!/usr/bin/python3
# peer.py - the scripted TCP peer of test/wire: plays each scenario on one
# target (the Linux kernel or ustack) and writes down what came back.
#
# Theory of operation. The peer owns no address in its own kernel: it
# writes whole Ethernet frames to a link (veth-a, or the kernel side of
# ustackd's TAP) through an AF_PACKET socket and reads every frame that
# comes back on it, with the kernel's receive timestamp (SO_TIMESTAMPNS).
# Its kernel does not own PEER_IP, so it neither answers nor resets what
# the target sends; the peer answers ARP and Neighbor Solicitations for
# PEER_IP itself (ustack asks; the kernel target has permanent neighbour
# entries). One run plays one family: IPv4, or with --family 6 the
# scenarios of BOTH_FAMILIES over IPv6, their names NAME/6.
#
# A scenario is a function sc_NAME(w) below. It drives two things in step:
# the program on the target's side (prog.py, started per scenario by the
# command given with --run, e.g. "ip netns exec B" or "ustack-run
# --socket S"), one socket call a line, and a Conn, the peer's half of a
# TCP connection (its ISN, the target's ISN once seen, timestamps, what
# it has acknowledged). Everything is written to the scenario's trace as
# it happens: "<" a segment the target sent, ">" one the peer sent, "P"
# a call's result, "X" the scenario could not go on (no SYN-ACK...).
# Segments are written relative: seq from the target's ISN, ack from the
# peer's, SACK blocks from the peer's; the window as on the wire; options
# by kind in order (mss1460 sackOK ts nop ws7), "ts" standing for the
# timestamps option whatever its values. A scenario that marks a moment
# (w.mark) makes the following segments "timed": their time since the
# mark is compared with a tolerance (compare.py), the others only by
# content and order.
#
# Every wait is bounded (expect's timeout, TIMEOUT for a program's
# answer). Usage:
#   peer.py [--family 6] --iface IF --mac MAC --target-mac MAC
#           --run "PREFIX" --prog prog.py --out trace.json [NAME...]
import argparse
import fcntl
import json
import os
import select
import shlex
import socket
import struct
import subprocess
import sys
import time
import traceback

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import (IPv6, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6NDOptDstLLAddr)
from scapy.layers.l2 import ARP, Ether

# the family (--family 6: the same over IPv6) sets these
FAMILY = 4
PEER_IP = "192.0.2.1"
TARGET_IP = "192.0.2.2"
ETH_P_ALL = 3
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
PY = "/usr/bin/python3"
TIMEOUT = 10.0
# the window the peer announces: its SYN's as a Linux client's, then
# 502 << 7 (64256 bytes), again as Linux
SYN_WIN = 64240
WIN = 502
MSS = 1460
# the scenarios played over IPv6 too (--family 6): those whose sizes do
# not assume IPv4's MSS
BOTH_FAMILIES = ("handshake_passive", "handshake_active", "rst_closed_port",
                 "psh_small_writes", "ooo_sack", "fin_passive", "fin_timewait",
                 "rto_backoff", "zero_window", "close_unread", "rst_challenge",
                 "dup_syn", "delayed_ack")


def ip_layer(**kw):
    """The IP header to the target, of the family played."""
    if FAMILY == 6:
        return IPv6(src=PEER_IP, dst=TARGET_IP, tc=kw.get("tos", 0))
    return IP(src=PEER_IP, dst=TARGET_IP, **kw)


class Abort(Exception):
    pass


def fmt_flags(f):
    out = ""
    for bit, ch in ((0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"),
                    (0x10, "."), (0x40, "E"), (0x80, "W"), (0x20, "U")):
        if f & bit:
            out += ch
    return out


class Link:
    """Frames to and from one interface, with receive timestamps."""

    def __init__(self, iface, mac, tmac):
        self.mac, self.tmac = mac, tmac
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                               socket.htons(ETH_P_ALL))
        self.s.bind((iface, ETH_P_ALL))
        self.s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.s.setblocking(False)

    def send(self, pkt):
        self.s.send(bytes(Ether(src=self.mac, dst=self.tmac) / pkt))
        return time.time()

    def read(self):
        """One frame that came in (not one we sent): (bytes, time) or None."""
        try:
            data, anc, _, addr = self.s.recvmsg(65600, 64)
        except BlockingIOError:
            return None
        if addr[2] == PACKET_OUTGOING:
            return b"", 0
        ts = time.time()
        for level, typ, val in anc:
            if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, ns = struct.unpack("qq", val[:16])
                ts = sec + ns / 1e9
        return data, ts

    def drain(self):
        while self.read() is not None:
            pass


class World:
    """One scenario's run: the link, the program, the connections, the trace."""

    def __init__(self, link, run, prog):
        self.link, self.run, self.progpath = link, run, prog
        self.trace = []
        self.conns = []
        self.p = None
        self.pbuf = b""
        self.plines = []
        self.t_mark = None
        self.t0 = time.time()

    # --- the trace ----------------------------------------------------
    def note(self, d, s, ts=None, fields=None):
        ts = ts or time.time()
        e = {"d": d, "s": s, "at": round(ts - self.t0, 4)}
        if fields is not None:
            e["f"] = fields
        if self.t_mark is not None and d == "<":
            e["t"] = round(ts - self.t_mark, 4)
        self.trace.append(e)

    def mark(self, ts=None):
        """Segments from now on are timed, from TS (default now)."""
        self.t_mark = ts or time.time()

    def unmark(self):
        self.t_mark = None

    # --- the program --------------------------------------------------
    def prog_start(self):
        cmd = shlex.split(self.run) + [PY, self.progpath, str(FAMILY)]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        fl = fcntl.fcntl(self.p.stdout, fcntl.F_GETFL)
        fcntl.fcntl(self.p.stdout, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        if self.result(TIMEOUT, note=False) != "ready":
            raise Abort("the program did not start")

    def call(self, cmd, wait=True):
        """Send one call to the program; with wait, its result."""
        if self.p is None:
            self.prog_start()
        self.p.stdin.write((cmd + "\n").encode())
        self.p.stdin.flush()
        return self.result(TIMEOUT) if wait else None

    def result(self, timeout=TIMEOUT, note=True):
        self.pump(timeout, lambda: self.plines)
        if not self.plines:
            self.note("X", "no answer from the program")
            raise Abort("no answer from the program")
        line = self.plines.pop(0)
        if note:
            self.note("P", line)
        return line

    def prog_stop(self):
        if self.p is None:
            return
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(3)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()

    # --- the link -----------------------------------------------------
    def pump(self, timeout, until=None):
        """Take frames and program lines until until() or timeout."""
        end = time.time() + timeout
        while True:
            if until is not None and until():
                return True
            left = end - time.time()
            if left <= 0:
                return False
            fds = [self.link.s]
            if self.p is not None and self.p.stdout is not None:
                fds.append(self.p.stdout)
            r, _, _ = select.select(fds, [], [], left)
            if self.link.s in r:
                while True:
                    f = self.link.read()
                    if f is None:
                        break
                    if f[0]:
                        self.frame(*f)
            if self.p is not None and self.p.stdout in r:
                try:
                    b = os.read(self.p.stdout.fileno(), 4096)
                except BlockingIOError:
                    b = b""
                if not b:
                    self.p.stdout.close()
                    self.p.stdout = None
                self.pbuf += b
                while b"\n" in self.pbuf:
                    line, self.pbuf = self.pbuf.split(b"\n", 1)
                    self.plines.append(line.decode(errors="replace"))

    def wait(self, seconds):
        self.pump(seconds)

    def frame(self, data, ts):
        e = Ether(data)
        if ARP in e:
            a = e[ARP]
            if a.op == 1 and a.pdst == PEER_IP:
                self.link.send(ARP(op=2, hwsrc=self.link.mac, psrc=PEER_IP,
                                   hwdst=a.hwsrc, pdst=a.psrc))
            return
        if ICMPv6ND_NS in e:
            if e[ICMPv6ND_NS].tgt == PEER_IP:
                self.link.send(IPv6(src=PEER_IP, dst=e[IPv6].src) /
                               ICMPv6ND_NA(tgt=PEER_IP, R=0, S=1, O=1) /
                               ICMPv6NDOptDstLLAddr(lladdr=self.link.mac))
            return
        ip = e.getlayer(IPv6 if FAMILY == 6 else IP)
        if ip is None or TCP not in e or ip.src != TARGET_IP:
            return
        for c in self.conns:
            if c.match(e[TCP]):
                c.input(ip, e[TCP], ts)
                return

    def conn(self, port, sport=None, **kw):
        c = Conn(self, port, sport, **kw)
        self.conns.append(c)
        return c


class Conn:
    """The peer's side of one connection to the target's PORT."""

    def __init__(self, w, tport, pport=None, iss=1000000, ts=True):
        self.w = w
        self.tport = tport          # None: learnt from the target's SYN
        self.pport = pport or 40000 + (tport or 0) % 20000
        self.iss = iss
        self.snd_nxt = iss
        self.irs = None
        self.rcv_nxt = 0
        self.ts_on = ts
        self.wscale = True
        self.ts_recent = 0
        self.inbox = []
        self.last_sent = 0.0

    def match(self, t):
        if t.dport != self.pport:
            return False
        if self.tport is None:
            self.tport = t.sport
        return t.sport == self.tport

    # --- segments in ----------------------------------------------------
    def input(self, ip, t, ts):
        flags = int(t.flags)
        # from the IP header: a short frame's Ethernet padding is no payload
        if FAMILY == 6:
            n = ip.plen - t.dataofs * 4
        else:
            n = ip.len - ip.ihl * 4 - t.dataofs * 4
        if flags & 0x02 and self.irs is None:
            self.irs = t.seq
            self.rcv_nxt = t.seq + 1
        if self.irs is not None:
            seq = "seq=%d" % ((t.seq - self.irs) & 0xffffffff)
            end = t.seq + n + (1 if flags & 0x01 else 0)
            if not flags & 0x02 and ((end - self.rcv_nxt) & 0xffffffff) < 1 << 31:
                self.rcv_nxt = end & 0xffffffff
        else:
            seq = "seq=abs:%d" % t.seq
        ack = "ack=%d" % ((t.ack - self.iss) & 0xffffffff) if flags & 0x10 else "ack=-"
        opts = []
        for o in t.options:
            k, v = o[0], o[1]
            if k == "MSS":
                opts.append("mss%d" % v)
            elif k == "WScale":
                opts.append("ws%d" % v)
            elif k == "SAckOK":
                opts.append("sackOK")
            elif k == "Timestamp":
                opts.append("ts" if v[1] or flags & 0x02 and not flags & 0x10 else "ts(ecr0)")
                self.ts_recent = v[0]
            elif k == "NOP":
                opts.append("nop")
            elif k == "EOL":
                opts.append("eol")
            elif k == "SAck":
                opts.append("sack" + ",".join(
                    "%d-%d" % ((v[i] - self.iss) & 0xffffffff,
                               (v[i + 1] - self.iss) & 0xffffffff)
                    for i in range(0, len(v) - 1, 2)))
            else:
                opts.append("opt%s" % k)
        ecn = ("", "ect1", "ect0", "ce")[(ip.tc if FAMILY == 6 else ip.tos) & 3]
        df = "df" if FAMILY == 4 and ip.flags.DF else ""
        f = {"flags": fmt_flags(flags), "seq": seq[4:], "ack": ack[4:],
             "synwin" if flags & 0x02 else "win": t.window, "len": n,
             "opts": " ".join("ws" if o.startswith("ws") else o for o in opts),
             "ws": ",".join(o[2:] for o in opts if o.startswith("ws")),
             "ecn": ecn, "df": df}
        s = "%-4s %s %s win=%d len=%d [%s]%s%s" % (
            fmt_flags(flags), seq, ack, t.window, n, " ".join(opts),
            " " + ecn if ecn else "", " " + df if df else "")
        self.w.note("<", s, ts, f)
        self.inbox.append({"flags": flags, "len": n, "seq": t.seq,
                           "ack": t.ack, "win": t.window, "ts": ts})

    def expect(self, count=1, timeout=1.0, settle=0.1, nbytes=None):
        """Segments until COUNT (or NBYTES of payload) came, or TIMEOUT;
        then SETTLE seconds more for any that follow. Returns them all
        and empties the inbox."""
        if nbytes is not None:
            self.w.pump(timeout, lambda: sum(s["len"] for s in self.inbox) >= nbytes)
        else:
            self.w.pump(timeout, lambda: len(self.inbox) >= count)
        if settle:
            self.w.pump(settle)
        got, self.inbox = self.inbox, []
        return got

    def need(self, segs, what, flags=None):
        for s in segs:
            if flags is None or s["flags"] & flags == flags:
                return s
        self.w.note("X", "no " + what)
        raise Abort("no " + what)

    # --- segments out -----------------------------------------------------
    def send(self, flags, n=0, seq=None, ack=None, win=None, opts=None,
             sack=None, tos=0):
        """One segment. FLAGS in scapy's letters (S A P F R E C); SEQ and
        ACK relative (default: what comes next), SACK blocks [(left,
        right)] relative as ACK; OPTS for a SYN: "linux" (a Linux
        client's), "none" or a scapy list."""
        syn = "S" in flags
        if seq is None:
            aseq = self.snd_nxt
        else:
            aseq = (self.iss + seq) & 0xffffffff
        if ack is None:
            aack = self.rcv_nxt
        else:
            aack = ((self.irs or 0) + ack) & 0xffffffff
        tsval = int((time.time() - self.w.t0) * 1000) + 100
        if syn:
            if opts in (None, "linux"):
                o = [("MSS", MSS), ("SAckOK", b""), ("Timestamp", (tsval, self.ts_recent)),
                     ("NOP", None), ("WScale", 7)]
            elif opts == "none":
                o = []
                self.ts_on = False
                self.wscale = False
            else:
                o = opts
            w = SYN_WIN if win is None else win
        else:
            o = []
            if self.ts_on and "R" not in flags:
                o = [("NOP", None), ("NOP", None), ("Timestamp", (tsval, self.ts_recent))]
            if sack:
                o += [("NOP", None), ("NOP", None),
                      ("SAck", tuple(((self.irs or 0) + x) & 0xffffffff
                                     for b in sack for x in b))]
            if win is None:
                win = WIN if self.wscale else SYN_WIN
            w = win
        t = TCP(sport=self.pport, dport=self.tport, seq=aseq,
                ack=aack if "A" in flags else 0, flags=flags, window=w, options=o)
        pkt = ip_layer(tos=tos, flags="DF") / t
        if n:
            pkt = pkt / (b"y" * n)
        self.last_sent = self.w.link.send(pkt)
        rel = "seq=%d" % ((aseq - self.iss) & 0xffffffff)
        self.w.note(">", "%-4s %s ack=%s win=%d len=%d" % (
            flags, rel, "%d" % ((aack - (self.irs or 0)) & 0xffffffff)
            if "A" in flags else "-", w, n), self.last_sent)
        if seq is None:
            self.snd_nxt = (self.snd_nxt + n + syn + ("F" in flags)) & 0xffffffff
        return self.last_sent

    def reset(self):
        """Tear the target's side down (not part of the trace)."""
        if self.tport is None:
            return
        t = TCP(sport=self.pport, dport=self.tport, seq=self.snd_nxt, flags="R",
                window=0)
        self.w.link.send(ip_layer() / t)


# ---------------------------------------------------------------------------
# helpers for scenarios

def open_passive(w, port, win=None, opts="linux", flags="S", settle=0.05):
    """The program listens on PORT; the peer connects; the program accepts."""
    w.call("listen %d" % port)
    c = w.conn(port)
    c.send(flags, opts=opts)
    c.need(c.expect(1, timeout=3, settle=settle), "SYN-ACK", 0x12)
    c.send("A", win=win)
    w.call("accept")
    return c


def ack_all(c, segs):
    """ACK what came (the peer's acknowledgement of data)."""
    if segs:
        c.send("A")


# ---------------------------------------------------------------------------
# the scenarios: each a small function, its port its own

def sc_handshake_passive(w):
    """SYN as a Linux client sends it: the SYN-ACK's options and window,
    the MSS and TCP_INFO the program sees."""
    w.call("listen 5001")
    c = w.conn(5001)
    c.send("S")
    c.need(c.expect(1, timeout=3, settle=0.2), "SYN-ACK", 0x12)
    c.send("A")
    w.call("accept")
    w.call("get TCP_MAXSEG")
    w.call("state")
    w.call("info")
    c.expect(0, timeout=0, settle=0.2)


def sc_handshake_active(w):
    """The program connects: its SYN's options and window, its ACK of
    the SYN-ACK."""
    c = w.conn(None, 5002)
    w.call("connect %s 5002" % PEER_IP, wait=False)
    c.need(c.expect(1, timeout=3, settle=0.05), "SYN", 0x02)
    c.send("SA")
    c.expect(1, timeout=1, settle=0.2)
    w.result()
    w.call("get TCP_MAXSEG")
    w.call("state")
    w.call("info")


def sc_syn_no_options(w):
    """A SYN without options: MSS 536 assumed (RFC 9293 3.7.1), no
    timestamps, SACK or scaling in the SYN-ACK; a write of 1072 bytes in
    two 536-byte segments."""
    c = open_passive(w, 5003, opts="none")
    w.call("send 1072")
    segs = c.expect(nbytes=1072, timeout=2, settle=0.1)
    ack_all(c, segs)
    c.expect(0, timeout=0, settle=0.1)


def sc_ecn_setup(w):
    """An ECN-setup SYN (ECE, CWR): the SYN-ACK has ECE alone (Linux's
    tcp_ecn = 2, ustack's tcp-ecn = server), the data is ECT(0)."""
    c = open_passive(w, 5004, flags="SEC")
    w.call("send 100")
    ack_all(c, c.expect(1, timeout=2, settle=0.05))
    c.expect(0, timeout=0, settle=0.1)


def sc_rst_closed_port(w):
    """Nothing listens on 5005: a SYN gets RST|ACK (seq 0, ack SYN+1), an
    ACK gets a RST whose seq is the ACK's ack (RFC 9293 3.10.7.1)."""
    c = w.conn(5005)
    c.send("S")
    c.expect(1, timeout=2, settle=0.1)
    c2 = w.conn(5005, 40105, iss=2000000)
    c2.irs = 0
    c2.send("A", ack=777777)
    c2.irs = None
    c2.expect(1, timeout=2, settle=0.1)


def sc_psh_small_writes(w):
    """Three small writes, the peer acknowledging each: three segments,
    each with PSH."""
    c = open_passive(w, 5006)
    for _ in range(3):
        w.call("send 100")
        ack_all(c, c.expect(1, timeout=2, settle=0.05))
    c.expect(0, timeout=0, settle=0.1)


def sc_psh_large_write(w):
    """One 8688-byte write within the initial window: six MSS-sized
    segments (1448 with timestamps), PSH on the last one only."""
    c = open_passive(w, 5007)
    w.call("send 8688")
    ack_all(c, c.expect(nbytes=8688, timeout=2, settle=0.1))
    c.expect(0, timeout=0, settle=0.1)


def sc_nagle(w):
    """A small write, and once it is on the wire another: Nagle holds
    the second until the first is acknowledged (0.15 s later, before
    any tail loss probe)."""
    c = open_passive(w, 5008)
    w.call("send 100")
    c.expect(1, timeout=1, settle=0)
    w.call("send 100")
    c.expect(0, timeout=0, settle=0.15)
    c.send("A")
    ack_all(c, c.expect(1, timeout=1, settle=0.1))


def sc_nagle_minshall(w):
    """One write of 1548 bytes: a full segment and 100 bytes. Linux's
    Nagle (Minshall's variant, tcp_minshall_check()) holds a small
    segment only while another small one is unacknowledged: both go at
    once."""
    c = open_passive(w, 5032)
    w.call("send 1548")
    c.expect(nbytes=1548, timeout=0.5, settle=0.05)
    c.send("A")
    ack_all(c, c.expect(1, timeout=0.5, settle=0.1))


def sc_cork_nodelay(w):
    """TCP_CORK holds two small writes; setting TCP_NODELAY sends what
    the cork held, at once."""
    c = open_passive(w, 5009)
    w.call("set TCP_CORK 1")
    w.call("send 100")
    w.call("send 100")
    c.expect(0, timeout=0, settle=0.15)
    w.mark()
    w.call("set TCP_NODELAY 1")
    ack_all(c, c.expect(1, timeout=1, settle=0.1))
    w.unmark()


def sc_cork_release(w):
    """TCP_CORK on, two small writes, TCP_CORK off: one segment of both."""
    c = open_passive(w, 5010)
    w.call("set TCP_CORK 1")
    w.call("send 100")
    w.call("send 100")
    c.expect(0, timeout=0, settle=0.15)
    w.mark()
    w.call("set TCP_CORK 0")
    ack_all(c, c.expect(1, timeout=1, settle=0.1))
    w.unmark()


def sc_delayed_ack(w):
    """Twenty small segments from the peer, each sent once the last was
    acknowledged (or after 0.3 s): which are acknowledged at once (quick
    ACKs after the handshake) and which after the delayed-ACK timer."""
    c = open_passive(w, 5011)
    for _ in range(20):
        w.mark()
        c.send("PA", 100)
        c.expect(1, timeout=0.3, settle=0)
    w.unmark()
    c.expect(0, timeout=0, settle=0.1)
    w.call("recvall 2000")


def sc_ooo_sack(w):
    """A segment past a hole: an immediate duplicate ACK with its SACK
    block; the hole filled: one ACK of both, at once too (both timed)."""
    c = open_passive(w, 5012)
    w.mark()
    c.send("PA", 1000, seq=1001)
    c.expect(1, timeout=1, settle=0.05)
    w.mark()
    c.send("PA", 1000, seq=1)
    c.snd_nxt = c.iss + 2001
    c.expect(1, timeout=1, settle=0.1)
    w.unmark()
    w.call("recvall 2000")


def sc_window_on_read(w):
    """The peer sends 20 full segments while the program sleeps: the
    ACKs and the window they carry; then the program reads them all:
    any window update."""
    c = open_passive(w, 5013)
    w.call("sleep 0.4", wait=False)
    for _ in range(20):
        c.send("A", 1448)
    c.expect(100, timeout=0.3, settle=0)
    w.result()
    w.call("recvall 28960")
    c.expect(0, timeout=0, settle=0.3)


def sc_window_fill(w):
    """The program does not read; the peer sends as far as each ACK's
    window allows (rounds of at most 60 segments, 0.3 s apart, 8 at
    most) until the window is 0; then the program reads 20000 bytes (a
    window update, RFC 9293 3.8.6.2.2: it is worth more than an MSS),
    and then the rest."""
    c = open_passive(w, 5031)
    right = c.snd_nxt + WIN * 128

    def room():
        d = (right - c.snd_nxt) & 0xffffffff
        return 0 if d >= 1 << 31 else d
    sent = 0
    for _ in range(8):
        n = 0
        while room() and n < 60:
            size = min(1448, room())
            c.send("A", size)
            n += 1
            sent += size
        segs = c.expect(1000, timeout=0.3, settle=0)
        if segs:
            right = segs[-1]["ack"] + (segs[-1]["win"] << 7)
        if not room():
            break
    w.note("P", "peer sent %d bytes" % sent)
    w.call("recvall 20000")
    c.expect(0, timeout=0, settle=0.2)
    w.call("recvall %d" % (sent - 20000))
    c.expect(0, timeout=0, settle=0.2)


def sc_shutdown_rd(w):
    """shutdown(SHUT_RD), then the peer sends: Linux still acknowledges
    and queues the bytes; what recv gives then, and after the peer's FIN."""
    c = open_passive(w, 5014)
    w.call("shutdown RD")
    c.send("PA", 100)
    c.expect(1, timeout=1, settle=0.1)
    w.call("recv 1000")
    w.mark()
    c.send("FA")
    c.expect(1, timeout=1, settle=0.1)
    w.unmark()
    w.call("recv 1000")
    w.call("state")


def sc_fin_passive(w):
    """The peer closes first: its FIN acknowledged at once, the program
    reads end of file, CLOSE_WAIT; the program closes: FIN, LAST_ACK."""
    c = open_passive(w, 5015)
    w.mark()
    c.send("FA")
    c.expect(1, timeout=1, settle=0.1)
    w.unmark()
    w.call("recv 100")
    w.call("state")
    w.call("close")
    c.need(c.expect(1, timeout=1, settle=0.05), "FIN", 0x01)
    c.send("A")
    c.expect(0, timeout=0, settle=0.1)


def sc_fin_timewait(w):
    """The program closes first: FIN; the peer's ACK, then its FIN,
    acknowledged; the peer's FIN again (its ACK lost): acknowledged
    again from TIME_WAIT."""
    c = open_passive(w, 5016)
    w.call("close")
    c.need(c.expect(1, timeout=1, settle=0.05), "FIN", 0x01)
    c.send("A")
    c.expect(0, timeout=0, settle=0.1)
    w.mark()
    c.send("FA")
    c.expect(1, timeout=1, settle=0.1)
    w.unmark()
    c.send("FA", seq=1)
    c.expect(1, timeout=1, settle=0.1)


def sc_rto_backoff(w):
    """The peer stops acknowledging: the retransmissions' times (after
    the handshake's RTT sample: RTO at its 200 ms floor, then doubled;
    a tail loss probe may come first); TCP_INFO in Loss and after."""
    c = open_passive(w, 5017)
    w.call("send 100")
    first = c.expect(1, timeout=1, settle=0)
    if first:
        w.mark(first[0]["ts"])
    c.expect(4, timeout=2.5, settle=0)
    w.unmark()
    w.call("info")
    c.send("A")
    c.expect(0, timeout=0, settle=0.1)
    w.call("info")


def sc_synack_retrans(w):
    """The handshake's ACK never comes: SYN-ACK again after the initial
    RTO (1 s), then 2 s later (RFC 6298 5.5)."""
    w.call("listen 5018")
    c = w.conn(5018)
    c.send("S")
    first = c.need(c.expect(1, timeout=2, settle=0), "SYN-ACK", 0x12)
    w.mark(first["ts"])
    c.expect(2, timeout=3.6, settle=0)
    w.unmark()


def sc_syn_retrans(w):
    """The program connects and nobody answers: SYN again after 1 s,
    then 2 s later; connect with a 3.5 s timeout gives up."""
    c = w.conn(None, 5019)
    w.call("connect %s 5019 3.5" % PEER_IP, wait=False)
    first = c.need(c.expect(1, timeout=2, settle=0), "SYN", 0x02)
    w.mark(first["ts"])
    c.expect(2, timeout=3.6, settle=0)
    w.unmark()
    w.result()


def sc_zero_window(w):
    """The peer's window is 0 from the handshake on: the program's bytes
    wait; window probes and their times; the window opens: the bytes."""
    c = open_passive(w, 5020, win=0)
    w.call("send 100")
    w.mark(c.last_sent)
    c.expect(3, timeout=2.5, settle=0)
    w.unmark()
    c.send("A")
    ack_all(c, c.expect(1, timeout=1, settle=0.1))


def sc_keepalive(w):
    """SO_KEEPALIVE, then TCP_KEEPIDLE 1, TCP_KEEPINTVL 1, TCP_KEEPCNT 2
    (the order programs use; Linux re-arms the timer for the new idle
    time), a silent peer: probes at 1 s and 2 s after the last segment,
    then the connection dies (a RST at 3 s) and recv says ETIMEDOUT."""
    c = open_passive(w, 5021)
    t = c.last_sent
    w.call("set SO_KEEPALIVE 1")
    w.call("set TCP_KEEPIDLE 1")
    w.call("set TCP_KEEPINTVL 1")
    w.call("set TCP_KEEPCNT 2")
    w.mark(t)
    c.expect(3, timeout=3.6, settle=0.1)
    w.unmark()
    w.call("timeout 1")
    w.call("recv 10")


def sc_user_timeout(w):
    """TCP_USER_TIMEOUT 1000 ms and a silent peer: retransmissions until
    the connection gives up about 1 s after the data; recv: ETIMEDOUT."""
    c = open_passive(w, 5022)
    w.call("set TCP_USER_TIMEOUT 1000")
    w.call("send 100")
    first = c.expect(1, timeout=1, settle=0)
    if first:
        w.mark(first[0]["ts"])
    c.expect(10, timeout=1.8, settle=0)
    w.unmark()
    w.call("timeout 1")
    w.call("recv 10")


def sc_close_unread(w):
    """The program closes with 100 bytes it never read: a RST, not a FIN
    (RFC 2525 2.17, Linux's tcp_close()), seq where the FIN would be."""
    c = open_passive(w, 5023)
    c.send("PA", 100)
    c.expect(1, timeout=1, settle=0.05)
    w.call("close")
    c.expect(1, timeout=1, settle=0.1)


def sc_linger_zero(w):
    """SO_LINGER {1, 0} then close: a RST at once (the abortive close)."""
    c = open_passive(w, 5024)
    w.call("linger0")
    w.call("close")
    c.expect(1, timeout=1, settle=0.1)


def sc_rst_challenge(w):
    """RFC 5961: a RST in the window but not at rcv_nxt gets a challenge
    ACK and leaves the connection up, so does a SYN on it; a RST exactly
    at rcv_nxt resets it: recv says ECONNRESET."""
    c = open_passive(w, 5025)
    c.send("R", seq=1001)
    c.expect(1, timeout=1, settle=0.1)
    w.call("state")
    c.send("S", seq=0, opts="linux")
    c.expect(1, timeout=1, settle=0.1)
    c.send("R")
    c.expect(0, timeout=0, settle=0.1)
    w.call("recv 10")


def sc_mss_small(w):
    """The peer's SYN says MSS 1000: the SYN-ACK keeps its own 1460, the
    data comes in segments of 1000 less the 12 bytes of timestamps (two
    of them: no tail for Nagle to hold)."""
    c = open_passive(w, 5026, opts=[("MSS", 1000), ("SAckOK", b""),
                                    ("Timestamp", (1, 0)), ("NOP", None),
                                    ("WScale", 7)])
    w.call("get TCP_MAXSEG")
    w.call("send 1976")
    ack_all(c, c.expect(nbytes=1976, timeout=1, settle=0.1))
    c.expect(0, timeout=0, settle=0.1)


def sc_fast_retransmit(w):
    """Five segments; the first is lost: three duplicate ACKs whose SACK
    blocks cover the next ones bring its retransmission at once (RFC
    6675, RACK), long before an RTO; then everything is acknowledged."""
    c = open_passive(w, 5027)
    w.call("send 7240")
    c.expect(nbytes=7240, timeout=1, settle=0.05)
    for k in (2, 3, 4):
        w.mark()
        c.send("A", ack=1, sack=[(1449, 1 + 1448 * k)])
    c.expect(1, timeout=1, settle=0.1)
    w.unmark()
    c.send("A")
    c.expect(0, timeout=0, settle=0.1)


def sc_half_close(w):
    """shutdown(SHUT_WR): FIN; the peer acknowledges and goes on sending
    (the target in FIN_WAIT_2 acknowledges and the program reads), then
    the peer's FIN: TIME_WAIT."""
    c = open_passive(w, 5028)
    w.call("shutdown WR")
    c.need(c.expect(1, timeout=1, settle=0.05), "FIN", 0x01)
    c.send("A")
    c.expect(0, timeout=0, settle=0.05)
    w.call("state")
    c.send("PA", 100)
    c.expect(1, timeout=1, settle=0.05)
    w.call("recv 1000")
    w.mark()
    c.send("FA")
    c.expect(1, timeout=1, settle=0.1)
    w.unmark()
    w.call("recv 1000")
    w.call("state")


def sc_syn_with_data(w):
    """A SYN carrying 100 bytes (no Fast Open cookie): the SYN-ACK
    acknowledges the SYN alone; the bytes are sent again after the
    handshake and then acknowledged."""
    w.call("listen 5029")
    c = w.conn(5029)
    c.send("S", 100)
    c.need(c.expect(1, timeout=2, settle=0.1), "SYN-ACK", 0x12)
    c.snd_nxt = c.iss + 1
    c.send("A")
    w.call("accept")
    c.send("PA", 100)
    c.expect(1, timeout=1, settle=0.1)
    w.call("recv 1000")


def sc_dup_syn(w):
    """The SYN again while the target is in SYN-RECEIVED (the peer lost
    the SYN-ACK): the SYN-ACK again, at once; then the handshake ends."""
    w.call("listen 5030")
    c = w.conn(5030)
    c.send("S")
    c.need(c.expect(1, timeout=2, settle=0.1), "SYN-ACK", 0x12)
    w.mark()
    c.send("S", seq=0)
    c.expect(1, timeout=1.5, settle=0.1)
    w.unmark()
    c.send("A")
    w.call("accept")
    w.call("state")


SCENARIOS = [(n[3:], f) for n, f in list(globals().items())
             if n.startswith("sc_") and callable(f)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--mac", required=True)
    ap.add_argument("--target-mac", required=True)
    ap.add_argument("--run", default="")
    ap.add_argument("--prog", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--family", type=int, choices=(4, 6), default=4)
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    global FAMILY, PEER_IP, TARGET_IP, MSS
    scenarios = SCENARIOS
    suffix = ""
    if a.family == 6:
        FAMILY, PEER_IP, TARGET_IP, MSS = 6, "2001:db8::1", "2001:db8::2", 1440
        scenarios = [(n, f) for n, f in SCENARIOS if n in BOTH_FAMILIES]
        suffix = "/6"
    # NAME/6 is NAME over IPv6: played by the IPv6 pass; NAME by both
    base = {n[:-2] if n.endswith("/6") else n for n in a.names}
    if a.family == 6:
        wanted = base
    else:
        wanted = {n for n in a.names if not n.endswith("/6")}
    unknown = base - {n for n, _ in SCENARIOS}
    if unknown:
        sys.exit("peer.py: no scenario %s (%s)" % (
            " ".join(sorted(unknown)), " ".join(n for n, _ in SCENARIOS)))
    link = Link(a.iface, a.mac, a.target_mac)
    out = {}
    for name, fn in scenarios:
        if a.names and name not in wanted:
            continue
        link.drain()
        w = World(link, a.run, a.prog)
        try:
            fn(w)
        except Abort:
            pass
        except Exception:
            w.note("X", "peer error: " + traceback.format_exc().splitlines()[-1])
            traceback.print_exc()
        finally:
            for c in w.conns:
                c.reset()
            w.prog_stop()
        out[name + suffix] = {"doc": " ".join((fn.__doc__ or "").split()),
                     "trace": w.trace, "secs": round(time.time() - w.t0, 2)}
        print("%s: %.1f s" % (name, time.time() - w.t0), file=sys.stderr, flush=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
