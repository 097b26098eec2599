#!/usr/bin/env bats
# ch-insert against a real clickhouse-server (Debian's 18.16) that this file
# starts on 127.0.0.1 with its own config and data directory, and against a
# scripted stand-in (fakech.py) for what 18.16 cannot show: a 24.x server's
# settings, a gzip'd body as sent, temporary errors. Row counts are read
# with FINAL: a batch sent twice must count once.

bats_require_minimum_version 1.5.0
load helper
load fixtures/ch-insert/server

setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	ch_start
	CLICKHOUSE_URL=$CH_URL ch-insert --init
}

teardown_file() {
	ch_stop
}

setup() {
	setup_scratch
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	export CLICKHOUSE_URL=$CH_URL
	unset CLICKHOUSE_USER CLICKHOUSE_PASSWORD RUN_ID MODEL_TAG
	# each test writes into its own database
	DB=t$BATS_TEST_NUMBER
	ch_schema "$DB"
	R="$FIX/reg-check"
}

teardown() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	return 0
}

start_fake() {
	mkdir -p fake
	FPORT=$(ve_free_port)
	python3 "$FIX/ch-insert/fakech.py" "$FPORT" fake "$1" "$2" &
	FAKE_PID=$!
	ve_wait_http "http://127.0.0.1:$FPORT/ping" 10
	FAKE_URL="http://127.0.0.1:$FPORT/"
}

@test "ch-insert: --init creates the database and the four tables, twice harmlessly" {
	run --separate-stderr ch-insert -v --init --database fresh
	assert_success
	assert_equal "$stderr" "ch-insert: applied $VE_ROOT/share/clickhouse/schema.sql"
	run ch_sql "SHOW TABLES FROM fresh"
	assert_output "items
results
runs
verdicts"
	run ch_sql "SELECT name, engine, partition_key, sorting_key FROM system.tables WHERE database = 'fresh' ORDER BY name FORMAT TSV"
	assert_output "items	ReplacingMergeTree	toYYYYMM(ts)	run_id, task, doc_id, sample, filter
results	ReplacingMergeTree	toYYYYMM(ts)	model_tag, metric, labels, run_id
runs	ReplacingMergeTree	toYYYYMM(started)	run_id
verdicts	ReplacingMergeTree	toYYYYMM(ts)	run_id, metric, labels"
	run --separate-stderr ch-insert --init --database fresh
	assert_success
	assert_equal "$stderr" ""
}

@test "ch-insert: metric rows land converted, every column listed" {
	cat > m.jsonl <<'J'
{"metric":"mmlu.acc","value":0.6532,"n":14042,"stderr":0.004,"unit":"ratio","labels":{"task":"mmlu","subset":"all"},"run_id":"2026-11-22T10-00-00Z-ab12","model_tag":"release-1.4.0","ts":"2026-11-22T10:31:07Z"}
{"metric":"perf.basic.ttft_ms.p95","value":41.2,"ts":"2026-11-22T12:31:07+02:00"}
J
	run --separate-stderr ch-insert --database "$DB" --run-id R2 --model-tag M2 m.jsonl
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	# ts: 12:31:07+02:00 is 10:31:07Z; labels as jq -cS prints them; absent n/stderr null
	run ch_sql "SELECT run_id, model_tag, metric, value, ts, n, stderr, unit, labels FROM $DB.results FINAL ORDER BY metric FORMAT TSV"
	assert_output '2026-11-22T10-00-00Z-ab12	release-1.4.0	mmlu.acc	0.6532	2026-11-22 10:31:07	14042	0.004	ratio	{"subset":"all","task":"mmlu"}
R2	M2	perf.basic.ttft_ms.p95	41.2	2026-11-22 10:31:07	\N	\N		{}'
	run ch_sql "SELECT count() FROM $DB.results WHERE inserted_at >= now() - 600"
	assert_output 2
}

@test "ch-insert: RUN_ID and MODEL_TAG fill rows; --ts fills ts" {
	echo '{"metric":"a.acc","value":1}' > m.jsonl
	RUN_ID=env-run MODEL_TAG=env-tag run --separate-stderr ch-insert --database "$DB" --ts 2026-01-02T03:04:05Z m.jsonl
	assert_success
	run ch_sql "SELECT run_id, model_tag, ts FROM $DB.results FORMAT TSV"
	assert_output "env-run	env-tag	2026-01-02 03:04:05"
}

@test "ch-insert: batches of --batch-rows; a re-sent batch counts once with FINAL" {
	run --separate-stderr ch-insert -v --database "$DB" -b 10 "$R/history.jsonl"
	assert_success
	assert_equal "$stderr" "ch-insert: ClickHouse 18.16.1: 28 rows in 3 batches sent, 0 rows in 0 batches spooled"
	run --separate-stderr ch-insert --database "$DB" -b 10 "$R/history.jsonl"
	assert_success
	# history.jsonl has 28 rows, one a copy of r6's mmlu.acc: 27 identities
	# (python3: len({(r["run_id"], r["metric"]) for r in rows}) == 27)
	# count() over the key columns: a bare count() FINAL on 18.16 may count
	# unmerged parts (it read no key column to merge on).
	run ch_sql "SELECT count() FROM (SELECT run_id, metric, labels FROM $DB.results FINAL)"
	assert_output 27
	# merged for good (18.16 may have merged the parts already)
	ch_sql "OPTIMIZE TABLE $DB.results FINAL"
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 27
}

@test "ch-insert: item rows and run rows" {
	run --separate-stderr ch-insert --database "$DB" -t items --run-id R --model-tag M --ts 2026-11-22T00:00:00Z "$R/items-base.jsonl"
	assert_success
	run ch_sql "SELECT count(), sum(correct), round(sum(score), 4) FROM $DB.items FINAL"
	# items-base.jsonl (python3): 52 rows, 26 with "correct":true, scores summing
	# to 32.66 (the 12 judge rows have a score and no "correct")
	assert_output "52	26	32.66"
	echo '{"run_id":"R","model_tag":"M","image":"ghcr.io/x/vllm:release-1","started":"2026-11-22T10:00:00Z","status":"running","workflow_url":"https://argo/wf/1"}' > runs.jsonl
	echo '{"run_id":"R","model_tag":"M","image":"ghcr.io/x/vllm:release-1","started":"2026-11-22T10:00:00Z","finished":"2026-11-22T10:40:00Z","status":"succeeded","workflow_url":"https://argo/wf/1"}' >> runs.jsonl
	run --separate-stderr ch-insert --database "$DB" -t runs -b 1 runs.jsonl
	assert_success
	run ch_sql "SELECT run_id, status, started, finished FROM $DB.runs FINAL FORMAT TSV"
	assert_output "R	succeeded	2026-11-22 10:00:00	2026-11-22 10:40:00"
}

@test "ch-insert: verdict rows: the release row and each metric's, absent fields null, a re-sent batch counts once" {
	# reg-check's rows (reg-check(1), OUTPUT): the release row with its
	# findings, a regression, a missing metric (no value) and a new one (no
	# baseline); run_id and model_tag from the options, ts from --ts.
	cat > v.jsonl <<'J'
{"metric":"release","status":"regression","rule":"stat","adjust":"holm","alpha":0.05,"gated":2,"regressions":1,"findings":[{"metric":"mmlu.acc","status":"regression"}]}
{"metric":"mmlu.acc","labels":{"task":"mmlu","subset":"all"},"value":0.55,"baseline":0.65,"window":5,"delta":-0.1,"delta_pct":-15.38,"direction":"higher","status":"regression","p_value":0.25,"test":"mcnemar","n":1404,"p_adjusted":0.5,"gates":true,"min_effect_pct":2}
{"metric":"arc.acc","labels":{"subset":"all","task":"arc"},"baseline":0.5,"status":"missing","gates":false,"note":"absent now"}
{"metric":"gsm8k.exact_match","status":"new","value":0.7,"direction":"higher"}
J
	for try in 1 2; do
		run --separate-stderr ch-insert --database "$DB" -t verdicts --run-id R --model-tag M --ts 2026-11-22T10:00:00Z v.jsonl
		assert_success
		assert_output ""
		assert_equal "$stderr" ""
	done
	run ch_sql "SELECT run_id, model_tag, ts, metric, labels, status, value, baseline, delta, delta_pct, direction, test, n, p_value, p_adjusted, gates, rule, note, findings FROM $DB.verdicts FINAL ORDER BY metric FORMAT TSV"
	assert_output 'R	M	2026-11-22 10:00:00	arc.acc	{"subset":"all","task":"arc"}	missing	\N	0.5	\N	\N			\N	\N	\N	0		absent now	
R	M	2026-11-22 10:00:00	gsm8k.exact_match	{}	new	0.7	\N	\N	\N	higher		\N	\N	\N	\N			
R	M	2026-11-22 10:00:00	mmlu.acc	{"subset":"all","task":"mmlu"}	regression	0.55	0.65	-0.1	-15.38	higher	mcnemar	1404	0.25	0.5	1			
R	M	2026-11-22 10:00:00	release	{}	regression	\N	\N	\N	\N			\N	\N	\N	\N	stat		[{"metric":"mmlu.acc","status":"regression"}]'
	# sent twice, one row per (run, metric, labels)
	run ch_sql "SELECT count() FROM (SELECT run_id, metric, labels FROM $DB.verdicts FINAL)"
	assert_output 4
	# a verdict row must say its metric and status
	echo '{"metric":"mmlu.acc","value":0.5}' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" -t verdicts --run-id R --model-tag M bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: bad.jsonl:1: "status" must be a string'
}

@test "ch-insert: --init adds the verdicts table to a database made before it, the other tables' rows kept" {
	ch_sql "DROP TABLE $DB.verdicts"
	echo '{"metric":"a.acc","value":1,"run_id":"R","model_tag":"M","ts":"2026-11-22T10:00:00Z"}' > m.jsonl
	run -0 ch-insert --database "$DB" m.jsonl
	run --separate-stderr ch-insert --init --database "$DB"
	assert_success
	assert_equal "$stderr" ""
	run ch_sql "SHOW TABLES FROM $DB"
	assert_output "items
results
runs
verdicts"
	run ch_sql "SELECT run_id, metric, value FROM $DB.results FINAL FORMAT TSV"
	assert_output "R	a.acc	1"
}

@test "ch-insert: a rejected batch is exit 65 with ClickHouse's message and the line it names" {
	ch_sql "CREATE TABLE $DB.flags (id String, flag UInt8) ENGINE = MergeTree ORDER BY id"
	printf '%s\n' '{"id":"a","flag":1}' '{"id":"b","flag":"yes"}' '{"id":"c","flag":0}' > f.jsonl
	run --separate-stderr ch-insert --database "$DB" -t flags --columns id,flag f.jsonl
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'ch-insert: f.jsonl:1: ClickHouse rejected the batch of 3 rows starting here: Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected " before: yes"}\n{"id":"c","flag":0}\n: (while read the value of key flag): (at row 2)
ch-insert: f.jsonl:2: {"id":"b","flag":"yes"}'
	run ch_sql "SELECT count() FROM $DB.flags"
	assert_output 0
}

@test "ch-insert: wrong credentials are exit 69; the password is never printed" {
	echo '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	CLICKHOUSE_USER=writer CLICKHOUSE_PASSWORD=wrong-pass run --separate-stderr ch-insert --database "$DB" m.jsonl
	assert_failure 69
	assert_equal "$stderr" "ch-insert: ClickHouse: authentication failed: Code: 193, e.displayText() = DB::Exception: Wrong password for user writer"
	printf 's3cret\n' > pw
	CLICKHOUSE_USER=writer run --separate-stderr ch-insert -v --password-file pw --database "$DB" m.jsonl
	assert_success
	[[ "$stderr" != *s3cret* ]]
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 1
	run --separate-stderr ch-insert --password-file nope m.jsonl
	assert_failure 66
	assert_equal "$stderr" "ch-insert: --password-file: nope: No such file or directory"
}

@test "ch-insert: no server: exit 69 after the retries, or 75 with the batch spooled" {
	port=$(ve_free_port)
	echo '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --url "http://user:pw@127.0.0.1:$port/" --attempts 2 --backoff 0.01 m.jsonl
	assert_failure 69
	assert_equal "$stderr" "ch-insert: ClickHouse: Couldn't connect to server after 2 attempts"
	run --separate-stderr ch-insert --url "http://127.0.0.1:$port/" --attempts 1 --spool sp m.jsonl
	assert_failure 75
	assert_equal "$stderr" "ch-insert: ClickHouse: Couldn't connect to server after 1 attempt
ch-insert: spooled 1 rows in 1 batch to sp: run ch-insert --flush-spool --spool sp when ClickHouse is back"
	run sh -c 'ls sp | sed "s/-[0-9]*-[0-9]*-/-T-P-/"'
	assert_output "batch-T-P-000000.jsonl.gz"
	# the spooled batch goes to the real server later, into the table it
	# named when spooled (vllm_eval.results)
	run --separate-stderr ch-insert --flush-spool --spool sp
	assert_success
	run ls sp
	assert_output ""
	run ch_sql "SELECT count() FROM (SELECT run_id, metric, labels FROM vllm_eval.results FINAL WHERE run_id = 'r' AND metric = 'a')"
	assert_output 1
}

@test "ch-insert: ClickHouse stopped mid-run: spool, restart, flush, exact counts" {
	skip_under_valgrind "restarts clickhouse-server; covered by the plain and ASan tiers"
	python3 -c '
import json
for i in range(6):
    print(json.dumps({"metric":"m%d.acc" % i,"value":i/10,"run_id":"mid","model_tag":"m","ts":"2026-11-22T10:00:00Z"}))' > rows.jsonl
	# rows 1-2 go first; the padding (blank lines, skipped) pushes them
	# through the input's read-ahead; the rest waits for the server to stop
	{
		head -2 rows.jsonl
		head -c 300000 /dev/zero | tr '\0' '\n'
		while [ ! -e go ]; do sleep 0.1; done
		tail -4 rows.jsonl
	} | ch-insert --database "$DB" -b 2 --attempts 2 --backoff 0.05 --spool sp > out 2> err &
	pid=$!
	n=0
	until [ "$(ch_sql "SELECT count() FROM $DB.results")" = 2 ] || [ $n -ge 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	ch_stop
	touch go
	rc=0
	wait $pid || rc=$?
	assert_equal "$rc" 75
	run cat err
	assert_line --index 0 --regexp "^ch-insert: ClickHouse: (Couldn't connect to server|Failure when receiving data from the peer|Send failure: .*) after 2 attempts$"
	assert_line --index 1 "ch-insert: spooled 4 rows in 2 batches to sp: run ch-insert --flush-spool --spool sp when ClickHouse is back"
	run sh -c 'ls sp | wc -l'
	assert_output 2
	ch_start
	run --separate-stderr ch-insert -v --flush-spool --spool sp
	assert_success
	assert_equal "$stderr" "ch-insert: ClickHouse 18.16.1: 4 rows in 2 batches sent, 0 rows in 0 batches spooled"
	run ls sp
	assert_output ""
	# the whole run sent again (an Argo retry) adds no row either
	run --separate-stderr ch-insert --database "$DB" rows.jsonl
	assert_success
	# 0.0 + 0.1 + ... + 0.5 = 1.5
	run ch_sql "SELECT count(), uniqExact(metric), round(sum(value), 4) FROM $DB.results FINAL"
	assert_output "6	6	1.5"
}

@test "ch-insert: a 24.x server gets a gzip'd body, the column list and a dedup token" {
	start_fake 24.3.1.2672 200
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m","ts":"2026-11-22T10:00:00Z"}' > m.jsonl
	run --separate-stderr ch-insert --url "$FAKE_URL" m.jsonl
	assert_success
	run python3 -c '
import sys, urllib.parse
u = urllib.parse.urlsplit(open("fake/req.0.url").read().strip())
q = urllib.parse.parse_qs(u.query)
print(q["query"][0])
print(len(q["insert_deduplication_token"][0]))
print(q["insert_distributed_sync"][0])'
	assert_output "INSERT INTO vllm_eval.results (run_id, model_tag, metric, value, ts, n, stderr, unit, labels, inserted_at) FORMAT JSONEachRow
64
1"
	run grep -i '^content-encoding' fake/req.0.head
	assert_output "Content-Encoding: gzip"
	# 1795341600 = 2026-11-22T10:00:00Z (python3: calendar.timegm)
	run sh -c 'gzip -dc < fake/req.0.body | sed "s/\"inserted_at\":[0-9]*/\"inserted_at\":T/"'
	assert_output '{"run_id":"r","model_tag":"m","metric":"a.acc","value":0.5,"ts":1795341600,"n":null,"stderr":null,"unit":"","labels":"{}","inserted_at":T}'
}

@test "ch-insert: item rows keep every sample of a doc, the filter and the flags; absent fields come back null" {
	printf '%s\n' '{"task":"aime","doc_id":"a1","sample":0,"correct":true,"score":1,"task_version":"v1"}' \
		'{"task":"aime","doc_id":"a1","sample":1,"correct":false,"score":0,"truncated":true,"task_version":"v1"}' \
		'{"task":"gsm8k","doc_id":"g1","subset":"all","pred":"42","gold":"42","correct":true,"score":1,"filter":"strict_match","exact_match":true}' \
		'{"task":"mmlu","doc_id":"m1","subset":"abstract_algebra","group":"stem","pred":2,"gold":2,"correct":true,"score":1,"correct_norm":false,"exact_match":true}' > i.jsonl
	run --separate-stderr ch-insert --database "$DB" -t items --run-id R --model-tag M --ts 2026-11-22T00:00:00Z i.jsonl
	assert_success
	assert_equal "$stderr" ""
	# sent twice: FINAL still has the two samples of a1
	ch-insert --database "$DB" -t items --run-id R --model-tag M --ts 2026-11-22T00:00:00Z i.jsonl
	sed "s/vllm_eval/$DB/" "$VE_ROOT/share/clickhouse/queries/items.sql" > items.sql
	run --separate-stderr ch-query -f items.sql -p run_id=R
	assert_success
	assert_output - <<-'EOF'
	{"task":"aime","doc_id":"a1","sample":0,"subset":"","group":null,"filter":null,"pred":"","gold":"","correct":1,"correct_norm":null,"exact_match":null,"score":1,"truncated":null,"task_version":"v1","run_id":"R","model_tag":"M"}
	{"task":"aime","doc_id":"a1","sample":1,"subset":"","group":null,"filter":null,"pred":"","gold":"","correct":0,"correct_norm":null,"exact_match":null,"score":0,"truncated":1,"task_version":"v1","run_id":"R","model_tag":"M"}
	{"task":"gsm8k","doc_id":"g1","sample":null,"subset":"all","group":null,"filter":"strict_match","pred":"42","gold":"42","correct":1,"correct_norm":null,"exact_match":1,"score":1,"truncated":null,"task_version":null,"run_id":"R","model_tag":"M"}
	{"task":"mmlu","doc_id":"m1","sample":null,"subset":"abstract_algebra","group":"stem","filter":null,"pred":"2","gold":"2","correct":1,"correct_norm":0,"exact_match":1,"score":1,"truncated":null,"task_version":null,"run_id":"R","model_tag":"M"}
	EOF
	# a sample must fit the Int32 key column; a flag is a boolean
	echo '{"task":"a","doc_id":"d","sample":"0","correct":true}' > b1.jsonl
	echo '{"task":"a","doc_id":"d","sample":2147483648,"correct":true}' > b2.jsonl
	echo '{"task":"a","doc_id":"d","correct":true,"correct_norm":1}' > b3.jsonl
	for f in b1 b2 b3; do
		ch-insert --database "$DB" -t items --run-id R --model-tag M $f.jsonl 2>&1 && return 1
		echo "exit $?"
	done > err
	run cat err
	assert_output 'ch-insert: b1.jsonl:1: "sample" must be a sample number (an integer from 0)
exit 65
ch-insert: b2.jsonl:1: "sample" must be a sample number (an integer from 0)
exit 65
ch-insert: b3.jsonl:1: "correct_norm" must be true or false
exit 65'
}

@test "ch-insert: --init moves an items table of the old key once; its rows keep what they had" {
	ch_sql "DROP TABLE $DB.items"
	ch_sql "CREATE TABLE $DB.items (run_id String, model_tag String, ts DateTime, task String, doc_id String, subset String, pred String, gold String, correct Nullable(UInt8), score Nullable(Float64), inserted_at DateTime) ENGINE = ReplacingMergeTree(inserted_at) PARTITION BY toYYYYMM(ts) ORDER BY (run_id, task, doc_id)"
	# as the old ch-insert sent them: a doc's two samples were one row
	ch_sql "INSERT INTO $DB.items FORMAT JSONEachRow
{\"run_id\":\"old\",\"model_tag\":\"M\",\"ts\":1795341600,\"task\":\"aime\",\"doc_id\":\"a1\",\"subset\":\"\",\"pred\":\"7\",\"gold\":\"7\",\"correct\":1,\"score\":1,\"inserted_at\":1795341600}
{\"run_id\":\"old\",\"model_tag\":\"M\",\"ts\":1795341600,\"task\":\"judge\",\"doc_id\":\"j1\",\"subset\":\"s\",\"pred\":\"x\",\"gold\":\"\",\"correct\":null,\"score\":0.5,\"inserted_at\":1795341600}"
	run --separate-stderr ch-insert --init --database "$DB"
	assert_success
	assert_equal "$stderr" "ch-insert: moved $DB.items to the key (run_id, task, doc_id, sample, filter); the old table is now $DB.items_v1"
	run ch_sql "SELECT name, sorting_key FROM system.tables WHERE database = '$DB' AND name LIKE 'items%' ORDER BY name FORMAT TSV"
	assert_output "items	run_id, task, doc_id, sample, filter
items_v1	run_id, task, doc_id"
	# the layout of a new table, column for column
	ch-insert --init --database "fresh$DB"
	run ch_sql "SELECT count() FROM (SELECT name, type, default_kind, default_expression FROM system.columns WHERE database = '$DB' AND table = 'items' UNION ALL SELECT name, type, default_kind, default_expression FROM system.columns WHERE database = 'fresh$DB' AND table = 'items') GROUP BY name, type, default_kind, default_expression HAVING count() != 2"
	assert_output ""
	sed "s/vllm_eval/$DB/" "$VE_ROOT/share/clickhouse/queries/items.sql" > items.sql
	run --separate-stderr ch-query -f items.sql -p run_id=old
	assert_output - <<-'EOF'
	{"task":"aime","doc_id":"a1","sample":null,"subset":"","group":null,"filter":null,"pred":"7","gold":"7","correct":1,"correct_norm":null,"exact_match":null,"score":1,"truncated":null,"task_version":null,"run_id":"old","model_tag":"M"}
	{"task":"judge","doc_id":"j1","sample":null,"subset":"s","group":null,"filter":null,"pred":"x","gold":"","correct":null,"correct_norm":null,"exact_match":null,"score":0.5,"truncated":null,"task_version":null,"run_id":"old","model_tag":"M"}
	EOF
	# moved once: the next --init leaves it, and says nothing
	run --separate-stderr ch-insert --init --database "$DB"
	assert_success
	assert_equal "$stderr" ""
	run ch_sql "SELECT count() FROM $DB.items"
	assert_output 2
	# a batch spooled by the old ch-insert (the old column list) still lands: no sample, no filter
	echo '{"run_id":"old2","model_tag":"M","ts":1795341600,"task":"aime","doc_id":"a1","subset":"","pred":"7","gold":"7","correct":0,"score":0,"inserted_at":1795341600}' > old.jsonl
	ch_sql "INSERT INTO $DB.items (run_id, model_tag, ts, task, doc_id, subset, pred, gold, correct, score, inserted_at) FORMAT JSONEachRow
$(cat old.jsonl)"
	run ch_sql "SELECT sample, filter, correct_norm FROM $DB.items WHERE run_id = 'old2' FORMAT TSV"
	assert_output "-1		\N"
}

@test "ch-insert: --init on 24.x also applies the TTLs and the dedup window" {
	start_fake 24.3.1.2672 200
	run --separate-stderr ch-insert -v --init --url "$FAKE_URL" --database prod
	assert_success
	assert_equal "$stderr" "ch-insert: applied $VE_ROOT/share/clickhouse/schema.sql
ch-insert: applied $VE_ROOT/share/clickhouse/schema-24.sql"
	# 5 statements of schema.sql, the question whether items has the old key
	# (an empty answer: no), 8 of schema-24.sql, vllm_eval renamed to prod
	run sh -c 'for i in $(seq 0 13); do head -1 fake/req.$i.body; echo; done | grep .'
	assert_output "CREATE DATABASE IF NOT EXISTS prod
CREATE TABLE IF NOT EXISTS prod.results
CREATE TABLE IF NOT EXISTS prod.items
CREATE TABLE IF NOT EXISTS prod.verdicts
CREATE TABLE IF NOT EXISTS prod.runs
SELECT count() FROM system.tables WHERE database = 'prod' AND name = 'items' AND sorting_key = 'run_id, task, doc_id'
ALTER TABLE prod.results MODIFY TTL ts + INTERVAL 3 YEAR
ALTER TABLE prod.items MODIFY TTL ts + INTERVAL 180 DAY
ALTER TABLE prod.runs MODIFY TTL started + INTERVAL 3 YEAR
ALTER TABLE prod.verdicts MODIFY TTL ts + INTERVAL 3 YEAR
ALTER TABLE prod.results MODIFY SETTING non_replicated_deduplication_window = 1000
ALTER TABLE prod.items MODIFY SETTING non_replicated_deduplication_window = 1000
ALTER TABLE prod.runs MODIFY SETTING non_replicated_deduplication_window = 1000
ALTER TABLE prod.verdicts MODIFY SETTING non_replicated_deduplication_window = 1000"
	[ ! -e fake/req.14.body ]
}

@test "ch-insert: --init --cluster on 24.x: cluster.sql, then the TTLs on the replicated tables, cluster and database renamed" {
	start_fake 24.3.1.2672 200
	run --separate-stderr ch-insert -v --init --cluster prod_vllm_eval --url "$FAKE_URL" --database prod
	assert_success
	assert_equal "$stderr" "ch-insert: applied $VE_ROOT/share/clickhouse/cluster.sql
ch-insert: applied $VE_ROOT/share/clickhouse/cluster-24.sql"
	# 9 statements of cluster.sql (the database, 4 replicated and 4
	# Distributed tables), no question about an old items table, 4 of
	# cluster-24.sql; the cluster's name keeps its vllm_eval (renamed once)
	run sh -c 'for i in $(seq 0 12); do head -1 fake/req.$i.body; echo; done | grep .'
	assert_output "CREATE DATABASE IF NOT EXISTS prod ON CLUSTER prod_vllm_eval
CREATE TABLE IF NOT EXISTS prod.results_local ON CLUSTER prod_vllm_eval
CREATE TABLE IF NOT EXISTS prod.results ON CLUSTER prod_vllm_eval AS prod.results_local
CREATE TABLE IF NOT EXISTS prod.items_local ON CLUSTER prod_vllm_eval
CREATE TABLE IF NOT EXISTS prod.items ON CLUSTER prod_vllm_eval AS prod.items_local
CREATE TABLE IF NOT EXISTS prod.verdicts_local ON CLUSTER prod_vllm_eval
CREATE TABLE IF NOT EXISTS prod.verdicts ON CLUSTER prod_vllm_eval AS prod.verdicts_local
CREATE TABLE IF NOT EXISTS prod.runs_local ON CLUSTER prod_vllm_eval
CREATE TABLE IF NOT EXISTS prod.runs ON CLUSTER prod_vllm_eval AS prod.runs_local
ALTER TABLE prod.results_local ON CLUSTER prod_vllm_eval MODIFY TTL ts + INTERVAL 3 YEAR
ALTER TABLE prod.items_local ON CLUSTER prod_vllm_eval MODIFY TTL ts + INTERVAL 180 DAY
ALTER TABLE prod.runs_local ON CLUSTER prod_vllm_eval MODIFY TTL started + INTERVAL 3 YEAR
ALTER TABLE prod.verdicts_local ON CLUSTER prod_vllm_eval MODIFY TTL ts + INTERVAL 3 YEAR"
	[ ! -e fake/req.13.body ]
	run grep -h -e ReplicatedReplacingMergeTree -e Distributed fake/req.1.body fake/req.2.body
	assert_output "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/prod/results', '{replica}', inserted_at)
ENGINE = Distributed(prod_vllm_eval, prod, results_local, cityHash64(run_id))"
}

@test "ch-insert: --init on 24.x moves an items table of the old key before the TTLs reach it" {
	start_fake 24.3.1.2672 200
	# every answer is "1": items has the old key
	echo 1 > fake/answer
	run --separate-stderr ch-insert --init --url "$FAKE_URL" --database prod
	assert_success
	assert_equal "$stderr" "ch-insert: moved prod.items to the key (run_id, task, doc_id, sample, filter); the old table is now prod.items_v1"
	run sh -c 'for i in 5 6 7 8 9 10 11; do head -1 fake/req.$i.body; echo; done | grep .'
	assert_output "SELECT count() FROM system.tables WHERE database = 'prod' AND name = 'items' AND sorting_key = 'run_id, task, doc_id'
DROP TABLE IF EXISTS prod.items_migrating
CREATE TABLE prod.items_migrating
INSERT INTO prod.items_migrating
RENAME TABLE prod.items TO prod.items_v1, prod.items_migrating TO prod.items
ALTER TABLE prod.results MODIFY TTL ts + INTERVAL 3 YEAR
ALTER TABLE prod.items MODIFY TTL ts + INTERVAL 180 DAY"
	[ -e fake/req.17.body ] && [ ! -e fake/req.18.body ]
}

@test "ch-insert: --init on 18.16 stops at the first statement the server refuses" {
	start_fake 18.16.1 200,500:62
	run --separate-stderr ch-insert --init --url "$FAKE_URL"
	assert_failure 65
	assert_equal "$stderr" "ch-insert: $VE_ROOT/share/clickhouse/schema.sql:16: Code: 62, e.displayText() = DB::Exception: scripted"
}

@test "ch-insert: 18.16 gets no dedup token; every batch asks for a synchronous Distributed insert" {
	start_fake 18.16.1 200
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --url "$FAKE_URL" m.jsonl
	assert_success
	run grep -c insert_deduplication_token fake/req.0.url
	assert_output 0
	run grep -c '[?&]insert_distributed_sync=1' fake/req.0.url
	assert_output 1
}

@test "ch-insert: temporary errors are retried; a syntax error is not" {
	start_fake 18.16.1 500:252,503,200
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert -v --url "$FAKE_URL" --backoff 0.01 m.jsonl
	assert_success
	# Full jitter: the wait before retry k is uniform on [0, 0.01 * 2^(k-1)].
	assert_equal "${#stderr_lines[@]}" 3
	[[ "${stderr_lines[0]}" =~ ^"ch-insert: ClickHouse: HTTP 500 (attempt 1 of 5); retrying in "([0-9.e-]+)" s"$ ]]
	w1=${BASH_REMATCH[1]}
	[[ "${stderr_lines[1]}" =~ ^"ch-insert: ClickHouse: HTTP 503 (attempt 2 of 5); retrying in "([0-9.e-]+)" s"$ ]]
	w2=${BASH_REMATCH[1]}
	assert_equal "${stderr_lines[2]}" "ch-insert: ClickHouse 18.16.1: 1 rows in 1 batches sent, 0 rows in 0 batches spooled"
	run python3 -c "assert 0 <= $w1 <= 0.01 and 0 <= $w2 <= 0.02; print('ok')"
	assert_output ok
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	start_fake 18.16.1 500:62
	run --separate-stderr ch-insert --url "$FAKE_URL" --backoff 0.01 m.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: m.jsonl:1: ClickHouse rejected the batch of 1 row starting here: Code: 62, e.displayText() = DB::Exception: scripted
ch-insert: m.jsonl:1: {"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}'
}

@test "ch-insert: --retries; 408 is retried; --attempts N is an alias of --retries N-1" {
	start_fake 18.16.1 408,200
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --url "$FAKE_URL" --retries 1 --backoff 0.01 m.jsonl
	assert_success
	assert_equal "$stderr" ""
	run ls fake/req.1.url
	assert_success
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -rf fake
	start_fake 18.16.1 503
	run --separate-stderr ch-insert --url "$FAKE_URL" --attempts 2 --backoff 0.01 m.jsonl
	assert_failure 69
	assert_equal "$stderr" "ch-insert: ClickHouse: HTTP 503 after 2 attempts: scripted failure"
	run sh -c 'ls fake/*.url | wc -l'
	assert_output 2
	run --separate-stderr ch-insert --url "$FAKE_URL" --retries 0 m.jsonl
	assert_failure 69
	assert_equal "$stderr" "ch-insert: ClickHouse: HTTP 503 after 1 attempt: scripted failure"
}

@test "ch-insert: another 4xx is not retried" {
	start_fake 18.16.1 404
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --url "$FAKE_URL" --backoff 0.01 m.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: m.jsonl:1: ClickHouse rejected the batch of 1 row starting here: scripted failure
ch-insert: m.jsonl:1: {"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}'
	run sh -c 'ls fake/*.url | wc -l'
	assert_output 1
}

@test "ch-insert: credentials the server echoes never reach stderr" {
	start_fake 18.16.1 400:echo
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}' > m.jsonl
	printf 's3cret\n' > pw
	CLICKHOUSE_USER=writer run --separate-stderr ch-insert --url "http://u:pw-in-url@127.0.0.1:$FPORT/" --password-file pw m.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: m.jsonl:1: ClickHouse rejected the batch of 1 row starting here: scripted failure for X-ClickHouse-User: writer; X-ClickHouse-Key: ***; Authorization: Basic ***
ch-insert: m.jsonl:1: {"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}'
	# The server did get them (so they were there to leak).
	run grep -c -e 'X-ClickHouse-Key: s3cret' -e "Authorization: Basic $(printf u:pw-in-url | base64)" fake/req.0.head
	assert_output 2
}

@test "ch-insert: a URL that is not http(s) is a usage error, never tried" {
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --url "ftp://u:pw@127.0.0.1:1/" m.jsonl
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --url: expected an http:// or https:// URL, got 'ftp://***@127.0.0.1:1/'
Try 'ch-insert --help' for more information."
	CLICKHOUSE_URL=file:///etc/passwd run --separate-stderr ch-insert m.jsonl
	assert_failure 64
	assert_equal "$stderr" "ch-insert: CLICKHOUSE_URL: expected an http:// or https:// URL, got 'file:///etc/passwd'
Try 'ch-insert --help' for more information."
}

@test "ch-insert: --tee passes the records on byte for byte, blank lines left out" {
	printf '%s\n' '{"metric":"a","value":1, "x" : [1,2]}' '' '{"metric":"b","value":2}' > m.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m --tee m.jsonl
	assert_success
	assert_output '{"metric":"a","value":1, "x" : [1,2]}
{"metric":"b","value":2}'
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 2
}

@test "ch-insert: bad records stop with 65 before anything is sent" {
	printf '{"metric":"a","value":1}\n{"metric":\n' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m bad.jsonl
	assert_failure 65
	[[ "$stderr" == "ch-insert: bad.jsonl:2: invalid JSON"* ]]
	echo '{"metric":"a","value":"1"}' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: bad.jsonl:1: "value" must be a number'
	echo '{"metric":"a","value":1}' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: bad.jsonl:1: "run_id" must be given (no --run-id or RUN_ID)'
	echo '{"metric":"a","value":1,"ts":"yesterday"}' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: bad.jsonl:1: "ts" must be a time (YYYY-MM-DDTHH:MM:SSZ or epoch seconds)'
	printf '{"metric":"\xff","value":1}\n' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m bad.jsonl
	assert_failure 65
	[[ "$stderr" == "ch-insert: bad.jsonl:1: invalid UTF-8"* ]]
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 0
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m --skip-bad bad.jsonl "$R/current.jsonl"
	assert_success
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 7
}

@test "ch-insert: empty input and no final newline" {
	run --separate-stderr ch-insert --database "$DB" < /dev/null
	assert_success
	assert_equal "$stderr" ""
	printf '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --database "$DB" m.jsonl
	assert_success
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 1
}

@test "ch-insert: usage errors" {
	CLICKHOUSE_URL= run --separate-stderr ch-insert m.jsonl
	assert_failure 64
	assert_equal "$stderr" "ch-insert: no ClickHouse: give --url or set CLICKHOUSE_URL
Try 'ch-insert --help' for more information."
	run --separate-stderr ch-insert -t other
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --table other: not a vllm_eval table; list its --columns
Try 'ch-insert --help' for more information."
	run --separate-stderr ch-insert -t 'x;drop' --columns a
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --table: 'x;drop' is not a plain name (letters, digits, _)
Try 'ch-insert --help' for more information."
	run --separate-stderr ch-insert --flush-spool
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --flush-spool needs --spool DIR
Try 'ch-insert --help' for more information."
	run --separate-stderr ch-insert --ts 2026-11-22 x
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --ts: expected YYYY-MM-DDTHH:MM:SSZ, got '2026-11-22'
Try 'ch-insert --help' for more information."
	run --separate-stderr ch-insert -b 0
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --batch-rows: expected an integer from 1 to 10000000, got '0'
Try 'ch-insert --help' for more information."
}

@test "ch-insert: --help and --version" {
	run --separate-stderr ch-insert --help
	assert_success
	assert_line --index 0 "usage: ch-insert [-qv] [--url URL] [--user USER] [--password-file FILE]"
	# The ClickHouse and network options' lines are the ones every network tool prints.
	assert_line "      --password-file FILE password in FILE (default CLICKHOUSE_PASSWORD)"
	assert_line "      --retries N          retries after the first try (default 4)"
	assert_line "      --max-wait S         longest wait between tries (default 30)"
	assert_equal "$stderr" ""
	run --separate-stderr ch-insert --version
	assert_success
	assert_output --regexp '^ch-insert [0-9.]+ \(vllm-eval\)$'
}

@test "ch-insert: --tee > /dev/full is a write error, 74" {
	echo '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr sh -c 'ch-insert --database "$1" --tee m.jsonl > /dev/full' _ "$DB"
	assert_failure 74
	[[ "$stderr" == "ch-insert: write error: "* ]]
}

@test "ch-insert: --flush-spool with the server still away keeps the batches (75); a foreign file is 65" {
	port=$(ve_free_port)
	echo '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --url "http://127.0.0.1:$port/" --attempts 1 --spool sp -b 1 m.jsonl m.jsonl
	assert_failure 75
	run --separate-stderr ch-insert --url "http://127.0.0.1:$port/" --attempts 1 --flush-spool --spool sp
	assert_failure 75
	assert_equal "$stderr" "ch-insert: ClickHouse: Couldn't connect to server after 1 attempt
ch-insert: 2 spooled batches left in sp"
	run sh -c 'ls sp | wc -l'
	assert_output 2
	mkdir sp2
	echo '{"not":"a batch"}' | gzip > sp2/batch-1-1-000000.jsonl.gz
	run --separate-stderr ch-insert --flush-spool --spool sp2
	assert_failure 65
	assert_equal "$stderr" "ch-insert: sp2/batch-1-1-000000.jsonl.gz:1: not a spooled batch (no INSERT on its first line)"
	run --separate-stderr ch-insert --flush-spool --spool nodir
	assert_failure 66
	assert_equal "$stderr" "ch-insert: --spool: nodir: No such file or directory"
}

@test "ch-insert: an output that cannot be created is exit 73" {
	echo '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --database "$DB" --spool nodir/sp m.jsonl
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "ch-insert: --spool: nodir/sp: No such file or directory"
	touch afile
	run --separate-stderr ch-insert --database "$DB" --spool afile m.jsonl
	assert_failure 73
	assert_equal "$stderr" "ch-insert: --spool: afile: Not a directory"
	run --separate-stderr ch-insert --database "$DB" --rejects nodir/rej.jsonl m.jsonl
	assert_failure 73
	assert_equal "$stderr" "ch-insert: --rejects: nodir/rej.jsonl: No such file or directory"
	# nothing was sent
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 0
}

@test "ch-insert: --spool keeps every batch it could not send: an endless answer, 5xx after the retries" {
	# Each batch gets an answer that never ends: cut at --max-body, not
	# retried (the same server would send the same), spooled; the batches
	# after it go straight to the spool. Then the real server takes them all.
	start_fake 18.16.1 endless
	python3 -c '
import json
for i in range(3):
    print(json.dumps({"metric":"m%d" % i,"value":i,"run_id":"r","model_tag":"m"}))' > m.jsonl
	run --separate-stderr ch-insert --url "$FAKE_URL" --database "$DB" -b 1 --max-body 1M --spool sp m.jsonl
	assert_failure 75
	assert_output ""
	assert_equal "$stderr" "ch-insert: ClickHouse: an answer larger than 1048576 bytes (see --max-body) after 1 attempt
ch-insert: spooled 3 rows in 3 batches to sp: run ch-insert --flush-spool --spool sp when ClickHouse is back"
	run sh -c 'ls fake/*.url | wc -l'
	assert_output 1
	kill "$FAKE_PID"; wait "$FAKE_PID" || true
	rm -rf fake
	start_fake 18.16.1 503
	run --separate-stderr ch-insert --url "$FAKE_URL" --database "$DB" -b 2 --retries 1 --backoff 0.01 --spool sp m.jsonl
	assert_failure 75
	assert_equal "$stderr" "ch-insert: ClickHouse: HTTP 503 after 2 attempts: scripted failure
ch-insert: spooled 3 rows in 2 batches to sp: run ch-insert --flush-spool --spool sp when ClickHouse is back"
	run sh -c 'ls sp | wc -l'
	assert_output 5
	run --separate-stderr ch-insert --flush-spool --spool sp
	assert_success
	assert_equal "$stderr" ""
	run ch_sql "SELECT count() FROM (SELECT run_id, metric, labels FROM $DB.results FINAL)"
	assert_output 3
}

@test "ch-insert: batches spooled before a bad record are still reported" {
	port=$(ve_free_port)
	printf '%s\n' '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' '{"metric":"b","run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --url "http://127.0.0.1:$port/" --retries 0 -b 1 --spool sp m.jsonl
	assert_failure 65
	assert_equal "$stderr" "ch-insert: ClickHouse: Couldn't connect to server after 1 attempt
ch-insert: m.jsonl:2: \"value\" must be a number
ch-insert: spooled 1 rows in 1 batch to sp: run ch-insert --flush-spool --spool sp when ClickHouse is back"
	run sh -c 'ls sp | wc -l'
	assert_output 1
}

@test "ch-insert: --timeout bounds every try: a server that hangs is given up; 0 is refused" {
	start_fake 18.16.1 hang
	echo '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	start=$(date +%s.%N)
	run --separate-stderr timeout 60 ch-insert --url "$FAKE_URL" --timeout 0.5 --retries 1 --backoff 0.01 m.jsonl
	end=$(date +%s.%N)
	assert_failure 69
	assert_equal "$stderr" "ch-insert: ClickHouse: Timeout was reached after 2 attempts"
	# two tries of 0.5 s and a wait of at most 0.01 s, with room for a slow tier
	run python3 -c "d = $end - $start; assert d < 15, d; print('ok')"
	assert_output ok
	run --separate-stderr ch-insert --timeout 0 m.jsonl
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --timeout: expected a number from 0.001 to 86400, got '0'
Try 'ch-insert --help' for more information."
}

@test "ch-insert: --max-body takes k, M, G; a bad size is a usage error" {
	run --separate-stderr ch-insert --max-body 0 m.jsonl
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --max-body: expected an integer from 1 to 1099511627776, got '0'
Try 'ch-insert --help' for more information."
	run --separate-stderr ch-insert --max-body 12x m.jsonl
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --max-body: expected an integer from 1 to 1099511627776, got '12x'
Try 'ch-insert --help' for more information."
	echo '{"metric":"a","value":1,"run_id":"r","model_tag":"m"}' > m.jsonl
	run --separate-stderr ch-insert --database "$DB" --max-body 1k m.jsonl
	assert_success
	run ch_sql "SELECT count() FROM $DB.results"
	assert_output 1
}

@test "ch-insert: a negative stderr or n, or a number beyond a double, is a bad record" {
	printf '%s\n' '{"metric":"a","value":0.5,"stderr":-0.01}' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: bad.jsonl:1: "stderr" must be a non-negative number'
	printf '%s\n' '{"metric":"a","value":0.5,"n":-3}' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m bad.jsonl
	assert_failure 65
	assert_equal "$stderr" 'ch-insert: bad.jsonl:1: "n" must be a count (an integer from 0)'
	printf '%s\n' '{"metric":"a","value":1e999}' > bad.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m bad.jsonl
	assert_failure 65
	assert_equal "$stderr" "ch-insert: bad.jsonl:1: invalid JSON: a number beyond a double's range"
	printf '%s\n' '{"metric":"ok","value":0.5,"stderr":0,"n":0}' '{"metric":"a","value":0.5,"stderr":-1}' '{"metric":"b","value":0.5,"stderr":1e999}' > mixed.jsonl
	run --separate-stderr ch-insert --database "$DB" --run-id r --model-tag m --skip-bad mixed.jsonl
	assert_success
	assert_equal "$stderr" "ch-insert: skipped 2 bad records (first: mixed.jsonl:2: \"stderr\" must be a non-negative number)"
	run ch_sql "SELECT metric, stderr, n FROM $DB.results FORMAT TSV"
	assert_output "ok	0	0"
}

@test "ch-insert: -v with a server that echoes the request never shows the key or the password" {
	start_fake 18.16.1 500:echo
	echo '{"metric":"a.acc","value":0.5,"run_id":"r","model_tag":"m"}' > m.jsonl
	printf 's3cret\n' > pw
	CLICKHOUSE_USER=writer run --separate-stderr ch-insert -v --url "http://u:pw-in-url@127.0.0.1:$FPORT/" --password-file pw --retries 1 --backoff 0.001 --spool sp m.jsonl
	assert_failure 75
	assert_equal "${#stderr_lines[@]}" 5
	[[ "${stderr_lines[0]}" =~ ^"ch-insert: ClickHouse: HTTP 500 (attempt 1 of 2); retrying in "[0-9.e-]+" s"$ ]]
	assert_equal "${stderr_lines[1]}" "ch-insert: ClickHouse: HTTP 500 after 2 attempts: scripted failure for X-ClickHouse-User: writer; X-ClickHouse-Key: ***; Authorization: Basic ***"
	[[ "${stderr_lines[2]}" =~ ^"ch-insert: spooled 1 rows to sp/batch-"[0-9]+-[0-9]+-000000.jsonl.gz$ ]]
	assert_equal "${stderr_lines[3]}" "ch-insert: spooled 1 rows in 1 batch to sp: run ch-insert --flush-spool --spool sp when ClickHouse is back"
	assert_equal "${stderr_lines[4]}" "ch-insert: ClickHouse 18.16.1: 0 rows in 0 batches sent, 1 rows in 1 batches spooled"
	# The server got them both times (so they were there to leak); the spool holds neither.
	run grep -c -e 'X-ClickHouse-Key: s3cret' -e "Authorization: Basic $(printf u:pw-in-url | base64)" fake/req.1.head
	assert_output 2
	run sh -c 'gzip -dc sp/* | grep -c -e s3cret -e pw-in-url'
	assert_output 0
}

@test "ch-insert: --tee to a reader that leaves ends the copy, not the insert" {
	python3 -c '
import json
for i in range(3000):
    print(json.dumps({"metric":"m%04d.a_metric_name_long_enough_to_fill_pipes" % i,"value":i,"run_id":"r","model_tag":"m"}))' > m.jsonl
	run --separate-stderr bash -c 'set -o pipefail; ch-insert --database "$1" -b 1000 --tee m.jsonl | head -c 10 > /dev/null' _ "$DB"
	assert_success
	assert_equal "$stderr" ""
	run ch_sql "SELECT count() FROM (SELECT run_id, metric, labels FROM $DB.results FINAL)"
	assert_output 3000
}
