#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# gaps10.py - base64 wrapped at under 16 characters a line (t/e2e/422):
# a GitHub PAT and an npm token made up here (valid CRC32 tails, told to
# no one) behind a junk prefix, base64-coded and cut every 1, 4, 6, 8 or 12
# characters by LF or CRLF, as a bare body and as a MIME part with
# "Content-Transfer-Encoding: base64" (the redteam6 leak). Close negatives:
# the same for tokens with a wrong checksum, and short-line look-alikes
# (a list of 8-digit ids, hex words, a poem of short words).
#   gaps10.py send PORT OUT    POST each; "name sent|blocked" lines
#   gaps10.py body FORM OUT    one body for curl
#   gaps10.py leaked LOG OUT   1 when a sent secret body is in LOG
import base64
import os
import sys

from gaps8 import crc_token, junk
from kpost import leaked, post


def wrap(tok, width, eol):
    e = base64.b64encode(junk(2) + tok)
    return eol.join(e[i:i + width] for i in range(0, len(e), width)) + eol


def mime(b):
    return (b"--XyZ\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b +
            b"--XyZ--\r\n")


FORMS = {
    "w8-crlf": lambda t: wrap(t, 8, b"\r\n"),
    "w4-lf": lambda t: wrap(t, 4, b"\n"),
    "w6-lf": lambda t: wrap(t, 6, b"\n"),
    "w12-lf": lambda t: wrap(t, 12, b"\n"),
    "w1-lf": lambda t: wrap(t, 1, b"\n"),
    "mime-w8": lambda t: mime(wrap(t, 8, b"\r\n")),
}

NEGATIVES = {
    "ids": b"".join(b"%08d\n" % (12345678 + 7 * i) for i in range(40)),
    "hex-words": b"".join(os.urandom(4).hex().encode() + b"\n" for _ in range(40)),
    "poem": b"roses are\nred and so\nthe sky is\nblue\nand you\n" * 8,
    "versions": b"1.2.3\n1.2.4\n1.3.0\n2.0.0\n2.0.1\n" * 8,
}


def main():
    if sys.argv[1] == "leaked":
        return leaked(sys.argv[2], sys.argv[3])
    sec = {"pat": crc_token("ghp_"), "npm": crc_token("npm_")}
    if sys.argv[1] == "body":
        open(sys.argv[3], "wb").write(FORMS[sys.argv[2]](sec["pat"]))
        open(sys.argv[3] + ".value", "w").write(sec["pat"].decode() + "\n")
        return 0
    port, out = int(sys.argv[2]), open(sys.argv[3], "w")
    with open(sys.argv[3] + ".values", "w") as f:
        f.write("".join(v.decode() + "\n" for v in sec.values()))
    for name, tok in sec.items():
        for how, f in FORMS.items():
            body = f(tok)
            out.write("%s:%s %s\n" % (name, how, body.hex()))
            out.flush()
            print("%s:%s %s" % (name, how, "sent" if post(port, body) else "blocked"), flush=True)
    for how, f in FORMS.items():
        for prefix in ("ghp_", "npm_"):
            body = f(crc_token(prefix, ok=False))
            print("clean:badcrc-%s%s %s" % (prefix, how, "sent" if post(port, body) else "blocked"),
                  flush=True)
    for how, text in NEGATIVES.items():
        print("clean:%s %s" % (how, "sent" if post(port, text) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
