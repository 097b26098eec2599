#!/usr/bin/env bats
# lib/lcbdata.c: LiveCodeBench's compressed test cases, through the test
# driver lcbdata-check (tests/fuzz/lcbdata-check.c: one compressed string a
# line in, the decoded text as a JSON string or "error: REASON" out).
#
# The inputs are python3's own (Debian 12: 3.11): base64.b64encode of
# zlib.compress of pickle.dumps of a str, as LiveCodeBench's runner undoes
# them with json.loads(pickle.loads(zlib.decompress(base64.b64decode(s))))
# (lcb_runner/benchmarks/code_generation.py at commit
# 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24); the expected texts are the
# strs python3 pickled, compared as python3 reads the driver's JSON.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
}

# Writes cases.txt (compressed strings) and want.json (the strs, a JSON
# array) from the python3 expression $1, a list of (str, protocol) pairs.
encode() {
	python3 -c '
import base64, json, pickle, sys, zlib
cases = eval("(" + sys.argv[1] + ")")
with open("cases.txt", "w") as f:
    for s, proto in cases:
        f.write(base64.b64encode(zlib.compress(pickle.dumps(s, protocol=proto))).decode() + "\n")
json.dump([s for s, _ in cases], open("want.json", "w"))
' "$1"
}

# Whether the driver's lines in out.txt are the strs of want.json: prints
# "same N" or the first that differs.
compare() {
	python3 -c '
import json
got = [json.loads(l) for l in open("out.txt", encoding="utf-8")]
want = json.load(open("want.json"))
bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
print("same %d" % len(got) if len(got) == len(want) and not bad else "differ at %s" % (bad[:1] or len(got)))
'
}

@test "lcbdata: tests as LiveCodeBench publishes them decode in every pickle protocol, 0 to 5" {
	encode '[(json.dumps([{"input": "3\n1 2 3\n", "output": "6\n", "testtype": "stdin"}]), p) for p in range(6)]
		+ [(json.dumps([{"input": "[1, 2]\n3", "output": "true", "testtype": "functional"}]), 4)]'
	run --separate-stderr lcbdata-check < cases.txt
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 '"[{\"input\": \"3\\n1 2 3\\n\", \"output\": \"6\\n\", \"testtype\": \"stdin\"}]"'
	printf '%s\n' "${lines[@]}" > out.txt
	run compare
	assert_output "same 7"
}

@test "lcbdata: unicode, escapes, NUL and an empty list come back as python3 pickled them" {
	# Protocol 0 writes \, NUL, \n, \r and ^Z as \u escapes, Latin-1 as
	# bytes and the rest as \uXXXX or \UXXXXXXXX; protocol 4 writes UTF-8.
	encode '[(s, p) for p in (0, 1, 4, 5) for s in (
		"caf\u00e9 \u20ac \U0001F600 \uffff\ufffe \u00ff",
		"a\\b \\u0041 \\\\u0041 \\U0001F600 \\",
		"nul\x00 cr\r lf\n sub\x1a tab\t del\x7f",
		"[]", "",
		"\ud55c\uad6d\uc5b4 \u0645\u0631\u062d\u0628\u0627")]'
	run --separate-stderr lcbdata-check < cases.txt
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 24
	assert_line --index 3 '"[]"'
	assert_line --index 4 '""'
	printf '%s\n' "${lines[@]}" > out.txt
	run compare
	assert_output "same 24"
}

@test "lcbdata: a 1 MB str, in protocols 0 and 4" {
	encode '[("x\u00e9\\\n" * 262144, 0), ("[" + "1, " * 349525 + "1]", 4)]'
	[ "$(wc -c < cases.txt)" -lt 20000 ]
	lcbdata-check < cases.txt > out.txt
	run compare
	assert_output "same 2"
}

@test "lcbdata: bad base64, zlib and pickles are refused with a reason, exit 65" {
	python3 - > cases.txt <<-'EOF'
	import base64, pickle, zlib
	b64, z = base64.b64encode, zlib.compress
	good = b64(z(pickle.dumps("[]"))).decode()
	print(good[:-4] + "!" + good[-3:])          # a byte outside the alphabet
	print(good[:8] + "\r" + good[8:-1])         # b64decode drops it; refused here
	print(good[:-1])                            # a length not a multiple of 4
	print("QQ==QQ==")                           # padding before the end
	print(b64(z(pickle.dumps("[]"))[:-3]).decode())          # zlib cut short
	print(b64(b"not zlib at all").decode())                   # no zlib header
	print(b64(z(pickle.dumps("[]")) + b"junk").decode())      # after the stream
	print(b64(z(pickle.dumps(["[]"]))).decode())              # a list
	print(b64(z(pickle.dumps(b"[]", protocol=3))).decode())   # bytes
	print(b64(z(pickle.dumps(None))).decode())                # None
	print(b64(z(pickle.dumps("[]") + b"junk")).decode())      # after STOP
	print(b64(z(pickle.dumps("[]")[:-1])).decode())           # no STOP
	print(b64(z(pickle.dumps("\ud800", protocol=4))).decode())  # a lone surrogate
	print(b64(z(pickle.dumps("\ud800", protocol=0))).decode())
	print(b64(z(b"V\\u12\n.")).decode())                      # a short \u escape
	print(b64(z(b"V\\U00110000\n.")).decode())                # above U+10FFFF
	print(b64(z(b"\x80\x06X\x00\x00\x00\x00.")).decode())     # protocol 6
	print(b64(z(b"")).decode())                               # nothing
	print(good)
	EOF
	run --separate-stderr lcbdata-check < cases.txt
	assert_failure 65
	assert_equal "$stderr" ""
	assert_output - <<-'EOF'
	error: not base64: a byte outside its alphabet
	error: not base64: a byte outside its alphabet
	error: not base64: its length is not a multiple of 4
	error: not base64: '=' before the end
	error: zlib: the stream is cut short
	error: zlib: incorrect header check
	error: zlib: data after the end of its stream
	error: pickle: opcode 0x5d is not a string's
	error: pickle: opcode 0x43 is not a string's
	error: pickle: opcode 0x4e is not a string's
	error: pickle: data after STOP
	error: pickle: it is cut short
	error: pickle: the string is not valid UTF-8
	error: pickle: the string is not valid UTF-8
	error: pickle: a truncated \uXXXX escape
	error: pickle: a \UXXXXXXXX escape above U+10FFFF
	error: pickle: a protocol above 5
	error: pickle: it is empty
	"[]"
	EOF
}

@test "lcbdata: empty input is no output; a line without its newline decodes; > /dev/full is 74" {
	run --separate-stderr lcbdata-check < /dev/null
	assert_success
	assert_output ""
	python3 -c 'import base64, pickle, zlib, sys; sys.stdout.write(base64.b64encode(zlib.compress(pickle.dumps("[1]"))).decode())' > one.txt
	run --separate-stderr lcbdata-check < one.txt
	assert_success
	assert_output '"[1]"'
	run --separate-stderr sh -c 'lcbdata-check < one.txt > /dev/full'
	assert_failure 74
	assert_equal "$stderr" ""
}
