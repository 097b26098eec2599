#!/usr/bin/env bats
# score-gen: reference metrics of generated answers and LLM-as-judge scores.
#
# Per-item scores are worked by hand in each test; the aggregates were
# computed with python3 and lm-eval's formulas (lm_eval/api/metrics.py):
#   mean(a) = sum(a) / len(a)
#   stderr(a) = math.sqrt(sum([(x - mean(a))**2 for x in a]) / (len(a) - 1)) / math.sqrt(len(a))
# printed with repr().

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	export SOURCE_DATE_EPOCH=1763805067
	unset RUN_ID MODEL_TAG
}

F="$FIX/score-gen"
TS='"ts":"2025-11-22T09:51:07Z"'

@test "score-gen: numeric takes the last \\boxed{} or the last number, as integers" {
	# aime/1 \boxed{24} = 24 right; aime/2 last \boxed{024} = 24 right; aime/3 last
	# number "90.0" = 90 right; aime/4 last number 40 != 38; aime/5 failed (timeout).
	# [1,1,1,0]: python3 mean 0.75, stderr 0.25.
	run --separate-stderr score-gen --metric numeric --items items.jsonl "$F/aime.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<-EOF
	{"metric":"aime.failed","value":1,"n":5,"unit":"count","labels":{"task":"aime","subset":"all"},$TS}
	{"metric":"aime.numeric_match","value":0.75,"n":4,"stderr":0.25,"unit":"ratio","labels":{"task":"aime","subset":"all"},$TS}
	{"metric":"aime.output_tokens","value":5.0,"n":4,"stderr":0.0,"unit":"tokens","labels":{"task":"aime","subset":"all"},$TS}
	EOF
	run cat items.jsonl
	assert_line --index 1 '{"task":"aime","doc_id":"aime/2","subset":"all","pred":"024","gold":"24","correct":true,"score":1.0,"scores":{"numeric_match":1.0}}'
	assert_line --index 3 '{"task":"aime","doc_id":"aime/4","subset":"all","pred":"40","gold":"38","correct":false,"score":0.0,"scores":{"numeric_match":0.0}}'
	assert_equal "${#lines[@]}" 4
}

@test "score-gen: exact_match as lm-eval's, contains, token F1 and ROUGE-L" {
	# qa/1 "The Eiffel Tower!" vs "the Eiffel Tower": equal once case and punctuation go.
	# qa/2 "It is in Paris" vs "Paris, France": F1 tokens {it,is,in,paris} vs {paris,france}:
	#      P 1/4, R 1/2, F1 1/3; ROUGE-L LCS 1: the same 1/3.
	# qa/3 Korean: "서울" is one of 4 words: contains 1, P 1/4, R 1 -> F1 0.4.
	# qa/4 nothing shared: 0.
	# exact [1,0,0,0] 0.25 (stderr 0.25); contains [1,0,1,0] 0.5 (0.28867513459481287);
	# f1 = rouge_l [1,1/3,0.4,0] 0.43333333333333335 (0.20816659994661327).
	run --separate-stderr score-gen -m exact_match -m contains -m f1 -m rouge_l \
		--ignore-case --ignore-punctuation "$F/qa.jsonl"
	assert_success
	assert_output - <<-EOF
	{"metric":"qa.exact_match","value":0.25,"n":4,"stderr":0.25,"unit":"ratio","labels":{"task":"qa","subset":"all"},$TS}
	{"metric":"qa.contains","value":0.5,"n":4,"stderr":0.28867513459481287,"unit":"ratio","labels":{"task":"qa","subset":"all"},$TS}
	{"metric":"qa.f1","value":0.43333333333333335,"n":4,"stderr":0.20816659994661327,"unit":"ratio","labels":{"task":"qa","subset":"all"},$TS}
	{"metric":"qa.rouge_l","value":0.43333333333333335,"n":4,"stderr":0.20816659994661327,"unit":"ratio","labels":{"task":"qa","subset":"all"},$TS}
	{"metric":"qa.output_tokens","value":5.0,"n":4,"stderr":0.0,"unit":"tokens","labels":{"task":"qa","subset":"all"},$TS}
	EOF
}

@test "score-gen: exact_match without normalisation is byte equality" {
	run --separate-stderr score-gen "$F/qa.jsonl"
	assert_success
	assert_line --index 0 --partial '"metric":"qa.exact_match","value":0.0,"n":4,"stderr":0.0,'
}

@test "score-gen: --ignore-regex removes text first, as lm-eval's regexes_to_ignore" {
	printf '%s\n' '{"doc_id":1,"gold":"B","response":{"text":"Answer: B"}}' > r.jsonl
	run --separate-stderr score-gen --ignore-regex '^Answer: ' r.jsonl
	assert_success
	assert_output "{\"metric\":\"gen.exact_match\",\"value\":1.0,\"n\":1,\"unit\":\"ratio\",\"labels\":{\"task\":\"gen\",\"subset\":\"all\"},$TS}"
}

@test "score-gen: regex extracts group 1 and compares it, pass rate by threshold" {
	# "The best answer is B" -> B right; "(C)" has no match -> wrong.
	printf '%s\n' '{"doc_id":1,"gold":"B","response":{"text":"The best answer is B"}}' \
		'{"doc_id":2,"gold":"C","response":{"text":"(C)"}}' > r.jsonl
	run --separate-stderr score-gen -m regex --regex 'best answer is ([A-D])' --pass-threshold 1 --items i.jsonl r.jsonl
	assert_success
	assert_line --index 0 --partial '"metric":"gen.regex_match","value":0.5,"n":2,"stderr":0.5,'
	assert_line --index 1 --partial '"metric":"gen.pass_rate","value":0.5,"n":2,"stderr":0.5,'
	run cat i.jsonl
	assert_line --index 0 '{"task":"gen","doc_id":1,"subset":"all","pred":"B","gold":"B","correct":true,"score":1.0,"scores":{"regex_match":1.0}}'
	assert_line --index 1 '{"task":"gen","doc_id":2,"subset":"all","pred":null,"gold":"C","correct":false,"score":0.0,"scores":{"regex_match":0.0}}'
}

@test "score-gen: a --regex without a group compares its whole match" {
	# "I pick B." -> B, right; "it is d" -> d, which is not C.
	printf '%s\n' '{"doc_id":1,"gold":"B","response":{"text":"I pick B."}}' \
		'{"doc_id":2,"gold":"C","response":{"text":"it is d"}}' > r.jsonl
	run --separate-stderr score-gen -m regex --regex '\b[A-Da-d]\b' --items i.jsonl r.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_output "{\"metric\":\"gen.regex_match\",\"value\":0.5,\"n\":2,\"stderr\":0.5,\"unit\":\"ratio\",\"labels\":{\"task\":\"gen\",\"subset\":\"all\"},$TS}"
	run cat i.jsonl
	assert_line --index 0 '{"task":"gen","doc_id":1,"subset":"all","pred":"B","gold":"B","correct":true,"score":1.0,"scores":{"regex_match":1.0}}'
	assert_line --index 1 '{"task":"gen","doc_id":2,"subset":"all","pred":"d","gold":"C","correct":false,"score":0.0,"scores":{"regex_match":0.0}}'
}

@test "score-gen: json validity with a fence and required keys" {
	# fmt/1 object with name: 1; fmt/2 fenced object with name: 1; fmt/3 not JSON: 0;
	# fmt/4 an array has no keys: 0. [1,1,0,0]: 0.5, stderr 0.28867513459481287.
	run --separate-stderr score-gen -m json --required-keys name "$F/json.jsonl"
	assert_success
	assert_output - <<-EOF
	{"metric":"fmt.json_valid","value":0.5,"n":4,"stderr":0.28867513459481287,"unit":"ratio","labels":{"task":"fmt","subset":"all"},$TS}
	{"metric":"fmt.output_tokens","value":5.0,"n":4,"stderr":0.0,"unit":"tokens","labels":{"task":"fmt","subset":"all"},$TS}
	EOF
	run --separate-stderr score-gen -m json "$F/json.jsonl"
	assert_output --partial '"value":0.75,'
}

@test "score-gen: G-Eval score/10, weighted by the score token's top logprobs as DeepEval weights it" {
	# case/1 {"score": 8, "reason"} -> 0.8, no logprobs; case/2 "Score: 6" and
	# case/4 have no JSON: unparsed; case/5 the judge call failed.
	# case/3: the last generated token "7" (str(7)), its decimal alternatives
	# at 1 % or more: "7" -0.5, "8" -1.2, "6" -2.0 ("seven" is no digit, "9"
	# -5.0 is under log(0.01)):
	# python3: p = [exp(-0.5), exp(-1.2), exp(-2.0)]; (7*p[0] + 8*p[1] + 6*p[2]) / sum(p) / 10
	#          = 0.7159011853633332.
	# [0.8, 0.7159011853633332]: mean 0.7579505926816666, stderr 0.04204940731833339.
	# pass_rate_all, DeepEval's, over all five cases [1, 1, 0, 0, 0]: 0.4,
	# stderr (lm-eval's: sample std / sqrt(n)) sqrt(1.2 / 4) / sqrt(5) = 0.24494897427831783.
	run --separate-stderr score-gen --judge geval --items items.jsonl "$F/geval.jsonl"
	assert_success
	assert_equal "$stderr" "score-gen: 2 of 5 judge replies could not be read"
	assert_output - <<-EOF
	{"metric":"judge.failed","value":1,"n":5,"unit":"count","labels":{"task":"judge","subset":"all"},$TS}
	{"metric":"judge.geval.unparsed","value":2,"n":4,"unit":"count","labels":{"task":"judge","subset":"all"},$TS}
	{"metric":"judge.geval.mean","value":0.7579505926816666,"n":2,"stderr":0.04204940731833339,"unit":"score","labels":{"task":"judge","subset":"all"},$TS}
	{"metric":"judge.geval.pass_rate","value":1.0,"n":2,"stderr":0.0,"unit":"ratio","labels":{"task":"judge","subset":"all"},$TS}
	{"metric":"judge.geval.pass_rate_all","value":0.4,"n":5,"stderr":0.24494897427831783,"unit":"ratio","labels":{"task":"judge","subset":"all"},$TS}
	EOF
	run cat items.jsonl
	assert_output - <<-'EOF'
	{"task":"judge","doc_id":"case/1","subset":"all","correct":true,"score":0.8}
	{"task":"judge","doc_id":"case/2","subset":"all","correct":false,"score":null,"error":"judge reply: no JSON object DeepEval can load"}
	{"task":"judge","doc_id":"case/3","subset":"all","correct":true,"score":0.7159011853633332}
	{"task":"judge","doc_id":"case/4","subset":"all","correct":false,"score":null,"error":"judge reply: no JSON object DeepEval can load"}
	{"task":"judge","doc_id":"case/5","subset":"all","correct":false,"score":null,"error":"the judge call failed"}
	EOF
}

@test "score-gen: faithfulness is the share of claims not contradicted; a trailing comma is mended, a \"Yes\" is not" {
	# case/1 yes, no, idk -> 2/3; case/2 (JSON inside prose) -> 1; case/3 no
	# claims -> 1; case/4 a trailing comma, which DeepEval removes -> 1;
	# case/5 "Yes" is no verdict of DeepEval's schema: unparsed.
	# python3: mean([2/3, 1.0, 1.0, 1.0]) 0.9166666666666666, stderr 0.08333333333333334;
	# 2/3 < 0.7 fails: pass [0,1,1,1] 0.75, stderr 0.25; over all five [0,1,1,1,0] 0.6.
	run --separate-stderr score-gen --judge faithfulness --pass-threshold 0.7 --items items.jsonl "$F/faithfulness.jsonl"
	assert_success
	assert_line --index 1 "{\"metric\":\"judge.faithfulness.mean\",\"value\":0.9166666666666666,\"n\":4,\"stderr\":0.08333333333333334,\"unit\":\"score\",\"labels\":{\"task\":\"judge\",\"subset\":\"all\"},$TS}"
	assert_line --index 2 "{\"metric\":\"judge.faithfulness.pass_rate\",\"value\":0.75,\"n\":4,\"stderr\":0.25,\"unit\":\"ratio\",\"labels\":{\"task\":\"judge\",\"subset\":\"all\"},$TS}"
	assert_line --index 3 --partial '"metric":"judge.faithfulness.pass_rate_all","value":0.6,"n":5,'
	run cat items.jsonl
	assert_line --index 3 '{"task":"judge","doc_id":"case/4","subset":"all","correct":true,"score":1.0}'
	assert_line --index 4 '{"task":"judge","doc_id":"case/5","subset":"all","correct":false,"score":null,"error":"judge reply: a verdict is not {\"verdict\": \"yes\"|\"no\"|\"idk\", \"reason\"?: TEXT}"}'
	# penalize_ambiguous_claims: case/1's idk counts against it, 1/3.
	run --separate-stderr score-gen --judge faithfulness --penalize-ambiguous -i items.jsonl "$F/faithfulness.jsonl"
	run head -1 items.jsonl
	assert_output '{"task":"judge","doc_id":"case/1","subset":"all","correct":false,"score":0.3333333333333333}'
}

@test "score-gen: hallucination is the share of contexts contradicted, each verdict with its reason; lower passes" {
	# case/1 1 of 2 -> 0.5; case/2 0 of 3 -> 0; case/3 1 of 1 -> 1; case/4 has
	# no reason and case/5 an "idk", neither of which the schema takes.
	# python3: mean 0.5, stderr 0.2886751345948129; pass (<= 0.5) [1,1,0]: 0.6666666666666666.
	run --separate-stderr score-gen --judge hallucination "$F/hallucination.jsonl"
	assert_success
	assert_equal "$stderr" "score-gen: 2 of 5 judge replies could not be read"
	assert_line --index 0 --partial '"metric":"judge.hallucination.unparsed","value":2,"n":5,'
	assert_line --index 1 "{\"metric\":\"judge.hallucination.mean\",\"value\":0.5,\"n\":3,\"stderr\":0.2886751345948129,\"unit\":\"score\",\"labels\":{\"task\":\"judge\",\"subset\":\"all\"},$TS}"
	assert_line --index 2 --partial '"metric":"judge.hallucination.pass_rate","value":0.6666666666666666,'
	# Strict: any contradiction scores 1, and only none passes: [1, 0, 1] pass [0, 1, 0].
	run --separate-stderr score-gen --judge hallucination --strict "$F/hallucination.jsonl"
	assert_line --index 1 --partial '"metric":"judge.hallucination.mean","value":0.6666666666666666,"n":3,'
	assert_line --index 2 --partial '"metric":"judge.hallucination.pass_rate","value":0.3333333333333333,"n":3,'
}

@test "score-gen: answer relevancy, and subsets with group rows" {
	printf '%s\n' '{"doc_id":1,"subset":"ko","response":{"text":"{\"verdicts\":[{\"verdict\":\"yes\"},{\"verdict\":\"no\"}]}"}}' \
		'{"doc_id":2,"subset":"en","response":{"text":"{\"verdicts\":[{\"verdict\":\"idk\"}]}"}}' \
		'{"doc_id":3,"subset":"en","response":{"text":"{\"verdicts\":[{\"verdict\":\"no\"}]}"}}' > r.jsonl
	# ko [0.5], en [1, 0]: en mean 0.5 stderr 0.5; all (0.5*2 + 0.5*1)/3 = 0.5, macro 0.5;
	# pooled stderr needs every subset's: ko has one item, so none.
	run --separate-stderr score-gen --judge answer_relevancy r.jsonl
	assert_success
	assert_line --index 1 --partial '"metric":"judge.answer_relevancy.mean","value":0.5,"n":2,"stderr":0.5,"unit":"score","labels":{"task":"judge","subset":"en"}'
	assert_line --index 2 --partial '"metric":"judge.answer_relevancy.mean","value":0.5,"n":1,"unit":"score","labels":{"task":"judge","subset":"ko"}'
	assert_line --index 3 --partial '"metric":"judge.answer_relevancy.mean","value":0.5,"n":3,"unit":"score","labels":{"task":"judge","subset":"all"}'
	assert_line --index 4 --partial '"metric":"judge.answer_relevancy.mean_macro","value":0.5,"n":3,"unit":"score",'
}

@test "score-gen: every judge reply scores as DeepEval 4.1.10 scores it (tests/deepeval-ref.py)" {
	skip_under_valgrind "eleven runs over the same code the judge tests above run under memcheck"
	# tests/deepeval-ref.py re-implements DeepEval's reading of a reply in
	# Python; each fixture line is one rule (its doc_id names it): the last
	# score token, the 1 % cut, "08" and "11", a JSON 7.0 or "7", Unicode
	# digits, the summation order, trailing commas, braces, the verdict
	# schema, strict mode, a rubric's range, penalized "idk" claims.
	# Score, pass and DeepEval's pass rate over all cases, line for line.
	check() {
		kind=$1 file=$2
		shift 2
		score-gen -q --judge "$kind" --items items.jsonl "$@" "$file" > rows.jsonl || return 1
		python3 "$VE_ROOT/tests/deepeval-ref.py" --judge "$kind" "$@" "$file" > ref.jsonl || return 1
		diff <(jq -c 'select(.doc_id) | [.doc_id, .score, .correct]' items.jsonl) \
			<(jq -c 'select(.doc_id) | [.doc_id, .score, .success]' ref.jsonl) || return 1
		diff <(jq -c 'select(.metric | endswith("pass_rate_all")) | .value' rows.jsonl) \
			<(jq -c 'select(.pass_rate_all) | .pass_rate_all' ref.jsonl)
	}
	G=$F/deepeval-geval.jsonl V=$F/deepeval-verdicts.jsonl
	run check geval "$G"
	assert_success
	run check geval "$G" --strict
	assert_success
	run check geval "$G" --score-range 1,5
	assert_success
	for k in answer_relevancy faithfulness hallucination; do
		run check "$k" "$V"
		assert_success
		run check "$k" "$V" --strict
		assert_success
	done
	run check faithfulness "$V" --penalize-ambiguous
	assert_success
	# The comparison can fail: geval/sum-order summed in any order but
	# DeepEval's is 0.7654521053511502, one bit off.
	check geval "$G"
	jq -c 'if .doc_id == "geval/sum-order" then .score = 0.7654521053511502 else . end' ref.jsonl > ref2.jsonl
	run diff <(jq -c 'select(.doc_id) | [.doc_id, .score, .correct]' items.jsonl) \
		<(jq -c 'select(.doc_id) | [.doc_id, .score, .success]' ref2.jsonl)
	assert_failure
	assert_output --partial '> ["geval/sum-order",0.7654521053511502,true]'
}

@test "score-gen: cases settled before the last call, and the judge options" {
	# judge_verdicts: [] (no statements, so DeepEval asks nothing): relevancy 1;
	# judge_error (an earlier call failed): unparsed, a failure in pass_rate_all.
	printf '%s\n' '{"doc_id":"a","judge_verdicts":[]}' '{"doc_id":"b","judge_error":"the statements reply: no JSON object DeepEval can load"}' \
		'{"doc_id":"c","response":{"text":null}}' > s.jsonl
	run --separate-stderr score-gen --judge answer_relevancy -i items.jsonl s.jsonl
	assert_success
	assert_line --index 1 --partial '"metric":"judge.answer_relevancy.mean","value":1.0,"n":1,'
	assert_line --index 3 --partial '"metric":"judge.answer_relevancy.pass_rate_all","value":0.3333333333333333,"n":3,'
	run cat items.jsonl
	assert_output - <<-'EOF'
	{"task":"judge","doc_id":"a","subset":"all","correct":true,"score":1.0}
	{"task":"judge","doc_id":"b","subset":"all","correct":false,"score":null,"error":"the statements reply: no JSON object DeepEval can load"}
	{"task":"judge","doc_id":"c","subset":"all","correct":false,"score":null,"error":"judge reply: no text"}
	EOF
	# Hallucination has no call to skip; G-Eval has a score, not verdicts.
	run --separate-stderr score-gen --judge geval -i items.jsonl s.jsonl
	run head -1 items.jsonl
	assert_output '{"task":"judge","doc_id":"a","subset":"all","correct":false,"score":null,"error":"judge_verdicts: G-Eval has a score, not verdicts"}'
	run --separate-stderr score-gen --judge geval --strict --pass-threshold 0.5
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --strict sets the pass mark (1, hallucination 0): not with --pass-threshold"
	run --separate-stderr score-gen --judge faithfulness --score-range 1,5
	assert_equal "${stderr%%$'\n'*}" "score-gen: --score-range is G-Eval's: --judge geval"
	run --separate-stderr score-gen --judge geval --score-range 5,1
	assert_equal "${stderr%%$'\n'*}" "score-gen: --score-range: expected whole numbers LO,HI with LO < HI, got '5,1'"
	run --separate-stderr score-gen --judge geval --penalize-ambiguous
	assert_equal "${stderr%%$'\n'*}" "score-gen: --penalize-ambiguous is faithfulness's: --judge faithfulness"
	run --separate-stderr score-gen -m f1 --strict
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --strict, --score-range and --penalize-ambiguous go with --judge"
}

@test "score-gen: the judge prompt templates render DeepEval's calls" {
	echo '{"id":"k1","input":"수도는?","actual_output":"서울","expected_output":"서울","context":["서울은 대한민국의 수도이다."],"retrieval_context":["서울은 수도이다."]}' > c.jsonl
	J=$VE_ROOT/share/judge
	for k in answer_relevancy_statements faithfulness_claims hallucination; do
		run --separate-stderr jq -c -L "$J" -f "$J/$k.jq" c.jsonl
		assert_success
		run jq -r '.messages | map(.role) | join(",")' <<< "$output"
		assert_output "user"
	done
	run jq -r '.messages[0].content' < <(jq -c -L "$J" -f "$J/hallucination.jq" c.jsonl)
	assert_output --partial "$(printf 'there MUST be EXACTLY 1 '"'"'verdicts'"'"'.')"
	assert_output --partial "$(printf 'Contexts:\n["서울은 대한민국의 수도이다."]\n\nActual Output:\n서울\n\nJSON:')"
	# The test case as G-Eval lays it out: "Name:\nvalue \n\n" per parameter,
	# the steps numbered, the parameters listed "A, B, and C".
	run jq -r '.messages[0].content' < <(jq -c -L "$J" -f "$J/geval.jq" --argjson steps '["Compare.", "Check."]' \
		--argjson params '["input","actual_output","expected_output"]' --argjson rubric null --argjson strict false c.jsonl)
	assert_output --partial "$(printf 'Evaluation Steps:\n1. Compare.\n2. Check.\n\nTest Case:\nInput:\n수도는? \n\nActual Output:\n서울 \n\nExpected Output:\n서울 \n\n\nParameters:\nInput, Actual Output, and Expected Output\n')"
	# A rubric's ranges, sorted, and its span as the score's.
	run jq -r '.messages[0].content' < <(jq -c -L "$J" -f "$J/geval.jq" --argjson steps '["Compare."]' --argjson params '["input","actual_output"]' \
		--argjson rubric '[{"score_range":[3,5],"expected_outcome":"right"},{"score_range":[1,2],"expected_outcome":"wrong"}]' --argjson strict false c.jsonl)
	assert_output --partial "$(printf 'an integer from 1 to 5, as the rubric gives it.')"
	assert_output --partial "$(printf 'Rubric:\n1-2: wrong\n3-5: right\n\nTest Case:\nInput:\n수도는? \n\nActual Output:\n서울 \n\n\nParameters:\nInput and Actual Output\n')"
	# A case without a parameter is settled: DeepEval refuses it.
	run jq -c -L "$J" -f "$J/geval.jq" --argjson steps '["x"]' --argjson params '["input","retrieval_context","expected_output"]' \
		--argjson rubric null --argjson strict true <(jq -c 'del(.retrieval_context)' c.jsonl)
	assert_output --partial '"judge_error":"the case has no retrieval_context"'
	# The second calls read the first's replies: none, a list, an unreadable one.
	printf '%s\n' '{"id":"a","input":"q","response":{"text":"{\"statements\": []}"}}' \
		'{"id":"b","input":"q","response":{"text":"{\"statements\": [\"s1\", \"s2\",]}"}}' \
		'{"id":"c","input":"q","error":"HTTP 500"}' '{"id":"d","input":"q","response":{"text":"{\"statements\": \"s\"}"}}' > st.jsonl
	run jq -c -L "$J" -f "$J/answer_relevancy.jq" st.jsonl
	assert_line --index 0 '{"id":"a","input":"q","judge_verdicts":[]}'
	assert_line --index 1 --partial 'Statements:\n[\"s1\",\"s2\"]\n\nJSON:'
	assert_line --index 2 '{"id":"c","input":"q","judge_error":"the statements call failed: HTTP 500"}'
	assert_line --index 3 '{"id":"d","input":"q","judge_error":"the statements reply: no \"statements\" list of strings"}'
	printf '%s\n' '{"id":"b","response":{"text":"{\"truths\": [\"t1\", \"t2\"]}"}}' > tr.jsonl
	printf '%s\n' '{"id":"b","response":{"text":"{\"claims\": [\"c1\"]}"}}' '{"id":"x","response":{"text":"{\"claims\": [\"c1\"]}"}}' > cl.jsonl
	run jq -c -L "$J" -f "$J/faithfulness.jq" --slurpfile truths tr.jsonl cl.jsonl
	assert_line --index 0 --partial 'Retrieval Contexts:\nt1\n\nt2\n\nClaims:\n[\"c1\"]\n\nJSON:'
	assert_line --index 1 '{"id":"x","judge_error":"the truths call failed: no reply"}'
}

@test "score-gen: record errors name the place" {
	printf '%s\n' '{"doc_id":1,"gold":"x","response":{"text":3}}' > r1.jsonl
	run --separate-stderr score-gen r1.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "score-gen: r1.jsonl:1: response.text: expected a string"
	printf '%s\n' '{"doc_id":1,"response":{"text":"a"}}' > r2.jsonl
	run --separate-stderr score-gen r2.jsonl
	assert_equal "$stderr" "score-gen: r2.jsonl:1: reference: expected a string or a number (see --reference)"
	printf '%s\n' '{"doc_id":1,"gold":"x1","response":{"text":"1"}}' > r3.jsonl
	run --separate-stderr score-gen -m numeric r3.jsonl
	assert_equal "$stderr" "score-gen: r3.jsonl:1: reference: expected an integer for --metric numeric"
	printf '%s\n' '{"doc_id":1,"gold":"x"}' > r4.jsonl
	run --separate-stderr score-gen r4.jsonl
	assert_equal "$stderr" "score-gen: r4.jsonl:1: response: missing (not llm-query output?)"
	run --separate-stderr score-gen --skip-bad r1.jsonl r4.jsonl
	assert_success
	assert_output ""
	assert_equal "$stderr" "score-gen: skipped 2 bad records (first: r1.jsonl:1: response.text: expected a string)"
}

@test "score-gen: --reference picks the reference; numbers are compared as text" {
	printf '%s\n' '{"doc_id":1,"truth":42,"response":{"text":"42"}}' > r.jsonl
	run --separate-stderr score-gen --reference .truth r.jsonl
	assert_success
	assert_output --partial '"metric":"gen.exact_match","value":1.0,'
}

@test "score-gen: malformed JSON, invalid UTF-8, empty input, no final newline" {
	{ head -n 1 "$F/qa.jsonl"; printf '{"a":\n'; } > bad.jsonl
	run --separate-stderr score-gen bad.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "score-gen: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 5"
	printf '{"t":"\xff"}\n' > u.jsonl
	run --separate-stderr score-gen u.jsonl
	assert_failure 65
	assert_equal "$stderr" "score-gen: u.jsonl:1: invalid UTF-8 at byte 7"
	run --separate-stderr score-gen < /dev/null
	assert_success
	assert_output ""
	head -c -1 "$F/qa.jsonl" > nonl.jsonl
	run --separate-stderr score-gen -m contains --ignore-case nonl.jsonl
	assert_line --index 0 --partial '"metric":"qa.contains","value":0.5,"n":4,'
}

@test "score-gen: an --items file that is also an input is refused, the input kept" {
	cp "$F/qa.jsonl" in.jsonl
	run --separate-stderr score-gen --items in.jsonl in.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "score-gen: --items: in.jsonl is also an input
Try 'score-gen --help' for more information."
	cmp in.jsonl "$F/qa.jsonl"
}

@test "score-gen: usage errors" {
	run --separate-stderr score-gen -m bogus
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --metric: unknown metric 'bogus' (exact_match, numeric, math, contains, regex, f1, rouge_l, json, code)"
	run --separate-stderr score-gen -m regex
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --metric regex needs --regex RE"
	run --separate-stderr score-gen --regex '(' -m regex
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --regex: missing closing parenthesis at offset 1 in '('"
	run --separate-stderr score-gen --judge geval -m f1
	assert_failure 64
	run --separate-stderr score-gen --judge nope
	assert_failure 64
	run --separate-stderr score-gen --pass-threshold 2
	assert_failure 64
	run --separate-stderr score-gen --required-keys a
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --required-keys is used by --metric json"
	run --separate-stderr score-gen -m f1 -m f1
	assert_failure 64
	run --separate-stderr score-gen --bogus
	assert_failure 64
	assert_equal "$stderr" "$(printf "score-gen: unrecognized option '--bogus'\nTry 'score-gen --help' for more information.")"
}

@test "score-gen: --help, --version, unreadable input 66, outputs it cannot create 73, a full disk 74" {
	run --separate-stderr score-gen --help
	assert_success
	assert_line --index 0 --partial "usage: score-gen [-qv] [-m METRIC]..."
	run --separate-stderr score-gen --version
	assert_output --regexp '^score-gen [0-9.]+ \(vllm-eval\)$'
	run --separate-stderr score-gen nosuch.jsonl
	assert_failure 66
	assert_equal "$stderr" "score-gen: nosuch.jsonl: No such file or directory"
	run --separate-stderr score-gen --items /nonexistent/dir/items.jsonl "$F/qa.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "score-gen: --items: /nonexistent/dir/items.jsonl: No such file or directory"
	run --separate-stderr score-gen --rejects /nonexistent/dir/r.jsonl "$F/qa.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "score-gen: --rejects: /nonexistent/dir/r.jsonl: No such file or directory"
	run --separate-stderr sh -c "score-gen '$F/qa.jsonl' > /dev/full"
	assert_failure 74
	assert_equal "$stderr" "score-gen: write error: No space left on device"
	run --separate-stderr score-gen --items /dev/full "$F/qa.jsonl"
	assert_failure 74
}

# Awkward GSM8K replies: commas and dollar signs, several matches, no match,
# "#### 1,234.", answers inside the thinking, an unclosed thinking.
gsm8k_replies() {
	cat <<-'EOF'
	{"doc_id":0,"gold":"3 + 4 = 7\n#### 1,234","response":{"text":"So the total is 1,234.\n#### 1,234.","finish_reason":"stop"}}
	{"doc_id":1,"gold":"#### 18","response":{"text":"She earns $18 a day, $126 a week. #### 18","finish_reason":"stop"}}
	{"doc_id":2,"gold":"#### 5","response":{"text":"I do not know.","finish_reason":"stop"}}
	{"doc_id":3,"gold":"#### 42","response":{"text":"<think>maybe 41? #### 41</think>\n\nThe answer is 42.\n#### 42","finish_reason":"stop"}}
	{"doc_id":4,"gold":"#### 7","response":{"text":"<think>I think #### 7 but let me check","finish_reason":"length"}}
	{"doc_id":5,"gold":"#### 10","response":{"text":"so -3 and $10.00","finish_reason":"stop"}}
	{"doc_id":6,"gold":"#### 10","response":{"text":"#### $10","finish_reason":"stop"}}
	{"doc_id":7,"gold":"#### 9","response":{"text":"first</think>then 8</think> 9 in the end, #### 9","finish_reason":"stop"}}
	{"doc_id":8,"gold":"#### 56","response":{"text":"The answer is 56. The final answer is 56","finish_reason":"stop"}}
	{"doc_id":9,"gold":"#### 2","response":{"text":"#### -2","finish_reason":"stop"}}
	EOF
}

# The scorer_args of a suites.json task, one a line.
scorer_args() {
	jq -r --arg t "$1" '.tasks[$t].scorer_args[]' "$VE_ROOT/share/suites.json"
}

# lm-eval's logic, reimplemented in python3 from reading (commit
# 4e7e0d47f33bc71070c1d38394bafbb52b117163; no code copied):
#   lm_eval/models/utils.py postprocess_generated_text: with think_end_token,
#     the text after the last one, lstrip()ped;
#   lm_eval/filters/extraction.py RegexFilter: re.findall, match[group_select],
#     a tuple reduced to its first non-empty group (else the fallback), strip();
#     no match: the fallback "[invalid]"; then take_first;
#   lm_eval/api/metrics.py exact_match_hf_evaluate: each of regexes_to_ignore
#     removed with re.sub from both, then lower() with ignore_case, then ==.
# and vllm-eval's rule for a thinking that never closed (score-gen(1)): no
# answer, every score 0, pred null. Prints [doc_id, truncated, preds, scores].
lm_eval_ref() {
	python3 - "$@" <<-'EOF'
	import json, re, sys
	filters = json.loads(sys.argv[1])  # [[name, regex, group_select], ...]
	ignore = [",", "\\$", "(?s).*#### ", "\\.$"]
	def norm(s):
	    for r in ignore:
	        s = re.sub(r, "", s)
	    return s.lower()
	def regex_filter(resp, regex, group_select, fallback="[invalid]"):
	    match = re.findall(regex, resp)
	    if not match:
	        return fallback
	    match = match[group_select]
	    if isinstance(match, tuple):
	        match = [m for m in match if m]
	        match = match[0] if match else fallback
	    return match.strip()
	for line in open(sys.argv[2], encoding="utf-8"):
	    rec = json.loads(line)
	    text = rec["response"]["text"]
	    opened = text.rfind("<think>")
	    truncated = opened > text.rfind("</think>")
	    if "</think>" in text:
	        text = text.split("</think>")[-1].lstrip()
	    preds, scores = {}, {}
	    for name, regex, gs in filters:
	        pred = None if truncated else regex_filter(text, regex, gs)
	        preds[name] = pred
	        scores["exact_match." + name] = 0.0 if truncated else float(norm(pred) == norm(rec["gold"]))
	    print(json.dumps([rec["doc_id"], truncated, preds, scores], separators=(",", ":")))
	EOF
}

@test "score-gen: GSM8K's strict-match and flexible-extract equal lm-eval's filters and exact_match" {
	gsm8k_replies > r.jsonl
	mapfile -t args < <(scorer_args gsm8k)
	run --separate-stderr score-gen -t gsm8k -i items.jsonl "${args[@]}" r.jsonl
	assert_success
	assert_equal "$stderr" ""
	# From lm_eval_ref's scores below: strict [1,1,0,1,0,0,0,1,0,0] 0.4,
	# flexible [1,1,0,1,0,0,1,1,1,0] 0.6; python3 stderr as the header's,
	# 0.16329931618554522 both.
	assert_output - <<-EOF
	{"metric":"gsm8k.truncated","value":1,"n":10,"unit":"count","labels":{"task":"gsm8k","subset":"all"},$TS}
	{"metric":"gsm8k.exact_match.strict_match","value":0.4,"n":10,"stderr":0.16329931618554522,"unit":"ratio","labels":{"task":"gsm8k","subset":"all"},$TS}
	{"metric":"gsm8k.exact_match.flexible_extract","value":0.6,"n":10,"stderr":0.16329931618554522,"unit":"ratio","labels":{"task":"gsm8k","subset":"all"},$TS}
	EOF
	# jq -c on both sides writes 1.0 and 1 alike.
	lm_eval_ref '[["strict_match","#### (\\-?[0-9\\.\\,]+)",0],["flexible_extract","(-?[$0-9.,]{2,})|(-?[0-9]+)",-1]]' r.jsonl | jq -c . > ref.out
	jq -c '[.doc_id, (.truncated // false), .preds, .scores]' items.jsonl > got.out
	run diff ref.out got.out
	assert_success
	assert_output ""
	# The awkward ones, as lm_eval_ref printed them: "#### 1,234." -> "1,234."
	# (its "." and "," ignored: equal); no match at all; the answer after the
	# thinking, not "#### 41" inside it; the thinking never closed; "$10.00"
	# the last of "-3" and "$10.00" ("10.00" once "$" goes: not "10");
	# "#### $10" no strict match, "$10" flexible; after the last of two
	# closing tags.
	run sed -n '1p;3p;4p;5p;6p;7p;8p' ref.out
	assert_output - <<-'EOF'
	[0,false,{"strict_match":"1,234.","flexible_extract":"1,234."},{"exact_match.strict_match":1,"exact_match.flexible_extract":1}]
	[2,false,{"strict_match":"[invalid]","flexible_extract":"[invalid]"},{"exact_match.strict_match":0,"exact_match.flexible_extract":0}]
	[3,false,{"strict_match":"42","flexible_extract":"42"},{"exact_match.strict_match":1,"exact_match.flexible_extract":1}]
	[4,true,{"strict_match":null,"flexible_extract":null},{"exact_match.strict_match":0,"exact_match.flexible_extract":0}]
	[5,false,{"strict_match":"[invalid]","flexible_extract":"$10.00"},{"exact_match.strict_match":0,"exact_match.flexible_extract":0}]
	[6,false,{"strict_match":"[invalid]","flexible_extract":"$10"},{"exact_match.strict_match":0,"exact_match.flexible_extract":1}]
	[7,false,{"strict_match":"9","flexible_extract":"9"},{"exact_match.strict_match":1,"exact_match.flexible_extract":1}]
	EOF
	run sed -n 5p items.jsonl
	assert_output '{"task":"gsm8k","doc_id":4,"subset":"all","pred":null,"gold":"#### 7","correct":false,"score":0.0,"truncated":true,"filter":"strict_match","exact_match":false,"preds":{"strict_match":null,"flexible_extract":null},"scores":{"exact_match.strict_match":0.0,"exact_match.flexible_extract":0.0}}'
	run sed -n 1p items.jsonl
	assert_output '{"task":"gsm8k","doc_id":0,"subset":"all","pred":"1,234.","gold":"3 + 4 = 7\n#### 1,234","correct":true,"score":1.0,"filter":"strict_match","exact_match":true,"preds":{"strict_match":"1,234.","flexible_extract":"1,234."},"scores":{"exact_match.strict_match":1.0,"exact_match.flexible_extract":1.0}}'
}

@test "score-gen: gsm8k_cot_llama's filters, a three-group match reduced to its first group" {
	gsm8k_replies > r.jsonl
	mapfile -t args < <(scorer_args gsm8k_cot_llama)
	run --separate-stderr score-gen -t gsm8k_cot_llama -i items.jsonl "${args[@]}" r.jsonl
	assert_success
	lm_eval_ref '[["strict_match","The final answer is ((-?[$0-9.,]{2,})|(-?[0-9]+))",-1],["flexible_extract","(-?[$0-9.,]{2,})|(-?[0-9]+)",-1]]' r.jsonl | jq -c . > ref.out
	jq -c '[.doc_id, (.truncated // false), .preds, .scores]' items.jsonl > got.out
	run diff ref.out got.out
	assert_success
	# doc 8: "The final answer is 56" -> ("56", "56", "") -> "56".
	run sed -n 9p got.out
	assert_output '[8,false,{"strict_match":"56","flexible_extract":"56"},{"exact_match.strict_match":1,"exact_match.flexible_extract":1}]'
}

@test "score-gen: a filter's matches are Python's findall's, empty ones too" {
	# python3: re.findall(r"\d*", "a12b") == ["", "12", "", ""]; index 1 is
	# "12", index 2 "", -1 "" and 4 past the end (lm-eval: IndexError; here
	# the fallback). One group: its text, "" where it did not take part.
	printf '%s\n' '{"doc_id":1,"gold":"12","response":{"text":"a12b"}}' > r.jsonl
	run --separate-stderr score-gen -i items.jsonl --filter 'a=\d*' --group-select 1 \
		--filter 'b=\d*' --group-select 2 --filter 'c=\d*' --group-select -1 \
		--filter 'd=\d*' --group-select 4 --fallback none --filter 'e=x|(b)' r.jsonl
	assert_success
	run jq -c .preds items.jsonl
	assert_output '{"a":"12","b":"","c":"","d":"none","e":"b"}'
	printf '%s\n' '{"doc_id":1,"gold":"12","response":{"text":"x a"}}' > r.jsonl
	run --separate-stderr score-gen -i items.jsonl --filter 'e=x|(b)' --filter 'f=(x)|(y)' --fallback F r.jsonl
	run jq -c .preds items.jsonl
	# python3: re.findall("x|(b)", "x a") == [""]; re.findall("(x)|(y)", "x a") == [("x", "")].
	assert_output '{"e":"","f":"x"}'
}

@test "score-gen: thinking: --think-tags, none, --think-in-prompt, and the server's reasoning" {
	printf '%s\n' '{"doc_id":1,"gold":"42","response":{"text":"<think>41</think>\n 42"}}' \
		'{"doc_id":2,"gold":"42","response":{"text":"41 hmm.</think>42"}}' \
		'{"doc_id":3,"gold":"42","response":{"text":"42"}}' \
		'{"doc_id":4,"gold":"42","response":{"text":"[T]41[/T]42"}}' > r.jsonl
	# Default tags: 1 "42" (lstripped after the tag), 2 "42" (DeepSeek-R1's
	# reply carries only the closing tag), 3 no tags: all answer, 4 other tags.
	run --separate-stderr score-gen -i items.jsonl r.jsonl
	assert_output --partial '"metric":"gen.exact_match","value":0.75,"n":4,'
	run jq -c '[.pred, .truncated]' items.jsonl
	assert_output "$(printf '%s\n' '["42",null]' '["42",null]' '["42",null]' '["[T]41[/T]42",null]')"
	# --think-in-prompt: no closing tag is a thinking that never closed.
	run --separate-stderr score-gen -i items.jsonl --think-in-prompt r.jsonl
	assert_line --index 0 --partial '"metric":"gen.truncated","value":2,"n":4,'
	assert_line --index 1 --partial '"metric":"gen.exact_match","value":0.5,"n":4,'
	run jq -c '[.pred, .truncated]' items.jsonl
	assert_output "$(printf '%s\n' '["42",null]' '["42",null]' '[null,true]' '[null,true]')"
	run --separate-stderr score-gen -i items.jsonl --think-tags '[T],[/T]' r.jsonl
	run jq -c .pred items.jsonl
	assert_output "$(printf '%s\n' '"<think>41</think>\n 42"' '"41 hmm.</think>42"' '"42"' '"42"')"
	run --separate-stderr score-gen -i items.jsonl --think-tags none r.jsonl
	assert_output --partial '"metric":"gen.exact_match","value":0.25,"n":4,'
	# The server split the thinking (response.reasoning): the text is the
	# answer, tags or not; an empty text cut at the length limit is truncated.
	printf '%s\n' '{"doc_id":1,"gold":"42","response":{"text":"42","reasoning":"maybe 41","finish_reason":"stop"}}' \
		'{"doc_id":2,"gold":"42","response":{"text":"","reasoning":"42? 41?","finish_reason":"length"}}' \
		'{"doc_id":3,"gold":"","response":{"text":"","reasoning":"done","finish_reason":"stop"}}' > s.jsonl
	run --separate-stderr score-gen -i items.jsonl --think-in-prompt -m numeric -m exact_match s.jsonl
	assert_failure 65
	assert_equal "$stderr" "score-gen: s.jsonl:3: reference: expected an integer for --metric numeric"
	run --separate-stderr score-gen -i items.jsonl --think-in-prompt s.jsonl
	assert_success
	assert_line --index 0 --partial '"metric":"gen.truncated","value":1,"n":3,'
	assert_line --index 1 --partial '"metric":"gen.exact_match","value":0.6666666666666666,"n":3,'
	run jq -c '[.pred, .score, .truncated]' items.jsonl
	assert_output "$(printf '%s\n' '["42",1,null]' '[null,0,true]' '["",1,null]')"
}

@test "score-gen: a truncated reply never scores a number from inside its thinking" {
	# numeric would find 7 (right) inside the thinking: it scores 0, counted.
	printf '%s\n' '{"doc_id":1,"gold":"7","response":{"text":"<think>so \\boxed{7}, or","finish_reason":"length"}}' \
		'{"doc_id":2,"gold":"7","response":{"text":"<think>6?</think>\\boxed{7}","finish_reason":"stop"}}' > r.jsonl
	run --separate-stderr score-gen -m numeric -m contains --pass-threshold 1 -i items.jsonl r.jsonl
	assert_success
	assert_output - <<-EOF
	{"metric":"gen.truncated","value":1,"n":2,"unit":"count","labels":{"task":"gen","subset":"all"},$TS}
	{"metric":"gen.numeric_match","value":0.5,"n":2,"stderr":0.5,"unit":"ratio","labels":{"task":"gen","subset":"all"},$TS}
	{"metric":"gen.pass_rate","value":0.5,"n":2,"stderr":0.5,"unit":"ratio","labels":{"task":"gen","subset":"all"},$TS}
	{"metric":"gen.contains","value":0.5,"n":2,"stderr":0.5,"unit":"ratio","labels":{"task":"gen","subset":"all"},$TS}
	EOF
	run sed -n 1p items.jsonl
	assert_output '{"task":"gen","doc_id":1,"subset":"all","pred":null,"gold":"7","correct":false,"score":0.0,"truncated":true,"scores":{"numeric_match":0.0,"contains":0.0}}'
}

@test "score-gen: usage errors of --filter, --group-select, --fallback and the thinking's options" {
	run --separate-stderr score-gen --group-select 1
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --group-select applies to the --filter before it"
	run --separate-stderr score-gen --fallback x
	assert_equal "${stderr%%$'\n'*}" "score-gen: --fallback applies to the --filter before it"
	run --separate-stderr score-gen --filter 'strict-match=x'
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --filter: expected NAME=RE, NAME of letters, digits and '_', got 'strict-match=x'"
	run --separate-stderr score-gen --filter 'a=x' --filter 'a=y'
	assert_equal "${stderr%%$'\n'*}" "score-gen: --filter: 'a' given twice"
	run --separate-stderr score-gen --filter 'a=('
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-gen: --filter: missing closing parenthesis at offset 1 in '('"
	run --separate-stderr score-gen --filter 'a=x' --group-select z
	assert_failure 64
	run --separate-stderr score-gen --think-tags '<think>'
	assert_equal "${stderr%%$'\n'*}" "score-gen: --think-tags: expected OPEN,CLOSE or none, got '<think>'"
	run --separate-stderr score-gen --think-tags none --think-in-prompt
	assert_equal "${stderr%%$'\n'*}" "score-gen: --think-in-prompt needs the thinking's tags (not --think-tags none)"
	run --separate-stderr score-gen --judge geval --filter 'a=x'
	assert_equal "${stderr%%$'\n'*}" "score-gen: --judge scores judge replies: not with --filter or --think-in-prompt"
}

@test "score-gen: math extracts and compares as Evalchemy does (tests/mathans-ref.py agrees)" {
	# Each [pred, correct] equals that of tests/mathans-ref.py, the upstream
	# steps rewritten in Python: \frac12 = 1/2 = 0.5 = .5 but not 0.50; "\boxed 5"
	# reads to the next "$"; \fbox{3} and an unclosed box have no answer; the
	# last box counts; 042 is not 42; \left/\right, ^\circ, "x =", units and
	# \$ go; two "\text{ " and "01/2" make the Python raise, so the texts
	# compare as they are. 19 of 27 right: python3 mean 0.7037037037037037,
	# stderr 0.08955118886325761: lm-eval's formulas above with math.fsum for
	# sum (python3.12's sum() gives it too, and so does fractions' exact
	# figure); python3.11's sum in the items' order gives ...576, a last digit
	# of the order.
	run --separate-stderr score-gen -m math -i items.jsonl "$F/math.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<-EOF
	{"metric":"math500.accuracy","value":0.7037037037037037,"n":27,"stderr":0.08955118886325761,"unit":"ratio","labels":{"task":"math500","subset":"all"},$TS}
	{"metric":"math500.no_answer","value":3,"n":27,"unit":"count","labels":{"task":"math500","subset":"all"},$TS}
	EOF
	jq -c '[.pred, .correct]' items.jsonl > c.out
	jq -c '{text: .response.text, gold}' "$F/math.jsonl" | python3 "$BATS_TEST_DIRNAME/mathans-ref.py" answer > py.out
	run diff py.out c.out
	assert_success
	assert_output ""
	run sed -n '11p;8p' items.jsonl
	assert_output - <<-'EOF'
	{"task":"math500","doc_id":"math500/8","subset":"all","pred":"","gold":"3","correct":false,"score":0.0,"scores":{"accuracy":0.0}}
	{"task":"math500","doc_id":"math500/11","subset":"all","pred":"042","gold":"42","correct":false,"score":0.0,"scores":{"accuracy":0.0}}
	EOF
}

@test "score-gen: samples of a doc_id give avg@n over documents, pass@k and Evalchemy's accuracy_avg" {
	# aime24/1 right [1,0,1,0] (073 is not 73), aime24/2 [1,0,0,0], aime24/3
	# [1,1] (its third sample failed). python3: accuracy = mean(0.5, 0.25, 1.0)
	# 0.5833333333333334, stderr over documents 0.22047927592204924 (math.fsum,
	# python3.12's sum and fractions agree; python3.11's sum gives ...922 in
	# this order, ...924 reversed); pass@1 is
	# the same; pass@2 = 1 - C(n-c,2)/C(n,2) = 5/6, 1/2, 1: mean 0.7777777777777778
	# exactly (the product form's doubles give ...777, 1e-16 off), stderr
	# 0.14698618394803284; pass@4: 1, 1, aime24/3 left out. Repeats (sample
	# index) right 3/3, 1/3, 1/2, 0/2: accuracy_avg 0.4583333333333333 and
	# Evalchemy's np.std(ddof 0)/sqrt(4) 0.18042195912175807.
	run --separate-stderr score-gen -m math --pass-k 1,2,4 -i items.jsonl "$F/aime-samples.jsonl"
	assert_success
	assert_equal "$stderr" "score-gen: pass_at_4: 1 documents with fewer than 4 samples left out"
	assert_output - <<-EOF
	{"metric":"aime24.failed","value":1,"n":11,"unit":"count","labels":{"task":"aime24","subset":"all"},$TS}
	{"metric":"aime24.no_answer","value":1,"n":10,"unit":"count","labels":{"task":"aime24","subset":"all"},$TS}
	{"metric":"aime24.accuracy","value":0.5833333333333334,"n":3,"stderr":0.22047927592204924,"unit":"ratio","labels":{"task":"aime24","subset":"all"},$TS}
	{"metric":"aime24.pass_at_1","value":0.5833333333333334,"n":3,"stderr":0.22047927592204924,"unit":"ratio","labels":{"task":"aime24","subset":"all"},$TS}
	{"metric":"aime24.pass_at_2","value":0.7777777777777777,"n":3,"stderr":0.14698618394803284,"unit":"ratio","labels":{"task":"aime24","subset":"all"},$TS}
	{"metric":"aime24.pass_at_4","value":1.0,"n":2,"stderr":0.0,"unit":"ratio","labels":{"task":"aime24","subset":"all"},$TS}
	{"metric":"aime24.accuracy_avg","value":0.4583333333333333,"n":4,"stderr":0.18042195912175807,"unit":"ratio","labels":{"task":"aime24","subset":"all"},$TS}
	EOF
	run sed -n 2p items.jsonl
	assert_output '{"task":"aime24","doc_id":"aime24/1","subset":"all","sample":1,"pred":"073","gold":"73","correct":false,"score":0.0,"scores":{"accuracy":0.0}}'
	run -0 jq -s length items.jsonl
	assert_output 10
}

@test "score-gen: pass@k equals the exact 1 - C(n-c,k)/C(n,k) to 1e-14 for n up to 64" {
	# The exact value from python3's fractions and math.comb (tests/mathans-ref.py passk).
	# Under valgrind two cases: the plain and ASan tiers run them all.
	cases='64,1,1 64,10,8 64,32,16 64,60,1 64,0,5 50,3,40 64,63,64 17,5,12'
	[ "$VE_TIER" = valgrind ] && cases='64,10,8 64,63,64'
	for nck in $cases; do
		IFS=, read -r n c k <<< "$nck"
		jq -nc --argjson n "$n" --argjson c "$c" 'range($n) |
			{task: "p", doc_id: "d", sample: ., gold: "1", response: {text: (if . < $c then "\\boxed{1}" else "\\boxed{2}" end)}}' > in.jsonl
		got=$(score-gen -m math --pass-k "$k" in.jsonl | jq -r "select(.metric == \"p.pass_at_$k\") | .value")
		want=$(python3 "$BATS_TEST_DIRNAME/mathans-ref.py" passk "$n" "$c" "$k")
		run -0 python3 -c 'import sys; g, w = map(float, sys.argv[1:]); print(abs(g - w) <= 1e-14)' "$got" "$want"
		assert_output True
	done
}

@test "score-gen: --pass-k takes k from 1 to 256, once each, and not with --judge" {
	run --separate-stderr score-gen --pass-k 0
	assert_failure 64
	assert_equal "$stderr" "score-gen: --pass-k: '0' is not a whole number from 1 to 256
Try 'score-gen --help' for more information."
	run --separate-stderr score-gen --pass-k 2,2
	assert_failure 64
	assert_equal "$stderr" "score-gen: --pass-k: 2 given twice
Try 'score-gen --help' for more information."
	run --separate-stderr score-gen --pass-k 1,
	assert_failure 64
	assert_equal "$stderr" "score-gen: --pass-k: expected a comma-separated list of k, got '1,'
Try 'score-gen --help' for more information."
	run --separate-stderr score-gen --judge geval --pass-k 2
	assert_failure 64
	assert_equal "$stderr" "score-gen: --judge scores judge replies: not with --metric, --reference, --regex or --pass-k
Try 'score-gen --help' for more information."
}

@test "score-gen: output_tokens is the mean of usage.completion_tokens, thinking included" {
	# Four replies of 120, 30, 2048 and 7 completion tokens (the first two
	# think; the third ran out of tokens inside its thinking: truncated, yet
	# its tokens were spent), a reply without usage (not counted) and a failed
	# request. python3: mean([120, 30, 2048, 7]) = 551.25,
	# stderr as the header's = 499.51199101389614.
	cat > r.jsonl <<-'EOF'
	{"doc_id":1,"gold":"4","response":{"text":"<think>2+2</think>4","usage":{"prompt_tokens":9,"completion_tokens":120}}}
	{"doc_id":2,"gold":"4","response":{"text":"4","reasoning":"2+2 is 4","usage":{"completion_tokens":30}}}
	{"doc_id":3,"gold":"4","response":{"text":"<think>2+2 is 5? no","finish_reason":"length","usage":{"completion_tokens":2048}}}
	{"doc_id":4,"gold":"4","response":{"text":"5","usage":{"completion_tokens":7}}}
	{"doc_id":5,"gold":"4","response":{"text":"4"}}
	{"doc_id":6,"gold":"4","error":{"kind":"timeout","message":"no answer","attempts":4}}
	EOF
	run --separate-stderr score-gen -t t r.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<-EOF
	{"metric":"t.failed","value":1,"n":6,"unit":"count","labels":{"task":"t","subset":"all"},$TS}
	{"metric":"t.truncated","value":1,"n":5,"unit":"count","labels":{"task":"t","subset":"all"},$TS}
	{"metric":"t.exact_match","value":0.6,"n":5,"stderr":0.24494897427831783,"unit":"ratio","labels":{"task":"t","subset":"all"},$TS}
	{"metric":"t.output_tokens","value":551.25,"n":4,"stderr":499.51199101389614,"unit":"tokens","labels":{"task":"t","subset":"all"},$TS}
	EOF
	# a whole number is written as Python's repr writes it: 50.0, not 5e+01
	printf '%s\n' '{"doc_id":1,"gold":"4","response":{"text":"4","usage":{"completion_tokens":50}}}' \
		'{"doc_id":2,"gold":"4","response":{"text":"4","usage":{"completion_tokens":50}}}' > r.jsonl
	run --separate-stderr score-gen -t t r.jsonl
	assert_line --index 1 "{\"metric\":\"t.output_tokens\",\"value\":50.0,\"n\":2,\"stderr\":0.0,\"unit\":\"tokens\",\"labels\":{\"task\":\"t\",\"subset\":\"all\"},$TS}"
}

@test "score-gen: a sample that is no whole number, without a doc_id, or sent twice is a bad record" {
	while IFS='|' read -r rec msg; do
		printf '%s\n' "$rec" > s.jsonl
		run --separate-stderr score-gen -m math s.jsonl
		assert_failure 65
		assert_output ""
		assert_equal "$stderr" "score-gen: s.jsonl:1: $msg"
	done <<-'EOF2'
	{"doc_id":"a","sample":"0","gold":"1","response":{"text":"1"}}|sample: expected a whole number from 0
	{"doc_id":"a","sample":-1,"gold":"1","response":{"text":"1"}}|sample: expected a whole number from 0
	{"doc_id":"a","sample":0.5,"gold":"1","response":{"text":"1"}}|sample: expected a whole number from 0
	{"sample":0,"gold":"1","response":{"text":"1"}}|sample: a document's samples need its doc_id
	EOF2
	# the same sample twice would count twice: with --skip-bad, the second goes
	printf '%s\n' '{"doc_id":"a","sample":0,"gold":"1","response":{"text":"\\boxed{1}"}}' \
		'{"doc_id":"a","sample":1,"gold":"1","response":{"text":"1"}}' \
		'{"doc_id":"a","sample":0,"gold":"1","response":{"text":"\\boxed{1}"}}' > d.jsonl
	run --separate-stderr score-gen -m math d.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "score-gen: d.jsonl:3: sample: this sample of the doc_id was scored already"
	run --separate-stderr score-gen -m math --skip-bad d.jsonl
	assert_success
	assert_line --index 1 --partial '"metric":"gen.accuracy","value":0.5,"n":1,'
	assert_equal "$stderr" "score-gen: skipped 1 bad record (first: d.jsonl:3: sample: this sample of the doc_id was scored already)"
}

@test "score-gen: -m code reads code-run's verdict; pass@k over a problem's samples, by difficulty" {
	# Three problems of four samples, 4, 1 and 0 of them passing code-run's
	# tests. python3: solved per problem [1, 0.25, 0]: all 0.4166666666666667;
	# easy [1, 0.25]: 0.625, stderr (sample std / sqrt(2)) 0.37499999999999994;
	# pass@2 (1 - C(n-c, 2)/C(n, 2)): [1, 0.5, 0], all 0.5, easy 0.75, stderr 0.25;
	# accuracy_avg, the share solved of each sample index [2/3, 1/3, 1/3, 1/3]:
	# mean 0.41666666666666663, population std / sqrt(4) 0.07216878364870323.
	python3 -c 'import json
for d, (k, sub) in {"p1": (4, "easy"), "p2": (1, "easy"), "p3": (0, "hard")}.items():
    for s in range(4):
        print(json.dumps({"doc_id": d, "sample": s, "subset": sub, "response": {"text": "x"},
                          "code_run": {"passed": s < k}}))' > code.jsonl
	run --separate-stderr score-gen -m code --pass-k 2 -t lcb code.jsonl
	assert_success
	assert_equal "$stderr" ""
	run jq -c '[.metric, .labels.subset, .value, .n, .stderr]' <<< "$output"
	assert_output - <<-'EOF'
	["lcb.accuracy","easy",0.625,2,0.37499999999999994]
	["lcb.accuracy","hard",0,1,null]
	["lcb.accuracy","all",0.4166666666666667,3,null]
	["lcb.accuracy_macro","all",0.3125,3,null]
	["lcb.pass_at_2","easy",0.75,2,0.25]
	["lcb.pass_at_2","hard",0,1,null]
	["lcb.pass_at_2","all",0.5,3,null]
	["lcb.pass_at_2_macro","all",0.375,3,null]
	["lcb.accuracy_avg","all",0.41666666666666663,4,0.07216878364870323]
	EOF
	# No verdict: code-run did not run on it.
	printf '%s\n' '{"doc_id":"p","response":{"text":"x"}}' '{"doc_id":"q","response":{"text":"x"},"code_run":{"passed":"yes"}}' > bad.jsonl
	run --separate-stderr score-gen -m code bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "score-gen: bad.jsonl:1: code_run: missing (run code-run first)"
	run --separate-stderr score-gen -m code --skip-bad bad.jsonl
	assert_equal "$stderr" "score-gen: skipped 2 bad records (first: bad.jsonl:1: code_run: missing (run code-run first))"
}


# score-gen ARGS... on order0..4.jsonl: status 0, and the same stdout (byte
# for byte) and stderr in every order; $output and $stderr are order0's.
same_in_every_order() {
	run --separate-stderr score-gen "$@" order0.jsonl
	assert_success
	local want=$output want_err=$stderr
	for i in 1 2 3 4; do
		run --separate-stderr score-gen "$@" order$i.jsonl
		assert_success
		assert_equal "$stderr" "$want_err"
		assert_equal "$output" "$want"
	done
	output=$want stderr=$want_err
}

@test "score-gen: the rows are the same bytes for any order of the records" {
	# gsm8k-order.jsonl: 240 answers (8 failed) with random completion_tokens
	# (made once by random.Random(7)); squad-order.jsonl: 160 documents in 3
	# subsets, every fourth with 3 samples. Summed in reading order, the
	# standard error of gsm8k.output_tokens was 13.434379048438505 as the file
	# is and ...506 reversed; its exact figure, python3's math.fsum in
	# lm-eval's formulas (and fractions alike), is 13.434379048438506, and
	# numeric_match's 0.030076297550593017 (python3.11's sum in file order:
	# ...592983).
	orders "$F/gsm8k-order.jsonl"
	same_in_every_order -m numeric
	assert_equal "$stderr" ""
	assert_line --index 1 '{"metric":"gsm8k.numeric_match","value":0.7025862068965517,"n":232,"stderr":0.030076297550593017,"unit":"ratio","labels":{"task":"gsm8k","subset":"all"},'"$TS}"
	assert_line --index 2 '{"metric":"gsm8k.output_tokens","value":358.14224137931035,"n":232,"stderr":13.434379048438506,"unit":"tokens","labels":{"task":"gsm8k","subset":"all"},'"$TS}"
	orders "$F/squad-order.jsonl"
	same_in_every_order -m f1 -m rouge_l --pass-k 1 --pass-threshold 0.3
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 25
	# Two tasks in one input, each first in some order: tasks by name, and a
	# task's rows in one order whether its first record has samples or not
	# (squad has both: the metrics its samples are averaged into come after
	# output_tokens).
	cat "$F/squad-order.jsonl" "$F/gsm8k-order.jsonl" >both.jsonl
	orders both.jsonl
	same_in_every_order -m exact_match -m f1
	assert_equal "$stderr" ""
	assert_line --index 0 --partial '"metric":"gsm8k.failed",'
	assert_line --index 4 --partial '"metric":"squad.output_tokens","value":50.15853658536585,"n":82,'
	assert_line --index 9 --partial '"metric":"squad.exact_match","value":0.0,"n":54,'
	# Judge replies: G-Eval's weighted scores, and the replies it cannot read.
	orders "$F/deepeval-geval.jsonl"
	same_in_every_order --judge geval
	assert_equal "$stderr" "score-gen: 20 of 78 judge replies could not be read"
}
