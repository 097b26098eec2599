-- vllm-eval results store: the statements every supported server runs,
-- from Debian's clickhouse-server 18.16 (the tests) to 24.x (production).
-- `ch-insert --init` applies this file, then schema-24.sql on servers that
-- are 22.2 or newer. README.md here lists what differs between versions and why.
--
-- Every table is a ReplacingMergeTree ordered by the row's identity with
-- inserted_at as the version: a batch sent twice (a retry after a lost
-- answer, a spool flushed again) leaves one row per identity once parts
-- merge, and readers that use FINAL or argMax see one row at once.
-- Types are those 18.16 knows: DateTime (not DateTime64), String (not
-- LowCardinality, experimental there), labels as a JSON text.

CREATE DATABASE IF NOT EXISTS vllm_eval;

-- One metric of one run (a vllm-eval(7) metric row). Identity: run, metric, labels.
CREATE TABLE IF NOT EXISTS vllm_eval.results
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
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (model_tag, metric, labels, run_id);

-- One scored example of one run (a vllm-eval(7) item row). Identity: run,
-- task, doc_id, sample and filter: a doc's samples (AIME's repeats) are rows
-- of their own, which reg-check pairs on (task, doc_id, sample). A key column
-- cannot be Nullable on 18.16, so "no sample" is -1 and "no filter" ''.
-- An absent flag is NULL, not 0; queries/items.sql gives the absent back.
-- migrate-items.sql moves a table of the old key, (run_id, task, doc_id).
CREATE TABLE IF NOT EXISTS vllm_eval.items
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
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, task, doc_id, sample, filter);

-- One verdict of one run (a vllm-eval(7) verdict row, reg-check's): the
-- release row (metric 'release', with its findings as JSON text) and one row
-- per metric and labels. Identity: run, metric, labels. The dashboard's
-- Regressions panel reads these rows, so it shows what the card says.
-- A field the row does not have is NULL (a number: a missing metric's value,
-- a new one's baseline) or '' (a text).
CREATE TABLE IF NOT EXISTS vllm_eval.verdicts
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
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (run_id, metric, labels);

-- One evaluation run. Identity: run_id; a later row (the run finished)
-- replaces the earlier one (the run started).
CREATE TABLE IF NOT EXISTS vllm_eval.runs
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
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(started)
ORDER BY run_id;
