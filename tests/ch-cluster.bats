#!/usr/bin/env bats
# ch-insert and ch-query against a ClickHouse cluster this file starts on
# 127.0.0.1 (tests/fixtures/ch-cluster/cluster.bash): ZooKeeper and four
# clickhouse-servers 18.16 as 2 shards x 2 replicas, the schema of
# share/clickhouse/cluster.sql (ch-insert --init --cluster). Rows go in and
# are read through the Distributed tables on node 1; each node's replicated
# tables (*_local) are then counted one by one: every row once on both
# replicas of its shard, after SYSTEM SYNC REPLICA. Not in the valgrind
# tier (Makefile): the servers are not ours, and the tools' code is the
# code the other ch-*.bats files run there.

bats_require_minimum_version 1.5.0
load helper
load fixtures/ch-insert/server
load fixtures/ch-cluster/cluster

# The servers start once for the file. Where they cannot (the valgrind
# tier, or ZooKeeper or clickhouse-server not installed) every test is
# skipped saying why (bats skips tests, not setup_file); under CI=true a
# missing package fails instead.
setup_file() {
	local missing
	missing=$(cl_missing)
	if [ "$VE_TIER" = valgrind ]; then
		echo "starts ZooKeeper and four ClickHouse servers: the plain and ASan tiers run it" > "$BATS_FILE_TMPDIR/skip"
	elif [ -n "$missing" ] && [ "${CI:-}" = true ]; then
		echo "not installed:$missing (pipelines/install-deps.sh installs them)" >&2
		return 1
	elif [ -n "$missing" ]; then
		echo "not installed:$missing (Debian; pipelines/install-deps.sh); the cluster tests did not run" > "$BATS_FILE_TMPDIR/skip"
	else
		cl_start
	fi
}

teardown_file() {
	[ -e "$BATS_FILE_TMPDIR/skip" ] || cl_stop
}

setup() {
	[ ! -e "$BATS_FILE_TMPDIR/skip" ] || skip "$(cat "$BATS_FILE_TMPDIR/skip")"
	setup_scratch
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	export CLICKHOUSE_URL=$CL_URL
	unset CLICKHOUSE_USER CLICKHOUSE_PASSWORD RUN_ID MODEL_TAG
	R="$FIX/reg-check"
	# each test writes into its own database, made on the whole cluster
	DB=t$BATS_TEST_NUMBER
	ch-insert --init --cluster "$CL_NAME" --database "$DB"
}

teardown() {
	[ ! -e "$BATS_FILE_TMPDIR/skip" ] || return 0
	# a test that stopped a node starts it again for the next
	local n
	for n in 1 2 3 4; do
		[ -e "$BATS_FILE_TMPDIR/ch$n/pid" ] || cl_node_start "$n" 3>&-
	done
	return 0
}

# The identity of a row of each table (schema.sql's ORDER BY).
key_of() {
	case $1 in
	results | verdicts) echo "run_id, metric, labels" ;;
	items) echo "run_id, task, doc_id, sample, filter" ;;
	runs) echo run_id ;;
	esac
}

# Waits until every node's replicas of DB.TABLE_local have what the others
# have (18.16's SYSTEM SYNC REPLICA).
sync_all() {
	local n t
	for n in 1 2 3 4; do
		for t in "$@"; do
			cl_sql "$n" "SYSTEM SYNC REPLICA $DB.${t}_local" || return 1
		done
	done
}

# counts TABLE: "node: rows identities" for each node's TABLE_local (rows:
# every row stored, unmerged copies included; identities: rows with FINAL),
# then "all: identities" through the Distributed table on node 1. A row
# once on every replica of its shard: rows = identities on each node, the
# two replicas of a shard alike, the shards adding up to all.
counts() {
	local n k
	k=$(key_of "$1")
	for n in 1 2 3 4; do
		echo "$n: $(cl_sql "$n" "SELECT count() FROM $DB.${1}_local") $(cl_sql "$n" "SELECT count() FROM (SELECT $k FROM $DB.${1}_local FINAL)")"
	done
	echo "all: $(cl_sql 1 "SELECT count() FROM (SELECT $k FROM $DB.$1 FINAL)")"
}

# The blocks the four nodes' replicated tables dropped as seen before
# (ProfileEvents DuplicatedInsertedBlocks, summed).
duplicated_blocks() {
	local n sum=0 v
	for n in 1 2 3 4; do
		v=$(cl_sql "$n" "SELECT sum(value) FROM system.events WHERE event = 'DuplicatedInsertedBlocks'")
		sum=$((sum + v))
	done
	echo "$sum"
}

# rows_on N TABLE: node N's rows of TABLE_local with FINAL, sorted, as TSV
# (FINAL: whether a replica has merged its parts yet is its own affair).
rows_on() {
	cl_sql "$1" "SELECT * FROM $DB.${2}_local FINAL ORDER BY $(key_of "$2") FORMAT TSV"
}

@test "ch-cluster: --init --cluster makes the replicated and the Distributed tables on every node, twice harmlessly" {
	run --separate-stderr ch-insert -v --init --cluster "$CL_NAME" --database fresh
	assert_success
	assert_output ""
	assert_equal "$stderr" "ch-insert: applied $VE_ROOT/share/clickhouse/cluster.sql"
	for n in 1 2 3 4; do
		run cl_sql "$n" "SELECT name, engine, sorting_key FROM system.tables WHERE database = 'fresh' ORDER BY name FORMAT TSV"
		assert_output "items	Distributed	
items_local	ReplicatedReplacingMergeTree	run_id, task, doc_id, sample, filter
results	Distributed	
results_local	ReplicatedReplacingMergeTree	model_tag, metric, labels, run_id
runs	Distributed	
runs_local	ReplicatedReplacingMergeTree	run_id
verdicts	Distributed	
verdicts_local	ReplicatedReplacingMergeTree	run_id, metric, labels"
		# the replica's path has its shard and the database; its name is the replica's
		run cl_sql "$n" "SELECT zookeeper_path, replica_name FROM system.replicas WHERE database = 'fresh' AND table = 'results_local' FORMAT TSV"
		assert_output "/clickhouse/tables/0$(((n + 1) / 2))/fresh/results	r$(((n + 1) % 2 + 1))"
	done
	run cl_sql 1 "SELECT engine_full FROM system.tables WHERE database = 'fresh' AND name = 'results'"
	assert_output "Distributed($CL_NAME, fresh, results_local, cityHash64(run_id))"
	run --separate-stderr ch-insert --init --cluster "$CL_NAME" --database fresh
	assert_success
	assert_equal "$stderr" ""
	# a cluster the servers do not know is ClickHouse's rejection, exit 65
	run --separate-stderr ch-insert --init --cluster nosuch --database fresh
	assert_failure 65
	assert_equal "$stderr" "ch-insert: $VE_ROOT/share/clickhouse/cluster.sql:20: Code: 170, e.displayText() = DB::Exception: Requested cluster 'nosuch' not found"
}

@test "ch-cluster: a run's rows through the Distributed tables: each run on one shard, on both its replicas, counted once with FINAL" {
	# the metric rows of seven runs, the item rows of one, its run rows and verdicts
	run --separate-stderr ch-insert -v --database "$DB" -b 10 "$R/history.jsonl"
	assert_success
	assert_equal "$stderr" "ch-insert: ClickHouse 18.16.1: 28 rows in 3 batches sent, 0 rows in 0 batches spooled"
	run -0 ch-insert --database "$DB" -t items --run-id r6 --model-tag release-1.6 --ts 2026-11-06T10:00:00Z "$R/items-base.jsonl"
	printf '%s\n' '{"run_id":"r6","model_tag":"release-1.6","image":"img","started":"2026-11-06T10:00:00Z","status":"running","workflow_url":"https://argo/wf/6"}' \
		'{"run_id":"r6","model_tag":"release-1.6","image":"img","started":"2026-11-06T10:00:00Z","finished":"2026-11-06T10:40:00Z","status":"succeeded","workflow_url":"https://argo/wf/6"}' > runs.jsonl
	run -0 ch-insert --database "$DB" -t runs -b 1 runs.jsonl
	printf '%s\n' '{"metric":"release","status":"ok","rule":"stat"}' '{"metric":"mmlu.acc","labels":{"task":"mmlu"},"value":0.6,"baseline":0.6,"status":"ok"}' > v.jsonl
	run -0 ch-insert --database "$DB" -t verdicts --run-id r6 --model-tag release-1.6 --ts 2026-11-06T10:00:00Z v.jsonl
	sync_all results items runs verdicts
	# history.jsonl: 28 rows, one a copy of r6's mmlu.acc, so 27 identities;
	# items-base.jsonl: 52 rows (python3: len(set(...)) of their keys)
	run counts results
	assert_line --index 4 "all: 27"
	run counts items
	assert_line --index 4 "all: 52"
	run counts runs
	assert_line --index 4 "all: 1"
	run counts verdicts
	assert_line --index 4 "all: 2"
	# the two replicas of a shard hold the same rows; a run lives on one shard
	for t in results items runs verdicts; do
		[ "$(rows_on 1 $t)" = "$(rows_on 2 $t)" ]
		[ "$(rows_on 3 $t)" = "$(rows_on 4 $t)" ]
	done
	run cl_sql 1 "SELECT count() FROM $DB.results_local WHERE run_id IN (SELECT run_id FROM remote('127.0.0.1:$(cl_ports 3 | cut -d' ' -f2)', $DB.results_local))"
	assert_output 0
	# both shards have runs (seven runs; cityHash64 put them on both)
	run cl_sql 1 "SELECT count() > 0 FROM $DB.results_local"
	assert_output 1
	run cl_sql 3 "SELECT count() > 0 FROM $DB.results_local"
	assert_output 1
	# an item run's rows all on one shard: r6 is on node 1 or on node 3, not both
	run sh -c "echo \$(( $(cl_sql 1 "SELECT count() FROM $DB.items_local") * $(cl_sql 3 "SELECT count() FROM $DB.items_local") ))"
	assert_output 0
}

@test "ch-cluster: the named queries and the dashboard read the Distributed tables as one server's tables" {
	# the same rows into a cluster database and a single server's (node 1, schema.sql)
	ch-insert --init --database "single$DB"
	for db in "$DB" "single$DB"; do
		run -0 ch-insert --database "$db" "$R/history.jsonl"
		run -0 ch-insert --database "$db" "$R/current.jsonl"
		run -0 ch-insert --database "$db" -t items --run-id r6 --model-tag release-1.6 --ts 2026-11-06T10:00:00Z "$R/items-base.jsonl"
		echo '{"run_id":"r6","model_tag":"release-1.6","image":"img","started":"2026-11-06T10:00:00Z","status":"succeeded","workflow_url":"https://argo/wf/6"}' | ch-insert --database "$db" -t runs
		echo '{"metric":"mmlu.acc","labels":{"task":"mmlu","subset":"all"},"value":0.5,"baseline":0.6,"delta_pct":-16.7,"status":"regression"}' |
			ch-insert --database "$db" -t verdicts --run-id r6 --model-tag release-1.6 --ts 2026-11-06T10:00:00Z
	done
	for q in history latest items; do
		for db in "$DB" "single$DB"; do
			sed "s/vllm_eval/$db/g" "$VE_ROOT/share/clickhouse/queries/$q.sql" > "$q.$db.sql"
		done
	done
	# history: the last 3 runs of release-1. (r6, r5, r4: 6 + 5 + 4 rows of
	# history.jsonl, r6's copy counted once: 14); GLOBAL IN picks them over both shards
	for db in "$DB" "single$DB"; do
		ch-query -f "history.$db.sql" -p family=release-1. -p runs=3 > "history.$db.out"
		ch-query -f "latest.$db.sql" -p family=release- > "latest.$db.out"
		ch-query -f "items.$db.sql" -p run_id=r6 > "items.$db.out"
	done
	run sh -c "jq -r .run_id history.$DB.out | uniq -c | awk '{print \$2, \$1}'"
	assert_output "r6 5
r5 5
r4 4"
	run jq -r .run_id "latest.$DB.out"
	assert_output "cur
cur
cur
cur
cur
cur
cur"
	run sh -c "wc -l < items.$DB.out"
	assert_output 52
	for q in history latest items; do
		cmp "$q.$DB.out" "$q.single$DB.out"
	done
	# every panel of the dashboard: the same rows from the cluster (ties in
	# an ORDER BY may come in either order, so sorted)
	for id in 1 2 3 4 5 6 7 8; do
		dashboard_sql "$id" | sed "s/vllm_eval\./$DB./g" > c.sql
		dashboard_sql "$id" | sed "s/vllm_eval\./single$DB./g" > s.sql
		ch-query "$(cat c.sql)" | sort > "panel$id.c"
		ch-query "$(cat s.sql)" | sort > "panel$id.s"
		cmp "panel$id.c" "panel$id.s"
	done
	# the panels are not all empty: the trend has 6 runs x 2 metrics
	run sh -c 'wc -l < panel1.c'
	assert_output 12
}

@test "ch-cluster: a replica stopped during the insert and started again has every row once after SYSTEM SYNC REPLICA" {
	# 8 runs x 5 metrics; 0.0 + 0.1 + ... + 3.9 = 78
	python3 -c '
import json
for i in range(40):
    print(json.dumps({"metric":"m%d.acc" % (i % 5),"value":i/10,"run_id":"run%d" % (i // 5),"model_tag":"m","ts":"2026-11-22T10:00:00Z"}))' > rows.jsonl
	# rows 1-10 go first; the padding (blank lines, skipped) pushes them
	# through the input's read-ahead; the rest waits for node 3 (shard 2's
	# first replica) to stop, then goes to shard 2 through node 4
	{
		head -10 rows.jsonl
		head -c 300000 /dev/zero | tr '\0' '\n'
		while [ ! -e go ]; do sleep 0.1; done
		tail -30 rows.jsonl
	} | ch-insert --database "$DB" -b 5 --attempts 3 --backoff 0.05 > out 2> err &
	pid=$!
	n=0
	until [ "$(cl_sql 1 "SELECT count() FROM $DB.results")" = 10 ] || [ $n -ge 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	cl_node_stop 3
	touch go
	rc=0
	wait $pid || rc=$?
	assert_equal "$rc" 0
	run cat out err
	assert_output ""
	# node 3 still away: a read goes to its shard's other replica
	run --separate-stderr ch-query "SELECT count() AS n FROM (SELECT run_id, metric, labels FROM $DB.results FINAL)"
	assert_success
	assert_output '{"n":40}'
	cl_node_start 3 3>&-
	sync_all results
	run counts results
	# node 3 caught up: each shard's replicas alike, rows once (rows = identities)
	[[ "${lines[0]}" =~ ^"1: "([0-9]+)" "([0-9]+)$ ]] && a=${BASH_REMATCH[1]} && [ "$a" = "${BASH_REMATCH[2]}" ]
	[[ "${lines[2]}" =~ ^"3: "([0-9]+)" "([0-9]+)$ ]] && b=${BASH_REMATCH[1]} && [ "$b" = "${BASH_REMATCH[2]}" ]
	assert_equal "${lines[1]}" "2: $a $a"
	assert_equal "${lines[3]}" "4: $b $b"
	assert_equal "$((a + b))" 40
	assert_equal "${lines[4]}" "all: 40"
	[ "$(rows_on 3 results)" = "$(rows_on 4 results)" ]
	run cl_sql 1 "SELECT uniqExact(run_id), round(sum(value), 4) FROM $DB.results FINAL FORMAT TSV"
	assert_output "8	78"
}

@test "ch-cluster: a batch sent again adds no row to any replica" {
	python3 -c '
import json
for i in range(12):
    print(json.dumps({"metric":"m.acc","value":i,"run_id":"run%d" % i,"model_tag":"m","ts":"2026-11-22T10:00:00Z"}))' > rows.jsonl
	# one batch as ch-insert keeps it (a server away), sent twice: the
	# replicated tables drop the block they have (18.16: by its checksum)
	port=$(ve_free_port)
	run --separate-stderr ch-insert --url "http://127.0.0.1:$port/" --database "$DB" --attempts 1 --spool sp rows.jsonl
	assert_failure 75
	cp -r sp sp2
	run --separate-stderr ch-insert --flush-spool --spool sp
	assert_success
	assert_equal "$stderr" ""
	sync_all results
	run counts results
	first=$output
	assert_line --index 4 "all: 12"
	dups=$(duplicated_blocks)
	run --separate-stderr ch-insert --flush-spool --spool sp2
	assert_success
	assert_equal "$stderr" ""
	sync_all results
	run counts results
	assert_equal "$output" "$first"
	# not a merge that hid them: each shard's replica that the Distributed
	# table wrote to dropped its block (one a shard that has rows of these runs)
	shards=$(($(cl_sql 1 "SELECT count() > 0 FROM $DB.results_local") + $(cl_sql 3 "SELECT count() > 0 FROM $DB.results_local")))
	assert_equal "$(duplicated_blocks)" "$((dups + shards))"
	# the input sent again (a retried step: new inserted_at) counts once with FINAL
	run -0 ch-insert --database "$DB" rows.jsonl
	run cl_sql 1 "SELECT count() FROM (SELECT run_id, metric, labels FROM $DB.results FINAL)"
	assert_output 12
}

@test "ch-cluster: a whole shard down: ch-insert spools (75); --flush-spool completes it, every row once" {
	python3 -c '
import json
for i in range(12):
    print(json.dumps({"metric":"m.acc","value":i,"run_id":"run%d" % i,"model_tag":"m","ts":"2026-11-22T10:00:00Z"}))' > rows.jsonl
	cl_node_stop 3
	cl_node_stop 4
	run --separate-stderr ch-insert --database "$DB" --attempts 2 --backoff 0.01 --spool sp rows.jsonl
	assert_failure 75
	assert_output ""
	assert_equal "$stderr" "ch-insert: ClickHouse: HTTP 500 after 2 attempts: Code: 279, e.displayText() = DB::NetException: All connection tries failed. Log:
ch-insert: spooled 12 rows in 1 batch to sp: run ch-insert --flush-spool --spool sp when ClickHouse is back"
	run sh -c 'ls sp | wc -l'
	assert_output 1
	# a read with a shard away fails; it does not answer for half the runs
	run --separate-stderr ch-query --retries 0 "SELECT count() AS n FROM $DB.results"
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "ch-query: ClickHouse: HTTP 500 after 1 attempt: Code: 279, e.displayText() = DB::NetException: All connection tries failed. Log:"
	# the shard still away: the batch stays
	run --separate-stderr ch-insert --flush-spool --spool sp --attempts 1
	assert_failure 75
	assert_equal "$stderr" "ch-insert: ClickHouse: HTTP 500 after 1 attempt: Code: 279, e.displayText() = DB::NetException: All connection tries failed. Log:
ch-insert: 1 spooled batch left in sp"
	cl_node_start 3 3>&-
	cl_node_start 4 3>&-
	run --separate-stderr ch-insert --flush-spool --spool sp
	assert_success
	assert_equal "$stderr" ""
	run ls sp
	assert_output ""
	sync_all results
	# shard 1 may have taken its rows on a try that failed on shard 2: the
	# flush's copy of them was dropped, so rows = identities everywhere
	run counts results
	[[ "${lines[0]}" =~ ^"1: "([0-9]+)" "([0-9]+)$ ]] && a=${BASH_REMATCH[1]} && [ "$a" = "${BASH_REMATCH[2]}" ]
	[[ "${lines[2]}" =~ ^"3: "([0-9]+)" "([0-9]+)$ ]] && b=${BASH_REMATCH[1]} && [ "$b" = "${BASH_REMATCH[2]}" ]
	assert_equal "${lines[1]}" "2: $a $a"
	assert_equal "${lines[3]}" "4: $b $b"
	assert_equal "$((a + b))" 12
	assert_equal "${lines[4]}" "all: 12"
}

@test "ch-cluster: --cluster is for --init, and a plain name" {
	run --separate-stderr ch-insert --cluster "$CL_NAME" rows.jsonl
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --cluster is for --init (inserts go through the Distributed tables)
Try 'ch-insert --help' for more information."
	run --separate-stderr ch-insert --init --cluster 'a b'
	assert_failure 64
	assert_equal "$stderr" "ch-insert: --cluster: 'a b' is not a plain name (letters, digits, _)
Try 'ch-insert --help' for more information."
}
