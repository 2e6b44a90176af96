#!/usr/bin/env python3
# variants.py - for t/e2e/272-known-variants.sh: reads the npm tokens of
# $HOME/.npmrc and sends each in the fixed spellings of
# broker/scan/known_variants.c (Caesar shift, ROT47, base85, Z85, base58,
# decimal, binary, %uXXXX, UTF-32, a dash every 4) as POST bodies to
# http://127.0.0.1:PORT, then one clean shifted text. Prints "NAME:HOW
# sent|blocked". "leaked LOG": exit 1 if LOG holds any of those spellings.
# usage: variants.py send PORT | variants.py leaked LOG
import base64
import sys
from kpost import post, npmrc_tokens as secrets

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def rot(s, n):
    return bytes(97 + (c - 97 + n) % 26 if 97 <= c <= 122 else 65 + (c - 65 + n) % 26 if 65 <= c <= 90
                 else c for c in s)


def num(s, alpha):
    n, o = int.from_bytes(s, "big"), ""
    while n:
        n, r = divmod(n, len(alpha))
        o = alpha[r] + o
    return o.encode()


FORMS = {
    "rot3": lambda s: rot(s, 3),
    "rot47": lambda s: bytes(33 + (c - 33 + 47) % 94 if 33 <= c <= 126 else c for c in s),
    "base85": base64.b85encode,
    "ascii85": lambda s: base64.a85encode(s, adobe=True),
    "base58": lambda s: num(s, B58),
    "decimal": lambda s: num(s, "0123456789"),
    "binary": lambda s: "".join(format(c, "08b") for c in s).encode(),
    "percent-u": lambda s: "".join("%%u%04x" % c for c in s).encode(),
    "utf32": lambda s: s.decode().encode("utf-32-le"),
    "every4": lambda s: b"-".join(s[i:i + 4] for i in range(0, len(s), 4)),
}


def send(port, body):
    return post(port, body, "text/plain")


def main():
    if sys.argv[1] == "leaked":
        log = open(sys.argv[2], "rb").read()
        bad = 0
        for v in sys.argv[3:]:
            for how, f in FORMS.items():
                if f(v.encode()) in log:
                    print("LEAKED %s... as %s" % (v[:4], how))
                    bad = 1
        return bad
    port = int(sys.argv[2])
    for name, v in sorted(secrets().items()):
        for how, f in FORMS.items():
            print("%s:%s %s" % (name, how, "sent" if send(port, f(v)) else "blocked"), flush=True)
    clean = rot(b"the quick brown fox jumps over the lazy dog", 3)
    print("clean:rot3 %s" % ("sent" if send(port, clean) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
