-- vllm-eval results store on a ClickHouse cluster: on every shard the
-- tables of schema.sql as ReplicatedReplacingMergeTree (named with a
-- _local suffix), and over them Distributed tables under the names the
-- readers use (vllm_eval.results, .items, .verdicts, .runs), sharded by
-- cityHash64(run_id): one run's rows live together on one shard.
--
-- `ch-insert --init --cluster NAME` applies this file with the cluster
-- eval_cluster renamed NAME (and vllm_eval to --database), then
-- cluster-24.sql on 22.2 and newer. By hand:
--   sed 's/eval_cluster/NAME/g' cluster.sql | clickhouse-client --multiquery
-- Each server needs the cluster in remote_servers (internal_replication
-- true), ZooKeeper (or on 24.x ClickHouse Keeper), distributed_ddl, and the
-- macros {shard} and {replica}. README.md here says why it is written so.
--
-- The syntax is 18.16's (the tests run 18.16; production 24.x): the
-- replicated engine takes its ZooKeeper path and replica name first, then
-- the version column; the database is part of the path, so two databases
-- on one cluster never share a replica log.

CREATE DATABASE IF NOT EXISTS vllm_eval ON CLUSTER eval_cluster;

-- Metric rows (schema.sql: results). Identity: run, metric, labels.
CREATE TABLE IF NOT EXISTS vllm_eval.results_local ON CLUSTER eval_cluster
(
    run_id      String,
    model_tag   String,
    metric      String,
    value       Float64,
    ts          DateTime,
    n           Nullable(UInt64),
    stderr      Nullable(Float64),
    unit        String,
    labels      String,
    inserted_at DateTime
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/vllm_eval/results', '{replica}', inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (model_tag, metric, labels, run_id);

CREATE TABLE IF NOT EXISTS vllm_eval.results ON CLUSTER eval_cluster AS vllm_eval.results_local
ENGINE = Distributed(eval_cluster, vllm_eval, results_local, cityHash64(run_id));

-- Item rows (schema.sql: items). Identity: run, task, doc_id, sample, filter.
CREATE TABLE IF NOT EXISTS vllm_eval.items_local ON CLUSTER eval_cluster
(
    run_id       String,
    model_tag    String,
    ts           DateTime,
    task         String,
    doc_id       String,
    sample       Int32 DEFAULT -1,
    subset       String,
    `group`      String DEFAULT '',
    filter       String DEFAULT '',
    pred         String,
    gold         String,
    correct      Nullable(UInt8),
    correct_norm Nullable(UInt8),
    exact_match  Nullable(UInt8),
    score        Nullable(Float64),
    truncated    Nullable(UInt8),
    task_version String DEFAULT '',
    inserted_at  DateTime
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/vllm_eval/items', '{replica}', inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, task, doc_id, sample, filter);

CREATE TABLE IF NOT EXISTS vllm_eval.items ON CLUSTER eval_cluster AS vllm_eval.items_local
ENGINE = Distributed(eval_cluster, vllm_eval, items_local, cityHash64(run_id));

-- Verdict rows (schema.sql: verdicts). Identity: run, metric, labels.
CREATE TABLE IF NOT EXISTS vllm_eval.verdicts_local ON CLUSTER eval_cluster
(
    run_id      String,
    model_tag   String,
    ts          DateTime,
    metric      String,
    labels      String,
    status      String,
    value       Nullable(Float64),
    baseline    Nullable(Float64),
    delta       Nullable(Float64),
    delta_pct   Nullable(Float64),
    direction   String,
    test        String,
    n           Nullable(UInt64),
    p_value     Nullable(Float64),
    p_adjusted  Nullable(Float64),
    gates       Nullable(UInt8),
    rule        String,
    note        String,
    findings    String,
    inserted_at DateTime
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/vllm_eval/verdicts', '{replica}', inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, metric, labels);

CREATE TABLE IF NOT EXISTS vllm_eval.verdicts ON CLUSTER eval_cluster AS vllm_eval.verdicts_local
ENGINE = Distributed(eval_cluster, vllm_eval, verdicts_local, cityHash64(run_id));

-- Run rows (schema.sql: runs). Identity: run_id.
CREATE TABLE IF NOT EXISTS vllm_eval.runs_local ON CLUSTER eval_cluster
(
    run_id       String,
    model_tag    String,
    image        String,
    started      DateTime,
    finished     Nullable(DateTime),
    status       String,
    workflow_url String,
    inserted_at  DateTime
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/vllm_eval/runs', '{replica}', inserted_at)
PARTITION BY toYYYYMM(started)
ORDER BY run_id;

CREATE TABLE IF NOT EXISTS vllm_eval.runs ON CLUSTER eval_cluster AS vllm_eval.runs_local
ENGINE = Distributed(eval_cluster, vllm_eval, runs_local, cityHash64(run_id));
