#!/usr/bin/env bats
# teams-card: the Adaptive Card 1.4 message, validated against the schema in
# tests/schemas (msteams removed; mentions checked by validate.py), and
# posting to a local stand-in for the Workflows webhook that answers as
# scripted (200, 202, 429 with Retry-After, 500, 400).

bats_require_minimum_version 1.5.0
load helper

SCHEMA="${VE_SCHEMAS:-$VE_ROOT/tests/schemas}/adaptive-card-1.4.schema.json"

setup() {
	setup_scratch
	TC="$FIX/teams-card"
	R="$FIX/reg-check"
	unset TEAMS_WEBHOOK_URL
	# verdict rows as reg-check writes them (2 regressions, 1 improvement)
	cat > verdicts.jsonl <<'J'
{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"window":5,"delta":-0.07,"delta_pct":-10.77,"direction":"higher","status":"regression","p_value":2.04368e-05,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}
{"metric":"perf.basic.ttft_ms.p95","value":109,"baseline":100,"window":5,"delta":9,"delta_pct":9,"direction":"lower","status":"ok","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}
{"metric":"gsm8k.exact_match","labels":{"subset":"main"},"value":0.45,"baseline":0.5,"window":5,"delta":-0.05,"delta_pct":-10,"direction":"higher","status":"regression","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}
{"metric":"hellaswag.acc","value":0.7,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"higher","status":"new","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}
J
}

teardown() {
	if [ -n "${SRV_PID:-}" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	fi
	return 0
}

# Starts the webhook stand-in answering SCRIPT; sets URL (with a secret token).
start_webhook() {
	mkdir -p srv
	PORT=$(ve_free_port)
	python3 "$TC/webhook.py" "$PORT" srv "$1" &
	SRV_PID=$!
	ve_wait_http "http://127.0.0.1:$PORT/ready" 10
	URL="http://127.0.0.1:$PORT/workflows/abc/triggers/manual/paths/invoke?sig=SECRET-TOKEN"
}

validate() {
	python3 "$TC/validate.py" "$SCHEMA" < "$1"
}

@test "teams-card: a regression card is a valid Adaptive Card 1.4 with the mention" {
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention LLM-Ops=llm-ops@example.com \
		--link Grafana=https://grafana.example.com/d/llm --link Argo=https://argo.example.com/wf/1 verdicts.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	echo "$output" > card.json
	run validate card.json
	assert_success
	assert_output "valid 1 $(wc -c < card.json)"
	run jq -c '.attachments[0].content | [.body[0].text, .body[0].color, .body[1].text, .body[2].text]' card.json
	assert_output '["release-2.0: 2 regressions","Attention","Run cur · 2026-11-22T10:31:07Z","<at>LLM-Ops</at> 2 metrics fell below the rolling baseline."]'
	run jq -c '.attachments[0].content.body[4].facts' card.json
	assert_output '[{"title":"mmlu.acc","value":"0.58 (baseline 0.65, ▼ 10.8 %) regression"},{"title":"perf.basic.ttft_ms.p95","value":"109 (baseline 100, ▲ 9 %)"},{"title":"gsm8k.exact_match [main]","value":"0.45 (baseline 0.5, ▼ 10 %) regression"},{"title":"hellaswag.acc","value":"0.7 new"}]'
	run jq -c '.attachments[0].content.body[5].items[1].facts' card.json
	assert_output '[{"title":"mmlu.acc","value":"0.58 against 0.65 (-10.8 %), p = 2e-05"},{"title":"gsm8k.exact_match [main]","value":"0.45 against 0.5 (-10 %)"}]'
	run jq -c '.attachments[0].content | [.msteams, .actions]' card.json
	assert_output '[{"width":"Full","entities":[{"type":"mention","text":"<at>LLM-Ops</at>","mentioned":{"id":"llm-ops@example.com","name":"LLM-Ops"}}]},[{"type":"Action.OpenUrl","title":"Grafana","url":"https://grafana.example.com/d/llm"},{"type":"Action.OpenUrl","title":"Argo","url":"https://argo.example.com/wf/1"}]]'
}

@test "teams-card: no regression, no mention; the title says passed" {
	grep -v regression verdicts.jsonl > ok.jsonl
	run --separate-stderr teams-card --mention LLM-Ops=llm-ops@example.com --model-tag release-9 --run-id r9 --time T ok.jsonl
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_output --partial "valid 0 "
	run jq -c '.attachments[0].content | [.body[0].text, .body[0].color, .body[1].text, .msteams, (.body | length)]' card.json
	assert_output '["release-9: passed","Good","Run r9 · T",{"width":"Full"},4]'
}

@test "teams-card: plain metric rows, and the rows' ts as the time" {
	run --separate-stderr teams-card "$R/current.jsonl"
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -c '.attachments[0].content | [.body[0].text, .body[1].text, .body[3].facts[0], .body[3].facts[1]]' card.json
	assert_output '["release-2.0: passed","Run cur · 2026-11-07T10:00:00Z",{"title":"mmlu.acc","value":"0.58"},{"title":"perf.basic.ttft_ms.p95","value":"109"}]'
}

@test "teams-card: --max-facts summarises the rest as \"and N more\"" {
	run --separate-stderr teams-card --max-facts 1 --time T verdicts.jsonl
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -c '.attachments[0].content.body | [.[3].facts, .[4].items[1].facts]' card.json
	assert_output '[[{"title":"mmlu.acc","value":"0.58 (baseline 0.65, ▼ 10.8 %) regression"},{"title":"…","value":"and 3 more"}],[{"title":"mmlu.acc","value":"0.58 against 0.65 (-10.8 %), p = 2e-05"},{"title":"…","value":"and 1 more"}]]'
}

@test "teams-card: a large report stays under 20 KB" {
	# 400 regressions with 60-byte names: listing them all would be ~60 KB
	python3 -c '
import json
for i in range(400):
    print(json.dumps({"metric":"task%03d.a_rather_long_metric_name_for_the_size_test"%i,"value":0.5,"baseline":0.7,"delta_pct":-28.57,"status":"regression","model_tag":"m","run_id":"r"}))' > big.jsonl
	run --separate-stderr teams-card --max-facts 400 --time T big.jsonl
	assert_success
	[[ "$stderr" =~ ^"teams-card: listed "([0-9]+)" of 400 metrics to stay under 20000 bytes"$ ]]
	n=${BASH_REMATCH[1]}
	echo "$output" > card.json
	# the most that fit: n metrics (and n regressions) fit, n + 1 do not
	[ "$(wc -c < card.json)" -le 20001 ]
	[ "$(teams-card --max-facts $n --time T big.jsonl | wc -c)" -le 20001 ]
	[ "$(teams-card --max-bytes 1000000 --max-facts $((n + 1)) --time T big.jsonl | wc -c)" -gt 20001 ]
	run validate card.json
	assert_success
	run jq -r '.attachments[0].content.body[3].facts[-1].value' card.json
	assert_output "and $((400 - n)) more"
}

@test "teams-card: empty input gives a card that says so" {
	run --separate-stderr teams-card --model-tag m --run-id r --time T < /dev/null
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -c '.attachments[0].content.body | map(.text)' card.json
	assert_output '["m: no metrics reported","Run r · T"]'
}

@test "teams-card: the validator rejects what is not Adaptive Card 1.4" {
	teams-card --time T verdicts.jsonl | jq -c '.attachments[0].content.body[0].color = "Red"' > bad.json
	run validate bad.json
	assert_failure
	teams-card --time T verdicts.jsonl | jq -c '.attachments[0].content.version = "1.5"' > bad.json
	run validate bad.json
	assert_failure
}

@test "teams-card: --post sends the printed message; 202 is success" {
	start_webhook 202
	teams-card --print --time T --mention Ops=ops@example.com verdicts.jsonl > printed.json
	run --separate-stderr teams-card --post "$URL" --time T --mention Ops=ops@example.com verdicts.jsonl
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	assert_equal "$(cat srv/body.0)" "$(cat printed.json)"
	run grep -i '^content-type:' srv/head.0
	assert_output "Content-Type: application/json"
	run cut -d' ' -f1,2 srv/log
	assert_output "0 202"
}

@test "teams-card: TEAMS_WEBHOOK_URL posts; 200 is success; --print overrides it" {
	start_webhook 200
	TEAMS_WEBHOOK_URL=$URL run --separate-stderr teams-card -v verdicts.jsonl
	assert_success
	assert_output ""
	assert_equal "$stderr" "teams-card: webhook: HTTP 200 after 1 attempt ($(wc -c < srv/body.0) bytes)"
	TEAMS_WEBHOOK_URL=$URL run --separate-stderr teams-card --print verdicts.jsonl
	assert_success
	assert_output --partial '"type":"message"'
	[ ! -e srv/body.1 ]
}

@test "teams-card: 429 with Retry-After is honoured, then 200" {
	start_webhook 429:1,200
	run --separate-stderr teams-card -v --backoff 0.01 --post "$URL" verdicts.jsonl
	assert_success
	assert_equal "$stderr" "teams-card: webhook: HTTP 429 (attempt 1 of 5); retrying in 1 s
teams-card: webhook: HTTP 200 after 2 attempts ($(wc -c < srv/body.0) bytes)"
	# the second request came at least the 1 s Retry-After after the first
	run awk 'NR==1{a=$3} NR==2{print ($3-a >= 0.95) ? "waited" : "too soon"}' srv/log
	assert_output waited
}

@test "teams-card: 5xx is retried with backoff, then exit 69 without the URL" {
	start_webhook 500
	run --separate-stderr teams-card -v --attempts 3 --backoff 0.05 --post "$URL" verdicts.jsonl
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "teams-card: webhook: HTTP 500 (attempt 1 of 3); retrying in 0.05 s
teams-card: webhook: HTTP 500 (attempt 2 of 3); retrying in 0.1 s
teams-card: webhook: HTTP 500 after 3 attempts: scripted failure 500"
	refute_output --partial SECRET
	[[ "$stderr" != *SECRET* && "$stderr" != *127.0.0.1* ]]
	run wc -l < srv/log
	assert_output 3
}

@test "teams-card: a 400 is not retried" {
	start_webhook 400
	run --separate-stderr teams-card --post "$URL" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "teams-card: webhook: HTTP 400 after 1 attempt: scripted failure 400"
}

@test "teams-card: no server is exit 69 after the retries" {
	port=$(ve_free_port)
	run --separate-stderr teams-card --attempts 2 --backoff 0.01 --post "http://127.0.0.1:$port/x?sig=SECRET" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "teams-card: webhook: Couldn't connect to server after 2 attempts"
}

@test "teams-card: usage errors" {
	run --separate-stderr teams-card --mention nobody
	assert_failure 64
	assert_equal "$stderr" "teams-card: --mention: expected NAME=VALUE, got 'nobody'
Try 'teams-card --help' for more information."
	run --separate-stderr teams-card --link Grafana=ftp://x
	assert_failure 64
	assert_equal "$stderr" "teams-card: --link: Grafana: the URL must start with http:// or https://
Try 'teams-card --help' for more information."
	run --separate-stderr teams-card --post http://x --print
	assert_failure 64
	assert_equal "$stderr" "teams-card: --post and --print cannot be used together
Try 'teams-card --help' for more information."
	run --separate-stderr teams-card --max-facts x
	assert_failure 64
	assert_equal "$stderr" "teams-card: --max-facts: expected an integer from 0 to 1000, got 'x'
Try 'teams-card --help' for more information."
	run --separate-stderr teams-card --bogus
	assert_failure 64
	assert_output ""
}

@test "teams-card: --help and --version" {
	run --separate-stderr teams-card -h
	assert_success
	assert_line --index 0 "usage: teams-card [-qv] [--model-tag TAG] [--run-id ID] [--time TS]"
	run --separate-stderr teams-card --version
	assert_success
	assert_output --regexp '^teams-card [0-9.]+ \(vllm-eval\)$'
}

@test "teams-card: bad records stop with 65; --skip-bad counts them" {
	printf '{"metric":"a","value":1}\n{"metric":\n' > bad.jsonl
	run --separate-stderr teams-card bad.jsonl
	assert_failure 65
	assert_output ""
	[[ "$stderr" == "teams-card: bad.jsonl:2: invalid JSON"* ]]
	printf '{"metric":"\xc3","value":1}\n' > bad.jsonl
	run --separate-stderr teams-card bad.jsonl
	assert_failure 65
	[[ "$stderr" == "teams-card: bad.jsonl:1: invalid UTF-8"* ]]
	printf '{"metric":"a"}' > bad.jsonl
	run --separate-stderr teams-card bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'teams-card: bad.jsonl:1: row without a number "value"'
	run --separate-stderr teams-card --skip-bad --time T bad.jsonl verdicts.jsonl
	assert_success
	assert_output --partial '"release-2.0: 2 regressions"'
	[[ "$stderr" == *"1 "* ]]
}

@test "teams-card: > /dev/full is a write error, 74" {
	run --separate-stderr sh -c 'teams-card verdicts.jsonl > /dev/full'
	assert_failure 74
	[[ "$stderr" == "teams-card: write error: "* ]]
}

@test "teams-card: text is JSON-escaped; a card that cannot fit is exit 65" {
	run --separate-stderr teams-card --time T --model-tag 'rel "x" \ <b>' --link 'Say "hi"=https://e.example/?a=1&b="2"' --mention 'Ops "A"=a@example.com' verdicts.jsonl
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -c '.attachments[0].content | [.body[0].text, .actions[0], .msteams.entities[0].text]' card.json
	assert_output '["rel \"x\" \\ <b>: 2 regressions",{"type":"Action.OpenUrl","title":"Say \"hi\"","url":"https://e.example/?a=1&b=\"2\""},"<at>Ops \"A\"</at>"]'
	tag=$(printf 'x%.0s' $(seq 2100))
	run --separate-stderr teams-card --max-bytes 2000 --model-tag "$tag" verdicts.jsonl
	assert_failure 65
	assert_output ""
	[[ "$stderr" =~ ^"teams-card: the card is "[0-9]+" bytes even without metrics (--max-bytes 2000)"$ ]]
}
