#!/usr/bin/env bats
# The task templates (share/tasks/*.jq, run with jq 1.6) render lm-eval's
# prompts byte for byte from the sample data; share/suites.json names only
# templates and data that exist; the sample data flow through score-mcq.
#
# Expected prompts are written out by hand from the lm-eval task files each
# template cites (doc_to_text, description, target and few-shot delimiters).
# The HellaSwag queries are also recomputed with python3 running a copy of
# lm_eval/tasks/hellaswag/utils.py's preprocess().

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	S="$VE_ROOT/share"
	D="$S/data"
	export SOURCE_DATE_EPOCH=1763805067
	SIM_PID=
}

teardown() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
	fi
}

# Starts vllm-sim on 127.0.0.1 with the answer key $1 at accuracy $2; sets URL.
start_sim() {
	local port
	port=$(ve_free_port)
	vllm-sim -q -p "$port" --answers "$1" --accuracy "$2" --seed 1 > sim.out 2> sim.err &
	SIM_PID=$!
	URL="http://127.0.0.1:$port"
	ve_wait_http "$URL/v1/models" 20
}

# The ll-mode queries of every multiple-choice suite task over the sample data.
mc_queries() {
	for t in arc_challenge hellaswag mmlu kmmlu ko_arc; do
		jq -c --arg t "$t" '.tasks[$t]' "$S/suites.json" > task.json
		jq -nc -f "$S/$(jq -r .template task.json)" "$S/$(jq -r .data task.json)"
	done
}

# Prints field $1 of record $2 (1-based) of the records on stdin, raw, no newline added.
pick() {
	sed -n "$2p" | jq -j ".$1"
}

@test "tasks: ARC zero-shot is Question: ...\\nAnswer: with the choice texts" {
	run --separate-stderr jq -nc -f "$S/tasks/arc.jq" "$D/arc_challenge.test.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 '{"task":"arc_challenge","doc_id":"arc_challenge/VE-ARC-001","subset":"all","choice":0,"gold":1,"context":"Question: Which instrument is used to measure air pressure?\nAnswer:","continuation":" thermometer"}'
	assert_line --index 1 '{"task":"arc_challenge","doc_id":"arc_challenge/VE-ARC-001","subset":"all","choice":1,"gold":1,"context":"Question: Which instrument is used to measure air pressure?\nAnswer:","continuation":" barometer"}'
	# 7 questions of 4 choices and one of 3.
	assert_equal "${#lines[@]}" 31
	# Numeric labels ("1","2","3"): gold is the index of answerKey among them.
	assert_line --index 20 '{"task":"arc_challenge","doc_id":"arc_challenge/VE-ARC-006","subset":"all","choice":0,"gold":0,"context":"Question: A ball rolls more slowly on grass than on a floor. Which force causes this?\nAnswer:","continuation":" friction"}'
}

@test "tasks: ARC few-shot examples are text + \" \" + answer + \"\\n\\n\"" {
	jq -nc -f "$S/tasks/arc.jq" --arg task arc_easy --argjson shots 2 \
		--slurpfile fewshot "$D/arc_challenge.train.jsonl" "$D/arc_challenge.test.jsonl" > out.jsonl
	run pick context 1 < out.jsonl
	assert_output "$(printf 'Question: Which object is a good conductor of electricity?\nAnswer: a copper wire\n\nQuestion: What is the main source of energy for Earth'"'"'s water cycle?\nAnswer: the Sun\n\nQuestion: Which instrument is used to measure air pressure?\nAnswer:')"
	run pick doc_id 1 < out.jsonl
	assert_output "arc_easy/VE-ARC-001"
}

@test "tasks: HellaSwag preprocessing and capitalisation, as lm-eval's utils.py" {
	run --separate-stderr jq -nc -f "$S/tasks/hellaswag.jq" "$D/hellaswag.val.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 24
	assert_line --index 0 '{"task":"hellaswag","doc_id":"hellaswag/1","subset":"all","choice":0,"gold":0,"context":"Making tea: A woman fills a kettle with water and sets it on the stove. She","continuation":" waits for the water to boil and pours it over a tea bag."}'
	# " [title]" -> ". ", "[header]" and "[step]" dropped, double spaces collapsed,
	# ctx_b capitalised ("[step] Push" -> "[step] push" -> "push").
	assert_line --index 8 '{"task":"hellaswag","doc_id":"hellaswag/3","subset":"all","choice":0,"gold":1,"context":"Home and Garden: How to water a houseplant. Check the soil. push a finger into the soil","continuation":" and eat the plant."}'
	assert_line --index 9 '{"task":"hellaswag","doc_id":"hellaswag/3","subset":"all","choice":1,"gold":1,"context":"Home and Garden: How to water a houseplant. Check the soil. push a finger into the soil","continuation":" to feel whether the top inch is dry. If it is dry, water the plant."}'
}

@test "tasks: HellaSwag queries equal python3 running lm-eval's preprocess" {
	jq -nc -f "$S/tasks/hellaswag.jq" "$D/hellaswag.val.jsonl" | jq -c '[.context, .continuation[1:]]' > jq.out
	python3 - "$D/hellaswag.val.jsonl" > py.out <<-'EOF'
	import json, re, sys
	def preprocess(text):
	    text = text.strip()
	    text = text.replace(" [title]", ". ")
	    text = re.sub("\\[.*?\\]", "", text)
	    text = text.replace("  ", " ")
	    return text
	for line in open(sys.argv[1], encoding="utf-8"):
	    doc = json.loads(line)
	    ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
	    query = preprocess(doc["activity_label"] + ": " + ctx)
	    for e in doc["endings"]:
	        print(json.dumps([query, preprocess(e)], ensure_ascii=False, separators=(",", ":")))
	EOF
	run diff py.out jq.out
	assert_success
	assert_output ""
}

@test "tasks: MMLU description, A-D layout and first-n few-shot from dev of the subject" {
	jq -nc -f "$S/tasks/mmlu.jq" --argjson shots 2 --slurpfile fewshot "$D/mmlu.dev.jsonl" \
		"$D/mmlu.test.jsonl" > out.jsonl
	assert_equal "$(wc -l < out.jsonl)" 32
	run pick context 17 < out.jsonl
	assert_output "$(printf 'The following are multiple choice questions (with answers) about high school biology.\n\nWhich structure controls what enters and leaves a cell?\nA. cell wall\nB. cell membrane\nC. chloroplast\nD. nucleolus\nAnswer: B\n\nWhat is the basic unit of life?\nA. atom\nB. organ\nC. cell\nD. tissue\nAnswer: C\n\nWhich organelle produces most of a cell'"'"'s ATP?\nA. ribosome\nB. mitochondrion\nC. nucleus\nD. vacuole\nAnswer:')"
	run sed -n 17,20p out.jsonl
	assert_line --index 0 --partial '"doc_id":"mmlu/high_school_biology/4","subset":"high_school_biology","group":"stem","choice":0,"gold":1,'
	assert_line --index 3 --partial '"continuation":" D"}'
}

@test "tasks: MMLU zero-shot, letter and gen modes, and --argjson limit" {
	run --separate-stderr jq -nc -f "$S/tasks/mmlu.jq" --arg mode letter --argjson limit 2 "$D/mmlu.test.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 '{"task":"mmlu","doc_id":"mmlu/elementary_mathematics/0","subset":"elementary_mathematics","group":"stem","gold":1,"prompt":"The following are multiple choice questions (with answers) about elementary mathematics.\n\nWhat is 7 multiplied by 8?\nA. 54\nB. 56\nC. 58\nD. 64\nAnswer:","choices":["A","B","C","D"]}'
	run --separate-stderr jq -nc -f "$S/tasks/mmlu.jq" --arg mode bogus "$D/mmlu.test.jsonl"
	assert_failure 5
	assert_equal "$stderr" "jq: error (at <unknown>): mode: expected ll, letter or gen, got bogus"
}

@test "tasks: KMMLU ends in 정답： (U+FF1A), answer 1-4, Category as the subset" {
	jq -nc -f "$S/tasks/kmmlu.jq" --argjson shots 1 --slurpfile fewshot "$D/kmmlu.dev.jsonl" \
		"$D/kmmlu.test.jsonl" > out.jsonl
	run pick context 17 < out.jsonl
	assert_output "$(printf '신라의 삼국 통일을 완성한 왕은?\nA. 문무왕\nB. 진흥왕\nC. 법흥왕\nD. 무열왕\n정답\357\274\232 A\n\n조선을 건국한 인물은?\nA. 왕건\nB. 이성계\nC. 세종\nD. 정도전\n정답\357\274\232')"
	run sed -n 17p out.jsonl
	assert_output --partial '{"task":"kmmlu","doc_id":"kmmlu/korean_history/4","subset":"korean_history","group":"humss","choice":0,"gold":1,'
	run --separate-stderr jq -nc -f "$S/tasks/kmmlu.jq" --arg mode gen --argjson limit 1 "$D/kmmlu.test.jsonl"
	assert_output '{"task":"kmmlu","doc_id":"kmmlu/accounting/0","subset":"accounting","group":"humss","gold":1,"prompt":"자산 = 부채 + (   )에서 괄호에 들어갈 말은?\nA. 수익\nB. 자본\nC. 비용\nD. 이익\n정답：","choices":["A","B","C","D"]}'
}

@test "tasks: KMMLU subsets and groups follow lm-eval's task names and tags" {
	printf '%s\n' '{"question":"q","A":"a","B":"b","C":"c","D":"d","answer":4,"Category":"Korean-History"}' \
		'{"question":"q","A":"a","B":"b","C":"c","D":"d","answer":1,"Category":"Machine-Design-and-Manufacturing"}' > k.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/kmmlu.jq" --arg mode letter k.jsonl
	assert_success
	assert_line --index 0 --partial '{"task":"kmmlu","doc_id":"kmmlu/korean_history/0","subset":"korean_history","group":"humss","gold":3,'
	assert_line --index 1 --partial '{"task":"kmmlu","doc_id":"kmmlu/machine_design_and_manufacturing/1","subset":"machine_design_and_manufacturing","group":"applied_science","gold":0,'
	run jq -n -f "$S/tasks/kmmlu.jq" < /dev/null
	assert_success
	# All 45 of lm-eval's KMMLU subsets and 57 MMLU subjects have a group.
	run sh -c "sed -n '/^def groups: {/,/^};/p' '$S/tasks/kmmlu.jq' | grep -o '\"[a-z_]*\": \"[a-z_]*\"' | wc -l"
	assert_output 45
	run sh -c "sed -n '/^def groups: {/,/^};/p' '$S/tasks/mmlu.jq' | grep -o '\"[a-z_]*\": \"[a-z_]*\"' | wc -l"
	assert_output 57
}

@test "tasks: Ko-ARC is ARC with 질문:/정답: labels" {
	run --separate-stderr jq -nc -f "$S/tasks/ko_arc.jq" --argjson shots 1 \
		--slurpfile fewshot "$D/ko_arc.train.jsonl" --argjson limit 1 "$D/ko_arc.test.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line --index 1 '{"task":"ko_arc","doc_id":"ko_arc/VE-KOARC-001","subset":"all","choice":1,"gold":1,"context":"질문: 전기가 잘 통하는 물체는 무엇인가?\n정답: 구리선\n\n질문: 기압을 측정하는 데 사용하는 기구는 무엇인가?\n정답:","continuation":" 기압계"}'
}

@test "tasks: AIME is Question: ...\\nAnswer: for generation, gold as a string" {
	run --separate-stderr jq -nc -f "$S/tasks/aime.jq" "$D/aime.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 '{"task":"aime","doc_id":"aime/VE-AIME-1","subset":"all","gold":"24","prompt":"Question: Find the remainder when $2^{10}$ is divided by $1000$.\nAnswer:"}'
	run --separate-stderr sh -c 'echo "{\"Problem\":\"P\",\"Answer\":7}" | jq -nc -f "$1"' sh "$S/tasks/aime.jq"
	assert_output '{"task":"aime","doc_id":"aime/0","subset":"all","gold":"7","prompt":"Question: P\nAnswer:"}'
}

@test "tasks: a bad ARC answer key is an error naming the record" {
	echo '{"id":"x","question":"q","choices":{"text":["a"],"label":["A"]},"answerKey":"E"}' > bad.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/arc.jq" bad.jsonl
	assert_failure 5
	assert_equal "$stderr" "jq: error (at bad.jsonl:1): x: answerKey E is not one of the labels"
}

@test "suites.json: the four suites name tasks whose template and data exist" {
	run jq -r '.suites | keys | join(" ")' "$S/suites.json"
	assert_output "korean quick reasoning standard"
	run jq -r '. as $r | .suites[][] | .task as $t | $r.tasks[$t]
		| select(. == null or (.template | not)) | $t' "$S/suites.json"
	assert_output ""
	for f in $(jq -r '.tasks[] | .template, .data, (.fewshot // empty)' "$S/suites.json"); do
		[ -s "$S/$f" ] || fail "$f named in suites.json is missing"
	done
	run jq -r '[.suites[][] | .shots | numbers] | length' "$S/suites.json"
	assert_output 10
}

@test "tasks: every suite task renders its sample data with its shots" {
	for t in $(jq -r '.tasks | keys[]' "$S/suites.json"); do
		jq -c --arg t "$t" '.tasks[$t]' "$S/suites.json" > task.json
		tpl=$(jq -r .template task.json)
		data=$(jq -r .data task.json)
		few=$(jq -r '.fewshot // empty' task.json)
		set -- --argjson shots 5
		[ -n "$few" ] && set -- "$@" --slurpfile fewshot "$S/$few"
		# A task with a "draw" gets ds-draw's indices first (gpqa_diamond's shuffle).
		if jq -e 'has("draw")' task.json > /dev/null; then
			# shellcheck disable=SC2046
			ds-draw $(jq -r '.draw[]' task.json) "$S/$data" > drawn.jsonl || fail "$t: ds-draw failed"
			jq -nc -f "$S/$tpl" "$@" drawn.jsonl > "$t.jsonl" || fail "$t does not render"
		else
			jq -nc -f "$S/$tpl" "$@" "$S/$data" > "$t.jsonl" || fail "$t does not render"
		fi
		[ -s "$t.jsonl" ] || fail "$t renders nothing"
	done
	run jq -s 'map(.task) | unique | join(",")' -r arc_challenge.jsonl hellaswag.jsonl mmlu.jsonl kmmlu.jsonl ko_arc.jsonl aime.jsonl gpqa_diamond.jsonl
	assert_output "aime,arc_challenge,gpqa_diamond,hellaswag,kmmlu,ko_arc,mmlu"
}

@test "tasks: sample data -> templates -> a stand-in server at accuracy 0.8 -> score-mcq" {
	# llm-query and vllm-sim are other tools; this stands in for both with python3:
	# each question's gold choice gets the best loglikelihood with probability 0.8
	# (random.Random(1)), the others a lower one. 36 questions: acc must lie within
	# 3 binomial standard errors of 0.8, 3*sqrt(0.8*0.2/36) = 0.2.
	for t in arc_challenge hellaswag mmlu kmmlu ko_arc; do
		jq -c --arg t "$t" '.tasks[$t]' "$S/suites.json" > task.json
		jq -nc -f "$S/$(jq -r .template task.json)" "$S/$(jq -r .data task.json)"
	done > queries.jsonl
	python3 - queries.jsonl > answered.jsonl <<-'EOF'
	import json, random, sys
	rng = random.Random(1)
	recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
	right = {}
	for r in recs:
	    if r["doc_id"] not in right:
	        right[r["doc_id"]] = rng.random() < 0.8
	for r in recs:
	    good = (r["choice"] == r["gold"]) == right[r["doc_id"]]
	    ll = -1.0 if good else -3.0 - 0.1 * r["choice"]
	    r["response"] = {"status": 200, "loglikelihood": {"sum": ll, "n_tokens": 2, "greedy": good}}
	    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
	EOF
	run --separate-stderr score-mcq --items items.jsonl answered.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(wc -l < items.jsonl)" 36
	for t in arc_challenge hellaswag mmlu kmmlu ko_arc; do
		grep -q "\"metric\":\"$t.acc\"" <<< "$output" || fail "no $t.acc row"
	done
	run jq -s '[.[] | .score] | add / length | . >= 0.6 and . <= 1.0' items.jsonl
	assert_output true
}

@test "tasks: sample data -> templates -> llm-query -> vllm-sim --accuracy 0.8 -> score-mcq" {
	command -v llm-query > /dev/null && command -v vllm-sim > /dev/null ||
		skip "llm-query and vllm-sim are not built in this tree"
	# The simulator's answer key: each question's context, its choice texts, its gold.
	mc_queries > queries.jsonl
	jq -sc 'group_by(.doc_id)[] | {id: .[0].doc_id, match: .[0].context,
		choices: map(.continuation[1:]), gold: .[0].gold}' queries.jsonl > key.jsonl
	start_sim key.jsonl 0.8
	run --separate-stderr sh -c "llm-query -q -e '$URL' --loglikelihood queries.jsonl | score-mcq --items items.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(wc -l < items.jsonl)" 36
	for t in arc_challenge hellaswag mmlu kmmlu ko_arc; do
		grep -q "\"metric\":\"$t.acc\"" <<< "$output" || fail "no $t.acc row"
	done
	# 36 questions at p = 0.8: within 3 binomial standard errors, 3*sqrt(0.8*0.2/36) = 0.2.
	run jq -s '[.[] | .score] | add / length | . >= 0.6 and . <= 1.0' items.jsonl
	assert_output true
	# Letter mode asks once per question and must agree with ll mode item by item
	# (the simulator answers each question right or wrong whatever the form).
	for t in mmlu kmmlu; do jq -nc -f "$S/tasks/$t.jq" --arg mode letter "$D/$t.test.jsonl"; done > letter.jsonl
	jq -c '{id: .doc_id, match: .prompt, choices, gold}' letter.jsonl > lkey.jsonl
	teardown
	start_sim lkey.jsonl 0.8
	llm-query -q -e "$URL" --prompt .prompt --max-tokens 1 --logprobs 5 letter.jsonl |
		score-mcq --mode letter --items litems.jsonl > lrows.jsonl
	run jq -c 'select(.task | IN("mmlu", "kmmlu")) | [.doc_id, .correct]' items.jsonl
	ll=$output
	run jq -c '[.doc_id, .correct]' litems.jsonl
	assert_equal "$(sort <<< "$output")" "$(sort <<< "$ll")"
}

# Evalchemy's GPQA-Diamond (mlfoundations/evalchemy at 6ed674159b37,
# eval/chat_benchmarks/GPQADiamond/eval_instruct.py and testing_utils.py),
# reimplemented in python3 from reading them: generate_multiple_choice_answers
# (a fresh random.Random(42) shuffles [correct, incorrect 1-3]; the gold is the
# first letter whose text is the correct answer), PROMPT.format, and
# get_multiple_choice_answer. CPython's own random does the shuffle here.
gpqa_reference() {
	python3 - "$@" <<-'EOF'
	import json, random, re, sys
	PROMPT = """Return your final response within \\boxed{{}} and only include the letter choice (A, B, C, or D) as your final response.
	Problem: {problem}
	Options: {options}
	Answer:"""
	def choices(data):
	    answers = [data["Correct Answer"], data["Incorrect Answer 1"],
	               data["Incorrect Answer 2"], data["Incorrect Answer 3"]]
	    rnd = random.Random(42)
	    rnd.shuffle(answers)
	    options = ["A", "B", "C", "D"]
	    to_answer = {letter: answer for letter, answer in zip(options, answers)}
	    text = ", ".join(f"{letter}) {to_answer[letter]}" for letter in options)
	    gold = next(l for l, a in to_answer.items() if a == data["Correct Answer"])
	    return text, gold
	def extract(pred):
	    tmp = re.findall(r"\b(A|B|C|D)\b", pred.upper())
	    pred = tmp if tmp else [pred.strip().strip(".")]
	    pred = "" if len(pred) == 0 else pred[-1]
	    return pred.rstrip(".").rstrip("/")
	if sys.argv[1] == "prompts":
	    out = sys.stdout.buffer
	    for line in open(sys.argv[2], encoding="utf-8"):
	        d = json.loads(line)
	        text, gold = choices(d)
	        prompt = PROMPT.format(problem=d["Question"], options=text)
	        out.write((gold + "\t" + prompt + "\0").encode())
	else:
	    for line in open(sys.argv[2], encoding="utf-8"):
	        r = json.loads(line)
	        print(r["doc_id"], int(extract(r["response"]["text"]) == r["gold"]))
	EOF
}

@test "tasks: GPQA-Diamond prompts and gold letters are Evalchemy's, byte for byte" {
	jq -c '.tasks.gpqa_diamond' "$S/suites.json" > task.json
	# shellcheck disable=SC2046
	ds-draw $(jq -r '.draw[]' task.json) "$D/gpqa_diamond.jsonl" > drawn.jsonl
	run --separate-stderr jq -nc -f "$S/$(jq -r .template task.json)" drawn.jsonl
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" > rendered.jsonl
	assert_equal "${#lines[@]}" 8
	jq -j '.gold + "\t" + .prompt + "\u0000"' rendered.jsonl > got.bin
	gpqa_reference prompts "$D/gpqa_diamond.jsonl" > want.bin
	cmp got.bin want.bin
	# One user message holding the prompt; the Record ID, else the record's number.
	run jq -r 'select(.messages != [{role: "user", content: .prompt}]) | .doc_id' rendered.jsonl
	assert_output ""
	run jq -r '"\(.doc_id) \(.gold) \(.subset)"' rendered.jsonl
	assert_line --index 0 "gpqa_diamond/VE-GPQA-1 D all"
	# Incorrect Answer 2 is written as the correct one and comes first (A).
	assert_line --index 6 "gpqa_diamond/VE-GPQA-7 A all"
	assert_line --index 7 "gpqa_diamond/7 D all"
	assert_line --index 3 --partial ' D all'
	run jq -r 'select(.doc_id == "gpqa_diamond/VE-GPQA-4") | .prompt' rendered.jsonl
	assert_line --index 2 'Options: A) thymine, uracil, B) cytosine, adenine, C) A) guanine, B) adenine, D) adenine, cytosine'
}

@test "tasks: GPQA-Diamond without ds-draw's permutation is an error naming the record" {
	run --separate-stderr jq -nc -f "$S/tasks/gpqa_diamond.jq" "$D/gpqa_diamond.jsonl"
	assert_failure 5
	assert_equal "$stderr" 'jq: error (at '"$D"'/gpqa_diamond.jsonl:1): record 0: no permutation of 0..3 in "_draw" (run ds-draw --shuffle 4 --seed 42 --reseed first)'
	echo '{"Question":"q","Correct Answer":1,"Incorrect Answer 1":"a","Incorrect Answer 2":"b","Incorrect Answer 3":"c","_draw":[0,1,2,3]}' > num.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/gpqa_diamond.jq" num.jsonl
	assert_failure 5
	assert_equal "$stderr" 'jq: error (at num.jsonl:1): record 0: "Correct Answer" is not a string'
}

@test "tasks: GPQA-Diamond's scorer_args read the letter as Evalchemy's get_multiple_choice_answer" {
	# Awkward replies: the article "a" (upper-cased by Evalchemy, so a letter),
	# lower-case letters, no match at all, a letter joined to a word by "_",
	# a digit or an accented letter (no word boundary), and an empty reply.
	python3 - > replies.jsonl <<-'EOF'
	import json
	texts = ["The answer is \\boxed{D}.", "B is a good answer", "A and C are wrong, so \\boxed{d}",
	         "Answer: (C)", "ABCD", "Option_D", "café D", "éD", "1D", "D.", "", "D, not c",
	         "Dß", "line one\nD\n", "D/", "\\boxed{B}\n\nSo the answer is D"]
	for i, t in enumerate(texts):
	    print(json.dumps({"task": "gpqa_diamond", "doc_id": "gpqa_diamond/%d" % i, "gold": "D",
	                      "response": {"status": 200, "text": t}}))
	EOF
	jq -r '.tasks.gpqa_diamond.scorer_args[]' "$S/suites.json" > args.txt
	mapfile -t args < args.txt
	run --separate-stderr score-gen -q -t gpqa_diamond -i items.jsonl "${args[@]}" replies.jsonl
	assert_success
	assert_equal "$stderr" ""
	jq -r '"\(.doc_id) \(.score)"' items.jsonl > got.txt
	gpqa_reference score replies.jsonl > want.txt
	run diff got.txt want.txt
	assert_success
	# The reference's own verdicts, so that the comparison cannot pass vacuously.
	run paste -sd' ' <(cut -d' ' -f2 want.txt)
	assert_output "1 0 1 0 0 0 1 0 0 1 0 0 0 1 1 1"
}
