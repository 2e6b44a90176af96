#!/usr/bin/env python3
# gen-gaps10.py - branch detect-gaps10: a GitHub PAT whose checksum is
# wrong, cut every 4 by '-' (t/e2e/399's close negative), must pass. The
# unspell decoder (dec_unspell.c) read its own layer again and again: the
# "ghp_" spelled as a ROT-n of another prefix ("pul-"), turned back, then
# forth, each layer a few windows longer than the last, until the decode
# budget ran out and the scan refused the message (1 draw in ~1000).
# The draw that did it is the first file; the rest are more draws of the
# same shape, and the same cuts of a good PAT, which must still block.
# Writes t/corpus/benign/g10NN-*.bin and t/corpus/pos/g10NN-*.bin,
# deterministic. Run from the top.
import random
import zlib

r = random.Random(1044)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def pat(ok=True):
    body = "".join(r.choice(B62) for _ in range(30))
    n = zlib.crc32(body.encode()) ^ (0 if ok else 1)
    tail = ""
    for _ in range(6):
        tail = B62[n % 62] + tail
        n //= 62
    return "ghp_" + body + tail


def sep4(tok, sep="-"):
    return sep.join(tok[i:i + 4] for i in range(0, len(tok), 4))


# the draw t/e2e/399 refused: its CRC tail is off by one bit
FLAKE = "ghp_r6gXN2Z6Aon7bkfJnKQ1c2uqiFy4s81HFdCl"
bad = [FLAKE] + [pat(ok=False) for _ in range(15)]
for i, tok in enumerate(bad):
    with open("t/corpus/benign/g10%02d-unsep-badcrc-sep4.bin" % i, "w") as o:
        o.write(sep4(tok))
for i in range(4):
    with open("t/corpus/pos/g10%02d-github-pat--sep4-dash.bin" % i, "w") as o:
        o.write(sep4(pat()))
