#!/bin/sh
# reg-check benchmark (make bench): prints figures, passes or fails nothing.
#
# 1. Known-bad releases. Each release is scored on N=1000 items; its
#    observed accuracy is Binomial(N, p)/N, which is what a scorer sees from
#    a server answering correctly with probability p (vllm-sim's simulated
#    accuracy). The history holds 5 runs at p0 = 0.65. Bad releases have
#    p = p0 (1 - d) with d uniform in [10 %, 30 %]; unchanged ones p = p0.
#    Printed: the detection rate on bad releases (goal >= 95 %) and the false
#    alarm rate on unchanged ones (goal <= 5 %), for the release rule alone and
#    with --threshold 5 --require-significance 0.05 beside it.
# 2. Speed: reg-check over a 200-metric x 1000-run history, against jq
#    computing the same rolling means (the reference), several runs, medians.
set -eu
BIN=${VE_BIN:-$(pwd)/bin}
export VLLM_EVAL_SHARE=$(pwd)/share
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import json, random, sys
out = sys.argv[1]
rng = random.Random(20261122)
N, p0 = 1000, 0.65
def run(rid, ts, p):
    k = sum(rng.random() < p for _ in range(N))
    a = k / N
    return {"metric": "mmlu.acc", "value": a, "n": N, "stderr": (a * (1 - a) / N) ** 0.5,
            "unit": "ratio", "run_id": rid, "model_tag": "release-" + rid, "ts": ts}
with open(out + "/history.jsonl", "w") as f:
    for i in range(5):
        f.write(json.dumps(run("h%d" % i, "2026-01-0%dT00:00:00Z" % (i + 1), p0)) + "\n")
for kind in ("bad", "same"):
    for i in range(200):
        d = rng.uniform(0.10, 0.30) if kind == "bad" else 0.0
        with open("%s/%s-%03d.jsonl" % (out, kind, i), "w") as f:
            f.write(json.dumps(run("%s%d" % (kind, i), "2026-02-01T00:00:00Z", p0 * (1 - d))) + "\n")
# speed: 200 metrics x 1000 runs
with open(out + "/big-history.jsonl", "w") as f:
    for r in range(1000):
        for m in range(200):
            f.write(json.dumps({"metric": "t%03d.acc" % m, "value": rng.random(), "run_id": "r%04d" % r,
                                "ts": "2026-01-01T00:00:00Z#%04d" % r}) + "\n")
with open(out + "/big-current.jsonl", "w") as f:
    for m in range(200):
        f.write(json.dumps({"metric": "t%03d.acc" % m, "value": 0.5, "run_id": "now"}) + "\n")
PY

rate() { # kind, extra options...
	kind=$1
	shift
	hits=0
	for f in "$tmp/$kind"-*.jsonl; do
		if ! "$BIN/reg-check" -H "$tmp/history.jsonl" "$@" "$f" > /dev/null; then
			hits=$((hits + 1))
		fi
	done
	echo "$hits"
}
pct() { awk -v n="$1" 'BEGIN { printf "%.1f", n * 100 / 200 }'; }
echo "known-bad releases: 200 with accuracy drops of 10-30 %, 200 unchanged (N=1000 items, p0=0.65)"
b=$(rate bad)
s=$(rate same)
echo "  release rule (threshold 10 %):       detected $b/200 = $(pct "$b") %, false alarms $s/200 = $(pct "$s") %"
b=$(rate bad --threshold 5 --require-significance 0.05)
s=$(rate same --threshold 5 --require-significance 0.05)
echo "  threshold 5 % and p < 0.05 (z-test): detected $b/200 = $(pct "$b") %, false alarms $s/200 = $(pct "$s") %"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
timeit() {
	python3 -c 'import subprocess, sys, time
t = time.monotonic(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False); print("%.3f" % (time.monotonic() - t))' "$@"
}
echo "speed: 200 metrics x 1000 runs of history (200000 rows), baseline over the last 5 runs; 5 runs each, median seconds"
r=$(for i in 1 2 3 4 5; do timeit "$BIN/reg-check" -H "$tmp/big-history.jsonl" "$tmp/big-current.jsonl"; done | median)
echo "  reg-check: $r s"
r=$(for i in 1 2 3 4 5; do timeit jq -cn --slurpfile h "$tmp/big-history.jsonl" '[inputs] as $c | ($h | group_by(.metric) | map({key: .[0].metric, value: (sort_by(.ts) | .[-5:] | map(.value) | add / length)}) | from_entries) as $b | $c[] | {metric, value, baseline: $b[.metric]}' "$tmp/big-current.jsonl"; done | median)
echo "  reference, jq 1.6 (the same means): $r s"
