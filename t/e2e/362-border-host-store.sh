#!/bin/sh
# 362-border-host-store: without a CA path (--no-tls-ca), the border swaps a
# placeholder on the key path only for an upstream whose certificate the
# host's trust store proves for the home name. That store is read on demand
# (broker/relay/tls_roots.h): from the hashed directory (SSL_CERT_DIR), and
# from the bundle file (SSL_CERT_FILE) only for an issuer the directory
# lacks. Both sources must still be honoured, and nothing else trusted.
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
command -v curl >/dev/null || skip "curl not installed"
command -v openssl >/dev/null || skip "openssl not installed"
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" "DNS:github.com" ||
	{ echo "cannot make test certificates"; exit 99; }
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/bad" "DNS:github.com" ||
	{ echo "cannot make test certificates"; exit 99; }

TOKEN=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   # valid CRC32 tail (as in 360)
export GH_TOKEN="$TOKEN" HOME="$T/home"
mkdir -p "$HOME" "$T/empty" "$T/hashed"
cp "$CA" "$T/hashed/" && openssl rehash "$T/hashed" 2>/dev/null ||
	{ echo "cannot hash the test CA"; exit 99; }

# srv NAME PKI: t/swap/swapsrv.py on 127.0.0.1 with $T/PKI's certificate
srv() {
	python3 "$top_srcdir/t/swap/swapsrv.py" 127.0.0.1 "$T/$1.port" "$T/$1.log" \
		--tls "$T/$2/server.pem" "$T/$2/server.key" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$1.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$1.port" ] || { echo "cannot start swapsrv"; exit 99; }
	touch "$T/$1.log"
}
srv good pki
srv bad bad
good_PORT=$(cat "$T/good.port") bad_PORT=$(cat "$T/bad.port")
J="--no-default-policy --no-tls-ca --log $T/events.jsonl -P git --allow github.com --allow 127.0.0.1"
# tj FILE DIR PORT CAFILE: a Bearer placeholder to github.com, the host's
# store given by SSL_CERT_FILE=FILE and SSL_CERT_DIR=DIR (the broker's)
tj() {
	: > "$T/events.jsonl"
	SSL_CERT_FILE=$1 SSL_CERT_DIR=$2 timeout 30 "$DLPJAIL" $J -q -- sh -c \
		"curl -sS --http1.1 --cacert $4 -H \"Authorization: Bearer \$GH_TOKEN\" https://github.com:$3/x" 2>&1
}
has_real() { grep -qaF "$TOKEN" "$1"; }
has_ph() { grep -aoE 'ghp_[A-Za-z0-9]{36}' "$1" | grep -qvxF "$TOKEN"; }
swapped() { has_real "$1" && ! has_ph "$1"; }
refused() { ! has_real "$1" && ! has_ph "$1" && event_has '"rule":"placeholder"' '"action":"blocked"'; }

: > "$T/good.log"
out=$(tj "$CA" "$T/empty" "$good_PORT" "$CA")
check "host store from the bundle file (SSL_CERT_FILE): the placeholder arrives as the real token ($out)" \
	swapped "$T/good.log"
: > "$T/good.log"
out=$(tj "$T/empty/none.pem" "$T/hashed" "$good_PORT" "$CA")
check "host store from the hashed directory (SSL_CERT_DIR): the placeholder arrives as the real token ($out)" \
	swapped "$T/good.log"
: > "$T/good.log"
out=$(tj "$T/empty/none.pem" "$T/empty" "$good_PORT" "$CA")
check "a store that holds neither: no swap, refused ($out)" refused "$T/good.log"
: > "$T/bad.log"
out=$(tj "$CA" "$T/hashed" "$bad_PORT" "$T/bad/ca.pem")
check "github.com by a CA the host's store does not hold: no swap, refused ($out)" refused "$T/bad.log"
finish
