#!/bin/sh
# 341-tls-ca-trust-now: the CA path's upstream leg trusts what the trust
# store holds now, also for a resumed session (broker/relay/tls_resume.c
# rl_resume_up_check, tls_roots.c rl_roots_live_*). A static Go client
# (no hooks: the CA path) GETs a loopback h2 server three times, each a new
# process: full upstream handshake, then a resumed one (the broker's own
# session cache); then the test CA's root is taken out of the file given as
# --upstream-ca, within the session's lifetime: the next connection resumes
# that same session and must fail (deny event, nothing served); with the
# root back, it works again.
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
command -v go >/dev/null || skip "no go toolchain (Debian: golang-go)"
command -v openssl >/dev/null || skip "openssl not installed"
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" "DNS:*.allowed.test" ||
	{ echo "cannot make test certificates"; exit 99; }
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/other" ||
	{ echo "cannot make test certificates"; exit 99; }
(cd "$T" && cp "$top_srcdir/t/tls/h2d.go" "$top_srcdir/t/tls/tlsca_client.go" . &&
 GO111MODULE=off timeout 120 go build -o h2d h2d.go &&
 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o gostatic tlsca_client.go) ||
	{ echo "cannot build the Go helpers"; exit 99; }
mkdir -p "$T/save"
"$T/h2d" 127.0.0.1 "$T/h2.port" "$T/h2.log" "$T/pki/server.pem" "$T/pki/server.key" \
	"$T/save" 2>/dev/null &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/h2.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/h2.port" ] || { echo "cannot start h2d"; exit 99; }
U="https://www.allowed.test:$(cat "$T/h2.port")"
cp "$T/pki/ca.pem" "$T/trust.pem"
# the store the broker uses: the test root, or only another one
cat > "$T/run.sh" <<SH
get() { "$T/gostatic" get "$U/\$1" 2>&1 | head -c 300; echo; }
echo "1: \$(get one)"
echo "2: \$(get two)"
cp "$T/other/ca.pem" "$T/trust.pem.new" && mv "$T/trust.pem.new" "$T/trust.pem"
echo "3: \$(get three)"
cp "$T/pki/ca.pem" "$T/trust.pem.new" && mv "$T/trust.pem.new" "$T/trust.pem"
echo "4: \$(get four)"
SH
out=$(timeout 60 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" -v -v \
      --allow '*.allowed.test' --allow 127.0.0.1 --upstream-ca "$T/trust.pem" \
      -- sh "$T/run.sh" 2> "$T/err.log")
hs=$(grep 'CA path handshakes' "$T/err.log")
echo "$out" | sed 's/^/# /'
check "the first GET works (full handshake)" has "$out" '^1: .*200'
check "the second GET works (resumed upstream)" has "$out" '^2: .*200'
check "the broker resumed upstream sessions ($hs)" has "$hs" 'upstream leg [0-9]* full, [1-9][0-9]* resumed'
check "after the root left the trust store, the resumed session is refused" \
	sh -c "! echo '$out' | grep -q '^3: .*200'"
check "...nothing served for it" sh -c "! grep -q three '$T/h2.log'"
check "...with a deny event naming the resumed session" \
	event_has '"verdict":"deny"' '"rule":"relay-tls-upstream"' 'resumed upstream session'
check "with the root back, it works again" has "$out" '^4: .*200'
finish
