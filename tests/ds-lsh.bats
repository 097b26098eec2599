#!/usr/bin/env bats
# ds-lsh: near-duplicate removal by MinHash-LSH and bounded Levenshtein.
#
# Distances are checked against Python's textbook dynamic programme over NFC
# code points (tests/fixtures/ds-lsh/levcheck.py, score.py, plant.py); the
# hand-checked ones say how in a comment.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	D="$FIX/ds-lsh"
}

@test "ds-lsh: keeps the first record of each cluster, byte for byte" {
	run --separate-stderr ds-lsh -v "$D/small.jsonl"
	assert_success
	assert_output "$(sed -n '1p;3p' "$D/small.jsonl")"
	assert_equal "$stderr" "ds-lsh: read 4, kept 2, dropped 2 (0 near a reference record, 0 reference records); 0 of identical text, 2 pairs checked, 2 near duplicates; 17 bands x 7 rows"
}

@test "ds-lsh: --keep longest keeps the longest of a cluster" {
	# Record 4 ("jumped") is one code point longer than 1 and 2.
	run --separate-stderr ds-lsh --keep longest "$D/small.jsonl"
	assert_success
	assert_output "$(sed -n '3p;4p' "$D/small.jsonl")"
}

@test "ds-lsh: --pairs gives each verified pair with its normalised distance" {
	# By hand: 1-2 differ in one character of 70 (1/70); 1-4 insert "ed" and
	# drop "s" in 71 (2/71); 2-4 add the end's "!" to that (3/71).
	run --separate-stderr ds-lsh --pairs "$D/small.jsonl"
	assert_success
	assert_equal "$(jq -c '[.a,.b,.distance]' <<< "$output")" "$(printf '[1,2,0.0142857142857143]\n[1,4,0.028169014084507]\n[2,4,0.0422535211267606]')"
	assert_equal "$(python3 -c 'print(1/70, 2/71, 3/71)')" "0.014285714285714285 0.028169014084507043 0.04225352112676056"
	# jaccard_est is the share of the 128 bins that agree.
	run jq -e '.jaccard_est * 128 | . == floor and . > 0' <<< "$output"
	assert_success
}

@test "ds-lsh: recall >= 0.98 and no false pair on planted near duplicates (brute-force truth)" {
	skip_under_valgrind "recall over a planted corpus: the plain and ASan tiers run it"
	# planted.jsonl and planted-truth.jsonl come from plant.py: the truth is
	# every pair's Jaccard over 5-shingles of NFKC text and its distance by
	# the textbook DP. score.py counts what ds-lsh found of the pairs with
	# Jaccard >= 0.8 and distance < 0.2, and any reported pair whose true
	# distance is not below 0.2. Several seeds, since LSH is random.
	for seed in 1 2 3; do
		ds-lsh --pairs --seed "$seed" "$D/planted.jsonl" > pairs.jsonl
		run python3 "$D/score.py" "$D/planted-truth.jsonl" "$D/planted.jsonl" < pairs.jsonl
		assert_success
		assert_output --regexp '^recall (0\.98|0\.99|1\.00)[0-9]* of 236, false 0$'
	done
}

@test "ds-lsh: the bounded distance agrees with the textbook DP, at several bounds" {
	skip_under_valgrind "Python's DP dominates; the plain and ASan tiers run it"
	# --perm 1 --shingle char:1 --bands 1 --rows 1 makes every pair a candidate.
	python3 "$D/levcheck.py" 60 > lev.jsonl
	for bound in 0.2 0.5 1; do
		ds-lsh --pairs -p 1 -s char:1 -b 1 -r 1 -d "$bound" lev.jsonl > p.jsonl
		run python3 "$D/levcheck.py" 60 p.jsonl "$bound"
		assert_success
		assert_output --regexp '^ok [0-9]+$'
	done
}

@test "ds-lsh: clusters are connected components" {
	# B is A with its first 6 characters changed (6/40 = 0.15), C is B with
	# its last 6 changed (0.15 from B), so A and C are 12/40 = 0.3 apart: A~B
	# and B~C make one cluster of three although A and C are not near.
	A=abcdefghijklmnopqrstuvwxyz0123456789ABCD
	B=XXXXXXghijklmnopqrstuvwxyz0123456789ABCD
	C=XXXXXXghijklmnopqrstuvwxyz0123YYYYYYABCD
	printf '{"t":"%s"}\n{"t":"%s"}\n{"t":"%s"}\n' "$A" "$B" "$C" > chain.jsonl
	run --separate-stderr ds-lsh -t .t -b 64 -r 2 --pairs chain.jsonl
	assert_success
	assert_output "$(printf '{"a":1,"b":2,"jaccard_est":%s,"distance":0.15}\n{"a":2,"b":3,"jaccard_est":%s,"distance":0.15}' \
		"$(jq -r 'select(.b==2).jaccard_est' <<< "$output")" "$(jq -r 'select(.b==3).jaccard_est' <<< "$output")")"
	run --separate-stderr ds-lsh -t .t -b 64 -r 2 chain.jsonl
	assert_success
	assert_output "{\"t\":\"$A\"}"
}

@test "ds-lsh: --against drops records near a reference set, never pairs two references" {
	sed -n 2p "$D/small.jsonl" > ref.jsonl
	sed -n 4p "$D/small.jsonl" >> ref.jsonl
	sed -n '1p;3p' "$D/small.jsonl" > in.jsonl
	run --separate-stderr ds-lsh -v -a ref.jsonl in.jsonl
	assert_success
	assert_output "$(sed -n 3p "$D/small.jsonl")"
	assert_equal "$stderr" "ds-lsh: read 2, kept 1, dropped 1 (1 near a reference record, 2 reference records); 0 of identical text, 2 pairs checked, 2 near duplicates; 17 bands x 7 rows"
	run --separate-stderr ds-lsh --pairs --against ref.jsonl in.jsonl
	assert_success
	assert_equal "$(jq -c '[.a_file,.a,.b_file,.b]' <<< "$output")" "$(printf '["ref.jsonl",1,"in.jsonl",1]\n["ref.jsonl",2,"in.jsonl",1]')"
}

@test "ds-lsh: Korean pairs differing in particles are found; negations stay apart" {
	# korean.jsonl, by Python: k1/k2 differ in two particles (은/이, 가/도):
	# Jaccard 0.841, distance 2/120. k3 "다음 중 옳은 것은?" / k4 "다음 중 옳지
	# 않은 것은?": distance 3/14 = 0.214, not below 0.2. k6 is k5 in NFD.
	run --separate-stderr ds-lsh "$D/korean.jsonl"
	assert_success
	assert_equal "$(jq -r .id <<< "$output" | tr '\n' ' ')" "k1 k3 k4 k5 "
	# With 84 one-row bands all 15 pairs are candidates: the negation pair is rejected ...
	run --separate-stderr ds-lsh -v -P -s char:2 -b 84 -r 1 "$D/korean.jsonl"
	assert_success
	assert_equal "$(jq -c '[.a,.b,.distance]' <<< "$output")" "$(printf '[1,2,0.0166666666666667]\n[5,6,0]')"
	# Two of the six texts are identical after NFC: merged at once, they leave
	# five in the bands (10 pairs, all candidates with 1 row a band) and 1 near.
	assert_equal "${stderr#*; }" "1 of identical text, 10 pairs checked, 1 near duplicates; 84 bands x 1 rows"
	# ... and only a looser bound joins it.
	run --separate-stderr ds-lsh -P -s char:2 -b 84 -r 1 -d 0.25 "$D/korean.jsonl"
	assert_line --index 1 '{"a":3,"b":4,"jaccard_est":0.65625,"distance":0.214285714285714}'
}

@test "ds-lsh: word shingles" {
	# The same words in another order share every 1-word shingle but are far apart.
	printf '{"text":"alpha beta gamma delta epsilon zeta"}\n{"text":"zeta epsilon delta gamma beta alpha"}\n' > w.jsonl
	run --separate-stderr ds-lsh -v -s word:1 w.jsonl
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "${stderr#*; }" "0 of identical text, 1 pairs checked, 0 near duplicates; 17 bands x 7 rows"
	run --separate-stderr ds-lsh -v -s word:2 w.jsonl
	assert_equal "${stderr#*; }" "0 of identical text, 0 pairs checked, 0 near duplicates; 17 bands x 7 rows"
}

@test "ds-lsh: the default bands x rows make a pair at the threshold a candidate >= 98 % of the time" {
	# 1 - (1 - 0.8^7)^17 = 0.9817 (python3); datasketch's balanced choice for
	# 128 permutations at 0.8 gives about one half there.
	run --separate-stderr ds-lsh -v /dev/null
	assert_equal "${stderr##*; }" "17 bands x 7 rows"
	assert_equal "$(python3 -c 'print(round(1 - (1 - 0.8**7)**17, 4))')" 0.9817
	run --separate-stderr ds-lsh -v -j 0.5 -p 64 /dev/null
	assert_equal "${stderr##*; }" "$(python3 -c '
# The same rule, independently: among b*r <= 64 with P(0.5) >= 0.98, the least
# equal-weight false-positive + false-negative area (datasketch).
from math import fsum
def p(s, b, r): return 1 - (1 - s**r)**b
def area(f, a, c, n=2000): h = (c - a) / n; return fsum(f(a + (i + .5) * h) for i in range(n)) * h
best = min((0.5 * area(lambda s: p(s, b, r), 0, .5) + 0.5 * area(lambda s: 1 - p(s, b, r), .5, 1), b, r)
           for b in range(1, 65) for r in range(1, 64 // b + 1) if p(.5, b, r) >= .98)
print("%d bands x %d rows" % best[1:])')"
}

@test "ds-lsh: empty texts, empty input, no final newline" {
	printf '{"text":""}\n{"text":""}\n{"text":"x"}' > e.jsonl
	run --separate-stderr ds-lsh e.jsonl
	assert_success
	assert_output "$(printf '{"text":""}\n{"text":""}\n{"text":"x"}')"
	run --separate-stderr ds-lsh /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	printf '{"text":"same text here"}\n{"text":"same text here"}' > n.jsonl
	run --separate-stderr ds-lsh n.jsonl
	assert_success
	assert_output '{"text":"same text here"}'
}

@test "ds-lsh: malformed JSON, invalid UTF-8 and a text that is not a string stop with 65" {
	printf '{"text":"a"}\n{"text":\n' > bad.jsonl
	run --separate-stderr ds-lsh bad.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-lsh: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 8"
	printf '{"text":"\xff"}\n' > u.jsonl
	run --separate-stderr ds-lsh u.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-lsh: u.jsonl:1: invalid UTF-8 at byte 10"
	printf '{"text":3}\n' > n.jsonl
	run --separate-stderr ds-lsh n.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-lsh: n.jsonl:1: --text: expected a string, got number"
	run --separate-stderr ds-lsh -t '.text.x' "$D/small.jsonl"
	assert_failure 65
	assert_equal "$stderr" "ds-lsh: $D/small.jsonl:1: --text: Cannot index string with string \"x\""
	run --separate-stderr ds-lsh -t 'empty' "$D/small.jsonl"
	assert_failure 65
	assert_equal "$stderr" "ds-lsh: $D/small.jsonl:1: --text: no value"
}

@test "ds-lsh: --skip-bad counts, --rejects keeps the lines as they came" {
	printf '{"text":"a"}\n{"text":\n{"text":null}\n{"text":"a"}\n' > bad.jsonl
	run --separate-stderr ds-lsh --rejects rej.jsonl bad.jsonl
	assert_success
	assert_output '{"text":"a"}'
	assert_equal "$stderr" "ds-lsh: skipped 2 bad records (first: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 8)"
	assert_equal "$(cat rej.jsonl)" "$(printf '{"text":\n{"text":null}')"
}

@test "ds-lsh: --against files share the count of bad records" {
	printf '{"text":"a"}\n{"text":\n' > ref.jsonl
	printf '{"text":3}\n{"text":"b"}\n' > in.jsonl
	run --separate-stderr ds-lsh -v --skip-bad -a ref.jsonl in.jsonl
	assert_success
	assert_output '{"text":"b"}'
	# The reading ends first, and with it the count of records skipped.
	assert_equal "$stderr" "$(printf '%s\n' \
		"ds-lsh: skipped 2 bad records (first: ref.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 8)" \
		"ds-lsh: read 1, kept 1, dropped 0 (0 near a reference record, 1 reference records); 0 of identical text, 0 pairs checked, 0 near duplicates; 17 bands x 7 rows")"
}

@test "ds-lsh: usage errors exit 64 with a hint" {
	run --separate-stderr ds-lsh --bogus
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-lsh: unrecognized option '--bogus'\nTry 'ds-lsh --help' for more information.")"
	run --separate-stderr ds-lsh --bands 4
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-lsh: --bands and --rows go together"
	run --separate-stderr ds-lsh --bands 20 --rows 7
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-lsh: --bands x --rows (140) exceeds --perm (128)"
	run --separate-stderr ds-lsh --shingle line:3
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-lsh: --shingle: expected char:N or word:N with N from 1 to 64, got 'line:3'"
	run --separate-stderr ds-lsh --keep last
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-lsh: --keep: expected first or longest, got 'last'"
	run --separate-stderr ds-lsh --threshold 1.5
	assert_failure 64
	run --separate-stderr ds-lsh --perm 0
	assert_failure 64
	run --separate-stderr ds-lsh -t '.a[' /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-lsh: --text: jq: error: syntax error, unexpected \$end (Unix shell quoting issues?) at <top-level>, line 1:"
}

@test "ds-lsh: --help and --version" {
	run --separate-stderr ds-lsh --help
	assert_success
	assert_line --index 0 "usage: ds-lsh [-Pqv] [-t EXPR] [-s char:N|word:N] [-p N] [-j J] [-b B -r R]"
	assert_line "      --version           print the version"
	assert_line "74 I/O error. See ds-lsh(1)."
	assert_equal "$stderr" ""
	run --separate-stderr ds-lsh --version
	assert_success
	assert_output --regexp '^ds-lsh [0-9]+\.[0-9]+\.[0-9]+ \(vllm-eval\)$'
}

@test "ds-lsh: a missing input exits 66, an output it cannot create 73, a write error 74" {
	run --separate-stderr ds-lsh nope.jsonl
	assert_failure 66
	assert_equal "$stderr" "ds-lsh: nope.jsonl: No such file or directory"
	run --separate-stderr ds-lsh --rejects no/such/dir/r.jsonl "$D/small.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "ds-lsh: --rejects: no/such/dir/r.jsonl: No such file or directory"
	run --separate-stderr sh -c "ds-lsh '$D/small.jsonl' > /dev/full"
	assert_failure 74
	assert_equal "$stderr" "ds-lsh: write error: No space left on device"
}

@test "ds-lsh: a --rejects file that is an --against file is refused; --max-line holds for both" {
	cp "$D/small.jsonl" ref.jsonl
	run --separate-stderr ds-lsh --rejects ref.jsonl -a ref.jsonl "$D/small.jsonl"
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "ds-lsh: --rejects: ref.jsonl is also an input\nTry 'ds-lsh --help' for more information.")"
	cmp ref.jsonl "$D/small.jsonl"
	run --separate-stderr ds-lsh --max-line 32 -a ref.jsonl /dev/null
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-lsh: ref.jsonl:1: a line longer than 32 bytes (see --max-line)"
}

@test "ds-lsh: --rejects, its one output file, is refused (64) when it is an input by any name" {
	# --pairs and the records kept go to stdout only.
	cp "$D/small.jsonl" io.jsonl
	ln io.jsonl hard.jsonl
	hint="Try 'ds-lsh --help' for more information."
	run --separate-stderr ds-lsh --rejects io.jsonl io.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "ds-lsh: --rejects: io.jsonl is also an input\n%s" "$hint")"
	run --separate-stderr ds-lsh -P --rejects hard.jsonl io.jsonl
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-lsh: --rejects: hard.jsonl is also an input\n%s" "$hint")"
	run --separate-stderr sh -c 'ds-lsh --rejects io.jsonl < io.jsonl'
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-lsh: --rejects: io.jsonl is also an input\n%s" "$hint")"
	cmp io.jsonl "$D/small.jsonl"
}

@test "ds-lsh: compressed input" {
	gzip -c < "$D/small.jsonl" > s.gz
	run --separate-stderr ds-lsh s.gz
	assert_success
	assert_output "$(sed -n '1p;3p' "$D/small.jsonl")"
}

@test "ds-lsh: identical texts are merged before the bands, in time" {
	# 5,000 records of one text: before, every pair of each bucket was
	# compared in every band (0.5 s here, 20 s and 550 MB with --pairs).
	python3 -c 'import json
for i in range(1, 5001): print(json.dumps({"id": i, "text": "What is the capital of France? Answer in one word."}))' > same.jsonl
	SECONDS=0
	run --separate-stderr ds-lsh -v same.jsonl
	assert_success
	assert_output '{"id": 1, "text": "What is the capital of France? Answer in one word."}'
	assert_equal "${stderr#*; }" "4999 of identical text, 0 pairs checked, 0 near duplicates; 17 bands x 7 rows"
	# 12,497,500 pairs (5000 * 4999 / 2) are more than the 100000 printed for
	# one text: only the 4999 with record 1 are.
	run --separate-stderr ds-lsh -P same.jsonl
	assert_success
	assert_equal "$stderr" "ds-lsh: --pairs: more than 100000 pairs between records of identical text; printed only those with the first record of each text that is not a reference record"
	assert_equal "${#lines[@]}" 4999
	assert_equal "$(jq -c 'select(.a != 1 or .distance != 0)' <<< "$output")" ""
	assert_equal "$(jq -s -c '[.[].b] == [range(2; 5001)]' <<< "$output")" true
	# Plain tier: a few hundredths of a second each; ample room under the sanitizers.
	[ "$SECONDS" -lt 60 ]
}

@test "ds-lsh: --pairs prints every pair of identical texts and their near ones" {
	# 300 copies of text A and one B that is A with one letter changed
	# (distance 1/50 by hand: 50 code points): 300 * 299 / 2 = 44850 pairs at distance 0 and
	# 300 pairs with B, as before the merge.
	python3 -c 'import json
for i in range(300): print(json.dumps({"text": "What is the capital of France? Answer in one word."}))
print(json.dumps({"text": "What is the capital of Fránce? Answer in one word."}))' > same.jsonl
	run --separate-stderr ds-lsh -P same.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 45150
	assert_equal "$(jq -s -c 'group_by(.distance) | map([.[0].distance, length])' <<< "$output")" "[[0,44850],[0.02,300]]"
	# Every pair once, a before b.
	assert_equal "$(jq -s -c 'map([.a,.b]) | (unique | length) == length and all(.[0] < .[1])' <<< "$output")" true
}

@test "ds-lsh: a reference record of the same text as an input one drops it" {
	printf '{"text":"What is the capital of France?"}\n{"text":"What is the capital of France?"}\n' > ref.jsonl
	printf '{"id":1,"text":"What is the capital of France?"}\n{"id":2,"text":"Name three rivers of Spain."}\n' > in.jsonl
	run --separate-stderr ds-lsh -a ref.jsonl in.jsonl
	assert_success
	assert_output '{"id":2,"text":"Name three rivers of Spain."}'
	# The two reference records are never a pair; each is one with record 1.
	run --separate-stderr ds-lsh -P -a ref.jsonl in.jsonl
	assert_equal "$(jq -c '[.a,.b,.a_file,.b_file]' <<< "$output")" "$(printf '[1,1,"ref.jsonl","in.jsonl"]\n[2,1,"ref.jsonl","in.jsonl"]')"
}

@test "ds-lsh: two candidate texts of 545,000 characters, in bounded memory and time" {
	skip_under_valgrind "seconds of distance computing become many minutes under memcheck"
	# A random text over 20 letters (10 Latin, 10 Hangul) and a copy with
	# every 97th character made '힣', which the text does not hold. Before
	# the match masks were kept per distinct code point, this pair asked for
	# 37 GB (a row of masks per position) and ds-lsh exited 70.
	#
	# The distance is the number of characters changed, n: substituting
	# them is n edits, and no alignment does better, because each of the n
	# '힣' of the copy matches no character of the original, so it costs
	# an edit of its own (substituted or inserted). --max-distance 0.02
	# (n / 545000 is about 0.0103) keeps the band, hence the time, small.
	python3 -c 'import json, random
r = random.Random(13)
a = [r.choice("abcdefghij가나다라마바사아자차") for _ in range(545000)]
b = list(a)
for i in range(96, len(b), 97):
    b[i] = "힣"
print(json.dumps({"id": 1, "text": "".join(a)}, ensure_ascii=False))
print(json.dumps({"id": 2, "text": "".join(b)}, ensure_ascii=False))' > long.jsonl
	want=$(python3 -c 'print("%.15g" % (len(range(96, 545000, 97)) / 545000))')
	assert_equal "$want" 0.0103082568807339
	# 1 GB of address space in the plain tier; the sanitizers reserve more.
	if [ "$VE_TIER" = plain ]; then
		run --separate-stderr sh -c 'ulimit -v 1000000; ds-lsh -P -d 0.02 long.jsonl'
	else
		run --separate-stderr ds-lsh -P -d 0.02 long.jsonl
	fi
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.a, .b, .distance]' <<< "$output")" "[1,2,$want]"
}
