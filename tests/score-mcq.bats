#!/usr/bin/env bats
# score-mcq: lm-eval's multiple-choice figures from llm-query output.
#
# Expected figures were computed outside score-mcq with python3 and the
# formulas of lm_eval/api/metrics.py, written out here:
#   mean(a)   = sum(a) / len(a)
#   stderr(a) = math.sqrt(sum([(x - mean(a))**2 for x in a]) / (len(a) - 1)) / math.sqrt(len(a))
#   pooled    = math.sqrt(sum([(n - 1) * se**2 * n for n, se in zip(sizes, ses)])
#                         / (sum(sizes) - len(sizes)) / sum(sizes))
# and printed with repr(). The per-question outcomes are worked by hand in
# each test from the loglikelihoods in the fixture.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	export SOURCE_DATE_EPOCH=1763805067
	unset RUN_ID MODEL_TAG
}

F="$FIX/score-mcq"
TS='"ts":"2025-11-22T09:51:07Z"'

@test "score-mcq: acc, acc_norm (code points), acc_bytes and exact_match as lm-eval" {
	# q1 gold 1: " a cat" -2.0, " an elephant" -2.4: acc picks 0; per code point
	#    -2.0/5 = -0.4 < -2.4/11 = -0.218 so acc_norm picks 1; greedy[1] false.
	# q2 gold 0 (Korean): "사과 pie" -3.0 (6 code points, 10 bytes), "banana" -2.7 (6, 6):
	#    acc and acc_norm pick 1 (-0.5 < -0.45), acc_bytes picks 0 (-0.3 > -0.45); greedy[0] true.
	# q3 gold 0: a tie at -1.0: the first maximum, 0; " yes"/3 > " no"/2; greedy[0] true.
	# acc [0,0,1], acc_norm [1,0,1], acc_bytes [1,1,1], exact_match [0,1,1]:
	# python3: mean([0,0,1.0]) = 0.3333333333333333, stderr = 0.33333333333333337
	run --separate-stderr score-mcq "$F/ll.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<-EOF
	{"metric":"toy.acc","value":0.3333333333333333,"n":3,"stderr":0.33333333333333337,"unit":"ratio","labels":{"task":"toy","subset":"all"},$TS}
	{"metric":"toy.acc_norm","value":0.6666666666666666,"n":3,"stderr":0.33333333333333337,"unit":"ratio","labels":{"task":"toy","subset":"all"},$TS}
	{"metric":"toy.acc_bytes","value":1.0,"n":3,"stderr":0.0,"unit":"ratio","labels":{"task":"toy","subset":"all"},$TS}
	{"metric":"toy.exact_match","value":0.6666666666666666,"n":3,"stderr":0.33333333333333337,"unit":"ratio","labels":{"task":"toy","subset":"all"},$TS}
	EOF
}

@test "score-mcq: --items writes one item row per question" {
	run --separate-stderr score-mcq --items items.jsonl "$F/ll.jsonl"
	assert_success
	run cat items.jsonl
	assert_output - <<-'EOF'
	{"task":"toy","doc_id":"toy/q1","subset":"all","pred":0,"gold":1,"correct":false,"score":0.0,"pred_norm":1,"correct_norm":true,"exact_match":false}
	{"task":"toy","doc_id":"toy/q2","subset":"all","pred":1,"gold":0,"correct":false,"score":0.0,"pred_norm":1,"correct_norm":false,"exact_match":true}
	{"task":"toy","doc_id":"toy/q3","subset":"all","pred":0,"gold":0,"correct":true,"score":1.0,"pred_norm":0,"correct_norm":true,"exact_match":true}
	EOF
}

@test "score-mcq: records of a question may come in any order" {
	tac "$F/ll.jsonl" > rev.jsonl
	run --separate-stderr score-mcq rev.jsonl
	assert_success
	assert_line --index 0 --partial '"metric":"toy.acc","value":0.3333333333333333,'
	assert_line --index 2 --partial '"metric":"toy.acc_bytes","value":1.0,'
}

@test "score-mcq: subsets, the size-weighted group with pooled stderr, and the macro mean" {
	# By hand: alg outcomes [1,1,1,0] (doc 3's best is C, gold B), bio [1,0,0].
	# python3: mean(alg) 0.75, stderr 0.25; mean(bio) 0.3333333333333333, stderr 0.33333333333333337;
	# micro (0.75*4 + 0.333..*3)/7 = 0.5714285714285714; macro (0.75 + 0.333..)/2 = 0.5416666666666666;
	# pooled(ses=[0.25, 0.33333333333333337], sizes=[4, 3]) = 0.20118695404073914.
	run --separate-stderr score-mcq "$F/mmlu.jsonl"
	assert_success
	assert_line --index 0 "{\"metric\":\"mmlu.acc\",\"value\":0.75,\"n\":4,\"stderr\":0.25,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"alg\"},$TS}"
	assert_line --index 1 "{\"metric\":\"mmlu.acc\",\"value\":0.3333333333333333,\"n\":3,\"stderr\":0.33333333333333337,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"bio\"},$TS}"
	assert_line --index 2 "{\"metric\":\"mmlu.acc\",\"value\":0.5714285714285714,\"n\":7,\"stderr\":0.20118695404073914,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"all\"},$TS}"
	assert_line --index 3 "{\"metric\":\"mmlu.acc_macro\",\"value\":0.5416666666666666,\"n\":7,\"stderr\":0.20118695404073914,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"all\"},$TS}"
	assert_equal "${#lines[@]}" 16
}

@test "score-mcq: records with groups aggregate in two levels, as lm-eval's MMLU" {
	# alg [1,1,1,0] and bio [1,0,0] in stem; law [1,0] in humanities (law/1's best is A, gold D).
	# python3, lm-eval's aggregation bottom-up (agg = sum(m*n)/sum(n), pooled as above):
	#   stem = agg([0.75, 1/3], [4, 3]) = 0.5714285714285714, pooled([0.25, 0.33333333333333337], [4, 3]) = 0.20118695404073914
	#   humanities = 0.5, pooled([0.5], [2]) = 0.5
	#   all = agg([0.5, 0.5714285714285714], [2, 7]) = 0.5555555555555556,
	#         pooled([0.5, 0.20118695404073914], [2, 7]) = 0.1868706368604627
	#   (pooling the three subjects at once would give 0.188398055086813: the levels matter)
	# A group's row says "level":"group" (reg-check gates on it); its items name the group.
	#   macro = (0.75 + 1/3 + 0.5) / 3 = 0.5277777777777778
	run --separate-stderr score-mcq "$F/mmlu-groups.jsonl"
	assert_success
	assert_line --index 2 --partial '"value":0.5,"n":2,"stderr":0.5,"unit":"ratio","labels":{"task":"mmlu","subset":"law"}'
	assert_line --index 3 "{\"metric\":\"mmlu.acc\",\"value\":0.5,\"n\":2,\"stderr\":0.5,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"humanities\"},\"level\":\"group\",$TS}"
	assert_line --index 4 "{\"metric\":\"mmlu.acc\",\"value\":0.5714285714285714,\"n\":7,\"stderr\":0.20118695404073914,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"stem\"},\"level\":\"group\",$TS}"
	assert_line --index 5 "{\"metric\":\"mmlu.acc\",\"value\":0.5555555555555556,\"n\":9,\"stderr\":0.1868706368604627,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"all\"},$TS}"
	assert_line --index 6 "{\"metric\":\"mmlu.acc_macro\",\"value\":0.5277777777777778,\"n\":9,\"stderr\":0.1868706368604627,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"all\"},$TS}"
	assert_equal "${#lines[@]}" 28
	score-mcq -i items.jsonl "$F/mmlu-groups.jsonl" > /dev/null
	run jq -r '"\(.doc_id) \(.subset) \(.group)"' items.jsonl
	assert_line --index 0 --regexp '^mmlu/[a-z_]*/?[0-9]+ [a-z_]+ (stem|humanities)$'
	run jq -r '.group' items.jsonl
	refute_output --partial null
}

@test "score-mcq: run_id and model_tag from options, else from the environment" {
	RUN_ID=r-env MODEL_TAG=m-env run --separate-stderr score-mcq "$F/ll.jsonl"
	assert_line --index 0 --partial '"labels":{"task":"toy","subset":"all"},"run_id":"r-env","model_tag":"m-env",'
	RUN_ID=r-env run --separate-stderr score-mcq --run-id r1 --model-tag release-1.4.0 "$F/ll.jsonl"
	assert_line --index 0 --partial '"run_id":"r1","model_tag":"release-1.4.0",'
}

@test "score-mcq: letter mode reads the first token's top logprobs, completions and chat" {
	# x/0: " B" -0.3 is best of A,B,C (D absent) -> B, gold 1: right.
	# x/1 (chat): "A" -0.5 beats " A" -0.7, " C" -0.9 -> A, gold "C": wrong.
	# x/2: no letter at all -> no prediction: wrong. x/3 failed (HTTP 503): not scored.
	# acc [1,0,0]: python3 mean 0.3333333333333333, stderr 0.33333333333333337.
	run --separate-stderr score-mcq --mode letter --items items.jsonl --missing again.jsonl "$F/letter.jsonl"
	assert_success
	assert_equal "$stderr" "$(printf '%s\n' \
		'score-mcq: 1 of 4 questions had failed requests and were not scored' \
		'score-mcq: 2 of 4 questions had letters missing from the top logprobs (see --missing)')"
	assert_line --index 0 "{\"metric\":\"mmlu.acc\",\"value\":0.3333333333333333,\"n\":3,\"stderr\":0.33333333333333337,\"unit\":\"ratio\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"x\"},$TS}"
	assert_line --index 3 "{\"metric\":\"mmlu.failed\",\"value\":1,\"n\":4,\"unit\":\"count\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"all\"},$TS}"
	assert_line --index 4 "{\"metric\":\"mmlu.letter_missing\",\"value\":2,\"n\":4,\"unit\":\"count\",\"labels\":{\"task\":\"mmlu\",\"subset\":\"all\"},$TS}"
	run cat items.jsonl
	assert_output - <<-'EOF'
	{"task":"mmlu","doc_id":"mmlu/x/0","subset":"x","pred":1,"gold":1,"correct":true,"score":1.0,"missing":["D"]}
	{"task":"mmlu","doc_id":"mmlu/x/1","subset":"x","pred":0,"gold":2,"correct":false,"score":0.0}
	{"task":"mmlu","doc_id":"mmlu/x/2","subset":"x","pred":null,"gold":0,"correct":false,"score":0.0,"missing":["A","B","C","D"]}
	EOF
	# The questions to ask again in ll mode, byte for byte.
	run cat again.jsonl
	assert_output "$(sed -n '1p;3p' "$F/letter.jsonl")"
}

@test "score-mcq: a failed first record does not decide the mode" {
	{ sed -n 4p "$F/letter.jsonl"; sed -n 1,3p "$F/letter.jsonl"; } > failed-first.jsonl
	run --separate-stderr score-mcq -q failed-first.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --partial '"metric":"mmlu.acc","value":0.3333333333333333,"n":3,'
	assert_line --index 4 --partial '"metric":"mmlu.letter_missing","value":2,"n":4,'
}

@test "score-mcq: gen mode extracts the letter with lm-eval's phrasings" {
	# "The best answer is B." -> B right; "정답은 (C)" -> C right; "(a)" -> A, gold D wrong;
	# " d." -> D right; no letter -> no answer. [1,1,0,1,0]:
	# python3: mean 0.6, stderr 0.24494897427831783.
	run --separate-stderr score-mcq --items items.jsonl "$F/gen.jsonl"
	assert_success
	assert_output - <<-EOF
	{"metric":"kmmlu.exact_match","value":0.6,"n":5,"stderr":0.24494897427831783,"unit":"ratio","labels":{"task":"kmmlu","subset":"all"},$TS}
	{"metric":"kmmlu.no_answer","value":1,"n":5,"unit":"count","labels":{"task":"kmmlu","subset":"all"},$TS}
	EOF
	run --separate-stderr score-mcq -v "$F/gen.jsonl"
	assert_equal "$stderr" "score-mcq: read 5 records, 5 questions (0 failed, 0 with letters missing, 1 without an answer)"
	run cat items.jsonl
	assert_line --index 1 '{"task":"kmmlu","doc_id":"kmmlu/2","subset":"all","pred":2,"gold":2,"correct":true,"score":1.0,"answer":"C"}'
	assert_line --index 4 '{"task":"kmmlu","doc_id":"kmmlu/5","subset":"all","pred":null,"gold":0,"correct":false,"score":0.0,"answer":null}'
}

@test "score-mcq: --extract takes the answer from a jq expression" {
	run --separate-stderr score-mcq --mode gen --extract '.response.text | capture("(?<l>[A-D])\\b") | .l' "$F/gen.jsonl"
	assert_success
	# Letters captured: "B" (best answer is B), "C", none ("(a)" is lower case), none (" d."), none -> [1,1,0,0,0]:
	# python3: mean 0.4, stderr 0.24494897427831783.
	assert_line --index 0 "{\"metric\":\"kmmlu.exact_match\",\"value\":0.4,\"n\":5,\"stderr\":0.24494897427831783,\"unit\":\"ratio\",\"labels\":{\"task\":\"kmmlu\",\"subset\":\"all\"},$TS}"
	assert_line --index 1 --partial '"metric":"kmmlu.no_answer","value":3,'
}

@test "score-mcq: every loglikelihood equal is a loud failure" {
	jq -c '.response.loglikelihood.sum = -1.5' "$F/mmlu.jsonl" > flat.jsonl
	run --separate-stderr score-mcq flat.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "score-mcq: every choice of every question has the same loglikelihood: the server did not score the continuations (echo ignored?)"
}

@test "score-mcq: a question with a choice missing is a bad record" {
	sed 2d "$F/mmlu.jsonl" > gap.jsonl
	run --separate-stderr score-mcq gap.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'score-mcq: gap.jsonl:1: doc_id "mmlu/alg/0": choice 1 missing'
	run --separate-stderr score-mcq --skip-bad gap.jsonl
	assert_success
	assert_line --index 0 --partial '"value":0.6666666666666666,"n":3,'
	assert_equal "$stderr" 'score-mcq: skipped 1 bad record (first: gap.jsonl:1: doc_id "mmlu/alg/0": choice 1 missing)'
	# Its records went by before it was found incomplete: counted, not in --rejects.
	run --separate-stderr score-mcq --rejects rej.jsonl gap.jsonl
	assert_success
	assert_line --index 0 --partial '"value":0.6666666666666666,"n":3,'
	assert_equal "$stderr" 'score-mcq: skipped 1 bad record (first: gap.jsonl:1: doc_id "mmlu/alg/0": choice 1 missing)'
	assert_equal "$(wc -c < rej.jsonl)" 0
}

@test "score-mcq: each record error names the place" {
	printf '%s\n' '{"doc_id":"a","gold":0,"choice":0,"continuation":" x","response":{"loglikelihood":{"sum":"x"}}}' > r1.jsonl
	run --separate-stderr score-mcq r1.jsonl
	assert_failure 65
	assert_equal "$stderr" "score-mcq: r1.jsonl:1: response.loglikelihood.sum: expected a number (run llm-query --loglikelihood)"
	printf '%s\n' '{"gold":0,"choice":0,"continuation":" x","response":{}}' > r2.jsonl
	run --separate-stderr score-mcq r2.jsonl
	assert_equal "$stderr" "score-mcq: r2.jsonl:1: doc_id: expected a string or a number"
	printf '%s\n' '{"doc_id":1,"gold":"B","choice":0,"continuation":" x","response":{}}' > r3.jsonl
	run --separate-stderr score-mcq r3.jsonl
	assert_equal "$stderr" "score-mcq: r3.jsonl:1: gold: expected an index or an array of indexes"
	printf '%s\n' '{"doc_id":1,"gold":0,"choice":-1,"continuation":" x","response":{}}' > r4.jsonl
	run --separate-stderr score-mcq --mode ll r4.jsonl
	assert_equal "$stderr" "score-mcq: r4.jsonl:1: choice: expected an integer >= 0"
	printf '%s\n' '{"doc_id":1,"gold":0,"choice":0,"continuation":" x","response":{"loglikelihood":{"sum":-1}}}' \
		'{"doc_id":1,"gold":0,"choice":0,"continuation":" y","response":{"loglikelihood":{"sum":-2}}}' > r5.jsonl
	run --separate-stderr score-mcq r5.jsonl
	assert_equal "$stderr" "score-mcq: r5.jsonl:2: doc_id 1: choice 0 seen twice"
	printf '%s\n' '{"doc_id":1,"gold":0,"choice":0,"continuation":" x","response":{"loglikelihood":{"sum":-1}}}' \
		'{"doc_id":1,"gold":1,"choice":1,"continuation":" y","response":{"loglikelihood":{"sum":-2}}}' > r6.jsonl
	run --separate-stderr score-mcq r6.jsonl
	assert_equal "$stderr" "score-mcq: r6.jsonl:2: doc_id 1: gold differs from its first record's"
	printf '%s\n' '{"doc_id":1,"gold":0,"prompt":"q"}' > r7.jsonl
	run --separate-stderr score-mcq --mode gen r7.jsonl
	assert_failure 65
	assert_equal "$stderr" "score-mcq: r7.jsonl:1: response: missing (not llm-query output?)"
	printf '%s\n' '{"doc_id":1,"gold":0,"response":{"logprobs":{"tokens":["A"]}}}' > r8.jsonl
	run --separate-stderr score-mcq --mode letter r8.jsonl
	assert_equal "$stderr" "score-mcq: r8.jsonl:1: response.logprobs has no top logprobs (ask with max_tokens 1 and logprobs)"
	assert_output ""
}

@test "score-mcq: malformed JSON and invalid UTF-8 stop it, --rejects keeps them" {
	{ head -n 2 "$F/ll.jsonl"; printf '{"a":\n'; printf '{"t":"\xff"}\n'; tail -n 4 "$F/ll.jsonl"; } > bad.jsonl
	run --separate-stderr score-mcq bad.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "score-mcq: bad.jsonl:3: invalid JSON: Unfinished JSON term at EOF at column 5"
	run --separate-stderr score-mcq --rejects rej.jsonl bad.jsonl
	assert_success
	assert_line --index 0 --partial '"metric":"toy.acc","value":0.3333333333333333,'
	assert_equal "$stderr" "score-mcq: skipped 2 bad records (first: bad.jsonl:3: invalid JSON: Unfinished JSON term at EOF at column 5)"
	assert_equal "$(wc -l < rej.jsonl)" 2
	printf '{"t":"\xff"}\n' > u.jsonl
	run --separate-stderr score-mcq u.jsonl
	assert_failure 65
	assert_equal "$stderr" "score-mcq: u.jsonl:1: invalid UTF-8 at byte 7"
}

@test "score-mcq: empty input gives no rows; a last line without newline counts" {
	run --separate-stderr score-mcq < /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	head -c -1 "$F/ll.jsonl" > nonl.jsonl
	run --separate-stderr score-mcq nonl.jsonl
	assert_success
	assert_line --index 3 --partial '"metric":"toy.exact_match","value":0.6666666666666666,'
}

@test "score-mcq: compressed input and stdin" {
	gzip -c "$F/ll.jsonl" > ll.jsonl.gz
	run --separate-stderr score-mcq ll.jsonl.gz
	assert_success
	assert_line --index 1 --partial '"metric":"toy.acc_norm","value":0.6666666666666666,'
	run --separate-stderr sh -c "score-mcq < '$F/ll.jsonl'"
	assert_line --index 1 --partial '"metric":"toy.acc_norm","value":0.6666666666666666,'
}

@test "score-mcq: usage errors" {
	run --separate-stderr score-mcq --mode bogus
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-mcq: --mode: expected ll, letter, gen or auto, got 'bogus'"
	run --separate-stderr score-mcq --letters 1
	assert_failure 64
	run --separate-stderr score-mcq --mode ll --extract .x
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-mcq: --extract reads generated text: use it with --mode gen"
	run --separate-stderr score-mcq --mode gen --missing m.jsonl
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "score-mcq: --missing lists letters absent from top logprobs: use it with --mode letter"
	run --separate-stderr score-mcq --extract '.['
	assert_failure 64
	run --separate-stderr score-mcq --bogus
	assert_failure 64
	assert_equal "$stderr" "$(printf "score-mcq: unrecognized option '--bogus'\nTry 'score-mcq --help' for more information.")"
	assert_output ""
}

@test "score-mcq: an --items or --missing file that is also an input is refused, the input kept" {
	cp "$F/letter.jsonl" in.jsonl
	run --separate-stderr score-mcq --items in.jsonl in.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "score-mcq: --items: in.jsonl is also an input
Try 'score-mcq --help' for more information."
	run --separate-stderr sh -c 'score-mcq --mode letter --missing in.jsonl < in.jsonl'
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "score-mcq: --missing: in.jsonl is also an input
Try 'score-mcq --help' for more information."
	cmp in.jsonl "$F/letter.jsonl"
}

@test "score-mcq: --help and --version" {
	run --separate-stderr score-mcq --help
	assert_success
	assert_line --index 0 --partial "usage: score-mcq [-qv] [-m MODE]"
	assert_equal "$stderr" ""
	run --separate-stderr score-mcq --version
	assert_success
	assert_output --regexp '^score-mcq [0-9.]+ \(vllm-eval\)$'
}

@test "score-mcq: unreadable input 66, outputs it cannot create 73, a full disk 74" {
	run --separate-stderr score-mcq nosuch.jsonl
	assert_failure 66
	assert_output ""
	assert_equal "$stderr" "score-mcq: nosuch.jsonl: No such file or directory"
	run --separate-stderr score-mcq --items /nonexistent/dir/items.jsonl "$F/ll.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "score-mcq: --items: /nonexistent/dir/items.jsonl: No such file or directory"
	run --separate-stderr score-mcq --mode letter --missing /nonexistent/dir/m.jsonl "$F/letter.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "score-mcq: --missing: /nonexistent/dir/m.jsonl: No such file or directory"
	run --separate-stderr score-mcq --rejects /nonexistent/dir/r.jsonl "$F/ll.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "score-mcq: --rejects: /nonexistent/dir/r.jsonl: No such file or directory"
	run --separate-stderr sh -c "score-mcq '$F/ll.jsonl' > /dev/full"
	assert_failure 74
	assert_equal "$stderr" "score-mcq: write error: No space left on device"
	run --separate-stderr score-mcq --items /dev/full "$F/ll.jsonl"
	assert_failure 74
}

@test "score-mcq: --task-version and --task-inputs label every metric row; items carry the version" {
	V='"task_version":"0123456789ab","task_inputs":"template=1a2b3c4d args=44136fa3 shots=5 data=9c0d1e2f"'
	run --separate-stderr score-mcq -i items.jsonl --task-version 0123456789ab \
		--task-inputs 'template=1a2b3c4d args=44136fa3 shots=5 data=9c0d1e2f' "$F/ll.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<-EOF
	{"metric":"toy.acc","value":0.3333333333333333,"n":3,"stderr":0.33333333333333337,"unit":"ratio","labels":{"task":"toy","subset":"all",$V},$TS}
	{"metric":"toy.acc_norm","value":0.6666666666666666,"n":3,"stderr":0.33333333333333337,"unit":"ratio","labels":{"task":"toy","subset":"all",$V},$TS}
	{"metric":"toy.acc_bytes","value":1.0,"n":3,"stderr":0.0,"unit":"ratio","labels":{"task":"toy","subset":"all",$V},$TS}
	{"metric":"toy.exact_match","value":0.6666666666666666,"n":3,"stderr":0.33333333333333337,"unit":"ratio","labels":{"task":"toy","subset":"all",$V},$TS}
	EOF
	run jq -r '"\(.doc_id) \(.task_version)"' items.jsonl
	assert_output "$(printf 'toy/q1 0123456789ab\ntoy/q2 0123456789ab\ntoy/q3 0123456789ab')"
	run --separate-stderr score-mcq --task-version '' "$F/ll.jsonl"
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "score-mcq: --task-version: empty value\nTry 'score-mcq --help' for more information.")"
}


@test "score-mcq: the rows are the same bytes for any order of the records" {
	# mmlu-order.jsonl: 150 questions of 4 choices in 5 subjects of 3 groups,
	# log-likelihoods made once by random.Random(11). Subjects, groups (pooled
	# stderr) and the task in every order, byte for byte. abstract_algebra's
	# 15 right of 30: python3, lm-eval's formulas: stderr 0.09284766908852593.
	orders "$F/mmlu-order.jsonl"
	run --separate-stderr score-mcq order0.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 '{"metric":"mmlu.acc","value":0.5,"n":30,"stderr":0.09284766908852593,"unit":"ratio","labels":{"task":"mmlu","subset":"abstract_algebra"},'"$TS}"
	local want=$output
	for i in 1 2 3 4; do
		run --separate-stderr score-mcq order$i.jsonl
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$output" "$want"
	done
}
