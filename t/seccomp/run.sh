#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - end-to-end tests of the seccomp backstop through t/seccomp/sc_driver
# (policy: 127.0.0.1 and ::1 allowed, everything else denied). Static C
# clients, raw syscalls, a TOCTOU race, io_uring, refusals, Go, busybox.
# Prints one PASS/FAIL/SKIP line per case and "N passed, N failed".
# Exit: 0 all passed, 1 a failure, 77 seccomp notify unavailable.
#
# Binaries come from $SC_BIN (default: the directory of this script in the
# build tree). Missing ones are compiled here with gcc (and go), so the
# script also runs from a bare checkout: sh t/seccomp/run.sh
# Network traffic stays on 127.0.0.0/8.
set -u

# Own network namespace when possible (root): ports, 127.0.0.1:53 and the
# race servers cannot collide with anything else on the machine.
if [ -z "${SC_IN_NS:-}" ] && [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1 &&
   unshare -n true 2>/dev/null; then
	SC_IN_NS=1 exec unshare -n sh -c 'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# make check exports top_builddir; a bare checkout compiles into a temp dir
if [ -z "${SC_BIN:-}" ] && [ -n "${top_builddir:-}" ] && [ -x "$top_builddir/t/seccomp/sc_driver" ]; then
	SC_BIN=$top_builddir/t/seccomp
fi
SC_BIN=${SC_BIN:-$here/.none}
RACE_N=${RACE_N:-5000}
work=$(mktemp -d /tmp/sc_run.XXXXXX)
pass=0
fail=0
pids=""

# only this shell: bash runs the trap in a subshell killed early (see t/e2e/lib.sh)
run_main=${BASHPID:-$$}
cleanup() {
	case ${BASHPID:-$$} in
	"$run_main")
		for p in $pids; do kill "$p" 2>/dev/null; done
		rm -rf "$work" ;;
	esac
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2" | head -20; }
skip() { echo "SKIP $1"; }

# --- binaries ----------------------------------------------------------------
bin() { # name -> path, compiling into $work when absent
	if [ -x "$SC_BIN/$1" ]; then echo "$SC_BIN/$1"; return; fi
	if [ -x "$work/$1" ]; then echo "$work/$1"; return; fi
	cfg="$work/config.h"
	[ -f "$cfg" ] || printf '#define _GNU_SOURCE 1\n' > "$cfg"
	W="-I$work -I$top -O2 -Wall"
	case $1 in
	sc_driver)
		# shellcheck disable=SC2046 # pkg-config output is meant to split
		gcc $W -o "$work/$1" "$here/sc_driver.c" "$top"/broker/seccomp/sc_*.c \
			"$top/common/log.c" $(pkg-config --cflags --libs libseccomp) -pthread ;;
	sc_srv)
		gcc $W -o "$work/$1" "$here/sc_srv.c" ;;
	godial)
		command -v go >/dev/null 2>&1 || return 1
		(cd "$here" && CGO_ENABLED=0 GOCACHE="$work/gocache" go build -o "$work/$1" godial.go) ;;
	*)
		gcc $W -static -o "$work/$1" "$here/$1.c" -pthread 2>"$work/$1.ldwarn" ;;
	esac >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; return 1; }
	echo "$work/$1"
}

DRV=$(bin sc_driver) || { echo "cannot build sc_driver"; exit 1; }
SRV=$(bin sc_srv) || exit 1
CLI=$(bin sc_client) || exit 1
RAW=$(bin sc_raw) || exit 1
RACE=$(bin sc_race) || exit 1
URING=$(bin sc_uring) || exit 1
REFUSE=$(bin sc_refuse) || exit 1
GODIAL=$(bin godial) || GODIAL=""

"$DRV" -q -- /bin/true 2>"$work/avail"
rc=$?
if [ $rc -eq 77 ]; then
	cat "$work/avail"
	echo "0 passed, 0 failed (skipped: seccomp notify unavailable)"
	exit 77
fi

# --- servers outside the filter ---------------------------------------------
"$SRV" tcp 127.0.0.1 0 >"$work/srv.out" 2>&1 &
pids="$pids $!"
dnsport=""
if "$SRV" udp 127.0.0.1 53 >"$work/dns.out" 2>&1 & then pids="$pids $!"; fi
sleep 0.3
grep -q ready "$work/dns.out" 2>/dev/null && dnsport=53
port=$(sed -n 's/^ready //p' "$work/srv.out")
[ -n "$port" ] || { echo "sc_srv did not start"; cat "$work/srv.out"; exit 1; }

# run NAME EXPECT-REGEX [driver args --] cmd...: output of cmd + driver lines
run() {
	name=$1; want=$2; shift 2
	"$DRV" "$@" >"$work/out" 2>&1
	if grep -Eq -- "$want" "$work/out"; then ok "$name"; else ko "$name" "$work/out"; fi
}

# --- static libc client ------------------------------------------------------
run "libc connect allowed"            '^ok connected'            -- "$CLI" tcp 127.0.0.1 $port
run "libc connect denied"             '^err EACCES'              -- "$CLI" tcp 127.0.0.2 $port
run "denied connect is evented"       'decide connect 127.0.0.2:.* -> deny' -- "$CLI" tcp 127.0.0.2 $port
run "non-blocking connect EINPROGRESS" '^ok einprogress then connected' -- "$CLI" nb 127.0.0.1 $port
run "non-blocking connect denied"     '^err EACCES'              -- "$CLI" nb 127.0.0.3 $port
run "AF_INET6 connect ::1 allowed"    'decide connect ::1:.* -> allow' -- "$CLI" tcp6 ::1 $port
run "AF_INET6 v4-mapped denied"       '^err EACCES'              -- "$CLI" tcp6 ::ffff:127.0.0.2 $port
run "AF_INET6 v4-mapped allowed"      '^ok connected'            -- "$CLI" tcp6 ::ffff:127.0.0.1 $port
run "UDP sendto allowed"              '^ok sent 6'               -- "$CLI" udp 127.0.0.1 9
run "UDP sendto denied"               '^err EACCES'              -- "$CLI" udp 127.0.0.4 9
run "UDP sendmsg with name denied"    '^err EACCES'              -- "$CLI" udpmsg 127.0.0.4 9
run "DNS sendto: payload seen"        'dns 127.0.0.1:53 len=[0-9]+ qname=exfil.example.com' -- "$CLI" dns 127.0.0.1 exfil.example.com
run "DNS sendto denied server"        '^err EACCES'              -- "$CLI" dns 127.0.0.6 exfil.example.com
if [ -n "$dnsport" ]; then
	run "DNS connect+sendmmsg (glibc): msg_len" '^ok sendmmsg 2 msg_len' -- "$CLI" dnsmm 127.0.0.1 q.example.com
	"$DRV" -- "$CLI" dnsmm 127.0.0.1 q.example.com >"$work/out" 2>&1
	if [ "$(grep -c 'dns 127.0.0.1:53 len=31 qname=q.example.com' "$work/out")" -eq 2 ]; then
		ok "DNS sendmmsg: both payloads seen"
	else ko "DNS sendmmsg: both payloads seen" "$work/out"; fi
else
	skip "DNS connect+sendmmsg (127.0.0.1:53 busy)"
fi
run "DNS connect to other server denied" '^err EACCES connect'   -- "$CLI" dnsmm 127.0.0.5 q.example.com
run "TCP Fast Open denied"            '^err EACCES'              -- "$CLI" tfo 127.0.0.2 $port
run "TCP Fast Open judged as connect" 'decide fastopen 127.0.0.1' -- "$CLI" tfo 127.0.0.1 $port
run "AF_UNIX sendmsg/sendmmsg continue" '^ok unix sendmsg/sendmmsg' -- "$CLI" unixpair
# a bound (not listening) socket: ECONNREFUSED when allowed, EACCES when refused
python3 -c "import socket,sys; [socket.socket(socket.AF_UNIX).bind(p) for p in sys.argv[1:]]" "$work/sc-deny.sock" "$work/sc-other.sock"
run "AF_UNIX path refused (unix_path)" '^err EACCES'            -u "$work/sc-deny.sock" -- "$CLI" unix "$work/sc-deny.sock"
run "AF_UNIX refusal evented"         "refused tid=[0-9]+ unix:$work/sc-deny.sock" -u "$work/sc-deny.sock" -- "$CLI" unix "$work/sc-deny.sock"
run "AF_UNIX other path continues"    '^err ECONNREFUSED'        -u "$work/sc-deny.sock" -- "$CLI" unix "$work/sc-other.sock"
run "AF_UNIX missing path: ENOENT"    '^err ENOENT'              -u "$work/sc-deny.sock" -- "$CLI" unix "$work/sc-missing.sock"
# AF_UNIX sends are performed by the supervisor (never CONTINUEd): paths
# resolve in the caller's root and cwd, SCM_RIGHTS carries the caller's fds
mkdir -p "$work/ux"
run "AF_UNIX sends emulated (paths, SCM_RIGHTS)" '^ok unix-send' -- python3 "$here/unix_send.py" "$work/ux"
run "AF_UNIX datagram path refused (unix_path)" 'PermissionError' -u "$work/ux/abs.sock" -- \
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"x", sys.argv[1])' "$work/ux/abs.sock"
run "getaddrinfo(localhost) static"   '^ok resolved 127.0.0.1'   -- "$CLI" resolve localhost
run "env -i child still filtered"     '^err EACCES'              -- env -i "$CLI" tcp 127.0.0.2 $port

# built-in rule: nscd's socket (out-of-sandbox resolver), in a private /run
if [ -n "${SC_IN_NS:-}" ] && command -v python3 >/dev/null 2>&1 &&
   unshare -m true 2>/dev/null; then
	unshare -m --propagation private sh -c '
		mount -t tmpfs none /run && mkdir -p /run/nscd || exit 1
		python3 -c "import socket,time; s=socket.socket(socket.AF_UNIX); s.bind(\"/run/nscd/socket\"); s.listen(5); time.sleep(20)" & srv=$!
		i=0; while [ ! -S /run/nscd/socket ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
		"$0" -- "$1" unix /var/run/nscd/socket; rc=$?; kill $srv 2>/dev/null; exit $rc' "$DRV" "$CLI" >"$work/out" 2>&1
	if grep -q '^err EACCES' "$work/out" && grep -q 'out-of-sandbox resolver' "$work/out"; then
		ok "nscd socket refused (built-in resolver rule)"
	else ko "nscd socket refused (built-in resolver rule)" "$work/out"; fi
else
	skip "nscd socket rule (needs root, namespaces, python3)"
fi

# --- raw syscalls ------------------------------------------------------------
run "raw SYS_connect allowed"         '^ok connect'              -- "$RAW" tcp 127.0.0.1 $port
run "raw SYS_connect denied"          '^err EACCES'              -- "$RAW" tcp 127.0.0.2 $port
run "raw SYS_sendto denied"           '^err EACCES'              -- "$RAW" udp 127.0.0.2 9
run "raw sendto AF_UNSPEC name denied" '^err EACCES'             -- "$RAW" unspec 127.0.0.2 9
run "raw connect v4-mapped denied"    '^err EACCES'              -- "$RAW" mapped 127.0.0.2 $port

# --- TOCTOU race -------------------------------------------------------------
"$DRV" -q -s -- "$RACE" tcp 0 "$RACE_N" >"$work/race" 2>&1
# (a connection that slipped past would be reset by the accept check, which
# reports it: "inbound connection ... not a process of the jail" counts too)
if grep -q ' bypass=0$' "$work/race" && grep -q 'denied=[1-9]' "$work/race" && grep -q ' ok=[1-9]' "$work/race" &&
   ! grep -q 'inbound connection' "$work/race"; then
	ok "TOCTOU connect race: $(grep -o 'attempts=.*' "$work/race")"
else ko "TOCTOU connect race" "$work/race"; fi
"$DRV" -q -s -- "$RACE" udp 0 "$RACE_N" >"$work/race" 2>&1
if grep -q ' bypass=0$' "$work/race" && grep -q 'denied=[1-9]' "$work/race"; then
	ok "TOCTOU sendto race: $(grep -o 'attempts=.*' "$work/race")"
else ko "TOCTOU sendto race" "$work/race"; fi
# the race itself must work, or the two cases above prove nothing
"$DRV" -n -- "$RACE" tcp 0 2000 >"$work/race" 2>&1
if grep -q 'bypass=[1-9]' "$work/race"; then ok "race reaches 127.0.0.2 without the filter"
else ko "race reaches 127.0.0.2 without the filter" "$work/race"; fi

# --- fd-swap attack on CONTINUE (AF_UNIX calls) ------------------------------
# The supervisor kills a process it catches swapping, so each run is short:
# repeat and sum. TCP connect: Landlock (and the cgroup hooks) hold it to 0.
# UDP sendmsg: AF_UNIX sends are performed by the supervisor on the file it
# checked (no CONTINUE, nothing to swap), so 0 with or without the root-only
# cgroup backstop; the run without it is the one that shows it.
SWAP=$(bin sc_swap) || exit 1
swap_total() { # proto -> total bypass over 5 attacking processes
	t=0
	for _ in 1 2 3 4 5; do
		"$DRV" -q -- "$SWAP" "$1" 0 "$RACE_N" >"$work/swap" 2>&1
		b=$(sed -n 's/.*bypass=\([0-9]*\).*/\1/p' "$work/swap")
		# a TCP bypass the accept check reset still reached the listener
		r=$(grep -c 'inbound connection' "$work/swap")
		t=$((t + ${b:-999} + r))
	done
	echo "$t"
}
n=$(swap_total tcp)
if [ "$n" -eq 0 ]; then ok "fd-swap TCP connect race: 0 bypasses (5 attacking processes)"
else ko "fd-swap TCP connect race: $n bypasses" "$work/swap"; fi
n=$(swap_total udp)
if [ "$n" -eq 0 ]; then ok "fd-swap UDP sendmsg race: 0 bypasses (5 attacking processes)"
else ko "fd-swap UDP sendmsg race: $n bypasses" "$work/swap"; fi
n=$(DLPJAIL_NO_CGROUP_BPF=1 swap_total udp)
if [ "$n" -eq 0 ]; then ok "fd-swap UDP sendmsg race without the cgroup backstop: 0 bypasses"
else ko "fd-swap UDP sendmsg race without the cgroup backstop: $n bypasses" "$work/swap"; fi

# --- refused outright --------------------------------------------------------
run "io_uring_setup refused"          '^ok refused EPERM'        -- "$URING"
run "io_uring refusal evented"        'refused tid=[0-9]+ io_uring_setup' -- "$URING"
"$DRV" -- "$REFUSE" >"$work/refuse" 2>&1
if grep -q '^pass: 0 failures' "$work/refuse"; then ok "refusal table ($(grep -c '^pass ' "$work/refuse") calls)"
else ko "refusal table" "$work/refuse"; grep '^FAIL' "$work/refuse"; fi

# --- Go ----------------------------------------------------------------------
if [ -n "$GODIAL" ]; then
	run "Go dial allowed (parallel)"  '^ok 127.0.0.1'            -- "$GODIAL" 127.0.0.1:$port 127.0.0.1:$port 127.0.0.1:$port
	run "Go dial denied"              'connect: permission denied' -- "$GODIAL" 127.0.0.2:$port
	run "Go resolver to other server denied" 'permission denied' -- "$GODIAL" -dns 127.0.0.9 exfil.example.com
else
	skip "Go (golang-go not installed)"
fi

# --- busybox-static ----------------------------------------------------------
BB=$(command -v busybox || true)
if [ -n "$BB" ]; then
	run "busybox nc allowed"          'decide connect 127.0.0.1:.* -> allow' -- "$BB" nc -w 1 127.0.0.1 $port
	run "busybox nc denied"           'Permission denied'        -- "$BB" nc -w 1 127.0.0.2 $port
	# busybox connects its UDP socket and then uses send(): the payload is
	# not trapped (connected sockets are never trapped), the connect is.
	run "busybox nslookup: resolver connect judged" 'decide connect 127.0.0.1:53 .* -> allow' -- timeout 3 "$BB" nslookup leak.example.com 127.0.0.1
	run "busybox nslookup other server denied" 'decide (sendto|connect) 127.0.0.7:53 .* -> deny' -- timeout 3 "$BB" nslookup leak.example.com 127.0.0.7
else
	skip "busybox (busybox-static not installed)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
