#!/usr/bin/env python3
# gen-known5.py - close negatives for branch detect-known5 (repeating-key
# XOR, a separator after every character, bzip2, raw deflate after text):
# writes t/corpus/benign/r40N-*.bin, deterministic. Run from the top.
import bz2
import random
import zlib

r = random.Random(405)
D = "t/corpus/benign/"
TEXT = (b"The build finished in 12.4 s; 341 packages installed, 0 vulnerabilities. "
        b"Run `npm fund` for details. Lorem ipsum dolor sit amet, consectetur.\n") * 20


def xorm(s, key):
    return bytes(c ^ key[i % len(key)] for i, c in enumerate(s))


def raw_deflate(s):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(s) + c.flush()


files = {
    "r400-random-binary.bin": bytes(r.getrandbits(8) for _ in range(65536)),
    "r401-dotted-lists.bin": b"\n".join(
        b".".join(bytes([c]) for c in w) for w in
        [b"abcdefghijklmnopqrstuvwxyz", b"0123456789012345678901234", b"node_modules/lodash/fp",
         b"Tr0ubadour-horse-battery", b"1.2.3-beta.4+build.5678"]) + b"\n" +
        b"version: " + b".".join(str(i).encode() for i in range(40)) + b"\n",
    "r402-xor-noise.bin": b"".join(xorm(TEXT[:400], bytes(r.getrandbits(8) for _ in range(k)))
                                   for k in range(2, 9)),
    "r403-bz2-text.bin": bz2.compress(TEXT),
    "r404-text-then-deflate.bin": b"HEADER" * 10 + raw_deflate(TEXT),
}
for name, body in files.items():
    with open(D + name, "wb") as f:
        f.write(body)
