#!/bin/sh
# run-judge.sh — the judge step (Argo: deepeval-runner, CPU): the model
# answers each case, then a judge model grades the answers with DeepEval's
# metrics, call for call as DeepEval 4.1.10 makes them (share/judge/*.jq),
# and score-gen --judge scores the replies by DeepEval's rules. In OUT/:
#   answers.jsonl              the model's answers (llm-query records)
#   cases.jsonl                the cases with "actual_output"
#   METRIC[.STAGE].jsonl       each call's requests, METRIC[.STAGE].raw.jsonl
#                              the judge's replies, .settled.jsonl the cases
#                              settled without a call (no statements, a
#                              failed earlier call)
#   metrics.jsonl              metric rows judge.METRIC.mean, .pass_rate, ...
set -u
prog=run-judge.sh
# shellcheck source=pipelines/common.sh
. "$(dirname "$0")/common.sh"
ve_own_step "$@"

usage() {
	cat <<USAGE
usage: $prog [-e URL] [-j URL] [-o DIR] [--data FILE] [--metrics LIST] [-c N]
                    [--criteria TEXT] [--evaluation-steps FILE] [--geval-params LIST]
                    [--rubric FILE] [--strict] [--penalize-ambiguous] [--truths-limit N]

  -e, --endpoint URL  the model under test (default \$MODEL_ENDPOINT)
  -j, --judge URL     the judge model (default \$JUDGE_ENDPOINT, else the model)
  -o, --out DIR       results (default \$RUN_DIR/judge)
      --data FILE     cases {id, input, context?, retrieval_context?, expected_output?}
                      (default share/data/judge.jsonl)
      --metrics LIST  answer_relevancy,faithfulness,hallucination,geval (default: all)
  -c, --concurrency N requests in flight (default 8)
      --criteria TEXT G-Eval's criteria (default: correct and complete given
                      the expected output)
      --evaluation-steps FILE  G-Eval's steps, a JSON list of strings, in place
                      of asking the judge to write them from the criteria
      --geval-params LIST  the case's fields G-Eval shows the judge
                      (default input,actual_output,expected_output)
      --rubric FILE   G-Eval's rubric, a JSON list of {score_range: [LO, HI],
                      expected_outcome}; its range is the score's
      --strict        DeepEval's strict mode: G-Eval scores 1 or 0, the
                      verdict metrics all or nothing
      --penalize-ambiguous  faithfulness counts an "idk" claim as unfaithful
      --truths-limit N  faithfulness takes the N most important truths
  -h, --help          this help

The judge's key comes from JUDGE_API_KEY when set. AUDIT_LOG (an Argo pod's)
is the file this step's audit lines go to, its start and end included, in
place of \$RUN_DIR/audit.jsonl; aggregate.sh merges such files.
USAGE
}

endpoint=${MODEL_ENDPOINT:-} judge=${JUDGE_ENDPOINT:-} out='' data=''
metrics=answer_relevancy,faithfulness,hallucination,geval conc=8
criteria="Is the actual output correct and complete given the expected output?"
steps_file='' params=input,actual_output,expected_output rubric_file='' strict=false
penalize='' truths_limit=null
while [ $# -gt 0 ]; do
	case $1 in
	-e | --endpoint) endpoint=${2?}; shift ;;
	-j | --judge) judge=${2?}; shift ;;
	-o | --out) out=${2?}; shift ;;
	--data) data=${2?}; shift ;;
	--metrics) metrics=${2?}; shift ;;
	-c | --concurrency) conc=${2?}; shift ;;
	--criteria) criteria=${2?}; shift ;;
	--evaluation-steps) steps_file=${2?}; shift ;;
	--geval-params) params=${2?}; shift ;;
	--rubric) rubric_file=${2?}; shift ;;
	--strict) strict=true ;;
	--penalize-ambiguous) penalize=1 ;;
	--truths-limit) truths_limit=${2?}; shift ;;
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


tpl=$VLLM_EVAL_SHARE/judge
case $params in
*[!a-z_,]* | '' | ,* | *, | *,,*) ve_die 64 "--geval-params: expected a comma-separated list of case fields, got '$params'" ;;
esac
params_json=$(printf '%s' "$params" | jq -Rc 'split(",")')
# DeepEval's Rubric: integer ranges within 0..10, start <= end, none
# overlapping once sorted; the score's range runs from the first to the last.
rubric=null range=''
if [ -n "$rubric_file" ]; then
	rubric=$(jq -c '
		def range_ok: type == "array" and length == 2
			and all(.[]; type == "number" and . == floor and . >= 0 and . <= 10) and .[0] <= .[1];
		def apart: [range(1; length) as $i | .[$i - 1].score_range[1] < .[$i].score_range[0]] | all;
		if type == "array" and length > 0
			and all(.[]; (.score_range | range_ok) and (.expected_outcome | type == "string"))
		then sort_by(.score_range[0]) else error("not a rubric") end
		| if apart and .[0].score_range[0] < .[-1].score_range[1] then . else error("not a rubric") end' \
		"$rubric_file" 2>/dev/null) ||
		ve_die 64 "$rubric_file: not a rubric (a list of {score_range: [LO, HI], expected_outcome: TEXT}, whole numbers 0 to 10, ranges apart, more than one score)"
	range=$(printf '%s' "$rubric" | jq -r '"\(.[0].score_range[0]),\(.[-1].score_range[1])"')
fi
case $truths_limit in
null | [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) ;;
*) ve_die 64 "--truths-limit: expected a whole number, got '$truths_limit'" ;;
esac

# judge_call NAME [LLM-QUERY OPTION...]: sends the records of OUT/NAME.jsonl
# that carry messages to the judge, the replies to OUT/NAME.raw.jsonl; the
# cases settled without a call go to OUT/NAME.settled.jsonl.
judge_call() {
	jname=$1
	shift
	if ! jq -c 'select(.messages)' "$out/$jname.jsonl" > "$out/$jname.requests.jsonl" ||
		! jq -c 'select(.messages | not)' "$out/$jname.jsonl" > "$out/$jname.settled.jsonl"; then
		ve_die 74 "$out/$jname.jsonl: cannot split"
	fi
	[ -n "$key" ] && set -- "$@" --api-key-file "$key"
	ve_step "judge:$jname" llm-query -q -e "$judge" -c "$conc" --temperature 0 --max-tokens 512 \
		--messages .messages -o "$out/$jname.raw.jsonl" --resume "$out/$jname.requests.jsonl" "$@" ||
		ve_die $? "the judge failed on $jname"
}

# render NAME TEMPLATE INPUT [JQ OPTION...]: OUT/NAME.jsonl from a template.
render() {
	rname=$1 rtpl=$tpl/$2.jq rin=$3
	shift 3
	jq -c -L "$tpl" -f "$rtpl" "$@" "$rin" > "$out/$rname.jsonl" || ve_die 65 "$rtpl: cannot render"
}

# G-Eval: the evaluation steps (one call for the criteria, unless given),
# then one call a case, its score weighted by the top 20 logprobs.
geval() {
	if [ -n "$steps_file" ]; then
		steps=$(jq -c 'if type == "array" and length > 0 and all(.[]; type == "string") then . else error("x") end' \
			"$steps_file" 2>/dev/null) || ve_die 64 "$steps_file: not a JSON list of strings"
	else
		jq -nc -f "$tpl/geval_steps.jq" --arg criteria "$criteria" \
			--arg params "$(printf '%s' "$params_json" | jq -r -L "$tpl" 'include "deepeval"; deepeval_params')" \
			> "$out/geval.steps.jsonl" || ve_die 70 "cannot render G-Eval's steps request"
		judge_call geval.steps
		steps=$(jq -c -L "$tpl" 'include "deepeval"; deepeval_list("evaluation steps"; "steps")' "$out/geval.steps.raw.jsonl")
	fi
	case $steps in
	'{"error":'*)
		# The steps are every case's: without them DeepEval fails each case.
		jq -c --argjson s "$steps" '. + {judge_error: $s.error}' "$out/cases.jsonl" > "$out/geval.jsonl" ;;
	*)
		case $steps in '{"value":'*) steps=$(printf '%s' "$steps" | jq -c .value) ;; esac
		ve_audit run-judge geval-steps "{\"steps\":$steps}"
		render geval geval "$out/cases.jsonl" --argjson steps "$steps" --argjson params "$params_json" \
			--argjson rubric "$rubric" --argjson strict "$strict" ;;
	esac
	judge_call geval --logprobs 20
	set -- "$out/geval.raw.jsonl" "$out/geval.settled.jsonl"
	[ "$strict" = true ] && set -- "$@" --strict
	[ -n "$range" ] && set -- "$@" --score-range "$range"
	score geval "$@"
}

# Answer relevancy: the statements, then a verdict on each.
answer_relevancy() {
	render answer_relevancy.statements answer_relevancy_statements "$out/cases.jsonl"
	judge_call answer_relevancy.statements
	render answer_relevancy answer_relevancy "$out/answer_relevancy.statements.raw.jsonl"
	judge_call answer_relevancy
	set -- "$out/answer_relevancy.raw.jsonl" "$out/answer_relevancy.settled.jsonl" \
		"$out/answer_relevancy.statements.settled.jsonl"
	[ "$strict" = true ] && set -- "$@" --strict
	score answer_relevancy "$@"
}

# Faithfulness: the context's truths and the output's claims, then a
# verdict on each claim against the truths.
faithfulness() {
	render faithfulness.truths faithfulness_truths "$out/cases.jsonl" --argjson limit "$truths_limit"
	judge_call faithfulness.truths
	render faithfulness.claims faithfulness_claims "$out/cases.jsonl"
	judge_call faithfulness.claims
	render faithfulness faithfulness "$out/faithfulness.claims.raw.jsonl" \
		--slurpfile truths "$out/faithfulness.truths.raw.jsonl"
	judge_call faithfulness
	set -- "$out/faithfulness.raw.jsonl" "$out/faithfulness.settled.jsonl" \
		"$out/faithfulness.claims.settled.jsonl"
	[ "$strict" = true ] && set -- "$@" --strict
	[ -n "$penalize" ] && set -- "$@" --penalize-ambiguous
	score faithfulness "$@"
}

# Hallucination: a verdict on each context, in one call.
hallucination() {
	render hallucination hallucination "$out/cases.jsonl"
	judge_call hallucination
	set -- "$out/hallucination.raw.jsonl" "$out/hallucination.settled.jsonl"
	[ "$strict" = true ] && set -- "$@" --strict
	score hallucination "$@"
}

# score KIND FILE... [OPTION...]: the metric's rows into metrics.jsonl.part.
# Each metric's failures under a name of their own: four judge.failed rows
# with the same labels would be one row in ClickHouse.
score() {
	skind=$1
	shift
	score-gen -q --judge "$skind" -t judge "$@" > "$out/$skind.metrics.jsonl" ||
		ve_die $? "score-gen --judge $skind failed"
	jq -c --arg m "$skind" 'if .metric == "judge.failed" then .metric = "judge.\($m).failed" else . end' \
		"$out/$skind.metrics.jsonl" >> "$out/metrics.jsonl.part" || ve_die 74 "cannot write $out/metrics.jsonl"
}

: > "$out/metrics.jsonl.part"
for m in $(echo "$metrics" | tr ',' ' '); do
	case $m in
	geval | answer_relevancy | faithfulness | hallucination) "$m" ;;
	*) ve_die 64 "no judge metric '$m' (answer_relevancy, faithfulness, hallucination, geval)" ;;
	esac
done
mv "$out/metrics.jsonl.part" "$out/metrics.jsonl"
