#!/bin/sh
# score-mcq throughput on an MMLU-sized run: 14042 questions x 4 choices of
# llm-query output (56168 records), against a reference measured in the same
# run: python3 doing the same grouping, argmax and lm-eval mean/stderr.
# Prints seconds per run (median of 3) and records per second; no pass/fail.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VE_BIN:-$root/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/in.jsonl" <<'PY'
import json, random, sys
rng = random.Random(42)
subjects = ["subject_%02d" % i for i in range(57)]
with open(sys.argv[1], "w") as f:
    for q in range(14042):
        s = subjects[q % 57]
        gold = rng.randrange(4)
        for c in range(4):
            ll = -rng.uniform(0.1, 5.0)
            r = {"task": "mmlu", "doc_id": "mmlu/%s/%d" % (s, q), "subset": s, "choice": c,
                 "gold": gold, "context": "Question %d\nA. a\nB. b\nC. c\nD. d\nAnswer:" % q,
                 "continuation": " " + "ABCD"[c],
                 "response": {"status": 200, "text": "", "usage": {"prompt_tokens": 300, "completion_tokens": 0},
                              "loglikelihood": {"sum": ll, "n_tokens": 1, "greedy": ll > -0.5}},
                 "timing": {"start": 1763805067.0, "ttft_ms": 40.0, "e2el_ms": 41.0, "attempts": 1}}
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
cat > "$tmp/ref.py" <<'PY'
import json, math, sys
docs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = docs.setdefault(r["doc_id"], {"subset": r["subset"], "gold": r["gold"], "ll": {}})
    d["ll"][r["choice"]] = r["response"]["loglikelihood"]["sum"]
acc = {}
for d in docs.values():
    lls = [d["ll"][i] for i in range(len(d["ll"]))]
    acc.setdefault(d["subset"], []).append(1.0 if lls.index(max(lls)) == d["gold"] else 0.0)
for s, a in sorted(acc.items()):
    mu = sum(a) / len(a)
    se = math.sqrt(sum([(x - mu) ** 2 for x in a]) / (len(a) - 1)) / math.sqrt(len(a))
    print(json.dumps({"metric": "mmlu.acc", "value": mu, "stderr": se, "subset": s}))
PY

median3() { sort -n | sed -n 2p; }
time_it() {
	for i in 1 2 3; do
		s=$(date +%s.%N)
		"$@" > /dev/null
		e=$(date +%s.%N)
		echo "$e - $s" | bc
	done | median3
}
n=$(wc -l < "$tmp/in.jsonl")
t1=$(time_it "$bin/score-mcq" "$tmp/in.jsonl")
t2=$(time_it python3 "$tmp/ref.py" "$tmp/in.jsonl")
printf 'score-mcq   %s records: %.3f s (median of 3), %.0f records/s\n' "$n" "$t1" "$(echo "$n / $t1" | bc -l)"
printf 'python3 ref %s records: %.3f s (median of 3), %.0f records/s\n' "$n" "$t2" "$(echo "$n / $t2" | bc -l)"
# The two must agree on the figures they share.
"$bin/score-mcq" "$tmp/in.jsonl" | jq -c 'select(.metric == "mmlu.acc" and .labels.subset != "all") | [.labels.subset, .value, .stderr]' > "$tmp/a"
python3 "$tmp/ref.py" "$tmp/in.jsonl" | jq -c '[.subset, .value, .stderr]' > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && echo "figures: identical to the python3 reference" || { echo "figures differ" >&2; exit 1; }
