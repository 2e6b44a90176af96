#!/bin/sh
# bench/relay/run.sh - rl_bench bare, under dlpjail (seccomp backstop, no
# relay) and under dlpjail --relay, in the same run; prints each and the ratio
# to bare. usage: run.sh [MIB] (stream size, default 1024). RL_CPU=N pins
# everything to one CPU (taskset). connect_* and send1k_* go to a server
# outside the jail (`rl_bench serve`), so they count one trapped connect,
# not the jail's own emulated accept(); the stream goes to the in-jail server.
set -eu
trap 'kill $srv 2>/dev/null; rm -rf "$t"' EXIT INT TERM
srv=""; t=""
top=$(cd "$(dirname "$0")/../.." && pwd)
B="$top/bench/relay/rl_bench"
D="${RL_DLPJAIL:-$top/dlpjail}" # RL_DLPJAIL: another build, for a same-run comparison
MIB=${1:-1024}
KIND=${2:-}
[ -x "$B" ] || { echo "build it first: make bench/relay/rl_bench"; exit 1; }
PIN=""
[ -n "${RL_CPU:-}" ] && PIN="taskset -c $RL_CPU"
J="--no-default-policy --allow 127.0.0.1 -q"
t=$(mktemp -d)
$PIN "$B" serve > "$t/port" &
srv=$!
while [ ! -s "$t/port" ]; do sleep 0.05; done
RL_PORT=$(cat "$t/port")
export RL_PORT
RL_CONNECTS=${RL_CONNECTS:-300}
export RL_CONNECTS
$PIN "$B" "$MIB" $KIND > "$t/bare"    # (writes the cache file first)
$PIN "$D" $J --no-relay -- "$B" "$MIB" $KIND > "$t/sc"
$PIN "$D" $J --relay -- "$B" "$MIB" $KIND > "$t/relay"
kill "$srv" 2>/dev/null || true
wait "$srv" 2>/dev/null || true
printf '%-15s %10s %10s %10s %8s %9s\n' metric bare seccomp relay relay/bare relay-bare
while read -r k v; do
	s=$(awk -v k="$k" '$1==k{print $2}' "$t/sc")
	r=$(awk -v k="$k" '$1==k{print $2}' "$t/relay")
	printf '%-15s %10s %10s %10s %8.2f %9.1f\n' "$k" "$v" "$s" "$r" \
		"$(echo "$r $v" | awk '{print $2 ? $1/$2 : 0}')" "$(echo "$r $v" | awk '{print $1-$2}')"
done < "$t/bare"
rm -rf "$t"
