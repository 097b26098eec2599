#!/usr/bin/env bats
# llm-query: request building, endpoint forms, streaming timings,
# loglikelihood, retries, exactly-once output, resume, cache, arrivals.
#
# The server is tests/fixtures/llm-query/server.py, a scripted
# OpenAI-compatible server whose answers follow fixed rules (see its
# docstring), so expected values are computed here by hand or with python3
# from those rules, never from llm-query's own code.

bats_require_minimum_version 1.5.0
load helper

SERVER="$FIX/llm-query/server.py"

setup() {
	setup_scratch
	unset MODEL_ENDPOINT OPENAI_API_KEY VLLM_API_KEY
}

teardown() {
	if [ -n "${SRV_PID:-}" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
}

# Starts the scripted server with the given fault options; sets URL.
start_server() {
	rm -f port
	python3 "$SERVER" --port-file port --log log.jsonl "$@" 2>server.err &
	SRV_PID=$!
	local n=100
	while [ ! -s port ] && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	URL="http://127.0.0.1:$(cat port)"
}

# n query records {"id":I,"prompt":"w I"} for I in 0..n-1.
records() {
	python3 -c 'import json,sys
for i in range(int(sys.argv[1])): print(json.dumps({"id": i, "prompt": "hello world %d" % i}))' "$1"
}

posts() {
	if [ -e log.jsonl ]; then wc -l < log.jsonl; else echo 0; fi
}

@test "llm-query: --help prints the usage on stdout" {
	run --separate-stderr llm-query --help
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 "usage: llm-query [-qv] [-e URL] [-m MODEL] [-p EXPR | --messages EXPR | --loglikelihood]"
	assert_output --partial "Exit: 0 ok, 64 usage, 65 bad input"
	assert_line "      --max-wait S        longest wait between tries (default min(timeout, 60))"
}

@test "llm-query: --version" {
	run --separate-stderr llm-query --version
	assert_success
	assert_output "llm-query 0.1.0 (vllm-eval)"
}

@test "llm-query: usage errors exit 64 with a hint" {
	run --separate-stderr llm-query < /dev/null
	assert_failure 64
	assert_equal "$stderr" "llm-query: no endpoint: give --endpoint URL or set MODEL_ENDPOINT
Try 'llm-query --help' for more information."
	run --separate-stderr llm-query -e http://127.0.0.1:1 --prompt .a --messages .b
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --prompt, --messages and --loglikelihood exclude one another"
	run --separate-stderr llm-query -e http://127.0.0.1:1 --resume
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --resume needs -o FILE (the answers to keep)"
	run --separate-stderr llm-query -e http://127.0.0.1:1 -c 0
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --concurrency: expected an integer from 1 to 100000, got '0'"
	run --separate-stderr llm-query -e ftp://host/x < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --endpoint: expected an http:// or https:// URL, got 'ftp://host/x'"
	run --separate-stderr llm-query -e http://127.0.0.1:1 --extra '[1]' < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --extra: expected a JSON object"
	run --separate-stderr llm-query -e http://127.0.0.1:1 --prompt '.a |' < /dev/null
	assert_failure 64
	assert_output ""
	run --separate-stderr llm-query -e http://127.0.0.1:1 --loglikelihood --stream
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --loglikelihood does not stream"
}

@test "llm-query: the three endpoint forms reach the right URL" {
	for e in http://h:8000 http://h:8000/ http://h:8000/v1 http://h:8000/v1/completions; do
		run --separate-stderr sh -c "echo '{\"prompt\":\"p\"}' | llm-query --dry-run -e '$e' | jq -r .dry_run.url"
		assert_success
		assert_output "http://h:8000/v1/completions"
	done
	run --separate-stderr sh -c "echo '{\"prompt\":\"p\"}' | llm-query --dry-run -e http://h:8000/v1/chat/completions/ | jq -c .dry_run"
	assert_output '{"url":"http://h:8000/v1/chat/completions","body":{"messages":[{"role":"user","content":"p"}]}}'
	# Credentials in a URL are never printed.
	run --separate-stderr sh -c "echo '{\"prompt\":\"p\"}' | llm-query --dry-run -e 'https://u:secret@h/v1?token=t' | jq -r .dry_run.url"
	assert_output "https://***@h/v1/completions"
}

@test "llm-query: request parameters fill only what the record does not set" {
	printf '%s\n' '{"id":1,"q":"Q1","request":{"prompt":"own","max_tokens":3}}' '{"id":2,"q":"Q2"}' > in.jsonl
	run --separate-stderr sh -c "llm-query --dry-run -e http://h -m M -p '\"Q: \\(.q)\\nA:\"' --max-tokens 9 --temperature 0.5 --top-p 0.9 --seed 7 --stop '##' --stop END --logprobs 2 --echo --ignore-eos --extra '{\"n\":1,\"max_tokens\":99}' in.jsonl | jq -c .dry_run.body"
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 '{"prompt":"own","max_tokens":3,"model":"M","temperature":0.5,"top_p":0.9,"seed":7,"stop":["##","END"],"logprobs":2,"echo":true,"ignore_eos":true,"n":1}'
	assert_line --index 1 '{"prompt":"Q: Q2\nA:","model":"M","max_tokens":9,"temperature":0.5,"top_p":0.9,"seed":7,"stop":["##","END"],"logprobs":2,"echo":true,"ignore_eos":true,"n":1}'
}

@test "llm-query: --messages builds chat requests; --stream asks for usage" {
	echo '{"q":"hi"}' > in.jsonl
	run --separate-stderr sh -c "llm-query --dry-run -e http://h -m M --messages '[{role:\"user\",content:.q}]' --logprobs 3 --stream in.jsonl | jq -c .dry_run"
	assert_success
	assert_output '{"url":"http://h/v1/chat/completions","body":{"messages":[{"role":"user","content":"hi"}],"model":"M","logprobs":true,"top_logprobs":3,"stream":true,"stream_options":{"include_usage":true}}}'
}

@test "llm-query: completions; records pass through byte for byte; model from /v1/models" {
	start_server
	printf '%s\n' '{"id":12345678901234567890, "prompt":"a b c"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" --max-tokens 3 in.jsonl
	assert_success
	assert_equal "$stderr" ""
	# The server answers max_tokens words " w0".." wN-1"; usage counts \s*\S+ pieces.
	assert_output --regexp '^\{"id":12345678901234567890, "prompt":"a b c","response":\{"status":200,"text":" w0 w1 w2","finish_reason":"length","usage":\{"prompt_tokens":3,"completion_tokens":3\}\},"timing":\{"start":[0-9]+\.[0-9]{6},"e2el_ms":[0-9.]+,"attempts":1\}\}$'
	run jq -c .body log.jsonl
	assert_output '{"prompt":"a b c","model":"sim-model","max_tokens":3}'
}

@test "llm-query: chat completions" {
	start_server
	echo '{"id":"c1","prompt":"x"}' | llm-query -e "$URL/v1/chat/completions" --max-tokens 2 > out.jsonl
	run jq -c '[.response.text, .response.usage.completion_tokens]' out.jsonl
	assert_output '[" w0 w1",2]'
}

@test "llm-query: the API key goes in a header, never in output" {
	start_server
	echo s3cret > key
	records 1 | OPENAI_API_KEY=envkey llm-query -e "$URL" > /dev/null
	records 1 | OPENAI_API_KEY=envkey llm-query -e "$URL" --api-key-file key > out.jsonl 2> err
	run jq -r .auth log.jsonl
	assert_output "Bearer envkey
Bearer s3cret"
	run grep -c s3cret out.jsonl err
	assert_output "out.jsonl:0
err:0"
	run --separate-stderr llm-query -e "$URL" --api-key-file nosuch < /dev/null
	assert_failure 66
	assert_equal "$stderr" "llm-query: --api-key-file: nosuch: cannot open"
}

@test "llm-query: streaming timings follow the token chunks" {
	start_server --token-delay 0.2
	echo '{"id":1,"prompt":"a"}' | llm-query -e "$URL" --stream --max-tokens 4 > out.jsonl
	run jq -c '[.response.text, .response.usage, (.timing.itl_ms|length), .timing.attempts]' out.jsonl
	assert_output '[" w0 w1 w2 w3",{"prompt_tokens":1,"completion_tokens":4},3,1]'
	# The server sleeps 200 ms before each of 4 token chunks: TTFT >= 200 ms
	# (and short of the second chunk's 400), E2EL >= 800 ms, E2EL = TTFT +
	# the ITL samples (about 600 ms; less when a slow client reads the first
	# chunk late, as under valgrind). 200 ms leaves room for a loaded machine.
	run python3 -c 'import json,sys
t = json.load(open("out.jsonl"))["timing"]
assert 200 <= t["ttft_ms"] < 400, t
assert all(0 <= x < 800 for x in t["itl_ms"]) and 400 <= sum(t["itl_ms"]) < 1000, t
assert abs(t["ttft_ms"] + sum(t["itl_ms"]) - t["e2el_ms"]) < 0.01, t
assert 800 <= t["e2el_ms"] < 1400, t
print("ok")'
	assert_output ok
	# Milliseconds with three decimals, as printf's %.3f writes them.
	run grep -cE '"ttft_ms":[0-9]+\.[0-9]{3},"e2el_ms":[0-9]+\.[0-9]{3},"itl_ms":\[[0-9]+\.[0-9]{3}(,[0-9]+\.[0-9]{3}){2}\]' out.jsonl
	assert_output 1
	run jq -c .body.stream_options log.jsonl
	assert_output '{"include_usage":true}'
}

@test "llm-query: loglikelihood by /tokenize and token ids, as lm-evaluation-harness" {
	start_server
	printf '%s\n' '{"id":1,"context":"The cat","continuation":" sat down"}' '{"id":2,"context":"Q: why","continuation":" because"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" --loglikelihood --ordered in.jsonl
	assert_success
	# Server rule: logprob of token t = -0.25*(1 + len(t)%4), top-1 when len(t) is even.
	# " sat" (4) -0.25 top; " down" (5) -0.5 not top: sum -0.75, greedy false.
	# " because" (8): -0.25, top: sum -0.25, greedy true.
	run jq -c '[.id, .response.loglikelihood]' <<< "$output"
	assert_output '[1,{"sum":-0.75,"n_tokens":2,"greedy":false,"method":"tokens"}]
[2,{"sum":-0.25,"n_tokens":1,"greedy":true,"method":"tokens"}]'
	run sh -c "jq -c '[.path, .body.add_special_tokens, .body.echo, .body.max_tokens, .body.logprobs, .body.temperature]' log.jsonl | sort | uniq -c"
	assert_output '      4 ["/tokenize",false,null,null,null,null]
      2 ["/v1/completions",null,true,1,1,0]'
	# The scoring prompt is the token ids of context + continuation.
	run sh -c "jq -c 'select(.path==\"/v1/completions\") | .body.prompt | length' log.jsonl | sort"
	assert_output "3
4"
}

@test "llm-query: loglikelihood falls back to text_offset without /tokenize" {
	start_server --no-tokenize
	printf '%s\n' '{"id":1,"context":"Le café","continuation":" noir sûr"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" --loglikelihood in.jsonl
	assert_success
	# " noir" (5): -0.5 not top; " sûr" (4 code points): -0.25 top. Offsets count code points.
	run jq -c .response.loglikelihood <<< "$output"
	assert_output '{"sum":-0.75,"n_tokens":2,"greedy":false,"method":"text_offset"}'
}

@test "llm-query: an empty context whose prefix token is not one id is an error; --prefix-token names another" {
	# chars4 cuts "<|endoftext|>" into 4 tokens: there is no prefix token to put first.
	start_server --tokenizer chars4
	echo '{"id":1,"context":"","continuation":"abcd"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" --loglikelihood in.jsonl
	assert_failure 69
	assert_output '{"id":1,"context":"","continuation":"abcd","error":{"kind":"protocol","status":200,"message":"an empty context needs the prefix token, and /tokenize does not give <|endoftext|> as one id (see --prefix-token)","attempts":1}}'
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	# A tokenizer whose BOS is "<s>" (lm-eval's prefix token when there is a
	# BOS): one chars4 token, the context of "abcd".
	run --separate-stderr llm-query -e "$URL" --loglikelihood --prefix-token '<s>' in.jsonl
	assert_success
	run jq -c '.response.loglikelihood.n_tokens' <<< "$output"
	assert_output 1
	run --separate-stderr llm-query -e "$URL" --prefix-token '<s>' in.jsonl
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --prefix-token is the empty context of --loglikelihood"
}

@test "llm-query: a server that ignores echo is an error, not a zero" {
	start_server --ignore-echo
	echo '{"id":1,"context":"a b","continuation":" c"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" --loglikelihood in.jsonl
	assert_failure 69
	assert_output '{"id":1,"context":"a b","continuation":" c","error":{"kind":"protocol","status":200,"message":"the server ignored echo: 1 token logprobs for a prompt of 3 tokens","attempts":1}}'
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
}

@test "llm-query: 503 and 429 are retried; attempts are counted" {
	start_server --fail 3
	records 1 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --backoff 0.01 in.jsonl
	assert_success
	run jq -c '[.id, .timing.attempts, .response.status]' <<< "$output"
	assert_output '[0,4,200]'
}

@test "llm-query: after the last retry the record carries the error; exit 69" {
	start_server --fail 5
	records 1 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --backoff 0.01 --retries 2 in.jsonl
	assert_failure 69
	assert_output '{"id": 0, "prompt": "hello world 0","error":{"kind":"http","status":503,"message":"overloaded","attempts":3}}'
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	run --separate-stderr llm-query -e "$URL" --backoff 0.01 --retries 0 --max-failures 100 in.jsonl
	assert_success
	assert_output --partial '"error":{"kind":"http","status":429,"message":"overloaded","attempts":1}}'
}

@test "llm-query: other 4xx are not retried" {
	start_server --status 400
	records 1 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --backoff 0.01 in.jsonl
	assert_failure 69
	assert_output '{"id": 0, "prompt": "hello world 0","error":{"kind":"http","status":400,"message":"scripted status 400","attempts":1}}'
	assert_equal "$(posts)" 1
}

@test "llm-query: 408 is retried like 429 and 5xx" {
	start_server --status 408
	records 1 > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --retries 1 --backoff 0.001 in.jsonl
	assert_failure 69
	assert_output '{"id": 0, "prompt": "hello world 0","error":{"kind":"http","status":408,"message":"scripted status 408","attempts":2}}'
	assert_equal "$(posts)" 2
}

@test "llm-query: connection refused and timeouts" {
	port=$(ve_free_port)
	records 1 > in.jsonl
	run --separate-stderr llm-query -e "http://127.0.0.1:$port" -m M --backoff 0.01 --retries 1 in.jsonl
	assert_failure 69
	assert_output --regexp '"error":\{"kind":"connect","message":"[^"]+","attempts":2\}\}$'
	start_server --hang
	run --separate-stderr llm-query -e "$URL" -m M --timeout 0.3 --retries 0 in.jsonl
	assert_failure 69
	assert_output --regexp '"error":\{"kind":"timeout","message":"Operation timed out[^"]*","attempts":1\}\}$'
}

@test "llm-query: no model name from a dead server is exit 69" {
	port=$(ve_free_port)
	run --separate-stderr llm-query -e "http://127.0.0.1:$port" --retries 0 <<< '{"prompt":"x"}'
	assert_failure 69
	assert_output ""
	assert_equal "${stderr%%:*}" "llm-query"
	assert_equal "${stderr#*: }" "${stderr#*: }"
	[[ "$stderr" == "llm-query: http://127.0.0.1:$port/v1/models: no model name (give --model): "* ]]
}

@test "llm-query: cut streams are retried from the start, every id exactly once" {
	start_server --cut-every 3 --fail-every 10
	records 100 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --stream -c 20 --backoff 0.005 --retries 10 in.jsonl
	assert_success
	echo "$output" > out.jsonl
	run jq -s -c '[length, ([.[].id] | unique | length), ([.[] | select(.response.status == 200)] | length), ([.[].timing.attempts] | max > 1)]' out.jsonl
	assert_output '[100,100,100,true]'
	# A retried stream is measured on its last attempt: 4 chunks, 3 ITL samples.
	run jq -s -c '[.[] | .timing.itl_ms | length] | unique' out.jsonl
	assert_output '[3]'
}

@test "llm-query: kill -9 then --resume ends with every id exactly once" {
	skip_under_valgrind "timing-dependent kill"
	start_server --token-delay 0.01
	records 300 > in.jsonl
	llm-query -e "$URL" --stream -c 10 -o out.jsonl in.jsonl &
	pid=$!
	sleep 1
	kill -9 "$pid"
	wait "$pid" || true
	before=$(wc -l < out.jsonl)
	[ "$before" -gt 0 ] && [ "$before" -lt 300 ]
	run --separate-stderr llm-query -e "$URL" --stream -c 10 -o out.jsonl --resume in.jsonl
	assert_success
	assert_output ""
	run jq -s -c '[length, ([.[].id] | unique | length), ([.[] | select(.response)] | length)]' out.jsonl
	assert_output '[300,300,300]'
}

@test "llm-query: --resume resends failures and a torn last line, keeps the rest" {
	start_server
	records 4 > in.jsonl
	{
		echo '{"id":0,"prompt":"hello world 0","response":{"status":200,"text":"old"}}'
		echo '{"id":1,"prompt":"hello world 1","error":{"kind":"http","status":503,"message":"x","attempts":4}}'
		echo '{"id":3,"prompt":"hello world 3","response":{"status":200,"text":"old"}}'
		printf '{"id":2,"prompt":"hel'
	} > out.jsonl
	run --separate-stderr llm-query -v -e "$URL" -o out.jsonl --resume --ordered in.jsonl
	assert_success
	assert_equal "$stderr" "llm-query: out.jsonl: kept 2 answered records, dropped 2 to send again
llm-query: 2 records: 2 answered, 0 failed
llm-query: --resume: 2 records were already answered"
	run jq -c '[.id, .response.text]' out.jsonl
	assert_output '[0,"old"]
[3,"old"]
[1," w0 w1 w2 w3"]
[2," w0 w1 w2 w3"]'
	assert_equal "$(posts)" 2
}

@test "llm-query: --cache answers a repeated request without sending it" {
	start_server
	records 3 > in.jsonl
	llm-query -e "$URL" --ordered --cache cache in.jsonl > a.jsonl
	assert_equal "$(posts)" 3
	run --separate-stderr llm-query -e "$URL" --ordered --cache cache in.jsonl
	assert_success
	assert_equal "$(posts)" 3
	run jq -c '[.id, .response.text, .timing]' <<< "$output"
	assert_output '[0," w0 w1 w2 w3",{"cached":true,"attempts":0}]
[1," w0 w1 w2 w3",{"cached":true,"attempts":0}]
[2," w0 w1 w2 w3",{"cached":true,"attempts":0}]'
	# A different body is a different key.
	llm-query -e "$URL" --cache cache --max-tokens 2 in.jsonl > /dev/null
	assert_equal "$(posts)" 6
	run sh -c 'find cache -type f | wc -l'
	assert_output 6
}

@test "llm-query: --ordered keeps input order; the default is completion order" {
	start_server
	records 50 > in.jsonl
	run --separate-stderr llm-query -e "$URL" -c 8 --ordered in.jsonl
	assert_success
	assert_equal "$(jq -c .id <<< "$output" | tr '\n' ' ')" "$(seq 0 49 | tr '\n' ' ')"
}

@test "llm-query: --warmup requests are sent first and left out" {
	start_server
	records 5 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --warmup 2 in.jsonl
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_equal "$(posts)" 7
}

@test "llm-query: --rate arrivals are gamma gaps rescaled to end at N/R" {
	records 500 > in.jsonl
	for b in 1 4; do
		llm-query --dry-run -m M --rate 100 --burstiness "$b" --seed 1 in.jsonl | jq .dry_run.at > at.txt
		# Independently of llm-query: a gamma(B) gap has mean 1/R and
		# coefficient of variation 1/sqrt(B); the last arrival is N/R = 5 s.
		run python3 -c 'import sys, statistics as st
b = float(sys.argv[1])
at = [float(x) for x in open("at.txt")]
gaps = [at[0]] + [y - x for x, y in zip(at, at[1:])]
assert len(at) == 500 and abs(at[-1] - 5.0) < 1e-9, at[-1]
assert all(g >= 0 for g in gaps)
cv = st.pstdev(gaps) / st.mean(gaps)
assert abs(cv - b ** -0.5) < 0.12, cv
print("ok")' "$b"
		assert_output ok
	done
	# The same seed gives the same arrivals.
	head -50 in.jsonl > in50.jsonl
	run sh -c "llm-query --dry-run -m M --rate 100 --seed 1 in50.jsonl | md5sum; llm-query --dry-run -m M --rate 100 --seed 1 in50.jsonl | md5sum"
	assert_equal "${lines[0]}" "${lines[1]}"
}

@test "llm-query: --rate paces real requests; queue time with --concurrency" {
	start_server
	records 10 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --rate 20 -c 2 --seed 3 in.jsonl
	assert_success
	echo "$output" > out.jsonl
	# 10 requests at 20/s: the last is sent about 0.5 s after the first arrival time.
	run python3 -c 'import json
r = [json.loads(l) for l in open("out.jsonl")]
s = sorted(x["timing"]["start"] for x in r)
assert 0.3 < s[-1] - s[0] < 0.7, s[-1] - s[0]
assert all("queue_ms" in x["timing"] and x["timing"]["queue_ms"] >= 0 for x in r)
print("ok")'
	assert_output ok
}

@test "llm-query: empty input, no final newline, blank lines" {
	start_server
	run --separate-stderr llm-query -e "$URL" < /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	printf '\n{"id":1,"prompt":"a"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" in.jsonl
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --partial '{"id":1,"prompt":"a","response":{"status":200'
}

@test "llm-query: malformed JSON and invalid UTF-8 stop with 65, or are skipped" {
	start_server
	printf '%s\n' '{"id":1,"prompt":"a"}' '{"id":' > bad.jsonl
	run --separate-stderr llm-query -e "$URL" bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "llm-query: bad.jsonl:2: invalid JSON: Unfinished JSON term at EOF at column 6"
	assert_equal "${#lines[@]}" 1
	printf '{"id":2,"prompt":"a\xff"}\n{"id":3,"prompt":"b"}\n' > u.jsonl
	run --separate-stderr llm-query -e "$URL" --skip-bad u.jsonl
	assert_success
	assert_equal "$stderr" "llm-query: skipped 1 bad record (first: u.jsonl:1: invalid UTF-8 at byte 20)"
	assert_output --partial '{"id":3,"prompt":"b","response":'
	echo '{"id":4}' > np.jsonl
	run --separate-stderr llm-query -e "$URL" np.jsonl
	assert_failure 65
	assert_equal "$stderr" "llm-query: np.jsonl:1: no .prompt (give --prompt, --messages or .request)"
}

@test "llm-query: a full disk is exit 74" {
	start_server
	records 2 > in.jsonl
	run --separate-stderr sh -c "llm-query -e '$URL' in.jsonl > /dev/full"
	assert_failure 74
	assert_equal "$stderr" "llm-query: write error: No space left on device"
}

@test "llm-query: SSE framing: CRLF, comments, split data lines, pieces of any size" {
	for n in 0 1 7; do
		start_server --sse-file "$FIX/llm-query/crlf.sse" --sse-bytes "$n"
		run --separate-stderr llm-query -e "$URL" -m M --stream -p '"x"' <<< '{"id":1}'
		assert_success
		# 4 events with non-empty choices (one with empty text) are 4 token
		# chunks: 3 ITL samples; the usage chunk is not one.
		run jq -c '[.response.text, .response.finish_reason, .response.usage, (.timing.itl_ms | length)]' <<< "$output"
		assert_output '["Hello!","stop",{"prompt_tokens":2,"completion_tokens":4},3]'
		teardown
	done
}

@test "llm-query: a stream without [DONE] is retried, then an error" {
	start_server --sse-file "$FIX/llm-query/cut.sse"
	run --separate-stderr llm-query -e "$URL" -m M --stream --retries 2 --backoff 0.01 -p '"x"' <<< '{"id":1}'
	assert_failure 69
	assert_output '{"id":1,"error":{"kind":"protocol","status":200,"message":"the stream ended before [DONE]","attempts":3}}'
}

@test "llm-query: an error event or a non-JSON event ends the stream as an error" {
	start_server --sse-file "$FIX/llm-query/error.sse"
	run --separate-stderr llm-query -e "$URL" -m M --stream --backoff 0.01 -p '"x"' <<< '{"id":1}'
	assert_failure 69
	assert_output '{"id":1,"error":{"kind":"protocol","status":200,"message":"out of KV cache","attempts":1}}'
	teardown
	start_server --sse-file "$FIX/llm-query/notjson.sse"
	run --separate-stderr llm-query -e "$URL" -m M --stream --backoff 0.01 -p '"x"' <<< '{"id":1}'
	assert_failure 69
	assert_output '{"id":1,"error":{"kind":"protocol","status":200,"message":"a stream event is not a JSON object","attempts":1}}'
}

# --- against vllm-sim, the project's simulator ---

# Starts vllm-sim with the given options; sets URL.
start_sim() {
	rm -f simport
	vllm-sim -q -p 0 --port-file simport "$@" > sim.out 2> sim.err &
	SRV_PID=$!
	local n=200
	while [ ! -s simport ] && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	URL="http://127.0.0.1:$(cat simport)"
}

@test "llm-query/vllm-sim: 10% 429/503 and 2% cut streams: every id once, all answered" {
	skip_under_valgrind "1000 streams through two programs under memcheck"
	start_sim --fail-rate 0.1 --fail-codes 429,503 --drop-rate 0.02 --ttft-ms 1 --itl-ms 1 --seed 4
	records 1000 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --stream --max-tokens 8 -c 50 --backoff 0.01 --retries 5 -v in.jsonl
	assert_success
	echo "$output" > out.jsonl
	# A tenth of first attempts fail, so retries must show; every id comes back once.
	run jq -s -c '[length, ([.[].id] | unique | length), ([.[] | select(.response.status == 200)] | length), ([.[] | select(.timing.attempts > 1)] | length > 50)]' out.jsonl
	assert_output '[1000,1000,1000,true]'
	assert_equal "$stderr" "llm-query: 1000 records: 1000 answered, 0 failed"
}

@test "llm-query/vllm-sim: kill -9 under faults, then --resume: every id once" {
	skip_under_valgrind "timing-dependent kill"
	start_sim --fail-rate 0.1 --fail-codes 429,503 --drop-rate 0.02 --ttft-ms 5 --itl-ms 5 --seed 5
	records 400 > in.jsonl
	llm-query -e "$URL" --stream --max-tokens 8 -c 20 --backoff 0.01 --retries 5 -o out.jsonl in.jsonl &
	pid=$!
	sleep 1
	kill -9 "$pid"
	wait "$pid" || true
	n=$(wc -l < out.jsonl)
	[ "$n" -gt 0 ] && [ "$n" -lt 400 ]
	run --separate-stderr llm-query -e "$URL" --stream --max-tokens 8 -c 20 --backoff 0.01 --retries 5 -o out.jsonl --resume in.jsonl
	assert_success
	run jq -s -c '[length, ([.[].id] | unique | length), ([.[] | select(.response.status == 200)] | length)]' out.jsonl
	assert_output '[400,400,400]'
}

@test "llm-query/vllm-sim: loglikelihood equals the sum computed from the sim's own logprobs" {
	start_sim --seed 2
	# A context's trailing whitespace (a space, a no-break space) goes to the
	# continuation; an empty context is the end-of-text token.
	printf '%s\n' '{"id":1,"context":"Question: what is the capital of France?\nAnswer:","continuation":" Paris"}' \
		'{"id":2,"context":"The cat","continuation":" sat on the mat"}' \
		'{"id":3,"context":"Question: 2+2=?\nAnswer: ","continuation":"4"}' \
		'{"id":4,"context":"Le café\u00a0 ","continuation":"noir"}' \
		'{"id":5,"context":"","continuation":" 한국어"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" --loglikelihood --ordered in.jsonl
	assert_success
	echo "$output" > out.jsonl
	# By hand: " 4" is one token (a space and a word); "\u00a0 noir" is
	# "\u00a0" (2 bytes), " no", "ir"; " 한국어" is " " + 3 bytes each.
	run jq -c '[.id, .response.loglikelihood.n_tokens]' out.jsonl
	assert_output '[1,2]
[2,7]
[3,1]
[4,3]
[5,4]'
	# Independently, with python's urllib: split and tokenize as
	# lm-evaluation-harness (lm_eval/api/model.py: _encode_pair, loglikelihood,
	# its prefix token the tokenizer's eos_token), echo the token ids, sum
	# token_logprobs[ctxlen:len(whole)], greedy when each token is the argmax
	# of its top_logprobs.
	run python3 -c 'import json, sys, urllib.request
url = sys.argv[1]
def post(path, body):
    r = urllib.request.urlopen(urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}))
    return json.load(r)
def tok(text):
    return post("/tokenize", {"model": "sim-model", "prompt": text, "add_special_tokens": False})["tokens"]
eos = json.load(urllib.request.urlopen(url + "/tokenizer_info"))["eos_token"]
prefix, = tok(eos)
for line in open("out.jsonl"):
    rec = json.loads(line)
    c, x = rec["context"], rec["continuation"]
    if c == "":
        cont = tok(x)
        ctx, cont = ([prefix], cont) if prefix != cont[0] else (cont[:1], cont[1:])
        whole = ctx + cont
    else:
        n = len(c) - len(c.rstrip())
        if n > 0:
            c, x = c[:-n], c[-n:] + x
        ctx, whole = tok(c), tok(c + x)
    lp = post("/v1/completions", {"model": "sim-model", "prompt": whole, "echo": True, "max_tokens": 1, "logprobs": 1, "temperature": 0})["choices"][0]["logprobs"]
    rng = range(len(ctx), len(whole))
    s = sum(lp["token_logprobs"][i] for i in rng)
    g = all(max(lp["top_logprobs"][i].items(), key=lambda kv: kv[1])[0] == lp["tokens"][i] for i in rng)
    got = rec["response"]["loglikelihood"]
    assert abs(got["sum"] - s) < 1e-12 and got["greedy"] == g and got["n_tokens"] == len(rng), (got, s, g)
print("ok")' "$URL"
	assert_output ok
}

@test "llm-query/vllm-sim: timings agree with the sim's latency model" {
	skip_under_valgrind "memcheck slows the simulator's clock-driven tokens and the client alike"
	start_sim --ttft-ms 30 --itl-ms 10 --load-factor 0 --jitter 0
	records 4 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --stream --max-tokens 6 -c 4 in.jsonl
	assert_success
	echo "$output" > out.jsonl
	# Idle server: TTFT = 30 ms (+ prefill of a few tokens at 20000/s, ~0.2 ms),
	# then 5 more tokens 10 ms apart, the last at 80 ms; and E2EL = TTFT + the
	# ITL samples. The upper bounds leave room for a loaded machine, where a
	# first chunk read late makes TTFT longer and the next gap shorter, while
	# the last token still comes at 80 ms at the earliest.
	run python3 -c 'import json
for l in open("out.jsonl"):
    t = json.loads(l)["timing"]
    assert 29 <= t["ttft_ms"] < 80, t
    assert len(t["itl_ms"]) == 5 and all(x >= 0 for x in t["itl_ms"]), t
    assert 79 <= t["e2el_ms"] < 160 and t["e2el_ms"] - t["ttft_ms"] < 80, t
    assert abs(t["ttft_ms"] + sum(t["itl_ms"]) - t["e2el_ms"]) < 0.01, t
print("ok")'
	assert_output ok
}

@test "llm-query: --progress shows done/total, ok/failed, rates and ETA on stderr" {
	start_server
	records 3 > in.jsonl
	run --separate-stderr llm-query -e "$URL" --progress --rate 100 in.jsonl
	assert_success
	assert_equal "${#lines[@]}" 3
	last=$(printf '%s' "$stderr" | tr '\r' '\n' | grep . | tail -1)
	[[ "$last" =~ ^llm-query:\ 3/3\ done,\ 3\ ok,\ 0\ failed,\ [0-9.]+\ req/s,\ [0-9]+\ tok/s,\ ETA\ 0s ]]
}

@test "llm-query: --resume needs an id in every record" {
	start_server
	echo '{"prompt":"x"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" -o out.jsonl --resume in.jsonl
	assert_failure 65
	assert_equal "$stderr" "llm-query: in.jsonl:1: --id: no value (--resume needs an id in every record)"
}

@test "llm-query: a cached stream replays its text and usage" {
	start_server
	records 2 > in.jsonl
	llm-query -e "$URL" --stream --ordered --cache cache in.jsonl > a.jsonl
	run --separate-stderr llm-query -e "$URL" --stream --ordered --cache cache in.jsonl
	assert_success
	assert_equal "$(posts)" 2
	run jq -c '[.response.text, .response.usage.completion_tokens, .timing.cached]' <<< "$output"
	assert_output '[" w0 w1 w2 w3",4,true]
[" w0 w1 w2 w3",4,true]'
}

@test "llm-query: -c caps requests in flight, over kept-alive connections" {
	start_server --delay 0.05
	records 24 > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M -c 3 in.jsonl
	assert_success
	assert_equal "${#lines[@]}" 24
	# The server counts requests in flight as each arrives, and the client
	# port of each: at most 3 at once, and 3 connections reused for all 24.
	run jq -s -c '[(map(.inflight) | max), (map(.port) | unique | length)]' log.jsonl
	assert_output '[3,3]'
}

@test "llm-query: Retry-After is honoured over a shorter backoff" {
	start_server --fail 1 --retry-after 1
	records 1 > in.jsonl
	start=$(date +%s.%N)
	run --separate-stderr llm-query -e "$URL" -m M --backoff 0.001 in.jsonl
	end=$(date +%s.%N)
	assert_success
	assert_output --partial '"attempts":2}}'
	# The 503 said "Retry-After: 1": the retry waits a second, not a millisecond.
	run python3 -c "import sys; d = $end - $start; assert 1.0 <= d < 5, d; print('ok')"
	assert_output ok
}

@test "llm-query: records that cannot make a request are bad records" {
	run --separate-stderr llm-query --dry-run -m M <<< '{"request":5}'
	assert_failure 65
	assert_equal "$stderr" "llm-query: <stdin>:1: expected .request to be an object"
	run --separate-stderr llm-query --dry-run -m M --messages .q <<< '{"q":"hi"}'
	assert_failure 65
	assert_equal "$stderr" "llm-query: <stdin>:1: --messages: expected an array of messages"
	run --separate-stderr llm-query --dry-run -m M -p '.a.b' <<< '{"a":1}'
	assert_failure 65
	assert_equal "$stderr" 'llm-query: <stdin>:1: --prompt: Cannot index number with string "b"'
	run --separate-stderr llm-query --dry-run -m M --loglikelihood <<< '{"context":"a"}'
	assert_failure 65
	assert_equal "$stderr" "llm-query: <stdin>:1: --loglikelihood: expected string fields context and continuation"
	run --separate-stderr llm-query --dry-run -m M --loglikelihood --skip-bad <<< '{"context":"a","continuation":" b"}
{"context":1}'
	assert_success
	assert_equal "$stderr" "llm-query: skipped 1 bad record (first: <stdin>:2: --loglikelihood: expected string fields context and continuation)"
	assert_output '{"context":"a","continuation":" b","dry_run":{"url":"http://127.0.0.1:8000/v1/completions","body":{"prompt":"a b","model":"M","echo":true,"max_tokens":1,"logprobs":1,"temperature":0}}}'
}

@test "llm-query: output, cache and key file errors" {
	run --separate-stderr llm-query -e http://127.0.0.1:1 -o - < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: -o: give a file name (stdout is the default)"
	# An output that cannot be created is 73 (74 is for I/O errors during the run).
	run --separate-stderr llm-query --dry-run -o nodir/out.jsonl < /dev/null
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "llm-query: -o: nodir/out.jsonl: No such file or directory"
	run --separate-stderr llm-query --dry-run -o nodir/out.jsonl --resume < /dev/null
	assert_failure 73
	assert_equal "$stderr" "llm-query: -o: nodir/out.jsonl: No such file or directory"
	run --separate-stderr llm-query --dry-run -m M -o /dev/full <<< '{"prompt":"x"}'
	assert_failure 74
	assert_equal "$stderr" "llm-query: /dev/full: write error: No space left on device"
	touch afile
	run --separate-stderr llm-query --dry-run --cache afile < /dev/null
	assert_failure 73
	assert_equal "$stderr" "llm-query: --cache: afile: Not a directory"
	run --separate-stderr llm-query --dry-run --cache afile/sub < /dev/null
	assert_failure 73
	assert_equal "$stderr" "llm-query: --cache: afile/sub: Not a directory"
	: > empty.key
	run --separate-stderr llm-query --dry-run --api-key-file empty.key < /dev/null
	assert_failure 66
	assert_equal "$stderr" "llm-query: --api-key-file: empty.key: empty"
}

@test "llm-query: answers without choices, or not JSON, are protocol errors" {
	echo '{"id":"x","choices":[]}' > nochoice.json
	start_server --answer nochoice.json
	run --separate-stderr llm-query -e "$URL" -m M --backoff 0.01 <<< '{"id":1,"prompt":"x"}'
	assert_failure 69
	assert_output '{"id":1,"prompt":"x","error":{"kind":"protocol","status":200,"message":"the answer has no choices","attempts":1}}'
	teardown
	printf '{"id":"x","choi' > cut.json
	start_server --answer cut.json
	# A 200 whose body does not parse was probably cut short: it is retried.
	run --separate-stderr llm-query -e "$URL" -m M --backoff 0.01 --retries 1 <<< '{"id":1,"prompt":"x"}'
	assert_failure 69
	assert_output '{"id":1,"prompt":"x","error":{"kind":"protocol","status":200,"message":"the answer is not a JSON object","attempts":2}}'
}

@test "llm-query: --resume refuses a duplicate id in the input" {
	start_server
	printf '%s\n' '{"id":1,"prompt":"a"}' '{"id":2,"prompt":"b"}' '{"id":1,"prompt":"c"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --ordered -o out.jsonl --resume in.jsonl
	assert_failure 65
	assert_equal "$stderr" "llm-query: in.jsonl:3: duplicate id '1' (--resume needs a unique id per record)"
	# --skip-bad sends the first two and skips the third.
	rm -f out.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --ordered -o out.jsonl --resume --skip-bad in.jsonl
	assert_success
	assert_equal "$stderr" "llm-query: skipped 1 bad record (first: in.jsonl:3: duplicate id '1' (--resume needs a unique id per record))"
	run jq -c '[.id, .prompt]' out.jsonl
	assert_output '[1,"a"]
[2,"b"]'
	# String ids are named as JSON.
	printf '%s\n' '{"id":"q","prompt":"a"}' '{"id":"q","prompt":"b"}' > s.jsonl
	run --separate-stderr llm-query -e "$URL" -m M -o s.out --resume s.jsonl
	assert_failure 65
	assert_equal "$stderr" "llm-query: s.jsonl:2: duplicate id '\"q\"' (--resume needs a unique id per record)"
}

@test "llm-query: --resume never drops an answered record from FILE" {
	start_server
	# FILE holds id 1 answered twice (written without --resume): both stay.
	printf '%s\n' '{"id":1,"prompt":"a","response":{"status":200,"text":"x"}}' \
		'{"id":1,"prompt":"c","response":{"status":200,"text":"y"}}' > out.jsonl
	cp out.jsonl before.jsonl
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	run --separate-stderr llm-query -v -e "$URL" -m M -o out.jsonl --resume in.jsonl
	assert_success
	assert_equal "$(posts)" 0
	run cat out.jsonl
	assert_output "$(cat before.jsonl)"
}

@test "llm-query: a corrupt or empty cache entry is removed and the request sent" {
	start_server
	records 1 > in.jsonl
	llm-query -e "$URL" -m M --cache cache in.jsonl > /dev/null
	f=$(find cache -type f)
	for bad in 'not json' ''; do
		printf '%s' "$bad" > "$f"
		n=$(posts)
		# Before the fix this looped on the cache forever: timeout stops it.
		run --separate-stderr timeout 20 "$VE_BIN/llm-query" -e "$URL" -m M --cache cache in.jsonl
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$(posts)" $((n + 1))
		run jq -c '[.response.text, .timing.attempts]' <<< "$output"
		assert_output '[" w0 w1 w2 w3",1]'
		# The fresh answer replaced the bad one.
		run jq -r '.choices[0].text' "$f"
		assert_output " w0 w1 w2 w3"
	done
}

@test "llm-query: a cached stream cut before [DONE] is not a success" {
	start_server
	records 1 > in.jsonl
	llm-query -e "$URL" -m M --stream --cache cache in.jsonl > /dev/null
	f=$(find cache -type f)
	assert_equal "$(grep -c 'data: \[DONE\]' "$f")" 1
	grep -v '\[DONE\]' "$f" > cut && cat cut > "$f"
	run --separate-stderr timeout 20 "$VE_BIN/llm-query" -e "$URL" -m M --stream --cache cache in.jsonl
	assert_success
	assert_equal "$(posts)" 2
	run jq -c '[.response.text, .timing.cached, (.timing.ttft_ms | type)]' <<< "$output"
	assert_output '[" w0 w1 w2 w3",null,"number"]'
	# The answer that came replaced the cut one.
	assert_equal "$(grep -c 'data: \[DONE\]' "$f")" 1
}

@test "llm-query: a stream with no token chunk is a protocol error" {
	start_server --sse-file "$FIX/llm-query/nochunk.sse"
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --stream in.jsonl
	assert_failure 69
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	assert_output '{"id":1,"prompt":"a","error":{"kind":"protocol","status":200,"message":"the stream had no token chunk","attempts":1}}'
}

@test "llm-query: the API key never reaches the output or stderr" {
	start_server --status 503 --echo-auth
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	run --separate-stderr env OPENAI_API_KEY=sk-Secret42 "$VE_BIN/llm-query" -vv -e "$URL" -m M --retries 1 --backoff 0.001 in.jsonl
	# The server did see the key (so it was there to leak).
	run jq -r .auth log.jsonl
	assert_output 'Bearer sk-Secret42
Bearer sk-Secret42'
	run --separate-stderr env OPENAI_API_KEY=sk-Secret42 "$VE_BIN/llm-query" -vv -e "$URL" -m M --retries 1 --backoff 0.001 in.jsonl
	assert_output '{"id":1,"prompt":"a","error":{"kind":"http","status":503,"message":"scripted status 503 for Authorization: Bearer ***","attempts":2}}'
	assert_equal "$(grep -c 'Bearer \*\*\*' <<< "$stderr")" 1
	[[ "$stderr$output" != *Secret42* ]]
	# Nor does it in the message of a failed model lookup (no -m).
	run --separate-stderr env OPENAI_API_KEY=sk-Secret42 "$VE_BIN/llm-query" -e "$URL" in.jsonl
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "llm-query: $URL/v1/models: no model name (give --model): 503 scripted status 503 for Authorization: Bearer ***"
}

@test "llm-query: credentials in the endpoint URL never reach the output or stderr" {
	start_server --status 400 --echo-auth
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	u="http://user:pw-Secret42@${URL#http://}"
	run --separate-stderr llm-query -e "$u" -m M in.jsonl
	assert_failure 69
	assert_output '{"id":1,"prompt":"a","error":{"kind":"http","status":400,"message":"scripted status 400 for Authorization: Basic ***","attempts":1}}'
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	# The server did see them (so they were there to leak).
	run jq -r .auth log.jsonl
	assert_output "Basic $(printf user:pw-Secret42 | base64)"
}

@test "llm-query: Retry-After is capped at --timeout" {
	start_server --fail 1 --retry-after 30
	records 1 > in.jsonl
	start=$(date +%s.%N)
	run --separate-stderr llm-query -e "$URL" -m M --backoff 0.001 --timeout 1 in.jsonl
	end=$(date +%s.%N)
	assert_success
	assert_output --partial '"attempts":2}}'
	# "Retry-After: 30" waits --timeout (1 s), not 30 s.
	run python3 -c "import sys; d = $end - $start; assert 1.0 <= d < 5, d; print('ok')"
	assert_output ok
}

@test "llm-query: a batch prompt's stream takes only the choice with index 0" {
	start_server --sse-file "$FIX/llm-query/batch.sse"
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --stream in.jsonl
	assert_success
	# batch.sse: index 1 sends B1, B2; index 0 sends A1, A2 (stop): two
	# token chunks, so one ITL gap.
	run jq -c '[.response.text, .response.finish_reason, (.timing.itl_ms | length)]' <<< "$output"
	assert_output '["A1A2","stop",1]'
}

@test "llm-query: a loglikelihood answer of the wrong shape is an error record, never an abort" {
	printf '%s\n' '{"id":1,"context":"a b","continuation":" c"}' '{"id":2,"context":"d","continuation":" e f"}' > in.jsonl
	printf '<html><body>502 Bad Gateway</body></html>\n' > page.html
	echo '[]' > array.json
	# A server that ignores echo and logprobs, or sends them null, or
	# without top_logprobs; an HTML page; /tokenize answering [] or HTML.
	echo '{"choices":[{"index":0,"text":" w0"}],"usage":{"prompt_tokens":3}}' > nolp.json
	echo '{"choices":[{"index":0,"text":" w0","logprobs":null}]}' > nulllp.json
	echo '{"choices":[{"index":0,"text":"a b c","logprobs":{"tokens":["a"," b"," c"],"token_logprobs":[null,-1,-0.5]}}],"usage":{"prompt_tokens":3}}' > notop.json
	nolp="the answer has no token_logprobs (does the server support logprobs?)"
	notop="the answer has no tokens and top_logprobs (does the server support logprobs?)"
	notok='/tokenize answered without \"tokens\"'
	# Each case: server options | message | attempts (--retries 1: a body
	# that does not parse was probably cut short and is retried; JSON of
	# the wrong shape is not).
	while IFS='|' read -r opts msg attempts; do
		start_server $opts
		run --separate-stderr llm-query -e "$URL" -m M --loglikelihood --ordered --retries 1 --backoff 0.001 in.jsonl
		assert_failure 69
		assert_equal "$stderr" "llm-query: 2 of 2 requests failed (over --max-failures 0%)"
		assert_output "{\"id\":1,\"context\":\"a b\",\"continuation\":\" c\",\"error\":{\"kind\":\"protocol\",\"status\":200,\"message\":\"$msg\",\"attempts\":$attempts}}
{\"id\":2,\"context\":\"d\",\"continuation\":\" e f\",\"error\":{\"kind\":\"protocol\",\"status\":200,\"message\":\"$msg\",\"attempts\":$attempts}}"
		teardown
	done <<-CASES
	--answer page.html|the answer is not a JSON object|2
	--answer nolp.json|$nolp|1
	--answer nulllp.json|$nolp|1
	--answer notop.json|$notop|1
	--tokenize-answer array.json|$notok|1
	--tokenize-answer page.html|$notok|2
	CASES
}

@test "llm-query: the text way without usage counts the prompt from the echoed tokens" {
	# No /tokenize; the answer has text_offset [0,1,3] for "a", " b", " c"
	# and no usage: the prompt is every token but the last (the generated
	# one). Context "d" is 1 code point: the continuation is token 1 (" b",
	# -1, the top-1), and token 2 is the generated one. Context "a b" (3
	# code points) starts at token 2: nothing of its own.
	echo '{"choices":[{"index":0,"text":"a b c","logprobs":{"tokens":["a"," b"," c"],"token_logprobs":[null,-1,-0.5],"top_logprobs":[null,{" b":-1},{" c":-0.5}],"text_offset":[0,1,3]}}]}' > nousage.json
	start_server --no-tokenize --answer nousage.json
	printf '%s\n' '{"id":1,"context":"a b","continuation":" c"}' '{"id":2,"context":"d","continuation":" e f"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --loglikelihood --ordered --max-failures 50 in.jsonl
	assert_success
	assert_equal "$stderr" ""
	run jq -c '[.id, .error.message, .response.loglikelihood]' <<< "$output"
	assert_output '[1,"the continuation has no tokens of its own",null]
[2,null,{"sum":-1,"n_tokens":1,"greedy":true,"method":"text_offset"}]'
}

# Runs llm-query ARGS... under a 400 MB address-space limit in the plain
# tier (the sanitizers need far more address space than they use).
lq_bounded() {
	if [ "$VE_TIER" = plain ]; then
		run --separate-stderr sh -c 'ulimit -v 400000; exec llm-query "$@"' llm-query "$@"
	else
		run --separate-stderr llm-query "$@"
	fi
}

@test "llm-query: an endless answer stops at --max-body (64M by default), not retried" {
	start_server --endless
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	# Before the limit, memory grew until the machine ran out.
	lq_bounded -e "$URL" -m M --backoff 0.001 in.jsonl
	assert_failure 69
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	assert_output '{"id":1,"prompt":"a","error":{"kind":"protocol","status":200,"message":"an answer larger than 67108864 bytes (see --max-body)","attempts":1}}'
	lq_bounded -e "$URL" -m M --max-body 1k --max-failures 100 in.jsonl
	assert_success
	assert_output '{"id":1,"prompt":"a","error":{"kind":"protocol","status":200,"message":"an answer larger than 1024 bytes (see --max-body)","attempts":1}}'
	assert_equal "$(posts)" 2
}

@test "llm-query: an endless stream event stops at --max-body" {
	start_server --endless
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	lq_bounded -e "$URL" -m M --stream --max-body 2M --backoff 0.001 in.jsonl
	assert_failure 69
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	assert_output '{"id":1,"prompt":"a","error":{"kind":"protocol","status":200,"message":"a stream event larger than 2097152 bytes (see --max-body)","attempts":1}}'
	# A stream is bounded whole, too: many small events add up.
	teardown
	start_server --sse-file "$FIX/llm-query/crlf.sse"
	run --separate-stderr llm-query -e "$URL" -m M --stream --max-body 100 --max-failures 100 in.jsonl
	assert_success
	assert_output '{"id":1,"prompt":"a","error":{"kind":"protocol","status":200,"message":"an answer larger than 100 bytes (see --max-body)","attempts":1}}'
}

@test "llm-query: --max-body takes k, M and G, and nothing else" {
	run --separate-stderr sh -c "echo '{\"prompt\":\"p\"}' | llm-query --dry-run -m M --max-body 1G | jq -c .dry_run.body"
	assert_success
	assert_output '{"prompt":"p","model":"M"}'
	run --separate-stderr llm-query --dry-run --max-body 0 < /dev/null
	assert_failure 64
	assert_equal "$stderr" "llm-query: --max-body: expected an integer from 1 to 1099511627776, got '0'
Try 'llm-query --help' for more information."
	run --separate-stderr llm-query --dry-run --max-body M < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --max-body: 'M' is not a size in bytes"
	run --separate-stderr llm-query --dry-run --max-body 2T < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --max-body: expected an integer from 1 to 1099511627776, got '2T'"
}

@test "llm-query: an output file that is also an input is refused before it is opened" {
	start_server
	records 2 > in.jsonl
	cp in.jsonl before.jsonl
	ln in.jsonl hard.jsonl
	for args in "-o in.jsonl in.jsonl" "-o hard.jsonl in.jsonl" "-o in.jsonl --resume in.jsonl" "-o in.jsonl --resume hard.jsonl"; do
		run --separate-stderr llm-query -e "$URL" -m M $args
		assert_failure 64
		assert_output ""
		set -- $args
		assert_equal "$stderr" "llm-query: -o: $2 is also an input
Try 'llm-query --help' for more information."
		cmp in.jsonl before.jsonl
	done
	run --separate-stderr sh -c 'llm-query -e "$1" -m M -o in.jsonl < in.jsonl' sh "$URL"
	assert_failure 64
	assert_equal "$stderr" "llm-query: -o: in.jsonl is also an input
Try 'llm-query --help' for more information."
	cmp in.jsonl before.jsonl
	assert_equal "$(posts)" 0
}

@test "llm-query: --resume tells ids 2^53 and 2^53+1 apart, by their text" {
	start_server
	printf '%s\n' '{"id":9007199254740992,"prompt":"a"}' '{"id":9007199254740993,"prompt":"b"}' > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --ordered -o out.jsonl --resume in.jsonl
	assert_success
	assert_equal "$stderr" ""
	run cut -c1-46 out.jsonl
	assert_output '{"id":9007199254740992,"prompt":"a","response"
{"id":9007199254740993,"prompt":"b","response"'
	# Both are answered in FILE: nothing is sent again.
	run --separate-stderr llm-query -v -e "$URL" -m M -o out.jsonl --resume in.jsonl
	assert_success
	assert_equal "$stderr" "llm-query: out.jsonl: kept 2 answered records, dropped 0 to send again
llm-query: 0 records: 0 answered, 0 failed
llm-query: --resume: 2 records were already answered"
	assert_equal "$(posts)" 2
	# The same big id twice is still a duplicate; so under a path --id.
	printf '%s\n' '{"m":{"k":9007199254740993},"prompt":"a"}' '{"m":{"k":9007199254740992},"prompt":"b"}' '{"m":{"k":9007199254740993},"prompt":"c"}' > nested.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --id .m.k -o n.out --resume nested.jsonl
	assert_failure 65
	assert_equal "$stderr" "llm-query: nested.jsonl:3: duplicate id '9007199254740993' (--resume needs a unique id per record)"
	run sh -c 'cut -c1-27 n.out | sort'
	assert_output '{"m":{"k":9007199254740992}
{"m":{"k":9007199254740993}'
}

@test "llm-query: an empty --stop is a usage error" {
	run --separate-stderr llm-query --dry-run -m M --stop '' < /dev/null
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "llm-query: --stop: expected a non-empty string
Try 'llm-query --help' for more information."
}

@test "llm-query: a Retry-After of more than a day waits the cap, not the backoff" {
	records 1 > in.jsonl
	# 10^23 s is too long for curl's own reading, which took it for 0.
	for ra in 86401 100000000000000000000000; do
		start_server --fail 1 --retry-after "$ra"
		start=$(date +%s.%N)
		run --separate-stderr llm-query -e "$URL" -m M --backoff 0.001 --timeout 1 in.jsonl
		end=$(date +%s.%N)
		assert_success
		assert_output --partial '"attempts":2}}'
		# at least the cap; the bound above only tells it from a day's wait
		# (loose: valgrind on a loaded machine takes seconds)
		run python3 -c "d = $end - $start; assert 1.0 <= d < 30, d; print('ok')"
		assert_output ok
		teardown
	done
}

@test "llm-query: --attempts N is --retries N-1; --max-wait caps a Retry-After below --timeout" {
	records 1 > in.jsonl
	start_server --fail 1 --retry-after 30
	run --separate-stderr llm-query -e "$URL" -m M --attempts 1 in.jsonl
	assert_failure 69
	assert_output '{"id": 0, "prompt": "hello world 0","error":{"kind":"http","status":503,"message":"overloaded","attempts":1}}'
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	teardown
	start_server --fail 1 --retry-after 30
	start=$(date +%s.%N)
	run --separate-stderr llm-query -e "$URL" -m M --attempts 2 --max-wait 0.5 --timeout 20 in.jsonl
	end=$(date +%s.%N)
	assert_success
	assert_equal "$stderr" ""
	assert_output --partial '"attempts":2}}'
	# at least --max-wait, and far less than the 30 s asked for
	run python3 -c "d = $end - $start; assert 0.5 <= d < 20, d; print('ok')"
	assert_output ok
	run --separate-stderr llm-query -e "$URL" --max-wait 3601 < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --max-wait: expected a number from 0 to 3600, got '3601'"
}

@test "llm-query: --cache makes its directory and the parents it lacks, mode 0700" {
	start_server
	records 1 > in.jsonl
	run --separate-stderr llm-query -e "$URL" -m M --cache home/.cache/vllm-eval in.jsonl
	assert_success
	assert_equal "$stderr" ""
	run stat -c '%n %a' home home/.cache home/.cache/vllm-eval
	assert_output 'home 700
home/.cache 700
home/.cache/vllm-eval 700'
	run --separate-stderr llm-query -e "$URL" -m M --cache home/.cache/vllm-eval in.jsonl
	assert_success
	assert_output --partial '"timing":{"cached":true,"attempts":0}}'
	assert_equal "$(posts)" 1
}

@test "llm-query: a chat answer's thought is kept apart as response.reasoning, streamed or not" {
	# The server's first 2 tokens " r0 r1" are the thought, in "reasoning" as
	# current vLLM's --reasoning-parser sends it; the content is " w0 w1".
	start_server --reasoning 2
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	run --separate-stderr sh -c "llm-query -e '$URL/v1/chat/completions' --max-tokens 4 in.jsonl | jq -c .response"
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"status":200,"text":" w0 w1","reasoning":" r0 r1","finish_reason":"length","usage":{"prompt_tokens":1,"completion_tokens":4}}'
	run --separate-stderr sh -c "llm-query -e '$URL/v1/chat/completions' --max-tokens 4 --stream in.jsonl | jq -c '[.response.text, .response.reasoning]'"
	assert_success
	assert_equal "$stderr" ""
	assert_output '[" w0 w1"," r0 r1"]'
	# Cut off while thinking: the content is null, the text empty.
	run --separate-stderr sh -c "llm-query -e '$URL/v1/chat/completions' --max-tokens 1 in.jsonl | jq -c .response"
	assert_output '{"status":200,"text":"","reasoning":" r0","finish_reason":"length","usage":{"prompt_tokens":1,"completion_tokens":1}}'
	run --separate-stderr sh -c "llm-query -e '$URL/v1/chat/completions' --max-tokens 1 --stream in.jsonl | jq -c '[.response.text, .response.reasoning]'"
	assert_output '[""," r0"]'
	# No thought sent: no reasoning field.
	run --separate-stderr sh -c "llm-query -e '$URL/v1/completions' --max-tokens 2 in.jsonl | jq -c .response"
	assert_output '{"status":200,"text":" w0 w1","finish_reason":"length","usage":{"prompt_tokens":1,"completion_tokens":2}}'
}

@test "llm-query: older servers' reasoning_content is read; reasoning wins when both come" {
	start_server --reasoning 2 --reasoning-field reasoning_content
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	for s in "" --stream; do
		run --separate-stderr sh -c "llm-query -e '$URL/v1/chat/completions' --max-tokens 3 $s in.jsonl | jq -c '[.response.text, .response.reasoning]'"
		assert_success
		assert_equal "$stderr" ""
		assert_output '[" w0"," r0 r1"]'
	done
	teardown
	start_server --reasoning 2 --reasoning-both
	for s in "" --stream; do
		run --separate-stderr sh -c "llm-query -e '$URL/v1/chat/completions' --max-tokens 3 $s in.jsonl | jq -c '[.response.text, .response.reasoning]'"
		assert_success
		assert_output '[" w0"," r0 r1"]'
	done
}

@test "llm-query: a delta of the thought alone is a token chunk: TTFT and ITL count it" {
	# 4 chunks 200 ms apart, the first two of the thought only: as vLLM's
	# benchmark (endpoint_request_func.py) counts any chunk with choices, the
	# first token is " r0" (TTFT about 200 ms, not 600) and there are 3 ITL
	# samples. The delay is long enough for valgrind on a loaded machine.
	start_server --reasoning 2 --token-delay 0.2
	echo '{"id":1,"prompt":"a"}' | llm-query -e "$URL/v1/chat/completions" --stream --max-tokens 4 > out.jsonl
	run jq -c '[.response.text, .response.reasoning, (.timing.itl_ms | length)]' out.jsonl
	assert_output '[" w0 w1"," r0 r1",3]'
	run python3 -c 'import json
t = json.load(open("out.jsonl"))["timing"]
assert 200 <= t["ttft_ms"] < 400, t
assert abs(t["ttft_ms"] + sum(t["itl_ms"]) - t["e2el_ms"]) < 0.01, t
print("ok")'
	assert_output ok
}

@test "llm-query: --chat-template-kwargs goes into chat bodies; the record's own wins" {
	printf '%s\n' '{"q":"hi"}' '{"request":{"messages":[],"chat_template_kwargs":{"enable_thinking":true}}}' '{"request":{"prompt":"p"}}' > in.jsonl
	run --separate-stderr sh -c "llm-query --dry-run -v -e http://h -m M --messages '[{role:\"user\",content:.q}]' --chat-template-kwargs '{\"enable_thinking\": false}' in.jsonl | jq -c .dry_run.body"
	assert_success
	assert_line --index 0 '{"messages":[{"role":"user","content":"hi"}],"model":"M","chat_template_kwargs":{"enable_thinking":false}}'
	assert_line --index 1 '{"messages":[],"chat_template_kwargs":{"enable_thinking":true},"model":"M"}'
	assert_line --index 2 '{"prompt":"p","model":"M"}'
	# -v says once that a completions body goes without it.
	assert_equal "$stderr" "llm-query: --chat-template-kwargs: completions requests go without it
llm-query: 3 records: 0 answered, 0 failed"
	start_server
	echo '{"q":"hi"}' | llm-query -e "$URL" --messages '[{role:"user",content:.q}]' --chat-template-kwargs '{"enable_thinking":false}' > /dev/null
	run jq -c .body log.jsonl
	assert_output '{"messages":[{"role":"user","content":"hi"}],"model":"sim-model","chat_template_kwargs":{"enable_thinking":false}}'
}

@test "llm-query: --chat-template-kwargs must be an object, for chat requests" {
	run --separate-stderr llm-query -e http://h --chat-template-kwargs '[1]' < /dev/null
	assert_failure 64
	assert_equal "$stderr" "llm-query: --chat-template-kwargs: expected a JSON object
Try 'llm-query --help' for more information."
	run --separate-stderr llm-query -e http://h --chat-template-kwargs '{' < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --chat-template-kwargs: expected a JSON object"
	run --separate-stderr llm-query -e http://h --chat-template-kwargs '{}' --loglikelihood < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --chat-template-kwargs needs chat requests, not --loglikelihood"
	run --separate-stderr llm-query -e http://h --chat-template-kwargs '{}' -p .q < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --chat-template-kwargs needs chat requests, not --prompt"
}

@test "llm-query: a stream's --timeout bounds its silences, not its length" {
	# 8 tokens 0.3 s apart: 2.4 s in all, never 1.5 s of silence (the slack
	# holds under valgrind on a loaded machine).
	start_server --token-delay 0.3
	echo '{"id":1,"prompt":"a"}' > in.jsonl
	run --separate-stderr sh -c "llm-query -e '$URL' -m M --stream --max-tokens 8 --timeout 1.5 --retries 0 in.jsonl | jq -c '[.response.text, (.timing.itl_ms | length), .timing.attempts]'"
	assert_success
	assert_equal "$stderr" ""
	assert_output '[" w0 w1 w2 w3 w4 w5 w6 w7",7,1]'
	# --stream-timeout bounds the whole: curl's timeout, retried like one.
	run --separate-stderr llm-query -e "$URL" -m M --stream --max-tokens 8 --timeout 5 --stream-timeout 1 --retries 1 --backoff 0.01 in.jsonl
	assert_failure 69
	assert_output --regexp '^\{"id":1,"prompt":"a","error":\{"kind":"timeout","status":200,"message":"Operation timed out after [0-9]+ milliseconds with [0-9]+ bytes received","attempts":2\}\}$'
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	teardown
	# Two chunks, then silence: stopped after --timeout, retried, then an error.
	start_server --stall-after 2
	SECONDS=0
	run --separate-stderr llm-query -e "$URL" -m M --stream --max-tokens 4 --timeout 0.5 --retries 1 --backoff 0.01 in.jsonl
	assert_failure 69
	assert_output '{"id":1,"prompt":"a","error":{"kind":"timeout","status":200,"message":"the stream sent nothing for 0.5 seconds (see --timeout)","attempts":2}}'
	assert_equal "$stderr" "llm-query: 1 of 1 requests failed (over --max-failures 0%)"
	[ "$SECONDS" -lt 5 ]
	run --separate-stderr llm-query -e http://h --stream-timeout 0 < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --stream-timeout: expected a number from 0.001 to 604800, got '0'"
	run --separate-stderr llm-query -e http://h --stream-timeout 5 < /dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --stream-timeout bounds a streamed try: it needs --stream"
}

@test "llm-query/vllm-sim: a reasoning release's thought, parser and tags, and enable_thinking" {
	skip_under_valgrind "both programs, every mode: llm-query.bats and vllm-sim.bats test each under memcheck"
	port=$(ve_free_port)
	vllm-sim -q -p "$port" --reasoning-tokens 8 --itl-ms 1 > /dev/null 2>&1 &
	SRV_PID=$!
	ve_wait_http "http://127.0.0.1:$port/health" 60
	echo '{"id":1,"prompt":"hi"}' > in.jsonl
	for s in "" --stream; do
		llm-query -e "http://127.0.0.1:$port/v1/chat/completions" --max-tokens 20 --ignore-eos $s in.jsonl > out.jsonl
		run jq -c '[(.response.reasoning | length > 0), .response.usage.completion_tokens, (.timing.itl_ms // [] | length)]' out.jsonl
		# 20 token chunks and the role chunk: 20 ITL samples, as vLLM's benchmark counts.
		if [ -n "$s" ]; then assert_output '[true,20,20]'; else assert_output '[true,20,0]'; fi
	done
	llm-query -e "http://127.0.0.1:$port/v1/chat/completions" --max-tokens 20 --ignore-eos --stream in.jsonl > a.jsonl
	llm-query -e "http://127.0.0.1:$port/v1/chat/completions" --max-tokens 20 --ignore-eos in.jsonl > b.jsonl
	assert_equal "$(jq -c '[.response.text, .response.reasoning]' a.jsonl)" "$(jq -c '[.response.text, .response.reasoning]' b.jsonl)"
	llm-query -e "http://127.0.0.1:$port/v1/chat/completions" --max-tokens 20 --chat-template-kwargs '{"enable_thinking":false}' in.jsonl > c.jsonl
	run jq -c '.response | has("reasoning")' c.jsonl
	assert_output false
	kill "$SRV_PID"
	wait "$SRV_PID" || true
	vllm-sim -q -p "$port" --reasoning-tokens 8 --reasoning-format tags > /dev/null 2>&1 &
	SRV_PID=$!
	ve_wait_http "http://127.0.0.1:$port/health" 60
	llm-query -e "http://127.0.0.1:$port/v1/chat/completions" --max-tokens 40 in.jsonl > d.jsonl
	run jq -c '[(.response.text | startswith("<think>\n")), (.response.text | contains("\n</think>\n\n")), (.response | has("reasoning"))]' d.jsonl
	assert_output '[true,true,false]'
}
