# Common setup for every bats file: assertions from Debian's bats-support and
# bats-assert, the programs under test first on PATH, a scratch directory.
#
# VE_BIN picks the build under test (bin/, the sanitizer build, or valgrind
# wrappers); VE_TIER names it. Tests that start servers take ports from
# ve_free_port so tiers and files never collide.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

VE_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
VE_BIN="${VE_BIN:-$VE_ROOT/bin}"
VE_TIER="${VE_TIER:-plain}"
FIX="$VE_ROOT/tests/fixtures"
PATH="$VE_BIN:$PATH"
export VE_ROOT VE_BIN FIX PATH

# A fresh directory per test, removed by bats.
setup_scratch() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
}

# A TCP port on 127.0.0.1 that nothing listens on now.
ve_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL answers (up to $2 seconds, default 10).
ve_wait_http() {
	local url=$1 n=$(( ${2:-10} * 10 ))
	while [ "$n" -gt 0 ]; do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "no answer from $url" >&2
	return 1
}

# Skips a test that is too slow under valgrind (the plain and ASan tiers run it).
skip_under_valgrind() {
	[ "$VE_TIER" = valgrind ] && skip "${1:-slow under valgrind}"
	return 0
}

# The lines of FILE in five orders, PREFIX0..4.jsonl (PREFIX defaults to
# "order"): as they are, reversed, two seeded shuffles (shuf fed by yes,
# Python's random.Random(1)), and split into two shards put together again
# (odd lines, then even), as `cat shard*.jsonl` does. The test fails if the
# shuffle left FILE as it was (too short to show anything).
orders() {
	local p=${2:-order}
	cp "$1" "${p}0.jsonl"
	tac "$1" >"${p}1.jsonl"
	shuf --random-source=<(yes) "$1" >"${p}2.jsonl"
	python3 -c 'import random, sys
lines = open(sys.argv[1]).readlines()
random.Random(1).shuffle(lines)
sys.stdout.writelines(lines)' "$1" >"${p}3.jsonl"
	{ awk 'NR % 2' "$1" && awk 'NR % 2 == 0' "$1"; } >"${p}4.jsonl"
	run cmp -s "${p}0.jsonl" "${p}2.jsonl"
	assert_failure 1
}
