-- 0012: a run's indicator definitions stored once (issue 10). Until now each
-- result carried its indicators as JSON: key, name, dimension, unit and
-- weight repeated for every park beside its figures, tens of MB for a
-- national run, most of the time of storing it. A run made from now on keeps
-- the definitions in evaluation_runs.indicator_defs (in the policy's order)
-- and each result its figures as three arrays in that order; the older
-- results keep their JSON. The view evaluation_result_indicators reads both
-- the same way, one row per result and indicator (for analysts, and for
-- GetEvaluationResult). It runs with the reader's rights, so an operator's
-- row-level security still applies through it.
ALTER TABLE evaluation_runs ADD COLUMN indicator_defs jsonb;
ALTER TABLE evaluation_results ALTER COLUMN indicators DROP NOT NULL,
    ADD COLUMN raw bigint[],
    ADD COLUMN score_cp integer[],
    ADD COLUMN contribution_cp integer[],
    ADD CONSTRAINT evaluation_results_figures CHECK (indicators IS NOT NULL
        OR (raw IS NOT NULL AND score_cp IS NOT NULL
            AND contribution_cp IS NOT NULL));

CREATE VIEW evaluation_result_indicators WITH (security_invoker = true) AS
SELECT er.run_id, er.park_id, er.park_code, d.n::int AS n,
    d.def->>'key' AS key, d.def->>'name' AS name,
    d.def->>'dimension' AS dimension, d.def->>'unit' AS unit,
    (d.def->>'weight')::int AS weight, er.raw[d.n] AS raw,
    er.score_cp[d.n] AS score_cp, er.contribution_cp[d.n] AS contribution_cp
FROM evaluation_results er
JOIN evaluation_runs ru ON ru.id = er.run_id
CROSS JOIN LATERAL jsonb_array_elements(ru.indicator_defs)
    WITH ORDINALITY AS d(def, n)
WHERE er.indicators IS NULL
UNION ALL
SELECT er.run_id, er.park_id, er.park_code, d.n::int,
    d.def->>'key', d.def->>'name', d.def->>'dimension', d.def->>'unit',
    (d.def->>'weight')::int, (d.def->>'raw')::bigint,
    (d.def->>'score_cp')::int, (d.def->>'contribution_cp')::int
FROM evaluation_results er
CROSS JOIN LATERAL jsonb_array_elements(er.indicators)
    WITH ORDINALITY AS d(def, n)
WHERE er.indicators IS NOT NULL;
