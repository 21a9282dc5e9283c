-- SyncService: the statement that applies one chunk of a push, per record
-- kind (daemon/svc/sync/kinds.c). Each: $1 the push's park id, $2 the row
-- numbers, $3.. one array per column of the kind, in its order
-- (lib/kinds.c). Rows of one natural key within the chunk: the last wins
-- (the others count as superseded). Each returns applied, updated,
-- superseded and refused ("row<TAB>reason" lines). The push's park is its
-- scope (schema/0005_scope.sql), whoever pushes.

-- name: sync_apply_park_reports
-- Apply a park's quarterly reports.
WITH s AS (SELECT *
    FROM unnest($2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[]) AS s(row_no, year, quarter, staff, services_delivered, interns_hosted)),
d AS (SELECT DISTINCT ON (year, quarter) *
    FROM s
    ORDER BY year, quarter, row_no DESC),
x AS (INSERT INTO park_reports AS r (park_id, year, quarter, staff, services_delivered, interns_hosted) SELECT $1, year, quarter, staff, services_delivered, interns_hosted
    FROM d
    ON CONFLICT (park_id, year, quarter)
    DO UPDATE SET staff = EXCLUDED.staff, services_delivered = EXCLUDED.services_delivered, interns_hosted = EXCLUDED.interns_hosted, version = r.version + 1, updated_at = now()
    RETURNING (xmax = 0) AS ins)
SELECT @@sync_counts@@;

-- name: sync_apply_activities
-- Apply a park's activities.
WITH s AS (SELECT *
    FROM unnest($2::bigint[], $3::text[], $4::date[], $5::text[], $6::int[]) AS s(row_no, kind, date, title, participants)),
d AS (SELECT DISTINCT ON (kind, date, title) *
    FROM s
    ORDER BY kind, date, title, row_no DESC),
x AS (INSERT INTO activities AS a (park_id, kind, date, title, participants) SELECT $1, kind, date, title, participants
    FROM d
    ON CONFLICT (park_id, kind, date, title)
    DO UPDATE SET participants = EXCLUDED.participants, version = a.version + 1
    RETURNING (xmax = 0) AS ins)
SELECT @@sync_counts@@;

-- name: sync_apply_firms
-- Apply firm identities, registered_by the push's park. A firm out
-- of scope is never sent to ON CONFLICT (row-level security): refused as
-- not_yours.
WITH s AS (SELECT *
    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::date[], $7::boolean[], $8::boolean[]) AS s(row_no, credit_code, name, industry_code, registered_on, tech_based, srdi)),
d AS (SELECT DISTINCT ON (credit_code) *
    FROM s
    ORDER BY credit_code, row_no DESC),
e AS (SELECT d.*
    FROM d
    LEFT JOIN firms g ON g.credit_code = d.credit_code
    WHERE g.id IS NULL OR scope_firm_identity_write($1, g.id)),
x AS (INSERT INTO firms AS f (credit_code, name, industry_code, registered_on, tech_based, srdi, registered_by) SELECT credit_code, name, industry_code, registered_on, tech_based, srdi, $1
    FROM e
    ON CONFLICT (credit_code)
    DO UPDATE SET name = EXCLUDED.name, industry_code = EXCLUDED.industry_code, registered_on = EXCLUDED.registered_on, tech_based = EXCLUDED.tech_based, srdi = EXCLUDED.srdi, version = f.version + 1, updated_at = now()
    WHERE scope_firm_identity_write($1, f.id)
    RETURNING f.credit_code, (xmax = 0) AS ins)
SELECT (SELECT count(*) FROM x WHERE ins) AS applied,
    (SELECT count(*) FROM x WHERE NOT ins) AS updated,
    (SELECT count(*) FROM s) - (SELECT count(*) FROM d) AS superseded,
    coalesce((SELECT string_agg(row_no || E'\tnot_yours', E'\n' ORDER BY row_no) FROM d WHERE credit_code NOT IN (SELECT credit_code FROM x)), '') AS refused;

-- name: sync_apply_certifications
-- Apply firms' certifications. Another firm's certificate is never
-- sent to ON CONFLICT (row-level security): refused as other_firm.
WITH s AS (SELECT *
    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::date[], $7::date[]) AS s(row_no, credit_code, kind, number, valid_from, valid_to)),
m AS (SELECT s.*, f.id AS firm_id, f.id IS NOT NULL AND scope_firm_write($1, f.id) AS ok
    FROM s
    LEFT JOIN firms f ON f.credit_code = s.credit_code),
d AS (SELECT DISTINCT ON (kind, number) *
    FROM m
    WHERE ok
    ORDER BY kind, number, row_no DESC),
e AS (SELECT *
    FROM d
    WHERE NOT EXISTS (SELECT 1
    FROM certifications o
    WHERE o.kind = d.kind AND o.number = d.number AND o.firm_id <> d.firm_id)),
x AS (INSERT INTO certifications AS c (firm_id, kind, number, valid_from, valid_to) SELECT firm_id, kind, number, valid_from, valid_to
    FROM e
    ON CONFLICT (kind, number)
    DO UPDATE SET valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, version = c.version + 1
    WHERE c.firm_id = EXCLUDED.firm_id
    RETURNING c.kind, c.number, (xmax = 0) AS ins)
SELECT (SELECT count(*) FROM x WHERE ins) AS applied,
    (SELECT count(*) FROM x WHERE NOT ins) AS updated,
    (SELECT count(*) FROM m WHERE ok) - (SELECT count(*) FROM d) AS superseded,
    concat_ws(E'\n', nullif(coalesce((SELECT string_agg(row_no || E'\t' || CASE WHEN firm_id IS NULL THEN 'unknown_firm' ELSE 'not_in_park' END, E'\n' ORDER BY row_no) FROM m WHERE NOT ok), ''), ''), (SELECT string_agg(row_no || E'\tother_firm', E'\n' ORDER BY row_no) FROM d WHERE (kind, number) NOT IN (SELECT kind, number FROM x))) AS refused;

-- The firm_reports fast path (daemon/svc/sync/reports.c): its arrays come
-- in binary (lib/pgbin.c), $1..$8 firm_id, year, quarter, revenue, jobs,
-- graduate_jobs, rnd_spend, ip_granted.

-- name: sync_report_firms
-- Credit codes ($2) new to a push of park $1: the firm, whether it is an
-- active tenant here, was ever here, was ever elsewhere, and its latest
-- stored quarter (year * 4 + quarter - 1).
SELECT c.code, f.id, coalesce(bool_or(t.park_id = $1 AND t.status = 'active'), false),
    coalesce(bool_or(t.park_id = $1), false),
    coalesce(bool_or(t.park_id <> $1), false),
    (SELECT r.year * 4 + r.quarter - 1
    FROM firm_reports r
    WHERE r.firm_id = f.id
    ORDER BY r.year DESC, r.quarter DESC
    LIMIT 1)
    FROM unnest($2::text[]) AS c(code)
    LEFT JOIN firms f ON f.credit_code = c.code
    LEFT JOIN tenancies t ON t.firm_id = f.id
    GROUP BY c.code, f.id;

-- name: sync_reports_fresh
-- Reports whose quarters are known not to be stored: one plain insert
-- ($9 their number). The arrays are unnested in the select list, in step
-- (they are of one length): unnest() in FROM stores its rows in a
-- tuplestore first, which cost PostgreSQL 15-25 % more per row (1,000,000
-- reports in 200 chunks: 6.8-7.7 s against 5.7-6.8 s; psql's \copy 5.2-5.5).
WITH ins AS (INSERT INTO firm_reports (firm_id, year, quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted)
    SELECT unnest($1::bigint[]), unnest($2::int[]), unnest($3::int[]),
        unnest($4::bigint[]), unnest($5::int[]), unnest($6::int[]),
        unnest($7::bigint[]), unnest($8::int[]))
SELECT $9::bigint AS applied, 0 AS updated, 0 AS superseded, '' AS refused;

-- name: sync_reports_write
-- Any reports ($9 row numbers, $10 check the quarter's scope, $11 fresh,
-- $12 the park): the fresh ones (known not stored) a plain insert, the
-- others an upsert. A re-push, every quarter stored, is all upserts: 51 ms
-- for 5,000 stored reports where finding each row's address by a
-- sub-select and updating by it took 62 (ON CONFLICT's probe of the key
-- is the lookup; the national set, less the arrays' parsing). The chunk
-- holds one row per quarter (svc/sync/reports.c), so no row is hit twice.
-- A concurrent insert of a quarter this push did not know is stored is
-- updated; of one it thought fresh fails the insert. The arrays are
-- unnested in a select list, as in sync_reports_fresh.
WITH e AS MATERIALIZED (SELECT u.*, (NOT u.chk OR scope_report_write($12, u.firm_id, u.year, u.quarter)) AS ok
    FROM (SELECT unnest($1::bigint[]) AS firm_id, unnest($2::int[]) AS year,
            unnest($3::int[]) AS quarter, unnest($4::bigint[]) AS revenue,
            unnest($5::int[]) AS jobs, unnest($6::int[]) AS graduate_jobs,
            unnest($7::bigint[]) AS rnd_spend, unnest($8::int[]) AS ip_granted,
            unnest($9::bigint[]) AS row_no, unnest($10::boolean[]) AS chk,
            unnest($11::boolean[]) AS fresh) u),
ins AS (INSERT INTO firm_reports (firm_id, year, quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted) SELECT firm_id, year, quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted
    FROM e
    WHERE ok AND fresh),
up AS (INSERT INTO firm_reports AS r (firm_id, year, quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted) SELECT firm_id, year, quarter, revenue, jobs, graduate_jobs, rnd_spend, ip_granted
    FROM e
    WHERE ok AND NOT fresh
    ON CONFLICT (firm_id, year, quarter) DO UPDATE SET revenue = EXCLUDED.revenue, jobs = EXCLUDED.jobs, graduate_jobs = EXCLUDED.graduate_jobs, rnd_spend = EXCLUDED.rnd_spend, ip_granted = EXCLUDED.ip_granted, version = r.version + 1, updated_at = now()
    RETURNING r.xmax = 0 AS inserted)
SELECT (SELECT count(*) FROM e WHERE ok AND fresh) + (SELECT count(*) FROM up WHERE inserted) AS applied,
    (SELECT count(*) FROM up WHERE NOT inserted) AS updated,
    0 AS superseded,
    coalesce((SELECT string_agg(row_no || E'\tother_park', E'\n' ORDER BY row_no) FROM e WHERE NOT ok), '') AS refused;

-- name: sync_begin_lookup
-- BeginSync: park $1 (code) and the push already committed under key $2
-- by principal $3, if any (b_park NULL: none).
SELECT p.id AS park_id, b.kind, b.park_id AS b_park, b.rows, b.applied,
    b.updated, b.refused
FROM parks p
LEFT JOIN sync_batches b ON b.idempotency_key = $2 AND b.principal_id = $3
WHERE p.code = $1;

-- name: sync_refusals_list
-- The rows a push (key $1, principal $2) refused, the first 1,000.
SELECT row_no, field, rule, message
FROM sync_refusals
WHERE idempotency_key = $1 AND principal_id = $2
ORDER BY row_no
LIMIT 1000;

-- name: sync_refusals_insert
-- A chunk's refused rows, for push key $1 and principal $6: row numbers
-- $2, fields $3, rules $4, messages $5 (arrays, one element a violation).
INSERT INTO sync_refusals (idempotency_key, row_no, field, rule, message,
    principal_id)
SELECT $1, *, $6
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]);

-- name: sync_tenancies_check
-- What a tenancies chunk's rows are checked against (svc/sync/tenancy.c),
-- for park $1: each row ($2 row numbers, $3 credit codes, $4 entry dates)
-- with its firm, the firm's active tenancy elsewhere and here, the policy
-- of its entry year (its body once per policy), and the park with the
-- area its active tenancies occupy.
SELECT s.row_no, f.id AS firm_id, f.industry_code,
    f.registered_on::text AS registered_on,
    (SELECT p2.code FROM tenancies t2 JOIN parks p2 ON p2.id = t2.park_id
        WHERE t2.firm_id = f.id AND t2.status = 'active'
            AND t2.park_id <> $1) AS active_park,
    (SELECT t3.id FROM tenancies t3 WHERE t3.firm_id = f.id
        AND t3.status = 'active' AND t3.park_id = $1) AS same_id,
    (SELECT t3.area FROM tenancies t3 WHERE t3.firm_id = f.id
        AND t3.status = 'active' AND t3.park_id = $1) AS same_area,
    pol.hash AS policy_hash,
    CASE WHEN row_number() OVER (PARTITION BY pol.hash ORDER BY s.row_no)
        = 1 THEN pol.body END AS policy_body,
    p.code, p.status, p.total_area,
    array_to_string(p.leading_industries, ',') AS industries,
    (SELECT coalesce(sum(area), 0) FROM tenancies
        WHERE park_id = $1 AND status = 'active') AS occupied
FROM unnest($2::bigint[], $3::text[], $4::date[])
    AS s(row_no, credit_code, entry_date)
LEFT JOIN firms f ON f.credit_code = s.credit_code
LEFT JOIN LATERAL (
    SELECT pp.hash, pp.body
    FROM policy_years py JOIN policies pp ON pp.id = py.policy_id
    WHERE py.year = extract(year FROM s.entry_date)::int) pol ON true
CROSS JOIN parks p
WHERE p.id = $1
ORDER BY s.row_no;

-- name: sync_tenancies_write
-- A tenancies chunk's checked rows for park $1: new entries ($2 firms, $3
-- entry dates, $4 areas, $5 waivers) and updates of active tenancies ($6
-- ids, $7 areas, $8 waivers).
WITH ins AS (
    INSERT INTO tenancies (firm_id, park_id, entry_date, area,
        waiver_source)
    SELECT firm_id, $1, entry_date, area, waiver
    FROM unnest($2::bigint[], $3::date[], $4::bigint[], $5::text[])
        AS u(firm_id, entry_date, area, waiver)
    RETURNING 1),
upd AS (
    UPDATE tenancies t SET area = u.area, waiver_source = u.waiver,
        version = t.version + 1, updated_at = now()
    FROM unnest($6::bigint[], $7::bigint[], $8::text[])
        AS u(id, area, waiver)
    WHERE t.id = u.id
    RETURNING 1)
SELECT (SELECT count(*) FROM ins) AS applied,
    (SELECT count(*) FROM upd) AS updated, 0 AS superseded, '' AS refused;

-- name: sync_commit_park_lock
-- CommitSync of tenancies: park $1 locked, with the area its active
-- tenancies occupy.
SELECT p.status, p.total_area,
    (SELECT coalesce(sum(t.area), 0) FROM tenancies t
        WHERE t.park_id = p.id AND t.status = 'active') AS occupied
FROM parks p
WHERE p.id = $1
FOR NO KEY UPDATE;

-- name: sync_commit_firms_elsewhere
-- CommitSync: one of firms $1 (bigint[]) with a tenancy in a park other
-- than $2, if any.
SELECT f.credit_code
FROM tenancies t
JOIN firms f ON f.id = t.firm_id
WHERE t.firm_id = ANY($1::bigint[]) AND t.park_id <> $2
LIMIT 1;

-- name: sync_commit_batch
-- CommitSync: the push's stored outcome and its audit row ($1..$4, $4 the
-- push's key): key $5, park $6, kind $7, rows $8, applied $9, updated
-- $10, refused $11.
WITH b AS (
    INSERT INTO sync_batches (idempotency_key, principal_id, park_id, kind,
        rows, applied, updated, refused)
    VALUES ($5, $1::bigint, $6, $7, $8, $9, $10, $11)
    RETURNING *),
aud AS (
    @@audit_by_request@@,
        'park:' || (SELECT code FROM parks WHERE id = b.park_id),
        jsonb_build_object('sync', to_jsonb(b))
    FROM b)
SELECT 1 FROM b;
