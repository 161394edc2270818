#!/usr/bin/python3
# compare.py - test/wire's verdict: each scenario's trace on ustack against
# the same scenario's trace on the Linux kernel.
#
# Theory of operation. peer.py wrote one trace per scenario and target
# (kernel.json, ustack.json). Three streams of each trace are compared in
# order, each on its own so that a program's answer racing a segment does
# not matter: the segments the target sent ("<"), the program's call
# results ("P") and the scenario's aborts ("X"). Two segment lines match
# when their fields are the same (flags, relative seq/ack, the window of
# a SYN, the window of the others, length, options in order, the
# window scale, ECN codepoint, DF) and, when both are timed, their
# times since the scenario's mark are within TOL_ABS + TOL_REL * the
# kernel's (defaults 20 ms + 30 %: an immediate ACK and a 40 ms
# delayed one differ; WIRE_TOL_ABS, WIRE_TOL_REL). What the
# peer sent (">") is shown, never compared: it follows from the rest.
#
# test/wire/known lists what still differs from the kernel, one a line,
# then why: a scenario (NAME), one field of a scenario (NAME:FIELD) or a
# field in every scenario (*:FIELD). The fields listed for a scenario are
# left out of its comparison; a listed scenario may differ anywhere. A
# listed difference is reported ("known NAME: ..."), not failed; an entry
# that no longer differs wherever it applies FAILS (each field is checked
# alone, the other listed ones left out), so that the list only shrinks. A failure
# prints both traces side by side. The last line is "N passed, N
# failed"; the exit status is 1 when anything failed.
#
# Usage: compare.py kernel.json[,kernel6.json] ustack.json[,ustack6.json]
#        known [NAME...]
# (NAME/6 is scenario NAME played over IPv6; known's NAME lines apply to
# it too, NAME/6 lines to it alone.)
import json
import os
import sys

TOL_ABS = float(os.environ.get("WIRE_TOL_ABS", "0.02"))
TOL_REL = float(os.environ.get("WIRE_TOL_REL", "0.3"))
WIDTH = 84


SEG_FIELDS = ("flags", "seq", "ack", "synwin", "win", "len", "opts", "ws",
              "ecn", "df")
FIELDS = SEG_FIELDS + ("time", "prog", "abort", "count")


def load_known(path):
    """[(scenario or '*', field or None, why)]"""
    known = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            what, _, why = line.partition(" ")
            name, _, field = what.partition(":")
            if field and field not in FIELDS:
                sys.exit("%s:%d: no field %r (%s)" % (path, n, field, " ".join(FIELDS)))
            known.append((name, field or None, why.strip()))
    return known


def show(e):
    s = "%s %s" % (e["d"], e["s"])
    if "t" in e:
        s += " t=%.3f" % e["t"]
    return s


def first_difference(k, u, masked=()):
    """None, or (field, a sentence about the earliest line where they
    part), the fields in MASKED left out."""
    diffs = []
    for d, field in (("<", None), ("P", "prog"), ("X", "abort")):
        if field in masked:
            continue
        ks = [e for e in k if e["d"] == d]
        us = [e for e in u if e["d"] == d]
        for i in range(max(len(ks), len(us))):
            a = ks[i] if i < len(ks) else None
            b = us[i] if i < len(us) else None
            why = f = None
            if a is None or b is None:
                f = field or "count"
                if f in masked:
                    break
                why = ("ustack has more: %s" % show(b) if a is None else
                       "ustack has no line for the kernel's %s" % show(a))
            elif d == "<":
                for f in SEG_FIELDS:
                    if f not in masked and a["f"].get(f) != b["f"].get(f):
                        why = "%s: kernel %s | ustack %s" % (f, show(a), show(b))
                        break
                else:
                    f = "time"
                    if f not in masked and "t" in a and "t" in b and \
                            abs(a["t"] - b["t"]) > TOL_ABS + TOL_REL * a["t"]:
                        why = "time: kernel %s | ustack %s" % (show(a), show(b))
            elif a["s"] != b["s"]:
                why = "kernel %s | ustack %s" % (show(a), show(b))
            if why:
                at = min(x["at"] for x in (a, b) if x is not None)
                diffs.append((at, f, why))
                break
    if not diffs:
        return None
    return min(diffs)[1:]


def side_by_side(k, u):
    print("    %-*s | %s" % (WIDTH, "kernel", "ustack"))
    for i in range(max(len(k), len(u))):
        a = "%6.3f %s" % (k[i]["at"], show(k[i])) if i < len(k) else ""
        b = "%6.3f %s" % (u[i]["at"], show(u[i])) if i < len(u) else ""
        print("    %-*s | %s" % (WIDTH, a[:WIDTH], b))


def main():
    kern, ust = {}, {}
    for side, files in ((kern, sys.argv[1]), (ust, sys.argv[2])):
        for f in files.split(","):
            if os.path.exists(f):
                side.update(json.load(open(f)))
    known = load_known(sys.argv[3])
    only = sys.argv[4:]
    verbose = os.environ.get("WIRE_VERBOSE") == "1"
    used = set()
    passed = failed = 0
    for name in kern:
        if only and name not in only and name.split("/")[0] not in only:
            continue
        k = kern[name]["trace"]
        u = ust.get(name, {"trace": [{"d": "X", "s": "not run", "at": 0}]})["trace"]
        # NAME/6 is NAME over IPv6: NAME's lines apply to it too
        mine = [(i, f, why) for i, (n, f, why) in enumerate(known)
                if n in ("*", name, name.split("/")[0])]
        whole = [(i, why) for i, f, why in mine if f is None]
        fields = {f: (i, why) for i, f, why in mine if f is not None}
        diff = first_difference(k, u, fields)
        # the known fields that differ here: each compared alone (every
        # other field masked, so that a difference elsewhere does not
        # count as this field's)
        hits = []
        for f, (i, why) in fields.items():
            if first_difference(k, u, set(FIELDS) - {f}) is not None:
                used.add(i)
                hits.append(f)
        if diff is not None and whole:
            used.add(whole[0][0])
            print("known %s: %s; first difference: %s" % (name, whole[0][1], diff[1]))
            passed += 1
        elif diff is not None:
            print("FAIL %s: first difference: %s" % (name, diff[1]))
            print("    (%s)" % kern[name]["doc"])
            side_by_side(k, u)
            failed += 1
            continue
        elif hits:
            print("known %s: differs in %s (test/wire/known)" % (name, ", ".join(hits)))
            passed += 1
        else:
            print("ok %s" % name)
            passed += 1
        if verbose:
            side_by_side(k, u)
    for i, (n, f, why) in enumerate(known):
        ran = n in kern or n + "/6" in kern
        if i in used:
            continue
        if only and n not in only:
            continue
        print("FAIL known %s%s: %s" % (n, ":" + f if f else "",
              "no such scenario ran" if n != "*" and not ran else
              "no scenario differs in it any more: take it off test/wire/known"))
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
