#!/bin/sh
# 288-spec-allow: the jail's seccomp filter (launcher and ad hoc backstop)
# is loaded with SECCOMP_FILTER_FLAG_SPEC_ALLOW, so the jailed tree keeps
# the speculation mitigations the system gives the bare command: kernels
# before 5.16 (or booted with spec_store_bypass_disable=seccomp /
# spectre_v2_user=seccomp) would otherwise force SSBD and STIBP on every
# jailed process and slow the whole install. Compared here: the
# Speculation_* lines of /proc/self/status, bare, jailed, and ad hoc.
# On a kernel whose mitigations do not depend on seccomp (6.x defaults:
# prctl) the three agree with or without the flag.
. "$(dirname "$0")/lib.sh"

need_relay
bare=$(sh -c "grep '^Speculation' /proc/self/status | tr -s '\t\n' '  '")
[ -n "$bare" ] || skip "no Speculation_* lines in /proc/self/status"
jailed=$("$DLPJAIL" --no-default-policy -q -- sh -c "grep '^Speculation' /proc/self/status | tr -s '\t\n' '  '")
check "jailed: the bare command's speculation state ($bare)" [ "$jailed" = "$bare" ]
node=$("$DLPJAIL" --no-default-policy -q -- sh -c "sh -c \"grep '^Speculation' /proc/self/status | tr -s '\t\n' '  '\"")
check "a jailed grandchild too ($node)" [ "$node" = "$bare" ]

mkdir -m 700 "$T/run"
printf 'allow 127.0.0.1\n' > "$T/adhoc.policy"
export XDG_RUNTIME_DIR="$T/run" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_POLICY="$T/adhoc.policy" DLPJAIL_IDLE=2
adhoc=$(timeout 20 env LD_PRELOAD="$DLPJAIL_SHIM" sh -c "grep -E '^Seccomp:' /proc/self/status | tr -s '\t\n' '  '; grep '^Speculation' /proc/self/status | tr -s '\t\n' '  '")
check "ad hoc: under the backstop ($adhoc)" sh -c "echo '$adhoc' | grep -q '^Seccomp: 2 '"
check "ad hoc: the bare command's speculation state" [ "${adhoc#Seccomp: 2 }" = "$bare" ]
bpid=$(fuser "$T/run/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$bpid" ] && kill "$bpid" 2>/dev/null

finish
