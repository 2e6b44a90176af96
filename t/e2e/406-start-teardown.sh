#!/bin/sh
# 406-start-teardown: a session that sends nothing ends without waiting
# on the relay's drain. brk_relay_drain() wakes each relay thread, which
# says what it still has to send; a thread that looked at the drain flag
# before that wake-up said it only after its next 10 ms epoll_wait, at
# every session's teardown (~10 ms of wall time for `-- true`). Under
# strace the relay threads' 10 ms waits (epoll_wait(..., 64, 10), only
# while draining) are seen: in at least one of three runs none of them
# times out. With the late flag every run has one timeout per relay
# thread.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || skip "strace is not installed"
need_relay
strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here"

# LeakSanitizer cannot run under ptrace (the ASan build would exit 1 at
# its leak check): leaks are looked for in every other test
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
best=""
seen=0
for i in 1 2 3; do
	strace -f -qq -e trace=epoll_wait -o "$T/st.$i" \
		"$DLPJAIL" --no-default-policy -q -- true
	check "run $i: the command's exit status comes through" [ $? -eq 0 ]
	grep -q -E 'epoll_wait.*, 64, 10\)' "$T/st.$i" && seen=$((seen + 1))
	late=$(grep -c -E 'epoll_wait.*, 64, 10\) += 0$' "$T/st.$i")
	echo "# run $i: $late relay wait(s) of 10 ms timed out in the drain"
	if [ -z "$best" ] || [ "$late" -lt "$best" ]; then best=$late; fi
done
check "the relay threads drained (their 10 ms waits are seen)" [ "$seen" -eq 3 ]
check "a drain ends at its wake-up (no 10 ms wait timed out, best of 3: $best)" [ "$best" -eq 0 ]
finish
