#!/usr/bin/env bats
# ds-synth: synthetic prompts like vLLM's random dataset. Lengths, bounds and
# the shared prefix are checked with python3 from the output alone; exact
# lengths against the scripted server's tokenizers (words: \s*\S+ pieces;
# chars4: pieces of 4 characters, so ceil(len/4) tokens).

bats_require_minimum_version 1.5.0
load helper

SERVER="$FIX/llm-query/server.py"

setup() {
	setup_scratch
	unset OPENAI_API_KEY VLLM_API_KEY
}

teardown() {
	if [ -n "${SRV_PID:-}" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
}

start_server() {
	rm -f port
	python3 "$SERVER" --port-file port "$@" 2>server.err &
	SRV_PID=$!
	local n=100
	while [ ! -s port ] && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	URL="http://127.0.0.1:$(cat port)"
}

@test "ds-synth: --help and --version" {
	run --separate-stderr ds-synth --help
	assert_success
	assert_line --index 0 "usage: ds-synth [-qv] [-n N] [--input-len N] [--output-len N] [--range-ratio R]"
	# The network options' lines are the ones every network tool prints.
	assert_line "      --attempts N      tries in all: --retries N-1 (older spelling)"
	assert_line "      --max-wait S      longest wait between tries (default min(timeout, 60))"
	assert_equal "$stderr" ""
	run --separate-stderr ds-synth --version
	assert_output "ds-synth 0.1.0 (vllm-eval)"
}

@test "ds-synth: usage errors" {
	run --separate-stderr ds-synth extra
	assert_failure 64
	assert_equal "$stderr" "ds-synth: unexpected argument 'extra' (ds-synth reads no input)
Try 'ds-synth --help' for more information."
	run --separate-stderr ds-synth --range-ratio 1
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-synth: --range-ratio: expected a number from 0 to 0.999999, got '1'"
	run --separate-stderr ds-synth --input-len 0
	assert_failure 64
	run --separate-stderr ds-synth -e ftp://x
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-synth: --endpoint: expected an http:// or https:// URL"
}

@test "ds-synth: query records with max_tokens and ignore_eos, the same for one seed" {
	run --separate-stderr ds-synth -n 2 --input-len 6 --output-len 3 --seed 5
	assert_success
	assert_equal "$stderr" ""
	# Words w[(offset + index + k) % 70], as vLLM's (offset + index + arange) % vocab.
	assert_output '{"id":0,"request":{"prompt":"be by on not he this","max_tokens":3,"ignore_eos":true},"input_len":6,"output_len":3}
{"id":1,"request":{"prompt":"work life hand part place case","max_tokens":3,"ignore_eos":true},"input_len":6,"output_len":3}'
	a=$(ds-synth -n 50 --seed 9 | md5sum)
	b=$(ds-synth -n 50 --seed 9 | md5sum)
	c=$(ds-synth -n 50 --seed 10 | md5sum)
	assert_equal "$a" "$b"
	[ "$a" != "$c" ]
}

@test "ds-synth: --range-ratio bounds and the shared prefix" {
	ds-synth -n 400 --input-len 40 --output-len 10 --range-ratio 0.25 --prefix-len 5 --seed 1 > out.jsonl
	# vLLM's bounds: input in [floor(40*0.75), ceil(40*1.25)] = [30, 50] after a
	# 5-token prefix; output in [floor(7.5), ceil(12.5)] = [7, 13]. Without a
	# tokenizer a token is a word.
	run python3 -c 'import json
rs = [json.loads(l) for l in open("out.jsonl")]
ins = [r["input_len"] - 5 for r in rs]
outs = [r["output_len"] for r in rs]
assert min(ins) == 30 and max(ins) == 50, (min(ins), max(ins))
assert min(outs) == 7 and max(outs) == 13, (min(outs), max(outs))
assert all(len(r["request"]["prompt"].split()) == r["input_len"] for r in rs)
assert all(r["request"]["max_tokens"] == r["output_len"] and r["request"]["ignore_eos"] is True for r in rs)
assert len({tuple(r["request"]["prompt"].split()[:5]) for r in rs}) == 1
assert [r["id"] for r in rs] == list(range(400))
print("ok")'
	assert_output ok
}

@test "ds-synth: with --endpoint the lengths are exact by /tokenize" {
	start_server --tokenizer chars4
	run --separate-stderr ds-synth -n 20 --input-len 50 --range-ratio 0.3 --prefix-len 7 -e "$URL" -m M
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > out.jsonl
	run python3 -c 'import json, math
for l in open("out.jsonl"):
    r = json.loads(l)
    assert math.ceil(len(r["request"]["prompt"]) / 4) == r["input_len"], r
print("ok")'
	assert_output ok
}

@test "ds-synth: -n 0 writes nothing; a dead server is exit 69; a full disk 74" {
	run --separate-stderr ds-synth -n 0
	assert_success
	assert_output ""
	port=$(ve_free_port)
	run --separate-stderr ds-synth -n 1 -e "http://127.0.0.1:$port" -m M
	assert_failure 69
	assert_output ""
	[[ "$stderr" == "ds-synth: http://127.0.0.1:$port/tokenize: "* ]]
	run --separate-stderr sh -c 'ds-synth -n 10 > /dev/full'
	assert_failure 74
	assert_equal "$stderr" "ds-synth: write error: No space left on device"
}

@test "ds-synth: --retries and --backoff: 5xx, 429 and 408 are retried, a 400 is not" {
	start_server --fail 2
	run --separate-stderr ds-synth -n 1 --input-len 4 -e "$URL" -m M --backoff 0.001
	assert_success
	assert_equal "$stderr" ""
	teardown
	start_server --fail 2
	run --separate-stderr ds-synth -n 1 --input-len 4 -e "$URL" -m M --retries 0
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ds-synth: $URL/tokenize: 503 overloaded"
	teardown
	start_server --status 408 --log log.jsonl
	run --separate-stderr ds-synth -n 1 --input-len 4 -e "$URL" -m M --retries 2 --backoff 0.001
	assert_failure 69
	assert_equal "$stderr" "ds-synth: $URL/tokenize: 408 scripted status 408"
	assert_equal "$(wc -l < log.jsonl)" 3
	teardown
	rm -f log.jsonl
	start_server --status 400 --log log.jsonl
	run --separate-stderr ds-synth -n 1 --input-len 4 -e "$URL" -m M --backoff 0.001
	assert_failure 69
	assert_equal "$stderr" "ds-synth: $URL/tokenize: 400 scripted status 400"
	assert_equal "$(wc -l < log.jsonl)" 1
	run --separate-stderr ds-synth --retries -1
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "ds-synth: --retries: expected an integer from 0 to 100, got '-1'"
}

@test "ds-synth: --attempts N is --retries N-1; --max-wait caps Retry-After" {
	# Retry-After: 30 would be waited for (the cap is min(--timeout, 60) = 30)
	# but for --max-wait 0.
	start_server --fail 1 --retry-after 30
	run --separate-stderr timeout 20 "$VE_BIN/ds-synth" -n 1 --input-len 4 -e "$URL" -m M --attempts 2 --max-wait 0
	assert_success
	assert_equal "$stderr" ""
	teardown
	start_server --fail 1 --retry-after 30
	run --separate-stderr ds-synth -n 1 --input-len 4 -e "$URL" -m M --attempts 1
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ds-synth: $URL/tokenize: 503 overloaded"
	run --separate-stderr ds-synth --attempts 0
	assert_failure 64
	assert_equal "$stderr" "ds-synth: --attempts: expected an integer from 1 to 101, got '0'
Try 'ds-synth --help' for more information."
	run --separate-stderr ds-synth --max-wait 3601
	assert_failure 64
	assert_equal "$stderr" "ds-synth: --max-wait: expected a number from 0 to 3600, got '3601'
Try 'ds-synth --help' for more information."
}

@test "ds-synth: the API key the server echoes never reaches stderr" {
	start_server --status 503 --echo-auth --log log.jsonl
	OPENAI_API_KEY=sk-Secret42 run --separate-stderr ds-synth -n 1 -e "$URL" -m M --retries 1 --backoff 0.001
	assert_failure 69
	assert_equal "$stderr" "ds-synth: $URL/tokenize: 503 scripted status 503 for Authorization: Bearer ***"
	assert_equal "$(wc -l < log.jsonl)" 2
	OPENAI_API_KEY=sk-Secret42 run --separate-stderr ds-synth -n 1 -e "$URL" --retries 0
	assert_failure 69
	assert_equal "$stderr" "ds-synth: $URL/v1/models: no model name (give --model): 503 scripted status 503 for Authorization: Bearer ***"
}

@test "ds-synth: exact lengths against vllm-sim, confirmed by llm-query's usage" {
	rm -f simport
	vllm-sim -q -p 0 --port-file simport > sim.out 2> sim.err &
	SRV_PID=$!
	n=200
	while [ ! -s simport ] && [ "$n" -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	URL="http://127.0.0.1:$(cat simport)"
	run --separate-stderr ds-synth -n 10 --input-len 64 --output-len 5 --range-ratio 0.5 --prefix-len 8 -e "$URL"
	assert_success
	echo "$output" > synth.jsonl
	# The server's own prompt_tokens must equal input_len, and completion_tokens output_len.
	run sh -c "llm-query -e '$URL' synth.jsonl | jq -c 'select(.response.usage.prompt_tokens != .input_len or .response.usage.completion_tokens != .output_len)'"
	assert_success
	assert_output ""
}

@test "ds-synth: an endless /tokenize answer stops at --max-body (64M by default)" {
	start_server --endless
	# Under a 400 MB address-space limit in the plain tier (the sanitizers
	# need far more address space than they use).
	limit=unlimited
	[ "$VE_TIER" = plain ] && limit=400000
	run --separate-stderr sh -c 'ulimit -v "$1"; shift; exec ds-synth "$@"' ds-synth "$limit" -n 1 -e "$URL" -m M --backoff 0.001
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ds-synth: $URL/tokenize: an answer larger than 67108864 bytes (see --max-body)"
	run --separate-stderr ds-synth -n 1 -e "$URL" -m M --max-body 64k
	assert_failure 69
	assert_equal "$stderr" "ds-synth: $URL/tokenize: an answer larger than 65536 bytes (see --max-body)"
	run --separate-stderr ds-synth --max-body 1.5M
	assert_failure 64
	assert_equal "$stderr" "ds-synth: --max-body: expected an integer from 1 to 1048576, got '1.5'
Try 'ds-synth --help' for more information."
}

@test "ds-synth: a /tokenize count that does not follow the text is not followed forever" {
	# Every prompt is "3 tokens" to this server, whatever its text: after 16
	# counts in a row of 3 it is given up.
	start_server --tokenize-counts 3 --log log.jsonl
	run --separate-stderr timeout 60 "$VE_BIN/ds-synth" -n 2 --input-len 10 -e "$URL" -m M
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ds-synth: $URL/tokenize: cannot make a prompt exactly 10 tokens long: the count stayed at 3 for 16 counts"
	assert_equal "$(wc -l < log.jsonl)" 16
	teardown
	# 3, 4, 3, 4, ...: never the same twice, never 10; a prompt of 10 tokens
	# may take 64 + 2 * 10 counts.
	rm log.jsonl
	start_server --tokenize-counts 3,4 --log log.jsonl
	run --separate-stderr timeout 60 "$VE_BIN/ds-synth" -n 2 --input-len 10 -e "$URL" -m M
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ds-synth: $URL/tokenize: cannot make a prompt exactly 10 tokens long (4 tokens after 84 counts)"
	assert_equal "$(wc -l < log.jsonl)" 84
}
