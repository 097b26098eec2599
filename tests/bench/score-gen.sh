#!/bin/sh
# score-gen throughput: 20000 generated answers of about 40 words scored with
# token F1 and ROUGE-L, against a reference measured in the same run: python3
# computing SQuAD's F1 and the LCS ROUGE-L the same way. Prints seconds
# (median of 3) and records per second; no pass/fail.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${VE_BIN:-$root/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/in.jsonl" <<'PY'
import json, random, sys
rng = random.Random(7)
words = ["the", "model", "answer", "paris", "france", "capital", "river", "seine", "city",
         "is", "of", "a", "in", "north", "europe", "서울", "수도", "대한민국", "and", "large"]
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        gold = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
        text = " ".join(rng.choice(words) for _ in range(rng.randint(20, 60)))
        f.write(json.dumps({"task": "qa", "doc_id": i, "gold": gold,
                            "response": {"status": 200, "text": text}},
                           ensure_ascii=False, separators=(",", ":")) + "\n")
PY
cat > "$tmp/ref.py" <<'PY'
import collections, json, re, string, sys
def norm(s):
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return s.split()
def f1(p, g):
    p, g = norm(p), norm(g)
    if not p or not g:
        return float(p == g)
    same = sum((collections.Counter(p) & collections.Counter(g)).values())
    if same == 0:
        return 0.0
    pr, rc = same / len(p), same / len(g)
    return 2 * pr * rc / (pr + rc)
def rl(p, g):
    p = re.sub(r"[%s\s]+" % re.escape(string.punctuation), " ", p.lower()).split()
    g = re.sub(r"[%s\s]+" % re.escape(string.punctuation), " ", g.lower()).split()
    if not p or not g:
        return 0.0
    prev = [0] * (len(g) + 1)
    for a in p:
        cur = [0]
        for j, b in enumerate(g, 1):
            cur.append(prev[j - 1] + 1 if a == b else max(prev[j], cur[j - 1]))
        prev = cur
    l = prev[-1]
    if l == 0:
        return 0.0
    pr, rc = l / len(p), l / len(g)
    return 2 * pr * rc / (pr + rc)
F, R = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    F.append(f1(r["response"]["text"], r["gold"]))
    R.append(rl(r["response"]["text"], r["gold"]))
print(json.dumps({"f1": sum(F) / len(F), "rouge_l": sum(R) / len(R)}))
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
t1=$(time_it "$bin/score-gen" -m f1 -m rouge_l "$tmp/in.jsonl")
t2=$(time_it python3 "$tmp/ref.py" "$tmp/in.jsonl")
printf 'score-gen   %s records: %.3f s (median of 3), %.0f records/s\n' "$n" "$t1" "$(echo "$n / $t1" | bc -l)"
printf 'python3 ref %s records: %.3f s (median of 3), %.0f records/s\n' "$n" "$t2" "$(echo "$n / $t2" | bc -l)"
"$bin/score-gen" -m f1 -m rouge_l "$tmp/in.jsonl" | jq -c '[.metric, (.value * 1e12 | round)]' > "$tmp/a"
python3 "$tmp/ref.py" "$tmp/in.jsonl" | jq -c '["qa.f1", (.f1 * 1e12 | round)], ["qa.rouge_l", (.rouge_l * 1e12 | round)]' > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && echo "figures: equal to the python3 reference (to 12 digits)" || { echo "figures differ" >&2; diff "$tmp/a" "$tmp/b" >&2; exit 1; }
