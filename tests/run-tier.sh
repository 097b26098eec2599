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
# Files run side by side (VE_JOBS at a time; 1 runs them one after another)
# when GNU parallel is there: most tests wait on servers and timeouts, so the
# plain and ASan tiers run two files a core; valgrind keeps a core busy per
# file, so its tier runs one more than the cores. The tests in one file run
# in order, as they are written: a file may start one server for all of
# them. Every test has its own scratch folder and free ports, so files do
# not meet.
if [ "$tier" = valgrind ]; then
	jobs=${VE_JOBS:-$(($(nproc) + 1))}
else
	jobs=${VE_JOBS:-$(($(nproc) * 2))}
fi
par=""
if [ "$jobs" -gt 1 ] && command -v parallel > /dev/null 2>&1; then
	par="--jobs $jobs --no-parallelize-within-files"
	# The longest files first, so that none starts last and runs on alone:
	# the pipelines', the dashboard's, the report's, the card's, the
	# ClickHouse cluster's and the examples' (whole runs or servers, half a
	# minute or more each), then the rest by size, the largest first.
	slow=""
	rest=""
	for f in "$@"; do
		case $f in
		*/pipelines*.bats | */grafana.bats | */report.bats | */card-render.bats | */ch-cluster.bats | */examples.bats) slow="$slow $f" ;;
		*) rest="$rest $f" ;;
		esac
	done
	# shellcheck disable=SC2086,SC2046 # file names without blanks, as tests/*.bats are
	set -- $slow $(ls -S $rest)
fi
# --tap keeps one line per test, which is what gets counted; the exit status
# survives the tee through a status file.
# shellcheck disable=SC2086
{ bats --tap $par "$@"; echo $? > build/tap/$tier.rc; } | sed "s/^\(not \)\{0,1\}ok [0-9]* /&[$tier] /" | tee "$out"
rc=$(cat build/tap/$tier.rc)
exit "$rc"
