#!/bin/sh
# vllm-sim benchmark: concurrent SSE streams and token events per second,
# non-streaming requests per second, and the server's CPU per echo+logprobs
# request. Prints figures; nothing here is a pass or fail. References
# measured in the same run:
#   - streams: the event rate the latency model asks for (streams x 1000 / ITL
#     while all streams are open), so the figure shows whether the server keeps
#     up with its own schedule;
#   - requests: wrk on GET /health, the HTTP layer with no work behind it;
#   - echo+logprobs: the CPU of `jq -c .` reading and writing the same
#     answers (the work of any JSON tool over those bytes), and the same
#     server with VLLM_SIM_SCAN=0 (every body parsed whole by libjq).
# PARTS (default streams,requests,echo) picks the parts to run.
# The stream load comes from tests/bench/vllm-sim-load.c, one epoll thread
# (its CPU time is printed beside the server's, to show it is not the limit).
set -eu
cd "$(dirname "$0")/../.."
BIN=${VE_BIN:-bin}
RUNS=${RUNS:-3}
STREAMS=${STREAMS:-1000}
TOKENS=${TOKENS:-250}
ITL=${ITL:-40}
PARTS=${PARTS:-streams,requests,echo}
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p build/bench
cc -O2 -Wall -o build/bench/vllm-sim-load tests/bench/vllm-sim-load.c

start() {
	"$BIN/vllm-sim" -q -p 0 --port-file "$tmp/port" --max-num-seqs 8192 --load-factor 0 "$@" \
		> /dev/null &
	pid=$!
	while [ ! -s "$tmp/port" ]; do sleep 0.05; done
	port=$(cat "$tmp/port")
	rm -f "$tmp/port"
}
stop() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}
# CPU seconds (user + system) a process has used.
cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# streams N TOKENS: RUNS runs of N streams at once, TOKENS tokens each.
streams() {
	n=$1
	tokens=$2
	ideal=$((n * 1000 / ITL))
	echo "-- streams: $n at once, $tokens tokens each, --itl-ms $ITL --ttft-ms 0"
	start --ttft-ms 0 --itl-ms "$ITL"
	: > "$tmp/rates"
	: > "$tmp/peaks"
	for i in $(seq "$RUNS"); do
		c0=$(cpu "$pid")
		/usr/bin/time -f '%U %S' -o "$tmp/client" build/bench/vllm-sim-load "$port" "$n" "$tokens" > "$tmp/r"
		c1=$(cpu "$pid")
		r=$(cat "$tmp/r")
		echo "run $i: $r server_cpu_s=$(echo "$c1 $c0" | awk '{ printf "%.2f", $1 - $2 }')" \
			"client_cpu_s=$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/client")"
		echo "$r" | sed 's/.*"events_per_s":\([0-9]*\).*/\1/' >> "$tmp/rates"
		echo "$r" | sed 's/.*"peak_concurrent":\([0-9]*\).*/\1/' >> "$tmp/peaks"
	done
	stop
	echo "streams: median peak concurrent $(median < "$tmp/peaks"), median token events/s" \
		"$(median < "$tmp/rates") (reference: the schedule asks for $ideal/s)"
}

part() {
	case ",$PARTS," in *,$1,*) return 0 ;; esac
	return 1
}

echo "vllm-sim bench: $(nproc) cores, $RUNS runs each"
if part streams; then
	streams "$STREAMS" "$TOKENS"
	streams $((STREAMS * 2)) $((TOKENS * 3 / 4))
fi

# echo K: the server's CPU per echo+logprobs request with top-K lists, a
# loglikelihood request as llm-query sends it (token ids of a context of
# 300 words, some 900 tokens, and max_tokens 1), from wrk -c4 for 4 s a
# run, next to jq -c . over as many of its answers; then with
# VLLM_SIM_SCAN=0 (the reference way of reading a body).
echo_lp() {
	k=$1
	echo "-- echo+logprobs completions (~900 prompt tokens, logprobs $k, max_tokens 1), wrk -t1 -c4 -d4s"
	start --ttft-ms 0 --itl-ms 0 --prefill-tps 1e9
	ctx=$(awk 'BEGIN { c = "Question 7:"; for (w = 0; w < 300; w++) c = c " word" (w * 7) % 1000; print c "\\nAnswer: choice 2" }')
	ids=$(curl -s "http://127.0.0.1:$port/tokenize" -d "{\"prompt\":\"$ctx\"}" | jq -c .tokens)
	body="{\"model\":\"sim-model\",\"prompt\":$ids,\"echo\":true,\"max_tokens\":1,\"logprobs\":$k,\"temperature\":0}"
	printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' \
		"$body" > "$tmp/echo.lua"
	curl -s "http://127.0.0.1:$port/v1/completions" -d "$body" > "$tmp/answer.json"
	ntok=$(echo "$ids" | jq length)
	bytes=$(wc -c < "$tmp/answer.json")
	stop
	: > "$tmp/fast"
	: > "$tmp/slow"
	: > "$tmp/jq"
	# One answer 200 times, for jq.
	for i in $(seq 200); do cat "$tmp/answer.json"; echo; done > "$tmp/answers.jsonl"
	for i in $(seq "$RUNS"); do
		for way in fast slow; do
			if [ "$way" = slow ]; then
				VLLM_SIM_SCAN=0 start --ttft-ms 0 --itl-ms 0 --prefill-tps 1e9
			else
				start --ttft-ms 0 --itl-ms 0 --prefill-tps 1e9
			fi
			c0=$(cpu "$pid")
			n=$(wrk -t1 -c4 -d4s -s "$tmp/echo.lua" "http://127.0.0.1:$port/v1/completions" |
				awk '/requests in/ { print $1 }')
			c1=$(cpu "$pid")
			stop
			echo "$c0 $c1 $n" | awk '{ printf "%.4f\n", ($2 - $1) * 1000 / $3 }' >> "$tmp/$way"
		done
		/usr/bin/time -f '%U %S' -o "$tmp/jqtime" jq -c . "$tmp/answers.jsonl" > /dev/null
		awk '{ printf "%.4f\n", ($1 + $2) * 1000 / 200 }' "$tmp/jqtime" >> "$tmp/jq"
		echo "run $i: server CPU ms/request $(tail -1 "$tmp/fast"), with VLLM_SIM_SCAN=0 $(tail -1 "$tmp/slow"), jq -c . ms/answer $(tail -1 "$tmp/jq")"
	done
	f=$(median < "$tmp/fast")
	s=$(median < "$tmp/slow")
	j=$(median < "$tmp/jq")
	echo "$f $s $j $ntok $bytes $k" | awk '{
		printf "vllm-sim CPU per echo+logprobs request (%d prompt tokens, k=%d, %d-byte answer): median %.3f ms\n", $4, $6, $5, $1
		printf "  = %.2f x jq -c . over the answer (median %.3f ms); VLLM_SIM_SCAN=0: %.3f ms (%.2f x)\n", $1 / $3, $3, $2, $2 / $3 }'
}

if part echo; then
	echo_lp 1
	echo_lp 5
fi

part requests || exit 0
echo "-- non-streaming completions (max_tokens 1, no simulated delay), wrk -t1 -c64 -d4s"
cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"prompt":"The capital of France is","max_tokens":1}'
wrk.headers["Content-Type"] = "application/json"
LUA
start --ttft-ms 0 --itl-ms 0
: > "$tmp/ref"
: > "$tmp/comp"
for i in $(seq "$RUNS"); do
	h=$(wrk -t1 -c64 -d4s "http://127.0.0.1:$port/health" | awk '/Requests\/sec/ { print $2 }')
	c=$(wrk -t1 -c64 -d4s -s "$tmp/post.lua" "http://127.0.0.1:$port/v1/completions" | awk '/Requests\/sec/ { print $2 }')
	echo "run $i: /v1/completions $c req/s, /health $h req/s"
	echo "$h" >> "$tmp/ref"
	echo "$c" >> "$tmp/comp"
done
stop
echo "completions: median $(median < "$tmp/comp") req/s (reference /health: median $(median < "$tmp/ref") req/s)"
