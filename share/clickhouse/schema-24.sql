-- Statements for ClickHouse 22.2 and newer (production runs 24.x), applied
-- by `ch-insert --init` after schema.sql. 18.16 answers each of them with a
-- syntax error, so they live apart (see README.md).

-- Retention: TTL exists from 19.6. Metric rows are small and kept three
-- years; item rows are many and kept six months; runs and verdicts follow their
-- metrics.
ALTER TABLE vllm_eval.results MODIFY TTL ts + INTERVAL 3 YEAR;
ALTER TABLE vllm_eval.items MODIFY TTL ts + INTERVAL 180 DAY;
ALTER TABLE vllm_eval.runs MODIFY TTL started + INTERVAL 3 YEAR;
ALTER TABLE vllm_eval.verdicts MODIFY TTL ts + INTERVAL 3 YEAR;

-- Insert-time deduplication of re-sent batches on a non-replicated table:
-- ch-insert sends insert_deduplication_token (22.2+) with each batch, and
-- the server drops a batch whose token it has seen among the last 1000.
ALTER TABLE vllm_eval.results MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE vllm_eval.items MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE vllm_eval.runs MODIFY SETTING non_replicated_deduplication_window = 1000;
ALTER TABLE vllm_eval.verdicts MODIFY SETTING non_replicated_deduplication_window = 1000;
