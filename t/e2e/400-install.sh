#!/bin/sh
# 400-install: `make install DESTDIR=...` puts the launcher, the shim, the
# profiles, the event schema and the man pages in place, and the installed
# dlpjail runs from there (it finds its shim and its profiles relative to
# itself), then `make uninstall` removes them all.
. "$(dirname "$0")/lib.sh"

MAKE=${MAKE:-make}
D="$T/dest"
$MAKE -s -C "$top_builddir" install DESTDIR="$D" >"$T/install.log" 2>&1
check "make install DESTDIR= succeeds" [ $? -eq 0 ]
bin=$(find "$D" -path '*/bin/dlpjail' -type f | head -1)
check "the launcher is installed" [ -x "$bin" ]
[ -x "$bin" ] || { finish; exit 1; }
prefix=$(dirname "$(dirname "$bin")")
check "the shim is installed" [ -f "$prefix/lib/libdlpshim.so" ]
for f in base default strict npm yarn pnpm bun pip cargo go gem git make; do
	check "profile $f.policy is installed" [ -f "$prefix/share/dlpjail/$f.policy" ]
done
check "the event schema is installed" [ -f "$prefix/share/dlpjail/events.schema.json" ]
for m in man1/dlpjail.1 man5/dlpjail.policy.5 man7/dlpjail-detectors.7 man8/libdlpshim.8; do
	check "man page $m is installed" [ -f "$prefix/share/man/$m" ]
done
out=$(MANWIDTH=80 man -l "$prefix/share/man/man7/dlpjail-detectors.7" 2>/dev/null)
check "dlpjail-detectors(7) lists the detectors of the binary" sh -c "printf '%s' \"\$1\" | grep -q 'github-pat' && [ \$(printf '%s' \"\$1\" | grep -c '(block)') -eq \$('$bin' scan --list | grep -c ' block ') ]" _ "$out"
for m in man1/dlpjail.1 man5/dlpjail.policy.5 man8/libdlpshim.8; do
	w=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$prefix/share/man/$m" 2>&1 >/dev/null)
	check "$m renders without warnings" [ -z "$w" ]
done

# run it from there: no DLPJAIL_SHIM, a private config home
unset DLPJAIL_SHIM
export XDG_CONFIG_HOME="$T/config" HOME="$T/home"
mkdir -p "$HOME"
out=$("$bin" policy show -- npm install)
check "the installed dlpjail uses its installed npm profile" sh -c "printf '%s' \"\$1\" | grep -q '$prefix/share/dlpjail/npm.policy:[0-9]* *allow registry.npmjs.org'" _ "$out"
check "and its installed base" sh -c "printf '%s' \"\$1\" | grep -q '$prefix/share/dlpjail/base.policy'" _ "$out"
"$bin" policy check "$prefix"/share/dlpjail/*.policy
check "every installed profile passes policy check" [ $? -eq 0 ]
start_http 127.0.0.1 h
out=$("$bin" --allow 127.0.0.1 curl -s "http://127.0.0.1:$h_PORT/inst" 2>/dev/null)
check "the installed dlpjail runs a command with its installed shim" [ "$out" = hello ]
out=$("$bin" --log "$T/ev.jsonl" curl -s -d "k=AKIAQWERTYUIOPASDFGH" --connect-to "x:1:127.0.0.1:$h_PORT" "http://127.0.0.1:$h_PORT/" 2>&1)
check "and blocks what the policy refuses" [ -z "$(printf '%s' "$out" | grep hello)" ] && grep -q '"verdict":"deny"' "$T/ev.jsonl"
check "the shim it preloads is the installed one" sh -c "'$bin' --allow 127.0.0.1 sh -c 'echo \$LD_PRELOAD' | grep -q '^$prefix/bin/../lib/libdlpshim.so'"

$MAKE -s -C "$top_builddir" uninstall DESTDIR="$D" >>"$T/install.log" 2>&1
check "make uninstall succeeds" [ $? -eq 0 ]
left=$(find "$D" -type f | wc -l)
check "and leaves no file behind ($left)" [ "$left" -eq 0 ]
finish
