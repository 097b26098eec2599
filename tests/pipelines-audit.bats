#!/usr/bin/env bats
# The audit log of a run whose steps run apart, as Argo's pods do: each step
# writes a file of its own (AUDIT_LOG, RUN_DIR/audit/NAME.jsonl) and
# aggregate.sh merges them, by time, into RUN_DIR/audit.jsonl, the file sent
# to S3. Here two benchmark shards and perf-bench run in parallel, each its
# own process against one vllm-sim, then aggregate.sh.

bats_require_minimum_version 1.5.0
load helper
load fixtures/pipelines/common

# one_suite: share/ copied, with a suite "one" of MMLU alone (loglikelihood,
# 5 shots).
one_suite() {
	cp -R "$VE_ROOT/share" share
	jq '.suites.one = [.suites.standard[] | select(.task == "mmlu")]' \
		"$VE_ROOT/share/suites.json" > share/suites.json
	export VLLM_EVAL_SHARE=$PWD/share
}

# pod NAME CMD...: CMD in the background as a pod of run runs/a, writing its
# audit lines to runs/a/audit/NAME.jsonl; its output and status in log.NAME.
pod() {
	local name=$1
	shift
	(RUN_DIR=runs/a AUDIT_LOG=runs/a/audit/$name.jsonl "$@" > "log.$name" 2>&1
		echo "status $?" >> "log.$name") &
	jobs+=($!)
}

@test "audit: two shards and perf-bench in parallel, then aggregate: audit.jsonl has every line of every pod's file, each stage's start and end once a pod, in time order" {
	one_suite
	export RUN_ID=aud MODEL_TAG=release-7.0.0
	start_sim --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	jobs=()
	pod evalchemy-runner-mmlu-0of2 "$P/run-benchmarks.sh" -s one -t mmlu --shard 0/2 -o runs/a/bench
	pod evalchemy-runner-mmlu-1of2 "$P/run-benchmarks.sh" -s one -t mmlu --shard 1/2 -o runs/a/bench
	pod perf-bench "$P/perf-bench.sh" -o runs/a/perf -n 2 -w 0 basic_performance
	wait "${jobs[@]}"
	run cat log.evalchemy-runner-mmlu-0of2 log.evalchemy-runner-mmlu-1of2
	assert_output "$(printf 'status 0\nstatus 0')"
	run tail -n 1 log.perf-bench
	assert_output "status 0"
	# Nothing wrote the run's audit.jsonl: each pod its own file.
	[ ! -e runs/a/audit.jsonl ]
	run ls runs/a/audit
	assert_output "$(printf '%s\n' evalchemy-runner-mmlu-0of2.jsonl evalchemy-runner-mmlu-1of2.jsonl perf-bench.jsonl)"
	AUDIT_LOG=runs/a/audit/aggregate-metrics.jsonl run --separate-stderr "$P/aggregate.sh" -d runs/a -s one --history h.jsonl
	assert_success
	assert_output ""
	a=runs/a/audit.jsonl
	# Every line of every file, as written, and nothing else.
	diff <(sort runs/a/audit/*.jsonl) <(sort "$a") || fail "audit.jsonl is not the pods' lines"
	# Byte for byte the files' lines in time order, a second's lines file by
	# file (by name), each file's in its order: Python's stable sort of them
	# all, read in that order, by ts.
	python3 -c '
import json, sys
lines = [l for f in sorted(sys.argv[1:]) for l in open(f).read().splitlines()]
sys.stdout.write("".join(l + "\n" for l in sorted(lines, key=lambda l: json.loads(l)["ts"])))' \
		runs/a/audit/*.jsonl > want.jsonl
	cmp want.jsonl "$a" || fail "audit.jsonl is not the files' lines in time order"
	# Each pod's step and the stages it ran: one start and one end each, the
	# step's start first with its arguments, its end last with status 0.
	for f in runs/a/audit/evalchemy-runner-mmlu-*.jsonl; do
		run jq -r 'select(.event == "start" or .event == "end") | "\(.stage) \(.event) \(.status // "")"' "$f"
		assert_output "$(printf '%s\n' 'run-benchmarks.sh start ' 'llm-query:mmlu start ' 'llm-query:mmlu end 0' \
			'score:mmlu start ' 'score:mmlu end 0' 'run-benchmarks.sh end 0')"
	done
	run jq -r 'select(.event == "start") | .argv | join(" ")' runs/a/audit/evalchemy-runner-mmlu-1of2.jsonl
	assert_line --index 0 "run-benchmarks.sh -s one -t mmlu --shard 1/2 -o runs/a/bench"
	run jq -r '"\(.stage) \(.event) \(.status // "")"' runs/a/audit/perf-bench.jsonl
	assert_output "$(printf '%s\n' 'perf-bench.sh start ' 'perf-bench.sh end 0')"
	run jq -r '"\(.stage) \(.event) \(.status // "")"' runs/a/audit/aggregate-metrics.jsonl
	assert_output "$(printf '%s\n' 'aggregate.sh start ' 'reg-check verdicts ' 'aggregate.sh end 0')"
	# The run's: each stage's start and end as many times as pods ran it.
	run jq -r 'select(.event == "start" or .event == "end") | "\(.stage) \(.event)"' "$a"
	assert_equal "$(sort <<<"$output" | uniq -c | awk '{print $2, $3, $1}')" "$(printf '%s\n' \
		'aggregate.sh end 1' 'aggregate.sh start 1' 'llm-query:mmlu end 2' 'llm-query:mmlu start 2' \
		'perf-bench.sh end 1' 'perf-bench.sh start 1' 'run-benchmarks.sh end 2' 'run-benchmarks.sh start 2' \
		'score:mmlu end 2' 'score:mmlu start 2')"
	# Each step's start says which programs it ran.
	assert_equal "$(jq -r 'select(.event == "start" and .stage == "perf-bench.sh") | .versions["llm-query"]' "$a")" \
		"$(llm-query --version | cut -d' ' -f2)"
	assert_equal "$(jq -c 'select(.run_id != "aud" or .model_tag != "release-7.0.0")' "$a")" ""
	# aggregate run again (Argo's retry) makes the log again from the files,
	# its second try's 3 lines added: nothing twice.
	cp "$a" first.jsonl
	AUDIT_LOG=runs/a/audit/aggregate-metrics.jsonl run -0 --separate-stderr "$P/aggregate.sh" -d runs/a -s one --history h.jsonl
	diff <(sort runs/a/audit/*.jsonl) <(sort "$a") || fail "the second merge is not the pods' lines"
	assert_equal "$(grep -cvFxf first.jsonl "$a")" 3
}

@test "audit: a line that is not an audit line (a pod killed mid-line) is told and kept, as an event malformed, in time order" {
	one_suite
	export RUN_ID=aud MODEL_TAG=release-7.0.0
	mkdir -p runs/b/audit
	# A run without results: aggregate merges, then stops (exit 65).
	printf '%s\n' '{"ts":"2026-01-01T00:00:02Z","stage":"perf-bench.sh","event":"start"}' \
		'{"ts":"2026-01-01T00:00:05Z","stage":"perf-bench.sh","event":"end","status":0}' \
		> runs/b/audit/perf-bench.jsonl
	# The last line cut short, with no newline.
	printf '%s\n%s' '{"ts":"2026-01-01T00:00:01Z","stage":"run-benchmarks.sh","event":"start"}' \
		'{"ts":"2026-01-01T00:00:03Z","stage":"llm-que' > runs/b/audit/evalchemy-runner-mmlu-0of2.jsonl
	printf '%s\n' '[1]' '{"ts":"2026-01-01T00:00:04Z","stage":"x","event":"y"}' > runs/b/audit/odd.jsonl
	run -65 --separate-stderr "$P/aggregate.sh" -d runs/b -s one --history h.jsonl
	assert_output ""
	assert_equal "$stderr" "$(printf '%s\n' \
		'aggregate.sh: warning: audit/odd.jsonl:1: not an audit line (JSON object with a ts); kept as event malformed' \
		'aggregate.sh: warning: audit/evalchemy-runner-mmlu-0of2.jsonl:2: not an audit line (JSON object with a ts); kept as event malformed' \
		'aggregate.sh: no results for task(s): mmlu (suite one)')"
	# Each timed as the line before it in its file (none: first); the last,
	# aggregate's start, is now.
	assert_equal "$(tail -n 1 runs/b/audit.jsonl | jq -r '"\(.stage) \(.event)"')" "aggregate.sh start"
	run jq -c 'if .event == "malformed" then [.ts, .stage, .file, .line, .text] else [.ts, .stage, .event] end' \
		<(head -n 6 runs/b/audit.jsonl)
	assert_output "$(printf '%s\n' \
		'["","aggregate.sh","audit/odd.jsonl",1,"[1]"]' \
		'["2026-01-01T00:00:01Z","run-benchmarks.sh","start"]' \
		'["2026-01-01T00:00:01Z","aggregate.sh","audit/evalchemy-runner-mmlu-0of2.jsonl",2,"{\"ts\":\"2026-01-01T00:00:03Z\",\"stage\":\"llm-que"]' \
		'["2026-01-01T00:00:02Z","perf-bench.sh","start"]' \
		'["2026-01-01T00:00:04Z","x","y"]' \
		'["2026-01-01T00:00:05Z","perf-bench.sh","end"]')"
	# aggregate's own lines (no AUDIT_LOG given) went beside the others'.
	run jq -r '"\(.stage) \(.event)"' runs/b/audit/aggregate.jsonl
	assert_output "$(printf '%s\n' 'aggregate.sh start' 'aggregate.sh failed')"
}

@test "audit: a run on one machine (no audit/) keeps the audit.jsonl its steps wrote" {
	one_suite
	export RUN_ID=loc MODEL_TAG=release-7.0.0
	start_sim --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	RUN_DIR=runs/c run -0 --separate-stderr "$P/run-benchmarks.sh" -s one -o runs/c/bench
	cp runs/c/audit.jsonl before.jsonl
	run -0 --separate-stderr "$P/aggregate.sh" -d runs/c -s one --history h.jsonl
	[ ! -e runs/c/audit ]
	# Its lines as they were, then reg-check's.
	assert_equal "$(head -n "$(wc -l < before.jsonl)" runs/c/audit.jsonl)" "$(cat before.jsonl)"
	run jq -r '"\(.stage) \(.event)"' runs/c/audit.jsonl
	assert_output "$(printf '%s\n' 'run-benchmarks task-version' 'llm-query:mmlu start' 'llm-query:mmlu end' \
		'score:mmlu start' 'score:mmlu end' 'reg-check verdicts')"
}
