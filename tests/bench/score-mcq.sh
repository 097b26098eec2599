#!/bin/sh
# score-mcq throughput on an MMLU-sized run: 14042 questions x 4 choices of
# llm-query output (56168 records), against a reference measured in the same
# run: python3 doing the same grouping, argmax and lm-eval mean/stderr.
# Prints seconds per run (median of 3) and records per second; no pass/fail.
# Where llm-query and vllm-sim are built, it also runs 400 generated MMLU-format
# questions through vllm-sim --accuracy 0.8 in ll mode (4 requests a question)
# and letter mode (1 request), and prints both accuracies, requests and times.
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

[ -x "$bin/llm-query" ] && [ -x "$bin/vllm-sim" ] || { echo "letter vs ll: llm-query and vllm-sim not built, skipped"; exit 0; }
python3 - "$tmp/mmlu.jsonl" <<'PY'
import json, random, sys
rng = random.Random(3)
with open(sys.argv[1], "w") as f:
    for q in range(400):
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        right = a + b
        ch = [str(right + d) for d in rng.sample([-2, -1, 1, 2, 3], 3)] + [str(right)]
        rng.shuffle(ch)
        f.write(json.dumps({"question": "Item %d: what is %d + %d?" % (q, a, b),
                            "subject": "elementary_mathematics", "choices": ch,
                            "answer": ch.index(str(right))}) + "\n")
PY
jq -nc -f "$root/share/tasks/mmlu.jq" "$tmp/mmlu.jsonl" > "$tmp/ll.jsonl"
jq -nc -f "$root/share/tasks/mmlu.jq" --arg mode letter "$tmp/mmlu.jsonl" > "$tmp/letter.jsonl"
jq -sc 'group_by(.doc_id)[] | {id: .[0].doc_id, match: .[0].context, choices: map(.continuation[1:]), gold: .[0].gold}' "$tmp/ll.jsonl" > "$tmp/key.jsonl"
"$bin/vllm-sim" -q -p 0 --answers "$tmp/key.jsonl" --accuracy 0.8 --seed 5 --ttft-ms 5 --itl-ms 1 > "$tmp/url" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$tmp"' EXIT
for i in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
url=$(head -n 1 "$tmp/url")
s=$(date +%s.%N)
"$bin/llm-query" -q -e "$url" --loglikelihood "$tmp/ll.jsonl" | "$bin/score-mcq" --mode ll > "$tmp/ll.rows"
e=$(date +%s.%N)
s2=$(date +%s.%N)
"$bin/llm-query" -q -e "$url" --prompt .prompt --max-tokens 1 --logprobs 5 "$tmp/letter.jsonl" | "$bin/score-mcq" --mode letter > "$tmp/letter.rows"
e2=$(date +%s.%N)
printf 'll mode     %s requests: acc %s in %.2f s\n' "$(wc -l < "$tmp/ll.jsonl")" \
	"$(jq -r 'select(.metric == "mmlu.acc" and .labels.subset == "all") | .value' "$tmp/ll.rows")" "$(echo "$e - $s" | bc)"
printf 'letter mode %s requests: acc %s in %.2f s (letters missing: %s)\n' "$(wc -l < "$tmp/letter.jsonl")" \
	"$(jq -r 'select(.metric == "mmlu.acc" and .labels.subset == "all") | .value' "$tmp/letter.rows")" "$(echo "$e2 - $s2" | bc)" \
	"$(jq -r 'select(.metric == "mmlu.letter_missing") | .value' "$tmp/letter.rows")"
