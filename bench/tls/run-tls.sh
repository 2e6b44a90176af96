#!/bin/sh
# run-tls.sh - HTTPS cost of dlpjail's in-process TLS plaintext inspection,
# against the same client bare and through mitmproxy (the MITM baseline).
# Workloads (curl, keep-alive, loopback Python HTTPS server):
#   small: 1,000 sequential small POSTs on one connection
#   big:   one 10 MB upload
#   conn:  N_CONN (default 200) small POSTs, each on a new TLS connection
#          (Connection: close): the per-session cost (handshake, key hand-over)
# Each is run REPEATS times per mode (default 5), the modes interleaved
# (bare, dlpjail, before, mitm, bare, ...) so that the load of a shared
# machine falls on all of them alike; medians and ratios printed.
# usage: bench/tls/run-tls.sh [REPEATS]     env: DLPJAIL, DLPJAIL_SHIM, N_SMALL
# PIN=CPU runs server, client and dlpjail on that one CPU (taskset): the
# relay's cost as CPU on the critical path, without the scheduler's choice
# of vCPUs (a hand-off between two vCPUs of a VM can cost more than the
# work). Also printed: the median of the per-request times (curl's
# time_total) for small and conn, and with PERF_STAT=1 the CPU of the whole
# jailed tree and its context switches per request (perf stat).
# DLPJAIL_BEFORE=DIR (a build tree: DIR/dlpjail, DIR/.libs/libdlpshim.so)
# adds a "before" column, same run: e.g. main's hook-reported plaintext vs
# this tree's relay key path (tls-keys). WORKLOADS="big" (default "small
# big conn") runs only those. For big, the body alone is printed too
# (time_total - time_pretransfer: without the handshake and the engine's
# set-up at the first scan, which a fresh dlpjail pays in that handshake).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${DLPJAIL:=$top/dlpjail}"
: "${DLPJAIL_SHIM:=$top/.libs/libdlpshim.so}"
export DLPJAIL_SHIM
unset LD_PRELOAD DLPJAIL_SOCK
REPEATS=${1:-5}
N=${N_SMALL:-1000}
NC=${N_CONN:-200}
WORKLOADS=${WORKLOADS:-small big conn}
T=$(mktemp -d /tmp/dlpjail-bench.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT

pin=""
[ -n "${PIN:-}" ] && pin="taskset -c $PIN"
stat=""
[ -n "${PERF_STAT:-}" ] && command -v perf >/dev/null &&
	stat="perf stat -x , -o $T/stat -e task-clock,context-switches"
sh "$top/t/tls/mkcerts.sh" "$T/pki"
$pin python3 "$top/t/tls/httpsd.py" 127.0.0.1 "$T/port" "$T/log" "$T/pki/server.pem" "$T/pki/server.key" --quiet &
PIDS="$PIDS $!"
while [ ! -s "$T/port" ]; do sleep 0.05; done
PORT=$(cat "$T/port")
URL="https://localhost:$PORT/p"
head -c 10000000 /dev/urandom > "$T/big.bin"
printf '{"id":1,"name":"bench","tags":["a","b"],"ok":true}' > "$T/small.json"
i=0; : > "$T/urls"
while [ $i -lt "$N" ]; do printf 'url = "%s"\noutput = "/dev/null"\n' "$URL" >> "$T/urls"; i=$((i + 1)); done
head -n $((2 * NC)) "$T/urls" > "$T/urls.conn"

have_mitm=0
if command -v mitmdump >/dev/null; then
	MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	$pin mitmdump -q --listen-host 127.0.0.1 -p "$MPORT" --set confdir="$T/mitm" \
		--set ssl_insecure=true >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/mitm/mitmproxy-ca-cert.pem" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1
	[ -s "$T/mitm/mitmproxy-ca-cert.pem" ] && have_mitm=1
fi

now() { date +%s.%N; }
# run MODE WORKLOAD: prints seconds
run() {
	case $1 in
	bare)   pre="" ;;
	dlpjail) pre="$DLPJAIL --no-default-policy --allow 127.0.0.1 --canary ghp_Zq3BenchCanary7Xy9Kp2Lm4Nn6Rr8Tt0Vv1 --log $T/events.jsonl --" ;;
	mitm)   pre="" ;;
	before) pre="env DLPJAIL_SHIM=$DLPJAIL_BEFORE/.libs/libdlpshim.so $DLPJAIL_BEFORE/dlpjail --no-default-policy --allow 127.0.0.1 --canary ghp_Zq3BenchCanary7Xy9Kp2Lm4Nn6Rr8Tt0Vv1 --log $T/events-before.jsonl --" ;;
	esac
	ca="--cacert $T/pki/ca.pem"
	px=""
	if [ "$1" = mitm ]; then ca="--cacert $T/mitm/mitmproxy-ca-cert.pem"; px="-x http://127.0.0.1:$MPORT"; fi
	# curl's own per-transfer time_total, summed: process start-up (the
	# broker's detector compile, mitmproxy's start) is reported apart
	pre="$stat $pin $pre"
	if [ "$2" = small ]; then
		$pre curl -s --http1.1 $ca $px -w '%{time_total}\n' -d @"$T/small.json" -K "$T/urls" \
			> "$T/times" || echo "FAILED $1 $2" >&2
	elif [ "$2" = conn ]; then
		$pre curl -s --http1.1 $ca $px -w '%{time_total}\n' -H 'Connection: close' \
			-d @"$T/small.json" -K "$T/urls.conn" > "$T/times" || echo "FAILED $1 $2" >&2
	else
		$pre curl -s --http1.1 $ca $px -o /dev/null -w '%{time_total} %{time_pretransfer}\n' \
			--data-binary @"$T/big.bin" "$URL" > "$T/times" || echo "FAILED $1 $2" >&2
		# the body alone: no handshake, no engine set-up (the first scan's)
		awk '{printf "%.6f\n", $1 - $2}' "$T/times" >> "$T/$1.big.xfer"
	fi
	# per request: the median time (us); per run: task-clock ms, switches
	sort -n "$T/times" | awk '{a[NR] = $1} END {printf "%.1f\n", a[int((NR + 1) / 2)] * 1e6}' \
		>> "$T/$1.$2.req"
	if [ -n "$stat" ]; then
		awk -F, '$3 == "task-clock" {t = $1} $3 == "context-switches" {c = $1}
			END {printf "%.1f %d\n", t, c}' "$T/stat" >> "$T/$1.$2.stat"
	fi
	awk '{s += $1} END {printf "%.6f\n", s}' "$T/times"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

modes="bare dlpjail"
[ -n "${DLPJAIL_BEFORE:-}" ] && modes="$modes before"
[ $have_mitm = 1 ] && modes="$modes mitm"
echo "# dlpjail TLS bench: $N small POSTs (keep-alive), one 10 MB upload, $NC new connections, $REPEATS repeats (interleaved), medians"
for w in $WORKLOADS; do
	for m in $modes; do : > "$T/$m.$w"; : > "$T/$m.$w.req"; : > "$T/$m.$w.stat"; : > "$T/$m.$w.xfer"; done
	r=0
	while [ $r -lt "$REPEATS" ]; do
		for m in $modes; do run "$m" "$w" >> "$T/$m.$w"; done
		r=$((r + 1))
	done
	for m in $modes; do eval "med_${m}_$w=\$(median < \"\$T/\$m.\$w\")"; done
done
for w in $WORKLOADS; do
	eval "b=\$med_bare_$w; d=\$med_dlpjail_$w"
	printf '%-6s bare %8.3fs  dlpjail %8.3fs  dlpjail/bare %5.2fx' "$w" "$b" "$d" "$(echo "$d / $b" | bc -l)"
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
	if [ "$w" = big ]; then
		eval "bx=\$(median < \"\$T/bare.big.xfer\")"
		printf 'big    the body alone (time_total - time_pretransfer, median):'
		for m in $modes; do
			x=$(median < "$T/$m.big.xfer")
			printf '  %s %.1f ms (%.2fx)' "$m" "$(echo "$x * 1000" | bc -l)" "$(echo "$x / $bx" | bc -l)"
		done
		echo
		continue
	fi
	eval "n=\$N; [ $w = conn ] && n=\$NC"
	printf '%-6s per request (median):' "$w"
	for m in $modes; do
		printf '  %s %s us' "$m" "$(median < "$T/$m.$w.req")"
		if [ -s "$T/$m.$w.stat" ]; then
			printf ' (%s ms CPU, %.2f switches/request)' "$(cut -d' ' -f1 "$T/$m.$w.stat" | median)" \
				"$(cut -d' ' -f2 "$T/$m.$w.stat" | median | awk -v n="$n" '{print $1 / n}')"
		fi
	done
	echo
done
t0=$(now); $DLPJAIL --no-default-policy --allow 127.0.0.1 --log "$T/events.jsonl" -- true; t1=$(now)
printf 'start-up: dlpjail -- true takes %.3fs (not in the figures above)\n' "$(echo "$t1 - $t0" | bc -l)"
[ $have_mitm = 1 ] || echo "# mitmproxy not installed (apt-get install mitmproxy): MITM baseline skipped"
