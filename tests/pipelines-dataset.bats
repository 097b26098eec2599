#!/usr/bin/env bats
# pipelines/prepare-dataset.sh and pipelines/refresh-regression-set.sh, with
# local datasets and against a stand-in S3 on 127.0.0.1 that insists on a
# SigV4 Authorization header (tests/fixtures/pipelines-dataset/s3server.py).
#
# The fixtures' figures, by hand:
#   qa/qa.jsonl: q2 is q1 but for case and punctuation (exact); q3 is q1 less
#   one "s" (near, 1/72); q5 is bench b1 less one "s" (near, against bench).
#   So: read 6, exact duplicates 1, near duplicates 2, kept 3 (q1 q4 q6).
#   snap2.jsonl against the 2026-11-21 set from snap1.jsonl and bench:
#   #1 is a day-1 item but for its final "!" (exact, after punct folding);
#   #4 is #3 once both phones are <PHONE> (exact); #6 is #5 (exact);
#   #2 is bench b1 plus one "s" (near). Fresh: #3 #5 #7 #8.
#   suite/ (suite "small"): quiz test #1 is the few-shot item but for its "?"
#   (exact, against the pool); #3 is #2 less one "s" (near); cloze #2 is #1
#   (exact: the records have none of the usual text fields, so the whole
#   record is the text).

bats_require_minimum_version 1.5.0
load helper

P="$VE_ROOT/pipelines"

setup() {
	# As `make test-valgrind` leaves out tests/pipelines*.bats: the tools these
	# scripts run have their own suites under valgrind, and a pipeline run
	# there takes minutes.
	skip_under_valgrind "pipeline tests run in the plain and ASan tiers"
	setup_scratch
	D="$FIX/pipelines-dataset"
	S3_PID=
}

teardown() {
	[ -z "$S3_PID" ] || kill "$S3_PID" 2>/dev/null || true
}

# start_s3 [--fail]: the stand-in S3 serving $T/s3root; sets the S3 environment.
start_s3() {
	local port
	port=$(ve_free_port)
	mkdir -p "$T/s3root/bkt"
	python3 "$D/s3server.py" "$port" "$T/s3root" "$T/s3.log" AKIDTEST "$@" &
	S3_PID=$!
	ve_wait_http "http://127.0.0.1:$port/_health"
	export S3_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=AKIDTEST \
		AWS_SECRET_ACCESS_KEY='not"a\real secret' AWS_REGION=eu-west-1
}

@test "prepare-dataset: exact and near duplicates within a set and against another" {
	run --separate-stderr "$P/prepare-dataset.sh" -o out -a "$D/bench" "$D/qa"
	assert_success
	assert_equal "$stderr" ""
	assert_output "qa 1.0: read 6, exact duplicates 1, near duplicates 2, kept 3"
	assert_equal "$(jq -r .id out/qa.jsonl | tr '\n' ' ')" "q1 q4 q6 "
	assert_equal "$(cat out/summary.json)" '{"dataset":"qa","version":"1.0","read":6,"exact_duplicates":1,"near_duplicates":2,"kept":3}'
	# The new manifest describes the prepared file.
	run --separate-stderr sh -c 'cd out && ds-hash --check manifest.yaml'
	assert_success
	assert_output "qa.jsonl: OK"
	assert_equal "$(sed -n 's/^    records: //p' out/manifest.yaml)" 3
}

@test "prepare-dataset: --name, --version and the default output directory" {
	run --separate-stderr "$P/prepare-dataset.sh" -q -n qa2 -V 7 "$D/qa"
	assert_success
	assert_output ""
	assert_equal "$(jq -c '[.dataset,.version,.exact_duplicates,.near_duplicates,.kept]' prepared/qa2/summary.json)" '["qa2","7",1,1,4]'
	assert_equal "$(sed -n 's/^name: //p' prepared/qa2/manifest.yaml)" '"qa2"'
}

@test "prepare-dataset: a set that does not match its manifest is refused" {
	cp -r "$D/qa" qa
	sed -i 's/Saturn/Jupiter/' qa/qa.jsonl
	run --separate-stderr "$P/prepare-dataset.sh" -o out qa
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "prepare-dataset.sh: qa: does not match its manifest: qa.jsonl: FAILED (bytes, sha256, keys)"
	[ ! -e out ]
	run --separate-stderr "$P/prepare-dataset.sh" -o out nowhere
	assert_failure 66
	assert_equal "$stderr" "prepare-dataset.sh: nowhere/manifest.yaml: no such file"
}

@test "prepare-dataset: reads from and writes to S3 with SigV4-signed requests" {
	start_s3
	mkdir -p s3root/bkt/sets
	cp -r "$D/qa" "$D/bench" s3root/bkt/sets/
	run --separate-stderr "$P/prepare-dataset.sh" -o s3://bkt/prepared/qa -a s3://bkt/sets/bench s3://bkt/sets/qa
	assert_success
	assert_output "qa 1.0: read 6, exact duplicates 1, near duplicates 2, kept 3"
	assert_equal "$(sort s3.log)" "$(printf '%s\n' 'GET /bkt/sets/bench/bench.jsonl 200' 'GET /bkt/sets/bench/manifest.yaml 200' \
		'GET /bkt/sets/qa/manifest.yaml 200' 'GET /bkt/sets/qa/qa.jsonl 200' 'PUT /bkt/prepared/qa/manifest.yaml 200' \
		'PUT /bkt/prepared/qa/qa.jsonl 200' 'PUT /bkt/prepared/qa/summary.json 200')"
	assert_equal "$(jq -r .id s3root/bkt/prepared/qa/qa.jsonl | tr '\n' ' ')" "q1 q4 q6 "
	# The secret never shows in the process list or the output: it went to curl on stdin.
	refute_output --partial 'real secret'
}

@test "prepare-dataset: S3 refusing the credentials exits 66, S3 failing exits 75" {
	start_s3
	AWS_ACCESS_KEY_ID=WRONG run --separate-stderr "$P/prepare-dataset.sh" s3://bkt/sets/qa
	assert_failure 66
	assert_equal "$stderr" "prepare-dataset.sh: s3://bkt/sets/qa/manifest.yaml: download failed (HTTP 403)"
	assert_equal "$(cat s3.log)" "GET /bkt/sets/qa/manifest.yaml 403"
	kill "$S3_PID"
	start_s3 --fail
	run --separate-stderr "$P/prepare-dataset.sh" s3://bkt/sets/qa
	assert_failure 75
	assert_equal "$stderr" "prepare-dataset.sh: s3://bkt/sets/qa/manifest.yaml: download failed (HTTP 503)"
	unset AWS_SECRET_ACCESS_KEY
	run --separate-stderr "$P/prepare-dataset.sh" s3://bkt/sets/qa
	assert_failure 64
	assert_equal "$stderr" "prepare-dataset.sh: s3://bkt/sets/qa/manifest.yaml: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for s3:// paths"
}

@test "prepare-dataset: --suite prepares each task's data against its few-shot pool" {
	run --separate-stderr "$P/prepare-dataset.sh" --suite small --suites "$D/suite/suites.json" --data "$D/suite/data" -o out
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\n' 'cloze prepared: read 3, exact duplicates 1, near duplicates 0, kept 2' \
		'quiz prepared: read 4, exact duplicates 1, near duplicates 1, kept 2')"
	assert_equal "$(cat out/quiz.test.jsonl)" "$(sed -n '2p;4p' "$D/suite/data/quiz.test.jsonl")"
	assert_equal "$(cat out/cloze.val.jsonl)" "$(sed -n '1p;3p' "$D/suite/data/cloze.val.jsonl")"
	cmp out/quiz.train.jsonl "$D/suite/data/quiz.train.jsonl"
	assert_equal "$(jq -c '[.dataset,.kept]' out/summary.jsonl)" "$(printf '["cloze",2]\n["quiz",2]')"
	run --separate-stderr sh -c 'cd out && ds-hash --check manifest.yaml'
	assert_success
	assert_output "$(printf '%s\n' 'cloze.val.jsonl: OK' 'quiz.train.jsonl: OK' 'quiz.test.jsonl: OK')"
}

@test "prepare-dataset: --suite errors" {
	run --separate-stderr "$P/prepare-dataset.sh" --suite big --suites "$D/suite/suites.json" --data "$D/suite/data"
	assert_failure 64
	assert_equal "$stderr" "prepare-dataset.sh: --suite: no suite 'big' in $D/suite/suites.json"
	run --separate-stderr "$P/prepare-dataset.sh" --suite broken --suites "$D/suite/suites.json" --data "$D/suite/data"
	assert_failure 65
	assert_equal "$stderr" "prepare-dataset.sh: $D/suite/suites.json: suite 'broken' names task 'nope', which it does not define"
	run --separate-stderr "$P/prepare-dataset.sh" --suite small --suites "$D/suite/suites.json" --data nowhere
	assert_failure 66
	assert_equal "$stderr" "prepare-dataset.sh: cloze: nowhere/cloze.val.jsonl: cannot read"
	run --separate-stderr "$P/prepare-dataset.sh" --suite small "$D/qa"
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "prepare-dataset.sh: --suite takes no DATASET"
	run --separate-stderr "$P/prepare-dataset.sh" --data x "$D/qa"
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "prepare-dataset.sh: --suites and --data go with --suite"
}

@test "prepare-dataset: usage" {
	run --separate-stderr "$P/prepare-dataset.sh"
	assert_failure 64
	assert_equal "$stderr" "$(printf "prepare-dataset.sh: expected one DATASET\nTry 'prepare-dataset.sh --help' for more information.")"
	run --separate-stderr "$P/prepare-dataset.sh" --bogus x
	assert_failure 64
	run --separate-stderr "$P/prepare-dataset.sh" --help
	assert_success
	assert_line --index 0 "usage: prepare-dataset.sh [-q] [-o DIR] [-t EXPR] [-a DATASET]... [-n NAME] [-V VERSION]"
}

# The sample, computed apart from the pipeline: the SIZE fresh records with
# the least SHA-256 of "SEED:" + the record's compact JSON, in snapshot order.
py_sample() {
	python3 - "$@" <<'PY'
import hashlib, json, sys
seed, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
recs = [json.loads(l) for l in open(path)]
key = lambda r: hashlib.sha256((seed + ":" + json.dumps(r, ensure_ascii=False, separators=(",", ":"))).encode()).hexdigest()
chosen = sorted(range(len(recs)), key=lambda i: key(recs[i]))[:size]
for i in sorted(chosen):
    print(json.dumps(recs[i], ensure_ascii=False, separators=(",", ":")))
PY
}

@test "refresh-regression-set: anonymise, dedup against yesterday and benchmarks, sample, publish" {
	run --separate-stderr "$P/refresh-regression-set.sh" -s "$D/snap1.jsonl" -p pub --date 2026-11-21 -b "$D/bench"
	assert_success
	assert_output "regression 2026-11-21: read 3 (1 anonymised), exact duplicates 0, near duplicates 0, fresh 3, sampled 3 of 1000; published to pub/2026-11-21"
	run --separate-stderr "$P/refresh-regression-set.sh" -s "$D/snap2.jsonl" -p pub --date 2026-11-22 -n 3 -b "$D/bench"
	assert_success
	assert_equal "$stderr" ""
	assert_output "regression 2026-11-22: read 8 (3 anonymised), exact duplicates 3, near duplicates 1, fresh 4, sampled 3 of 3; published to pub/2026-11-22"
	# The fresh records (#3 #5 #7 #8, anonymised), sampled as Python samples them.
	sed -n '3p;5p;7p;8p' "$D/snap2.jsonl" | ds-anon > fresh.jsonl
	assert_equal "$(cat pub/2026-11-22/regression.jsonl)" "$(py_sample 2026-11-22 3 fresh.jsonl)"
	refute_output --partial '@'
	run grep -c '<PHONE>\|<EMAIL>' pub/2026-11-22/regression.jsonl
	assert_output 2
	assert_equal "$(cat pub/index.txt)" "$(printf '2026-11-21\n2026-11-22')"
	assert_equal "$(jq -c '[.previous,.fresh,.sampled]' pub/2026-11-22/summary.json)" '["2026-11-21",4,3]'
	run --separate-stderr sh -c 'cd pub/2026-11-22 && ds-hash --check manifest.yaml'
	assert_success
}

@test "refresh-regression-set: running again the same day writes the same bytes" {
	"$P/refresh-regression-set.sh" -q -s "$D/snap1.jsonl" -p pub --date 2026-11-21
	"$P/refresh-regression-set.sh" -q -s "$D/snap2.jsonl" -p pub --date 2026-11-22 -n 2
	cp -r pub first
	run --separate-stderr "$P/refresh-regression-set.sh" -s "$D/snap2.jsonl" -p pub --date 2026-11-22 -n 2
	assert_success
	# Compared with the 2026-11-21 set again, not with today's own.
	assert_output --partial "fresh 5, sampled 2 of 2"
	run diff -r first pub
	assert_success
	# Another seed draws another sample from the same fresh records.
	run --separate-stderr "$P/refresh-regression-set.sh" -q -s "$D/snap2.jsonl" -p pub --date 2026-11-22 -n 2 --seed other
	assert_success
	sed -n '1p;2p;3p;5p;7p;8p' "$D/snap2.jsonl" | ds-anon | ds-hash -k .input -n all > fresh.jsonl
	assert_equal "$(cat pub/2026-11-22/regression.jsonl)" "$(py_sample other 2 fresh.jsonl)"
}

@test "refresh-regression-set: salted pseudonyms, S3 snapshot and publication" {
	start_s3
	printf 'pepper\n' > salt
	mkdir -p s3root/bkt/logs
	cp "$D/snap1.jsonl" s3root/bkt/logs/2026-11-21.jsonl
	# As the Argo step runs it: settings from the environment, the snapshot
	# a prefix of daily files, the credentials under their S3_ names.
	AWS_ACCESS_KEY_ID='' AWS_SECRET_ACCESS_KEY='' S3_ACCESS_KEY_ID=AKIDTEST S3_SECRET_ACCESS_KEY=x \
		SNAPSHOT_URL=s3://bkt/logs/ PUBLISH_URL=s3://bkt/regression ANON_SALT_FILE=salt \
		run --separate-stderr "$P/refresh-regression-set.sh" --date 2026-11-21 -f .input
	assert_success
	assert_output --partial "published to s3://bkt/regression/2026-11-21"
	assert_equal "$(cat s3root/bkt/regression/index.txt)" 2026-11-21
	# HMAC-SHA256 of the address keyed by the salt (Python's hmac module).
	h=$(python3 -c 'import hmac, hashlib; print(hmac.new(b"pepper", b"kim@example.com", hashlib.sha256).hexdigest()[:8])')
	run grep -c "<EMAIL:$h>" s3root/bkt/regression/2026-11-21/regression.jsonl
	assert_output 1
	# A missing index is no error; every request was signed.
	assert_equal "$(grep -c ' 403$' s3.log)" 0
	run grep -c '^GET /bkt/regression/index.txt 404$' s3.log
	assert_output 1
}

@test "refresh-regression-set: usage and a bad snapshot" {
	run --separate-stderr "$P/refresh-regression-set.sh" -p pub
	assert_failure 64
	assert_equal "$stderr" "$(printf "refresh-regression-set.sh: --snapshot is required\nTry 'refresh-regression-set.sh --help' for more information.")"
	run --separate-stderr "$P/refresh-regression-set.sh" -s x -p pub --date 2026-13-45
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "refresh-regression-set.sh: --date: expected YYYY-MM-DD, got '2026-13-45'"
	run --separate-stderr "$P/refresh-regression-set.sh" -s x -p pub -n 0
	assert_failure 64
	printf '{"input":"a"}\n{"input":\n' > bad.jsonl
	run --separate-stderr "$P/refresh-regression-set.sh" -s bad.jsonl -p pub --date 2026-11-22
	assert_failure 65
	assert_equal "$stderr" "ds-anon: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 9"
	[ ! -e pub ]
}

# fake_tool NAME SCRIPT: a NAME first on PATH running the sh SCRIPT, with
# REAL set to the real tool.
fake_tool() {
	mkdir -p fake
	printf '#!/bin/sh\nREAL=%s\n%s\n' "$(command -v "$1")" "$2" > "fake/$1"
	chmod +x "fake/$1"
}

@test "refresh-regression-set: a failing sampling step publishes nothing" {
	# The sampling ds-hash (the one with -t) writes one record, then fails
	# as on a write error: before, sh lost its status in the pipeline and
	# published a set of one record with a manifest.
	fake_tool ds-hash 'case " $* " in *" -t "*) "$REAL" "$@" | head -1; echo "ds-hash: write error" >&2; exit 74 ;; esac; exec "$REAL" "$@"'
	PATH="$T/fake:$PATH" run --separate-stderr "$P/refresh-regression-set.sh" -s "$D/snap1.jsonl" -p pub --date 2026-11-21
	assert_failure 74
	assert_output ""
	assert_equal "$stderr" "ds-hash: write error"
	[ ! -e pub ]
}

@test "refresh-regression-set: a sample shorter than min(size, fresh) publishes nothing" {
	# The sampling ds-hash exits 0 but drops a record: 2 sampled of 3 fresh.
	fake_tool ds-hash 'case " $* " in *" -t "*) "$REAL" "$@" | sed 1d; exit 0 ;; esac; exec "$REAL" "$@"'
	PATH="$T/fake:$PATH" run --separate-stderr "$P/refresh-regression-set.sh" -s "$D/snap1.jsonl" -p pub --date 2026-11-21
	assert_failure 70
	assert_output ""
	assert_equal "$stderr" "refresh-regression-set.sh: sampling failed: 2 records sampled, expected 3"
	[ ! -e pub ]
}

# wait_for FILE: until FILE exists (10 s at most).
wait_for() {
	local i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# sig_default CMD...: CMD with SIGINT at its default action (a background
# job of a non-interactive shell starts with it ignored, and sh cannot trap
# a signal ignored on entry).
sig_default() {
	exec python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# run_signalled SCRIPT SIGNAL ARGS...: runs SCRIPT with a ds-anon that takes
# a second, sends SIGNAL to the script alone once ds-anon has started, and
# waits for it.
run_signalled() {
	local script=$1 sig=$2 pid
	shift 2
	fake_tool ds-anon ": > '$T/started'; sleep 1; exec \"\$REAL\" \"\$@\""
	mkdir -p tmp
	rm -f started
	PATH="$T/fake:$PATH" TMPDIR="$T/tmp" sig_default "$script" "$@" > out.txt 2> err.txt &
	pid=$!
	wait_for started
	kill -s "$sig" "$pid"
	status=0
	wait "$pid" || status=$?
}

@test "refresh-regression-set: SIGINT and SIGTERM stop the job and clean up" {
	# Before, the trap that removed the work directory replaced the signals'
	# default action: the job went on after it, without its work directory.
	run_signalled "$P/refresh-regression-set.sh" TERM -s "$D/snap1.jsonl" -p pub --date 2026-11-21
	assert_equal "$status" 143
	[ ! -e pub ]
	assert_equal "$(ls tmp)" ""
	run_signalled "$P/refresh-regression-set.sh" INT -s "$D/snap1.jsonl" -p pub --date 2026-11-21
	assert_equal "$status" 130
	[ ! -e pub ]
	assert_equal "$(ls tmp)" ""
}

@test "prepare-dataset: SIGINT and SIGTERM stop the job and clean up" {
	# prepare-dataset runs ds-hash first: make that the slow one.
	fake_tool ds-hash ": > '$T/started'; sleep 1; exec \"\$REAL\" \"\$@\""
	mkdir -p tmp
	for sig in TERM INT; do
		rm -f started
		PATH="$T/fake:$PATH" TMPDIR="$T/tmp" sig_default "$P/prepare-dataset.sh" -o out "$D/qa" > out.txt 2> err.txt &
		pid=$!
		wait_for started
		kill -s "$sig" "$pid"
		status=0
		wait "$pid" || status=$?
		if [ "$sig" = TERM ]; then assert_equal "$status" 143; else assert_equal "$status" 130; fi
		[ ! -e out ]
		assert_equal "$(ls tmp)" ""
	done
}
