#!/usr/bin/env python3
# gen-gaps7.py - branch detect-gaps: detector patterns (no known value)
# in the forms that got past the decode graph (hex of hex and of that,
# base64 of base64 of hex, bzip2 and zlib after junk (text or binary) or
# a text header,
# base64 of junk and bzip2, a token cut every 2..8 bytes by '_', '-', '.'
# or ':' at every offset), and their close negatives (the same forms of
# ordinary data: hex of hex text and digests, compressed text after a
# header, snake_case and dotted identifiers, dates, UUIDs, MACs, version
# lists). Writes t/corpus/pos/g7NN-<detector>--<how>.bin and
# t/corpus/benign/g7NN-*.bin, deterministic. Run from the top.
import base64
import bz2
import hashlib
import random
import uuid
import zlib

r = random.Random(7390)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def crc_token(prefix, ok=True):
    body = "".join(r.choice(B62) for _ in range(30))
    n = zlib.crc32(body.encode()) ^ (0 if ok else 7)
    tail = ""
    for _ in range(6):
        tail = B62[n % 62] + tail
        n //= 62
    return (prefix + body + tail).encode()


def akia():
    return ("AKIA" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))).encode()


def junk(k):
    return bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(k))


def hexx(s):
    return s.hex().encode()


def cut(s, n, o, sep):
    return sep.join(([s[:o]] if o else []) + [s[i:i + n] for i in range(o, len(s), n)])


ENC = {
    "hex-of-hex": lambda s: hexx(hexx(s)),
    "hex-of-hex-junk": lambda s: hexx(hexx(junk(3) + b" " + s)),
    "hex-of-hex-of-hex": lambda s: hexx(hexx(hexx(s))),
    "b64-of-b64-of-hex": lambda s: base64.b64encode(base64.b64encode(hexx(s))),
    "bz2-after-junk": lambda s: junk(r.randint(1, 5)) + bz2.compress(b"token=" + s),
    "bz2-after-header": lambda s: b"upload: blob\n" + bz2.compress(s),
    "zlib-after-junk": lambda s: junk(r.randint(1, 5)) + zlib.compress(b"token=" + s),
    "b64-junk-bz2": lambda s: base64.b64encode(junk(3) + bz2.compress(s)),
    "zlib-after-binary-junk": lambda s: bytes(r.getrandbits(8) | 0x80 for _ in range(r.randint(1, 8)))
    + zlib.compress(b"token=" + s),
}
for sep, nm in ((b"_", "underscore"), (b"-", "dash"), (b".", "dot"), (b":", "colon")):
    for n in (2, 3, 4, 5):
        for o in range(1, n):
            ENC["sep%d-%s+%d" % (n, nm, o)] = lambda s, n=n, o=o, sep=sep: cut(s, n, o, sep)
    ENC["sep3-%s" % nm] = lambda s, sep=sep: cut(s, 3, 0, sep)
WRAP = [lambda b: b, lambda b: b"POST /x HTTP/1.1\r\nHost: h.example\r\nContent-Length: %d\r\n\r\n" % len(b) + b]

n = 0
for det, make in (("github-pat", lambda: crc_token("ghp_")), ("npm-token", lambda: crc_token("npm_")),
                  ("aws-access-key-id", akia)):
    for how, f in ENC.items():
        if det == "aws-access-key-id" and how.startswith("sep5"):
            continue    # 20 bytes cut every 5: fewer than three cuts at some offsets
        with open("t/corpus/pos/g7%02d-%s--%s.bin" % (n, det, how), "wb") as o:
            o.write(WRAP[n % 2](f(make())))
        n += 1

# close negatives
text = b"The quick brown fox jumps over the lazy dog; build 1.2.3 done.\n"
NEG = {
    "hex-of-hex-text": b"\n".join(hexx(hexx(text[:k])) for k in (20, 40, 63)),
    "hex-of-hex-digests": b"\n".join(hexx(hexx(hashlib.sha1(b"%d" % i).hexdigest().encode()))
                                     for i in range(20)),
    "hex-of-hex-of-hex-uuid": b"\n".join(hexx(hexx(hexx(str(uuid.UUID(int=r.getrandbits(128))).encode())))
                                         for _ in range(5)),
    "bz2-after-header": b"upload: blob\n" + bz2.compress(text * 30),
    "zlib-after-junk": b"ab " + zlib.compress(text * 30),
    "b64-junk-bz2": base64.b64encode(b"xyz" + bz2.compress(text * 30)),
    "identifiers": b"\n".join([
        b"const MAX_BUFFER_SIZE_LIMIT = get_user_by_id_and_name(abc_def_ghi_jkl_mno_pqr);",
        b"org.apache.commons.lang3.text.StrBuilder com.example.app.module.sub1",
        b"/usr/lib/x86_64-linux-gnu/libssl.so.3 deb.debian.org_debian_dists_bookworm_main",
        b"2024-01-15T10:20:30.000Z 192.168.100.200 00:1a:2b:3c:4d:5e:6f:70 v1.22.333.4444",
        b"a1b2_c3d4_e5f6_0000 x86_64_linux_gnu_2_36 img_0001_0002_0003.png",
    ] + [str(uuid.UUID(int=r.getrandbits(128))).encode() for _ in range(20)]) + b"\n",
    "cut-digests": b"\n".join(cut(hashlib.sha256(b"%d" % i).hexdigest().encode(), 4, 0, b"-")
                              for i in range(10)) + b"\n",
    "cut-words": b"\n".join(cut(b"ghp_readme_section_title_in_docs_x", 3, 1, sep)
                            for sep in (b"_", b"-", b".")) + b"\n",
    "cut-bad-crc": b"\n".join(cut(crc_token("ghp_", ok=False), 4, 1, b"_") for _ in range(5)) + b"\n",
}
for i, (how, body) in enumerate(NEG.items()):
    with open("t/corpus/benign/g7%02d-%s.bin" % (i, how), "wb") as o:
        o.write(body)
