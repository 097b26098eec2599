#!/usr/bin/env bats
# vllm-sim: the vLLM-compatible simulator. Every test starts its own server on
# 127.0.0.1 (a port from ve_free_port) and stops it with SIGTERM, checking a
# clean exit (under valgrind that exit also proves there was no leak).
#
# Expected values come from outside the server: token ids from probe.py's
# re-implementation of the tokenizer documented in vllm-sim(1); response
# shapes from vLLM 0.11's own responses, written below; rates from the
# binomial distribution (tolerance: 4 standard deviations).

bats_require_minimum_version 1.5.0
load helper

PROBE="$FIX/vllm-sim/probe.py"

setup() {
	setup_scratch
	SIM_PID=
}

teardown() {
	if [ -n "$SIM_PID" ]; then
		kill -TERM "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
	fi
	return 0
}

# Starts vllm-sim with the given options on a free port; sets U and SIM_PID.
start_sim() {
	PORT=$(ve_free_port)
	U=http://127.0.0.1:$PORT
	vllm-sim -p "$PORT" "$@" > "$T/sim.out" 2> "$T/sim.err" 3>&- &
	SIM_PID=$!
	ve_wait_http "$U/health" 60
}

# Stops it with SIGTERM and checks that it exited 0 with nothing on stderr.
stop_sim() {
	kill -TERM "$SIM_PID"
	local rc=0
	wait "$SIM_PID" || rc=$?
	SIM_PID=
	assert_equal "$rc" 0
	assert_equal "$(cat "$T/sim.err")" ""
}

# Stops it with SIGTERM, checks that it exited 0, and puts its stderr (-v's
# log) less the first ("listening") and last ("stopping") lines in output and lines.
stop_sim_logged() {
	kill -TERM "$SIM_PID"
	local rc=0
	wait "$SIM_PID" || rc=$?
	SIM_PID=
	assert_equal "$rc" 0
	run sed '1d;$d' "$T/sim.err"
}

# POST $1 with body $2: the body on stdout, then the HTTP status on a line.
post() {
	curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$U$1"
}

get() {
	curl -sS -w '\n%{http_code}' "$U$1"
}

# Prints what differs between the shape of vLLM's response $1 and ours $2.
shape() {
	python3 "$PROBE" shape "$1" "$2"
}

@test "vllm-sim: --help prints the usage on stdout" {
	run --separate-stderr vllm-sim --help
	assert_success
	assert_line --index 0 "usage: vllm-sim [-qv] [--host HOST] [-p PORT] [--port-file FILE] [-m NAME]"
	assert_output --partial "--fail-codes LIST"
	assert_equal "$stderr" ""
}

@test "vllm-sim: --version" {
	run --separate-stderr vllm-sim --version
	assert_success
	assert_output "vllm-sim 0.1.0 (vllm-eval)"
}

@test "vllm-sim: usage errors exit 64 with a sentence" {
	run --separate-stderr vllm-sim --port 70000
	assert_failure 64
	assert_equal "$stderr" "vllm-sim: --port: expected an integer from 0 to 65535, got '70000'
Try 'vllm-sim --help' for more information."
	run --separate-stderr vllm-sim --fail-codes 429,200
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --fail-codes: '200' is not an HTTP error status (400-599)"
	run --separate-stderr vllm-sim --accuracy 0.5
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --accuracy needs --answers (without a key, answers are at chance)"
	run --separate-stderr vllm-sim extra
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: unexpected argument 'extra'"
	run --separate-stderr vllm-sim --fail-rate 1.5
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --fail-rate: expected a number from 0 to 1, got '1.5'"
	run --separate-stderr vllm-sim --max-body 10
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --max-body: expected an integer from 1024 to 1073741824, got '10'"
	run --separate-stderr vllm-sim --request-timeout 0
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --request-timeout: expected a number from 0.1 to 86400, got '0'"
	run --separate-stderr vllm-sim --max-prompts 0
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --max-prompts: expected an integer from 1 to 1000000, got '0'"
	run --separate-stderr vllm-sim --bogus
	assert_failure 64
	assert_equal "$output" ""
}

@test "vllm-sim: a missing or empty API key file, a bad answer key" {
	run --separate-stderr vllm-sim --api-key-file nosuch
	assert_failure 66
	assert_equal "$stderr" "vllm-sim: nosuch: No such file or directory"
	: > empty
	run --separate-stderr vllm-sim --api-key-file empty
	assert_failure 65
	assert_equal "$stderr" "vllm-sim: empty: the API key file is empty"
	run --separate-stderr vllm-sim --answers nosuch.jsonl
	assert_failure 66
	printf '{"match":"q","gold":1}\n{"match":"x",' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "vllm-sim: bad.jsonl:1: \"gold\" must be a string (the answer)"
	printf '{"match":"q","gold":"1"}\n{"match":"x",' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "${stderr%%:*}" "vllm-sim"
	assert_equal "$(echo "$stderr" | cut -d: -f2,3)" " bad.jsonl:2"
	printf '{"match":"q","choices":["a","b"],"gold":"C"}\n' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "vllm-sim: bad.jsonl:1: \"gold\" is neither a choice nor a choice's letter"
	printf '{"match":"q","choices":["a"],"gold":0}\n' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "vllm-sim: bad.jsonl:1: \"choices\" must hold 2 to 26 choices (letters A to Z)"
	printf '{"match":"q","choices":["a","b"],"gold":1}\n\xff\n' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "vllm-sim: bad.jsonl:2: invalid UTF-8 at byte 1"
}

@test "vllm-sim: --port 0 prints the URL first on stdout; SIGTERM stops it cleanly" {
	vllm-sim -p 0 --port-file pf > out 2> err 3>&- &
	SIM_PID=$!
	for _ in $(seq 100); do [ -s pf ] && break; sleep 0.1; done
	port=$(cat pf)
	U=http://127.0.0.1:$port
	ve_wait_http "$U/health" 30
	assert_equal "$(cat out)" "http://127.0.0.1:$port"
	kill -TERM "$SIM_PID"
	rc=0
	wait "$SIM_PID" || rc=$?
	SIM_PID=
	assert_equal "$rc" 0
	assert_equal "$(cat err)" ""
}

@test "vllm-sim: --host ::1 listens on IPv6 only, its URL in brackets" {
	grep -q ' lo$' /proc/net/if_inet6 2>/dev/null || skip "no IPv6 loopback"
	vllm-sim --host ::1 -p 0 --port-file pf > out 2> err 3>&- &
	SIM_PID=$!
	for _ in $(seq 100); do [ -s pf ] && break; sleep 0.1; done
	port=$(cat pf)
	assert_equal "$(cat out)" "http://[::1]:$port"
	run curl -sS "http://[::1]:$port/version"
	assert_output '{"version":"0.11.0"}'
	run curl -s "http://127.0.0.1:$port/version"
	assert_failure 7
	kill -TERM "$SIM_PID"
	rc=0
	wait "$SIM_PID" || rc=$?
	SIM_PID=
	assert_equal "$rc" 0
	assert_equal "$(cat err)" ""
}

@test "vllm-sim: a port already taken exits 69" {
	start_sim
	run --separate-stderr vllm-sim -p "$PORT"
	assert_failure 69
	assert_output ""
	assert_equal "${stderr%%:*}" "vllm-sim"
	assert_equal "$(echo "$stderr" | cut -d: -f2)" " cannot listen on 127.0.0.1 port $PORT"
	stop_sim
}

@test "vllm-sim: stdout on /dev/full is a write error, 74" {
	run --separate-stderr bash -c 'exec vllm-sim -p 0 > /dev/full' 
	assert_failure 74
	assert_equal "$stderr" "vllm-sim: write error: No space left on device"
}

@test "vllm-sim: a --port-file that cannot be created exits 73 before it listens" {
	run --separate-stderr vllm-sim -p 0 --port-file nosuch/pf
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "vllm-sim: --port-file: nosuch/pf: No such file or directory"
}

@test "vllm-sim: a --port-file that cannot be written exits 74 after the URL" {
	run --separate-stderr vllm-sim -p 0 --port-file /dev/full
	assert_failure 74
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+$'
	assert_equal "$stderr" "vllm-sim: /dev/full: write error: No space left on device"
}

@test "vllm-sim: /v1/models, /health, /version, /tokenizer_info as vLLM" {
	start_sim -m org/model-7b
	run get /v1/models
	assert_line --index 1 200
	# vLLM 0.11's /v1/models, as served for Qwen/Qwen2.5-1.5B-Instruct.
	vllm='{"object":"list","data":[{"id":"Qwen/Qwen2.5-1.5B-Instruct","object":"model","created":1763805067,"owned_by":"vllm","root":"Qwen/Qwen2.5-1.5B-Instruct","parent":null,"max_model_len":32768,"permission":[{"id":"modelperm-5a7b0c3f1f0d4c0e","object":"model_permission","created":1763805067,"allow_create_engine":false,"allow_sampling":true,"allow_logprobs":true,"allow_search_indices":false,"allow_view":true,"allow_fine_tuning":false,"organization":"*","group":null,"is_blocking":false}]}]}'
	run shape "$vllm" "${lines[0]}"
	assert_output ""
	run get /v1/models
	assert_equal "$(echo "${lines[0]}" | jq -r '.data[0].id, .data[0].max_model_len')" "org/model-7b
4096"
	run get /health
	assert_output "
200"
	run get /version
	assert_output '{"version":"0.11.0"}
200'
	run get /tokenizer_info
	assert_line --index 1 200
	assert_equal "$(echo "${lines[0]}" | jq -c '[.tokenizer_class,.vocab_size,.add_bos_token,.eos_token]')" '["VllmSimTokenizer",17891585,false,"<|endoftext|>"]'
	run get /nowhere
	assert_output '{"detail":"Not Found"}
404'
	run post /v1/models '{}'
	assert_output '{"detail":"Method Not Allowed"}
405'
	stop_sim
}

@test "vllm-sim: /tokenize follows the documented tokenizer; /detokenize inverts it" {
	start_sim
	for text in 'Hello, world!' '  two  spaces, tabs	and
lines' '한국어 문장입니다. 숫자 12345' 'emoji 😀 and e\u0301 café' 'x'; do
		text=$(printf '%b' "$text")
		body=$(jq -cn --arg p "$text" '{prompt:$p,add_special_tokens:false}')
		run post /tokenize "$body"
		assert_line --index 1 200
		want=$(python3 "$PROBE" tokenize "$text")
		assert_equal "$(echo "${lines[0]}" | jq -c .tokens)" "$want"
		assert_equal "$(echo "${lines[0]}" | jq -c '[.count,.max_model_len,.token_strs]')" "[$(echo "$want" | jq length),4096,null]"
		run post /detokenize "{\"tokens\":$want}"
		assert_line --index 1 200
		assert_equal "$(echo "${lines[0]}" | jq -r .prompt)" "$text"
	done
	# "Hello, world!" by hand: Hel lo , " wo" rld ! -> 65792+0x48656c, 256+0x6c6f, 44, ...
	run post /tokenize '{"prompt":"Hello, world!","return_token_strs":true}'
	assert_output '{"count":6,"max_model_len":4096,"tokens":[4810348,28015,44,2193519,7564644,33],"token_strs":["Hel","lo",","," wo","rld","!"]}
200'
	# The end-of-text token (17891584) is its text's one token, both ways, as a
	# real tokenizer's special token; nothing lies beyond it.
	run post /tokenize '{"prompt":"H<|endoftext|>i","add_special_tokens":false}'
	assert_output '{"count":3,"max_model_len":4096,"tokens":[72,17891584,105],"token_strs":null}
200'
	run post /detokenize '{"tokens":[72,17891584,105]}'
	assert_output '{"prompt":"H<|endoftext|>i"}
200'
	run post /detokenize '{"tokens":[17891585]}'
	assert_output '{"error":{"message":"Token id 17891585 is out of vocabulary (size 17891585).","type":"BadRequestError","param":"prompt","code":400}}
400'
	# A chat's messages are tokenized through the template.
	run post /tokenize '{"messages":[{"role":"user","content":"Hi"}]}'
	assert_equal "$(echo "${lines[0]}" | jq -c .tokens)" "$(python3 "$PROBE" chat '[{"role":"user","content":"Hi"}]')"
	run post /detokenize '{"tokens":[1.5]}'
	assert_output '{"error":{"message":"Token ids must be integers.","type":"BadRequestError","param":"prompt","code":400}}
400'
	run post /tokenize '{"prompt":5}'
	assert_output '{"error":{"message":"prompt: Input should be a valid string","type":"BadRequestError","param":"prompt","code":400}}
400'
	stop_sim
}

@test "vllm-sim: a completion has vLLM's shape; usage counts the tokens" {
	start_sim
	run post /v1/completions '{"model":"sim-model","prompt":"The capital of France is","max_tokens":7,"ignore_eos":true}'
	assert_line --index 1 200
	# vLLM 0.11, POST /v1/completions {"prompt":"The capital of France is","max_tokens":7}
	vllm='{"id":"cmpl-9b8f3a4c2d1e4f5a8b7c6d5e4f3a2b1c","object":"text_completion","created":1763805067,"model":"Qwen/Qwen2.5-1.5B-Instruct","choices":[{"index":0,"text":" Paris. It is located in","logprobs":null,"finish_reason":"length","stop_reason":null,"prompt_logprobs":null}],"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens":5,"total_tokens":12,"completion_tokens":7,"prompt_tokens_details":null},"kv_transfer_params":null}'
	body=${lines[0]}
	run shape "$vllm" "$body"
	assert_output ""
	n=$(python3 "$PROBE" tokenize "The capital of France is" | jq length)
	assert_equal "$(echo "$body" | jq -c '[.usage.prompt_tokens,.usage.completion_tokens,.usage.total_tokens,.choices[0].finish_reason]')" "[$n,7,$((n + 7)),\"length\"]"
	# The text is made of exactly 7 tokens.
	text=$(echo "$body" | jq -r '.choices[0].text')
	assert_equal "$(python3 "$PROBE" tokenize "$text" | jq length)" 7
	stop_sim
}

@test "vllm-sim: text is a function of the seed and the prompt" {
	req='{"prompt":"Once upon a time","max_tokens":12,"ignore_eos":true}'
	start_sim -s 5
	a=$(post /v1/completions "$req" | jq -r '.choices[0].text' | head -1)
	b=$(post /v1/completions "$req" | jq -r '.choices[0].text' | head -1)
	stop_sim
	start_sim -s 5
	c=$(post /v1/completions "$req" | jq -r '.choices[0].text' | head -1)
	stop_sim
	start_sim -s 6
	d=$(post /v1/completions "$req" | jq -r '.choices[0].text' | head -1)
	stop_sim
	assert_equal "$a" "$b"
	assert_equal "$a" "$c"
	[ "$a" != "$d" ]
}

@test "vllm-sim: without ignore_eos a completion may stop early; max_tokens bounds it" {
	start_sim --output-len 3
	run post /v1/completions '{"prompt":"Hi there","max_tokens":50,"logprobs":0}'
	assert_line --index 1 200
	body=${lines[0]}
	# --output-len 3: natural lengths are 1..5 tokens and the end-of-text token,
	# which usage counts and logprobs show, with no text; so it stops before 50.
	assert_equal "$(echo "$body" | jq -r '.choices[0].finish_reason')" stop
	n=$(echo "$body" | jq '.usage.completion_tokens')
	[ "$n" -ge 2 ] && [ "$n" -le 6 ]
	assert_equal "$(echo "$body" | jq -c '.choices[0].logprobs | [(.tokens | length), .tokens[-1], (.tokens[:-1] | join("")) == $t]' --arg t "$(echo "$body" | jq -r '.choices[0].text')")" "[$n,\"<|endoftext|>\",true]"
	# Streamed, the end-of-text token is a last chunk with empty text.
	curl -sSN -d '{"prompt":"Hi there","max_tokens":50,"stream":true}' "$U/v1/completions" > sse
	assert_equal "$(grep -c '^data: {' sse)" "$n"
	assert_equal "$(grep '^data: {' sse | tail -1 | cut -c7- | jq -c '.choices[0] | [.text,.finish_reason]')" '["","stop"]'
	# max_tokens reached first: "length", no end-of-text token.
	run post /v1/completions '{"prompt":"Hi there","max_tokens":1}'
	assert_equal "$(echo "${lines[0]}" | jq -c '[.usage.completion_tokens,.choices[0].finish_reason]')" '[1,"length"]'
	stop_sim
}

@test "vllm-sim: echo with logprobs as lm-evaluation-harness reads it" {
	start_sim
	# Led by the end-of-text token, as lm-evaluation-harness leads an empty context.
	prompt='<|endoftext|>Question: 서울은 어디?
Answer: 한국'
	ids=$(python3 "$PROBE" tokenize "$prompt")
	assert_equal "$(echo "$ids" | jq .[0])" 17891584
	# lm-evaluation-harness sends token ids, echo, max_tokens 1, logprobs 1.
	run post /v1/completions "{\"prompt\":$ids,\"max_tokens\":1,\"echo\":true,\"logprobs\":1,\"temperature\":0}"
	assert_line --index 1 200
	body=${lines[0]}
	lp=$(echo "$body" | jq -c '.choices[0].logprobs')
	n=$(echo "$ids" | jq length)
	# The prompt's tokens come back first, then the generated one.
	assert_equal "$(echo "$lp" | jq -c "[(.tokens | length), .token_logprobs[0], .top_logprobs[0]]")" "[$((n + 1)),null,null]"
	# text_offset counts code points: each token's offset is the length of the text before it.
	want=$(echo "$lp" | python3 -c '
import json,sys
lp=json.load(sys.stdin); off=0; out=[]
for t in lp["tokens"]:
    out.append(off); off+=len(t)
print(json.dumps(out))')
	assert_equal "$(echo "$lp" | jq -c .text_offset)" "$(echo "$want" | jq -c .)"
	assert_equal "$(echo "$lp" | jq -r '.tokens[:-1] | join("")')" "$prompt"
	# Every other position has a logprob and a top list holding the token.
	assert_equal "$(echo "$lp" | jq '[range(1; .tokens|length) as $i | (.token_logprobs[$i] < 0) and (.top_logprobs[$i] | has($lp.tokens[$i]))] | all' --argjson lp "$lp")" true
	# The same prompt as text gives the same tokens and logprobs.
	body2=$(post /v1/completions "$(jq -cn --arg p "$prompt" '{prompt:$p,max_tokens:1,echo:true,logprobs:1}')" | head -1)
	assert_equal "$(echo "$body2" | jq -c '.choices[0].logprobs')" "$lp"
	assert_equal "$(echo "$body" | jq -r '.choices[0].text | startswith($p)' --arg p "$prompt")" true
	stop_sim
}

@test "vllm-sim: a batch of prompts gives one choice each; usage sums them" {
	start_sim
	run post /v1/completions '{"prompt":["a b","c d e"],"max_tokens":3,"ignore_eos":true}'
	assert_line --index 1 200
	assert_equal "$(echo "${lines[0]}" | jq -c '[[.choices[].index],.usage]')" '[[0,1],{"prompt_tokens":5,"total_tokens":11,"completion_tokens":6,"prompt_tokens_details":null}]'
	# Lists of token ids: "a b" is [97, 8546] (" b" = 256 + 0x2062), "c" is [99].
	run post /v1/completions '{"prompt":[[97,8546],[99]],"max_tokens":2,"ignore_eos":true,"echo":true}'
	assert_line --index 1 200
	assert_equal "$(echo "${lines[0]}" | jq -c '[.choices[0].text[0:3], .choices[1].text[0:1], .usage.prompt_tokens]')" '["a b","c",3]'
	run post /v1/completions '{"prompt":[["x"]]}'
	assert_line --index 1 400
	stop_sim
}

@test "vllm-sim: stop strings end the text before them" {
	start_sim
	full=$(post /v1/completions '{"prompt":"Go","max_tokens":20,"ignore_eos":true}' | head -1 | jq -r '.choices[0].text')
	stop=$(echo "$full" | cut -d' ' -f4)
	run post /v1/completions "{\"prompt\":\"Go\",\"max_tokens\":20,\"ignore_eos\":true,\"stop\":[\" $stop\"]}"
	assert_line --index 1 200
	before=${full%% "$stop"*}
	assert_equal "$(echo "${lines[0]}" | jq -c '.choices[0] | [.text,.finish_reason,.stop_reason]')" "$(jq -cn --arg t "$before" --arg s " $stop" '[$t,"stop",$s]')"
	stop_sim
}

@test "vllm-sim: chat completions have vLLM's shape" {
	start_sim
	run post /v1/chat/completions '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_completion_tokens":4,"ignore_eos":true,"logprobs":true,"top_logprobs":3}'
	assert_line --index 1 200
	# vLLM 0.11, POST /v1/chat/completions with logprobs and top_logprobs 3 (two tokens shown).
	vllm='{"id":"chatcmpl-4f1d2c3b4a5e6f708192a3b4c5d6e7f8","object":"chat.completion","created":1763805067,"model":"Qwen/Qwen2.5-1.5B-Instruct","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How","refusal":null,"annotations":null,"audio":null,"function_call":null,"tool_calls":[],"reasoning_content":null},"logprobs":{"content":[{"token":"Hello","logprob":-0.0123,"bytes":[72,101,108,108,111],"top_logprobs":[{"token":"Hello","logprob":-0.0123,"bytes":[72,101,108,108,111]},{"token":"Hi","logprob":-4.5,"bytes":[72,105]},{"token":"Hey","logprob":-6.1,"bytes":[72,101,121]}]}]},"finish_reason":"length","stop_reason":null}],"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens":20,"total_tokens":24,"completion_tokens":4,"prompt_tokens_details":null},"prompt_logprobs":null,"kv_transfer_params":null}'
	body=${lines[0]}
	run shape "$vllm" "$body"
	assert_output ""
	assert_equal "$(echo "$body" | jq -c '[(.choices[0].logprobs.content | length), (.choices[0].logprobs.content[0].top_logprobs | length), .usage.completion_tokens]')" "[4,3,4]"
	# The prompt is the ChatML template over the messages.
	assert_equal "$(echo "$body" | jq .usage.prompt_tokens)" "$(python3 "$PROBE" chat '[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]' | jq length)"
	stop_sim
}

@test "vllm-sim: completions stream: SSE framing, a usage chunk, then [DONE]" {
	start_sim
	curl -sSN -H 'Content-Type: application/json' -d '{"prompt":"Hello","max_tokens":4,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}' "$U/v1/completions" > sse
	# Every event is "data: JSON" and a blank line; the last is [DONE].
	run python3 -c '
import json,sys
raw=open("sse","rb").read()
assert raw.endswith(b"data: [DONE]\n\n"), raw[-40:]
evs=raw.split(b"\n\n")
assert evs[-1]==b"", evs[-1]
for e in evs[:-2]:
    assert e.startswith(b"data: {"), e
    json.loads(e[6:])
print(len(evs)-1)'
	assert_success
	assert_output 6
	# vLLM 0.11's chunk and usage chunk.
	chunk='{"id":"cmpl-1","object":"text_completion","created":1763805067,"model":"m","choices":[{"index":0,"text":" Paris","logprobs":null,"finish_reason":null,"stop_reason":null}]}'
	usage='{"id":"cmpl-1","object":"text_completion","created":1763805067,"model":"m","choices":[],"usage":{"prompt_tokens":5,"total_tokens":9,"completion_tokens":4}}'
	run shape "$chunk" "$(sed -n 1p sse | cut -c7-)"
	assert_output ""
	run shape "$usage" "$(sed -n 9p sse | cut -c7-)"
	assert_output ""
	assert_equal "$(sed -n 7p sse | cut -c7- | jq -r '.choices[0].finish_reason')" length
	assert_equal "$(sed -n 9p sse | cut -c7- | jq -c .usage)" '{"prompt_tokens":2,"total_tokens":6,"completion_tokens":4}'
	# The chunks' texts are the non-streamed text.
	assert_equal "$(grep -v DONE sse | grep . | cut -c7- | jq -j '.choices[0].text // empty')" \
		"$(post /v1/completions '{"prompt":"Hello","max_tokens":4,"ignore_eos":true}' | head -1 | jq -j '.choices[0].text')"
	stop_sim
}

@test "vllm-sim: chat stream: the first chunk carries the role" {
	start_sim
	curl -sSN -d '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"ignore_eos":true,"stream":true}' "$U/v1/chat/completions" > sse
	run grep -c '^data: ' sse
	assert_output 4
	first='{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1763805067,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}'
	last='{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1763805067,"model":"m","choices":[{"index":0,"delta":{"content":" Paris"},"logprobs":null,"finish_reason":"length","stop_reason":null}]}'
	run shape "$first" "$(sed -n 1p sse | cut -c7-)"
	assert_output ""
	run shape "$last" "$(sed -n 5p sse | cut -c7-)"
	assert_output ""
	assert_equal "$(sed -n 1p sse | cut -c7- | jq -c .choices[0].delta)" '{"role":"assistant","content":""}'
	assert_equal "$(sed -n 7p sse)" "data: [DONE]"
	# vLLM's stream_options default include_usage to true.
	curl -sSN -d '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"ignore_eos":true,"stream":true,"stream_options":{}}' "$U/v1/chat/completions" > sse
	assert_equal "$(sed -n 7p sse | cut -c7- | jq -c '[.object,.choices,.usage.completion_tokens]')" '["chat.completion.chunk",[],2]'
	stop_sim
}

@test "vllm-sim: --stream-interval bundles tokens after the first" {
	start_sim --stream-interval 3
	run python3 "$PROBE" sse "$U" '{"prompt":"Hi","max_tokens":7,"ignore_eos":true,"stream":true,"logprobs":0}'
	assert_success
	# 7 tokens: 1, then 3, then 3.
	assert_equal "$(echo "$output" | jq -c '[.events[] | select(startswith("data: {")) | .[6:] | fromjson | .choices[0].logprobs.tokens | length]')" "[1,3,3]"
	stop_sim
}

@test "vllm-sim: errors as vLLM returns them (404, 400, 401)" {
	echo 'sk-test-123' > key
	start_sim --api-key-file key -m served
	run post /v1/completions '{"prompt":"x"}'
	assert_output '{"error":"Unauthorized"}
401'
	auth=(-H 'Authorization: Bearer sk-test-123')
	bad=(-H 'Authorization: Bearer wrong')
	run curl -sS -w '\n%{http_code}' "${bad[@]}" -d '{"prompt":"x"}' "$U/v1/completions"
	assert_line --index 1 401
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"model":"other","prompt":"x"}' "$U/v1/completions"
	assert_output '{"error":{"message":"The model `other` does not exist.","type":"NotFoundError","param":"model","code":404}}
404'
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"prompt":"x",' "$U/v1/completions"
	assert_line --index 1 400
	assert_equal "$(echo "${lines[0]}" | jq -c '.error | [.type,.code,(.message|startswith("JSON decode error"))]')" '["BadRequestError",400,true]'
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '' "$U/v1/completions"
	assert_line --index 1 400
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"prompt":"x","max_tokens":"many"}' "$U/v1/completions"
	assert_output '{"error":{"message":"max_tokens: Input should be a valid integer","type":"BadRequestError","param":"max_tokens","code":400}}
400'
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"prompt":"x","stream_options":{"include_usage":true}}' "$U/v1/completions"
	assert_output '{"error":{"message":"Stream options can only be defined when `stream=True`.","type":"BadRequestError","param":"stream_options","code":400}}
400'
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"prompt":"x","max_tokens":5000}' "$U/v1/completions"
	assert_output "{\"error\":{\"message\":\"'max_tokens' or 'max_completion_tokens' is too large: 5000. This model's maximum context length is 4096 tokens and your request has 1 input tokens (5000 > 4096 - 1).\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}
400"
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"messages":[]}' "$U/v1/chat/completions"
	assert_output '{"error":{"message":"messages: Input should be a non-empty list","type":"BadRequestError","param":"messages","code":400}}
400'
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"prompt":"x","logprobs":21}' "$U/v1/completions"
	assert_line --index 1 400
	run curl -sS -w '\n%{http_code}' "${auth[@]}" -d '{"prompt":"x","max_tokens":1}' "$U/v1/completions"
	assert_line --index 1 200
	# Outside /v1 no key is needed, as in vLLM.
	run get /health
	assert_line --index 0 200
	stop_sim
}

@test "vllm-sim: --max-prompts bounds a batch; a million prompts are refused at once" {
	start_sim --max-prompts 2
	run post /v1/completions '{"prompt":["a","b","c"],"max_tokens":1}'
	assert_output '{"error":{"message":"prompt: at most 2 prompts per request, got 3.","type":"BadRequestError","param":"prompt","code":400}}
400'
	run post /v1/completions '{"prompt":["a","b"],"max_tokens":1}'
	assert_equal "$(echo "${lines[0]}" | jq '.choices | length')" 2
	assert_line --index 1 200
	# A list of token ids is one prompt, however long.
	run post /v1/completions '{"prompt":[97,98,99],"max_tokens":1}'
	assert_line --index 1 200
	stop_sim
	# vLLM takes any number of prompts; before the bound, these cost 1.7 GB and a minute.
	start_sim
	python3 -c 'import json; print(json.dumps({"prompt": ["a"] * 1000000, "max_tokens": 1}))' > big.json
	run curl -sS -m 30 -w '\n%{http_code}' --data-binary @big.json "$U/v1/completions"
	assert_output '{"error":{"message":"prompt: at most 1024 prompts per request, got 1000000.","type":"BadRequestError","param":"prompt","code":400}}
400'
	# The server's peak memory (plain build: the sanitizers and valgrind add their own)
	# stays near what parsing the 5 MB body takes, far from 1.7 GB.
	if [ "$VE_TIER" = plain ]; then
		hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$SIM_PID/status")
		[ "$hwm" -lt 262144 ]
	fi
	stop_sim
}

@test "vllm-sim: a prompt as long as the context is refused, also a chat without max_tokens" {
	start_sim --max-model-len 40
	# Through the chat template these messages are 50 tokens (probe.py): the
	# default max_tokens, the rest of the context, would be -10.
	msgs='[{"role":"user","content":"one two three four five six seven eight nine ten"}]'
	assert_equal "$(python3 "$PROBE" chat "$msgs" | jq length)" 50
	run post /v1/chat/completions "{\"messages\":$msgs}"
	assert_output "{\"error\":{\"message\":\"This model's maximum context length is 40 tokens. However, your request has 50 input tokens. Please reduce the length of the input messages.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}
400"
	stop_sim
	start_sim --max-model-len 16
	# Exactly the context length, even with nothing to generate (echo, max_tokens 0).
	run post /v1/completions '{"prompt":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"max_tokens":0,"echo":true}'
	assert_line --index 1 400
	assert_equal "$(echo "${lines[0]}" | jq -r .error.message)" "This model's maximum context length is 16 tokens. However, your request has 16 input tokens. Please reduce the length of the input messages."
	run post /v1/completions '{"prompt":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],"max_tokens":1}'
	assert_line --index 1 200
	stop_sim
}

@test "vllm-sim: more JSON objects and arrays than a request needs are refused before parsing" {
	start_sim --max-prompts 4
	python3 -c 'import json; print(json.dumps({"messages": [{}] * 70000}))' > objs.json
	run curl -sS -w '\n%{http_code}' --data-binary @objs.json "$U/v1/chat/completions"
	assert_output '{"error":{"message":"The request body holds more than 65540 JSON objects and arrays.","type":"BadRequestError","param":null,"code":400}}
400'
	run curl -sS -w '\n%{http_code}' --data-binary @objs.json "$U/tokenize"
	assert_line --index 1 400
	# Brackets inside strings are text, not structure.
	python3 -c 'import json; print(json.dumps({"prompt": "[{" * 70000, "max_tokens": 1}))' > text.json
	run curl -sS -w '\n%{http_code}' --data-binary @text.json "$U/tokenize"
	assert_line --index 1 200
	assert_equal "$(echo "${lines[0]}" | jq .count)" 140000
	stop_sim
}

@test "vllm-sim: --max-body: a larger body is 413, refused before it is read when declared" {
	start_sim --max-body 1024
	long=$(printf 'a%.0s' $(seq 1100))
	run post /v1/completions "{\"prompt\":\"$long\",\"max_tokens\":1}"
	assert_output '{"error":{"message":"The request body is larger than 1024 bytes.","type":"BadRequestError","param":null,"code":413}}
413'
	# Chunked, the size is only known once read: the rest is dropped, then 413.
	run curl -sS -w '\n%{http_code}' -H 'Transfer-Encoding: chunked' -d "{\"prompt\":\"$long\"}" "$U/v1/completions"
	assert_line --index 1 413
	run post /v1/completions "{\"prompt\":\"${long:0:900}\",\"max_tokens\":1}"
	assert_line --index 1 200
	# Declared but never sent: answered at once, and the connection closed.
	run python3 "$PROBE" raw "$U" 'POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n'
	assert_output 'HTTP/1.1 413 Content Too Large
{"error":{"message":"The request body is larger than 1024 bytes.","type":"BadRequestError","param":null,"code":413}}
closed'
	stop_sim
}

@test "vllm-sim: malformed HTTP framing is answered 400 and the connection closed" {
	start_sim
	req='POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\nContent-Length: 2\r\n\r\n{"prompt":"a"}'
	run python3 "$PROBE" raw "$U" "$req"
	assert_output 'HTTP/1.1 400 Bad Request
{"error":{"message":"Malformed HTTP request: more than one Content-Length header.","type":"BadRequestError","param":null,"code":400}}
closed'
	req='POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
	run python3 "$PROBE" raw "$U" "$req"
	assert_output 'HTTP/1.1 400 Bad Request
{"error":{"message":"Malformed HTTP request: both Content-Length and Transfer-Encoding.","type":"BadRequestError","param":null,"code":400}}
closed'
	run python3 "$PROBE" raw "$U" 'GET /health HTTP/1.1\r\n\r\n'
	assert_output 'HTTP/1.1 400 Bad Request
{"error":{"message":"Malformed HTTP request: no Host header.","type":"BadRequestError","param":null,"code":400}}
closed'
	run python3 "$PROBE" raw "$U" 'GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
	assert_output 'HTTP/1.1 400 Bad Request
{"error":{"message":"Malformed HTTP request: more than one Host header.","type":"BadRequestError","param":null,"code":400}}
closed'
	# HTTP/1.0 needs no Host; a well-formed HTTP/1.1 request keeps its connection.
	run python3 "$PROBE" raw "$U" 'GET /health HTTP/1.0\r\n\r\n'
	assert_output 'HTTP/1.1 200 OK

closed'
	run python3 "$PROBE" raw "$U" 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n'
	assert_output 'HTTP/1.1 200 OK
{"version":"0.11.0"}
kept open'
	stop_sim
}

@test "vllm-sim: slow clients are dropped within --request-timeout; the full server answers 503" {
	start_sim -v --max-connections 250 --request-timeout 2
	# 250 clients each send a request line, then a header byte a second: they
	# fill the server; before the deadline they held it, and every new client
	# saw its connection reset, for as long as they cared to go on.
	run python3 "$PROBE" slowloris "$U" 250 2 5
	assert_output "while they wait: 503
250 of 250 dropped between 2 and 5 s
then: 200"
	# The first request is start_sim's wait for the server. The deadline is
	# checked ten times a second: the 250 may be closed in more than one round.
	stop_sim_logged
	assert_line --index 0 "vllm-sim: GET /health 200"
	assert_line --index 1 "vllm-sim: new connection answered 503: 250 open (--max-connections)"
	# The probe's last request: logged after the drops, but the drop checker
	# may log its last round after it.
	assert_equal "$(grep -c '^vllm-sim: GET /health 200$' <<<"$output")" 2
	closed=$(echo "$output" | sed -n 's/^vllm-sim: closed \([0-9]*\) connections\{0,1\} without a whole request in 2 s$/\1/p' | paste -sd+ | bc)
	# Every slow client, and maybe the probe's own connection that tested
	# the full server (closed as it waited, under a loaded machine).
	[ "$closed" -ge 250 ] && [ "$closed" -le 251 ]
	assert_equal "${#lines[@]}" $((3 + $(echo "$output" | grep -c 'vllm-sim: closed')))
}

@test "vllm-sim: a connection over --max-connections gets 503 and a JSON body, not a reset" {
	start_sim --max-connections 3
	run python3 "$PROBE" full "$U" 3
	assert_output 'HTTP/1.1 503 Service Unavailable
Retry-After: 1
{"error":{"message":"The server already holds 3 connections.","type":"ServiceUnavailableError","param":null,"code":503}}'
	# Once they are closed, there is room again.
	for _ in $(seq 50); do
		curl -fsS -o /dev/null "$U/health" 2>/dev/null && break
		sleep 0.1
	done
	run get /version
	assert_output '{"version":"0.11.0"}
200'
	stop_sim
}

@test "vllm-sim: --request-timeout closes idle keep-alive connections, never an answer under way" {
	start_sim --request-timeout 1 --itl-ms 100 --ttft-ms 0 --load-factor 0
	# probe.py waits 2 s after the answer to see whether the server closes.
	run python3 "$PROBE" raw "$U" 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n'
	assert_output 'HTTP/1.1 200 OK
{"version":"0.11.0"}
closed'
	# A 3-second stream outlives the deadline: the deadline is for the request.
	run python3 "$PROBE" sse "$U" '{"prompt":"Hi","max_tokens":30,"ignore_eos":true,"stream":true}'
	assert_equal "$(echo "$output" | jq -r '.events[-1]')" "data: [DONE]"
	assert_equal "$(echo "$output" | jq '.itls | length')" 29
	stop_sim
}

@test "vllm-sim: an error message quoting a bad body is still UTF-8, however it is cut" {
	start_sim
	# libjq's message quotes the body, its bad bytes as U+FFFD (3 bytes each);
	# the message is cut near 512 bytes, once in the middle of one of them.
	python3 -c 'import sys; sys.stdout.buffer.write(b"{\"m" + b"\xff" * 200 + b"\x01\":1}")' > body
	curl -sS -o answer -w '%{http_code}\n' --data-binary @body "$U/v1/completions" > status
	assert_equal "$(cat status)" 400
	run python3 -c 'import json, sys; e = json.loads(open("answer", "rb").read().decode("utf-8"))["error"]; print(e["type"], e["code"], e["message"][:65])'
	assert_output "BadRequestError 400 JSON decode error: Invalid string: control characters from U+0000"
	stop_sim
}

@test "vllm-sim: invalid UTF-8 in a prompt is read as U+FFFD" {
	start_sim
	printf '{"prompt":"a\xffb"}' > body
	run curl -sS -w '\n%{http_code}' --data-binary @body "$U/tokenize"
	# U+FFFD is EF BF BD: 65792 + 0xefbfbd = 15777981.
	assert_output '{"count":3,"max_model_len":4096,"tokens":[97,15777981,98],"token_strs":null}
200'
	stop_sim
}

@test "vllm-sim: --fail-rate answers that share with the error statuses, seeded" {
	start_sim -s 3 --fail-rate 0.3 --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" faults "$U" 200
	assert_success
	first=$output
	stop_sim
	# 200 requests at p = 0.3: mean 60, sd sqrt(200*0.3*0.7) = 6.5; 4 sd: 34..86.
	fails=$(echo "$first" | tr ' ' '\n' | grep -vc '^200$')
	[ "$fails" -ge 34 ] && [ "$fails" -le 86 ]
	# Only the statuses asked for, each with Retry-After where it belongs (probe checks).
	assert_equal "$(echo "$first" | tr ' ' '\n' | sort -u | tr '\n' ' ')" "200 429 500 503 "
	# The same seed gives the same sequence.
	start_sim -s 3 --fail-rate 0.3 --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" faults "$U" 200
	assert_equal "$output" "$first"
	stop_sim
}

@test "vllm-sim: --drop-rate cuts that share of streams mid-way" {
	start_sim -s 1 --drop-rate 0.25 --ttft-ms 0 --itl-ms 1 --fail-codes 503
	run python3 "$PROBE" faults "$U" 160 stream
	assert_success
	# 160 at p = 0.25: mean 40, sd 5.5; 4 sd: 18..62. Everything else completes.
	cut=$(echo "$output" | tr ' ' '\n' | grep -c '^cut$')
	ok=$(echo "$output" | tr ' ' '\n' | grep -c '^200$')
	[ "$cut" -ge 18 ] && [ "$cut" -le 62 ]
	assert_equal $((cut + ok)) 160
	stop_sim
	# A non-streaming response is dropped by closing the connection without one;
	# the same seed cuts the same requests (numbered in arrival order).
	start_sim -s 1 --drop-rate 0.25 --ttft-ms 0 --itl-ms 1
	run python3 "$PROBE" faults "$U" 160
	assert_success
	assert_equal "$(echo "$output" | tr ' ' '\n' | grep -c '^cut$')" "$cut"
	stop_sim
}

@test "vllm-sim: --stall-rate never answers that share; the client gives up" {
	start_sim -s 2 --stall-rate 0.2 --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" stall "$U" 40 0.5
	assert_success
	# 40 at p = 0.2: mean 8, sd 2.5; 4 sd: 0..18, and a seeded count is never 0 here.
	[ "$output" -ge 1 ] && [ "$output" -le 18 ]
	# The stalled requests hold no place in the batch once their clients left.
	sleep 0.3
	run get /metrics
	assert_line --partial 'vllm:num_requests_running{engine="0",model_name="sim-model"} 0'
	stop_sim
}

@test "vllm-sim: TTFT = --ttft-ms + prompt/--prefill-tps; ITL = --itl-ms" {
	skip_under_valgrind "timings"
	start_sim --ttft-ms 100 --itl-ms 20 --prefill-tps 10000 --load-factor 0
	# A 2000-token prompt: 100 ms + 2000/10000 s = 300 ms.
	long=$(python3 -c 'print("abc " * 1000)')
	run python3 "$PROBE" sse "$U" "{\"prompt\":\"$long\",\"max_tokens\":11,\"ignore_eos\":true,\"stream\":true}"
	assert_success
	ttft=$(echo "$output" | jq .ttft)
	itl=$(echo "$output" | jq '.itls | add / length')
	n=$(echo "$output" | jq '.itls | length')
	assert_equal "$n" 10
	python3 -c "import sys; t,i=$ttft,$itl; sys.exit(not (0.29 <= t <= 0.45 and 0.019 <= i <= 0.035))"
	stop_sim
}

@test "vllm-sim: --max-num-seqs makes requests wait: TTFT grows with load" {
	skip_under_valgrind "timings"
	start_sim --max-num-seqs 1 --ttft-ms 50 --itl-ms 20 --load-factor 0
	run python3 "$PROBE" queue "$U"
	assert_success
	# Alone: TTFT 50 ms, E2E 50 + 4x20 = 130 ms. The second waits for the first:
	# its TTFT is about 130 - 50 (sent later) + 50 = 130 ms, E2E 130 + 130 - 50 = 210 ms.
	# Upper bounds leave room for a loaded machine; the lower ones show the wait.
	python3 -c "
import json,sys
r=json.loads('$output')
a,b=r['ttft']; e1,e2=r['e2e']
sys.exit(not (0.045<=a<=0.12 and 0.11<=b<=0.26 and 0.12<=e1<=0.25 and 0.19<=e2<=0.38))"
	stop_sim
}

@test "vllm-sim: /metrics shows the batch and the queue while they are busy" {
	start_sim --max-num-seqs 1 --itl-ms 200 --ttft-ms 0 --kv-cache-tokens 100
	for _ in 1 2; do
		curl -sSN -d '{"prompt":"a b c d","max_tokens":15,"ignore_eos":true,"stream":true}' "$U/v1/completions" > /dev/null 2>&1 3>&- &
	done
	lab='{engine="0",model_name="sim-model"}'
	for _ in $(seq 50); do
		curl -sS "$U/metrics" > m
		grep -q "^vllm:num_requests_waiting$lab 1$" m && break
		sleep 0.1
	done
	run grep -E '^vllm:num_requests_(running|waiting)' m
	assert_output "vllm:num_requests_running$lab 1
vllm:num_requests_waiting$lab 1"
	# One request holds its 4 prompt tokens and what it generated so far, of 100.
	kv=$(grep "^vllm:gpu_cache_usage_perc" m | cut -d' ' -f2)
	python3 -c "import sys; sys.exit(not 0.04 <= $kv <= 0.2)"
	stop_sim
	wait
}

@test "vllm-sim: --jitter spreads the ITL uniformly around --itl-ms" {
	skip_under_valgrind "timings"
	start_sim --itl-ms 20 --jitter 0.5 --ttft-ms 0 --load-factor 0
	run python3 "$PROBE" sse "$U" '{"prompt":"Hi","max_tokens":60,"ignore_eos":true,"stream":true}'
	# Gaps are uniform in 20 ms x [0.5, 1.5]. Scheduling delay lengthens a
	# gap, and when it holds the client back, shortens the one after: on a
	# busy machine (the bats files run side by side) one or two gaps of 7 ms
	# were seen, so the 3rd shortest is held to 10 ms (less a margin). Of 59
	# uniform gaps the 6th shortest (the 10th percentile) is expected at
	# 12 ms and the 6th longest at 28 ms. Without jitter no gap but those few
	# could be shorter than 20 ms, so a 6th shortest under 20 ms shows the
	# spread below; a load that delays every gap alike leaves the distance
	# between the two (16 ms expected) whole, and 8 ms is asked. The tails
	# are judged by rank, not against fixed bounds, so that load cannot fail
	# it.
	python3 -c "
import json,sys
g=sorted(json.loads(sys.argv[1])['itls'])
sys.exit(not (len(g)==59 and g[2]>=0.0095 and g[5]<0.020 and g[-6]-g[5]>=0.008))" "$output"
	stop_sim
}

@test "vllm-sim: --load-factor stretches the ITL as the batch fills" {
	skip_under_valgrind "timings"
	start_sim --max-num-seqs 2 --itl-ms 20 --ttft-ms 0 --load-factor 3
	# Alone in a batch of 2: 20 x (1 + 3 x 1/2) = 50 ms.
	run python3 "$PROBE" sse "$U" '{"prompt":"Hi","max_tokens":6,"ignore_eos":true,"stream":true}'
	itl=$(echo "$output" | jq '.itls | add / length')
	python3 -c "import sys; sys.exit(not (0.048 <= $itl <= 0.07))"
	stop_sim
}

@test "vllm-sim: --accuracy sets the share of key items answered right, in every mode" {
	start_sim -s 11 --answers "$FIX/vllm-sim/key-mcq.jsonl" --accuracy 0.7 --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" mcq "$U" "$FIX/vllm-sim/key-mcq.jsonl" ll
	assert_success
	ll=${output%/*}
	# 100 items at p = 0.7: mean 70, sd 4.6; 4 sd: 52..88.
	[ "$ll" -ge 52 ] && [ "$ll" -le 88 ]
	# The items answered right are the same whatever the way of asking.
	run python3 "$PROBE" mcq "$U" "$FIX/vllm-sim/key-mcq.jsonl" letter
	assert_output "$ll/100"
	run python3 "$PROBE" mcq "$U" "$FIX/vllm-sim/key-mcq.jsonl" gen
	assert_output "$ll/100"
	stop_sim
}

@test "vllm-sim: a good and a degraded release; no key is chance" {
	skip_under_valgrind "hundreds of probes per release: the plain and ASan tiers run it"
	start_sim -s 4 --answers "$FIX/vllm-sim/key-mcq.jsonl" --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" mcq "$U" "$FIX/vllm-sim/key-mcq.jsonl" ll
	assert_output "100/100"
	stop_sim
	start_sim -s 4 --answers "$FIX/vllm-sim/key-mcq.jsonl" --accuracy 0.4 --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" mcq "$U" "$FIX/vllm-sim/key-mcq.jsonl" ll
	# p = 0.4: mean 40, sd 4.9; 4 sd: 21..59.
	[ "${output%/*}" -ge 21 ] && [ "${output%/*}" -le 59 ]
	stop_sim
	start_sim -s 4 --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" mcq "$U" "$FIX/vllm-sim/key-mcq.jsonl" ll
	# Chance with 4 choices: mean 25, sd 4.3; 4 sd: 8..42.
	[ "${output%/*}" -ge 8 ] && [ "${output%/*}" -le 42 ]
	stop_sim
}

@test "vllm-sim: free-text gold: the answer contains it when right" {
	start_sim -s 9 --answers "$FIX/vllm-sim/key-gen.jsonl" --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	run python3 "$PROBE" mcq "$U" "$FIX/vllm-sim/key-gen.jsonl" gen
	assert_success
	# 40 items at p = 0.5: mean 20, sd 3.2; 4 sd: 8..32.
	[ "${output%/*}" -ge 8 ] && [ "${output%/*}" -le 32 ]
	run post /v1/chat/completions '{"messages":[{"role":"user","content":"What is 58 plus 20?"}]}'
	assert_line --index 1 200
	text=$(echo "${lines[0]}" | jq -r '.choices[0].message.content')
	[[ "$text" =~ ^The\ answer\ is\ [0-9]+\.$ ]]
	stop_sim
}

@test "vllm-sim: a key item's \"wrong\" is the answer given when it is answered wrong" {
	# A code benchmark's item: the right program in gold, a wrong one in wrong.
	jq -nc '{id: "lcb/1", match: "Sum the list.", gold: "```python\nprint(sum(xs))\n```",
		wrong: "```python\nprint(0)\n```"}, {match: "What is 58 plus 20?", gold: "78"}' > key.jsonl
	start_sim --answers key.jsonl --accuracy 1 --ttft-ms 0 --itl-ms 0
	run post /v1/chat/completions "$(chat 'Sum the list.')"
	assert_line --index 1 200
	assert_equal "$(jq -c '.choices[0].message.content' <<< "${lines[0]}")" '"The answer is ```python\nprint(sum(xs))\n```."'
	run post /v1/completions '{"prompt":"Sum the list.","max_tokens":100}'
	assert_equal "$(jq -c '.choices[0].text' <<< "${lines[0]}")" '" The answer is ```python\nprint(sum(xs))\n```."'
	stop_sim
	start_sim --answers key.jsonl --accuracy 0 --ttft-ms 0 --itl-ms 0
	run post /v1/chat/completions "$(chat 'Sum the list.')"
	assert_equal "$(jq -c '.choices[0].message.content' <<< "${lines[0]}")" '"The answer is ```python\nprint(0)\n```."'
	run post /v1/completions '{"prompt":"Sum the list.","max_tokens":100}'
	assert_equal "$(jq -c '.choices[0].text' <<< "${lines[0]}")" '" The answer is ```python\nprint(0)\n```."'
	# An item without "wrong" still gets a made-up wrong answer.
	run post /v1/chat/completions "$(chat 'What is 58 plus 20?')"
	text=$(jq -r '.choices[0].message.content' <<< "${lines[0]}")
	[[ "$text" =~ ^The\ answer\ is\ [0-9]+\.$ ]] && [ "$text" != "The answer is 78." ]
	stop_sim
}

@test "vllm-sim: format text answers the gold or the wrong text as it is, in both APIs" {
	# HumanEval: the completion carries on the prompt's function, so no
	# space goes before it; LiveCodeBench: the reply is the program.
	jq -nc '{match: "def add_two(a: int, b: int) -> int:", gold: "    return a + b\n",
		wrong: "    return None\n", format: "text"},
		{match: "Sum the list.", gold: "```python\nprint(sum(xs))\n```", format: "text"}' > key.jsonl
	start_sim --answers key.jsonl --accuracy 1 --ttft-ms 0 --itl-ms 0
	prompt=$(jq -c '.prompt' <<< '{"prompt":"\n\ndef add_two(a: int, b: int) -> int:\n    \"\"\" Return the sum.\"\"\"\n"}')
	run post /v1/completions '{"prompt":'"$prompt"',"max_tokens":50,"stop":["\nclass","\ndef"]}'
	assert_line --index 1 200
	assert_equal "$(jq -c '.choices[0] | [.text, .finish_reason]' <<< "${lines[0]}")" '["    return a + b\n","stop"]'
	run post /v1/chat/completions "$(chat 'Sum the list.')"
	assert_equal "$(jq -c '.choices[0].message.content' <<< "${lines[0]}")" '"```python\nprint(sum(xs))\n```"'
	stop_sim
	start_sim --answers key.jsonl --accuracy 0 --ttft-ms 0 --itl-ms 0
	run post /v1/completions '{"prompt":'"$prompt"',"max_tokens":50}'
	assert_equal "$(jq -c '.choices[0].text' <<< "${lines[0]}")" '"    return None\n"'
	stop_sim
}

@test "vllm-sim: a \"wrong\" that is not a string, or beside choices, is a key error" {
	printf '{"match":"q","gold":"1"}\n{"match":"x","gold":"1","wrong":2}\n' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'vllm-sim: bad.jsonl:2: "wrong" must be a string (the wrong answer)'
	printf '{"match":"q","choices":["a","b"],"gold":0,"wrong":"b"}\n' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'vllm-sim: bad.jsonl:1: "wrong" goes with a free-text gold, not with choices'
	# null is no wrong answer, as for the key's other optional fields.
	printf '{"match":"q","gold":"1","wrong":null}\n' > ok.jsonl
	start_sim --answers ok.jsonl
	stop_sim
}

@test "vllm-sim: /metrics has vLLM's names, counts what was served, and parses" {
	start_sim --ttft-ms 0 --itl-ms 0
	post /v1/completions '{"prompt":"one two","max_tokens":3,"ignore_eos":true}' > /dev/null
	post /v1/completions '{"prompt":"three","max_tokens":5,"ignore_eos":true,"stream":true}' > /dev/null
	post /v1/chat/completions '{"messages":[{"role":"user","content":"x"}],"max_tokens":2,"ignore_eos":true}' > /dev/null
	curl -sS "$U/metrics" > m
	# Prompt tokens: "one two" 3 + "three" 2 + the chat template over "x" (probe.py).
	chat=$(python3 "$PROBE" chat '[{"role":"user","content":"x"}]' | jq length)
	lab='{engine="0",model_name="sim-model"}'
	run grep -E '^vllm:(prompt|generation)_tokens_total|^vllm:num_requests|_count\{' m
	assert_output "vllm:num_requests_running$lab 0
vllm:num_requests_waiting$lab 0
vllm:prompt_tokens_total$lab $((3 + 2 + chat))
vllm:generation_tokens_total$lab 10
vllm:time_to_first_token_seconds_count$lab 3
vllm:inter_token_latency_seconds_count$lab 7
vllm:e2e_request_latency_seconds_count$lab 3
vllm:request_queue_time_seconds_count$lab 3"
	assert_equal "$(grep -c '^vllm:time_to_first_token_seconds_bucket' m)" 23
	assert_equal "$(grep '^vllm:request_success_total.*length' m | cut -d' ' -f2)" 3
	# promtool parses it; its only complaint is the colon in vLLM's own names
	# (a lint, exit 3; a parse error would be exit 1).
	run promtool check metrics < m
	assert_failure 3
	refute_output --regexp '^[^ ]+ [^m]'
	assert_equal "$(echo "$output" | grep -vc "metric names should not contain ':'")" 0
	assert_equal "${#lines[@]}" 11
	stop_sim
}

@test "vllm-sim: -v logs each request on stderr, never the key" {
	echo 'sk-secret-456' > key
	PORT=$(ve_free_port)
	U=http://127.0.0.1:$PORT
	vllm-sim -v -p "$PORT" --api-key-file key > out 2> err 3>&- &
	SIM_PID=$!
	ve_wait_http "$U/health" 60
	curl -sS -H 'Authorization: Bearer sk-secret-456' -d '{"prompt":"x","max_tokens":1}' "$U/v1/completions" > /dev/null
	curl -sS "$U/v1/models" > /dev/null
	kill -TERM "$SIM_PID"
	wait "$SIM_PID"
	SIM_PID=
	run cat err
	assert_output "vllm-sim: listening on 127.0.0.1 port $PORT, model sim-model, seed 0
vllm-sim: GET /health 200
vllm-sim: POST /v1/completions 200
vllm-sim: GET /v1/models 401
vllm-sim: stopping (Terminated)"
	refute_output --partial secret
}

@test "vllm-sim: SIGTERM with a stream open still stops it promptly and cleanly" {
	start_sim --itl-ms 1000
	curl -sSN -d '{"prompt":"x","max_tokens":100,"stream":true,"ignore_eos":true}' "$U/v1/completions" > /dev/null 2>&1 3>&- &
	cpid=$!
	sleep 0.5
	start=$(date +%s)
	stop_sim
	[ $(( $(date +%s) - start )) -le 5 ]
	wait "$cpid" || true
}

@test "vllm-sim: --churn redraws a share of the items: releases agree on the rest, a lower accuracy loses items" {
	skip_under_valgrind "hundreds of probes per release: the plain and ASan tiers run it"
	key="$FIX/vllm-sim/key-mcq.jsonl"
	start_sim -s 5 --answers "$key" --accuracy 0.7 --ttft-ms 0 --itl-ms 0
	python3 "$PROBE" mcq "$U" "$key" ll a
	stop_sim
	start_sim -s 5 --answers "$key" --accuracy 0.7 --churn 0.2 --churn-seed 1 --ttft-ms 0 --itl-ms 0
	python3 "$PROBE" mcq "$U" "$key" ll b
	stop_sim
	# 20 items of 100 (sd 4) redrawn, each answered otherwise with
	# 2 x 0.7 x 0.3 = 0.42: 8.4 on average, at most the redrawn ones.
	differ=$(sort a b | uniq -u | wc -l)
	[ "$differ" -ge 1 ] && [ "$differ" -le 36 ]
	# The same seeds at a lower accuracy: only items the release had right are
	# right now (the draws do not move; fewer fall below 0.5).
	start_sim -s 5 --answers "$key" --accuracy 0.5 --churn 0.2 --churn-seed 1 --ttft-ms 0 --itl-ms 0
	python3 "$PROBE" mcq "$U" "$key" ll c
	stop_sim
	run comm -13 <(sort b) <(sort c)
	assert_output ""
	[ "$(wc -l <c)" -lt "$(wc -l <b)" ]
	# Every item redrawn: --seed no longer matters.
	start_sim -s 5 --answers "$key" --accuracy 0.7 --churn 1 --churn-seed 3 --ttft-ms 0 --itl-ms 0
	python3 "$PROBE" mcq "$U" "$key" ll d
	stop_sim
	start_sim -s 6 --answers "$key" --accuracy 0.7 --churn 1 --churn-seed 3 --ttft-ms 0 --itl-ms 0
	python3 "$PROBE" mcq "$U" "$key" ll e
	stop_sim
	run cmp d e
	assert_success
	run --separate-stderr vllm-sim --churn 0.1
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --churn needs --answers (it redraws which key items are right)"
}

# The body of a chat request asking Q, with more fields (JSON members) after.
chat() {
	printf '{"messages":[{"role":"user","content":"%s"}]%s}' "$1" "${2:-}"
}

@test "vllm-sim: --reasoning-tokens: the thought in reasoning, counted and streamed like the answer" {
	start_sim --reasoning-tokens 60 --answers "$FIX/vllm-sim/key-reason.jsonl"
	run post /v1/chat/completions "$(chat 'Janet has 16 eggs.' ',"max_tokens":200')"
	assert_line --index 1 200
	body=${lines[0]}
	# The thought opens with a wrong answer in the item's format, then takes it back.
	assert_equal "$(echo "$body" | jq -c '.choices[0] | [.message.content, .finish_reason]')" '["The answer is 18.\n#### 18","stop"]'
	run jq -r '.choices[0].message.reasoning' <<< "$body"
	assert_line --index 0 "Let me think. A first try gives:"
	assert_line --index 1 --regexp '^The answer is [0-9]+\.$'
	assert_line --index 2 --regexp '^#### [0-9]+$'
	refute_line --index 2 "#### 18"
	assert_line --index 3 --regexp '^No, that is wrong; let me recheck\.'
	# completion_tokens = 60 of thought + the answer's tokens + the end of text.
	answer=$(python3 "$PROBE" tokenize 'The answer is 18.
#### 18' | jq length)
	assert_equal "$(echo "$body" | jq .usage.completion_tokens)" "$((60 + answer + 1))"
	assert_equal "$(echo "$body" | jq -c '.choices[0].message | keys_unsorted[-1]')" '"reasoning"'
	# Streamed: deltas of the thought carry reasoning only, token by token,
	# then the content; both join to the non-streamed texts.
	curl -sSN -d "$(chat 'Janet has 16 eggs.' ',"max_tokens":200,"stream":true')" "$U/v1/chat/completions" > sse
	grep '^data: {' sse | cut -c7- | jq -c '.choices[0].delta // empty' > deltas
	assert_equal "$(sed -n 2p deltas)" '{"reasoning":"Let"}'
	assert_equal "$(jq -j '.reasoning // empty' deltas)" "$(echo "$body" | jq -j '.choices[0].message.reasoning')"
	assert_equal "$(jq -j '.content // empty' deltas)" "$(echo "$body" | jq -j '.choices[0].message.content')"
	assert_equal "$(jq -c 'select(has("reasoning"))' deltas | wc -l)" 60
	stop_sim
}

@test "vllm-sim: a thought cut by max_tokens has no answer; enable_thinking=false has no thought" {
	start_sim --reasoning-tokens 40 --answers "$FIX/vllm-sim/key-reason.jsonl"
	run post /v1/chat/completions "$(chat 'Find the sum of the digits.' ',"max_tokens":12')"
	assert_line --index 1 200
	# 12 tokens of the documented tokenizer: Let| me| th|ink|.| A| fi|rst| tr|y| gi|ves.
	assert_equal "$(echo "${lines[0]}" | jq -c '.choices[0] | [.message.content, .message.reasoning, .finish_reason]')" '[null,"Let me think. A first try gives","length"]'
	assert_equal "$(echo "${lines[0]}" | jq .usage.completion_tokens)" 12
	run post /v1/chat/completions "$(chat 'Find the sum of the digits.' ',"max_tokens":100,"chat_template_kwargs":{"enable_thinking":false}')"
	assert_equal "$(echo "${lines[0]}" | jq -c '.choices[0] | [.message.content, .message.reasoning, .finish_reason]')" '["The final answer is $\\boxed{204}$.",null,"stop"]'
	# Completions never think: vLLM's reasoning parser is for chat only.
	run post /v1/completions '{"prompt":"Which gas is a greenhouse gas?","max_tokens":100}'
	assert_equal "$(echo "${lines[0]}" | jq -c '.choices[0] | [.text, .finish_reason]')" '[" Answer: C","stop"]'
	stop_sim
}

@test "vllm-sim: --reasoning-format tags puts the thought in the content; --reasoning-field names it" {
	start_sim --reasoning-tokens 40 --reasoning-format tags --answers "$FIX/vllm-sim/key-reason.jsonl"
	run post /v1/chat/completions "$(chat 'Which gas is a greenhouse gas?' ',"max_tokens":100')"
	content=$(jq -r '.choices[0].message.content' <<< "${lines[0]}")
	[[ "$content" =~ ^'<think>'$'\n''Let me think. A first try gives:'$'\n''Answer: '[ABD]$'\n''No, that' ]]
	[[ "$content" == *$'\n</think>\n\nAnswer: C' ]]
	assert_equal "$(jq -c '.choices[0].message.reasoning' <<< "${lines[0]}")" null
	stop_sim
	start_sim --reasoning-tokens 3 --reasoning-field reasoning_content
	run post /v1/chat/completions "$(chat hi ',"max_tokens":5,"ignore_eos":true')"
	assert_equal "$(echo "${lines[0]}" | jq -c '.choices[0].message | [(.reasoning_content | type), has("reasoning")]')" '["string",false]'
	curl -sSN -d "$(chat hi ',"max_tokens":5,"ignore_eos":true,"stream":true')" "$U/v1/chat/completions" > sse
	# In stream order: the role, 3 tokens of thought, 2 of answer (ignore_eos: no end token).
	assert_equal "$(grep '^data: {' sse | cut -c7- | jq -c '.choices[0].delta // empty | keys_unsorted' | tr '\n' ' ')" '["role","content"] ["reasoning_content"] ["reasoning_content"] ["reasoning_content"] ["content"] ["content"] '
	stop_sim
}

@test "vllm-sim: with a thought, accuracy still decides the answer; the seed decides the text" {
	start_sim -s 3 --reasoning-tokens 50 --answers "$FIX/vllm-sim/key-gen.jsonl" --accuracy 0.5 --ttft-ms 0 --itl-ms 0
	# Right answers in the content as without a thought; the thought's
	# candidate is never the gold.
	run python3 -c '
import json, sys, urllib.request
right = 0
items = [json.loads(l) for l in open(sys.argv[2])]
for it in items:
    body = {"messages": [{"role": "user", "content": it["match"]}], "max_tokens": 200}
    req = urllib.request.Request(sys.argv[1] + "/v1/chat/completions", json.dumps(body).encode())
    m = json.load(urllib.request.urlopen(req))["choices"][0]["message"]
    right += it["gold"] in m["content"]
    cand = m["reasoning"].split("\n")[1]
    assert cand.startswith("The answer is ") and it["gold"] not in cand, (cand, it)
print(right)' "$U" "$FIX/vllm-sim/key-gen.jsonl"
	assert_success
	# 40 items at p = 0.5: mean 20, sd 3.2; 4 sd: 8..32.
	[ "$output" -ge 8 ] && [ "$output" -le 32 ]
	a=$(post /v1/chat/completions "$(chat 'What is 58 plus 20?' ',"max_tokens":100')" | head -1 | jq -c '.choices[0].message | [.reasoning, .content]')
	b=$(post /v1/chat/completions "$(chat 'What is 58 plus 20?' ',"max_tokens":100')" | head -1 | jq -c '.choices[0].message | [.reasoning, .content]')
	assert_equal "$a" "$b"
	stop_sim
}

@test "vllm-sim: reasoning and key format usage errors" {
	run --separate-stderr vllm-sim --reasoning-tokens 5 --reasoning-format xml
	assert_failure 64
	assert_equal "$stderr" "vllm-sim: --reasoning-format: expected parser or tags, got 'xml'
Try 'vllm-sim --help' for more information."
	run --separate-stderr vllm-sim --reasoning-tokens 5 --reasoning-field thought
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --reasoning-field: expected reasoning or reasoning_content, got 'thought'"
	run --separate-stderr vllm-sim --reasoning-format tags
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --reasoning-format and --reasoning-field need --reasoning-tokens"
	run --separate-stderr vllm-sim --reasoning-tokens 5 --reasoning-format tags --reasoning-field reasoning
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "vllm-sim: --reasoning-field needs --reasoning-format parser (tags have no field)"
	echo '{"match":"x","gold":"1","format":"latex"}' > bad.jsonl
	run --separate-stderr vllm-sim --answers bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'vllm-sim: bad.jsonl:1: "format" must be "sentence", "gsm8k", "boxed", "letter" or "text"'
}

@test "vllm-sim: a prompt read apart from libjq (VLLM_SIM_SCAN unset) answers as libjq's parse does" {
	# The same bodies to a server that reads a plain "prompt" itself and to
	# one that parses every body with libjq (VLLM_SIM_SCAN=0), which is how
	# vllm-sim read them before: answers and errors must be the same bytes
	# ("created", the clock's second, apart). The bodies are the ones read
	# apart (ids, text with escapes, UTF-8, spaces) and those left to libjq:
	# "prompt" twice or with an escape in its key, \u escapes, leading zeros,
	# signs and fractions, controls, invalid UTF-8, bad JSON after the prompt
	# (none where libjq 1.6 leaks its value, "Expected separator between
	# values": the sanitizer and valgrind tiers would see libjq's leak).
	printf '%s\n' \
		'{"prompt":[17891584,72,101,108,108,111],"echo":true,"max_tokens":1,"logprobs":1,"temperature":0}' \
		' { "prompt" : [ 72 , 9786 ,108 ] , "echo" : true , "logprobs" : 2 , "max_tokens" : 2 } ' \
		'{"model":"sim-model","prompt":"Question: tab\there \"q\" \/ \\ x\nAnswer:","echo":true,"logprobs":3,"max_tokens":2}' \
		'{"prompt":"café 日本 😀","echo":true,"logprobs":1,"max_tokens":1}' \
		'{"prompt":"a\u00e9b","echo":true,"logprobs":1,"max_tokens":1}' \
		'{"prompt":[1,2],"prompt":"x","echo":true,"logprobs":1,"max_tokens":1}' \
		'{"pr\u006fmpt":[72,101],"echo":true,"logprobs":0,"max_tokens":1}' \
		'{"nested":{"prompt":[1]},"prompt":[72,73],"echo":true,"logprobs":1,"max_tokens":1}' \
		'{"prompt":[01,2]}' '{"prompt":[-1,2]}' '{"prompt":[1.0,2e0],"echo":true,"max_tokens":1}' \
		'{"prompt":[17891585]}' '{"prompt":[4294967368]}' '{"prompt":[]}' '{"prompt":""}' \
		'{"prompt":"raw	tab"}' "$(printf '{"prompt":"bad \377 utf8","echo":true}')" \
		'{"prompt":[72,101]],"echo":true}' '{"prompt":[72],"echo":tru}' '{"prompt":[72]}x' \
		'{"prompt":[72]} {}' '{"prompt":[72,]}' '{"prompt":"x",}' '{"prompt":"x\"}' \
		'{"model":"other","prompt":[72]}' '{"prompt":"x","add_special_tokens":false}' \
		'{"prompt":[[72],[73]],"echo":true,"logprobs":1,"max_tokens":1}' > bodies
	answers() {
		while IFS= read -r b; do
			for path in /v1/completions /tokenize; do
				post "$path" "$b" | sed -E 's/"created":[0-9]+/"created":0/'
				echo
			done
		done < bodies
	}
	start_sim
	answers > fast
	stop_sim
	VLLM_SIM_SCAN=0 start_sim
	answers > jq
	stop_sim
	run cmp fast jq
	assert_success
	# 27 bodies, 2 endpoints: 22 answers and 32 errors.
	# Each body's statuses, completions then /tokenize: /tokenize takes a
	# string only; libjq reads 01 as 1 and 1.0 as an integer, turns invalid
	# UTF-8 into U+FFFD and refuses a raw tab; the last "prompt" counts.
	assert_equal "$(grep -E '^[0-9]{3}$' fast | paste -sd' ')" "$(echo \
		200 400 200 400 200 200 200 200 200 200 200 200 200 400 200 400 200 400 400 400 \
		200 400 400 400 400 400 400 400 400 200 400 400 200 200 400 400 400 400 400 400 \
		400 400 400 400 400 400 400 400 404 404 200 200 200 400)"
}
