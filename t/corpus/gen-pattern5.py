#!/usr/bin/env python3
# gen-pattern5.py - branch pattern5: detector patterns (no known value)
# under encodings the decode graph makes no layer of, and their close
# negatives. Writes t/corpus/pos/p5NN-<detector>--<how>.bin and
# t/corpus/benign/p5NN-*.bin, deterministic. Run from the top.
import base64
import binascii
import random
import zlib

r = random.Random(5399)
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


def every(s, n, sep):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


def big(s, alpha):
    n, o = int.from_bytes(s, "big"), ""
    while n:
        n, d = divmod(n, len(alpha))
        o = alpha[d] + o
    return o.encode()


ENC = {
    "rot47": lambda s: bytes(33 + (c - 33 + 47) % 94 if 33 <= c <= 126 else c for c in s),
    "percent-U": lambda s: "".join("%%u%04X" % c for c in s).encode(),
    "js-u-brace": lambda s: "".join("\\u{%x}" % c for c in s).encode(),
    "css6": lambda s: "".join("\\%06x" % c for c in s).encode(),
    "binary-spaced": lambda s: " ".join(format(c, "08b") for c in s).encode(),
    "octal-list": lambda s: " ".join("%o" % c for c in s).encode(),
    "charcode": lambda s: b"String.fromCharCode(" + ",".join(str(c) for c in s).encode() + b")",
    "py-list-hex": lambda s: b"[" + ", ".join(hex(c) for c in s).encode() + b"]",
    "hex-upper-spaced": lambda s: " ".join("%02X" % c for c in s).encode(),
    "utf32be": lambda s: s.decode().encode("utf-32-be"),
    "utf16le": lambda s: s.decode().encode("utf-16-le"),
    "sep1-dot": lambda s: every(s, 1, b"."),
    "sep3-space": lambda s: every(s, 3, b" "),
    "sep8-comma": lambda s: every(s, 8, b","),
    "base32-reversed": lambda s: base64.b32encode(b"k=" + s)[::-1],
    "base64-reversed": lambda s: base64.b64encode(b"t:" + s)[::-1],
    "hex-reversed": lambda s: s.hex().encode()[::-1],
    "base85": lambda s: base64.b85encode(s),
    "z85ish": lambda s: base64.b85encode(s),
    "ascii85-adobe": lambda s: base64.a85encode(s, adobe=True),
    "uuencode": lambda s: b"begin 644 t\n" + b"".join(binascii.b2a_uu(s[i:i + 45]) for i in range(0, len(s), 45)) + b"`\nend\n",
    "base58": lambda s: big(s, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),
    "base36": lambda s: big(s, "0123456789abcdefghijklmnopqrstuvwxyz"),
    "decimal": lambda s: str(int.from_bytes(s, "big")).encode(),
    "css-nospace": lambda s: "".join("\\%x" % c for c in s).encode(),
    "octal-escape": lambda s: "".join("\\%03o" % c for c in s).encode(),
    "base32-lower": lambda s: base64.b32encode(s).lower(),
    "rot47-reversed": lambda s: bytes(33 + (c - 33 + 47) % 94 if 33 <= c <= 126 else c for c in s)[::-1],
    "hex-dash-upper": lambda s: "-".join("%02X" % c for c in s).encode(),
    "sep4-slash": lambda s: every(s, 4, b"/"),
}
WRAP = [lambda b: b, lambda b: b'{"v":"' + b.replace(b"\\", b"\\\\") + b'"}\n',
        lambda b: b"POST /x HTTP/1.1\r\nHost: h.example\r\nContent-Length: %d\r\n\r\n" % len(b) + b]

n = 0
for det, make in (("github-pat", lambda: crc_token("ghp_")), ("npm-token", lambda: crc_token("npm_")),
                  ("aws-access-key-id", akia)):
    for how, f in ENC.items():
        if how == "z85ish":
            continue
        body = WRAP[n % 3](f(make()))
        with open("t/corpus/pos/p5%02d-%s--%s.bin" % (n, det, how), "wb") as o:
            o.write(body)
        n += 1
# streamed in small writes: the trigger waits for the rest of the token
for how in ("rot47", "percent-U", "sep8-comma", "octal-list"):
    with open("t/corpus/pos/p5%02d-github-pat--%s-split.bin" % (n, how), "wb") as o:
        o.write(ENC[how](crc_token("ghp_")) + b"\n")
    n += 1

# close negatives: the same encodings of a short ghp_ word, a wrong CRC,
# an npm_ identifier, and ordinary text in the same encodings
NEG = [b"ghp_" + crc_token("")[:20], crc_token("ghp_", ok=False), b"npm_config_cache_folder_name",
       b"AKIA_is_the_prefix_of_an_access_key", b"The quick brown fox jumps over the lazy dog 42"]
n = 0
for v in NEG:
    body = b"\n".join(f(v) for how, f in ENC.items()) + b"\n"
    with open("t/corpus/benign/p5%02d-encoded-near-miss.bin" % n, "wb") as o:
        o.write(body)
    n += 1
# long numbers and base58/base36 ids of ordinary data (hashes, order ids)
with open("t/corpus/benign/p5%02d-long-numbers.bin" % n, "wb") as o:
    for _ in range(200):
        v = bytes(r.getrandbits(8) for _ in range(r.choice((20, 32, 40, 41))))
        o.write(b'{"id":"%s","n":%s,"k":"%s"}\n' % (ENC["base58"](v), ENC["decimal"](v), ENC["base36"](v)))
