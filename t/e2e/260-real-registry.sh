#!/bin/sh
# 260-real-registry: `dlpjail npm install typescript esbuild express sharp`
# against the real registry.npmjs.org with the default policy, in a temp
# project with a cold temp cache (the user's npm cache is never touched).
# Runs only when the registry answers through the machine's own npm
# configuration (`npm view typescript version` within 15 s); else skips.
. "$(dirname "$0")/lib.sh"
command -v npm >/dev/null && command -v node >/dev/null || skip "node/npm not installed"
export npm_config_cache="$T/npm-cache" npm_config_update_notifier=false
unset npm_config_registry
# the probe gets a cache of its own: nothing it leaves (or a straggler of
# it killed by the timeout writes) can touch the install's cold cache
npm_config_cache="$T/view-cache" timeout -k 2 15 npm view typescript version > "$T/view.out" 2>&1 ||
	skip "registry.npmjs.org is not reachable through this machine's npm configuration"
P=$T/proj
mkdir -p "$P"
printf '{"name":"t-real","version":"1.0.0","private":true}\n' > "$P/package.json"
out=$(cd "$P" && timeout -k 5 "${DLP_T_REAL_TIMEOUT:-300}" "$DLPJAIL" \
	--policy "$top_srcdir/policy/default.policy" --log "$T/events.jsonl" -- \
	npm install --no-audit --no-fund typescript esbuild express sharp 2>&1); rc=$?
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -15 | sed 's/^/# /'
# npm's own account of a failure (which fetch, which cacache step)
[ $rc -eq 0 ] || cat "$T"/npm-cache/_logs/*-debug-0.log 2>/dev/null | grep -E 'verbose|error|warn' |
	tail -25 | sed 's/^/# npm: /'
check "dlpjail npm install typescript esbuild express sharp: exit 0 (exit $rc)" [ $rc -eq 0 ]
out=$(cd "$P" && timeout 60 node -e "require('typescript');require('esbuild');require('express');
require('sharp'); console.log('loaded')" 2>&1)
[ "$out" = loaded ] || printf '%s\n' "$out" | tail -5 | sed 's/^/# /'
check "all four packages load (sharp's platform binary included)" [ "$out" = loaded ]
check "nothing was blocked" sh -c "! grep -q '\"action\":\"blocked\"' '$T/events.jsonl'"
check "the temp cache was used" [ -d "$T/npm-cache/_cacache" ]
finish
