#!/usr/bin/env python3
# gaps7.py - for t/e2e/390-detect-gaps-known.sh and 405-detect-gaps-pattern.sh
# (branch detect-gaps): the encodings that got past the engine, each
# drawn fresh per send (random offsets, junk, cut lengths): hex of hex
# (and of that), base64 of base64 of hex, bzip2 and zlib after a few
# bytes of junk or a text header, base64 of junk and bzip2, and a token
# cut every 2..6 bytes by '_', '-' or '.' at a random offset. POSTs each
# to http://127.0.0.1:PORT, then the close negatives (a sibling value
# under the same forms; benign hex of hex, bzip2 text after a header,
# snake_case and dotted identifiers) that must go out.
# Prints "NAME:HOW sent|blocked" and writes every body, hex, one a line,
# to BODIES. A sibling is a value of the same shape that is not the
# secret.
#   known: the AWS secret key of $HOME/.aws/credentials and the
#          DB_PASSWORD of ./.env (the jail's known secrets)
#   pattern: a GitHub PAT and an npm token made up here (valid CRC32
#          tails), that the jail was not told about
# usage: gaps7.py send known|pattern PORT BODIES | body known|pattern FORM FILE
#        | leaked LOG BODIES
import base64
import bz2
import os
import random
import sys
import zlib
from kpost import leaked, post

R = random.SystemRandom()
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TEXT = b"abcdefghijklmnopqrstuvwxyz "


def crc_token(prefix, ok=True):
    body = "".join(R.choice(B62) for _ in range(30))
    n = zlib.crc32(body.encode()) ^ (0 if ok else 5)
    tail = ""
    for _ in range(6):
        tail = B62[n % 62] + tail
        n //= 62
    return (prefix + body + tail).encode()


def junk(k):
    return bytes(R.choice(TEXT) for _ in range(k))


def cut(s, sep):
    n = R.randint(2, 6)
    o = R.randint(1, n - 1)
    return sep.join([s[:o]] + [s[i:i + n] for i in range(o, len(s), n)])


def hexx(s):
    return s.hex().encode()


FORMS = {
    "hexhex": lambda s: hexx(hexx(junk(R.randint(0, 3)) + s)),
    "hexhexhex": lambda s: hexx(hexx(hexx(s))),
    "b64b64hex": lambda s: base64.b64encode(base64.b64encode(hexx(s))),
    "bz2-junk": lambda s: junk(R.randint(1, 5)) + bz2.compress(b"token=" + s),
    "bz2-header": lambda s: b"upload: " + junk(R.randint(0, 9)) + b"\n" + bz2.compress(s),
    "zlib-junk": lambda s: junk(R.randint(1, 5)) + zlib.compress(b"token=" + s),
    "b64-junk-bz2": lambda s: base64.b64encode(junk(R.randint(1, 5)) + bz2.compress(s)),
    "cut-underscore": lambda s: cut(s, b"_"),
    "cut-dash": lambda s: cut(s, b"-"),
    "cut-dot": lambda s: cut(s, b"."),
}


def secrets(kind):
    if kind == "pattern":
        return {"pat": crc_token("ghp_"), "npm": crc_token("npm_")}
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


def sibling(kind, v):
    """A value of the same shape that is not the secret: a token whose
    checksum is wrong, or a fresh value of the known one's alphabet and
    length (one changed character still holds the known value's halves,
    which known.c matches on purpose)."""
    if kind == "pattern":
        return crc_token(v[:4].decode(), ok=False)
    al = sorted(set(v.decode()) | set(B62))
    return "".join(R.choice(al) for _ in v).encode()


def negatives():
    return {
        "hexhex-text": hexx(hexx(b"an ordinary build log line, nothing secret")),
        "hexhex-sha": hexx(hexx(os.urandom(20).hex().encode())),
        "bz2-header-text": b"upload: x\n" + bz2.compress(b"plain text of a README file\n" * 20),
        "zlib-junk-text": b"ab " + zlib.compress(b"plain text of a README file\n" * 20),
        "snake": b"const MAX_BUFFER_SIZE = get_user_by_id_and_name(abc_def_ghi_jkl_mno_pqr_stu);",
        "dotted": b"org.apache.commons.lang3.text.StrBuilder 1.22.333.4444 2024-01-15T10:20:30Z",
        "cut-uuid": b"id 123e4567-e89b-12d3-a456-426614174000 mac 00:1a:2b:3c:4d:5e:6f:70",
    }


def main():
    if sys.argv[1] == "leaked":
        return leaked(sys.argv[2], sys.argv[3])
    kind = sys.argv[2]
    sec = secrets(kind)
    if sys.argv[1] == "body":
        v = sorted(sec.items())[0][1]
        open(sys.argv[4], "wb").write(FORMS[sys.argv[3]](v))
        return 0
    port, out = int(sys.argv[3]), open(sys.argv[4], "w")
    if kind == "pattern":       # the values, for the redaction check
        with open(sys.argv[4] + ".values", "w") as f:
            f.write("".join(v.decode() + "\n" for v in sec.values()))
    for name, v in sorted(sec.items()):
        for how, f in FORMS.items():
            body = f(v)
            out.write("%s:%s %s\n" % (name, how, body.hex()))
            out.flush()
            print("%s:%s %s" % (name, how, "sent" if post(port, body) else "blocked"), flush=True)
    for name, v in sorted(sec.items()):
        for how in ("hexhex", "bz2-junk", "cut-underscore", "cut-dash"):
            body = FORMS[how](sibling(kind, v))
            print("clean:sibling-%s-%s %s" % (name, how, "sent" if post(port, body) else "blocked"),
                  flush=True)
    for how, body in negatives().items():
        print("clean:%s %s" % (how, "sent" if post(port, body) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
