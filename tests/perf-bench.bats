#!/usr/bin/env bats
# pipelines/perf-bench.sh: the scenarios, the run directory, /metrics sampling.
#
# Two kinds of test. The plumbing tests put stand-ins for ds-synth and
# llm-query first on PATH (tests/fixtures/perf-bench/: fixed timings, their
# arguments logged) and serve a fixed /metrics from a Python server, so the
# expected figures are known by hand. The end-to-end test runs every scenario
# against vllm-sim with the real ds-synth and llm-query; it is skipped while
# those tools are not built.

bats_require_minimum_version 1.5.0
load helper

PB="$VE_ROOT/pipelines/perf-bench.sh"

setup() {
	setup_scratch
	export FAKE_LOG="$T/calls.log"
}

teardown() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
}

# A server on 127.0.0.1 whose /metrics shows vLLM's load gauges.
start_metrics_server() {
	PORT=$(ve_free_port)
	python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (b"# TYPE vllm:num_requests_waiting gauge\n"
                b"vllm:num_requests_waiting{model_name=\"m\"} 3.0\n"
                b"vllm:num_requests_running{model_name=\"m\"} 2.0\n"
                b"vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.25\n")
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$PORT" &
	SERVER_PID=$!
	ve_wait_http "http://127.0.0.1:$PORT/metrics"
}

@test "perf-bench: -h prints the usage" {
	run --separate-stderr sh "$PB" -h
	assert_success
	assert_line --index 0 "usage: perf-bench.sh [-e URL] [-m MODEL] [-o DIR] [-s FILE] [-n N] [-w N] SCENARIO..."
}

@test "perf-bench: usage errors" {
	run --separate-stderr sh "$PB" -e http://127.0.0.1:9
	assert_failure 64
	assert_equal "$stderr" "perf-bench.sh: name the scenarios to run (or all)"
	run --separate-stderr env -u MODEL_ENDPOINT sh "$PB" basic_performance
	assert_failure 64
	assert_equal "$stderr" "perf-bench.sh: no endpoint: give -e URL or set MODEL_ENDPOINT"
	run --separate-stderr sh "$PB" -e http://127.0.0.1:9 nosuch
	assert_failure 64
	assert_equal "$stderr" "perf-bench.sh: unknown scenario 'nosuch' (in $VE_ROOT/pipelines/../share/bench/scenarios.json: basic_performance, concurrency_test, long_context, stress_test, rate_sweep)"
	run --separate-stderr sh "$PB" -e http://127.0.0.1:9 -n x all
	assert_failure 64
}

@test "perf-bench: every scenario runs, with rows, a table and /metrics samples" {
	skip_under_valgrind "pipeline plumbing: 18 lat-stats runs; lat-stats.bats covers the tool"
	start_metrics_server
	PATH="$FIX/perf-bench:$PATH" run --separate-stderr sh "$PB" -e "http://127.0.0.1:$PORT/v1" \
		-o out -n 20 -w 1 all
	assert_success
	assert_equal "$stderr" ""
	# Four scenarios and five sweep rates.
	run ls out
	assert_output "$(printf '%s\n' basic_performance concurrency_test long_context metrics.jsonl \
		rate_sweep_r1 rate_sweep_r16 rate_sweep_r2 rate_sweep_r4 rate_sweep_r8 stress_test)"
	# The scenario's parameters reach ds-synth and llm-query.
	run grep -c "^ds-synth -n 20 --input-len 2048 --output-len 1024 --seed 0 --endpoint http://127.0.0.1:$PORT/v1$" calls.log
	assert_output 1
	run grep -c -- "--stream --prompt .prompt --warmup 1 --concurrency 20$" calls.log
	assert_output 1
	run grep -c -- "--concurrency 64 --rate 4 --burstiness 1$" calls.log
	assert_output 1
	# 20 requests 10 ms apart, each 35 ms: duration 0.19 + 0.035 s; TTFT 20;
	# TPOT (35 - 20) / 3 = 5.
	rows=out/stress_test/metrics.jsonl
	assert_equal "$(jq -r 'select(.metric == "perf.stress_test.completed") | .value' $rows)" 20
	assert_equal "$(jq -r 'select(.metric == "perf.stress_test.ttft_ms.p95") | .value' $rows)" 20
	assert_equal "$(jq -r 'select(.metric == "perf.stress_test.tpot_ms.mean") | .value' $rows)" 5
	# The server samples: waiting 3 and KV cache 0.25 in every sample.
	assert_equal "$(jq -r 'select(.metric == "perf.stress_test.server.num_requests_waiting.max") | .value' $rows)" 3
	assert_equal "$(jq -r 'select(.metric == "perf.stress_test.server.gpu_cache_usage_perc.mean") | .unit' $rows)" ratio
	run jq -r 'select(.metric == "perf.stress_test.server.gpu_cache_usage_perc.mean") | .ts' $rows
	assert_output --regexp '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:]{8}Z$'
	[ "$(jq -s length out/stress_test/server.jsonl)" -ge 1 ]
	# The table is vLLM's, with the scenario's concurrency.
	run cat out/stress_test/table.txt
	assert_line --index 0 "============ Serving Benchmark Result ============"
	assert_line --index 3 "Maximum request concurrency:             20        "
	run cat out/rate_sweep_r8/table.txt
	assert_line --index 4 "$(printf '%-40s %-10s' 'Request rate configured (RPS):' 8.00)"
	# Every row is in the run's metrics.jsonl.
	assert_equal "$(cat out/*/metrics.jsonl | wc -l)" "$(wc -l <out/metrics.jsonl)"
}

@test "perf-bench: a failing step's status is the run's" {
	start_metrics_server
	mkdir bin
	printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' >bin/llm-query
	chmod +x bin/llm-query
	PATH="$T/bin:$FIX/perf-bench:$PATH" run --separate-stderr sh "$PB" \
		-e "http://127.0.0.1:$PORT" -o out -n 2 basic_performance
	assert_failure 75
	assert_equal "$stderr" "perf-bench.sh: basic_performance: llm-query=75"
	assert_equal "$(jq -r 'select(.metric == "perf.basic_performance.completed") | .value' out/metrics.jsonl)" 0
}

@test "perf-bench: all four scenarios against vllm-sim" {
	skip_under_valgrind "runs four load tests"
	for t in vllm-sim llm-query ds-synth; do
		[ -x "$VE_BIN/$t" ] || skip "$t is not built yet"
	done
	PORT=$(ve_free_port)
	vllm-sim --port "$PORT" --ttft-ms 5 --itl-ms 1 --max-model-len 8192 >sim.out 2>sim.err &
	SERVER_PID=$!
	ve_wait_http "http://127.0.0.1:$PORT/health"
	run --separate-stderr sh "$PB" -e "http://127.0.0.1:$PORT" -o out -n 10 -w 1 \
		basic_performance concurrency_test long_context stress_test
	assert_success
	for s in basic_performance concurrency_test long_context stress_test; do
		assert_equal "$(jq -r "select(.metric == \"perf.$s.completed\") | .value" out/$s/metrics.jsonl)" 10
		grep -q '^Mean TTFT (ms):' out/$s/table.txt
	done
	# ignore_eos: every request generates exactly the scenario's output length.
	assert_equal "$(jq -r 'select(.metric == "perf.long_context.total_output_tokens") | .value' out/long_context/metrics.jsonl)" 5120
}

@test "perf-bench: ENDPOINT_WAIT: a server that comes up late is waited for; one that never does is exit 69" {
	skip_under_valgrind "waits for a server for seconds"
	for t in vllm-sim llm-query ds-synth; do
		[ -x "$VE_BIN/$t" ] || skip "$t is not built yet"
	done
	PORT=$(ve_free_port)
	# Nothing listens: after 1 s, exit 69, before any scenario ran.
	ENDPOINT_WAIT=1 run --separate-stderr sh "$PB" -e "http://127.0.0.1:$PORT/v1" -o out -n 2 -w 0 basic_performance
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "perf-bench.sh: the endpoint's /health did not answer within 1 s"
	run ls out
	assert_output ""
	# The server starts 2 s after the step, as a pod's vLLM sidecar loads
	# its model: without the wait every request would find nothing there.
	(sleep 2; exec vllm-sim --port "$PORT" --ttft-ms 0 --itl-ms 0 --max-model-len 8192 >sim.out 2>sim.err) &
	SERVER_PID=$!
	ENDPOINT_WAIT=60 run --separate-stderr sh "$PB" -e "http://127.0.0.1:$PORT/v1" -o out -n 2 -w 0 basic_performance
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r 'select(.metric == "perf.basic_performance.completed") | .value' out/metrics.jsonl)" 2
	assert_equal "$(jq -r 'select(.metric == "perf.basic_performance.failed") | .value' out/metrics.jsonl)" 0
	# Not a number of seconds: a usage error.
	ENDPOINT_WAIT=1m run --separate-stderr sh "$PB" -e "http://127.0.0.1:$PORT" -o out2 basic_performance
	assert_failure 64
	assert_equal "$stderr" "perf-bench.sh: ENDPOINT_WAIT takes a whole number of seconds, got '1m'"
}
