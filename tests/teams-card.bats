#!/usr/bin/env bats
# teams-card: the Adaptive Card 1.4 message, validated against the schema in
# tests/schemas (msteams removed; mentions checked by validate.py), and
# posting to a local stand-in for the Workflows webhook that answers as
# scripted (200, 202, 408, 429 with Retry-After, 500, 400, echoed tokens).

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

# Starts the webhook stand-in answering SCRIPT (and echoing with "echo");
# sets URL (with a secret token).
start_webhook() {
	mkdir -p srv
	PORT=$(ve_free_port)
	python3 "$TC/webhook.py" "$PORT" srv "$@" &
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
	assert_output '[{"title":"mmlu.acc","value":"0.58 (baseline 0.65, ▼ 10.8 %) regression"},{"title":"perf.basic.ttft\\_ms.p95","value":"109 (baseline 100, ▲ 9 %)"},{"title":"gsm8k.exact\\_match \\[main]","value":"0.45 (baseline 0.5, ▼ 10 %) regression"},{"title":"hellaswag.acc","value":"0.7 new"}]'
	run jq -c '.attachments[0].content.body[5].items[1].facts' card.json
	assert_output '[{"title":"mmlu.acc","value":"0.58 against 0.65 (-10.8 %), p = 2e-05"},{"title":"gsm8k.exact\\_match \\[main]","value":"0.45 against 0.5 (-10 %)"}]'
	run jq -c '.attachments[0].content | [.msteams, .actions]' card.json
	assert_output '[{"width":"Full","entities":[{"type":"mention","text":"<at>LLM-Ops</at>","mentioned":{"id":"llm-ops@example.com","name":"LLM-Ops"}}]},[{"type":"Action.OpenUrl","title":"Grafana","url":"https://grafana.example.com/d/llm"},{"type":"Action.OpenUrl","title":"Argo","url":"https://argo.example.com/wf/1"}]]'
}

@test "teams-card: no regression, no mention; the title says passed" {
	grep -v regression verdicts.jsonl > ok.jsonl
	run --separate-stderr teams-card --mention LLM-Ops=llm-ops@example.com --model-tag release-9 --run-id r9 --time 2026-11-22T10:31:07Z ok.jsonl
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_output --partial "valid 0 "
	run jq -c '.attachments[0].content | [.body[0].text, .body[0].color, .body[1].text, .msteams, (.body | length)]' card.json
	assert_output '["release-9: passed","Good","Run r9 · 2026-11-22T10:31:07Z",{"width":"Full"},4]'
}

@test "teams-card: plain metric rows, and the rows' ts as the time" {
	run --separate-stderr teams-card "$R/current.jsonl"
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -c '.attachments[0].content | [.body[0].text, .body[1].text, .body[3].facts[0], .body[3].facts[1]]' card.json
	assert_output '["release-2.0: passed","Run cur · 2026-11-07T10:00:00Z",{"title":"mmlu.acc","value":"0.58"},{"title":"perf.basic.ttft\\_ms.p95","value":"109"}]'
}

@test "teams-card: --max-facts summarises the rest as \"and N more\"" {
	run --separate-stderr teams-card --max-facts 1 --time 2026-11-22T10:31:07Z verdicts.jsonl
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
	run --separate-stderr teams-card --max-facts 400 --time 2026-11-22T10:31:07Z big.jsonl
	assert_success
	[[ "$stderr" =~ ^"teams-card: listed "([0-9]+)" of 400 metrics to stay under 20000 bytes"$ ]]
	n=${BASH_REMATCH[1]}
	echo "$output" > card.json
	# the most that fit: n metrics (and n regressions) fit, n + 1 do not
	[ "$(wc -c < card.json)" -le 20001 ]
	[ "$(teams-card --max-facts $n --time 2026-11-22T10:31:07Z big.jsonl | wc -c)" -le 20001 ]
	[ "$(teams-card --max-bytes 1000000 --max-facts $((n + 1)) --time 2026-11-22T10:31:07Z big.jsonl | wc -c)" -gt 20001 ]
	run validate card.json
	assert_success
	run jq -r '.attachments[0].content.body[3].facts[-1].value' card.json
	assert_output "and $((400 - n)) more"
}

@test "teams-card: empty input gives a card that says so" {
	run --separate-stderr teams-card --model-tag m --run-id r --time 2026-11-22T10:31:07Z < /dev/null
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -c '.attachments[0].content.body | map(.text)' card.json
	assert_output '["m: no metrics reported","Run r · 2026-11-22T10:31:07Z"]'
}

@test "teams-card: the validator rejects what is not Adaptive Card 1.4" {
	teams-card --time 2026-11-22T10:31:07Z verdicts.jsonl | jq -c '.attachments[0].content.body[0].color = "Red"' > bad.json
	run validate bad.json
	assert_failure
	teams-card --time 2026-11-22T10:31:07Z verdicts.jsonl | jq -c '.attachments[0].content.version = "1.5"' > bad.json
	run validate bad.json
	assert_failure
}

@test "teams-card: --post sends the printed message; 202 is success" {
	start_webhook 202
	teams-card --print --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com verdicts.jsonl > printed.json
	run --separate-stderr teams-card --post "$URL" --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com verdicts.jsonl
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
	run --separate-stderr teams-card -v --retries 2 --backoff 0.05 --post "$URL" verdicts.jsonl
	assert_failure 69
	assert_output ""
	# Full jitter: the wait before retry k is uniform on [0, 0.05 * 2^(k-1)].
	assert_equal "${#stderr_lines[@]}" 3
	[[ "${stderr_lines[0]}" =~ ^"teams-card: webhook: HTTP 500 (attempt 1 of 3); retrying in "([0-9.e-]+)" s"$ ]]
	w1=${BASH_REMATCH[1]}
	[[ "${stderr_lines[1]}" =~ ^"teams-card: webhook: HTTP 500 (attempt 2 of 3); retrying in "([0-9.e-]+)" s"$ ]]
	w2=${BASH_REMATCH[1]}
	assert_equal "${stderr_lines[2]}" "teams-card: webhook: HTTP 500 after 3 attempts: scripted failure 500"
	[[ "$stderr" != *SECRET* && "$stderr" != *127.0.0.1* ]]
	run python3 -c "assert 0 <= $w1 <= 0.05 and 0 <= $w2 <= 0.1; print('ok')"
	assert_output ok
	run wc -l < srv/log
	assert_output 3
}

@test "teams-card: --attempts N is an alias of --retries N-1" {
	start_webhook 500
	run --separate-stderr teams-card --attempts 3 --backoff 0.001 --post "$URL" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "teams-card: webhook: HTTP 500 after 3 attempts: scripted failure 500"
	run wc -l < srv/log
	assert_output 3
}

@test "teams-card: 408 is retried; --max-wait caps Retry-After" {
	start_webhook 408:30,200
	start=$(date +%s.%N)
	run --separate-stderr teams-card -v --max-wait 0.2 --post "$URL" verdicts.jsonl
	end=$(date +%s.%N)
	assert_success
	assert_equal "$stderr" "teams-card: webhook: HTTP 408 (attempt 1 of 5); retrying in 0.2 s
teams-card: webhook: HTTP 200 after 2 attempts ($(wc -c < srv/body.0) bytes)"
	# "Retry-After: 30" waited the 0.2 s cap, not 30 s.
	run python3 -c "d = $end - $start; assert d < 5, d; print('ok')"
	assert_output ok
}

@test "teams-card: tokens the webhook echoes never reach stderr" {
	start_webhook 400 echo
	run --separate-stderr teams-card --post "$URL" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "teams-card: webhook: HTTP 400 after 1 attempt: scripted failure 400 for /workflows/abc/triggers/manual/paths/invoke?***"
	# A token in the path (an older connector's URL) is one too.
	run --separate-stderr teams-card --post "http://127.0.0.1:$PORT/webhookb2/0123456789abcdef0123/x" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "teams-card: webhook: HTTP 400 after 1 attempt: scripted failure 400 for /webhookb2/***/x"
}

@test "teams-card: a 400 is not retried" {
	start_webhook 400
	run --separate-stderr teams-card --post "$URL" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "teams-card: webhook: HTTP 400 after 1 attempt: scripted failure 400"
}

@test "teams-card: no server is exit 69 after the retries" {
	port=$(ve_free_port)
	run --separate-stderr teams-card --retries 1 --backoff 0.01 --post "http://127.0.0.1:$port/x?sig=SECRET" verdicts.jsonl
	assert_failure 69
	assert_equal "$stderr" "teams-card: webhook: Couldn't connect to server after 2 attempts"
}

@test "teams-card: a webhook URL that is not http(s) is a usage error, never tried" {
	start_webhook 200
	run --separate-stderr teams-card --post "ftp://127.0.0.1:$PORT/x?sig=SECRET" verdicts.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "teams-card: --post: expected an http:// or https:// URL
Try 'teams-card --help' for more information."
	TEAMS_WEBHOOK_URL="file:///x?sig=SECRET" run --separate-stderr teams-card verdicts.jsonl
	assert_failure 64
	assert_equal "$stderr" "teams-card: TEAMS_WEBHOOK_URL: expected an http:// or https:// URL
Try 'teams-card --help' for more information."
	[ ! -e srv/log ]
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
	run --separate-stderr teams-card --skip-bad --time 2026-11-22T10:31:07Z bad.jsonl verdicts.jsonl
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
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --model-tag 'rel "x" \ <b>' --link 'Say "hi"=https://e.example/?a=1&b="2"' --mention 'Ops "A"=a@example.com' verdicts.jsonl
	assert_success
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -c '.attachments[0].content | [.body[0].text, .actions[0], .msteams.entities[0].text]' card.json
	assert_output '["rel \"x\" \\\\ \\<b>: 2 regressions",{"type":"Action.OpenUrl","title":"Say \"hi\"","url":"https://e.example/?a=1&b=\"2\""},"<at>Ops \"A\"</at>"]'
	tag=$(printf 'x%.0s' $(seq 2100))
	run --separate-stderr teams-card --max-bytes 2000 --model-tag "$tag" verdicts.jsonl
	assert_failure 65
	assert_output ""
	[[ "$stderr" =~ ^"teams-card: the card is "[0-9]+" bytes even without metrics (--max-bytes 2000)"$ ]]
}

@test "teams-card: a rejects file that cannot be created is exit 73" {
	run --separate-stderr teams-card --rejects nodir/rej.jsonl verdicts.jsonl
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "teams-card: --rejects: nodir/rej.jsonl: No such file or directory"
}

@test "teams-card: a malformed --time is a usage error naming the option" {
	run --separate-stderr teams-card --time bogus verdicts.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "teams-card: --time: expected YYYY-MM-DDTHH:MM:SSZ, got 'bogus'
Try 'teams-card --help' for more information."
	run --separate-stderr teams-card --time 2026-11-22 verdicts.jsonl
	assert_failure 64
	# an offset and a fraction are ISO-8601 too; the card shows the time as given
	run --separate-stderr teams-card --time 2026-11-22T12:31:07.5+02:00 verdicts.jsonl
	assert_success
	run jq -r '.attachments[0].content.body[1].text' <<<"$output"
	assert_output "Run cur · 2026-11-22T12:31:07.5+02:00"
}

@test "teams-card: a metric the run lacks (status missing) is shown as regressions are" {
	cat > missing.jsonl <<'J'
{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"delta_pct":-10.77,"status":"regression","p_value":2.04368e-05,"run_id":"cur","model_tag":"release-2.0"}
{"metric":"judge.geval.mean","value":null,"baseline":0.8,"window":5,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}
{"metric":"arc.acc","value":0.5,"baseline":0.5,"delta_pct":0,"status":"ok","run_id":"cur","model_tag":"release-2.0"}
J
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com missing.jsonl
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > card.json
	run validate card.json
	assert_success
	assert_output "valid 1 $(wc -c < card.json)"
	run jq -c '.attachments[0].content | [.body[0].text, .body[0].color, .body[2].text, .body[4].facts, .body[5].items[1].facts]' card.json
	assert_output '["release-2.0: 1 regression, 1 missing metric","Attention","<at>Ops</at> 1 metric fell below the rolling baseline; 1 metric of the baseline is missing from this run.",[{"title":"mmlu.acc","value":"0.58 (baseline 0.65, ▼ 10.8 %) regression"},{"title":"judge.geval.mean","value":"missing (baseline 0.8)"},{"title":"arc.acc","value":"0.5 (baseline 0.5, = 0 %)"}],[{"title":"mmlu.acc","value":"0.58 against 0.65 (-10.8 %), p = 2e-05"},{"title":"judge.geval.mean","value":"missing (baseline 0.8)"}]]'
	# missing alone (and without a "value" at all) still fails the card
	echo '{"metric":"judge.geval.mean","baseline":0.8,"status":"missing","run_id":"cur","model_tag":"release-2.0"}' > only.jsonl
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com only.jsonl
	assert_success
	run jq -c '.attachments[0].content | [.body[0].text, .body[2].text, (.msteams.entities | length)]' <<<"$output"
	assert_output '["release-2.0: 1 missing metric","<at>Ops</at> 1 metric of the baseline is missing from this run.",1]'
	# reg-check --allow-missing writes "gates":false: shown, not counted
	echo '{"metric":"judge.geval.mean","baseline":0.8,"status":"missing","gates":false,"run_id":"cur","model_tag":"release-2.0"}' > allowed.jsonl
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com allowed.jsonl
	assert_success
	run jq -c '.attachments[0].content | [.body[0].text, .body[3].facts, (.msteams.entities | length)]' <<<"$output"
	assert_output '["release-2.0: passed",[{"title":"judge.geval.mean","value":"missing (baseline 0.8)"}],0]'
	# a row that is not missing still needs its value
	echo '{"metric":"x","baseline":0.8,"status":"regression"}' > bad.jsonl
	run --separate-stderr teams-card bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'teams-card: bad.jsonl:1: row without a number "value"'
}

@test "teams-card: a negative stderr or n, or a number beyond a double, is a bad record" {
	echo '{"metric":"a","value":0.5,"stderr":-0.01}' > bad.jsonl
	run --separate-stderr teams-card bad.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'teams-card: bad.jsonl:1: "stderr" must be a non-negative number'
	echo '{"metric":"a","value":0.5,"n":2.5}' > bad.jsonl
	run --separate-stderr teams-card bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'teams-card: bad.jsonl:1: "n" must be a count (an integer from 0)'
	echo '{"metric":"a","value":-1e999}' > bad.jsonl
	run --separate-stderr teams-card bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "teams-card: bad.jsonl:1: invalid JSON: a number beyond a double's range"
	printf '%s\n' '{"metric":"a","value":0.5,"stderr":"x"}' '{"metric":"b","value":0.5,"stderr":0,"n":10}' > mixed.jsonl
	run --separate-stderr teams-card --skip-bad --time 2026-11-22T10:31:07Z --model-tag m mixed.jsonl
	assert_success
	assert_equal "$stderr" 'teams-card: skipped 1 bad record (first: mixed.jsonl:1: "stderr" must be a non-negative number)'
	run jq -c '.attachments[0].content.body[3].facts' <<<"$output"
	assert_output '[{"title":"b","value":"0.5"}]'
}

@test "teams-card: only http(s): a file URL or a redirect to one reads nothing" {
	run --separate-stderr teams-card --post file:///etc/passwd verdicts.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "teams-card: --post: expected an http:// or https:// URL
Try 'teams-card --help' for more information."
	start_webhook redirect
	run --separate-stderr teams-card --post "$URL" verdicts.jsonl
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "teams-card: webhook: HTTP 302 after 1 attempt: scripted failure 302"
	run wc -l < srv/log
	assert_output 1
}

@test "teams-card: --timeout bounds every try: a webhook that hangs is given up; 0 is refused" {
	start_webhook hang
	start=$(date +%s.%N)
	run --separate-stderr timeout 60 teams-card --post "$URL" --timeout 0.5 --retries 1 --backoff 0.01 verdicts.jsonl
	end=$(date +%s.%N)
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "teams-card: webhook: Timeout was reached after 2 attempts"
	run python3 -c "d = $end - $start; assert d < 15, d; print('ok')"
	assert_output ok
	run --separate-stderr teams-card --timeout 0 verdicts.jsonl
	assert_failure 64
	assert_equal "$stderr" "teams-card: --timeout: expected a number from 0.001 to 86400, got '0'
Try 'teams-card --help' for more information."
	# The network group's range, as every network tool's: up to a day.
	run --separate-stderr teams-card --time 2026-01-01T00:00:00Z verdicts.jsonl
	want=$output
	run --separate-stderr teams-card --timeout 86400 --time 2026-01-01T00:00:00Z verdicts.jsonl
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""
	run --separate-stderr teams-card --timeout 86401 verdicts.jsonl
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "teams-card: --timeout: expected a number from 0.001 to 86400, got '86401'
Try 'teams-card --help' for more information."
}

@test "teams-card: an endless answer is cut at --max-body, not retried" {
	start_webhook endless
	run --separate-stderr teams-card --post "$URL" --max-body 64k --retries 3 verdicts.jsonl
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "teams-card: webhook: an answer larger than 65536 bytes (see --max-body) after 1 attempt"
	run wc -l < srv/log
	assert_output 1
	run --separate-stderr teams-card --max-body 1x verdicts.jsonl
	assert_failure 64
	assert_equal "$stderr" "teams-card: --max-body: expected an integer from 1 to 1099511627776, got '1x'
Try 'teams-card --help' for more information."
}

@test "teams-card: a release row leads: its verdict and findings, then the rows as detail" {
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com "$TC/release-regression.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	echo "$output" > card.json
	run validate card.json
	assert_success
	assert_output "valid 1 $(wc -c < card.json)"
	run jq -c '.attachments[0].content.body | [.[0].text, .[0].color, .[1].text, .[2].text, .[3].style, (.[3].items | map(.text // .facts)), .[4].text, .[5].facts, length]' card.json
	assert_output '["release-2.0: regression","Attention","Run r7 · 2026-11-22T10:31:07Z","<at>Ops</at> the release regressed: 2 findings among 3 gated metrics.","attention",["Release verdict: regression","2 findings among 3 gated metrics (rule stat, holm, alpha 0.05)",[{"title":"mmlu.acc \\[all]","value":"0.55 against 0.65 (-15.4 %), test mcnemar, adjusted p = 0.00012"},{"title":"judge.geval.mean","value":"missing (baseline 0.8)"}]],"Metrics",[{"title":"mmlu.acc \\[all]","value":"0.55 (baseline 0.65, ▼ 15.4 %) regression"},{"title":"mmlu.acc \\[abstract\\_algebra]","value":"0.4 (baseline 0.5, ▼ 20 %) regression (detail, not gating: a subset row)"},{"title":"perf.basic.ttft\\_ms.p95","value":"109 (baseline 100, ▲ 9 %)"},{"title":"judge.geval.mean","value":"missing (baseline 0.8)"}],6]'
	run jq -c '.attachments[0].content.msteams.entities | length' card.json
	assert_output 1
	# --max-facts limits the findings as it does the metrics
	run --separate-stderr teams-card --max-facts 1 --time 2026-11-22T10:31:07Z "$TC/release-regression.jsonl"
	assert_success
	run jq -c '.attachments[0].content.body[2].items[2].facts' <<<"$output"
	assert_output '[{"title":"mmlu.acc \\[all]","value":"0.55 against 0.65 (-15.4 %), test mcnemar, adjusted p = 0.00012"},{"title":"…","value":"and 1 more"}]'
}

@test "teams-card: a release row that passed is good; regressions that do not gate are detail, not counted" {
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com "$TC/release-ok.jsonl"
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > card.json
	run validate card.json
	assert_success
	assert_output "valid 0 $(wc -c < card.json)"
	run jq -c '.attachments[0].content | [.body[0].text, .body[0].color, .body[2].style, (.body[2].items | map(.text)), .body[4].facts, .msteams, (.body | length)]' card.json
	assert_output '["release-2.1: passed","Good","good",["Release verdict: ok","no finding among 2 gated metrics (rule stat, holm, alpha 0.05)"],[{"title":"mmlu.acc \\[all]","value":"0.64 (baseline 0.65, ▼ 1.54 %)"},{"title":"mmlu.acc \\[abstract\\_algebra]","value":"0.4 (baseline 0.5, ▼ 20 %) regression (detail, not gating: a subset row)"},{"title":"mmlu.acc\\_norm \\[all]","value":"0.55 (baseline 0.65, ▼ 15.4 %) regression (detail, not gating)"},{"title":"perf.basic.ttft\\_ms.p95","value":"101 (baseline 100, ▲ 1 %)"}],{"width":"Full"},5]'
	# the release row alone: no metric rows, still its verdict; never a metric itself
	head -1 "$TC/release-ok.jsonl" > only.jsonl
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z only.jsonl
	assert_success
	run jq -c '.attachments[0].content.body | map(.text // (.items | map(.text)))' <<<"$output"
	assert_output '["release-2.1: passed","Run r8 · 2026-11-22T10:31:07Z",["Release verdict: ok","no finding among 2 gated metrics (rule stat, holm, alpha 0.05)"]]'
}

@test "teams-card: without a release row the card is the one it always was" {
	# no-release.card.json is what teams-card wrote for these rows before it
	# knew release rows (each regression counts, gating or not), with the
	# text's markdown escaped as teams-card escapes it since.
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com "$TC/no-release.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(cat "$TC/no-release.card.json")"
	run jq -c '.attachments[0].content.body | [.[0].text, .[2].text, .[5].items[1].facts[1]]' "$TC/no-release.card.json"
	assert_output '["release-2.0: 2 regressions, 1 missing metric","<at>Ops</at> 2 metrics fell below the rolling baseline; 1 metric of the baseline is missing from this run.",{"title":"mmlu.acc \\[abstract\\_algebra]","value":"0.4 against 0.5 (-20 %), p = 0.04"}]'
}

@test "teams-card: a malformed release row is a bad record (65) naming what is wrong" {
	rel=$(head -1 "$TC/release-regression.jsonl")
	check() { # JQ-EDIT MESSAGE
		jq -c "$1" <<<"$rel" > bad.jsonl
		run --separate-stderr teams-card bad.jsonl
		assert_failure 65
		assert_output ""
		assert_equal "$stderr" "teams-card: bad.jsonl:1: $2"
	}
	check '.findings = {}' 'release row: "findings" must be an array'
	check 'del(.findings)' 'release row: "findings" must be an array'
	check '.findings[1] = 3' 'release row: finding 2: "metric" must be a string'
	check '.findings[0].metric = null' 'release row: finding 1: "metric" must be a string'
	check '.findings[0].value = "0.55"' 'release row: finding 1: "value" must be a number'
	check 'del(.findings[0].value)' 'release row: finding 1: "value" must be a number'
	check '.findings[1].baseline = [0.8]' 'release row: finding 2: "baseline" must be a number'
	check '.findings[0].p_adjusted = "small"' 'release row: finding 1: "p_adjusted" must be a number'
	check '.findings[0].test = 1' 'release row: finding 1: "test" must be a string'
	check '.status = "red"' 'release row: "status" must be "ok" or "regression"'
	check '.gated = -1' 'release row: "gated" must be a count'
	# a second release row, at its line
	cp "$TC/release-regression.jsonl" two.jsonl
	head -1 "$TC/release-ok.jsonl" >> two.jsonl
	run --separate-stderr teams-card two.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "teams-card: two.jsonl:6: a second release row"
	# --skip-bad passes over it: the card is then counted as without one
	jq -c '.findings[0].value = "x"' <<<"$rel" > bad.jsonl
	tail -n +2 "$TC/release-regression.jsonl" >> bad.jsonl
	run --separate-stderr teams-card --skip-bad --time 2026-11-22T10:31:07Z bad.jsonl
	assert_success
	assert_equal "$stderr" 'teams-card: skipped 1 bad record (first: bad.jsonl:1: release row: finding 1: "value" must be a number)'
	run jq -r '.attachments[0].content.body[0].text' <<<"$output"
	assert_output "release-2.0: 2 regressions, 1 missing metric"
}

@test "teams-card: incomparable verdicts are one line naming each task and what changed, not a regression" {
	{
		echo '{"metric":"release","status":"ok","rule":"stat","adjust":"holm","alpha":0.05,"gated":1,"regressions":0,"improvements":0,"missing":0,"incomparable":3,"findings":[],"run_id":"r9","model_tag":"release-3"}'
		echo '{"metric":"mmlu.acc","labels":{"subset":"all","task":"mmlu"},"value":0.58,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"higher","status":"incomparable","p_value":null,"test":"none","n":1000,"p_adjusted":null,"gates":false,"note":"template changed","min_effect_pct":2,"task_version":"v2","baseline_version":"v1","run_id":"r9"}'
		echo '{"metric":"mmlu.acc","labels":{"subset":"stem","task":"mmlu"},"value":0.5,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"higher","status":"incomparable","p_value":null,"test":"none","n":300,"p_adjusted":null,"gates":false,"note":"template changed","min_effect_pct":2,"task_version":"v2","baseline_version":"v1","run_id":"r9"}'
		echo '{"metric":"arc_challenge.acc","value":0.4,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"higher","status":"incomparable","p_value":null,"test":"none","n":100,"p_adjusted":null,"gates":false,"note":"shots 25 → 5","min_effect_pct":2,"run_id":"r9"}'
		echo '{"metric":"perf.basic.ttft_ms.p95","value":101,"baseline":100,"window":5,"delta":1,"delta_pct":1,"direction":"lower","status":"ok","p_value":0.7,"test":"spread","n":null,"p_adjusted":1,"gates":true,"min_effect_pct":10,"run_id":"r9"}'
	} > inc.jsonl
	run --separate-stderr teams-card --mention LLM-Ops=llm-ops@example.com --time 2026-11-22T10:31:07Z inc.jsonl
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > card.json
	run validate card.json
	assert_output --partial "valid 0 "
	run jq -c '.attachments[0].content.body | [.[0].text, .[0].color, .[2].items[0].text, .[3].text, .[3].color]' card.json
	assert_output '["release-3: passed","Good","Release verdict: ok","3 metrics incomparable: mmlu template changed; arc\\_challenge shots 25 → 5","Warning"]'
	run jq -c '.attachments[0].content.body[5].facts[0, 2]' card.json
	assert_output - <<-'EOF'
	{"title":"mmlu.acc \\[all]","value":"0.58 incomparable (template changed)"}
	{"title":"arc\\_challenge.acc","value":"0.4 incomparable (shots 25 → 5)"}
	EOF
}

@test "teams-card: markdown in names and notes is escaped, so Teams draws them as written; mentions are left as they are" {
	# Teams draws text and facts as markdown (tests/card-render.bats draws
	# these with Teams' renderer): "[__init__]" would be bold, "a*b*c"
	# italic, "&lt;" a "<", "1. x" a list
	{
		echo '{"metric":"a*b*c.acc","value":0.5,"baseline":0.7,"delta_pct":-28.57,"status":"regression","model_tag":"1. m","run_id":"r_1"}'
		echo '{"metric":"x.acc","labels":{"subset":"__init__"},"value":0.5,"status":"ok"}'
		echo '{"metric":"# `t` &lt; ~~s~~ [l](u) <u@v> \\","value":1,"status":"ok"}'
		echo '{"metric":"- y","value":-0.5,"status":"ok"}'
		echo '{"metric":"","value":2,"status":"ok"}' # nothing to escape is an empty title
	} > md.jsonl
	run --separate-stderr teams-card --time 2026-11-22T10:31:07Z --mention 'Ops_1=ops@example.com' md.jsonl
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > card.json
	run validate card.json
	assert_success
	run jq -r '.attachments[0].content | (.body[0,1,2].text), (.body[4].facts[] | "\(.title) | \(.value)"), .msteams.entities[0].text' card.json
	assert_output - <<-'EOF'
	1\. m: 1 regression
	Run r\_1 · 2026-11-22T10:31:07Z
	<at>Ops_1</at> 1 metric fell below the rolling baseline.
	a\*b\*c.acc | 0.5 (baseline 0.7, ▼ 28.6 %) regression
	x.acc \[\_\_init\_\_] | 0.5
	\# \`t\` \&lt; \~\~s\~\~ \[l](u) \<u@v> \\ | 1
	\- y | -0.5
	 | 2
	<at>Ops_1</at>
	EOF
}
