#!/usr/bin/env python3
# junkxor6.py - for t/e2e/397-known-junk-xor.sh: reads the AWS secret key
# of $HOME/.aws/credentials and the DB_PASSWORD of ./.env and sends each
# with 1..4 random bytes after every character (a random junk alphabet
# per send) and XOR'd with a fresh 3- and 5-byte key, raw and as hex, as
# POST bodies to http://127.0.0.1:PORT; then close negatives (the value
# with one character changed, junked and XOR'd; ordinary text junked).
# Prints "NAME:HOW sent|blocked" and writes every body, hex, one a line,
# to BODIES. "body FILE": a junk-3 body of the AWS key to FILE (for curl).
# "leaked LOG BODIES": exit 1 if LOG holds any of those bodies.
# usage: junkxor6.py send PORT BODIES | body FILE | leaked LOG BODIES
import os
import random
import sys
from kpost import leaked, post

R = random.SystemRandom()
PRINTABLE = [chr(c) for c in range(0x21, 0x7f)]


def junk(s, k):
    al = R.sample(PRINTABLE, R.randint(4, 40))
    return b"".join(bytes([c]) + "".join(R.choice(al) for _ in range(k)).encode() for c in s)


def xorm(s, key):
    return bytes(c ^ key[i % len(key)] for i, c in enumerate(s))


def key(n):
    return bytes([R.randint(1, 255) for _ in range(n)])


FORMS = {
    "junk1": lambda s: junk(s, 1),
    "junk2": lambda s: junk(s, 2),
    "junk3": lambda s: junk(s, 3),
    "junk4": lambda s: junk(s, 4),
    "xor3": lambda s: os.urandom(9) + xorm(s, key(3)) + os.urandom(5),
    "xor5": lambda s: xorm(s, key(5)),
    "xor3-hex": lambda s: xorm(s, key(3)).hex().encode(),
    "xor5-hex": lambda s: b"data=" + xorm(s, key(5)).hex().encode(),
}


def secrets():
    s = {}
    for line in open(os.environ["HOME"] + "/.aws/credentials"):
        k, _, v = line.partition("=")
        if k.strip() == "aws_secret_access_key":
            s["aws"] = v.strip().encode()
    for line in open(".env"):
        k, _, v = line.strip().partition("=")
        if k == "DB_PASSWORD":
            s["env"] = v.encode()
    return s


def sibling(v):
    i = len(v) // 2
    return v[:i] + (b"q" if v[i:i + 1] != b"q" else b"r") + v[i + 1:]


def send(port, body):
    return post(port, body)


def main():
    if sys.argv[1] == "leaked":
        return leaked(sys.argv[2], sys.argv[3])
    sec = secrets()
    if sys.argv[1] == "body":
        open(sys.argv[2], "wb").write(junk(sec["aws"], 3))
        return 0
    port, out = int(sys.argv[2]), open(sys.argv[3], "w")
    for name, v in sorted(sec.items()):
        for how, f in FORMS.items():
            body = f(v)
            out.write("%s:%s %s\n" % (name, how, body.hex()))
            out.flush()
            print("%s:%s %s" % (name, how, "sent" if send(port, body) else "blocked"), flush=True)
    clean = {
        "sibling-junk3": junk(sibling(sec["aws"]), 3),
        "sibling-xor3": xorm(sibling(sec["aws"]), key(3)),
        "sibling-env-xor5": xorm(sibling(sec["env"]), key(5)),
        "text-junk2": junk(b"an ordinary build log line, nothing secret in it", 2),
    }
    for how, body in clean.items():
        print("clean:%s %s" % (how, "sent" if send(port, body) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
