-- history: the metric rows of the last {runs:UInt32} runs of a model family
-- (model tags starting with {family:String}), as reg-check --history reads them.
--   ch-query -n history -p family=release- -p runs=5
-- FINAL: a batch inserted twice counts once. GLOBAL IN: on a cluster
-- (cluster.sql) the last runs are chosen once over every shard and sent to
-- each; on one server it is a plain IN.
SELECT
    run_id,
    model_tag,
    metric,
    value,
    n,
    stderr,
    unit,
    labels,
    -- Not formatDateTime: since 23.4 its %M is the month's name, not minutes.
    concat(replaceOne(toString(ts, 'UTC'), ' ', 'T'), 'Z') AS ts
FROM vllm_eval.results FINAL
WHERE startsWith(model_tag, {family:String})
  AND run_id GLOBAL IN
  (
      SELECT run_id
      FROM vllm_eval.results FINAL
      WHERE startsWith(model_tag, {family:String})
      GROUP BY run_id
      ORDER BY max(ts) DESC, run_id DESC
      LIMIT {runs:UInt32}
  )
ORDER BY ts DESC, run_id DESC, metric, labels
