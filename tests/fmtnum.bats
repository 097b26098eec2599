#!/usr/bin/env bats
# lib/fmtnum.c: numbers written as printf writes them, through the test
# driver fmtnum-check (tests/fuzz/fmtnum-check.c): a filter writing
# ve_fmt_g9 of each number read, or, given a count and a seed, a comparison
# with snprintf itself over that many drawn doubles of each kind.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
}

@test "fmtnum: %.9g of logprobs, exact ties, the range's ends and what falls back to snprintf" {
	# The expected lines are python3's '%.9g' % float(s) for each s (its own
	# correctly rounded formatting, ties to even, not glibc's printf):
	# 12345678.25 and 123456788.5 are exact ties that round down to an even
	# digit, 12345678.75 and 123456789.5 ties that round up to one;
	# 215.2265625 is one too. 9.999999995e8 and 0.000099999999995 carry
	# into the next decade.
	printf '%s\n' -0.05 -6.05 -0.3 -1.55 -0.000133333333 -2.00000000001 123456789.5 \
		123456788.5 12345678.25 12345678.75 215.2265625 0.0001 0.000099999999995 1e-9 \
		9.999999995e8 1e9 999999999.4 0 -0 1e-300 5e-324 inf -inf nan 42 -7.123456789e-7 \
		> in.txt
	run --separate-stderr fmtnum-check < in.txt
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "-0.05
-6.05
-0.3
-1.55
-0.000133333333
-2
123456790
123456788
12345678.2
12345678.8
215.226562
0.0001
0.0001
1e-09
1e+09
1e+09
999999999
0
-0
1e-300
4.94065646e-324
inf
-inf
nan
42
-7.12345679e-07"
}

@test "fmtnum: ve_fmt_g9 and ve_fmt_u64 write what snprintf writes, over millions of drawn numbers" {
	# A million of each kind in the plain tier (some 3 s); the sanitizer
	# and valgrind tiers check the memory of the same paths on fewer.
	n=1000000
	[ "$VE_TIER" = asan ] && n=200000
	[ "$VE_TIER" = valgrind ] && n=5000
	run --separate-stderr fmtnum-check "$n" 20261129
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "random bits: $n values, 0 differ
random in 1e-9..1e9: $n values, 0 differ
logprobs: $n values, 0 differ
near ties: $n values, 0 differ
exact ties among them: over 1%
powers of ten: $n values, 0 differ
integers: $n values, 0 differ
integers as %llu: $n values, 0 differ"
}

@test "fmtnum: a line that is no number, and a bad count, are usage errors" {
	run --separate-stderr fmtnum-check <<< $'1.5\nx1\n2'
	assert_equal "$status" 64
	assert_equal "$output" "1.5"
	assert_equal "$stderr" "fmtnum-check: not a number: x1"
	run --separate-stderr fmtnum-check 0 1
	assert_equal "$status" 64
	assert_equal "$output" ""
	assert_equal "$stderr" "usage: fmtnum-check [N SEED]"
}

@test "fmtnum: an empty input writes nothing; a full stdout is exit 74" {
	run --separate-stderr fmtnum-check < /dev/null
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	run --separate-stderr sh -c 'echo 1.25 | fmtnum-check > /dev/full'
	assert_equal "$status" 74
	assert_equal "$stderr" ""
}
