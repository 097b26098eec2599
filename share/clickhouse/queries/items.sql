-- items: the item rows of one run ({run_id:String}), as reg-check
-- --items-current and --items-baseline read them.
--   ch-query -n items -p run_id=2026-11-22T10-00-00Z-ab12
SELECT
    task,
    doc_id,
    subset,
    pred,
    gold,
    correct = 1 AS correct,
    score,
    run_id,
    model_tag
FROM vllm_eval.items FINAL
WHERE run_id = {run_id:String}
ORDER BY task, doc_id
