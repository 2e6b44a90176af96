#!/usr/bin/env python3
# loot.py - did any secret reach the attacker? Reads the collector's records
# (t/attack/collector.py JSON lines) and dnsmasq's query log, reassembles the
# split channels (/CHAN/I/CHUNK requests, I-HEX.CHAN.attacker.test names),
# decodes recursively (percent, base64 and base64url at every alignment, hex,
# gzip, JSON strings; 6 levels) and looks for every secret in every form.
# usage: loot.py SECRETS RECORDS DNSLOG [--chan CHANNEL] [--except NAME@CHANPREFIX]...
#   SECRETS: lines "NAME VALUE". Prints "NAME in CHAN (FORM)" per finding
#   (names only, never a value) and exits 1 if any; exit 0 = nothing leaked.
import base64
import binascii
import json
import re
import sys
import urllib.parse
import warnings
import zlib

warnings.simplefilter("ignore")   # unicode_escape on arbitrary bytes

args = sys.argv[1:]
secfile, recfile, dnslog = args[:3]
chan_pfx, excepts = None, []   # --chan: that channel only (and its reassembly)
i = 3
while i < len(args):
    if args[i] == "--chan":
        chan_pfx = args[i + 1]
    elif args[i] == "--except":
        excepts.append(args[i + 1].split("@", 1))
    i += 2

secrets = []
for line in open(secfile, encoding="utf-8", errors="replace"):
    name, _, val = line.rstrip("\n").partition(" ")
    if len(val) >= 8:
        secrets.append((name, val.encode()))

records = []   # (chan, bytes)
for line in open(recfile):
    r = json.loads(line)
    records.append((r["chan"], base64.b64decode(r["raw"])))
split = {}
for chan, raw in records:
    m = re.match(rb"[A-Z]+ /([^/ ?]+)/(\d+)/(\S*) HTTP", raw)
    if m:
        split.setdefault(m.group(1).decode(), {})[int(m.group(2))] = \
            urllib.parse.unquote_to_bytes(m.group(3))
dns = {}
for line in open(dnslog, errors="replace"):
    m = re.search(r"query\[\w+\] (\d+)-([0-9a-f]+)\.([a-z0-9-]+)\.attacker\.test", line)
    if m:
        dns.setdefault("dns:" + m.group(3), {})[int(m.group(1))] = m.group(2)
for chan, parts in split.items():
    records.append((chan + " (reassembled)", b"".join(parts[k] for k in sorted(parts))))
for chan, parts in dns.items():
    h = "".join(parts[k] for k in sorted(parts))
    try:
        records.append((chan + " (reassembled)", binascii.unhexlify(h[:len(h) // 2 * 2])))
    except binascii.Error:
        pass
    records.append((chan, h.encode()))

B64 = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")
HEX = re.compile(rb"(?:[0-9a-fA-F]{2}){12,}")


def decodings(b):
    if b"%" in b:
        yield "percent", urllib.parse.unquote_to_bytes(b)
    if b"\\" in b:
        try:
            yield "json", b.decode("unicode_escape").encode("latin-1", "replace")
        except (UnicodeDecodeError, ValueError):
            pass
    for m in B64.finditer(b):
        run = m.group(0).replace(b"-", b"+").replace(b"_", b"/").rstrip(b"=")
        for off in range(4):
            r = run[off:]
            r = r[:len(r) // 4 * 4 + (len(r) % 4 if len(r) % 4 > 1 else 0)]
            try:
                d = base64.b64decode(r + b"=" * (-len(r) % 4))
            except (binascii.Error, ValueError):
                continue
            if len(d) >= 8:
                yield "base64", d
    for m in HEX.finditer(b):
        yield "hex", binascii.unhexlify(m.group(0))
    for m in re.finditer(rb"\x1f\x8b\x08", b):
        try:
            yield "gzip", zlib.decompressobj(31).decompress(b[m.start():], 1 << 24)
        except zlib.error:
            pass


def find(chan, data):
    found = set()
    seen = set()
    todo = [("raw", data, 0)]
    while todo:
        form, b, depth = todo.pop()
        h = hash(b)
        if h in seen or len(seen) > 20000:
            continue
        seen.add(h)
        for name, val in secrets:
            if val in b and not any(name == n and chan.split(":", 1)[-1].startswith(c) for n, c in excepts):
                found.add((name, form))
        if depth < 6:
            for f, d in decodings(b):
                todo.append((form + ">" + f if form != "raw" else f, d, depth + 1))
    return found


bad = 0
for chan, raw in records:
    c = chan.split(":", 1)[-1]
    if chan_pfx and c != chan_pfx and not c.startswith(chan_pfx + " "):
        continue
    for name, form in sorted(find(chan, raw)):
        print("%s in %s (%s)" % (name, chan, form))
        bad = 1
sys.exit(bad)
