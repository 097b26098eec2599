#!/usr/bin/env bats
# The benchmark step, pipelines/run-benchmarks.sh, against vllm-sim on
# loopback: plan-shards and bad shards (that shards add up to the whole run:
# pipelines-fanout.bats), a task that produced nothing, stop strings, the
# reasoning suite's samples, chat template arguments, and GSM8K's, ARC's and
# HellaSwag's few-shot draws.

bats_require_minimum_version 1.5.0
load helper
load fixtures/pipelines/common

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
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

@test "pipelines: stop strings that begin with a newline reach the server whole (HumanEval's)" {
	# humaneval's stops are "\nclass", "\ndef", "\n#", "\nif", "\nprint". Every
	# answer is "    return diff\nclass X: pass\n": whole, the stops cut it
	# before "\nclass"; split at the newline, "if" would cut "diff".
	cp -R "$VE_ROOT/share" share
	jq '.tasks.humaneval.scorer_args = ["--metric", "exact_match", "--reference", "\"    return diff\""]' \
		"$VE_ROOT/share/suites.json" > share/suites.json
	jq -c '{match: .prompt, gold: "    return diff\nclass X: pass\n", format: "text"}' \
		share/data/humaneval.jsonl > key.jsonl
	start_sim --ttft-ms 1 --itl-ms 1
	VLLM_EVAL_SHARE=$PWD/share RUN_ID=h MODEL_TAG=release-6.0.0 \
		run --separate-stderr "$P/run-benchmarks.sh" -t humaneval -o runs/h/bench
	assert_success
	assert_equal "$(jq -c '.response.text' runs/h/bench/humaneval/raw.jsonl | sort | uniq -c | sed 's/^ *//')" '6 "    return diff"'
	assert_equal "$(jq -c 'select(.metric == "humaneval.exact_match") | .value' runs/h/bench/humaneval/metrics.jsonl)" 1
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
	assert_equal "$(ls runs/g/all/gsm8k)" "$(printf 'done.json\nitems.jsonl\nmetrics.jsonl\nraw.jsonl\nrequests.jsonl\nversion.json')"
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

@test "pipelines: run-benchmarks draws ARC's, HellaSwag's and KMMLU's few-shot examples as lm-eval, HellaSwag's one more, KMMLU's by subject" {
	start_sim --ttft-ms 1 --itl-ms 1
	export RUN_ID=h MODEL_TAG=release-5.0.0
	D=$VLLM_EVAL_SHARE/data
	# The standard suite's shots (ARC: 25 of its 26 sample train records;
	# HellaSwag: 10, drawing 11 of 12); the contexts from tests/fewshot-ref.py,
	# lm-eval's draw. The whole suite runs on the sample data.
	run --separate-stderr "$P/run-benchmarks.sh" -s standard -o runs/h/b
	assert_success
	assert_equal "$(cd runs/h/b && ls -d */ | tr -d / | paste -sd' ')" "arc_challenge gsm8k hellaswag mmlu"
	for t in arc_challenge:arc:arc_challenge.train.jsonl:arc_challenge.test.jsonl:25 \
		hellaswag:hellaswag:hellaswag.train.jsonl:hellaswag.val.jsonl:10; do
		IFS=: read -r task ref pool data shots <<-EOF
			$t
		EOF
		jq -j 'select(.choice == 0) | .context + "\u0000"' "runs/h/b/$task/requests.jsonl" > got.bin
		python3 "$VE_ROOT/tests/fewshot-ref.py" --task "$ref" 1234 "$shots" -1 "$D/$pool" "$D/$data" > want.bin
		cmp got.bin want.bin || fail "$task: the contexts differ from lm-eval's"
	done
	# KMMLU: each subject its own draw from its own dev records (the korean
	# suite's 5 shots, 5 sample dev records a subject).
	run --separate-stderr "$P/run-benchmarks.sh" -s korean -t kmmlu -o runs/h/k
	assert_success
	jq -j 'select(.choice == 0) | .context + "\u0000"' runs/h/k/kmmlu/requests.jsonl > got.bin
	python3 "$VE_ROOT/tests/fewshot-ref.py" --task kmmlu 1234 5 -1 "$D/kmmlu.dev.jsonl" "$D/kmmlu.test.jsonl" > want.bin
	cmp got.bin want.bin || fail "kmmlu: the contexts differ from lm-eval's"
	run --separate-stderr "$P/run-benchmarks.sh" -s korean -t kmmlu --shots 6 -o runs/h/k6
	assert_failure 65
	assert_equal "${stderr%%$'\n'*}" "ds-draw: $D/kmmlu.test.jsonl:1: --population-of: the population (5) is smaller than the sample (6)"
	# HellaSwag's draw is one more than the shots: 12 shots need 13 records.
	run --separate-stderr "$P/run-benchmarks.sh" -s standard -t hellaswag --shots 12 -o runs/h/two
	assert_failure 65
	assert_equal "$stderr" "run-benchmarks.sh: hellaswag: shots: 12 asked and 1 more drawn, 12 in $D/hellaswag.train.jsonl"
	[ ! -e runs/h/two/hellaswag/raw.jsonl ]
}

@test "pipelines: the code suite generates, runs the programs in code-run's sandbox and scores them; wrong programs fail" {
	# The key: LiveCodeBench's right and wrong programs (share/data/livecodebench.programs.jsonl),
	# HumanEval's canonical body right and "return None" wrong.
	D=$VLLM_EVAL_SHARE/data
	{
		cat "$VE_ROOT/share/data/livecodebench.programs.jsonl"
		jq -c '{id: .task_id, match: .prompt, gold: .canonical_solution, wrong: "    return None\n", format: "text"}' \
			"$D/humaneval.jsonl"
	} > key.jsonl
	export RUN_ID=c MODEL_TAG=release-9.0.0
	# The first four problems right (those with compressed private tests
	# among them), the first two of each wrong.
	for run in 1:4:4:--limit=4 0:2:2:--limit=2; do
		IFS=: read -r acc nl nh lim <<-EOF
			$run
		EOF
		start_sim --ttft-ms 0 --itl-ms 0 --accuracy "$acc"
		run --separate-stderr "$P/run-benchmarks.sh" -s code -o "runs/c/$acc" ${lim:+"${lim%%=*}" "${lim#*=}"}
		assert_success
		run jq -c 'select(.labels.subset == "all" and (.metric | endswith(".accuracy"))) | [.metric, .value, .n]' \
			"runs/c/$acc/livecodebench/metrics.jsonl" "runs/c/$acc/humaneval/metrics.jsonl"
		assert_output "[\"livecodebench.accuracy\",$acc,$nl]
[\"humaneval.accuracy\",$acc,$nh]"
	done
	# Ten samples a LiveCodeBench problem, each graded with all its tests (the
	# private ones decoded from LiveCodeBench's compressed form) in the sandbox.
	run jq -sc '[length, (map(.code_run.tests_run == .code_run.tests_total) | all),
		(map(.code_run.isolation | index("seccomp") != null) | all)]' runs/c/1/livecodebench/graded.jsonl
	assert_output '[40,true,true]'
	# A wrong program fails at a test, not for want of code.
	run jq -c 'select(.code_run.passed | not) | .code_run.reason' runs/c/0/humaneval/graded.jsonl
	assert_output "$(printf 'null\nnull')"
	# aggregate.sh scores the graded answers, and never a code task's answers
	# without their verdicts.
	mkdir -p runs/agg && cp -R runs/c/1 runs/agg/bench
	run --separate-stderr "$P/aggregate.sh" -d runs/agg -s code
	assert_success
	run jq -c 'select(.labels.subset == "all" and (.metric | test("^[a-z]+\\.accuracy$"))) | [.metric, .value]' runs/agg/metrics.jsonl
	assert_output "$(printf '["humaneval.accuracy",1]\n["livecodebench.accuracy",1]')"
	rm runs/agg/bench/humaneval/graded.jsonl
	run --separate-stderr "$P/aggregate.sh" -d runs/agg -s code
	assert_failure 65
	assert_equal "$stderr" "aggregate.sh: humaneval: runs/agg/bench/humaneval has answers but no code-run verdicts (graded.jsonl)"
}
