-- 0014: GetEvaluationResult finds a park's result by run and park code
-- (store/sql/eval.sql, eval_result_get). The primary key is (run_id,
-- park_id), so that lookup read every result of the run: on the national
-- bench, 20,000 rows and 4.4 ms (48 ms cold) for one result. A park has one
-- result per run, so the pair is unique.
CREATE UNIQUE INDEX evaluation_results_code_idx ON evaluation_results
    (run_id, park_code);
