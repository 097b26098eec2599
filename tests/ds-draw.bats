#!/usr/bin/env bats
# ds-draw: CPython's random draws, spliced into records byte for byte.
#
# The expected draws are CPython's own: tests/pyrand-ref.py runs the
# random module of the python3 on the machine (Debian 12: 3.11) for many
# seeds, shuffle lengths, sample sizes on both sides of sample()'s switch
# from its pool to its set algorithm, choices and random() values.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
}

# Writes N records {"i":0} ... {"i":N-1} to in.jsonl.
records() {
	local i=0
	: > in.jsonl
	while [ "$i" -lt "$1" ]; do
		printf '{"i":%d}\n' "$i" >> in.jsonl
		i=$((i + 1))
	done
}

@test "ds-draw: every draw equals CPython's for many seeds, sizes and both sample algorithms" {
	records 3
	python3 "$VE_ROOT/tests/pyrand-ref.py" 3 > cases.txt
	[ "$(wc -l < cases.txt)" -gt 250 ]
	# Under valgrind every 32nd case: the plain and ASan tiers run them all.
	step=1
	[ "$VE_TIER" = valgrind ] && step=32
	n=0 bad=0
	while IFS=$'\t' read -r args want; do
		n=$((n + 1))
		[ $((n % step)) -eq 0 ] || continue
		# shellcheck disable=SC2086
		got=$(ds-draw $args in.jsonl 2> err.txt | paste -sd'|')
		if [ "$got" != "$want" ] || [ -s err.txt ]; then
			bad=$((bad + 1))
			echo "ds-draw $args: got '$got' want '$want' stderr '$(cat err.txt)'"
		fi
	done < cases.txt
	assert_equal "$bad" 0
}

@test "ds-draw: Evalchemy's GPQA shuffle: random.Random(42) per record gives [2,1,3,0]" {
	records 2
	run --separate-stderr ds-draw --shuffle 4 --seed 42 --reseed in.jsonl
	assert_success
	# python3 -c 'import random; x=list(range(4)); random.Random(42).shuffle(x); print(x)'
	assert_output "$(printf '{"i":0,"_draw":[2,1,3,0]}\n{"i":1,"_draw":[2,1,3,0]}')"
	assert_equal "$stderr" ""
	# One generator for both records: the second draw differs.
	# python3 -c 'import random; r=random.Random(42)
	# for _ in range(2): x=list(range(4)); r.shuffle(x); print(x)'
	run --separate-stderr ds-draw --shuffle 4 --seed 42 -f perm in.jsonl
	assert_success
	assert_output "$(printf '{"i":0,"perm":[2,1,3,0]}\n{"i":1,"perm":[3,2,0,1]}')"
}

@test "ds-draw: a seed is read as Python reads an integer: sign, leading zeros, any size" {
	records 1
	want=$(ds-draw --sample 5 --population 100 --seed 7 in.jsonl)
	for s in 007 +7 -7 -0007; do
		run --separate-stderr ds-draw --sample 5 --population 100 --seed "$s" in.jsonl
		assert_success
		assert_output "$want"
	done
	big=$(printf '%04300d' 1)
	run --separate-stderr ds-draw --choice 1000000 --seed "$big" in.jsonl
	assert_success
	assert_output "$(python3 -c 'import random; print("{\"i\":0,\"_draw\":%d}" % random.Random(int("0"*4299+"1")).choice(range(1000000)))')"
	# The default seed is 0.
	assert_equal "$(ds-draw --random in.jsonl)" "$(ds-draw --random -s 0 in.jsonl)"
}

@test "ds-draw: records pass through byte for byte, the field before the closing brace" {
	printf '{ "b" : [1, 2] ,"id":9007199254740993 , "t":"caf\xc3\xa9" }\n' > in.jsonl
	run --separate-stderr ds-draw --shuffle 2 --seed 1 --field 'x"y' in.jsonl
	assert_success
	assert_output "$(printf '{ "b" : [1, 2] ,"id":9007199254740993 , "t":"caf\xc3\xa9" ,"x\\"y":[1,0]}')"
	printf '{}\n' > empty-object.jsonl
	run --separate-stderr ds-draw --sample 0 --population 0 empty-object.jsonl
	assert_success
	assert_output '{"_draw":[]}'
}

@test "ds-draw: stdin, '-', an empty input, blank lines, and a last line without a newline" {
	printf '{"a":1}\n\n  \n{"a":2}' > nonl.jsonl
	# python3 -c 'import random; r=random.Random(7); print(r.choice(range(2)), r.choice(range(2)))': 1 0
	run --separate-stderr sh -c "ds-draw --choice 2 --seed 7 < nonl.jsonl"
	assert_success
	assert_output "$(printf '{"a":1,"_draw":1}\n{"a":2,"_draw":0}')"
	assert_equal "$(ds-draw --choice 2 - < nonl.jsonl | tail -c1 | od -An -c | tr -d ' ')" '\n'
	run --separate-stderr ds-draw --shuffle 3 /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run --separate-stderr ds-draw -v --shuffle 3 nonl.jsonl
	assert_success
	assert_equal "$stderr" "ds-draw: read 2"
}

@test "ds-draw: malformed JSON, invalid UTF-8 and a non-object stop with exit 65" {
	printf '{"a":1}\n{"a":\n{"a":3}\n' > bad.jsonl
	run --separate-stderr ds-draw --shuffle 2 bad.jsonl
	assert_failure 65
	assert_output '{"a":1,"_draw":[0,1]}'
	assert_equal "$stderr" "ds-draw: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 5"
	printf '{"a":"\xff"}\n' > u.jsonl
	run --separate-stderr ds-draw --shuffle 2 u.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-draw: u.jsonl:1: invalid UTF-8 at byte 7"
	printf '[1,2]\n' > arr.jsonl
	run --separate-stderr ds-draw --shuffle 2 arr.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-draw: arr.jsonl:1: expected object, got array"
}

@test "ds-draw: --skip-bad and --rejects; a skipped record draws nothing" {
	printf '{"a":1}\n{"a":\n{"a":3}\n' > bad.jsonl
	printf '{"a":1}\n{"a":3}\n' > good.jsonl
	run --separate-stderr ds-draw --shuffle 5 --seed 9 --rejects rej.jsonl bad.jsonl
	assert_success
	assert_output "$(ds-draw --shuffle 5 --seed 9 good.jsonl)"
	assert_equal "$stderr" "ds-draw: skipped 1 bad record (first: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 5)"
	assert_equal "$(cat rej.jsonl)" '{"a":'
}

@test "ds-draw: usage errors exit 64 with a hint" {
	hint="Try 'ds-draw --help' for more information."
	for bad in "" "--seed 1" "--shuffle 3 --sample 2 --population 5" "--random --choice 3" \
		"--sample 2" "--shuffle 3 --population 5" "--sample 6 --population 5" "--choice 0" \
		"--shuffle 3 --seed 1e3" "--shuffle 3 --seed 0x10" "--shuffle 3 --seed -" \
		"--shuffle -1" "--shuffle 10000001" "--shuffle 3 --field=" "--bogus"; do
		# shellcheck disable=SC2086
		run --separate-stderr ds-draw $bad /dev/null
		assert_failure 64
		assert_output ""
		assert_equal "${stderr##*$'\n'}" "$hint"
	done
	run --separate-stderr ds-draw /dev/null
	assert_equal "$stderr" "$(printf 'ds-draw: say what to draw: --shuffle N, --sample K --population N, --choice N or --random\n%s' "$hint")"
	run --separate-stderr ds-draw --shuffle 3 --sample 2 --population 5 /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --shuffle, --sample, --choice and --random are one draw each: give one"
	run --separate-stderr ds-draw --sample 2 /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --sample needs --population N or --population-of EXPR"
	run --separate-stderr ds-draw --sample 2 --population 5 --population-of .n /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --population and --population-of: give one"
	run --separate-stderr ds-draw --sample 2 --population 5 --group .g --reseed /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --reseed and --group: a fresh generator for each record leaves no group to share one"
	run --separate-stderr ds-draw --sample 2 --population-of '.n +' /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --population-of: jq: error: syntax error, unexpected \$end (Unix shell quoting issues?) at <top-level>, line 1:"
	run --separate-stderr ds-draw --shuffle 3 --population 5 /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --population is the population of --sample"
	run --separate-stderr ds-draw --sample 6 --population 5 /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --sample: 6 is larger than the population (5)"
	run --separate-stderr ds-draw --choice 0 /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --choice: the population is empty"
	run --separate-stderr ds-draw --shuffle 3 --seed 1e3 /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --seed: '1e3' is not an integer (at most 4300 digits)"
	run --separate-stderr ds-draw --shuffle 3 --seed "$(printf '%04301d' 1)" /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --seed: '0000000000000000000000000000000000000000...' is not an integer (at most 4300 digits)"
	run --separate-stderr ds-draw --shuffle 3 --field= /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --field: the name is empty"
	run --separate-stderr ds-draw --shuffle 10000001 /dev/null
	assert_equal "${stderr%%$'\n'*}" "ds-draw: --shuffle: expected an integer from 0 to 10000000, got '10000001'"
}

@test "ds-draw: --help and --version" {
	run --separate-stderr ds-draw --help
	assert_success
	assert_line --index 0 "usage: ds-draw [-qv] [-s SEED] [--reseed | --group EXPR]"
	assert_line "      --reseed          a fresh random.Random(SEED) for every record"
	assert_line "74 I/O error. See ds-draw(1)."
	assert_equal "$stderr" ""
	run --separate-stderr ds-draw --version
	assert_success
	assert_output --regexp '^ds-draw [0-9]+\.[0-9]+\.[0-9]+ \(vllm-eval\)$'
}

@test "ds-draw: a missing input exits 66, a write error 74; a closed pipe is quiet" {
	run --separate-stderr ds-draw --shuffle 2 nope.jsonl
	assert_failure 66
	assert_equal "$stderr" "ds-draw: nope.jsonl: No such file or directory"
	records 3
	run --separate-stderr sh -c "ds-draw --shuffle 2 in.jsonl > /dev/full"
	assert_failure 74
	assert_equal "$stderr" "ds-draw: write error: No space left on device"
	python3 "$VE_ROOT/tests/gen-lines.py" 20000 > many.jsonl
	run --separate-stderr sh -c "ds-draw --choice 1 many.jsonl | head -1"
	assert_success
	assert_output '{"n":0,"_draw":0}'
	assert_equal "$stderr" ""
	run --separate-stderr ds-draw --shuffle 2 --rejects no/such/dir/r.jsonl in.jsonl
	assert_failure 73
	assert_equal "$stderr" "ds-draw: --rejects: no/such/dir/r.jsonl: No such file or directory"
}

@test "ds-draw: a record that has the field already is bad; skipped, it takes no draw" {
	printf '%s\n' '{"a":1,"_draw":5}' '{"b":2}' > in.jsonl
	run --separate-stderr ds-draw --shuffle 3 in.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-draw: in.jsonl:1: the record has the field already (see --field)"
	# python3: random.Random(0); x = [0, 1, 2]; shuffle(x) -> [0, 2, 1], the first draw
	run --separate-stderr ds-draw --shuffle 3 --skip-bad in.jsonl
	assert_success
	assert_output '{"b":2,"_draw":[0,2,1]}'
	assert_equal "$stderr" "ds-draw: skipped 1 bad record (first: in.jsonl:1: the record has the field already (see --field))"
	run --separate-stderr ds-draw --shuffle 3 --field other in.jsonl
	assert_success
	assert_line --index 0 '{"a":1,"_draw":5,"other":[0,2,1]}'
}

@test "ds-draw: --group draws each group from its own random.Random(SEED), --population-of sizes each record's pool" {
	# lm-eval's KMMLU: a task per subject, each with Random(1234), sample(its
	# dev examples, 5) per document in order. Independently, with CPython:
	printf '%s\n' '{"s":"a","n":5}' '{"s":"b","n":7}' '{"s":"a","n":5}' '{"s":"b","n":7}' '{"s":"a","n":5}' '{"s":"c","n":40}' > in.jsonl
	python3 -c 'import json, random, sys
gens = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    g = gens.setdefault(r["s"], random.Random(1234))
    print(json.dumps(g.sample(range(r["n"]), 5), separators=(",", ":")))' in.jsonl > want.txt
	run --separate-stderr ds-draw --sample 5 --population-of .n --group .s --seed 1234 in.jsonl
	assert_success
	assert_equal "$(jq -c ._draw <<< "$output")" "$(cat want.txt)"
	# Without --group, one generator for all: not the same draws.
	run --separate-stderr ds-draw --sample 5 --population-of .n --seed 1234 in.jsonl
	assert_not_equal "$(jq -c ._draw <<< "$output")" "$(cat want.txt)"
	# A population smaller than the sample, or none, is a bad record: named,
	# and skipped with --skip-bad without taking a draw from its group.
	printf '%s\n' '{"s":"a","n":5}' '{"s":"a","n":3}' '{"s":"a"}' '{"s":"a","n":5}' > bad.jsonl
	run --separate-stderr ds-draw --sample 5 --population-of .n --group .s --seed 1234 bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-draw: bad.jsonl:2: --population-of: the population (3) is smaller than the sample (5)"
	run --separate-stderr ds-draw --skip-bad --sample 5 --population-of .n --group .s --seed 1234 bad.jsonl
	assert_success
	assert_equal "$(jq -c ._draw <<< "$output")" "$(sed -n '1p;3p' want.txt)"
	assert_equal "$stderr" "ds-draw: skipped 2 bad records (first: bad.jsonl:2: --population-of: the population (3) is smaller than the sample (5))"
	run --separate-stderr ds-draw --sample 5 --population-of .n --group '.s | error("no subject")' in.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-draw: in.jsonl:1: --group: no subject"
}
