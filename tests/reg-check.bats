#!/usr/bin/env bats
# reg-check: the release rule (baseline = mean of the last N runs, 10 % worse is a
# regression), metric direction from the policy, insufficient history, the
# significance tests, A/B mode and the exit codes.
#
# Fixtures (tests/fixtures/reg-check/) were written by a python3 script; the
# expected figures below were computed by hand or with python3's mpmath, never
# with reg-check:
#   mmlu.acc baseline: mean(0.65,0.66,0.64,0.652,0.648) = 0.65 (r1's 0.10 is the
#     sixth-newest run, outside --window 5; the current run's own row and a
#     re-sent copy of r6 do not count); delta 0.58-0.65 = -0.07 = -10.77 %.
#   z-test: se = sqrt(0.015^2 + 5*0.015^2/5^2) = 0.0164317; z = -4.26006;
#     p = erfc(4.26006/sqrt(2)) = 2.04368e-05 (python3 math.erfc).
#   McNemar: 9 right->wrong, 2 wrong->right: p = 2*(C(11,0)+C(11,1)+C(11,2))/2^11
#     = 134/2048 = 0.0654296875.
#   Welch (judge scores): mpmath, 30 digits: t = 6.02271178234,
#     df = 24.4025867757, p = betainc(df/2, 1/2, 0, df/(df+t^2)) = 3.00911e-06,
#     Cohen's d (pooled sd) = 2.31217705571, lift = 19.1591591592 %.

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_scratch
	R="$FIX/reg-check"
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
}

@test "reg-check: the release rule, direction, new and insufficient history; exit 1" {
	run --separate-stderr reg-check -v -H "$R/history.jsonl" "$R/current.jsonl"
	assert_failure 1
	assert_line --index 0 '{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"window":5,"delta":-0.07,"delta_pct":-10.77,"direction":"higher","status":"regression","p_value":2.04368e-05,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	# ttft p95: lower is better; 109 against 100 is 9 % worse: ok
	assert_line --index 1 '{"metric":"perf.basic.ttft_ms.p95","value":109,"baseline":100,"window":5,"delta":9,"delta_pct":9,"direction":"lower","status":"ok","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	# exactly 10 % below the mean is a regression ("falls 10 % below")
	assert_line --index 2 '{"metric":"gsm8k.exact_match","value":0.45,"baseline":0.5,"window":5,"delta":-0.05,"delta_pct":-10,"direction":"higher","status":"regression","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_line --index 3 '{"metric":"perf.basic.output_throughput","value":11.5,"baseline":10,"window":5,"delta":1.5,"delta_pct":15,"direction":"higher","status":"improvement","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_line --index 4 '{"metric":"arc_challenge.acc","value":0.3,"baseline":null,"window":2,"delta":null,"delta_pct":null,"direction":"higher","status":"insufficient_history","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_line --index 5 '{"metric":"hellaswag.acc","value":0.7,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"higher","status":"new","p_value":null,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_equal "${#lines[@]}" 6
	assert_equal "$stderr" "reg-check: 6 metrics: 2 regressions, 0 missing, 1 improvements, 1 new, 1 with insufficient history, 1 ignored by the policy"
}

@test "reg-check: no regression exits 0" {
	# mmlu.acc and gsm8k at their baselines (leaving them out would make them missing).
	jq -c 'if .metric == "mmlu.acc" then .value = 0.65 elif .metric == "gsm8k.exact_match" then .value = 0.5 else . end' "$R/current.jsonl" > cur.jsonl
	run --separate-stderr reg-check -H "$R/history.jsonl" cur.jsonl
	assert_success
	assert_equal "$stderr" ""
	refute_output --partial '"regression"'
	refute_output --partial '"missing"'
	assert_equal "${#lines[@]}" 6
}

@test "reg-check: --window changes the baseline" {
	# the last two runs: mean(0.652, 0.648) = 0.65; with --window 6 r1 counts:
	# mean(0.10,0.65,0.66,0.64,0.652,0.648) = 0.5583333 and 0.58 is an improvement
	# of (0.58-0.558333)/0.558333 = 3.88 % (below 10 %: ok)
	run --separate-stderr reg-check -H "$R/history.jsonl" -w 2 "$R/current.jsonl"
	assert_line --index 0 --partial '"baseline":0.65,"window":2,'
	run --separate-stderr reg-check -H "$R/history.jsonl" -w 6 "$R/current.jsonl"
	assert_line --index 0 --partial '"baseline":0.558333333333,"window":6,"delta":0.0216666666667,"delta_pct":3.88,"direction":"higher","status":"ok"'
}

@test "reg-check: --threshold and --min-runs" {
	run --separate-stderr reg-check -H "$R/history.jsonl" -t 11 "$R/current.jsonl"
	assert_success
	assert_line --index 0 --partial '"status":"ok"'
	assert_line --index 0 --partial '"threshold_pct":11,'
	run --separate-stderr reg-check -H "$R/history.jsonl" --min-runs 2 "$R/current.jsonl"
	assert_line --index 4 --partial '"arc_challenge.acc","value":0.3,"baseline":0.5,"window":2,"delta":-0.2,"delta_pct":-40,"direction":"higher","status":"regression"'
}

@test "reg-check: the policy file gives direction, threshold and ignore" {
	cat > pol.json <<'J'
{"default":{"direction":"lower","threshold_pct":50},
 "rules":[{"match":"mmlu.*","threshold_pct":5},{"match":"perf.*","ignore":true}]}
J
	run --separate-stderr reg-check -v -H "$R/history.jsonl" -p pol.json "$R/current.jsonl"
	assert_success
	# mmlu.acc is now lower-is-better: 10.77 % lower is an improvement (threshold 5)
	assert_line --index 0 --partial '"delta_pct":-10.77,"direction":"lower","status":"improvement","p_value":2.04368e-05,"threshold_pct":5,'
	# gsm8k falls under the default: lower, 50 %
	assert_line --index 1 --partial '"direction":"lower","status":"ok","p_value":null,"threshold_pct":50,'
	# perf.* are ignored; the *.stderr rule does not apply when the file has none
	assert_line --index 4 --partial '"metric":"mmlu.acc_stderr.stderr","value":0.01,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"lower","status":"new","p_value":null,"threshold_pct":5,'
	assert_equal "${#lines[@]}" 5
	assert_equal "$stderr" "reg-check: 5 metrics: 0 regressions, 0 missing, 1 improvements, 2 new, 1 with insufficient history, 2 ignored by the policy"
}

@test "reg-check: McNemar's exact test on the flipped items" {
	run --separate-stderr reg-check -v -H "$R/history.jsonl" --items-current "$R/items-cur.jsonl" --items-baseline "$R/items-base.jsonl" "$R/current.jsonl"
	assert_failure 1
	assert_line --index 0 --partial '"status":"regression","p_value":0.0654297,'
	assert_equal "$stderr" "reg-check: mmlu: 40 paired items, 9 right before and wrong now, 2 wrong before and right now, McNemar p=0.0654297
reg-check: 6 metrics: 2 regressions, 0 missing, 1 improvements, 1 new, 1 with insufficient history, 1 ignored by the policy"
}

@test "reg-check: --require-significance needs p below P as well as the drop" {
	# McNemar p = 0.0654 is not below 0.05: mmlu.acc is no longer a regression
	run --separate-stderr reg-check -H "$R/history.jsonl" --require-significance 0.05 --items-current "$R/items-cur.jsonl" --items-baseline "$R/items-base.jsonl" "$R/current.jsonl"
	assert_line --index 0 --partial '"delta_pct":-10.77,"direction":"higher","status":"ok","p_value":0.0654297,'
	# gsm8k has no p-value: the drop alone decides
	assert_line --index 2 --partial '"status":"regression","p_value":null'
	# the z-test's p = 2.04e-05 passes 0.001
	run --separate-stderr reg-check -H "$R/history.jsonl" --require-significance 0.001 "$R/current.jsonl"
	assert_line --index 0 --partial '"status":"regression","p_value":2.04368e-05,'
}

@test "reg-check: a proportion's stderr comes from n when absent" {
	# se = sqrt(p(1-p)/n): current sqrt(.4*.6/100), each baseline row sqrt(.5*.5/100);
	# se_diff = sqrt(0.0024 + 3*0.0025/9) = 0.0568624; z = -0.1/0.0568624 = -1.75863;
	# p = erfc(1.75863/sqrt 2) = 0.0786402 (python3 math.erfc)
	for i in 1 2 3; do
		echo '{"metric":"x.acc","value":0.5,"n":100,"unit":"ratio","run_id":"h'$i'","ts":"2026-01-0'$i'"}'
	done > h.jsonl
	echo '{"metric":"x.acc","value":0.4,"n":100,"unit":"ratio","run_id":"c"}' > c.jsonl
	run --separate-stderr reg-check -H h.jsonl c.jsonl
	assert_failure 1
	assert_output '{"metric":"x.acc","value":0.4,"baseline":0.5,"window":3,"delta":-0.1,"delta_pct":-20,"direction":"higher","status":"regression","p_value":0.0786402,"threshold_pct":10,"run_id":"c"}'
}

@test "reg-check: labels are part of the metric's identity" {
	printf '%s\n' '{"metric":"m.acc","labels":{"subset":"a"},"value":1,"run_id":"1","ts":"1"}' \
		'{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"run_id":"1","ts":"1"}' > h.jsonl
	echo '{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"model_tag":"t"}' > c.jsonl
	# subset a is another metric, which this run lacks: missing, allowed here.
	run --separate-stderr reg-check --min-runs 1 -H h.jsonl --run-id now --allow-missing c.jsonl
	assert_success
	assert_line --index 0 '{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"baseline":0.5,"window":1,"delta":0,"delta_pct":0,"direction":"higher","status":"ok","p_value":null,"threshold_pct":10,"run_id":"now","model_tag":"t"}'
	assert_line --index 1 '{"metric":"m.acc","labels":{"subset":"a"},"baseline":1,"window":1,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"gates":false,"threshold_pct":10,"run_id":"now","model_tag":"t"}'
	assert_equal "${#lines[@]}" 2
}

@test "reg-check: --ab gives Welch's t-test, lift, Cohen's d and a recommendation" {
	run --separate-stderr reg-check --ab --items-baseline "$R/items-base.jsonl" --items-current "$R/items-cur.jsonl"
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 '{"metric":"judge.score","value":0.661333333333,"baseline":0.555,"n":15,"baseline_n":12,"delta":0.106333333333,"delta_pct":19.16,"lift_pct":19.1591591592,"cohens_d":2.31217705571,"t":6.02271178234,"df":24.4025867757,"direction":"higher","status":"improvement","p_value":3.00911e-06,"recommendation":"adopt B"}'
	# mmlu scores: 0.65 (40) against 0.463414634146 (41): t = -1.69975519692,
	# df = 78.9710551279, p = 0.0931128 (mpmath): not significant at 0.05
	assert_line --index 1 '{"metric":"mmlu.score","value":0.463414634146,"baseline":0.65,"n":41,"baseline_n":40,"delta":-0.186585365854,"delta_pct":-28.71,"lift_pct":-28.7054409006,"cohens_d":-0.377543815192,"t":-1.69975519692,"df":78.9710551279,"direction":"higher","status":"ok","p_value":0.0931128,"recommendation":"inconclusive: keep A"}'
	# at alpha 0.1 B's drop is significant: a regression, exit 1
	run --separate-stderr reg-check --ab --alpha 0.1 --items-baseline "$R/items-base.jsonl" --items-current "$R/items-cur.jsonl"
	assert_failure 1
	assert_line --index 1 --partial '"status":"regression","p_value":0.0931128,"recommendation":"keep A"}'
}

@test "reg-check: --ab warns about a task only one side has" {
	echo '{"task":"t","doc_id":"1","score":1}' > a.jsonl
	echo '{"task":"u","doc_id":"1","score":1}' > b.jsonl
	run --separate-stderr reg-check --ab --items-baseline a.jsonl --items-current b.jsonl
	assert_success
	assert_output ""
	assert_equal "$stderr" "reg-check: task t is only in --items-baseline: not compared
reg-check: task u is only in --items-current: not compared"
}

@test "reg-check: usage errors" {
	run --separate-stderr reg-check "$R/current.jsonl"
	assert_failure 64
	assert_equal "$stderr" "reg-check: --history FILE is required (the earlier runs' metric rows)
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check -H x -w 0
	assert_failure 64
	assert_equal "$stderr" "reg-check: --window: expected an integer from 1 to 1000000, got '0'
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check -H x -w 2 --min-runs 3
	assert_failure 64
	assert_equal "$stderr" "reg-check: --min-runs (3) cannot exceed --window (2)
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check -H x --items-current a
	assert_failure 64
	[[ "$stderr" == "reg-check: --items-current and --items-baseline go together"* ]]
	run --separate-stderr reg-check --ab -H x --items-current a --items-baseline b
	assert_failure 64
	[[ "$stderr" == "reg-check: --ab compares item rows: no --history and no metric files"* ]]
	run --separate-stderr reg-check --bogus
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "reg-check: unrecognized option '--bogus'
Try 'reg-check --help' for more information."
}

@test "reg-check: --help and --version" {
	run --separate-stderr reg-check --help
	assert_success
	assert_line --index 0 --partial "usage: reg-check [-qv] -H FILE"
	assert_equal "$stderr" ""
	run --separate-stderr reg-check --version
	assert_success
	assert_output --regexp '^reg-check [0-9.]+ \(vllm-eval\)$'
}

@test "reg-check: empty input, no final newline" {
	# Nothing at all: every metric of the last 5 runs is missing.
	run --separate-stderr reg-check -H "$R/history.jsonl" --run-id cur < /dev/null
	assert_failure 1
	assert_equal "$stderr" ""
	assert_equal "$(jq -r '"\(.metric) \(.status)"' <<<"$output" | tr '\n' ' ')" "arc_challenge.acc missing gsm8k.exact_match missing mmlu.acc missing perf.basic.output_throughput missing perf.basic.ttft_ms.p95 missing "
	run --separate-stderr reg-check -H /dev/null < /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	printf '%s' '{"metric":"hellaswag.acc","value":1}' > c.jsonl
	run --separate-stderr reg-check --allow-missing -H "$R/history.jsonl" c.jsonl
	assert_success
	assert_line --index 0 --partial '"status":"new"'
}

@test "reg-check: malformed JSON, invalid UTF-8 and rows without value stop with 65" {
	printf '{"metric":"a","value":1}\n{"metric":\n' > bad.jsonl
	run --separate-stderr reg-check -H "$R/history.jsonl" bad.jsonl
	assert_failure 65
	assert_output ""
	[[ "$stderr" == "reg-check: bad.jsonl:2: invalid JSON"* ]]
	printf '{"metric":"a\xff","value":1}\n' > bad.jsonl
	run --separate-stderr reg-check -H "$R/history.jsonl" bad.jsonl
	assert_failure 65
	[[ "$stderr" == "reg-check: bad.jsonl:1: invalid UTF-8"* ]]
	echo '{"metric":"a","value":"1"}' > bad.jsonl
	run --separate-stderr reg-check -H "$R/history.jsonl" bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'reg-check: bad.jsonl:1: metric row without a number "value"'
	echo '{"value":1}' > bad.jsonl
	run --separate-stderr reg-check -H bad.jsonl "$R/current.jsonl"
	assert_failure 65
	assert_equal "$stderr" 'reg-check: bad.jsonl:1: metric row without a string "metric"'
	run --separate-stderr reg-check --skip-bad -H bad.jsonl "$R/current.jsonl"
	assert_success
	assert_line --index 0 --partial '"status":"new"'
}

@test "reg-check: bad item rows and a bad policy" {
	echo '{"task":"t","doc_id":"1"}' > i.jsonl
	run --separate-stderr reg-check -H "$R/history.jsonl" --items-current i.jsonl --items-baseline i.jsonl "$R/current.jsonl"
	assert_failure 65
	assert_equal "$stderr" 'reg-check: i.jsonl:1: item row without a number "score" or a boolean "correct"'
	echo '{"rules":[{"match":"x","direction":"up"}]}' > p.json
	run --separate-stderr reg-check -H "$R/history.jsonl" -p p.json "$R/current.jsonl"
	assert_failure 65
	assert_equal "$stderr" 'reg-check: p.json: "direction" must be "higher" or "lower"'
	run --separate-stderr reg-check -H "$R/history.jsonl" -p missing.json "$R/current.jsonl"
	assert_failure 66
	assert_equal "$stderr" 'reg-check: missing.json: No such file or directory'
	# A directory opens but does not read: no policy file, not invalid JSON.
	mkdir d
	run --separate-stderr reg-check -H "$R/history.jsonl" -p d "$R/current.jsonl"
	assert_failure 66
	assert_output ""
	assert_equal "$stderr" 'reg-check: d: Is a directory'
}

@test "reg-check: a missing history file is exit 66" {
	run --separate-stderr reg-check -H nothere.jsonl "$R/current.jsonl"
	assert_failure 66
	assert_output ""
	[[ "$stderr" == "reg-check: nothere.jsonl"* ]]
}

@test "reg-check: --skip-bad covers item rows, history and current rows alike" {
	{ echo '{"task":"t","doc_id":"1"}'; cat "$R/items-cur.jsonl"; } >i.jsonl
	{ echo '{"value":1}'; cat "$R/history.jsonl"; } >h.jsonl
	{ echo 'nope'; cat "$R/current.jsonl"; } >c.jsonl
	run --separate-stderr reg-check --rejects rej.jsonl -H h.jsonl --items-current i.jsonl \
		--items-baseline "$R/items-base.jsonl" c.jsonl
	assert_failure 1
	assert_line --index 0 '{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"window":5,"delta":-0.07,"delta_pct":-10.77,"direction":"higher","status":"regression","p_value":0.0654297,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_equal "$stderr" 'reg-check: skipped 3 bad records (first: i.jsonl:1: item row without a number "score" or a boolean "correct")'
	run cat rej.jsonl
	assert_output "$(printf '%s\n' '{"task":"t","doc_id":"1"}' '{"value":1}' 'nope')"
}

@test "reg-check: a --rejects file that cannot be created exits 73" {
	run --separate-stderr reg-check --rejects nodir/rej.jsonl -H "$R/history.jsonl" "$R/current.jsonl"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "reg-check: --rejects: nodir/rej.jsonl: No such file or directory"
}

@test "reg-check: a --rejects file that is also an input (history, items, rows) is refused" {
	cp "$R/history.jsonl" h.jsonl
	cp "$R/items-base.jsonl" ib.jsonl
	run --separate-stderr reg-check --rejects h.jsonl -H h.jsonl "$R/current.jsonl"
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "reg-check: --rejects: h.jsonl is also an input
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check --rejects ib.jsonl -H h.jsonl --items-baseline ib.jsonl \
		--items-current "$R/items-cur.jsonl" "$R/current.jsonl"
	assert_failure 64
	assert_equal "$stderr" "reg-check: --rejects: ib.jsonl is also an input
Try 'reg-check --help' for more information."
	run cmp h.jsonl "$R/history.jsonl"
	assert_success
	run cmp ib.jsonl "$R/items-base.jsonl"
	assert_success
}

@test "reg-check: > /dev/full is a write error, 74" {
	run --separate-stderr sh -c 'reg-check -H "$1" "$2" > /dev/full' _ "$R/history.jsonl" "$R/current.jsonl"
	assert_failure 74
	[[ "$stderr" == "reg-check: write error: "* ]]
}

@test "reg-check: labels as JSON text (as ch-query gives them) match labels as objects" {
	echo '{"metric":"m.acc","labels":"{\"subset\":\"b\"}","value":1,"run_id":"1","ts":"1"}' > h.jsonl
	echo '{"metric":"m.acc","labels":"{}","value":1,"run_id":"1","ts":"1"}' >> h.jsonl
	printf '%s\n' '{"metric":"m.acc","labels":{"subset":"b"},"value":0.5}' '{"metric":"m.acc","value":1}' > c.jsonl
	run --separate-stderr reg-check --min-runs 1 -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 '{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"baseline":1,"window":1,"delta":-0.5,"delta_pct":-50,"direction":"higher","status":"regression","p_value":null,"threshold_pct":10}'
	assert_line --index 1 '{"metric":"m.acc","value":1,"baseline":1,"window":1,"delta":0,"delta_pct":0,"direction":"higher","status":"ok","p_value":null,"threshold_pct":10}'
	echo '{"metric":"m.acc","labels":"[1]","value":1}' > bad.jsonl
	run --separate-stderr reg-check -H h.jsonl bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'reg-check: bad.jsonl:1: "labels" is a string but not a JSON object'
}

@test "reg-check: a run stored twice counts once, even when another run sorts between the copies" {
	# Baseline by hand: runs A (0.9), B (0.5), C (0.5), each once: 1.9/3 = 0.6333.
	# Counting A's second copy instead of C would give 2.3/3 = 0.7667 and a regression.
	cat > h.jsonl <<'ROWS'
{"metric":"m.acc","value":0.9,"run_id":"A","ts":"2026-01-05T00:00:00Z"}
{"metric":"m.acc","value":0.5,"run_id":"B","ts":"2026-01-04T00:00:00Z"}
{"metric":"m.acc","value":0.9,"run_id":"A","ts":"2026-01-03T00:00:00Z"}
{"metric":"m.acc","value":0.5,"run_id":"C","ts":"2026-01-02T00:00:00Z"}
ROWS
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":0.6,\"run_id\":\"D\"}' | reg-check -H h.jsonl -w 3 --min-runs 1"
	assert_success
	assert_output '{"metric":"m.acc","value":0.6,"baseline":0.633333333333,"window":3,"delta":-0.0333333333333,"delta_pct":-5.26,"direction":"higher","status":"ok","p_value":null,"threshold_pct":10,"run_id":"D"}'
}

@test "reg-check: a number that is not finite is refused wherever reg-check reads one" {
	# One history value of 1e400 made the baseline null and every verdict "ok".
	for i in 1 2 3; do
		echo '{"metric":"m.acc","value":0.5,"run_id":"h'$i'","ts":"2026-01-0'$i'"}'
	done >h.jsonl
	echo '{"metric":"m.acc","value":0.1,"run_id":"c"}' >c.jsonl
	# ClickHouse's history through stdin, as ch-query writes it: a Float64 column
	# may come out as a bare inf or nan (old servers), "inf" or null.
	for v in 1e400 -1e999 inf -inf Infinity; do
		run --separate-stderr sh -c "{ cat h.jsonl; echo '{\"metric\":\"m.acc\",\"value\":$v,\"run_id\":\"h9\",\"ts\":\"2026-01-09\"}'; } | reg-check -H - c.jsonl"
		assert_failure 65
		assert_output ""
		assert_equal "$stderr" "reg-check: <stdin>:4: invalid JSON: a number beyond a double's range"
	done
	for v in nan NaN; do
		run --separate-stderr sh -c "{ cat h.jsonl; echo '{\"metric\":\"m.acc\",\"value\":$v,\"run_id\":\"h9\",\"ts\":\"2026-01-09\"}'; } | reg-check -H - c.jsonl"
		assert_failure 65
		assert_equal "$stderr" "reg-check: <stdin>:4: invalid JSON: nan is not a number"
	done
	for v in '"inf"' null; do
		run --separate-stderr sh -c "{ cat h.jsonl; echo '{\"metric\":\"m.acc\",\"value\":$v,\"run_id\":\"h9\",\"ts\":\"2026-01-09\"}'; } | reg-check -H - c.jsonl"
		assert_failure 65
		assert_equal "$stderr" 'reg-check: <stdin>:4: metric row without a number "value"'
	done
	# Skipped, the bad row is not in the baseline: 0.1 against 0.5 regressed.
	{ cat h.jsonl; echo '{"metric":"m.acc","value":1e400,"run_id":"h9","ts":"2026-01-09"}'; } >hbad.jsonl
	run --separate-stderr reg-check --skip-bad -H hbad.jsonl c.jsonl
	assert_failure 1
	assert_output '{"metric":"m.acc","value":0.1,"baseline":0.5,"window":3,"delta":-0.4,"delta_pct":-80,"direction":"higher","status":"regression","p_value":null,"threshold_pct":10,"run_id":"c"}'
	assert_equal "$stderr" "reg-check: skipped 1 bad record (first: hbad.jsonl:4: invalid JSON: a number beyond a double's range)"
	# The current rows, their stderr, and labels kept as JSON text.
	echo '{"metric":"m.acc","value":Infinity}' >cur.jsonl
	run --separate-stderr reg-check -H h.jsonl cur.jsonl
	assert_failure 65
	assert_equal "$stderr" "reg-check: cur.jsonl:1: invalid JSON: a number beyond a double's range"
	echo '{"metric":"m.acc","value":0.5,"stderr":-Infinity}' >cur.jsonl
	run --separate-stderr reg-check -H h.jsonl cur.jsonl
	assert_failure 65
	assert_equal "$stderr" "reg-check: cur.jsonl:1: invalid JSON: a number beyond a double's range"
	for l in '"{\"k\":1e400}"' '"{\"k\":[-inf]}"'; do
		echo '{"metric":"m.acc","labels":'"$l"',"value":0.5}' >cur.jsonl
		run --separate-stderr reg-check -H h.jsonl cur.jsonl
		assert_failure 65
		assert_equal "$stderr" 'reg-check: cur.jsonl:1: "labels": a number that is not finite'
	done
	# Labels as an object: the record reader refuses it first.
	echo '{"metric":"m.acc","labels":{"k":NaN},"value":0.5}' >cur.jsonl
	run --separate-stderr reg-check -H h.jsonl cur.jsonl
	assert_failure 65
	assert_equal "$stderr" "reg-check: cur.jsonl:1: invalid JSON: nan is not a number"
	# Item rows and the policy.
	echo '{"task":"m","doc_id":"1","score":NaN}' >i.jsonl
	run --separate-stderr reg-check --ab --items-baseline i.jsonl --items-current i.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "reg-check: i.jsonl:1: invalid JSON: nan is not a number"
	echo '{"task":"m","doc_id":"1","correct":true,"score":1e400}' >i.jsonl
	run --separate-stderr reg-check -H h.jsonl --items-baseline i.jsonl --items-current i.jsonl c.jsonl
	assert_failure 65
	assert_equal "$stderr" "reg-check: i.jsonl:1: invalid JSON: a number beyond a double's range"
	for v in 1e400 Infinity; do
		printf '{"default":\n {"threshold_pct":%s}}\n' "$v" >p.json
		run --separate-stderr reg-check -p p.json -H h.jsonl c.jsonl
		assert_failure 65
		assert_output ""
		assert_equal "$stderr" "reg-check: p.json: invalid JSON: a number beyond a double's range"
	done
}

@test "reg-check: huge values, a change beyond a double, a zero baseline: verdicts stay numbers" {
	# Three runs of 1.7e308: their sum overflows, their mean is 1.7e308; 8.5e307
	# is 50 % below it. (It was a null baseline and "ok".)
	for i in 1 2 3; do
		echo '{"metric":"m.acc","value":1.7e308,"run_id":"h'$i'","ts":"2026-01-0'$i'"}'
	done >h.jsonl
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":8.5e307,\"run_id\":\"c\"}' | reg-check -H h.jsonl"
	assert_failure 1
	assert_equal "$stderr" ""
	assert_output '{"metric":"m.acc","value":8.5e+307,"baseline":1.7e+308,"window":3,"delta":-8.5e+307,"delta_pct":-50,"direction":"higher","status":"regression","p_value":null,"threshold_pct":10,"run_id":"c"}'
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":1.7e308,\"run_id\":\"c\"}' | reg-check -H h.jsonl"
	assert_success
	assert_output '{"metric":"m.acc","value":1.7e+308,"baseline":1.7e+308,"window":3,"delta":0,"delta_pct":0,"direction":"higher","status":"ok","p_value":null,"threshold_pct":10,"run_id":"c"}'
	# -1.7e308 - 1.7e308 is beyond a double: no delta, but the percentage,
	# (-1.7e308 / 1.7e308 - 1) x 100 = -200, and the verdict stand.
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":-1.7e308,\"run_id\":\"c\"}' | reg-check -H h.jsonl"
	assert_failure 1
	assert_output '{"metric":"m.acc","value":-1.7e+308,"baseline":1.7e+308,"window":3,"delta":null,"delta_pct":-200,"direction":"higher","status":"regression","p_value":null,"threshold_pct":10,"run_id":"c"}'
	# A baseline of 0 (lower is better): no change is 0 %, a rise has no
	# percentage but is worse, a regression.
	for i in 1 2 3; do
		echo '{"metric":"x.unparsed","value":0,"run_id":"h'$i'","ts":"2026-01-0'$i'"}'
	done >z.jsonl
	run --separate-stderr sh -c "echo '{\"metric\":\"x.unparsed\",\"value\":0}' | reg-check -H z.jsonl"
	assert_success
	assert_output '{"metric":"x.unparsed","value":0,"baseline":0,"window":3,"delta":0,"delta_pct":0,"direction":"lower","status":"ok","p_value":null,"threshold_pct":10}'
	run --separate-stderr sh -c "echo '{\"metric\":\"x.unparsed\",\"value\":3}' | reg-check -H z.jsonl"
	assert_failure 1
	assert_output '{"metric":"x.unparsed","value":3,"baseline":0,"window":3,"delta":3,"delta_pct":null,"direction":"lower","status":"regression","p_value":null,"threshold_pct":10}'
}

@test "reg-check: --ab on scores near DBL_MAX gives numbers, not null or nan" {
	# A: 1.5e308, -1.5e308, 1.5e308; B: 1.5e308 three times. By hand: mean A
	# 5e307, B 1.5e308; A's deviations 1e308, -2e308, 1e308, variance (ddof 1)
	# 6e616/2 = 3e616, B's 0. Welch: se = sqrt(3e616/3) = 1e308, t = 1e308/se
	# = 1, df = (s1)^2/(s1^2/2) = 2, p = 1 - 1/sqrt(3) = 0.42265 (df 2:
	# 1 - t/sqrt(t^2 + 2)); pooled sd = sqrt(2 x 3e616/4), d = sqrt(2/3) =
	# 0.816496580928; lift 100 x 1e308/5e307 = 200 %. Welford's update on the
	# raw scores overflowed: nulls, and "p_value":-nan.
	printf '%s\n' '{"task":"t","doc_id":"1","score":1.5e308}' '{"task":"t","doc_id":"2","score":-1.5e308}' '{"task":"t","doc_id":"3","score":1.5e308}' >a.jsonl
	printf '%s\n' '{"task":"t","doc_id":"1","score":1.5e308}' '{"task":"t","doc_id":"2","score":1.5e308}' '{"task":"t","doc_id":"3","score":1.5e308}' >b.jsonl
	run --separate-stderr reg-check --ab --items-baseline a.jsonl --items-current b.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"metric":"t.score","value":1.5e+308,"baseline":5e+307,"n":3,"baseline_n":3,"delta":1e+308,"delta_pct":200,"lift_pct":200,"cohens_d":0.816496580928,"t":1,"df":2,"direction":"higher","status":"ok","p_value":0.42265,"recommendation":"inconclusive: keep A"}'
}

@test "reg-check: a metric the last runs had and this run lacks is missing: a regression unless --allow-missing" {
	# make demo's degraded release: every judge reply of answer_relevancy and
	# G-Eval unreadable, so their means were absent and went unnoticed.
	for r in 1 2 3; do
		for m in judge.answer_relevancy.mean:0.9 judge.geval.mean:0.8 judge.faithfulness.mean:0.7 judge.answer_relevancy.unparsed:0; do
			echo '{"metric":"'${m%:*}'","value":'${m#*:}',"run_id":"r'$r'","model_tag":"release-1.'$r'","ts":"2026-01-0'$r'T00:00:00Z"}'
		done
	done >h.jsonl
	# an old metric outside the window (-w 3), one the policy ignores, and rows
	# of the current run or without a run: none of them is missing.
	echo '{"metric":"old.acc","value":1,"run_id":"r0","ts":"2025-01-01T00:00:00Z"}' >>h.jsonl
	echo '{"metric":"judge.geval.stderr","value":0.1,"run_id":"r3","ts":"2026-01-03T00:00:00Z"}' >>h.jsonl
	echo '{"metric":"cur.only","value":1,"run_id":"r4","ts":"2026-01-04T00:00:00Z"}' >>h.jsonl
	echo '{"metric":"no.run","value":1,"ts":"2026-01-05T00:00:00Z"}' >>h.jsonl
	printf '%s\n' '{"metric":"judge.faithfulness.mean","value":0.7,"run_id":"r4","model_tag":"release-1.4"}' \
		'{"metric":"judge.answer_relevancy.unparsed","value":0,"run_id":"r4","model_tag":"release-1.4"}' >c.jsonl
	run --separate-stderr reg-check -v -w 3 -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '"metric":"judge.faithfulness.mean","value":0.7,"baseline":0.7,"window":3,'
	assert_line --index 1 --partial '"metric":"judge.answer_relevancy.unparsed","value":0,"baseline":0,"window":3,'
	assert_line --index 2 '{"metric":"judge.answer_relevancy.mean","baseline":0.9,"window":3,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"gates":true,"threshold_pct":10,"run_id":"r4","model_tag":"release-1.4"}'
	assert_line --index 3 '{"metric":"judge.geval.mean","baseline":0.8,"window":3,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"gates":true,"threshold_pct":10,"run_id":"r4","model_tag":"release-1.4"}'
	assert_equal "${#lines[@]}" 4
	assert_equal "$stderr" "reg-check: 4 metrics: 0 regressions, 2 missing, 0 improvements, 0 new, 0 with insufficient history, 0 ignored by the policy"
	# --allow-missing: the same rows, saying they do not gate the release; exit 0.
	run --separate-stderr reg-check --allow-missing -w 3 -H h.jsonl c.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(grep -c '"status":"missing","p_value":null,"gates":false' <<<"$output")" 2
	# The current run's id from --run-id when its rows have none.
	sed 's/"run_id":"r4",//' c.jsonl >c2.jsonl
	run --separate-stderr reg-check -w 3 --run-id r4 -H h.jsonl c2.jsonl
	assert_failure 1
	assert_line --index 2 --partial '"status":"missing","p_value":null,"gates":true,"threshold_pct":10,"run_id":"r4","model_tag":"release-1.4"}'
	# A policy rule may say a run can lack a metric (a count written only when not 0).
	echo '{"rules":[{"match":"judge.geval.*","optional":true}]}' >p.json
	run --separate-stderr reg-check -w 3 -p p.json -H h.jsonl c.jsonl
	assert_failure 1
	assert_equal "$(jq -r 'select(.status == "missing") | .metric' <<<"$output")" judge.answer_relevancy.mean
}

@test "reg-check: a figure lat-stats leaves out is reported missing" {
	# Run r1: basic.jsonl's figures. Run r2 sent and finished two answers at one
	# instant: lat-stats leaves its three rates out (lat-stats(1)); reg-check
	# takes every row it wrote, and names the rates missing, with r1's figures
	# (the hand-derived ones of lat-stats.bats, to 12 digits). r2 had no failure,
	# so no failures.http row: a count share/metrics.json marks optional.
	lat-stats -q --run-id r1 "$FIX/lat-stats/basic.jsonl" >h.jsonl
	printf '%s\n' '{"response":{"usage":{"prompt_tokens":1,"completion_tokens":1}},"timing":{"start":5,"ttft_ms":0,"e2el_ms":0,"itl_ms":[]}}' \
		'{"response":{"usage":{"prompt_tokens":1,"completion_tokens":1}},"timing":{"start":5,"ttft_ms":0,"e2el_ms":0,"itl_ms":[]}}' >zero.jsonl
	run --separate-stderr sh -c 'lat-stats -q --run-id r2 zero.jsonl | reg-check --min-runs 1 -H h.jsonl'
	assert_failure 1
	assert_equal "$stderr" ""
	refute_output --partial '"value":null'
	assert_equal "$(jq -r 'select(.status == "missing") | "\(.metric) \(.baseline)"' <<<"$output")" "perf.default.output_throughput 7.46887966805
perf.default.request_throughput 2.48962655602
perf.default.total_token_throughput 32.3651452282"
}
