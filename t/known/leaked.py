#!/usr/bin/env python3
# leaked.py - exit 1 if the file LOG holds any secret of $HOME's credential
# files (as given on the command line) in clear or in any encoding
# attack.py uses, or rebuilt from the byte-per-request and two-connection
# sends; prints what it found. usage: leaked.py LOG SECRET...
import base64
import sys

import urllib.parse

log = open(sys.argv[1], "rb").read()
# what arrived split: the d= query values in order, and the /h1 /h2 bodies
# (the quarters over two connections)
joined = b""
halves = b""
for entry in log.split(b"\n--\n"):
    first = entry.split(b"\n", 1)[0]
    if first.startswith(b"GET /c?") and b"&d=" in first:
        q = first.split(b" ")[1].split(b"&d=", 1)[1]
        joined += urllib.parse.unquote_to_bytes(q)
    if first.startswith(b"POST /h1 ") or first.startswith(b"POST /h2 "):
        halves += entry.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in entry else entry.split(b"\n\n", 1)[-1]
log = log + b"\n" + joined + b"\n" + halves
bad = 0
for s in sys.argv[2:]:
    v = s.encode()
    forms = {"raw": v, "reversed": v[::-1], "xor5a": bytes(b ^ 0x5A for b in v),
             "xor33": bytes(b ^ 0x33 for b in v), "utf16le": s.encode("utf-16-le"),
             "utf16be": s.encode("utf-16-be"), "hex": v.hex().encode()}
    for o in range(3):
        e = base64.b64encode(b"\x01\x02"[:o] + v)
        forms["base64+%d" % o] = e[4 if o else 0:-4]
        e = base64.b64encode(b"\x07"[:o] + v) if o == 1 else None
        if e:
            forms["node-base64+1"] = e[4:-4]
    for how, f in forms.items():
        if f and f in log:
            print("LEAKED %s as %s" % (s[:4] + "...", how))
            bad = 1
sys.exit(bad)
