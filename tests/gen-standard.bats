#!/usr/bin/env bats
# tests/bench/gen-standard.py, the stand-ins of the standard suite's data
# that tests/bench/standard-suite.sh times: it writes every file the suite
# reads, under the names run-benchmarks.sh --data looks for, with the real
# row counts times --scale (the pools never below 32, MMLU's dev 5 per
# subject); the task templates render them with the suite's shots; the same
# seed writes the same bytes. Expected counts: the datasets' cards (14,042
# MMLU test questions, 10,042 HellaSwag validation contexts, 1,172 ARC-
# Challenge test questions, 1,319 GSM8K test problems) times the scale,
# rounded; MMLU's per subject as gen-mcq.py apportions them.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	G="$VE_ROOT/tests/bench/gen-standard.py"
	S="$VE_ROOT/share"
}

@test "gen-standard: the standard suite's files at 1/100 of the real row counts" {
	run --separate-stderr python3 "$G" --scale 0.01 d
	assert_success
	assert_equal "$stderr" ""
	assert_output ""
	run wc -l d/arc_challenge.test.jsonl d/arc_challenge.train.jsonl d/gsm8k.test.jsonl \
		d/gsm8k.train.jsonl d/hellaswag.train.jsonl d/hellaswag.val.jsonl d/mmlu.dev.jsonl d/mmlu.test.jsonl
	assert_output "    12 d/arc_challenge.test.jsonl
    32 d/arc_challenge.train.jsonl
    13 d/gsm8k.test.jsonl
    75 d/gsm8k.train.jsonl
   399 d/hellaswag.train.jsonl
   100 d/hellaswag.val.jsonl
   285 d/mmlu.dev.jsonl
   140 d/mmlu.test.jsonl
  1056 total"
	[ "$(ls d | wc -l)" -eq 8 ]
}

@test "gen-standard: the records carry the fields the templates read, and render with the suite's shots" {
	skip_under_valgrind "ds-draw's own tests cover it under valgrind"
	python3 "$G" --scale 0.005 d
	run --separate-stderr sh -c '
		jq -nc -f "$1/tasks/mmlu.jq" --argjson shots 5 --slurpfile fewshot d/mmlu.dev.jsonl d/mmlu.test.jsonl |
			jq -s "[length, (map(.context | [match(\"Answer:\"; \"g\")] | length) | unique), (map(.context | startswith(\"The following are\") and endswith(\"Answer:\")) | all)]" -c
		ds-draw -q --sample 25 --population 32 --seed 1234 --field _fewshot d/arc_challenge.test.jsonl |
			jq -nc -f "$1/tasks/arc.jq" --argjson shots 25 --slurpfile fewshot d/arc_challenge.train.jsonl |
			jq -s "[length, (map(.context | split(\"\\n\\n\") | length) | unique)]" -c
		ds-draw -q --sample 11 --population 200 --seed 1234 --field _fewshot d/hellaswag.val.jsonl |
			jq -nc -f "$1/tasks/hellaswag.jq" --argjson shots 10 --slurpfile fewshot d/hellaswag.train.jsonl |
			jq -s "[length, (map(.context | test(\"\\\\[\") | not) | all)]" -c
		ds-draw -q --sample 5 --population 37 --seed 1234 --field _fewshot d/gsm8k.test.jsonl |
			jq -nc -f "$1/tasks/gsm8k.jq" --argjson shots 5 --slurpfile fewshot d/gsm8k.train.jsonl |
			jq -s "[length, (map(.prompt | [match(\"#### [0-9]+\\n\\n\"; \"g\")] | length) | unique), (map(.gold | test(\"\\n#### [0-9]+\$\")) | all)]" -c
	' sh "$S"
	assert_success
	assert_equal "$stderr" ""
	# 70 MMLU questions x 4 letters, each after its 5 shots; 6 ARC questions x 4 choices, each after
	# its 25 shots; 50 HellaSwag contexts x 4 endings, WikiHow's [markers]
	# gone; 7 GSM8K problems, each after 5 solved ones.
	assert_output '[280,[6],true]
[24,[26]]
[200,true]
[7,[5],true]'
}

@test "gen-standard: the same seed writes the same bytes, another seed others" {
	python3 "$G" --scale 0.002 a
	python3 "$G" --scale 0.002 b
	python3 "$G" --scale 0.002 --seed 2 c
	run diff -r a b
	assert_success
	assert_output ""
	run cmp -s a/mmlu.test.jsonl c/mmlu.test.jsonl
	assert_failure 1
}

@test "gen-standard: a bad scale, an unknown suite and a task it cannot make are refused" {
	run --separate-stderr python3 "$G" --scale 0 d
	assert_failure 1
	assert_equal "$stderr" "gen-standard.py: --scale must be above 0 and at most 1, got 0.0"
	run --separate-stderr python3 "$G" --suite nope d
	assert_failure 1
	assert_equal "$stderr" "gen-standard.py: no suite 'nope' in $VE_ROOT/tests/bench/../../share/suites.json"
	run --separate-stderr python3 "$G" --suite korean d
	assert_failure 1
	assert_equal "$stderr" "gen-standard.py: no generator for task 'kmmlu' (suite korean)"
	[ ! -e d ]
}
