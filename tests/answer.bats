#!/usr/bin/env bats
# lib/answer.c and lib/scan.c: llm-query reads answers with a scanner and
# hands libjq what the scanner cannot prove it reads as libjq does. The
# driver answer-check (tests/fuzz/answer-check.c) reads each text both ways
# and prints what it read once when they agree (else both, exit 1).
#
# The fixtures in answers/ are vllm-sim's own answers (an echo+logprobs
# answer, a completion with logprobs, a chat answer, two streams, /tokenize),
# but echo-long.json, written for walks into arrays longer than 32.
# The echo answer's loglikelihoods were summed by hand from its JSON: tokens
# 5 and 6 (" Fr" -1.17510213, "anc" -0.332858112) are -1.507960242, and " Fr"
# is its top-1 but "anc" is not (" so" -0.0998574335 is); by text_offset,
# "The capital of France is" is 24 code points, so tokens 9 and 10 to the
# prompt's 11 (" Pa" -0.562020972, "ris" -0.0558832768): -0.6179042488, both top-1.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
}

teardown() {
	if [ -n "${SRV_PID:-}" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
}

# Runs answer-check OPTIONS... on the text $1 (printf's format: \xff is a byte).
check_text() {
	local text=$1
	shift
	printf "$text" > a.json
	run --separate-stderr answer-check "$@" a.json
}

@test "answer: vllm-sim's echo+logprobs answer, scored by token counts and by text_offset" {
	run --separate-stderr answer-check --tokens-span 5,7 --chars-span 24 "$FIX/answers/echo.json"
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 1 'score "loglikelihood":{"sum":-1.507960242,"n_tokens":2,"greedy":false,"method":"tokens"}'
	assert_line --index 2 'score "loglikelihood":{"sum":-0.6179042488,"n_tokens":2,"greedy":true,"method":"text_offset"}'
	assert_line --index 0 --partial 'take=1 text="The capital of France is Paris is" reasoning=0:"" finish="length" usage={"prompt_tokens":11,"total_tokens":12,"completion_tokens":1,"prompt_tokens_details":null} logprobs={"text_offset":[0,3,6,9,11,14,17,20,21,24,27,30],'
}

@test "answer: vllm-sim's completion, chat answer, streams and /tokenize read the same both ways" {
	run --separate-stderr answer-check "$FIX/answers/completion.json"
	assert_success
	assert_output --partial 'take=1 text=" be my we me no" reasoning=0:"" finish="length" usage={"prompt_tokens":9,"total_tokens":14,"completion_tokens":5,"prompt_tokens_details":null} logprobs={"text_offset":[0,3,6,9,12],'
	run --separate-stderr answer-check --chat "$FIX/answers/chat.json"
	assert_success
	assert_output 'take=1 text=" by up if a" reasoning=0:"" finish="length" usage={"prompt_tokens":32,"total_tokens":36,"completion_tokens":4,"prompt_tokens_details":null} logprobs=null'
	run --separate-stderr answer-check --events "$FIX/answers/stream.events"
	assert_success
	assert_output 'takes=11110 text=" go as or so" reasoning=0:"" finish="length" usage={"prompt_tokens":1,"total_tokens":5,"completion_tokens":4} logprobs={"text_offset":[0,3,6,9],"token_logprobs":[-0.425248841,-1.02737936,-0.39122841,-0.0151230584],"tokens":[" go"," as"," or"," so"],"top_logprobs":[{" go":-0.425248841},{" as":-1.02737936},{" or":-0.39122841},{" so":-0.0151230584}]}'
	run --separate-stderr answer-check --chat --events "$FIX/answers/chat-stream.events"
	assert_success
	assert_output 'takes=111110 text=" by up if a" reasoning=0:"" finish="length" usage={"prompt_tokens":32,"total_tokens":36,"completion_tokens":4} logprobs=null'
	run --separate-stderr answer-check --tokens "$FIX/answers/tokenize.json"
	assert_success
	assert_equal "$stderr" ""
	assert_output 'parsed=1 n=9 tokens=[5597541,2188385,7432820,25196,2191462,2180978,6451043,101,2189939]'
}

@test "answer: /tokenize ids go back as text when all are plain integers, else as libjq writes them" {
	# Expected arrays as jq 1.6 prints .tokens of each text (jq -c .tokens).
	check_text '{"tokens":[1, 2 ,3]}' --tokens
	assert_success
	assert_output 'parsed=1 n=3 tokens=[1,2,3]'
	check_text '{"tokens":[]}' --tokens --drop-twin
	assert_output 'parsed=1 n=0 tokens=[]'
	check_text '{"tokens":[-0,1e2,1.0,999999999999999,-999999999999999,1000000000000000,123456789012345678901,-5,0.5,10]}' --tokens
	assert_success
	assert_equal "$stderr" ""
	assert_output 'parsed=1 n=10 tokens=[-0,100,1,999999999999999,-999999999999999,1000000000000000,123456789012345680000,-5,0.5,10]'
	check_text '{"tokens":[1,2],"tokens":[3]}' --tokens
	assert_output 'parsed=1 n=1 tokens=[3]'
	check_text '{"tokens":[01]}' --tokens
	assert_output 'parsed=1 n=1 tokens=[1]'
}

@test "answer: ids of digits and commas alone are copied eight bytes at a time, runs of 16 digits or more left to libjq" {
	# Expected arrays as jq 1.6 prints .tokens of each text (jq -c .tokens):
	# runs of 15 digits and less across eight-byte words come back as they
	# are, while 17 digits are rounded as a double, wherever the run falls.
	check_text '{"tokens":[1234567,123456789012345,12345678,1,23456789012345,6]}' --tokens
	assert_success
	assert_equal "$stderr" ""
	assert_output 'parsed=1 n=6 tokens=[1234567,123456789012345,12345678,1,23456789012345,6]'
	check_text '{"tokens":[0,10,200,3000,40000,500000,6000000,70000000,800000000,9000000000,100000000000]}' --tokens
	assert_output 'parsed=1 n=11 tokens=[0,10,200,3000,40000,500000,6000000,70000000,800000000,9000000000,100000000000]'
	check_text '{"tokens":[1,12345678901234567]}' --tokens
	assert_output 'parsed=1 n=2 tokens=[1,12345678901234568]'
	check_text '{"tokens":[1234567,12345678901234567,1]}' --tokens
	assert_output 'parsed=1 n=3 tokens=[1234567,12345678901234568,1]'
	check_text '{"tokens":[12345678901234567890,1,2,3,4,5,6,7]}' --tokens
	assert_output 'parsed=1 n=8 tokens=[12345678901234567000,1,2,3,4,5,6,7]'
	check_text '{"tokens":[123,4567,12345678901234567,89]}' --tokens
	assert_success
	assert_output 'parsed=1 n=4 tokens=[123,4567,12345678901234568,89]'
}

@test "answer: --drop-twin leaves out a first id equal to the second, by value as libjq compares" {
	check_text '{"tokens":[7,7,8]}' --tokens --drop-twin
	assert_success
	assert_equal "$stderr" ""
	assert_output 'parsed=1 n=2 tokens=[7,8]'
	check_text '{"tokens":[7,7,8]}' --tokens
	assert_output 'parsed=1 n=3 tokens=[7,7,8]'
	check_text '{"tokens":[7,7,7]}' --tokens --drop-twin
	assert_output 'parsed=1 n=2 tokens=[7,7]'
	check_text '{"tokens":[ 7 , 7 ]}' --tokens --drop-twin
	assert_output 'parsed=1 n=1 tokens=[7]'
	check_text '{"tokens":[7,-7,1.5]}' --tokens --drop-twin
	assert_output 'parsed=1 n=3 tokens=[7,-7,1.5]'
	check_text '{"tokens":[7,8]}' --tokens --drop-twin
	assert_output 'parsed=1 n=2 tokens=[7,8]'
	check_text '{"tokens":[7]}' --tokens --drop-twin
	assert_output 'parsed=1 n=1 tokens=[7]'
	check_text '{"tokens":[1e0,1,2]}' --tokens --drop-twin
	assert_output 'parsed=1 n=2 tokens=[1,2]'
	check_text '{"tokens":[-0,0,3]}' --tokens --drop-twin
	assert_output 'parsed=1 n=2 tokens=[0,3]'
}

@test "answer: /tokenize answers without an array of tokens, or cut short" {
	check_text '{"x":1}' --tokens
	assert_success
	assert_output 'parsed=1 n=-1 tokens=(none)'
	check_text '[1]' --tokens
	assert_output 'parsed=1 n=-1 tokens=(none)'
	check_text '{"tokens":"12"}' --tokens
	assert_output 'parsed=1 n=-1 tokens=(none)'
	check_text '{"tokens":[1,2' --tokens
	assert_success
	assert_output 'parsed=0 n=-1 tokens=(none)'
}

@test "answer: spans deep in long arrays, where walks start at marked elements, read as libjq does" {
	# echo-long.json: 100 prompt tokens t0..t99, token_logprobs[i] = -i (null
	# at 0), each top-1 its own token but at 70 ({"x":0,...}); written with a
	# space after each comma. Sums and greedy by jq over the fixture:
	# [.token_logprobs[A:B][]] | add, and whether each top_logprobs' max key is the token.
	run --separate-stderr answer-check --tokens-span 1,100 --tokens-span 31,33 \
		--tokens-span 32,64 --tokens-span 64,100 "$FIX/answers/echo-long.json"
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 1 'score "loglikelihood":{"sum":-4950,"n_tokens":99,"greedy":false,"method":"tokens"}'
	assert_line --index 2 'score "loglikelihood":{"sum":-63,"n_tokens":2,"greedy":true,"method":"tokens"}'
	assert_line --index 3 'score "loglikelihood":{"sum":-1520,"n_tokens":32,"greedy":true,"method":"tokens"}'
	assert_line --index 4 'score "loglikelihood":{"sum":-2934,"n_tokens":36,"greedy":false,"method":"tokens"}'
	run --separate-stderr answer-check --tokens-span 95,101 --tokens-span 100,100 \
		--chars-span 64 "$FIX/answers/echo-long.json"
	assert_success
	assert_line --index 1 'score error: the server ignored echo: 100 token logprobs for a prompt of 101 tokens'
	assert_line --index 2 'score error: the continuation has no tokens of its own'
	assert_line --index 3 'score "loglikelihood":{"sum":-2934,"n_tokens":36,"greedy":false,"method":"text_offset"}'
}

@test "answer: escaped keys and strings, \\u0000, and surrogate pairs decode as libjq does" {
	check_text '{"choices":[{"\\u0074ext":"a\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t\\u0000z","finish_reason":"st\\u006fp","logprobs":null}],"\\u0075sage":{"prompt_tokens":1}}'
	assert_success
	assert_output 'take=1 text="aé\n\"\\/\b\f\r\t\u0000z" reasoning=0:"" finish="stop" usage={"prompt_tokens":1} logprobs=null'
	check_text '{"choices":[{"text":"\\ud83d\\ude00 \\uD83D\\uDE00"}]}'
	assert_success
	assert_output 'take=1 text="😀 😀" reasoning=0:"" finish=null usage=null logprobs=(none)'
	# Walks find a string's end by its quotes: one after an escaped
	# backslash closes it, one after a backslash does not.
	check_text '{"choices":[{"x":"q\\\\","text":"\\\\\\"","y":"\\\\\\\\"}],"usage":{"prompt_tokens":2}}'
	assert_success
	assert_output 'take=1 text="\\\"" reasoning=0:"" finish=null usage={"prompt_tokens":2} logprobs=(none)'
}

@test "answer: a lone surrogate, invalid UTF-8, a leading zero: libjq decides, as before" {
	check_text '{"choices":[{"text":"\\ud83d x"}]}'
	assert_success
	assert_output 'take=2 text="" reasoning=0:"" finish=null usage=null logprobs=null'
	check_text '{"choices":[{"text":"\\ude00 x"}]}'
	assert_success
	assert_output 'take=1 text="� x" reasoning=0:"" finish=null usage=null logprobs=(none)'
	check_text '{"choices":[{"text":"bad \xff byte"}]}'
	assert_success
	assert_output 'take=1 text="bad � byte" reasoning=0:"" finish=null usage=null logprobs=(none)'
	check_text '{"choices":[{"text":01}]}'
	assert_success
	assert_output 'take=1 text="" reasoning=0:"" finish=null usage=null logprobs=(none)'
}

@test "answer: -0, 1e400, huge and tiny numbers keep libjq's values" {
	check_text '{"choices":[{"text":""}],"usage":{"prompt_tokens":-0,"completion_tokens":1e400,"x":-1e400,"y":123456789012345678901234567890,"z":0.1e-400}}'
	assert_success
	assert_output 'take=1 text="" reasoning=0:"" finish=null usage={"prompt_tokens":-0,"completion_tokens":1.7976931348623157e+308,"x":-1.7976931348623157e+308,"y":123456789012345680000000000000,"z":0} logprobs=(none)'
}

@test "answer: digit runs shorter, as long as and longer than 8 bytes, and what ends them" {
	# The check tests 8 digits at once: runs of every length, and the bytes
	# just outside '0'..'9' (':' and '/') right after a run of 8 or more.
	check_text '{"choices":[{"text":""}],"usage":{"a":12345678,"b":-0.123456789012345,"c":123456789,"d":1234567.5e+12345678,"e":-98765432109876543210,"f":0.00000000,"g":1E-0000000001}}'
	assert_success
	assert_output 'take=1 text="" reasoning=0:"" finish=null usage={"a":12345678,"b":-0.123456789012345,"c":123456789,"d":1.7976931348623157e+308,"e":-98765432109876540000,"f":0,"g":0.1} logprobs=(none)'
	check_text '{"choices":[{"text":""}],"usage":{"a":1234567890:1}}'
	assert_success
	assert_output 'take=2 text="" reasoning=0:"" finish=null usage=null logprobs=null'
	check_text '{"choices":[{"text":""}],"usage":{"a":123456789/1}}'
	assert_success
	assert_output 'take=2 text="" reasoning=0:"" finish=null usage=null logprobs=null'
	check_text '{"choices":[{"text":""}],"usage":{"a":-12345678e}}'
	assert_success
	assert_output 'take=2 text="" reasoning=0:"" finish=null usage=null logprobs=null'
	# libjq 1.6 reads a number without digits on one side of its point.
	check_text '{"choices":[{"text":""}],"usage":{"a":12345678.,"b":-.12345678}}'
	assert_success
	assert_output 'take=1 text="" reasoning=0:"" finish=null usage={"a":12345678,"b":-0.12345678} logprobs=(none)'
}

@test "answer: repeated keys take the last value at the first key's place" {
	check_text '{"choices":[{"text":"first"}],"choices":[{"text":"second","text":"third"}],"usage":{"prompt_tokens":1},"usage":{"completion_tokens":2,"completion_tokens":3}}'
	assert_success
	assert_output 'take=1 text="third" reasoning=0:"" finish=null usage={"completion_tokens":3} logprobs=(none)'
	check_text '{"choices":[{"text":"a","logprobs":{"tokens":["x","y","x"],"token_logprobs":[null,-1,-2],"top_logprobs":[null,{"y":-3,"q":-1,"y":-0.5},{"x":-2,"\\u0078":-9}],"text_offset":[0,1,2]}}],"usage":{"prompt_tokens":3}}' --tokens-span 1,3
	assert_success
	assert_line --index 1 'score "loglikelihood":{"sum":-3,"n_tokens":2,"greedy":true,"method":"tokens"}'
}

@test "answer: null logprobs are an error; NaN and the infinities are numbers, as libjq reads them" {
	check_text '{"choices":[{"text":"x","logprobs":{"tokens":["a","b","c"],"token_logprobs":[null,-1,null],"top_logprobs":[null,{"b":-1},{"c":-2}],"text_offset":[0,1,2]}}],"usage":{"prompt_tokens":3}}' --tokens-span 1,3
	assert_success
	assert_line --index 1 'score error: a continuation token has no logprob'
	check_text '{"choices":[{"text":"x","logprobs":{"tokens":["a","b","c","d"],"token_logprobs":[null,-Infinity,-0.5,NaN],"top_logprobs":[null,{"b":-Infinity},{"z":NaN,"c":-0.5},{"d":Infinity}],"text_offset":[0,1,2,3]}}],"usage":{"prompt_tokens":4}}' --tokens-span 1,3 --chars-span 1
	assert_success
	assert_line --index 0 'take=1 text="x" reasoning=0:"" finish=null usage={"prompt_tokens":4} logprobs={"tokens":["a","b","c","d"],"token_logprobs":[null,-1.7976931348623157e+308,-0.5,null],"top_logprobs":[null,{"b":-1.7976931348623157e+308},{"z":null,"c":-0.5},{"d":1.7976931348623157e+308}],"text_offset":[0,1,2,3]}'
	assert_line --index 1 'score "loglikelihood":{"sum":-inf,"n_tokens":2,"greedy":false,"method":"tokens"}'
	assert_line --index 2 'score "loglikelihood":{"sum":nan,"n_tokens":3,"greedy":false,"method":"text_offset"}'
}

@test "answer: white space everywhere, nested unknown keys, the choice of index 0" {
	check_text ' \n\t{ "choices" : [ { "index" : 0 , "text" : "w" , "logprobs" : { "tokens" : [ "a" , "b" ] , "token_logprobs" : [ null , -1.5 ] , "top_logprobs" : [ null , { "b" : -1.5 } ] , "text_offset" : [ 0 , 1 ] } } ] , "usage" : { "prompt_tokens" : 2 } } \r\n' --chars-span 1
	assert_success
	assert_output 'take=1 text="w" reasoning=0:"" finish=null usage={"prompt_tokens":2} logprobs={"tokens":["a","b"],"token_logprobs":[null,-1.5],"top_logprobs":[null,{"b":-1.5}],"text_offset":[0,1]}
score "loglikelihood":{"sum":-1.5,"n_tokens":1,"greedy":true,"method":"text_offset"}'
	check_text '{"x":{"choices":[{"text":"no"}],"y":[[[{"usage":1}]]]},"choices":[{"meta":{"text":"no"},"text":"yes","finish_reason":"stop"}],"usage":{"prompt_tokens":1,"nested":{"a":[1,{"b":null}]}}}'
	assert_success
	assert_output 'take=1 text="yes" reasoning=0:"" finish="stop" usage={"prompt_tokens":1,"nested":{"a":[1,{"b":null}]}} logprobs=(none)'
	check_text '{"choices":[{"index":1,"text":"other"},{"index":0.0,"text":"mine"},{"text":"third"}]}'
	assert_success
	assert_output 'take=1 text="mine" reasoning=0:"" finish=null usage=null logprobs=(none)'
}

@test "answer: cut short, trailing bytes, no object, no choice of the prompt's" {
	for t in '{"choices":[{"text":"cut short' '{"choices":[{"text":"a"}]} x' '[{"choices":[]}]'; do
		check_text "$t"
		assert_success
		assert_output 'take=2 text="" reasoning=0:"" finish=null usage=null logprobs=null'
	done
	check_text '{"choices":[{"index":3}]}'
	assert_success
	assert_output 'take=3 text="" reasoning=0:"" finish=null usage=null logprobs=null'
	check_text '{"error":{"message":"boom"}}\n{"choices":[{"text":"late"}]}' --events
	assert_success
	assert_output 'takes=4 text="" reasoning=0:"" finish=null usage=null logprobs=null'
}

@test "answer: llm-query writes the same records with LLM_QUERY_SCAN=0 (libjq alone)" {
	skip_under_valgrind "two runs of 40 requests through two programs under memcheck"
	vllm-sim -q -p 0 --port-file simport --ttft-ms 0 --itl-ms 0 > sim.out 2> sim.err &
	SRV_PID=$!
	local n=200
	while [ ! -s simport ] && [ "$n" -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	URL="http://127.0.0.1:$(cat simport)"
	for i in 0 1 2 3 4 5 6 7 8 9; do
		echo "{\"id\":$i,\"context\":\"Question $i: what is $i + $i?\\nAnswer:\",\"continuation\":\" $((i + i))\",\"prompt\":\"Say é $i\"}"
	done > in.jsonl
	for scan in 1 0; do
		LLM_QUERY_SCAN=$scan llm-query -e "$URL" --loglikelihood --ordered in.jsonl > ll$scan.jsonl
		LLM_QUERY_SCAN=$scan llm-query -e "$URL" -m sim-model -p .prompt --logprobs 2 --max-tokens 3 --seed 1 --ordered in.jsonl > gen$scan.jsonl
		LLM_QUERY_SCAN=$scan llm-query -e "$URL/v1/chat/completions" -m sim-model --messages '[{role:"user",content:.prompt}]' --max-tokens 3 --seed 1 --stream --ordered in.jsonl > chat$scan.jsonl
	done
	for f in ll gen chat; do
		run sh -c "jq -c 'del(.timing)' ${f}1.jsonl > a; jq -c 'del(.timing)' ${f}0.jsonl > b; cmp a b && wc -l < a && jq -r '.response | keys | join(\",\")' a | sort -u"
		assert_success
		assert_line --index 0 10
	done
	run jq -r '.response.loglikelihood.method' ll1.jsonl
	assert_output "$(printf 'tokens\n%.0s' 1 2 3 4 5 6 7 8 9 10)"
}
