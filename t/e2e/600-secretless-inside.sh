#!/bin/sh
# 600-secretless-inside: the secretless jail, inside half (issue 15). A fake
# HOME holds an npm token (~/.npmrc, reached through a symlink), a GitHub
# token (~/.git-credentials), AWS keys (~/.aws/credentials), an SSH key and
# a ./.env; the environment holds NPM_TOKEN and GITHUB_TOKEN. Inside the
# jail `cat`, `env` and python print placeholders of the real shape (same
# length and prefix, valid CRC32 tails, base32 AWS key id) and never a real
# value; the host files are byte-identical afterwards and cannot be written
# through the jail. Attacker paths: the symlink's target, a hard link, an
# umount, /proc/PID/environ|root|mem of the launcher and of another process
# of the user started before the jail, inherited fds, a process that
# outlives the command. --real-secrets lets the real values in (warned);
# --no-mountns keeps the files real (warned) but not the environment;
# --show-secrets says which placeholders swap for the profile.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"
command -v ssh-keygen >/dev/null || skip "ssh-keygen not installed"

H=$T/home
W=$T/work
mkdir -p "$H/.aws" "$H/.ssh" "$H/dotfiles" "$W"
NPM=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     # valid CRC tails
GHP=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
ENVNPM=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
AWSID=AKIA7KLFYYLBEG3RHDSV
AWSSEC=xy85v0eqHp2ERuLGQZx3NAcZCf/jCmhQdY7Ez+zF
ENVK=sk_live_51HzT8sQpR2vXkLmN4bWc9YdE
printf '//registry.npmjs.org/:_authToken=%s\n' "$NPM" > "$H/dotfiles/npmrc"
ln -s dotfiles/npmrc "$H/.npmrc"
printf 'https://u:%s@github.com\n' "$GHP" > "$H/.git-credentials"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWSID" "$AWSSEC" \
	> "$H/.aws/credentials"
ssh-keygen -q -t ed25519 -N '' -C t600 -f "$H/.ssh/id_ed25519" || { echo "ssh-keygen failed"; exit 99; }
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C t600r -f "$H/.ssh/id_rsa" || { echo "ssh-keygen failed"; exit 99; }
printf 'PORT=3000\nSTRIPE_KEY=%s\n' "$ENVK" > "$W/.env"
KEYLINE=$(sed -n 3p "$H/.ssh/id_ed25519")   # line 2 is the same for every ed25519 key
RSALINE=$(sed -n 2p "$H/.ssh/id_rsa")
ALL="$NPM $GHP $ENVNPM $AWSID $AWSSEC $ENVK"
sums() { (cd "$H" && sha256sum dotfiles/npmrc .git-credentials .aws/credentials .ssh/id_*) &&
	 sha256sum "$W/.env" | cut -d' ' -f1; }
before=$(sums)

export NPM_TOKEN=$ENVNPM GITHUB_TOKEN=$GHP
run() {
	(cd "$W" && HOME="$H" "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" \
		--no-canaries "$@") 2>>"$T/jail.err"
}
# no_plain FILE...: no real value (nor the key body) in these files
no_plain() {
	for s in $ALL "$KEYLINE" "$RSALINE"; do
		if grep -qF -- "$s" "$@"; then echo "plaintext ${s%"${s#????}"}... in $*"; return 1; fi
	done
}
# shape KIND VALUE REAL: VALUE is a placeholder of REAL's kind
shape() {
	python3 - "$@" <<'EOF'
import sys, zlib
kind, v, real = sys.argv[1:4]
b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def crc_ok(t):
    body = t[4:34]
    c = zlib.crc32(body.encode()); s = ""
    for _ in range(6):
        s = b62[c % 62] + s; c //= 62
    return t[34:] == s
ok = len(v) == len(real) and v != real
if kind == "crc":
    ok = ok and v[:4] == real[:4] and v[4:].isalnum() and crc_ok(v)
elif kind == "akia":
    ok = ok and v[:4] == "AKIA" and all(ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for ch in v[4:])
else:
    ok = ok and all((a.isalnum() and b.isalnum()) or a == b for a, b in zip(v, real))
sys.exit(0 if ok else 1)
EOF
}

# -- the files and the environment, as a tool sees them
run -- sh -c 'cat ~/.npmrc; cat ~/dotfiles/npmrc; cat ~/.git-credentials; env; cat .env' \
	> "$T/in.out"
sed 's/^/# /' "$T/in.out" | grep -E 'npm_|ghp_|STRIPE' | head -8
ph=$(sed -n 's|^//registry.npmjs.org/:_authToken=||p' "$T/in.out" | head -1)
check "cat ~/.npmrc: an npm placeholder, valid CRC32 tail ($ph)" shape crc "$ph" "$NPM"
check "the symlink's target shows the same placeholder" \
	[ "$(sed -n 's|^//registry.npmjs.org/:_authToken=||p' "$T/in.out" | sed -n 2p)" = "$ph" ]
ph=$(sed -n 's|^NPM_TOKEN=||p' "$T/in.out")
check "env NPM_TOKEN: an npm placeholder ($ph)" shape crc "$ph" "$ENVNPM"
ph=$(sed -n 's|^GITHUB_TOKEN=||p' "$T/in.out")
check "env GITHUB_TOKEN: a GitHub placeholder ($ph)" shape crc "$ph" "$GHP"
check "~/.git-credentials holds the same GitHub placeholder as the environment" \
	grep -qxF "https://u:$ph@github.com" "$T/in.out"
ph=$(sed -n 's|^STRIPE_KEY=||p' "$T/in.out")
check "./.env: a placeholder of the Stripe key ($ph)" shape any "$ph" "$ENVK"
check "no real value inside the jail" no_plain "$T/in.out"

run -- python3 -c '
import configparser, os
c = configparser.ConfigParser(); c.read(os.path.expanduser("~/.aws/credentials"))
print(c["default"]["aws_access_key_id"]); print(c["default"]["aws_secret_access_key"])
print(open(os.path.expanduser("~/.ssh/id_ed25519")).read())' > "$T/py.out"
check "python reads an AWS key id placeholder (AKIA + base32)" \
	shape akia "$(sed -n 1p "$T/py.out")" "$AWSID"
check "... and a secret key placeholder (same separators)" \
	shape any "$(sed -n 2p "$T/py.out")" "$AWSSEC"
check "... and an SSH key that is not the user's" sh -c \
	"grep -q 'BEGIN OPENSSH PRIVATE KEY' '$T/py.out' && ! grep -qF -- '$KEYLINE' '$T/py.out'"
check "no real value reaches python" no_plain "$T/py.out"

# the keys: fresh ones of the same type and format, that ssh-keygen loads
for k in id_ed25519 id_rsa; do
	real=$(ssh-keygen -y -f "$H/.ssh/$k" | cut -d' ' -f1,2)
	in=$(run -- sh -c "head -1 ~/.ssh/$k; ssh-keygen -y -f ~/.ssh/$k" 2>/dev/null)
	check "~/.ssh/$k: a fresh key ssh-keygen loads, same type and armor (${in%% *}...)" sh -c \
		"[ '$(head -1 "$H/.ssh/$k")' = \"\$(echo '$in' | head -1)\" ] &&
		 echo '$in' | sed -n 2p | grep -q '^${real%% *} ' &&
		 [ \"\$(echo '$in' | sed -n 2p | cut -d' ' -f1,2)\" != '$real' ]"
	pub=$(run -- sh -c "cut -d' ' -f1,2 ~/.ssh/$k.pub; ssh-keygen -y -f ~/.ssh/$k | cut -d' ' -f1,2" 2>/dev/null)
	check "~/.ssh/$k.pub: the fresh key's public half" sh -c \
		"[ \"\$(echo '$pub' | sed -n 1p)\" = \"\$(echo '$pub' | sed -n 2p)\" ] &&
		 [ \"\$(echo '$pub' | sed -n 1p)\" != '$real' ]"
done

# -- an SSH agent instead of the key file: a "unix" policy line lets its
# socket in; the key file stays a fresh key
if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null; then
	eval "$(ssh-agent -a "$T/agent.sock" -s)" >/dev/null
	PIDS="$PIDS $SSH_AGENT_PID"
	ssh-add -q "$H/.ssh/id_ed25519" 2>/dev/null
	realpub=$(ssh-keygen -y -f "$H/.ssh/id_ed25519" | cut -d' ' -f2)
	printf 'unix %s\n' "$T/agent.sock" > "$T/agent.policy"
	out=$(run --policy "$T/agent.policy" -- sh -c 'ssh-add -L; ssh-keygen -y -f ~/.ssh/id_ed25519')
	check "unix AGENT-SOCKET: the agent answers with the real public key, the file is another key" \
		sh -c "[ \$(echo '$out' | grep -c '$realpub') -eq 1 ]"
	out=$(run -- ssh-add -L 2>&1)
	check "without the line the agent is out of reach" sh -c "! echo '$out' | grep -q '$realpub'"
	kill "$SSH_AGENT_PID" 2>/dev/null
	unset SSH_AUTH_SOCK SSH_AGENT_PID
fi

# -- attacker paths; again without the seccomp filter (and so without
# Landlock, which refuses ptrace-mode access to processes outside the jail
# on its own): then the hidden /proc entries and the dropped capabilities
# are what stands
attack() {
	# another process of the user, started before: as root one with no
	# capabilities (a hardened daemon: a subset of the jail's, so without
	# its /proc entry hidden the root jail could read it)
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
		setpriv --inh-caps=-all --bounding-set=-all sleep 30 &
	else
		sleep 30 &
	fi
	OUT=$!
	PIDS="$PIDS $OUT"
	: > "$T/late.out"
	run "$@" -- sh -c '
	echo "// x" >> ~/.npmrc && echo WROTE-NPMRC
	ln ~/dotfiles/npmrc ~/link 2>/dev/null && cat ~/link
	umount ~/dotfiles/npmrc 2>/dev/null; umount ~/.git-credentials 2>/dev/null
	cat ~/dotfiles/npmrc ~/.git-credentials
	for p in $PPID '"$OUT"'; do
		cat /proc/$p/environ 2>/dev/null | tr "\0" "\n"
		cat /proc/$p/root'"$H"'/dotfiles/npmrc 2>/dev/null
		cat /proc/$p/cwd/.env 2>/dev/null
		head -c 64 /proc/$p/mem >/dev/null 2>&1 && echo READ-MEM-$p
	done
	for f in /proc/self/fd/*; do [ -f "$f" ] && timeout 1 cat "$f" 2>/dev/null </dev/null; done | head -c 65536
	ls -l /proc/self/fd/ | grep -E "npmrc|credentials|id_ed25519|\.env" && echo FD-LEAK
	(sleep 1; cat ~/.npmrc > '"$T"'/late.out) &
	true' > "$T/atk.out" 2>&1
	sleep 2
	cat "$T/late.out" >> "$T/atk.out" 2>/dev/null
	kill $OUT 2>/dev/null
	m=${1:-default}
	check "$m: the jail cannot write ~/.npmrc" sh -c "! grep -q WROTE-NPMRC '$T/atk.out'"
	check "$m: no real value through a hard link, an umount, /proc of the launcher or of the user's other process, an fd, a late reader" \
		no_plain "$T/atk.out"
	check "$m: /proc/PID/mem of the launcher and of the other process: refused" \
		sh -c "! grep -q READ-MEM '$T/atk.out'"
	check "$m: no credential file open on an inherited fd" sh -c "! grep -q FD-LEAK '$T/atk.out'"
}
attack
attack --no-seccomp
check "the host files are byte-identical" [ "$(sums)" = "$before" ]
check "no real value in the events or on stderr" no_plain "$T/events.jsonl" "$T/jail.err"

# -- as a user (the user-namespace mount method), if we can be one
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	U=$T/u
	mkdir -p "$U/tmp" && cp -a "$H" "$U/home" && cp -a "$W" "$U/work" &&
		chown -R 65534:65534 "$U" && chmod 711 "$T"
	(cd "$U/work" && setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30) &
	OUT=$!   # the subshell; its child is the user's process
	sleep 0.2
	OUT=$(pgrep -P $OUT sleep || echo $OUT)
	PIDS="$PIDS $OUT"
	(cd "$U/work" && HOME="$U/home" TMPDIR="$U/tmp" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$DLPJAIL" --no-default-policy --no-canaries -- sh -c '
		id -u; cat ~/.npmrc .env; printf "%s\n" "$NPM_TOKEN"
		for p in $PPID '"$OUT"'; do
			cat /proc/$p/environ /proc/$p/root'"$U"'/home/dotfiles/npmrc 2>/dev/null
		done
		umount ~/dotfiles/npmrc 2>/dev/null; cat ~/.npmrc') > "$T/user.out" 2>"$T/user.err"
	kill $OUT 2>/dev/null
	if [ "$(head -1 "$T/user.out")" = 65534 ]; then
		ph=$(sed -n 's|^//registry.npmjs.org/:_authToken=||p' "$T/user.out" | head -1)
		check "user: cat ~/.npmrc gives a placeholder ($ph)" shape crc "$ph" "$NPM"
		check "user: no real value (files, env, /proc of the launcher and of another process, umount)" \
			no_plain "$T/user.out" "$T/user.err"
	else
		echo "# no user jail here: $(head -3 "$T/user.err")"
	fi
fi

# -- --real-secrets: off for a run, with a warning
: > "$T/jail.err"
run --real-secrets -- sh -c 'cat ~/.npmrc; printf "%s\n" "$NPM_TOKEN"' > "$T/real.out"
check "--real-secrets: the real ~/.npmrc and NPM_TOKEN" sh -c \
	"grep -qF '$NPM' '$T/real.out' && grep -qxF '$ENVNPM' '$T/real.out'"
check "--real-secrets: warned" grep -q -- '--real-secrets' "$T/jail.err"

# -- no private mount namespace: the files stay real, said so; env still replaced
: > "$T/jail.err"
run --no-mountns -- sh -c 'cat ~/.npmrc; printf "%s\n" "$NPM_TOKEN"' > "$T/nomnt.out"
check "--no-mountns: the environment still holds placeholders" sh -c \
	"! grep -qxF '$ENVNPM' '$T/nomnt.out'"
check "--no-mountns: a warning says the credential files are readable as they are" \
	grep -q 'no private mount namespace: the credential files' "$T/jail.err"

# -- --show-secrets: placeholders and where each may go, per profile
(cd "$W" && HOME="$H" "$DLPJAIL" --show-secrets -P npm) > "$T/show.out" 2>&1
sed 's/^/# /' "$T/show.out"
# under each secret: "    in the jail: placeholder X (kind)  swaps at its homes|never swaps"
n=$(grep -A1 '^npm_' "$T/show.out" | grep -c '^    in the jail: placeholder npm_.*swaps at its homes')
check "--show-secrets -P npm: both npm tokens swap at their homes ($n)" [ "$n" -eq 2 ]
check "--show-secrets -P npm: the GitHub token never swaps" sh -c \
	"grep -A1 '^ghp_' '$T/show.out' | grep -q 'placeholder ghp_.*never swaps'"
check "--show-secrets -P npm: the AWS secret key and the SSH key are replaced, never swap" sh -c \
	"grep -q '(aws-secret-key)  never swaps' '$T/show.out' && grep -q '(private-key)  never swaps' '$T/show.out'"
(cd "$W" && HOME="$H" "$DLPJAIL" --show-secrets -- git push) > "$T/show2.out" 2>&1
check "--show-secrets -- git push: the GitHub token swaps, the npm ones never" sh -c \
	"grep -A1 '^ghp_' '$T/show2.out' | grep -q 'swaps at its homes' &&
	 ! grep -A1 '^npm_' '$T/show2.out' | grep -q 'swaps at its homes'"
check "--show-secrets: redacted only" no_plain "$T/show.out" "$T/show2.out"
finish
