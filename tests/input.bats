#!/usr/bin/env bats
# The input layer every tool shares (lib/input.c, lib/reader.c), driven
# through ds-anon, which passes records through unchanged: compressed and
# archived inputs, what is corrupt in them, and how members are named.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	for i in 1 2 3; do printf '{"n":%d,"t":"hello %d"}\n' "$i" "$i"; done > d.jsonl
	gzip -k d.jsonl
}

@test "input: a gzip stream is read whole, and concatenated members in turn" {
	run --separate-stderr ds-anon d.jsonl.gz
	assert_success
	assert_output "$(cat d.jsonl)"
	cat d.jsonl.gz d.jsonl.gz > two.gz
	run --separate-stderr ds-anon two.gz
	assert_success
	assert_output "$(cat d.jsonl d.jsonl)"
	run --separate-stderr ds-anon - < two.gz
	assert_success
	assert_output "$(cat d.jsonl d.jsonl)"
}

@test "input: a gzip whose CRC does not match is bad data, exit 65" {
	# The CRC-32 is the 8th to 5th bytes from the end: flip one of them, so
	# the data inflates but does not check (gzip -t says "crc error").
	python3 -c 'import sys; b = bytearray(open("d.jsonl.gz", "rb").read()); b[-6] ^= 0xff; open("crc.gz", "wb").write(b)'
	run gzip -t crc.gz
	assert_failure
	run --separate-stderr ds-anon crc.gz
	assert_failure 65
	assert_equal "$stderr" "ds-anon: crc.gz: gzip: incorrect data check"
}

@test "input: a corrupt or truncated gzip is exit 65, from a file or stdin" {
	head -c 20 d.jsonl.gz > trunc.gz
	run --separate-stderr ds-anon trunc.gz
	assert_failure 65
	assert_equal "$stderr" "ds-anon: trunc.gz: gzip: truncated input"
	run --separate-stderr ds-anon - < trunc.gz
	assert_failure 65
	assert_equal "$stderr" "ds-anon: <stdin>: gzip: truncated input"
	# A deflate block type of 3 does not exist.
	printf '\037\213\010\000\000\000\000\000\000\003\377\377' > bad.gz
	run --separate-stderr ds-anon bad.gz
	assert_failure 65
	assert_equal "$stderr" "ds-anon: bad.gz: gzip: invalid block type"
}

@test "input: NUL bytes in gzip are not an empty tar; an empty archive is bad data" {
	head -c 100000 /dev/zero | gzip > nul.gz
	run --separate-stderr ds-anon nul.gz
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-anon: nul.gz: an archive with no files in it"
	tar cf empty.tar -T /dev/null
	run --separate-stderr ds-anon empty.tar
	assert_failure 65
	assert_equal "$stderr" "ds-anon: empty.tar: an archive with no files in it"
	# An empty file is no archive: 0 records.
	: > empty.jsonl
	run --separate-stderr ds-anon empty.jsonl
	assert_success
	assert_output ""
}

@test "input: a member's name reaches stderr with its control bytes escaped" {
	name=$(printf 'x\033[31mred.jsonl')
	printf 'bad\n' > "$name"
	tar czf esc.tar.gz "$name"
	run --separate-stderr ds-anon esc.tar.gz
	assert_failure 65
	assert_equal "$stderr" 'ds-anon: esc.tar.gz:x\x1b[31mred.jsonl:1: invalid JSON: Invalid numeric literal at EOF at column 3'
}

@test "input: a member's name that is not UTF-8 reaches stderr with those bytes escaped" {
	name=$(printf 'caf\351.jsonl')
	printf 'bad\n' > "$name"
	tar cf latin1.tar "$name"
	run --separate-stderr ds-anon latin1.tar
	assert_failure 65
	assert_equal "$stderr" 'ds-anon: latin1.tar:caf\xe9.jsonl:1: invalid JSON: Invalid numeric literal at EOF at column 3'
}

@test "input: zstd, xz and bzip2 streams, and a missing file is 66" {
	for z in zstd xz bzip2; do
		$z -c d.jsonl > d.z
		run --separate-stderr ds-anon d.z
		assert_success
		assert_output "$(cat d.jsonl)"
	done
	run --separate-stderr ds-anon nope.gz
	assert_failure 66
	assert_equal "$stderr" "ds-anon: nope.gz: No such file or directory"
}

@test "input: a line over --max-line is exit 65 at its place, and is never held whole" {
	printf '{"a":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)" > long.jsonl
	cat d.jsonl long.jsonl > both.jsonl
	run --separate-stderr ds-anon --max-line 2k both.jsonl
	assert_failure 65
	assert_output "$(cat d.jsonl)"
	assert_equal "$stderr" "ds-anon: both.jsonl:4: a line longer than 2048 bytes (see --max-line)"
	run --separate-stderr ds-anon --max-line 3010 both.jsonl
	assert_success
	run --separate-stderr ds-anon --max-line 2x both.jsonl
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-anon: --max-line: expected an integer from 1 to 1099511627776, got '2x'\nTry 'ds-anon --help' for more information.")"
	# 200 MB of one letter with no newline, gzip'd to 200 KB: the default
	# limit (64M) stops it, in bounded memory (400 MB of address space
	# where no sanitizer needs its own).
	head -c 200000000 /dev/zero | tr '\0' x | gzip -1 > bomb.gz
	if [ "$VE_TIER" = plain ]; then
		run --separate-stderr sh -c 'ulimit -v 400000; ds-anon bomb.gz'
	else
		run --separate-stderr ds-anon bomb.gz
	fi
	assert_failure 65
	assert_equal "$stderr" "ds-anon: bomb.gz:1: a line longer than 67108864 bytes (see --max-line)"
}

@test "input: a --rejects file that is also an input is refused before anything is written" {
	printf '{"a":1}\n[2]\n' > io.jsonl
	cp io.jsonl before.jsonl
	ln io.jsonl hard.jsonl
	# The same file by name, and by another name (a hard link).
	for out in io.jsonl hard.jsonl; do
		run --separate-stderr ds-anon --rejects "$out" d.jsonl io.jsonl
		assert_failure 64
		assert_output ""
		assert_equal "$stderr" "ds-anon: --rejects: $out is also an input
Try 'ds-anon --help' for more information."
	done
	run --separate-stderr sh -c 'ds-anon --rejects io.jsonl < io.jsonl'
	assert_failure 64
	assert_equal "$stderr" "ds-anon: --rejects: io.jsonl is also an input
Try 'ds-anon --help' for more information."
	cmp io.jsonl before.jsonl
}

@test "input: a record separator (0x1E) is bad JSON, though jq 1.6 reads past it" {
	printf '{"a":1}\036\036{"b":\n{"a":2}\n' > rs.jsonl
	run --separate-stderr ds-anon --skip-bad rs.jsonl
	assert_success
	assert_output '{"a":2}'
	assert_equal "$stderr" "ds-anon: skipped 1 bad record (first: rs.jsonl:1: invalid JSON: a record separator (0x1E) at byte 8)"
}

@test "input: a raw NUL inside a string is bad JSON, as every other raw control byte is" {
	printf '{"a":"x\0y"}\n{"a":"x\001y"}\n' > nul.jsonl
	run --separate-stderr ds-anon --skip-bad nul.jsonl
	assert_success
	assert_output ""
	assert_equal "$stderr" "ds-anon: skipped 2 bad records (first: nul.jsonl:1: invalid JSON: a NUL byte at byte 8)"
}

@test "input: a number beyond a double's range is bad JSON, as nan is" {
	# jq 1.6 reads 1e400 as infinity: no figure may be one.
	# It also reads the literals nan, inf and Infinity, in any case.
	printf '{"a":1e400}\n{"a":[1,-1e999]}\n{"a":nan}\n{"a":"1e400"}\n{"a":1.5e3}\n{"a":-Infinity}\n{"a":NaN}\n{"a":INF}\n{"info":"inf"}\n' > inf.jsonl
	run --separate-stderr ds-anon --skip-bad inf.jsonl
	assert_success
	assert_output "$(printf '{"a":"1e400"}\n{"a":1.5e3}\n{"info":"inf"}')"
	assert_equal "$stderr" "ds-anon: skipped 6 bad records (first: inf.jsonl:1: invalid JSON: a number beyond a double's range)"
	run --separate-stderr ds-anon inf.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-anon: inf.jsonl:1: invalid JSON: a number beyond a double's range"
}

@test "input: what may overflow is looked at closely, what cannot is let through" {
	# The reader walks a record's values only when its text outside strings
	# holds an n that starts no null, an N or an i, an exponent of three
	# digits or more (leading zeros count: 1E0400 is 1e400) or a run of
	# 200 digits. Each line below is one side of those edges: 10^249 and
	# 1e308 are doubles, 10^400 and 1E+0400 are not.
	big=$(printf '%0400d' 0 | sed 's/^0/1/')
	ok=$(printf '%0250d' 0 | sed 's/^0/1/')
	printf '{"a":%s}\n{"a":1E+0400}\n{"a":[null,nan]}\n{"a":%s}\n{"a":1e308,"b":1e-05}\n{"a":"x\\"nan\\\\","b":[true,false,null]}\n' \
		"$big" "$ok" > edge.jsonl
	run --separate-stderr ds-anon --skip-bad edge.jsonl
	assert_success
	assert_output "$(sed -n '4,6p' edge.jsonl)"
	assert_equal "$stderr" "ds-anon: skipped 3 bad records (first: edge.jsonl:1: invalid JSON: a number beyond a double's range)"
	# ds-hash's fast path copies integers as they are; from 309 digits on,
	# libjq's reading decides, and 10^400 is no double.
	printf '{"id":%s}\n' "$big" > big.jsonl
	run --separate-stderr ds-hash big.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-hash: big.jsonl:1: invalid JSON: a number beyond a double's range"
}
