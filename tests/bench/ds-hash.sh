#!/bin/sh
# ds-hash throughput and memory, against references measured in the same run:
#   - libjq's bare parse of each line (tests/bench/jq-parse.c), the floor
#     ds-hash builds on (target: ds-hash >= 0.8 of it);
#   - `jq -c . | sort -u`, the shell way to drop exact duplicates (target: 3x).
# Memory per distinct key is the slope of peak RSS between a small and the
# full corpus (target: < 64 bytes per key plus a constant).
# BENCH_MB (default 100) sets the corpus size; RUNS (default 3) the repeats.
set -eu
cd "$(dirname "$0")/../.."
mb=${BENCH_MB:-100}
runs=${RUNS:-3}
dir=build/bench
mkdir -p "$dir"
cc -O2 -o "$dir/jq-parse" tests/bench/jq-parse.c -ljq -lonig
big=$dir/corpus-$mb.jsonl
small=$dir/corpus-10.jsonl
[ -s "$big" ] || python3 tests/bench/gen-corpus.py "$mb" > "$big"
[ -s "$small" ] || python3 tests/bench/gen-corpus.py 10 > "$small"
bytes=$(wc -c < "$big")

# median of the wall times of RUNS runs of a command, in seconds
median() {
	for i in $(seq "$runs"); do
		/usr/bin/time -f %e -o "$dir/t" sh -c "$1" > /dev/null
		cat "$dir/t"
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
rate() { awk -v b="$bytes" -v t="$1" 'BEGIN {printf "%.1f", b / 1e6 / t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }

cat "$big" > /dev/null # warm the page cache
t_parse=$(median "$dir/jq-parse $big")
t_hash=$(median "bin/ds-hash $big")
t_key=$(median "bin/ds-hash -k .question $big")
t_jq=$(median "jq -c . $big | LC_ALL=C sort -u")
echo "corpus: $big, $bytes bytes, $(wc -l < "$big") records; median of $runs runs"
printf '%-34s %8s s %8s MB/s\n' "libjq bare parse (reference)" "$t_parse" "$(rate "$t_parse")"
printf '%-34s %8s s %8s MB/s  %s x parse  %s x jq|sort\n' "ds-hash (whole record)" "$t_hash" \
	"$(rate "$t_hash")" "$(ratio "$t_hash" "$t_parse")" "$(ratio "$t_hash" "$t_jq")"
printf '%-34s %8s s %8s MB/s  %s x parse  %s x jq|sort\n' "ds-hash -k .question" "$t_key" \
	"$(rate "$t_key")" "$(ratio "$t_key" "$t_parse")" "$(ratio "$t_key" "$t_jq")"
printf '%-34s %8s s %8s MB/s\n' "jq -c . | sort -u" "$t_jq" "$(rate "$t_jq")"

rss() { /usr/bin/time -f %M -o "$dir/m" bin/ds-hash "$1" > /dev/null; cat "$dir/m"; }
keys() { bin/ds-hash -vv "$1" 2>&1 >/dev/null | sed -n 's/.*key set: \([0-9]*\) keys.*/\1/p'; }
r1=$(rss "$small"); k1=$(keys "$small")
r2=$(rss "$big"); k2=$(keys "$big")
awk -v r1="$r1" -v r2="$r2" -v k1="$k1" -v k2="$k2" 'BEGIN {
	printf "peak RSS: %d KB for %d keys, %d KB for %d keys: %.1f bytes per key\n",
	       r1, k1, r2, k2, (r2 - r1) * 1024 / (k2 - k1) }'
