#!/bin/sh
# 320-shell-init: `dlpjail shell-init bash|zsh|fish`, sourced in the real
# shells: wrappers for installed tools only, the tool runs under dlpjail
# (the shim is preloaded, the tool's profile applies), no double jail, and
# completions for bash and zsh.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/bin"
export XDG_CONFIG_HOME="$T/config" HOME="$T/home"
mkdir -p "$HOME"
# a stand-in cargo: says whether it runs under dlpjail, and tries a
# destination the cargo profile does not allow
cat > "$T/bin/cargo" <<'EOS'
#!/bin/sh
case "${LD_PRELOAD:-}" in *libdlpshim*) echo jailed;; *) echo bare;; esac
[ "${1:-}" = nested ] && exec cargo
exit 0
EOS
chmod +x "$T/bin/cargo"
P="$T/bin:/usr/bin:/bin"
command -v uv >/dev/null 2>&1 && PATH_HAS_UV=1 || PATH_HAS_UV=
[ -z "$(PATH=$P command -v poetry)" ] || skip "poetry is installed: the not-installed case needs a missing tool"
"$DLPJAIL" shell-init bash > "$T/init.bash"
"$DLPJAIL" shell-init zsh > "$T/init.zsh"
"$DLPJAIL" shell-init fish > "$T/init.fish"
"$DLPJAIL" shell-init tcsh >/dev/null 2>&1
check "an unknown shell is refused (125)" [ $? -eq 125 ]
check "the wrappers call dlpjail by absolute path" grep -q "'/[^']*dlpjail' -- cargo" "$T/init.bash"

# ---- bash ----
out=$(PATH=$P bash --norc -c ". '$T/init.bash'; cargo")
check "bash: cargo runs under dlpjail" [ "$out" = jailed ]
out=$(PATH=$P bash --norc -c ". '$T/init.bash'; type -t cargo; type -t poetry || echo none")
check "bash: wrappers only for installed tools" [ "$out" = "function
none" ]
out=$(PATH=$P bash --norc -c ". '$T/init.bash'; command cargo")
check "bash: 'command cargo' runs it bare" [ "$out" = bare ]
out=$(PATH=$P bash --norc -c ". '$T/init.bash'; cargo nested")
check "bash: a tool inside the jail is not jailed twice" [ "$out" = "jailed
jailed" ]
out=$(PATH=$P bash --norc -c ". '$T/init.bash'; export -f cargo 2>/dev/null; DLPJAIL_DEBUG=0 '$DLPJAIL' policy show -- cargo build | head -1")
check "bash: the cargo profile applies" [ "$out" = "# profile cargo" ]
if PATH=$P command -v npm >/dev/null 2>&1; then
	out=$(PATH=$P bash --norc -c ". '$T/init.bash'; type -t npm; npm --version" 2>&1)
	check "bash: real npm runs wrapped (npm --version)" sh -c "printf '%s' \"\$1\" | head -1 | grep -qx function && printf '%s' \"\$1\" | tail -1 | grep -Eq '^[0-9]+\\.'" _ "$out"
fi
out=$(bash --norc -c ". '$T/init.bash'; complete -p dlpjail; COMP_WORDS=(dlpjail --prof); COMP_CWORD=1; _dlpjail; echo \"\${COMPREPLY[*]}\"; COMP_WORDS=(dlpjail --profile st); COMP_CWORD=2; _dlpjail; echo \"\${COMPREPLY[*]}\"; COMP_WORDS=(dlpjail shell-i); COMP_CWORD=1; _dlpjail; echo \"\${COMPREPLY[*]}\"")
check "bash: completion is registered" sh -c "printf '%s' \"\$1\" | grep -q 'complete -F _dlpjail dlpjail'" _ "$out"
check "bash: options complete" sh -c "printf '%s' \"\$1\" | grep -qx -- '--profile'" _ "$out"
check "bash: profile names complete" sh -c "printf '%s' \"\$1\" | grep -qx 'strict'" _ "$out"
check "bash: subcommands complete" sh -c "printf '%s' \"\$1\" | grep -qw 'shell-init'" _ "$out"

# ---- zsh ----
if command -v zsh >/dev/null 2>&1; then
	out=$(PATH=$P zsh -f -c ". '$T/init.zsh'; cargo; whence -w cargo; whence -w poetry >/dev/null || echo none")
	check "zsh: cargo runs under dlpjail, wrappers only for installed tools" [ "$out" = "jailed
cargo: function
none" ]
	out=$(PATH=$P zsh -f -c "autoload -Uz compinit; compinit -u -d '$T/zcd'; . '$T/init.zsh'; print -r -- \$_comps[dlpjail]")
	check "zsh: completion is registered with compinit" [ "$out" = _dlpjail ]
	out=$(PATH=$P zsh -f -c ". '$T/init.zsh'; echo sourced-without-compinit" 2>&1)
	check "zsh: sourcing without compinit is quiet" [ "$out" = sourced-without-compinit ]
else
	fail "zsh is not installed (apt-get install zsh)"
fi

# ---- fish ----
if command -v fish >/dev/null 2>&1; then
	out=$(PATH=$P fish --no-config -c "source '$T/init.fish'; cargo; functions -q poetry; or echo none; command cargo")
	check "fish: cargo runs under dlpjail, only installed tools, command bypasses" [ "$out" = "jailed
none
bare" ]
	out=$(fish --no-config -c "source '$T/init.fish'; complete -C 'dlpjail --profile st'")
	check "fish: profile names complete" sh -c "printf '%s' \"\$1\" | grep -q '^strict'" _ "$out"
else
	fail "fish is not installed (apt-get install fish)"
fi
finish
