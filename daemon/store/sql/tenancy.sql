-- TenancyService: firms entering and leaving parks.

-- name: tenancy_lock
-- EnterFirm's first statement, in its transaction: lock the park ($1 its
-- code) and the firm ($2 its credit code), in that order, always. NO KEY
-- UPDATE: entries into one park are serialised, but an open push's rows
-- (whose foreign keys hold KEY SHARE on the park and the firm until it
-- commits) do not block them. seen_*: the same rows without the lock, to
-- tell "no such row" from "row-level security hides it from you".
SELECT (SELECT id FROM parks WHERE code = $1 FOR NO KEY UPDATE) AS park_id,
    (SELECT id FROM firms WHERE credit_code = $2 FOR NO KEY UPDATE)
        AS firm_id,
    (SELECT id FROM parks WHERE code = $1) AS seen_park,
    (SELECT id FROM firms WHERE credit_code = $2) AS seen_firm;

-- name: tenancy_entry_facts
-- What the entry rules read (store/facts.c, entry_facts_from_row) about
-- park $1 and firm $2, and the policy active in the entry year $3.
SELECT p.code, p.status, p.total_area,
    array_to_string(p.leading_industries, ',') AS industries,
    f.industry_code, f.registered_on::text AS registered_on,
    (SELECT coalesce(sum(area), 0) FROM tenancies
        WHERE park_id = p.id AND status = 'active') AS occupied,
    (SELECT p2.code FROM tenancies t2 JOIN parks p2 ON p2.id = t2.park_id
        WHERE t2.firm_id = f.id AND t2.status = 'active') AS active_park,
    (SELECT pp.hash FROM policy_years py JOIN policies pp
        ON pp.id = py.policy_id WHERE py.year = $3) AS policy_hash,
    (SELECT pp.body FROM policy_years py JOIN policies pp
        ON pp.id = py.policy_id WHERE py.year = $3) AS policy_body
FROM parks p, firms f
WHERE p.id = $1 AND f.id = $2;

-- name: tenancy_insert
-- The entry itself, with its audit row. $1..$4 the audit (principal id,
-- principal name, method, idempotency key); $5 firm id, $6 park id, $7
-- entry date, $8 area (m2 x 100), $9 waiver source.
WITH t AS (
    INSERT INTO tenancies (firm_id, park_id, entry_date, area, waiver_source)
    VALUES ($5, $6, $7, $8, $9)
    RETURNING *),
@@tenancy_written@@;

-- fragment: tenancy_list_page
-- pages: 20 100 1000
-- A page of tenancies by id, each filter '' for any: $1 park code, $2
-- status, $3 credit code; $4 the last id of the previous page, $5 the
-- caller's park (0: every park); at most @1 rows, the page and one more.
-- Every ListTenancies statement has its limit in the text, one statement
-- per page size (NAME_20, _100, _1000; rpc/page.c says why: at a million
-- tenancies "LIMIT $6" planned every call, 0.2-0.5 ms; this one keeps its
-- cached plan while a client pages through, though the first page alone,
-- repeated, still gets a fresh one). This one is for the city-wide roles
-- and none of the filters; svc/tenancy.c picks the others:
-- tenancy_park_page (a park code alone), tenancy_list_by_park (a park code
-- and a status or firm), tenancy_list_by_firm (a credit code and no park
-- code), tenancy_list_scoped (an operator's, neither) and
-- tenancy_list_by_status (a status, city-wide) take the same parameters,
-- and the filter that picks the index is the one without an OR, so that
-- each keeps its plan.
SELECT @@tenancy_columns@@
FROM @@tenancy_joins@@
WHERE $1 = '' AND $2 = '' AND $3 = '' AND t.id > $4 AND $5::bigint = 0
ORDER BY t.id
LIMIT @1

-- fragment: tenancy_list_scoped
-- pages: 20 100 1000
-- tenancy_list for an operator ($5 its park): the park picks the index, as
-- in tenancy_list_by_park; with "$5 = 0 OR" a cached plan would read every
-- tenancy in id order to find the park's.
SELECT @@tenancy_columns@@
FROM @@tenancy_joins@@
WHERE $1 = '' AND ($2 = '' OR t.status = $2) AND $3 = '' AND t.id > $4
    AND t.park_id = $5
ORDER BY t.id
LIMIT @1

-- fragment: tenancy_list_by_status
-- pages: 20 100 1000
-- tenancy_list for the city-wide roles ($5 is 0; an operator's list is
-- tenancy_list_scoped) with a status ($2) and no park or firm. For a rare
-- status the index on (status, id) gives the page in order; for "active",
-- most tenancies, the primary key does. A cached plan (PostgreSQL caches
-- one after five calls under plan_cache_mode "auto", at once under
-- "force_generic_plan") takes the primary key for every status, and read
-- every tenancy in id order to find a rare status's: 0.1-0.5 s at a
-- million tenancies for a status none has. Planned per call: 0.2-3.5 ms
-- for any status.
-- planned per call
SELECT @@tenancy_columns@@
FROM @@tenancy_joins@@
WHERE $1 = '' AND t.status = $2 AND $3 = '' AND t.id > $4
    AND $5::bigint = 0
ORDER BY t.id
LIMIT @1

-- fragment: tenancy_park_page
-- pages: 20 100 1000
-- A park's tenancies by id, no status or firm given ($2 and $3 are ''):
-- $1 its code, $4 the last id of the previous page, $5 the caller's park
-- (0: every park). With "LIMIT $6" PostgreSQL costed a cached plan at a
-- tenth of the park's rows, so for a park of more than ~200 tenancies it
-- planned every call anew (0.22-0.27 ms, against 0.07 to run it); with the
-- limit known, its cached plan costs what a fresh one does and is kept.
SELECT @@tenancy_columns@@
FROM @@tenancy_joins@@
WHERE p.code = $1 AND $2 = '' AND $3 = '' AND t.id > $4
    AND ($5::bigint = 0 OR t.park_id = $5)
ORDER BY t.id
LIMIT @1

-- fragment: tenancy_list_by_park
-- pages: 20 100 1000
-- With a status or a credit code.
SELECT @@tenancy_columns@@
FROM @@tenancy_joins@@
WHERE p.code = $1 AND ($2 = '' OR t.status = $2)
    AND ($3 = '' OR f.credit_code = $3) AND t.id > $4
    AND ($5::bigint = 0 OR t.park_id = $5)
ORDER BY t.id
LIMIT @1

-- fragment: tenancy_list_by_firm
-- pages: 20 100 1000
SELECT @@tenancy_columns@@
FROM @@tenancy_joins@@
WHERE $1 = '' AND ($2 = '' OR t.status = $2) AND f.credit_code = $3
    AND t.id > $4 AND ($5::bigint = 0 OR t.park_id = $5)
ORDER BY t.id
LIMIT @1

-- name: tenancy_exit_lock
-- ExitFirm: the tenancy to end, locked: tenancy $1, or (0) the active
-- tenancy of the firm of credit code $2.
-- planned per call
SELECT t.id, t.park_id, t.status, t.entry_date::text AS entry_date
FROM tenancies t
JOIN firms f ON f.id = t.firm_id
WHERE ($1::bigint <> 0 AND t.id = $1)
    OR ($1 = 0 AND f.credit_code = $2 AND t.status = 'active')
FOR UPDATE OF t;

-- name: tenancy_exit_facts
-- ExitFirm: the facts of tenancy $3 (tenancy_facts) as of the exit date
-- $1 (its quarter index $2), and the policy of year $4. Planned for its
-- tenancy: a cached plan of "$3 = 0 OR t.id = $3" reads every tenancy.
-- planned per call
SELECT facts.*, @@year_policy($4)@@
FROM (@@tenancy_facts@@) facts;

-- name: tenancy_exit
-- ExitFirm: tenancy $5 ends with status $6 on $7, reason $8, rule $9, with
-- the audit row ($1..$4).
WITH t AS (
    UPDATE tenancies SET status = $6, exit_date = $7, exit_reason = $8,
        exit_rule = $9, version = version + 1, updated_at = now()
    WHERE id = $5
    RETURNING *),
@@tenancy_written@@;
