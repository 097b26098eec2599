-- Moves an items table of the old key, (run_id, task, doc_id), to the key
-- of schema.sql, (run_id, task, doc_id, sample, filter). A sorting key
-- cannot be altered to take new columns, so the rows are copied into a
-- table of the new layout that then takes the name: the old table stays as
-- items_v1 (on 24.x its TTL empties it in 180 days; drop it when done).
-- `ch-insert --init` applies this file between schema.sql and
-- schema-24.sql when system.tables shows items with the old key; each
-- step can run again after an interruption, and until the last the old
-- table is untouched.
--
-- The copied rows are what the old table kept: no sample (-1; of a doc's
-- samples the old key kept one, which one unknown), no filter, no
-- correct_norm, exact_match, truncated or task_version. reg-check pairs
-- them by "correct" only, and with no sample they never pair with a
-- sample of a newer run.

DROP TABLE IF EXISTS vllm_eval.items_migrating;

CREATE TABLE vllm_eval.items_migrating
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

INSERT INTO vllm_eval.items_migrating
    (run_id, model_tag, ts, task, doc_id, sample, subset, `group`, filter, pred, gold,
     correct, correct_norm, exact_match, score, truncated, task_version, inserted_at)
SELECT run_id, model_tag, ts, task, doc_id, toInt32(-1), subset, '', '', pred, gold,
       correct, CAST(NULL AS Nullable(UInt8)), CAST(NULL AS Nullable(UInt8)), score,
       CAST(NULL AS Nullable(UInt8)), '', inserted_at
FROM vllm_eval.items;

RENAME TABLE vllm_eval.items TO vllm_eval.items_v1, vllm_eval.items_migrating TO vllm_eval.items;
