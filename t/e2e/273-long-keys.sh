#!/bin/sh
# 273-long-keys: the session's own ~/.ssh/id_ed25519 and id_rsa (real keys
# from ssh-keygen in a fake HOME), reshaped the ways a worm reshapes a long
# value (t/known/long_keys.py: rewrapped at 50..80 columns, CRLF, JSON
# "\n" escapes, indented, a middle line, 24 decoded bytes of a private
# field, the whole file base64'd at each alignment, a kubeconfig, hex,
# gzip, URL-encoded, a GCP service-account JSON), POSTed by python3 through
# the relay to a recording loopback server: every one is blocked as a
# known secret and no key line arrives (--real-secrets: the jail sees the
# real keys, not placeholders, as the ad hoc broker does). The keys' .pub files (which the
# private key files embed) go through.
. "$(dirname "$0")/lib.sh"
command -v ssh-keygen >/dev/null || skip "ssh-keygen not installed"
start_http 127.0.0.1 col

H=$T/home
mkdir -p "$H/.ssh"
ssh-keygen -q -t ed25519 -N '' -C t273 -f "$H/.ssh/id_ed25519" || { echo "ssh-keygen failed"; exit 99; }
ssh-keygen -q -t rsa -b 3072 -N '' -C t273 -f "$H/.ssh/id_rsa" || { echo "ssh-keygen failed"; exit 99; }

HOME="$H" "$DLPJAIL" --no-default-policy --real-secrets --log "$T/events.jsonl" --allow 127.0.0.1 --no-canaries \
	-- python3 "$top_srcdir/t/known/long_keys.py" "$col_PORT" "$top_srcdir" > "$T/out" 2>"$T/jail.err"
sed 's/^/# /' "$T/out"
nk=$(grep -c '^[er][a-z0-9]*:.* blocked$' "$T/out")
check "every reshaped key blocked ($nk)" sh -c \
	"[ $nk -ge 70 ] && ! grep -Eq '^(ed25519|rsa):.* sent$' '$T/out'"
check "the .pub files went through" sh -c \
	"grep -q '^pub:ed25519 sent$' '$T/out' && grep -q '^pub:rsa sent$' '$T/out' &&
	 grep -qF \"\$(cut -d' ' -f2 '$H/.ssh/id_rsa.pub')\" '$col_LOG'"
# the private section's lines (the first lines hold the public key)
no_key_line() {
	for f in id_ed25519 id_rsa; do
		grep -v -- ----- "$H/.ssh/$f" | tail -n +4 | head -n -1 > "$T/lines"
		if grep -qF -f "$T/lines" "$@"; then echo "a line of $f in $*"; return 1; fi
	done
}
check "no line of either key reached the collector" no_key_line "$col_LOG"
check "the blocks are evented as known-secret" event_has '"detector":"known-secret"'
check "... with the key's transform named" event_has '"detector":"known-secret"' 'key'
check "no key line in the events or on stderr" no_key_line "$T/events.jsonl" "$T/jail.err"
finish
