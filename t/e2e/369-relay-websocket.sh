#!/bin/sh
# 369-relay-websocket: WebSocket client frames through the relay. Every
# client frame is masked with a 4-byte key of its own (RFC 6455), so the
# raw scan never sees a token a WebSocket client sends; the HTTP glue
# unmasks (and inflates, permessage-deflate) them after an upgrade
# request (broker/http/ws.c). A client sends a GitHub token four bytes a
# frame, in continuation frames with a ping between, and deflated in the
# third message of one window: the recording server never gets it (its
# log unmasked), and the event names the detector and the relay; a clean
# chat arrives whole. RELAY_FLAG=--no-relay runs it without the relay.
. "$(dirname "$0")/lib.sh"

RELAY=${RELAY_FLAG---relay}
TOKEN=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
C="$top_srcdir/t/e2e/ws_client.py"
need_relay

start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG

for m in frames fragments deflate; do
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY \
	      --allow 127.0.0.1 -q -- python3 "$C" "$m" "$PORT" "$TOKEN" 2>&1)
	sleep 0.2
	python3 "$C" unmask "$LOG" > "$T/payloads"
	check "$m: the token never reaches the server ($out)" \
		sh -c "! grep -q '$TOKEN' '$T/payloads' && ! grep -q 'gypDmeE0S3i49' '$T/payloads'"
	check "$m: the event names the detector and the relay" event_has '"op":"send"' \
		'"detector":"github-pat"' '"action":"blocked"' '"layers":"relay' "\"port\":$PORT"
done
: > "$LOG"
out=$(timeout 20 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
      python3 "$C" clean "$PORT" "$TOKEN" 2>&1)
sleep 0.2
python3 "$C" unmask "$LOG" > "$T/payloads"
check "clean: the chat arrives whole ($out)" grep -q 'see you at 10:30' "$T/payloads"
finish
