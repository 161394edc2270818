#!/usr/bin/python3
# prog.py - the program on the target's side of test/wire: socket calls
# read one a line from stdin, each call's result written as one line on
# stdout.
#
# Theory of operation. peer.py starts one of these per scenario, plainly
# in the kernel target's namespace or under ustack-run for ustack, and
# drives it line by line while it plays its segments on the wire, so that
# the program's calls fall exactly between the segments the scenario
# wants. Only the standard socket module is used (under ustack-run every
# socket call goes to ustackd); stdin and stdout are plain pipes.
#
# With the argument 6 its sockets are AF_INET6 (the peer plays over
# IPv6). One listener (made by "listen") and one connection (from "accept" or
# "connect") at most. Every call answers "NAME RESULT", the result being
# a number, "ok", a short description of what came back, or the errno's
# name (ENOTCONN, ...) so that the kernel's answers and ustack's compare
# as text. No call blocks longer than TIMEOUT seconds (a socket timeout,
# reported as "timeout"), so a target that never answers cannot hang the
# test; end of input ends the program.
#
# Calls: listen PORT, accept, connect HOST PORT [TIMEOUT [LPORT]], send N,
# sendall N, recv N, recvall N (until N bytes or end of file), set OPT
# VAL, get OPT (OPTS below), state (TCP_INFO's), info (TCP_INFO's fields
# that do not depend on time), linger0, shutdown RD|WR|RDWR, close,
# lclose (the listener), timeout S, sleep S.
import errno
import socket
import struct
import sys
import time

TIMEOUT = 8.0
# prog.py 6: AF_INET6 sockets (the peer plays over IPv6)
FAMILY = socket.AF_INET6 if sys.argv[1:2] == ["6"] else socket.AF_INET
ANY = "::" if FAMILY == socket.AF_INET6 else "0.0.0.0"
lsock = None
sock = None

OPTS = {
    "SO_KEEPALIVE": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "SO_RCVBUF": (socket.SOL_SOCKET, socket.SO_RCVBUF),
    "SO_ERROR": (socket.SOL_SOCKET, socket.SO_ERROR),
    "TCP_NODELAY": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
    "TCP_CORK": (socket.IPPROTO_TCP, socket.TCP_CORK),
    "TCP_MAXSEG": (socket.IPPROTO_TCP, socket.TCP_MAXSEG),
    "TCP_KEEPIDLE": (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
    "TCP_KEEPINTVL": (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
    "TCP_KEEPCNT": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
    "TCP_USER_TIMEOUT": (socket.IPPROTO_TCP, 18),
    "TCP_QUICKACK": (socket.IPPROTO_TCP, socket.TCP_QUICKACK),
}
STATES = ["?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
          "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
          "LISTEN", "CLOSING"]


def err(e):
    if e.errno is None:         # the socket timeout (TimeoutError)
        return "timeout"
    return errno.errorcode.get(e.errno, str(e.errno))


def new_socket():
    """A TCP socket with Linux's default congestion control (a namespace
    may only pick those the host allows: a root program may set any)."""
    s = socket.socket(FAMILY, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
    except OSError:
        pass
    return s


def call(words):
    global lsock, sock
    op, args = words[0], words[1:]
    if op == "listen":
        lsock = new_socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.settimeout(TIMEOUT)
        lsock.bind((ANY, int(args[0])))
        lsock.listen(8)
        return "ok"
    if op == "accept":
        sock, _ = lsock.accept()
        sock.settimeout(TIMEOUT)
        return "ok"
    if op == "connect":
        sock = new_socket()
        if len(args) > 3:
            sock.bind((ANY, int(args[3])))
        sock.settimeout(float(args[2]) if len(args) > 2 else TIMEOUT)
        sock.connect((args[0], int(args[1])))
        sock.settimeout(TIMEOUT)
        return "ok"
    if op == "send":
        return str(sock.send(b"x" * int(args[0])))
    if op == "sendall":
        sock.sendall(b"x" * int(args[0]))
        return "ok"
    if op == "recv":
        return "%d bytes" % len(sock.recv(int(args[0])))
    if op == "recvall":      # recvall N: until N bytes or end of file
        n, want = 0, int(args[0])
        while n < want:
            b = sock.recv(want - n)
            if not b:
                break
            n += len(b)
        return "%d bytes" % n
    if op == "set":
        level, name = OPTS[args[0]]
        sock.setsockopt(level, name, int(args[1]))
        return "ok"
    if op == "get":
        level, name = OPTS[args[0]]
        v = sock.getsockopt(level, name)
        return errno.errorcode.get(v, str(v)) if args[0] == "SO_ERROR" else str(v)
    if op == "state":       # TCP_INFO's tcpi_state
        i = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        return STATES[i[0]] if i[0] < len(STATES) else str(i[0])
    if op == "linger0":     # SO_LINGER {1, 0}: close resets
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        return "ok"
    if op == "info":        # TCP_INFO's fields that do not depend on time
        i = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        (_, ca, rtx, probes, backoff, opts, ws, _, _, _, snd_mss, rcv_mss,
         unacked, sacked, lost, retrans, _, _, _, _, _, pmtu, rcv_ssthresh,
         _, _, ssthresh, cwnd, advmss, reord, _, _, total) = \
            struct.unpack("8B24I", i[:104])
        return ("ca_state=%d retransmits=%d probes=%d backoff=%d options=%d "
                "wscale=%d/%d snd_mss=%d rcv_mss=%d unacked=%d sacked=%d "
                "lost=%d retrans=%d pmtu=%d cwnd=%d ssthresh=%d advmss=%d "
                "reordering=%d total_retrans=%d" % (
                    ca, rtx, probes, backoff, opts, ws & 15, ws >> 4, snd_mss,
                    rcv_mss, unacked, sacked, lost, retrans, pmtu, cwnd,
                    ssthresh, advmss, reord, total))
    if op == "shutdown":
        sock.shutdown({"RD": socket.SHUT_RD, "WR": socket.SHUT_WR,
                       "RDWR": socket.SHUT_RDWR}[args[0]])
        return "ok"
    if op == "close":
        sock.close()
        sock = None
        return "ok"
    if op == "lclose":
        lsock.close()
        lsock = None
        return "ok"
    if op == "timeout":     # timeout S: blocking calls give up after S s
        (sock or lsock).settimeout(float(args[0]))
        return "ok"
    if op == "sleep":
        time.sleep(float(args[0]))
        return "ok"
    return "unknown"


def main():
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            r = call(words)
        except OSError as e:
            r = err(e)
        except (AttributeError, IndexError, KeyError, ValueError) as e:
            r = "bad " + type(e).__name__
        print(words[0], r, flush=True)


if __name__ == "__main__":
    main()
