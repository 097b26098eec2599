-- Statements for a cluster of ClickHouse 22.2 and newer (production runs
-- 24.x), applied by `ch-insert --init --cluster NAME` after cluster.sql,
-- with eval_cluster renamed NAME. 18.16 answers each with a syntax error.

-- Retention, as schema-24.sql, on the replicated tables (a Distributed
-- table keeps no rows).
ALTER TABLE vllm_eval.results_local ON CLUSTER eval_cluster MODIFY TTL ts + INTERVAL 3 YEAR;
ALTER TABLE vllm_eval.items_local ON CLUSTER eval_cluster MODIFY TTL ts + INTERVAL 180 DAY;
ALTER TABLE vllm_eval.runs_local ON CLUSTER eval_cluster MODIFY TTL started + INTERVAL 3 YEAR;
ALTER TABLE vllm_eval.verdicts_local ON CLUSTER eval_cluster MODIFY TTL ts + INTERVAL 3 YEAR;

-- No deduplication window to set: a replicated table drops a block it has
-- seen among its last replicated_deduplication_window blocks on its own,
-- by the insert_deduplication_token ch-insert sends (22.2+) or else by the
-- block's checksum (every version).
