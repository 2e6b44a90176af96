#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# battery_keys.py - long known secrets reshaped (branch long-secrets): a
# real ed25519 and RSA key (ssh-keygen) and a PKCS#8 RSA key (openssl)
# generated into a temp dir, registered as the session registers
# ~/.ssh/id_* (`dlpjail scan --key FILE`), each sent in every shape of
# SHAPES as an HTTP POST body. Prints caught/total per shape; --miss lists
# what got through. Close negatives (public keys, known_hosts, another
# key) must pass: printed as "false" blocks.
#
# Usage: bench/relay/battery_keys.py [--dlpjail PATH] [--miss] [--shape RE]
import argparse
import base64
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import zlib

from battery_tally import scan_blocked, tally


def body_lines(k):
    return [ln for ln in k.split(b"\n") if ln and not ln.startswith(b"-----") and b":" not in ln]


def body(k):
    return b"".join(body_lines(k))


def blob(k):
    return base64.b64decode(body(k))


def wrap(s, n, sep=b"\n"):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


def armor(k):
    ls = k.split(b"\n")
    return ls[0], [ln for ln in ls if ln.startswith(b"-----END")][0]


def rewrap(k, n, sep=b"\n"):
    b, e = armor(k)
    return b + sep + wrap(body(k), n, sep) + sep + e + sep


def center(k):
    """A blob offset inside private material: the middle of an ed25519
    seed (the 32 bytes before the last copy of the public key), else 4/5
    into the blob (RSA d, p, q, qinv in either format; the modulus, public,
    comes first)."""
    b = blob(k)
    if b.startswith(b"openssh-key-v1") and b"ssh-ed25519" in b:
        pub = b[b.rindex(b"ssh-ed25519") + 15: b.rindex(b"ssh-ed25519") + 47]
        return b.rindex(pub) - 16
    return len(b) * 4 // 5


def around(s, c, n):
    return s[max(0, c - n // 2): max(0, c - n // 2) + n]


def middle(k, nl):
    ls, c, o = body_lines(k), center(k) * 4 // 3, 0
    for i, ln in enumerate(ls):
        if o + len(ln) > c:
            return b"\n".join(ls[i:i + nl])
        o += len(ln)


SHAPES = {
    "raw": lambda k: k,
    "body-joined": body,
    "rewrap64": lambda k: rewrap(k, 64),
    "rewrap76": lambda k: rewrap(k, 76),
    "rewrap80": lambda k: rewrap(k, 80),
    "rewrap50": lambda k: rewrap(k, 50),
    "crlf": lambda k: k.replace(b"\n", b"\r\n"),
    "json-string": lambda k: json.dumps({"k": k.decode()}).encode(),
    "json-rewrap76": lambda k: json.dumps({"k": rewrap(k, 76).decode()}).encode(),
    "indented": lambda k: b"".join(b"    " + ln + b"\n" for ln in k.split(b"\n")),
    "yaml-block": lambda k: b"key: |\n" + b"".join(b"  " + ln + b"\n" for ln in k.split(b"\n")),
    "middle-2-lines": lambda k: middle(k, 2),
    "middle-1-line": lambda k: middle(k, 1),
    "body-half": lambda k: body(k)[len(body(k)) // 2:],
    "body-40chars": lambda k: around(body(k), center(k) * 4 // 3, 40),
    "body-32chars": lambda k: around(body(k), center(k) * 4 // 3, 32),
    "blob-24-raw": lambda k: around(blob(k), center(k), 24),
    "b64-file": lambda k: base64.b64encode(k),
    "b64-file+1": lambda k: base64.b64encode(b"x" + k),
    "b64-file+2": lambda k: base64.b64encode(b"xy" + k),
    "b64-file-wrapped": lambda k: base64.encodebytes(k),
    "b64url-file": lambda k: base64.urlsafe_b64encode(k),
    "b64-body": lambda k: base64.b64encode(body(k)),
    "b64-rewrap64": lambda k: base64.b64encode(rewrap(k, 64)),
    "kubeconfig": lambda k: b"users:\n- name: u\n  user:\n    client-key-data: " + base64.b64encode(k) + b"\n",
    "hex-file": lambda k: k.hex().encode(),
    "hex-blob": lambda k: blob(k).hex().encode(),
    "hex-blob-40": lambda k: around(blob(k), center(k), 40).hex().encode(),
    "hex-blob-24": lambda k: around(blob(k), center(k), 24).hex().encode(),
    "b64-blob-shift1": lambda k: base64.b64encode(b"x" + blob(k)),
    "gzip-file": lambda k: gzip.compress(k),
    "b64-gzip-file": lambda k: base64.b64encode(gzip.compress(k)),
    "zlib-body": lambda k: zlib.compress(body(k)),
    "urlenc-file": lambda k: urllib.parse.quote(k, safe="").encode(),
    "form-file": lambda k: b"k=" + urllib.parse.quote_plus(k).encode(),
    "urlenc-body": lambda k: urllib.parse.quote(rewrap(k, 64), safe="").encode(),
    "gcp-sa-json": lambda k: json.dumps({"type": "service_account", "project_id": "p",
                                         "private_key_id": "ab12", "private_key": k.decode(),
                                         "client_email": "x@p.iam.gserviceaccount.com"}, indent=2).encode(),
    "json-lines-array": lambda k: json.dumps(body_lines(k) and [ln.decode() for ln in body_lines(k)]).encode(),
    "body-reversed": lambda k: body(k)[::-1],
    "body-sep-space": lambda k: b" ".join(body_lines(k)),
    "body-every4-dash": lambda k: wrap(body(k), 4, b"-"),
}


def gen(d):
    ks = {}
    for t, args in (("ed25519", ["-t", "ed25519"]), ("rsa", ["-t", "rsa", "-b", "3072"])):
        p = os.path.join(d, "id_" + t)
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", "u@h", "-f", p] + args, check=True)
        ks[t] = p
    p = os.path.join(d, "pkcs8.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", p], check=True, capture_output=True)
    ks["pkcs8"] = p
    o = os.path.join(d, "other")
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", o], check=True)
    return ks, o


def post(body):
    return (b"POST /u HTTP/1.1\r\nHost: x.example\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlpjail", default=os.path.join(os.path.dirname(__file__), "../../dlpjail"))
    ap.add_argument("--miss", action="store_true")
    ap.add_argument("--shape", default="")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        ks, other = gen(d)
        files = []
        for shape, f in SHAPES.items():
            if a.shape and not re.search(a.shape, shape):
                continue
            for t, kp in ks.items():
                body = f(open(kp, "rb").read())
                p = os.path.join(d, "c%04d" % len(files))
                open(p, "wb").write(post(body))
                files.append((p, shape, t))
        pem = os.path.join(d, "pkcs8.pub")
        subprocess.run(["openssl", "pkey", "-in", ks["pkcs8"], "-pubout", "-out", pem], check=True)
        crt = os.path.join(d, "pkcs8.crt")
        subprocess.run(["openssl", "req", "-x509", "-key", ks["pkcs8"], "-subj", "/CN=u", "-days", "2",
                        "-out", crt], check=True, capture_output=True)
        crt2 = os.path.join(d, "rsa.crt")   # the OpenSSH RSA key is PEM-readable too
        subprocess.run(["ssh-keygen", "-q", "-e", "-m", "PKCS8", "-f", ks["rsa"] + ".pub"], check=True,
                       stdout=open(crt2, "wb"))
        negs = [("pkcs8-pubout", open(pem, "rb").read()), ("pkcs8-cert", open(crt, "rb").read()),
                ("kube-cert", b"client-certificate-data: " + base64.b64encode(open(crt, "rb").read())),
                ("rsa-pub-pkcs8", open(crt2, "rb").read()),
                ("cert-der-hex", base64.b64decode(b"".join(body_lines(open(crt, "rb").read()))).hex().encode())]
        negs = [(n, b) for n, b in negs]
        for name, body in negs[:] + [("pub-ed25519", open(ks["ed25519"] + ".pub", "rb").read()),
                           ("pub-rsa", open(ks["rsa"] + ".pub", "rb").read()),
                           ("other-key", open(other, "rb").read()),
                           ("other-pub", open(other + ".pub", "rb").read()),
                           ("known_hosts", b"h1 " + open(other + ".pub", "rb").read().split(b" ")[0] + b" "
                            + open(other + ".pub", "rb").read().split(b" ")[1] + b"\n")]:
            p = os.path.join(d, "n-" + name)
            open(p, "wb").write(post(body))
            negs.append((p, name))
        negs = [x for x in negs if x[0].startswith(d)]
        cmd = [a.dlpjail, "scan", "--json"]
        for kp in ks.values():
            cmd += ["--key", kp]
        got = scan_blocked(cmd, [p for p, _, _ in files] + [p for p, _ in negs])
    miss = tally(files, got)
    fp = [n for p, n in negs if got.get(p)]
    print("negatives blocked: %d/%d %s" % (len(fp), len(negs), " ".join(fp)))
    if a.miss:
        print("missed:", " ".join(miss))


if __name__ == "__main__":
    sys.exit(main())
