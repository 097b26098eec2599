#!/bin/sh
# vllm-sim benchmark: concurrent SSE streams and token events per second, and
# non-streaming requests per second. Prints figures; nothing here is a pass or
# fail. References measured in the same run:
#   - streams: the event rate the latency model asks for (streams x 1000 / ITL
#     while all streams are open), so the figure shows whether the server keeps
#     up with its own schedule;
#   - requests: wrk on GET /health, the HTTP layer with no work behind it.
# The stream load comes from tests/bench/vllm-sim-load.c, one epoll thread
# (its CPU time is printed beside the server's, to show it is not the limit).
set -eu
cd "$(dirname "$0")/../.."
BIN=${VE_BIN:-bin}
RUNS=${RUNS:-3}
STREAMS=${STREAMS:-1000}
TOKENS=${TOKENS:-250}
ITL=${ITL:-40}
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

echo "vllm-sim bench: $(nproc) cores, $RUNS runs each"
streams "$STREAMS" "$TOKENS"
streams $((STREAMS * 2)) $((TOKENS * 3 / 4))

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
