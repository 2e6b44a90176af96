#!/usr/bin/env python3
# disguise5.py - for t/e2e/391-known-disguise.sh: reads the npm tokens of
# $HOME/.npmrc and sends each disguised as battery.py's xor3 (repeating
# 3-byte key, raw bytes), xor4-hex, bz2 and halves-two-fields classes as
# POST bodies to http://127.0.0.1:PORT, then clean controls (bz2 of
# ordinary text, ordinary text XOR'd). Prints "NAME:HOW sent|blocked".
# "leaked LOG v...": exit 1 if LOG holds any of those bodies.
# usage: disguise5.py send PORT | disguise5.py leaked LOG V...
import bz2
import sys
from kpost import post, npmrc_tokens as secrets


def xorm(s, key):
    return bytes(c ^ key[i % len(key)] for i, c in enumerate(s))


FORMS = {
    "xor3": lambda s: xorm(s, b"k3y"),
    "xor4-hex": lambda s: xorm(s, b"\xde\xad\xbe\xef").hex().encode(),
    "xor7-mid": lambda s: b"\x00\x01" * 9 + xorm(s, b"\x91Zq\x07#e\x1f"),
    "bz2": lambda s: bz2.compress(b"token=" + s),
    "halves": lambda s: b'{"a":"' + s[:len(s) // 2] + b'","b":"' + s[len(s) // 2:] + b'"}',
}
CLEAN = {
    "bz2": bz2.compress(b"an ordinary build log line, nothing secret in it\n" * 3),
    "xor3": xorm(b"the quick brown fox jumps over the lazy dog, twice over", b"k3y"),
}


def send(port, body):
    return post(port, body)


def main():
    if sys.argv[1] == "leaked":
        log = open(sys.argv[2], "rb").read()
        bad = 0
        for v in sys.argv[3:]:
            for how, f in FORMS.items():
                body = f(v.encode())
                if body in log or (how == "halves" and v.encode()[:10] in log):
                    print("LEAKED %s... as %s" % (v[:4], how))
                    bad = 1
        return bad
    port = int(sys.argv[2])
    for name, v in sorted(secrets().items()):
        for how, f in FORMS.items():
            print("%s:%s %s" % (name, how, "sent" if send(port, f(v)) else "blocked"), flush=True)
    for how, body in CLEAN.items():
        print("clean:%s %s" % (how, "sent" if send(port, body) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
