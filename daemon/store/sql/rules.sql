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
    @@audit_by_request@@, 'policy:' || $6,
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

-- name: sweep_tenancy_facts
-- RunSweep: every active tenancy's facts (tenancy_facts) as of $1 (date),
-- $2 (its quarter index), $3 = 0, and the policy of year $4. One extra
-- row with no tenancy carries the policy when there is none.
-- planned per call
SELECT facts.*, @@year_policy($4)@@
FROM (SELECT 1) one
LEFT JOIN (@@tenancy_facts@@) facts ON true
ORDER BY facts.park_code, facts.credit_code;

-- name: sweep_certs
-- RunSweep: certifications not expired that end between $1 (date) and $2
-- days after, with the park of the firm's active tenancy ('' for none).
-- planned per call
SELECT f.credit_code, c.kind, c.number, c.valid_to::text AS valid_to,
    coalesce((SELECT p.code FROM tenancies t JOIN parks p ON p.id = t.park_id
        WHERE t.firm_id = f.id AND t.status = 'active'), '') AS park_code
FROM certifications c
JOIN firms f ON f.id = c.firm_id
WHERE c.expired_on IS NULL AND c.valid_to >= $1::date
    AND c.valid_to <= $1::date + $2::integer
ORDER BY c.valid_to, c.id;

-- name: sweep_parks
-- RunSweep: the admitted and warned parks, each with its consecutive
-- failed evaluations as of the last final run that scored it.
SELECT code, operator_legal_person, staff_count,
    array_to_string(leading_industries, ',') AS industries, total_area,
    status,
    coalesce((SELECT er.consecutive_fails
        FROM evaluation_results er
        JOIN evaluation_runs ru ON ru.id = er.run_id
        WHERE er.park_id = parks.id AND ru.status = 'final'
        ORDER BY ru.year DESC LIMIT 1), 0) AS fails
FROM parks
WHERE status IN ('admitted', 'warned')
ORDER BY id;
