#!/usr/bin/env bats
# run-judge.sh: DeepEval's metrics call for call (share/judge), against
# vllm-sim playing the judge with an answer key of well-formed replies.

bats_require_minimum_version 1.5.0
load helper
load fixtures/pipelines/common

# The judge's replies: the lines demo.sh gives vllm-sim, one per call.
judge_key() {
	sed -n '/^{"id":"judge\//p' "$P/demo.sh" > key.jsonl
	[ "$(wc -l < key.jsonl)" -eq 8 ]
}

# Three cases: one whole, one without context, one without expected_output
# and retrieval_context (DeepEval refuses a case that lacks a parameter).
judge_cases() {
	head -1 "$VE_ROOT/share/data/judge.jsonl" > cases.jsonl
	head -1 "$VE_ROOT/share/data/judge.jsonl" | jq -c '.id = "no-context" | del(.context)' >> cases.jsonl
	head -1 "$VE_ROOT/share/data/judge.jsonl" | jq -c '.id = "no-expected" | del(.expected_output, .retrieval_context)' >> cases.jsonl
}

@test "run-judge: DeepEval's calls; the steps once; cases that lack a parameter fail, counted" {
	judge_key
	judge_cases
	start_sim --ttft-ms 0 --itl-ms 0
	export RUN_ID=j1 MODEL_TAG=release-6.1.0
	run --separate-stderr "$P/run-judge.sh" --data cases.jsonl -o out
	assert_success
	# Every call of each metric, and G-Eval's steps once for all cases.
	count() { for f in "$@"; do echo "$(wc -l < "out/$f.requests.jsonl") $f"; done; }
	run count geval.steps geval answer_relevancy.statements answer_relevancy faithfulness.truths \
		faithfulness.claims faithfulness hallucination
	assert_output - <<-'EOF'
	1 geval.steps
	2 geval
	3 answer_relevancy.statements
	3 answer_relevancy
	2 faithfulness.truths
	2 faithfulness.claims
	2 faithfulness
	2 hallucination
	EOF
	# The steps the judge wrote are in every G-Eval prompt, numbered, and the
	# audit keeps them.
	run jq -r '.messages[0].content' out/geval.requests.jsonl
	assert_output --partial "$(printf 'Evaluation Steps:\n1. Compare the actual output with the expected output.\n2. Check that nothing the expected output says is missing.\n')"
	run jq -c 'select(.event == "geval-steps") | .steps | length' "$RUNS_DIR/j1/audit.jsonl"
	assert_output 2
	# G-Eval asks for the top 20 logprobs, which weight its score.
	run jq -c '.response.logprobs.content[0].top_logprobs | length' out/geval.raw.jsonl
	assert_output - <<-'EOF'
	20
	20
	EOF
	# The second calls carry the first calls' lists.
	run jq -r '.messages[0].content' out/faithfulness.requests.jsonl
	assert_output --partial "$(printf 'Retrieval Contexts:\nThe context states the facts of the case.\n\nClaims:\n["The output makes one claim."]\n\nJSON:')"
	# Scores, and DeepEval's pass rate over all three cases.
	run jq -c '[.metric, .value, .n]' out/metrics.jsonl
	assert_output - <<-'EOF'
	["judge.answer_relevancy.unparsed",0,3]
	["judge.answer_relevancy.mean",1,3]
	["judge.answer_relevancy.pass_rate",1,3]
	["judge.answer_relevancy.pass_rate_all",1,3]
	["judge.faithfulness.unparsed",1,3]
	["judge.faithfulness.mean",1,2]
	["judge.faithfulness.pass_rate",1,2]
	["judge.faithfulness.pass_rate_all",0.6666666666666666,3]
	["judge.hallucination.unparsed",1,3]
	["judge.hallucination.mean",0,2]
	["judge.hallucination.pass_rate",1,2]
	["judge.hallucination.pass_rate_all",0.6666666666666666,3]
	["judge.geval.unparsed",1,3]
	["judge.geval.mean",0.8,2]
	["judge.geval.pass_rate",1,2]
	["judge.geval.pass_rate_all",0.6666666666666666,3]
	EOF
	run jq -c 'select(.judge_error) | [.id, .judge_error]' out/faithfulness.claims.settled.jsonl out/hallucination.settled.jsonl out/geval.settled.jsonl
	assert_output - <<-'EOF'
	["no-expected","the case has no input, actual_output or retrieval_context"]
	["no-context","the case has no input, actual_output or context"]
	["no-expected","the case has no expected_output"]
	EOF
}

@test "run-judge: given steps, a rubric's range, strict mode; a bad rubric or unreadable steps" {
	judge_key
	# The strict prompt's reply: 1 or 0.
	echo '{"id":"judge/strict","match":"reply with JSON of two keys","gold":"{\"reason\": \"It follows the steps.\", \"score\": 1}"}' >> key.jsonl
	head -2 "$VE_ROOT/share/data/judge.jsonl" > cases.jsonl
	start_sim --ttft-ms 0 --itl-ms 0
	export RUN_ID=j2 MODEL_TAG=release-6.1.0
	echo '["Is it right?"]' > steps.json
	echo '[{"score_range":[3,4],"expected_outcome":"right"},{"score_range":[0,2],"expected_outcome":"wrong"}]' > rubric.json
	run --separate-stderr "$P/run-judge.sh" --data cases.jsonl -o out --metrics geval --evaluation-steps steps.json --rubric rubric.json
	assert_success
	[ ! -e out/geval.steps.jsonl ]
	run jq -r '.messages[0].content' out/geval.requests.jsonl
	assert_output --partial "$(printf 'Evaluation Steps:\n1. Is it right?\n\nRubric:\n0-2: wrong\n3-4: right\n')"
	assert_output --partial 'an integer from 0 to 4, as the rubric gives it.'
	# The reply's 8 over the rubric's range 0..4, unchecked as DeepEval leaves it: 2.
	run jq -c 'select(.metric == "judge.geval.mean") | .value' out/metrics.jsonl
	assert_output 2
	echo '[{"score_range":[6,10],"expected_outcome":"right"},{"score_range":[2,6],"expected_outcome":"wrong"}]' > overlap.json
	run --separate-stderr "$P/run-judge.sh" --data cases.jsonl -o out2 --metrics geval --rubric overlap.json
	assert_failure 64
	assert_equal "$stderr" "run-judge.sh: overlap.json: not a rubric (a list of {score_range: [LO, HI], expected_outcome: TEXT}, whole numbers 0 to 10, ranges apart, more than one score)"
	# Strict: the strict prompt, the integer score, the pass mark 1.
	run --separate-stderr "$P/run-judge.sh" --data cases.jsonl -o out3 --metrics geval,hallucination --strict
	assert_success
	run jq -c 'select(.metric | test("mean|pass_rate$")) | [.metric, .value]' out3/metrics.jsonl
	assert_output - <<-'EOF'
	["judge.geval.mean",1]
	["judge.geval.pass_rate",1]
	["judge.hallucination.mean",0]
	["judge.hallucination.pass_rate",1]
	EOF
	# The truths limit reaches the truths prompt; an "idk" claim counts
	# against faithfulness only with --penalize-ambiguous.
	sed -i 's/"judge\/faithfulness".*/"judge\/faithfulness","match":"saying whether EACH claim contradicts any fact of the retrieval context.","gold":"{\\"verdicts\\": [{\\"verdict\\": \\"idk\\"}]}"}/' key.jsonl
	start_sim --ttft-ms 0 --itl-ms 0
	run --separate-stderr "$P/run-judge.sh" --data cases.jsonl -o out5 --metrics faithfulness --truths-limit 3
	assert_success
	run jq -r '.messages[0].content' out5/faithfulness.truths.requests.jsonl
	assert_output --partial 'write a complete list of the 3 most important FACTUAL, undisputed truths'
	run jq -c 'select(.metric == "judge.faithfulness.mean") | .value' out5/metrics.jsonl
	assert_output 1
	run --separate-stderr "$P/run-judge.sh" --data cases.jsonl -o out6 --metrics faithfulness --penalize-ambiguous
	assert_success
	run jq -c 'select(.metric == "judge.faithfulness.mean") | .value' out6/metrics.jsonl
	assert_output 0
	# Steps the judge did not write readably: every G-Eval case fails, none is lost.
	sed -i 's/"judge\/steps".*/"judge\/steps","match":"Write 3-4 concise evaluation steps","gold":"Step one: read it."}/' key.jsonl
	start_sim --ttft-ms 0 --itl-ms 0
	run --separate-stderr "$P/run-judge.sh" --data cases.jsonl -o out4 --metrics geval
	assert_success
	run jq -sc 'sort_by(.id)[] | [.id, .judge_error]' out4/geval.settled.jsonl
	assert_output - <<-'EOF'
	["judge/1","the evaluation steps reply: no JSON object DeepEval can load"]
	["judge/2","the evaluation steps reply: no JSON object DeepEval can load"]
	EOF
	run jq -c 'select(.metric | test("unparsed|pass_rate_all")) | [.metric, .value, .n]' out4/metrics.jsonl
	assert_output - <<-'EOF'
	["judge.geval.unparsed",2,2]
	["judge.geval.pass_rate_all",0,2]
	EOF
}
