#!/bin/sh
# 398-relay-drain: what a client wrote just before it exited still goes out,
# scanned (brk_relay_drain, launcher.c), on every road: plain TCP, a
# non-blocking connect (the hold port), a connect the supervisor answered
# late (DLPJAIL_TEST_CONNECT_DELAY_MS), the key path (python3's hooked
# OpenSSL) and the CA path (bun). The test hook DLPJAIL_TEST_RELAY_STALL_MS
# makes each relay read wait before its scan (a busy machine), so at the
# command's exit most of the payload is still in the relay's socket: it
# must all arrive (sha256), dlpjail's status is the command's, and a canary
# written last is refused with an event and never arrives. A server slow
# to read, or slow to hang up (CA path), gets every byte and the client's
# end, and nothing is reset. A drain that cannot finish is bounded (500
# ms): a server that reads nothing (the relay thread waits in epoll), a
# relay thread still inside a serving (3 s a read), one past the
# launcher's teardown deadline (8 s a read): each time the connection is
# reset (never a clean end), with a relay-drain event or the teardown's
# stderr line, the canary behind never arrives, the status is the
# command's and dlpjail is done within seconds.
# With the brk_relay_drain() call in launcher.c commented out, 15 checks
# fail (the roads' bytes and canary events, the bound's events and line).
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
CLI="$top_srcdir/t/e2e/drain_client.py"
SINK="$top_srcdir/t/e2e/drain_sink.py"

# clean payloads (seeded: the same bytes every run) and a canary written last
python3 -c '
import base64, random, sys
r = random.Random(398)
for name, n in (("big", 300000), ("mid", 150000), ("huge", 2200000)):
    b = base64.encodebytes(r.randbytes(n))
    open(sys.argv[1] + "/" + name + ".txt", "wb").write(b)
' "$T"
for p in big mid huge; do
	cp "$T/$p.txt" "$T/$p-atk.txt"
	printf 'token=%s\n' "$TOKEN" >> "$T/$p-atk.txt"
done

make_ca
start_sink() { # NAME ARGS...: a drain_sink.py, sets ${NAME}_PORT, dir $T/NAME
	n=$1; shift
	mkdir -p "$T/$n"
	python3 "$SINK" "$T/$n.port" "$T/$n" "$@" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$n.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$n.port" ] || { echo "cannot start $SINK"; exit 99; }
	eval "${n}_PORT=\$(cat \"\$T/\$n.port\")"
}
start_sink plain
start_sink tls --tls "$T/pki/server.pem" "$T/pki/server.key"
start_sink slow --tls "$T/pki/server.pem" "$T/pki/server.key" --linger 3

# got NAME: until the sink's next connection ended (20 s at most); its
# bytes in $T/got, its end ("eof", "reset ...") in $END; none: END=none
SEEN=""
got() {
	i=0 END=none
	: > "$T/got"
	while [ $i -lt 400 ]; do
		for f in "$T/$1"/done.*; do
			[ -e "$f" ] || continue
			case $f in *.tmp) continue ;; esac   # the sink's, before its rename
			case " $SEEN " in *" $f "*) continue ;; esac
			SEEN="$SEEN $f"
			END=$(cat "$f")
			cp "$T/$1/${f##*/done.}.bin" "$T/got"
			return 0
		done
		sleep 0.05; i=$((i + 1))
	done
}
same() { [ "$(sha256sum < "$1")" = "$(sha256sum < "$T/got")" ]; }

# run STALL ARGS...: the jailed command under the stall hook; $out, $rc
run() {
	st=$1; shift
	: > "$T/events.jsonl"
	out=$(DLPJAIL_TEST_RELAY_STALL_MS=$st timeout 30 "$DLPJAIL" --no-default-policy \
	      --log "$T/events.jsonl" --relay --allow 127.0.0.1 --allow localhost \
	      --upstream-ca "$CA" --canary "$TOKEN" -q "$@" 2>&1); rc=$?
}

# road NAME SINK STALL CMD...: the clean payload arrives whole, then the
# canary behind it is refused
road() {
	name=$1 sink=$2 st=$3 pay=$4; shift 4
	run "$st" -- "$@" "$T/$pay.txt"
	got "$sink"
	check "$name: all $(wc -c < "$T/$pay.txt") bytes written just before the exit arrive ($END, $(wc -c < "$T/got") bytes; $out)" \
		same "$T/$pay.txt"
	check "$name: dlpjail's status is the command's ($rc)" [ "$rc" = 7 ]
	run "$st" -- "$@" "$T/$pay-atk.txt"
	got "$sink"
	check "$name: the canary written last never arrives ($END)" sh -c "! grep -q '$TOKEN' '$T/got'"
	check "$name: ... refused by the relay with an event" event_has '"op":"send"' \
		'"detector":"canary"' '"action":"blocked"' '"layers":"relay'
	check "$name: dlpjail's status is still the command's ($rc)" [ "$rc" = 7 ]
}

road "plain" plain 20 big python3 "$CLI" plain "$plain_PORT"
road "non-blocking connect" plain 20 big python3 "$CLI" nb "$plain_PORT"
# the supervisor's upstream connect waits 300 ms (twice): the client's
# connect is answered late, then it writes and exits
export DLPJAIL_TEST_CONNECT_DELAY_MS=300
road "late connect" plain 20 big python3 "$CLI" plain "$plain_PORT"
unset DLPJAIL_TEST_CONNECT_DELAY_MS
road "key path" tls 20 big python3 "$CLI" tls "$tls_PORT" "$CA"
check "key path: ... it took the key path" sh -c \
	"DLPJAIL_TEST_RELAY_STALL_MS=50 '$DLPJAIL' --no-default-policy --relay --allow 127.0.0.1 \
	 -v -v -q -- python3 '$CLI' tls '$tls_PORT' '$CA' '$T/mid.txt' 2>&1 | grep -q 'key path'"
got tls
if command -v bun >/dev/null; then
	# the CA path reads 32 KiB a time: a smaller payload, a shorter stall
	road "CA path" tls 10 mid bun "$top_srcdir/t/e2e/drain_client.js" "$tls_PORT"
	# a server that hangs up 3 s after the client's end: the client's bytes
	# are all out, nothing to wait for, nothing to reset
	run 0 -- bun "$top_srcdir/t/e2e/drain_client.js" "$slow_PORT" "$T/mid.txt"
	got slow
	check "CA path, slow server: all bytes arrive, ended by the client ($END; $out)" \
		sh -c "[ '$END' = eof ]" && check "CA path, slow server: byte for byte" same "$T/mid.txt"
	check "CA path, slow server: the drain resets nothing" \
		sh -c "! grep -q relay-drain '$T/events.jsonl'"
else
	echo "# bun not installed: CA path cases skipped"
fi
# (the key path's tickets: the sink sends none, see drain_sink.py)

# a server slow to read (nothing for 2 s): the client's bytes are all
# scanned and handed to the kernel within the bound; the stop closes that
# pair without a reset, so they still arrive (a reset dropped them before)
start_sink deaf --deaf 2
run 0 -- python3 "$CLI" plain "$deaf_PORT" "$T/big.txt"
got deaf
check "slow reader: all bytes arrive, then the client's end ($END; $out)" \
	sh -c "[ '$END' = eof ]" && check "slow reader: byte for byte" same "$T/big.txt"
check "slow reader: the drain resets nothing" sh -c "! grep -q relay-drain '$T/events.jsonl'"

# bounded SINK STALL PAYLOAD SECS WHAT: a drain that cannot finish; the
# connection is reset (never a clean end), the canary behind never arrives
bounded() {
	sink=$1 st=$2 pay=$3 secs=$4 what=$5
	eval "port=\$${sink}_PORT"
	t0=$(date +%s)
	run "$st" -- python3 "$CLI" plain "$port" "$T/$pay-atk.txt"
	t1=$(date +%s)
	got "$sink"
	check "bounded, $what: dlpjail is done within $secs s ($((t1 - t0)) s)" [ $((t1 - t0)) -le "$secs" ]
	check "bounded, $what: dlpjail's status is the command's ($rc)" [ "$rc" = 7 ]
	check "bounded, $what: the server sees a reset, not an end ($END)" \
		sh -c "case '$END' in reset*) ;; *) exit 1 ;; esac"
	check "bounded, $what: the canary behind the bytes not sent never arrives" \
		sh -c "! grep -q '$TOKEN' '$T/got'"
	check "bounded, $what: not all of it arrived ($(wc -c < "$T/got") bytes)" \
		[ "$(wc -c < "$T/got")" -lt "$(wc -c < "$T/$pay-atk.txt")" ]
}
# a server that reads nothing for 2 s, 3 MB: the relay thread waits in
# epoll, the stop resets the pair after the drain's 500 ms
bounded deaf 0 huge 4 "a server slow to read"
check "bounded, a server slow to read: the event" event_has '"op":"send"' \
	'"rule":"relay-drain"' '"action":"blocked"' '"port":'"$deaf_PORT"
check "bounded, a server slow to read: the stderr line ($out)" \
	has "$out" 'still sending 500 ms after the command exited: reset'
# 3 s a read: the thread is inside a serving at the bound; that pair is
# refused then (both sockets reset), nothing it holds goes
bounded plain 3000 big 5 "a serving that has not returned"
check "bounded, a serving that has not returned: the event" event_has '"op":"send"' \
	'"rule":"relay-drain"' '"action":"blocked"' '"port":'"$plain_PORT"
check "bounded, a serving that has not returned: nothing of the read in progress goes" \
	[ "$(wc -c < "$T/got")" -eq 0 ]
check "bounded, a serving that has not returned: one event, no scan refusal after it" \
	sh -c "[ \$(grep -c '\"action\":\"blocked\"' '$T/events.jsonl') = 1 ]"
# 8 s a read: the stop waits for the serving until the teardown deadline
# (5 s), which resets every TCP socket still open before it exits
bounded plain 8000 big 7 "past the teardown deadline"
check "bounded, past the teardown deadline: the stderr line ($out)" \
	has "$out" 'teardown deadline: connections still open are reset'
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
