#!/usr/bin/env bats
# Users' jq expressions, compiled once by lib/json.c for every tool that
# takes one, driven through ds-anon --field: what an expression run on
# records may not do, and what it still may.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	printf '%s\n' '{"a":"x@y.com","input":{"b":"z@y.com"}}' > r.jsonl
}

@test "jq: modules, other input, stderr and halting are refused at compile time, exit 64" {
	# libjq 1.6 aborts on include/import without a library path and crashes
	# on input without an input callback; debug and stderr would write a
	# record's text to the logs.
	for e in 'include "x"; .' 'import "x" as y; .' 'input' '.a | inputs' '"\(input)"' \
		'[.a, (debug | .a)]' 'stderr' 'halt_error' '$__loc__' 'input_filename'; do
		w=$(printf '%s' "$e" | grep -oE '\$?(include|import|inputs?|debug|stderr|halt_error|__loc__|input_filename)' | head -1)
		run --separate-stderr ds-anon -f "$e" r.jsonl
		assert_failure 64
		assert_output ""
		assert_equal "$stderr" "ds-anon: --field: jq: $w is not allowed in an expression run on records
Try 'ds-anon --help' for more information."
	done
}

@test "jq: the same names as fields, keys, variables, strings and comments are fine" {
	run --separate-stderr ds-anon -f '.input' r.jsonl
	assert_success
	assert_output '{"a":"x@y.com","input":{"b":"<EMAIL>"}}'
	run --separate-stderr ds-anon -f '.input as $input | .a' r.jsonl
	assert_success
	assert_output '{"a":"<EMAIL>","input":{"b":"z@y.com"}}'
	run --separate-stderr ds-anon -f '# input, debug
.a' r.jsonl
	assert_success
	assert_output '{"a":"<EMAIL>","input":{"b":"z@y.com"}}'
	run --separate-stderr ds-anon -f '.["input"] | .b' r.jsonl
	assert_success
	assert_output '{"a":"x@y.com","input":{"b":"<EMAIL>"}}'
}

@test "jq: a refused name is found in a slice, and after a spaced or commented \$, exit 64" {
	# .a[input:] passed the scan as an object key and then crashed libjq
	# (ds-anon exited 139); jq's lexer reads "$ __loc__" as $__loc__.
	# Both were found by tests/fuzz/jq.c.
	for e in '.a[input:]' '.a[1:input]' '.[debug :]' '{a: .b[input_filename:]}' '$ __loc__' \
		'$ # a comment
__loc__'; do
		w=$(printf '%s' "$e" | grep -oE '(input_filename|input|debug|__loc__)' | head -1)
		[ "$w" = __loc__ ] && w='$__loc__'
		run --separate-stderr ds-anon -f "$e" r.jsonl
		assert_failure 64
		assert_output ""
		assert_equal "$stderr" "ds-anon: --field: jq: $w is not allowed in an expression run on records
Try 'ds-anon --help' for more information."
	done
}

@test "jq: object keys, nested ones too, and a defined name are still data" {
	run --separate-stderr ds-anon -f 'def debug: .a; {input: 1, b: {debug: 2}} as $o | .input' r.jsonl
	assert_success
	assert_output '{"a":"x@y.com","input":{"b":"<EMAIL>"}}'
	assert_equal "$stderr" ""
}
