#!/bin/sh
# run-conns.sh - what one CA-path connection costs (broker/relay/relay_mitm.c),
# the load pnpm puts on it against an HTTP/1.1 registry: N GETs, a new TLS
# connection each (t/tls/tlsca_client.go `conns`, static Go, HTTP/1.1), to a
# loopback Go HTTPS server (t/tls/h2d.go), bare and under dlpjail, with the
# client's TLS sessions resumed (as rustls does) and without (every handshake
# full on both legs). CPU = perf stat task-clock of the whole tree (broker
# included), medians of REPEATS interleaved runs; per connection =
# (jail - bare) / N, dlpjail's own start included (~7 ms, i.e. 7/N ms).
# usage: bench/tls/run-conns.sh [REPEATS]   env: N_CONNS (200), BYTES (response
# size, 2000), DLPJAIL, DLPJAIL_SHIM, DLPJAIL_BEFORE=DIR (a build tree: adds a
# "before" column, same run), TASKSET="taskset -c 1" (pin everything)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${DLPJAIL:=$top/dlpjail}"
: "${DLPJAIL_SHIM:=$top/.libs/libdlpshim.so}"
export DLPJAIL_SHIM
unset LD_PRELOAD DLPJAIL_SOCK
REPEATS=${1:-5}
N=${N_CONNS:-200}
T=$(mktemp -d /tmp/dlpjail-bench.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
command -v go >/dev/null || { echo "run-conns: needs the go toolchain (golang-go)"; exit 1; }
command -v perf >/dev/null || { echo "run-conns: needs perf"; exit 1; }

sh "$top/t/tls/mkcerts.sh" "$T/pki" >/dev/null 2>&1
(cd "$T" && cp "$top/t/tls/h2d.go" "$top/t/tls/tlsca_client.go" . &&
 GO111MODULE=off go build -o h2d h2d.go &&
 CGO_ENABLED=0 GO111MODULE=off go build -o client tlsca_client.go) || exit 1
"$T/h2d" 127.0.0.1 "$T/port" - "$T/pki/server.pem" "$T/pki/server.key" 2>/dev/null &
PIDS="$PIDS $!"
while [ ! -s "$T/port" ]; do sleep 0.05; done
URL="https://localhost:$(cat "$T/port")/x?bytes=${BYTES:-2000}"

# run MODE: one run, prints the CPU ms of the whole tree
run() {
	case $1 in
	bare) set -- ;;
	jail) set -- "$DLPJAIL" ;;
	before) set -- env DLPJAIL_SHIM="$DLPJAIL_BEFORE/.libs/libdlpshim.so" \
		"$DLPJAIL_BEFORE/dlpjail" ;;
	esac
	[ $# -gt 0 ] && set -- "$@" --no-default-policy -q --allow 127.0.0.1 --allow localhost \
		--upstream-ca "$T/pki/ca.pem" --
	SSL_CERT_FILE="$T/pki/ca.pem" ${TASKSET:-} perf stat -x, -e task-clock -o "$T/cpu" -- \
		"$@" "$T/client" conns "$URL" "$N" > "$T/out" 2>&1 ||
		{ echo "run-conns: $*: $(tail -n 3 "$T/out")" >&2; exit 1; }
	awk -F, '/task-clock/ {printf "%.1f\n", $1}' "$T/cpu"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

modes="bare jail"
[ -n "${DLPJAIL_BEFORE:-}" ] && modes="$modes before"
echo "# CA path, $N connections of one GET (${BYTES:-2000} bytes) each, $REPEATS runs interleaved, CPU ms medians"
printf '%-10s %8s %8s %8s %12s' sessions bare jail ratio "ms/conn"
[ -n "${DLPJAIL_BEFORE:-}" ] && printf ' %8s %12s' before "ms/conn bef"
echo
for res in resumed full; do
	if [ $res = full ]; then TLSCA_NO_RESUME=1; export TLSCA_NO_RESUME; fi
	for m in $modes; do : > "$T/$m"; done
	r=0
	while [ $r -lt "$REPEATS" ]; do
		for m in $modes; do run $m >> "$T/$m"; done
		r=$((r + 1))
	done
	b=$(median < "$T/bare") j=$(median < "$T/jail")
	printf '%-10s %8s %8s %8.2f %12.3f' $res "$b" "$j" "$(echo "$j / $b" | bc -l)" \
		"$(echo "($j - $b) / $N" | bc -l)"
	if [ -n "${DLPJAIL_BEFORE:-}" ]; then
		o=$(median < "$T/before")
		printf ' %8s %12.3f' "$o" "$(echo "($o - $b) / $N" | bc -l)"
	fi
	echo
done
