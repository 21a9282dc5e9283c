-- ParkService.

-- name: park_get
-- One park, by id ($1). park_get_by_code: by code ($1). Two statements,
-- not one with an OR, so that each keeps a plan PostgreSQL can cache.
SELECT p.id, p.code, p.name, p.district, p.operator_name,
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
FROM parks p
WHERE p.id = $1;

-- name: park_get_by_code
SELECT p.id, p.code, p.name, p.district, p.operator_name,
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
FROM parks p
WHERE p.code = $1;
