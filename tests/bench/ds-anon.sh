#!/bin/sh
# ds-anon throughput on Korean service queries: the labelled corpora of
# tests/fixtures/ds-anon (personal data and look-alikes, about half each)
# repeated to about BENCH_MB megabytes (default 20), masked with -f .text
# and over every string; the median wall time of RUNS runs (default 3).
# DS_ANON (default bin/ds-anon) names the binary, to compare two builds.
set -eu
cd "$(dirname "$0")/../.."
mb=${BENCH_MB:-20}
runs=${RUNS:-3}
prog=${DS_ANON:-bin/ds-anon}
dir=build/bench
mkdir -p "$dir"
big=$dir/anon-$mb.jsonl
if [ ! -s "$big" ]; then
	src="tests/fixtures/ds-anon/corpus.jsonl tests/fixtures/ds-anon/heldout/heldout.jsonl"
	: > "$big"
	while [ "$(wc -c < "$big")" -lt $((mb * 1000000)) ]; do
		cat $src >> "$big"
	done
fi
bytes=$(wc -c < "$big")

# median of the wall times of RUNS runs of a command, in seconds
median() {
	for i in $(seq "$runs"); do
		/usr/bin/time -f %e -o "$dir/t" sh -c "$1" > /dev/null
		cat "$dir/t"
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
rate() { awk -v b="$bytes" -v t="$1" 'BEGIN {printf "%.1f", b / 1e6 / t}'; }

cat "$big" > /dev/null # warm the page cache
t_field=$(median "$prog -f .text $big")
t_all=$(median "$prog $big")
echo "corpus: $big, $bytes bytes, $(wc -l < "$big") records; median of $runs runs"
printf '%-30s %8s s %8s MB/s\n' "$prog -f .text" "$t_field" "$(rate "$t_field")"
printf '%-30s %8s s %8s MB/s\n' "$prog (every string)" "$t_all" "$(rate "$t_all")"
