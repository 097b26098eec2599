#!/usr/bin/env bats
# pipelines/push-status.sh against Debian's prometheus-pushgateway started
# here on 127.0.0.1, and the alert rules of share/prometheus under promtool.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	PS="$VE_ROOT/pipelines/push-status.sh"
	unset PUSHGATEWAY_URL MODEL_TAG
	cat > verdicts.jsonl <<'J'
{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"status":"regression","model_tag":"release-2.0","run_id":"r7"}
{"metric":"mmlu.acc","labels":{"subset":"abstract \"algebra\""},"value":0.4,"status":"ok","model_tag":"release-2.0","run_id":"r7"}
{"metric":"perf.basic.ttft_ms.p95","value":109,"status":"ok","model_tag":"release-2.0","run_id":"r7"}
J
}

teardown() {
	if [ -n "${PG_PID:-}" ]; then
		kill "$PG_PID" 2>/dev/null
		wait "$PG_PID" 2>/dev/null
	fi
	return 0
}

start_pushgateway() {
	PG_PORT=$(ve_free_port)
	prometheus-pushgateway --web.listen-address="127.0.0.1:$PG_PORT" > pg.log 2>&1 &
	PG_PID=$!
	PG_URL="http://127.0.0.1:$PG_PORT"
	ve_wait_http "$PG_URL/-/ready" 10
}

# The pushed series, without the pushgateway's own and the push times.
pushed() {
	curl -fsS "$PG_URL/metrics" | grep '^vllm_eval_' |
		sed -E 's/^(vllm_eval_run_last[a-z_]*\{[^}]*\}) [0-9.e+]+$/\1 T/' | sort
}

@test "push-status: a run's status and figures reach the Pushgateway" {
	start_pushgateway
	run --separate-stderr sh "$PS" --url "$PG_URL" verdicts.jsonl
	assert_success
	assert_equal "$stderr" ""
	run pushed
	assert_output 'vllm_eval_metric_value{instance="",job="vllm_eval",metric="mmlu.acc",model_tag="release-2.0",subset=""} 0.58
vllm_eval_metric_value{instance="",job="vllm_eval",metric="mmlu.acc",model_tag="release-2.0",subset="abstract \"algebra\""} 0.4
vllm_eval_metric_value{instance="",job="vllm_eval",metric="perf.basic.ttft_ms.p95",model_tag="release-2.0",subset=""} 109
vllm_eval_regressions{instance="",job="vllm_eval",model_tag="release-2.0"} 1
vllm_eval_run_last_success_timestamp_seconds{instance="",job="vllm_eval"} T
vllm_eval_run_last_timestamp_seconds{instance="",job="vllm_eval",model_tag="release-2.0"} T
vllm_eval_run_status{instance="",job="vllm_eval",model_tag="release-2.0",status="succeeded"} 1'
}

@test "push-status: a failed run keeps the last success time" {
	start_pushgateway
	sh "$PS" --url "$PG_URL" verdicts.jsonl
	PUSHGATEWAY_URL=$PG_URL MODEL_TAG=release-2.1 run --separate-stderr sh "$PS" --status failed < /dev/null
	assert_success
	run pushed
	assert_line 'vllm_eval_run_last_success_timestamp_seconds{instance="",job="vllm_eval"} T'
	assert_line 'vllm_eval_run_status{instance="",job="vllm_eval",model_tag="release-2.1",status="failed"} 1'
	assert_line 'vllm_eval_regressions{instance="",job="vllm_eval",model_tag="release-2.1"} 0'
}

@test "push-status: no Pushgateway is exit 69; bad rows 65; usage 64" {
	port=$(ve_free_port)
	run --separate-stderr sh "$PS" --url "http://127.0.0.1:$port" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "push-status.sh: the Pushgateway did not take the push (after 4 tries)"
	echo '{"metric":"a"}' > bad.jsonl
	run --separate-stderr sh "$PS" --url "http://127.0.0.1:$port" bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "jq: error (at bad.jsonl:1): 1 rows without a string metric and a number value
push-status.sh: the rows cannot be read (see jq's message above)"
	run --separate-stderr sh "$PS" verdicts.jsonl
	assert_failure 64
	assert_equal "$stderr" "push-status.sh: no Pushgateway: give --url or set PUSHGATEWAY_URL"
	run --separate-stderr sh "$PS" --status maybe --url x
	assert_failure 64
	assert_equal "$stderr" "push-status.sh: --status must be succeeded or failed"
}

@test "push-status: the alert rules load and fire as their unit tests say" {
	run promtool check rules "$VE_ROOT/share/prometheus/vllm-eval-rules.yml"
	assert_success
	cd "$FIX/push-status"
	run promtool test rules rules-test.yml
	assert_success
	assert_line "  SUCCESS"
}
