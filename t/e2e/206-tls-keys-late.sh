#!/bin/sh
# 206-tls-keys-late: the key path with keys handed over asynchronously
# (issue 11 bench work). The hooks post the handshake and server keys to
# the broker without waiting (only the claim and the client's application
# key are answered), so the relay must hold every record until its key is
# in the table. Checked: many new sessions in a row from curl (OpenSSL),
# python3 (_ssl), node and wget (GnuTLS) arrive byte for byte and a canary
# among them is refused; with a broker that handles each posted line late
# (DLPJAIL_TEST_KEYLOG_DELAY_MS, a busy broker) sessions still work and a
# canary is still refused; with one too late for the relay's wait, the
# session is reset and nothing of it reaches the server.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
need_relay

make_ca
mkdir -p "$T/saved"
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
start_https 127.0.0.1 w4 --save "$T/saved"
J="--allow 127.0.0.1 --canary $TOKEN"
U="https://localhost:$w4_PORT"
C="curl -sS --http1.1 --cacert $CA"

# curl: 12 new TLS 1.3 sessions (Connection: close), each body its own file;
# the 8th carries the canary
: > "$T/urls"
i=1
while [ $i -le 12 ]; do
	head -c $((3000 + i * 517)) /dev/urandom > "$T/b$i.bin"
	[ $i = 8 ] && printf 'token=%s' "$TOKEN" > "$T/b$i.bin"
	# options hold per URL only up to "next"
	printf 'url = "%s/save/c%d"\ndata-binary = "@%s/b%d.bin"\noutput = "/dev/null"\n' \
		"$U" $i "$T" $i >> "$T/urls"
	printf 'cacert = "%s"\nhttp1.1\ntlsv1.3\nsilent\nshow-error\n' "$CA" >> "$T/urls"
	printf 'header = "Connection: close"\nnext\n' >> "$T/urls"
	i=$((i + 1))
done
: > "$T/events.jsonl"
out=$(jail $J -- curl -K "$T/urls" 2>&1)
ok_all=1
for i in 1 2 3 4 5 6 7 9 10 11 12; do cmp -s "$T/b$i.bin" "$T/saved/c$i" || ok_all=0; done
check "curl: 11 clean bodies on 11 new sessions arrive byte for byte ($out)" [ $ok_all = 1 ]
check "curl: the canary on the 8th session is refused" has "$out" 'dlpjail: blocked TLS send to localhost'
check "curl: ... and never reaches the server" [ ! -e "$T/saved/c8" ]
check "curl: found by the relay in decrypted bytes" event_has '"detector":"canary"' \
	'"action":"blocked"' '"layers":"relay>tls-plaintext'
check "curl: no session waited in vain for its keys" sh -c "! grep -q 'never came' '$T/events.jsonl'"

# python3 (_ssl, loaded RTLD_LOCAL): 4 new sessions, TLS 1.3 and 1.2
cat > "$T/py.py" <<PY
import http.client, ssl, sys
port = int(sys.argv[1])
for i, v in enumerate([ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2] * 2):
    ctx = ssl.create_default_context(cafile="$CA")
    ctx.maximum_version = v
    c = http.client.HTTPSConnection("localhost", port, context=ctx)
    c.request("POST", "/save/p%d" % i, body=b"python body %d " % i * 300)
    print(c.getresponse().read().decode().strip())
    c.close()
PY
out=$(jail $J -- python3 "$T/py.py" "$w4_PORT" 2>&1)
ok_all=1
for i in 0 1 2 3; do
	python3 -c "import sys; sys.exit(open('$T/saved/p$i','rb').read() != b'python body $i ' * 300)" \
		2>/dev/null || ok_all=0
done
check "python3: 4 new sessions (TLS 1.3, 1.2) arrive byte for byte ($out)" [ $ok_all = 1 ]

# node: 3 new sessions (no agent: no reuse)
if command -v node >/dev/null; then
	cat > "$T/n.js" <<JS
const https = require('https'), fs = require('fs');
const ca = fs.readFileSync('$CA');
let i = 0;
function one() {
	if (i === 3) return;
	const body = 'node body ' + i + ' '.repeat(1000);
	const r = https.request({ host: 'localhost', port: $w4_PORT, path: '/save/n' + i, method: 'POST',
		ca, agent: false }, res => { res.resume(); res.on('end', () => { i++; one(); }); });
	r.on('error', e => { console.log('error ' + e.message); process.exit(1); });
	r.end(body);
}
one();
JS
	out=$(jail $J -- node "$T/n.js" 2>&1)
	ok_all=1
	for i in 0 1 2; do
		python3 -c "import sys; sys.exit(open('$T/saved/n$i','rb').read() != b'node body $i' + b' ' * 1000)" \
			2>/dev/null || ok_all=0
	done
	check "node: 3 new sessions arrive byte for byte ($out)" [ $ok_all = 1 ]
fi

# wget (GnuTLS): 2 sessions
if command -v wget >/dev/null; then
	printf 'wget body one' > "$T/w1"
	out=$(jail $J -- sh -c "wget -q --tries=1 -O- --ca-certificate=$CA --post-file=$T/w1 $U/save/w1 &&
		wget -q --tries=1 -O- --ca-certificate=$CA --post-file=$T/w1 $U/save/w2" 2>&1)
	check "wget (GnuTLS): 2 sessions arrive byte for byte ($out)" \
		sh -c "cmp -s '$T/w1' '$T/saved/w1' && cmp -s '$T/w1' '$T/saved/w2'"
fi

# a broker that handles each posted key line 300 ms late: records wait, then pass
head -c 50000 /dev/urandom > "$T/late.bin"
: > "$T/events.jsonl"
out=$(DLPJAIL_TEST_KEYLOG_DELAY_MS=300 jail $J -- $C --tlsv1.3 --data-binary @"$T/late.bin" \
	"$U/save/late" 2>&1)
check "late keys: the upload arrives byte for byte once they came ($out)" \
	cmp -s "$T/late.bin" "$T/saved/late"
out=$(DLPJAIL_TEST_KEYLOG_DELAY_MS=300 jail $J -- $C --tls-max 1.2 "$U/q?t=$TOKEN" 2>&1)
check "late keys: a canary is still refused (TLS 1.2)" has "$out" 'dlpjail: blocked TLS send'

# too late for the relay (3 s): reset, and nothing of the session arrives
: > "$T/events.jsonl"
: > "$w4_LOG"
out=$(DLPJAIL_TEST_KEYLOG_DELAY_MS=2500 jail $J -- $C --tlsv1.3 -d "never-$TOKEN" \
	"$U/save/never" 2>&1); rc=$?
check "keys too late: the client fails ($rc)" [ "$rc" -ne 0 ]
check "keys too late: nothing reached the server" [ ! -e "$T/saved/never" ]
check "keys too late: the relay says the keys never came" event_has '"rule":"relay-tls"' \
	'"action":"blocked"' 'never came'
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
