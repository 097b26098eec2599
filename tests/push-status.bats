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

# Debian's pushgateway keeps its series in /var/lib/prometheus by default and
# loads them at start: --persistence.file= starts each test with none.
start_pushgateway() {
	PG_PORT=$(ve_free_port)
	prometheus-pushgateway --web.listen-address="127.0.0.1:$PG_PORT" --persistence.file= > pg.log 2>&1 &
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
	assert_output 'vllm_eval_incomparable{instance="",job="vllm_eval",model_tag="release-2.0"} 0
vllm_eval_metric_value{instance="",job="vllm_eval",metric="mmlu.acc",model_tag="release-2.0",subset=""} 0.58
vllm_eval_metric_value{instance="",job="vllm_eval",metric="mmlu.acc",model_tag="release-2.0",subset="abstract \"algebra\""} 0.4
vllm_eval_metric_value{instance="",job="vllm_eval",metric="perf.basic.ttft_ms.p95",model_tag="release-2.0",subset=""} 109
vllm_eval_missing{instance="",job="vllm_eval",model_tag="release-2.0"} 0
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

@test "push-status: a metric the run lacks (status missing) is counted, with no value series; incomparable ones are counted" {
	start_pushgateway
	printf '%s\n' '{"metric":"judge.geval.mean","baseline":0.8,"status":"missing","model_tag":"release-2.0","run_id":"r7"}' \
		'{"metric":"gsm8k.exact_match","value":0.5,"baseline":null,"status":"incomparable","gates":false,"note":"template changed","model_tag":"release-2.0","run_id":"r7"}' >> verdicts.jsonl
	run --separate-stderr sh "$PS" --url "$PG_URL" verdicts.jsonl
	assert_success
	assert_equal "$stderr" ""
	run pushed
	assert_line 'vllm_eval_missing{instance="",job="vllm_eval",model_tag="release-2.0"} 1'
	assert_line 'vllm_eval_incomparable{instance="",job="vllm_eval",model_tag="release-2.0"} 1'
	refute_line --partial 'metric="judge.geval.mean"'
}

@test "push-status: the release verdict is a gauge; regressions count the rows that gate, never the release row" {
	start_pushgateway
	# reg-check's release row first, then its verdict rows: the subset row's
	# regression does not gate (it is detail), the release row is no metric.
	cat > release.jsonl <<'J'
{"metric":"release","status":"regression","rule":"stat","gated":2,"regressions":1,"missing":0,"findings":[{"metric":"mmlu.acc","status":"regression","value":0.58,"baseline":0.65}],"model_tag":"release-2.0","run_id":"r7"}
{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"status":"regression","gates":true,"model_tag":"release-2.0","run_id":"r7"}
{"metric":"mmlu.acc","labels":{"subset":"algebra"},"value":0.4,"baseline":0.5,"status":"regression","gates":false,"note":"a subset row","model_tag":"release-2.0","run_id":"r7"}
{"metric":"perf.basic.ttft_ms.p95","value":109,"status":"ok","gates":true,"model_tag":"release-2.0","run_id":"r7"}
J
	run --separate-stderr sh "$PS" --url "$PG_URL" release.jsonl
	assert_success
	assert_equal "$stderr" ""
	run pushed
	assert_output 'vllm_eval_incomparable{instance="",job="vllm_eval",model_tag="release-2.0"} 0
vllm_eval_metric_value{instance="",job="vllm_eval",metric="mmlu.acc",model_tag="release-2.0",subset=""} 0.58
vllm_eval_metric_value{instance="",job="vllm_eval",metric="mmlu.acc",model_tag="release-2.0",subset="algebra"} 0.4
vllm_eval_metric_value{instance="",job="vllm_eval",metric="perf.basic.ttft_ms.p95",model_tag="release-2.0",subset=""} 109
vllm_eval_missing{instance="",job="vllm_eval",model_tag="release-2.0"} 0
vllm_eval_regressions{instance="",job="vllm_eval",model_tag="release-2.0"} 1
vllm_eval_release_regression{instance="",job="vllm_eval",model_tag="release-2.0"} 1
vllm_eval_run_last_success_timestamp_seconds{instance="",job="vllm_eval"} T
vllm_eval_run_last_timestamp_seconds{instance="",job="vllm_eval",model_tag="release-2.0"} T
vllm_eval_run_status{instance="",job="vllm_eval",model_tag="release-2.0",status="succeeded"} 1'
	# a release that passed, with only detail regressions: 0 and 0
	printf '%s\n' '{"metric":"release","status":"ok","findings":[],"model_tag":"release-2.1"}' \
		'{"metric":"mmlu.acc","labels":{"subset":"algebra"},"value":0.4,"status":"regression","gates":false,"model_tag":"release-2.1"}' > ok.jsonl
	run --separate-stderr sh "$PS" --url "$PG_URL" ok.jsonl
	assert_success
	assert_equal "$stderr" ""
	run pushed
	assert_line 'vllm_eval_release_regression{instance="",job="vllm_eval",model_tag="release-2.1"} 0'
	assert_line 'vllm_eval_regressions{instance="",job="vllm_eval",model_tag="release-2.1"} 0'
	refute_line --partial 'metric="release"'
}

@test "push-status: two release rows, or one whose status is neither ok nor regression, are bad rows (65)" {
	port=$(ve_free_port)
	head -1 "$FIX/teams-card/release-ok.jsonl" > two.jsonl
	head -1 "$FIX/teams-card/release-regression.jsonl" >> two.jsonl
	run --separate-stderr sh "$PS" --url "http://127.0.0.1:$port" two.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "jq: error (at two.jsonl:2): 2 release rows: one run has one
push-status.sh: the rows cannot be read (see jq's message above)"
	echo '{"metric":"release","status":"red","findings":[]}' > red.jsonl
	run --separate-stderr sh "$PS" --url "http://127.0.0.1:$port" red.jsonl
	assert_failure 65
	assert_equal "$stderr" "jq: error (at red.jsonl:1): a release row with a status other than ok or regression
push-status.sh: the rows cannot be read (see jq's message above)"
}

@test "push-status: no Pushgateway is exit 69; bad rows 65; usage 64" {
	port=$(ve_free_port)
	run --separate-stderr sh "$PS" --url "http://127.0.0.1:$port" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "push-status.sh: the Pushgateway did not take the push (after 4 tries)"
	echo '{"metric":"a"}' > bad.jsonl
	run --separate-stderr sh "$PS" --url "http://127.0.0.1:$port" bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "jq: error (at bad.jsonl:1): 1 rows without a string metric and a number value (or status missing)
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

# A stand-in Pushgateway: answers 200 and notes each request's
# Authorization header in auth.log; with "hang" it accepts and never answers.
start_standin() {
	SP_PORT=$(ve_free_port)
	python3 - "$SP_PORT" "${1:-ok}" > standin.log 2>&1 <<'PY' &
import http.server, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
    def do_POST(self):
        if mode == "hang":
            time.sleep(60)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open("auth.log", "a") as f:
            f.write(self.path + " " + self.headers.get("Authorization", "-") + "\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
	PG_PID=$!
	ve_wait_http "http://127.0.0.1:$SP_PORT/" 10
}

@test "push-status: a URL's credentials reach the Pushgateway, never curl's command line" {
	start_standin
	# A curl on PATH that notes its arguments, then runs the real one.
	mkdir wrap
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >> "%s/argv.log"\nexec %s "$@"\n' "$PWD" "$(command -v curl)" > wrap/curl
	chmod +x wrap/curl
	PATH="$PWD/wrap:$PATH" run --separate-stderr sh "$PS" --url "http://pg-user:s3cr3t@127.0.0.1:$SP_PORT/" verdicts.jsonl
	assert_success
	assert_equal "$stderr" ""
	# Basic auth of pg-user:s3cr3t, as base64 -w0 writes it.
	assert_equal "$(cat auth.log)" "/metrics/job/vllm_eval Basic $(printf 'pg-user:s3cr3t' | base64 -w0)"
	run grep -c 's3cr3t' argv.log
	assert_output 0
	run grep -c -- '-K' argv.log
	assert_output 1
}

@test "push-status: a Pushgateway that never answers is exit 69 within PUSH_TIMEOUT per try" {
	start_standin hang
	start=$(date +%s)
	PUSH_TIMEOUT=1 run --separate-stderr sh "$PS" --url "http://127.0.0.1:$SP_PORT" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "push-status.sh: the Pushgateway did not take the push (after 4 tries)"
	# 4 tries of 1 s and 3 waits of 1 s: well under 20 s.
	[ $(($(date +%s) - start)) -lt 20 ]
	run --separate-stderr sh "$PS" --url "file:///etc/passwd" verdicts.jsonl
	assert_failure 64
	assert_equal "$stderr" "push-status.sh: the Pushgateway URL must be http:// or https://"
	PUSH_TIMEOUT=0 run --separate-stderr sh "$PS" --url "http://127.0.0.1:$SP_PORT" verdicts.jsonl
	assert_failure 64
	assert_equal "$stderr" "push-status.sh: PUSH_TIMEOUT must be a whole number of seconds above 0"
}
