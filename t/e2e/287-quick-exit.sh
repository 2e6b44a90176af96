#!/bin/sh
# 287-quick-exit: the launcher ends with _exit() once the session is over
# (broker/launcher.c, launch_quick_exit) instead of freeing the engine,
# policy and OpenSSL state. Nothing the user sees may change: the exit
# status (plain, from exit(), from a signal), the event log's last event,
# the summary on stderr, the private directory removed, a jailed process
# that outlives the command still ended, and a detector compile in flight
# (cold matcher cache, started by the session's first send) still finished
# and cached. Each case runs with the
# quick exit and with DLPJAIL_FULL_TEARDOWN=1 (the old path) and must
# give the same answer.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 v4
mkdir -p "$T/tmp"

# run MODE ARGS...: one jailed run, private directory under $T/tmp; sets RC
# and OUT (stderr), events in $T/ev-MODE.jsonl
run() {
	mode=$1; shift
	rm -f "$T/ev-$mode.jsonl"
	OUT=$([ "$mode" = full ] && export DLPJAIL_FULL_TEARDOWN=1; "$@" 2>&1 >/dev/null); RC=$?
}

for mode in quick full; do
	jl() { env -u XDG_RUNTIME_DIR TMPDIR="$T/tmp" "$DLPJAIL" --no-default-policy \
		--log "$T/ev-$mode.jsonl" "$@"; }
	# a cold matcher cache: a short session that sends nothing compiles
	# nothing (the engine is set up at its first use); one that sends
	# starts the compile, which still finishes and is cached (the next
	# session loads it)
	mkdir -p "$T/cache-$mode"
	run $mode env XDG_CACHE_HOME="$T/cache-$mode" "$DLPJAIL" --no-default-policy -q -- true
	check "$mode: a short session that sends nothing leaves a cold cache empty" \
		sh -c "[ -z \"\$(ls -A '$T/cache-$mode/dlpjail' 2>/dev/null)\" ]"
	run $mode env XDG_CACHE_HOME="$T/cache-$mode" "$DLPJAIL" --no-default-policy -q \
		--allow 127.0.0.1 -- curl -s -o /dev/null "http://127.0.0.1:$v4_PORT/c"
	run $mode env XDG_CACHE_HOME="$T/cache-$mode" "$DLPJAIL" --no-default-policy -q -vv \
		--allow 127.0.0.1 -- curl -s -o /dev/null "http://127.0.0.1:$v4_PORT/w"
	check "$mode: a short session with a cold cache leaves the compiled database cached" \
		sh -c "printf '%s' \"\$1\" | grep -q 'loaded from the cache'" _ "$OUT"
	run $mode jl -- sh -c 'exit 3'
	check "$mode: exit status 3 passed through" [ "$RC" -eq 3 ]
	run $mode jl -- sh -c 'kill -TERM $$'
	check "$mode: a command killed by SIGTERM gives 143" [ "$RC" -eq 143 ]
	run $mode jl --allow 10.0.0.0/8 -- curl -s -S -m 5 "http://127.0.0.1:$v4_PORT/x"
	check "$mode: curl's exit status (7) passed through" [ "$RC" -eq 7 ]
	check "$mode: the summary is printed" sh -c "printf '%s' \"\$1\" | grep -q 'to allow it: --allow 127.0.0.1'" _ "$OUT"
	check "$mode: the deny event is in the log, whole" sh -c \
		"tail -n 1 '$T/ev-$mode.jsonl' | python3 -c 'import json,sys; e=json.loads(sys.stdin.read()); sys.exit(0 if e.get(\"verdict\")==\"deny\" else 1)'"
	# a jailed grandchild that outlives the command is ended with the session
	run $mode jl -- sh -c "sleep 30 & echo \$! > '$T/orphan-$mode'"
	sleep 0.2
	check "$mode: a process that outlives the command is ended" sh -c "! kill -0 \$(cat '$T/orphan-$mode') 2>/dev/null"
	check "$mode: the private directory is removed" sh -c "[ -z \"\$(ls -A '$T/tmp')\" ]"
done
check "quick and full teardown write the same events" sh -c \
	"[ \$(wc -l < '$T/ev-quick.jsonl') -eq \$(wc -l < '$T/ev-full.jsonl') ]"

finish
