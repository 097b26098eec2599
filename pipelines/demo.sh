#!/bin/sh
# demo.sh — `make demo`: the main job against vllm-sim on loopback, twice.
#
# A good release (release-1.4.0: the simulated model answers 95 % of the
# answer key right, quickly), then a degraded one (release-1.5.0: 45 %, and
# slower). release-eval.sh runs the full evaluation of each; the second is
# compared with the first, its regression is caught, and its card is shown.
# Results go under runs/demo/ (a fresh history each time the demo runs).
set -u
prog=demo.sh
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 70
PATH=$root/bin:$PATH
export VLLM_EVAL_SHARE="$root/share" PATH
export RUNS_DIR=runs/demo REG_MIN_RUNS=1 SUITE=quick
unset CLICKHOUSE_URL TEAMS_WEBHOOK_URL PUSHGATEWAY_URL JUDGE_ENDPOINT
rm -rf "$RUNS_DIR"
mkdir -p "$RUNS_DIR" || exit 74
sim_pid=''
trap '[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null' EXIT INT TERM

# The answer key of the simulated model: every question of the quick suite
# (the question as the prompt shows it, its choices and the right one), and
# a well-formed reply for each judge prompt.
key=$RUNS_DIR/answer-key.jsonl
S=$VLLM_EVAL_SHARE
{
	jq -nc -f "$S/tasks/arc.jq" "$S/data/arc_challenge.test.jsonl"
	jq -nc -f "$S/tasks/hellaswag.jq" "$S/data/hellaswag.val.jsonl"
	jq -nc -f "$S/tasks/mmlu.jq" --argjson mode '"ll"' "$S/data/mmlu.test.jsonl"
} | jq -sc 'group_by(.doc_id)[] | {id: .[0].doc_id, match: (.[0].context | split("\n\n") | last),
	choices: map(.continuation[1:]), gold: .[0].gold}' > "$key" || exit 70
cat >> "$key" <<'EOF'
{"id":"judge/relevancy","match":"Break the actual output into its statements.","gold":"{\"verdicts\": [{\"verdict\": \"yes\", \"reason\": \"It answers the question.\"}]}"}
{"id":"judge/faithfulness","match":"List every factual claim made in the actual output.","gold":"{\"verdicts\": [{\"verdict\": \"yes\", \"reason\": \"The context says so.\"}]}"}
{"id":"judge/hallucination","match":"decide whether the actual output agrees with it","gold":"{\"verdicts\": [{\"verdict\": \"yes\", \"reason\": \"No contradiction.\"}]}"}
{"id":"judge/geval","match":"Judge the test case only by the evaluation criteria.","gold":"{\"score\": 8, \"reason\": \"Correct and complete.\"}"}
EOF

# start_sim NAME OPTIONS...: vllm-sim on a free loopback port.
start_sim() {
	name=$1
	shift
	rm -f "$RUNS_DIR/sim.port"
	vllm-sim -q -p 0 --port-file "$RUNS_DIR/sim.port" --answers "$key" --seed 7 "$@" \
		> "$RUNS_DIR/sim-$name.log" 2>&1 &
	sim_pid=$!
	n=50
	while [ ! -s "$RUNS_DIR/sim.port" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	[ -s "$RUNS_DIR/sim.port" ] || { echo "$prog: vllm-sim did not start (see $RUNS_DIR/sim-$name.log)" >&2; exit 69; }
	MODEL_ENDPOINT="http://127.0.0.1:$(cat "$RUNS_DIR/sim.port")"
	export MODEL_ENDPOINT
	echo "$prog: vllm-sim ($name) at $MODEL_ENDPOINT"
}

stop_sim() {
	kill "$sim_pid" 2>/dev/null
	wait "$sim_pid" 2>/dev/null
	sim_pid=''
}

run() {
	MODEL_TAG=$1 RUN_ID=$2 "$root/pipelines/release-eval.sh" -s quick --perf-prompts 12 \
		--scenarios basic_performance,concurrency_test
}

start_sim good --accuracy 0.95 --ttft-ms 15 --itl-ms 4
run release-1.4.0 demo-1-release-1.4.0
rc1=$?
stop_sim
[ $rc1 -eq 0 ] || { echo "$prog: the good release did not pass (exit $rc1)" >&2; exit 70; }
echo

start_sim degraded --accuracy 0.45 --ttft-ms 60 --itl-ms 9
run release-1.5.0 demo-2-release-1.5.0
rc2=$?
stop_sim
echo
if [ $rc2 -eq 1 ]; then
	echo "$prog: release-1.5.0 regressed against release-1.4.0, and the card above says so."
	echo "$prog: everything is under $RUNS_DIR/ (history: $RUNS_DIR/history.jsonl)."
	exit 0
fi
echo "$prog: the degraded release was not caught (release-eval.sh exit $rc2)" >&2
exit 70
