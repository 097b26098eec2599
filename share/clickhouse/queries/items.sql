-- items: the item rows of one run ({run_id:String}), as reg-check
-- --items-current and --items-baseline read them: the fields of the item
-- rows, a field the row did not have as null (sample -1, '' of group,
-- filter and task_version, a NULL flag), flags as 1/0.
--   ch-query -n items -p run_id=2026-11-22T10-00-00Z-ab12
SELECT
    task,
    doc_id,
    nullIf(sample, -1) AS sample,
    subset,
    nullIf(`group`, '') AS `group`,
    nullIf(filter, '') AS filter,
    pred,
    gold,
    correct = 1 AS correct,
    correct_norm = 1 AS correct_norm,
    exact_match = 1 AS exact_match,
    score,
    truncated = 1 AS truncated,
    nullIf(task_version, '') AS task_version,
    run_id,
    model_tag
FROM vllm_eval.items FINAL
WHERE run_id = {run_id:String}
ORDER BY task, doc_id, sample, filter
