-- ExpertService (svc/expert.c): experts assigned to parks, their scores
-- of the policy's qualitative indicators. $1..$4 of a write are its audit
-- row (principal id, principal name, method, idempotency key).

-- name: expert_target
-- The enabled experts named $1 (how many, and the first's id) and park $2
-- (code; 0: none).
SELECT (SELECT count(*) FROM principals
        WHERE name = $1 AND role = 'expert' AND enabled) AS experts,
    coalesce((SELECT min(id) FROM principals
        WHERE name = $1 AND role = 'expert' AND enabled), 0) AS expert_id,
    coalesce((SELECT id FROM parks WHERE code = $2), 0) AS park_id;

-- name: expert_assign
-- Assign expert $5 (id) to park $6 (id) for year $7, with the audit row.
-- No row: already assigned.
WITH a AS (
    INSERT INTO expert_assignments (expert_id, park_id, year, assigned_by)
    VALUES ($5, $6, $7, $2)
    ON CONFLICT (expert_id, park_id, year) DO NOTHING
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'expert_assignment:' || a.id,
        to_jsonb(a)
    FROM a)
SELECT @@assignment_columns@@
FROM a;

-- name: expert_mine
-- The caller's ($1, an expert) assignment to park $2 (code) for year $3,
-- locked, with the year's policy (policy_from_row). No row: not assigned.
SELECT a.id, coalesce(a.conflict, '') AS conflict,
    coalesce(to_char(a.submitted_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS submitted_at,
    @@year_policy($3)@@
FROM expert_assignments a
JOIN parks p ON p.id = a.park_id
WHERE a.expert_id = $1 AND p.code = $2 AND a.year = $3
FOR UPDATE OF a;

-- name: expert_conflict
-- Assignment $5: a conflict of interest declared ($6 why), with the audit
-- row. No row: scored or declared meanwhile.
WITH a AS (
    UPDATE expert_assignments SET conflict = $6
    WHERE id = $5 AND submitted_at IS NULL AND conflict IS NULL
    RETURNING *),
aud AS (
    @@audit_by_request@@, 'expert_assignment:' || a.id,
        jsonb_build_object('conflict', a.conflict)
    FROM a)
SELECT @@assignment_columns@@
FROM a;

-- name: expert_submit
-- Assignment $5's scores: indicators $7, centi-points $8 (arrays), comment
-- $6; with the audit row. No row: scored or declared meanwhile.
WITH a AS (
    UPDATE expert_assignments SET submitted_at = now(), comment = $6
    WHERE id = $5 AND submitted_at IS NULL AND conflict IS NULL
    RETURNING *),
s AS (
    INSERT INTO expert_scores (assignment_id, indicator, score_cp)
    SELECT a.id, u.k, u.v
    FROM a, unnest($7::text[], $8::int[]) AS u(k, v)
    RETURNING 1),
aud AS (
    @@audit_by_request@@, 'expert_assignment:' || a.id,
        jsonb_build_object('scores', (SELECT count(*) FROM s))
    FROM a)
SELECT to_char(a.submitted_at AT TIME ZONE 'UTC',
    'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS submitted_at
FROM a;

-- name: expert_assignment_list
-- The assignments of year $1 (0: every year), of expert $2 only unless 0.
SELECT @@assignment_columns@@
FROM expert_assignments a
WHERE ($1 = 0 OR a.year = $1) AND ($2::bigint = 0 OR a.expert_id = $2)
ORDER BY a.year, (SELECT code FROM parks WHERE id = a.park_id), a.id;

-- name: expert_review_list
-- Every expert's review of park $1 (code) for year $2: scores (JSON),
-- comment, conflict; mine: the caller's ($3) own, and whether submitted.
SELECT (SELECT name FROM principals WHERE id = a.expert_id) AS expert,
    a.expert_id = $3 AS mine,
    coalesce(a.comment, '') AS comment, coalesce(a.conflict, '') AS conflict,
    coalesce(to_char(a.submitted_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') AS submitted_at,
    coalesce((SELECT jsonb_agg(jsonb_build_object('indicator', s.indicator,
            'score_cp', s.score_cp) ORDER BY s.indicator)
        FROM expert_scores s WHERE s.assignment_id = a.id), '[]')::text
        AS scores
FROM expert_assignments a
JOIN parks p ON p.id = a.park_id
WHERE p.code = $1 AND a.year = $2
ORDER BY a.id;

-- name: expert_scores_year
-- Every submitted score of year $1, by park and indicator (the
-- evaluation aggregates them); experts with a conflict have none.
SELECT a.park_id, s.indicator, s.score_cp
FROM expert_scores s
JOIN expert_assignments a ON a.id = s.assignment_id
WHERE a.year = $1 AND a.submitted_at IS NOT NULL AND a.conflict IS NULL
ORDER BY a.park_id, s.indicator;
