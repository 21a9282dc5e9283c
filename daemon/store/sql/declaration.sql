-- DeclarationService (svc/declaration.c): a park's annual declaration,
-- its evidence and its district review. Parameters in order; $1..$4 of a
-- write are its audit row (principal id, principal name, method,
-- idempotency key).

-- name: decl_target
-- Park $1 (code) and its declaration of year $2, locked for a change of
-- the declaration (an advisory lock per park: the declaration row may not
-- exist yet): no row, no such park. in_year: the park takes part in the
-- year's evaluation (admitted by its end, not exited before it began).
-- Plans of this transaction are custom (eval_raw's park filter).
SELECT p.id AS park_id, p.district,
    p.admitted_on IS NOT NULL AND p.admitted_on <= make_date($2, 12, 31)
        AND (p.exited_on IS NULL OR p.exited_on >= make_date($2, 1, 1))
        AS in_year,
    coalesce(d.id, 0) AS decl_id, coalesce(d.status, '') AS status,
    coalesce((SELECT sum(e.size) FROM declaration_evidence e
        WHERE e.declaration_id = d.id), 0) AS evidence_bytes,
    (SELECT count(*) FROM declaration_evidence e
        WHERE e.declaration_id = d.id AND e.kind = 'commitment_letter')
        AS letters,
    pg_advisory_xact_lock(@@decl_lock_class@@,
        (p.id & 2147483647)::int)::text AS locked,
    set_config('plan_cache_mode', 'force_custom_plan', true) AS pcm
FROM parks p
LEFT JOIN declarations d ON d.park_id = p.id AND d.year = $2
WHERE p.code = $1;

-- name: decl_save
-- Assemble the declaration of park $5 for year $6 from figures $7 (JSON,
-- eval_raw's row for the park) and the park's tenants at the year's end:
-- new, or a draft or returned one again (its status kept), with the event
-- and the audit row. No row: it is submitted or approved (frozen).
WITH t AS (
    SELECT coalesce(jsonb_agg(jsonb_build_object(
            'credit_code', f.credit_code, 'name', f.name,
            'entry_date', t.entry_date::text, 'area', t.area)
        ORDER BY f.credit_code), '[]') AS tenants
    FROM tenancies t
    JOIN firms f ON f.id = t.firm_id
    WHERE t.park_id = $5 AND t.entry_date <= make_date($6, 12, 31)
        AND (t.exit_date IS NULL OR t.exit_date > make_date($6, 12, 31))),
d AS (
    INSERT INTO declarations AS x (park_id, year, figures, tenants)
    SELECT $5, $6, $7::jsonb, t.tenants
    FROM t
    ON CONFLICT (park_id, year) DO UPDATE
    SET figures = EXCLUDED.figures, tenants = EXCLUDED.tenants,
        assembled_at = now(), version = x.version + 1
    WHERE x.status IN ('draft', 'returned')
    RETURNING x.id, x.year, x.park_id),
ev AS (
    INSERT INTO declaration_events (declaration_id, park_id, action, actor)
    SELECT d.id, d.park_id, 'assembled', $2
    FROM d),
aud AS (
    @@audit_by_request@@, 'declaration:' || d.id,
        jsonb_build_object('assembled', d.year)
    FROM d)
SELECT d.id
FROM d;

-- name: decl_evidence_add
-- Attach a file to declaration $5: $6 kind, $7 name, $8 media type, $9
-- size, $10 SHA-256 (hex), $11 the content in hex; with the event and the
-- audit row. No row: the same file is already attached.
WITH e AS (
    INSERT INTO declaration_evidence (declaration_id, kind, name, media_type,
        size, sha256, content, added_by)
    VALUES ($5, $6, $7, $8, $9, $10, decode($11, 'hex'), $2)
    ON CONFLICT (declaration_id, sha256) DO NOTHING
    RETURNING *),
ev AS (
    INSERT INTO declaration_events (declaration_id, park_id, action, actor,
        comment)
    SELECT e.declaration_id, d.park_id, 'evidence', $2,
        e.kind || ': ' || e.name
    FROM e
    JOIN declarations d ON d.id = e.declaration_id),
aud AS (
    @@audit_by_request@@, 'declaration:' || e.declaration_id,
        jsonb_build_object('evidence', e.id, 'sha256', e.sha256,
            'size', e.size)
    FROM e)
SELECT @@evidence_columns@@, '' AS content
FROM e;

-- name: decl_evidence_get
-- Evidence $1 with its content (hex) and what decides who may read it.
SELECT @@evidence_columns@@, encode(e.content, 'hex') AS content,
    d.park_id, p.district
FROM declaration_evidence e
JOIN declarations d ON d.id = e.declaration_id
JOIN parks p ON p.id = d.park_id
WHERE e.id = $1;

-- name: decl_status_set
-- Declaration $5 to status $6 (submitted, returned or approved) from one
-- of the statuses $8 (array), with the event ($7 its comment) and the
-- audit row. No row: it changed meanwhile.
WITH d AS (
    UPDATE declarations
    SET status = $6,
        submitted_at = CASE WHEN $6 = 'submitted' THEN now()
            ELSE submitted_at END,
        decided_at = CASE WHEN $6 = 'submitted' THEN NULL ELSE now() END,
        version = version + 1
    WHERE id = $5 AND status = ANY ($8::text[])
    RETURNING id, status, park_id),
ev AS (
    INSERT INTO declaration_events (declaration_id, park_id, action, actor,
        comment)
    SELECT d.id, d.park_id, d.status, $2, $7
    FROM d),
aud AS (
    @@audit_by_request@@, 'declaration:' || d.id,
        jsonb_build_object('status', d.status, 'comment', $7::text)
    FROM d)
SELECT d.id
FROM d;

-- name: decl_get
-- The declaration of park $1 (code) for year $2: its figures, tenants,
-- evidence (no content) and events as JSON. No row: none.
SELECT d.id, p.id AS park_id, p.code AS park_code, p.name AS park_name,
    p.district, d.year, d.status, d.figures::text AS figures,
    d.tenants::text AS tenants,
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id,
            'kind', e.kind, 'name', e.name, 'media_type', e.media_type,
            'size', e.size, 'sha256', e.sha256, 'added_by', e.added_by,
            'added_at', to_char(e.added_at AT TIME ZONE 'UTC',
                'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY e.id)
        FROM declaration_evidence e
        WHERE e.declaration_id = d.id), '[]')::text AS evidence,
    coalesce((SELECT jsonb_agg(jsonb_build_object('action', v.action,
            'actor', v.actor, 'comment', v.comment,
            'at', to_char(v.at AT TIME ZONE 'UTC',
                'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY v.id)
        FROM declaration_events v
        WHERE v.declaration_id = d.id), '[]')::text AS events,
    to_char(d.assembled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS assembled_at,
    coalesce(to_char(d.submitted_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS submitted_at,
    coalesce(to_char(d.decided_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS decided_at
FROM declarations d
JOIN parks p ON p.id = d.park_id
WHERE p.code = $1 AND d.year = $2;

-- name: decl_policy
-- The policy of year $1 (policy_from_row; none: NULL).
SELECT @@year_policy($1)@@;

-- name: decl_status_list
-- Every park taking part in year $1 (as eval_raw chooses them) and its
-- declaration's status (not_started: none), of district $2 only unless
-- ''.
SELECT p.code AS park_code, p.name AS park_name, p.district,
    coalesce(d.status, 'not_started') AS status,
    coalesce(to_char(d.submitted_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS submitted_at,
    coalesce(to_char(d.decided_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS decided_at
FROM parks p
LEFT JOIN declarations d ON d.park_id = p.id AND d.year = $1
WHERE p.admitted_on IS NOT NULL AND p.admitted_on <= make_date($1, 12, 31)
    AND (p.exited_on IS NULL OR p.exited_on >= make_date($1, 1, 1))
    AND ($2 = '' OR p.district = $2)
ORDER BY p.district, p.code;

-- name: decl_approved
-- The figures (JSON) of every approved declaration of year $1, by park.
SELECT d.park_id, d.figures::text AS figures
FROM declarations d
WHERE d.year = $1 AND d.status = 'approved'
ORDER BY d.park_id;
