#!/usr/bin/env bats
# llm-query with several replicas (llm-query(1), REPLICAS): routing by
# requests in flight, a replica taken out when it dies or refuses, its
# requests redone on the others, each record naming its replica, and
# lat-stats --by .replica.
#
# The servers are vllm-sim instances on 127.0.0.1 with different speeds;
# what each record says is checked with jq against the input, never
# against llm-query's own code.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	unset MODEL_ENDPOINT OPENAI_API_KEY VLLM_API_KEY
	SIMS=()
}

teardown() {
	local p
	for p in "${SIMS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# start_sim NAME TTFT_MS ITL_MS [-p PORT]: a vllm-sim (on a port of its
# choosing unless given); sets NAME_PID and NAME_URL.
start_sim() {
	vllm-sim -q -p 0 --port-file "$1.port" --ttft-ms "$2" --itl-ms "$3" "${@:4}" >/dev/null 2>"$1.err" &
	SIMS+=($!)
	printf -v "$1_PID" %s $!
	local n=100
	while [ ! -s "$1.port" ] && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	printf -v "$1_URL" %s "http://127.0.0.1:$(cat "$1.port")"
}

# n query records {"id":I,"prompt":"hello I"} for I in 0..n-1.
records() {
	python3 -c 'import json,sys
for i in range(int(sys.argv[1])): print(json.dumps({"id": i, "prompt": "hello %d" % i}))' "$1"
}

# How many records of FILE a replica served.
served() {
	jq -r --arg u "$2" 'select(.replica == $u) | .id' "$1" | wc -l
}

@test "llm-query replicas: one killed mid-run: every id once, load by speed, its requests redone" {
	start_sim fast 2 1
	start_sim doomed 4 3
	start_sim slow 10 8
	records 300 >in.jsonl
	llm-query -e "$fast_URL" -e "$doomed_URL" -e "$slow_URL" -m sim-model --stream \
		--max-tokens 8 -c 6 --backoff 0.01 -o out.jsonl in.jsonl 2>lq.err &
	lq=$!
	# Killed once a fifth of the answers are out, with requests in flight on
	# it (waiting 30 s at most: the valgrind tier is slow).
	n=3000
	while [ "$(cat out.jsonl 2>/dev/null | wc -l)" -lt 60 ] && [ "$n" -gt 0 ]; do
		sleep 0.01
		n=$((n - 1))
	done
	kill -9 "$doomed_PID"
	rc=0
	wait "$lq" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat lq.err)" "llm-query: $doomed_URL: out of service for 1s after 3 failed tries in a row"
	# Every id exactly once, every one answered.
	assert_equal "$(jq -c -s 'map(.id) | sort == [range(300)]' out.jsonl)" true
	assert_equal "$(jq -c 'select(.response.status != 200)' out.jsonl)" ""
	# The dead one served some before it died; the fast one more than the slow one.
	f=$(served out.jsonl "$fast_URL") d=$(served out.jsonl "$doomed_URL") s=$(served out.jsonl "$slow_URL")
	assert_equal "$((f + d + s))" 300
	[ "$d" -gt 0 ]
	[ "$f" -gt "$s" ]
	# Its unanswered requests were redone on the others: tries past the first,
	# the sims failing nothing else, all answered elsewhere.
	retried=$(jq -r 'select(.timing.attempts > 1) | .replica' out.jsonl)
	[ -n "$retried" ]
	assert_equal "$(grep -c -F -x "$doomed_URL" <<<"$retried")" 0
}

@test "llm-query replicas: a replica refusing from the start is taken out, the others answer all" {
	start_sim live 0 0
	dead="http://127.0.0.1:$(ve_free_port)"
	records 40 >in.jsonl
	run --separate-stderr llm-query -e "$dead" -e "$live_URL" -m sim-model --max-tokens 2 \
		-c 4 --backoff 0.01 in.jsonl
	assert_success
	assert_equal "$stderr" "llm-query: $dead: out of service for 1s after 3 failed tries in a row"
	assert_equal "$(jq -c -s 'map(.id) | sort == [range(40)]' <<<"$output")" true
	assert_equal "$(jq -r .replica <<<"$output" | sort -u)" "$live_URL"
	# A refused try costs the record one of its retries, never more.
	assert_equal "$(jq -r .timing.attempts <<<"$output" | sort -u | tr '\n' ' ')" "1 2 "
}

@test "llm-query replicas: every replica refusing is exit 69, as with one" {
	d1="http://127.0.0.1:$(ve_free_port)"
	d2="http://127.0.0.1:$(ve_free_port)"
	records 8 >in.jsonl
	run --separate-stderr llm-query -e "$d1" -e "$d2" -m M --retries 1 --backoff 0.01 -c 8 in.jsonl
	assert_failure 69
	assert_equal "$(jq -c -s 'map(.id) | sort == [range(8)]' <<<"$output")" true
	assert_equal "$(jq -r '.error.kind + " " + (.error.attempts | tostring)' <<<"$output" | sort -u)" "connect 2"
	# 16 refused tries, 8 on each: both taken out, and the run's failure said.
	want="llm-query: $d1: out of service for 1s after 3 failed tries in a row
llm-query: $d2: out of service for 1s after 3 failed tries in a row
llm-query: 8 of 8 requests failed (over --max-failures 0%)"
	assert_equal "$(LC_ALL=C sort <<<"$stderr")" "$(LC_ALL=C sort <<<"$want")"
}

@test "llm-query replicas: MODEL_ENDPOINT with commas; credentials stay out of records and stderr" {
	start_sim a 0 0
	start_sim b 0 0
	records 20 >in.jsonl
	secret_url="http://user:sekretpassword@${a_URL#http://}"
	MODEL_ENDPOINT="$secret_url,$b_URL" run --separate-stderr llm-query --max-tokens 2 -c 4 -v in.jsonl
	assert_success
	assert_equal "$stderr" "llm-query: 20 records: 20 answered, 0 failed"
	assert_equal "$(jq -r .replica <<<"$output" | LC_ALL=C sort -u)" "$(printf '%s\n' "$b_URL" "http://***@${a_URL#http://}" | LC_ALL=C sort)"
	refute_output --partial sekretpassword
	# One endpoint: no replica field, the output as it always was.
	run --separate-stderr llm-query -e "$a_URL" --max-tokens 2 in.jsonl
	assert_success
	refute_output --partial '"replica"'
}

@test "llm-query replicas: a bad URL in the list is a usage error that names it" {
	run --separate-stderr llm-query -e http://127.0.0.1:1 -e ftp://u:pw@host/x </dev/null
	assert_failure 64
	assert_equal "$stderr" "llm-query: --endpoint: expected an http:// or https:// URL, got 'ftp://***@host/x'
Try 'llm-query --help' for more information."
	MODEL_ENDPOINT="http://127.0.0.1:1,,http://127.0.0.1:2" run --separate-stderr llm-query </dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --endpoint: expected an http:// or https:// URL, got ''"
	run --separate-stderr llm-query -e http://h:1 -e http://h:2/v1/chat/completions </dev/null
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "llm-query: --endpoint: the replicas' URLs name different APIs (give each as the server root)"
}

@test "llm-query replicas: a fleet shares its cache whatever the order of -e" {
	start_sim a 0 0
	start_sim b 0 0
	records 10 >in.jsonl
	run --separate-stderr llm-query -e "$a_URL" -e "$b_URL" -m sim-model --max-tokens 2 --cache c --ordered in.jsonl
	assert_success
	jq -c '.response' <<<"$output" >first.jsonl
	run --separate-stderr llm-query -e "$b_URL" -e "$a_URL" -m sim-model --max-tokens 2 --cache c --ordered in.jsonl
	assert_success
	assert_equal "$stderr" ""
	# Answered from the cache: no replica served them, so none is named.
	assert_equal "$(jq -c '.timing' <<<"$output" | sort -u)" '{"cached":true,"attempts":0}'
	refute_output --partial '"replica"'
	assert_equal "$(jq -c '.response' <<<"$output")" "$(cat first.jsonl)"
}

@test "llm-query replicas: loglikelihood records score the same on a fleet as on one server" {
	start_sim a 0 0
	start_sim b 0 0
	python3 -c 'import json
for i in range(12): print(json.dumps({"id": i, "context": "Question %d: 2+2 =" % i, "continuation": " 4"}))' >ll.jsonl
	run --separate-stderr llm-query -e "$a_URL" -m sim-model --loglikelihood --ordered ll.jsonl
	assert_success
	jq -c '[.id, .response]' <<<"$output" >one.jsonl
	run --separate-stderr llm-query -e "$a_URL" -e "$b_URL" -m sim-model --loglikelihood --ordered -c 4 ll.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.id, .response]' <<<"$output")" "$(cat one.jsonl)"
	assert_equal "$(jq -r .replica <<<"$output" | sort -u | wc -l)" 2
}

@test "llm-query replicas: lat-stats --by .replica shows each replica's figures" {
	start_sim fast 1 1
	start_sim slow 12 4
	records 40 >in.jsonl
	llm-query -e "$fast_URL" -e "$slow_URL" -m sim-model --stream --max-tokens 4 -c 4 in.jsonl >out.jsonl
	run --separate-stderr lat-stats -f vllm-json --by .replica out.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	# Each group's count and mean TTFT as jq computes them from the records.
	for u in "$fast_URL" "$slow_URL"; do
		got=$(jq -c --arg u "$u" 'select(.labels.replica == $u) | [.completed, .mean_ttft_ms]' <<<"$output")
		want=$(jq -c -s --arg u "$u" 'map(select(.replica == $u) | .timing.ttft_ms) | [length, add / length]' out.jsonl)
		assert_equal "$(jq -n --argjson g "$got" --argjson w "$want" '$g[0] == $w[0] and (($g[1] - $w[1]) | fabs) < 1e-9')" true
	done
	# The slow one shows: its mean TTFT is the larger.
	fast_ttft=$(jq --arg u "$fast_URL" 'select(.labels.replica == $u) | .mean_ttft_ms' <<<"$output")
	slow_ttft=$(jq --arg u "$slow_URL" 'select(.labels.replica == $u) | .mean_ttft_ms' <<<"$output")
	assert_equal "$(jq -n "$slow_ttft > $fast_ttft")" true
}

@test "llm-query replicas: a replica out of service is probed and comes back" {
	skip_under_valgrind "the replica must listen within its first second out: the plain and ASan tiers run it"
	start_sim live 0 0
	port=$(ve_free_port)
	records 60 >in.jsonl
	# 60 requests over 3 s: refused at first, the replica is out for 1 s;
	# it listens from 0.3 s on, so the probe after that second finds it.
	llm-query -v -e "http://127.0.0.1:$port" -e "$live_URL" -m sim-model --max-tokens 2 \
		--rate 20 --backoff 0.01 in.jsonl >out.jsonl 2>lq.err &
	lq=$!
	sleep 0.3
	start_sim back 0 0 -p "$port"
	rc=0
	wait "$lq" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(cat lq.err)" "llm-query: http://127.0.0.1:$port: out of service for 1s after 3 failed tries in a row
llm-query: http://127.0.0.1:$port: back in service
llm-query: 60 records: 60 answered, 0 failed"
	assert_equal "$(jq -c -s 'map(.id) | sort == [range(60)]' out.jsonl)" true
	# Back, it serves again.
	[ "$(served out.jsonl "http://127.0.0.1:$port")" -gt 0 ]
}
