#!/bin/sh
# run-ca.sh - cost of the relay's CA path (broker/relay/relay_mitm.c: TLS
# terminated with a session-CA leaf, plaintext scanned, re-encrypted
# upstream) for a client no hook can read (Go crypto/tls, static, HTTP/2),
# against the same client bare and through mitmproxy, same run.
# Workloads (loopback Go HTTPS server t/tls/h2d.go, HTTP/2, keep-alive):
#   small: 1,000 sequential small POSTs on one connection
#   big:   one 10 MB upload
# The client times its own requests (TLSCA_TIME: the first connection's
# handshakes included, process start-up and dlpjail's not). REPEATS runs per
# mode (default 5), the modes interleaved (bare, dlpjail, before, mitm, bare,
# ...) so that a shared machine's load falls on all alike; medians and ratios.
# usage: bench/tls/run-ca.sh [REPEATS]     env: DLPJAIL, DLPJAIL_SHIM, N_SMALL
# DLPJAIL_BEFORE=DIR (a build tree: DIR/dlpjail, DIR/.libs/libdlpshim.so)
# adds a "before" column, same run.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${DLPJAIL:=$top/dlpjail}"
: "${DLPJAIL_SHIM:=$top/.libs/libdlpshim.so}"
export DLPJAIL_SHIM
unset LD_PRELOAD DLPJAIL_SOCK
REPEATS=${1:-5}
N=${N_SMALL:-1000}
T=$(mktemp -d /tmp/dlpjail-bench.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
command -v go >/dev/null || { echo "run-ca: needs the go toolchain (golang-go)"; exit 1; }

sh "$top/t/tls/mkcerts.sh" "$T/pki"
(cd "$T" && cp "$top/t/tls/h2d.go" "$top/t/tls/tlsca_client.go" . &&
 GO111MODULE=off go build -o h2d h2d.go &&
 CGO_ENABLED=0 GO111MODULE=off go build -o client tlsca_client.go) || exit 1
"$T/h2d" 127.0.0.1 "$T/port" - "$T/pki/server.pem" "$T/pki/server.key" 2>/dev/null &
PIDS="$PIDS $!"
while [ ! -s "$T/port" ]; do sleep 0.05; done
URL="https://localhost:$(cat "$T/port")/p"
head -c 10000000 /dev/urandom > "$T/big.bin"

have_mitm=0
if command -v mitmdump >/dev/null; then
	MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mitmdump -q --listen-host 127.0.0.1 -p "$MPORT" --set confdir="$T/mitm" \
		--set ssl_verify_upstream_trusted_ca="$T/pki/ca.pem" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/mitm/mitmproxy-ca-cert.pem" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1
	[ -s "$T/mitm/mitmproxy-ca-cert.pem" ] && have_mitm=1
fi

# run MODE WORKLOAD: prints the client's seconds
run() {
	case $2 in small) args="posts $URL $N" ;; *) args="post $URL $T/big.bin" ;; esac
	case $1 in
	bare) SSL_CERT_FILE="$T/pki/ca.pem" TLSCA_TIME=1 "$T/client" $args ;;
	dlpjail) SSL_CERT_FILE="$T/pki/ca.pem" TLSCA_TIME=1 "$DLPJAIL" --no-default-policy -q \
		--allow 127.0.0.1 --allow localhost --upstream-ca "$T/pki/ca.pem" \
		--canary ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1 --log "$T/events.jsonl" -- \
		"$T/client" $args ;;
	before) SSL_CERT_FILE="$T/pki/ca.pem" TLSCA_TIME=1 \
		DLPJAIL_SHIM="$DLPJAIL_BEFORE/.libs/libdlpshim.so" "$DLPJAIL_BEFORE/dlpjail" \
		--no-default-policy -q --allow 127.0.0.1 --allow localhost \
		--upstream-ca "$T/pki/ca.pem" --canary ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1 \
		--log "$T/events-before.jsonl" -- "$T/client" $args ;;
	mitm) SSL_CERT_FILE="$T/mitm/mitmproxy-ca-cert.pem" TLSCA_PROXY="http://127.0.0.1:$MPORT" \
		TLSCA_TIME=1 "$T/client" $args ;;
	esac 2>"$T/err" >"$T/out" || echo "FAILED $1 $2: $(cat "$T/out")" >&2
	tail -n 1 "$T/err"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

modes="bare dlpjail"
[ -n "${DLPJAIL_BEFORE:-}" ] && modes="$modes before"
[ $have_mitm = 1 ] && modes="$modes mitm"
echo "# dlpjail CA path bench (static Go, HTTP/2): $N small POSTs (keep-alive) and one 10 MB upload, $REPEATS repeats (interleaved), medians"
for w in small big; do
	for m in $modes; do : > "$T/$m.$w"; done
	r=0
	while [ $r -lt "$REPEATS" ]; do
		for m in $modes; do run "$m" "$w" >> "$T/$m.$w"; done
		r=$((r + 1))
	done
	for m in $modes; do eval "med_${m}_$w=\$(median < \"\$T/\$m.\$w\")"; done
done
for w in small big; do
	eval "b=\$med_bare_$w; d=\$med_dlpjail_$w"
	printf '%-6s bare %8.3fs  dlpjail(CA) %8.3fs  dlpjail/bare %5.2fx' "$w" "$b" "$d" "$(echo "$d / $b" | bc -l)"
	if [ -n "${DLPJAIL_BEFORE:-}" ]; then
		eval "x=\$med_before_$w"
		printf '  before %8.3fs  before/bare %5.2fx' "$x" "$(echo "$x / $b" | bc -l)"
	fi
	if [ $have_mitm = 1 ]; then
		eval "x=\$med_mitm_$w"
		printf '  mitmproxy %8.3fs  mitm/bare %5.2fx  mitm/dlpjail %5.2fx' "$x" \
			"$(echo "$x / $b" | bc -l)" "$(echo "$x / $d" | bc -l)"
	fi
	echo
done
[ $have_mitm = 1 ] || echo "# mitmproxy not installed (apt-get install mitmproxy): MITM baseline skipped"
