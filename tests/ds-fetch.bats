#!/usr/bin/env bats
# ds-fetch against tests/hf-standin.py, a datasets-server on 127.0.0.1 that
# pages, throttles, fails and cuts answers as scripted in a control file.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	unset HF_TOKEN HF_DATASETS_SERVER_URL
	export SOURCE_DATE_EPOCH=1763805067
	# 250 rows whose bytes libjq would not give back: 0.1, an integer past
	# 2^53, 1.5e300, escapes, Hangul, keys out of order.
	python3 - <<'P'
with open("rows.jsonl", "w", encoding="utf-8") as f:
    for i in range(250):
        f.write('{"z":%d,"a":0.1,"q":"가나 \\u00e9 \\"x\\"","big":12345678901234567890,'
                '"e":1.5e300,"n":null,"l":[1.0,{"b":2}]}\n' % i)
with open("small.jsonl", "w", encoding="utf-8") as f:
    for i in range(3):
        f.write('{"id":"s%d","x":0.5}\n' % i)
P
	control '{}'
	python3 "$VE_ROOT/tests/hf-standin.py" ctl.json port log &
	SRV_PID=$!
	local n=100
	while [ ! -s port ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	EP="http://127.0.0.1:$(cat port)"
	export HF_DATASETS_SERVER_URL="$EP"
	ROWS="$EP/rows?dataset=o/ds&config=main&split=test"
}

teardown() {
	if [ -n "${SRV_PID:-}" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	fi
	return 0
}

# control JSON: the stand-in's control file, with o/ds (main/test, main/train:
# rows.jsonl) and o/small (default/train, small.jsonl) merged in.
control() {
	jq -n --argjson extra "$1" '{splits: {"o/ds": [["main","test","rows.jsonl"],["main","train","rows.jsonl"]],
		"o/small": [["default","train","small.jsonl"]],
		"o/multi": [["a","test","small.jsonl"],["b","test","rows.jsonl"],["b","train","small.jsonl"]]}} + $extra' > ctl.json
}

@test "ds-fetch: three pages of 100, 100 and 50 rows, byte for byte" {
	run --separate-stderr ds-fetch hf:o/ds/main/test
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" > got.jsonl
	cmp got.jsonl rows.jsonl
	run cut -d' ' -f2,3 log
	assert_output "/rows?dataset=o/ds&config=main&split=test&offset=0&length=100 -
/rows?dataset=o/ds&config=main&split=test&offset=100&length=100 -
/rows?dataset=o/ds&config=main&split=test&offset=200&length=100 -"
}

@test "ds-fetch: -o FILE and its manifest, which ds-hash --check verifies" {
	mkdir d
	run --separate-stderr ds-fetch --endpoint "$EP/" -o d/mmlu.test.jsonl hf:o/ds/main/test
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	cmp d/mmlu.test.jsonl rows.jsonl
	run ls d
	assert_output "manifest.yaml
mmlu.test.jsonl"
	cp rows.jsonl mmlu.test.jsonl
	ds-hash --manifest --name mmlu --dataset-version 2025-11-22 mmlu.test.jsonl > hash.yaml
	sums=$(sed -n '/^    bytes:/,$p' hash.yaml)
	run cat d/manifest.yaml
	assert_output "# Dataset manifest written by ds-fetch 0.1.0; verify with: ds-hash --check FILE
name: \"mmlu\"
version: \"2025-11-22\"
created: \"2025-11-22T09:51:07Z\"
endpoint: \"$EP\"
key: \".\"
normalize: \"none\"
files:
  - path: \"mmlu.test.jsonl\"
    source: \"hf:o/ds/main/test\"
$sums"
	cd d
	run ds-hash --check manifest.yaml
	assert_success
	assert_output "mmlu.test.jsonl: OK"
}

@test "ds-fetch: a 429 with Retry-After is waited out, 500s are retried" {
	control '{"faults": {"2": "429:1", "3": "500", "4": "503"}}'
	start=$(date +%s.%N)
	run --separate-stderr ds-fetch --backoff 0.01 hf:o/ds/main/test
	end=$(date +%s.%N)
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" > got.jsonl
	cmp got.jsonl rows.jsonl
	run python3 -c "d = $end - $start; assert d >= 1, d; print('ok')"
	assert_output ok
	run cut -d' ' -f2 log
	assert_output "/rows?dataset=o/ds&config=main&split=test&offset=0&length=100
/rows?dataset=o/ds&config=main&split=test&offset=100&length=100
/rows?dataset=o/ds&config=main&split=test&offset=100&length=100
/rows?dataset=o/ds&config=main&split=test&offset=100&length=100
/rows?dataset=o/ds&config=main&split=test&offset=100&length=100
/rows?dataset=o/ds&config=main&split=test&offset=200&length=100"
}

@test "ds-fetch: a server that keeps failing: 69, the URL, status and text; no file left" {
	control '{"from": 1, "fault": "500"}'
	run --separate-stderr ds-fetch --retries 2 --backoff 0.01 -o out.jsonl hf:o/ds/main/test
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ds-fetch: $ROWS&offset=0&length=100: HTTP 500: Internal error (3 attempts)"
	run find . -name 'out*'
	assert_output ""
}

@test "ds-fetch: the token is sent and never printed; a refused one says the dataset may be gated" {
	control '{"token": "hf_SeCrEt123456789"}'
	HF_TOKEN=hf_SeCrEt123456789 run --separate-stderr ds-fetch -v hf:o/small/default/train
	assert_success
	assert_equal "$stderr" "ds-fetch: GET $EP/rows?dataset=o/small&config=default&split=train&offset=0&length=100
ds-fetch: hf:o/small/default/train: 3 rows"
	run cut -d' ' -f3 log
	assert_output token
	echo hf_SeCrEt123456789 > tok
	run --separate-stderr ds-fetch --token-file tok hf:o/small/default/train
	assert_success
	assert_line --index 2 '{"id":"s2","x":0.5}'
	HF_TOKEN=hf_WrOnG123456789 run --separate-stderr ds-fetch -vv --retries 0 hf:o/small/default/train
	assert_failure 66
	refute [ "${stderr##*hf_WrOnG*}" != "$stderr" ]
	assert_equal "${stderr##*$'\n'}" "ds-fetch: $EP/rows?dataset=o/small&config=default&split=train&offset=0&length=100: HTTP 401: The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication. (1 attempts); the token was refused: the dataset may be gated (accept its terms on the Hub) or private"
}

@test "ds-fetch: 401 without a token asks for one" {
	control '{"token": "hf_SeCrEt123456789"}'
	run --separate-stderr ds-fetch hf:o/small/default/train
	assert_failure 66
	assert_output ""
	assert_equal "$stderr" "ds-fetch: $EP/rows?dataset=o/small&config=default&split=train&offset=0&length=100: HTTP 401: The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication. (1 attempts); the dataset may be gated or private: give a token (HF_TOKEN or --token-file)"
	run --separate-stderr ds-fetch --token-file missing hf:o/small/default/train
	assert_failure 66
	assert_equal "$stderr" "ds-fetch: --token-file: missing: No such file or directory"
}

@test "ds-fetch: --resume after a cut completes the file without duplicates" {
	control '{"from": 2, "fault": "cut"}'
	run --separate-stderr ds-fetch --retries 1 --backoff 0.01 -o out.jsonl hf:o/ds/main/test
	assert_failure 69
	assert_equal "$stderr" "ds-fetch: $ROWS&offset=100&length=100: no answer (Transferred a partial file; 2 attempts)
ds-fetch: out.jsonl.part: 100 rows kept; continue with --resume"
	[ ! -e out.jsonl ]
	[ ! -e manifest.yaml ]
	run wc -l < out.jsonl.part
	assert_output 100
	printf '{"z":100,"a"' >> out.jsonl.part # a row cut short by the kill of a run
	control '{}'
	: > log
	run --separate-stderr ds-fetch --resume -o out.jsonl hf:o/ds/main/test
	assert_success
	assert_equal "$stderr" ""
	cmp out.jsonl rows.jsonl
	[ ! -e out.jsonl.part ]
	run cut -d' ' -f2 log
	assert_output "/rows?dataset=o/ds&config=main&split=test&offset=100&length=100
/rows?dataset=o/ds&config=main&split=test&offset=200&length=100"
	run ds-hash -q --check manifest.yaml
	assert_success
}

@test "ds-fetch: truncated cells, a partial answer, HTML and a body without rows are 65, nothing written" {
	control '{"truncated": [120]}'
	run --separate-stderr ds-fetch -o out.jsonl hf:o/ds/main/test
	assert_failure 65
	assert_equal "$stderr" "ds-fetch: $ROWS&offset=100&length=100: a row has truncated cells (\"truncated_cells\"): rows would be lost"
	control '{"partial": true}'
	run --separate-stderr ds-fetch -o out.jsonl hf:o/ds/main/test
	assert_failure 65
	assert_equal "$stderr" "ds-fetch: $ROWS&offset=0&length=100: the answer is partial (\"partial\": true): the split is too large for the datasets-server to read whole, and rows would be lost"
	control '{"faults": {"3": "notjson"}}'
	run --separate-stderr ds-fetch -o out.jsonl hf:o/ds/main/test
	assert_failure 65
	assert_equal "$stderr" "ds-fetch: $ROWS&offset=200&length=100: not the datasets-server's answer (invalid JSON)"
	control '{"faults": {"1": "shape"}}'
	run --separate-stderr ds-fetch hf:o/ds/main/test
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ds-fetch: $ROWS&offset=0&length=100: not the datasets-server's answer (no rows or num_rows_total)"
	run find . -name 'out*'
	assert_output ""
}

@test "ds-fetch: rows laid out over lines come out one a line" {
	skip_under_valgrind "a path the ASan tier covers; memcheck's start-up is most of its time"
	control '{"pretty": true}'
	run --separate-stderr ds-fetch hf:o/small
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"id":"s0","x":0.5}
{"id":"s1","x":0.5}
{"id":"s2","x":0.5}'
}

@test "ds-fetch: several splits need -o DIR; with it, a file each; a '*' config joins them" {
	run --separate-stderr ds-fetch hf:o/ds
	assert_failure 64
	assert_equal "$stderr" "ds-fetch: hf:o/ds has 2 splits (main/test, main/train): name one, or give -o DIR for each
Try 'ds-fetch --help' for more information."
	run --separate-stderr ds-fetch -o out/ hf:o/ds/main
	assert_success
	assert_equal "$stderr" ""
	run ls out
	assert_output "main.test.jsonl
main.train.jsonl
manifest.yaml"
	run --separate-stderr ds-fetch 'hf:o/multi/*/test'
	assert_success
	printf '%s\n' "$output" > got.jsonl
	cat small.jsonl rows.jsonl | cmp - got.jsonl
	run --separate-stderr ds-fetch hf:o/ds/nope
	assert_failure 66
	assert_equal "$stderr" "ds-fetch: hf:o/ds/nope: no such config or split (see $EP/splits?dataset=o/ds)"
	run --separate-stderr ds-fetch hf:o/none/main/test
	assert_failure 66
	assert_equal "$stderr" "ds-fetch: $EP/rows?dataset=o/none&config=main&split=test&offset=0&length=100: HTTP 404: Not found. (1 attempts)"
}

@test "ds-fetch: --suite fetches each task's files under their names, and notes tasks without a source" {
	cat > suites.json <<'J'
{"suites": {"s": [{"task": "t1"}, {"task": "t2"}, {"task": "own"}]},
 "tasks": {
  "t1": {"data": "data/t1.test.jsonl", "fewshot": "data/t1.train.jsonl",
         "source": {"data": "hf:o/ds/main/test", "fewshot": "hf:o/small/default/train"}},
  "t2": {"data": "data/t1.test.jsonl", "fewshot": null, "source": {"data": "hf:o/ds/main/test"}},
  "own": {"data": "data/own.jsonl"}}}
J
	run --separate-stderr ds-fetch --suite s --suites suites.json -o data
	assert_success
	assert_equal "$stderr" "ds-fetch: own: no public source (its data is vllm-eval's own); skipped"
	run ls data
	assert_output "manifest.yaml
t1.test.jsonl
t1.train.jsonl"
	cmp data/t1.test.jsonl rows.jsonl
	cmp data/t1.train.jsonl small.jsonl
	run grep -E '^(name|  - path|    source):' data/manifest.yaml
	assert_output 'name: "s"
  - path: "t1.test.jsonl"
    source: "hf:o/ds/main/test"
  - path: "t1.train.jsonl"
    source: "hf:o/small/default/train"'
	run --separate-stderr ds-fetch --suite nope --suites suites.json -o data
	assert_failure 64
	assert_equal "$stderr" "ds-fetch: --suite: no suite 'nope' in suites.json"
}

@test "ds-fetch: --progress draws rows done of the total" {
	skip_under_valgrind "a path the ASan tier covers; memcheck's start-up is most of its time"
	run --separate-stderr ds-fetch --progress -o out.jsonl hf:o/ds/main/test
	assert_success
	assert_equal "$stderr" $'\rds-fetch: hf:o/ds/main/test: 100/250 rows\rds-fetch: hf:o/ds/main/test: 200/250 rows\rds-fetch: hf:o/ds/main/test: 250/250 rows'
}

@test "ds-fetch: usage errors are 64, an unwritable -o 73, a full stdout 74" {
	skip_under_valgrind "seven runs of paths the ASan tier covers; memcheck's start-up is most of their time"
	run --separate-stderr ds-fetch
	assert_failure 64
	assert_equal "$stderr" "ds-fetch: expected one dataset, hf:DATASET[/CONFIG[/SPLIT]]
Try 'ds-fetch --help' for more information."
	run --separate-stderr ds-fetch hf:mmlu
	assert_failure 64
	assert_equal "$stderr" "ds-fetch: expected hf:OWNER/DATASET[/CONFIG[/SPLIT]], got 'hf:mmlu'
Try 'ds-fetch --help' for more information."
	run --separate-stderr ds-fetch --resume hf:o/ds/main/test
	assert_failure 64
	assert_equal "$stderr" "ds-fetch: --resume needs -o: stdout cannot be continued
Try 'ds-fetch --help' for more information."
	run --separate-stderr ds-fetch --endpoint ftp://x hf:o/ds/main/test
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-fetch: --endpoint: expected an http:// or https:// URL, got 'ftp://x'"
	run --separate-stderr ds-fetch -o /dev/null/sub/x.jsonl hf:o/ds/main/test
	assert_failure 73
	assert_equal "$stderr" "ds-fetch: -o: /dev/null/sub: Not a directory"
	mkdir ro && chmod 555 ro
	run --separate-stderr ds-fetch -o ro/x.jsonl hf:o/ds/main/test
	chmod 755 ro
	if [ "$(id -u)" != 0 ]; then
		assert_failure 73
		assert_equal "$stderr" "ds-fetch: -o: ro/x.jsonl.part: Permission denied"
	fi
	run --separate-stderr sh -c 'ds-fetch hf:o/small/default/train > /dev/full'
	assert_failure 74
	assert_equal "$stderr" "ds-fetch: write error: No space left on device"
}

@test "ds-fetch: --suite korean of share/suites.json: KMMLU's configs joined, ko_arc skipped" {
	control '{}'
	jq '.splits["HAERAE-HUB/KMMLU"] = [["Accounting","dev","small.jsonl"],["Accounting","test","rows.jsonl"],
		["Biology","dev","small.jsonl"],["Biology","test","small.jsonl"]]' ctl.json > c2 && mv c2 ctl.json
	run --separate-stderr ds-fetch --suite korean --suites "$VE_ROOT/share/suites.json" -o data
	assert_success
	assert_equal "$stderr" "ds-fetch: ko_arc: no public source (its data is vllm-eval's own); skipped"
	run ls data
	assert_output "kmmlu.dev.jsonl
kmmlu.test.jsonl
manifest.yaml"
	cat rows.jsonl small.jsonl | cmp - data/kmmlu.test.jsonl
	cat small.jsonl small.jsonl | cmp - data/kmmlu.dev.jsonl
	run grep source: data/manifest.yaml
	assert_output '    source: "hf:HAERAE-HUB/KMMLU/*/test"
    source: "hf:HAERAE-HUB/KMMLU/*/dev"'
}
