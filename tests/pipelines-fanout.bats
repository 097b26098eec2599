#!/usr/bin/env bats
# The Argo fan-out adds up: a suite run as N shards (plan-shards.sh, one
# run-benchmarks.sh --task T --shard I/N a pod, here a background process
# each, all against one vllm-sim) and put together by aggregate.sh gives the
# metric rows and items of the suite run whole; a shard that failed and ran
# again (Argo's retry on exit 75) leaves every answer once; aggregate.sh
# refuses a run with a shard missing.

bats_require_minimum_version 1.5.0
load helper
load fixtures/pipelines/common

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
}

# launch DIR [N]: the standard suite into DIR/bench, whole or (with N) as
# plan-shards.sh plans N shards, every task × shard its own process, as its
# own pod in Argo; each one's output and status in DIR/log.TASK.I. Appends
# the processes' ids to the array jobs.
launch() {
	local dir=$1 item t s
	mkdir -p "$dir"
	if [ $# -eq 1 ]; then
		(RUN_DIR=$dir "$P/run-benchmarks.sh" -s standard -o "$dir/bench" > "$dir/log.all" 2>&1
			echo "status $?" >> "$dir/log.all") &
		jobs+=($!)
		return
	fi
	for item in $("$P/plan-shards.sh" standard "$2" | jq -r '.[] | "\(.task)=\(.shard)"'); do
		t=${item%=*} s=${item#*=}
		(RUN_DIR=$dir "$P/run-benchmarks.sh" -s standard -t "$t" --shard "$s" -o "$dir/bench" \
			> "$dir/log.$t.${s%/*}" 2>&1
			echo "status $?" >> "$dir/log.$t.${s%/*}") &
		jobs+=($!)
	done
}

# aggregate DIR: aggregate.sh of the standard suite's run in DIR, its own
# history beside it (runs aggregated side by side share no file).
aggregate() {
	MODEL_TAG=release-7.0.0 "$P/aggregate.sh" -d "$1" -s standard --history "$1.history.jsonl" \
		> "$1.agg.out" 2> "$1.agg.err"
	echo "status $?" >> "$1.agg.err"
}

# unstamped FILE: metric rows as written, less the time each was scored
# ("ts"), the one field two runs of the same answers may differ in: every run
# here has the same RUN_ID and MODEL_TAG.
unstamped() {
	[ "$(grep -c ',"ts":"[0-9T:Z-]*"}$' "$1")" = "$(wc -l < "$1")" ] || fail "$1: a row without its ts last"
	sed 's/,"ts":"[0-9T:Z-]*"}$/}/' "$1"
}

@test "fanout: the standard suite as 1, 2, 3 and 7 shards in parallel: the whole run's metric rows byte for byte, its items, its few-shot examples in every shard" {
	start_sim --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	export RUN_ID=fan MODEL_TAG=release-7.0.0
	jobs=()
	launch runs/whole
	for n in 1 2 3 7; do launch "runs/n$n" "$n"; done
	wait "${jobs[@]}"
	# Every process quiet and done: 4 tasks × (1 + 2 + 3 + 7) shards, and the whole.
	run cat runs/whole/log.all runs/n*/log.*
	assert_output "$(yes 'status 0' | head -n 53)"
	for n in 1 2 3 7; do
		assert_equal "$(ls runs/n$n/bench | wc -l)" $((4 * n))
	done
	# Each document in exactly one shard, and its requests (the contexts, with
	# their few-shot examples: pipelines-tasks.bats checks the whole run's
	# against lm-eval's draw) the same bytes in every shard as in the whole
	# run; the task's version the same everywhere.
	for t in arc_challenge gsm8k hellaswag mmlu; do
		want=$(sort "runs/whole/bench/$t/requests.jsonl")
		[ -n "$want" ]
		for n in 1 2 3 7; do
			got=$(for d in "runs/n$n/bench/$t" "runs/n$n/bench/$t"-*; do
				[ ! -d "$d" ] || cat "$d/requests.jsonl"
			done | sort)
			[ "$got" = "$want" ] || fail "$t, $n shards: the requests differ from the whole run's"
		done
		assert_equal "$(cat runs/*/bench/"$t"*/version.json | sort -u | wc -l)" 1
	done
	# Seven shards are more than HellaSwag's 6 documents: a shard without any
	# is done, and counts for nothing.
	empty=$(for d in runs/n7/bench/hellaswag-*; do [ -s "$d/requests.jsonl" ] || echo "${d##*-}"; done)
	[ -n "$empty" ]
	run cat "runs/n7/bench/hellaswag-${empty%%$'\n'*}/done.json"
	assert_output "{\"task\":\"hellaswag\",\"shard\":\"${empty%%$'\n'*}/7\"}"
	jobs=()
	for r in whole n1 n2 n3 n7; do
		aggregate "runs/$r" &
		jobs+=($!)
	done
	wait "${jobs[@]}"
	for r in whole n1 n2 n3 n7; do
		assert_equal "$(cat "runs/$r.agg.out")" ""
		run cat "runs/$r.agg.err"
		assert_output "aggregate.sh: release ok: 0 finding(s) among 0 gated metric(s); 0 row(s) regressed, 0 missing, in 31 verdicts (runs/$r/verdicts.jsonl)
status 0"
	done
	# Every fan-out's rows are the whole run's, to the last digit of every
	# standard error (aggregate.sh scores the answers in the order of their
	# ids: GSM8K's output_tokens stderr moved in its 16th digit with the
	# order the answers came in).
	unstamped runs/whole/metrics.jsonl > whole.rows
	assert_equal "$(jq -r '.metric | split(".")[0]' runs/whole/metrics.jsonl | uniq | paste -sd' ')" \
		"arc_challenge gsm8k hellaswag mmlu"
	for n in 1 2 3 7; do
		unstamped "runs/n$n/metrics.jsonl" > rows
		diff whole.rows rows || fail "$n shards: the metric rows differ from the whole run's"
		# Item rows have no time: all their bytes, in the same order.
		cmp runs/whole/items.jsonl "runs/n$n/items.jsonl" || fail "$n shards: the items differ"
	done
	assert_equal "$(jq -r '"\(.task) \(.doc_id)"' runs/whole/items.jsonl | sort | uniq -d)" ""
	assert_equal "$(wc -l < runs/whole/items.jsonl)" 34
}

# pair_suite: share/ copied, with a suite of two tasks as the standard
# suite runs them: MMLU (loglikelihood, 5 shots) and GSM8K (generation, 5
# drawn shots).
pair_suite() {
	cp -R "$VE_ROOT/share" share
	jq '.suites.pair = [.suites.standard[] | select(.task == "mmlu" or .task == "gsm8k")]' \
		"$VE_ROOT/share/suites.json" > share/suites.json
	export VLLM_EVAL_SHARE=$PWD/share
}

@test "fanout: a shard whose requests fail exits 75; run again into its directory, as Argo retries it, it has every answer once and the whole run's figures" {
	pair_suite
	export RUN_ID=fan MODEL_TAG=release-7.0.0
	start_sim --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	RUN_DIR=runs/whole run -0 --separate-stderr "$P/run-benchmarks.sh" -s pair -o runs/whole/bench
	for t in mmlu gsm8k; do
		RUN_DIR=runs/s run -0 --separate-stderr "$P/run-benchmarks.sh" -s pair -t $t --shard 0/2 -o runs/s/bench
		assert_equal "$stderr" ""
	done
	# Shard 1 against a server that answers some requests 500 (vllm-sim's
	# --fail-rate: the same requests, by their order of arrival, at its seed),
	# llm-query retrying none: 10 of MMLU's 16 requests and 5 of GSM8K's 6
	# fail, the others are answered.
	start_sim --accuracy 0.5 --ttft-ms 0 --itl-ms 0 --fail-rate 0.5 --fail-codes 500
	for t in mmlu:10 gsm8k:5; do
		LLM_RETRIES=0 RUN_DIR=runs/s run -75 --separate-stderr "$P/run-benchmarks.sh" -s pair -t "${t%:*}" --shard 1/2 -o runs/s/bench
		assert_equal "$stderr" "run-benchmarks.sh: ${t%:*}: requests failed (${t#*:} failed); the answers are kept in runs/s/bench/${t%:*}-1/raw.jsonl: run again to send the rest"
		[ ! -e "runs/s/bench/${t%:*}-1/done.json" ]
		jq -c 'select(.error == null)' "runs/s/bench/${t%:*}-1/raw.jsonl" > "kept.${t%:*}"
		[ -s "kept.${t%:*}" ]
	done
	assert_equal "$(cat kept.mmlu kept.gsm8k | wc -l)" 7
	# aggregate.sh refuses the run, naming the shards that did not finish.
	run -65 --separate-stderr "$P/aggregate.sh" -d runs/s -s pair --history h.jsonl
	assert_equal "$stderr" "aggregate.sh: shard(s) missing or unfinished: gsm8k 1/2 (no runs/s/bench/gsm8k-1/done.json), mmlu 1/2 (no runs/s/bench/mmlu-1/done.json)"
	[ ! -e runs/s/metrics.jsonl ]
	# The retry: the same command, the server well again.
	start_sim --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	for t in mmlu gsm8k; do
		RUN_DIR=runs/s run -0 --separate-stderr "$P/run-benchmarks.sh" -s pair -t $t --shard 1/2 -o runs/s/bench
		assert_equal "$stderr" ""
		# Every request answered once, the answers kept from the first try
		# among them as they were (not sent again).
		id='if .choice then "\(.doc_id)#\(.choice)" else .doc_id end'
		assert_equal "$(jq -r "$id" runs/s/bench/$t-1/raw.jsonl | sort)" "$(jq -r "$id" runs/s/bench/$t-1/requests.jsonl | sort)"
		assert_equal "$(jq -c 'select(.error)' runs/s/bench/$t-1/raw.jsonl)" ""
		assert_equal "$(jq -c . runs/s/bench/$t-1/raw.jsonl | grep -c -x -F -f kept.$t)" "$(wc -l < kept.$t)"
	done
	for r in whole s; do
		RUN_DIR=runs/$r run -0 --separate-stderr "$P/aggregate.sh" -d runs/$r -s pair --history $r.history.jsonl
		assert_output ""
	done
	assert_equal "$(unstamped runs/s/metrics.jsonl)" "$(unstamped runs/whole/metrics.jsonl)"
	cmp runs/whole/items.jsonl runs/s/items.jsonl
	assert_equal "$(jq -r .doc_id runs/s/items.jsonl | sort | uniq -d)" ""
	assert_equal "$(wc -l < runs/s/items.jsonl)" 20
}

@test "fanout: aggregate refuses a run with a shard missing, or with shards of two fan-outs, exit 65" {
	pair_suite
	export RUN_ID=fan MODEL_TAG=release-7.0.0
	start_sim --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	jobs=()
	for i in 0 1 2; do
		RUN_DIR=runs/m "$P/run-benchmarks.sh" -s pair -t gsm8k --shard $i/3 -o runs/m/bench &
		jobs+=($!)
	done
	for j in "${jobs[@]}"; do wait "$j"; done
	rm -r runs/m/bench/gsm8k-1
	run -65 --separate-stderr "$P/aggregate.sh" -d runs/m -s pair --history h.jsonl
	assert_equal "$stderr" "aggregate.sh: shard(s) missing or unfinished: gsm8k 1/3 (no runs/m/bench/gsm8k-1/done.json)"
	assert_output ""
	[ ! -e runs/m/metrics.jsonl ]
	RUN_DIR=runs/m run -0 "$P/run-benchmarks.sh" -s pair -t gsm8k --shard 1/3 -o runs/m/bench
	# The task run whole beside its shards: its documents would count twice.
	RUN_DIR=runs/m run -0 "$P/run-benchmarks.sh" -s pair -t gsm8k -o runs/m/bench
	run -65 --separate-stderr "$P/aggregate.sh" -d runs/m -s pair --history h.jsonl
	assert_equal "$stderr" "aggregate.sh: gsm8k: shards of different fan-outs (N = 1 3) in runs/m/bench: keep one run's"
	rm -r runs/m/bench/gsm8k
	run -65 --separate-stderr "$P/aggregate.sh" -d runs/m -s pair --history h.jsonl
	assert_equal "$stderr" "aggregate.sh: no results for task(s): mmlu (suite pair)"
}

@test "fanout: a shard waits for its endpoint to come up (ENDPOINT_WAIT: the pod's vLLM still loading), and gives up after it, exit 69" {
	export RUN_ID=fan MODEL_TAG=release-7.0.0
	port=$(ve_free_port)
	ENDPOINT_WAIT=1 MODEL_ENDPOINT=http://127.0.0.1:$port \
		run -69 --separate-stderr "$P/run-benchmarks.sh" -s standard -t mmlu --shard 0/2 -o runs/w/bench
	assert_equal "$stderr" "run-benchmarks.sh: the endpoint's /health did not answer within 1 s"
	assert_output ""
	[ ! -e runs/w/bench ]
	# The server comes up 2 s after the shard starts; without the wait the
	# shard's first request would find nothing listening (exit 75).
	(sleep 2; exec vllm-sim -q -p "$port" --answers key.jsonl --seed 7 --ttft-ms 0 --itl-ms 0 > sim.log 2>&1) &
	SIM_PID=$!
	ENDPOINT_WAIT=60 MODEL_ENDPOINT=http://127.0.0.1:$port \
		run -0 --separate-stderr "$P/run-benchmarks.sh" -s standard -t mmlu --shard 0/2 -o runs/w/bench
	assert_equal "$stderr" ""
	assert_equal "$(cat runs/w/bench/mmlu-0/done.json)" '{"task":"mmlu","shard":"0/2"}'
	ENDPOINT_WAIT=x run -64 --separate-stderr "$P/run-benchmarks.sh" -e http://127.0.0.1:1 -t mmlu
	assert_equal "$stderr" "run-benchmarks.sh: --shots, --limit, -c, LLM_RETRIES and ENDPOINT_WAIT take whole numbers, got 'x'"
}
