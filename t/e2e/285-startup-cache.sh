#!/bin/sh
# 285-startup-cache: the compiled detector database is cached in
# $XDG_CACHE_HOME/dlpjail and reused (by the engine's set-up at its first
# use: each session here sends); a session starts and blocks just the
# same with a cache directory it cannot use, and with an entry that is
# corrupt, from another build or forged: such an entry is never trusted,
# and is rewritten.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
GH=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
n=0

# leaks CACHE_HOME DESC PATTERN: under that cache, the command's exit
# status comes through, the scanner took the path PATTERN says (-vv log),
# and a token sent to a non-home destination is blocked
leaks() {
	n=$((n + 1))
	# the engine is set up at its first use: the command sends once
	XDG_CACHE_HOME=$1 jail -vv -q --allow 127.0.0.1 -- sh -c \
		"curl -s -o /dev/null -d t=clean http://127.0.0.1:$web_PORT/vv$n; exit 7" 2>"$T/vv.$n"
	check "$2: the command runs (exit status 7)" [ $? -eq 7 ]
	check "$2: $3" grep -q -E "$3" "$T/vv.$n"
	if [ "$3" != "$HIT" ]; then
		check "$2: the cached database is not used" sh -c "! grep -q -E '$HIT' '$T/vv.$n'"
	fi
	XDG_CACHE_HOME=$1 jail -q --allow 127.0.0.1 -- \
		curl -s -d "t=$GH" "http://127.0.0.1:$web_PORT/leak$n" >/dev/null 2>&1
	check "$2: the token is blocked" [ $? -ne 0 ]
	check "$2: the token never reached the server" sh -c "! grep -q '$GH' '$web_LOG'"
}
HIT="loaded from the cache"
MISS="detector database compiled"

# entry_ok FILE: magic, key (= the name), length and SHA-256 all check out
entry_ok() {
	python3 - "$1" <<'EOF'
import hashlib, os, struct, sys
p = sys.argv[1]
b = open(p, 'rb').read()
key = bytes.fromhex(os.path.basename(p)[3:-3])
n = struct.unpack('<Q', b[40:48])[0]
ok = (b[:8] == b'DLPJMPM1' and b[8:40] == key and len(b) == 48 + n + 32 and
      hashlib.sha256(b[:48 + n]).digest() == b[48 + n:])
sys.exit(0 if ok else 1)
EOF
}

# rewrite FILE MODE: re-sign the entry after changing it, as a build with
# other detectors ("key": its entry under our name) or a forger ("body":
# a changed database under the right key, valid digest) would
rewrite() {
	python3 - "$1" "$2" <<'EOF'
import hashlib, struct, sys
p, mode = sys.argv[1], sys.argv[2]
b = bytearray(open(p, 'rb').read())
n = struct.unpack('<Q', b[40:48])[0]
if mode == 'key':
    b[8] ^= 1
elif mode == 'swap':
    # the stream and block databases swapped: each one valid on its own
    sl = struct.unpack('<Q', b[48:56])[0]
    st, bl = b[56:56 + sl], b[56 + sl:48 + n]
    b[48:48 + n] = struct.pack('<Q', len(bl)) + bl + st
else:
    for i in range(64):
        b[48 + 8 + 4096 + i] ^= 0x5a
b[48 + n:] = hashlib.sha256(bytes(b[:48 + n])).digest()
open(p, 'wb').write(b)
EOF
}

C="$T/cache"
leaks "$C" "cold cache" "$MISS( in the background)?, cached in $C/dlpjail"
f=$(ls "$C"/dlpjail/hs-*.db 2>/dev/null | head -1)
if [ -z "$f" ]; then
	"$DLPJAIL" -vv -q -- true 2>&1 | grep -q fallback && skip "no Hyperscan: nothing is cached"
fi
check "the first session wrote one cache entry" [ -n "$f" ] && [ "$(ls "$C"/dlpjail | wc -l)" -eq 1 ]
check "the cache directory is private (0700)" [ "$(stat -c %a "$C/dlpjail")" = 700 ]
check "the entry is private (0600)" [ "$(stat -c %a "$f")" = 600 ]
check "the entry checks out" entry_ok "$f"
sum=$(sha256sum "$f")
leaks "$C" "warm cache" "$HIT"
check "a cache hit leaves the entry alone" [ "$(sha256sum "$f")" = "$sum" ]

# the jailed command runs as the user: in the private mount namespace it
# cannot plant, replace or remove a cache entry for the next session
if XDG_CACHE_HOME=$C "$DLPJAIL" -v --no-default-policy -q -- true 2>&1 |
		grep -q "no private mount namespace"; then
	echo "# no private mount namespace here: cache protection not checked"
else
	XDG_CACHE_HOME=$C jail -q -- sh -c '
		d=$XDG_CACHE_HOME/dlpjail
		printf x > "$d/planted" 2>/dev/null; cp "$d"/hs-*.db "$d/copy" 2>/dev/null
		printf x > "$d/$(basename "$d"/hs-*.db)" 2>/dev/null
		rm -f "$d"/hs-*.db 2>/dev/null; mv "$d" "$d.moved" 2>/dev/null
		# around the namespace: through the launcher'"'"'s root
		printf x > "/proc/$PPID/root$d/planted" 2>/dev/null; true' 2>/dev/null
	check "in the jail, the cache directory cannot be written" [ -z "$(find "$C" -name planted -o -name copy)" ]
	check "in the jail, the entry cannot be replaced or removed" [ "$(sha256sum "$f")" = "$sum" ]
	check "in the jail, the cache directory cannot be moved" [ ! -e "$C/dlpjail.moved" ]
	check "outside, the cache directory stays writable" sh -c "touch '$C/dlpjail/t' && rm '$C/dlpjail/t'"
fi

# unusable cache directories
: > "$T/file"
leaks "$T/file" "XDG_CACHE_HOME is a file" "not written to $T/file/dlpjail"
mkdir -p "$T/open/dlpjail"
chmod 777 "$T/open/dlpjail"
cp "$f" "$T/open/dlpjail/"
leaks "$T/open" "a world-writable dlpjail directory" "ignored: Operation not permitted"
check "... where nothing was written" [ "$(ls -A "$T/open/dlpjail")" = "$(basename "$f")" ]
if [ "$(id -u)" -ne 0 ]; then
	mkdir -m 500 "$T/ro"
	leaks "$T/ro" "read-only cache directory" "not written"
fi

# foreign, corrupt and forged entries: ignored, then rewritten
rewrite "$f" key
if entry_ok "$f"; then fail "(setup) the foreign entry names another key"; else ok "(setup) the foreign entry names another key"; fi
leaks "$C" "an entry from another build under our name" "ignored: Bad message"
check "... which was rewritten" entry_ok "$f"
rewrite "$f" swap
leaks "$C" "a forged entry (right key, valid digest, wrong databases)" "failed its self-test"
check "... which was rewritten" [ "$(sha256sum "$f")" = "$sum" ]
rewrite "$f" body
leaks "$C" "a forged entry (right key, valid digest, changed bytes)" "$MISS"
check "... which was rewritten" [ "$(sha256sum "$f")" = "$sum" ]
python3 -c "
import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0x10; open(p,'wb').write(b)" "$f"
leaks "$C" "one flipped bit" "ignored: Bad message"
check "... which was rewritten" [ "$(sha256sum "$f")" = "$sum" ]
printf 'garbage' > "$f"
leaks "$C" "a corrupt entry" "ignored: Bad message"
check "... which was rewritten" [ "$(sha256sum "$f")" = "$sum" ]
# the ad hoc broker (it daemonizes: a compile thread would not survive the
# fork) with a cold cache: answers, blocks, writes the entry
TOKEN=xoxb-123456789012-1234567890123-AdhocCanaryTokenAbCd
mkdir -m 700 "$T/run"
printf 'allow 127.0.0.1\ncanary %s\n' "$TOKEN" > "$T/adhoc.policy"
out=$(XDG_CACHE_HOME=$T/adhoc XDG_RUNTIME_DIR=$T/run DLPJAIL_BIN=$DLPJAIL \
	DLPJAIL_POLICY=$T/adhoc.policy DLPJAIL_IDLE=3 LD_PRELOAD=$DLPJAIL_SHIM \
	timeout -s KILL 20 curl -s "http://127.0.0.1:$web_PORT/adhoc" 2>&1)
check "ad hoc broker, cold cache: the first request is answered" [ "$out" = hello ]
bpid=$(fuser "$T/run/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$bpid" ] && PIDS="$PIDS $bpid"
XDG_CACHE_HOME=$T/adhoc XDG_RUNTIME_DIR=$T/run DLPJAIL_BIN=$DLPJAIL \
	DLPJAIL_POLICY=$T/adhoc.policy DLPJAIL_IDLE=3 LD_PRELOAD=$DLPJAIL_SHIM \
	timeout -s KILL 20 curl -s -d "t=$TOKEN" "http://127.0.0.1:$web_PORT/adhoc2" >/dev/null 2>&1
rc=$?
check "ad hoc broker, cold cache: a canary is blocked, no hang" [ "$rc" -ne 0 ] && [ "$rc" -ne 137 ]
check "ad hoc broker, cold cache: the token never reached the server" sh -c "! grep -q '$TOKEN' '$web_LOG'"
check "ad hoc broker, cold cache: the entry was written" sh -c "ls '$T'/adhoc/dlpjail/hs-*.db >/dev/null"
[ -n "$bpid" ] && kill -9 "$bpid" 2>/dev/null

# the broker links Hyperscan's runtime alone (shared, or static with
# --enable-static-deps); the compiler (libhs, and its libstdc++) is loaded
# only to compile (broker/scan/mpm_hs.c). Each run sends once: the engine
# is set up at its first use.
if grep -q 'define HAVE_HS_RUNTIME 1' "$top_builddir/config.h" 2>/dev/null &&
   ! ldd "$DLPJAIL" 2>/dev/null | grep -q 'libhs\.so'; then
	# (a sanitizer build's runtime brings libstdc++ itself)
	no='libhs\.so|libstdc\+\+'
	ldd "$DLPJAIL" | grep -q libstdc && no='libhs\.so'
	rt=.
	ldd "$DLPJAIL" | grep -q libhs_runtime && rt=libhs_runtime
	send="curl -s -o /dev/null -d t=clean http://127.0.0.1:$web_PORT/ld"
	LD_DEBUG=libs XDG_CACHE_HOME=$C "$DLPJAIL" --no-default-policy -q --allow 127.0.0.1 \
		-- $send 2>"$T/ld.warm"
	check "warm cache: neither the compiler (libhs) nor libstdc++ is loaded" \
		sh -c "grep -q 'calling init: .*$rt' '$T/ld.warm' && ! grep -qE 'calling init: .*($no)' '$T/ld.warm'"
	LD_DEBUG=libs XDG_CACHE_HOME=$T/cold2 "$DLPJAIL" --no-default-policy -q --allow 127.0.0.1 \
		-- $send 2>"$T/ld.cold"
	check "cold cache: the compiler is loaded to compile" grep -qE 'calling init: .*libhs\.so' "$T/ld.cold"
	check "... and the entry is written" sh -c "ls '$T'/cold2/dlpjail/hs-*.db >/dev/null"
else
	echo "# linked with libhs itself: the lazy compiler is not checked"
fi

ln -sf "$T/file" "$f.tmp" && mv -f "$f.tmp" "$f"
leaks "$C" "an entry that is a symlink" "ignored: Operation not permitted"
check "... which was replaced by a file" [ ! -L "$f" ] && entry_ok "$f"
check "... and its target left alone" [ ! -s "$T/file" ]
finish
