#!/bin/sh
# 399-pattern-encoded: a GitHub PAT and an AWS key id made up here (random
# base62 / base32 in the real shape, the PAT with its CRC32 tail), that no
# one told the jail about (no canary, no known secret: the detector's
# pattern alone), POSTed by a real python3 client and by curl through the
# relay to a recording loopback server under encodings the decode graph
# makes no layer of (rot47, %uXXXX, css escapes, utf-32, separators every
# 4, an octal list, base32, base64 reversed, hex reversed, ascii85, the
# whole token as one decimal or base58 number): every
# send is refused, the server gets none of them, the events name the
# detector and the encoding and never the value. The same encodings of
# close negatives (a ghp_ word too short, one that is not base62, a PAT
# whose checksum is wrong) go through.
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 col

cat > "$T/enc.py" <<'EOF'
import base64, http.client, random, sys, zlib

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
r = random.SystemRandom()


def pat(ok=True):
    body = "".join(r.choice(B62) for _ in range(30))
    n = zlib.crc32(body.encode()) ^ (0 if ok else 1)
    tail = ""
    for _ in range(6):
        tail = B62[n % 62] + tail
        n //= 62
    return ("ghp_" + body + tail).encode()


def akia():
    return ("AKIA" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))).encode()


def rot47(s):
    return bytes(33 + (c - 33 + 47) % 94 if 33 <= c <= 126 else c for c in s)


def big(s, alpha):
    n, o = int.from_bytes(s, "big"), ""
    while n:
        n, d = divmod(n, len(alpha))
        o = alpha[d] + o
    return o.encode()


ENC = {
    "rot47": rot47,
    "percent-u": lambda s: "".join("%%u%04x" % c for c in s).encode(),
    "css": lambda s: "".join("\\%x " % c for c in s).encode(),
    "utf32le": lambda s: s.decode().encode("utf-32-le"),
    "sep4-dash": lambda s: b"-".join(s[i:i + 4] for i in range(0, len(s), 4)),
    "octal-list": lambda s: " ".join("%o" % c for c in s).encode(),
    "base32": lambda s: base64.b32encode(b"token=" + s),
    "base64-reversed": lambda s: base64.b64encode(s)[::-1],
    "hex-reversed": lambda s: s.hex().encode()[::-1],
    "ascii85": lambda s: base64.a85encode(s),
    "decimal": lambda s: str(int.from_bytes(s, "big")).encode(),
    "base58": lambda s: big(s, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),
}


def send(port, body):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/v", body=body, headers={"Content-Type": "text/plain"})
        c.getresponse().read()
        c.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


mode, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "write":            # bodies for curl, and the values for the checks
    with open(out + "/values", "w") as f:
        t = pat()
        f.write(t.decode() + "\n")
        for name in ("rot47", "octal-list"):
            open("%s/curl-%s" % (out, name), "wb").write(ENC[name](t))
    sys.exit(0)
vals = [("pat", pat()), ("akia", akia())]
negs = [("short", b"ghp_" + pat()[4:24]), ("word", b"ghp_readme_section_title_in_docs_x"),
        ("badcrc", pat(ok=False))]
with open(out, "w") as f:
    for who, v in vals:
        f.write(v.decode() + "\n")
for who, v in vals:
    for name, e in ENC.items():
        if who == "akia" and name not in ("rot47", "percent-u", "utf32le", "base32", "decimal"):
            continue
        print("%s:%s %s" % (who, name, "sent" if send(port, e(v)) else "blocked"), flush=True)
for who, v in negs:
    for name, e in ENC.items():
        print("neg-%s:%s %s" % (who, name, "sent" if send(port, e(v)) else "blocked"), flush=True)
EOF

J="--no-default-policy --log $T/events.jsonl --allow 127.0.0.1 --no-canaries -q"
"$DLPJAIL" $J -- python3 "$T/enc.py" send "$col_PORT" "$T/pyvalues" > "$T/py.out" 2>>"$T/jail.err"
sed 's/^/# /' "$T/py.out"
npos=$(grep -c '^\(pat\|akia\):' "$T/py.out")
check "python3: $npos encoded tokens sent, every one blocked" sh -c \
	"[ $npos -eq 17 ] && [ \$(grep -c '^\(pat\|akia\):.* blocked\$' '$T/py.out') -eq 17 ]"
check "close negatives under the same encodings all go out" sh -c \
	"[ \$(grep -c '^neg-.* sent\$' '$T/py.out') -eq 36 ] && ! grep -q '^neg-.* blocked\$' '$T/py.out'"
check "the events name the detectors and the encodings" sh -c \
	"grep '\"detector\":\"github-pat\"' '$T/events.jsonl' | grep -q 'rot47' &&
	 grep '\"detector\":\"github-pat\"' '$T/events.jsonl' | grep -q 'base64-reversed' &&
	 grep '\"detector\":\"aws-access-key-id\"' '$T/events.jsonl' | grep -q 'utf32le'"

# curl: the same through another client, body from a file
python3 "$T/enc.py" write 0 "$T"
for name in rot47 octal-list; do
	code=$("$DLPJAIL" $J -- curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/curl-$name" \
		"http://127.0.0.1:$col_PORT/c" 2>>"$T/jail.err")
	check "curl: a PAT as $name is refused (got '$code')" [ "$code" != 200 ]
done
cat "$T/pyvalues" "$T/values" > "$T/all"
check "the collector received none of the tokens (decoded or not)" python3 - "$col_LOG" "$T" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
exec(open(sys.argv[2] + "/enc.py").read().split("def send")[0])
log = open(sys.argv[1], "rb").read()
for v in open(sys.argv[2] + "/all").read().split():
    v = v.encode()
    for name, e in ENC.items():
        if e(v) in log:
            sys.exit("%s as %s reached the server" % (v[:6], name))
sys.exit(0)
EOF
check "no event holds a token unredacted" python3 -c '
import sys
ev = open(sys.argv[1]).read()
for v in open(sys.argv[2]).read().split():
    if v in ev or v[8:24] in ev:
        sys.exit(1)
' "$T/events.jsonl" "$T/all"
finish
