-- FirmService.

-- name: firm_get
-- One firm, by id ($1, 0 for none) or by credit code ($2); in_scope: may
-- the caller's park ($3, 0 for the city-wide roles) read it
-- (schema/0005_scope.sql).
SELECT f.id, f.credit_code, f.name, f.industry_code,
    coalesce(f.registered_on::text, '') AS registered_on, f.tech_based,
    f.srdi, f.version,
    to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS created_at,
    to_char(f.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        AS updated_at,
    scope_firm_read($3, f.id, NULL, NULL) AS in_scope
FROM firms f
WHERE ($1::bigint <> 0 AND f.id = $1) OR ($1 = 0 AND f.credit_code = $2);
