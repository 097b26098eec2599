#!/bin/sh
# llm-query --loglikelihood: CPU seconds of the client per loglikelihood
# request, each one two /tokenize requests and one echo+logprobs request
# whose answer is about 50 KB (a context of about 900 tokens, as a few-shot
# MMLU question's), from vllm-sim at zero latency. Measured as user+sys time
# of llm-query alone (the simulator is not its child), median of 3 runs, for
# this build and, in the same invocation, the same binary with
# LLM_QUERY_SCAN=0 (every answer read by libjq, as before the scanner), and
# curl's parallel mode (-Z, -c 64 alike) sending the first record's three
# requests N times: the same requests and answers over the same loopback,
# transport only (no parse, answers to /dev/null), so the figures share the
# machine's load. Prints figures; never a pass/fail timing test.
set -eu
cd "$(dirname "$0")/../.."
BIN=${VE_BIN:-$PWD/bin}
N=${LL_N:-2000}
T=$(mktemp -d)
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
"$BIN/vllm-sim" -q -p 0 --port-file "$T/port" --ttft-ms 0 --itl-ms 0 --load-factor 0 \
	--prefill-tps 1000000000 --max-num-seqs 4096 > /dev/null 2>&1 &
SIM_PID=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
URL="http://127.0.0.1:$(cat "$T/port")"
# N records: a context of 300 words (about 890 of vllm-sim's tokens) and a
# two-word continuation.
awk -v n="$N" 'BEGIN {
	for (r = 0; r < n; r++) {
		c = "Question " r ":"
		for (w = 0; w < 300; w++)
			c = c " word" (w * 7 + r) % 1000
		printf "{\"id\":%d,\"context\":\"%s\\nAnswer:\",\"continuation\":\" choice %d\"}\n", r, c, r % 4
	}
}' > "$T/in.jsonl"

# Runs ARGS... with LLM_QUERY_SCAN=$1 (curl ignores it), prints its CPU seconds
# (user+sys) and wall seconds.
measure() {
	python3 - "$@" <<'PY'
import os, resource, subprocess, sys, time
t = time.perf_counter()
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
p = subprocess.run(sys.argv[2:], env=dict(os.environ, LLM_QUERY_SCAN=sys.argv[1]),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
w = time.perf_counter() - t
if p.returncode:
    sys.exit("failed: %s" % sys.argv[2])
print("%.4f %.4f" % (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, w))
PY
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# curl: the first record's three requests as llm-query makes them (the
# ids of the scoring request from /tokenize), N times each.
head -1 "$T/in.jsonl" | jq -c '{model:"sim-model",prompt:.context,add_special_tokens:false}' > "$T/b1.json"
head -1 "$T/in.jsonl" | jq -c '{model:"sim-model",prompt:(.context+.continuation),add_special_tokens:false}' > "$T/b2.json"
curl -s "$URL/tokenize" -H 'Content-Type: application/json' -d @"$T/b2.json" |
	jq -c '{model:"sim-model",prompt:.tokens,echo:true,max_tokens:1,logprobs:1,temperature:0}' > "$T/b3.json"
# "next" starts each transfer's own options, the header included.
awk -v n="$N" -v url="$URL" -v t="$T" 'BEGIN {
	for (r = 0; r < n; r++)
		for (k = 1; k <= 3; k++) {
			if (r || k > 1)
				print "next"
			print "header = \"Content-Type: application/json\""
			printf "url = \"%s%s\"\n", url, k < 3 ? "/tokenize" : "/v1/completions"
			printf "data-binary = \"@%s/b%d.json\"\noutput = \"/dev/null\"\n", t, k
		}
}' > "$T/curl.cfg"

: > "$T/new" ; : > "$T/ref" ; : > "$T/curl"
for run in 1 2 3; do
	measure 1 "$BIN/llm-query" -q -e "$URL" --loglikelihood -c 64 -o "$T/new.jsonl" "$T/in.jsonl" >> "$T/new"
	measure 0 "$BIN/llm-query" -q -e "$URL" --loglikelihood -c 64 -o "$T/ref.jsonl" "$T/in.jsonl" >> "$T/ref"
	measure - curl -s -Z --parallel-max 64 -K "$T/curl.cfg" >> "$T/curl"
done
# The figures mean nothing unless both ways wrote the same records.
jq -c 'del(.timing)' "$T/new.jsonl" | sort > "$T/a"
jq -c 'del(.timing)' "$T/ref.jsonl" | sort > "$T/b"
cmp -s "$T/a" "$T/b" || { echo "llm-query-ll bench: the two ways disagree" >&2; exit 1; }
bytes=$(curl -s "$URL/v1/completions" -H 'Content-Type: application/json' \
	-d "$(head -1 "$T/in.jsonl" | jq -c '{model:"sim-model",prompt:(.context+.continuation),echo:true,max_tokens:1,logprobs:1,temperature:0}')" | wc -c)
echo "llm-query loglikelihood bench: $N records x (2 /tokenize + 1 echo answer of $bytes bytes), -c 64"
report() {
	cpu=$(awk '{print $1}' "$T/$1" | median)
	wall=$(awk '{print $2}' "$T/$1" | median)
	all=$(awk '{printf "%s ", $1}' "$T/$1")
	awk -v n="$2" -v c="$cpu" -v w="$wall" -v a="$all" -v r="$N" 'BEGIN {
		printf "  %-36s CPU ms/request %6.3f   wall %6.2f s   (CPU s per run: %s)\n",
			n, c * 1000 / r, w, a }'
}
report new "llm-query (scanner)"
report ref "llm-query LLM_QUERY_SCAN=0 (libjq)"
report curl "curl -Z (same requests, no parse)"
