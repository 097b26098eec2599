#!/bin/sh
# Runs the libFuzzer targets built in build/fuzz/bin, one after another
# (tests/fuzz/README.md), and prints each one's executions and time.
#   run.sh long SECONDS TARGET...   make fuzz: SECONDS each, corpus kept in
#                                   build/fuzz/corpus/TARGET across runs
#   run.sh smoke RUNS TARGET...     make fuzz-smoke: the seeds, then RUNS runs
#                                   in all, from a fresh copy of the seeds
# A crash, a leak, a timeout or a disagreement a target reports fails the
# run (exit 1) after the others have run; the input that did it is kept as
# build/fuzz/artifacts/TARGET-*, and the end of the log is shown.
set -u
mode=$1
n=$2
shift 2
top=build/fuzz
mkdir -p "$top/artifacts" "$top/log" build/tap
tap=build/tap/fuzz.tap
[ "$mode" = smoke ] && echo "1..$#" > "$tap"

# LeakSanitizer runs in full: what libjq 1.6 leaks itself is freed by
# jq-leak.c, not suppressed.
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export UBSAN_OPTIONS

failed=0
i=0
summary=""
for t in "$@"; do
	i=$((i + 1))
	case $mode in
	long)
		corpus=$top/corpus/$t
		mkdir -p "$corpus"
		cp tests/fuzz/corpus/"$t"/* "$corpus"/
		limit="-max_total_time=$n"
		;;
	smoke)
		corpus=$top/smoke/$t
		rm -rf "$corpus"
		mkdir -p "$corpus"
		cp tests/fuzz/corpus/"$t"/* "$corpus"/
		limit="-runs=$n"
		# Each jq run compiles jq's builtin library twice, some 50 ms under
		# ASan: a tenth of the runs keeps the smoke in seconds.
		[ "$t" = jq ] && limit="-runs=$((n / 10))"
		;;
	*)
		echo "run.sh: usage: run.sh long|smoke N TARGET..." >&2
		exit 64
		;;
	esac
	dict=""
	[ -e "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	# The input target's reader warns on stderr about every bad file;
	# libFuzzer keeps its own and the sanitizers' reports on a copy of it.
	quiet=""
	[ "$t" = input ] && quiet="-close_fd_mask=2"
	# The input target reads at most 20,000 lines of an input (input.c says
	# why), but its decoders run under the sanitizers on a machine that may
	# be busy: it gets 30 s before an input counts as a hang.
	per=10
	[ "$t" = input ] && per=30
	log=$top/log/$t.log
	echo "== fuzz $t ($mode $n)"
	# shellcheck disable=SC2086
	"$top/bin/$t" $limit $dict $quiet -timeout=$per -print_final_stats=1 \
		-artifact_prefix="$top/artifacts/$t-" "$corpus" > "$log" 2>&1
	rc=$?
	done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1)
	runs=$(echo "$done_line" | sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p')
	secs=$(echo "$done_line" | sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p')
	if [ "$rc" -ne 0 ] || [ -z "$runs" ]; then
		failed=1
		echo "fuzz: $t failed (exit $rc); the end of $log:" >&2
		tail -n 40 "$log" >&2
		line="$t: FAILED (exit $rc), see $log and $top/artifacts/$t-*"
		[ "$mode" = smoke ] && echo "not ok $i [fuzz] $t" >> "$tap"
	else
		line="$t: $runs runs in $secs s"
		[ "$secs" -gt 0 ] && line="$line ($((runs / secs))/s)"
		[ "$mode" = smoke ] && echo "ok $i [fuzz] $t" >> "$tap"
	fi
	summary="$summary$line
"
done
echo "== fuzz $mode summary"
printf '%s' "$summary"
exit $failed
