# lib.sh - shared helpers for the end-to-end tests (sourced, POSIX sh + bash).
# Every test: sources this, runs checks with ok/fail, ends with `finish`.
# Servers started here bind loopback only and are killed on exit.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${DLPJAIL:=$top_builddir/dlpjail}"
: "${DLPJAIL_SHIM:=$top_builddir/.libs/libdlpshim.so}"
export DLPJAIL_SHIM
unset DLPJAIL_SOCK LD_PRELOAD
T=$(mktemp -d "${TMPDIR:-/tmp}/dlpjail-t.XXXXXX")
PIDS=""
npass=0
nfail=0

# Only the test's own shell cleans up. bash runs the EXIT trap in a
# subshell killed before it has reset its traps: reap()'s `( sleep 15;
# kill ) & ... kill $k` in 150-lifecycle did so for 1847 of 2000 subshells
# killed at once, removing $T and stopping the servers mid-test (twice in
# CI). A `case`, because `if [ "$BASHPID" = ... ]` in such a dying subshell
# took the wrong branch 182 times in 200 (bash 5.2).
LIB_MAIN=${BASHPID:-$$}
cleanup() {
	case ${BASHPID:-$$} in
	"$LIB_MAIN")
		for p in $PIDS; do kill "$p" 2>/dev/null; done
		wait 2>/dev/null
		[ -n "${DLPJAIL_KEEP:-}" ] && echo "# kept $T" || rm -rf "$T" ;;
	esac
}
trap cleanup EXIT

ok()   { npass=$((npass + 1)); echo "ok - $*"; }
fail() { nfail=$((nfail + 1)); echo "not ok - $*"; }
skip() { echo "SKIP: $*"; exit 77; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}

# start_server SCRIPT BIND NAME: starts t/e2e/SCRIPT (it writes its port
# to $T/NAME.port, its log to $T/NAME.log), sets ${NAME}_PORT and ${NAME}_LOG
start_server() {
	script=$1 bind=$2 name=$3
	python3 "$top_srcdir/t/e2e/$script" "$bind" "$T/$name.port" "$T/$name.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$name.port" ] || { echo "cannot start $script on $bind"; exit 99; }
	touch "$T/$name.log"
	eval "${name}_PORT=\$(cat \"\$T/\$name.port\")"
	eval "${name}_LOG=\"\$T/\$name.log\""
}

# need_relay: skip unless this host runs the relay (seccomp user notification)
need_relay() {
	"$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -- true 2>/dev/null ||
		skip "the relay needs the seccomp backstop (notify)"
}

# start_http BIND NAME: starts httpd.py, sets ${NAME}_PORT and ${NAME}_LOG
start_http() {
	start_server httpd.py "$1" "$2"
}

# jail ARGS...: run dlpjail with an event log at $T/events.jsonl
jail() {
	"$DLPJAIL" --no-default-policy --log "$T/events.jsonl" "$@"
}

# events_match PATTERN...: every grep -E pattern appears in one event line
event_has() {
	line=$(cat "$T/events.jsonl" 2>/dev/null)
	for pat in "$@"; do
		line=$(printf '%s\n' "$line" | grep -E -- "$pat") || return 1
	done
	[ -n "$line" ]
}

finish() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}

# dns_sandbox: re-run this test in its own network and mount namespaces,
# with a dnsmasq for the zone "allowed.test" (and friends) on 127.0.0.53:53
# and /etc/resolv.conf bind-mounted to point at it. The machine's own
# resolver and network are never touched. Skips when namespaces are not
# available. After it returns, $DNS_LOG holds dnsmasq's query log.
dns_sandbox() {
	if [ -z "${DLP_T_IN_NS:-}" ]; then
		command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"
		if [ "$(id -u)" -eq 0 ]; then set -- unshare -mn; else set -- unshare -rmn; fi
		"$@" true 2>/dev/null || skip "cannot create network/mount namespaces"
		rm -rf "$T"
		trap - EXIT
		DLP_T_IN_NS=1 exec "$@" --propagation private sh "$0"
	fi
	ip link set lo up
	# a non-loopback address inside this namespace, for names that must not
	# trip the rebinding rule; traffic to it never leaves the namespace
	ip addr add 10.99.0.1/32 dev lo 2>/dev/null
	printf 'nameserver 127.0.0.53\noptions timeout:2 attempts:1\n' > "$T/resolv.conf"
	mount --bind "$T/resolv.conf" /etc/resolv.conf
	DNS_LOG="$T/dnsmasq.log"
	: > "$DNS_LOG"
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
		--listen-address=127.0.0.53 --port=53 --user=root \
		--address=/allowed.test/127.0.0.1 \
		--host-record=www.allowed.test,127.0.0.1 \
		--host-record=meta.allowed.test,169.254.169.254 \
		--host-record=www.other.test,127.0.0.1 \
		--host-record=far.allowed.test,10.99.0.1 \
		--host-record=registry.npmjs.org,127.0.0.1 \
		--host-record=github.com,127.0.0.1 --host-record=gitlab.com,127.0.0.1 \
		--host-record=api.github.com,10.99.0.1 \
		--host-record=collector.test,127.0.0.1 \
		--txt-record=txt.allowed.test,"v=hello" \
		--log-queries=extra --log-facility="$DNS_LOG" --pid-file="$T/dnsmasq.pid" &
	PIDS="$PIDS $!"
	i=0
	while ! grep -q "started" "$DNS_LOG" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

# closed_port NAME: a loopback port that refuses connections, bound and
# never listening, held until the test ends (a port bound and released
# could be taken by another test meanwhile); sets ${NAME}_PORT
closed_port() {
	python3 -c 'import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(86400)' "$T/$1.port" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$1.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$1.port" ] || { echo "cannot hold a closed port"; exit 99; }
	eval "${1}_PORT=\$(cat \"\$T/\$1.port\")"
}

# listen_port PID: the TCP port process PID listens on (for servers that
# take port 0 and do not say which), empty after 5 s without one
listen_port() {
	i=0
	while [ $i -lt 100 ]; do
		p=$(ss -Hltnp 2>/dev/null | grep "pid=$1," | awk '{ n = split($4, a, ":"); print a[n]; exit }')
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05; i=$((i + 1))
	done
	return 1
}
