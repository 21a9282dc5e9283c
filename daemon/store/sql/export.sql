-- Export: a park's rows of one record kind, in the shape a push takes (the
-- columns are named after the fields of the kind's message). What a park's
-- export holds is what its operator may read (scope_firm_read,
-- schema/0005_scope.sql). Every statement: $1 park code, $2 limit,
-- $3 offset.

-- name: export_firm_reports
SELECT f.credit_code, r.year, r.quarter, r.revenue, r.jobs, r.graduate_jobs,
    r.rnd_spend, r.ip_granted
FROM parks p
JOIN tenancies t ON t.park_id = p.id
JOIN firms f ON f.id = t.firm_id
JOIN firm_reports r ON r.firm_id = f.id
WHERE p.code = $1
    AND scope_firm_read(p.id, f.id, quarter_first(r.year, r.quarter),
        quarter_last(r.year, r.quarter))
GROUP BY f.credit_code, r.firm_id, r.year, r.quarter
ORDER BY f.credit_code, r.year, r.quarter
LIMIT $2 OFFSET $3;

-- name: export_park_reports
SELECT r.year, r.quarter, r.staff, r.services_delivered, r.interns_hosted
FROM park_reports r
JOIN parks p ON p.id = r.park_id
WHERE p.code = $1
ORDER BY r.year, r.quarter
LIMIT $2 OFFSET $3;

-- name: export_activities
SELECT a.kind, a.date::text AS date, a.title, a.participants
FROM activities a
JOIN parks p ON p.id = a.park_id
WHERE p.code = $1
ORDER BY a.date, a.kind, a.title
LIMIT $2 OFFSET $3;

-- name: export_firms
SELECT f.credit_code, f.name, f.industry_code,
    f.registered_on::text AS registered_on, f.tech_based, f.srdi
FROM firms f, parks p
WHERE p.code = $1 AND scope_firm_read(p.id, f.id, NULL, NULL)
ORDER BY f.credit_code
LIMIT $2 OFFSET $3;

-- name: export_tenancies
SELECT f.credit_code, t.entry_date::text AS entry_date, t.area,
    t.waiver_source
FROM tenancies t
JOIN firms f ON f.id = t.firm_id
JOIN parks p ON p.id = t.park_id
WHERE p.code = $1 AND t.status = 'active'
ORDER BY f.credit_code
LIMIT $2 OFFSET $3;

-- name: export_certifications
SELECT f.credit_code, c.kind, c.number, c.valid_from::text AS valid_from,
    c.valid_to::text AS valid_to
FROM certifications c
JOIN firms f ON f.id = c.firm_id, parks p
WHERE p.code = $1 AND scope_firm_read(p.id, f.id, c.valid_from, c.valid_to)
ORDER BY f.credit_code, c.kind, c.number
LIMIT $2 OFFSET $3;

-- name: export_park_id
-- The id of park $1 (code), to check the caller may export it.
SELECT id FROM parks WHERE code = $1;
