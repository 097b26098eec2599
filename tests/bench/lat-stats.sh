#!/bin/sh
# lat-stats speed on 1M llm-query streaming records (16 ITL gaps each, one
# in twenty failed), against references measured in the same run:
#   - libjq's bare parse of each line (tests/bench/jq-parse.c), the floor
#     lat-stats builds on;
#   - jq computing only the TTFT mean and sorted TTFTs of the same records,
#     the shell way (one jq -s pass).
# Target (issue 7): 1M records summarised in <= 10 s. Prints figures only.
# BENCH_RECORDS (default 1000000) sets the size; RUNS (default 3) the repeats.
set -eu
cd "$(dirname "$0")/../.."
n=${BENCH_RECORDS:-1000000}
runs=${RUNS:-3}
dir=build/bench
mkdir -p "$dir"
cc -O2 -o "$dir/jq-parse" tests/bench/jq-parse.c -ljq -lonig
data=$dir/timings-$n.jsonl
[ -s "$data" ] || python3 tests/bench/gen-timings.py "$n" > "$data"

# median of the wall times of RUNS runs of a command, in seconds
median() {
	for i in $(seq "$runs"); do
		/usr/bin/time -f %e -o "$dir/t" sh -c "$1" > /dev/null
		cat "$dir/t"
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

cat "$data" > /dev/null # warm the page cache
t_parse=$(median "$dir/jq-parse $data")
t_stats=$(median "bin/lat-stats -f vllm-json $data")
t_jq=$(median "jq -s '[.[] | .timing.ttft_ms // empty] | (add / length), sort' $data")
echo "input: $data, $(wc -c < "$data") bytes, $n records; median of $runs runs"
printf '%-40s %8s s\n' "libjq bare parse (reference)" "$t_parse"
printf '%-40s %8s s  %s of parse time, %s of jq -s time\n' "lat-stats (all figures)" "$t_stats" \
	"$(ratio "$t_stats" "$t_parse")" "$(ratio "$t_stats" "$t_jq")"
printf '%-40s %8s s\n' "jq -s (TTFT mean and sort only)" "$t_jq"
/usr/bin/time -f %M -o "$dir/m" bin/lat-stats "$data" > /dev/null
echo "lat-stats peak RSS: $(cat "$dir/m") KB"
