#!/bin/sh
# 150-lifecycle: the default policy is found from a build tree and from an
# install, and its absence is said and refused; SIGINT/SIGTERM end a run
# promptly whatever the command does; the broker watchdog turns a stuck
# request into a refusal; `dlpjail broker --stop`; the ad hoc broker
# reloads its policy when the file changes and keeps the old one when the
# new one is broken. Name lookups run in a network namespace (unshare -rn)
# so that allowed names never reach a real resolver.
. "$(dirname "$0")/lib.sh"

NONET=""
unshare -rn true 2>/dev/null && NONET="unshare -rn"
# dflt CMD... &: run CMD with SIGINT at its default (a background job of sh
# ignores it); exec, so that $! is CMD's pid. Only in the background.
dflt() { exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"; }
# reap PID: wait for it, rc in $rc; SIGKILL after 15 s so that a broken
# build fails the checks instead of hanging the test
reap() { ( sleep 15; kill -KILL "$1" 2>/dev/null ) & k=$!; wait "$1"; rc=$?; kill "$k" 2>/dev/null; }
# ready NAME: until the command has created $T/NAME (its traps are set)
ready() { i=0; while [ ! -e "$T/$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; sleep 0.2; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# lookup NAME: prints "refused" (EAI_FAIL: the broker said no) or "passed"
LOOKUP='import socket, sys
try:
    socket.getaddrinfo(sys.argv[1], 80); print("passed")
except socket.gaierror as e:
    print("refused" if e.errno == socket.EAI_FAIL else "passed")'

# ---- 1. the default policy ----
out=$("$DLPJAIL" -v --log "$T/def.jsonl" true 2>&1)
check "build tree: the default policy is top_srcdir/policy/default.policy" \
	sh -c "printf '%s' \"\$1\" | grep -q 'default policy: .*/policy/default.policy'" _ "$out"
if [ -n "$NONET" ]; then
	$NONET "$DLPJAIL" --log "$T/events.jsonl" python3 -c "$LOOKUP" registry.npmjs.org >"$T/out" 2>&1
	check "build tree: registry.npmjs.org is allowed by the default policy, no flags" \
		event_has '"op":"resolve"' '"host":"registry.npmjs.org"' '"verdict":"allow"' \
		'policy/default.policy:[0-9]+'
else
	echo "# no network namespace: default-policy lookup not checked"
fi

mkdir "$T/bin"
cp "$DLPJAIL" "$T/bin/dlpjail"
out=$("$T/bin/dlpjail" -v true 2>&1)
if printf '%s' "$out" | grep -q '^dlpjail: default policy: '; then
	echo "# an installed default.policy exists on this machine: missing-policy case not checked"
else
	out=$("$T/bin/dlpjail" touch "$T/ran" 2>&1); rc=$?
	check "no policy anywhere: dlpjail refuses to run (125)" [ $rc -eq 125 ]
	check "no policy anywhere: the command did not run" [ ! -e "$T/ran" ]
	check "no policy anywhere: stderr says so and where it looked" \
		sh -c "printf '%s' \"\$1\" | grep -q 'no default policy: none of .*$T/bin/.*default.policy'" _ "$out"
	check "no policy anywhere: the message names the way out" \
		sh -c "printf '%s' \"\$1\" | grep -q -- '--policy FILE.*--no-default-policy'" _ "$out"
	"$T/bin/dlpjail" --no-default-policy true 2>/dev/null
	check "no policy, --no-default-policy: runs" [ $? -eq 0 ]
	printf 'allow 127.0.0.1\n' > "$T/p.policy"
	"$T/bin/dlpjail" --policy "$T/p.policy" true 2>/dev/null
	check "no policy, --policy FILE: runs" [ $? -eq 0 ]
	# the ad hoc broker the shim starts says the same, and lookups fail closed at once
	mkdir -m 700 "$T/run0"
	t0=$(ms)
	out=$(XDG_RUNTIME_DIR="$T/run0" DLPJAIL_BIN="$T/bin/dlpjail" LD_PRELOAD="$DLPJAIL_SHIM" \
		python3 -c "$LOOKUP" localhost 2>&1)
	t1=$(ms)
	check "ad hoc, no policy: the broker says why it does not start" \
		sh -c "printf '%s' \"\$1\" | grep -q 'no default policy'" _ "$out"
	check "ad hoc, no policy: the lookup is refused" sh -c "printf '%s' \"\$1\" | grep -q '^refused'" _ "$out"
	check "ad hoc, no policy: without the 3 s wait for a broker ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 2500 ]
fi

# the ad hoc broker the shim starts from the build tree finds it the same way
if [ -n "$NONET" ]; then
	mkdir -m 700 "$T/rund"
	out=$(XDG_RUNTIME_DIR="$T/rund" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_IDLE=60 \
		$NONET env LD_PRELOAD="$DLPJAIL_SHIM" python3 -c "$LOOKUP" registry.npmjs.org 2>&1)
	check "ad hoc, build tree: registry.npmjs.org is allowed by the default policy ($out)" \
		grep -q '"host":"registry.npmjs.org",.*"verdict":"allow".*policy/default.policy' \
		"$T/rund/dlpjail/events.jsonl"
	XDG_RUNTIME_DIR="$T/rund" "$DLPJAIL" broker --stop >/dev/null 2>&1
fi

if [ -f "$top_builddir/Makefile" ] &&
   MAKEFLAGS= make -s -C "$top_builddir" install DESTDIR="$T/inst" >"$T/install.log" 2>&1; then
	inst=$(find "$T/inst" -path '*/bin/dlpjail' -type f | head -1)
	out=$("$inst" -v true 2>&1)
	check "installed (DESTDIR): the installed default.policy is found" \
		sh -c "printf '%s' \"\$1\" | grep -q 'default policy: $T/inst/.*/default.policy'" _ "$out"
else
	echo "# make install DESTDIR failed: installed case not checked"; cat "$T/install.log"
fi

# ---- 2. signals ----
dflt "$DLPJAIL" --no-default-policy sh -c "touch '$T/r1'; exec sleep 100" & p=$!
ready r1; t0=$(ms); kill -TERM $p; reap $p; t1=$(ms)
check "SIGTERM, sleeping command: exit 143 ($rc)" [ $rc -eq 143 ]
check "SIGTERM, sleeping command: within 2 s ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 2000 ]

dflt "$DLPJAIL" --no-default-policy sh -c "touch '$T/r2'; while :; do :; done" & p=$!
ready r2; t0=$(ms); kill -INT $p; reap $p; t1=$(ms)
check "SIGINT, spinning command: exit 130 ($rc)" [ $rc -eq 130 ]
check "SIGINT, spinning command: within 2 s ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 2000 ]

dflt "$DLPJAIL" --no-default-policy sh -c "trap 'echo got > \"$T/got\"; exit 7' TERM; touch '$T/r3'; while :; do sleep 0.1; done" & p=$!
ready r3; kill -TERM $p; reap $p
check "SIGTERM reaches the command; its own exit status is kept ($rc)" [ $rc -eq 7 ] && [ -s "$T/got" ]

dflt "$DLPJAIL" --no-default-policy --grace 1 sh -c "trap '' TERM; touch '$T/r4'; while :; do sleep 0.1; done" 2>"$T/err" & p=$!
ready r4; t0=$(ms); kill -TERM $p; reap $p; t1=$(ms)
check "SIGTERM ignored: killed after the grace period, exit 143 ($rc)" [ $rc -eq 143 ]
check "SIGTERM ignored: ends within grace + 1 s ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 2500 ]
check "SIGTERM ignored: stderr says the command was killed" grep -q "still running 1 s after" "$T/err"

dflt "$DLPJAIL" --no-default-policy --grace 60 sh -c "trap '' TERM INT; touch '$T/r5'; while :; do sleep 0.1; done" 2>/dev/null & p=$!
ready r5; t0=$(ms); kill -TERM $p; sleep 0.3; kill -INT $p; reap $p; t1=$(ms)
check "second signal: the command is killed at once, exit 128+first ($rc)" [ $rc -eq 143 ]
check "second signal: within 2 s ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 2000 ]

"$DLPJAIL" --no-default-policy --grace soon true 2>/dev/null
check "--grace with a bad value is refused (125)" [ $? -eq 125 ]

# a broker thread that never answers: the shim blocks every signal while it
# waits, so only the launcher's SIGKILL after the grace period ends it
printf 'watchdog 0\n' > "$T/wd0.policy"
DLPJAIL_TEST_STALL=1 dflt "$DLPJAIL" --policy "$T/wd0.policy" --grace 1 python3 -c '
import socket, sys
open(sys.argv[1], "w").close()
socket.getaddrinfo("stall.dlpjail.test", 80)' "$T/r6" >/dev/null 2>&1 & p=$!
ready r6; sleep 0.5; t0=$(ms); kill -TERM $p; reap $p; t1=$(ms)
check "stuck broker thread: SIGTERM still ends the run, exit 143 ($rc)" [ $rc -eq 143 ]
check "stuck broker thread: within grace + 2 s ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 3000 ]

# ---- 3. the watchdog ----
printf 'watchdog 1\nallow 127.0.0.1\n' > "$T/wd.policy"
rm -f "$T/events.jsonl"
t0=$(ms)
out=$(DLPJAIL_TEST_STALL=1 timeout 20 "$DLPJAIL" --policy "$T/wd.policy" --log "$T/events.jsonl" \
	python3 -c "$LOOKUP"'
print(socket.getaddrinfo("localhost", 80)[0][4][0])' stall.dlpjail.test 2>"$T/err")
t1=$(ms)
check "watchdog: the stuck lookup is refused, not hung" [ "$(printf '%s\n' "$out" | head -1)" = refused ]
check "watchdog: the process goes on and its next lookup is answered" \
	[ "$(printf '%s\n' "$out" | sed -n 2p)" = 127.0.0.1 ]
check "watchdog: the run takes seconds, not forever ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 6000 ]
check "watchdog: the event names op, pid, exe and the watchdog" \
	event_has '"op":"resolve"' '"pid":[0-9]+' '"exe":"[^"]*python' '"verdict":"deny"' \
	'"reason":"broker watchdog: no progress for 1 s"'
check "watchdog: the shim's message says why" \
	grep -q "blocked name lookup of .*: broker watchdog: no progress for 1 s" "$T/err"

# a stuck send is refused, and the rest of that stream stays refused (no
# fresh scan state for the second half of a split secret). The shim's path:
# under the relay (the default) the shim sends no plain TCP at all, so this
# runs --no-relay (the relay's own watchdog: 359-relay-watchdog.sh)
python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "ab") as f:
        while True:
            b = c.recv(4096)
            if not b: break
            f.write(b); f.flush()' "$T/sink.port" "$T/sink.log" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/sink.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
out=$(DLPJAIL_TEST_STALL=1 timeout 20 "$DLPJAIL" --policy "$T/wd.policy" --log "$T/events.jsonl" --no-relay python3 -c '
import socket, sys, errno
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def send(b):
    try: s.sendall(b); return "sent"
    except OSError as e: return errno.errorcode[e.errno]
print(send(b"part-one;"), send(b"dlpjail-test-stall"), send(b"part-two;"))
t = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t.sendall(b"new-conn;"); t.close(); s.close()' "$(cat "$T/sink.port")" 2>/dev/null)
sleep 0.3
check "watchdog: a stuck send is refused, later sends on that stream too ($out)" \
	[ "$out" = "sent EACCES EACCES" ]
check "watchdog: the server got the first part only" \
	sh -c "grep -q 'part-one;' '$T/sink.log' && ! grep -q 'part-two;\|dlpjail-test-stall' '$T/sink.log'"
check "watchdog: a new connection of the same process works" grep -q 'new-conn;' "$T/sink.log"

printf 'watchdog -1\n' > "$T/bad.policy"
out=$("$DLPJAIL" --policy "$T/bad.policy" true 2>&1); rc=$?
check "watchdog: a bad value stops dlpjail (125) and is named" \
	sh -c "[ $rc -eq 125 ] && printf '%s' \"\$1\" | grep -q 'bad.policy:1:[0-9]*: watchdog takes seconds'" _ "$out"

# ---- 4. the ad hoc broker: --stop, policy reload ----
mkdir -m 700 "$T/run"
printf 'allow one.test\n' > "$T/adhoc.policy"
export XDG_RUNTIME_DIR="$T/run" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_POLICY="$T/adhoc.policy" DLPJAIL_IDLE=60
ev="$T/run/dlpjail/events.jsonl"
q() { $NONET env LD_PRELOAD="$DLPJAIL_SHIM" python3 -c "$LOOKUP" "$1" 2>/dev/null; }
# The ad hoc broker supervises its clients (pidfd_getfd): they must share its
# user namespace, so every q() enters one namespace, where the first starts it.
if [ -n "$NONET" ] && command -v nsenter >/dev/null; then
	$NONET sleep 600 &
	nsh=$!
	PIDS="$PIDS $nsh"
	i=0
	while [ "$(readlink /proc/$nsh/ns/net)" = "$(readlink /proc/self/ns/net)" ] && [ $i -lt 50 ]; do
		sleep 0.05; i=$((i + 1)); done
	NONET="nsenter --preserve-credentials -U -n -t $nsh"
fi
# wait_ev PATTERN: until the broker's event log has PATTERN (5 s at most)
wait_ev() { i=0; while ! grep -q "$1" "$ev" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }

out=$("$DLPJAIL" broker --stop 2>&1); rc=$?
check "broker --stop with none running: says so, exit 0" \
	sh -c "[ $rc -eq 0 ] && printf '%s' \"\$1\" | grep -q 'no broker is running'" _ "$out"
check "ad hoc: allowed by the first policy" [ "$(q one.test)" = passed ]
check "ad hoc: refused by the first policy" [ "$(q two.test)" = refused ]
bpid=$(cat "$T/run/dlpjail/broker.lock" 2>/dev/null)
[ -n "$bpid" ] && PIDS="$PIDS $bpid"
check "ad hoc: the lock file names the broker's pid" kill -0 "$bpid"

if [ -n "$NONET" ]; then
	printf 'allow two.test\n' > "$T/adhoc.policy"
	wait_ev 'policy reloaded'
	check "reload: an event says which file was reloaded" \
		grep -q "\"reason\":\"policy reloaded: $T/adhoc.policy changed\"" "$ev"
	check "reload: the next lookup follows the new file (allowed now)" [ "$(q two.test)" = passed ]
	check "reload: the next lookup follows the new file (refused now)" [ "$(q one.test)" = refused ]
	printf 'allow three.test\nallow not..a.host\n' > "$T/adhoc.policy"
	wait_ev 'policy reload failed'
	check "reload: a broken file is reported with file and line" \
		grep -q "policy reload failed ($T/adhoc.policy changed): $T/adhoc.policy:2:[0-9]*: .*previous policy stays" "$ev"
	check "reload: after a broken edit the old policy still allows" [ "$(q two.test)" = passed ]
	check "reload: after a broken edit nothing of the broken file applies" [ "$(q three.test)" = refused ]
	rm "$T/adhoc.policy"
	sleep 1.5
	check "reload: a deleted file keeps the old policy" [ "$(q two.test)" = passed ]
	check "reload: the same broker serves throughout" [ "$(cat "$T/run/dlpjail/broker.lock")" = "$bpid" ]
else
	echo "# no network namespace: reload not checked"
fi

out=$("$DLPJAIL" broker --stop 2>&1); rc=$?
check "broker --stop: exit 0 and says so" \
	sh -c "[ $rc -eq 0 ] && printf '%s' \"\$1\" | grep -q 'stopped the broker (pid $bpid)'" _ "$out"
# gone, or a zombie where init does not reap (some containers)
check "broker --stop: the broker is gone" \
	sh -c "[ ! -e /proc/$bpid ] || grep -q '^[0-9]* (.*) Z' /proc/$bpid/stat"
check "broker --stop: its socket is removed" [ ! -e "$T/run/dlpjail/broker.sock" ]
check "broker --stop: the broker logged its stop" grep -q '"broker stopped on request"' "$ev"

# ---- the composed chain: a user.policy written later is reloaded too ----
if [ -n "$NONET" ]; then
	export XDG_CONFIG_HOME="$T/cfg"
	mkdir -p "$XDG_CONFIG_HOME/dlpjail"
	unset DLPJAIL_POLICY
	rm -f "$ev"
	check "chain: a name no file allows is refused" [ "$(q four.test)" = refused ]
	bpid=$(cat "$T/run/dlpjail/broker.lock" 2>/dev/null)
	[ -n "$bpid" ] && PIDS="$PIDS $bpid"
	printf 'allow four.test\n' > "$XDG_CONFIG_HOME/dlpjail/user.policy"
	wait_ev 'policy reloaded'
	check "chain: creating user.policy reloads the broker" \
		grep -q "\"reason\":\"policy reloaded: $XDG_CONFIG_HOME/dlpjail/user.policy changed\"" "$ev"
	check "chain: and the new user line applies" [ "$(q four.test)" = passed ]
	"$DLPJAIL" broker --stop >/dev/null 2>&1
fi
finish
