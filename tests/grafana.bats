#!/usr/bin/env bats
# The "LLM Quality Overview" dashboard run as Grafana's ClickHouse data
# source runs it: a good and a degraded release through the real pipeline
# (release-eval.sh against vllm-sim, stored by ch-insert in a ClickHouse
# server the file starts: metrics, items, verdicts, runs), then every
# panel's SQL with its template variables and macros expanded
# (tests/grafana-expand.py) and the rows each panel shows checked.

bats_require_minimum_version 1.5.0
load helper
load fixtures/ch-insert/server
load fixtures/pipelines/common

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	ch_start
	CLICKHOUSE_URL=$CH_URL ch-insert --init
	# The two runs, once for the file, in a folder of its own (common's setup
	# builds the simulated model's answer key there).
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR/runs0 && mkdir -p "$BATS_TEST_TMPDIR" && setup
	export CLICKHOUSE_URL=$CH_URL REG_RULE=prd REG_MIN_RUNS=1
	start_sim --accuracy 1 --ttft-ms 5 --itl-ms 1
	eval_release release-1.0.0 g1 --no-judge
	[ "$status" -eq 0 ] || { echo "g1: exit $status: $stderr" >&3; return 1; }
	start_sim --accuracy 0.3 --ttft-ms 40 --itl-ms 6
	eval_release release-1.1.0 g2 --no-judge
	[ "$status" -eq 1 ] || { echo "g2: exit $status: $stderr" >&3; return 1; }
	teardown
	python3 "$VE_ROOT/tests/grafana-expand.py" "$VE_ROOT/share/grafana/llm-quality-overview.json" \
		"$CH_URL" "$(date +%s)" > "$BATS_FILE_TMPDIR/panels.jsonl"
}

teardown_file() {
	ch_stop
}

# The runs' own files: the expected side of each check.
R=$BATS_FILE_TMPDIR/runs0/runs

# rows ID JQ: the rows panel ID shows (its target's SQL as expanded, run on
# the server), each put through the jq filter JQ, in the panel's order.
rows() {
	local sql
	sql=$(jq -r --argjson id "$1" 'select(.id == $id) | .sql' "$BATS_FILE_TMPDIR/panels.jsonl")
	[ -n "$sql" ] || { echo "panel $1: no SQL" >&2; return 1; }
	CLICKHOUSE_URL=$CH_URL ch-query -q "$sql" > "$BATS_TEST_TMPDIR/panel.$1.jsonl" || return 1
	jq -r "$2" "$BATS_TEST_TMPDIR/panel.$1.jsonl"
}

# Release verdict per model tag: each tag's newest run, newest first, with
# the release row's status as aggregate.sh stored it in the runs table.
check_panel_7() {
	assert_equal "$(rows 7 '"\(.model_tag) \(.verdict) \(.run_id)"')" \
		"$(printf '%s\n' 'release-1.1.0 regression g2' 'release-1.0.0 ok g1')"
}

# Quality trend: one point per run for each headline quality row (subset
# "all" or none; perf. rows are the panels below), the value in the run's
# metrics.jsonl.
check_panel_1() {
	local want
	want=$(jq -r 'select((.labels.subset // "all") == "all" and (.metric | startswith("perf.") | not))
		| "\(.metric) \(.model_tag) \(.value)"' "$R/g1/metrics.jsonl" "$R/g2/metrics.jsonl" | sort)
	[ "$(grep -c ' release-1\.1\.0 ' <<< "$want")" -ge 3 ] || fail "too few headline rows: $want"
	assert_equal "$(rows 1 '"\(.series) \(.value)"' | sort)" "$want"
}

# Latest run against its baseline: the newest run's (g2's) headline verdict
# rows, as reg-check wrote them.
check_panel_2() {
	local want
	want=$(jq -r 'select(.metric != "release" and (.labels.subset // "all") == "all")
		| "\(.metric) \(.value) \(.baseline) \(.status) \(.run_id)"' "$R/g2/verdicts.jsonl" | sort)
	assert_equal "$(rows 2 '"\(.metric) \(.latest) \(.baseline) \(.status) \(.run_id)"' | sort)" "$want"
	# the headline accuracy fell from 1 (g1, the one earlier run)
	assert_equal "$(rows 2 'select(.metric == "mmlu.acc") | "\(.baseline) \(.status)"')" "1 regression"
}

# Regressions: exactly g2's verdict rows whose status is regression, with
# their labels: the rows the card was built from, not a rule of the
# dashboard's own.
check_panel_3() {
	local want
	want=$(jq -r 'select(.metric != "release" and .status == "regression")
		| "\(.metric) \(.labels // {} | tojson) \(.value) \(.baseline)"' "$R/g2/verdicts.jsonl" | sort)
	assert_equal "$(rows 3 '"\(.metric) \(.labels) \(.latest) \(.baseline)"' | sort)" "$want"
	rows 3 '"\(.metric) \(.labels) \(.run_id)"' > regressions
	grep -qx 'mmlu.acc {"subset":"all","task":"mmlu"} g2' regressions || fail "$(cat regressions)"
	grep -qx 'perf.basic_performance.ttft_ms.p95 {"scenario":"basic_performance"} g2' regressions ||
		fail "$(cat regressions)"
}

# perf_rows RE: the rows of both runs' metrics.jsonl whose metric matches RE.
perf_rows() {
	jq -r --arg re "$1" 'select(.metric | test($re)) | "\(.metric) \(.model_tag) \(.value)"' \
		"$R/g1/metrics.jsonl" "$R/g2/metrics.jsonl" | sort
}

# Latency percentiles: every TTFT/TPOT/ITL/E2EL figure of both runs.
check_panel_4() {
	local want
	want=$(perf_rows '^perf\.[^.]+\.(ttft|tpot|itl|e2el)_ms\.(p50|p90|p95|p99|median|mean)$')
	[ "$(wc -l <<< "$want")" -eq 48 ] || fail "not 2 runs x 4 figures x 6 statistics: $want"
	assert_equal "$(rows 4 '"\(.series) \(.value)"' | sort)" "$want"
}

# Throughput: the serving benchmark's throughputs of both runs.
check_panel_5() {
	local want
	want=$(perf_rows '^perf\.[^.]+\.(request_throughput|output_throughput|total_token_throughput|request_goodput)$')
	[ "$(wc -l <<< "$want")" -ge 6 ] || fail "too few throughput rows: $want"
	assert_equal "$(rows 5 '"\(.series) \(.value)"' | sort)" "$want"
}

# Runs: both runs, newest first, finished, with the release verdict.
check_panel_6() {
	assert_equal "$(rows 6 '"\(.run_id) \(.model_tag) \(.status) \(.finished != null)"')" \
		"$(printf '%s\n' 'g2 release-1.1.0 regression true' 'g1 release-1.0.0 ok true')"
}

# Task versions: each task of the newest run with the version its metric
# rows carry; g1 had the same, so its verdicts were compared.
check_panel_8() {
	local want
	want=$(jq -r 'select(.labels.subset == "all" and .labels.task_version != null)
		| "\(.labels.task) \(.labels.task_version) compared g2"' "$R/g2/metrics.jsonl" | sort -u)
	[ "$(wc -l <<< "$want")" -eq 3 ] || fail "not three tasks: $want"
	assert_equal "$(rows 8 '"\(.task) \(.version) \(.verdicts) \(.run_id)"')" "$want"
}

@test "grafana: every panel of the dashboard shows the rows of the two runs it should" {
	local id title n=0
	while IFS=$'\t' read -r id title; do
		declare -F "check_panel_$id" > /dev/null || fail "panel $id ($title) has no check in tests/grafana.bats"
		echo "panel $id: $title" # said when a check below fails
		"check_panel_$id"
		n=$((n + 1))
	done < <(jq -r '.panels[] | "\(.id)\t\(.title)"' "$VE_ROOT/share/grafana/llm-quality-overview.json")
	[ $n -eq 8 ] || fail "$n panels"
}

@test "grafana: each panel's SQL was expanded whole: no macro or variable left, every target" {
	run -0 jq -s 'length' "$BATS_FILE_TMPDIR/panels.jsonl"
	assert_output "$(jq '[.panels[].targets[]] | length' "$VE_ROOT/share/grafana/llm-quality-overview.json")"
	run -1 grep -E '\$__|\$\{|\[\[' "$BATS_FILE_TMPDIR/panels.jsonl"
	# the time filter as the plugin writes it, over the default 90 days
	run -0 jq -r 'select(.id == 6) | .sql' "$BATS_FILE_TMPDIR/panels.jsonl"
	assert_output --regexp 'WHERE started >= toDateTime\([0-9]+\) AND started <= toDateTime\([0-9]+\) AND'
}
