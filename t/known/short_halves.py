#!/usr/bin/env python3
# short_halves.py - for t/e2e/387-known-short-halves.sh: reads the npm
# tokens of $HOME/.npmrc (values of 16..31 bytes: their halves are the
# known-secret matcher's small indexes, known.c small_scan()) and sends each
# as two JSON fields, as halves inside a 1 MiB JSON stream (across the
# relay's 64 KiB reads), a case-changed copy of the whole value and the
# value as the last bytes of a body, as POST bodies to
# http://127.0.0.1:PORT; then close negatives (one half alone, the halves
# in the wrong order, the value with one character changed), each alone
# in a session of its own ("neg PORT HOW": the split matcher joins parts
# across a session's messages). Prints "NAME:HOW sent|blocked".
# "leaked LOG v...": exit 1 if LOG holds a value.
# usage: short_halves.py send PORT | short_halves.py neg PORT HOW I |
#        short_halves.py leaked LOG V...
import sys
from kpost import post, npmrc_tokens as secrets


def filler(n):
    row = b'{"name":"pkg-%06d","version":"1.2.%d","dist":{"tarball":"https://r.test/p/-/p.tgz"}},\n'
    out, i = [], 0
    while sum(map(len, out)) < n:
        out.append(row % (i, i % 97))
        i += 1
    return b"".join(out)


def fields(a, b):
    return b'{"a":"' + a + b'","b":"' + b + b'"}'


FORMS = {
    "halves": lambda s: fields(s[:len(s) // 2], s[len(s) // 2:]),
    "halves-deep": lambda s: filler(700000) + fields(s[:len(s) // 2], s[len(s) // 2:]) + filler(300000),
    "case": lambda s: b"token=" + s.swapcase(),
    "last-bytes": lambda s: filler(65536 * 3 - 5) + s,
}
NEGATIVE = {
    "one-half": lambda s: fields(s[:len(s) // 2], b"nothing-here"),
    "wrong-order": lambda s: fields(s[len(s) // 2:], s[:len(s) // 2]),
    # the middle byte: every 16-byte piece of a 20- or 24-byte value holds it
    "one-changed": lambda s: b"token=" + s[:10] + (b"A" if s[10:11] != b"A" else b"B") + s[11:],
}


def send(port, body):
    return post(port, body, "application/json", 20)


def main():
    if sys.argv[1] == "leaked":
        log = open(sys.argv[2], "rb").read()
        bad = 0
        for v in sys.argv[3:]:
            v = v.encode()
            if v in log or v.swapcase() in log or fields(v[:len(v) // 2], v[len(v) // 2:]) in log:
                print("LEAKED %s..." % v[:4].decode())
                bad = 1
        return bad
    port = int(sys.argv[2])
    if sys.argv[1] == "neg":
        how = sys.argv[3]
        name, v = sorted(secrets().items())[int(sys.argv[4])]
        print("clean-%s:%s %s" % (name, how, "sent" if send(port, NEGATIVE[how](v)) else "blocked"),
              flush=True)
        return 0
    for name, v in sorted(secrets().items()):
        for how, f in FORMS.items():
            print("%s:%s %s" % (name, how, "sent" if send(port, f(v)) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
