#!/usr/bin/env bats
# The main job end to end: release-eval.sh against vllm-sim on loopback, with
# the embedded defaults (results under runs/, a local history, the card
# printed) and with a ClickHouse server the file starts; the stage scripts
# (run-benchmarks sharding, aggregate's checks, plan-shards); and the exit
# statuses an Argo retryStrategy and an operator rely on.

bats_require_minimum_version 1.5.0
load helper
load fixtures/ch-insert/server

P="$VE_ROOT/pipelines"

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	ch_start
	CLICKHOUSE_URL=$CH_URL ch-insert --init
}

teardown_file() {
	ch_stop
}

setup() {
	setup_scratch
	export VLLM_EVAL_SHARE="$VE_ROOT/share" RUNS_DIR="$T/runs"
	unset CLICKHOUSE_URL TEAMS_WEBHOOK_URL PUSHGATEWAY_URL JUDGE_ENDPOINT RUN_ID MODEL_TAG
	unset REG_RULE REG_MIN_RUNS REG_ALPHA REG_ADJUST
	SIM_PID=''
	# The answer key of the simulated model, as demo.sh builds it.
	{
		jq -nc -f "$VLLM_EVAL_SHARE/tasks/arc.jq" "$VLLM_EVAL_SHARE/data/arc_challenge.test.jsonl"
		jq -nc -f "$VLLM_EVAL_SHARE/tasks/hellaswag.jq" "$VLLM_EVAL_SHARE/data/hellaswag.val.jsonl"
		jq -nc -f "$VLLM_EVAL_SHARE/tasks/mmlu.jq" --argjson mode '"ll"' "$VLLM_EVAL_SHARE/data/mmlu.test.jsonl"
	} | jq -sc 'group_by(.doc_id)[] | {id: .[0].doc_id, match: (.[0].context | split("\n\n") | last),
		choices: map(.continuation[1:]), gold: .[0].gold}' > key.jsonl
}

teardown() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && wait "$SIM_PID" 2>/dev/null
	return 0
}

# start_sim OPTIONS...: vllm-sim on a free port; sets MODEL_ENDPOINT.
start_sim() {
	[ -n "$SIM_PID" ] && { kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; }
	rm -f sim.port
	vllm-sim -q -p 0 --port-file sim.port --answers key.jsonl --seed 7 "$@" > sim.log 2>&1 &
	SIM_PID=$!
	local n=100
	while [ ! -s sim.port ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	export MODEL_ENDPOINT="http://127.0.0.1:$(cat sim.port)"
}

# eval_release TAG RUN_ID [OPTION...]: release-eval.sh of the quick suite.
eval_release() {
	MODEL_TAG=$1 RUN_ID=$2 run --separate-stderr "$P/release-eval.sh" -s quick --perf-prompts 3 \
		--scenarios basic_performance "${@:3}"
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

@test "pipelines: a degraded release is caught: exit 1, regressions in the verdicts and the card" {
	# Plumbing with one earlier run: the plain rule (prd) judges a figure
	# against one run; the default rule needs three (the test below).
	export REG_RULE=prd REG_MIN_RUNS=1
	start_sim --accuracy 1 --ttft-ms 5 --itl-ms 1
	eval_release release-1.0.0 r1
	assert_success
	start_sim --accuracy 0.3 --ttft-ms 40 --itl-ms 6
	eval_release release-1.1.0 r2
	assert_failure 1
	run jq -r 'select(.metric == "mmlu.acc" and .labels.subset == "all") | "\(.status) \(.baseline)"' runs/r2/verdicts.jsonl
	assert_output "regression 1"
	run jq -r 'select(.metric == "perf.basic_performance.ttft_ms.p95") | .status' runs/r2/verdicts.jsonl
	assert_output regression
	run jq -r 'select(.metric == "release") | "\(.rule) \(.status)"' runs/r2/verdicts.jsonl
	assert_output "prd regression"
	run jq -r '.attachments[0].content.body[0].text' runs/r2/card.json
	assert_output "release-1.1.0: regression"
}

@test "pipelines: the default rule end to end: after three runs an unchanged release passes, a degraded one is caught" {
	# (the loop's variable is not i: bats' own functions set an i)
	# The judge stage has no part in this (its replies are generated at the
	# slow releases' token pace): --no-judge keeps the test short.
	for run_no in 1 2 3; do
		start_sim --seed $((6 + run_no)) --jitter 0.2 --accuracy 1 --ttft-ms 20 --itl-ms 4
		eval_release release-1.0.0 "r$run_no" --no-judge
		assert_success
		# fewer than three earlier runs: nothing can decide the release
		assert_equal "$(jq -c 'select(.metric == "release") | [.rule, .status, .gated]' "runs/r$run_no/verdicts.jsonl")" '["stat","ok",0]'
	done
	start_sim --seed 10 --jitter 0.2 --accuracy 1 --ttft-ms 20 --itl-ms 4
	eval_release release-1.0.1 r4 --no-judge
	assert_success
	assert_line --regexp '^-- release-1\.0\.1: release ok: 0 finding\(s\) among [1-9][0-9]* gated metric\(s\) \(rule stat, holm, alpha 0\.05\)$'
	run jq -r 'select(.metric == "release") | .status' runs/r4/verdicts.jsonl
	assert_output ok
	run jq -r '.attachments[0].content.body[0].text' runs/r4/card.json
	assert_output "release-1.0.1: passed"
	# four times slower tokens, a slower first one, and fewer right answers
	start_sim --seed 11 --jitter 0.2 --accuracy 0.3 --ttft-ms 80 --itl-ms 16
	eval_release release-1.1.0 r5 --no-judge
	assert_failure 1
	run jq -r 'select(.metric == "release") | .status, (.findings[] | select(.metric == "perf.basic_performance.ttft_ms.p95") | .test)' runs/r5/verdicts.jsonl
	assert_output "regression
spread"
	run jq -r '.attachments[0].content.body | .[0].text, .[2].items[0].text' runs/r5/card.json
	assert_output "release-1.1.0: regression
Release verdict: regression"
	# the items of the four earlier runs, newest first, were paired with r5's
	run jq -c 'select(.stage == "reg-check") | [.release, .baseline_runs, .paired_items]' runs/r5/audit.jsonl
	assert_output '["regression",["r4","r3","r2","r1"],true]'
	run jq -r 'select(.metric == "mmlu.acc" and .labels.subset == "all") | .test' runs/r5/verdicts.jsonl
	assert_output paired
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

@test "pipelines: shards cover every document once and score as the whole" {
	start_sim --accuracy 0.5 --ttft-ms 1 --itl-ms 1
	export RUN_ID=s MODEL_TAG=release-3.0.0
	for i in 0 1 2; do
		run --separate-stderr "$P/run-benchmarks.sh" -t mmlu --shard "$i/3" -o runs/s/bench
		assert_success
	done
	whole=$(jq -nc -f "$VLLM_EVAL_SHARE/tasks/mmlu.jq" --argjson mode '"ll"' --argjson shots 0 \
		"$VLLM_EVAL_SHARE/data/mmlu.test.jsonl" | jq -r '"\(.doc_id)#\(.choice)"' | sort)
	assert_equal "$(cat runs/s/bench/mmlu-*/requests.jsonl | jq -r '"\(.doc_id)#\(.choice)"' | sort)" "$whole"
	# aggregate scores the three shards' answers as one: the same as scoring them together.
	run --separate-stderr "$P/aggregate.sh" -d runs/s -s mmlu-only 2>/dev/null
	want=$(score-mcq -q -t mmlu runs/s/bench/mmlu-*/raw.jsonl | jq -c 'select(.metric == "mmlu.acc" and .labels.subset == "all") | .value')
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc" and .labels.subset == "all") | .value' runs/s/metrics.jsonl)" "$want"
}

@test "pipelines: a task that produced nothing fails the run, exit 65" {
	mkdir -p runs/m/bench/arc_challenge
	export RUN_ID=m MODEL_TAG=release-4.0.0
	run --separate-stderr "$P/aggregate.sh" -d runs/m -s quick
	assert_failure 65
	assert_equal "$stderr" "aggregate.sh: no results for task(s): arc_challenge hellaswag mmlu (suite quick)"
}

@test "pipelines: plan-shards lists each task of a suite once per shard" {
	run --separate-stderr "$P/plan-shards.sh" quick 2
	assert_success
	assert_output '[{"task":"arc_challenge","shard":"0/2"},{"task":"arc_challenge","shard":"1/2"},{"task":"hellaswag","shard":"0/2"},{"task":"hellaswag","shard":"1/2"},{"task":"mmlu","shard":"0/2"},{"task":"mmlu","shard":"1/2"}]'
	run --separate-stderr "$P/plan-shards.sh" nope 2
	assert_failure 64
	assert_equal "$stderr" "plan-shards.sh: no suite 'nope' in $VLLM_EVAL_SHARE/suites.json"
	run --separate-stderr "$P/plan-shards.sh" quick 0
	assert_failure 64
}

@test "pipelines: run-benchmarks refuses a bad shard and an unknown task" {
	export MODEL_ENDPOINT=http://127.0.0.1:1 RUN_ID=x
	run --separate-stderr "$P/run-benchmarks.sh" --shard 3/3
	assert_failure 64
	assert_equal "$stderr" "run-benchmarks.sh: --shard 3/3: I must be below N"
	run --separate-stderr "$P/run-benchmarks.sh" --shard x
	assert_failure 64
	assert_equal "$stderr" "run-benchmarks.sh: --shard takes I/N, got 'x'"
	run --separate-stderr "$P/run-benchmarks.sh" -t nope
	assert_failure 64
	assert_equal "$stderr" "run-benchmarks.sh: no task 'nope' in $VLLM_EVAL_SHARE/suites.json"
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

@test "pipelines: the reasoning suite sends each AIME sample once, scores avg@n and pass@k" {
	# Evalchemy asks for 32768 new tokens: a context of 40960, as Qwen3's.
	start_sim --ttft-ms 1 --itl-ms 1 --max-model-len 40960
	export RUN_ID=r MODEL_TAG=release-5.0.0
	run --separate-stderr "$P/run-benchmarks.sh" -s reasoning -o runs/r/bench
	assert_success
	# 3 AIME24 problems x 10 samples, each its own llm-query id (doc_id#sample).
	assert_equal "$(jq -r '"\(.doc_id)#\(.sample)"' runs/r/bench/aime24/raw.jsonl | sort -u | wc -l)" 30
	assert_equal "$(jq -r '.request.seed' runs/r/bench/aime24/raw.jsonl | sort -un | tr '\n' ' ')" "0 1 2 3 4 5 6 7 8 9 "
	run -0 jq -r '.metric' runs/r/bench/aime24/metrics.jsonl runs/r/bench/math500/metrics.jsonl
	assert_output - <<-'EOF'
	aime24.no_answer
	aime24.output_tokens
	aime24.accuracy
	aime24.pass_at_8
	aime24.accuracy_avg
	math500.accuracy
	math500.no_answer
	math500.output_tokens
	EOF
	assert_equal "$(jq -c 'select(.metric == "aime24.pass_at_8") | .n' runs/r/bench/aime24/metrics.jsonl)" 3
	# generation streams (a long reply's timeout bounds its silences)
	assert_equal "$(jq -r '.timing.ttft_ms | type' runs/r/bench/math500/raw.jsonl | sort -u)" number
}

@test "pipelines: CHAT_TEMPLATE_KWARGS reaches every chat request: a reasoning model asked not to think" {
	start_sim --ttft-ms 1 --itl-ms 1 --max-model-len 40960 --reasoning-tokens 40
	export RUN_ID=k MODEL_TAG=release-5.0.1
	run --separate-stderr "$P/run-benchmarks.sh" -t math500 -o runs/k/bench
	assert_success
	assert_equal "$(jq -r '.response.reasoning | type' runs/k/bench/math500/raw.jsonl | sort -u)" string
	CHAT_TEMPLATE_KWARGS='{"enable_thinking": false}' run --separate-stderr "$P/run-benchmarks.sh" -t math500 -o runs/k/bench2
	assert_success
	assert_equal "$(jq -r '.response.reasoning | type' runs/k/bench2/math500/raw.jsonl | sort -u)" null
	assert_equal "$(jq -c '.request.chat_template_kwargs' runs/k/bench2/math500/raw.jsonl | sort -u)" null
}

@test "pipelines: release-eval's summary shows each generative task's headline and its output tokens" {
	# A reasoning model thinking 30 tokens in every chat answer; the demo
	# suite's one document per task (AIME's 10 samples, GPQA's 3).
	start_sim --ttft-ms 1 --itl-ms 0 --max-model-len 40960 --reasoning-tokens 30
	MODEL_TAG=release-8.0.0 RUN_ID=g1 run --separate-stderr "$P/release-eval.sh" -s demo --limit 1 --no-judge --no-perf
	assert_success
	summary=$output
	# the headline rows, one task's together: its accuracy, then its output
	# tokens (thinking included; GSM8K's completions never think)
	run -0 sed -n '/^   metric  *value/,/^   card:/{s/^   \([a-z0-9_.]*\) .*/\1/p}' <<< "$summary"
	assert_output - <<-'EOF'
	metric
	aime24.accuracy
	aime24.output_tokens
	aime25.accuracy
	aime25.output_tokens
	arc_challenge.acc
	gpqa_diamond.regex_match
	gpqa_diamond.output_tokens
	gsm8k.exact_match.strict_match
	gsm8k.output_tokens
	hellaswag.acc
	math500.accuracy
	math500.output_tokens
	mmlu.acc
	EOF
	ot=$(jq -s 'map(.response.usage.completion_tokens) | add / length * 1000 | round / 1000' runs/g1/bench/aime24/raw.jsonl)
	jq -en --argjson t "$ot" '$t > 30' > /dev/null || fail "aime24's replies average $ot tokens, no more than their thought"
	run -0 grep -E "^   aime24\.output_tokens +$ot +- +- +new\$" <<< "$summary"
}

@test "pipelines: a template edit makes the next run's verdicts of that task incomparable, not regressions" {
	export REG_MIN_RUNS=1
	start_sim --accuracy 1 --ttft-ms 1 --itl-ms 1
	MODEL_TAG=release-7.0.0 RUN_ID=v1 run --separate-stderr "$P/release-eval.sh" -s quick --limit 3 --no-judge --no-perf
	assert_success
	# every benchmark row carries its task's version, as the audit log records it
	run jq -r 'select(.event == "task-version") | "\(.task) \(.version) \(.parts)"' runs/v1/audit.jsonl
	assert_line --index 0 --regexp '^arc_challenge [0-9a-f]{12} template=[0-9a-f]{8} args=[0-9a-f]{8} shots=[0-9]+ limit=[0-9]+ data=[0-9a-f]{8} fewshot=[0-9a-f]{8}$'
	assert_equal "${#lines[@]}" 3
	mv=$(jq -r 'select(.task == "mmlu") | .version' runs/v1/audit.jsonl)
	run jq -r '.labels.task_version' runs/v1/metrics.jsonl
	assert_success
	refute_output --partial null
	assert_equal "$(jq -r 'select(.metric | startswith("mmlu.")) | .labels.task_version' runs/v1/metrics.jsonl | sort -u)" "$mv"
	# the template edited (a comment: the prompts stay the same, the version not)
	cp -R "$VE_ROOT/share" share
	echo '# edited' >> share/tasks/mmlu.jq
	VLLM_EVAL_SHARE="$T/share" MODEL_TAG=release-7.0.1 RUN_ID=v2 run --separate-stderr "$P/release-eval.sh" \
		-s quick --limit 3 --no-judge --no-perf
	assert_success
	assert_line --regexp '^   detail: [0-9]+ metrics; 0 regressed \(0 not gating\), 0 missing, [0-9]+ incomparable \(a task changed\)$'
	assert_line --regexp '^   mmlu\.acc +1 +- +- +incomparable \(template changed\)$'
	run jq -r 'select(.metric | startswith("mmlu.")) | "\(.status) \(.gates) \(.note)"' runs/v2/verdicts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u)" "incomparable false template changed"
	# the other tasks are compared as before
	run jq -r 'select(.metric | test("^(arc_challenge|hellaswag)\\.")) | .status' runs/v2/verdicts.jsonl
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u)" ok
	run jq -c 'select(.metric == "release") | [.status, .incomparable > 0]' runs/v2/verdicts.jsonl
	assert_output '["ok",true]'
	run jq -r '.attachments[0].content.body[3].text' runs/v2/card.json
	assert_output --regexp '^[0-9]+ metrics incomparable: mmlu template changed$'
}

@test "pipelines: run-benchmarks draws GSM8K's few-shot examples as lm-eval, the same with --limit, none at 0 shots" {
	start_sim --ttft-ms 1 --itl-ms 1
	export RUN_ID=g MODEL_TAG=release-5.0.0
	D=$VLLM_EVAL_SHARE/data
	run --separate-stderr "$P/run-benchmarks.sh" -s standard -t gsm8k -o runs/g/all
	assert_success
	# tests/fewshot-ref.py: python3's random.Random(1234).sample(train, 5)
	# for each test record in order, laid out as lm-eval's fewshot_context.
	jq -j '.prompt + "\u0000"' runs/g/all/gsm8k/requests.jsonl > got.bin
	python3 "$VE_ROOT/tests/fewshot-ref.py" 1234 5 -1 "$D/gsm8k.train.jsonl" "$D/gsm8k.test.jsonl" > want.bin
	cmp got.bin want.bin
	# The draw's seed is part of the task's version; nothing drawn is left.
	draw=$(printf '{"seed":1234}\n' | sha256sum | cut -c 1-8)
	run jq -r 'select(.event == "task-version") | .parts' runs/g/audit.jsonl
	assert_output --regexp "^template=[0-9a-f]{8} args=[0-9a-f]{8} shots=5 limit=all data=[0-9a-f]{8} fewshot=[0-9a-f]{8} fewshot_draw=$draw params=[0-9a-f]{8} scorer=[0-9a-f]{8}\$"
	assert_equal "$(ls runs/g/all/gsm8k)" "$(printf 'items.jsonl\nmetrics.jsonl\nraw.jsonl\nrequests.jsonl\nversion.json')"
	# --limit 3: lm-eval draws for the first 3 documents in order, so they
	# get the examples they get without a limit.
	run --separate-stderr "$P/run-benchmarks.sh" -s standard -t gsm8k --limit 3 -o runs/g/three
	assert_success
	jq -j '.prompt + "\u0000"' runs/g/three/gsm8k/requests.jsonl > got.bin
	python3 "$VE_ROOT/tests/fewshot-ref.py" 1234 5 3 "$D/gsm8k.train.jsonl" "$D/gsm8k.test.jsonl" > want.bin
	cmp got.bin want.bin
	assert_equal "$(jq -c '[.doc_id, .prompt]' runs/g/three/gsm8k/requests.jsonl)" \
		"$(head -n 3 runs/g/all/gsm8k/requests.jsonl | jq -c '[.doc_id, .prompt]')"
	# 0 shots: no draw, the bare questions.
	run --separate-stderr "$P/run-benchmarks.sh" -s standard -t gsm8k --shots 0 -o runs/g/zero
	assert_success
	assert_equal "$(jq -r .prompt runs/g/zero/gsm8k/requests.jsonl | grep -c '^Question: ')" 12
	# More shots than the pool holds: an error before anything is sent.
	run --separate-stderr "$P/run-benchmarks.sh" -s standard -t gsm8k --shots 7 -o runs/g/seven
	assert_failure 65
	assert_equal "$stderr" "run-benchmarks.sh: gsm8k: shots: 7 asked, 6 in $D/gsm8k.train.jsonl"
	[ ! -e runs/g/seven/gsm8k/raw.jsonl ]
}
