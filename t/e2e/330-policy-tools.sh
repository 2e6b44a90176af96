#!/bin/sh
# 330-policy-tools: policy check/show, the merge chain (base, profile, site,
# user, project), profile picked from the command name, a broken file stops
# dlpjail before the command starts, registries from the tools' config, and
# `dlpjail test`.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 h
# a private config home: the user's real files never change the result
export XDG_CONFIG_HOME="$T/config" HOME="$T/home"
mkdir -p "$XDG_CONFIG_HOME/dlpjail" "$HOME" "$T/proj" "$T/bin"
unset DLPJAIL_POLICY NPM_CONFIG_REGISTRY npm_config_registry PIP_INDEX_URL GOPROXY

# ---- policy check ----
out=$("$DLPJAIL" policy check "$top_srcdir"/policy/*.policy 2>&1); rc=$?
check "every shipped profile passes policy check" [ "$rc" -eq 0 ] && [ -z "$out" ]
for f in base default strict npm yarn pnpm bun pip cargo go gem git make; do
	check "profile $f is shipped" [ -s "$top_srcdir/policy/$f.policy" ]
done
printf 'allow ok.test\nallw typo.test\n\ndeny 10.0.0.1/8 # host bits\ncanary short\n' > "$T/bad.policy"
out=$("$DLPJAIL" policy check "$T/bad.policy" 2>&1); rc=$?
check "policy check fails on a broken file" [ "$rc" -eq 1 ]
check "it names file:line:col of each problem" sh -c "printf '%s' \"\$1\" | grep -q 'bad.policy:2:1: unknown keyword' && printf '%s' \"\$1\" | grep -q 'bad.policy:4:6: .*host bits' && printf '%s' \"\$1\" | grep -q 'bad.policy:5:8: canary'" _ "$out"
check "and counts them" sh -c "printf '%s' \"\$1\" | grep -q '3 problems'" _ "$out"
"$DLPJAIL" policy check /nonexistent.policy 2>/dev/null
check "an unreadable file fails policy check" [ $? -ne 0 ]

# ---- a broken file in the chain stops dlpjail: never run unprotected ----
cp "$T/bad.policy" "$XDG_CONFIG_HOME/dlpjail/user.policy"
out=$("$DLPJAIL" touch "$T/ran" 2>&1); rc=$?
check "a broken user.policy stops dlpjail with 125" [ "$rc" -eq 125 ]
check "the command was never started" [ ! -e "$T/ran" ]
check "the error has file:line:col" sh -c "printf '%s' \"\$1\" | grep -q 'user.policy:2:1: unknown keyword'" _ "$out"
rm "$XDG_CONFIG_HOME/dlpjail/user.policy"
(cd "$T/proj" && printf 'allow 10.0.0.1/8\n' > .dlpjail.policy && "$DLPJAIL" touch "$T/ran" 2>/dev/null); rc=$?
check "a broken project .dlpjail.policy stops it too (125)" [ "$rc" -eq 125 ] && [ ! -e "$T/ran" ]
"$DLPJAIL" --profile nosuch touch "$T/ran" 2>/dev/null; rc=$?
check "an unknown --profile stops it (125)" [ "$rc" -eq 125 ] && [ ! -e "$T/ran" ]
"$DLPJAIL" --profile ../../etc/passwd touch "$T/ran" 2>/dev/null; rc=$?
check "a profile name is not a path" [ "$rc" -eq 125 ] && [ ! -e "$T/ran" ]

# ---- the jailed command cannot rewrite the policy of the next run ----
printf 'allow user.test\n' > "$XDG_CONFIG_HOME/dlpjail/user.policy"
"$DLPJAIL" sh -c "echo 'allow evil.test' >> '$XDG_CONFIG_HOME/dlpjail/user.policy'; echo 'allow 0.0.0.0/0' > '$XDG_CONFIG_HOME/dlpjail/npm.policy'; rm -f '$XDG_CONFIG_HOME/dlpjail/user.policy'" 2>/dev/null
check "the config directory is read-only inside the jail" sh -c "[ \"\$(cat '$XDG_CONFIG_HOME/dlpjail/user.policy')\" = 'allow user.test' ] && [ ! -e '$XDG_CONFIG_HOME/dlpjail/npm.policy' ]"
echo 'allow outside.test' >> "$XDG_CONFIG_HOME/dlpjail/user.policy"
check "and stays writable outside" grep -q outside.test "$XDG_CONFIG_HOME/dlpjail/user.policy"
rm "$XDG_CONFIG_HOME/dlpjail/user.policy"

# ---- nor plant a registry in the tools' config for the next run ----
rm -f "$T/proj/.dlpjail.policy"
printf 'registry=https://registry.npmjs.org/\n' > "$HOME/.npmrc"
printf 'registry=https://registry.npmjs.org/\n' > "$T/proj/.npmrc"
out=$(cd "$T/proj" && "$DLPJAIL" sh -c "echo 'registry=https://evil.test/' >> '$HOME/.npmrc'; echo 'registry=https://evil.test/' >> .npmrc; mkdir -p .cargo; echo 'allow evil.test' > .dlpjail.policy; echo ran" 2>&1)
check "the command ran" sh -c "printf '%s' \"\$1\" | grep -qx ran" _ "$out"
check "an existing ~/.npmrc is read-only inside the jail" sh -c "! grep -q evil '$HOME/.npmrc'"
check "so is the project's .npmrc" sh -c "! grep -q evil '$T/proj/.npmrc'"
check "a policy input the command created is named after the run" \
	sh -c "printf '%s' \"\$1\" | grep -q 'the command created $T/proj/.dlpjail.policy, which the next dlpjail run reads'" _ "$out"
check "the existing ones are not reported as changed" sh -c "! printf '%s' \"\$1\" | grep -q 'changed.*npmrc'" _ "$out"
echo 'registry=https://registry.example/' >> "$HOME/.npmrc"
check "and ~/.npmrc stays writable outside" grep -q registry.example "$HOME/.npmrc"
rm -rf "$HOME/.npmrc" "$T/proj/.npmrc" "$T/proj/.dlpjail.policy" "$T/proj/.cargo"

# ---- policy show: the merged policy, each line with its source ----
printf 'allow user.test\ndns max_he_bytes 9999\n' > "$XDG_CONFIG_HOME/dlpjail/user.policy"
printf 'allow proj.test\nmode monitor\nhome github-pat evil.test\n' > "$T/proj/.dlpjail.policy"
out=$(cd "$T/proj" && "$DLPJAIL" policy show -- npx cowsay)
check "show names the profile npx picks" sh -c "printf '%s' \"\$1\" | head -1 | grep -qx '# profile npm'" _ "$out"
check "show gives each line its file:line" sh -c "printf '%s' \"\$1\" | grep -q 'policy/npm.policy:[0-9]* *allow registry.npmjs.org'" _ "$out"
check "the base comes first" sh -c "printf '%s' \"\$1\" | sed -n 2p | grep -q 'base.policy'" _ "$out"
check "user lines are there with their source" sh -c "printf '%s' \"\$1\" | grep -q 'config/dlpjail/user.policy:1 *allow user.test'" _ "$out"
check "a looser DNS value is shown ignored" sh -c "printf '%s' \"\$1\" | grep -q 'user.policy:2 *# ignored: dns max_he_bytes 9999'" _ "$out"
check "a project cannot switch to monitor mode" sh -c "printf '%s' \"\$1\" | grep -q '.dlpjail.policy:2 *# ignored: mode monitor'" _ "$out"
check "nor widen a token's home" sh -c "printf '%s' \"\$1\" | grep -q '.dlpjail.policy:3 *# ignored: home'" _ "$out"
check "the reason is noted" sh -c "printf '%s' \"\$1\" | grep -q '^# .*.dlpjail.policy:2: ignored: a project file cannot turn enforcement off'" _ "$out"

# the project's mode monitor really is ignored: a block still blocks
out=$(cd "$T/proj" && "$DLPJAIL" --log "$T/events.jsonl" curl -s "http://127.0.0.1:$h_PORT/x" 2>&1); rc=$?
check "a project's mode monitor does not open the jail" [ "$rc" -ne 0 ] && ! grep -q "GET /x" "$h_LOG"
check "an event says the line was ignored" event_has '"op":"policy"' 'ignored: a project file cannot turn enforcement off'
rm -f "$T/proj/.dlpjail.policy" "$XDG_CONFIG_HOME/dlpjail/user.policy" "$T/events.jsonl"

# ---- profile picked from the command name, overridable in $XDG_CONFIG_HOME ----
# the same curl under the name "git": the git profile, overridden by the user
ln -s "$(command -v curl)" "$T/bin/git"
printf 'shipped\nallow 127.0.0.1\n' > "$XDG_CONFIG_HOME/dlpjail/git.policy"
out=$("$DLPJAIL" "$T/bin/git" -s "http://127.0.0.1:$h_PORT/as-git" 2>/dev/null)
check "a command named git gets the git profile (user's override)" [ "$out" = "hello" ]
out=$("$DLPJAIL" env A=1 "$T/bin/git" -s "http://127.0.0.1:$h_PORT/env-git" 2>/dev/null)
check "through env too" [ "$out" = "hello" ]
out=$("$DLPJAIL" sh -c "cd /; $T/bin/git -s http://127.0.0.1:$h_PORT/sh-git" 2>/dev/null)
check "through sh -c too" [ "$out" = "hello" ]
out=$("$DLPJAIL" curl -s "http://127.0.0.1:$h_PORT/as-curl" 2>/dev/null)
check "the same program as curl does not get it" [ -z "$out" ]
out=$("$DLPJAIL" --profile strict "$T/bin/git" -s "http://127.0.0.1:$h_PORT/strict" 2>/dev/null)
check "--profile wins over the command name" [ -z "$out" ]
out=$("$DLPJAIL" --policy "$top_srcdir/policy/strict.policy" "$T/bin/git" -s "http://127.0.0.1:$h_PORT/p" 2>/dev/null)
check "--policy replaces the chain" [ -z "$out" ]
out=$(DLPJAIL_POLICY="$top_srcdir/policy/strict.policy" "$DLPJAIL" "$T/bin/git" -s "http://127.0.0.1:$h_PORT/e" 2>/dev/null)
check "\$DLPJAIL_POLICY replaces the chain" [ -z "$out" ]
rm "$XDG_CONFIG_HOME/dlpjail/git.policy"
out=$("$DLPJAIL" policy show -- git status | grep -c 'policy/git.policy')
check "without the override the shipped git profile is used" [ "$out" -gt 0 ]

# ---- registries from the tools' configuration ----
printf 'registry=http://127.0.0.1:%s/\n' "$h_PORT" > "$HOME/.npmrc"
out=$("$DLPJAIL" policy show -- npm install)
check "npm's configured registry is allowed with a note" sh -c "printf '%s' \"\$1\" | grep -q '^# ~/.npmrc:1: allowed 127.0.0.1: the registry npm is configured with'" _ "$out"
ln -s "$(command -v curl)" "$T/bin/npm"
out=$("$DLPJAIL" --log "$T/events.jsonl" "$T/bin/npm" -s "http://127.0.0.1:$h_PORT/reg" 2>/dev/null)
check "and reachable under the npm profile" [ "$out" = "hello" ]
check "an event says so" event_has '"op":"policy"' 'allowed 127.0.0.1: the registry npm is configured with'
out=$("$DLPJAIL" policy show -- pip install x)
check "pip's profile does not take npm's registry" sh -c "! printf '%s' \"\$1\" | grep -q npmrc" _ "$out"
out=$(PIP_INDEX_URL=https://pypi.corp.test/simple "$DLPJAIL" policy show -- pip install x)
check "PIP_INDEX_URL is taken by the pip profile" sh -c "printf '%s' \"\$1\" | grep -q 'PIP_INDEX_URL: allowed pypi.corp.test'" _ "$out"
rm "$HOME/.npmrc"
# a cloned project's .npmrc cannot open loopback (or the metadata service)
printf 'registry=http://127.0.0.1:%s/\n' "$h_PORT" > "$T/proj/.npmrc"
out=$(cd "$T/proj" && "$DLPJAIL" "$T/bin/npm" -s "http://127.0.0.1:$h_PORT/projreg" 2>/dev/null)
check "a project .npmrc's address registry is not allowed" [ -z "$out" ]
out=$(cd "$T/proj" && "$DLPJAIL" policy show -- npm install)
check "and policy show says why" sh -c "printf '%s' \"\$1\" | grep -q '^# ./.npmrc:1: ignored: allow 127.0.0.1: a project file allows host names only'" _ "$out"
printf 'allow 169.254.169.254 proj-host.test\n' > "$T/proj/.dlpjail.policy"
out=$(cd "$T/proj" && "$DLPJAIL" test 169.254.169.254)
check "a project .dlpjail.policy cannot open the metadata address" sh -c "printf '%s' \"\$1\" | grep -q 'blocked'" _ "$out"
out=$(cd "$T/proj" && "$DLPJAIL" test proj-host.test)
check "but can allow a host name" sh -c "printf '%s' \"\$1\" | grep -q 'allowed'" _ "$out"
rm -f "$T/proj/.npmrc" "$T/proj/.dlpjail.policy"

# ---- dlpjail test ----
out=$("$DLPJAIL" test https://registry.npmjs.org/left-pad); rc=$?
check "test: an allowed URL exits 0 and names its file:line" [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q 'rule: allow registry.npmjs.org (.*default.policy:[0-9]*)'
out=$("$DLPJAIL" test --profile pip registry.npmjs.org); rc=$?
check "test: the pip profile blocks the npm registry" [ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q 'blocked, profile pip'
out=$("$DLPJAIL" test evil.test); rc=$?
check "test: a blocked host says how to allow it" [ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q 'to allow it: --allow evil.test'
out=$("$DLPJAIL" test 169.254.169.254); rc=$?
check "test: the metadata address is blocked" [ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q 'deny 169.254.0.0/16 (builtin)'
printf 'aws_access_key_id=AKIAQWERTYUIOPASDFGH\n' > "$T/data"
out=$("$DLPJAIL" test --data "$T/data" https://registry.npmjs.org/); rc=$?
check "test --data: a key in the data is blocked (exit 1)" [ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q '^content: aws-access-key-id AKIA.*(len=20) (blocked)'
check "test --data: the key is shown only redacted" sh -c "! printf '%s' \"\$1\" | grep -q QWERTYUIOPASDFGH" _ "$out"
printf 'hello world\n' > "$T/clean"
out=$("$DLPJAIL" test --data "$T/clean" https://registry.npmjs.org/); rc=$?
check "test --data: clean data passes" [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q '^content: clean'

# ---- method rules: check, show, test ----
has() { printf "%s\n" "$1" | grep -Eq -- "$2"; }
printf 'allow reg.example methods GET,HEAD\nallow reg.example method POST path /audit/*\n' > "$T/m.policy"
check "policy check: method rules are clean" "$DLPJAIL" policy check "$T/m.policy"
printf 'allow reg.example methods GET;PUT\ndeny reg.example methods GET\n' > "$T/mbad.policy"
out=$("$DLPJAIL" policy check "$T/mbad.policy" 2>&1); rc=$?
check "policy check: bad method lists and deny methods are errors with columns (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && printf '%s' \"\$1\" | grep -q 'mbad.policy:1:27:' && printf '%s' \"\$1\" | grep -q 'mbad.policy:2:18:'" _ "$out"
out=$("$DLPJAIL" policy show --profile npm 2>&1)
check "policy show: npm's profile makes the registry read-only" \
	has "$out" 'npm.policy:[0-9]+ +allow registry.npmjs.org .*methods GET,HEAD'
out=$("$DLPJAIL" test --profile npm --method PUT https://registry.npmjs.org/left-pad); rc=$?
check "test --method PUT to the read-only registry: refused by the rule (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && printf '%s' \"\$1\" | grep -q '^request: PUT refused by allow registry.npmjs.org methods GET,HEAD (.*npm.policy:'" _ "$out"
out=$("$DLPJAIL" test --profile npm --method POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk); rc=$?
check "test --method POST to the audit path: allowed (exit $rc)" [ "$rc" -eq 0 ]
out=$("$DLPJAIL" test --policy "$T/m.policy" https://reg.example/x); rc=$?
check "test: a restricted host shows what GET gets" has "$out" '^request: GET allowed by allow reg.example methods GET,HEAD'
finish
