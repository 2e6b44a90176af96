#!/bin/sh
# 351-weak: where the host has no seccomp user notification (forced here with
# DLPJAIL_TEST_NO_NOTIFY, which makes the launcher's probe fail), dlpjail
# refuses to run and says why (issue 10 item 10), unless --weak: then the
# shim-only mode runs with a warning that content can bypass it, and the
# shim still blocks what it sees. --weak never weakens a host that has the
# backstop: there the relay still stops a sendfile(2) the shim never sees.
. "$(dirname "$0")/lib.sh"

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv3
J="--allow 127.0.0.1 --canary $TOKEN"
start_http 127.0.0.1 web

out=$(DLPJAIL_TEST_NO_NOTIFY=1 jail $J -- touch "$T/ran" 2>&1); rc=$?
check "no notify: dlpjail refuses to run (125) ($rc)" [ "$rc" -eq 125 ]
check "no notify: the command did not run" [ ! -e "$T/ran" ]
check "no notify: it says why and names --weak" sh -c \
	"printf '%s' \"\$1\" | grep -q 'no seccomp user notification (forced by DLPJAIL_TEST_NO_NOTIFY).*--weak'" _ "$out"

out=$(DLPJAIL_TEST_NO_NOTIFY=1 jail $J --relay --weak -- touch "$T/ran" 2>&1); rc=$?
check "no notify, --relay --weak: still refused (125), --relay needs the backstop" [ "$rc" -eq 125 ] && [ ! -e "$T/ran" ]

out=$(DLPJAIL_TEST_NO_NOTIFY=1 jail $J --weak -- touch "$T/ran" 2>&1); rc=$?
check "no notify, --weak: the command runs ($rc)" [ "$rc" -eq 0 ] && [ -e "$T/ran" ]
check "--weak: the warning says content can bypass the shim" sh -c \
	"printf '%s' \"\$1\" | grep -q 'weak mode (forced by DLPJAIL_TEST_NO_NOTIFY): only what the shim sees is inspected'" _ "$out"
out=$(jail $J --no-seccomp -- true 2>&1)
check "--no-seccomp is the weak mode too, warned" sh -c "printf '%s' \"\$1\" | grep -q 'weak mode (--no-seccomp)'" _ "$out"

out=$(DLPJAIL_TEST_NO_NOTIFY=1 jail $J --weak -- curl -s -S -d "token=$TOKEN" \
	"http://127.0.0.1:$web_PORT/weak" 2>&1); rc=$?
check "--weak: the shim still blocks a canary POST" [ "$rc" -ne 0 ]
check "--weak: the server never saw it" sh -c "! grep -q '$TOKEN' '$web_LOG'"

# a capable host: --weak changes nothing, the relay still reads sendfile(2)
if "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -- true 2>/dev/null; then
	printf 'POST /sf HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\ntoken=%s\n' "$TOKEN" > "$T/pay"
	: > "$T/events.jsonl"
	jail $J --weak -q -- python3 "$top_srcdir/t/e2e/relay_client.py" sendfile "$web_PORT" "$T/pay" \
		> "$T/sf.out" 2>&1
	check "capable host, --weak: the relay still stops a sendfile(2) canary" sh -c "! grep -q '$TOKEN' '$web_LOG'"
	check "capable host, --weak: the event names the relay" event_has '"detector":"canary"' '"layers":"relay'
fi
finish
