#!/usr/bin/env python3
"""The kernel's side of 70-scale.sh: open and hold many TCP connections
(the churn phase is churn.c, in C for speed). Bounded in time.

  hold_client.py hold ADDR PORT N FIFO   open N connections, each sends one
      byte and waits for its echo; prints "held N in S s", then waits for a
      line on FIFO (the test measures meanwhile) and closes them all

Exit status 0 only if every connection did its part."""
import selectors
import socket
import sys
import time

LIMIT_S = 240          # bound on any phase
WINDOW = 256           # connects in flight at once


def run(addr, port, n, keep):
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    started = done = failed = 0
    held = []
    inflight = 0
    while done + failed < n:
        if time.monotonic() - t0 > LIMIT_S:
            print(f"timeout after {done} done, {failed} failed", file=sys.stderr)
            return None, time.monotonic() - t0
        while started < n and inflight < WINDOW:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((addr, port))
            sel.register(s, selectors.EVENT_WRITE, "connecting")
            started += 1
            inflight += 1
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            if key.data == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    print(f"connect: {err}", file=sys.stderr)
                    sel.unregister(s)
                    s.close()
                    failed += 1
                    inflight -= 1
                    continue
                s.send(b"x")
                sel.modify(s, selectors.EVENT_READ, "echo")
            else:
                sel.unregister(s)
                inflight -= 1
                try:
                    ok = s.recv(1) == b"x"
                except OSError:
                    ok = False
                if ok:
                    done += 1
                else:
                    failed += 1
                if keep and ok:
                    held.append(s)
                else:
                    s.close()
    return held if failed == 0 else None, time.monotonic() - t0


def main():
    addr, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    held, secs = run(addr, port, n, True)
    if held is None:
        return 1
    print(f"held {len(held)} in {secs:.1f} s", flush=True)
    with open(sys.argv[5]) as fifo:      # the test says when to let go
        fifo.readline()
    for s in held:
        s.close()
    return 0


sys.exit(main())
