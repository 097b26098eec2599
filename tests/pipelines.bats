#!/usr/bin/env bats
# The main job end to end: release-eval.sh against vllm-sim on loopback, with
# the embedded defaults (results under runs/, a local history, the card
# printed) and with a ClickHouse server the file starts; aggregate's checks;
# and the exit statuses an Argo retryStrategy and an operator rely on. The
# release verdicts over several runs are in pipelines-verdicts.bats, the
# benchmark step's tasks in pipelines-tasks.bats (files run side by side).

bats_require_minimum_version 1.5.0
load helper
load fixtures/ch-insert/server
load fixtures/pipelines/common

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	ch_start
	CLICKHOUSE_URL=$CH_URL ch-insert --init
}

teardown_file() {
	ch_stop
}

@test "pipelines: release-eval with the embedded defaults keeps everything under runs/" {
	start_sim --accuracy 1 --ttft-ms 5 --itl-ms 1
	eval_release release-1.0.0 r1
	assert_success
	assert_line --index 0 "== release-1.0.0: run r1 ($T/runs/r1)"
	assert_line --partial "card: $T/runs/r1/card.json (set TEAMS_WEBHOOK_URL to post it)"
	d=runs/r1
	for f in metrics.jsonl verdicts.jsonl items.jsonl audit.jsonl card.json inputs.manifest.yaml \
		sanity.jsonl bench/mmlu/raw.jsonl judge/metrics.jsonl perf/metrics.jsonl; do
		[ -s "$d/$f" ] || fail "$d/$f is missing or empty"
	done
	# The simulated model knows every answer: accuracy 1 on each task.
	run jq -r 'select(.labels.subset == "all" and (.metric | test("^[a-z_]+\\.acc$"))) | "\(.metric) \(.value)"' "$d/metrics.jsonl"
	assert_output "$(printf 'arc_challenge.acc 1\nhellaswag.acc 1\nmmlu.acc 1')"
	# First run of the family: nothing to compare with, so the release row
	# (reg-check's first) is ok with nothing gated.
	run jq -r 'select(.metric != "release" and .status != "new") | .metric' "$d/verdicts.jsonl"
	assert_output ""
	run jq -c 'select(.metric == "release") | [.status, .gated, .findings]' "$d/verdicts.jsonl"
	assert_output '["ok",0,[]]'
	run head -n 1 "$d/verdicts.jsonl"
	assert_output --partial '{"metric":"release",'
	# The history now holds this run, for the next one.
	run sh -c 'jq -r .run_id runs/history.jsonl | sort -u'
	assert_output r1
	# The inputs' manifest verifies against the data the run used.
	(cd "$d/data" && ds-hash --check ../inputs.manifest.yaml) > check.out
	run grep -c ': OK$' check.out
	assert_output "$(ls "$d/data" | wc -l)"
}

@test "pipelines: the audit log says what ran, when, with which versions" {
	start_sim --accuracy 1 --ttft-ms 5 --itl-ms 1
	# Credentials in the endpoint (the simulator ignores them) stay out of
	# the audit log, which is kept for 90 days.
	MODEL_ENDPOINT="http://ops:s3cr3t@${MODEL_ENDPOINT#http://}/?token=t0k3n"
	eval_release release-1.0.0 r1
	assert_success
	run grep -cE 's3cr3t|t0k3n' runs/r1/audit.jsonl
	assert_output 0
	run jq -r 'select(.event == "start" and .stage == "release-eval.sh") | .endpoint' runs/r1/audit.jsonl
	assert_output --regexp '^http://\*\*\*@127\.0\.0\.1:[0-9]+/\?\*\*\*$'
	run jq -r 'select(.stage == "sanity" and .event == "start") | .argv | join(" ")' runs/r1/audit.jsonl
	refute_output --partial s3cr3t
	run jq -r '"\(.stage) \(.event)"' runs/r1/audit.jsonl
	assert_line --index 0 "release-eval.sh start"
	assert_line "prepare end"
	assert_line "sanity end"
	assert_line "llm-query:mmlu end"
	assert_line "run-judge end"
	assert_line "perf-bench end"
	assert_line "reg-check verdicts"
	assert_line "release-eval.sh end"
	run jq -r 'select(.event == "start" and .stage == "release-eval.sh") | .versions["llm-query"]' runs/r1/audit.jsonl
	assert_output "$(llm-query --version | cut -d' ' -f2)"
	run jq -r 'select(.status? and .status != 0) | .stage' runs/r1/audit.jsonl
	assert_output ""
}

@test "pipelines: release-eval stores into ClickHouse and compares with its history" {
	export CLICKHOUSE_URL=$CH_URL
	# Plumbing with one earlier run: the plain rule (prd) judges a figure
	# against one run; the default rule needs three.
	export REG_RULE=prd REG_MIN_RUNS=1
	start_sim --accuracy 1 --ttft-ms 5 --itl-ms 1
	eval_release release-2.0.0 c1
	assert_success
	start_sim --accuracy 0.3 --ttft-ms 5 --itl-ms 1
	eval_release release-2.1.0 c2
	assert_failure 1
	# The second run's history came from ClickHouse: the first run's rows.
	run sh -c 'jq -r .run_id runs/c2/history.jsonl | sort -u'
	assert_output c1
	# and c1's item rows, from ClickHouse, to pair with c2's
	assert_equal "$(jq -r '[.task, .doc_id] | @tsv' runs/c2/items.baseline.c1.jsonl | sort)" "$(jq -r '[.task, .doc_id] | @tsv' runs/c1/items.jsonl | sort)"
	run jq -c 'select(.stage == "reg-check") | [.release, .baseline_runs, .paired_items]' runs/c2/audit.jsonl
	assert_output '["regression",["c1"],true]'
	run ch-query -q "SELECT run_id, status FROM vllm_eval.runs FINAL WHERE run_id IN ('c1', 'c2') ORDER BY run_id"
	assert_output "$(printf '{"run_id":"c1","status":"ok"}\n{"run_id":"c2","status":"regression"}')"
	run ch-query -q "SELECT count() AS n FROM (SELECT run_id, metric, labels FROM vllm_eval.results FINAL WHERE run_id = 'c1')"
	assert_output "{\"n\":$(wc -l < runs/c1/metrics.jsonl)}"
	# Nothing went to the local history file.
	[ ! -e runs/history.jsonl ]
}

@test "pipelines: an endpoint that answers nothing fails the sanity check, exit 69" {
	export MODEL_ENDPOINT="http://127.0.0.1:$(ve_free_port)"
	MODEL_TAG=release-9 RUN_ID=dead run --separate-stderr "$P/release-eval.sh" -s quick
	assert_failure 69
	assert_equal "${stderr##*$'\n'}" "release-eval.sh: the endpoint failed its sanity request (see $T/runs/dead/sanity.jsonl)"
	run jq -r 'select(.event == "failed") | .status' runs/dead/audit.jsonl
	assert_output 69
}

@test "pipelines: release-eval needs MODEL_ENDPOINT and MODEL_TAG" {
	run --separate-stderr "$P/release-eval.sh"
	assert_failure 64
	assert_equal "$stderr" "release-eval.sh: MODEL_ENDPOINT is not set"
	MODEL_ENDPOINT=http://127.0.0.1:1 run --separate-stderr "$P/release-eval.sh"
	assert_failure 64
	assert_equal "$stderr" "release-eval.sh: MODEL_TAG is not set"
	run --separate-stderr "$P/release-eval.sh" --bogus
	assert_failure 64
}

@test "pipelines: RUN_ID and MODEL_TAG must be safe names: nothing is written outside runs/" {
	export MODEL_ENDPOINT=http://127.0.0.1:1
	MODEL_TAG=release-1 RUN_ID=../../x run --separate-stderr "$P/release-eval.sh"
	assert_failure 64
	assert_equal "$stderr" "release-eval.sh: RUN_ID '../../x' is not a valid name (letters, digits, '.', '_', '-'; not starting with '.' or '-')"
	MODEL_TAG='rel"ease' RUN_ID=r1 run --separate-stderr "$P/release-eval.sh"
	assert_failure 64
	assert_equal "$stderr" "release-eval.sh: MODEL_TAG 'rel\"ease' is not a valid name (letters, digits, '.', '_', '-'; not starting with '.' or '-')"
	MODEL_TAG=release-1 RUN_ID="$(printf 'r%.0s' $(seq 129))" run --separate-stderr "$P/release-eval.sh"
	assert_failure 64
	assert_equal "$stderr" "release-eval.sh: RUN_ID is longer than 128 characters"
	MODEL_TAG=release-1 RUN_ID=../x run --separate-stderr "$P/aggregate.sh"
	assert_failure 64
	RUN_ID=../x run --separate-stderr "$P/perf-bench.sh" -e http://127.0.0.1:1 basic_performance
	assert_failure 64
	assert_equal "$stderr" "perf-bench.sh: RUN_ID '../x' is not a valid name (letters, digits, '.', '_', '-'; not starting with '.' or '-')"
	[ ! -e "$T/x" ] && [ ! -e "$T/../x" ] && [ -z "$(ls "$T/runs" 2>/dev/null)" ]
}

@test "pipelines: re-running aggregate (an Argo retry) replaces the run's rows in the local history" {
	start_sim --accuracy 1 --ttft-ms 1 --itl-ms 1
	eval_release release-5.0.0 a1
	assert_success
	n=$(wc -l < runs/history.jsonl)
	MODEL_TAG=release-5.0.0 run --separate-stderr "$P/aggregate.sh" -d runs/a1 -s quick
	assert_success
	assert_equal "$(wc -l < runs/history.jsonl)" "$n"
	run sh -c 'jq -r .run_id runs/history.jsonl | sort -u'
	assert_output a1
}

@test "pipelines: the judge key never stays on disk, even when the judge fails" {
	start_sim --accuracy 1 --ttft-ms 1 --itl-ms 1
	export RUN_ID=j MODEL_TAG=release-6.0.0 JUDGE_API_KEY=sk-not-for-disk
	run --separate-stderr "$P/run-judge.sh" -j "http://127.0.0.1:$(ve_free_port)" -o runs/j/judge
	assert_failure
	[ ! -e runs/j/judge/.judge-key ]
	run grep -r sk-not-for-disk runs/j
	assert_failure 1
}
