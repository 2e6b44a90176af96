#!/bin/sh
# run-resume.sh - cost of the CA path's upstream resumption check
# (broker/relay/tls_resume.c rl_resume_up_check: the kept peer chain
# verified again against the trust store as it is now; tls_roots.c: the
# store's files stat()ed per connection). One static Go client makes N
# (default 200) sequential HTTPS GETs, each on a new connection, through
# dlpjail's CA path to a loopback Go server: all but the first resume on
# both legs. CPU of the whole run (perf stat task-clock, or user+sys from
# /usr/bin/time), REPEATS rounds (default 5), before and after interleaved,
# medians and the ratio.
# usage: DLPJAIL_BEFORE=DIR bench/tls/run-resume.sh [REPEATS]   env: N
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${DLPJAIL:=$top/dlpjail}"
REPEATS=${1:-5}
N=${N:-200}
T=$(mktemp -d /tmp/dlpjail-bench.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
command -v go >/dev/null || { echo "run-resume: needs the go toolchain (golang-go)"; exit 1; }
sh "$top/t/tls/mkcerts.sh" "$T/pki"
(cd "$T" && cp "$top/t/tls/h2d.go" "$top/t/tls/tlsca_client.go" . &&
 GO111MODULE=off go build -o h2d h2d.go &&
 CGO_ENABLED=0 GO111MODULE=off go build -o client tlsca_client.go) || exit 1
"$T/h2d" 127.0.0.1 "$T/port" - "$T/pki/server.pem" "$T/pki/server.key" 2>/dev/null &
PIDS="$PIDS $!"
while [ ! -s "$T/port" ]; do sleep 0.05; done
URL="https://localhost:$(cat "$T/port")/r"
urls=$(i=1; while [ $i -lt "$N" ]; do printf '%s ' "$URL"; i=$((i + 1)); done)

# one run: CPU ms of dlpjail and everything under it
run() {
	bin=$1 shim=$2
	DLPJAIL_SHIM=$shim perf stat -x, -e task-clock -o "$T/stat" \
		"$bin" --no-default-policy -q --allow 127.0.0.1 --upstream-ca "$T/pki/ca.pem" \
		-- "$T/client" resume-any "$URL" $urls > "$T/out" 2>&1
	grep -q ' true' "$T/out" || { echo "run-resume: no resumption: $(head -c 200 "$T/out")" >&2; }
	awk -F, '/task-clock/ { printf "%.1f\n", $1 }' "$T/stat"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: > "$T/after"; : > "$T/before"
i=0
while [ $i -lt "$REPEATS" ]; do
	run "$DLPJAIL" "$top/.libs/libdlpshim.so" >> "$T/after"
	[ -n "${DLPJAIL_BEFORE:-}" ] &&
		run "$DLPJAIL_BEFORE/dlpjail" "$DLPJAIL_BEFORE/.libs/libdlpshim.so" >> "$T/before"
	i=$((i + 1))
done
a=$(median < "$T/after")
echo "after:  $(tr '\n' ' ' < "$T/after")-> median $a ms task-clock for $N connections"
if [ -s "$T/before" ]; then
	b=$(median < "$T/before")
	echo "before: $(tr '\n' ' ' < "$T/before")-> median $b ms"
	awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN { printf "after/before %.3f, %+.1f us per connection\n", a / b, (a - b) * 1000 / n }'
fi
