#!/usr/bin/env python3
# gen-gaps8.py - branch detect-gaps8: detector patterns (no known value)
# in the forms that got past the decode graph: base85 (git/RFC 1924),
# ascii85 (plain and Adobe <~ ~>) and Z85 of a token one to three bytes
# off a group's alignment (or after junk digits), and a token spelled as
# a chain of character-code calls (chr(N)+chr(N), chr(N).chr(N),
# Chr(N)&Chr(N), [char]N+[char]N, (char)N, CHAR(N)||CHAR(N), 0x codes),
# and base58 of a token after junk or a label (a length the pattern
# triggers' whole-number literals do not know), and raw deflate after a
# 1..15-byte text prefix.
# And their close negatives: git binary patches (base85 of zlib of
# text), base85/ascii85/Z85 of text and of random bytes, chr() chains of
# ordinary text, a token whose checksum is wrong in the same forms, and
# ordinary code with chr(), casts and number lists, base58 keys, hashes
# and addresses, base58 of text. Writes
# t/corpus/pos/g8NN-<detector>--<how>.bin and t/corpus/benign/g8NN-*.bin,
# deterministic. Run from the top.
import base64
import hashlib
import random
import zlib

r = random.Random(8408)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def crc_token(prefix, ok=True):
    body = "".join(r.choice(B62) for _ in range(30))
    n = zlib.crc32(body.encode()) ^ (0 if ok else 7)
    tail = ""
    for _ in range(6):
        tail = B62[n % 62] + tail
        n //= 62
    return (prefix + body + tail).encode()


def z85(b):
    """Z85 (ZeroMQ RFC 32) of b, zero-padded to a multiple of 4 as
    encoders that accept any length do; Python has no z85 before 3.13."""
    b += b"\0" * (-len(b) % 4)
    out = ""
    for i in range(0, len(b), 4):
        v, d = int.from_bytes(b[i:i + 4], "big"), ""
        for _ in range(5):
            v, k = divmod(v, 85)
            d = Z85[k] + d
        out += d
    return out.encode()


def b58(b):
    A = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, out = int.from_bytes(b, "big"), ""
    while n:
        n, k = divmod(n, 58)
        out = A[k] + out
    return ("1" * (len(b) - len(b.lstrip(b"\0"))) + out).encode()


def raw_deflate(b):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def junk(k):
    return bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(k))


def calls(s, fmt, sep):
    return sep.join(fmt % c for c in s).encode()


ENC = {}
for off in (1, 2, 3):
    ENC["base85+%d" % off] = lambda s, off=off: base64.b85encode(junk(off) + s)
    ENC["ascii85+%d" % off] = lambda s, off=off: base64.a85encode(junk(off) + s)
    ENC["z85+%d" % off] = lambda s, off=off: z85(junk(off) + s)
ENC["ascii85-adobe+1"] = lambda s: base64.a85encode(b"=" + s, adobe=True)
ENC["ascii85-wrapped+2"] = lambda s: base64.a85encode(b"t:" + s, wrapcol=76)
ENC["base85-digits-before"] = lambda s: b"data=Zx" + base64.b85encode(s)
ENC["base58-junk-before"] = lambda s: b58(junk(r.randint(1, 9)) + s)
ENC["base58-labelled"] = lambda s: b58(b"token: " + s)
for k in (1, 4, 9, 15):
    ENC["raw-deflate-after-%d" % k] = lambda s, k=k: (b"token: x" * 2)[:k] + raw_deflate(b"token=" + s)
ENC["chr-plus"] = lambda s: calls(s, "chr(%d)", "+")
ENC["chr-plus-spaced"] = lambda s: b"token = " + calls(s, "chr(%d)", " + ")
ENC["chr-dot"] = lambda s: b"$t = " + calls(s, "chr(%d)", ".") + b";"
ENC["vba-chr-amp"] = lambda s: b"t = " + calls(s, "Chr(%d)", " & ")
ENC["vba-chrw"] = lambda s: b"t = " + calls(s, "ChrW(%d)", " & ")
ENC["ps-char"] = lambda s: b"$t = " + calls(s, "[char]%d", "+")
ENC["cs-cast"] = lambda s: b"new string(new[]{" + calls(s, "(char)%d", ",") + b"})"
ENC["sql-char"] = lambda s: b"SELECT " + calls(s, "CHAR(%d)", "||")
ENC["chr-hex"] = lambda s: calls(s, "chr(0x%x)", "+")

n = 0
for det, make in (("github-pat", lambda: crc_token("ghp_")), ("npm-token", lambda: crc_token("npm_"))):
    for how, f in ENC.items():
        with open("t/corpus/pos/g8%02d-%s--%s.bin" % (n, det, how), "wb") as o:
            o.write(b'{"v":"' + f(make()) + b'"}\n' if n % 2 else f(make()) + b"\n")
        n += 1


def git_binary_patch(data):
    """The literal hunk git diff --binary writes: zlib, then base85 in
    lines of up to 52 bytes, each led by its length letter."""
    z = zlib.compress(data)
    lines = []
    for i in range(0, len(z), 52):
        c = z[i:i + 52]
        k = len(c)
        lines.append((chr(ord("A") + k - 1) if k <= 26 else chr(ord("a") + k - 27)).encode() +
                     base64.b85encode(c))
    return (b"diff --git a/logo.txt b/logo.txt\nGIT binary patch\nliteral %d\n" % len(data) +
            b"\n".join(lines) + b"\n\nliteral 0\nHcmV?d00001\n\n")


text = b"The quick brown fox jumps over the lazy dog; build 1.2.3 done.\n"
NEG = {
    "git-binary-patch-text": git_binary_patch(text * 40),
    "git-binary-patch-random": git_binary_patch(bytes(r.getrandbits(8) for _ in range(600))),
    "base85-text": base64.b85encode(text * 3) + b"\n" + base64.b85encode(b"x" + text * 2) + b"\n",
    "ascii85-text": base64.a85encode(text * 3, adobe=True) + b"\n" + base64.a85encode(b"yz" + text) + b"\n",
    "z85-text": z85(b"q" + text * 2) + b"\n",
    "base85-random": b"\n".join(base64.b85encode(bytes(r.getrandbits(8) for _ in range(64))) for _ in range(20)),
    "z85-digests": b"\n".join(z85(hashlib.sha256(b"%d" % i).digest()) for i in range(20)) + b"\n",
    "base85-bad-crc": base64.b85encode(b"x" + crc_token("ghp_", ok=False)) + b"\n" +
    base64.a85encode(b"xy" + crc_token("npm_", ok=False)) + b"\n",
    "base58-keys": b"\n".join([b"Qm" + b58(hashlib.sha256(b"%d" % i).digest()) for i in range(5)] +
                              [b58(bytes(r.getrandbits(8) for _ in range(32))) for _ in range(5)] +
                              [b"1" + b58(b"\0" + hashlib.sha1(b"%d" % i).digest()) for i in range(5)]) + b"\n",
    "base58-text": b58(text) + b"\n" + b58(b"x" + crc_token("ghp_", ok=False)) + b"\n",
    "raw-deflate-text": b"data: " + raw_deflate(text * 20),
    "chr-text": calls(b"Hello, world! Build finished in 12s.", "chr(%d)", "+") + b"\n" +
    calls(b"ghp_readme_section_title_in_the_docs", "Chr(%d)", "&") + b"\n",
    "chr-bad-crc": calls(crc_token("ghp_", ok=False), "chr(%d)", "+") + b"\n" +
    calls(crc_token("npm_", ok=False), "[char]%d", "+") + b"\n",
    "chr-code": b"\n".join([
        b"key = ''.join(chr(ord(c) ^ 0x20) for c in s)",
        b"s = chr(65) + chr(66) + str(len(x)) + chr(10)",
        b"char c = (char)(x + 1); int[] a = {(char)1, (char)2};",
        b"$ps = [char]0x41 + [char]0x42; Write-Host ($ps)",
        b"SELECT CHAR(65), CHAR(66) FROM dual WHERE id IN (1,2,3)",
        b"nums = [103, 104, 112, 95, 1, 2, 3] # a list of numbers",
        b"Dim s: s = Chr(13) & Chr(10) & Chr(9)",
    ]) + b"\n",
    "shell-punct": b"\n".join([
        b"if [ $# -gt 0 ]; then echo \"$(basename $0): ${1:-none}\" >&2; exit 1; fi",
        b"awk '{print $1}' < in.txt | sort -u | tee >(wc -l) > out.txt # (count)",
        b"perl -ne 'print if /^(?:foo|bar)\\s*=\\s*(\\d+);?$/' <~/.profile",
    ]) + b"\n",
}
for i, (how, body) in enumerate(NEG.items()):
    with open("t/corpus/benign/g8%02d-%s.bin" % (i, how), "wb") as o:
        o.write(body)
