-- latest: the metric rows of the newest run of a model family (model tags
-- starting with {family:String}).
--   ch-query -n latest -p family=release-
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
WHERE run_id =
  (
      SELECT argMax(run_id, (ts, run_id))
      FROM vllm_eval.results FINAL
      WHERE startsWith(model_tag, {family:String})
  )
ORDER BY metric, labels
