#!/bin/sh
# 100-cli: help, exit status pass-through, bad policies named clearly,
# monitor mode, LD_PRELOAD prepended.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
check "--help describes the options" sh -c "'$DLPJAIL' --help | grep -q -- '--monitor'"
"$DLPJAIL" --no-default-policy sh -c 'exit 3' 2>/dev/null
check "exit status is passed through" [ $? -eq 3 ]
"$DLPJAIL" --no-default-policy sh -c 'kill -TERM $$' 2>/dev/null
check "death by signal N exits 128+N" [ $? -eq 143 ]
"$DLPJAIL" --no-default-policy /nonexistent/cmd 2>/dev/null
check "a missing command exits 127" [ $? -eq 127 ]

printf 'allow 127.0.0.1\nallow 10.0.0.1/8\n' > "$T/bad.policy"
out=$("$DLPJAIL" --policy "$T/bad.policy" true 2>&1); rc=$?
check "a broken policy file stops dlpjail (125)" [ $rc -eq 125 ]
check "the error names file, line and problem" sh -c "printf '%s' \"\$1\" | grep -q 'bad.policy:2:7: .*host bits'" _ "$out"
out=$("$DLPJAIL" --allow 'not a host' true 2>&1); rc=$?
check "a broken --allow is refused (125)" [ $rc -eq 125 ]

TOKEN=sk_live_MonitorCanary0123456789abcdefXYZ
out=$(jail --monitor --allow 127.0.0.1 --canary "$TOKEN" -- curl -s -d "k=$TOKEN" "http://127.0.0.1:$web_PORT/mon" 2>"$T/err")
check "monitor mode lets the canary through" [ "$out" = "got $(printf 'k=%s' "$TOKEN" | wc -c)" ]
check "monitor mode logs what it would have blocked" event_has '"detector":"canary"' '"verdict":"deny"' '"action":"logged"'
check "the summary says it was monitor mode" grep -q "would have been blocked (monitor mode)" "$T/err"

out=$(LD_PRELOAD=/nonexistent-other.so "$DLPJAIL" --no-default-policy sh -c 'echo "$LD_PRELOAD"' 2>/dev/null)
check "LD_PRELOAD keeps the caller's entries after the shim" [ "$out" = "$DLPJAIL_SHIM:/nonexistent-other.so" ]
out=$(jail --allow 127.0.0.1 -- sh -c 'echo "$DLPJAIL_SOCK"' 2>/dev/null)
check "DLPJAIL_SOCK points at a socket path" sh -c "case '$out' in /*/broker.sock) true;; *) false;; esac"
finish
