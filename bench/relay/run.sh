#!/bin/sh
# bench/relay/run.sh - rl_bench bare, under dlpjail (seccomp backstop, no
# relay) and under dlpjail --relay, in the same run; prints each and the ratio
# to bare. usage: run.sh [MIB] (stream size, default 1024)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B="$top/bench/relay/rl_bench"
D="$top/dlpjail"
MIB=${1:-1024}
KIND=${2:-}
[ -x "$B" ] || { echo "build it first: make bench/relay/rl_bench"; exit 1; }
J="--no-default-policy --allow 127.0.0.1 -q"
"$B" "$MIB" $KIND > /tmp/rl_bare.$$      # (writes the cache file first)
"$D" $J --no-relay -- "$B" "$MIB" $KIND > /tmp/rl_sc.$$
"$D" $J --relay -- "$B" "$MIB" $KIND > /tmp/rl_relay.$$
printf '%-14s %10s %10s %10s %8s\n' metric bare seccomp relay relay/bare
while read -r k v; do
	s=$(awk -v k="$k" '$1==k{print $2}' /tmp/rl_sc.$$)
	r=$(awk -v k="$k" '$1==k{print $2}' /tmp/rl_relay.$$)
	printf '%-14s %10s %10s %10s %8.2f\n' "$k" "$v" "$s" "$r" "$(echo "$r $v" | awk '{print $1/$2}')"
done < /tmp/rl_bare.$$
rm -f /tmp/rl_bare.$$ /tmp/rl_sc.$$ /tmp/rl_relay.$$
