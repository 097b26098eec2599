#!/usr/bin/env bats
# ch-query against a clickhouse-server 18.16 this file starts (named queries,
# client-side parameter literals, the history -> reg-check path), and against
# fakech.py posing as 24.x (server-side query parameters).

bats_require_minimum_version 1.5.0
load helper
load fixtures/ch-insert/server

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	ch_start
	export CLICKHOUSE_URL=$CH_URL
	ch-insert --init
	ch-insert "$FIX/reg-check/history.jsonl"
	ch-insert -t items --run-id icur --model-tag release-2.0 --ts 2026-11-07T10:00:00Z "$FIX/reg-check/items-cur.jsonl"
	ch-insert -t items --run-id ibase --model-tag release-1.6 --ts 2026-11-06T10:00:00Z "$FIX/reg-check/items-base.jsonl"
}

teardown_file() {
	ch_stop
}

setup() {
	setup_scratch
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	export CLICKHOUSE_URL=$CH_URL
	unset CLICKHOUSE_USER CLICKHOUSE_PASSWORD
	R="$FIX/reg-check"
}

teardown() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	return 0
}

@test "ch-query: history gives the last N runs of a family, newest first, once each" {
	run --separate-stderr ch-query -v -n history -p family=release-1 -p runs=2
	assert_success
	assert_equal "$stderr" "ch-query: ClickHouse 18.16.1
ch-query: 10 rows"
	# r6 and r5 (5 metrics each); r6's mmlu.acc was in the file twice
	assert_line --index 0 '{"run_id":"r6","model_tag":"release-1.6","metric":"arc_challenge.acc","value":0.5,"n":null,"stderr":null,"unit":"","labels":"{}","ts":"2026-11-06T10:00:00Z"}'
	assert_line --index 2 '{"run_id":"r6","model_tag":"release-1.6","metric":"mmlu.acc","value":0.648,"n":1000,"stderr":0.015,"unit":"ratio","labels":"{}","ts":"2026-11-06T10:00:00Z"}'
	assert_line --index 9 '{"run_id":"r5","model_tag":"release-1.5","metric":"perf.basic.ttft_ms.p95","value":105,"n":null,"stderr":null,"unit":"ms","labels":"{}","ts":"2026-11-05T10:00:00Z"}'
	assert_equal "${#lines[@]}" 10
}

@test "ch-query: history piped to reg-check gives the verdicts of the history file" {
	reg-check -H "$R/history.jsonl" "$R/current.jsonl" > direct.jsonl || true
	ch-query -n history -p family=release- -p runs=10 > h.jsonl
	run --separate-stderr reg-check -H h.jsonl "$R/current.jsonl"
	assert_failure 1
	assert_output "$(cat direct.jsonl)"
	assert_line --index 1 --partial '"baseline":0.65,"window":5,"delta":-0.07,"delta_pct":-10.77,"direction":"higher","status":"regression"'
}

@test "ch-query: latest gives the newest run of a family" {
	run --separate-stderr ch-query -n latest -p family=release-1.
	assert_success
	run jq -r '[.run_id, .metric] | join(" ")' <<<"$output"
	assert_output "r6 arc_challenge.acc
r6 gsm8k.exact_match
r6 mmlu.acc
r6 perf.basic.output_throughput
r6 perf.basic.ttft_ms.p95"
}

@test "ch-query: items of two runs feed McNemar's test in reg-check" {
	ch-query -n items -p run_id=icur > cur.jsonl
	ch-query -n items -p run_id=ibase > base.jsonl
	run wc -l < cur.jsonl
	assert_output 56
	run --separate-stderr reg-check --rule prd -H "$R/history.jsonl" --items-current cur.jsonl --items-baseline base.jsonl "$R/current.jsonl"
	assert_failure 1
	# 134/2048, as from the item files themselves (reg-check.bats)
	assert_line --index 1 --partial '"status":"regression","p_value":0.0654297,"test":"mcnemar","n":40,'
}

# Item rows of a baseline run (ib.jsonl) and the current one (ic.jsonl) of
# the kinds reg-check pairs by more than (task, doc_id) and "correct"
# (reg-check.bats has each alone): several samples of a doc (x), score-gen's
# per-filter exact_match (gsm8k), score-mcq's correct_norm and group (t), and
# the history and current rows of their metrics (h.jsonl, c.jsonl).
paired_items() {
	printf '%s\n' '{"task":"x","doc_id":"d1","sample":1,"correct":true,"score":1,"task_version":"v1"}' \
		'{"task":"x","doc_id":"d1","sample":0,"correct":true,"score":1,"task_version":"v1"}' \
		'{"task":"x","doc_id":"d2","sample":1,"correct":false,"score":0,"task_version":"v1"}' \
		'{"task":"x","doc_id":"d2","sample":0,"correct":true,"score":1,"task_version":"v1"}' > ib.jsonl
	printf '%s\n' '{"task":"x","doc_id":"d1","sample":0,"correct":false,"score":0,"truncated":true,"task_version":"v1"}' \
		'{"task":"x","doc_id":"d1","sample":1,"correct":true,"score":1,"task_version":"v1"}' \
		'{"task":"x","doc_id":"d2","sample":0,"correct":false,"score":0,"task_version":"v1"}' \
		'{"task":"x","doc_id":"d2","sample":1,"correct":false,"score":0,"task_version":"v1"}' > ic.jsonl
	# gsm8k: right before and wrong now 1-6, wrong before and right now 20
	for i in $(seq 1 20); do
		before=true now=true
		[ "$i" -eq 20 ] && before=false
		[ "$i" -le 6 ] && now=false
		echo '{"task":"gsm8k","doc_id":"gsm8k-'$i'","subset":"all","correct":'$before',"filter":"strict_match","exact_match":'$before'}' >>ib.jsonl
		echo '{"task":"gsm8k","doc_id":"gsm8k-'$i'","subset":"all","correct":'$now',"filter":"strict_match","exact_match":'$now'}' >>ic.jsonl
	done
	# t: s1 (1-10) and s2 (11-20) in group g1, s3 (21-30) in g2; right before
	# and wrong now 1-8, 11, 12, 21 (correct), 1-3 (correct_norm); wrong
	# before and right now 15, 16, 30 (both)
	for i in $(seq 1 30); do
		s=s$(((i - 1) / 10 + 1)) g=g1
		[ "$i" -gt 20 ] && g=g2
		before=true now=true norm=true
		case $i in 15 | 16 | 30) before=false ;; esac
		case $i in [1-8] | 11 | 12 | 21) now=false ;; esac
		case $i in [1-3]) norm=false ;; esac
		echo '{"task":"t","doc_id":"t-'$i'","subset":"'$s'","group":"'$g'","correct":'$before',"correct_norm":'$before',"exact_match":'$before'}' >>ib.jsonl
		echo '{"task":"t","doc_id":"t-'$i'","subset":"'$s'","group":"'$g'","correct":'$now',"correct_norm":'$norm',"exact_match":'$now'}' >>ic.jsonl
	done
	for r in 1 2 3; do
		for k in 'x.accuracy:all' 'gsm8k.exact_match.strict_match:all' 't.acc:all' 't.acc:g1' 't.acc_norm:all'; do
			echo '{"metric":"'${k%:*}'","value":0.9,"labels":{"subset":"'${k#*:}'"},"run_id":"h'$r'","ts":"2026-01-0'$r'"}'
		done
	done > h.jsonl
	printf '%s\n' '{"metric":"x.accuracy","value":0.25,"labels":{"subset":"all"}}' \
		'{"metric":"gsm8k.exact_match.strict_match","value":0.7,"labels":{"subset":"all"}}' \
		'{"metric":"t.acc","value":0.7,"labels":{"subset":"all"}}' \
		'{"metric":"t.acc","value":0.6,"labels":{"subset":"g1"},"level":"group"}' \
		'{"metric":"t.acc_norm","value":0.9,"labels":{"subset":"all"}}' > c.jsonl
}

@test "ch-query: items with samples, filters and correct_norm pair in reg-check as their files do" {
	paired_items
	ch-insert -t items --run-id pcur --model-tag release-2.0 --ts 2026-11-07T10:00:00Z ic.jsonl
	ch-insert -t items --run-id pbase --model-tag release-1.6 --ts 2026-11-06T10:00:00Z ib.jsonl
	ch-query -n items -p run_id=pcur > cur.jsonl
	ch-query -n items -p run_id=pbase > base.jsonl
	run wc -l < cur.jsonl
	assert_output 54
	run --separate-stderr reg-check -v --min-n 4 -H h.jsonl --items-baseline ib.jsonl --items-current ic.jsonl c.jsonl
	files_out=$output files_err=$stderr
	run --separate-stderr reg-check -v --min-n 4 -H h.jsonl --items-baseline base.jsonl --items-current cur.jsonl c.jsonl
	assert_success
	assert_equal "$output" "$files_out"
	assert_equal "$stderr" "$files_err"
	# McNemar's exact p, two-sided (python3 fractions, as in reg-check.bats):
	# x b 2 c 0: 1/2; gsm8k b 6 c 1: 1/8; t b 11 c 3: 235/4096, g1 b 10 c 2:
	# 79/2048; t.acc_norm b 3 c 3: 1
	assert_equal "$stderr" "reg-check: x.accuracy: 4 paired items, 2 right before and wrong now, 0 wrong before and right now, McNemar p=0.5
reg-check: gsm8k.exact_match.strict_match: 20 paired items, 6 right before and wrong now, 1 wrong before and right now, McNemar p=0.125
reg-check: t.acc: 30 paired items, 11 right before and wrong now, 3 wrong before and right now, McNemar p=0.057373
reg-check: t.acc (g1): 20 paired items, 10 right before and wrong now, 2 wrong before and right now, McNemar p=0.0385742
reg-check: t.acc_norm: 30 paired items, 3 right before and wrong now, 3 wrong before and right now, McNemar p=1
reg-check: 5 metrics: 0 regressions, 0 missing, 0 improvements, 0 new, 0 with insufficient history, 0 ignored by the policy; the release did not regress"
	assert_line --index 1 --partial '"p_value":0.5,"test":"mcnemar","n":4,"p_adjusted":0.25,'
	assert_line --index 2 --partial '"p_value":0.125,"test":"mcnemar","n":20,"p_adjusted":0.125,'
}

@test "ch-query: --param values are escaped literals on 18.16, whatever they hold" {
	v=$'it\'s a \\ "test"\n\twith\'); DROP TABLE vllm_eval.results; --'
	run --separate-stderr ch-query 'SELECT {x:String} AS x, length({x:String}) AS n' -p "x=$v"
	assert_success
	run jq -r .x <<<"$output"
	assert_output "$v"
	run ch_sql "EXISTS TABLE vllm_eval.results"
	assert_output 1
	run --separate-stderr ch-query 'SELECT {x:String} AS x' -p 'x=日本語'
	assert_output '{"x":"日本語"}'
}

@test "ch-query: numeric parameters must be numbers" {
	run --separate-stderr ch-query -n history -p family=a -p runs='5; DROP TABLE x'
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "ch-query: --param runs: expected a number for UInt32, got '5; DROP TABLE x'"
}

@test "ch-query: a missing or an unused parameter is a usage error" {
	run --separate-stderr ch-query -n history -p family=a
	assert_failure 64
	assert_equal "$stderr" "ch-query: the query needs --param runs=VALUE (for {runs:UInt32})"
	run --separate-stderr ch-query 'SELECT 1' -p y=2
	assert_failure 64
	assert_equal "$stderr" "ch-query: --param y: the query has no {y:Type}"
}

@test "ch-query: a query ClickHouse rejects is exit 65 with its message" {
	run --separate-stderr ch-query 'SELEC 1'
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ch-query: SQL: ClickHouse rejected the query: Code: 62, e.displayText() = DB::Exception: Syntax error: failed at position 1 (line 1, col 1): SELEC 1"
	printf 'SELECT nosuchcolumn FROM vllm_eval.results;\n' > q.sql
	run --separate-stderr ch-query -f q.sql
	assert_failure 65
	assert_equal "$stderr" "ch-query: q.sql: ClickHouse rejected the query: Code: 47, e.displayText() = DB::Exception: Unknown identifier: nosuchcolumn"
}

@test "ch-query: --file, and a FORMAT the query names is kept" {
	printf -- '-- a comment\nSELECT count() AS c FROM vllm_eval.results FINAL FORMAT TSV;\n' > q.sql
	run --separate-stderr ch-query -f q.sql
	assert_success
	# history.jsonl: 27 identities (python3: len({(run_id, metric)}))
	assert_output 27
	run --separate-stderr ch-query 'SELECT toUInt64(18446744073709551615) AS big, 1.5 AS f'
	assert_output '{"big":18446744073709551615,"f":1.5}'
}

@test "ch-query: a 24.x server gets string parameters as param_ URL parameters" {
	mkdir fake
	port=$(ve_free_port)
	python3 "$FIX/ch-insert/fakech.py" "$port" fake 24.3.1.2672 200 &
	FAKE_PID=$!
	ve_wait_http "http://127.0.0.1:$port/ping" 10
	printf '{"x":1}\n' > fake/answer
	run --separate-stderr ch-query --url "http://127.0.0.1:$port/" -n history -p "family=rel'ease-" -p runs=3
	assert_success
	assert_output '{"x":1}'
	run python3 -c '
import urllib.parse
u = urllib.parse.urlsplit(open("fake/req.0.url").read().strip())
print(sorted(urllib.parse.parse_qs(u.query).items()))'
	assert_output "[('output_format_json_quote_64bit_integers', ['0']), ('param_family', [\"rel'ease-\"]), ('readonly', ['1'])]"
	run grep -c -e 'startsWith(model_tag, {family:String})' -e 'LIMIT 3$' fake/req.0.body
	assert_output 3
}

@test "ch-query: no server, wrong password: exit 69" {
	port=$(ve_free_port)
	run --separate-stderr ch-query --url "http://127.0.0.1:$port/" --attempts 2 --backoff 0.01 'SELECT 1'
	assert_failure 69
	assert_equal "$stderr" "ch-query: ClickHouse: Couldn't connect to server after 2 attempts"
	CLICKHOUSE_USER=writer CLICKHOUSE_PASSWORD=nope run --separate-stderr ch-query 'SELECT 1'
	assert_failure 69
	assert_equal "$stderr" "ch-query: ClickHouse: authentication failed: Code: 193, e.displayText() = DB::Exception: Wrong password for user writer"
	echo s3cret > pw
	CLICKHOUSE_USER=writer run --separate-stderr ch-query --password-file pw 'SELECT 1 AS one'
	assert_success
	assert_output '{"one":1}'
}

# Starts fakech.py (as 18.16) answering SCRIPT; sets FPORT.
start_fake() {
	mkdir -p fake
	FPORT=$(ve_free_port)
	python3 "$FIX/ch-insert/fakech.py" "$FPORT" fake 18.16.1 "$1" &
	FAKE_PID=$!
	ve_wait_http "http://127.0.0.1:$FPORT/ping" 10
}

@test "ch-query: --retries; 408 is retried; --attempts N is an alias of --retries N-1" {
	start_fake 408,200
	printf '{"x":1}\n' > fake/answer
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" --retries 1 --backoff 0.01 'SELECT 1'
	assert_success
	assert_output '{"x":1}'
	assert_equal "$stderr" ""
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -rf fake
	start_fake 503
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" --attempts 3 --backoff 0.01 'SELECT 1'
	assert_failure 69
	assert_equal "$stderr" "ch-query: ClickHouse: HTTP 503 after 3 attempts: scripted failure"
	run sh -c 'ls fake/*.url | wc -l'
	assert_output 3
}

@test "ch-query: another 4xx is not retried" {
	start_fake 404
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" --backoff 0.01 'SELECT 1'
	assert_failure 65
	assert_equal "$stderr" "ch-query: SQL: ClickHouse rejected the query: scripted failure"
	run sh -c 'ls fake/*.url | wc -l'
	assert_output 1
}

@test "ch-query: the password the server echoes never reaches stderr" {
	start_fake 500:echo
	CLICKHOUSE_USER=reader CLICKHOUSE_PASSWORD=s3cret run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" --retries 1 --backoff 0.001 'SELECT 1'
	assert_failure 69
	assert_equal "$stderr" "ch-query: ClickHouse: HTTP 500 after 2 attempts: scripted failure for X-ClickHouse-User: reader; X-ClickHouse-Key: ***"
	run grep -c 'X-ClickHouse-Key: s3cret' fake/req.0.head
	assert_output 1
}

@test "ch-query: a URL that is not http(s) is a usage error, never tried" {
	run --separate-stderr ch-query --url "ftp://u:pw@127.0.0.1:1/x?password=p" 'SELECT 1'
	assert_failure 64
	assert_equal "$stderr" "ch-query: --url: expected an http:// or https:// URL, got 'ftp://***@127.0.0.1:1/x?***'
Try 'ch-query --help' for more information."
}

@test "ch-query: usage errors" {
	run --separate-stderr ch-query
	assert_failure 64
	assert_equal "$stderr" "ch-query: give the query once: as SQL, --file FILE or --name NAME
Try 'ch-query --help' for more information."
	run --separate-stderr ch-query -n history 'SELECT 1'
	assert_failure 64
	run --separate-stderr ch-query -n ../x
	assert_failure 64
	assert_equal "$stderr" "ch-query: --name: '../x' is not a query name (letters, digits, _)
Try 'ch-query --help' for more information."
	run --separate-stderr ch-query -p =1 'SELECT 1'
	assert_failure 64
	CLICKHOUSE_URL= run --separate-stderr ch-query 'SELECT 1'
	assert_failure 64
	assert_equal "$stderr" "ch-query: no ClickHouse: give --url or set CLICKHOUSE_URL
Try 'ch-query --help' for more information."
	run --separate-stderr ch-query -n nosuch
	assert_failure 66
	assert_equal "$stderr" "ch-query: --name nosuch: no share/clickhouse/queries/nosuch.sql (set VLLM_EVAL_SHARE)"
	run --separate-stderr ch-query -f missing.sql
	assert_failure 66
	assert_equal "$stderr" "ch-query: missing.sql: No such file or directory"
}

@test "ch-query: --help and --version" {
	run --separate-stderr ch-query -h
	assert_success
	assert_line --index 0 "usage: ch-query [-qv] [--url URL] [--user USER] [--password-file FILE]"
	run --separate-stderr ch-query --version
	assert_output --regexp '^ch-query [0-9.]+ \(vllm-eval\)$'
}

@test "ch-query: an empty result is no output; > /dev/full is 74" {
	run --separate-stderr ch-query "SELECT 1 WHERE 0"
	assert_success
	assert_output ""
	run --separate-stderr sh -c 'ch-query "SELECT 1" > /dev/full'
	assert_failure 74
	[[ "$stderr" == "ch-query: write error: "* ]]
}

@test "ch-query: the Grafana dashboard's queries run on 18.16; the baseline panels compute nothing of their own" {
	skip_under_valgrind "the dashboard's SQL against the server: the plain and ASan tiers run it"
	run jq -r '.title, (.panels | length), ([.panels[].targets[0].datasource.type] | unique | .[])' "$VE_ROOT/share/grafana/llm-quality-overview.json"
	assert_output "LLM Quality Overview
8
grafana-clickhouse-datasource"
	# the release verdict first, at the top
	run jq -c '[.panels[0].id, .panels[0].gridPos, ([.panels[].gridPos.y] | min)]' "$VE_ROOT/share/grafana/llm-quality-overview.json"
	assert_output '[7,{"h":6,"w":24,"x":0,"y":0},0]'
	# trend: 6 runs x 2 metrics of release-1.*
	run ch-query "$(dashboard_sql 1)"
	assert_success
	assert_equal "${#lines[@]}" 12
	assert_line --index 0 '{"time":"2026-11-01 10:00:00","series":"gsm8k.exact_match release-1.1","value":0.9}'
	# The panels against the baseline show reg-check's verdict rows as
	# stored (tests/grafana.bats checks them after real runs); they compute
	# nothing of their own, so with the metrics alone they are empty.
	run ch-query "$(dashboard_sql 2)"
	assert_success
	assert_output ""
	run ch-query "$(dashboard_sql 3)"
	assert_success
	assert_output ""
	run ch-query "$(dashboard_sql 4)"
	assert_success
	assert_equal "${#lines[@]}" 6
	assert_line --index 0 '{"time":"2026-11-01 10:00:00","series":"perf.basic.ttft_ms.p95 release-1.1","value":500}'
	run ch-query "$(dashboard_sql 5)"
	assert_success
	assert_equal "${#lines[@]}" 6
	echo '{"run_id":"rr","model_tag":"release-1.9","image":"img","started":"2026-11-08T00:00:00Z","status":"succeeded","workflow_url":"https://argo/wf/rr"}' | ch-insert -t runs
	run ch-query "$(dashboard_sql 6)"
	assert_success
	assert_output '{"run_id":"rr","model_tag":"release-1.9","status":"succeeded","started":"2026-11-08 00:00:00","finished":null,"workflow_url":"https:\/\/argo\/wf\/rr"}'
}

@test "ch-query: the dashboard's release verdict is each model tag's newest run's status" {
	# two runs of release-1.8 (the newer regressed), one of release-1.9, and
	# one of another family; the row inserted twice counts once (FINAL)
	cat > runs.jsonl <<'J'
{"run_id":"v1","model_tag":"release-1.8","image":"img","started":"2026-11-09T00:00:00Z","status":"ok","workflow_url":"https://argo/wf/v1"}
{"run_id":"v2","model_tag":"release-1.8","image":"img","started":"2026-11-10T00:00:00Z","status":"regression","workflow_url":"https://argo/wf/v2"}
{"run_id":"v3","model_tag":"release-1.9","image":"img","started":"2026-11-09T12:00:00Z","status":"ok","workflow_url":"https://argo/wf/v3"}
{"run_id":"v4","model_tag":"nightly-1.9","image":"img","started":"2026-11-11T00:00:00Z","status":"regression","workflow_url":""}
J
	ch-insert --database vllm_eval_verdict --init
	sed 's/vllm_eval\.runs/vllm_eval_verdict.runs/' <<<"$(dashboard_sql 7)" > q.sql
	ch-insert --database vllm_eval_verdict -t runs runs.jsonl
	ch-insert --database vllm_eval_verdict -t runs runs.jsonl
	run ch-query "$(cat q.sql)"
	assert_success
	assert_output '{"model_tag":"release-1.8","verdict":"regression","run_id":"v2","last_started":"2026-11-10 00:00:00","workflow_url":"https:\/\/argo\/wf\/v2"}
{"model_tag":"release-1.9","verdict":"ok","run_id":"v3","last_started":"2026-11-09 12:00:00","workflow_url":"https:\/\/argo\/wf\/v3"}'
	# the verdict column is coloured by its value: regression red, ok green
	run jq -c '.panels[] | select(.id == 7) | .fieldConfig.overrides[0].properties[0].value[0].options | map_values(.color)' "$VE_ROOT/share/grafana/llm-quality-overview.json"
	assert_output '{"regression":"red","ok":"green"}'
}

@test "ch-query: the dashboard's task versions: the newest run's version, incomparable when the runs before it had another" {
	# mmlu: v1 in r1, r2, then v2 in r3 (its template changed); arc: v1 in
	# r1 and r3 (r2 had none, a run from before versions); a serving row
	# without a task is no task's
	row() { printf '{"metric":"%s.acc","value":0.5,"labels":{"task":"%s","subset":"all","task_version":"%s","task_inputs":"template=%s shots=0"},"run_id":"%s","model_tag":"release-1.%s","ts":"2026-11-0%sT10:00:00Z"}\n' "$1" "$1" "$2" "$3" "$4" "$5" "$5"; }
	{
		row mmlu v1 aaaaaaaa r1 1
		row mmlu v1 aaaaaaaa r2 2
		row mmlu v2 bbbbbbbb r3 3
		row arc v1 cccccccc r1 1
		echo '{"metric":"arc.acc","value":0.5,"labels":{"task":"arc","subset":"all"},"run_id":"r2","model_tag":"release-1.2","ts":"2026-11-02T10:00:00Z"}'
		row arc v1 cccccccc r3 3
		row kmmlu v9 dddddddd r3 3
		echo '{"metric":"perf.basic.ttft_ms.p95","value":9,"run_id":"r3","model_tag":"release-1.3","ts":"2026-11-03T10:00:00Z"}'
	} > rows.jsonl
	ch-insert --database vllm_eval_versions --init
	ch-insert --database vllm_eval_versions -t results rows.jsonl
	sed 's/vllm_eval\.results/vllm_eval_versions.results/' <<<"$(dashboard_sql 8)" > q.sql
	run ch-query "$(cat q.sql)"
	assert_success
	assert_output '{"task":"arc","version":"v1","verdicts":"compared","inputs":"template=cccccccc shots=0","previous_inputs":"template=cccccccc shots=0","run_id":"r3"}
{"task":"kmmlu","version":"v9","verdicts":"new","inputs":"template=dddddddd shots=0","previous_inputs":"","run_id":"r3"}
{"task":"mmlu","version":"v2","verdicts":"incomparable","inputs":"template=bbbbbbbb shots=0","previous_inputs":"template=aaaaaaaa shots=0","run_id":"r3"}'
	run jq -c '.panels[] | select(.id == 8) | .fieldConfig.overrides[0].properties[0].value[0].options | map_values(.color)' "$VE_ROOT/share/grafana/llm-quality-overview.json"
	assert_output '{"incomparable":"orange","compared":"green","new":"blue"}'
}

@test "ch-query: a named query runs read-only: one that would write is refused" {
	mkdir -p share/clickhouse/queries
	echo 'CREATE TABLE vllm_eval.evil (x UInt8) ENGINE = Memory' > share/clickhouse/queries/evil.sql
	VLLM_EVAL_SHARE=$PWD/share run --separate-stderr ch-query -n evil
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "ch-query: $PWD/share/clickhouse/queries/evil.sql: ClickHouse rejected the query: Code: 164, e.displayText() = DB::Exception: Cannot create table in readonly mode"
	run ch_sql "EXISTS TABLE vllm_eval.evil"
	assert_output 0
}

@test "ch-query: an answer that is not JSONEachRow is exit 69 and writes nothing" {
	start_fake 200
	printf '<html>a proxy page</html>\n' > fake/answer
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" 'SELECT 1'
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ch-query: SQL: ClickHouse's answer is not JSONEachRow: line 1 is not a JSON object"
	# ClickHouse's own error after the rows it sent with 200 (memory limit, a timeout)
	printf '{"x":1}\nCode: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded\n' > fake/answer
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" 'SELECT 1'
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ch-query: SQL: ClickHouse's answer is not JSONEachRow: line 2 is not a JSON object"
	printf '{"x":1}\n[2]\n' > fake/answer
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" 'SELECT 1'
	assert_failure 69
	assert_equal "$stderr" "ch-query: SQL: ClickHouse's answer is not JSONEachRow: line 2 is not a JSON object"
	printf '{"x":"\xff"}\n' > fake/answer
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" 'SELECT 1'
	assert_failure 69
	assert_equal "$stderr" "ch-query: SQL: ClickHouse's answer is not JSONEachRow: line 1 is not a JSON object"
	printf '{"x":1}\n{"x":2}' > fake/answer
	printf 'SELECT 1 FORMAT JSONEachRow\n' > q.sql
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" -f q.sql
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ch-query: q.sql: ClickHouse's answer was cut short (no newline at its end)"
	# a format the query names itself is passed on as it came
	printf '27' > fake/answer
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" 'SELECT 27 FORMAT TSV'
	assert_success
	assert_output 27
	# and rows that are rows still go through
	printf '{"x":1}\n{"x":2}\n' > fake/answer
	run --separate-stderr ch-query -v --url "http://127.0.0.1:$FPORT/" 'SELECT 1'
	assert_success
	assert_output '{"x":1}
{"x":2}'
	assert_equal "$stderr" "ch-query: ClickHouse 18.16.1
ch-query: 2 rows"
}

@test "ch-query: an endless answer is cut at --max-body, not retried" {
	start_fake endless
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" --max-body 1M --retries 2 'SELECT 1'
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ch-query: ClickHouse: an answer larger than 1048576 bytes (see --max-body) after 1 attempt"
	run sh -c 'ls fake/*.url | wc -l'
	assert_output 1
}

@test "ch-query: without --max-body an endless answer stops at 64M" {
	skip_under_valgrind "streams 64 MB; the limit itself is tested with --max-body"
	start_fake endless
	run --separate-stderr ch-query --url "http://127.0.0.1:$FPORT/" 'SELECT 1'
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ch-query: ClickHouse: an answer larger than 67108864 bytes (see --max-body) after 1 attempt"
}

@test "ch-query: --timeout bounds every try: a server that hangs is given up; 0 is refused" {
	start_fake hang
	start=$(date +%s.%N)
	run --separate-stderr timeout 60 ch-query --url "http://127.0.0.1:$FPORT/" --timeout 0.5 --retries 1 --backoff 0.01 'SELECT 1'
	end=$(date +%s.%N)
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ch-query: ClickHouse: Timeout was reached after 2 attempts"
	run python3 -c "d = $end - $start; assert d < 15, d; print('ok')"
	assert_output ok
	run --separate-stderr ch-query --timeout 0 'SELECT 1'
	assert_failure 64
	assert_equal "$stderr" "ch-query: --timeout: expected a number from 0.001 to 86400, got '0'
Try 'ch-query --help' for more information."
}

@test "ch-query: -v with a server that echoes the request never shows the key or the password" {
	start_fake 500:echo
	CLICKHOUSE_USER=reader CLICKHOUSE_PASSWORD=s3cret run --separate-stderr ch-query -v --url "http://u:pw-in-url@127.0.0.1:$FPORT/" --retries 1 --backoff 0.001 'SELECT 1'
	assert_failure 69
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 3
	assert_equal "${stderr_lines[0]}" "ch-query: ClickHouse 18.16.1"
	[[ "${stderr_lines[1]}" =~ ^"ch-query: ClickHouse: HTTP 500 (attempt 1 of 2); retrying in "[0-9.e-]+" s"$ ]]
	assert_equal "${stderr_lines[2]}" "ch-query: ClickHouse: HTTP 500 after 2 attempts: scripted failure for X-ClickHouse-User: reader; X-ClickHouse-Key: ***; Authorization: Basic ***"
	run grep -c -e 'X-ClickHouse-Key: s3cret' -e "Authorization: Basic $(printf u:pw-in-url | base64)" fake/req.1.head
	assert_output 2
}
