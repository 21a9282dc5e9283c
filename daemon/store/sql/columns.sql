-- Column lists, joins and CTEs several statements use, each once: a statement says
-- @@NAME@@ where the list goes (scripts/embed-sql.sh puts it in). The
-- timestamps are UTC, ISO 8601.

-- fragment: park_columns
-- A park (p), as the Park message.
p.id, p.code, p.name, p.district, p.operator_name,
    p.operator_credit_code, p.operator_legal_person, p.staff_count,
    p.total_area, array_to_string(p.leading_industries, ',')
        AS leading_industries,
    p.level, p.status,
    coalesce(p.applied_on::text, '') AS applied_on,
    coalesce(p.admitted_on::text, '') AS admitted_on,
    coalesce(p.warned_on::text, '') AS warned_on,
    coalesce(p.exited_on::text, '') AS exited_on,
    p.status_reason, p.version,
    to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS created_at,
    to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS updated_at

-- fragment: firm_columns
-- A firm (f), as the Firm message.
f.id, f.credit_code, f.name, f.industry_code,
    coalesce(f.registered_on::text, '') AS registered_on, f.tech_based,
    f.srdi, f.version,
    to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS created_at,
    to_char(f.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS updated_at

-- fragment: principal_columns
-- A principal (x), as the Principal message.
x.id, x.name, x.fingerprint, x.role,
    coalesce((SELECT code FROM parks WHERE id = x.park_id), '') AS park_code,
    coalesce(x.district, '') AS district,
    x.enabled,
    to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS created_at

-- fragment: run_columns
-- An evaluation run (ru), as run_from_row reads it.
ru.id, ru.year,
    (SELECT name FROM policies WHERE id = ru.policy_id) AS policy,
    (SELECT hash FROM policies WHERE id = ru.policy_id) AS policy_hash,
    ru.status, coalesce(ru.budget, -1) AS budget, ru.requested, ru.total,
    ru.remainder, ru.parks, ru.downgraded, ru.summary::text AS summary,
    to_char(ru.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS created_at,
    coalesce(to_char(ru.published_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS published_at,
    coalesce(ru.notice_until::text, '') AS notice_until,
    coalesce(to_char(ru.finalized_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS finalized_at,
    coalesce(ru.corrects, 0) AS corrects,
    coalesce(ru.superseded_by, 0) AS superseded_by, ru.notice_days,
    (SELECT count(*) FROM objections o WHERE o.run_id = ru.id)
        AS objections,
    (SELECT count(*) FROM objections o WHERE o.run_id = ru.id
        AND o.answer IS NULL) AS open_objections

-- fragment: run_lock_class
-- The first key of a run's advisory lock (the second: its id): objections
-- take it shared, a change of the run's status exclusive.
1919251317

-- fragment: decl_lock_class
-- The first key of a park's declaration advisory lock (the second: the
-- park's id).
1684366700

-- fragment: evidence_columns
-- An evidence file (e) of a declaration, without its content.
e.id, e.kind, e.name, e.media_type, e.size, e.sha256, e.added_by,
    to_char(e.added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS added_at

-- fragment: assignment_columns
-- An expert's assignment (a), as the ExpertAssignment message.
a.id, (SELECT name FROM principals WHERE id = a.expert_id) AS expert,
    (SELECT code FROM parks WHERE id = a.park_id) AS park_code, a.year,
    a.assigned_by,
    to_char(a.assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS assigned_at,
    coalesce(a.conflict, '') AS conflict,
    coalesce(to_char(a.submitted_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS submitted_at

-- fragment: objection_columns
-- An objection (o), as the Objection message.
o.id, o.run_id, (SELECT code FROM parks WHERE id = o.park_id) AS park_code,
    o.body, o.filed_by,
    to_char(o.filed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS filed_at,
    coalesce(o.answer, '') AS answer, coalesce(o.upheld, false) AS upheld,
    coalesce(o.answered_by, '') AS answered_by,
    coalesce(to_char(o.answered_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS answered_at,
    coalesce(o.evidence_name, '') AS evidence_name,
    coalesce(o.evidence_size, 0) AS evidence_size,
    coalesce(o.evidence_sha256, '') AS evidence_sha256

-- fragment: result_columns
-- A park's result (er), as result_from_row reads it.
er.run_id, er.park_code, er.park_name, er.district, er.rank,
    er.position, er.total_cp, er.grade, er.grade_name, er.eligible,
    er.grade_amount, er.amount, er.subsidy, er.consecutive_fails,
    er.reasons::text AS reasons, er.reason_codes::text AS reason_codes

-- fragment: certification_columns
-- A certification (c) and its firm (f), as the Certification message.
c.id, f.credit_code, c.kind, c.number,
    c.valid_from::text AS valid_from, c.valid_to::text AS valid_to,
    coalesce(c.expired_on::text, '') AS expired_on

-- fragment: tenancy_columns
-- A tenancy (t), its park (p) and firm (f), as the Tenancy message.
t.id, p.code AS park_code, f.credit_code, f.name AS firm_name,
    t.entry_date::text AS entry_date, t.area, t.status,
    coalesce(t.exit_date::text, '') AS exit_date, t.exit_reason,
    t.exit_rule, t.waiver_source, t.version

-- fragment: policy_columns
-- A policy (x) and the years it is active for, as policy_out reads it.
x.id, x.name, x.hash, x.year_from, x.year_to, x.body,
    to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS created_at,
    coalesce((SELECT string_agg(year::text, ',' ORDER BY year)
        FROM policy_years WHERE policy_id = x.id), '') AS active_years

-- fragment: tenancy_joins
-- A tenancy (t) with its park (p) and firm (f), for tenancy_columns.
tenancies t
JOIN parks p ON p.id = t.park_id
JOIN firms f ON f.id = t.firm_id

-- fragment: firm_write_scope
-- The CTEs of a write to one firm's facts: f the firm of credit code $5,
-- fs the same if the caller's park $6 (0: city-wide) may write it
-- (scope_firm_write); the statement inserts from fs.
f AS (SELECT id FROM firms WHERE credit_code = $5),
fs AS (SELECT f.id FROM f WHERE scope_firm_write($6, f.id))

-- fragment: audit_by_request
-- An audit row's insert up to its object and change, which follow: who
-- ($1 the principal's id, 0 for none; $2 the name), the method ($3) and
-- the idempotency key ($4) of the request. Every writing statement takes
-- these four first (rpc/qparams.c, qp_audit).
INSERT INTO audit_log (principal_id, principal_name, method,
        idempotency_key, object, change)
    SELECT nullif($1::bigint, 0), $2, $3, $4

-- fragment: audit_insert
-- A write's audit row, after CTE @2 (the row as written): its object @1,
-- and the row as it is after.
aud AS (
    @@audit_by_request@@, @1,
        jsonb_build_object('after', to_jsonb(@2))
    FROM @2)

-- fragment: audit_update
-- An update's audit row, after CTEs old (the row before) and upd (after):
-- its object @1, and @2 the parameter naming the fields it changed.
aud AS (
    @@audit_by_request@@, @1,
        jsonb_build_object('fields', @2::text[], 'before', to_jsonb(old),
            'after', to_jsonb(upd))
    FROM upd, old)

-- fragment: found_and_id
-- What such a write returns: found (the firm exists at all, so a refusal
-- can say "no such firm" or "not yours") and the id of the row inserted
-- (x), NULL when none was.
(SELECT count(*) FROM f) AS found, x.id
FROM (SELECT 1) one
LEFT JOIN x ON true

-- fragment: sync_counts
-- What a push chunk's apply statement returns when nothing is refused:
-- rows inserted and updated (x, RETURNING xmax = 0 AS ins) and rows an
-- later row of the same key in the chunk superseded (s all, d distinct).
(SELECT count(*) FROM x WHERE ins) AS applied,
    (SELECT count(*) FROM x WHERE NOT ins) AS updated,
    (SELECT count(*) FROM s) - (SELECT count(*) FROM d) AS superseded,
    '' AS refused

-- fragment: year_policy
-- The policy active for the year in parameter @1 (policy_from_row reads
-- these two; no policy: both NULL).
(SELECT pp.hash FROM policy_years py JOIN policies pp
        ON pp.id = py.policy_id WHERE py.year = @1) AS policy_hash,
    (SELECT pp.body FROM policy_years py JOIN policies pp
        ON pp.id = py.policy_id WHERE py.year = @1) AS policy_body

-- fragment: tenancy_facts
-- What the exit rules read of each active tenancy (tenancy_facts_from_row,
-- store/facts.c), as of date $1 and quarter index $2 (year * 4 + quarter
-- - 1): the firm's high-tech certificate, equity raised, revenue of the
-- eight quarters before, acquisition or listing, its last reported
-- quarter; $3 one tenancy (0: every active one).
SELECT t.id, p.code AS park_code,
    array_to_string(p.leading_industries, ',') AS park_industries,
    f.credit_code, f.industry_code, t.entry_date::text AS entry_date,
    EXISTS (SELECT 1 FROM certifications c
        WHERE c.firm_id = f.id AND c.kind = 'high_tech'
            AND c.valid_from <= $1::date AND c.valid_to >= $1::date
            AND (c.expired_on IS NULL OR c.expired_on > $1::date))
        AS high_tech,
    (SELECT coalesce(sum(x.amount), 0) FROM firm_financings x
        WHERE x.firm_id = f.id AND x.date <= $1::date) AS equity,
    (SELECT coalesce(sum(r.revenue), 0) FROM firm_reports r
        WHERE r.firm_id = f.id AND r.year * 4 + r.quarter - 1
            BETWEEN $2::integer - 8 AND $2::integer - 1) AS revenue_2y,
    EXISTS (SELECT 1 FROM firm_events e
        WHERE e.firm_id = f.id AND e.date <= $1::date)
        AS acquired_or_listed,
    coalesce((SELECT max(r.year * 4 + r.quarter - 1) FROM firm_reports r
        WHERE r.firm_id = f.id
            AND r.year * 4 + r.quarter - 1 < $2::integer), -1) AS last_qi
FROM tenancies t
JOIN parks p ON p.id = t.park_id
JOIN firms f ON f.id = t.firm_id
WHERE t.status = 'active' AND ($3::bigint = 0 OR t.id = $3)

-- fragment: tenancy_written
-- After a CTE t that wrote one tenancy: its audit row ($1..$4, the tenancy
-- after the write) and the tenancy as the Tenancy message.
@@audit_insert('tenancy:' || t.id,t)@@
SELECT @@tenancy_columns@@
FROM t
JOIN parks p ON p.id = t.park_id
JOIN firms f ON f.id = t.firm_id
