#!/bin/sh
# 080-adhoc-broker: LD_PRELOAD=libdlpshim.so without the launcher finds the
# per-user broker, or starts one with the default policy, and enforces it.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
TOKEN=xoxb-123456789012-1234567890123-AdhocCanaryTokenAbCd
mkdir -m 700 "$T/run"
printf 'allow 127.0.0.1\ncanary %s\n' "$TOKEN" > "$T/adhoc.policy"
# DLPJAIL_IDLE: the broker the shim starts exits 5 s after its last client
export XDG_RUNTIME_DIR="$T/run" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_POLICY="$T/adhoc.policy" DLPJAIL_IDLE=5

out=$(LD_PRELOAD="$DLPJAIL_SHIM" curl -s "http://127.0.0.1:$web_PORT/adhoc" 2>&1)
check "ad hoc: first shimmed process starts a broker and connects" [ "$out" = hello ]
check "ad hoc: the per-user socket exists" [ -S "$T/run/dlpjail/broker.sock" ]
check "ad hoc: the socket directory is private" [ "$(stat -c %a "$T/run/dlpjail")" = 700 ]
bpid=$(fuser "$T/run/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$bpid" ] && PIDS="$PIDS $bpid"

out=$(LD_PRELOAD="$DLPJAIL_SHIM" curl -s -d "t=$TOKEN" "http://127.0.0.1:$web_PORT/adhoc2" 2>&1); rc=$?
check "ad hoc: the running broker is reused and blocks a canary" [ "$rc" -ne 0 ]
check "ad hoc: the token never reached the server" sh -c "! grep -q '$TOKEN' '$web_LOG'"
check "ad hoc: events go to the per-user log" grep -q '"detector":"canary"' "$T/run/dlpjail/events.jsonl"
out=$(LD_PRELOAD="$DLPJAIL_SHIM" python3 -c "
import socket,errno
s=socket.socket()
try: s.connect(('127.0.0.2',9)); print('ok')
except OSError as e: print(errno.errorcode[e.errno])" 2>/dev/null)
check "ad hoc: the policy denies what it does not allow" [ "$out" = EACCES ]
n=$(ls "$T/run/dlpjail" | grep -c 'broker.sock')
check "ad hoc: one broker socket for all processes" [ "$n" -eq 1 ]
[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
finish
