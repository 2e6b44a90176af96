#!/usr/bin/env python3
# gen-known6.py - close negatives for branch known6 (junk after each
# character, repeating-key XOR of short values): writes
# t/corpus/benign/r41N-*.bin, deterministic. Run from the top.
# r410: siblings of scan_corpus_test.c's 30 known values (its generator,
# one character changed) with 1..4 bytes of junk after each character and
# XOR'd with 2..8-byte keys, among ordinary text; r411: text whose every
# 2nd..5th byte is text too (a hexdump, interleaved columns, a table of
# little-endian words with ASCII tags); r412: binary structures (random
# bytes, UTF-32-ish arrays, XOR'd text).
import random

r = random.Random(411)
D = "t/corpus/benign/"
AL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
TEXT = (b"The build finished in 12.4 s; 341 packages installed, 0 vulnerabilities. "
        b"Run `npm fund` for details. Lorem ipsum dolor sit amet, consectetur.\n")


def known30():
    x, out = 77, []
    for i in range(30):
        n = 20 + i * 11 % 45
        v = bytearray()
        for _ in range(n):
            x = (x * 1103515245 + 12345) & 0xffffffff
            v.append(AL[(x >> 16) % 64])
        out.append(bytes(v))
    return out


def sibling(v, i):
    c = v[i:i + 1]
    return v[:i] + (b"Q" if c != b"Q" else b"R") + v[i + 1:]


def junk(s, k):
    return b"".join(bytes([c]) + bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(k))
                    for c in s)


def xorm(s, key):
    return bytes(c ^ key[i % len(key)] for i, c in enumerate(s))


def r410():
    out = bytearray()
    for j, v in enumerate(known30()):
        w = sibling(v, len(v) // 2 if j % 2 else 3)
        out += TEXT[:60] + junk(w, 1 + j % 4) + b"\n"
        out += xorm(w, bytes(r.getrandbits(8) | 1 for _ in range(2 + j % 7))) + b"\n"
        out += junk(w[:10], 2) + b" " + TEXT[:40] + b"\n"   # a strided head alone
    return bytes(out)


def r411():
    hexdump = b"".join(b"%08x  %s  |%s|\n" % (o, b" ".join(b"%02x" % c for c in TEXT[o % 100:o % 100 + 16]),
                                                 TEXT[o % 100:o % 100 + 16].replace(b"\n", b"."))
                       for o in range(0, 1600, 16))
    cols = b"".join(bytes(a) for a in zip(TEXT * 2, TEXT[7:] * 2 + TEXT[:7] * 2, (TEXT * 3)[13:]))
    table = b"".join(b"%c%c%c%c" % (65 + i % 26, 97 + i * 7 % 26, 48 + i % 10, 32) for i in range(2000))
    return hexdump + cols + b"\n" + table


def r412():
    rnd = bytes(r.getrandbits(8) for _ in range(32768))
    utf32 = b"".join(bytes([c, 0, 0, 0]) for c in TEXT * 4)
    x = b"".join(xorm(TEXT, bytes(r.getrandbits(8) for _ in range(k))) for k in range(2, 9))
    return rnd + utf32 + x


files = {
    "r410-junked-xored-siblings.bin": r410(),
    "r411-strided-text.bin": r411(),
    "r412-strided-binary.bin": r412(),
}
for name, body in files.items():
    with open(D + name, "wb") as f:
        f.write(body)
