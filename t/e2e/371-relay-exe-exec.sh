#!/bin/sh
# 371-relay-exe-exec: the supervisor reads a caller's sockaddr and exe
# through a /proc/TGID/mem it keeps per process and trusts the exe it read
# with it while that memory lives (broker/seccomp/sc_mem.c). Attacked as a
# program that would have its events name another one: a process that
# connects, then execs a different binary (same pid) and connects again;
# a vfork child that connects while it shares its parent's memory, then
# execs (the parent's memory lives on, so only the vfork check keeps its
# entry out). Each connect's event must name the program that made it and
# the port it asked for (a read of the old memory would find the old port:
# the helper keeps its sockaddr in a global of a static non-PIE image).
. "$(dirname "$0")/lib.sh"

command -v gcc >/dev/null || skip "gcc not installed"
need_relay
mkdir -p "$T/a" "$T/b"
gcc -O2 -static -o "$T/a/exe_exec" "$top_srcdir/t/e2e/exe_exec.c" 2>"$T/cc.log" ||
	skip "no static libc (a shimmed helper writes no event for an allowed connect)"
cp "$T/a/exe_exec" "$T/b/exe_exec"
start_server recsrv.py 127.0.0.1 one
start_server recsrv.py 127.0.0.1 two
J="--relay --allow 127.0.0.1 -q"

# seen EXE PORT: an allowed connect event of program EXE to PORT
seen() {
	python3 - "$T/events.jsonl" "$1" "$2" <<'PY'
import json, sys
log, exe, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
for line in open(log):
    e = json.loads(line)
    if e.get("op") == "connect" and e.get("exe") == exe and e.get("port") == port:
        sys.exit(0)
sys.exit(1)
PY
}

for how in exec vfork; do
	rm -f "$T/events.jsonl"
	timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -- \
		"$T/a/exe_exec" $how "$one_PORT" "$T/b/exe_exec" exe_exec tcp "$two_PORT" \
		2>"$T/$how.err"
	rc=$?
	check "$how: both connects made ($(cat "$T/$how.err"))" [ $rc -eq 0 ]
	check "$how: the first connect names the first program" seen "$T/a/exe_exec" "$one_PORT"
	check "$how: the connect after the exec names the new program and its port" \
		seen "$T/b/exe_exec" "$two_PORT"
	check "$how: no connect of the new program is named after the old one" \
		sh -c "! grep '\"port\":$two_PORT' '$T/events.jsonl' | grep -q '/a/exe_exec'"
done
finish
