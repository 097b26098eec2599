#!/bin/sh
# run-judge.sh — the judge step (Argo: deepeval-runner, CPU): the model
# answers each case, then a judge model grades the answers with DeepEval's
# metrics (share/judge/*.jq prompts, score-gen --judge). In OUT/:
#   answers.jsonl          the model's answers (llm-query records)
#   cases.jsonl            the cases with "actual_output"
#   METRIC.raw.jsonl       the judge's replies
#   metrics.jsonl          metric rows judge.METRIC.mean, .pass_rate, ...
set -u
prog=run-judge.sh
# shellcheck source=pipelines/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $prog [-e URL] [-j URL] [-o DIR] [--data FILE] [--metrics LIST] [-c N]

  -e, --endpoint URL  the model under test (default \$MODEL_ENDPOINT)
  -j, --judge URL     the judge model (default \$JUDGE_ENDPOINT, else the model)
  -o, --out DIR       results (default \$RUN_DIR/judge)
      --data FILE     cases {id, input, retrieval_context?, expected_output?}
                      (default share/data/judge.jsonl)
      --metrics LIST  answer_relevancy,faithfulness,hallucination,geval (default: all)
  -c, --concurrency N requests in flight (default 8)
  -h, --help          this help

The judge's key comes from JUDGE_API_KEY when set.
USAGE
}

endpoint=${MODEL_ENDPOINT:-} judge=${JUDGE_ENDPOINT:-} out='' data=''
metrics=answer_relevancy,faithfulness,hallucination,geval conc=8
while [ $# -gt 0 ]; do
	case $1 in
	-e | --endpoint) endpoint=${2?}; shift ;;
	-j | --judge) judge=${2?}; shift ;;
	-o | --out) out=${2?}; shift ;;
	--data) data=${2?}; shift ;;
	--metrics) metrics=${2?}; shift ;;
	-c | --concurrency) conc=${2?}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; echo "Try '$prog --help' for more information." >&2; exit 64 ;;
	esac
	shift
done
ve_init_run
[ -n "$endpoint" ] || ve_die 64 "no endpoint: give -e URL or set MODEL_ENDPOINT"
judge=${judge:-$endpoint}
out=${out:-$RUN_DIR/judge}
data=${data:-$VLLM_EVAL_SHARE/data/judge.jsonl}
[ -r "$data" ] || ve_die 66 "$data: cannot read"
mkdir -p "$out" || exit 74

ve_step judge-answers llm-query -q -e "$endpoint" -c "$conc" --temperature 0 --max-tokens 256 \
	--messages '[{"role": "user", "content": .input}]' -o "$out/answers.jsonl" --resume "$data" ||
	ve_die $? "the model's answers failed"
jq -c 'select(.response) | . + {actual_output: .response.text} | del(.response, .timing)' \
	"$out/answers.jsonl" > "$out/cases.jsonl" || ve_die 65 "$out/answers.jsonl: unreadable"
# Cases the model failed to answer are counted, not silently dropped.
unanswered=$(jq -s '[.[] | select(.error)] | length' "$out/answers.jsonl")
[ -s "$out/cases.jsonl" ] || ve_die 65 "the model answered none of the $(wc -l < "$data") cases"
ve_audit run-judge cases "{\"answered\":$(wc -l < "$out/cases.jsonl"),\"unanswered\":$unanswered}"

# A judge key, where there is one, goes to llm-query as a file that only we
# can read, never in argv, and is gone however this script ends.
key=''
if [ -n "${JUDGE_API_KEY:-}" ]; then
	key=$out/.judge-key
	trap 'rm -f "$key"' EXIT
	(umask 077 && printf '%s' "$JUDGE_API_KEY" > "$key") || ve_die 74 "cannot write the judge key file"
fi

: > "$out/metrics.jsonl.part"
for m in $(echo "$metrics" | tr ',' ' '); do
	tpl=$VLLM_EVAL_SHARE/judge/$m.jq
	[ -r "$tpl" ] || ve_die 64 "no judge metric '$m' ($tpl)"
	if [ "$m" = geval ]; then
		set -- --arg criteria "Is the actual output correct and complete given the expected output?"
	else
		set --
	fi
	jq -c -f "$tpl" "$@" "$out/cases.jsonl" > "$out/$m.requests.jsonl" || ve_die 65 "$tpl: cannot render"
	set --
	[ -n "$key" ] && set -- --api-key-file "$key"
	ve_step "judge:$m" llm-query -q -e "$judge" "$@" -c "$conc" --temperature 0 --max-tokens 512 \
		--messages .messages -o "$out/$m.raw.jsonl" --resume "$out/$m.requests.jsonl" ||
		ve_die $? "the judge failed on $m"
	# Each metric's failures under a name of their own: four judge.failed rows
	# with the same labels would be one row in ClickHouse.
	score-gen -q --judge "$m" -t judge "$out/$m.raw.jsonl" > "$out/$m.metrics.jsonl" ||
		ve_die $? "score-gen --judge $m failed"
	jq -c --arg m "$m" 'if .metric == "judge.failed" then .metric = "judge.\($m).failed" else . end' \
		"$out/$m.metrics.jsonl" >> "$out/metrics.jsonl.part" || ve_die 74 "cannot write $out/metrics.jsonl"
done
mv "$out/metrics.jsonl.part" "$out/metrics.jsonl"
