#!/usr/bin/env python3
# large-inbound.py - data and server for t/e2e/250-large-inbound.sh.
# usage: large-inbound.py gen DIR CANARY   (files below, fixed seed; skips
#                                          what DIR already holds)
#        large-inbound.py serve HTTPSD-ARGS...  (t/tls/httpsd.py, plus: GET
#                                          /NAME where the docroot holds
#                                          NAME.gzenc is served from it with
#                                          Content-Encoding: gzip)
# Files: packument.json(.gzenc) - npm-packument-like JSON, > 10 MB gzipped
#        big.tgz                - a > 20 MB gzip tarball
#        canary.json(.gzenc)    - 4 MB of JSON, CANARY at ~512 KiB
#        bomb.gz                - 256 MiB of zeros gzipped (outbound bomb)
import base64
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile
import zlib

SEED = 20261201


def put(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


def packument(rnd):
    vers = {}
    times = {}
    i = 0
    size = 0
    while size < 38 << 20:
        v = "%d.%d.%d" % (i // 400, (i // 20) % 20, i % 20)
        digest = rnd.randbytes(64)
        vers[v] = {
            "name": "big-pkg", "version": v,
            "description": "A package with very many versions " + rnd.randbytes(24).hex(),
            "dependencies": {"dep-%d" % rnd.randrange(1000): "^%d.0.0" % rnd.randrange(30)},
            "dist": {
                "integrity": "sha512-" + base64.b64encode(digest).decode(),
                "shasum": hashlib.sha1(digest).hexdigest(),
                "tarball": "https://registry.example/big-pkg/-/big-pkg-%s.tgz" % v,
                "fileCount": rnd.randrange(400), "unpackedSize": rnd.randrange(1 << 24),
            },
            "_npmUser": {"name": "user%d" % rnd.randrange(100)},
        }
        times[v] = "2020-01-01T00:%02d:%02d.%03dZ" % (i % 60, i % 60, i % 1000)
        size += 600
        i += 1
    return json.dumps({"name": "big-pkg", "dist-tags": {"latest": v}, "versions": vers,
                       "time": times}).encode()


def tarball(rnd):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tf:
        for k in range(7):
            data = rnd.randbytes(3 << 20) + b"module.exports = %d;\n" % k * 20000
            ti = tarfile.TarInfo("package/lib/part%d.bin" % k)
            ti.size = len(data)
            ti.mtime = 1700000000
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def gen(d, canary):
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(SEED)
    p = os.path.join(d, "packument.json")
    if not os.path.exists(p + ".gzenc"):
        body = packument(rnd)
        put(p, body)
        put(p + ".gzenc", gzip.compress(body, 6, mtime=0))
    p = os.path.join(d, "big.tgz")
    if not os.path.exists(p):
        put(p, tarball(random.Random(SEED + 1)))
    p = os.path.join(d, "bomb.gz")
    if not os.path.exists(p):
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = bytes(1 << 20)
        put(p, b"".join(z.compress(chunk) for _ in range(256)) + z.flush())
    # the canary file is rebuilt per run: the canary is the test's own
    r = random.Random(SEED + 2)
    head = b'{"items":[' + b",".join(b'{"id":%d,"v":"%s"}' % (k, r.randbytes(8).hex().encode())
                                     for k in range(14000))
    tail = b",".join(b'{"id":%d,"v":"%s"}' % (k, r.randbytes(8).hex().encode())
                     for k in range(100000))
    body = head + b',{"token":"' + canary.encode() + b'"},' + tail + b"]}"
    p = os.path.join(d, "canary.json")
    put(p, body)
    put(p + ".gzenc", gzip.compress(body, 6, mtime=0))


def serve(argv):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import httpsd

    class Handler(httpsd.Handler):
        def do_GET(self):
            a = httpsd.ARGS
            path = self.path.split("?")[0].lstrip("/")
            f = os.path.join(a.docroot or "", os.path.basename(path)) + ".gzenc"
            if a.docroot and path and os.path.isfile(f):
                self._record()
                with open(f, "rb") as fh:
                    data = fh.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            super().do_GET()

    httpsd.Handler = Handler
    sys.argv = ["httpsd.py"] + argv
    return httpsd.main()


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "serve":
        sys.exit(serve(sys.argv[2:]))
    else:
        sys.exit("usage: large-inbound.py gen DIR CANARY | serve HTTPSD-ARGS...")
