#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# gen-redteam.py - the red-team additions to t/corpus/ (branch
# redteam-detect), next to gen-corpus.py's output: positives a detector
# must find through the containers the engine learned then (zip members,
# a streamed zip, a zip in base64 and in a multipart file part, zlib after
# a text prefix, a header folded over lines), and their close negatives:
# the same containers of clean content, a git packfile, a JWT-shaped
# unsigned sample, UUIDs and MAC-like byte lists; (redteam-detect2) clean
# text in base85, decimal, binary, escapes, UTF-32, shifted, separated. Deterministic (fixed
# dates, fixed seed): the committed files are this script's output.
#
# Usage: t/corpus/gen-redteam.py [--out DIR]
import argparse
import base64
import io
import os
import random
import subprocess
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# a det_table.c positive sample
SECRETS = {
    "github-pat": "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",
}

SRC = (b"/* util.c - small helpers */\n#include <stdio.h>\n\nint add(int a, int b)\n{\n"
       b"\treturn a + b;\n}\n\nint main(void)\n{\n\tprintf(\"%d\\n\", add(2, 3));\n\treturn 0;\n}\n")


def post(body, ctype="application/octet-stream", extra=b""):
    return (b"POST /upload HTTP/1.1\r\nHost: files.example\r\nContent-Type: " + ctype.encode() +
            b"\r\n" + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def zip_of(files, streamed=False):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            if streamed:
                zi.flag_bits |= 0x08
            z.writestr(zi, data)
    return b.getvalue()


def multipart(fname, data):
    return (b"--BNDRY\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" + fname.encode() +
            b"\"\r\nContent-Type: application/zip\r\n\r\n" + data + b"\r\n--BNDRY--\r\n")


def git_pack(tmp):
    """A packfile of clean source objects (what a git push sends)."""
    env = dict(os.environ, GIT_AUTHOR_DATE="2024-01-01T00:00:00Z",
               GIT_COMMITTER_DATE="2024-01-01T00:00:00Z", GIT_AUTHOR_NAME="a",
               GIT_AUTHOR_EMAIL="a@example.com", GIT_COMMITTER_NAME="a",
               GIT_COMMITTER_EMAIL="a@example.com", HOME=tmp)
    repo = os.path.join(tmp, "r")
    subprocess.run(["git", "init", "-q", repo], check=True, env=env)
    for i in range(6):
        with open(os.path.join(repo, "f%d.c" % i), "wb") as f:
            f.write(SRC.replace(b"add", b"add%d" % i) * (i + 1))
    subprocess.run(["git", "-C", repo, "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", repo, "commit", "-qm", "clean source"], check=True, env=env)
    objs = subprocess.run(["git", "-C", repo, "rev-list", "--objects", "HEAD"], check=True,
                          env=env, capture_output=True).stdout
    return subprocess.run(["git", "-C", repo, "pack-objects", "--stdout", "-q"], input=objs,
                          check=True, env=env, capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()
    pos, ben = os.path.join(a.out, "pos"), os.path.join(a.out, "benign")
    rnd = random.Random(20261201)
    gh = SECRETS["github-pat"]
    secret_src = SRC + b"export GITHUB_TOKEN=" + gh.encode() + b"\n"
    P = {}
    z = zip_of([("notes/env.sh", secret_src), ("README", b"notes\n" * 40)])
    P["zip"] = post(z, "application/zip")
    P["zip-streamed"] = post(zip_of([("env.sh", secret_src)], streamed=True), "application/zip")
    P["zip-base64"] = post(base64.b64encode(z), "text/plain")
    P["zip-multipart"] = post(multipart("a.zip", z), "multipart/form-data; boundary=BNDRY")
    P["zlib-after-text"] = post(b"build log follows:\n" + zlib.compress(secret_src) + b"\n-- end --\n",
                                "text/plain")
    P["folded-header"] = (b"GET / HTTP/1.1\r\nHost: files.example\r\nX-Trace: " + gh[:14].encode() +
                          b"\r\n " + gh[14:28].encode() + b"\r\n\t" + gh[28:].encode() + b"\r\n\r\n")
    for k, (how, data) in enumerate(sorted(P.items())):
        with open(os.path.join(pos, "r%03d-github-pat--%s.bin" % (k, how)), "wb") as f:
            f.write(data)
    B = {}
    cz = zip_of([("src/util.c", SRC), ("src/more.c", SRC.replace(b"add", b"sub") * 5),
                 ("package.json", b'{"name":"demo","version":"1.0.0","license":"MIT"}\n')])
    B["zip-clean-source"] = post(cz, "application/zip")
    B["zip-clean-streamed"] = post(zip_of([("util.c", SRC)], streamed=True), "application/zip")
    B["zip-clean-base64"] = post(base64.b64encode(cz), "text/plain")
    B["zip-clean-multipart"] = post(multipart("src.zip", cz), "multipart/form-data; boundary=BNDRY")
    B["zlib-clean-after-text"] = post(b"log:\n" + zlib.compress(SRC * 20) + b"\n", "text/plain")
    noise = bytes(rnd.getrandbits(8) for _ in range(65536))
    B["random-with-zip-and-zlib-magic"] = post(b"attachment:\n" + noise[:20000] + b"PK\x03\x04" +
                                               noise[20000:40000] + b"x\x9c" + noise[40000:],
                                               "application/octet-stream")
    with tempfile.TemporaryDirectory() as tmp:
        B["git-packfile"] = post(git_pack(tmp), "application/x-git-receive-pack-request")
    B["jwt-shaped-unsigned"] = post(b'{"sample":"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.'
                                    b'eyJzdWIiOiJkZW1vIiwiaWF0IjoxNTE2MjM5MDIyfQ."}',
                                    "application/json")
    B["byte-lists"] = post(b"mac=00:1a:2b:3c:4d:5e&fp=3f:9a:10:c2:77:e1:0b:5d:aa:42:19:c0:de:ad:be:ef"
                           b"&bytes=104,101,108,108,111,32,119,111,114,108,100"
                           b"&ids=550e8400-e29b-41d4-a716-446655440000,6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                           "application/x-www-form-urlencoded")
    B["folded-clean-header"] = (b"GET / HTTP/1.1\r\nHost: files.example\r\nUser-Agent: npm/10.2.4 "
                                b"node/v20.11.0\r\n linux x64 workspaces/false\r\nAccept: */*\r\n\r\n")
    for k, (how, data) in enumerate(sorted(B.items())):
        with open(os.path.join(ben, "r%03d-%s.bin" % (k, how)), "wb") as f:
            f.write(data)
    # branch redteam-detect2: clean text in the spellings known_variants.c
    # indexes known secrets in (base85, decimal, binary, escapes, UTF-32,
    # Caesar shifts, separators every N), which must stay clean with known
    # secrets loaded
    words = b"the quick brown fox jumps over the lazy dog while the build runs tests"
    C = {}
    C["git-binary-patch-base85"] = post(b"diff --git a/logo.png b/logo.png\nGIT binary patch\nliteral 64\n" +
                                        b"".join(b"z" + base64.b85encode(noise[i:i + 52]) + b"\n"
                                                 for i in range(0, 520, 52)) + b"\n", "text/x-diff")
    C["ascii85-block"] = post(b"%!PS\n<~" + base64.a85encode(SRC) + b"~>\n", "application/postscript")
    C["bignum-decimal"] = post(b'{"n":"' + str(int.from_bytes(noise[:64], "big")).encode() +
                               b'","p":"' + str(2 ** 521 - 1).encode() + b'"}', "application/json")
    C["bitmask-binary"] = post(b"mask=" + "".join(format(c, "08b") for c in noise[:96]).encode() +
                               b"&spaced=" + " ".join(format(c, "08b") for c in words).encode(),
                               "application/x-www-form-urlencoded")
    C["escapes-clean"] = post(b".icon::before{content:\"\\f101 \\e900\"}\n" +
                              "".join("%%u%04x" % c for c in words).encode() + b"\n" +
                              "".join("\\u{%x}" % c for c in words).encode() + b"\n", "text/css")
    C["utf32-text"] = post(words.decode().encode("utf-32-le") + words.decode().encode("utf-32-be"),
                           "text/plain; charset=utf-32")
    C["caesar-words"] = post(bytes(97 + (c - 97 + 3) % 26 if 97 <= c <= 122 else c for c in words) +
                             b"\n" + words[::-1], "text/plain")
    C["separated-ids"] = post(b"card=4111 1111 1111 1111&iban=DE89-3704-0044-0532-0130-00&key=" +
                              b"-".join(noise[i:i + 2].hex().encode() for i in range(0, 32, 2)),
                              "application/x-www-form-urlencoded")
    C["base58-base36-ids"] = post(b'{"addr":"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2","id36":"' +
                                  b"2hdzpgtbxkqjaeslnq9z7mf4" + b'"}', "application/json")
    for k, (how, data) in enumerate(sorted(C.items())):
        with open(os.path.join(ben, "r2%02d-%s.bin" % (k, how)), "wb") as f:
            f.write(data)

    # branch redteam-detect3: look-alikes of a token prefix reversed or
    # ROT-n (dec_unspell.c): identifiers with '_' and '-' next to three
    # letters, BEM class names, kebab-case packages, rotated and reversed
    # words, and near-miss tokens (bad CRC32 tail) reversed and shifted
    D = {}
    r3 = random.Random(31)
    idents = ["%s_%s" % ("".join(r3.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3)),
                         "".join(r3.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8)))
              for _ in range(400)]
    D["minified-underscores"] = post(("!function(){var " + ",".join("%s=%d" % (n, i) for i, n in enumerate(idents)) +
                                      ";return __webpack_require__(_0x3fa2)}();").encode(), "application/javascript")
    D["bem-kebab"] = post(b"".join(b".%s__%s--%s{color:#%06x}\n" % (a.encode(), b.encode(), c.encode(), r3.getrandbits(24))
                                   for a, b, c in zip(idents[::3], idents[1::3], idents[2::3])), "text/css")
    rot = lambda t, k: bytes(97 + (c - 97 + k) % 26 if 97 <= c <= 122 else 65 + (c - 65 + k) % 26 if 65 <= c <= 90 else c for c in t)
    near = b"ghp_QIoHOETUCDoZmcKPfHHfwpyqxKSvtX0U4XHA"   # det_table.c's near miss: CRC wrong
    D["near-token-spelled"] = post(b"\n".join([near[::-1], rot(near, 13), rot(near, 1), rot(near[::-1], 7),
                                               base64.b64encode(near[::-1]), near[::-1].hex().encode()]),
                                   "text/plain")
    D["rotated-words-underscored"] = post(b"\n".join(rot(w.encode() + b"_" + w.encode()[::-1], k)
                                                     for k in range(1, 26) for w in ("npm", "ghp", "pat", "glpat"[:4])),
                                          "text/plain")
    for k, (how, data) in enumerate(sorted(D.items())):
        with open(os.path.join(ben, "r3%02d-%s.bin" % (k, how)), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
