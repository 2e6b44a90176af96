#!/bin/sh
# 303-adhoc-backstop: the ad hoc form (LD_PRELOAD=libdlpshim.so cmd, no
# launcher) gives the launcher's guarantees (issue 10 item 8): the shim
# puts the first process under the launcher's seccomp filter and the
# per-user broker supervises the tree with the relay on. A canary written
# past the hooks (sendfile, a raw syscall, a static busybox child, an
# `env -i` child without LD_PRELOAD, a program exporting the broker's
# marker symbol) never reaches the recording server and the per-user event
# log names the relay; clean bytes still arrive. Without a broker the
# process fails closed, static children included.
. "$(dirname "$0")/lib.sh"

TOKEN=xoxb-123456789012-1234567890123-AdhocRelayCanaryTokAb
C="$top_srcdir/t/e2e/relay_client.py"
need_relay
start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG
printf 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\nt=%s\n' "$TOKEN" > "$T/secret.txt"
printf 'GET /clean HTTP/1.1\r\nHost: x\r\n\r\n' > "$T/clean.txt"
cc -o "$T/relay_writer" "$top_srcdir/t/e2e/relay_writer.c" &&
cc -rdynamic -o "$T/marker_prog" "$top_srcdir/t/e2e/marker_prog.c" ||
	{ echo "cannot build the test programs"; exit 99; }

mkdir -m 700 "$T/run"
printf 'allow 127.0.0.1\ncanary %s\n' "$TOKEN" > "$T/adhoc.policy"
export XDG_RUNTIME_DIR="$T/run" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_POLICY="$T/adhoc.policy" DLPJAIL_IDLE=5
EV="$T/run/dlpjail/events.jsonl"
# the first process that loads the shim is the command itself (env is not shimmed)
adhoc() { timeout 20 env LD_PRELOAD="$DLPJAIL_SHIM" "$@"; }
has() { printf '%s\n' "$1" | grep -Eq -- "$2"; }

out=$(adhoc sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status' | tr -s '\t\n' '  ')
check "the shimmed process is under a seccomp filter with no_new_privs ($out)" \
	sh -c "echo '$out' | grep -q 'NoNewPrivs: 1 Seccomp: 2'"
bpid=$(fuser "$T/run/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$bpid" ] && PIDS="$PIDS $bpid"
out=$(adhoc sh -c 'env -i /bin/grep -c "^Seccomp:.2" /proc/self/status')
check "an env -i child (no LD_PRELOAD) is still under it ($out)" [ "$out" = 1 ]

# leak NAME EXE CMD [LAYERS]: CMD (sh; $PAY = payload) ad hoc with the secret;
# the event's layers start with LAYERS (default: relay)
leak() {
	: > "$LOG"
	n0=$(cat "$EV" 2>/dev/null | wc -l)
	out=$(PAY="$T/secret.txt" adhoc sh -c "$3" 2>&1)
	sleep 0.2
	check "$1: the canary never reaches the server ($out)" sh -c "! grep -q '$TOKEN' '$LOG'"
	check "$1: the per-user log has the ${4:-relay} event naming $2" sh -c \
		"tail -n +$((n0 + 1)) '$EV' | grep -E '\"layers\":\"(${4:-relay})' | grep '\"detector\":\"canary\"' | grep -q '\"exe\":\"[^\"]*$2'"
}
leak "curl -d (the hooks, then the relay)" curl \
	"curl -s -m 5 --data-binary @\"\$PAY\" http://127.0.0.1:$PORT/c" "relay|raw"
leak "python sendfile" python "python3 '$C' sendfile $PORT \"\$PAY\""
leak "raw syscall instruction" relay_writer "'$T/relay_writer' asm $PORT \"\$PAY\""
leak "env -i child, sendfile" python "env -i /usr/bin/python3 '$C' sendfile $PORT \"\$PAY\""
# syscall(SYS_write): the shim's syscall() hook sees it (the shim is not inert)
: > "$LOG"
out=$(adhoc "$T/marker_prog" "$PORT" "$T/secret.txt" 2>&1)
sleep 0.2
check "program exporting dlpjail_broker_marker, first to load the shim: the canary never arrives ($out)" \
	sh -c "! grep -q '$TOKEN' '$LOG'"
BB=$(command -v busybox || true)
if [ -n "$BB" ] && file -L "$BB" | grep -q 'statically linked'; then
	leak "static busybox nc child" busybox "'$BB' nc -w 2 127.0.0.1 $PORT < \"\$PAY\""
	: > "$LOG"
	out=$(adhoc sh -c "'$BB' nc -w 2 127.0.0.1 $PORT < '$T/clean.txt'" 2>&1)
	i=0; while ! grep -q clean "$LOG" && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
	check "static busybox nc child: clean bytes arrive through the relay" cmp -s "$T/clean.txt" "$LOG"
fi
out=$(adhoc "$T/marker_prog" "$PORT" "$T/clean.txt" 2>&1 | head -1)
check "the marker symbol does not switch the backstop off ($out)" [ "$out" = "$(printf 'Seccomp:\t2')" ]
check "no event shows the canary" sh -c "! grep -q '$TOKEN' '$EV'"

# no broker can be reached: fail closed, the static child too
: > "$LOG"
mkdir -m 700 "$T/run2"
out=$(XDG_RUNTIME_DIR="$T/run2" DLPJAIL_BIN=/nonexistent/dlpjail adhoc sh -c \
      "python3 '$C' sendfile $PORT '$T/clean.txt'; '${BB:-false}' nc -w 2 127.0.0.1 $PORT < '$T/clean.txt'" 2>&1)
sleep 0.2
check "no broker: nothing reaches the server ($out)" [ ! -s "$LOG" ]
check "no broker: the shim says network calls are refused" has "$out" 'network calls are refused'
check "no broker: the static child's connect fails (ENOSYS: nobody listens)" \
	has "$out" "nc: can't connect.*Function not implemented"
[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
finish
