#!/usr/bin/env python3
# leaked.py - exit 1 if the file LOG holds any secret of $HOME's credential
# files (as given on the command line) in clear or in any encoding
# attack.py uses; prints what it found. usage: leaked.py LOG SECRET...
import base64
import sys

log = open(sys.argv[1], "rb").read()
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
