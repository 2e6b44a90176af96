#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# battery.py - a red-team battery against the engine (branch
# redteam-detect2): the test's kind of known secrets (an AWS secret key,
# an npm token, an opaque hex token, a 21-byte password, a 12-byte one) and
# a GitHub PAT (pattern only, not known) encoded or disguised every way in
# CLASSES, each sent as an HTTP POST body, through `dlpjail scan` with the
# known secrets as canaries (the same known-secret matcher). Prints
# caught/total per class and the total; --miss lists what got through.
#
# Usage: bench/relay/battery.py [--dlpjail PATH] [--miss] [--class RE]
import argparse
import base64
import binascii
import bz2
import codecs
import lzma
import os
import random
import re
import sys
import io
import struct
import tempfile
import zipfile
import zlib

from battery_tally import scan_blocked, tally

KNOWN = [
    b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Ks2mTv1",     # AWS secret access key shape
    b"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",      # npm token
    b"c9f1e2a7b4d84f0e9a3b6c5d2e1f0a9b",              # opaque hex token
    b"Tr0ub4dor&3-horse-27x",                         # 21-byte password
    b"Zx9qL2vR7mKw",                                  # 12-byte password
]
PAT = b"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"     # det_table.c's sample

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def rot(s, n):
    o = bytearray()
    for c in s:
        if 97 <= c <= 122:
            c = 97 + (c - 97 + n) % 26
        elif 65 <= c <= 90:
            c = 65 + (c - 65 + n) % 26
        o.append(c)
    return bytes(o)


def rot47(s):
    return bytes(33 + (c - 33 + 47) % 94 if 33 <= c <= 126 else c for c in s)


def rot18(s):
    return bytes(48 + (c - 48 + 5) % 10 if 48 <= c <= 57 else c for c in rot(s, 13))


def baseN(s, alpha):
    n = int.from_bytes(s, "big")
    o = ""
    while n:
        n, r = divmod(n, len(alpha))
        o = alpha[r] + o
    return o.encode()


def z85(s):
    s = s + b"\0" * (-len(s) % 4)
    o = ""
    for i in range(0, len(s), 4):
        n = int.from_bytes(s[i:i + 4], "big")
        o += "".join(Z85[n // 85 ** k % 85] for k in range(4, -1, -1))
    return o.encode()


def uu(s):
    return b"begin 644 x\n" + b"".join(binascii.b2a_uu(s[i:i + 45]) for i in range(0, len(s), 45)) + b"`\nend\n"


def every(s, n, sep):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


def junk(s, k, seed=1):
    r = random.Random(seed)
    al = b"abcdefghijklmnopqrstuvwxyz0123456789"
    return b"".join(bytes([c]) + bytes(r.choice(al) for _ in range(k)) for c in s)


def xorm(s, key):
    return bytes(c ^ key[i % len(key)] for i, c in enumerate(s))


def raw_deflate(s):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(s) + c.flush()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(kind, data):
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) + \
        png_chunk(kind, data) + png_chunk(b"IEND", b"")


def zipped(s, method):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", method) as f:
        f.writestr("notes.txt", b"token=" + s + b"\n")
    return z.getvalue()


def interleave(s, o):
    return bytes(x for p in zip(s, o) for x in p)


def jsconcat(s, n):
    return b'"' + b'" + "'.join(s[i:i + n] for i in range(0, len(s), n)) + b'"'


# class -> function of the secret, giving the body
CLASSES = {
    "raw": lambda s: s,
    "base64": lambda s: base64.b64encode(s),
    "base64-reversed": lambda s: base64.b64encode(s)[::-1],
    "base64-of-reversed": lambda s: base64.b64encode(s[::-1]),
    "hex-reversed": lambda s: s.hex().encode()[::-1],
    "hex-of-reversed": lambda s: s[::-1].hex().encode(),
    "hex-of-hex-reversed": lambda s: s.hex().encode()[::-1].hex().encode(),
    "rot1": lambda s: rot(s, 1),
    "rot3": lambda s: rot(s, 3),
    "rot7": lambda s: rot(s, 7),
    "rot25": lambda s: rot(s, 25),
    "rot47": rot47,
    "rot18": rot18,
    "base85": lambda s: base64.b85encode(s),
    "ascii85": lambda s: base64.a85encode(s),
    "ascii85-adobe": lambda s: base64.a85encode(s, adobe=True),
    "ascii85+1": lambda s: base64.a85encode(b"x" + s),
    "base85+2": lambda s: base64.b85encode(b"xy" + s),
    "z85": lambda s: z85(s),
    "base58": lambda s: baseN(s, B58),
    "base36": lambda s: baseN(s, "0123456789abcdefghijklmnopqrstuvwxyz"),
    "base36-upper": lambda s: baseN(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "decimal": lambda s: str(int.from_bytes(s, "big")).encode(),
    "binary": lambda s: "".join(format(c, "08b") for c in s).encode(),
    "binary-spaced": lambda s: " ".join(format(c, "08b") for c in s).encode(),
    "uuencode": uu,
    "percent-u": lambda s: "".join("%%u%04x" % c for c in s).encode(),
    "percent-U": lambda s: "".join("%%u%04X" % c for c in s).encode(),
    "js-u-brace": lambda s: "".join("\\u{%x}" % c for c in s).encode(),
    "js-x": lambda s: "".join("\\x%02x" % c for c in s).encode(),
    "json-u": lambda s: b'{"v":"' + "".join("\\u%04x" % c for c in s).encode() + b'"}',
    "css": lambda s: "".join("\\%x " % c for c in s).encode(),
    "css6": lambda s: "".join("\\%06x" % c for c in s).encode(),
    "html-dec": lambda s: "".join("&#%d;" % c for c in s).encode(),
    "html-hex": lambda s: "".join("&#x%x;" % c for c in s).encode(),
    "utf32le": lambda s: s.decode().encode("utf-32-le"),
    "utf32be": lambda s: s.decode().encode("utf-32-be"),
    "sep1-dot": lambda s: every(s, 1, b"."),
    "sep2-dash": lambda s: every(s, 2, b"-"),
    "sep3-space": lambda s: every(s, 3, b" "),
    "sep4-dash": lambda s: every(s, 4, b"-"),
    "sep4-colon": lambda s: every(s, 4, b":"),
    "sep5-nl": lambda s: every(s, 5, b"\n"),
    "sep6-dot": lambda s: every(s, 6, b"."),
    "sep8-comma": lambda s: every(s, 8, b","),
    "junk2": lambda s: junk(s, 2),
    "junk3": lambda s: junk(s, 3),
    "halves-two-fields": lambda s: b'{"a":"' + s[:len(s) // 2] + b'","b":"' + s[len(s) // 2:] + b'"}',
    "js-concat4": lambda s: b"var t = " + jsconcat(s, 4) + b";",
    "js-concat7": lambda s: b"var t = " + jsconcat(s, 7) + b";",
    "xor2": lambda s: xorm(s, b"\x13\x37"),
    "xor3": lambda s: xorm(s, b"k3y"),
    "xor4-hex": lambda s: xorm(s, b"\xde\xad\xbe\xef").hex().encode(),
    "bz2": lambda s: bz2.compress(b"token=" + s),
    "xz": lambda s: lzma.compress(b"token=" + s),
    "raw-deflate-mid": lambda s: b"HEADER" * 10 + raw_deflate(b"token=" + s + b"\n" * 50),
    "zlib-after-binary": lambda s: bytes(range(256))[:40] + zlib.compress(b"token=" + s),
    "base64-zlib": lambda s: base64.b64encode(zlib.compress(b"token=" + s)),
    "base32": lambda s: base64.b32encode(s),
    "base32-reversed": lambda s: base64.b32encode(s)[::-1],
    "hex-upper-spaced": lambda s: " ".join("%02X" % c for c in s).encode(),
    "b64-of-b64": lambda s: base64.b64encode(base64.b64encode(s)),
    "b64-of-hex": lambda s: base64.b64encode(s.hex().encode()),
    "hex-of-b64": lambda s: base64.b64encode(s).hex().encode(),
    "reversed-rot13": lambda s: codecs.encode(s[::-1].decode(), "rot13").encode(),
    "octal-list": lambda s: " ".join("%o" % c for c in s).encode(),
    "charcode": lambda s: b"String.fromCharCode(" + ",".join(str(c) for c in s).encode() + b")",
    "py-list-hex": lambda s: b"[" + ", ".join(hex(c) for c in s).encode() + b"]",
    # branch detect-gaps: stacks of hex, compressed data after a prefix,
    # a token cut off its alignment or by '_'
    "hex-of-hex": lambda s: s.hex().encode().hex().encode(),
    "hex-of-hex-of-hex": lambda s: s.hex().encode().hex().encode().hex().encode(),
    "b64-of-b64-of-hex": lambda s: base64.b64encode(base64.b64encode(s.hex().encode())),
    "bz2-after-junk": lambda s: b"x9 " + bz2.compress(b"token=" + s),
    "bz2-after-header": lambda s: b"upload: blob\n" + bz2.compress(s),
    "zlib-after-junk": lambda s: b"ab" + zlib.compress(b"token=" + s),
    "b64-junk-bz2": lambda s: base64.b64encode(b"Q" + bz2.compress(s)),
    "sep3-underscore": lambda s: every(s, 3, b"_"),
    "sep4-underscore+1": lambda s: s[:1] + b"_" + every(s[1:], 4, b"_"),
    "sep3-dash+2": lambda s: s[:2] + b"-" + every(s[2:], 3, b"-"),
    "sep2-dot+1": lambda s: s[:1] + b"." + every(s[1:], 2, b"."),
    # branch redteam6: the t/e2e channels carried these through; the
    # engine's verdict on them (base64 in short MIME lines leaked: a
    # multipart part with Content-Transfer-Encoding: base64, 8 a line)
    "base64-lines8": lambda s: every(base64.b64encode(b"xx" + s), 8, b"\r\n"),
    "base64-lines4": lambda s: every(base64.b64encode(s), 4, b"\n"),
    "interleave-other": lambda s: interleave(s, b"the quick brown fox jumps over the lazy dog" * 2),
    "decimal-spaced": lambda s: " ".join(str(c) for c in s).encode(),
    "png-text": lambda s: png(b"tEXt", b"Comment\0" + s),
    "png-ztxt": lambda s: png(b"zTXt", b"Comment\0\0" + zlib.compress(s)),
    "png-itxt-z": lambda s: png(b"iTXt", b"Comment\0\x01\0\0\0" + zlib.compress(s)),
    "zip-stored": lambda s: zipped(s, zipfile.ZIP_STORED),
    "zip-deflated": lambda s: zipped(s, zipfile.ZIP_DEFLATED),
    "json-u-partial": lambda s: b'{"v":"' + "".join("\\u%04x" % c if i % 2 else chr(c)
                                                   for i, c in enumerate(s)).encode() + b'"}',
}


def cases():
    for cls, f in CLASSES.items():
        for i, s in enumerate(KNOWN + [PAT]):
            who = "pat" if s is PAT else "k%d" % i
            try:
                body = f(s)
            except Exception:
                continue
            yield cls, who, (b"POST /u HTTP/1.1\r\nHost: x.example\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body)) + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlpjail", default=os.path.join(os.path.dirname(__file__), "../../dlpjail"))
    ap.add_argument("--miss", action="store_true")
    ap.add_argument("--class", dest="cls", default="")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        files = []
        for n, (cls, who, body) in enumerate(cases()):
            if a.cls and not re.search(a.cls, cls):
                continue
            p = os.path.join(d, "%04d" % n)
            with open(p, "wb") as f:
                f.write(body)
            files.append((p, cls, who))
        cmd = [a.dlpjail, "scan", "--json"]
        for k in KNOWN:
            cmd += ["--canary", k.decode()]
        got = scan_blocked(cmd, [p for p, _, _ in files])
    miss = tally(files, got)
    if a.miss:
        print("missed:", " ".join(miss))


if __name__ == "__main__":
    sys.exit(main())
