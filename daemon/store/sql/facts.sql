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
@@audit_insert('firm:' || $5 || ':report:' || x.year || 'Q' || x.quarter,x)@@
SELECT (SELECT count(*) FROM f) AS found, x.firm_id AS id, x.version
FROM (SELECT 1) one
LEFT JOIN x ON true;

-- name: facts_financing_add
-- An equity financing of firm $5 (credit code), if the caller's park $6
-- (0: city-wide) may write it (scope_firm_write), with the audit row
-- ($1..$4). $7 date, $8 amount (fen), $9 investor. found and id as above.
WITH @@firm_write_scope@@,
x AS (
    INSERT INTO firm_financings (firm_id, date, amount, investor)
    SELECT id, $7, $8, $9 FROM fs
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'firm:' || $5,
        jsonb_build_object('financing', to_jsonb(x))
    FROM x)
SELECT @@found_and_id@@;

-- name: facts_event_add
-- An acquisition or listing of firm $5, as facts_financing_add. $7 kind,
-- $8 date, $9 detail.
WITH @@firm_write_scope@@,
x AS (
    INSERT INTO firm_events (firm_id, kind, date, detail)
    SELECT id, $7, $8, $9 FROM fs
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'firm:' || $5,
        jsonb_build_object('event', to_jsonb(x))
    FROM x)
SELECT @@found_and_id@@;

-- name: facts_cert_add
-- A certification of firm $5, as facts_financing_add. $7 kind, $8 number,
-- $9 valid from, $10 valid to. The columns are the Certification
-- message's fields.
WITH @@firm_write_scope@@,
x AS (
    INSERT INTO certifications (firm_id, kind, number, valid_from, valid_to)
    SELECT id, $7, $8, $9, $10 FROM fs
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'firm:' || $5,
        jsonb_build_object('certification', to_jsonb(x))
    FROM x)
SELECT (SELECT count(*) FROM f) AS found, x.id, $5 AS credit_code, x.kind,
    x.number, x.valid_from::text AS valid_from, x.valid_to::text AS valid_to,
    '' AS expired_on
FROM (SELECT 1) one
LEFT JOIN x ON true;

-- name: facts_cert_list
-- The certifications of firm $1 (credit code) the caller's park $2 (0:
-- city-wide) may read: an ex-tenant's only for its days in the park.
SELECT @@certification_columns@@
FROM certifications c
JOIN firms f ON f.id = c.firm_id
WHERE f.credit_code = $1
    AND ($2::bigint = 0
        OR scope_firm_read($2, f.id, c.valid_from, c.valid_to))
ORDER BY c.id;

-- name: facts_cert_expire
-- Certification $5 expired on $6, with the audit row ($1..$4).
WITH c AS (
    UPDATE certifications SET expired_on = $6, version = version + 1
    WHERE id = $5
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'certification:' || c.id,
        jsonb_build_object('expired_on', c.expired_on)
    FROM c)
SELECT @@certification_columns@@
FROM c
JOIN firms f ON f.id = c.firm_id;
