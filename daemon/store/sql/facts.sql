-- The facts the rules and the evaluation read: firm reports (the single
-- calls; pushes have their own statements in sync.sql).

-- name: facts_report_put
-- Insert or replace one quarterly report of firm $5 (credit code), if the
-- caller's park $6 (0: city-wide) may write that quarter
-- (scope_report_write, schema/0005_scope.sql), with the audit row ($1..$4).
-- $7 year, $8 quarter, $9 revenue (fen), $10 jobs, $11 graduate jobs,
-- $12 R&D spend (fen), $13 IP granted. found: 0 when no such firm; id NULL
-- when the caller may not write it.
WITH f AS (SELECT id FROM firms WHERE credit_code = $5),
fs AS (SELECT f.id FROM f WHERE scope_report_write($6, f.id, $7, $8)),
x AS (
    INSERT INTO firm_reports (firm_id, year, quarter, revenue, jobs,
        graduate_jobs, rnd_spend, ip_granted)
    SELECT id, $7, $8, $9, $10, $11, $12, $13 FROM fs
    ON CONFLICT (firm_id, year, quarter) DO UPDATE
    SET revenue = EXCLUDED.revenue, jobs = EXCLUDED.jobs,
        graduate_jobs = EXCLUDED.graduate_jobs,
        rnd_spend = EXCLUDED.rnd_spend, ip_granted = EXCLUDED.ip_granted,
        version = firm_reports.version + 1, updated_at = now()
    RETURNING *),
aud AS (
    INSERT INTO audit_log (principal_id, principal_name, method, object,
        idempotency_key, change)
    SELECT nullif($1::bigint, 0), $2, $3,
        'firm:' || $5 || ':report:' || x.year || 'Q' || x.quarter, $4,
        jsonb_build_object('after', to_jsonb(x))
    FROM x)
SELECT (SELECT count(*) FROM f) AS found, x.firm_id AS id, x.version
FROM (SELECT 1) one
LEFT JOIN x ON true;
