#!/usr/bin/env bats
# release-eval.sh over several runs against vllm-sim on loopback: a degraded
# release caught, the default rule after three runs, a template edit judged
# incomparable, and the summary of the generative tasks.

bats_require_minimum_version 1.5.0
load helper
load fixtures/pipelines/common

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
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
	# slow releases' token pace): --no-judge keeps the test short. The first
	# token takes 300 ms: a loaded machine (the ASan tier runs four files
	# side by side) delays it by up to some 20 ms, which must stay under the
	# policy's 10 % before an unchanged release could be a regression.
	for run_no in 1 2 3; do
		start_sim --seed $((6 + run_no)) --jitter 0.2 --accuracy 1 --ttft-ms 300 --itl-ms 10
		eval_release release-1.0.0 "r$run_no" --no-judge
		assert_success
		# fewer than three earlier runs: nothing can decide the release
		assert_equal "$(jq -c 'select(.metric == "release") | [.rule, .status, .gated]' "runs/r$run_no/verdicts.jsonl")" '["stat","ok",0]'
	done
	start_sim --seed 10 --jitter 0.2 --accuracy 1 --ttft-ms 300 --itl-ms 10
	eval_release release-1.0.1 r4 --no-judge
	assert_success
	assert_line --regexp '^-- release-1\.0\.1: release ok: 0 finding\(s\) among [1-9][0-9]* gated metric\(s\) \(rule stat, holm, alpha 0\.05\)$'
	run jq -r 'select(.metric == "release") | .status' runs/r4/verdicts.jsonl
	assert_output ok
	run jq -r '.attachments[0].content.body[0].text' runs/r4/card.json
	assert_output "release-1.0.1: passed"
	# four times slower tokens, a slower first one, and fewer right answers
	start_sim --seed 11 --jitter 0.2 --accuracy 0.3 --ttft-ms 1200 --itl-ms 40
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

@test "pipelines: release-eval's summary shows each generative task's headline and its output tokens" {
	# A reasoning model thinking 30 tokens in every chat answer; the demo
	# suite's one document per task (AIME's 10 samples, GPQA's 3,
	# LiveCodeBench's 10, graded by code-run).
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
	humaneval.accuracy
	humaneval.output_tokens
	livecodebench.accuracy
	livecodebench.output_tokens
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
	assert_line --index 0 --regexp '^arc_challenge [0-9a-f]{12} template=[0-9a-f]{8} args=[0-9a-f]{8} shots=[0-9]+ limit=[0-9]+ data=[0-9a-f]{8} fewshot=[0-9a-f]{8} fewshot_draw=[0-9a-f]{8}$'
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
