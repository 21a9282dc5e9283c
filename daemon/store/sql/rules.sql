-- RulesService: policy documents. Every statement returns a policy's
-- columns (active_years: its years, comma-separated).

-- name: policy_upload
-- Store a document once (by its hash) and activate it for its years, with
-- the audit row ($1..$4): $5 name, $6 hash, $7 body, $8 first year, $9
-- last year, $10 source (upload, policy_file); $11 activate it; $12 only
-- if it is new. Also parkd's own upload of the policy file at start.
WITH ins AS (
    INSERT INTO policies (name, hash, body, year_from, year_to, source)
    VALUES ($5, $6, $7, $8, $9, $10)
    ON CONFLICT (hash) DO NOTHING
    RETURNING *),
pol AS (
    SELECT * FROM ins
    UNION ALL
    SELECT * FROM policies WHERE hash = $6),
act AS (
    INSERT INTO policy_years (year, policy_id)
    SELECT y, (SELECT id FROM pol LIMIT 1)
    FROM generate_series($8::int, $9::int) y
    WHERE $11::boolean AND (NOT $12::boolean OR EXISTS (SELECT 1 FROM ins))
    ON CONFLICT (year) DO UPDATE
    SET policy_id = EXCLUDED.policy_id, activated_at = now()
    RETURNING year),
aud AS (
    INSERT INTO audit_log (principal_id, principal_name, method, object,
        idempotency_key, change)
    SELECT nullif($1::bigint, 0), $2, $3, 'policy:' || $6, $4,
        jsonb_build_object('name', $5::text, 'hash', $6::text,
            'new', EXISTS (SELECT 1 FROM ins),
            'activated', (SELECT array_agg(year) FROM act))
    FROM (SELECT 1) one)
SELECT x.id, x.name, x.hash, x.year_from, x.year_to, x.body,
    to_char(x.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS created_at,
    coalesce((SELECT string_agg(year::text, ',' ORDER BY year)
        FROM (SELECT year FROM policy_years
            WHERE policy_id = x.id AND year NOT IN (SELECT year FROM act)
            UNION SELECT year FROM act) ay), '') AS active_years
FROM pol x
LIMIT 1;

-- name: policy_get
-- The policy active for year $1.
SELECT @@policy_columns@@
FROM policies x
JOIN policy_years y ON y.policy_id = x.id
WHERE y.year = $1;

-- name: policy_list
SELECT @@policy_columns@@
FROM policies x
ORDER BY x.id;
