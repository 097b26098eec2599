#!/usr/bin/env bats
# ds-hash: exact dedup filter, manifests, and the input/output conventions
# every tool shares (compressed and archived input, bad records, /dev/full).
#
# Expected hashes were computed outside ds-hash, with jq and coreutils:
#   sed -n 1p dedup.jsonl | jq -cSj . | sha256sum   (whole-record key)
#   sed -n 1p dedup.jsonl | jq -j .q | sha256sum    (string key)

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
}

H1=cf68becefef0e2b431786f3828df7e1662c7ad2ce3504285a9c94da44ef68165
H3=d8f86c12d4c5bdb64c68d271882f960cfef075bddb0e3877f1c90638bdd84e38

@test "ds-hash: keeps the first of records equal as canonical JSON, byte for byte" {
	run --separate-stderr ds-hash "$FIX/dedup.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(sed -n '1p;3p;4p;5p' "$FIX/dedup.jsonl")"
}

@test "ds-hash: --tag adds the SHA-256 of jq -cS's form" {
	run --separate-stderr ds-hash --tag "$FIX/dedup.jsonl"
	assert_success
	assert_line --index 0 '{"id":1,"q":"What is 2+2?","a":"4","_hash":"sha256:'$H1'"}'
	assert_line --index 1 '{"id":2,"q":"Capital of France?","a":"Paris","_hash":"sha256:'$H3'"}'
	assert_equal "${#lines[@]}" 4
}

@test "ds-hash: a string key is hashed as its bytes" {
	run --separate-stderr ds-hash -t -k .q "$FIX/dedup.jsonl"
	assert_success
	assert_line --index 0 --partial '"_hash":"sha256:52cb6b5e4a038af1756708f98afb718a08c75b87b2f03dbee4dd9c8139c15c5e"}'
	assert_equal "${#lines[@]}" 4
}

@test "ds-hash: --normalize all folds case, punctuation and spaces" {
	run --separate-stderr ds-hash -v -k .q -n all "$FIX/dedup.jsonl"
	assert_success
	assert_output "$(sed -n '1p;3p' "$FIX/dedup.jsonl")"
	assert_equal "$stderr" "ds-hash: read 5, kept 2, dropped 3 (0 matching --against, 0 reference keys)"
}

@test "ds-hash: the normalised key is what gets hashed" {
	# "What is 2+2?" after casefold, punct (P* and S*) and space is "what is 22":
	# printf 'what is 22' | sha256sum
	run --separate-stderr ds-hash -t -k .q -n casefold,punct,space "$FIX/dedup.jsonl"
	assert_success
	assert_line --index 0 --partial 'sha256:8e256a9b53fe7f25b613c90760882c6a1458b87428bfff6307cba310b81daadd"}'
}

@test "ds-hash: Korean text in NFC and NFD is one key after NFKC" {
	run --separate-stderr ds-hash -k .q -n nfkc "$FIX/korean-nf.jsonl"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --partial '"k1"'
	assert_line --index 1 --partial '"k3"'
	run --separate-stderr ds-hash -k .q "$FIX/korean-nf.jsonl"
	assert_equal "${#lines[@]}" 3
}

@test "ds-hash: --dups gets dropped records with the place of the one kept" {
	run --separate-stderr ds-hash -k .q -n all --dups dups.jsonl "$FIX/dedup.jsonl"
	assert_success
	run cat dups.jsonl
	assert_line --index 0 '{"q":"What is 2+2?","id":1,"a":"4","_dup_of":"'"$FIX"'/dedup.jsonl:1"}'
	assert_line --index 1 '{"id":3,"q":"what is 2+2 ?","a":"4","_dup_of":"'"$FIX"'/dedup.jsonl:1"}'
	assert_equal "${#lines[@]}" 3
}

@test "ds-hash: --against drops records whose key is in another dataset" {
	run --separate-stderr ds-hash -v -k .q -a "$FIX/reference.jsonl" --dups d.jsonl "$FIX/dedup.jsonl"
	assert_success
	refute_output --partial Paris
	assert_equal "$stderr" "ds-hash: read 5, kept 3, dropped 2 (1 matching --against, 2 reference keys)"
	run cat d.jsonl
	assert_line --index 1 --partial '"_dup_of":"'"$FIX"'/reference.jsonl:1"}'
}

@test "ds-hash: records pass through with their spacing and key order" {
	printf '{ "b" : 1 , "a":2 }\n{"a":2,"b":1}\n' > in.jsonl
	run --separate-stderr ds-hash --tag in.jsonl
	assert_success
	assert_output '{ "b" : 1 , "a":2 ,"_hash":"sha256:'"$(printf '{"a":2,"b":1}' | sha256sum | cut -c1-64)"'"}'
}

@test "ds-hash: an integer id beyond 2^53 passes through unchanged" {
	printf '{"id":9007199254740993}\n' > big.jsonl
	run --separate-stderr ds-hash big.jsonl
	assert_success
	assert_output '{"id":9007199254740993}'
}

@test "ds-hash: stdin, '-', and an empty input" {
	run --separate-stderr sh -c "ds-hash < '$FIX/dedup.jsonl' | wc -l"
	assert_output 4
	run --separate-stderr sh -c "cat '$FIX/dedup.jsonl' | ds-hash - | wc -l"
	assert_output 4
	run --separate-stderr ds-hash /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	: > empty.jsonl
	run --separate-stderr ds-hash -v empty.jsonl
	assert_success
	assert_equal "$stderr" "ds-hash: read 0, kept 0, dropped 0 (0 matching --against, 0 reference keys)"
}

@test "ds-hash: a last line without a newline is a record" {
	printf '{"a":1}\n{"a":2}' > nonl.jsonl
	run --separate-stderr ds-hash nonl.jsonl
	assert_success
	assert_output "$(printf '{"a":1}\n{"a":2}')"
	assert_equal "$(ds-hash nonl.jsonl | tail -c1 | od -An -c | tr -d ' ')" '\n'
}

@test "ds-hash: blank lines and CRLF endings" {
	printf '{"a":1}\r\n\n   \n{"a":1}\r\n{"a":2}\r\n' > crlf.jsonl
	run --separate-stderr ds-hash crlf.jsonl
	assert_success
	assert_output "$(printf '{"a":1}\n{"a":2}')"
}

@test "ds-hash: gzip, zstd, xz and bzip2 inputs" {
	for z in gzip zstd xz bzip2; do
		$z -c < "$FIX/dedup.jsonl" > in.$z
		run --separate-stderr ds-hash in.$z
		assert_success
		assert_output "$(sed -n '1p;3p;4p;5p' "$FIX/dedup.jsonl")"
	done
}

@test "ds-hash: tar.gz and zip members are read in turn and named in errors" {
	cp "$FIX/dedup.jsonl" a.jsonl
	printf '{"id":2,"q":"Capital of France?","a":"Paris"}\n{"x":\n' > b.jsonl
	tar czf both.tar.gz a.jsonl b.jsonl
	run --separate-stderr ds-hash -k .q both.tar.gz
	assert_failure 65
	assert_equal "$stderr" "ds-hash: both.tar.gz:b.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 5"
	assert_equal "${#lines[@]}" 4
	zip -q both.zip a.jsonl
	run --separate-stderr ds-hash both.zip
	assert_success
	assert_equal "${#lines[@]}" 4
}

@test "ds-hash: --dups names a member that is not UTF-8 in valid JSON" {
	printf '{"a":1}\n{"a":1}\n' > "$(printf 'caf\351.jsonl')"
	tar cf t.tar ./*.jsonl
	run --separate-stderr ds-hash --dups d.jsonl t.tar
	assert_success
	assert_output '{"a":1}'
	assert_equal "$stderr" ""
	run jq -c . d.jsonl
	assert_success
	assert_output '{"a":1,"_dup_of":"t.tar:./caf\\xe9.jsonl:1"}'
}

@test "ds-hash: malformed JSON stops at the line with exit 65, after what came before" {
	printf '{"a":1}\n{"a":\n{"a":3}\n' > bad.jsonl
	run --separate-stderr ds-hash bad.jsonl
	assert_failure 65
	assert_output '{"a":1}'
	assert_equal "$stderr" "ds-hash: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 5"
}

@test "ds-hash: invalid UTF-8, a non-object, and a missing key are bad records" {
	printf '{"a":"\xff"}\n' > u.jsonl
	run --separate-stderr ds-hash u.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-hash: u.jsonl:1: invalid UTF-8 at byte 7"
	printf '[1,2]\n' > arr.jsonl
	run --separate-stderr ds-hash arr.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-hash: arr.jsonl:1: expected object, got array"
	run --separate-stderr ds-hash -k .nope "$FIX/dedup.jsonl"
	assert_failure 65
	assert_equal "$stderr" "ds-hash: $FIX/dedup.jsonl:1: --key: no value (null)"
	run --separate-stderr ds-hash -k '.q.x' "$FIX/dedup.jsonl"
	assert_failure 65
	assert_equal "$stderr" "ds-hash: $FIX/dedup.jsonl:1: --key: Cannot index string with string \"x\""
}

@test "ds-hash: --skip-bad counts, --rejects keeps the lines as they came" {
	printf '{"a":1}\n{"a":\n"str"\n{"a":"\xff"}\n{"a":1}\n{"a":2}' > bad.jsonl
	run --separate-stderr ds-hash --rejects rej.jsonl bad.jsonl
	assert_success
	assert_output "$(printf '{"a":1}\n{"a":2}')"
	assert_equal "$stderr" "ds-hash: skipped 3 bad records (first: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 5)"
	assert_equal "$(cat rej.jsonl | od -An -tx1 | tr -d ' \n')" "$(printf '{"a":\n"str"\n{"a":"\xff"}\n' | od -An -tx1 | tr -d ' \n')"
	run --separate-stderr ds-hash -q --skip-bad bad.jsonl
	assert_success
	assert_equal "$stderr" ""
}

@test "ds-hash: --against files and a manifest's files share one count of bad records" {
	printf '{"a":1}\n{"a"\n' > ref.jsonl
	printf '{"a":2}\n[3]\n{"a":1}\n' > in.jsonl
	run --separate-stderr ds-hash -v --skip-bad -a ref.jsonl in.jsonl
	assert_success
	assert_output '{"a":2}'
	# The reading ends first, and with it the count of records skipped.
	assert_equal "$stderr" "$(printf '%s\n' \
		"ds-hash: skipped 2 bad records (first: ref.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 4)" \
		"ds-hash: read 2, kept 1, dropped 1 (1 matching --against, 1 reference keys)")"
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 --rejects rej.jsonl ref.jsonl in.jsonl
	assert_success
	assert_line '    records: 1'
	assert_line '    records: 2'
	assert_equal "$stderr" "ds-hash: skipped 2 bad records (first: ref.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 4)"
	assert_equal "$(cat rej.jsonl)" "$(printf '{"a"\n[3]')"
}

@test "ds-hash: usage errors exit 64 with a hint" {
	run --separate-stderr ds-hash --bogus
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: unrecognized option '--bogus'\nTry 'ds-hash --help' for more information.")"
	run --separate-stderr ds-hash -k '.a[' x
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-hash: --key: jq: error: syntax error, unexpected \$end (Unix shell quoting issues?) at <top-level>, line 1:"
	run --separate-stderr ds-hash -n nfkc,shout x
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-hash: --normalize: unknown form in 'nfkc,shout' (nfkc, nfc, casefold, punct, space, all, none)"
	run --separate-stderr ds-hash --manifest x
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-hash: --manifest needs --name and --dataset-version"
	run --separate-stderr ds-hash --name x
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-hash: --name and --dataset-version describe a dataset: use them with --manifest"
	run --separate-stderr ds-hash --dataset-version 1 x
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-hash: --name and --dataset-version describe a dataset: use them with --manifest"
	run --separate-stderr ds-hash --check m.yaml --tag
	assert_failure 64
}

@test "ds-hash: --help and --version" {
	run --separate-stderr ds-hash --help
	assert_success
	assert_line --index 0 --partial "usage: ds-hash [-tqv]"
	assert_line "      --dataset-version VERSION"
	assert_line "      --version         print the version"
	assert_line "73 cannot create, 74 I/O error. See ds-hash(1)."
	assert_equal "$stderr" ""
	run --separate-stderr ds-hash --version
	assert_success
	assert_output --regexp '^ds-hash [0-9]+\.[0-9]+\.[0-9]+ \(vllm-eval\)$'
	assert_equal "$stderr" ""
	# Without --manifest, --version prints ours whatever follows it.
	version=$output
	run --separate-stderr ds-hash --version -v
	assert_success
	assert_output "$version"
	run --separate-stderr ds-hash -k .q --version x.jsonl
	assert_success
	assert_output "$version"
	assert_equal "$stderr" ""
}

@test "ds-hash: --manifest --version VERSION, the old name of --dataset-version, still works" {
	cp "$FIX/dedup.jsonl" d.jsonl
	export SOURCE_DATE_EPOCH=1763805067
	ds-hash --manifest --name n --dataset-version 1.0 d.jsonl > want.yaml
	grep -qx 'version: "1.0"' want.yaml
	for old in "--manifest --name n --version 1.0" "--manifest --name n --version=1.0" \
		"--version 1.0 --name n --manifest"; do
		run --separate-stderr ds-hash $old d.jsonl
		assert_success
		assert_output "$(cat want.yaml)"
		assert_equal "$stderr" "ds-hash: --version VERSION is deprecated: use --dataset-version"
	done
	run --separate-stderr ds-hash -q --manifest --name n --version 1.0 d.jsonl
	assert_success
	assert_output "$(cat want.yaml)"
	assert_equal "$stderr" ""
}

@test "ds-hash: a missing input exits 66, an output it cannot create 73" {
	run --separate-stderr ds-hash nope.jsonl
	assert_failure 66
	assert_equal "$stderr" "ds-hash: nope.jsonl: No such file or directory"
	run --separate-stderr ds-hash --dups no/such/dir/d.jsonl "$FIX/dedup.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "ds-hash: --dups: no/such/dir/d.jsonl: No such file or directory"
	run --separate-stderr ds-hash --rejects no/such/dir/r.jsonl "$FIX/dedup.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "ds-hash: --rejects: no/such/dir/r.jsonl: No such file or directory"
	cp "$FIX/dedup.jsonl" d.jsonl
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 --rejects no/such/dir/r.jsonl d.jsonl
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "ds-hash: --rejects: no/such/dir/r.jsonl: No such file or directory"
}

@test "ds-hash: a write error exits 74; a closed pipe is quiet" {
	run --separate-stderr sh -c "ds-hash '$FIX/dedup.jsonl' > /dev/full"
	assert_failure 74
	assert_equal "$stderr" "ds-hash: write error: No space left on device"
	python3 "$VE_ROOT/tests/gen-lines.py" 20000 > many.jsonl
	run --separate-stderr sh -c "ds-hash many.jsonl | head -1"
	assert_success
	assert_output '{"n":0}'
	assert_equal "$stderr" ""
}

@test "ds-hash: an output that is also an input is refused (64) before anything is written" {
	printf '{"a":1}\n{"a":1}\n' > io.jsonl
	cp io.jsonl before.jsonl
	run --separate-stderr ds-hash --rejects new.jsonl --dups io.jsonl io.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "ds-hash: --dups: io.jsonl is also an input\nTry 'ds-hash --help' for more information.")"
	[ ! -e new.jsonl ]
	run --separate-stderr ds-hash --dups io.jsonl -a io.jsonl "$FIX/dedup.jsonl"
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --dups: io.jsonl is also an input\nTry 'ds-hash --help' for more information.")"
	run --separate-stderr ds-hash --rejects io.jsonl -a io.jsonl "$FIX/dedup.jsonl"
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --rejects: io.jsonl is also an input\nTry 'ds-hash --help' for more information.")"
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 --rejects io.jsonl io.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "ds-hash: --rejects: io.jsonl is also an input\nTry 'ds-hash --help' for more information.")"
	cmp io.jsonl before.jsonl
}

@test "ds-hash: every output is refused (64) when it is an input, by any name, or the other output" {
	printf '{"a":1}\n{"a":1}\n{bad\n' > io.jsonl
	cp io.jsonl before.jsonl
	ln io.jsonl hard.jsonl
	hint="Try 'ds-hash --help' for more information."
	# The filter's --rejects, the file by another name, and stdin.
	run --separate-stderr ds-hash --rejects io.jsonl io.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "ds-hash: --rejects: io.jsonl is also an input\n%s" "$hint")"
	run --separate-stderr ds-hash --dups hard.jsonl io.jsonl
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --dups: hard.jsonl is also an input\n%s" "$hint")"
	run --separate-stderr sh -c 'ds-hash --dups io.jsonl < io.jsonl'
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --dups: io.jsonl is also an input\n%s" "$hint")"
	run --separate-stderr sh -c 'ds-hash --rejects io.jsonl - < io.jsonl'
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --rejects: io.jsonl is also an input\n%s" "$hint")"
	cmp io.jsonl before.jsonl
	# --dups and --rejects as one file: the duplicate overwrote the bad
	# line, and nothing said so. Existing or not, by any name.
	for out in o.jsonl ./o.jsonl; do
		run --separate-stderr ds-hash --dups o.jsonl --rejects "$out" io.jsonl
		assert_failure 64
		assert_output ""
		assert_equal "$stderr" "$(printf "ds-hash: --dups and --rejects name the same file: o.jsonl\n%s" "$hint")"
		[ ! -e o.jsonl ]
	done
	: > o.jsonl
	ln o.jsonl o2.jsonl
	run --separate-stderr ds-hash --dups o.jsonl --rejects o2.jsonl io.jsonl
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --dups and --rejects name the same file: o.jsonl\n%s" "$hint")"
	# --check fails a file at its first bad record: it has nothing to reject.
	run --separate-stderr ds-hash --check m.yaml --rejects io.jsonl
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --skip-bad and --rejects: not with --check (a bad record fails its file)\n%s" "$hint")"
	cmp io.jsonl before.jsonl
	# /dev/null twice loses nothing.
	run --separate-stderr ds-hash --dups /dev/null --rejects /dev/null io.jsonl
	assert_success
	assert_output '{"a":1}'
	assert_equal "$stderr" "ds-hash: skipped 1 bad record (first: io.jsonl:3: invalid JSON: Invalid numeric literal at EOF at column 4)"
	# Two distinct files are fine; --manifest and --check write only stdout.
	run --separate-stderr ds-hash --dups d.jsonl --rejects r.jsonl io.jsonl
	assert_success
	assert_output '{"a":1}'
	assert_equal "$stderr" "ds-hash: skipped 1 bad record (first: io.jsonl:3: invalid JSON: Invalid numeric literal at EOF at column 4)"
	assert_equal "$(cat d.jsonl r.jsonl)" "$(printf '{"a":1,"_dup_of":"io.jsonl:1"}\n{bad')"
}

@test "ds-hash: --max-line holds in every mode, --against files included" {
	printf '{"a":1}\n{"a":"%s"}\n' "$(printf '%0100d' 0)" > long.jsonl
	msg="ds-hash: long.jsonl:2: a line longer than 64 bytes (see --max-line)"
	run --separate-stderr ds-hash --max-line 64 long.jsonl
	assert_failure 65
	assert_output '{"a":1}'
	assert_equal "$stderr" "$msg"
	run --separate-stderr ds-hash --max-line 64 -a long.jsonl "$FIX/dedup.jsonl"
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "$msg"
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 --max-line 64 long.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "$msg"
	ds-hash --manifest --name n --dataset-version 1 long.jsonl > m.yaml
	run --separate-stderr ds-hash --check m.yaml --max-line 64
	assert_failure 1
	assert_output "long.jsonl: FAILED open or read (unreadable (see above))"
	assert_equal "$stderr" "$(printf '%s\n' "$msg" "ds-hash: WARNING: 1 of 1 file did NOT match")"
	run --separate-stderr ds-hash --check m.yaml --max-line 1k
	assert_success
	assert_output "long.jsonl: OK"
}

# The key digest is independent of record order: computed here, not by
# ds-hash, as the sum mod 2^256 of each record's SHA-256 of `jq -cS` form.
keysum() {
	jq -cS . "$@" | python3 -c '
import hashlib, sys
s = sum(int(hashlib.sha256(l.rstrip("\n").encode()).hexdigest(), 16) for l in sys.stdin) % 2**256
print("sum256:%064x" % s)'
}

@test "ds-hash: --manifest records bytes, SHA-256, records and the key digest" {
	cp "$FIX/dedup.jsonl" d.jsonl
	SOURCE_DATE_EPOCH=1763805067 run --separate-stderr ds-hash --manifest --name demo --dataset-version 1.0 d.jsonl
	assert_success
	assert_output "$(cat <<EOF
# Dataset manifest written by ds-hash $(ds-hash --version | cut -d' ' -f2); verify with: ds-hash --check FILE
name: "demo"
version: "1.0"
created: "2025-11-22T09:51:07Z"
key: "."
normalize: "none"
files:
  - path: "d.jsonl"
    bytes: 192
    sha256: "1e7554a030cb16e9e5fe09bcfdc9b889f17a13c963da76346657f7025ffcb40c"
    records: 5
    keys: "$(keysum d.jsonl)"
EOF
)"
}

@test "ds-hash: the key digest does not depend on record order" {
	cp "$FIX/dedup.jsonl" d.jsonl
	tac d.jsonl > r.jsonl
	a=$(ds-hash --manifest --name n --dataset-version 1 d.jsonl | grep keys:)
	b=$(ds-hash --manifest --name n --dataset-version 1 r.jsonl | grep keys:)
	assert_equal "$a" "$b"
}

@test "ds-hash: --check passes an untouched dataset and names each file" {
	cp "$FIX/dedup.jsonl" d.jsonl
	cp "$FIX/reference.jsonl" r.jsonl
	tar czf t.tar.gz d.jsonl r.jsonl
	ds-hash --manifest --name n --dataset-version 1 -k .q -n all d.jsonl t.tar.gz > m.yaml
	grep -q '      - name: "r.jsonl"' m.yaml
	run --separate-stderr ds-hash --check m.yaml
	assert_success
	assert_output "$(printf 'd.jsonl: OK\nt.tar.gz: OK')"
	assert_equal "$stderr" ""
}

@test "ds-hash: --check finds a tampered file, a missing one, and exits 1" {
	cp "$FIX/dedup.jsonl" d.jsonl
	cp "$FIX/reference.jsonl" r.jsonl
	ds-hash --manifest --name n --dataset-version 1 d.jsonl r.jsonl > m.yaml
	sed -i 's/Paris/Lyon/' d.jsonl
	rm r.jsonl
	run --separate-stderr ds-hash --check m.yaml
	assert_failure 1
	assert_output "$(printf 'd.jsonl: FAILED (bytes, sha256, keys)\nr.jsonl: FAILED open or read (No such file or directory)')"
	assert_equal "$stderr" "ds-hash: WARNING: 2 of 2 files did NOT match"
}

@test "ds-hash: --check sees records reordered only through the bytes" {
	cp "$FIX/dedup.jsonl" d.jsonl
	ds-hash --manifest --name n --dataset-version 1 d.jsonl > m.yaml
	tac "$FIX/dedup.jsonl" > d.jsonl
	run --separate-stderr ds-hash --check m.yaml
	assert_failure 1
	assert_output "d.jsonl: FAILED (sha256)"
}

@test "ds-hash: --check reads a manifest's paths from its directory, and none may leave it" {
	mkdir ds
	cp "$FIX/dedup.jsonl" ds/d.jsonl
	cp "$FIX/reference.jsonl" secret.jsonl
	(cd ds && ds-hash --manifest --name n --dataset-version 1 d.jsonl > m.yaml)
	# From another directory: the path is the manifest's directory's.
	run --separate-stderr ds-hash --check ds/m.yaml
	assert_success
	assert_output "d.jsonl: OK"
	assert_equal "$stderr" ""
	# A symbolic link that stays inside is followed.
	ln -s d.jsonl ds/alias.jsonl
	sed 's/"d.jsonl"/"alias.jsonl"/' ds/m.yaml > ds/alias.yaml
	run --separate-stderr ds-hash --check ds/alias.yaml
	assert_success
	assert_output "alias.jsonl: OK"
	# An entry with the true sums of a file outside, by '..', an absolute
	# path, or a link: before, --check read it and said OK, telling whoever
	# wrote the manifest what the file holds. Now the manifest is bad
	# data, named at the path's line, and nothing is read.
	ds-hash --manifest --name n --dataset-version 1 secret.jsonl > s.yaml
	ln -s ../secret.jsonl ds/link.jsonl
	for p in ../secret.jsonl "$T/secret.jsonl" link.jsonl sub/../../secret.jsonl; do
		sed "s|\"secret.jsonl\"|\"$p\"|" s.yaml > ds/bad.yaml
		run --separate-stderr sh -c 'cd ds && ds-hash --check bad.yaml'
		assert_failure 65
		assert_output ""
		case $p in
		/*) why="is absolute: a manifest's paths may not leave its directory" ;;
		link.jsonl) why="leads out of the manifest's directory (a symbolic link)" ;;
		*) why="has a '..' component: a manifest's paths may not leave its directory" ;;
		esac
		assert_equal "$stderr" "ds-hash: bad.yaml:8: path '$p' $why"
	done
	# --manifest writes no path that --check would refuse.
	hint="Try 'ds-hash --help' for more information."
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 ds/d.jsonl ../x.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "ds-hash: --manifest: path '../x.jsonl' has a '..' component: name the files from the directory the manifest will be in\n%s" "$hint")"
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 "$T/secret.jsonl"
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --manifest: path '%s' is absolute: name the files from the directory the manifest will be in\n%s" "$T/secret.jsonl" "$hint")"
}

@test "ds-hash: --check refuses a manifest that uses an entry twice (a YAML alias)" {
	# Two lines of aliases can stand for a million entries: refused as
	# ds-hash never writes them.
	cp "$FIX/dedup.jsonl" d.jsonl
	ds-hash --manifest --name n --dataset-version 1 d.jsonl > m.yaml
	sed 's/^  - path:/  - \&e\n    path:/' m.yaml > a.yaml
	printf '  - *e\n' >> a.yaml
	run --separate-stderr ds-hash --check a.yaml
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-hash: a.yaml: not a ds-hash manifest (a file entry is used twice: aliases are not taken)"
	sed '$d' a.yaml > b.yaml
	run --separate-stderr ds-hash --check b.yaml
	assert_success
	assert_output "d.jsonl: OK"
}

@test "ds-hash: a manifest reads back whatever its archive members are named" {
	# YAML holds text only, and reads U+0085 (NEL) as a line break: a
	# member named in Latin-1, or with a NEL, made a manifest that --check
	# refused as "not YAML". A byte that is not UTF-8 is written \xHH, as
	# messages already write control bytes; NEL is escaped.
	printf '{"a":1}\n' > "$(printf 'caf\351.jsonl')"
	printf '{"a":2}\n' > "$(printf 'n\302\205l.jsonl')"
	tar cf t.tar ./*.jsonl
	ds-hash --manifest --name n --dataset-version 1 t.tar > m.yaml
	run grep -F -e '- name:' m.yaml
	assert_output "$(printf '%s\n' '      - name: "./caf\\xe9.jsonl"' '      - name: "./n\u0085l.jsonl"')"
	run --separate-stderr ds-hash --check m.yaml
	assert_success
	assert_output "t.tar: OK"
	assert_equal "$stderr" ""
	# What ds-hash cannot write as text is a usage error.
	hint="Try 'ds-hash --help' for more information."
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 ./*.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "$(printf "ds-hash: --manifest: path './caf\351.jsonl' is not UTF-8 (YAML holds only text)\n%s" "$hint")"
	run --separate-stderr ds-hash --manifest --name "$(printf '\351')" --dataset-version 1 t.tar
	assert_failure 64
	assert_equal "$stderr" "$(printf "ds-hash: --name: not UTF-8 (YAML holds only text)\n%s" "$hint")"
}

@test "ds-hash: --check rejects what is not a manifest" {
	echo 'name: [' > bad.yaml
	run --separate-stderr ds-hash --check bad.yaml
	assert_failure 65
	assert_equal "$stderr" "ds-hash: bad.yaml: not YAML: did not find expected node content at line 2"
	echo 'name: x' > bad.yaml
	run --separate-stderr ds-hash --check bad.yaml
	assert_failure 65
	assert_equal "$stderr" "ds-hash: bad.yaml: not a ds-hash manifest (it needs key, normalize and files)"
	printf 'key: "."\nnormalize: "none"\nfiles:\n  - path: "d.jsonl"\n    bytes: 1\n' > bad.yaml
	run --separate-stderr ds-hash --check bad.yaml
	assert_failure 65
	assert_equal "$stderr" "ds-hash: bad.yaml: not a ds-hash manifest (a file entry lacks path, bytes, sha256, records or keys)"
	printf '    sha256: "x"\n    records: 1\n    keys: "x"\n    members:\n      - name: "m"\n' >> bad.yaml
	run --separate-stderr ds-hash --check bad.yaml
	assert_failure 65
	assert_equal "$stderr" "ds-hash: bad.yaml: not a ds-hash manifest (a member lacks name, records or keys)"
	run --separate-stderr ds-hash --check nope.yaml
	assert_failure 66
	assert_equal "$stderr" "ds-hash: nope.yaml: No such file or directory"
}

@test "ds-hash: a bad record in --manifest stops it with no half manifest" {
	printf '{"a":1}\n{"a"\n' > bad.jsonl
	run --separate-stderr ds-hash --manifest --name n --dataset-version 1 bad.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-hash: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 4"
}

# The SHA-256 of each line of stdin (without its newline), one a line.
sha_lines() {
	python3 -c 'import hashlib, sys
for l in sys.stdin: print(hashlib.sha256(l.rstrip("\n").encode()).hexdigest())'
}

@test "ds-hash: both canonical paths give jq -cS's bytes on awkward records, integers as written" {
	skip_under_valgrind "agreement with jq over many records: the plain and ASan tiers and the canon fuzzer cover it"
	# The reference is jq, through tests/canon-ref.py: the SHA-256 of each
	# line's `jq -cS` form, but for integers in plain digits, which keep
	# them (jq -cS would round them beyond 2^53; ds-hash keeps the digits).
	# The default key takes the fast path over the text where it can, and
	# the slow one (escapes, fractions, repeated keys) where it cannot;
	# --key '.|.' is jq's own value, whose integers are doubles: jq -cS's
	# bytes exactly.
	python3 "$VE_ROOT/tests/canon-ref.py" "$FIX/canon.jsonl" | sha_lines > want.txt
	jq -cS . "$FIX/canon.jsonl" | sha_lines > jq.txt
	i=0
	while IFS= read -r l; do
		i=$((i + 1))
		fast=$(printf '%s\n' "$l" | ds-hash --tag)
		slow=$(printf '%s\n' "$l" | ds-hash --tag -k '.|.')
		assert_equal "${fast##*sha256:}" "$(sed -n "${i}p" want.txt)\"}"
		assert_equal "${slow##*sha256:}" "$(sed -n "${i}p" jq.txt)\"}"
	done < "$FIX/canon.jsonl"
	# Lines 3 and 9 alone hold integers jq rounds: there alone the two differ.
	run sh -c 'diff jq.txt want.txt | grep "^[0-9]"'
	assert_output "$(printf '3c3\n9c9')"
}

@test "ds-hash: agrees with jq on thousands of slightly broken records" {
	skip_under_valgrind "3000 records: the plain and ASan tiers cover it"
	# jq is the reference for what is JSON and for the canonical bytes:
	# each line through `fromjson` (libjq's parser), objects without an
	# infinite or NaN number printed -cS, integers in plain digits as
	# written (tests/canon-ref.py). The expected output is then the first
	# record of each distinct hash.
	python3 "$VE_ROOT/tests/fuzz-json.py" "$FIX/canon.jsonl" 3000 7 > fuzz.jsonl
	python3 "$VE_ROOT/tests/canon-ref.py" fuzz.jsonl > ref.jsonl
	python3 - > want.txt <<'PY'
import hashlib
seen, bad = set(), 0
for l in open("ref.jsonl", encoding="utf-8"):
    l = l.rstrip("\n")
    if l == '"BAD"':
        bad += 1
        continue
    h = hashlib.sha256(l.encode()).hexdigest()
    if h not in seen:
        seen.add(h)
        print(h)
print("bad", bad)
PY
	# libjq 1.6 itself leaks a string on some malformed input (inside
	# jv_parse_sized); LeakSanitizer is off for this run only, ASan is not.
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 run --separate-stderr ds-hash --tag --skip-bad fuzz.jsonl
	assert_success
	got=$(printf '%s\n' "${lines[@]}" | sed 's/.*"_hash":"sha256:\([0-9a-f]*\)"}$/\1/')
	nbad=$(tail -1 want.txt | cut -d' ' -f2)
	assert_equal "$got" "$(sed '$d' want.txt)"
	assert_equal "${stderr%% (first:*}" "ds-hash: skipped $nbad bad records"
	[ "$nbad" -gt 300 ] && [ "${#lines[@]}" -gt 300 ]
}

@test "ds-hash: a .NAME key agrees with jq on slightly broken records" {
	skip_under_valgrind "3000 records: the plain and ASan tiers cover it"
	# jq's `.a` of each record (as in the test above): a string is hashed as
	# its bytes, another value as its canonical text; null, missing or not
	# an object is a bad record.
	python3 "$VE_ROOT/tests/fuzz-json.py" "$FIX/canon.jsonl" 3000 11 > fuzz.jsonl
	python3 "$VE_ROOT/tests/canon-ref.py" fuzz.jsonl a > ref.jsonl
	python3 - > want.txt <<'PY'
import hashlib, json
seen, bad = set(), 0
for l in open("ref.jsonl", encoding="utf-8"):
    l = l.rstrip("\n")
    if l == '"BAD"':
        bad += 1
        continue
    key = json.loads(l)["s"].encode() if l.startswith('{"s":') else l[len('{"v":'):-1].encode()
    h = hashlib.sha256(key).hexdigest()
    if h not in seen:
        seen.add(h)
        print(h)
print("bad", bad)
PY
	# libjq 1.6 leaks on some malformed input: see the test above.
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 run --separate-stderr ds-hash --tag --skip-bad -k .a fuzz.jsonl
	assert_success
	got=$(printf '%s\n' "${lines[@]}" | sed 's/.*"_hash":"sha256:\([0-9a-f]*\)"}$/\1/')
	assert_equal "$got" "$(sed '$d' want.txt)"
	assert_equal "${stderr%% (first:*}" "ds-hash: skipped $(tail -1 want.txt | cut -d' ' -f2) bad records"
}

@test "ds-hash: integer ids beyond 2^53 stay distinct keys" {
	# jq 1.6 holds numbers as doubles: 9007199254740993 would round to ...992.
	printf '{"id":9007199254740993}\n{"id":9007199254740992}\n{"id":9007199254740993}\n' > big.jsonl
	run --separate-stderr ds-hash big.jsonl
	assert_success
	assert_output "$(printf '{"id":9007199254740993}\n{"id":9007199254740992}')"
	run --separate-stderr ds-hash -k .id big.jsonl
	assert_output "$(printf '{"id":9007199254740993}\n{"id":9007199254740992}')"
}

@test "ds-hash: integer ids beyond 2^53 stay distinct where libjq must parse the record" {
	# A string escape (or a fraction, or a repeated key) sends a record to
	# libjq, whose doubles made ...993 and ...992 one key: the second
	# record was dropped. The key is now read off the text either way.
	printf '%s\n' '{"id":9007199254740993,"s":"a\n"}' '{"id":9007199254740992,"s":"a\n"}' \
		'{"id":9007199254740993,"s":"a\n"}' > big.jsonl
	want=$(sed -n '1,2p' big.jsonl)
	for key in . .id; do
		run --separate-stderr ds-hash -v -k "$key" big.jsonl
		assert_success
		assert_output "$want"
		assert_equal "$stderr" "ds-hash: read 3, kept 2, dropped 1 (0 matching --against, 0 reference keys)"
		run --separate-stderr ds-hash -k "$key" -n all big.jsonl
		assert_success
		assert_output "$want"
		assert_equal "$stderr" ""
	done
	# With a fraction elsewhere in the record, and in --against's keys.
	printf '%s\n' '{"id":12345678901234567891,"p":0.5}' > ref.jsonl
	printf '%s\n' '{"id":12345678901234567890,"p":0.5}' '{"id":12345678901234567891,"p":0.50}' > in.jsonl
	run --separate-stderr ds-hash -a ref.jsonl in.jsonl
	assert_success
	assert_output '{"id":12345678901234567890,"p":0.5}'
	assert_equal "$stderr" ""
	# The digits are hashed as written: the key of the first record is
	# its canonical text with them, as ds-hash(1) says (jq -cS would print
	# 9007199254740992; the reference is computed here by hand).
	run --separate-stderr ds-hash --tag -k .id big.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --partial "\"_hash\":\"sha256:$(printf '%s' 9007199254740993 | sha256sum | cut -c1-64)\""
	run --separate-stderr ds-hash --tag big.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --partial "\"_hash\":\"sha256:$(printf '%s' '{"id":9007199254740993,"s":"a\n"}' | sha256sum | cut -c1-64)\""
}

@test "ds-hash: messages never quote the record (it may hold personal data)" {
	printf '{"email":"kim@example.com","rrn":"900101-1234567"} x\n' > pii.jsonl
	run --separate-stderr ds-hash pii.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-hash: pii.jsonl:1: invalid JSON: Invalid numeric literal at EOF at column 52"
	run --separate-stderr ds-hash --skip-bad pii.jsonl
	refute [ "${stderr#*kim@}" != "$stderr" ]
}

@test "ds-hash: nan, which jq 1.6 reads, is not JSON" {
	printf '{"a":[1,nan]}\n' > nan.jsonl
	run --separate-stderr ds-hash nan.jsonl
	assert_failure 65
	assert_equal "$stderr" "ds-hash: nan.jsonl:1: invalid JSON: nan is not a number"
}

@test "ds-hash: --check runs no jq program from a manifest but . or .NAME" {
	printf '{"q":"a"}\n' > g.jsonl
	ds-hash --manifest --name n --dataset-version 1 -k '.q|ascii_downcase' g.jsonl > m.yaml
	run --separate-stderr ds-hash --check m.yaml
	assert_failure 65
	assert_equal "$stderr" "ds-hash: m.yaml: key '.q|ascii_downcase' is not . or .NAME; --check runs no other jq from a manifest"
	ds-hash --manifest --name n --dataset-version 1 -k .q g.jsonl > m2.yaml
	printf '{"q":"a"}\n{"q"\n' > g.jsonl
	run --separate-stderr ds-hash --check m2.yaml
	assert_failure 1
	assert_output "g.jsonl: FAILED (line 2: invalid JSON: Unfinished JSON term at EOF at column 4)"
}

@test "ds-hash: lines of JSON whitespace alone are skipped, CR included" {
	printf '{"a":1}\n \t\r\n\r\n{"a":2}\n' > ws.jsonl
	run --separate-stderr ds-hash -v ws.jsonl
	assert_success
	assert_output "$(printf '{"a":1}\n{"a":2}')"
	assert_equal "$stderr" "ds-hash: read 2, kept 2, dropped 0 (0 matching --against, 0 reference keys)"
}
