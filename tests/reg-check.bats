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

@test "reg-check: the plain rule (--rule prd), direction, new and insufficient history; exit 1" {
	run --separate-stderr reg-check --rule prd -v -H "$R/history.jsonl" "$R/current.jsonl"
	assert_failure 1
	# The release row: four rows compared (new and insufficient history cannot
	# gate), two of them regressions, which are its findings.
	assert_line --index 0 '{"metric":"release","status":"regression","rule":"prd","adjust":null,"alpha":null,"gated":4,"regressions":2,"improvements":1,"missing":0,"incomparable":0,"findings":[{"metric":"mmlu.acc","status":"regression","value":0.58,"baseline":0.65,"delta_pct":-10.77,"test":"z","p_adjusted":null},{"metric":"gsm8k.exact_match","status":"regression","value":0.45,"baseline":0.5,"delta_pct":-10,"test":"none","p_adjusted":null}],"run_id":"cur","model_tag":"release-2.0"}'
	assert_line --index 1 '{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"window":5,"delta":-0.07,"delta_pct":-10.77,"direction":"higher","status":"regression","p_value":2.04368e-05,"test":"z","n":1000,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	# ttft p95: lower is better; 109 against 100 is 9 % worse: ok
	assert_line --index 2 '{"metric":"perf.basic.ttft_ms.p95","value":109,"baseline":100,"window":5,"delta":9,"delta_pct":9,"direction":"lower","status":"ok","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	# exactly 10 % below the mean is a regression ("falls 10 % below")
	assert_line --index 3 '{"metric":"gsm8k.exact_match","value":0.45,"baseline":0.5,"window":5,"delta":-0.05,"delta_pct":-10,"direction":"higher","status":"regression","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_line --index 4 '{"metric":"perf.basic.output_throughput","value":11.5,"baseline":10,"window":5,"delta":1.5,"delta_pct":15,"direction":"higher","status":"improvement","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_line --index 5 '{"metric":"arc_challenge.acc","value":0.3,"baseline":null,"window":2,"delta":null,"delta_pct":null,"direction":"higher","status":"insufficient_history","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":false,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_line --index 6 '{"metric":"hellaswag.acc","value":0.7,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"higher","status":"new","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":false,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
	assert_equal "${#lines[@]}" 7
	assert_equal "$stderr" "reg-check: 6 metrics: 2 regressions, 0 missing, 1 improvements, 1 new, 1 with insufficient history, 1 ignored by the policy; the release regressed"
}

@test "reg-check: no regression exits 0" {
	# mmlu.acc and gsm8k at their baselines (leaving them out would make them missing).
	jq -c 'if .metric == "mmlu.acc" then .value = 0.65 elif .metric == "gsm8k.exact_match" then .value = 0.5 else . end' "$R/current.jsonl" > cur.jsonl
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" cur.jsonl
	assert_success
	assert_equal "$stderr" ""
	refute_output --partial '"regression"'
	refute_output --partial '"status":"missing"'
	assert_line --index 0 --partial '{"metric":"release","status":"ok","rule":"prd",'
	assert_equal "${#lines[@]}" 7
}

@test "reg-check: --window changes the baseline" {
	# the last two runs: mean(0.652, 0.648) = 0.65; with --window 6 r1 counts:
	# mean(0.10,0.65,0.66,0.64,0.652,0.648) = 0.5583333 and 0.58 is an improvement
	# of (0.58-0.558333)/0.558333 = 3.88 % (below 10 %: ok)
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" -w 2 "$R/current.jsonl"
	assert_line --index 1 --partial '"baseline":0.65,"window":2,'
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" -w 6 "$R/current.jsonl"
	assert_line --index 1 --partial '"baseline":0.558333333333,"window":6,"delta":0.0216666666667,"delta_pct":3.88,"direction":"higher","status":"ok"'
}

@test "reg-check: --threshold and --min-runs" {
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" -t 11 "$R/current.jsonl"
	assert_success
	assert_line --index 1 --partial '"status":"ok"'
	assert_line --index 1 --partial '"threshold_pct":11,'
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" --min-runs 2 "$R/current.jsonl"
	assert_line --index 5 --partial '"arc_challenge.acc","value":0.3,"baseline":0.5,"window":2,"delta":-0.2,"delta_pct":-40,"direction":"higher","status":"regression"'
}

@test "reg-check: the policy file gives direction, threshold and ignore" {
	cat > pol.json <<'J'
{"default":{"direction":"lower","threshold_pct":50},
 "rules":[{"match":"mmlu.*","threshold_pct":5},{"match":"perf.*","ignore":true}]}
J
	run --separate-stderr reg-check --rule prd -v -H "$R/history.jsonl" -p pol.json "$R/current.jsonl"
	assert_success
	# mmlu.acc is now lower-is-better: 10.77 % lower is an improvement (threshold 5)
	assert_line --index 1 --partial '"delta_pct":-10.77,"direction":"lower","status":"improvement","p_value":2.04368e-05,"test":"z","n":1000,"p_adjusted":null,"gates":true,"threshold_pct":5,'
	# gsm8k falls under the default: lower, 50 %
	assert_line --index 2 --partial '"direction":"lower","status":"ok","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":50,'
	# perf.* are ignored; the *.stderr rule does not apply when the file has none
	assert_line --index 5 --partial '"metric":"mmlu.acc_stderr.stderr","value":0.01,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"lower","status":"new","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":false,"threshold_pct":5,'
	assert_equal "${#lines[@]}" 6
	assert_equal "$stderr" "reg-check: 5 metrics: 0 regressions, 0 missing, 1 improvements, 2 new, 1 with insufficient history, 2 ignored by the policy; the release did not regress"
}

@test "reg-check: McNemar's exact test on the flipped items" {
	run --separate-stderr reg-check --rule prd -v -H "$R/history.jsonl" --items-current "$R/items-cur.jsonl" --items-baseline "$R/items-base.jsonl" "$R/current.jsonl"
	assert_failure 1
	assert_line --index 1 --partial '"status":"regression","p_value":0.0654297,'
	assert_equal "$stderr" "reg-check: mmlu.acc: 40 paired items, 9 right before and wrong now, 2 wrong before and right now, McNemar p=0.0654297
reg-check: 6 metrics: 2 regressions, 0 missing, 1 improvements, 1 new, 1 with insufficient history, 1 ignored by the policy; the release regressed"
}

@test "reg-check: --require-significance needs p below P as well as the drop" {
	# McNemar p = 0.0654 is not below 0.05: mmlu.acc is no longer a regression
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" --require-significance 0.05 --items-current "$R/items-cur.jsonl" --items-baseline "$R/items-base.jsonl" "$R/current.jsonl"
	assert_line --index 1 --partial '"delta_pct":-10.77,"direction":"higher","status":"ok","p_value":0.0654297,'
	# gsm8k has no p-value: the drop alone decides
	assert_line --index 3 --partial '"status":"regression","p_value":null'
	# the z-test's p = 2.04e-05 passes 0.001
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" --require-significance 0.001 "$R/current.jsonl"
	assert_line --index 1 --partial '"status":"regression","p_value":2.04368e-05,'
}

@test "reg-check: a proportion's stderr comes from n when absent" {
	# se = sqrt(p(1-p)/n): current sqrt(.4*.6/100), each baseline row sqrt(.5*.5/100);
	# se_diff = sqrt(0.0024 + 3*0.0025/9) = 0.0568624; z = -0.1/0.0568624 = -1.75863;
	# p = erfc(1.75863/sqrt 2) = 0.0786402 (python3 math.erfc)
	for i in 1 2 3; do
		echo '{"metric":"x.acc","value":0.5,"n":100,"unit":"ratio","run_id":"h'$i'","ts":"2026-01-0'$i'"}'
	done > h.jsonl
	echo '{"metric":"x.acc","value":0.4,"n":100,"unit":"ratio","run_id":"c"}' > c.jsonl
	run --separate-stderr reg-check --rule prd -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '{"metric":"release","status":"regression","rule":"prd",'
	assert_line --index 1 '{"metric":"x.acc","value":0.4,"baseline":0.5,"window":3,"delta":-0.1,"delta_pct":-20,"direction":"higher","status":"regression","p_value":0.0786402,"test":"z","n":100,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"c"}'
	assert_equal "${#lines[@]}" 2
}

@test "reg-check: labels are part of the metric's identity" {
	printf '%s\n' '{"metric":"m.acc","labels":{"subset":"a"},"value":1,"run_id":"1","ts":"1"}' \
		'{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"run_id":"1","ts":"1"}' > h.jsonl
	echo '{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"model_tag":"t"}' > c.jsonl
	# subset a is another metric, which this run lacks: missing, allowed here.
	run --separate-stderr reg-check --rule prd --min-runs 1 -H h.jsonl --run-id now --allow-missing c.jsonl
	assert_success
	assert_line --index 0 --partial '{"metric":"release","status":"ok","rule":"prd",'
	assert_line --index 1 '{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"baseline":0.5,"window":1,"delta":0,"delta_pct":0,"direction":"higher","status":"ok","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"now","model_tag":"t"}'
	assert_line --index 2 '{"metric":"m.acc","labels":{"subset":"a"},"baseline":1,"window":1,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":false,"threshold_pct":10,"run_id":"now","model_tag":"t"}'
	assert_equal "${#lines[@]}" 3
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
	assert_equal "$(jq -r '"\(.metric) \(.status)"' <<<"$output" | tr '\n' ' ')" "release regression arc_challenge.acc missing gsm8k.exact_match missing mmlu.acc missing perf.basic.output_throughput missing perf.basic.ttft_ms.p95 missing "
	# No history and no rows: a release row with nothing gated, ok.
	run --separate-stderr reg-check -H /dev/null < /dev/null
	assert_success
	assert_output '{"metric":"release","status":"ok","rule":"stat","adjust":"holm","alpha":0.05,"gated":0,"regressions":0,"improvements":0,"missing":0,"incomparable":0,"findings":[]}'
	assert_equal "$stderr" ""
	printf '%s' '{"metric":"hellaswag.acc","value":1}' > c.jsonl
	run --separate-stderr reg-check --allow-missing -H "$R/history.jsonl" c.jsonl
	assert_success
	assert_line --index 1 --partial '"status":"new"'
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
	assert_line --index 1 --partial '"status":"new"'
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
	run --separate-stderr reg-check --rule prd --rejects rej.jsonl -H h.jsonl --items-current i.jsonl \
		--items-baseline "$R/items-base.jsonl" c.jsonl
	assert_failure 1
	assert_line --index 1 '{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"window":5,"delta":-0.07,"delta_pct":-10.77,"direction":"higher","status":"regression","p_value":0.0654297,"test":"mcnemar","n":40,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"cur","model_tag":"release-2.0"}'
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
	run --separate-stderr reg-check --rule prd --min-runs 1 -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 1 '{"metric":"m.acc","labels":{"subset":"b"},"value":0.5,"baseline":1,"window":1,"delta":-0.5,"delta_pct":-50,"direction":"higher","status":"regression","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10}'
	assert_line --index 2 '{"metric":"m.acc","value":1,"baseline":1,"window":1,"delta":0,"delta_pct":0,"direction":"higher","status":"ok","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10}'
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
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":0.6,\"run_id\":\"D\"}' | reg-check --rule prd -H h.jsonl -w 3 --min-runs 1"
	assert_success
	assert_line --index 0 --partial '{"metric":"release","status":"ok","rule":"prd",'
	assert_line --index 1 '{"metric":"m.acc","value":0.6,"baseline":0.633333333333,"window":3,"delta":-0.0333333333333,"delta_pct":-5.26,"direction":"higher","status":"ok","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"D"}'
	assert_equal "${#lines[@]}" 2
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
	run --separate-stderr reg-check --rule prd --skip-bad -H hbad.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '{"metric":"release","status":"regression","rule":"prd",'
	assert_line --index 1 '{"metric":"m.acc","value":0.1,"baseline":0.5,"window":3,"delta":-0.4,"delta_pct":-80,"direction":"higher","status":"regression","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"c"}'
	assert_equal "${#lines[@]}" 2
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
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":8.5e307,\"run_id\":\"c\"}' | reg-check --rule prd -H h.jsonl"
	assert_failure 1
	assert_equal "$stderr" ""
	assert_line --index 0 --partial '{"metric":"release","status":"regression","rule":"prd",'
	assert_line --index 1 '{"metric":"m.acc","value":8.5e+307,"baseline":1.7e+308,"window":3,"delta":-8.5e+307,"delta_pct":-50,"direction":"higher","status":"regression","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"c"}'
	assert_equal "${#lines[@]}" 2
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":1.7e308,\"run_id\":\"c\"}' | reg-check --rule prd -H h.jsonl"
	assert_success
	assert_line --index 0 --partial '{"metric":"release","status":"ok","rule":"prd",'
	assert_line --index 1 '{"metric":"m.acc","value":1.7e+308,"baseline":1.7e+308,"window":3,"delta":0,"delta_pct":0,"direction":"higher","status":"ok","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"c"}'
	assert_equal "${#lines[@]}" 2
	# -1.7e308 - 1.7e308 is beyond a double: no delta, but the percentage,
	# (-1.7e308 / 1.7e308 - 1) x 100 = -200, and the verdict stand.
	run --separate-stderr sh -c "echo '{\"metric\":\"m.acc\",\"value\":-1.7e308,\"run_id\":\"c\"}' | reg-check --rule prd -H h.jsonl"
	assert_failure 1
	assert_line --index 0 --partial '{"metric":"release","status":"regression","rule":"prd",'
	assert_line --index 1 '{"metric":"m.acc","value":-1.7e+308,"baseline":1.7e+308,"window":3,"delta":null,"delta_pct":-200,"direction":"higher","status":"regression","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"c"}'
	assert_equal "${#lines[@]}" 2
	# A baseline of 0 (lower is better): no change is 0 %, a rise has no
	# percentage but is worse, a regression.
	for i in 1 2 3; do
		echo '{"metric":"x.unparsed","value":0,"run_id":"h'$i'","ts":"2026-01-0'$i'"}'
	done >z.jsonl
	run --separate-stderr sh -c "echo '{\"metric\":\"x.unparsed\",\"value\":0}' | reg-check --rule prd -H z.jsonl"
	assert_success
	assert_line --index 0 --partial '{"metric":"release","status":"ok","rule":"prd",'
	assert_line --index 1 '{"metric":"x.unparsed","value":0,"baseline":0,"window":3,"delta":0,"delta_pct":0,"direction":"lower","status":"ok","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10}'
	assert_equal "${#lines[@]}" 2
	run --separate-stderr sh -c "echo '{\"metric\":\"x.unparsed\",\"value\":3}' | reg-check --rule prd -H z.jsonl"
	assert_failure 1
	assert_line --index 0 --partial '{"metric":"release","status":"regression","rule":"prd",'
	assert_line --index 1 '{"metric":"x.unparsed","value":3,"baseline":0,"window":3,"delta":3,"delta_pct":null,"direction":"lower","status":"regression","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10}'
	assert_equal "${#lines[@]}" 2
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
	# make demo's degraded release, as it was: every judge reply of
	# answer_relevancy and G-Eval unreadable, so their means were absent and
	# went unnoticed.
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
	run --separate-stderr reg-check --rule prd -v -w 3 -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 1 --partial '"metric":"judge.faithfulness.mean","value":0.7,"baseline":0.7,"window":3,'
	assert_line --index 2 --partial '"metric":"judge.answer_relevancy.unparsed","value":0,"baseline":0,"window":3,'
	assert_line --index 3 '{"metric":"judge.answer_relevancy.mean","baseline":0.9,"window":3,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"r4","model_tag":"release-1.4"}'
	assert_line --index 4 '{"metric":"judge.geval.mean","baseline":0.8,"window":3,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"r4","model_tag":"release-1.4"}'
	assert_equal "${#lines[@]}" 5
	assert_equal "$stderr" "reg-check: 4 metrics: 0 regressions, 2 missing, 0 improvements, 0 new, 0 with insufficient history, 0 ignored by the policy; the release regressed"
	# --allow-missing: the same rows, saying they do not gate the release; exit 0.
	run --separate-stderr reg-check --rule prd --allow-missing -w 3 -H h.jsonl c.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(grep -c '"status":"missing","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":false' <<<"$output")" 2
	# The current run's id from --run-id when its rows have none.
	sed 's/"run_id":"r4",//' c.jsonl >c2.jsonl
	run --separate-stderr reg-check --rule prd -w 3 --run-id r4 -H h.jsonl c2.jsonl
	assert_failure 1
	assert_line --index 3 --partial '"status":"missing","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"r4","model_tag":"release-1.4"}'
	# A policy rule may say a run can lack a metric (a count written only when not 0).
	echo '{"rules":[{"match":"judge.geval.*","optional":true}]}' >p.json
	run --separate-stderr reg-check --rule prd -w 3 -p p.json -H h.jsonl c.jsonl
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

# The tested verdict's fixture: five earlier runs of a task's overall rows
# (acc and acc_norm), a subset's, a group's, a small task's and a serving
# figure; the current run, with each row's figures computed independently
# (python3 with mpmath, 30 digits; se of a ratio from n, the baseline mean's
# sqrt(5 se^2)/5):
#   t.acc all 0.66 (n 1000) against 0.7: z = -2.45071540698, p = 0.0142572627695
#   t.acc_norm 0.60: z = -5.95491334175, p = 2.60209672439e-09 (the same as t.acc)
#   t.acc s1 0.55 (n 200): z = -3.94259323933, p = 8.06052976754e-05 (a subset)
#   t.acc g1 0.69 (n 500, a group): z = -0.442028080284, p = 0.658468886283
#   u.acc 0.5 (n 50): z = -2.61711961295, p = 0.00886752616372 (below --min-n)
#   perf.s.ttft_ms.p95 125 against 100, 102, 98, 101, 99: sd = sqrt(2.5),
#     t = 25 / (sd sqrt(1 + 1/5)) = 14.4337567297, df 4,
#     p = betainc(2, 1/2, 0, 4/(4 + t^2)) = 0.000133925283633
# The adjustment takes the one-sided p-values, half of those (p/2 = 6.69626418165e-05,
# 0.00712863138475, 0.329234443141, 1.30104836220e-09, 4.03026488377e-05,
# 0.00443376308186). Holm over the three gated rows (perf, t.acc, g1):
# 3 p/2 = 0.000200887925450, max(2 p/2, that) = 0.0142572627695,
# max(p/2, that) = 0.329234443141; over the three detail rows:
# 3.90314508659e-09, 8.06052976754e-05, 0.00443376308186.
# Benjamini-Hochberg instead: 0.000200887925450, 3 (p/2) / 2 = 0.0106929470771,
# 0.329234443141; detail 3.90314508659e-09, 6.04539732566e-05, 0.00443376308186.
stat_fixture() {
	for r in 1 2 3 4 5; do
		h='"run_id":"h'$r'","ts":"2026-01-0'$r'T00:00:00Z"'
		echo '{"metric":"t.acc","value":0.7,"n":1000,"unit":"ratio","labels":{"subset":"all"},'"$h"'}'
		echo '{"metric":"t.acc_norm","value":0.7,"n":1000,"unit":"ratio","labels":{"subset":"all"},'"$h"'}'
		echo '{"metric":"t.acc","value":0.7,"n":200,"unit":"ratio","labels":{"subset":"s1"},'"$h"'}'
		echo '{"metric":"t.acc","value":0.7,"n":500,"unit":"ratio","labels":{"subset":"g1"},'"$h"'}'
		echo '{"metric":"u.acc","value":0.7,"n":50,"unit":"ratio",'"$h"'}'
		echo '{"metric":"perf.s.ttft_ms.p95","value":'$((100 + (r == 2) * 2 - (r == 3) * 2 + (r == 4) - (r == 5)))',"unit":"ms","labels":{"scenario":"s"},'"$h"'}'
	done >h.jsonl
	cat >c.jsonl <<'ROWS'
{"metric":"t.acc","value":0.66,"n":1000,"unit":"ratio","labels":{"subset":"all"},"run_id":"c"}
{"metric":"t.acc_norm","value":0.6,"n":1000,"unit":"ratio","labels":{"subset":"all"},"run_id":"c"}
{"metric":"t.acc","value":0.55,"n":200,"unit":"ratio","labels":{"subset":"s1"},"run_id":"c"}
{"metric":"t.acc","value":0.69,"n":500,"unit":"ratio","labels":{"subset":"g1"},"level":"group","run_id":"c"}
{"metric":"u.acc","value":0.5,"n":50,"unit":"ratio","run_id":"c"}
{"metric":"perf.s.ttft_ms.p95","value":125,"unit":"ms","labels":{"scenario":"s"},"run_id":"c"}
ROWS
}

@test "reg-check: the release verdict: headline rows decide, one per measurement, Holm over them" {
	stat_fixture
	run --separate-stderr reg-check -v -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 '{"metric":"release","status":"regression","rule":"stat","adjust":"holm","alpha":0.05,"gated":3,"regressions":2,"improvements":0,"missing":0,"incomparable":0,"findings":[{"metric":"t.acc","labels":{"subset":"all"},"status":"regression","value":0.66,"baseline":0.7,"delta_pct":-5.71,"test":"z","p_adjusted":0.0142573},{"metric":"perf.s.ttft_ms.p95","labels":{"scenario":"s"},"status":"regression","value":125,"baseline":100,"delta_pct":25,"test":"spread","p_adjusted":0.000200888}],"run_id":"c"}'
	assert_line --index 1 '{"metric":"t.acc","labels":{"subset":"all"},"value":0.66,"baseline":0.7,"window":5,"delta":-0.04,"delta_pct":-5.71,"direction":"higher","status":"regression","p_value":0.0142573,"test":"z","n":1000,"p_adjusted":0.0142573,"gates":true,"min_effect_pct":2,"run_id":"c"}'
	# detail rows: significant on their own (adjusted among the detail rows), not gating
	assert_line --index 2 '{"metric":"t.acc_norm","labels":{"subset":"all"},"value":0.6,"baseline":0.7,"window":5,"delta":-0.1,"delta_pct":-14.29,"direction":"higher","status":"regression","p_value":2.6021e-09,"test":"z","n":1000,"p_adjusted":3.90315e-09,"gates":false,"note":"the same measurement as t.acc","min_effect_pct":2,"run_id":"c"}'
	assert_line --index 3 '{"metric":"t.acc","labels":{"subset":"s1"},"value":0.55,"baseline":0.7,"window":5,"delta":-0.15,"delta_pct":-21.43,"direction":"higher","status":"regression","p_value":8.06053e-05,"test":"z","n":200,"p_adjusted":8.06053e-05,"gates":false,"note":"a subset row","min_effect_pct":2,"run_id":"c"}'
	# a group's row is a headline row
	assert_line --index 4 '{"metric":"t.acc","labels":{"subset":"g1"},"value":0.69,"baseline":0.7,"window":5,"delta":-0.01,"delta_pct":-1.43,"direction":"higher","status":"ok","p_value":0.658469,"test":"z","n":500,"p_adjusted":0.329234,"gates":true,"min_effect_pct":2,"run_id":"c"}'
	assert_line --index 5 '{"metric":"u.acc","value":0.5,"baseline":0.7,"window":5,"delta":-0.2,"delta_pct":-28.57,"direction":"higher","status":"regression","p_value":0.00886753,"test":"z","n":50,"p_adjusted":0.00443376,"gates":false,"note":"n 50 is below 100","min_effect_pct":2,"run_id":"c"}'
	# a serving figure: the spread of the five runs; its policy's minimum effect is 10 %
	assert_line --index 6 '{"metric":"perf.s.ttft_ms.p95","labels":{"scenario":"s"},"value":125,"baseline":100,"window":5,"delta":25,"delta_pct":25,"direction":"lower","status":"regression","p_value":0.000133925,"test":"spread","n":null,"p_adjusted":0.000200888,"gates":true,"min_effect_pct":10,"run_id":"c"}'
	assert_equal "${#lines[@]}" 7
	assert_equal "$stderr" "reg-check: 6 metrics: 5 regressions, 0 missing, 0 improvements, 0 new, 0 with insufficient history, 0 ignored by the policy; the release regressed"
}

@test "reg-check: --adjust bh, --alpha, --min-effect, --min-n and --gate-subsets" {
	stat_fixture
	# Benjamini-Hochberg: t.acc's adjusted p is 0.0106929, s1's (detail) 6.0454e-05.
	run --separate-stderr reg-check --adjust bh -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '"status":"regression","rule":"stat","adjust":"bh","alpha":0.05,"gated":3,"regressions":2,'
	assert_line --index 1 --partial '"p_value":0.0142573,"test":"z","n":1000,"p_adjusted":0.0106929,"gates":true,'
	assert_line --index 3 --partial '"p_adjusted":6.0454e-05,"gates":false,"note":"a subset row",'
	# At alpha 0.01 t.acc's 0.0142573 is not enough; the serving figure still is.
	run --separate-stderr reg-check --alpha 0.01 -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '"alpha":0.01,"gated":3,"regressions":1,"improvements":0,"missing":0,"incomparable":0,"findings":[{"metric":"perf.s.ttft_ms.p95",'
	assert_line --index 1 --partial '"status":"ok","p_value":0.0142573,'
	# Changes under 30 % are never regressions: the release is ok, exit 0.
	run --separate-stderr reg-check --min-effect 30 -H h.jsonl c.jsonl
	assert_success
	assert_line --index 0 --partial '"status":"ok","rule":"stat","adjust":"holm","alpha":0.05,"gated":3,"regressions":0,'
	assert_line --index 6 --partial '"status":"ok","p_value":0.000133925,"test":"spread","n":null,"p_adjusted":0.000200888,"gates":true,"min_effect_pct":30,'
	# --min-n 10: u.acc gates too; Holm over four: 4 x 6.69626418165e-05 =
	# 0.000267850567266, 3 x 0.00443376308186 = 0.0133012892456, then
	# max(2 x 0.00712863138475, that) = 0.0142572627695.
	run --separate-stderr reg-check --min-n 10 -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '"gated":4,"regressions":3,'
	assert_line --index 5 --partial '"status":"regression","p_value":0.00886753,"test":"z","n":50,"p_adjusted":0.0133013,"gates":true,'
	assert_line --index 6 --partial '"p_adjusted":0.000267851,"gates":true,'
	# --gate-subsets: s1 gates; 4 x 4.03026488377e-05 = 0.000161210595351.
	run --separate-stderr reg-check --gate-subsets -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '"gated":4,"regressions":3,'
	assert_line --index 3 --partial '"status":"regression","p_value":8.06053e-05,"test":"z","n":200,"p_adjusted":0.000161211,"gates":true,"min_effect_pct":2,'
}

@test "reg-check: Holm keeps the family-wise rate where Benjamini-Hochberg finds all three" {
	# Three tasks, 0.5 in five runs (stderr 0), now 0.4795, 0.4812 and 0.4825
	# with stderr 0.01: z = -2.05, -1.88, -1.75; two-sided p (python3 mpmath
	# erfc) = 0.0403644308114, 0.0601080779224, 0.0801183137276, one-sided
	# half of it: 0.0201822154057, 0.0300540389612, 0.0400591568638. Holm:
	# 3 p1 = 0.0605466462171, max(2 p2, that), max(p3, that): all three
	# 0.0605466462171, none below 0.05. Benjamini-Hochberg: p3 =
	# 0.0400591568638, min(3 p2 / 2, that), min(3 p1, that): all three
	# 0.0400591568638, below 0.05.
	for r in 1 2 3 4 5; do
		for t in a b c; do
			echo '{"metric":"'$t'.acc","value":0.5,"stderr":0,"run_id":"h'$r'","ts":"2026-01-0'$r'"}'
		done
	done >h.jsonl
	printf '%s\n' '{"metric":"a.acc","value":0.4795,"stderr":0.01}' '{"metric":"b.acc","value":0.4812,"stderr":0.01}' \
		'{"metric":"c.acc","value":0.4825,"stderr":0.01}' >c.jsonl
	run --separate-stderr reg-check -H h.jsonl c.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r 'select(.metric != "release") | "\(.metric) \(.status) \(.p_value) \(.p_adjusted)"' <<<"$output")" "a.acc ok 0.0403644 0.0605466
b.acc ok 0.0601081 0.0605466
c.acc ok 0.0801183 0.0605466"
	run --separate-stderr reg-check --adjust bh -H h.jsonl c.jsonl
	assert_failure 1
	assert_equal "$(jq -r 'select(.metric != "release") | "\(.metric) \(.status) \(.p_adjusted)"' <<<"$output")" "a.acc regression 0.0400592
b.acc regression 0.0400592
c.acc regression 0.0400592"
	assert_line --index 0 --partial '"adjust":"bh","alpha":0.05,"gated":3,"regressions":3,'
}

@test "reg-check: McNemar's test pairs a row's own items: its subset, its group, its field" {
	# 30 items of task t: s1 (1-10) and s2 (11-20) in group g1, s3 (21-30) in g2.
	# Right before and wrong now: 1-8, 11, 12, 21 (correct), 1-3 (correct_norm);
	# wrong before and right now: 15, 16, 30 (both fields). Exact two-sided p,
	# 2 P(X <= min(b, c)) with X ~ Binomial(b + c, 1/2) (python3 fractions):
	#   t.acc all: b 11, c 3: 235/4096 = 0.057373046875
	#   t.acc s1: b 8, c 0: 1/128 = 0.0078125
	#   t.acc g1: b 10, c 2: 79/2048 = 0.03857421875
	#   t.acc_norm all: b 3, c 3: 1
	# and one-sided toward the drop, P(X <= c): 470/16384 = 0.0286865234375,
	# 1/256 = 0.00390625, 79/4096 = 0.019287109375; no change (t.acc_norm): 1.
	for i in $(seq 1 30); do
		s=s$(((i - 1) / 10 + 1)) g=g1
		[ "$i" -gt 20 ] && g=g2
		before=true now=true norm=true
		case $i in 15 | 16 | 30) before=false ;; esac
		case $i in [1-8] | 11 | 12 | 21) now=false ;; esac
		case $i in [1-3]) norm=false ;; esac
		echo '{"task":"t","doc_id":"t/'$i'","subset":"'$s'","group":"'$g'","correct":'$before',"correct_norm":'$before'}' >>ib.jsonl
		echo '{"task":"t","doc_id":"t/'$i'","subset":"'$s'","group":"'$g'","correct":'$now',"correct_norm":'$norm'}' >>ic.jsonl
	done
	for r in 1 2 3; do
		for k in 't.acc:all' 't.acc:s1' 't.acc:g1' 't.acc_norm:all'; do
			echo '{"metric":"'${k%:*}'","value":0.9,"labels":{"subset":"'${k#*:}'"},"run_id":"h'$r'","ts":"2026-01-0'$r'"}'
		done
	done >h.jsonl
	printf '%s\n' '{"metric":"t.acc","value":0.7,"labels":{"subset":"all"}}' '{"metric":"t.acc","value":0.6,"labels":{"subset":"s1"}}' \
		'{"metric":"t.acc","value":0.6,"labels":{"subset":"g1"},"level":"group"}' '{"metric":"t.acc_norm","value":0.9,"labels":{"subset":"all"}}' >c.jsonl
	run --separate-stderr reg-check -v --min-n 10 -H h.jsonl --items-baseline ib.jsonl --items-current ic.jsonl c.jsonl
	assert_failure 1
	assert_equal "$stderr" "reg-check: t.acc: 30 paired items, 11 right before and wrong now, 3 wrong before and right now, McNemar p=0.057373
reg-check: t.acc (s1): 10 paired items, 8 right before and wrong now, 0 wrong before and right now, McNemar p=0.0078125
reg-check: t.acc (g1): 20 paired items, 10 right before and wrong now, 2 wrong before and right now, McNemar p=0.0385742
reg-check: t.acc_norm: 30 paired items, 3 right before and wrong now, 3 wrong before and right now, McNemar p=1
reg-check: 4 metrics: 3 regressions, 0 missing, 0 improvements, 0 new, 0 with insufficient history, 0 ignored by the policy; the release regressed"
	# Gated: t.acc and g1, Holm: 2 x 0.019287109375 = 0.03857421875, then
	# max(0.0286865234375, that): both regressions. Detail: s1 and t.acc_norm
	# (the same as t.acc), Holm: 2 x 0.00390625 = 0.0078125, then 1.
	assert_line --index 1 --partial '"status":"regression","p_value":0.057373,"test":"mcnemar","n":30,"p_adjusted":0.0385742,"gates":true,'
	assert_line --index 2 --partial '"status":"regression","p_value":0.0078125,"test":"mcnemar","n":10,"p_adjusted":0.0078125,"gates":false,"note":"a subset row",'
	assert_line --index 3 --partial '"status":"regression","p_value":0.0385742,"test":"mcnemar","n":20,"p_adjusted":0.0385742,"gates":true,'
	assert_line --index 4 --partial '"status":"ok","p_value":1,"test":"mcnemar","n":30,"p_adjusted":1,"gates":false,"note":"the same measurement as t.acc",'
}

@test "reg-check: a measurement gone missing is one finding, however many rows it had" {
	# judge.x's mean and pass_rate both vanish: share/metrics.json says the
	# pass rate is the same measurement as the mean, so one finding, not two.
	for r in 1 2 3; do
		echo '{"metric":"judge.x.mean","value":0.8,"run_id":"h'$r'","ts":"2026-01-0'$r'"}'
		echo '{"metric":"judge.x.pass_rate","value":0.9,"run_id":"h'$r'","ts":"2026-01-0'$r'"}'
		echo '{"metric":"judge.y.mean","value":0.8,"run_id":"h'$r'","ts":"2026-01-0'$r'"}'
	done >h.jsonl
	echo '{"metric":"judge.y.mean","value":0.8,"run_id":"c"}' >c.jsonl
	run --separate-stderr reg-check -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 '{"metric":"release","status":"regression","rule":"stat","adjust":"holm","alpha":0.05,"gated":2,"regressions":0,"improvements":0,"missing":1,"incomparable":0,"findings":[{"metric":"judge.x.mean","status":"missing","baseline":0.8,"delta_pct":null,"test":"none","p_adjusted":null}],"run_id":"c"}'
	assert_line --index 3 '{"metric":"judge.x.pass_rate","baseline":0.9,"window":3,"delta":null,"delta_pct":null,"direction":"higher","status":"missing","p_value":null,"test":"none","n":null,"p_adjusted":null,"gates":false,"note":"the same measurement as judge.x.mean","min_effect_pct":2,"run_id":"c"}'
	# The plain rule counts every row.
	run --separate-stderr reg-check --rule prd -H h.jsonl c.jsonl
	assert_failure 1
	assert_line --index 0 --partial '"gated":3,"regressions":0,"improvements":0,"missing":2,'
}

@test "reg-check: the verdict's options and policy fields are checked" {
	run --separate-stderr reg-check -H x --rule median
	assert_failure 64
	assert_equal "$stderr" "reg-check: --rule: 'median' is not stat or prd
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check -H x --adjust bonferroni
	assert_failure 64
	assert_equal "$stderr" "reg-check: --adjust: 'bonferroni' is not holm or bh
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check -H x --require-significance 0.05
	assert_failure 64
	assert_equal "$stderr" "reg-check: --require-significance is the prd rule's: the stat rule always tests (see --alpha)
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check -H x --rule prd --min-n 10
	assert_failure 64
	assert_equal "$stderr" "reg-check: --adjust, --min-n, --min-effect and --gate-subsets are the stat rule's: not with --rule prd
Try 'reg-check --help' for more information."
	run --separate-stderr reg-check -H x --min-n -1
	assert_failure 64
	assert_output ""
	echo '{"metric":"a.acc","value":1}' >c.jsonl
	for r in '{"match":"*","same_as":".acc"}' '{"match":"*","same_as":""}' '{"match":"*","same_as":"acc."}'; do
		echo '{"rules":['"$r"']}' >p.json
		run --separate-stderr reg-check -p p.json -H /dev/null c.jsonl
		assert_failure 65
		assert_output ""
		assert_equal "$stderr" "reg-check: p.json: \"same_as\" must be a metric's last components, as \"acc\""
	done
	echo '{"default":{"min_effect_pct":-1}}' >p.json
	run --separate-stderr reg-check -p p.json -H /dev/null c.jsonl
	assert_failure 65
	assert_equal "$stderr" 'reg-check: p.json: "min_effect_pct" must not be negative'
}

@test "reg-check: items of several baseline runs: the paired z-test against each item's share right" {
	# Six items of task t, right (1) or wrong (0) in runs r1, r2, r3, and now:
	#   i1 1 1 1 | 0   i2 1 1 0 | 0   i3 0 0 0 | 0
	#   i4 1 0 0 | 1   i5 1 1 1 | 1   i6 1 1 0 | 0
	# Each item's change x - r (r its share right in the three runs):
	# -1, -2/3, 0, +2/3, 0, -2/3: sum -5/3. Its variance were nothing changed,
	# q(1-q)(1 + 1/3), q(1-q) from the four answers, m right, as
	# m(4 - m)/(4 x 3): 1/4, 1/3, 0, 1/3, 0, 1/3; sum of variances
	# (1/4 + 1/3 + 1/3 + 1/3) x 4/3 = 5/3. z = (-5/3)/sqrt(5/3) = -1.29099444874;
	# p = erfc(|z|/sqrt 2) = 0.196705602459, one-sided 0.0983528012295
	# (python3 fractions and mpmath).
	for r in 1 2 3; do
		for i in 1 2 3 4 5 6; do
			case "$r$i" in 11 | 12 | 14 | 15 | 16 | 21 | 22 | 25 | 26 | 31 | 35) c=true ;; *) c=false ;; esac
			echo '{"task":"t","doc_id":"t/'$i'","correct":'$c'}'
		done >r$r.jsonl
	done
	for i in 1 2 3 4 5 6; do
		case $i in 4 | 5) c=true ;; *) c=false ;; esac
		echo '{"task":"t","doc_id":"t/'$i'","correct":'$c'}'
	done >now.jsonl
	# the runs' accuracies: 5/6, 4/6, 2/6; now 2/6
	printf '%s\n' '{"metric":"t.acc","value":0.833333333333,"run_id":"r1","ts":"2026-01-01"}' \
		'{"metric":"t.acc","value":0.666666666667,"run_id":"r2","ts":"2026-01-02"}' \
		'{"metric":"t.acc","value":0.333333333333,"run_id":"r3","ts":"2026-01-03"}' >h.jsonl
	echo '{"metric":"t.acc","value":0.333333333333,"run_id":"c"}' >c.jsonl
	run --separate-stderr reg-check -v --min-n 1 -H h.jsonl --items-baseline r1.jsonl --items-baseline r2.jsonl \
		--items-baseline r3.jsonl --items-current now.jsonl c.jsonl
	assert_success
	assert_line --index 1 --partial '"status":"ok","p_value":0.196706,"test":"paired","n":6,"p_adjusted":0.0983528,"gates":true,'
	assert_equal "${stderr_lines[0]}" "reg-check: t.acc: 6 items paired with 3 runs, -1.66667 more right than their share, sd 1.29099, paired z p=0.196706"
	# One baseline run is McNemar's exact test, as before: r3 has i1 and i5
	# right, now i4 and i5: b 1 (i1), c 1 (i4), p 1.
	run --separate-stderr reg-check --min-n 1 -H h.jsonl --items-baseline r3.jsonl --items-current now.jsonl c.jsonl
	assert_success
	assert_line --index 1 --partial '"p_value":1,"test":"mcnemar","n":6,'
	run --separate-stderr reg-check --ab --items-baseline r1.jsonl --items-baseline r2.jsonl --items-current now.jsonl
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "reg-check: --ab compares two runs: one --items-baseline"
}

@test "reg-check: score-gen's per-filter rows: strict_match paired by the items' exact_match, flexible_extract the same measurement" {
	# score-gen --filter writes gsm8k.exact_match.strict_match and
	# .flexible_extract; its item rows carry "filter":"strict_match" and that
	# filter's "exact_match". 20 items: right before and wrong now 1-6, wrong
	# before and right now 20: b 6, c 1. Exact two-sided p = 2 P(X <= 1),
	# X ~ Binomial(7, 1/2) = 2 * 8/128 = 0.125 (python3 fractions).
	for i in $(seq 1 20); do
		before=true now=true
		[ "$i" -eq 20 ] && before=false
		[ "$i" -le 6 ] && now=false
		echo '{"task":"gsm8k","doc_id":"gsm8k/'$i'","subset":"all","correct":'$before',"filter":"strict_match","exact_match":'$before'}' >>ib.jsonl
		echo '{"task":"gsm8k","doc_id":"gsm8k/'$i'","subset":"all","correct":'$now',"filter":"strict_match","exact_match":'$now'}' >>ic.jsonl
	done
	for r in 1 2 3; do
		for m in strict_match flexible_extract; do
			echo '{"metric":"gsm8k.exact_match.'$m'","value":0.95,"labels":{"subset":"all"},"run_id":"h'$r'","ts":"2026-01-0'$r'"}'
		done
	done >h.jsonl
	printf '%s\n' '{"metric":"gsm8k.exact_match.strict_match","value":0.7,"labels":{"subset":"all"}}' \
		'{"metric":"gsm8k.exact_match.flexible_extract","value":0.75,"labels":{"subset":"all"}}' >c.jsonl
	run --separate-stderr reg-check -v --min-n 10 -H h.jsonl --items-baseline ib.jsonl --items-current ic.jsonl c.jsonl
	assert_success
	assert_equal "${stderr%%$'\n'*}" "reg-check: gsm8k.exact_match.strict_match: 20 paired items, 6 right before and wrong now, 1 wrong before and right now, McNemar p=0.125"
	assert_line --index 0 --partial '"gated":1,"regressions":0,'
	assert_line --index 1 --partial '"metric":"gsm8k.exact_match.strict_match",'
	assert_line --index 1 --partial '"p_value":0.125,"test":"mcnemar","n":20,'
	# flexible_extract has no item field of its own: a z-test at most, never gating.
	assert_line --index 2 --partial '"metric":"gsm8k.exact_match.flexible_extract",'
	assert_line --index 2 --partial '"gates":false,"note":"the same measurement as gsm8k.exact_match.strict_match",'
	# Items of another filter's exact_match are not this row's pairs: with none
	# paired, the verdict falls back to the history's spread.
	sed 's/strict_match/other/' ic.jsonl > io.jsonl
	run --separate-stderr reg-check -v --min-n 10 -H h.jsonl --items-baseline ib.jsonl --items-current io.jsonl c.jsonl
	assert_line --index 1 --partial '"metric":"gsm8k.exact_match.strict_match",'
	assert_line --index 1 --partial '"test":"spread","n":null,'
}

@test "reg-check: several samples of a doc_id pair on (doc_id, sample); accuracy reads \"correct\"" {
	# Baseline d1#0, d1#1, d2#0 right, d2#1 wrong; now only d1#1 right: by
	# sample, 2 right before and wrong now (d1#0, d2#0), none the other way,
	# 4 pairs. The files list the samples in other orders: pairing by doc_id
	# alone would join d1#0 with d1#1.
	echo '{"metric":"x.accuracy","value":0.75,"n":2,"unit":"ratio","run_id":"h1","ts":"2026-01-01"}' > h.jsonl
	echo '{"metric":"x.accuracy","value":0.25,"n":2,"unit":"ratio","run_id":"c"}' > c.jsonl
	printf '%s\n' '{"task":"x","doc_id":"d1","sample":1,"correct":true}' \
		'{"task":"x","doc_id":"d1","sample":0,"correct":true}' \
		'{"task":"x","doc_id":"d2","sample":1,"correct":false}' \
		'{"task":"x","doc_id":"d2","sample":0,"correct":true}' > base.jsonl
	printf '%s\n' '{"task":"x","doc_id":"d1","sample":0,"correct":false}' \
		'{"task":"x","doc_id":"d1","sample":1,"correct":true}' \
		'{"task":"x","doc_id":"d2","sample":0,"correct":false}' \
		'{"task":"x","doc_id":"d2","sample":1,"correct":false}' > cur.jsonl
	run --separate-stderr reg-check --rule prd --min-runs 1 -v -H h.jsonl --items-current cur.jsonl \
		--items-baseline base.jsonl c.jsonl
	assert_failure 1
	assert_line --index 1 '{"metric":"x.accuracy","value":0.25,"baseline":0.75,"window":1,"delta":-0.5,"delta_pct":-66.67,"direction":"higher","status":"regression","p_value":0.5,"test":"mcnemar","n":4,"p_adjusted":null,"gates":true,"threshold_pct":10,"run_id":"c"}'
	assert_equal "$stderr" "reg-check: x.accuracy: 4 paired items, 2 right before and wrong now, 0 wrong before and right now, McNemar p=0.5
reg-check: 1 metrics: 1 regressions, 0 missing, 0 improvements, 0 new, 0 with insufficient history, 0 ignored by the policy; the release regressed"
}

# vrow RUN DAY VERSION INPUTS VALUE: an mmlu.acc row of a task version.
vrow() {
	printf '{"metric":"mmlu.acc","value":%s,"n":1000,"stderr":0.015,"unit":"ratio","labels":{"task":"mmlu","subset":"all","task_version":"%s","task_inputs":"%s"},"run_id":"%s","ts":"2026-01-0%sT00:00:00Z"}\n' "$5" "$3" "$4" "$1" "$2"
}
V1='template=aaaaaaaa args=44136fa3 shots=5 data=dddddddd'

@test "reg-check: task versions: the same version is tested; a changed one is incomparable, names what changed, and does not gate" {
	{
		for d in 1 2 3; do
			vrow "h$d" $d v1 "$V1" 0.65
			printf '{"metric":"perf.basic.ttft_ms.p95","value":100,"run_id":"h%s","ts":"2026-01-0%sT00:00:00Z"}\n' $d $d
		done
	} > hist.jsonl
	# the same version, 7 points lower: a regression, as without versions
	{ vrow c 9 v1 "$V1" 0.58; echo '{"metric":"perf.basic.ttft_ms.p95","value":100,"run_id":"c"}'; } > cur.jsonl
	run --separate-stderr reg-check -H hist.jsonl cur.jsonl
	assert_failure 1
	run jq -c '[.metric, .status, .baseline, .task_version]' <<< "$output"
	assert_output - <<-'EOF'
	["release","regression",null,null]
	["mmlu.acc","regression",0.65,"v1"]
	["perf.basic.ttft_ms.p95","ok",100,null]
	EOF
	# the template changed: the same figure is incomparable, and the release ok
	{ vrow c 9 v2 "template=bbbbbbbb args=44136fa3 shots=5 data=dddddddd" 0.58; echo '{"metric":"perf.basic.ttft_ms.p95","value":100,"run_id":"c"}'; } > cur.jsonl
	run --separate-stderr reg-check -v -H hist.jsonl cur.jsonl
	assert_success
	assert_line --index 0 '{"metric":"release","status":"ok","rule":"stat","adjust":"holm","alpha":0.05,"gated":1,"regressions":0,"improvements":0,"missing":0,"incomparable":1,"findings":[],"run_id":"c"}'
	assert_line --index 1 '{"metric":"mmlu.acc","labels":{"subset":"all","task":"mmlu"},"value":0.58,"baseline":null,"window":0,"delta":null,"delta_pct":null,"direction":"higher","status":"incomparable","p_value":null,"test":"none","n":1000,"p_adjusted":null,"gates":false,"note":"template changed","min_effect_pct":2,"task_version":"v2","baseline_version":"v1","run_id":"c"}'
	assert_line --index 2 --partial '{"metric":"perf.basic.ttft_ms.p95","value":100,"baseline":100,"window":3,'
	assert_equal "${#lines[@]}" 3
	assert_equal "$stderr" "reg-check: 2 metrics: 0 regressions, 0 missing, 0 improvements, 0 new, 0 with insufficient history, 0 ignored by the policy, 1 incomparable; the release did not regress"
	# the plain rule too
	run --separate-stderr reg-check --rule prd -H hist.jsonl cur.jsonl
	assert_success
	assert_equal "$(jq -r 'select(.metric == "mmlu.acc") | .status' <<< "$output")" incomparable
}

@test "reg-check: an incomparable row's note names the parts that changed" {
	for d in 1 2 3; do vrow "h$d" $d v1 "$V1" 0.65; done > hist.jsonl
	while IFS='|' read -r inputs note; do
		vrow c 9 v2 "$inputs" 0.6 > cur.jsonl
		run --separate-stderr reg-check -H hist.jsonl cur.jsonl
		assert_success
		assert_equal "$(jq -r 'select(.metric == "mmlu.acc") | "\(.status): \(.note)"' <<< "$output")" "incomparable: $note"
	done <<-'EOF'
	template=aaaaaaaa args=44136fa3 shots=10 data=dddddddd|shots 5 → 10
	template=bbbbbbbb args=44136fa3 shots=5 data=eeeeeeee|template and data changed
	template=bbbbbbbb args=55555555 shots=0 data=eeeeeeee fewshot=12345678|template, args, data and fewshot changed, shots 5 → 0
	template=aaaaaaaa args=44136fa3 shots=5|data changed
	template=aaaaaaaa args=44136fa3 shots=10 limit=200 data=dddddddd params=99999999|limit and params changed, shots 5 → 10
	template=aaaaaaaa args=44136fa3 shots=5 data=dddddddd|task version v1 → v2
	|task version v1 → v2
	EOF
}

@test "reg-check: a mixed window: only runs of the current version are baselines; rows without a version are, until another version ran" {
	# v1: 0.60, 0.62, 0.64, 0.66 on days 1, 3, 5, 7; v2 on days 2, 4, 6;
	# an older run without a version on day 0
	{
		printf '{"metric":"mmlu.acc","value":0.5,"n":1000,"stderr":0.015,"unit":"ratio","labels":{"task":"mmlu","subset":"all"},"run_id":"old","ts":"2026-01-00T00:00:00Z"}\n'
		vrow a1 1 v1 "$V1" 0.60
		vrow b1 2 v2 "$V1" 0.90
		vrow a2 3 v1 "$V1" 0.62
		vrow b2 4 v2 "$V1" 0.90
		vrow a3 5 v1 "$V1" 0.64
		vrow b3 6 v2 "$V1" 0.90
		vrow a4 7 v1 "$V1" 0.66
	} > hist.jsonl
	# the three newest v1 runs: mean(0.62, 0.64, 0.66) = 0.64
	vrow c 9 v1 "$V1" 0.63 > cur.jsonl
	run --separate-stderr reg-check -w 3 -H hist.jsonl cur.jsonl
	assert_success
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.status, .baseline, .window]' <<< "$output")" '["ok",0.64,3]'
	# v2 has three runs; the run without a version came before runs of v1,
	# so the task changed since: not a baseline of v2
	vrow c 9 v2 "$V1" 0.9 > cur.jsonl
	run --separate-stderr reg-check -w 5 -H hist.jsonl cur.jsonl
	assert_success
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.status, .baseline, .window]' <<< "$output")" '["ok",0.9,3]'
	# with no run of another version after it, it is one: mean(0.9, 0.9, 0.9,
	# 0.5) = 0.8, and 0.9 is better by a z-test
	grep -v '"a[1-4]"' hist.jsonl > h1.jsonl
	run --separate-stderr reg-check -w 5 -H h1.jsonl cur.jsonl
	assert_success
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.status, .baseline, .window]' <<< "$output")" '["improvement",0.8,4]'
	# a version no run had: the run without a version is no baseline either
	vrow c 9 v3 "$V1" 0.5 > cur.jsonl
	run --separate-stderr reg-check -H hist.jsonl cur.jsonl
	assert_success
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.status, .baseline]' <<< "$output")" '["incomparable",null]'
	vrow c 9 v2 "$V1" 0.9 > cur.jsonl
	# a version with two runs left is short of history, not incomparable
	grep -v '"b1"' hist.jsonl | grep -v '"old"' > h2.jsonl
	run --separate-stderr reg-check -H h2.jsonl cur.jsonl
	assert_success
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.status, .window]' <<< "$output")" '["insufficient_history",2]'
}

@test "reg-check: items pair only with items of the same version, theirs or their run's" {
	# b1 ran version v1 and got every item wrong, b2 ran v2 and got them
	# right; the current run (v2) got them right. b1's items, as ClickHouse
	# keeps them, have no version: the history's rows of run b1 say v1.
	{ vrow b1 1 v1 "$V1" 0.0; vrow b2 2 v2 "$V1" 1.0; } > hist.jsonl
	vrow c 9 v2 "$V1" 1.0 > cur.jsonl
	for d in 1 2 3 4; do
		printf '{"task":"mmlu","doc_id":"q%s","run_id":"b1","correct":false,"score":0}\n' $d >> b1.jsonl
		printf '{"task":"mmlu","doc_id":"q%s","correct":true,"score":1,"task_version":"v2"}\n' $d >> b2.jsonl
		printf '{"task":"mmlu","doc_id":"q%s","correct":true,"score":1,"task_version":"v2"}\n' $d >> c.jsonl
	done
	run --separate-stderr reg-check -v --min-runs 1 -H hist.jsonl --items-current c.jsonl \
		--items-baseline b1.jsonl --items-baseline b2.jsonl cur.jsonl
	assert_success
	assert_equal "$(jq -c 'select(.metric == "mmlu.acc") | [.status, .baseline, .window, .test, .n]' <<< "$output")" '["ok",1,1,"paired",4]'
	# against b2 alone: as right as before, no variance
	assert_line --partial '"p_value":1,'
	assert_equal "$(sed -n 1p <<< "$stderr")" "reg-check: mmlu.acc: 4 items paired with 2 runs, 0 more right than their share, sd 0, paired z p=1"
}

@test "reg-check: a hallucination score is better lower, its pass rates better higher" {
	# The policy's first matching rule decides: judge.*.pass_rate and
	# pass_rate_all come before judge.hallucination*.
	for r in 1 2 3; do
		for m in mean:0.1 pass_rate:0.9 pass_rate_all:0.8; do
			printf '{"metric":"judge.hallucination.%s","value":%s,"run_id":"h%s","ts":"2026-11-0%sT10:00:00Z"}\n' "${m%%:*}" "${m#*:}" "$r" "$r"
		done
	done > h.jsonl
	printf '%s\n' '{"metric":"judge.hallucination.mean","value":0.3,"run_id":"c","ts":"2026-11-07T10:00:00Z"}' \
		'{"metric":"judge.hallucination.pass_rate","value":0.5,"run_id":"c","ts":"2026-11-07T10:00:00Z"}' \
		'{"metric":"judge.hallucination.pass_rate_all","value":0.4,"run_id":"c","ts":"2026-11-07T10:00:00Z"}' > c.jsonl
	run --separate-stderr reg-check --rule prd -H h.jsonl c.jsonl
	assert_failure 1
	run jq -c 'select(.metric != "release") | [.metric, .direction, .status]' <<< "$output"
	assert_output - <<-'EOF'
	["judge.hallucination.mean","lower","regression"]
	["judge.hallucination.pass_rate","higher","regression"]
	["judge.hallucination.pass_rate_all","higher","regression"]
	EOF
}


@test "reg-check: verdicts are the same bytes for any order of the history and the items" {
	# The history and both item files in five orders each: the baseline
	# windows (newest first), the paired items (by task, doc_id and sample)
	# and the A/B test (Welch's over the sorted items) are taken in one order
	# whatever the input's, so the verdicts are the same bytes.
	orders "$R/history.jsonl" h.
	orders "$R/items-base.jsonl" ib.
	orders "$R/items-cur.jsonl" ic.
	run --separate-stderr reg-check -H h.0.jsonl --items-current ic.0.jsonl --items-baseline ib.0.jsonl "$R/current.jsonl"
	assert_failure 1
	assert_equal "$stderr" ""
	assert_line --index 1 --partial '{"metric":"mmlu.acc","value":0.58,"baseline":0.65,"window":5,'
	local want=$output
	run --separate-stderr reg-check --ab --items-baseline ib.0.jsonl --items-current ic.0.jsonl
	assert_success
	assert_equal "$stderr" ""
	local want_ab=$output
	for i in 1 2 3 4; do
		run --separate-stderr reg-check -H h.$i.jsonl --items-current ic.$i.jsonl --items-baseline ib.$i.jsonl "$R/current.jsonl"
		assert_failure 1
		assert_equal "$stderr" ""
		assert_equal "$output" "$want"
		run --separate-stderr reg-check --ab --items-baseline ib.$i.jsonl --items-current ic.$i.jsonl
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$output" "$want_ab"
	done
}

@test "reg-check: a verdict does not depend on the order of the current rows" {
	# One verdict per current row, in the rows' order (as records flow
	# through), and the release row's findings in that order: in any order of
	# the rows, the same verdicts, and the same release row but for the order
	# of its findings.
	orders "$R/current.jsonl" c.
	run --separate-stderr reg-check -H "$R/history.jsonl" c.0.jsonl
	assert_failure 1
	assert_equal "$stderr" ""
	local want
	want=$(jq -cS 'if .findings then .findings |= sort_by(.metric) else . end' <<<"$output" | sort)
	for i in 1 2 3 4; do
		run --separate-stderr reg-check -H "$R/history.jsonl" c.$i.jsonl
		assert_failure 1
		assert_equal "$stderr" ""
		assert_equal "$(jq -cS 'if .findings then .findings |= sort_by(.metric) else . end' <<<"$output" | sort)" "$want"
	done
}
