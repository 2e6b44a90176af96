#!/bin/sh
# bench/relay/ab.sh - connect costs of two dlpjail builds, interleaved in the
# same run: per round bare, A --relay, B --relay (ROUNDS, default 5); prints
# the median over rounds of each round's median (connect_med_us back to back,
# close_med_us, pause_connect_med_us and pause_close_med_us with RL_PAUSE_US
# (default 200) of busy work between connections, nbcall_med_us,
# nbready_med_us) and of the CPU time of the whole tree per connect (perf stat
# task-clock, when perf works; connects only: RL_CONNECT_ONLY; measured in a
# run without the paused loop, whose pauses are spent spinning).
# usage: ab.sh A-DLPJAIL B-DLPJAIL. AB_MODE=--no-relay: the seccomp road
# alone. RL_CPU=N pins everything; RL_CONNECTS
# (default 300) per kind and run. As root each round runs in a network
# namespace of its own (unshare -n): the TIME_WAITs every relayed connect
# leaves (two) and those of other programs on the machine do not pile up
# in one port space (thousands of them make every connect slow).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B="$top/bench/relay/rl_bench"
J="--no-default-policy --allow 127.0.0.1 -q"
PIN=""
[ -n "${RL_CPU:-}" ] && PIN="taskset -c $RL_CPU"
RL_CONNECTS=${RL_CONNECTS:-300}; export RL_CONNECTS
RL_CONNECT_ONLY=1; export RL_CONNECT_ONLY
cpu() { # out cmd...: task-clock ms of the whole tree, 0 without perf
	o=$1; shift
	if perf stat -x, -e task-clock -o "$o.perf" -- "$@" 1 > "$o.out" 2>/dev/null; then
		awk -F, '/task-clock/{print $1}' "$o.perf"
	else
		"$@" 1 > "$o.out"; echo 0
	fi
}
run() { # out name cmd...: medians, and CPU per connect less a 1-connect run's (start-up)
	o=$1; n=$2; shift 2
	ms0=$(RL_PAUSE_US=0 RL_CONNECTS=1 cpu "$o" "$@")
	ms=$(RL_PAUSE_US=0 cpu "$o" "$@")
	awk -v n="$n" -v ms="$ms" -v ms0="$ms0" -v c="$RL_CONNECTS" \
	    '/_med_us/{print n, $1, $2} END{print n, "cpu_us_per_connect", (ms-ms0)*1000/(2*c-2)}' \
	    "$o.out" >> "$o.all"
	# the paused loop (no CPU figure: the pause is spent spinning)
	RL_PAUSE_US=${RL_PAUSE_US:-200} "$@" | awk -v n="$n" '/^pause_/{print n, $1, $2}' >> "$o.all"
}
if [ "${1:-}" = --round ]; then # --round OUT A B (inside the namespace)
	o=$2
	ip link set lo up 2>/dev/null || true
	rm -f "$o.port"
	$PIN "$B" serve > "$o.port" &
	srv=$!
	trap 'kill $srv 2>/dev/null || true' EXIT # also when a run fails (set -e)
	while [ ! -s "$o.port" ]; do sleep 0.05; done
	RL_PORT=$(cat "$o.port"); export RL_PORT
	run "$o" bare $PIN "$B"
	run "$o" A $PIN "$3" $J ${AB_MODE:---relay} -- "$B"
	run "$o" B $PIN "$4" $J ${AB_MODE:---relay} -- "$B"
	kill $srv; wait $srv 2>/dev/null || true
	exit 0
fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT INT TERM
NS=""
[ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && NS="unshare -n"
i=0
while [ $i -lt "${ROUNDS:-5}" ]; do
	$NS "$0" --round "$t/r" "$1" "$2"
	i=$((i + 1))
done
printf '%-22s %8s %8s %8s %8s %8s\n' metric bare A B B-A "(B-bare)/(A-bare)"
for k in connect_med_us close_med_us pause_connect_med_us pause_close_med_us nbcall_med_us \
    nbready_med_us cpu_us_per_connect; do
	for n in bare A B; do
		awk -v n="$n" -v k="$k" '$1==n && $2==k{print $3}' "$t/r.all" | sort -g |
			awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}' > "$t/m.$n"
	done
	printf '%-22s %8s %8s %8s' "$k" "$(cat "$t/m.bare")" "$(cat "$t/m.A")" "$(cat "$t/m.B")"
	awk -v b="$(cat "$t/m.bare")" -v a="$(cat "$t/m.A")" -v c="$(cat "$t/m.B")" \
	    'BEGIN{printf " %8.1f %8.2f\n", c-a, (a-b) ? (c-b)/(a-b) : 0}'
done
