#!/usr/bin/env python3
# canaryxor.py - for t/e2e/388-canary-xor-junk.sh: finds the session's
# canaries in the environment (the values dlpjail exported, by their
# shapes: ghp_, npm_, AKIA, xoxb-, sk-proj-, sk_live_, pypi-, sk-ant-)
# and sends each XOR'd with a fresh key of every length 2..8 (in binary
# noise, or as hex) and with 1..4 random bytes after every character, as
# POST bodies to http://127.0.0.1:PORT; then close negatives: a fresh value
# of the same shape (no canary) XOR'd and junked, a canary with one
# character changed XOR'd and junked, and ordinary text junked.
# Prints "NAME:HOW sent|blocked" and writes every body, hex, one a line,
# to BODIES, the canaries found to BODIES.values (for the test's redaction
# check). "leaked LOG BODIES": exit 1 if LOG holds any of those bodies.
# usage: canaryxor.py send PORT BODIES | leaked LOG BODIES
import os
import random
import re
import sys
from kpost import leaked, post

R = random.SystemRandom()
PRINTABLE = [chr(c) for c in range(0x21, 0x7f)]
SHAPES = re.compile(r"^(ghp_|npm_|AKIA|xoxb-|sk-proj-|sk_live_|pypi-|sk-ant-)")


def canaries():
    return {k: v.encode() for k, v in sorted(os.environ.items()) if SHAPES.match(v)}


def junk(s, k):
    al = R.sample(PRINTABLE, R.randint(4, 40))
    return b"".join(bytes([c]) + "".join(R.choice(al) for _ in range(k)).encode() for c in s)


def xorm(s, key):
    return bytes(c ^ key[i % len(key)] for i, c in enumerate(s))


def key(n):
    # distinct bytes: the key does not repeat at a shorter period
    return bytes(R.sample(range(1, 256), n))


def forms(v):
    out = {}
    for n in range(2, 9):
        k = key(n)
        # as hex for even keys; the key id's 40 hex digits look like a
        # SHA-1 and the decode graph leaves digests alone (an open gap:
        # "hex-gap" forms are sent and reported, not counted)
        if n % 2 and not v.startswith(b"AKIA"):
            out["xor%d" % n] = os.urandom(R.randint(0, 200)) + xorm(v, k) + os.urandom(R.randint(0, 200))
        elif n % 2 == 0 and not v.startswith(b"AKIA"):
            out["xor%d" % n] = b"data=" + xorm(v, k).hex().encode()
        else:
            out["xor%d" % n] = b"\x01" + os.urandom(R.randint(0, 200)) + xorm(v, k) + os.urandom(9)
    for n in (4, 8):
        if v.startswith(b"AKIA"):
            out["hex-gap-xor%d" % n] = b"data=" + xorm(v, key(n)).hex().encode()
    for n in range(1, 5):
        out["junk%d" % n] = b"x=" + junk(v, n) + b"&y=1"
    return out


def sibling(v):
    # a character changed, and not only in case (a case change is the
    # value's "~case" finding)
    i = len(v) // 2
    return v[:i] + (b"q" if v[i:i + 1].lower() != b"q" else b"r") + v[i + 1:]


def fresh(v):
    # the same shape: its prefix, then the rest redrawn from its own characters
    m = SHAPES.match(v.decode()).end()
    al = sorted(set(v[m:]))
    return v[:m] + bytes(R.choice(al) for _ in v[m:])


def main():
    if sys.argv[1] == "leaked":
        return leaked(sys.argv[2], sys.argv[3])
    can = canaries()
    port, out = int(sys.argv[2]), open(sys.argv[3], "w")
    with open(sys.argv[3] + ".values", "w") as f:
        f.write("".join(v.decode() + "\n" for v in can.values()))
    print("canaries %d" % len(can), flush=True)
    for name, v in can.items():
        for how, body in forms(v).items():
            out.write("%s:%s %s\n" % (name, how, body.hex()))
            out.flush()
            print("%s:%s %s" % (name, how, "sent" if post(port, body) else "blocked"), flush=True)
    for name, v in can.items():
        clean = {
            "fresh-xor8": xorm(fresh(v), key(8)),
            "fresh-xor5": xorm(fresh(v), key(5)),
            "fresh-junk2": b"x=" + junk(fresh(v), 2),
            "sibling-xor7": xorm(sibling(v), key(7)),
            "sibling-junk3": b"x=" + junk(sibling(v), 3),
        }
        for how, body in clean.items():
            print("clean:%s:%s %s" % (name, how, "sent" if post(port, body) else "blocked"), flush=True)
    body = junk(b"an ordinary build log line, nothing secret in it at all", 2)
    print("clean:text:junk2 %s" % ("sent" if post(port, body) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
