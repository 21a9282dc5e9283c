-- The evaluation: what parkd reads from PostgreSQL. Parameters in order.

-- name: eval_raw
-- The raw indicators of every park admitted during one year (one row per
-- park, by code). $1 year, $2 its first day, $3 its last day, $4 the award
-- kind that excludes a park, $5 the failing grade.
WITH p AS (SELECT id, code, name, district, total_area, operator_legal_person, staff_count, admitted_on, exited_on
    FROM parks
    WHERE admitted_on IS NOT NULL AND admitted_on <= $3::date AND (exited_on IS NULL OR exited_on >= $2::date)),
t AS (SELECT t.park_id, t.firm_id, t.entry_date, t.exit_date, t.status, t.area, t.entry_date <= $3::date AND (t.exit_date IS NULL OR t.exit_date > $3::date) AS at_end
    FROM tenancies t
    JOIN p ON p.id = t.park_id
    WHERE t.entry_date <= $3::date AND (t.exit_date IS NULL OR t.exit_date >= $2::date)),
cert AS (SELECT firm_id, bool_or(kind = 'high_tech') AS high_tech, bool_or(kind = 'srdi') AS srdi
    FROM certifications
    WHERE valid_from <= $3::date AND valid_to >= $3::date AND (expired_on IS NULL OR expired_on > $3::date)
    GROUP BY firm_id),
tf AS (SELECT t.park_id, count(*) FILTER (WHERE at_end) AS tenants, coalesce(sum(t.area) FILTER (WHERE at_end), 0) AS occupied, count(*) FILTER (WHERE t.entry_date >= $2::date) AS new_entries, count(*) FILTER (WHERE t.status = 'graduated' AND t.exit_date <= $3::date) AS graduates, count(*) FILTER (WHERE at_end AND f.tech_based) AS tech, count(*) FILTER (WHERE at_end AND c.high_tech) AS high_tech, count(*) FILTER (WHERE at_end AND (f.srdi OR coalesce(c.srdi, false))) AS srdi
    FROM t
    JOIN firms f ON f.id = t.firm_id
    LEFT JOIN cert c ON c.firm_id = t.firm_id
    GROUP BY t.park_id),
tp AS (SELECT DISTINCT park_id, firm_id
    FROM t),
r AS (SELECT tp.park_id, coalesce(sum(fr.revenue) FILTER (WHERE fr.year = $1), 0) AS revenue, coalesce(sum(fr.revenue) FILTER (WHERE fr.year = $1 - 1), 0) AS revenue_prev, coalesce(sum(fr.ip_granted) FILTER (WHERE fr.year = $1), 0) AS ip
    FROM tp
    JOIN firm_reports fr ON fr.firm_id = tp.firm_id AND fr.year BETWEEN $1 - 1 AND $1
    GROUP BY tp.park_id),
j AS (SELECT park_id, sum(jobs) AS jobs, sum(graduate_jobs) AS graduate_jobs
    FROM (SELECT DISTINCT ON (tp.park_id, tp.firm_id) tp.park_id, fr.jobs, fr.graduate_jobs
    FROM tp
    JOIN firm_reports fr ON fr.firm_id = tp.firm_id AND fr.year = $1
    ORDER BY tp.park_id, tp.firm_id, fr.quarter DESC) l
    GROUP BY park_id),
pr AS (SELECT park_id, sum(interns_hosted) AS interns, sum(services_delivered) AS services
    FROM park_reports
    WHERE year = $1
    GROUP BY park_id),
a AS (SELECT park_id, count(*) AS activities, count(*) FILTER (WHERE kind = 'roadshow') AS roadshows, count(DISTINCT extract(quarter
    FROM date)) FILTER (WHERE kind = 'roadshow') AS roadshow_quarters
    FROM activities
    WHERE date BETWEEN $2::date AND $3::date
    GROUP BY park_id),
aw AS (SELECT DISTINCT park_id
    FROM awards
    WHERE year = $1 AND kind = $4),
prun AS (SELECT max(id) AS id
    FROM evaluation_runs
    WHERE status = 'published' AND year = $1 - 1),
pv AS (SELECT er.park_id, er.grade, er.consecutive_fails
    FROM evaluation_results er, prun
    WHERE er.run_id = prun.id)
SELECT p.id, p.code, p.name, p.district, p.total_area, p.operator_legal_person, p.staff_count, (p.exited_on IS NULL OR p.exited_on > $3::date) AS admitted, coalesce(tf.tenants, 0) AS tenants, coalesce(tf.occupied, 0) AS occupied, coalesce(tf.new_entries, 0) AS new_entries, coalesce(tf.graduates, 0) AS graduates, coalesce(tf.tech, 0) AS tech, coalesce(tf.high_tech, 0) AS high_tech, coalesce(tf.srdi, 0) AS srdi, coalesce(r.revenue, 0) AS revenue, coalesce(r.revenue_prev, 0) AS revenue_prev, coalesce(r.ip, 0) AS ip, coalesce(j.jobs, 0) AS jobs, coalesce(j.graduate_jobs, 0) AS graduate_jobs, coalesce(pr.interns, 0) AS interns, coalesce(pr.services, 0) AS services, coalesce(a.activities, 0) AS activities, coalesce(a.roadshows, 0) AS roadshows, coalesce(a.roadshow_quarters, 0) AS roadshow_quarters, aw.park_id IS NOT NULL AS has_award, CASE WHEN pv.park_id IS NOT NULL THEN CASE WHEN pv.grade = $5 THEN pv.consecutive_fails ELSE 0 END WHEN (SELECT id
    FROM prun) IS NOT NULL AND p.admitted_on < $2::date THEN 1 ELSE 0 END AS prev_fails
    FROM p
    LEFT JOIN tf ON tf.park_id = p.id
    LEFT JOIN r ON r.park_id = p.id
    LEFT JOIN j ON j.park_id = p.id
    LEFT JOIN pr ON pr.park_id = p.id
    LEFT JOIN a ON a.park_id = p.id
    LEFT JOIN aw ON aw.park_id = p.id
    LEFT JOIN pv ON pv.park_id = p.id
    ORDER BY p.code;

-- name: eval_run_insert
-- Store a scored run and its results, with the audit row. $1..$4 the audit
-- (principal id, principal name, method, idempotency key); $5 year, $6 the
-- policy's hash, $7 budget (NULL: none), $8 requested, $9 total, $10
-- remainder, $11 parks, $12 downgraded, $13 summary (JSON), $14 the failing
-- grade; $15..$28 the results, one array per column of evaluation_results
-- after run_id, in table order.
WITH ru AS (
    INSERT INTO evaluation_runs (year, policy_id, budget, requested, total,
        remainder, parks, downgraded, summary, fail_grade, created_by)
    VALUES ($5, (SELECT id FROM policies WHERE hash = $6), $7, $8, $9, $10,
        $11, $12, $13::jsonb, $14, $2)
    RETURNING *),
res AS (
    INSERT INTO evaluation_results
    SELECT (SELECT id FROM ru), *
    FROM unnest($15::bigint[], $16::text[], $17::text[], $18::text[],
        $19::int[], $20::int[], $21::text[], $22::text[], $23::boolean[],
        $24::bigint[], $25::bigint[], $26::int[], $27::jsonb[], $28::jsonb[])
    RETURNING 1),
aud AS (
    INSERT INTO audit_log (principal_id, principal_name, method, object,
        idempotency_key, change)
    SELECT nullif($1::bigint, 0), $2, $3, 'evaluation_run:' || ru.id, $4,
        jsonb_build_object('year', ru.year, 'total', ru.total,
            'parks', ru.parks)
    FROM ru)
SELECT @@run_columns@@
FROM ru;

-- name: eval_result_get
-- One park's result ($2 park code) in run $1, with what decides who may
-- read it (the park and the run's status).
SELECT @@result_columns@@, er.park_id,
    er.indicators::text AS indicators, ru.status
FROM evaluation_results er
JOIN evaluation_runs ru ON ru.id = er.run_id
WHERE er.run_id = $1 AND er.park_code = $2;

-- name: eval_run_get
-- Run $1; an operator ($2, its park; 0: city-wide) sees published runs only.
SELECT @@run_columns@@
FROM evaluation_runs ru
WHERE ru.id = $1 AND ($2::bigint = 0 OR ru.status = 'published');

-- name: eval_run_list
-- The runs of year $1 (0: every year); an operator ($2) sees published ones.
SELECT @@run_columns@@
FROM evaluation_runs ru
WHERE ($1 = 0 OR ru.year = $1) AND ($2 = 0 OR ru.status = 'published')
ORDER BY ru.id;

-- name: eval_result_list
-- A page of run $1's results by rank after $2, $3 the page size + 1; an
-- operator ($4, its park; 0: city-wide) sees its own of published runs.
SELECT @@result_columns@@
FROM evaluation_results er
JOIN evaluation_runs ru ON ru.id = er.run_id
WHERE er.run_id = $1 AND er.rank > $2
    AND ($4::bigint = 0 OR (er.park_id = $4 AND ru.status = 'published'))
ORDER BY er.rank
LIMIT $3;

-- name: eval_budget_set
-- The budget of year $5 ($6 fen), with the audit row ($1..$4).
WITH b AS (
    INSERT INTO evaluation_budgets (year, amount) VALUES ($5, $6)
    ON CONFLICT (year) DO UPDATE SET amount = EXCLUDED.amount, set_at = now()
    RETURNING *),
aud AS (
    INSERT INTO audit_log (principal_id, principal_name, method, object,
        idempotency_key, change)
    SELECT nullif($1::bigint, 0), $2, $3, 'budget:' || b.year, $4, to_jsonb(b)
    FROM b)
SELECT year FROM b;

-- name: eval_award_add
-- An award of park $5 (code) for year $6: $7 kind, $8 amount (fen), with
-- the audit row ($1..$4). No row: no such park.
WITH x AS (
    INSERT INTO awards (park_id, year, kind, amount)
    SELECT id, $6, $7, $8 FROM parks WHERE code = $5
    RETURNING *),
aud AS (
    INSERT INTO audit_log (principal_id, principal_name, method, object,
        idempotency_key, change)
    SELECT nullif($1::bigint, 0), $2, $3, 'park:' || $5, $4,
        jsonb_build_object('award', to_jsonb(x))
    FROM x)
SELECT id FROM x;
