#!/bin/sh
# Runs bats files for one tier of `make check` and keeps the TAP output in
# build/tap/TIER.tap (.ci/run counts it). Exit status: bats's.
#   run-tier.sh TIER FILE...
set -u
tier=$1
shift
mkdir -p build/tap
out=build/tap/$tier.tap
echo "== tier $tier: $*"
# --tap keeps one line per test, which is what gets counted; the exit status
# survives the tee through a status file.
{ bats --tap "$@"; echo $? > build/tap/$tier.rc; } | sed "s/^\(not \)\{0,1\}ok [0-9]* /&[$tier] /" | tee "$out"
rc=$(cat build/tap/$tier.rc)
exit "$rc"
