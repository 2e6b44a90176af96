#!/usr/bin/env python3
# genmods.py - static stand-ins for a GOPROXY, cargo's sparse index and a gem index.
# usage: genmods.py DIR   (served by regserver.py with REG_STATIC=DIR)
#   DIR/dlpt.test/hello/@v/{list,v1.0.0.info,v1.0.0.mod,v1.0.0.zip}  module dlpt.test/hello
#   DIR/config.json, DIR/dl/pt/dlptx, DIR/crates/dlptx/0.1.0/download  crate dlptx 0.1.0
#   DIR/api/v1/dependencies, DIR/specs.4.8.gz                          a gem index (GETs)
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

root = sys.argv[1]


def put(rel, data):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# a Go module in the module-zip layout (MODULE@VERSION/ prefix on every file)
mod, ver = "dlpt.test/hello", "v1.0.0"
gomod = "module %s\n\ngo 1.19\n" % mod
z = io.BytesIO()
with zipfile.ZipFile(z, "w") as zf:
    zf.writestr("%s@%s/go.mod" % (mod, ver), gomod)
    zf.writestr("%s@%s/hello.go" % (mod, ver),
                "package hello\n\nfunc Hello() string { return \"hello from dlpt\" }\n")
put("%s/@v/list" % mod, ver + "\n")
put("%s/@v/%s.info" % (mod, ver), json.dumps({"Version": ver, "Time": "2024-01-01T00:00:00Z"}))
put("%s/@v/%s.mod" % (mod, ver), gomod)
put("%s/@v/%s.zip" % (mod, ver), z.getvalue())

# a crate on the sparse protocol (index.crates.io/config.json names static.crates.io)
crate, cver = "dlptx", "0.1.0"
t = io.BytesIO()
with tarfile.open(fileobj=t, mode="w:gz") as tf:
    for name, body in (("Cargo.toml", '[package]\nname = "%s"\nversion = "%s"\nedition = "2021"\n'
                        % (crate, cver)),
                       ("src/lib.rs", "pub fn hello() -> &'static str { \"hello from dlptx\" }\n")):
        b = body.encode()
        ti = tarfile.TarInfo("%s-%s/%s" % (crate, cver, name))
        ti.size, ti.mtime, ti.mode = len(b), 1700000000, 0o644
        tf.addfile(ti, io.BytesIO(b))
data = t.getvalue()
put("config.json", json.dumps({"dl": "https://static.crates.io/crates", "api": "https://crates.io"}))
put("dl/pt/" + crate, json.dumps({"name": crate, "vers": cver, "deps": [], "features": {},
                                  "cksum": hashlib.sha256(data).hexdigest(), "yanked": False}) + "\n")
put("crates/%s/%s/download" % (crate, cver), data)

# what gem install GETs first (the content does not matter to a curl named gem)
put("api/v1/dependencies", b"")
put("specs.4.8.gz", gzip.compress(b"\x04\x08[\x00"))
