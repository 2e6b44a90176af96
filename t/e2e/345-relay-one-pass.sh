#!/bin/sh
# 345-relay-one-pass: the relay inspects each byte once (issue 10 item 12:
# the HTTP layer scans chunk data and h2 DATA de-framed, the raw scan only
# the rest). A plain-TCP client hides a GitHub token in each place the raw
# scan still has to cover: h2c DATA padding, half in a DATA payload and
# half in its padding, split over two DATA frames (body stream), HEADERS
# padding; chunk extension, trailer, split over chunks. The recording
# server never gets the token (nor its second half, for the splits), the
# event names the detector and the relay; the clean framings arrive byte
# for byte. RELAY_FLAG=--no-relay runs it without the relay: it fails.
. "$(dirname "$0")/lib.sh"

RELAY=${RELAY_FLAG---relay}
TOKEN=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
SECOND=$(printf '%s' "\"$TOKEN\"" | cut -c22-)
C="$top_srcdir/t/e2e/h2_hide.py"
need_relay

start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG

for m in pad padsplit frames hdrpad chunkext trailer chunksplit; do
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY \
	      --allow 127.0.0.1 -q -- python3 "$C" "$m" "$PORT" "$TOKEN" "$T/sent" 2>&1)
	sleep 0.2
	check "$m: the token never reaches the server ($out)" \
		sh -c "! grep -q '$TOKEN' '$LOG' && ! grep -q -- '$SECOND' '$LOG'"
	check "$m: the event names the detector and the relay" event_has '"op":"send"' \
		'"detector":"github-pat"' '"action":"blocked"' '"layers":"relay' "\"port\":$PORT"
done
for m in clean-h2 clean-chunked; do
	: > "$LOG"
	out=$(timeout 20 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
	      python3 "$C" "$m" "$PORT" "$TOKEN" "$T/sent" 2>&1)
	i=0
	while [ "$(wc -c < "$LOG")" -lt "$(wc -c < "$T/sent")" ] && [ $i -lt 40 ]; do
		sleep 0.05; i=$((i + 1))
	done
	check "$m: clean bytes arrive byte for byte ($out)" cmp -s "$T/sent" "$LOG"
done
finish
